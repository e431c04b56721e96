//! The binder's context pages, filled from the store: the role catalogue (each role with items
//! in the campaign, its tier, and for a custom role the permissions its definition grants, read
//! from the raw pages sealed when the campaign opened) and what changed since the previous
//! campaign of the same definition (computed by `recert_domain::changes`).

use std::collections::BTreeMap;

use recert_domain::changes::{ChangeKind, HeldAccess, changes};
use recert_domain::remediation::Safety;
use recert_evidence::model::{ChangeEntry, RoleEntry, SincePrevious};
use recert_store::Store;
use recert_store::campaigns::{CampaignRecord, RawPageRecord};
use recert_store::worklist::ItemRecord;
use serde_json::Value;

use crate::campaigns::dto::{ChangeKindDto, PopulationChangeDto, SincePreviousDto};
use crate::error::AppError;

/// A role definition as a raw page states it.
struct Definition {
    built_in: bool,
    permissions: Vec<String>,
    /// `raw page N`, for the binder to cite.
    page: usize,
}

/// Each role with items, critical roles first, then by surface and name. Critical roles are
/// the ones the remediation interlocks protect by default (Global Administrator and Privileged
/// Role Administrator), the same the auditor findings judge defaults on.
pub(crate) fn role_catalogue(
    store: &Store,
    campaign_id: &str,
    items: &[ItemRecord],
) -> Result<Vec<RoleEntry>, AppError> {
    let definitions = definitions(&store.snapshot_pages(campaign_id)?);
    let critical: Vec<String> =
        Safety::default().critical_roles.iter().map(|c| c.role_id.to_lowercase()).collect();
    let mut roles: BTreeMap<(String, String), RoleEntry> = BTreeMap::new();
    for item in items {
        let key = (item.surface.as_str().to_string(), item.role_id.to_lowercase());
        let entry = roles.entry(key).or_insert_with(|| {
            let found = find(&definitions, &item.role_id);
            let group = item.surface == recert_domain::Surface::PimGroup;
            RoleEntry {
                surface: item.surface.as_str().to_string(),
                role: item.role_name.clone(),
                role_id: item.role_id.clone(),
                tier: if critical.contains(&item.role_id.to_lowercase()) {
                    "critical".into()
                } else {
                    "privileged".into()
                },
                built_in: found.map_or(group, |d| d.built_in),
                permissions: found.map(|d| d.permissions.clone()).unwrap_or_default(),
                permissions_source: match found {
                    Some(d) => {
                        format!("raw page {} of {}", d.page, recert_evidence::POPULATION_PAGES)
                    }
                    None if group => "a group's membership or ownership".into(),
                    None => "its definition is not among the raw pages".into(),
                },
                items: 0,
            }
        });
        entry.items += 1;
    }
    let mut out: Vec<RoleEntry> = roles.into_values().collect();
    out.sort_by(|a, b| {
        (a.tier != "critical", &a.surface, &a.role).cmp(&(
            b.tier != "critical",
            &b.surface,
            &b.role,
        ))
    });
    Ok(out)
}

/// The definition whose id is `role_id`, or (an Azure role's full resource id) whose id is its
/// last segment.
fn find<'a>(
    definitions: &'a BTreeMap<String, Definition>,
    role_id: &str,
) -> Option<&'a Definition> {
    let id = role_id.to_lowercase();
    definitions.get(&id).or_else(|| id.rsplit('/').next().and_then(|last| definitions.get(last)))
}

/// Every role definition in the raw pages, by lower-case id: Entra's (`rolePermissions`,
/// `isBuiltIn`) and Azure's (`properties.permissions`, `properties.type`), wherever they sit in
/// a page (a list, or a `$batch` answer).
fn definitions(pages: &[RawPageRecord]) -> BTreeMap<String, Definition> {
    let mut out = BTreeMap::new();
    for (n, page) in pages.iter().enumerate() {
        if !page.url.contains("roleDefinitions") && !page.url.contains("$batch") {
            continue;
        }
        let Ok(body) = serde_json::from_slice::<Value>(&page.body) else { continue };
        collect(&body, n + 1, &mut out);
    }
    out
}

