// Remediation helpers: what the plan asks of the user next, the by-name confirmation of a held
// removal, and what can be done about a removal that was not made.
import type { HeldItemDto, RemediationActionDto, RemediationPlanDto } from "../../ipc";

export type Step = "confirm" | "apply" | "verify" | "resolve" | "done";

/** The next thing to do with the plan. */
export function nextStep(plan: RemediationPlanDto): Step {
  const c = plan.counts;
  if (c.awaitingConfirmation > 0) return "confirm";
  if (c.planned + c.submitted > 0) return "apply";
  if (c.succeeded > c.verifiedRemoved + c.stillPresent + c.reappeared || c.stillPresent > 0 || c.reappeared > 0) return "verify";
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

const STATES: Record<string, string> = {
  planned: "Planned",
  submitted: "Submitted",
  succeeded: "Removed",
  failed: "Failed",
  skipped: "Skipped",
};

export function actionState(state: string): string {
  return STATES[state] ?? state;
}

const VERIFICATION: Record<string, string> = {
  "verified-removed": "Verified removed",
  "still-present": "Still present",
  reappeared: "Reappeared",
};

export function verificationLabel(v: string | null): string {
  return v ? (VERIFICATION[v] ?? v) : "Not verified";
}
