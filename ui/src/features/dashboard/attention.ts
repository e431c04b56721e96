// What needs a governance lead's attention first, from the campaigns and their reviewers'
// progress: overdue campaigns, reviewers behind the clock, items nobody can review.
import type { CampaignDetailDto, CampaignDto, RemediationPlanDto, ReviewerProgressDto } from "../../ipc";
import { elapsed } from "../../lib/format";

export type Severity = "high" | "medium";

export interface Attention {
  severity: Severity;
  kind: "overdue" | "behind" | "unrouted" | "endingSoon" | "toApply" | "held" | "failed" | "removalsOverdue" | "unanswered";
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
  plans: ReadonlyMap<string, RemediationPlanDto> = new Map(),
): Attention[] {
  const out: Attention[] = [];
  for (const c of campaigns) {
    const plan = plans.get(c.id);
    if (plan) out.push(...remediationAttention(c, plan));
    else if (c.state === "closed") {
      const remove = details.get(c.id)?.outcomes.remove ?? 0;
      if (remove > 0) {
        out.push({
          campaignId: c.id, campaignName: c.name, severity: "medium", kind: "toApply", weight: remove,
          text: `Closed with ${remove.toLocaleString()} removal${remove === 1 ? "" : "s"} to preview and apply`,
        });
      }
    }
    const unanswered = mostlyUnanswered(c);
    if (unanswered) out.push(unanswered);
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

/** A campaign that closed with most of its items never decided: its reviewers did not review, and
 *  the no-response default decided for them — a lead looks at why before the next one opens. */
export function mostlyUnanswered(c: CampaignDto): Attention | null {
  if (!["closed", "remediating", "completed"].includes(c.state) || c.items === 0) return null;
  const unanswered = c.items - c.decided;
  if (unanswered * 2 <= c.items) return null;
  return {
    campaignId: c.id, campaignName: c.name, severity: "high", kind: "unanswered", weight: unanswered,
    text: `Closed with ${Math.round((100 * unanswered) / c.items)}% of its items unanswered (${unanswered.toLocaleString()} of ${c.items.toLocaleString()}): the no-response default decided them`,
  };
}

/** Held removals waiting for a named person, failed removals, and removals past their deadline. */
export function remediationAttention(c: CampaignDto, plan: RemediationPlanDto): Attention[] {
  const base = { campaignId: c.id, campaignName: c.name };
  const out: Attention[] = [];
  const n = plan.counts;
  if (n.awaitingConfirmation > 0) {
    out.push({ ...base, severity: "high", kind: "held", weight: n.awaitingConfirmation,
      text: `${n.awaitingConfirmation.toLocaleString()} held removal${n.awaitingConfirmation === 1 ? " waits" : "s wait"} for a governance admin to confirm or keep the access` });
  }
  if (n.failed > 0) {
    out.push({ ...base, severity: "high", kind: "failed", weight: n.failed,
      text: `${n.failed.toLocaleString()} removal${n.failed === 1 ? "" : "s"} failed: retry or record an exception` });
  }
  if (n.overdue > 0) {
    out.push({ ...base, severity: "high", kind: "removalsOverdue", weight: n.overdue,
      text: `${n.overdue.toLocaleString()} removal${n.overdue === 1 ? " is" : "s are"} past the remediation deadline` });
  } else if (n.planned > 0) {
    out.push({ ...base, severity: "medium", kind: "toApply", weight: n.planned,
      text: `${n.planned.toLocaleString()} removal${n.planned === 1 ? "" : "s"} planned, not applied yet` });
  }
  return out;
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
