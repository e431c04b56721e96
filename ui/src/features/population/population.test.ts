// Unit tests of the population view helpers.
import { describe, expect, it } from "vitest";
import type { RoleCountDto } from "../../ipc";
import { filterRoles, formatLocal, totals } from "./population";

const role = (displayName: string, eligible: number, active: number): RoleCountDto => ({
  surface: "directoryRole",
  roleId: displayName,
  displayName,
  eligible,
  active,
});

const roles = [role("Global Administrator", 2, 3), role("Helpdesk Administrator", 0, 0), role("Sécurité Reader", 1, 0)];

describe("filterRoles", () => {
  it("matches every word, ignoring case and accents", () => {
    expect(filterRoles(roles, { query: "glob ADMIN", heldOnly: false }).map((r) => r.displayName)).toEqual([
      "Global Administrator",
    ]);
    expect(filterRoles(roles, { query: "securite", heldOnly: false })).toHaveLength(1);
  });

  it("hides roles nobody holds when asked", () => {
    expect(filterRoles(roles, { query: "", heldOnly: true }).map((r) => r.displayName)).toEqual([
      "Global Administrator",
      "Sécurité Reader",
    ]);
  });
});

describe("totals", () => {
  it("adds eligible and active and counts held roles", () => {
    expect(totals(roles)).toEqual({ eligible: 3, active: 3, held: 2 });
  });
});

describe("formatLocal", () => {
  it("leaves an unparseable time as it is", () => {
    expect(formatLocal("not a time")).toBe("not a time");
  });
  it("formats a valid time", () => {
    expect(formatLocal("2026-03-31T12:00:00Z", "en-GB")).toMatch(/2026/);
  });
});
