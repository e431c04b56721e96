//! Remediation use cases: the plan made once at close (removals and holds), its preview per role
//! and per person, confirming held items, resolving removals that were not made, and verifying by
//! re-reading the tenant until the deadline (applying is in [`apply`]). The campaign goes Closed →
//! Remediating → Completed when every removal is verified removed or kept by a named person.

mod apply;
mod change;
pub mod dto;
mod tally;

pub(crate) use tally::campaign_tally;

pub use apply::ApplyOptions;
pub use recert_domain::remediation::Resolution;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use recert_domain::authority::Action;
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::change::Change;
use recert_domain::remediation::{
    self, ActionState, CriticalRole, Directory, Endpoint, Hold, LiveInstance, Safety, Step, Target,
    Verification,
};
use recert_domain::{AssignmentKind, Membership, PrincipalKind, Surface};
use recert_graph::remove::{self, RemovalTarget};
use recert_graph::{CancellationToken, GraphClient};
use recert_store::Store;
use recert_store::remediation::{ActionRecord, NewAction, NewHold, Replan, Requeue};
use recert_store::worklist::ItemRecord;
use sha2::{Digest, Sha256};

use crate::authority::Acting;
use crate::campaigns::{parse_definition, rfc3339, tenant_of};
use crate::error::FieldErrorDto;
use crate::{App, AppError, ErrorCode};
use dto::{
    CriticalRoleDto, HeldItemDto, PersonRemediationDto, RemediationActionDto, RemediationCountsDto,
    RemediationPlanDto, RemediationProgressDto, RoleRemediationDto, SafetyDto,
};

/// The setting that held [`SafetyDto`] for every tenant before it was kept per tenant: a tenant
/// without its own still reads it.
const SAFETY: &str = "remediation.safety";

/// The setting that holds a tenant's [`SafetyDto`].
fn safety_key(tenant_id: &str) -> String {
    format!("{SAFETY}/{tenant_id}")
}

fn storage(err: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Storage, err.to_string())
}

fn safety_from(dto: &SafetyDto) -> Safety {
    Safety {
        protected: dto.protected_principals.clone(),
        critical_roles: dto
            .critical_roles
            .iter()
            .map(|c| CriticalRole {
                role_id: c.role_id.clone(),
                name: c.name.clone(),
                minimum: c.minimum_holders,
            })
            .collect(),
    }
}

fn safety_dto(s: &Safety) -> SafetyDto {
    SafetyDto {
        protected_principals: s.protected.clone(),
        critical_roles: s
            .critical_roles
            .iter()
            .map(|c| CriticalRoleDto {
                role_id: c.role_id.clone(),
                name: c.name.clone(),
                minimum_holders: c.minimum,
            })
            .collect(),
        no_critical_roles_because: None,
    }
}

/// The tenant's safety interlocks in force now (the defaults until set).
pub(crate) fn load_safety(store: &Store, tenant_id: &str) -> Result<SafetyDto, AppError> {
    let own = store.setting(&safety_key(tenant_id))?;
    let legacy = if own.is_none() { store.setting(SAFETY)? } else { None };
    match own.or(legacy) {
        Some(json) => serde_json::from_str(&json).map_err(|err| {
            AppError::new(
                ErrorCode::Storage,
                format!("the remediation safety setting is unreadable: {err}"),
            )
        }),
        None => Ok(safety_dto(&Safety::default())),
    }
}

/// A GUID derived from the campaign and item: the same action always carries the same key, so
/// an ARM request is named the same on every attempt. A person's retry (`retries` > 0) names the
/// next attempts afresh.
fn idempotency_key(campaign_id: &str, item_id: u32, source_id: &str, retries: u32) -> String {
    let mut seed = format!("{campaign_id}\n{item_id}\n{source_id}");
    if retries > 0 {
        seed.push_str(&format!("\n{retries}"));
    }
    let digest = hex::encode(Sha256::digest(seed));
    format!(
        "{}-{}-{}-{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[12..16],
        &digest[16..20],
        &digest[20..32]
    )
}

