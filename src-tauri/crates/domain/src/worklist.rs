//! The worklist derived from a pulled population when a campaign opens: what is in scope, who
//! is excluded, which expired exceptions come back, each item's recommendation and reviewers
//! (no self-review, no reciprocal pairs), and the per-role counts the snapshot states. Pure: the
//! app reads the population and the directory, and stores what this returns.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};

use crate::campaign::{CampaignDefinition, RoleSelection};
use crate::exceptions::PastException;
use crate::history::audited;
use crate::recommendation::recommend;
use crate::routing::{RoutedItem, Separation, reroute_reciprocal, route};
use crate::{
    Assignment, AssignmentKind, Membership, Principal, PrincipalKind, RoleDefinition, Surface,
    UserType,
};

/// One reviewer of a new item; `reroute_reason` is set for fallback reviewers, `conflict` for a
/// reviewer with a conflict of interest routing could not avoid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReviewer {
    pub id: String,
    pub upn: String,
    pub name: String,
    pub reroute_reason: Option<String>,
    pub conflict: Option<String>,
}

/// A review item as created at opening. Ids are assigned 1..n in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewItem {
    pub surface: Surface,
    pub kind: AssignmentKind,
    pub source_id: String,
    pub role_id: String,
    pub role_name: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_kind: String,
    pub principal_name: String,
    pub principal_upn: Option<String>,
    pub user_type: Option<String>,
    pub account_enabled: Option<bool>,
    pub membership: Membership,
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
    pub last_activation: Option<DateTime<Utc>>,
    pub recommendation: Option<String>,
    pub recommendation_code: Option<String>,
    pub recommendation_reason: Option<String>,
    pub reviewers: Vec<NewReviewer>,
}

/// An expired exception that brought its access back for review, past the scope's exclusions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Returning {
    /// The holder's UPN, or object id without one.
    pub principal: String,
    pub role: String,
    /// The campaign and item that registered the exception.
    pub campaign: String,
    pub item: u32,
    pub expired_on: Option<NaiveDate>,
}

/// What the derivation reads besides the population.
pub struct Sources<'a> {
    pub definition: &'a CampaignDefinition,
    /// Exceptions of earlier campaigns of this definition: an expired one brings its access back
    /// for review, even past the scope's exclusions.
    pub past: &'a [PastException],
    pub directory: &'a HashMap<String, Principal>,
    pub separation: &'a Separation,
    /// The latest activation per (principal, role).
    pub activations: &'a HashMap<(String, String), DateTime<Utc>>,
    /// Where the recorded activation history starts.
    pub history_since: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// The campaign's items and what the snapshot record says of them.
pub struct Derived {
    pub items: Vec<NewItem>,
    /// Per surface and role name: eligible, active, and in scope.
    pub counts: BTreeMap<(String, String), (u32, u32, u32)>,
    pub excluded: Vec<String>,
    /// Expired exceptions that brought their access back past the exclusions.
    pub returning: Vec<Returning>,
}

