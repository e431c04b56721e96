//! Remediation use cases: the plan made once at close (removals and holds), its preview per role
//! and per person, confirming held items, applying — journaled before and after each request,
//! resumable, bounded and throttling-aware — and verifying by re-reading the tenant until the
//! deadline. The campaign goes Closed → Remediating → Completed as the journal fills.

pub mod dto;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::{
    self, ActionState, CriticalRole, Directory, Endpoint, Hold, Live, LiveInstance, Safety, Step,
    Target, Verification,
};
use recert_domain::{AssignmentKind, Membership, PrincipalKind, Surface};
use recert_graph::remove::{self, RemovalTarget, Sent};
use recert_graph::{CancellationToken, GraphClient, GraphError};
use recert_store::Store;
use recert_store::remediation::{ActionRecord, Finish, NewAction, NewHold};
use recert_store::worklist::ItemRecord;
use sha2::{Digest, Sha256};

use crate::campaigns::dto::IdentityDto;
use crate::campaigns::{parse_definition, rfc3339};
use crate::error::FieldErrorDto;
use crate::{App, AppError, ErrorCode};
use dto::{
    CriticalRoleDto, HeldItemDto, PersonRemediationDto, RemediationActionDto, RemediationCountsDto,
    RemediationPlanDto, RemediationProgressDto, RoleRemediationDto, SafetyDto,
};

/// The setting that holds [`SafetyDto`].
const SAFETY: &str = "remediation.safety";
const GOVERNANCE_ADMINS: &str = "governance.admins";
/// Attempts per action before it is recorded as failed (each one preceded by a re-read).
const MAX_ATTEMPTS: u32 = 12;
/// Actions re-read together: one `$batch` holds 20 steps.
const CHUNK: usize = 20;

/// How an apply run behaves.
#[derive(Clone, Copy, Debug)]
pub struct ApplyOptions {
    /// Requests in flight at most (throttling lowers it further).
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> ApplyOptions {
        ApplyOptions { concurrency: 16 }
    }
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
    }
}

fn load_safety(store: &Store) -> Result<SafetyDto, AppError> {
    match store.setting(SAFETY)? {
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
/// an ARM request is named the same on every attempt.
fn idempotency_key(campaign_id: &str, item_id: u32, source_id: &str) -> String {
    let digest = hex::encode(Sha256::digest(format!("{campaign_id}\n{item_id}\n{source_id}")));
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
        idempotency_key: idempotency_key(campaign_id, item.id, &item.source_id),
    }
}

/// Items the plan covers: removals, and removals that could not be made because the access comes
/// through a group (so the preview names the group).
fn due(item: &ItemRecord) -> bool {
    match item.outcome.as_deref() {
        Some("remove") => true,
        Some("exception") => item.outcome_code.as_deref() == Some("viaGroup"),
        _ => false,
    }
}

/// The tenant's directory as last pulled: group members, names, UPNs.
fn directory(store: &Store, tenant_id: &str) -> Result<Directory, AppError> {
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
    let safety_settings = load_safety(store)?;
    let safety = safety_from(&safety_settings);
    let items: Vec<ItemRecord> = store.all_items(campaign_id)?.into_iter().filter(due).collect();
    let targets = items.iter().map(target_of).collect::<Result<Vec<_>, _>>()?;
    let population =
        store.population(&definition.tenant_id)?.map(|p| p.assignments).unwrap_or_default();
    let dir = directory(store, &definition.tenant_id)?;
    let planned = remediation::plan(&targets, &population, &dir, &safety, &BTreeSet::new());
    let mut actions = Vec::new();
    let mut holds = Vec::new();
    for ((item, target), p) in items.iter().zip(&targets).zip(planned) {
        match p.step {
            Step::Remove(endpoint) => {
                actions.push(new_action(campaign_id, &record.name, item, endpoint))
            }
            Step::Hold(hold) => holds.push(NewHold {
                item_id: item.id,
                code: hold.code().into(),
                reason: hold.describe(),
                proposal: hold.proposal(target),
                confirmable: hold.confirmable(),
            }),
        }
    }
    let safety_json = serde_json::to_string(&safety_settings).map_err(storage)?;
    store.record_remediation_plan(campaign_id, &actions, &holds, &safety_json, actor, now)?;
    Ok(())
}

fn is_governance_admin(store: &Store, identity: &IdentityDto) -> Result<Option<bool>, AppError> {
    let Some(json) = store.setting(GOVERNANCE_ADMINS)? else { return Ok(None) };
    let admins: Vec<IdentityDto> = serde_json::from_str(&json).map_err(storage)?;
    if admins.is_empty() {
        return Ok(None);
    }
    Ok(Some(admins.iter().any(|a| {
        a.id == identity.id || (!a.upn.is_empty() && a.upn.eq_ignore_ascii_case(&identity.upn))
    })))
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
            None => {}
        }
        let settled = a.state == ActionState::Skipped
            || (a.state.is_final() && a.verification == Some(Verification::VerifiedRemoved));
        let action_overdue = overdue && !settled;
        counts.overdue += u32::from(action_overdue);
        let upn = items.get(&a.item_id).and_then(|i| i.principal_upn.clone());
        roles
            .entry((a.role_name.clone(), a.role_id.clone()))
            .or_insert_with(|| RoleRemediationDto {
                role_id: a.role_id.clone(),
                role_name: a.role_name.clone(),
                ..Default::default()
            })
            .remove += 1;
        people
            .entry((a.principal_name.to_lowercase(), a.principal_id.clone()))
            .or_insert_with(|| PersonRemediationDto {
                principal_id: a.principal_id.clone(),
                principal_name: a.principal_name.clone(),
                principal_upn: upn.clone(),
                ..Default::default()
            })
            .remove
            .push(format!("{} ({}): {}", a.role_name, a.kind, a.why));
        actions.push(RemediationActionDto {
            item_id: a.item_id,
            surface: a.surface,
            kind: a.kind,
            request: Endpoint::parse(&a.endpoint).map_or("", |e| e.describe()).to_string(),
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
        roles: roles.into_values().collect(),
        people: people.into_values().collect(),
        actions,
        held,
    })
}

