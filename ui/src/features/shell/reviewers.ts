// The people one can act as on the demo tenant: its governance admins, every reviewer of the open
// campaigns and the definitions' named and fallback reviewers, each once, the busiest first.
import type { AdminDto, CampaignDetailDto, DefinitionSummaryDto } from "../../ipc";

export interface Candidate {
  upn: string;
  displayName: string;
  /** Items still waiting for them across open campaigns. */
  waiting: number;
  /** Where they come from, for the picker: "governance admin", "reviewer", "fallback", "named". */
  roles: string[];
}

export function candidates(
  details: readonly CampaignDetailDto[],
  definitions: readonly DefinitionSummaryDto[],
  admins: readonly AdminDto[] = [],
): Candidate[] {
  const byUpn = new Map<string, Candidate>();
  const add = (upn: string, displayName: string, role: string, waiting = 0) => {
    if (!upn) return;
    const key = upn.toLowerCase();
    const c = byUpn.get(key) ?? { upn, displayName, waiting: 0, roles: [] };
    if (!c.displayName && displayName) c.displayName = displayName;
    c.waiting += waiting;
    if (!c.roles.includes(role)) c.roles.push(role);
    byUpn.set(key, c);
  };
  for (const d of details) {
    if (d.campaign.state !== "open") continue;
    for (const r of d.reviewers) add(r.upn, r.displayName, "reviewer", r.assigned - r.decided);
  }
  for (const a of admins) add(a.upn, a.displayName, "governance admin");
  for (const s of definitions) {
    for (const r of s.definition.reviewers.fallback) add(r.upn, r.displayName, "fallback");
    for (const r of s.definition.reviewers.named) add(r.upn, r.displayName, "named");
  }
  return [...byUpn.values()].sort((a, b) => b.waiting - a.waiting || a.upn.localeCompare(b.upn));
}
