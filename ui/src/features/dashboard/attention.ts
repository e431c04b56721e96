// What needs a governance lead's attention first, from the campaigns and their reviewers'
// progress: overdue campaigns, reviewers behind the clock, items nobody can review.
import type { CampaignDetailDto, CampaignDto, ReviewerProgressDto } from "../../ipc";
import { elapsed } from "../../lib/format";

export type Severity = "high" | "medium";

export interface Attention {
  severity: Severity;
  kind: "overdue" | "behind" | "unrouted" | "endingSoon";
  campaignId: string;
  campaignName: string;
  text: string;
  /** Sort key within a severity: bigger first. */
  weight: number;
}

/** A reviewer is behind when their share decided trails the share of the window that has passed. */
export function behind(r: ReviewerProgressDto, timePassed: number): boolean {
  if (r.assigned === 0 || r.decided >= r.assigned) return false;
  return r.decided / r.assigned + 0.1 < timePassed;
}

export function attention(
  campaigns: readonly CampaignDto[],
  details: ReadonlyMap<string, CampaignDetailDto>,
  now: Date = new Date(),
): Attention[] {
  const out: Attention[] = [];
  for (const c of campaigns) {
    if (c.state !== "open") continue;
    const undecided = c.items - c.decided;
    const base = { campaignId: c.id, campaignName: c.name };
    if (c.overdue) {
      out.push({
        ...base,
        severity: "high",
        kind: "overdue",
        text: `Past its deadline with ${undecided.toLocaleString()} undecided item${undecided === 1 ? "" : "s"}: close it or run due work`,
        weight: undecided,
      });
    } else {
      const left = new Date(c.periodEnd).getTime() - now.getTime();
      if (left < 3 * 86_400_000 && undecided > 0) {
        out.push({
          ...base,
          severity: "medium",
          kind: "endingSoon",
          text: `Ends within 3 days; ${undecided.toLocaleString()} item${undecided === 1 ? "" : "s"} still undecided`,
          weight: undecided,
        });
      }
    }
    if (c.unrouted > 0) {
      out.push({
        ...base,
        severity: "high",
        kind: "unrouted",
        text: `${c.unrouted.toLocaleString()} item${c.unrouted === 1 ? " has" : "s have"} no reviewer: a governance admin must decide ${c.unrouted === 1 ? "it" : "them"}`,
        weight: c.unrouted,
      });
    }
    const detail = details.get(c.id);
    if (detail) {
      const passed = elapsed(c.periodStart, c.periodEnd, now);
      for (const r of detail.reviewers) {
        if (!behind(r, passed)) continue;
        const left = r.assigned - r.decided;
        out.push({
          ...base,
          severity: c.overdue ? "high" : "medium",
          kind: "behind",
          text: `${r.displayName || r.upn} has ${left.toLocaleString()} of ${r.assigned.toLocaleString()} left`,
          weight: left,
        });
      }
    }
  }
  const rank = (a: Attention) => (a.severity === "high" ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b) || b.weight - a.weight);
}

/** Open first (soonest deadline first), then scheduled, then the rest by most recent. */
export function sortCampaigns(campaigns: readonly CampaignDto[]): CampaignDto[] {
  const order = (c: CampaignDto) => (c.state === "open" ? 0 : c.state === "scheduled" ? 1 : 2);
  return [...campaigns].sort((a, b) => {
    const o = order(a) - order(b);
    if (o !== 0) return o;
    if (order(a) < 2) return a.periodEnd.localeCompare(b.periodEnd);
    return b.periodStart.localeCompare(a.periodStart);
  });
}

/** Reviewers who still have to act, the most left first. */
export function stillToAct(reviewers: readonly ReviewerProgressDto[]): ReviewerProgressDto[] {
  return reviewers
    .filter((r) => r.decided < r.assigned)
    .sort((a, b) => b.assigned - b.decided - (a.assigned - a.decided) || a.upn.localeCompare(b.upn));
}
