// Display formats: local times, relative due dates, counts and percentages.
import type { CampaignState } from "../ipc/bindings/CampaignState";
import { surfaceWord } from "./words";

/** An RFC 3339 UTC time in the user's local time zone, with date and time. */
export function formatLocal(rfc3339: string | null | undefined, locale?: string): string {
  if (!rfc3339) return "—";
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

/** The local date only. */
export function formatDate(rfc3339: string | null | undefined, locale?: string): string {
  if (!rfc3339) return "—";
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleDateString(locale, { dateStyle: "medium" });
}

/** A calendar day (YYYY-MM-DD, as an "approve until" date is kept) in the user's locale, the
 *  same day wherever they are. */
export function formatDay(ymd: string | null | undefined, locale?: string): string {
  if (!ymd) return "—";
  const date = new Date(`${ymd}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return ymd;
  return date.toLocaleDateString(locale, { dateStyle: "medium", timeZone: "UTC" });
}

const DAY = 86_400_000;

/** "due in 3 days", "due today", "2 days overdue" relative to `now`. */
export function dueIn(rfc3339: string, now: Date = new Date()): string {
  const end = new Date(rfc3339).getTime();
  if (Number.isNaN(end)) return rfc3339;
  const diff = end - now.getTime();
  if (diff < 0) {
    const days = Math.floor(-diff / DAY);
    return days === 0 ? "overdue since today" : `${days} day${days === 1 ? "" : "s"} overdue`;
  }
  const days = Math.floor(diff / DAY);
  if (days === 0) return "due today";
  return `due in ${days} day${days === 1 ? "" : "s"}`;
}

/** How much of [start, end] has passed at `now`, 0..1. */
export function elapsed(startRfc: string, endRfc: string, now: Date = new Date()): number {
  const start = new Date(startRfc).getTime();
  const end = new Date(endRfc).getTime();
  if (!(end > start)) return 1;
  return Math.min(1, Math.max(0, (now.getTime() - start) / (end - start)));
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((100 * part) / whole) : 0;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Where assignments live, in the words every view uses ("Entra roles"; one: "Entra role"). */
export function surfaceLabel(surface: string, one = false): string {
  return surfaceWord(surface, !one);
}

/** A campaign's state in words. The switch is exhaustive: a state the backend adds to
 * `CampaignState` fails the typecheck here until the window says how to show it. */
export function stateLabel(state: CampaignState): string {
  switch (state) {
    case "scheduled":
      return "Scheduled";
    case "open":
      return "Open";
    case "closed":
      return "Closed";
    case "remediating":
      return "Remediating";
    case "completed":
      return "Completed";
    case "cancelled":
      return "Cancelled";
    case "missed":
      return "Missed";
    default:
      return unhandled(state);
  }
}

/** The `never` check of an exhaustive switch over a backend enum. */
export function unhandled(value: never): never {
  throw new Error(`a value the window does not handle: ${String(value)}`);
}
