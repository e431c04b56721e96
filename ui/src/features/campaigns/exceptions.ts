// The exceptions register as the campaign page shows it: expired exceptions first (they come
// back for review), then those without terms, then current ones; each standing in words.
import type { ExceptionDto } from "../../ipc";

const ORDER: Record<string, number> = { expired: 0, "no terms": 1, current: 2 };

/** The register in the order a reader needs it, stable within each standing. */
export function sortRegister(rows: readonly ExceptionDto[]): ExceptionDto[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => (ORDER[a.row.standing] ?? 3) - (ORDER[b.row.standing] ?? 3) || a.i - b.i)
    .map(({ row }) => row);
}

/** What a standing means for the reader. */
export function standingLabel(standing: string): string {
  switch (standing) {
    case "expired":
      return "Expired: back for review in the next campaign";
    case "no terms":
      return "No terms recorded: never expires";
    case "current":
      return "Current";
    default:
      return standing;
  }
}

/** How many exceptions have each standing, for the register's heading. */
export function tallyStanding(rows: readonly ExceptionDto[]): { expired: number; noTerms: number; current: number } {
  return {
    expired: rows.filter((r) => r.standing === "expired").length,
    noTerms: rows.filter((r) => r.standing === "no terms").length,
    current: rows.filter((r) => r.standing === "current").length,
  };
}
