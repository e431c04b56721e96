// Deciding from the worklist: when a justification is required, how a decision shows on the rows
// before the list reloads, and how the last decision is undone by re-deciding.
import type { IdentityDto, ItemDto, SettingsDto, Verdict } from "../../ipc";

export function needsJustification(settings: Pick<SettingsDto, "justificationOnApprove" | "justificationOnDeny">, verdict: Verdict): boolean {
  return verdict === "approve" ? settings.justificationOnApprove : settings.justificationOnDeny;
}

/** Whether to ask before deciding: always for several items, and whenever a reason is required. */
export function needsDialog(settings: Pick<SettingsDto, "justificationOnApprove" | "justificationOnDeny">, verdict: Verdict, count: number): boolean {
  return count > 1 || needsJustification(settings, verdict);
}

/** The row as it looks once the decision is recorded. */
export function applied(item: ItemDto, verdict: Verdict, by: IdentityDto, at: string): ItemDto {
  return { ...item, decision: verdict, decidedBy: by.upn, decidedAt: at };
}

export interface LastAction {
  verdict: Verdict;
  /** Each item with the decision it had before. */
  before: { id: number; decision: string | null }[];
}

export const UNDO_JUSTIFICATION = "Undo: restored the previous decision";

/**
 * The re-decisions that restore the state before `last`, grouped by verdict; null when an item
 * had no decision before (a decision cannot be withdrawn, only changed).
 */
export function undoPlan(last: LastAction): { verdict: Verdict; ids: number[] }[] | null {
  const groups = new Map<Verdict, number[]>();
  for (const b of last.before) {
    if (b.decision !== "approve" && b.decision !== "deny") return null;
    if (b.decision === last.verdict) continue;
    groups.set(b.decision, [...(groups.get(b.decision) ?? []), b.id]);
  }
  return [...groups].map(([verdict, ids]) => ({ verdict, ids }));
}
