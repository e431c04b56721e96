// Unit tests of the remediation helpers.
import { describe, expect, it } from "vitest";
import type { ActionState, RemediationPlanDto } from "../../ipc";
import { actionState, eligibilityLabel, nameMatches, nextStep, onlyRemovals, pendingChanges, verificationLabel } from "./remediation";

const counts = {
  actions: 4, planned: 0, submitted: 0, succeeded: 0, failed: 0, skipped: 0, held: 0,
  awaitingConfirmation: 0, verifiedRemoved: 0, stillPresent: 0, reappeared: 0, overdue: 0, exceptions: 0,
  verifiedChanged: 0, notChanged: 0, conversions: 0, endChanges: 0,
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
  it("counts conversions and new ends verified as changed as done", () => {
    expect(nextStep(plan({ succeeded: 4, verifiedRemoved: 2, verifiedChanged: 2, conversions: 2 }))).toBe("done");
    expect(nextStep(plan({ succeeded: 4, verifiedRemoved: 2, verifiedChanged: 1, notChanged: 1 }))).toBe("verify");
  });
});

describe("what an action changes, in words", () => {
  const a = (change: "remove" | "convert" | "setEnd", state: ActionState = "planned") => ({ change, state });
  it("names the apply button after what is pending", () => {
    expect(pendingChanges([a("convert")])).toBe("1 conversion");
    expect(pendingChanges([a("setEnd"), a("remove", "succeeded")])).toBe("1 end date change");
    expect(pendingChanges([a("remove"), a("remove", "submitted"), a("convert"), a("setEnd"), a("setEnd")])).toBe(
      "2 removals, 1 conversion, 2 end date changes",
    );
    expect(onlyRemovals([a("remove"), a("convert", "succeeded")])).toBe(true);
    expect(onlyRemovals([a("remove"), a("convert")])).toBe(false);
  });
  it("says what a finished action did and how far a conversion got, never a raw code", () => {
    expect(actionState("succeeded", "convert")).toBe("Converted");
    expect(actionState("succeeded", "setEnd")).toBe("End date set");
    expect(actionState("succeeded")).toBe("Removed");
    expect(verificationLabel("verified-changed")).toBe("Verified changed as asked");
    expect(verificationLabel("not-changed")).toBe("Not changed as asked");
    expect(eligibilityLabel("verified")).toMatch(/verified/);
    for (const code of ["planned", "submitted", "verified"]) expect(eligibilityLabel(code)).not.toBe(code);
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
