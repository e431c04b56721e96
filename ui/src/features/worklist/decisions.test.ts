// Unit tests of the worklist's decision rules and undo.
import { describe, expect, it } from "vitest";
import { needsDialog, needsJustification, undoPlan } from "./decisions";

const rules = { justificationOnApprove: false, justificationOnDeny: true };

describe("justification", () => {
  it("follows the campaign's rules per verdict", () => {
    expect(needsJustification(rules, "deny")).toBe(true);
    expect(needsJustification(rules, "approve")).toBe(false);
  });
  it("asks before bulk decisions even without a required reason", () => {
    expect(needsDialog(rules, "approve", 1)).toBe(false);
    expect(needsDialog(rules, "approve", 3)).toBe(true);
    expect(needsDialog(rules, "deny", 1)).toBe(true);
  });
});

describe("undoPlan", () => {
  it("re-decides each item back to its previous verdict", () => {
    expect(undoPlan({ verdict: "deny", before: [{ id: 1, decision: "approve" }, { id: 2, decision: "deny" }, { id: 3, decision: "approve" }] }))
      .toEqual([{ verdict: "approve", ids: [1, 3] }]);
  });
  it("cannot withdraw a first decision", () => {
    expect(undoPlan({ verdict: "approve", before: [{ id: 1, decision: "deny" }, { id: 2, decision: null }] })).toBeNull();
  });
});
