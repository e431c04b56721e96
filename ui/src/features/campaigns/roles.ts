// Progress per role, counted through the worklist (one count per role and decision state), since
// the campaign detail carries progress per reviewer only.
import type { RoleCountDto, WorklistPageDto, WorklistQueryDto } from "../../ipc";

export interface RoleProgress {
  roleId: string;
  roleName: string;
  items: number;
  decided: number;
}

const BLANK: WorklistQueryDto = {
  reviewer: null, roleId: null, decision: null, recommendation: null, kind: null, membership: null,
  unrouted: false, search: null, groupBy: null, offset: 0, limit: 1,
};

/** The roles a definition can have items for, from the tenant's pulled roles. */
export function candidateRoles(roles: readonly RoleCountDto[], surfaces: readonly string[], roleIds: readonly string[]): RoleCountDto[] {
  const chosen = new Set(roleIds);
  return roles.filter((r) => surfaces.includes(r.surface) && (chosen.size === 0 || chosen.has(r.roleId)) && r.eligible + r.active > 0);
}

/** Runs `work` over `inputs` with at most `limit` at a time, keeping the order. */
export async function pooled<T, R>(inputs: readonly T[], limit: number, work: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(inputs.length);
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const i = next++;
      out[i] = await work(inputs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
  return out;
}

export async function roleProgress(
  roles: readonly RoleCountDto[],
  count: (q: WorklistQueryDto) => Promise<WorklistPageDto>,
): Promise<RoleProgress[]> {
  const rows = await pooled(roles, 6, async (r) => {
    const [all, open] = await Promise.all([
      count({ ...BLANK, roleId: r.roleId }),
      count({ ...BLANK, roleId: r.roleId, decision: "undecided" }),
    ]);
    return { roleId: r.roleId, roleName: r.displayName, items: all.total, decided: all.total - open.total };
  });
  return rows.filter((r) => r.items > 0).sort((a, b) => b.items - b.decided - (a.items - a.decided) || a.roleName.localeCompare(b.roleName));
}