fn target_of(item: &ItemRecord) -> Result<Target, AppError> {
    let corrupt = |what: &str, value: &str| {
        AppError::new(
            ErrorCode::Storage,
            format!("item {} has an unknown {what} {value:?}", item.id),
        )
    };
    Ok(Target {
        item_id: item.id,
        surface: Surface::parse(&item.surface).ok_or_else(|| corrupt("surface", &item.surface))?,
        kind: AssignmentKind::parse(&item.kind).ok_or_else(|| corrupt("kind", &item.kind))?,
        membership: Membership::parse(&item.membership)
            .ok_or_else(|| corrupt("membership", &item.membership))?,
        source_id: item.source_id.clone(),
        role_id: item.role_id.clone(),
        role_name: item.role_name.clone(),
        scope: item.scope.clone(),
        principal_id: item.principal_id.clone(),
        principal_kind: PrincipalKind::parse(&item.principal_kind),
        principal_name: item.principal_name.clone(),
        principal_upn: item.principal_upn.clone(),
        end: item.end_at,
    })
}

fn removal_target(
    endpoint: Endpoint,
    role_id: &str,
    scope: &str,
    principal: &str,
) -> RemovalTarget {
    RemovalTarget {
        endpoint,
        role_id: role_id.to_string(),
        scope: scope.to_string(),
        principal_id: principal.to_string(),
    }
}

/// The assignment a journaled action addresses.
fn action_target(a: &ActionRecord) -> Result<RemovalTarget, AppError> {
    let endpoint = Endpoint::parse(&a.endpoint).ok_or_else(|| {
        AppError::new(ErrorCode::Storage, format!("unknown endpoint {:?}", a.endpoint))
    })?;
    Ok(removal_target(endpoint, &a.role_id, &a.scope, &a.principal_id))
}

fn new_action(
    campaign_id: &str,
    campaign_name: &str,
    item: &ItemRecord,
    endpoint: Endpoint,
) -> NewAction {
    let why = item.outcome_reason.clone().unwrap_or_else(|| "removal due".into());
    let justification = format!("Recert access review \"{campaign_name}\" ({campaign_id}): {why}");
    let body = remove::removal_body(
        &removal_target(endpoint, &item.role_id, &item.scope, &item.principal_id),
        &justification,
        campaign_id,
    );
    NewAction {
        item_id: item.id,
        endpoint: endpoint.as_str().into(),
        surface: item.surface.clone(),
        kind: item.kind.clone(),
        source_id: item.source_id.clone(),
        role_id: item.role_id.clone(),
        role_name: item.role_name.clone(),
        scope: item.scope.clone(),
        principal_id: item.principal_id.clone(),
        principal_name: item.principal_name.clone(),
        why,
        request_body: body.to_string(),
        idempotency_key: idempotency_key(campaign_id, item.id, &item.source_id, 0),
        change: Change::Remove,
        new_end: None,
        first: None,
    }
}

/// Items the plan covers: removals, and removals that could not be made because the access comes
/// through a group (so the preview names the group).
fn due(item: &ItemRecord) -> bool {
    match item.outcome.as_deref() {
        Some("remove" | "convert" | "keepUntil") => true,
        Some("exception") => item.outcome_code.as_deref() == Some("viaGroup"),
        _ => false,
    }
}

/// The tenant's directory as last pulled: group members, names, UPNs.
pub(crate) fn directory(store: &Store, tenant_id: &str) -> Result<Directory, AppError> {
    let mut dir = Directory::default();
    for m in store.group_members(tenant_id)? {
        dir.members.entry(m.group_id).or_default().push(m.member_id);
    }
    for p in store.principals(tenant_id)? {
        if let Some(upn) = &p.upn {
            dir.upns.insert(p.id.clone(), upn.clone());
        }
        dir.names.insert(p.id, p.display_name);
    }
    Ok(dir)
}

