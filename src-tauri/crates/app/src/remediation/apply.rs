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

use futures_util::StreamExt;
use recert_domain::PrincipalKind;
use recert_domain::authority::Action;
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::Target;
use recert_graph::CancellationToken;
use recert_store::remediation::{ActionRecord, PendingRemoval};
use recert_store::worklist::ItemRecord;

mod run;
mod steps;

use run::{Run, cancelled, done, failed, failed_text, gave_up, skipped};

use super::dto::{RemediationPlanDto, RemediationProgressDto};
use super::{complete_if_done, directory, plan_dto};
use crate::context::{BesideDb, lock};
use crate::{App, AppError, ErrorCode};

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
        surface: p.surface,
        kind: p.kind,
        membership: p.membership,
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
