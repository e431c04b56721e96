// The remediation screen's list of what did not go as decided, for hundreds or thousands of
// items: every held removal and every removal not made, as one row each, grouped by why (a
// critical role under its minimum, access through a group, a protected account, drift, the person's
// own access), filtered and searched without asking the backend again.
import type { HeldItemDto, RemediationActionDto, RemediationPlanDto } from "../../ipc";

export type GroupKey = "criticalRoleMinimum" | "viaGroup" | "protectedPrincipal" | "drift" | "notMade" | "own";

export const GROUPS: readonly { key: GroupKey; label: string; hint: string }[] = [
  { key: "criticalRoleMinimum", label: "Critical role under its minimum", hint: "Removing would leave a critical role with fewer holders than its minimum: a governance admin confirms each removal, or keeps the access with a reason." },
  { key: "viaGroup", label: "Access through a group", hint: "The person holds the role through a group: removing the group's assignment would take it from every member, so Recert does not remove it." },
  { key: "protectedPrincipal", label: "Protected account", hint: "A break-glass or otherwise protected account: never removed by Recert." },
  { key: "drift", label: "Changed since the pull", hint: "The assignment changed in the tenant after the campaign opened: re-plan it at the assignment as it is now, retry, or keep the access." },
  { key: "notMade", label: "Refused at removal", hint: "The tenant or a safety rule refused the removal at the moment it was sent: retry, or keep the access with a reason." },
  { key: "own", label: "Your own access", hint: "Nobody decides the removal of their own access: another governance admin confirms or keeps these." },
];

export type Status = "waiting" | "kept" | "confirmed" | "notRemovable" | "anotherAdmin";

export const STATUS_LABELS: Record<Status, string> = {
  waiting: "Needs a person",
  kept: "Kept",
  confirmed: "Confirmed",
  notRemovable: "Not removable here",
  anotherAdmin: "Needs another admin",
};

export interface Row {
  itemId: number;
  group: GroupKey;
  status: Status;
  principalId: string;
  principalName: string;
  principalUpn: string | null;
  roleName: string;
  kind: string;
  /** Why, in the backend's words. */
  reason: string;
  hold: HeldItemDto | null;
  action: RemediationActionDto | null;
  /** Lower-cased name, UPN, role and reason: what the search box matches. */
  haystack: string;
}

const same = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

function holdGroup(code: string): GroupKey {
  return code === "viaGroup" || code === "protectedPrincipal" ? code : "criticalRoleMinimum";
}

/** One row per held removal and per removal not made, in the order of `GROUPS`, then by name. */
export function rows(plan: RemediationPlanDto, me: string | null | undefined): Row[] {
  const out: Row[] = [];
  for (const h of plan.held) {
    const own = same(h.principalId, me);
    const status: Status = h.confirmedBy ? "confirmed" : h.keptBy ? "kept" : !h.confirmable ? "notRemovable" : own ? "anotherAdmin" : "waiting";
    const reason = h.proposal ? `${h.reason} — ${h.proposal}` : h.reason;
    out.push({
      itemId: h.itemId, group: own && !h.keptBy && !h.confirmedBy ? "own" : holdGroup(h.code), status,
      principalId: h.principalId, principalName: h.principalName, principalUpn: h.principalUpn, roleName: h.roleName, kind: h.kind,
      reason, hold: h, action: null,
      haystack: `${h.principalName}\n${h.principalUpn ?? ""}\n${h.roleName}\n${reason}`.toLowerCase(),
    });
  }
  for (const a of plan.actions) {
    if (!a.exception && !(a.keptBy && (a.state === "skipped" || a.state === "failed"))) continue;
    const own = same(a.principalId, me);
    const status: Status = a.keptBy ? "kept" : own ? "anotherAdmin" : "waiting";
    const reason = a.stateReason ?? a.lastError ?? a.state;
    out.push({
      itemId: a.itemId, group: own && !a.keptBy ? "own" : a.stateCode === "drift" ? "drift" : "notMade", status,
      principalId: a.principalId, principalName: a.principalName, principalUpn: a.principalUpn, roleName: a.roleName, kind: a.kind,
      reason, hold: null, action: a,
      haystack: `${a.principalName}\n${a.principalUpn ?? ""}\n${a.roleName}\n${reason}`.toLowerCase(),
    });
  }
  const order = new Map(GROUPS.map((g, i) => [g.key, i]));
  return out.sort((x, y) => (order.get(x.group) ?? 0) - (order.get(y.group) ?? 0) || x.principalName.localeCompare(y.principalName) || x.itemId - y.itemId);
}

/** How many rows each group holds, confirmed holds left out (they are removals now). */
export function groupCounts(all: readonly Row[]): Record<GroupKey, number> {
  const counts = Object.fromEntries(GROUPS.map((g) => [g.key, 0])) as Record<GroupKey, number>;
  for (const r of all) if (r.status !== "confirmed") counts[r.group] += 1;
  return counts;
}

export interface Filter {
  group: GroupKey | "";
  status: Status | "";
  query: string;
}

/** The rows a filter keeps: a group, a status, and every word of the query in name, UPN, role or reason. */
export function filterRows(all: readonly Row[], f: Filter): Row[] {
  const words = f.query.toLowerCase().split(/\s+/).filter(Boolean);
  return all.filter((r) => (!f.group || r.group === f.group) && (!f.status || r.status === f.status) && words.every((w) => r.haystack.includes(w)));
}

/** Held removals among `shown` that the person acting may confirm at once (never their own). */
export function confirmableNow(shown: readonly Row[]): Row[] {
  return shown.filter((r) => r.hold && r.status === "waiting" && r.hold.confirmable);
}

/** A group is confirmed by typing how many removals it holds: the number, exactly. */
export function countMatches(typed: string, n: number): boolean {
  return n > 0 && typed.trim() === String(n);
}

/** Why Apply cannot be pressed now, in a sentence; null when it can. */
export function applyBlocked(plan: RemediationPlanDto, all: readonly Row[]): string | null {
  const pending = plan.counts.planned + plan.counts.submitted;
  if (pending === 0) return "Nothing to apply: no removal is planned.";
  const waiting = all.filter((r) => r.hold && (r.status === "waiting" || r.status === "anotherAdmin"));
  if (waiting.length === 0) return null;
  const own = waiting.filter((r) => r.status === "anotherAdmin").length;
  const n = waiting.length;
  return `Apply waits for ${n.toLocaleString()} held removal${n === 1 ? "" : "s"} to be confirmed or kept${own ? ` (${own.toLocaleString()} of them your own access: another governance admin decides ${own === 1 ? "it" : "those"})` : ""}.`;
}
