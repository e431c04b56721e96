// Unit tests of the scope in words and the end shown in a worklist row.
import { describe, expect, it } from "vitest";
import { endWords, scopeWords, tierLabel } from "./scope";

describe("scopeWords", () => {
  it("says where the role applies in words", () => {
    expect(scopeWords("directoryRole", "/")).toBe("Whole directory");
    expect(scopeWords("directoryRole", "/administrativeUnits/au-1")).toBe("Administrative unit au-1");
    expect(scopeWords("azureRole", "/subscriptions/sub-1")).toBe("Subscription sub-1");
    expect(scopeWords("azureRole", "/subscriptions/sub-1/resourceGroups/rg-web")).toBe("Resource group rg-web in subscription sub-1");
    expect(scopeWords("azureRole", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1")).toBe("Resource kv1 in resource group rg");
    expect(scopeWords("pimGroup", "/")).toBe("The group's membership");
  });
  it("names the unit and the subscription when the pull read their names", () => {
    expect(scopeWords("directoryRole", "/administrativeUnits/au-1", "Paris office")).toBe("Administrative unit Paris office");
    expect(scopeWords("azureRole", "/subscriptions/sub-1", "Production")).toBe("Subscription Production");
    expect(scopeWords("azureRole", "/subscriptions/sub-1/resourceGroups/rg-web", "Production")).toBe("Resource group rg-web in subscription Production");
    expect(scopeWords("directoryRole", "/", null)).toBe("Whole directory");
  });
  it("says a role's tier in words", () => {
    expect(tierLabel("critical")).toBe("Critical");
    expect(tierLabel("privileged")).toBe("Privileged");
    expect(tierLabel("standard")).toBe("Standard");
    expect(tierLabel("unknown")).toBe("Not known");
  });
  it("shows the end of an assignment, or that it has none", () => {
    expect(endWords(null)).toBe("permanent");
    expect(endWords("2026-06-30T00:00:00Z")).toBe("until 2026-06-30");
  });
});