/// The longest reason a kept removal takes: a sentence or two for the auditor, not a document.
const MAX_KEEP_REASON: usize = 1000;

/// The held items `item_ids` of a campaign still in remediation, when `who` (a governance admin
/// of the campaign's tenant, holding none of them) may decide them; `verb` words the refusals.
fn held_items_for(
    store: &mut Store,
    campaign_id: &str,
    item_ids: &[u32],
    who: &IdentityDto,
    verb: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<ItemRecord>, AppError> {
    ensure_plan(store, campaign_id, actor, now)?;
    let record = store.campaign(campaign_id)?;
    if record.state == CampaignState::Completed {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("campaign {campaign_id} is completed: its removals are decided"),
        ));
    }
    let (definition, _) = parse_definition(&record.definition)?;
    if who.tenant_id != definition.tenant_id || who.id.trim().is_empty() {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "a held removal is decided by a named person of the campaign's tenant",
        ));
    }
    if is_governance_admin(store, who)? == Some(false) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("{} is not a governance admin", who.upn),
        ));
    }
    let items = store.items(campaign_id, item_ids)?;
    if items.iter().any(|item| item.principal_id.eq_ignore_ascii_case(&who.id)) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("nobody {verb} a held removal of their own access"),
        ));
    }
    Ok(items)
}

/// Remediating → Completed when every action is final, every removal (and failure) is verified
/// removed, and no held item waits for confirmation.
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
    let done = actions.iter().all(|a| {
        a.state == ActionState::Skipped
            || (a.state.is_final() && a.verification == Some(Verification::VerifiedRemoved))
    });
    let waiting = store
        .remediation_holds(campaign_id)?
        .iter()
        .any(|h| h.confirmable && h.confirmed_by_upn.is_none() && h.kept.is_none());
    if done && !waiting {
        store.set_campaign_state(
            campaign_id,
            CampaignState::Completed,
            Some("every removal is done and verified"),
            actor,
            now,
        )?;
    }
    Ok(())
}

/// What one apply worker needs.
struct Run<'a> {
    app: &'a App,
    client: GraphClient,
    campaign_id: String,
    actor: String,
    items: HashMap<u32, ItemRecord>,
    total: u32,
    done: AtomicU32,
    progress: &'a (dyn Fn(RemediationProgressDto) + Send + Sync),
    cancel: CancellationToken,
}

