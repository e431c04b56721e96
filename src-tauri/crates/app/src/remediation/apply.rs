//! Applying a campaign's removals. One run at a time per tenant, whatever starts it (the window,
//! the CLI, the scheduler): a guard in this process, an OS lock on a file beside the database that
//! the system releases the moment its holder dies, and a lease row in the database naming the
//! holder, renewed while it runs and expiring when it stops (where the lock file cannot tell, e.g.
//! a database shared over the network). Before each removal the interlocks are checked again at that moment — the protected
//! list in force, and for critical roles the live holders after every removal still pending in
//! any campaign of the tenant — then the drift check; the intent is journaled before the request
//! and the result after, resumable, bounded and throttling-aware.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use recert_domain::authority::Action;
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::change::Change;
use recert_domain::remediation::{
    self, ActionState, Directory, Endpoint, Hold, Live, LiveInstance, Target,
};
use recert_domain::{Assignment, AssignmentKind, Membership, PrincipalKind, Surface};
use recert_graph::remove::{self, RemovalTarget, Sent};
use recert_graph::{CancellationToken, GraphClient, GraphError};
use recert_store::Store;
use recert_store::remediation::{ActionRecord, Finish, PendingRemoval};
use recert_store::worklist::ItemRecord;

mod steps;

use super::dto::{RemediationPlanDto, RemediationProgressDto};
use super::{
    complete_if_done, directory, load_safety, plan_dto, removal_target, safety_from, storage,
    target_of,
};
use crate::context::{BesideDb, lock};
use crate::{App, AppError, ErrorCode};

/// Attempts per action before it is recorded as failed (each one preceded by a re-read).
const MAX_ATTEMPTS: u32 = 12;
/// Actions re-read together: one `$batch` holds 20 steps.
const CHUNK: usize = 20;
/// How long an apply lease lasts unless renewed: a crashed run blocks the next for this long.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// How often a running apply renews its lease.
const HEARTBEAT: Duration = Duration::from_secs(20);

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

/// A pending removal of some campaign as the interlocks count it (only what it removes matters).
fn pending_target(p: &PendingRemoval) -> Option<Target> {
    Some(Target {
        item_id: p.item_id,
        surface: Surface::parse(&p.surface)?,
        kind: AssignmentKind::parse(&p.kind)?,
        membership: Membership::parse(&p.membership)?,
        source_id: p.source_id.clone(),
        role_id: p.role_id.clone(),
        role_name: String::new(),
        scope: p.scope.clone(),
        principal_id: p.principal_id.clone(),
        principal_kind: PrincipalKind::parse(&p.principal_kind),
        principal_name: String::new(),
        principal_upn: None,
        end: None,
    })
}

/// A held apply lease: the database row, the in-process guard, the lock file, and the heartbeat
/// renewing the row.
struct Lease {
    app: App,
    tenant_id: String,
    token: String,
    /// Held locked for as long as the run lasts; the system unlocks it if the process dies.
    _lock: Option<std::fs::File>,
    heartbeat: tokio::task::JoinHandle<()>,
    /// Set when a renewal found the lease taken over (it expired): the run stops sending.
    lost: Arc<AtomicBool>,
    released: bool,
}

impl Lease {
    async fn release(mut self) {
        self.heartbeat.abort();
        let (tenant, token) = (self.tenant_id.clone(), self.token.clone());
        let released =
            self.app.with_store(move |s| Ok(s.release_apply_lease(&tenant, &token)?)).await;
        if let Err(err) = released {
            tracing::warn!(%err, "the apply lease was not released; it expires on its own");
        }
        lock(&self.app.applying).remove(&self.tenant_id);
        self.released = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        // Dropped without `release` (the apply future was dropped): give it back off the async
        // executor; if even that fails, the lease expires on its own.
        self.heartbeat.abort();
        lock(&self.app.applying).remove(&self.tenant_id);
        let (store, tenant, token) =
            (self.app.store.clone(), self.tenant_id.clone(), self.token.clone());
        std::thread::spawn(move || {
            let _ = lock(&store).release_apply_lease(&tenant, &token);
        });
    }
}

/// The name of this process, for the lease's holder.
fn program() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "recert".into())
}

