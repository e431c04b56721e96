// Deciding from the worklist: the decisions a reviewer can make (approve, deny, "don't know",
// convert to eligible, approve until a date), when a note or a date must be asked for, how a
// decision shows on the rows before the list reloads, and how the last action is undone: items
// that had no decision return to undecided, the others get their earlier decision again.
import type { IdentityDto, ItemDto, SettingsDto, Verdict, VerdictDto } from "../../ipc";
import { formatDay } from "../../lib/format";

type Rules = Pick<SettingsDto, "justificationOnApprove" | "justificationOnDeny">;

/** What a key or button asks for: a verdict, or "approve until" still without its date. */
export type Choice = VerdictDto;

/** The verdict's name, without the date of "approve until". */
export function verdictName(v: Verdict | string): VerdictDto | "undecided" {
  return v.split(":")[0] as VerdictDto | "undecided";
}

/** The verdict to send: "approve until" carries its date (YYYY-MM-DD). */
export function toVerdict(choice: Choice, until: string): Verdict {
  return choice === "approveUntil" ? `approveUntil:${until}` : choice;
}

export function needsJustification(settings: Rules, verdict: Choice): boolean {
  switch (verdict) {
    // The note goes with the item to whoever reviews it next.
    case "dontKnow": return true;
    case "deny": return settings.justificationOnDeny;
    default: return settings.justificationOnApprove;
  }
}

/** Whether to ask before deciding: for several items, a required reason, or a date to choose. */
export function needsDialog(settings: Rules, verdict: Choice, count: number): boolean {
  return count > 1 || needsJustification(settings, verdict) || verdict === "approveUntil";
}

/** Which decisions fit an item: convert only a standing active assignment of a person or group. */
export function fits(item: Pick<ItemDto, "kind" | "principalType" | "membership"> | undefined, verdict: Choice): boolean {
  if (verdict !== "convertToEligible") return true;
  return !item || (item.kind === "active" && item.principalType !== "servicePrincipal");
}

const LABELS: Record<VerdictDto, string> = {
  approve: "Approved",
  deny: "Denied",
  dontKnow: "Don't know",
  convertToEligible: "Convert to eligible",
  approveUntil: "Approved until",
};

/** The decision as a row or the detail pane shows it ("undecided" in the log: taken back). */
export function decisionLabel(decision: VerdictDto | "undecided" | null, until: string | null): string {
  if (!decision || decision === "undecided") return decision ? "Back to undecided" : "Undecided";
  return decision === "approveUntil" && until ? `Until ${formatDay(until)}` : LABELS[decision];
}

/** The badge's colour class: kept in some form, removed, or passed on. */
export function badgeClass(decision: VerdictDto | "undecided" | null): string {
  switch (decision) {
    case "undecided": return "";
    case "deny": return "deny";
    case "dontKnow": return "warn";
    case null: return "";
    default: return "approve";
  }
}

/** A recommendation's badge: a verdict to accept, or standing access for a person to review. */
export function recommendationBadge(recommendation: string): { label: string; cls: string } {
  switch (recommendation) {
    case "approve": return { label: "Approve", cls: "approve" };
    case "deny": return { label: "Deny", cls: "deny" };
    default: return { label: "Review", cls: "warn" };
  }
}

/** The verb of a confirmation. */
export function verb(choice: Choice): string {
  return { approve: "Approve", deny: "Deny", dontKnow: "Don't know", convertToEligible: "Convert", approveUntil: "Approve until" }[choice];
}

/** What the decision does, in one sentence. */
export function consequence(choice: Choice): string {
  switch (choice) {
    case "approve": return "They keep their access";
    case "deny": return "Their access is removed after the campaign closes";
    case "dontKnow": return "The item goes to the next stage, or to the fallback reviewer, with your note";
    case "convertToEligible": return "Their standing active assignment becomes an eligible one: they activate it when they need it";
    case "approveUntil": return "They keep their access until the date you choose; the tenant ends it then";
  }
}

