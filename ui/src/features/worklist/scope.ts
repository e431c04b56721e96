// An assignment's scope in words for the reviewer ("Whole directory", "Administrative unit …",
// "Subscription …") instead of the path Graph and ARM use, and the end of an assignment as the
// row shows it.

/** The scope in words. Names of administrative units and subscriptions are not pulled, so the
 *  id stands for them. */
export function scopeWords(surface: string, scope: string): string {
  const parts = scope.split("/").filter(Boolean);
  if (surface === "pimGroup") return "The group's membership";
  if (parts.length === 0) return surface === "azureRole" ? "Every subscription" : "Whole directory";
  const at = (name: string) => {
    const i = parts.findIndex((p) => p.toLowerCase() === name.toLowerCase());
    return i >= 0 ? parts[i + 1] : undefined;
  };
  const unit = at("administrativeUnits");
  if (unit) return `Administrative unit ${unit}`;
  const subscription = at("subscriptions");
  const group = at("resourceGroups");
  if (subscription && group && parts.length > 4) return `Resource ${parts[parts.length - 1]} in resource group ${group}`;
  if (subscription && group) return `Resource group ${group} in subscription ${subscription}`;
  if (subscription) return `Subscription ${subscription}`;
  if (at("managementGroups")) return `Management group ${at("managementGroups")}`;
  return scope;
}

/** The assignment's end as the row shows it: "until 2026-06-30" or "permanent". */
export function endWords(end: string | null): string {
  return end ? `until ${end.slice(0, 10)}` : "permanent";
}