/// Makes the campaign's plan, once: from its outcomes, the tenant's latest population and the
/// safety settings in force. Later calls find it in the journal.
fn ensure_plan(
    store: &mut Store,
    campaign_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let record = store.campaign(campaign_id)?;
    if !matches!(
        record.state,
        CampaignState::Closed | CampaignState::Remediating | CampaignState::Completed
    ) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("campaign {campaign_id} is {}: removals are planned at close", record.state),
        ));
    }
    if store.remediation_plan(campaign_id)?.is_some() {
        return Ok(());
    }
    let (definition, _) = parse_definition(&record.definition)?;
    let safety_settings = load_safety(store, &definition.tenant_id)?;
    let safety = safety_from(&safety_settings);
    let items: Vec<ItemRecord> = store.all_items(campaign_id)?.into_iter().filter(due).collect();
    let targets = items.iter().map(target_of).collect::<Result<Vec<_>, _>>()?;
    let population =
        store.population(&definition.tenant_id)?.map(|p| p.assignments).unwrap_or_default();
    let dir = directory(store, &definition.tenant_id)?;
    // Removals go through the planner (critical roles count what they take away); conversions
    // and new ends keep the access, so only the protected list and group membership hold them.
    let (removals, changes): (Vec<usize>, Vec<usize>) = (0..items.len())
        .partition(|i| change::change_of(&items[*i]).is_none_or(|c| c == Change::Remove));
    let removal_targets: Vec<Target> = removals.iter().map(|i| targets[*i].clone()).collect();
    let mut steps: Vec<(usize, Step)> = removals
        .iter()
        .copied()
        .zip(remediation::plan(&removal_targets, &population, &dir, &safety, &BTreeSet::new()))
        .map(|(i, p)| (i, p.step))
        .collect();
    for i in changes {
        let t = &targets[i];
        steps.push((
            i,
            match remediation::change::change_hold(t, &dir, &safety) {
                Some(hold) => Step::Hold(hold),
                None => Step::Remove(Endpoint::of(t.surface, t.kind)),
            },
        ));
    }
    steps.sort_by_key(|(i, _)| *i);
    let eligible_days = definition.settings.convert_eligible_days;
    let mut actions = Vec::new();
    let mut holds = Vec::new();
    for (i, step) in steps {
        let (item, target) = (&items[i], &targets[i]);
        match step {
            Step::Remove(endpoint) => actions.push(change::new_change_action(
                campaign_id,
                &record.name,
                item,
                endpoint,
                change::change_of(item).unwrap_or(Change::Remove),
                now,
                eligible_days,
            )?),
            Step::Hold(hold) => holds.push(NewHold {
                item_id: item.id,
                code: hold.code().into(),
                reason: hold.describe(),
                proposal: hold.proposal(target),
                confirmable: hold.confirmable(),
                holders_after: match hold {
                    Hold::CriticalRole { holders_after, .. } => Some(holders_after),
                    _ => None,
                },
            }),
        }
    }
    let safety_json = serde_json::to_string(&safety_settings).map_err(storage)?;
    store.record_remediation_plan(campaign_id, &actions, &holds, &safety_json, actor, now)?;
    Ok(())
}

fn deadline(store: &Store, campaign_id: &str) -> Result<(Option<DateTime<Utc>>, bool), AppError> {
    let record = store.campaign(campaign_id)?;
    let (_, definition) = parse_definition(&record.definition)?;
    let days = i64::from(definition.settings.remediation_deadline_days);
    Ok((record.closed_at.map(|c| c + chrono::Duration::days(days)), definition.settings.auto_apply))
}