fn collect(v: &Value, page: usize, out: &mut BTreeMap<String, Definition>) {
    match v {
        Value::Array(list) => list.iter().for_each(|x| collect(x, page, out)),
        Value::Object(map) => {
            let strings = |v: &Value| -> Vec<String> {
                v.as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default()
            };
            if let (Some(id), Some(perms)) =
                (map.get("id").and_then(Value::as_str), map.get("rolePermissions"))
            {
                let permissions = perms
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|p| strings(&p["allowedResourceActions"]))
                    .collect();
                let built_in = map.get("isBuiltIn").and_then(Value::as_bool).unwrap_or(false);
                out.insert(id.to_lowercase(), Definition { built_in, permissions, page });
                return;
            }
            let props = map.get("properties");
            if let (Some(id), Some(props)) = (map.get("name").and_then(Value::as_str), props)
                && props.get("permissions").is_some()
            {
                let permissions = props["permissions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|p| {
                        let mut all = strings(&p["actions"]);
                        all.extend(
                            strings(&p["dataActions"]).into_iter().map(|a| format!("data: {a}")),
                        );
                        all.extend(
                            strings(&p["notActions"]).into_iter().map(|a| format!("not: {a}")),
                        );
                        all
                    })
                    .collect();
                let built_in = props["type"].as_str() == Some("BuiltInRole");
                out.insert(id.to_lowercase(), Definition { built_in, permissions, page });
                return;
            }
            map.values().for_each(|x| collect(x, page, out));
        }
        _ => {}
    }
}

/// The names of the roles a definition's scope lists (`role_ids`), in its order, as the scope
/// page shows them: from the items where the role has some, else from the role definitions
/// (and groups) in the raw pages sealed when the campaign opened. An id found in neither is
/// shown as it is, saying so.
pub(crate) fn scope_role_names(
    store: &Store,
    campaign_id: &str,
    items: &[ItemRecord],
    role_ids: &[String],
) -> Result<Vec<String>, AppError> {
    let last = |id: &str| id.rsplit('/').next().unwrap_or(id).to_lowercase();
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    for item in items {
        known.entry(last(&item.role_id)).or_insert_with(|| item.role_name.clone());
    }
    if role_ids.iter().any(|id| !known.contains_key(&last(id))) {
        for page in store.snapshot_pages(campaign_id)? {
            let Ok(body) = serde_json::from_slice::<Value>(&page.body) else { continue };
            names(&body, &mut known);
        }
    }
    Ok(role_ids
        .iter()
        .map(|id| match known.get(&last(id)) {
            Some(name) => name.clone(),
            None => format!("{id} (no role or group with this id in the raw pages)"),
        })
        .collect())
}

/// Every `id` with a `displayName` (an Entra role definition, a group) and every Azure role
/// definition's `name` with its `properties.roleName`, by lower-case id, wherever they sit.
fn names(v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Array(list) => list.iter().for_each(|x| names(x, out)),
        Value::Object(map) => {
            let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
            let entra = text(map.get("id")).zip(text(map.get("displayName")));
            let azure = text(map.get("name"))
                .zip(text(map.get("properties").and_then(|p| p.get("roleName"))));
            if let Some((id, name)) = entra.or(azure) {
                out.entry(id.to_lowercase()).or_insert(name);
            }
            map.values().for_each(|x| names(x, out));
        }
        _ => {}
    }
}

