// The campaign wizard's form: its defaults, the mapping to and from the definition DTO, the
// population estimate from the pulled role counts, and the risky combinations to warn about.
import type { DefinitionDto, Delivery, ReviewerDto, RoleCountDto } from "../../ipc";

export type Kinds = "eligible" | "active" | "both";
export type ReviewerSource = "manager" | "named" | "self";
export type Recurrence = "none" | "monthly" | "quarterly" | "semiAnnual" | "annual";
export type EndRule = "never" | "onDate" | "afterCount";
export type NoResponse = "keep" | "remove" | "recommendation";
/** Who reviews in a second stage, if any: governance admins, or the holders' managers. */
export type SecondStage = "none" | "governanceAdmins" | "manager";
export type Takes = "all" | "approved" | "denied" | "dontKnow";

export interface WizardForm {
  name: string;
  description: string;
  surfaces: string[];
  allRoles: boolean;
  roleIds: string[];
  kinds: Kinds;
  users: boolean;
  guests: boolean;
  groups: boolean;
  servicePrincipals: boolean;
  /** One object id or UPN per line (or comma-separated). */
  exclusions: string;
  /** PIM for Groups: group object ids to read besides the role-assignable ones, one per line. */
  pimGroups: string;
  reviewerSource: ReviewerSource;
  named: ReviewerDto[];
  fallback: ReviewerDto[];
  rule: "firstDecides" | "allMustApprove";
  /** Local `YYYY-MM-DDTHH:MM` in `timeZone`. */
  start: string;
  timeZone: string;
  durationDays: number;
  recurrence: Recurrence;
  end: EndRule;
  endDate: string;
  endCount: number;
  justificationOnApprove: boolean;
  justificationOnDeny: boolean;
  recommendations: boolean;
  lookBackDays: number;
  noResponse: NoResponse;
  autoApply: boolean;
  remediationDeadlineDays: number;
  /** How long a "convert to eligible" decision makes the access eligible. */
  convertEligibleDays: number;
  /** Where the reviewers decide: Recert's worklist, or Entra Access Reviews. */
  delivery: Delivery;
  secondStage: SecondStage;
  /** Which of the first stage's items the second stage reviews. */
  secondStageTakes: Takes;
  /** The second stage's days, taken from the end of the review window. */
  secondStageDays: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** 09:00 on the first day of the quarter after `now` (local calendar). */
export function nextQuarterStart(now: Date): string {
  const q = Math.floor(now.getMonth() / 3);
  const year = q === 3 ? now.getFullYear() + 1 : now.getFullYear();
  const month = ((q + 1) % 4) * 3 + 1;
  return `${year}-${pad(month)}-01T09:00`;
}

export function defaultForm(now: Date, timeZone: string): WizardForm {
  return {
    name: "",
    description: "",
    surfaces: ["directoryRole"],
    allRoles: true,
    roleIds: [],
    kinds: "both",
    users: true,
    guests: true,
    groups: true,
    servicePrincipals: true,
    exclusions: "",
    pimGroups: "",
    reviewerSource: "manager",
    named: [],
    fallback: [],
    rule: "firstDecides",
    start: nextQuarterStart(now),
    timeZone,
    durationDays: 14,
    recurrence: "quarterly",
    end: "never",
    endDate: "",
    endCount: 4,
    justificationOnApprove: false,
    justificationOnDeny: true,
    recommendations: true,
    lookBackDays: 90,
    noResponse: "keep",
    autoApply: false,
    remediationDeadlineDays: 14,
    convertEligibleDays: 180,
    delivery: "inRecert",
    secondStage: "none",
    secondStageTakes: "dontKnow",
    secondStageDays: 4,
  };
}

/** Splits the exclusions box into distinct entries. */
export function parseList(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(/[\n,;]+/)) {
    const entry = raw.trim();
    const key = entry.toLowerCase();
    if (entry && !seen.has(key)) {
      seen.add(key);
      out.push(entry);
    }
  }
  return out;
}

