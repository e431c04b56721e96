// Unit tests of the remediation helpers.
import { describe, expect, it } from "vitest";
import type { RemediationPlanDto } from "../../ipc";
import { nameMatches, nextStep } from "./remediation";

const counts = {
  actions: 4, planned: 0, submitted: 0, succeeded: 0, failed: 0, skipped: 0, held: 0,
  awaitingConfirmation: 0, verifiedRemoved: 0, stillPresent: 0, reappeared: 0, overdue: 0, exceptions: 0,
};
const plan = (over: Partial<typeof counts>) => ({ counts: { ...counts, ...over } }) as RemediationPlanDto;

describe("nextStep", () => {
  it("asks for confirmations first, then applying, then verifying, then resolving what was not made", () => {
    expect(nextStep(plan({ awaitingConfirmation: 1, planned: 3 }))).toBe("confirm");
    expect(nextStep(plan({ planned: 3 }))).toBe("apply");
    expect(nextStep(plan({ submitted: 1, succeeded: 3 }))).toBe("apply");
    expect(nextStep(plan({ succeeded: 4, verifiedRemoved: 2 }))).toBe("verify");
    expect(nextStep(plan({ failed: 1, succeeded: 3, verifiedRemoved: 3, exceptions: 1 }))).toBe("resolve");
    expect(nextStep(plan({ succeeded: 4, verifiedRemoved: 4 }))).toBe("done");
  });
});

describe("nameMatches", () => {
  const held = { principalName: "Adele Vance", principalUpn: "adele@contoso.com" };
  it("takes the exact name or UPN, not a prefix", () => {
    expect(nameMatches(held, " adele vance ")).toBe(true);
    expect(nameMatches(held, "ADELE@contoso.com")).toBe(true);
    expect(nameMatches(held, "Adele")).toBe(false);
    expect(nameMatches(held, "")).toBe(false);
  });
});