/** What the toast says once decisions are recorded: "Approved 3 items.", "Convert to eligible: 1 item." */
export function toastFor(verdict: Verdict, n: number): string {
  const items = `${n} item${n === 1 ? "" : "s"}`;
  const name = verdictName(verdict);
  if (name === "approve" || name === "deny") return `${LABELS[name]} ${items}.`;
  return `${decisionLabel(name, verdict.split(":")[1] ?? null)}: ${items}.`;
}

/** The row as it looks once the decision is recorded. */
export function applied(item: ItemDto, verdict: Verdict | null, by: IdentityDto, at: string): ItemDto {
  if (verdict === null) return { ...item, decision: null, decisionUntil: null, decidedBy: null, decidedAt: null };
  const [name, until] = verdict.split(":");
  return { ...item, decision: name as VerdictDto, decisionUntil: until ?? null, decidedBy: by.upn, decidedAt: at };
}

/** The decision an item holds, as it would be sent again. */
export function held(item: Pick<ItemDto, "decision" | "decisionUntil"> | undefined): Verdict | null {
  if (!item?.decision) return null;
  return item.decision === "approveUntil" ? `approveUntil:${item.decisionUntil ?? ""}` : item.decision;
}

/** The last thing done to the list: each item with the decision it had before and has now
 *  (`null`: undecided). A decision, a bulk decision, accepted recommendations or a return to
 *  undecided. */
export interface LastAction {
  items: { id: number; before: Verdict | null; now: Verdict | null }[];
}

export const UNDO_JUSTIFICATION = "Undo: restored the previous decision";

/** One step of an undo: re-decide these items, or (`verdict` null) return them to undecided. */
export interface UndoStep {
  verdict: Verdict | null;
  ids: number[];
}

/**
 * The steps that restore the state before `last`: items that had no decision go back to
 * undecided (the decision is taken back, audited), the others get their earlier decision again.
 * Items the action did not change need nothing.
 */
export function undoPlan(last: LastAction): UndoStep[] {
  const groups = new Map<Verdict | null, number[]>();
  for (const i of last.items) {
    if (i.before === i.now) continue;
    groups.set(i.before, [...(groups.get(i.before) ?? []), i.id]);
  }
  // Taking decisions back first: it never needs a justification dialog.
  return [...groups].map(([verdict, ids]) => ({ verdict, ids })).sort((a, b) => (a.verdict === null ? -1 : b.verdict === null ? 1 : 0));
}

/** What the toast says once an undo is done; short enough for the legend line. */
export function undoneToast(steps: UndoStep[]): string {
  const n = steps.reduce((sum, s) => sum + s.ids.length, 0);
  const back = steps.filter((s) => s.verdict === null).reduce((sum, s) => sum + s.ids.length, 0);
  const items = `${n} item${n === 1 ? "" : "s"}`;
  if (n === 0) return "Nothing to undo.";
  if (back === n) return `Undone: ${items} undecided again.`;
  return `Undone: ${items} as before.`;
}

/** What the toast says after items are returned to undecided. */
export function undecidedToast(n: number): string {
  return `${n} item${n === 1 ? "" : "s"} undecided again.`;
}

/** Tomorrow, as the earliest end "approve until" accepts (YYYY-MM-DD, local). */
export function tomorrow(now: Date = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The note after a reviewer picks a canned justification: the canned sentence, then whatever
    they had written themselves (a note that is only an earlier pick is replaced, not kept). The
    same joining as the backend's for the CLI, so a picked note reads the same from either. */
export function withPreset(note: string, preset: string, presets: readonly string[]): string {
  const own = presets.reduce((rest, p) => (rest.startsWith(p) ? rest.slice(p.length) : rest), note.trim()).replace(/^[.\s]+/, "");
  if (!own) return preset;
  return /[.!?]$/.test(preset) ? `${preset} ${own}` : `${preset}. ${own}`;
}
