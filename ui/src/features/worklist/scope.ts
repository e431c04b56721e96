// An assignment's scope in words for the reviewer ("Whole directory", "Administrative unit …",
// "Subscription …") instead of the path Graph and ARM use, a role's tier in words, and the end of
// an assignment as the row shows it.

/** The scope in words, with the administrative unit's or subscription's name where the pull read
 *  it (`name`); otherwise the id stands for it. */
export function scopeWords(surface: string, scope: string, name?: string | null): string {
  const parts = scope.split("/").filter(Boolean);
  if (surface === "pimGroup") return "The group's membership";
  if (parts.length === 0) return surface === "azureRole" ? "Every subscription" : "Whole directory";
  const at = (name: string) => {
    const i = parts.findIndex((p) => p.toLowerCase() === name.toLowerCase());
    return i >= 0 ? parts[i + 1] : undefined;
  };
  const unit = at("administrativeUnits");
  if (unit) return `Administrative unit ${name || unit}`;
  const id = at("subscriptions");
  const subscription = id && name ? name : id;
  const group = at("resourceGroups");
  if (subscription && group && parts.length > 4) return `Resource ${parts[parts.length - 1]} in resource group ${group}`;
  if (subscription && group) return `Resource group ${group} in subscription ${subscription}`;
  if (subscription) return `Subscription ${subscription}`;
  if (at("managementGroups")) return `Management group ${at("managementGroups")}`;
  return scope;
}

/** A role's tier in words. */
export function tierLabel(tier: string | undefined): string {
  switch (tier) {
    case "critical": return "Critical";
    case "privileged": return "Privileged";
    case "standard": return "Standard";
    default: return "Not known";
  }
}

/** The assignment's end as the row shows it: "until 2026-06-30" or "permanent". */
export function endWords(end: string | null): string {
  return end ? `until ${end.slice(0, 10)}` : "permanent";
}