const num = (n: number) => (Number.isFinite(n) ? Math.max(0, Math.round(n)) : 0);

export function toDefinition(form: WizardForm, tenantId: string): DefinitionDto {
  return {
    id: "",
    tenantId,
    name: form.name.trim(),
    description: form.description.trim(),
    scope: {
      surfaces: [...form.surfaces],
      roleIds: form.allRoles ? [] : [...form.roleIds],
      kinds: form.kinds,
      principalTypes: {
        users: form.users,
        guests: form.guests,
        groups: form.groups,
        servicePrincipals: form.servicePrincipals,
      },
      exclusions: parseList(form.exclusions),
      // Named groups are read only for PIM for Groups; without that surface none are kept.
      pimGroups: form.surfaces.includes("pimGroup") ? parseList(form.pimGroups) : [],
    },
    reviewers: {
      source: form.reviewerSource,
      named: form.reviewerSource === "named" ? form.named.map((r) => ({ ...r })) : [],
      fallback: form.fallback.map((r) => ({ ...r })),
      rule: form.rule,
    },
    schedule: {
      start: form.start,
      timeZone: form.timeZone,
      durationDays: num(form.durationDays),
      recurrence: form.recurrence,
      end: form.end,
      endDate: form.end === "onDate" ? form.endDate || null : null,
      endCount: form.end === "afterCount" ? num(form.endCount) : null,
    },
    settings: {
      justificationOnApprove: form.justificationOnApprove,
      justificationOnDeny: form.justificationOnDeny,
      recommendations: form.recommendations,
      lookBackDays: num(form.lookBackDays),
      noResponse: form.noResponse,
      autoApply: form.autoApply,
      remediationDeadlineDays: num(form.remediationDeadlineDays),
      convertEligibleDays: num(form.convertEligibleDays),
      delivery: form.delivery,
    },
    stages:
      form.secondStage === "none"
        ? []
        : [
            {
              reviewers: form.secondStage,
              named: [],
              roleOwners: [],
              fallback: form.fallback.map((r) => ({ ...r })),
              rule: "firstDecides",
              durationDays: num(form.secondStageDays),
              takes: form.secondStageTakes,
            },
          ],
  };
}

export function fromDefinition(d: DefinitionDto): WizardForm {
  return {
    name: d.name,
    description: d.description,
    surfaces: [...d.scope.surfaces],
    allRoles: d.scope.roleIds.length === 0,
    roleIds: [...d.scope.roleIds],
    kinds: d.scope.kinds as Kinds,
    users: d.scope.principalTypes.users,
    guests: d.scope.principalTypes.guests,
    groups: d.scope.principalTypes.groups,
    servicePrincipals: d.scope.principalTypes.servicePrincipals,
    exclusions: d.scope.exclusions.join("\n"),
    pimGroups: d.scope.pimGroups.join("\n"),
    reviewerSource: d.reviewers.source as ReviewerSource,
    named: d.reviewers.named.map((r) => ({ ...r })),
    fallback: d.reviewers.fallback.map((r) => ({ ...r })),
    rule: d.reviewers.rule as WizardForm["rule"],
    start: d.schedule.start,
    timeZone: d.schedule.timeZone,
    durationDays: d.schedule.durationDays,
    recurrence: d.schedule.recurrence as Recurrence,
    end: d.schedule.end as EndRule,
    endDate: d.schedule.endDate ?? "",
    endCount: d.schedule.endCount ?? 4,
    justificationOnApprove: d.settings.justificationOnApprove,
    justificationOnDeny: d.settings.justificationOnDeny,
    recommendations: d.settings.recommendations,
    lookBackDays: d.settings.lookBackDays,
    noResponse: d.settings.noResponse as NoResponse,
    autoApply: d.settings.autoApply,
    remediationDeadlineDays: d.settings.remediationDeadlineDays,
    convertEligibleDays: d.settings.convertEligibleDays,
    delivery: d.settings.delivery,
    secondStage: (d.stages[0]?.reviewers as SecondStage | undefined) ?? "none",
    secondStageTakes: (d.stages[0]?.takes as Takes | undefined) ?? "dontKnow",
    secondStageDays: d.stages[0]?.durationDays ?? 4,
  };
}

