// Which tenant the window opens on, against a fake backend: the one it last worked on while the
// backend still knows it, without starting the demo tenant; else the demo tenant, started then.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ActingDto, TenantDto, TenantListItemDto } from "../ipc";

const backend = vi.hoisted(() => ({
  tenants: vi.fn(),
  demoTenant: vi.fn(),
  useTenant: vi.fn(),
}));

vi.mock("../ipc", async (importOriginal) => {
  const real = await importOriginal<typeof import("../ipc")>();
  return { ...real, ipc: backend };
});

import { openLastTenant, session } from "./session.svelte";

const demo: TenantDto = { id: "demo", name: "Contoso (demo)", tenantGuid: "g-demo", isDemo: true };
const fabrikam: TenantDto = { id: "fabrikam", name: "Fabrikam", tenantGuid: "g-fab", isDemo: false };

const item = (tenant: TenantDto): TenantListItemDto => ({
  tenant,
  settings: null,
  connected: true,
  problem: null,
  signedIn: null,
});

const nobody = (tenantId: string): ActingDto => ({
  tenantId,
  person: null,
  signedIn: false,
  authentication: {
    method: "unrecorded",
    authenticated: false,
    tenantId: null,
    objectId: null,
    at: null,
    importedBy: null,
    detail: "nobody is signed in",
  },
  role: "nobody",
  adminsExist: true,
});

const remembered = (id: string | null) => ({ getItem: () => id });

/** The window's tenant, read afresh (not narrowed by an assignment before an await). */
const current = (): TenantDto | null => session.tenant;

afterEach(() => {
  vi.clearAllMocks();
  session.tenant = null;
  localStorage.clear();
});

describe("openLastTenant", () => {
  it("opens on the real tenant last worked on and never starts the demo tenant", async () => {
    backend.tenants.mockResolvedValue([item(demo), item(fabrikam)]);
    backend.useTenant.mockResolvedValue(nobody("fabrikam"));
    await openLastTenant(remembered("fabrikam"));
    expect(current()?.id).toBe("fabrikam");
    expect(backend.demoTenant).not.toHaveBeenCalled();
  });

  it("starts the demo tenant when nothing was remembered, or the tenant is gone", async () => {
    backend.tenants.mockResolvedValue([item(demo)]);
    backend.demoTenant.mockResolvedValue(demo);
    backend.useTenant.mockResolvedValue(nobody("demo"));
    for (const last of [null, "demo", "fabrikam"]) {
      session.tenant = null;
      await openLastTenant(remembered(last));
      expect(current()?.id).toBe("demo");
    }
    expect(backend.demoTenant).toHaveBeenCalledTimes(3);
  });

  it("remembers the tenant the window switches to", async () => {
    backend.tenants.mockResolvedValue([item(fabrikam)]);
    backend.demoTenant.mockResolvedValue(demo);
    backend.useTenant.mockResolvedValue(nobody("demo"));
    await openLastTenant(remembered(null));
    expect(localStorage.getItem("recert.tenant")).toBe("demo");
  });
});
