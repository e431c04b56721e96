// The tenant form's pure parts: blank settings, labels, and the checks made before saving (the
// backend checks again and has the last word).
import type { CheckStateDto, TenantCheckDto, TenantSettingsDto } from "../../ipc";

export function blankSettings(): TenantSettingsDto {
  return { id: "", name: "", tenantGuid: "", cloud: "public", auth: "interactive", clientId: "", baseUrl: "", certificatePath: "" };
}

const clouds: Record<string, string> = {
  public: "Microsoft Entra (global)",
  usGovernment: "US Government",
  china: "China (21Vianet)",
  custom: "Custom endpoints",
};

const auths: Record<string, string> = {
  interactive: "People sign in",
  appSecret: "App with a client secret",
  appCertificate: "App with a certificate",
  azureCli: "Azure CLI sign-in (cannot pull)",
};

/** The sign-ins a new tenant may use. The Azure CLI's is not one: its Graph token carries none of the permissions PIM needs. */
export const signInChoices = ["interactive", "appSecret", "appCertificate"] as const;

export const cloudLabel = (cloud: string): string => clouds[cloud] ?? cloud;
export const authLabel = (auth: string): string => auths[auth] ?? auth;

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What is wrong with the draft, by field; empty when it may be saved. */
export function settingsProblems(s: TenantSettingsDto): Partial<Record<keyof TenantSettingsDto, string>> {
  const out: Partial<Record<keyof TenantSettingsDto, string>> = {};
  if (!s.name.trim()) out.name = "Give the tenant a name people recognise.";
  const id = s.id.trim();
  if (!id) out.id = "A short id is needed, e.g. fabrikam.";
  else if (!/^[A-Za-z0-9_-]+$/.test(id)) out.id = "Letters, digits, '-' and '_' only.";
  else if (id === "demo") out.id = "\"demo\" is the built-in demo tenant.";
  if (!guid.test(s.tenantGuid.trim())) out.tenantGuid = "The directory id is a GUID, shown on the tenant's overview in the Entra admin center.";
  if (s.cloud === "custom") {
    const base = (s.baseUrl ?? "").trim();
    if (!/^https?:\/\/[^\s/]+/.test(base)) out.baseUrl = "A custom cloud needs its base URL, e.g. https://login.example.test.";
  }
  if (s.auth === "azureCli") out.auth = "The Azure CLI's token for Microsoft Graph carries none of the permissions PIM needs: register an app and sign in through it.";
  else if (!guid.test((s.clientId ?? "").trim())) out.clientId = "The app registration's client id is a GUID.";
  if (s.auth === "appCertificate" && !(s.certificatePath ?? "").trim()) out.certificatePath = "Name the PEM file with the certificate and its key.";
  return out;
}

const marks: Record<CheckStateDto, string> = { pass: "✓", fail: "✗", skipped: "–" };
export const checkMark = (state: CheckStateDto): string => marks[state];

/** One line for a preflight: how many checks passed, and whether the tenant can be used. */
export function checkSummary(check: TenantCheckDto): string {
  const failed = check.rows.filter((r) => r.state === "fail").length;
  const passed = check.rows.filter((r) => r.state === "pass").length;
  if (!check.connected) return `Not connected: no Graph read succeeded (${failed} of ${check.rows.length} checks failed).`;
  if (failed === 0) return `All ${passed} checks passed.`;
  return `Connected, but ${failed} of ${check.rows.length} checks failed: each says what to fix.`;
}
