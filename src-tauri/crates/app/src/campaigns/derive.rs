//! The worklist derived from a pulled population when a campaign opens: what is in scope, who
//! is excluded, which expired exceptions come back, each item's recommendation and reviewers
//! (no self-review, no reciprocal pairs), and the per-role counts the snapshot states.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use recert_domain::campaign::CampaignDefinition;
use recert_domain::exceptions::PastException;
use recert_domain::history::audited;
use recert_domain::recommendation::recommend;
use recert_domain::routing::{RoutedItem, Separation, reroute_reciprocal, route};
use recert_domain::{Assignment, Principal, Surface};
use recert_store::campaigns::{NewItem, NewReviewer};
use recert_store::population::PopulationRecord;

use super::open::{excluded, in_scope};

/// What the derivation reads besides the population.
pub(super) struct Sources<'a> {
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
pub(super) struct Derived {
    pub items: Vec<NewItem>,
    /// Per surface and role name: eligible, active, and in scope.
    pub counts: BTreeMap<(String, String), (u32, u32, u32)>,
    pub excluded: Vec<String>,
    pub returning: Vec<serde_json::Value>,
}

impl Sources<'_> {
    pub(super) fn derive(&self, population: &PopulationRecord) -> Derived {
        let Sources { definition, past, directory, separation, .. } = *self;
        let now = self.now;
        let mut returning = Vec::new();
        let role_names: HashMap<&str, &str> =
            population.roles.iter().map(|r| (r.id.as_str(), r.display_name.as_str())).collect();
        let mut counts: BTreeMap<(String, String), (u32, u32, u32)> = BTreeMap::new();
        let mut excluded_names = Vec::new();
        let mut items = Vec::new();
        let mut routed = Vec::new();
        for a in &population.assignments {
            let role = role_names
                .get(a.role_id.as_str())
                .copied()
                .unwrap_or(a.role_id.as_str())
                .to_string();
            let entry = counts.entry((a.surface.as_str().to_string(), role.clone())).or_default();
            match a.kind {
                recert_domain::AssignmentKind::Eligible => entry.0 += 1,
                recert_domain::AssignmentKind::Active => entry.1 += 1,
            }
            let holder = holder_of(directory, a);
            let holder = &*holder;
            if !in_scope(definition, a, holder) {
                continue;
            }
            let held = recert_domain::exceptions::Held {
                surface: a.surface,
                role_id: &a.role_id,
                scope: &a.scope,
                principal_id: &holder.id,
                kind: a.kind,
            };
            let back = recert_domain::exceptions::returning(past, &held, now.date_naive());
            if let Some(e) = back {
                returning.push(serde_json::json!({
                    "principal": holder.upn.as_deref().unwrap_or(&holder.id),
                    "role": role,
                    "campaign": e.campaign_id,
                    "item": e.item_id,
                    "expiredOn": e.terms.as_ref().map(|t| t.expires_on.to_string()),
                }));
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
pub(super) fn holder_of<'a>(
    directory: &'a HashMap<String, Principal>,
    a: &Assignment,
) -> Cow<'a, Principal> {
    match directory.get(&a.principal_id) {
        Some(p) => Cow::Borrowed(p),
        None => Cow::Owned(a.named_holder()),
    }
}

/// An item in scope routed to its reviewers: the routing opening runs and the preview shows.
pub(super) fn routed_item(
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
