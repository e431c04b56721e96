// The campaign page's exceptions register: its order, its tally and the standing in words.
import { describe, expect, it } from "vitest";
import type { ExceptionDto } from "../../ipc";
import { sortRegister, standingLabel, tallyStanding } from "./exceptions";

const row = (itemId: number, standing: string): ExceptionDto => ({
  itemId,
  principal: "ana@contoso.example",
  role: "Global Administrator",
  reason: "the last active holder",
  owner: standing === "no terms" ? null : "lead@contoso.example",
  expiresOn: standing === "no terms" ? null : "2026-06-30",
  control: standing === "no terms" ? null : "weekly sign-in review",
  standing,
});

describe("sortRegister", () => {
  it("puts expired exceptions first, then those without terms, keeping their order", () => {
    const sorted = sortRegister([row(1, "current"), row(2, "no terms"), row(3, "expired"), row(4, "expired")]);
    expect(sorted.map((r) => r.itemId)).toEqual([3, 4, 2, 1]);
  });
});

describe("tallyStanding", () => {
  it("counts each standing", () => {
    expect(tallyStanding([row(1, "expired"), row(2, "current"), row(3, "expired")])).toEqual({
      expired: 2,
      noTerms: 0,
      current: 1,
    });
  });
});

describe("standingLabel", () => {
  it("says what an expired exception and one without terms mean", () => {
    expect(standingLabel("expired")).toContain("back for review");
    expect(standingLabel("no terms")).toContain("never expires");
    expect(standingLabel("something new")).toBe("something new");
  });
});