fn cancelled(err: &GraphError) -> bool {
    matches!(err, GraphError::Cancelled)
}

impl Run<'_> {
    async fn store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store, &str, DateTime<Utc>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let id = self.campaign_id.clone();
        let now = self.app.now();
        self.app.with_store(move |store| work(store, &id, now)).await
    }

    async fn finish(&self, a: &ActionRecord, finish: Finish) -> Result<(), AppError> {
        let item = a.item_id;
        let actor = self.actor.clone();
        let state = finish.state;
        let message = finish.reason.clone();
        self.store(move |s, id, now| Ok(s.remediation_finished(id, item, &finish, &actor, now)?))
            .await?;
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.progress)(RemediationProgressDto {
            done,
            total: self.total,
            item_id: item,
            state: state.as_str().into(),
            principal_name: a.principal_name.clone(),
            role_name: a.role_name.clone(),
            message,
        });
        Ok(())
    }

    fn removal_target(&self, a: &ActionRecord) -> Result<RemovalTarget, AppError> {
        let endpoint = Endpoint::parse(&a.endpoint).ok_or_else(|| {
            AppError::new(ErrorCode::Storage, format!("unknown endpoint {:?}", a.endpoint))
        })?;
        Ok(removal_target(endpoint, &a.role_id, &a.scope, &a.principal_id))
    }

    async fn reread(&self, target: &RemovalTarget) -> Result<Vec<LiveInstance>, GraphError> {
        remove::read_live(&self.client, std::slice::from_ref(target))
            .await
            .pop()
            .unwrap_or(Err(GraphError::Cancelled))
    }

    /// One action from its re-read to its journaled result. Returns without journaling only when
    /// cancelled: the action then stays planned or submitted and the next run re-reads it.
    async fn apply_one(
        &self,
        mut a: ActionRecord,
        mut live: Result<Vec<LiveInstance>, GraphError>,
    ) -> Result<(), AppError> {
        let target = self.removal_target(&a)?;
        let Some(item) = self.items.get(&a.item_id) else {
            return Err(AppError::new(ErrorCode::Storage, format!("no item {}", a.item_id)));
        };
        let snapshot = target_of(item)?;
        let body: serde_json::Value = serde_json::from_str(&a.request_body).map_err(storage)?;
        let mut read_failures = 0;
        loop {
            let instances = match live {
                Ok(instances) => instances,
                Err(err) if cancelled(&err) => return Ok(()),
                Err(err) => {
                    // The read already retried; try a few more times, then give up on this one.
                    read_failures += 1;
                    if read_failures >= 3 {
                        let reason = format!("the assignment could not be re-read: {err}");
                        return self.finish(&a, failed("unreadable", reason, &err)).await;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    live = self.reread(&target).await;
                    continue;
                }
            };
            match remediation::check_live(&snapshot, &instances) {
                Live::Gone => {
                    let (code, reason) = if a.state == ActionState::Submitted {
                        ("removed", "removed: confirmed by re-reading the tenant".to_string())
                    } else {
                        ("alreadyGone", "already gone before Recert's request".to_string())
                    };
                    return self.finish(&a, done(code, reason, None, None)).await;
                }
                Live::Changed(hold) => {
                    return self.finish(&a, skipped(&hold)).await;
                }
                Live::Present => {}
            }
            // Only attempts the service answered with an error count towards giving up: an attempt
            // cut short by a crash or kill left no answer, and the re-read above just showed the
            // assignment still present, so resending it is the resumed work, not a retry storm.
            if a.attempts >= MAX_ATTEMPTS && a.last_error.is_some() {
                let reason = format!(
                    "gave up after {} attempts: {}",
                    a.attempts,
                    a.last_error.as_deref().unwrap_or("no answer")
                );
                return self
                    .finish(&a, Finish { error: None, ..failed_text("gaveUp", reason) })
                    .await;
            }
            let item_id = a.item_id;
            let actor = self.actor.clone();
            a.attempts = self
                .store(move |s, id, now| Ok(s.remediation_submitted(id, item_id, &actor, now)?))
                .await?;
            a.state = ActionState::Submitted;
            match remove::send_removal(&self.client, &target, &a.idempotency_key, &body).await {
                Sent::Accepted { request_id, status } => {
                    if let Some(s) = status.as_deref().filter(|s| remove::status_failed(s)) {
                        let reason = format!("the service answered the request with status {s}");
                        let mut f = failed_text(s, reason);
                        f.request_id = request_id;
                        f.request_status = status;
                        return self.finish(&a, f).await;
                    }
                    let reason = format!(
                        "removed (request {}, status {})",
                        request_id.as_deref().unwrap_or("?"),
                        status.as_deref().unwrap_or("?")
                    );
                    return self.finish(&a, done("removed", reason, request_id, status)).await;
                }
                Sent::Refused { code, error } => {
                    let reason = format!("the tenant refused the removal: {error}");
                    let mut f = Finish {
                        state: ActionState::Skipped,
                        code: code.clone(),
                        reason,
                        request_id: error.request_id().map(str::to_string),
                        request_status: None,
                        error: Some(error.to_string()),
                    };
                    if code.eq_ignore_ascii_case("ActivatedAssignmentCannotBeRemoved") {
                        f.code = "activated".into();
                    } else if code.eq_ignore_ascii_case("InheritedAssignmentCannotBeRemoved") {
                        f.code = "inherited".into();
                    }
                    return self.finish(&a, f).await;
                }
                Sent::Failed(error) if cancelled(&error) => return Ok(()),
                Sent::Failed(error) => {
                    let reason = format!("the removal failed: {error}");
                    return self
                        .finish(&a, failed(error.code().to_string().as_str(), reason, &error))
                        .await;
                }
                Sent::DoesNotExist(error) => {
                    // "Already gone" is verified by re-reading, never retried blindly.
                    self.attempt_failed(&mut a, &error).await?;
                    live = self.reread(&target).await;
                }
                Sent::Unknown { error, retry_after } => {
                    self.attempt_failed(&mut a, &error).await?;
                    let wait =
                        retry_after.unwrap_or(Duration::from_millis(500 * u64::from(a.attempts)));
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = self.cancel.cancelled() => return Ok(()),
                    }
                    live = self.reread(&target).await;
                }
            }
        }
    }

    async fn attempt_failed(
        &self,
        a: &mut ActionRecord,
        error: &GraphError,
    ) -> Result<(), AppError> {
        let item = a.item_id;
        let actor = self.actor.clone();
        let text = error.to_string();
        a.last_error = Some(text.clone());
        self.store(
            move |s, id, now| Ok(s.remediation_attempt_failed(id, item, &text, &actor, now)?),
        )
        .await
    }

    /// Re-reads a chunk (one `$batch`) and applies each of its actions.
    async fn apply_chunk(&self, chunk: Vec<ActionRecord>) -> Result<(), AppError> {
        let targets =
            chunk.iter().map(|a| self.removal_target(a)).collect::<Result<Vec<_>, _>>()?;
        let lives = remove::read_live(&self.client, &targets).await;
        let results = futures_util::future::join_all(
            chunk.into_iter().zip(lives).map(|(a, live)| self.apply_one(a, live)),
        )
        .await;
        results.into_iter().collect()
    }
}

