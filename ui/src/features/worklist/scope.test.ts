// Unit tests of the scope in words and the end shown in a worklist row.
import { describe, expect, it } from "vitest";
import { endWords, scopeWords } from "./scope";

describe("scopeWords", () => {
  it("says where the role applies in words", () => {
    expect(scopeWords("directoryRole", "/")).toBe("Whole directory");
    expect(scopeWords("directoryRole", "/administrativeUnits/au-1")).toBe("Administrative unit au-1");
    expect(scopeWords("azureRole", "/subscriptions/sub-1")).toBe("Subscription sub-1");
    expect(scopeWords("azureRole", "/subscriptions/sub-1/resourceGroups/rg-web")).toBe("Resource group rg-web in subscription sub-1");
    expect(scopeWords("azureRole", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1")).toBe("Resource kv1 in resource group rg");
    expect(scopeWords("pimGroup", "/")).toBe("The group's membership");
  });
  it("shows the end of an assignment, or that it has none", () => {
    expect(endWords(null)).toBe("permanent");
    expect(endWords("2026-06-30T00:00:00Z")).toBe("until 2026-06-30");
  });
});
