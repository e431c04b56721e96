// Finding reviewers by name or UPN: a campaign of 100,000 items has thousands of them, so the
// worklist's filter suggests the best few and the campaign page lists a page at a time.
import type { ReviewerProgressDto } from "../ipc";

type Reviewer = Pick<ReviewerProgressDto, "upn" | "displayName" | "assigned" | "decided">;

/** Up to `limit` reviewers whose name or UPN contains `text` (ignoring case): those whose name or
 *  UPN starts with it first, then by items left to decide, most first. Empty text suggests the
 *  reviewers with the most left. */
export function matchReviewers<R extends Reviewer>(reviewers: readonly R[], text: string, limit = 8): R[] {
  const t = text.trim().toLowerCase();
  const scored: { r: R; starts: boolean }[] = [];
  for (const r of reviewers) {
    const name = r.displayName.toLowerCase();
    const upn = r.upn.toLowerCase();
    if (t && !name.includes(t) && !upn.includes(t)) continue;
    scored.push({ r, starts: !!t && (name.startsWith(t) || upn.startsWith(t)) });
  }
  scored.sort((a, b) => Number(b.starts) - Number(a.starts) || b.r.assigned - b.r.decided - (a.r.assigned - a.r.decided) || a.r.upn.localeCompare(b.r.upn));
  return scored.slice(0, limit).map((s) => s.r);
}

/** How a chosen reviewer reads in the filter box. */
export function reviewerLabel(r: Pick<ReviewerProgressDto, "upn" | "displayName">): string {
  return r.displayName ? `${r.displayName} (${r.upn})` : r.upn;
}
