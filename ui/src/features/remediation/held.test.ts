// Unit tests of the remediation screen's list at scale: rows grouped by why, counts that leave
// confirmed holds out, filters and search, the typed count of a group, and why Apply waits.
import { describe, expect, it } from "vitest";
import type { HeldItemDto, RemediationActionDto, RemediationPlanDto } from "../../ipc";
import { applyBlocked, confirmableNow, countMatches, filterRows, groupCounts, rows } from "./held";

const hold = (itemId: number, over: Partial<HeldItemDto> = {}): HeldItemDto => ({
  itemId, roleId: "r-ga", roleName: "Global Administrator", kind: "eligible", principalId: `u-${itemId}`,
  principalName: `Holder ${itemId}`, principalUpn: `holder${itemId}@contoso.com`, code: "criticalRoleMinimum",
  reason: "Global Administrator would be left with 1 holder", proposal: null, confirmable: true,
  confirmedBy: null, confirmedAt: null, keptBy: null, keptAt: null, keptReason: null, ...over,
});

const unmade = (itemId: number, stateCode: string): RemediationActionDto => ({
  itemId, change: "remove", newEnd: null, eligibility: null, surface: "directoryRole", kind: "active", endpoint: "directoryAssignment",
  request: "", roleId: "r-ua", roleName: "User Administrator", scope: "/", principalId: `u-${itemId}`, principalName: `Holder ${itemId}`,
  principalUpn: null, why: "denied", state: "skipped", stateCode, stateReason: `${stateCode} at the moment of removal`, attempts: 0,
  requestId: null, requestStatus: null, lastError: null, submittedAt: null, finishedAt: null, verification: null,
  verificationNote: null, verifiedAt: null, overdue: false, exception: true, keptBy: null, keptAt: null, keptReason: null, retries: 0,
});

function plan(held: HeldItemDto[], actions: RemediationActionDto[] = [], planned = 3): RemediationPlanDto {
  return {
    campaignId: "q", campaignName: "Q", campaignState: "closed", plannedAt: "2026-01-01T00:00:00Z", deadline: null, overdue: false, autoApply: false,
    counts: { actions: planned, planned, submitted: 0, succeeded: 0, failed: 0, skipped: 0, held: held.length, awaitingConfirmation: 0,
      verifiedRemoved: 0, stillPresent: 0, reappeared: 0, verifiedChanged: 0, notChanged: 0, conversions: 0, endChanges: 0, overdue: 0, exceptions: 0 },
    tally: { exceptions: 0, held: 0, kept: 0, needsPerson: 0 }, roles: [], people: [], actions, held,
  };
}

describe("held rows", () => {
  const p = plan(
    [hold(1), hold(2, { code: "viaGroup", confirmable: false }), hold(3, { code: "protectedPrincipal", confirmable: false }),
      hold(4, { principalId: "me" }), hold(5, { confirmedBy: "a@c" }), hold(6, { keptBy: "a@c", keptReason: "on call" })],
    [unmade(7, "drift"), unmade(8, "tenantRefused")],
  );
  const all = rows(p, "ME");

  it("groups each row by why, the person's own access apart", () => {
    expect(Object.fromEntries(all.map((r) => [r.itemId, `${r.group}:${r.status}`]))).toEqual({
      1: "criticalRoleMinimum:waiting", 2: "viaGroup:notRemovable", 3: "protectedPrincipal:notRemovable", 4: "own:anotherAdmin",
      5: "criticalRoleMinimum:confirmed", 6: "criticalRoleMinimum:kept", 7: "drift:waiting", 8: "notMade:waiting",
    });
    expect(groupCounts(all)).toEqual({ criticalRoleMinimum: 2, viaGroup: 1, protectedPrincipal: 1, drift: 1, notMade: 1, own: 1 });
  });

  it("filters by group, status and every word of the search", () => {
    expect(filterRows(all, { group: "criticalRoleMinimum", status: "", query: "" }).map((r) => r.itemId)).toEqual([1, 5, 6]);
    expect(filterRows(all, { group: "", status: "kept", query: "" }).map((r) => r.itemId)).toEqual([6]);
    expect(filterRows(all, { group: "", status: "", query: "holder7@ " }).map((r) => r.itemId)).toEqual([]);
    expect(filterRows(all, { group: "", status: "", query: "user admin drift" }).map((r) => r.itemId)).toEqual([7]);
    expect(filterRows(all, { group: "", status: "", query: "HOLDER1@contoso" }).map((r) => r.itemId)).toEqual([1]);
  });

  it("confirms at once only waiting critical-role holds, never one's own, after the exact count", () => {
    expect(confirmableNow(all).map((r) => r.itemId)).toEqual([1]);
    expect(countMatches(" 37 ", 37)).toBe(true);
    expect(countMatches("36", 37)).toBe(false);
    expect(countMatches("0", 0)).toBe(false);
  });

  it("says why Apply waits, one's own access included", () => {
    expect(applyBlocked(p, all)).toBe("Apply waits for 2 held removals to be confirmed or kept (1 of them your own access: another governance admin decides it).");
    expect(applyBlocked(plan([hold(5, { confirmedBy: "a@c" })]), rows(plan([hold(5, { confirmedBy: "a@c" })]), "me"))).toBeNull();
    expect(applyBlocked(plan([], [], 0), [])).toBe("Nothing to apply: no removal is planned.");
  });

  it("filters five thousand rows without asking the backend", () => {
    const many = plan(Array.from({ length: 5000 }, (_, i) => hold(i + 1, { principalName: `Person ${i}` })));
    const big = rows(many, null);
    expect(filterRows(big, { group: "", status: "", query: "person 4999 holder5000@" }).map((r) => r.principalName)).toEqual(["Person 4999"]);
  });
});
