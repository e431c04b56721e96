// Plain-language descriptions of a campaign definition's settings, for the detail and the wizard.
import type { DefinitionDto } from "../../ipc";
import { surfaceLabel } from "../../lib/format";

const RECURRENCE: Record<string, string> = {
  none: "One-off",
  monthly: "Monthly",
  quarterly: "Quarterly",
  semiAnnual: "Every six months",
  annual: "Yearly",
};

export function recurrenceLabel(r: string): string {
  return RECURRENCE[r] ?? r;
}

const NO_RESPONSE: Record<string, string> = {
  keep: "keep access",
  remove: "remove access",
  recommendation: "follow the recommendation",
};

export function noResponseLabel(n: string): string {
  return NO_RESPONSE[n] ?? n;
}

/** One line per aspect of the definition: what, who, when, rules. */
export function describe(d: DefinitionDto): { label: string; text: string }[] {
  const types = d.scope.principalTypes;
  const principals = [types.users && "users", types.guests && "guests", types.groups && "groups", types.servicePrincipals && "service principals"]
    .filter(Boolean)
    .join(", ");
  const kinds = d.scope.kinds === "both" ? "eligible and active" : d.scope.kinds;
  const roles = d.scope.roleIds.length === 0 ? "all roles" : `${d.scope.roleIds.length} selected role${d.scope.roleIds.length === 1 ? "" : "s"}`;
  const source = d.reviewers.source === "manager" ? "each holder's manager" : d.reviewers.source === "self" ? "the holders themselves" : d.reviewers.named.map((r) => r.displayName || r.upn).join(", ");
  const fallback = d.reviewers.fallback.map((r) => r.displayName || r.upn).join(", ");
  const justify = [d.settings.justificationOnApprove && "approvals", d.settings.justificationOnDeny && "denials"].filter(Boolean).join(" and ");
  return [
    { label: "Scope", text: `${kinds} assignments of ${roles} on ${d.scope.surfaces.map((s) => surfaceLabel(s)).join(", ")}; ${principals}` + (d.scope.exclusions.length ? `; ${d.scope.exclusions.length} excluded` : "") + (d.scope.pimGroups.length ? `; ${d.scope.pimGroups.length} more group${d.scope.pimGroups.length === 1 ? "" : "s"} read for PIM groups` : "") },
    { label: "Reviewers", text: `${source}; fallback ${fallback || "none"}; ${d.reviewers.rule === "allMustApprove" ? "all reviewers must approve" : "the first decision counts"}` },
    { label: "Schedule", text: `${recurrenceLabel(d.schedule.recurrence)} from ${d.schedule.start.replace("T", " ")} (${d.schedule.timeZone}), ${d.schedule.durationDays} days each` },
    { label: "Rules", text: `Justification for ${justify || "nothing"}; ${d.settings.recommendations ? `recommendations over ${d.settings.lookBackDays} days` : "no recommendations"}; no response: ${noResponseLabel(d.settings.noResponse)}; ${d.settings.autoApply ? "removals applied automatically" : "removals applied by hand"}, within ${d.settings.remediationDeadlineDays} days` },
  ];
}
