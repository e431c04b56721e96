// The only module that talks to the Rust backend. Each command has one typed wrapper here, with
// its types generated from the Rust DTOs (./bindings), so the two sides cannot drift apart.
import { invoke } from "@tauri-apps/api/core";
import type { AppError } from "./bindings/AppError";
import type { PullDto } from "./bindings/PullDto";
import type { RoleSummaryDto } from "./bindings/RoleSummaryDto";
import type { TenantDto } from "./bindings/TenantDto";

export type { AppError, PullDto, RoleSummaryDto, TenantDto };
export type { ErrorCode } from "./bindings/ErrorCode";
export type { RoleCountDto } from "./bindings/RoleCountDto";

/** Invokes a command; a rejection is always an AppError, whatever the backend threw. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toAppError(err);
  }
}

export function toAppError(err: unknown): AppError {
  if (typeof err === "object" && err !== null && "code" in err && "message" in err) {
    return err as AppError;
  }
  return { code: "invalid", message: String(err) };
}

export const ipc = {
  demoTenant: () => call<TenantDto>("demo_tenant"),
  tenantPull: (tenantId: string) => call<PullDto>("tenant_pull", { tenantId }),
  roleSummary: (tenantId: string) => call<RoleSummaryDto>("role_summary", { tenantId }),
};