impl App {
    /// Takes the tenant's apply lease for `campaign_id`, or says who holds it.
    async fn take_apply_lease(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        who: &str,
        cancel: CancellationToken,
    ) -> Result<Lease, AppError> {
        let holder = format!("{who} ({} process {})", program(), std::process::id());
        {
            let mut applying = lock(&self.applying);
            if let Some(other) = applying.get(tenant_id) {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "removals are already being applied to this tenant by {other}; try again \
                         when it finishes"
                    ),
                ));
            }
            applying.insert(tenant_id.to_string(), holder.clone());
        }
        let file_lock = match self.lock_file(tenant_id).await {
            Ok(file) => file,
            Err(err) => {
                lock(&self.applying).remove(tenant_id);
                return Err(err);
            }
        };
        // Holding the lock file, this run knows whoever holds the lease row has stopped.
        let holder_stopped = file_lock.is_some();
        // Random per run: only this run renews or releases what it took.
        let token = uuid::Uuid::new_v4().to_string();
        let (tenant, campaign, tok, h) =
            (tenant_id.to_string(), campaign_id.to_string(), token.clone(), holder.clone());
        let now = self.now();
        let acquired = self
            .with_store(move |s| {
                Ok(s.acquire_apply_lease(&tenant, &campaign, &tok, &h, now, LEASE, holder_stopped)?)
            })
            .await;
        if let Err(err) = acquired {
            lock(&self.applying).remove(tenant_id);
            return Err(err);
        }
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = {
            let (app, tenant, token, lost) =
                (self.clone(), tenant_id.to_string(), token.clone(), lost.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(HEARTBEAT).await;
                    let (t, k, now) = (tenant.clone(), token.clone(), app.now());
                    let renewed =
                        app.with_store(move |s| Ok(s.renew_apply_lease(&t, &k, now, LEASE)?)).await;
                    if !matches!(renewed, Ok(true)) {
                        tracing::warn!(tenant = %tenant, "the apply lease was lost: stopping");
                        lost.store(true, Ordering::SeqCst);
                        cancel.cancel();
                        return;
                    }
                }
            })
        };
        Ok(Lease {
            app: self.clone(),
            tenant_id: tenant_id.to_string(),
            token,
            _lock: file_lock,
            heartbeat,
            lost,
            released: false,
        })
    }

    /// Locks the tenant's apply lock file beside the database, or says who holds it. `None` when
    /// the database is in memory (nothing else can share it). The lock is the system's: it goes
    /// away with the process that holds it, however that process ends.
    async fn lock_file(&self, tenant_id: &str) -> Result<Option<std::fs::File>, AppError> {
        match self.lock_beside_db(&format!(".apply-{tenant_id}.lock"), "apply lock")? {
            BesideDb::Locked(file) => Ok(Some(file)),
            BesideDb::InMemory => Ok(None),
            BesideDb::Busy => {
                let (tenant, now) = (tenant_id.to_string(), self.now());
                let who = self
                    .with_store(move |s| Ok(s.apply_lease(&tenant, now)?))
                    .await?
                    .map(|h| format!("{} (campaign {})", h.holder, h.campaign_id))
                    .unwrap_or_else(|| "another Recert process on this machine".into());
                Err(AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "removals are already being applied to this tenant by {who}; try again \
                         when it finishes"
                    ),
                ))
            }
        }
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

    /// Applies every action that is not final yet, then verifies — by a governance admin, or the
    /// application where its unattended policy allows it, and by one run per tenant at a time.
    /// Each removal is re-checked against the interlocks as it is sent; each intent is journaled
    /// before its request and each result after; an interrupted run resumes by re-reading, never
    /// by resending blindly. One failed action never stops the others.
    pub async fn remediation_apply_with(
        &self,
        campaign_id: &str,
        options: ApplyOptions,
        progress: &(dyn Fn(RemediationProgressDto) + Send + Sync),
        cancel: CancellationToken,
    ) -> Result<RemediationPlanDto, AppError> {
        let (tenant_id, acting) = self.planned_for(campaign_id, Action::Apply).await?;
        // The lease's heartbeat stops this run (and only this run) if the lease is lost.
        let run_cancel = cancel.child_token();
        let lease = self
            .take_apply_lease(&tenant_id, campaign_id, &acting.label, run_cancel.clone())
            .await?;
        let result = self
            .apply_leased(campaign_id, &tenant_id, &acting.label, options, progress, &run_cancel)
            .await;
        let lost = lease.lost.load(Ordering::SeqCst);
        lease.release().await;
        if lost {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "the apply lease expired and another run took it over: this run stopped sending; \
                 the journal keeps what was done",
            ));
        }
        let plan = result?;
        if cancel.is_cancelled() {
            return Err(AppError::new(
                ErrorCode::Cancelled,
                "apply was cancelled; run it again to resume",
            ));
        }
        Ok(plan)
    }

    /// The apply itself, under the tenant's lease.
    async fn apply_leased(
        &self,
        campaign_id: &str,
        tenant_id: &str,
        actor: &str,
        options: ApplyOptions,
        progress: &(dyn Fn(RemediationProgressDto) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<RemediationPlanDto, AppError> {
        let id = campaign_id.to_string();
        let (tenant, who) = (tenant_id.to_string(), actor.to_string());
        let now = self.now();
        let (pending, items, dir, population, accepted) = self
            .with_store(move |store| {
                let record = store.campaign(&id)?;
                if record.state == CampaignState::Closed {
                    store.set_campaign_state(
                        &id,
                        CampaignState::Remediating,
                        Some("removals are being applied"),
                        &who,
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
                let accepted: HashMap<u32, u32> = store
                    .remediation_holds(&id)?
                    .into_iter()
                    .filter(|h| h.confirmed_by_upn.is_some())
                    .filter_map(|h| Some((h.item_id, h.holders_after?)))
                    .collect();
                let population =
                    store.population(&tenant)?.map(|p| p.assignments).unwrap_or_default();
                Ok((pending, items, directory(store, &tenant)?, population, accepted))
            })
            .await?;
        let session = self.session(tenant_id)?;
        let client = session
            .graph
            .clone()
            .with_max_concurrency(options.concurrency.max(1))
            .with_cancellation(cancel.clone());
        let run = Arc::new(Run {
            app: self,
            client,
            campaign_id: campaign_id.to_string(),
            tenant_id: tenant_id.to_string(),
            actor: actor.to_string(),
            items,
            directory: dir,
            population,
            accepted,
            concurrency: options.concurrency.max(1),
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
        if cancel.is_cancelled() {
            return Err(AppError::new(
                ErrorCode::Cancelled,
                "apply was cancelled; run it again to resume",
            ));
        }
        if let Some(err) = results.into_iter().find_map(Result::err) {
            return Err(err);
        }
        self.verify_pass(campaign_id, &run.client, true, actor).await?;
        let id = campaign_id.to_string();
        let actor = actor.to_string();
        let now = self.now();
        self.with_store(move |store| {
            complete_if_done(store, &id, &actor, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }
}

/// What one apply worker needs.
struct Run<'a> {
    app: &'a App,
    client: GraphClient,
    campaign_id: String,
    tenant_id: String,
    actor: String,
    items: HashMap<u32, ItemRecord>,
    /// The tenant's directory as last pulled (group members, UPNs): for protected members of a
    /// group and for group-derived holders.
    directory: Directory,
    /// The latest pull's population: the holders of a critical role that is not a directory role
    /// (whose live holders Recert does not re-read).
    population: Vec<Assignment>,
    /// Per confirmed item: the holder count the admin accepted when confirming it.
    accepted: HashMap<u32, u32>,
    /// Actions applied at once within a chunk.
    concurrency: usize,
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
        let snapshot = self.snapshot_target(&a)?;
        let body: serde_json::Value = serde_json::from_str(&a.request_body).map_err(storage)?;
        match a.change {
            Change::Remove => {}
            Change::SetEnd => return self.apply_set_end(a, live, &target, &snapshot, &body).await,
            // The eligibility first, verified; then the removal below, re-read afresh.
            Change::Convert => {
                if !self.first_step(&mut a, &target).await? {
                    return Ok(());
                }
                live = self.reread(&target).await;
            }
        }
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
                    let (code, reason) = if a.change == Change::Convert {
                        ("converted", steps::converted(&a))
                    } else if a.state == ActionState::Submitted {
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
                    let (code, reason) = if a.change == Change::Convert {
                        ("converted", format!("{}; {reason}", steps::converted(&a)))
                    } else {
                        ("removed", reason)
                    };
                    return self.finish(&a, done(code, reason, request_id, status)).await;
                }
                Sent::Refused { code, error } => {
                    let reason = format!("the tenant refused the removal: {error}");
                    let f = Finish {
                        state: ActionState::Skipped,
                        code: code.clone(),
                        reason,
                        request_id: error.request_id().map(str::to_string),
                        request_status: None,
                        error: Some(error.to_string()),
                    };
                    return self.finish(&a, f).await;
                }
                Sent::Failed(error) if cancelled(&error) => return Ok(()),
                Sent::Failed(error) => {
                    let reason = format!("the removal failed: {error}");
                    return self
                        .finish(&a, failed(error.code().to_string().as_str(), reason, &error))
                        .await;
                }
                Sent::DoesNotExist(error) | Sent::Exists(error) => {
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

    /// What the action addresses as the reviewer saw it: the snapshot's assignment, or after a
    /// re-plan the live one it was aimed at.
    fn snapshot_target(&self, a: &ActionRecord) -> Result<Target, AppError> {
        let Some(item) = self.items.get(&a.item_id) else {
            return Err(AppError::new(ErrorCode::Storage, format!("no item {}", a.item_id)));
        };
        let mut target = target_of(item)?;
        if let Some(end) = a.replanned_end {
            target.source_id = a.source_id.clone();
            target.end = end;
        }
        Ok(target)
    }

    /// The interlocks for each action of a chunk, at this moment: the protected list in force,
    /// and for critical roles the live holders after every removal still pending in the tenant.
    /// The pending removals are read before the live holders, so a removal finishing in between
    /// is counted either as pending or as gone from the live state, never as still holding.
    async fn interlocks(&self, chunk: &[ActionRecord]) -> Result<Vec<Option<Hold>>, AppError> {
        let tenant = self.tenant_id.clone();
        let (safety, pending) = self
            .app
            .with_store(move |store| {
                Ok((safety_from(&load_safety(store, &tenant)?), store.pending_removals(&tenant)?))
            })
            .await?;
        let pending: Vec<Target> = pending.iter().filter_map(pending_target).collect();
        let pending: Vec<&Target> = pending.iter().collect();
        let targets =
            chunk.iter().map(|a| self.snapshot_target(a)).collect::<Result<Vec<_>, _>>()?;
        let mut live: HashMap<String, Vec<Assignment>> = HashMap::new();
        for (a, t) in chunk.iter().zip(&targets) {
            if a.change != Change::Remove {
                continue;
            }
            let key = t.role_id.to_ascii_lowercase();
            let critical =
                safety.critical_roles.iter().any(|c| c.role_id.eq_ignore_ascii_case(&t.role_id));
            if !critical || live.contains_key(&key) {
                continue;
            }
            let holders = if t.surface == Surface::DirectoryRole {
                self.live_holders(&t.role_id).await?
            } else {
                self.population
                    .iter()
                    .filter(|a| a.role_id.eq_ignore_ascii_case(&t.role_id))
                    .cloned()
                    .collect()
            };
            live.insert(key, holders);
        }
        Ok(chunk
            .iter()
            .zip(&targets)
            .map(|(a, t)| {
                if a.change != Change::Remove {
                    // A change keeps the person a holder: only the protected list holds it.
                    return remediation::change::change_hold(t, &self.directory, &safety);
                }
                let holders =
                    live.get(&t.role_id.to_ascii_lowercase()).map_or(&[][..], Vec::as_slice);
                remediation::recheck(
                    t,
                    &safety,
                    &self.directory,
                    holders,
                    &pending,
                    self.accepted.get(&a.item_id).copied(),
                )
            })
            .collect())
    }

    /// A directory role's holders re-read from the tenant now (standing assignments and
    /// eligibilities; running activations stand on an eligibility already counted). A failed read
    /// is tried three times; then the chunk stops, nothing sent, for the next run.
    async fn live_holders(&self, role_id: &str) -> Result<Vec<Assignment>, AppError> {
        let mut tries = 0;
        loop {
            match recert_graph::holders::role_holders(&self.client, role_id).await {
                Ok(holders) => {
                    return Ok(holders
                        .into_iter()
                        .filter(|h| !h.activated)
                        .map(|h| Assignment {
                            surface: Surface::DirectoryRole,
                            kind: h.kind,
                            source_id: h.instance_id,
                            role_id: role_id.to_string(),
                            scope: h.scope,
                            principal_id: h.principal_id,
                            principal_kind: h.principal_kind,
                            principal_name: String::new(),
                            principal_upn: None,
                            membership: h.membership,
                            start: None,
                            end: None,
                        })
                        .collect());
                }
                Err(err) if cancelled(&err) => {
                    return Err(AppError::new(ErrorCode::Cancelled, "apply was cancelled"));
                }
                Err(err) => {
                    tries += 1;
                    if tries >= 3 {
                        let message = format!(
                            "the holders of role {role_id} could not be re-read, so no removal of \
                             it was sent: {err}"
                        );
                        return Err(AppError::new(AppError::from(err).code, message));
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Checks the interlocks for a chunk, holds what they hold, then re-reads the rest (one
    /// `$batch`) and applies each.
    async fn apply_chunk(&self, chunk: Vec<ActionRecord>) -> Result<(), AppError> {
        if self.cancel.is_cancelled() {
            return Ok(());
        }
        let holds = self.interlocks(&chunk).await?;
        let mut go = Vec::with_capacity(chunk.len());
        for (a, hold) in chunk.into_iter().zip(holds) {
            match hold {
                Some(hold) => self.finish(&a, skipped(&hold)).await?,
                None => go.push(a),
            }
        }
        let chunk = go;
        let targets =
            chunk.iter().map(|a| self.removal_target(a)).collect::<Result<Vec<_>, _>>()?;
        let lives = remove::read_live(&self.client, &targets).await;
        // At most `concurrency` actions at once: with one, a conversion's two steps follow each
        // other, so an interrupted run leaves at most one action between them.
        let results: Vec<Result<(), AppError>> =
            futures_util::stream::iter(chunk.into_iter().zip(lives))
                .map(|(a, live)| self.apply_one(a, live))
                .buffer_unordered(self.concurrency)
                .collect()
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