/// The preview and record, from the journal.
fn plan_dto(
    store: &Store,
    campaign_id: &str,
    now: DateTime<Utc>,
) -> Result<RemediationPlanDto, AppError> {
    let record = store.campaign(campaign_id)?;
    let plan = store.remediation_plan(campaign_id)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!("campaign {campaign_id} has no remediation plan"),
        )
    })?;
    let (deadline, auto_apply) = deadline(store, campaign_id)?;
    let overdue = record.state != CampaignState::Completed && deadline.is_some_and(|d| now > d);
    let items: HashMap<u32, ItemRecord> =
        store.all_items(campaign_id)?.into_iter().map(|i| (i.id, i)).collect();
    let mut counts = RemediationCountsDto::default();
    let mut roles: BTreeMap<(String, String), RoleRemediationDto> = BTreeMap::new();
    let mut people: BTreeMap<(String, String), PersonRemediationDto> = BTreeMap::new();
    let mut actions = Vec::new();
    for a in store.remediation_actions(campaign_id)? {
        counts.actions += 1;
        match a.state {
            ActionState::Planned => counts.planned += 1,
            ActionState::Submitted => counts.submitted += 1,
            ActionState::Succeeded => counts.succeeded += 1,
            ActionState::Failed => counts.failed += 1,
            ActionState::Skipped => counts.skipped += 1,
        }
        match a.verification {
            Some(Verification::VerifiedRemoved) => counts.verified_removed += 1,
            Some(Verification::StillPresent) => counts.still_present += 1,
            Some(Verification::Reappeared) => counts.reappeared += 1,
            Some(Verification::VerifiedChanged) => counts.verified_changed += 1,
            Some(Verification::NotChanged) => counts.not_changed += 1,
            None => {}
        }
        counts.conversions += u32::from(a.change == Change::Convert);
        counts.end_changes += u32::from(a.change == Change::SetEnd);
        let new_end = a.new_end.map(rfc3339);
        let settled = remediation::settled(a.state, a.verification, a.kept.is_some());
        let exception = a.state.can_retry() && !settled;
        let action_overdue = overdue && !settled;
        counts.overdue += u32::from(action_overdue);
        counts.exceptions += u32::from(exception);
        let upn = items.get(&a.item_id).and_then(|i| i.principal_upn.clone());
        let role = roles.entry((a.role_name.clone(), a.role_id.clone())).or_insert_with(|| {
            RoleRemediationDto {
                role_id: a.role_id.clone(),
                role_name: a.role_name.clone(),
                ..Default::default()
            }
        });
        match a.change {
            Change::Remove => role.remove += 1,
            Change::Convert => role.convert += 1,
            Change::SetEnd => role.set_end += 1,
        }
        let person = people
            .entry((a.principal_name.to_lowercase(), a.principal_id.clone()))
            .or_insert_with(|| PersonRemediationDto {
                principal_id: a.principal_id.clone(),
                principal_name: a.principal_name.clone(),
                principal_upn: upn.clone(),
                ..Default::default()
            });
        let until = new_end.clone().unwrap_or_default();
        match a.change {
            Change::Remove => {
                person.remove.push(format!("{} ({}): {}", a.role_name, a.kind, a.why))
            }
            Change::Convert => person
                .convert
                .push(format!("{}: active made eligible until {until} ({})", a.role_name, a.why)),
            Change::SetEnd => person
                .set_end
                .push(format!("{} ({}): ends {until} ({})", a.role_name, a.kind, a.why)),
        }
        actions.push(RemediationActionDto {
            item_id: a.item_id,
            change: a.change.into(),
            new_end,
            eligibility: a.first.as_ref().map(|f| f.state.as_str().to_string()),
            surface: a.surface,
            kind: a.kind,
            request: Endpoint::parse(&a.endpoint).map_or(String::new(), |e| a.change.describe(e)),
            endpoint: a.endpoint,
            role_id: a.role_id,
            role_name: a.role_name,
            scope: a.scope,
            principal_id: a.principal_id,
            principal_name: a.principal_name,
            principal_upn: upn,
            why: a.why,
            state: a.state.as_str().into(),
            state_code: a.state_code,
            state_reason: a.state_reason,
            attempts: a.attempts,
            request_id: a.request_id,
            request_status: a.request_status,
            last_error: a.last_error,
            submitted_at: a.submitted_at.map(rfc3339),
            finished_at: a.finished_at.map(rfc3339),
            verification: a.verification.map(|v| v.as_str().to_string()),
            verification_note: a.verification_note,
            verified_at: a.verified_at.map(rfc3339),
            overdue: action_overdue,
            exception,
            kept_by: a.kept.as_ref().map(|k| k.by_upn.clone()),
            kept_at: a.kept.as_ref().map(|k| rfc3339(k.at)),
            kept_reason: a.kept.map(|k| k.reason),
            retries: a.retries,
        });
    }
    let mut held = Vec::new();
    for h in store.remediation_holds(campaign_id)? {
        let Some(item) = items.get(&h.item_id) else { continue };
        // A confirmed hold is an action now; the hold stays as the record of who confirmed. A
        // kept one stays held back, decided: nobody needs to confirm it any more.
        if h.confirmed_by_upn.is_none() {
            counts.held += 1;
            counts.awaiting_confirmation += u32::from(h.confirmable && h.kept.is_none());
            roles
                .entry((item.role_name.clone(), item.role_id.clone()))
                .or_insert_with(|| RoleRemediationDto {
                    role_id: item.role_id.clone(),
                    role_name: item.role_name.clone(),
                    ..Default::default()
                })
                .held += 1;
            people
                .entry((item.principal_name.to_lowercase(), item.principal_id.clone()))
                .or_insert_with(|| PersonRemediationDto {
                    principal_id: item.principal_id.clone(),
                    principal_name: item.principal_name.clone(),
                    principal_upn: item.principal_upn.clone(),
                    ..Default::default()
                })
                .held
                .push(format!("{} ({}): {}", item.role_name, item.kind, h.reason));
        }
        held.push(HeldItemDto {
            item_id: h.item_id,
            role_id: item.role_id.clone(),
            role_name: item.role_name.clone(),
            kind: item.kind.clone(),
            principal_id: item.principal_id.clone(),
            principal_name: item.principal_name.clone(),
            principal_upn: item.principal_upn.clone(),
            code: h.code,
            reason: h.reason,
            proposal: h.proposal,
            confirmable: h.confirmable,
            confirmed_by: h.confirmed_by_upn,
            confirmed_at: h.confirmed_at.map(rfc3339),
            kept_by: h.kept.as_ref().map(|k| k.by_upn.clone()),
            kept_at: h.kept.as_ref().map(|k| rfc3339(k.at)),
            kept_reason: h.kept.map(|k| k.reason),
        });
    }
    Ok(RemediationPlanDto {
        campaign_id: record.id.clone(),
        campaign_name: record.name.clone(),
        campaign_state: record.state.as_str().into(),
        planned_at: rfc3339(plan.planned_at),
        deadline: deadline.map(rfc3339),
        overdue,
        auto_apply,
        counts,
        tally: campaign_tally(store, campaign_id)?,
        roles: roles.into_values().collect(),
        people: people.into_values().collect(),
        actions,
        held,
    })
}

