//! One apply worker: the chunk's interlocks checked at this moment, its actions re-read in one
//! `$batch`, and each action taken from its re-read to its journaled result.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use recert_domain::remediation::change::Change;
use recert_domain::remediation::next::{self, Done, Next};
use recert_domain::remediation::{
    self, ActionState, Directory, Endpoint, Hold, LiveInstance, Target,
};
use recert_domain::{Assignment, Surface};
use recert_graph::remove::{self, RemovalTarget, Sent};
use recert_graph::{CancellationToken, GraphClient, GraphError};
use recert_store::Store;
use recert_store::remediation::{ActionRecord, Finish};
use recert_store::worklist::ItemRecord;

use super::{pending_target, steps};
use crate::remediation::dto::RemediationProgressDto;
use crate::remediation::{load_safety, removal_target, safety_from, storage, target_of};
use crate::{App, AppError, ErrorCode};

/// What one apply worker needs.
pub(super) struct Run<'a> {
    pub(super) app: &'a App,
    pub(super) client: GraphClient,
    pub(super) campaign_id: String,
    pub(super) tenant_id: String,
    pub(super) actor: String,
    pub(super) items: HashMap<u32, ItemRecord>,
    /// The tenant's directory as last pulled (group members, UPNs): for protected members of a
    /// group and for group-derived holders.
    pub(super) directory: Directory,
    /// The latest pull's population: the holders of a critical role that is not a directory role
    /// (whose live holders Recert does not re-read).
    pub(super) population: Vec<Assignment>,
    /// Per confirmed item: the holder count the admin accepted when confirming it.
    pub(super) accepted: HashMap<u32, u32>,
    /// Actions applied at once within a chunk.
    pub(super) concurrency: usize,
    pub(super) total: u32,
    pub(super) done: AtomicU32,
    pub(super) progress: &'a (dyn Fn(RemediationProgressDto) + Send + Sync),
    pub(super) cancel: CancellationToken,
}

pub(super) fn cancelled(err: &GraphError) -> bool {
    matches!(err, GraphError::Cancelled)
}