/// The changes since the campaign of the same definition before this one, if there was one.
pub(crate) fn since_previous(
    store: &Store,
    campaign: &CampaignRecord,
    items: &[ItemRecord],
) -> Result<Option<SincePrevious>, AppError> {
    let Some(previous) = previous_campaign(store, campaign)? else { return Ok(None) };
    let before = previous_items(store, &previous.id)?;
    let now: Vec<HeldAccess> = items.iter().map(|i| held(i, false)).collect();
    let found = changes(&before, &now)
        .into_iter()
        .map(|c| ChangeEntry {
            kind: c.kind.label().into(),
            principal: c.principal,
            role: c.role,
            scope: c.scope,
            before: c.before,
            now: c.now,
            previous_items: c.previous_items,
            items: c.items,
        })
        .collect();
    Ok(Some(SincePrevious {
        campaign_id: previous.id.clone(),
        campaign_name: previous.name.clone(),
        period: format!(
            "{} – {}",
            crate::evidence::utc(previous.period_start),
            crate::evidence::utc(previous.period_end)
        ),
        changes: found,
    }))
}

/// The campaign of the same definition opened before this one, if any.
fn previous_campaign(
    store: &Store,
    campaign: &CampaignRecord,
) -> Result<Option<CampaignRecord>, AppError> {
    Ok(store
        .campaigns(Some(&campaign.definition_id))?
        .into_iter()
        .filter(|c| c.occurrence < campaign.occurrence && c.opened_at.is_some())
        .max_by_key(|c| c.occurrence))
}

/// The previous campaign's items, each marked removed when a verification found its removal
/// carried out (verified removed, or reappeared after it was).
fn previous_items(store: &Store, campaign_id: &str) -> Result<Vec<HeldAccess>, AppError> {
    use recert_domain::remediation::Verification;
    let removed: std::collections::HashSet<u32> = store
        .remediation_actions(campaign_id)?
        .iter()
        .filter(|a| {
            matches!(a.verification, Some(Verification::VerifiedRemoved | Verification::Reappeared))
        })
        .map(|a| a.item_id)
        .collect();
    Ok(store.all_items(campaign_id)?.iter().map(|i| held(i, removed.contains(&i.id))).collect())
}

fn held(i: &ItemRecord, removed: bool) -> HeldAccess {
    HeldAccess {
        item: i.id,
        principal_id: i.principal_id.clone(),
        principal: i.principal_upn.clone().unwrap_or_else(|| i.principal_name.clone()),
        role_id: i.role_id.clone(),
        role: i.role_name.clone(),
        scope: i.scope.clone(),
        kind: i.kind.as_str().to_string(),
        membership: i.membership.as_str().to_string(),
        outcome: i.outcome.map(|o| o.as_str().to_string()).unwrap_or_default(),
        removed,
    }
}

impl crate::App {
    /// What changed in a campaign's population since the previous campaign of its definition,
    /// for the campaign page; `None` for the first campaign (or one not opened yet).
    pub async fn campaign_changes(&self, id: &str) -> Result<Option<SincePreviousDto>, AppError> {
        let id = id.to_string();
        self.with_store(move |store| {
            let campaign = store.campaign(&id)?;
            if campaign.opened_at.is_none() {
                return Ok(None);
            }
            let items = store.all_items(&id)?;
            let Some(previous) = previous_campaign(store, &campaign)? else { return Ok(None) };
            let before = previous_items(store, &previous.id)?;
            let now: Vec<HeldAccess> = items.iter().map(|i| held(i, false)).collect();
            let changes = changes(&before, &now)
                .into_iter()
                .map(|c| PopulationChangeDto {
                    kind: match c.kind {
                        ChangeKind::CameBack => ChangeKindDto::CameBack,
                        ChangeKind::NotRemoved => ChangeKindDto::NotRemoved,
                        ChangeKind::New => ChangeKindDto::New,
                        ChangeKind::Removed => ChangeKindDto::Removed,
                        ChangeKind::Gone => ChangeKindDto::Gone,
                        ChangeKind::HeldDifferently => ChangeKindDto::HeldDifferently,
                    },
                    principal: c.principal,
                    role: c.role,
                    before: c.before,
                    now: c.now,
                })
                .collect();
            Ok(Some(SincePreviousDto {
                campaign_id: previous.id,
                campaign_name: previous.name,
                changes,
            }))
        })
        .await
    }
}