impl Sources<'_> {
    pub fn derive(&self, roles: &[RoleDefinition], assignments: &[Assignment]) -> Derived {
        let Sources { definition, past, directory, separation, .. } = *self;
        let now = self.now;
        let mut returning = Vec::new();
        let role_names: HashMap<&str, &str> =
            roles.iter().map(|r| (r.id.as_str(), r.display_name.as_str())).collect();
        let mut counts: BTreeMap<(String, String), (u32, u32, u32)> = BTreeMap::new();
        let mut excluded_names = Vec::new();
        let mut items = Vec::new();
        let mut routed = Vec::new();
        for a in assignments {
            let role = role_names
                .get(a.role_id.as_str())
                .copied()
                .unwrap_or(a.role_id.as_str())
                .to_string();
            let entry = counts.entry((a.surface.as_str().to_string(), role.clone())).or_default();
            match a.kind {
                crate::AssignmentKind::Eligible => entry.0 += 1,
                crate::AssignmentKind::Active => entry.1 += 1,
            }
            let holder = holder_of(directory, a);
            let holder = &*holder;
            if !in_scope(definition, a, holder) {
                continue;
            }
            let held = crate::exceptions::Held {
                surface: a.surface,
                role_id: &a.role_id,
                scope: &a.scope,
                principal_id: &holder.id,
                kind: a.kind,
            };
            let back = crate::exceptions::returning(past, &held, now.date_naive());
            if let Some(e) = back {
                returning.push(Returning {
                    principal: holder.upn.clone().unwrap_or_else(|| holder.id.clone()),
                    role: role.clone(),
                    campaign: e.campaign_id.clone(),
                    item: e.item_id,
                    expired_on: e.terms.as_ref().map(|t| t.expires_on),
                });
            }
            if back.is_none() && excluded(definition, holder) {
                let name = format!(
                    "{} ({})",
                    holder.display_name,
                    holder.upn.as_deref().unwrap_or(&holder.id)
                );
                if !excluded_names.contains(&name) {
                    excluded_names.push(name);
                }
                continue;
            }
            entry.2 += 1;
            let (r, item) = self.item(a, holder, role);
            routed.push(r);
            items.push(item);
        }
        // Nobody reviews someone who reviews them back for the same role.
        reroute_reciprocal(&mut routed, &definition.reviewers.fallback, separation);
        for (item, routed) in items.iter_mut().zip(routed) {
            item.reviewers = routed
                .reviewers
                .into_iter()
                .map(|r| NewReviewer {
                    id: r.reviewer.id,
                    upn: r.reviewer.upn,
                    name: r.reviewer.display_name,
                    reroute_reason: r.fallback.map(|f| f.as_str().to_string()),
                    conflict: r.conflict.map(|c| c.as_str().to_string()),
                })
                .collect();
        }
        items.sort_by(|a, b| {
            (a.role_name.as_str(), a.principal_name.as_str(), a.kind.as_str(), a.source_id.as_str())
                .cmp(&(
                    b.role_name.as_str(),
                    b.principal_name.as_str(),
                    b.kind.as_str(),
                    b.source_id.as_str(),
                ))
        });
        Derived { items, counts, excluded: excluded_names, returning }
    }

    /// One item in scope: its recommendation (when the definition asks for them) and its
    /// reviewers as routing chose them, before reciprocal pairs are rerouted.
    fn item(&self, a: &Assignment, holder: &Principal, role: String) -> (RoutedItem, NewItem) {
        let Sources { definition, directory, separation, activations, now, .. } = *self;
        let history_of =
            |surface: Surface| if audited(surface) { self.history_since } else { None };
        let last_activation =
            activations.get(&(a.principal_id.clone(), a.role_id.clone())).copied();
        let recommendation = definition.settings.recommendations.then(|| {
            recommend(
                a,
                holder,
                last_activation,
                history_of(a.surface),
                definition.settings.look_back_days,
                now,
            )
        });
        let routed = routed_item(definition, holder, a, directory, separation);
        let item = NewItem {
            surface: a.surface,
            kind: a.kind,
            source_id: a.source_id.clone(),
            role_id: a.role_id.clone(),
            role_name: role,
            scope: a.scope.clone(),
            principal_id: holder.id.clone(),
            principal_kind: holder.kind.as_str().into(),
            principal_name: holder.display_name.clone(),
            principal_upn: holder.upn.clone(),
            user_type: holder.user_type.map(|t| t.as_str().to_string()),
            account_enabled: holder.account_enabled,
            membership: a.membership,
            start_at: a.start,
            end_at: a.end,
            last_activation,
            recommendation: recommendation.as_ref().map(|r| r.suggestion().to_string()),
            recommendation_code: recommendation.as_ref().map(|r| r.reason.code().to_string()),
            recommendation_reason: recommendation.as_ref().map(|r| r.reason.describe_at(now)),
            reviewers: Vec::new(),
        };
        (routed, item)
    }
}

/// The holder of an assignment as the directory knows them, or as the assignment names them.
pub fn holder_of<'a>(
    directory: &'a HashMap<String, Principal>,
    a: &Assignment,
) -> Cow<'a, Principal> {
    match directory.get(&a.principal_id) {
        Some(p) => Cow::Borrowed(p),
        None => Cow::Owned(a.named_holder()),
    }
}

/// An item in scope routed to its reviewers: the routing opening runs and the preview shows.
pub fn routed_item(
    definition: &CampaignDefinition,
    holder: &Principal,
    a: &Assignment,
    directory: &HashMap<String, Principal>,
    separation: &Separation,
) -> RoutedItem {
    RoutedItem {
        holder_id: holder.id.clone(),
        role_id: a.role_id.clone(),
        reviewers: route(&definition.reviewers, holder, &a.role_id, directory, separation),
    }
}

/// Whether the definition's scope takes the assignment: its surface, role, kind and the
/// holder's type (a guest counts as a guest, not as a user).
pub fn in_scope(definition: &CampaignDefinition, a: &Assignment, holder: &Principal) -> bool {
    let scope = &definition.scope;
    let types = scope.principal_types;
    let type_ok = match holder.kind {
        PrincipalKind::User if holder.user_type == Some(UserType::Guest) => types.guests,
        PrincipalKind::User | PrincipalKind::Unknown => types.users,
        PrincipalKind::Group => types.groups,
        PrincipalKind::ServicePrincipal => types.service_principals,
    };
    let role_ok = match &scope.roles {
        RoleSelection::All => true,
        RoleSelection::Listed(ids) => ids.iter().any(|id| id == &a.role_id),
    };
    scope.surfaces.contains(&a.surface) && role_ok && scope.kinds.includes(a.kind) && type_ok
}

/// Whether the definition excludes the holder by object id or UPN.
pub fn excluded(definition: &CampaignDefinition, holder: &Principal) -> bool {
    definition.scope.exclusions.iter().any(|x| {
        x.eq_ignore_ascii_case(&holder.id)
            || holder.upn.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(x))
    })
}

#[cfg(test)]
mod tests;
