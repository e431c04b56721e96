// The tenant form's checks and labels: what each cloud and sign-in needs before saving.
import { describe, expect, it } from "vitest";
import type { TenantCheckDto } from "../../ipc";
import { authLabel, blankSettings, checkMark, checkSummary, cloudLabel, settingsProblems, signInChoices } from "./tenants";

const good = {
  ...blankSettings(),
  id: "fabrikam",
  name: "Fabrikam",
  tenantGuid: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  clientId: "5d1a3f0e-7c1b-4e0a-9a57-2f2b0c8e1a03",
};

describe("tenant settings", () => {
  it("accepts complete settings", () => {
    expect(settingsProblems(good)).toEqual({});
  });

  it("names each missing or malformed field", () => {
    const problems = settingsProblems({ ...blankSettings(), id: "no spaces", tenantGuid: "not-a-guid" });
    expect(Object.keys(problems).sort()).toEqual(["clientId", "id", "name", "tenantGuid"]);
    expect(settingsProblems({ ...good, id: "demo" }).id).toMatch(/built-in/);
  });

  it("asks for what each cloud and sign-in needs", () => {
    expect(settingsProblems({ ...good, cloud: "custom", baseUrl: "" }).baseUrl).toBeDefined();
    expect(settingsProblems({ ...good, cloud: "custom", baseUrl: "https://127.0.0.1:8443" })).toEqual({});
    expect(settingsProblems({ ...good, auth: "appCertificate" }).certificatePath).toBeDefined();
    expect(settingsProblems({ ...good, auth: "azureCli", clientId: "" }).auth).toMatch(/none of the permissions PIM needs/);
    expect(signInChoices).not.toContain("azureCli");
  });

  it("labels clouds and sign-ins, keeping unknown values readable", () => {
    expect(cloudLabel("usGovernment")).toBe("US Government");
    expect(authLabel("appSecret")).toBe("App with a client secret");
    expect(cloudLabel("mars")).toBe("mars");
  });
});

describe("tenant check", () => {
  const row = (state: "pass" | "fail" | "skipped") => ({ area: "permission", name: "x", state, detail: "", fix: state === "fail" ? "grant it" : null });
  const check = (connected: boolean, states: ("pass" | "fail" | "skipped")[]): TenantCheckDto => ({
    tenantId: "fabrikam", connected, identity: null, delegated: false, checkedAt: "2026-01-01T00:00:00Z", rows: states.map(row),
  });

  it("says whether the tenant can be used and how many checks failed", () => {
    expect(checkSummary(check(true, ["pass", "pass"]))).toBe("All 2 checks passed.");
    expect(checkSummary(check(true, ["pass", "fail", "pass"]))).toMatch(/1 of 3 checks failed/);
    expect(checkSummary(check(false, ["fail", "skipped"]))).toMatch(/^Not connected/);
  });

  it("marks each state", () => {
    expect([checkMark("pass"), checkMark("fail"), checkMark("skipped")]).toEqual(["✓", "✗", "–"]);
  });
});
