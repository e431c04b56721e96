// Unit tests of the worklist's decision rules and undo.
import { describe, expect, it } from "vitest";
import { applied, decisionLabel, fits, held, needsDialog, needsJustification, toastFor, toVerdict, tomorrow, undecidedToast, undoneToast, undoPlan, withPreset, type LastAction } from "./decisions";
import type { IdentityDto, ItemDto } from "../../ipc";
import { formatDay } from "../../lib/format";

const rules = { justificationOnApprove: false, justificationOnDeny: true };

describe("justification", () => {
  it("follows the campaign's rules per verdict", () => {
    expect(needsJustification(rules, "deny")).toBe(true);
    expect(needsJustification(rules, "approve")).toBe(false);
    expect(needsJustification(rules, "convertToEligible")).toBe(false);
    expect(needsJustification({ ...rules, justificationOnApprove: true }, "approveUntil")).toBe(true);
  });
  it("always asks for the note of a \"don't know\"", () => {
    expect(needsJustification({ justificationOnApprove: false, justificationOnDeny: false }, "dontKnow")).toBe(true);
  });
  it("asks before bulk decisions, for a required reason, and for the date of approve-until", () => {
    expect(needsDialog(rules, "approve", 1)).toBe(false);
    expect(needsDialog(rules, "approve", 3)).toBe(true);
    expect(needsDialog(rules, "deny", 1)).toBe(true);
    expect(needsDialog(rules, "convertToEligible", 1)).toBe(false);
    expect(needsDialog(rules, "approveUntil", 1)).toBe(true);
  });
});

describe("verdicts", () => {
  it("carry the date of approve-until and show it", () => {
    expect(toVerdict("approveUntil", "2027-06-30")).toBe("approveUntil:2027-06-30");
    expect(toVerdict("convertToEligible", "2027-06-30")).toBe("convertToEligible");
    // The date in the user's locale, the same calendar day wherever they are.
    expect(decisionLabel("approveUntil", "2027-06-30")).toBe(`Until ${formatDay("2027-06-30")}`);
    expect(formatDay("2027-06-30", "en-GB")).toBe("30 Jun 2027");
    expect(formatDay("2027-06-30", "de-DE")).toBe("30.06.2027");
    expect(decisionLabel("dontKnow", null)).toBe("Don't know");
    expect(decisionLabel(null, null)).toBe("Undecided");
  });
  it("convert only a standing active assignment of a person or a group", () => {
    expect(fits({ kind: "active", principalType: "user", membership: "direct" }, "convertToEligible")).toBe(true);
    expect(fits({ kind: "eligible", principalType: "user", membership: "direct" }, "convertToEligible")).toBe(false);
    expect(fits({ kind: "active", principalType: "servicePrincipal", membership: "direct" }, "convertToEligible")).toBe(false);
    expect(fits({ kind: "eligible", principalType: "user", membership: "direct" }, "approveUntil")).toBe(true);
  });
  it("show on the row before the list reloads, and are sent again as they were", () => {
    const me = { upn: "ann@contoso.com" } as IdentityDto;
    const row = applied({ id: 1, decision: null, decisionUntil: null } as unknown as ItemDto, "approveUntil:2027-01-31", me, "t");
    expect([row.decision, row.decisionUntil, row.decidedBy]).toEqual(["approveUntil", "2027-01-31", "ann@contoso.com"]);
    expect(held(row)).toBe("approveUntil:2027-01-31");
  });
  it("are confirmed in words", () => {
    expect(toastFor("approve", 1)).toBe("Approved 1 item.");
    expect(toastFor("deny", 3)).toBe("Denied 3 items.");
    expect(toastFor("convertToEligible", 1)).toBe("Convert to eligible: 1 item.");
    expect(toastFor("approveUntil:2027-06-30", 2)).toBe(`Until ${formatDay("2027-06-30")}: 2 items.`);
  });
  it("end tomorrow at the earliest", () => {
    expect(tomorrow(new Date(2026, 11, 31, 15))).toBe("2027-01-01");
  });
});

describe("undoPlan", () => {
  it("gives changed items their earlier decision back, grouped by it", () => {
    const items = [
      { id: 1, before: "approve", now: "deny" },
      { id: 2, before: "deny", now: "deny" },
      { id: 3, before: "approve", now: "deny" },
      { id: 4, before: "approveUntil:2027-06-30", now: "deny" },
    ] as LastAction["items"];
    expect(undoPlan({ items })).toEqual([{ verdict: "approve", ids: [1, 3] }, { verdict: "approveUntil:2027-06-30", ids: [4] }]);
  });
  it("returns items that had no decision to undecided, first", () => {
    const items = [
      { id: 1, before: "deny", now: "approve" },
      { id: 2, before: null, now: "approve" },
      { id: 3, before: null, now: "deny" },
    ] as LastAction["items"];
    expect(undoPlan({ items })).toEqual([{ verdict: null, ids: [2, 3] }, { verdict: "deny", ids: [1] }]);
  });
  it("undoes a return to undecided by deciding again", () => {
    expect(undoPlan({ items: [{ id: 5, before: "dontKnow", now: null }] })).toEqual([{ verdict: "dontKnow", ids: [5] }]);
  });
  it("says what it did in words that fit the legend line", () => {
    expect(undoneToast([{ verdict: null, ids: [1, 2] }])).toBe("Undone: 2 items undecided again.");
    expect(undoneToast([{ verdict: null, ids: [1] }, { verdict: "deny", ids: [2] }])).toBe("Undone: 2 items as before.");
    expect(undecidedToast(1)).toBe("1 item undecided again.");
    for (const text of [undoneToast([{ verdict: "approve", ids: Array.from({ length: 10000 }, (_, i) => i) }]), undecidedToast(10000)]) {
      expect(text.length).toBeLessThanOrEqual(40);
    }
  });
});

describe("withPreset", () => {
  const presets = ["Left the team", "Still on the on-call rota."];
  it("puts the canned sentence first and keeps the reviewer's own words", () => {
    expect(withPreset("", "Left the team", presets)).toBe("Left the team");
    expect(withPreset("moved to Finance", "Left the team", presets)).toBe("Left the team. moved to Finance");
    expect(withPreset("covers nights", "Still on the on-call rota.", presets)).toBe("Still on the on-call rota. covers nights");
  });
  it("replaces an earlier pick instead of piling picks up", () => {
    expect(withPreset("Left the team", "Still on the on-call rota.", presets)).toBe("Still on the on-call rota.");
    expect(withPreset("Left the team. moved to Finance", "Still on the on-call rota.", presets)).toBe("Still on the on-call rota. moved to Finance");
  });
});
