// Worklist filters as the toolbar holds them, and the query the backend takes.
import type { WorklistQueryDto } from "../../ipc";

export interface Filters {
  roleId: string;
  reviewer: string;
  decision: string;
  recommendation: string;
  kind: string;
  membership: string;
  unrouted: boolean;
  search: string;
  /** "person": one person's items together; "" by role. */
  groupBy: string;
}

export const NO_FILTERS: Filters = {
  roleId: "",
  reviewer: "",
  decision: "",
  recommendation: "",
  kind: "",
  membership: "",
  unrouted: false,
  search: "",
  groupBy: "",
};

const orNull = (s: string): string | null => (s.trim() === "" ? null : s.trim());

/** The backend query for one page; `mine` (a reviewer id or UPN) overrides the reviewer filter. */
export function toQuery(f: Filters, offset: number, limit: number, mine?: string | null): WorklistQueryDto {
  return {
    reviewer: mine ? mine : orNull(f.reviewer),
    roleId: orNull(f.roleId),
    decision: orNull(f.decision),
    recommendation: orNull(f.recommendation),
    kind: orNull(f.kind),
    membership: orNull(f.membership),
    unrouted: f.unrouted,
    search: orNull(f.search),
    groupBy: orNull(f.groupBy),
    offset,
    limit,
  };
}

/** How many filters differ from none (the search counts as one; the grouping is no filter). */
export function activeCount(f: Filters): number {
  let n = 0;
  for (const key of Object.keys(NO_FILTERS) as (keyof Filters)[]) {
    if (key === "groupBy") continue;
    if (f[key] !== NO_FILTERS[key] && !(typeof f[key] === "string" && (f[key] as string).trim() === "")) n++;
  }
  return n;
}

/** A stable key for a filter set: a change means the list starts over. */
export function filterKey(f: Filters, mine?: string | null): string {
  return JSON.stringify([toQuery(f, 0, 0, mine)]);
}

/** Calls `fn` once `ms` have passed without another call; `cancel` drops a pending call. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, ms);
  };
  run.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return run;
}
