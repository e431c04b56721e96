// Pure helpers of the audit log viewer: the query sent for the filters, and how events, subjects,
// details and the chain's status read in the window.
import type { AuditChainDto, AuditQueryDto } from "../../ipc";

export type AuditFilters = {
  /** Only this campaign's events (set when the viewer is opened from a campaign). */
  campaignId: string | null;
  actor: string;
  kind: string;
  search: string;
};

export const NO_AUDIT_FILTERS: AuditFilters = { campaignId: null, actor: "", kind: "", search: "" };

export const PAGE_SIZE = 50;

/** The query for one page; blank fields are sent as null so they do not filter. */
export function auditQuery(filters: AuditFilters, offset: number, limit = PAGE_SIZE): AuditQueryDto {
  const given = (value: string | null) => (value && value.trim() ? value.trim() : null);
  return {
    campaignId: given(filters.campaignId),
    actor: given(filters.actor),
    kind: given(filters.kind),
    search: given(filters.search),
    offset,
    limit,
  };
}

/** How many filters narrow the list (the campaign counts: it can be removed too). */
export function activeFilters(filters: AuditFilters): number {
  return [filters.campaignId ?? "", filters.actor, filters.kind, filters.search].filter((v) => v.trim() !== "").length;
}

/** `campaign.opened` → "Campaign opened", `tenant.connectionSaved` → "Tenant connection saved". */
export function kindLabel(kind: string): string {
  const words = kind
    .split(".")
    .flatMap((part) => part.split(/(?=[A-Z])/))
    .filter((w) => w !== "")
    .map((w) => w.toLowerCase());
  if (words.length === 0) return kind;
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const AREAS: Record<string, string> = {
  campaign: "Campaign",
  definition: "Definition",
  tenant: "Tenant",
  setting: "Setting",
};

/** `campaign/q1` → { area: "Campaign", id: "q1" }; an unknown shape is shown as it is. */
export function subjectParts(subject: string): { area: string; id: string } {
  const slash = subject.indexOf("/");
  if (slash < 0) return { area: "", id: subject };
  const area = subject.slice(0, slash);
  return { area: AREAS[area] ?? area, id: subject.slice(slash + 1) };
}

function short(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    if (value.length <= 3 && value.every((v) => typeof v !== "object" || v === null)) return value.map(short).join(", ");
    return `${value.length.toLocaleString()} entries`;
  }
  return "{…}";
}

/** The details on one line: `key: value` pairs, long lists counted. */
export function detailsSummary(details: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(details);
  } catch {
    return details;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return short(parsed);
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return "—";
  return entries.map(([key, value]) => `${key}: ${short(value)}`).join(" · ");
}

/** The details as indented JSON, for the expanded row. */
export function detailsPretty(details: string): string {
  try {
    return JSON.stringify(JSON.parse(details), null, 2);
  } catch {
    return details;
  }
}

/** The chain's verdict in words. */
export function chainSummary(chain: AuditChainDto): string {
  if (!chain.intact) return `Chain broken at event ${chain.seq.toLocaleString()}: ${chain.problem ?? "it does not verify"}`;
  if (chain.seq === 0) return "The audit log is empty";
  return `Chain intact up to event ${chain.seq.toLocaleString()}`;
}

/** "1–50 of 1,234" for the rows on screen. */
export function rangeLabel(offset: number, shown: number, total: number): string {
  if (total === 0 || shown === 0) return `0 of ${total.toLocaleString()}`;
  return `${(offset + 1).toLocaleString()}–${(offset + shown).toLocaleString()} of ${total.toLocaleString()}`;
}

/** The local time of day to the second: events a few seconds apart must read apart. */
export function eventClock(rfc3339: string, locale?: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleTimeString(locale, { timeStyle: "medium" });
}

/** The local date, shown under the time. */
export function eventDate(rfc3339: string, locale?: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleDateString(locale, { dateStyle: "medium" });
}
