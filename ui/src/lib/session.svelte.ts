// The window's shared state: where the user is (the route), the connected tenant, and who they act
// as. Views read it directly; only the functions here change it.
import { ipc, toAppError, type AppError, type IdentityDto, type TenantDto } from "../ipc";

export type Route =
  | { name: "audit"; campaignId: string | null }
  | { name: "dashboard" }
  | { name: "campaigns" }
  | { name: "campaign"; id: string }
  | { name: "remediation"; id: string }
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
  identity: null as IdentityDto | null,
  /** Whether `identity` signed in (rather than being picked with "Act as" on the demo tenant). */
  signedIn: false,
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

/** The demo tenant (started by the shell at launch). */
export async function connectDemo(): Promise<void> {
  session.tenantError = null;
  try {
    session.tenant = await ipc.demoTenant();
  } catch (err) {
    session.tenantError = toAppError(err);
  }
}

/** Act as a demo tenant user (no sign-in); refused for real tenants. */
export async function actAs(upn: string): Promise<IdentityDto> {
  if (!session.tenant) throw toAppError({ code: "tenantNotFound", message: "no tenant is connected yet" });
  const identity = await ipc.demoIdentity(session.tenant.id, upn.trim());
  session.identity = identity;
  session.signedIn = false;
  return identity;
}

export function stopActing(): void {
  session.identity = null;
  session.signedIn = false;
}

/** Signs a person in to the window's tenant; decisions are then made as them. */
export async function signIn(loginHint: string | null): Promise<IdentityDto> {
  if (!session.tenant) throw toAppError({ code: "tenantNotFound", message: "no tenant is connected yet" });
  const identity = await ipc.signIn(session.tenant.id, loginHint);
  session.identity = identity;
  session.signedIn = true;
  return identity;
}

/** Signs the person out of the window's tenant (their tokens are forgotten). */
export async function signOut(): Promise<void> {
  if (session.tenant && session.signedIn) await ipc.signOut(session.tenant.id);
  stopActing();
}

/** Makes `tenant` the one the window works on; who was acting on the previous one is dropped. */
export async function useTenant(tenant: TenantDto): Promise<void> {
  session.tenant = tenant;
  session.tenantError = null;
  stopActing();
  const person = await ipc.signedIn(tenant.id).catch(() => null);
  if (person) {
    session.identity = person;
    session.signedIn = true;
  }
  changed();
}

export function changed(): void {
  session.revision += 1;
}
