// The campaign page's summary of changes since the previous campaign.
import { describe, expect, it } from "vitest";
import type { PopulationChangeDto } from "../../ipc";
import { changeLabel, tallyChanges } from "./changes";

const change = (kind: PopulationChangeDto["kind"]): PopulationChangeDto => ({
  kind,
  principal: "ana@contoso.example",
  role: "Global Administrator",
  before: "",
  now: "eligible, direct",
});

describe("tallyChanges", () => {
  it("counts every kind, access that came back first, zeros included", () => {
    const tally = tallyChanges([change("new"), change("cameBack"), change("new")]);
    expect(tally).toEqual([
      { kind: "cameBack", count: 1 },
      { kind: "notRemoved", count: 0 },
      { kind: "new", count: 2 },
      { kind: "removed", count: 0 },
      { kind: "gone", count: 0 },
      { kind: "heldDifferently", count: 0 },
    ]);
  });

  it("labels each kind in words", () => {
    expect(changeLabel("cameBack")).toBe("Came back after removal");
    expect(changeLabel("heldDifferently")).toBe("Held differently");
  });
});
