// The window's shared state: where the user is (the route), the connected tenant, and who acts on
// it as the backend says (the person signed in, or the demo tenant's "act as" choice) with what
// they may do. Views read it directly; only the functions here change it. The backend decides who
// acts: nothing here is ever sent as an identity.
import { ipc, toAppError, type ActingDto, type AppError, type IdentityDto, type TenantDto } from "../ipc";

export type Route =
  | { name: "audit"; campaignId: string | null }
  | { name: "dashboard" }
  | { name: "campaigns" }
  | { name: "campaign"; id: string }
  | { name: "remediation"; id: string }
  | { name: "evidence"; id: string }
  | { name: "wizard" }
  | { name: "worklist"; campaignId: string; mine: boolean }
  | { name: "reviews" }
  | { name: "population" }
  | { name: "settings" }
  | { name: "tenants" };

export const session = $state({
  route: { name: "dashboard" } as Route,
  tenant: null as TenantDto | null,
  tenantError: null as AppError | null,
  /** The person acting on the tenant, as the backend reports it. */
  identity: null as IdentityDto | null,
  /** Whether `identity` signed in (rather than being picked with "Act as" on the demo tenant). */
  signedIn: false,
  /** Whether the person acting is one of the tenant's governance admins. */
  admin: false,
  /** Whether the tenant has any governance admin (without one, the first bootstraps). */
  adminsExist: true,
  /** Whether the sign-in dialog is open (any view may ask for it). */
  signingIn: false,
  /** Bumped after any change to campaigns, so open views reload. */
  revision: 0,
  /** Whether the "Act as" picker is open (any view may ask for it). */
  picking: false,
});

export function navigate(route: Route): void {
  session.route = route;
}

/** Takes in who acts, as the backend answered. */
export function applyActing(acting: ActingDto): void {
  session.identity = acting.person;
  session.signedIn = acting.signedIn;
  session.admin = acting.role === "governanceAdmin";
  session.adminsExist = acting.adminsExist;
}

/** Where the window remembers the tenant it last worked on (this machine only). */
const LAST_TENANT = "recert.tenant";

/**
 * Opens the window on the tenant it last worked on while the backend still knows it, else on the
 * demo tenant. The demo tenant is started only when something uses it, so a window that opens on
 * a real tenant never starts it.
 */
export async function openLastTenant(storage: Pick<Storage, "getItem"> = localStorage): Promise<void> {
  const last = storage.getItem(LAST_TENANT);
  if (last && last !== "demo") {
    const known = await ipc.tenants().then(
      (items) => items.find((item) => item.tenant.id === last && !item.tenant.isDemo),
      () => undefined,
    );
    if (known) {
      await useTenant(known.tenant).catch((err: unknown) => (session.tenantError = toAppError(err)));
      return;
    }
  }
  await connectDemo();
}

/** The demo tenant, which the shell starts on this first use. */
export async function connectDemo(): Promise<void> {
  session.tenantError = null;
  try {
    const tenant = await ipc.demoTenant();
    if (session.tenant?.id !== tenant.id) await useTenant(tenant);
  } catch (err) {
    session.tenantError = toAppError(err);
  }
}

function currentTenant(): TenantDto {
  if (!session.tenant) throw toAppError({ code: "tenantNotFound", message: "no tenant is connected yet" });
  return session.tenant;
}

/** Act as a demo tenant user (no sign-in); refused for real tenants. */
export async function actAs(upn: string): Promise<IdentityDto | null> {
  applyActing(await ipc.actAs(currentTenant().id, upn.trim()));
  changed();
  return session.identity;
}

/** Stops acting as the chosen demo user. */
export async function stopActing(): Promise<void> {
  applyActing(await ipc.stopActing(currentTenant().id));
  changed();
}

/** Signs a person in to the window's tenant; they act on it from now on. */
export async function signIn(loginHint: string | null): Promise<IdentityDto | null> {
  applyActing(await ipc.signIn(currentTenant().id, loginHint));
  changed();
  return session.identity;
}

/** Signs the person out of the window's tenant (their tokens are forgotten); nobody acts. */
export async function signOut(): Promise<void> {
  applyActing(await ipc.signOut(currentTenant().id));
  changed();
}

/** Asks the backend again who acts (after an admin change, for instance). */
export async function refreshActing(): Promise<void> {
  if (session.tenant) applyActing(await ipc.acting(session.tenant.id));
}

/** Makes `tenant` the one the window works on; an "act as" choice on the previous one ends. */
export async function useTenant(tenant: TenantDto): Promise<void> {
  session.tenant = tenant;
  session.tenantError = null;
  try {
    localStorage.setItem(LAST_TENANT, tenant.id);
  } catch {
    // A webview without storage opens on the demo tenant next time; nothing else depends on it.
  }
  applyActing(await ipc.useTenant(tenant.id));
  changed();
}

export function changed(): void {
  session.revision += 1;
}