fn done(code: &str, reason: String, request_id: Option<String>, status: Option<String>) -> Finish {
    Finish {
        state: ActionState::Succeeded,
        code: code.into(),
        reason,
        request_id,
        request_status: status,
        error: None,
    }
}

fn skipped(hold: &Hold) -> Finish {
    Finish {
        state: ActionState::Skipped,
        code: hold.code().into(),
        reason: hold.describe(),
        request_id: None,
        request_status: None,
        error: None,
    }
}

fn failed_text(code: &str, reason: String) -> Finish {
    Finish {
        state: ActionState::Failed,
        code: code.into(),
        reason,
        request_id: None,
        request_status: None,
        error: None,
    }
}

fn failed(code: &str, reason: String, error: &GraphError) -> Finish {
    Finish {
        request_id: error.request_id().map(str::to_string),
        error: Some(error.to_string()),
        ..failed_text(code, reason)
    }
}

impl App {
    /// The safety interlocks in force (defaults until set).
    pub async fn remediation_safety(&self) -> Result<SafetyDto, AppError> {
        self.with_store(|store| load_safety(store)).await
    }

    /// Replaces the protected principals and critical roles. A minimum below 1 is refused.
    pub async fn set_remediation_safety(&self, safety: SafetyDto) -> Result<(), AppError> {
        if let Some(bad) = safety.critical_roles.iter().find(|c| c.minimum_holders < 1) {
            return Err(AppError::fields(
                format!("{} needs a minimum of at least 1 holder", bad.name),
                vec![crate::error::FieldErrorDto {
                    field: "criticalRoles.minimumHolders".into(),
                    message: "at least 1".into(),
                }],
            ));
        }
        let actor = self.actor.clone();
        let now = self.now();
        self.with_store(move |store| {
            let json = serde_json::to_string(&safety).map_err(storage)?;
            store.set_setting(SAFETY, &json, &actor, now)?;
            Ok(())
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
        let actor = self.actor.clone();
        let now = self.now();
        self.with_store(move |store| {
            ensure_plan(store, &id, &actor, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// A named person confirms a removal held for a critical role; it joins the journal as a
    /// planned action. Nobody confirms the removal of their own access.
    pub async fn remediation_confirm_held(
        &self,
        campaign_id: &str,
        item_id: u32,
        confirmer: IdentityDto,
    ) -> Result<RemediationPlanDto, AppError> {
        let id = campaign_id.to_string();
        let actor = self.actor.clone();
        let now = self.now();
        self.with_store(move |store| {
            let item = held_items_for(store, &id, &[item_id], &confirmer, "confirms", &actor, now)?
                .pop()
                .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("no item {item_id}")))?;
            let record = store.campaign(&id)?;
            let endpoint = Endpoint::of(target_of(&item)?.surface, target_of(&item)?.kind);
            let action = new_action(&id, &record.name, &item, endpoint);
            store.confirm_remediation_hold(&id, &action, &confirmer.id, &confirmer.upn, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// A named person decides removals held for critical roles should not go ahead: the access
    /// stays, recorded with their reason as an exception in the evidence, and the campaign no
    /// longer waits for them. All or nothing; nobody decides to keep their own access.
    pub async fn remediation_keep_held(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
        keeper: IdentityDto,
        reason: String,
    ) -> Result<RemediationPlanDto, AppError> {
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > MAX_KEEP_REASON {
            let message = format!("say why the access stays (1 to {MAX_KEEP_REASON} characters)");
            return Err(AppError::fields(
                message.clone(),
                vec![FieldErrorDto { field: "reason".into(), message }],
            ));
        }
        if item_ids.is_empty() {
            return Err(AppError::new(ErrorCode::Invalid, "name at least one held item to keep"));
        }
        let id = campaign_id.to_string();
        let actor = self.actor.clone();
        let now = self.now();
        self.with_store(move |store| {
            held_items_for(store, &id, &item_ids, &keeper, "keeps", &actor, now)?;
            store.keep_remediation_holds(&id, &item_ids, &keeper.id, &keeper.upn, &reason, now)?;
            complete_if_done(store, &id, &actor, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// Applies the plan with the default options.
    pub async fn remediation_apply(
        &self,
        campaign_id: &str,
        progress: &(dyn Fn(RemediationProgressDto) + Send + Sync),
        cancel: CancellationToken,
    ) -> Result<RemediationPlanDto, AppError> {
        self.remediation_apply_with(campaign_id, ApplyOptions::default(), progress, cancel).await
    }

    /// Applies every action that is not final yet, then verifies. Each intent is journaled before
    /// its request and each result after; an interrupted run resumes by re-reading, never by
    /// resending blindly. One failed action never stops the others.
    pub async fn remediation_apply_with(
        &self,
        campaign_id: &str,
        options: ApplyOptions,
        progress: &(dyn Fn(RemediationProgressDto) + Send + Sync),
        cancel: CancellationToken,
    ) -> Result<RemediationPlanDto, AppError> {
        let id = campaign_id.to_string();
        let actor = self.actor.clone();
        let now = self.now();
        let (tenant_id, pending, items) = self
            .with_store(move |store| {
                ensure_plan(store, &id, &actor, now)?;
                let record = store.campaign(&id)?;
                let (definition, _) = parse_definition(&record.definition)?;
                if record.state == CampaignState::Closed {
                    store.set_campaign_state(
                        &id,
                        CampaignState::Remediating,
                        Some("removals are being applied"),
                        &actor,
                        now,
                    )?;
                }
                let pending: Vec<ActionRecord> = store
                    .remediation_actions(&id)?
                    .into_iter()
                    .filter(|a| !a.state.is_final())
                    .collect();
                let items: HashMap<u32, ItemRecord> =
                    store.all_items(&id)?.into_iter().map(|i| (i.id, i)).collect();
                Ok((definition.tenant_id, pending, items))
            })
            .await?;
        let session = self.session(&tenant_id)?;
        let client = session
            .graph
            .clone()
            .with_max_concurrency(options.concurrency.max(1))
            .with_cancellation(cancel.clone());
        let run = Arc::new(Run {
            app: self,
            client,
            campaign_id: campaign_id.to_string(),
            actor: self.actor.clone(),
            items,
            total: pending.len() as u32,
            done: AtomicU32::new(0),
            progress,
            cancel: cancel.clone(),
        });
        let chunks: Vec<Vec<ActionRecord>> = pending.chunks(CHUNK).map(<[_]>::to_vec).collect();
        // A handful of chunks at once keeps the pacer's permits busy without flooding memory.
        let in_flight = options.concurrency.div_ceil(CHUNK / 4).clamp(1, 8);
        let results: Vec<Result<(), AppError>> = futures_util::stream::iter(chunks)
            .map(|chunk| {
                let run = run.clone();
                async move { run.apply_chunk(chunk).await }
            })
            .buffer_unordered(in_flight)
            .collect()
            .await;
        if let Some(err) = results.into_iter().find_map(Result::err) {
            return Err(err);
        }
        if cancel.is_cancelled() {
            return Err(AppError::new(
                ErrorCode::Cancelled,
                "apply was cancelled; run it again to resume",
            ));
        }
        self.verify_pass(campaign_id, &run.client, true).await?;
        let id = campaign_id.to_string();
        let actor = self.actor.clone();
        let now = self.now();
        self.with_store(move |store| {
            complete_if_done(store, &id, &actor, now)?;
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
        let id = campaign_id.to_string();
        let actor = self.actor.clone();
        let now = self.now();
        let tenant_id = self
            .with_store(move |store| {
                ensure_plan(store, &id, &actor, now)?;
                let record = store.campaign(&id)?;
                Ok(parse_definition(&record.definition)?.0.tenant_id)
            })
            .await?;
        let client = self.session(&tenant_id)?.graph.clone();
        self.verify_pass(campaign_id, &client, false).await?;
        let id = campaign_id.to_string();
        let actor = self.actor.clone();
        self.with_store(move |store| {
            complete_if_done(store, &id, &actor, now)?;
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
    ) -> Result<(), AppError> {
        let id = campaign_id.to_string();
        let actions: Vec<ActionRecord> = self
            .with_store(move |store| Ok(store.remediation_actions(&id)?))
            .await?
            .into_iter()
            .filter(|a| matches!(a.state, ActionState::Succeeded | ActionState::Failed))
            .filter(|a| !only_unverified || a.verification != Some(Verification::VerifiedRemoved))
            .collect();
        if actions.is_empty() {
            return Ok(());
        }
        let mut targets = Vec::with_capacity(actions.len());
        for a in &actions {
            let endpoint = Endpoint::parse(&a.endpoint).ok_or_else(|| {
                AppError::new(ErrorCode::Storage, format!("unknown endpoint {:?}", a.endpoint))
            })?;
            targets.push(removal_target(endpoint, &a.role_id, &a.scope, &a.principal_id));
        }
        let lives = remove::read_live(client, &targets).await;
        let results: Vec<(u32, Verification, String)> = actions
            .iter()
            .zip(lives)
            .filter_map(|(a, live)| {
                let live = live.ok()?;
                let (verification, note) = remediation::verify(a.verification, &live);
                Some((a.item_id, verification, note))
            })
            .collect();
        let id = campaign_id.to_string();
        let actor = self.actor.clone();
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
