// Deciding from the worklist: the decisions a reviewer can make (approve, deny, "don't know",
// convert to eligible, approve until a date), when a note or a date must be asked for, how a
// decision shows on the rows before the list reloads, and how the last decision is undone by
// re-deciding.
import type { IdentityDto, ItemDto, SettingsDto, Verdict, VerdictDto } from "../../ipc";
import { formatDay } from "../../lib/format";

type Rules = Pick<SettingsDto, "justificationOnApprove" | "justificationOnDeny">;

/** What a key or button asks for: a verdict, or "approve until" still without its date. */
export type Choice = VerdictDto;

/** The verdict's name, without the date of "approve until". */
export function verdictName(v: Verdict | string): VerdictDto {
  return v.split(":")[0] as VerdictDto;
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

/** The decision as a row or the detail pane shows it. */
export function decisionLabel(decision: VerdictDto | null, until: string | null): string {
  if (!decision) return "Undecided";
  return decision === "approveUntil" && until ? `Until ${formatDay(until)}` : LABELS[decision];
}

/** The badge's colour class: kept in some form, removed, or passed on. */
export function badgeClass(decision: VerdictDto | null): string {
  switch (decision) {
    case "deny": return "deny";
    case "dontKnow": return "warn";
    case null: return "";
    default: return "approve";
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
export function applied(item: ItemDto, verdict: Verdict, by: IdentityDto, at: string): ItemDto {
  const [name, until] = verdict.split(":");
  return { ...item, decision: name as VerdictDto, decisionUntil: until ?? null, decidedBy: by.upn, decidedAt: at };
}

/** The decision an item holds, as it would be sent again. */
export function held(item: Pick<ItemDto, "decision" | "decisionUntil"> | undefined): Verdict | null {
  if (!item?.decision) return null;
  return item.decision === "approveUntil" ? `approveUntil:${item.decisionUntil ?? ""}` : item.decision;
}

export interface LastAction {
  verdict: Verdict;
  /** Each item with the decision it had before. */
  before: { id: number; decision: Verdict | null }[];
}

export const UNDO_JUSTIFICATION = "Undo: restored the previous decision";

/**
 * The re-decisions that restore the state before `last`, grouped by verdict; null when an item
 * had no decision before (a decision cannot be withdrawn, only changed).
 */
export function undoPlan(last: LastAction): { verdict: Verdict; ids: number[] }[] | null {
  const groups = new Map<Verdict, number[]>();
  for (const b of last.before) {
    if (!b.decision) return null;
    if (b.decision === last.verdict) continue;
    groups.set(b.decision, [...(groups.get(b.decision) ?? []), b.id]);
  }
  return [...groups].map(([verdict, ids]) => ({ verdict, ids }));
}

/** Tomorrow, as the earliest end "approve until" accepts (YYYY-MM-DD, local). */
export function tomorrow(now: Date = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
