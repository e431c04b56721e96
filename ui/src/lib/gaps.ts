// What a pull could not read, for the population view and the campaign open flow.
import type { PullGapDto } from "../ipc";

const AREAS: Record<PullGapDto["area"], string> = {
  directoryRole: "Entra roles",
  pimGroup: "PIM groups",
  azureRole: "Azure roles",
  activationHistory: "Activation history",
  signInActivity: "Last sign-in",
};

const REASONS: Record<PullGapDto["reason"], string> = {
  forbidden: "access denied",
  notFound: "deleted since it was listed",
  notConsented: "no consent for the API",
  notLicensed: "not licensed",
  partialScope: "readable only below the subscription",
  notGovernable: "not governable by PIM",
};

export const areaLabel = (area: PullGapDto["area"]): string => AREAS[area] ?? area;
export const reasonLabel = (reason: PullGapDto["reason"]): string => REASONS[reason] ?? reason;

/** What was not read, named by the object when there is one, else the whole area. */
export function gapObject(gap: PullGapDto): string {
  if (gap.objectName && gap.objectId && gap.objectName !== gap.objectId) return `${gap.objectName} (${gap.objectId})`;
  return gap.objectName ?? gap.objectId ?? "all of it";
}

/** Gaps grouped by area, in the order the areas are listed above; objects keep the pull's order. */
export function byArea(gaps: readonly PullGapDto[]): { area: PullGapDto["area"]; label: string; gaps: PullGapDto[] }[] {
  return (Object.keys(AREAS) as PullGapDto["area"][])
    .map((area) => ({ area, label: AREAS[area], gaps: gaps.filter((g) => g.area === area) }))
    .filter((group) => group.gaps.length > 0);
}

/** An acceptance needs a reason that is not blank (the backend refuses one that is). */
export const acceptable = (reason: string): boolean => reason.trim().length > 0;
