// What the sign-off panel says about a binder's version and who signed it, worked out from the
// backend's status alone: pure, so its wording is tested without a window.
import type { SignOffCapacityDto, SignOffDto, SignOffStatusDto } from "../../ipc";

export const capacityLabel: Record<SignOffCapacityDto, string> = {
  campaignOwner: "Campaign owner",
  compliance: "Compliance",
};

/** One line on the binder's version and what it still lacks. */
export function versionLine(status: SignOffStatusDto): string {
  const missing = status.missing.map((c) => capacityLabel[c].toLowerCase());
  if (!status.signable) return `Version ${status.version}: signed off once the campaign is closed`;
  if (missing.length === 0) return `Version ${status.version} is signed off`;
  return `Version ${status.version} still needs: ${missing.join(" and ")}`;
}

/** The sign-offs of the current version, then older ones marked as superseded. */
export function signOffRows(status: SignOffStatusDto): { row: SignOffDto; superseded: boolean }[] {
  return [...status.signOffs]
    .sort((a, b) => b.version - a.version)
    .map((row) => ({ row, superseded: row.version !== status.version }));
}

/** Whether a refusal asks for a fresh sign-in (then the window opens the sign-in dialog). */
export function needsFreshSignIn(code: string): boolean {
  return code === "freshSignInRequired";
}
