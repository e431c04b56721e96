// Remediation helpers: what the plan asks of the user next, the by-name confirmation of a held
// removal, what can be done about a removal that was not made, and the words for what an action
// changes (a removal, a conversion to eligible, a new end date) and how far it got.
import type { ActionState, ChangeDto, HeldItemDto, RemediationActionDto, RemediationPlanDto, Verification } from "../../ipc";
import { plural } from "../../lib/format";

export type Step = "confirm" | "apply" | "verify" | "resolve" | "done";

/** The next thing to do with the plan. */
export function nextStep(plan: RemediationPlanDto): Step {
  const c = plan.counts;
  if (c.awaitingConfirmation > 0) return "confirm";
  if (c.planned + c.submitted > 0) return "apply";
  const verified = c.verifiedRemoved + c.verifiedChanged + c.notChanged + c.stillPresent + c.reappeared;
  if (c.succeeded > verified || c.stillPresent > 0 || c.reappeared > 0 || c.notChanged > 0) return "verify";
  if (c.exceptions > 0) return "resolve";
  return "done";
}

/** A removal that was not made can be aimed at the live assignment only when it drifted from it. */
export function canReplan(action: Pick<RemediationActionDto, "stateCode">): boolean {
  return action.stateCode === "drift";
}

/** A held removal is confirmed by typing the holder's name (or UPN) exactly, ignoring case and spaces around. */
export function nameMatches(held: Pick<HeldItemDto, "principalName" | "principalUpn">, typed: string): boolean {
  const t = typed.trim().toLowerCase();
  if (!t) return false;
  return t === held.principalName.trim().toLowerCase() || (!!held.principalUpn && t === held.principalUpn.toLowerCase());
}

// Keyed by the backend's enums: a value it adds fails the typecheck here until it has words.
const STATES: Record<ActionState, string> = {
  planned: "Planned",
  submitted: "Submitted",
  succeeded: "Removed",
  failed: "Failed",
  skipped: "Skipped",
};

const DONE: Record<ChangeDto, string> = { remove: "Removed", convert: "Converted", setEnd: "End date set" };

/** How far an action got, in words; a finished one says what it did. */
export function actionState(state: ActionState, change: ChangeDto = "remove"): string {
  return state === "succeeded" ? DONE[change] : STATES[state];
}

const NOUNS: Record<ChangeDto, [string, string]> = {
  remove: ["removal", "removals"],
  convert: ["conversion", "conversions"],
  setEnd: ["end date change", "end date changes"],
};

/** The actions still to apply, counted by what they change: "1 conversion", "2 removals, 1 end
 *  date change". */
export function pendingChanges(actions: Pick<RemediationActionDto, "state" | "change">[]): string {
  const counts: Record<ChangeDto, number> = { remove: 0, convert: 0, setEnd: 0 };
  for (const a of actions) if (a.state === "planned" || a.state === "submitted") counts[a.change] += 1;
  const parts = (Object.keys(NOUNS) as ChangeDto[]).filter((c) => counts[c] > 0).map((c) => plural(counts[c], NOUNS[c][0], NOUNS[c][1]));
  return parts.length > 0 ? parts.join(", ") : plural(0, "change");
}

/** Whether every action still to apply is a removal (the dialog then speaks of removing access). */
export function onlyRemovals(actions: Pick<RemediationActionDto, "state" | "change">[]): boolean {
  return actions.every((a) => a.change === "remove" || !(a.state === "planned" || a.state === "submitted"));
}

const ELIGIBILITY: Record<string, string> = {
  planned: "Eligibility not made yet",
  submitted: "Eligibility asked for, not verified yet",
  verified: "Eligibility made and verified; the active assignment goes next",
};

/** How far a conversion's first step (the eligibility) got. */
export function eligibilityLabel(step: string): string {
  return ELIGIBILITY[step] ?? step;
}

const VERIFICATION: Record<Verification, string> = {
  "verified-removed": "Verified removed",
  "still-present": "Still present",
  reappeared: "Reappeared",
  "verified-changed": "Verified changed as asked",
  "not-changed": "Not changed as asked",
};

export function verificationLabel(v: Verification | null): string {
  return v ? VERIFICATION[v] : "Not verified";
}