/// The longest reason a kept removal takes: a sentence or two for the auditor, not a document.
const MAX_KEEP_REASON: usize = 1000;

/// The items `item_ids` of a campaign still in remediation, when the person acting may decide
/// them: a governance admin of the campaign's tenant (the caller authorized `action`) whose own
/// access — directly or through a group — is none of them. `verb` words the refusals.
fn items_to_decide(
    app: &App,
    store: &mut Store,
    campaign_id: &str,
    item_ids: &[u32],
    action: Action,
    verb: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<ItemRecord>, Acting), AppError> {
    let record = store.campaign(campaign_id)?;
    let tenant = tenant_of(&record)?;
    let acting = app.authorize(store, &tenant, action)?;
    ensure_plan(store, campaign_id, &acting.label, now)?;
    let record = store.campaign(campaign_id)?;
    if record.state == CampaignState::Completed {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("campaign {campaign_id} is completed: its removals are decided"),
        ));
    }
    let person = acting.person()?.clone();
    let separation = crate::campaigns::separation(store, &tenant)?;
    let items = store.items(campaign_id, item_ids)?;
    if items.iter().any(|item| separation.is_own(&person.id, &item.principal_id)) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("nobody {verb} the removal of their own access, directly or through a group"),
        ));
    }
    Ok((items, acting))
}

/// A reason a person gives for keeping access: required, and short enough for the auditor.
fn keep_reason(reason: String) -> Result<String, AppError> {
    let reason = reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > MAX_KEEP_REASON {
        let message = format!("say why the access stays (1 to {MAX_KEEP_REASON} characters)");
        return Err(AppError::fields(
            message.clone(),
            vec![FieldErrorDto { field: "reason".into(), message }],
        ));
    }
    Ok(reason)
}

/// Remediating → Completed when every removal is settled — sent and verified removed, or not made
/// and kept by a named admin — and no held item waits for confirmation. A removal that was not
/// made and nobody resolved keeps the campaign open.
fn complete_if_done(
    store: &mut Store,
    campaign_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if store.campaign(campaign_id)?.state != CampaignState::Remediating {
        return Ok(());
    }
    let actions = store.remediation_actions(campaign_id)?;
    let done =
        actions.iter().all(|a| remediation::settled(a.state, a.verification, a.kept.is_some()));
    let waiting = store
        .remediation_holds(campaign_id)?
        .iter()
        .any(|h| h.confirmable && h.confirmed_by_upn.is_none() && h.kept.is_none());
    if done && !waiting {
        store.set_campaign_state(
            campaign_id,
            CampaignState::Completed,
            Some("every removal is verified removed or kept by a named admin"),
            actor,
            now,
        )?;
    }
    Ok(())
}

