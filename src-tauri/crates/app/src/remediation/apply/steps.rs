//! The steps of a change that is not a removal, under the apply run: a conversion's eligibility
//! (re-read, sent at most once per attempt that left nothing behind, verified before the active
//! assignment may go) and a new end (re-read first, so a resumed run finds it set instead of
//! sending it again).

use std::time::Duration;

use recert_domain::Membership;
use recert_domain::remediation::change::{self, FirstNext, FirstStep};
use recert_domain::remediation::next::{self, Next};
use recert_domain::remediation::{self, LiveInstance, Target};
use recert_graph::GraphError;
use recert_graph::change::send_change;
use recert_graph::remove::{self, RemovalTarget, Sent};
use recert_store::remediation::{ActionRecord, Finish};
use serde_json::Value;

use super::{Run, cancelled, done, failed, failed_text, gave_up, skipped};
use crate::AppError;
use crate::remediation::change::eligibility_target;
use crate::remediation::storage;
use recert_domain::remediation::change::in_words;

/// How many times one run tries to make a conversion's eligibility before leaving it for a
/// person (the active assignment stays meanwhile).
const FIRST_STEP_TRIES: u32 = 6;

/// What a finished conversion says.
pub(super) fn converted(a: &ActionRecord) -> String {
    format!(
        "converted: eligible until {}, the standing active assignment removed",
        a.new_end.map_or("no end".into(), |e| in_words(&e))
    )
}

fn skipped_with(code: &str, reason: String) -> Finish {
    Finish {
        state: recert_domain::remediation::ActionState::Skipped,
        code: code.into(),
        reason,
        request_id: None,
        request_status: None,
        error: None,
    }
}

