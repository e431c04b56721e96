// The words every view uses for a campaign's unfinished removals and for where access lives: one
// label and one short explanation each, so the campaign page, the remediation screen, the dashboard
// and the binder say the same thing with the same counts (the backend counts them once:
// `recert_domain::tally`).
import type { TallyDto } from "../ipc/bindings/TallyDto";
import type { Surface } from "../ipc/bindings/Surface";
import type { DecisionSource } from "../ipc/bindings/DecisionSource";

export type TallyWord = keyof TallyDto;

export const TALLY_WORDS: Record<TallyWord, { label: string; hint: string }> = {
  exceptions: {
    label: "Exceptions",
    hint: "Access that stays although the review said remove, or that still waits: each item once, as the binder's exceptions register lists them.",
  },
  held: {
    label: "Held",
    hint: "Removals the safety rules held back (a critical role under its minimum, access through a group, a protected account) that nobody confirmed.",
  },
  kept: {
    label: "Kept",
    hint: "Held removals, or removals not made, whose access a named governance admin decided stays, with the reason.",
  },
  needsPerson: {
    label: "Needs a person",
    hint: "Held removals waiting for a governance admin to confirm or keep, and removals not made that nobody retried, re-planned or kept.",
  },
};

/** The order the four are shown in, everywhere. */
export const TALLY_ORDER: readonly TallyWord[] = ["exceptions", "held", "kept", "needsPerson"];

// Keyed by the backend's `Surface`: a surface it adds fails the typecheck here until the window
// has words for it.
const SURFACE_ONE: Record<Surface, string> = {
  directoryRole: "Entra role",
  pimGroup: "PIM group",
  azureRole: "Azure role",
};

const SURFACE_MANY: Record<Surface, string> = {
  directoryRole: "Entra roles",
  pimGroup: "PIM groups",
  azureRole: "Azure roles",
};

/** Where an assignment lives, in people's words ("Entra role"), never the enum's value. */
export function surfaceWord(surface: string, many = false): string {
  const words: Record<string, string> = many ? SURFACE_MANY : SURFACE_ONE;
  return words[surface] ?? "Other";
}

// Keyed by the backend's `DecisionSource`, so a new place to decide fails the typecheck here.
const DECISION_SOURCE: Record<DecisionSource, string> = {
  window: "in Recert",
  bulk: "in Recert, several at once",
  cli: "from Recert's command line",
  import: "imported from a CSV by an admin",
  recommendation: "recommendation accepted",
  entraAccessReviews: "in Entra Access Reviews",
};

/** Where a decision was made, in people's words. */
export function decisionSourceWord(source: DecisionSource): string {
  return DECISION_SOURCE[source];
}
