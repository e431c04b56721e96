// What changed since the previous campaign of the same definition, as the campaign page shows it:
// a count per kind in the order an auditor asks (access that came back first) and each kind's label.
import type { ChangeKindDto, PopulationChangeDto } from "../../ipc";

export const CHANGE_KINDS: ChangeKindDto[] = ["cameBack", "notRemoved", "new", "removed", "gone", "heldDifferently"];

export function changeLabel(kind: ChangeKindDto): string {
  switch (kind) {
    case "cameBack":
      return "Came back after removal";
    case "notRemoved":
      return "Removal not carried out";
    case "new":
      return "New holder";
    case "removed":
      return "Removed by the previous campaign";
    case "gone":
      return "No longer held";
    case "heldDifferently":
      return "Held differently";
  }
}

/** How many changes of each kind, every kind listed (zero included), in `CHANGE_KINDS` order. */
export function tallyChanges(changes: PopulationChangeDto[]): { kind: ChangeKindDto; count: number }[] {
  return CHANGE_KINDS.map((kind) => ({ kind, count: changes.filter((c) => c.kind === kind).length }));
}
