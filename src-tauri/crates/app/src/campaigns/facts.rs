//! The facts the reviewer is given beyond the item itself: with every worklist page, each role's
//! tier (how privileged it is, and why); for the item under the cursor (read when the reviewer
//! moves to it), the holder's last sign-in, who else holds the role, what a custom role allows
//! and the scope's name. A PIM group's membership takes the tier of the roles the group holds.

use recert_domain::remediation::CriticalRole;
use recert_domain::tier::{GroupRole, RoleTier, group_tier, role_tier};
use recert_store::worklist::ItemRecord;
use recert_store::{RoleCatalogue, Store};
use serde::Serialize;
use ts_rs::TS;

use super::{rfc3339, tenant_of};
use crate::remediation::load_safety;
use crate::{App, AppError};

/// How many other holders' names the pane lists; the count says how many there are in all.
const NAMES: u32 = 8;

/// More about one item for the detail pane.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ItemFactsDto {
    /// The holder's last sign-in as the latest pull read it (none recorded: never, or unread).
    pub last_sign_in: Option<String>,
    /// How many others hold the same role in this campaign, at any scope.
    pub other_holders: u32,
    /// The first of them by name.
    pub other_names: Vec<String>,
    /// How privileged the role is, and why.
    pub role: RoleFactDto,
    /// What a custom role allows, as the tenant lists it (built-in roles: `None`, their name
    /// says it; also `None` where the permissions were not read).
    pub custom_permissions: Option<Vec<String>>,
    /// The administrative unit's or subscription's name, where the scope is one and the pull read
    /// its name.
    pub scope_name: Option<String>,
}

/// A role's tier, as the worklist row and the pane show it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RoleTierDto {
    /// One of the tenant's critical roles (remediation safety settings).
    Critical,
    /// Grants a permission that changes roles, credentials or policies, or reads restricted data.
    Privileged,
    /// Its permissions were read and none is privileged.
    Standard,
    /// Its permissions were not read.
    #[default]
    Unknown,
}

/// One role's tier with the fact behind it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleFactDto {
    pub surface: String,
    pub role_id: String,
    /// For a PIM group's membership or ownership (whose role id is `member` or `owner`), the
    /// group: its tier is the group's own.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub tier: RoleTierDto,
    pub reason: String,
}

fn tier_dto(tier: RoleTier) -> RoleTierDto {
    match tier {
        RoleTier::Critical => RoleTierDto::Critical,
        RoleTier::Privileged => RoleTierDto::Privileged,
        RoleTier::Standard => RoleTierDto::Standard,
        RoleTier::Unknown => RoleTierDto::Unknown,
    }
}

/// What the tier rule needs about a tenant: its catalogue and its critical roles.
pub(crate) struct TierContext {
    tenant: String,
    catalogue: RoleCatalogue,
    critical: Vec<CriticalRole>,
}

impl TierContext {
    pub(crate) fn load(store: &Store, tenant: &str) -> Result<TierContext, AppError> {
        let critical = load_safety(store, tenant)?
            .critical_roles
            .into_iter()
            .map(|c| CriticalRole { role_id: c.role_id, name: c.name, minimum: c.minimum_holders })
            .collect();
        Ok(TierContext {
            tenant: tenant.to_string(),
            catalogue: store.role_catalogue(tenant)?,
            critical,
        })
    }

    fn permissions(&self, surface: &str, role_id: &str) -> Option<&[String]> {
        let key = (surface.to_string(), role_id.to_ascii_lowercase());
        self.catalogue.roles.get(&key)?.permissions.as_deref()
    }

    pub(crate) fn fact(&self, surface: &str, role_id: &str) -> RoleFactDto {
        let fact = role_tier(role_id, self.permissions(surface, role_id), &self.critical);
        RoleFactDto {
            surface: surface.to_string(),
            role_id: role_id.to_string(),
            scope: None,
            tier: tier_dto(fact.tier),
            reason: fact.reason,
        }
    }

    /// The fact of an item's role: for a PIM group (`scope` is the group), from the roles the
    /// group holds in the latest pull.
    pub(crate) fn item_fact(
        &self,
        store: &Store,
        surface: &str,
        role_id: &str,
        scope: &str,
    ) -> Result<RoleFactDto, AppError> {
        if surface != "pimGroup" {
            return Ok(self.fact(surface, role_id));
        }
        let held: Vec<GroupRole> = store
            .roles_held_by_groups(&self.tenant, &[scope])?
            .into_iter()
            .map(|(_, held_surface, held_role, role_name)| GroupRole {
                fact: role_tier(
                    &held_role,
                    self.permissions(&held_surface, &held_role),
                    &self.critical,
                ),
                role_name,
            })
            .collect();
        let fact = group_tier(role_id, &held);
        Ok(RoleFactDto {
            surface: surface.to_string(),
            role_id: role_id.to_string(),
            scope: Some(scope.to_string()),
            tier: tier_dto(fact.tier),
            reason: fact.reason,
        })
    }

    /// The permissions of a custom role; `None` for a built-in one or where none were read.
    fn custom_permissions(&self, surface: &str, role_id: &str) -> Option<Vec<String>> {
        let key = (surface.to_string(), role_id.to_ascii_lowercase());
        let role = self.catalogue.roles.get(&key)?;
        if role.is_built_in { None } else { role.permissions.clone() }
    }

    /// The name of an administrative unit or subscription scope, or of the subscription a
    /// resource group or resource sits in.
    fn scope_name(&self, scope: &str) -> Option<String> {
        let lower = scope.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty()).collect();
        let key = match parts.as_slice() {
            ["administrativeunits", id, ..] => format!("/administrativeunits/{id}"),
            ["subscriptions", id, ..] => format!("/subscriptions/{id}"),
            _ => return None,
        };
        self.catalogue.scope_names.get(&key).cloned()
    }
}

/// The tier of each role on a page, once per role.
pub(crate) fn page_roles(
    store: &Store,
    campaign_id: &str,
    items: &[ItemRecord],
) -> Result<Vec<RoleFactDto>, AppError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let context = TierContext::load(store, &tenant_of(&store.campaign(campaign_id)?)?)?;
    let mut seen = std::collections::BTreeSet::new();
    items
        .iter()
        .filter(|i| {
            // A PIM group's tier is the group's: one per group, not one per `member`/`owner`.
            let scope = if i.surface.as_str() == "pimGroup" { i.scope.as_str() } else { "" };
            seen.insert((i.surface.as_str(), i.role_id.as_str(), scope))
        })
        .map(|i| context.item_fact(store, i.surface.as_str(), &i.role_id, &i.scope))
        .collect()
}

impl App {
    pub async fn item_facts(
        &self,
        campaign_id: &str,
        item_id: u32,
    ) -> Result<ItemFactsDto, AppError> {
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let record = store.campaign(&id)?;
            let tenant = tenant_of(&record)?;
            let item = store.items(&id, &[item_id])?.remove(0);
            let (other_holders, other_names) = store.other_holders(&id, item_id, NAMES)?;
            let context = TierContext::load(store, &tenant)?;
            Ok(ItemFactsDto {
                last_sign_in: store.last_sign_in(&tenant, &item.principal_id)?.map(rfc3339),
                other_holders,
                other_names,
                role: context.item_fact(
                    store,
                    item.surface.as_str(),
                    &item.role_id,
                    &item.scope,
                )?,
                custom_permissions: context
                    .custom_permissions(item.surface.as_str(), &item.role_id),
                scope_name: context.scope_name(&item.scope),
            })
        })
        .await
    }
}
