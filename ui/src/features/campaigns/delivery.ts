// What the campaign page says of a campaign delivered through Entra Access Reviews: a sync's
// result in a sentence, its progress, and the items that stay in Recert.
import type { DeliveryStatusDto, SyncProgressDto, SyncReport } from "../../ipc";
import { plural } from "../../lib/format";

/** One sentence for a sync's result; the lists of unmatched and ambiguous decisions go beside it. */
export function syncSummary(r: SyncReport): string {
  const parts = [`${plural(r.recorded, "decision")} recorded`];
  if (r.unchanged > 0) parts.push(`${r.unchanged.toLocaleString()} unchanged`);
  if (r.reset > 0) parts.push(`${plural(r.reset, "decision")} reset to not reviewed in Entra and taken back`);
  parts.push(`${r.pending.toLocaleString()} not decided in Entra yet`);
  if (r.stopped > 0) parts.push(`${plural(r.stopped, "review")} stopped`);
  return parts.join(", ") + ".";
}

/** How far a sync has read, for the progress bar's label. */
export function syncProgressLabel(p: SyncProgressDto | null): string {
  if (!p) return "Reading the reviews in Entra…";
  return `Read ${p.reviewsRead.toLocaleString()} of ${plural(p.reviews, "review")}, ${plural(p.decisions, "decision")}`;
}

/** The items that stay in Recert's worklist, in one sentence per reason. */
export function stayInRecert(s: DeliveryStatusDto): string[] {
  return s.stayInRecert.map((x) => `${plural(x.items, "item")}: ${x.reason}.`);
}

/** Whether every published review was stopped (the campaign closed with its final sync). */
export function allStopped(s: DeliveryStatusDto): boolean {
  return s.reviews.length > 0 && s.reviews.every((r) => r.stoppedAt !== null);
}