impl Run<'_> {
    pub(super) async fn store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store, &str, DateTime<Utc>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let id = self.campaign_id.clone();
        let now = self.app.now();
        self.app.with_store(move |store| work(store, &id, now)).await
    }

    pub(super) async fn finish(&self, a: &ActionRecord, finish: Finish) -> Result<(), AppError> {
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
            state,
            principal_name: a.principal_name.clone(),
            role_name: a.role_name.clone(),
            message,
        });
        Ok(())
    }

    pub(super) fn removal_target(&self, a: &ActionRecord) -> Result<RemovalTarget, AppError> {
        let endpoint = Endpoint::parse(&a.endpoint).ok_or_else(|| {
            AppError::new(ErrorCode::Storage, format!("unknown endpoint {:?}", a.endpoint))
        })?;
        Ok(removal_target(endpoint, &a.role_id, &a.scope, &a.principal_id))
    }

    pub(super) async fn reread(
        &self,
        target: &RemovalTarget,
    ) -> Result<Vec<LiveInstance>, GraphError> {
        remove::read_live(&self.client, std::slice::from_ref(target))
            .await
            .pop()
            .unwrap_or(Err(GraphError::Cancelled))
    }

    /// One action from its re-read to its journaled result. Returns without journaling only when
    /// cancelled: the action then stays planned or submitted and the next run re-reads it.
    pub(super) async fn apply_one(
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
                    if next::unreadable(read_failures) {
                        let reason = format!("the assignment could not be re-read: {err}");
                        return self.finish(&a, failed("unreadable", reason, &err)).await;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    live = self.reread(&target).await;
                    continue;
                }
            };
            let live_now = remediation::check_live(&snapshot, &instances);
            match next::after_reread(
                a.change,
                a.state,
                live_now,
                a.attempts,
                a.last_error.is_some(),
            ) {
                Next::Done(how) => {
                    let reason = match how {
                        Done::Converted => steps::converted(&a),
                        Done::Removed => "removed: confirmed by re-reading the tenant".to_string(),
                        _ => "already gone before Recert's request".to_string(),
                    };
                    return self.finish(&a, done(how.code(), reason, None, None)).await;
                }
                Next::Skip(hold) => return self.finish(&a, skipped(&hold)).await,
                Next::GiveUp => return self.finish(&a, gave_up(&a)).await,
                Next::NothingToChange | Next::Send => {}
            }
            match self.send(&mut a, &target, &body).await? {
                Sending::Over => return Ok(()),
                Sending::Reread => live = self.reread(&target).await,
            }
        }
    }

    /// One request for a present assignment, journaled as submitted before it is sent: its
    /// answer journaled as the action's result, or a re-read due (the answer left it open).
    pub(super) async fn send(
        &self,
        a: &mut ActionRecord,
        target: &RemovalTarget,
        body: &serde_json::Value,
    ) -> Result<Sending, AppError> {
        let item_id = a.item_id;
        let actor = self.actor.clone();
        a.attempts = self
            .store(move |s, id, now| Ok(s.remediation_submitted(id, item_id, &actor, now)?))
            .await?;
        a.state = ActionState::Submitted;
        let finish =
            match remove::send_removal(&self.client, target, &a.idempotency_key, body).await {
                Sent::Accepted { request_id, status } => {
                    if let Some(s) = status.as_deref().filter(|s| remove::status_failed(s)) {
                        let reason = format!("the service answered the request with status {s}");
                        let mut f = failed_text(s, reason);
                        f.request_id = request_id;
                        f.request_status = status;
                        f
                    } else {
                        let reason = format!(
                            "removed (request {}, status {})",
                            request_id.as_deref().unwrap_or("?"),
                            status.as_deref().unwrap_or("?")
                        );
                        let (code, reason) = if a.change == Change::Convert {
                            ("converted", format!("{}; {reason}", steps::converted(a)))
                        } else {
                            ("removed", reason)
                        };
                        done(code, reason, request_id, status)
                    }
                }
                Sent::Refused { code, error } => Finish {
                    state: ActionState::Skipped,
                    code: code.clone(),
                    reason: format!("the tenant refused the removal: {error}"),
                    request_id: error.request_id().map(str::to_string),
                    request_status: None,
                    error: Some(error.to_string()),
                },
                Sent::Failed(error) if cancelled(&error) => return Ok(Sending::Over),
                Sent::Failed(error) => {
                    let reason = format!("the removal failed: {error}");
                    failed(error.code().to_string().as_str(), reason, &error)
                }
                Sent::DoesNotExist(error) | Sent::Exists(error) => {
                    // "Already gone" is verified by re-reading, never retried blindly.
                    self.attempt_failed(a, &error).await?;
                    return Ok(Sending::Reread);
                }
                Sent::Unknown { error, retry_after } => {
                    self.attempt_failed(a, &error).await?;
                    let wait =
                        retry_after.unwrap_or(Duration::from_millis(500 * u64::from(a.attempts)));
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = self.cancel.cancelled() => return Ok(Sending::Over),
                    }
                    return Ok(Sending::Reread);
                }
            };
        self.finish(a, finish).await?;
        Ok(Sending::Over)
    }

    pub(super) async fn attempt_failed(
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
    pub(super) fn snapshot_target(&self, a: &ActionRecord) -> Result<Target, AppError> {
        let Some(item) = self.items.get(&a.item_id) else {
            return Err(AppError::new(ErrorCode::Storage, format!("no item {}", a.item_id)));
        };
        let mut target = target_of(item);
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
    pub(super) async fn interlocks(
        &self,
        chunk: &[ActionRecord],
    ) -> Result<Vec<Option<Hold>>, AppError> {
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
    pub(super) async fn live_holders(&self, role_id: &str) -> Result<Vec<Assignment>, AppError> {
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
                    if next::unreadable(tries) {
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
    pub(super) async fn apply_chunk(&self, chunk: Vec<ActionRecord>) -> Result<(), AppError> {
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

pub(super) fn done(
    code: &str,
    reason: String,
    request_id: Option<String>,
    status: Option<String>,
) -> Finish {
    Finish {
        state: ActionState::Succeeded,
        code: code.into(),
        reason,
        request_id,
        request_status: status,
        error: None,
    }
}

pub(super) fn skipped(hold: &Hold) -> Finish {
    Finish {
        state: ActionState::Skipped,
        code: hold.code().into(),
        reason: hold.describe(),
        request_id: None,
        request_status: None,
        error: None,
    }
}

/// An action that used its attempts, each answered with an error: failed, for a person to retry.
pub(super) fn gave_up(a: &ActionRecord) -> Finish {
    let reason = format!(
        "gave up after {} attempts: {}",
        a.attempts,
        a.last_error.as_deref().unwrap_or("no answer")
    );
    failed_text("gaveUp", reason)
}

pub(super) fn failed_text(code: &str, reason: String) -> Finish {
    Finish {
        state: ActionState::Failed,
        code: code.into(),
        reason,
        request_id: None,
        request_status: None,
        error: None,
    }
}

pub(super) fn failed(code: &str, reason: String, error: &GraphError) -> Finish {
    Finish {
        request_id: error.request_id().map(str::to_string),
        error: Some(error.to_string()),
        ..failed_text(code, reason)
    }
}

/// What became of one request: the action's result journaled (or the run cancelled), or the
/// assignment to be re-read before anything more is sent.
pub(super) enum Sending {
    Over,
    Reread,
}
