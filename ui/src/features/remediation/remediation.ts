// Remediation helpers: what the plan asks of the user next, and the by-name confirmation of a
// held removal.
import type { HeldItemDto, RemediationPlanDto } from "../../ipc";

export type Step = "confirm" | "apply" | "verify" | "done";

/** The next thing to do with the plan. */
export function nextStep(plan: RemediationPlanDto): Step {
  const c = plan.counts;
  if (c.awaitingConfirmation > 0) return "confirm";
  if (c.planned > 0 || c.failed > 0) return "apply";
  if (c.succeeded > c.verifiedRemoved + c.stillPresent + c.reappeared || c.stillPresent > 0 || c.reappeared > 0) return "verify";
  return "done";
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