export interface Estimate {
  items: number;
  roles: number;
}

/**
 * Items in scope from the last pull's role counts: surfaces, roles and kinds apply; principal
 * types and exclusions cannot be told from counts, so this is an upper bound.
 */
export function estimatePopulation(roles: readonly RoleCountDto[], form: WizardForm): Estimate {
  let items = 0;
  let held = 0;
  const chosen = new Set(form.roleIds);
  for (const r of roles) {
    if (!form.surfaces.includes(r.surface)) continue;
    if (!form.allRoles && !chosen.has(r.roleId)) continue;
    const n = (form.kinds !== "active" ? r.eligible : 0) + (form.kinds !== "eligible" ? r.active : 0);
    items += n;
    if (n > 0) held += 1;
  }
  return { items, roles: held };
}

/** Whether every principal type is in scope (so the estimate is exact but for exclusions). */
export function allPrincipalTypes(form: WizardForm): boolean {
  return form.users && form.guests && form.groups && form.servicePrincipals;
}

/** Removing on no response and applying it automatically can strip access nobody looked at. */
export function autoApplyRisk(form: WizardForm): boolean {
  return form.autoApply && form.noResponse === "remove";
}

/**
 * Entra Access Reviews ask each holder's manager in one stage and carry directory roles only:
 * what of the form would not be published as it says (empty when it fits).
 */
export function entraDeliveryConflicts(form: WizardForm): string[] {
  if (form.delivery !== "entraAccessReviews") return [];
  const out: string[] = [];
  if (form.reviewerSource !== "manager") out.push("Entra Access Reviews ask each holder's manager: choose manager reviewers.");
  if (form.secondStage !== "none") out.push("Entra Access Reviews are published as one stage: remove the second stage.");
  if (!form.surfaces.includes("directoryRole")) out.push("Only Entra directory roles are published to Entra Access Reviews.");
  return out;
}

/** Which wizard section a backend field path belongs to, for jumping to the first problem. */
export function sectionOf(field: string): "basics" | "scope" | "reviewers" | "schedule" | "settings" {
  if (field.startsWith("scope.")) return "scope";
  // Where reviewers decide is chosen beside who they are.
  if (field.startsWith("reviewers.") || field.startsWith("stages") || field === "settings.delivery") return "reviewers";
  if (field.startsWith("schedule.")) return "schedule";
  if (field.startsWith("settings.")) return "settings";
  return "basics";
}

/** Time zone names for the picker, with the given one first present. */
export function timeZones(current: string): string[] {
  let zones: string[];
  try {
    const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
    zones = intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    zones = [];
  }
  if (!zones.includes("UTC")) zones = ["UTC", ...zones];
  if (current && !zones.includes(current)) zones = [current, ...zones];
  return zones;
}

/**
 * The definition with everything but its schedule made minimal and valid, so the backend can
 * preview the windows while other sections are still being filled in. Never saved.
 */
export function scheduleOnly(d: DefinitionDto): DefinitionDto {
  const preview = { id: "preview", upn: "preview", displayName: "preview" };
  return {
    ...d,
    name: "preview",
    scope: { ...d.scope, surfaces: ["directoryRole"], roleIds: [], principalTypes: { users: true, guests: true, groups: true, servicePrincipals: true } },
    reviewers: { source: "manager", named: [], fallback: [preview], rule: "firstDecides" },
    settings: { ...d.settings, lookBackDays: 90, remediationDeadlineDays: 14, convertEligibleDays: 180, delivery: "inRecert" },
    stages: [],
  };
}
