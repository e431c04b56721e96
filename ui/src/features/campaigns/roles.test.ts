// Unit tests of per-role progress counting.
import { describe, expect, it } from "vitest";
import type { RoleCountDto, Surface, WorklistQueryDto } from "../../ipc";
import { candidateRoles, pooled, roleProgress } from "./roles";

const role = (surface: Surface, roleId: string, eligible: number): RoleCountDto => ({ surface, roleId, displayName: roleId.toUpperCase(), eligible, active: 0 });

describe("candidateRoles", () => {
  it("keeps held roles on the definition's surfaces and listed roles", () => {
    const roles = [role("directoryRole", "a", 1), role("directoryRole", "b", 0), role("pimGroup", "c", 2)];
    expect(candidateRoles(roles, ["directoryRole"], []).map((r) => r.roleId)).toEqual(["a"]);
    expect(candidateRoles(roles, ["directoryRole", "pimGroup"], ["c"]).map((r) => r.roleId)).toEqual(["c"]);
  });
});

describe("roleProgress", () => {
  it("counts items and decided per role, most open first, dropping empty roles", async () => {
    const totals: Record<string, [number, number]> = { a: [10, 2], b: [4, 4], z: [0, 0] };
    const count = async (q: WorklistQueryDto) => {
      const [all, open] = totals[q.roleId!]!;
      return { items: [], total: q.decision === "undecided" ? open : all, offset: 0, roles: [] };
    };
    const rows = await roleProgress([role("directoryRole", "b", 1), role("directoryRole", "a", 1), role("directoryRole", "z", 1)], count);
    expect(rows).toEqual([
      { roleId: "b", roleName: "B", items: 4, decided: 0 },
      { roleId: "a", roleName: "A", items: 10, decided: 8 },
    ]);
  });
  it("runs a bounded number of calls at once and keeps the order", async () => {
    let running = 0;
    let peak = 0;
    const out = await pooled([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(peak).toBe(3);
  });
});