impl Run<'_> {
    async fn pause(&self, wait: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(wait) => true,
            _ = self.cancel.cancelled() => false,
        }
    }

    /// A conversion's first step: makes sure the eligibility exists, verified by re-reading,
    /// before the removal. `Ok(true)`: go on and remove the active assignment. `Ok(false)`: the
    /// action finished here (journaled) or the run was cancelled (it resumes from the journal).
    pub(super) async fn first_step(
        &self,
        a: &mut ActionRecord,
        target: &RemovalTarget,
    ) -> Result<bool, AppError> {
        let Some(first) = a.first.clone() else {
            let f = failed_text(
                "noEligibilityStep",
                "a conversion without its eligibility step".into(),
            );
            return self.finish(a, f).await.map(|()| false);
        };
        let eligibility = eligibility_target(target);
        let body: Value = serde_json::from_str(&first.body).map_err(storage)?;
        let mut state = first.state;
        let (mut tries, mut read_failures) = (0, 0);
        let mut request_id: Option<String> = first.request_id.clone();
        let mut exists_answered = false;
        loop {
            if self.cancel.is_cancelled() {
                return Ok(false);
            }
            let live = match self.reread(&eligibility).await {
                Ok(live) => live,
                Err(err) if cancelled(&err) => return Ok(false),
                Err(err) => {
                    read_failures += 1;
                    if next::unreadable(read_failures) {
                        let reason = format!(
                            "the eligibility could not be re-read, so the active assignment was not \
                             removed: {err}"
                        );
                        return self
                            .finish(a, failed("unreadable", reason, &err))
                            .await
                            .map(|()| false);
                    }
                    if !self.pause(Duration::from_secs(1)).await {
                        return Ok(false);
                    }
                    continue;
                }
            };
            match change::first_next(state, &live) {
                FirstNext::Verified => {
                    if state != FirstStep::Verified {
                        let (item, actor, id) = (a.item_id, self.actor.clone(), request_id.clone());
                        self.store(move |s, c, now| {
                            Ok(s.remediation_first_step(
                                c,
                                item,
                                FirstStep::Verified,
                                id.as_deref(),
                                &actor,
                                now,
                            )?)
                        })
                        .await?;
                    }
                    return Ok(true);
                }
                _ if state == FirstStep::Verified => {
                    // It was there and is gone before the removal: never leave the person with
                    // neither.
                    let reason = "the eligibility made for the conversion is no longer in the \
                                  tenant: the active assignment was not removed"
                        .to_string();
                    return self
                        .finish(a, skipped_with("eligibilityGone", reason))
                        .await
                        .map(|()| false);
                }
                _ if exists_answered => {
                    let reason = "the tenant says an eligibility exists, but no direct one was \
                                  found (one through a group, or an activation): the active \
                                  assignment was not removed"
                        .to_string();
                    return self
                        .finish(a, skipped_with("eligibilityNotDirect", reason))
                        .await
                        .map(|()| false);
                }
                FirstNext::Send | FirstNext::Resend => {}
            }
            tries += 1;
            if tries > FIRST_STEP_TRIES {
                let reason = format!(
                    "the eligibility could not be made in {FIRST_STEP_TRIES} attempts; the active \
                     assignment stays"
                );
                return self.finish(a, failed_text("gaveUp", reason)).await.map(|()| false);
            }
            // The intent before the request: a crash from here on is resumed by re-reading.
            let (item, actor) = (a.item_id, self.actor.clone());
            self.store(move |s, c, now| {
                Ok(s.remediation_first_step(c, item, FirstStep::Submitted, None, &actor, now)?)
            })
            .await?;
            state = FirstStep::Submitted;
            match self.send_first(a, &eligibility, &first.key, &body, tries).await? {
                None => return Ok(false),
                Some(FirstAnswer::Accepted(id)) => request_id = id,
                Some(FirstAnswer::Exists) => exists_answered = true,
                Some(FirstAnswer::Again) => {}
            }
        }
    }

    /// One request for a conversion's eligibility. `None`: the action finished here (journaled)
    /// or the run was cancelled; otherwise what the answer says for the next re-read.
    async fn send_first(
        &self,
        a: &mut ActionRecord,
        eligibility: &RemovalTarget,
        key: &str,
        body: &Value,
        tries: u32,
    ) -> Result<Option<FirstAnswer>, AppError> {
        match send_change(&self.client, eligibility, key, body).await {
            Sent::Accepted { request_id: id, status } => {
                if let Some(s) = status.as_deref().filter(|s| remove::status_failed(s)) {
                    let reason = format!(
                        "the eligibility request was answered with status {s}: the active \
                         assignment stays"
                    );
                    let mut f = failed_text(s, reason);
                    f.request_id = id;
                    f.request_status = status;
                    return self.finish(a, f).await.map(|()| None);
                }
                Ok(Some(FirstAnswer::Accepted(id)))
            }
            Sent::Exists(_) => Ok(Some(FirstAnswer::Exists)),
            Sent::DoesNotExist(_) => Ok(Some(FirstAnswer::Again)),
            Sent::Refused { code, error } => {
                let reason = format!(
                    "the tenant refused the eligibility: {error}; the active assignment stays"
                );
                let mut f = skipped_with(&code, reason);
                f.request_id = error.request_id().map(str::to_string);
                f.error = Some(error.to_string());
                self.finish(a, f).await.map(|()| None)
            }
            Sent::Failed(error) if cancelled(&error) => Ok(None),
            Sent::Failed(error) => {
                let reason =
                    format!("the eligibility request failed: {error}; the active assignment stays");
                let code = error.code().to_string();
                self.finish(a, failed(&code, reason, &error)).await.map(|()| None)
            }
            Sent::Unknown { error: _, retry_after } => {
                let wait = retry_after.unwrap_or(Duration::from_millis(500 * u64::from(tries)));
                Ok(self.pause(wait).await.then_some(FirstAnswer::Again))
            }
        }
    }

    /// A new end: re-read; already as asked is done; otherwise the drift check, then
    /// `adminUpdate`, journaled like a removal.
    pub(super) async fn apply_set_end(
        &self,
        mut a: ActionRecord,
        mut live: Result<Vec<LiveInstance>, GraphError>,
        target: &RemovalTarget,
        snapshot: &Target,
        body: &Value,
    ) -> Result<(), AppError> {
        let Some(end) = a.new_end else {
            return self
                .finish(&a, failed_text("noEnd", "a new end without its date".into()))
                .await;
        };
        let mut read_failures = 0;
        loop {
            let instances = match live {
                Ok(instances) => instances,
                Err(err) if cancelled(&err) => return Ok(()),
                Err(err) => {
                    read_failures += 1;
                    if next::unreadable(read_failures) {
                        let reason = format!("the assignment could not be re-read: {err}");
                        return self.finish(&a, failed("unreadable", reason, &err)).await;
                    }
                    if !self.pause(Duration::from_secs(1)).await {
                        return Ok(());
                    }
                    live = self.reread(target).await;
                    continue;
                }
            };
            let end_in_place = instances.iter().any(|i| {
                i.membership == Membership::Direct
                    && !i.activated
                    && i.end.map(|e| e.timestamp()) == Some(end.timestamp())
            });
            let live_now = remediation::check_live(snapshot, &instances);
            match next::after_reread_set_end(
                end_in_place,
                live_now,
                a.attempts,
                a.last_error.is_some(),
            ) {
                Next::Done(how) => {
                    let reason =
                        format!("ends {}: confirmed by re-reading the tenant", in_words(&end));
                    return self
                        .finish(&a, done(how.code(), reason, a.request_id.clone(), None))
                        .await;
                }
                Next::NothingToChange => {
                    let reason =
                        "the assignment is no longer in the tenant: there is no end to set".into();
                    return self.finish(&a, skipped_with("gone", reason)).await;
                }
                Next::Skip(hold) => return self.finish(&a, skipped(&hold)).await,
                Next::GiveUp => return self.finish(&a, gave_up(&a)).await,
                Next::Send => {}
            }
            let (item_id, actor) = (a.item_id, self.actor.clone());
            a.attempts = self
                .store(move |s, id, now| Ok(s.remediation_submitted(id, item_id, &actor, now)?))
                .await?;
            a.state = recert_domain::remediation::ActionState::Submitted;
            match send_change(&self.client, target, &a.idempotency_key, body).await {
                Sent::Accepted { request_id, status } => {
                    if let Some(s) = status.as_deref().filter(|s| remove::status_failed(s)) {
                        let reason = format!("the service answered the request with status {s}");
                        let mut f = failed_text(s, reason);
                        f.request_id = request_id;
                        f.request_status = status;
                        return self.finish(&a, f).await;
                    }
                    let reason = format!(
                        "end set to {} (request {}, status {})",
                        in_words(&end),
                        request_id.as_deref().unwrap_or("?"),
                        status.as_deref().unwrap_or("?")
                    );
                    return self.finish(&a, done("endSet", reason, request_id, status)).await;
                }
                Sent::Refused { code, error } => {
                    let reason = format!("the tenant refused the new end: {error}");
                    let mut f = skipped_with(&code, reason);
                    f.request_id = error.request_id().map(str::to_string);
                    f.error = Some(error.to_string());
                    return self.finish(&a, f).await;
                }
                Sent::Failed(error) if cancelled(&error) => return Ok(()),
                Sent::Failed(error) => {
                    let reason = format!("the new end failed: {error}");
                    let code = error.code().to_string();
                    return self.finish(&a, failed(&code, reason, &error)).await;
                }
                Sent::DoesNotExist(error) | Sent::Exists(error) => {
                    self.attempt_failed(&mut a, &error).await?;
                    live = self.reread(target).await;
                }
                Sent::Unknown { error, retry_after } => {
                    self.attempt_failed(&mut a, &error).await?;
                    let wait =
                        retry_after.unwrap_or(Duration::from_millis(500 * u64::from(a.attempts)));
                    if !self.pause(wait).await {
                        return Ok(());
                    }
                    live = self.reread(target).await;
                }
            }
        }
    }
}

/// What an eligibility request's answer says for the next re-read.
enum FirstAnswer {
    /// Accepted, with the service's request id.
    Accepted(Option<String>),
    /// The tenant says one exists already.
    Exists,
    /// Nothing learned: re-read and decide again.
    Again,
}
