// Pure helpers for the population view: filtering, totals and display formats.
import type { RoleCountDto } from "../../ipc";

export interface RoleFilter {
  query: string;
  heldOnly: boolean;
}

/** Roles whose name matches every word of the query (case- and accent-insensitive). */
export function filterRoles(roles: readonly RoleCountDto[], filter: RoleFilter): RoleCountDto[] {
  const words = fold(filter.query).split(/\s+/).filter(Boolean);
  return roles.filter((role) => {
    if (filter.heldOnly && role.eligible + role.active === 0) return false;
    const name = fold(role.displayName);
    return words.every((word) => name.includes(word));
  });
}

export function totals(roles: readonly RoleCountDto[]): { eligible: number; active: number; held: number } {
  let eligible = 0;
  let active = 0;
  let held = 0;
  for (const role of roles) {
    eligible += role.eligible;
    active += role.active;
    if (role.eligible + role.active > 0) held += 1;
  }
  return { eligible, active, held };
}

function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** An RFC 3339 UTC time shown in the user's local time zone. */
export function formatLocal(rfc3339: string, locale?: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

const STAGES: Record<string, string> = {
  directoryRoles: "Entra roles",
  pimGroups: "PIM groups",
  azureRoles: "Azure roles",
  activity: "Activations",
  principals: "Principals",
  groupMembers: "Group members",
  managers: "Managers",
};

/** A pull stage's name for the progress line. */
export function stageLabel(stage: string): string {
  return STAGES[stage] ?? stage;
}