/// The safety settings as saved: minimums of at least 1, and an empty critical-role list only
/// with a reason (kept with it; dropped when there is a critical role).
fn checked_safety(mut safety: SafetyDto) -> Result<SafetyDto, AppError> {
    if let Some(bad) = safety.critical_roles.iter().find(|c| c.minimum_holders < 1) {
        return Err(AppError::fields(
            format!("{} needs a minimum of at least 1 holder", bad.name),
            vec![FieldErrorDto {
                field: "criticalRoles.minimumHolders".into(),
                message: "at least 1".into(),
            }],
        ));
    }
    safety.no_critical_roles_because = if safety.critical_roles.is_empty() {
        let because = safety
            .no_critical_roles_because
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .ok_or_else(|| {
                let message = "with no critical role, a review could remove every Global \
                               Administrator: say why no role needs a minimum"
                    .to_string();
                AppError::fields(
                    message.clone(),
                    vec![FieldErrorDto { field: "criticalRoles".into(), message }],
                )
            })?;
        Some(keep_reason(because.to_string())?)
    } else {
        None
    };
    Ok(safety)
}

impl App {
    /// The tenant's safety interlocks in force (defaults until set).
    pub async fn remediation_safety(&self, tenant_id: &str) -> Result<SafetyDto, AppError> {
        let tenant = tenant_id.to_string();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            load_safety(store, &tenant)
        })
        .await
    }

    /// Replaces the tenant's protected principals and critical roles (a governance admin only).
    /// A minimum below 1 is refused, and so is an empty critical-role list unless it says why:
    /// switching the minimum-holder interlock off is an explicit, audited decision.
    pub async fn set_remediation_safety(
        &self,
        tenant_id: &str,
        safety: SafetyDto,
    ) -> Result<(), AppError> {
        let tenant = tenant_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            // Who asks comes first: a person who may not change the interlocks learns only that.
            let acting = app.authorize(store, &tenant, Action::ChangeSafety)?;
            let safety = checked_safety(safety)?;
            let json = serde_json::to_string(&safety).map_err(storage)?;
            store.set_setting(&safety_key(&tenant), &json, &acting.label, now)?;
            Ok(())
        })
        .await
    }

    /// The campaign's tenant and who does `action` on it, authorized, with the plan made (by them)
    /// if the close did not make it.
    pub(crate) async fn planned_for(
        &self,
        campaign_id: &str,
        action: Action,
    ) -> Result<(String, Acting), AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let tenant = tenant_of(&store.campaign(&id)?)?;
            let acting = app.authorize(store, &tenant, action)?;
            ensure_plan(store, &id, &acting.label, now)?;
            Ok((tenant, acting))
        })
        .await
    }

    /// The preview (before applying) or the record (after): per role and per person what is
    /// removed and why, what is held back and why. Makes the plan if the close did not.
    pub async fn remediation_plan(
        &self,
        campaign_id: &str,
    ) -> Result<RemediationPlanDto, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let tenant = tenant_of(&store.campaign(&id)?)?;
            let actor = app.acting_on(store, &tenant)?.label;
            ensure_plan(store, &id, &actor, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// The governance admin acting confirms a removal held for a critical role; it joins the
    /// journal as a planned action (and is re-checked against live state when it is applied).
    /// Nobody confirms the removal of their own access.
    pub async fn remediation_confirm_held(
        &self,
        campaign_id: &str,
        item_id: u32,
    ) -> Result<RemediationPlanDto, AppError> {
        self.remediation_confirm_holds(campaign_id, vec![item_id]).await
    }

    /// The governance admin acting confirms several held removals at once (the window's "confirm
    /// all N" of one group): all or none, each audited as its own confirmation and re-checked
    /// against live state when it is applied. Nobody confirms the removal of their own access.
    pub async fn remediation_confirm_holds(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
    ) -> Result<RemediationPlanDto, AppError> {
        if item_ids.is_empty() {
            return Err(AppError::new(
                ErrorCode::Invalid,
                "name at least one held item to confirm",
            ));
        }
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let (items, acting) =
                items_to_decide(&app, store, &id, &item_ids, Action::DecideHold, "confirms", now)?;
            let confirmer = acting.person()?;
            let record = store.campaign(&id)?;
            let actions = items
                .iter()
                .map(|item| {
                    let target = target_of(item)?;
                    Ok(new_action(
                        &id,
                        &record.name,
                        item,
                        Endpoint::of(target.surface, target.kind),
                    ))
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            store.confirm_remediation_holds(&id, &actions, &confirmer.id, &confirmer.upn, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// The governance admin acting decides removals held for critical roles should not go ahead:
    /// the access stays, recorded with their reason as an exception in the evidence, and the
    /// campaign no longer waits for them. All or nothing; nobody keeps their own access.
    pub async fn remediation_keep_held(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
        reason: String,
    ) -> Result<RemediationPlanDto, AppError> {
        let reason = keep_reason(reason)?;
        if item_ids.is_empty() {
            return Err(AppError::new(ErrorCode::Invalid, "name at least one held item to keep"));
        }
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let (_, acting) =
                items_to_decide(&app, store, &id, &item_ids, Action::DecideHold, "keeps", now)?;
            let keeper = acting.person()?;
            store.keep_remediation_holds(&id, &item_ids, &keeper.id, &keeper.upn, &reason, now)?;
            complete_if_done(store, &id, &acting.label, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// The governance admin acting resolves removals that were not made (skipped or failed): keep
    /// the access with a reason, retry as planned, or re-plan at the assignment as it is live now.
    /// Retried and re-planned removals go back to planned for the next apply, which checks the
    /// interlocks and the drift again first. All or nothing; nobody resolves their own access.
    pub async fn remediation_resolve(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
        resolution: Resolution,
        reason: Option<String>,
    ) -> Result<RemediationPlanDto, AppError> {
        if item_ids.is_empty() {
            return Err(AppError::new(ErrorCode::Invalid, "name at least one removal to resolve"));
        }
        let reason = match resolution {
            Resolution::Keep => Some(keep_reason(reason.unwrap_or_default())?),
            Resolution::Retry | Resolution::Replan => None,
        };
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        let wanted = item_ids.clone();
        let (tenant, actions) = self
            .with_store(move |store| {
                let (_, acting) = items_to_decide(
                    &app,
                    store,
                    &id,
                    &wanted,
                    Action::ResolveException,
                    "resolves",
                    now,
                )?;
                acting.person()?;
                let actions: Vec<ActionRecord> = store
                    .remediation_actions(&id)?
                    .into_iter()
                    .filter(|a| wanted.contains(&a.item_id))
                    .collect();
                Ok((tenant_of(&store.campaign(&id)?)?, actions))
            })
            .await?;
        if let Some(missing) = item_ids.iter().find(|i| !actions.iter().any(|a| a.item_id == **i)) {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("item {missing} has no removal in campaign {campaign_id}"),
            ));
        }
        // A re-plan aims at the live assignment: read it now, before anything is written.
        let mut replans: HashMap<u32, Option<Replan>> = HashMap::new();
        if resolution == Resolution::Replan {
            let client = self.session(&tenant)?.graph.clone();
            let targets = actions.iter().map(action_target).collect::<Result<Vec<_>, _>>()?;
            for (a, live) in actions.iter().zip(remove::read_live(&client, &targets).await) {
                let standing: Vec<LiveInstance> = live?
                    .into_iter()
                    .filter(|i| i.membership == Membership::Direct && !i.activated)
                    .collect();
                let replan = match standing.as_slice() {
                    [] => None,
                    [one] => Some(Replan { source_id: one.id.clone(), end: one.end }),
                    _ => {
                        return Err(AppError::new(
                            ErrorCode::Conflict,
                            format!(
                                "item {}: {} holds {} live assignments of {} at this scope; \
                                 change them in the tenant, or keep the access",
                                a.item_id,
                                a.principal_name,
                                standing.len(),
                                a.role_name
                            ),
                        ));
                    }
                };
                replans.insert(a.item_id, replan);
            }
        }
        let id = campaign_id.to_string();
        let app = self.clone();
        self.with_store(move |store| {
            let (_, acting) = items_to_decide(
                &app,
                store,
                &id,
                &item_ids,
                Action::ResolveException,
                "resolves",
                now,
            )?;
            let person = acting.person()?;
            match (resolution, reason) {
                (Resolution::Keep, Some(reason)) => store.keep_remediation_exceptions(
                    &id,
                    &item_ids,
                    &person.id,
                    &person.upn,
                    &reason,
                    now,
                )?,
                _ => {
                    let requeues: Vec<Requeue> = actions
                        .iter()
                        .map(|a| {
                            let replan = replans.remove(&a.item_id).flatten();
                            let source = replan
                                .as_ref()
                                .map_or(a.source_id.as_str(), |r| r.source_id.as_str());
                            Requeue {
                                item_id: a.item_id,
                                idempotency_key: idempotency_key(
                                    &id,
                                    a.item_id,
                                    source,
                                    a.retries + 1,
                                ),
                                // A re-plan that found nothing live goes back as it was: the
                                // apply's re-read then finds it gone.
                                replan,
                            }
                        })
                        .collect();
                    store.requeue_remediation(&id, &requeues, &acting.label, now)?;
                }
            }
            complete_if_done(store, &id, &acting.label, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// Re-reads the tenant for every finished removal: verified-removed, still-present or
    /// reappeared. Run it on demand until the deadline; overdue actions are flagged.
    pub async fn remediation_verify(
        &self,
        campaign_id: &str,
    ) -> Result<RemediationPlanDto, AppError> {
        let now = self.now();
        let (tenant_id, acting) = self.planned_for(campaign_id, Action::Verify).await?;
        let client = self.session(&tenant_id)?.graph.clone();
        self.verify_pass(campaign_id, &client, false, &acting.label).await?;
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            complete_if_done(store, &id, &acting.label, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// One verification pass over the final, sent actions (`only_unverified`: those not yet
    /// verified removed). Reads that fail leave their action unverified for the next pass.
    async fn verify_pass(
        &self,
        campaign_id: &str,
        client: &GraphClient,
        only_unverified: bool,
        actor: &str,
    ) -> Result<(), AppError> {
        let id = campaign_id.to_string();
        let actions: Vec<ActionRecord> = self
            .with_store(move |store| Ok(store.remediation_actions(&id)?))
            .await?
            .into_iter()
            .filter(|a| matches!(a.state, ActionState::Succeeded | ActionState::Failed))
            .filter(|a| !only_unverified || !a.verification.is_some_and(Verification::verified))
            .collect();
        if actions.is_empty() {
            return Ok(());
        }
        let (removals, changes): (Vec<ActionRecord>, Vec<ActionRecord>) =
            actions.into_iter().partition(|a| a.change == Change::Remove);
        let targets = removals.iter().map(action_target).collect::<Result<Vec<_>, _>>()?;
        let lives = remove::read_live(client, &targets).await;
        let mut results: Vec<(u32, Verification, String)> = removals
            .iter()
            .zip(lives)
            .filter_map(|(a, live)| {
                let live = live.ok()?;
                let (verification, note) = remediation::verify(a.verification, &live);
                Some((a.item_id, verification, note))
            })
            .collect();
        let changes = changes
            .into_iter()
            .map(|a| action_target(&a).map(|t| (a, t)))
            .collect::<Result<Vec<_>, _>>()?;
        results.extend(change::verify_changes(client, &changes).await);
        let id = campaign_id.to_string();
        let actor = actor.to_string();
        let now = self.now();
        self.with_store(move |store| Ok(store.record_verifications(&id, &results, &actor, now)?))
            .await
    }

    /// What the close does next: make the plan, and apply it when the campaign says auto-apply.
    /// The close itself has committed; a failure here is logged and left for a person to retry.
    pub(crate) async fn after_close(&self, campaign_id: &str) {
        match self.remediation_plan(campaign_id).await {
            Ok(plan) if plan.auto_apply => {
                let quiet = |_: RemediationProgressDto| {};
                if let Err(err) =
                    self.remediation_apply(campaign_id, &quiet, CancellationToken::new()).await
                {
                    tracing::warn!(campaign = campaign_id, error = %err, "auto-apply did not finish");
                }
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(campaign = campaign_id, error = %err, "no remediation plan at close")
            }
        }
    }
}
