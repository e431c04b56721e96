// Unit tests of the wizard form: defaults, DTO mapping both ways, estimates and warnings.
import { describe, expect, it } from "vitest";
import type { RoleCountDto, Surface } from "../../ipc";
import {
  autoApplyRisk,
  defaultForm,
  entraDeliveryConflicts,
  estimatePopulation,
  fromDefinition,
  nextQuarterStart,
  parseList,
  scheduleOnly,
  sectionOf,
  toDefinition,
} from "./form";

describe("nextQuarterStart", () => {
  it("starts on the first day of the next quarter at 09:00", () => {
    expect(nextQuarterStart(new Date(2026, 1, 10))).toBe("2026-04-01T09:00");
    expect(nextQuarterStart(new Date(2026, 10, 22))).toBe("2027-01-01T09:00");
    expect(nextQuarterStart(new Date(2026, 8, 30))).toBe("2026-10-01T09:00");
  });
});

describe("toDefinition / fromDefinition", () => {
  it("round-trips every setting", () => {
    const form = {
      ...defaultForm(new Date(2026, 0, 5), "Europe/Berlin"),
      name: "  Quarterly PIM review ",
      surfaces: ["directoryRole", "pimGroup"],
      allRoles: false,
      roleIds: ["r1", "r2"],
      kinds: "eligible" as const,
      guests: false,
      exclusions: "breakglass1@contoso.com\n breakglass2@contoso.com, breakglass1@contoso.com",
      pimGroups: "0f8fad5b-d9cb-469f-a165-70867728950e\n",
      reviewerSource: "named" as const,
      named: [{ id: "n1", upn: "n@c", displayName: "N" }],
      fallback: [{ id: "f1", upn: "f@c", displayName: "F" }],
      rule: "allMustApprove" as const,
      end: "afterCount" as const,
      endCount: 6,
      noResponse: "remove" as const,
      autoApply: true,
    };
    const dto = toDefinition(form, "demo");
    expect(dto.name).toBe("Quarterly PIM review");
    expect(dto.tenantId).toBe("demo");
    expect(dto.scope.exclusions).toEqual(["breakglass1@contoso.com", "breakglass2@contoso.com"]);
    expect(dto.scope.principalTypes).toEqual({ users: true, guests: false, groups: true, servicePrincipals: true });
    expect(dto.scope.pimGroups).toEqual(["0f8fad5b-d9cb-469f-a165-70867728950e"]);
    expect(dto.schedule).toMatchObject({ timeZone: "Europe/Berlin", recurrence: "quarterly", end: "afterCount", endCount: 6, endDate: null });
    const back = fromDefinition(dto);
    expect(toDefinition(back, "demo")).toEqual(dto);
  });
  it("sends no role ids for all roles and no named reviewers unless the source is named", () => {
    const form = { ...defaultForm(new Date(), "UTC"), roleIds: ["r1"], named: [{ id: "x", upn: "x", displayName: "" }] };
    const dto = toDefinition(form, "demo");
    expect(dto.scope.roleIds).toEqual([]);
    expect(dto.reviewers.named).toEqual([]);
  });
  it("names groups for PIM for Groups only when that surface is in scope", () => {
    const form = { ...defaultForm(new Date(), "UTC"), pimGroups: "0f8fad5b-d9cb-469f-a165-70867728950e" };
    expect(toDefinition(form, "demo").scope.pimGroups).toEqual([]);
  });
});

describe("parseList", () => {
  it("splits on lines, commas and semicolons and drops duplicates", () => {
    expect(parseList("a\nb, c; A\n\n")).toEqual(["a", "b", "c"]);
  });
});

const role = (surface: Surface, roleId: string, eligible: number, active: number): RoleCountDto => ({
  surface, roleId, displayName: roleId, eligible, active,
});

describe("estimatePopulation", () => {
  const roles = [role("directoryRole", "ga", 3, 2), role("directoryRole", "ur", 0, 0), role("pimGroup", "g1", 4, 1)];
  it("counts the surfaces, roles and kinds in scope", () => {
    const form = defaultForm(new Date(), "UTC");
    expect(estimatePopulation(roles, form)).toEqual({ items: 5, roles: 1 });
    expect(estimatePopulation(roles, { ...form, surfaces: ["directoryRole", "pimGroup"], kinds: "eligible" })).toEqual({ items: 7, roles: 2 });
    expect(estimatePopulation(roles, { ...form, allRoles: false, roleIds: ["ur"] })).toEqual({ items: 0, roles: 0 });
  });
});

describe("warnings and sections", () => {
  it("flags auto-apply combined with removal on no response", () => {
    const form = defaultForm(new Date(), "UTC");
    expect(autoApplyRisk({ ...form, autoApply: true, noResponse: "remove" })).toBe(true);
    expect(autoApplyRisk({ ...form, autoApply: true, noResponse: "keep" })).toBe(false);
  });
  it("maps backend field paths to sections", () => {
    expect(sectionOf("schedule.durationDays")).toBe("schedule");
    expect(sectionOf("reviewers.fallback")).toBe("reviewers");
    expect(sectionOf("name")).toBe("basics");
    expect(sectionOf("settings.delivery")).toBe("reviewers");
  });
  it("keeps the delivery and says what Entra Access Reviews cannot publish as the form says", () => {
    const form = { ...defaultForm(new Date(), "UTC"), delivery: "entraAccessReviews" as const };
    expect(toDefinition(form, "demo").settings.delivery).toBe("entraAccessReviews");
    expect(fromDefinition(toDefinition(form, "demo")).delivery).toBe("entraAccessReviews");
    expect(defaultForm(new Date(), "UTC").delivery).toBe("inRecert");
    expect(entraDeliveryConflicts(form)).toEqual([]);
    expect(entraDeliveryConflicts({ ...form, reviewerSource: "named", secondStage: "manager" })).toHaveLength(2);
    expect(entraDeliveryConflicts({ ...form, delivery: "inRecert", reviewerSource: "self" })).toEqual([]);
  });
});

describe("scheduleOnly", () => {
  it("keeps the schedule and makes the rest minimal and valid", () => {
    const dto = toDefinition({ ...defaultForm(new Date(2026, 0, 1), "Europe/Berlin"), durationDays: 21 }, "demo");
    const preview = scheduleOnly(dto);
    expect(preview.schedule).toEqual(dto.schedule);
    expect(preview.reviewers.fallback).toHaveLength(1);
    expect(preview.name).not.toBe("");
  });
});
