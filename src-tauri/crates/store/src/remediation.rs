//! The remediation journal: the plan (actions and holds) stored once per campaign, each action's
//! journey `planned → submitted → succeeded | failed | skipped` with its attempts and results,
//! confirmations of held items, and verifications. Every transition commits with its audit event;
//! illegal steps (e.g. resubmitting a finished action) are refused.

use chrono::{DateTime, Utc};
use recert_domain::remediation::change::{Change, FirstStep};
use recert_domain::remediation::{ActionState, Verification};
use recert_domain::{AssignmentKind, Membership, Surface};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::audit::{self, NewAuditEvent};
use crate::stored::{Named, Time, optional, time};
use crate::{Result, Store, StoreError, format_time};

/// One removal about to be planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAction {
    pub item_id: u32,
    pub endpoint: String,
    pub surface: Surface,
    pub kind: AssignmentKind,
    pub source_id: String,
    pub role_id: String,
    pub role_name: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_name: String,
    pub why: String,
    /// The request body as JSON text.
    pub request_body: String,
    pub idempotency_key: String,
    pub change: Change,
    /// The end a conversion's eligibility gets, or a new end's date.
    pub new_end: Option<DateTime<Utc>>,
    /// A conversion's first step: the eligibility's request body and the key naming it.
    pub first: Option<(String, String)>,
}

/// One item held back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHold {
    pub item_id: u32,
    pub code: String,
    pub reason: String,
    pub proposal: Option<String>,
    pub confirmable: bool,
    /// For a critical-role hold: the holders the removal would leave, which an admin who
    /// confirms it accepts.
    pub holders_after: Option<u32>,
}

/// An action as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub item_id: u32,
    pub endpoint: String,
    pub surface: Surface,
    pub kind: AssignmentKind,
    pub source_id: String,
    pub role_id: String,
    pub role_name: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_name: String,
    pub why: String,
    pub state: ActionState,
    pub state_code: Option<String>,
    pub state_reason: Option<String>,
    pub request_body: String,
    pub idempotency_key: String,
    pub attempts: u32,
    pub request_id: Option<String>,
    pub request_status: Option<String>,
    pub last_error: Option<String>,
    pub planned_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub verification: Option<Verification>,
    pub verification_note: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    /// Set when the removal was not made and a named admin kept the access.
    pub kept: Option<Kept>,
    /// How many times a person sent it back to planned.
    pub retries: u32,
    /// After a re-plan: the live assignment's end it now expects (`Some(None)`: no end).
    pub replanned_end: Option<Option<DateTime<Utc>>>,
    pub change: Change,
    /// The end a conversion's eligibility gets, or a new end's date.
    pub new_end: Option<DateTime<Utc>>,
    /// A conversion's first step.
    pub first: Option<FirstStepRecord>,
}

/// A conversion's first step as journaled: the eligibility's request and how far it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstStepRecord {
    pub body: String,
    pub key: String,
    pub state: FirstStep,
    pub request_id: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// A removal still pending (planned or submitted) in some campaign of a tenant: what the
/// interlocks count at the moment of each removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingRemoval {
    pub campaign_id: String,
    pub item_id: u32,
    pub surface: Surface,
    pub kind: AssignmentKind,
    pub source_id: String,
    pub role_id: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_kind: String,
    pub membership: Membership,
}

/// A held item as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRecord {
    pub item_id: u32,
    pub code: String,
    pub reason: String,
    pub proposal: Option<String>,
    pub confirmable: bool,
    pub confirmed_by_id: Option<String>,
    pub confirmed_by_upn: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Set when a named admin decided the access stays instead.
    pub kept: Option<Kept>,
    /// For a critical-role hold: the holders its removal would leave (what a confirmation
    /// accepts).
    pub holders_after: Option<u32>,
}

/// Who decided a held removal should not go ahead, when, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub by_id: String,
    pub by_upn: String,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// When and with which safety settings a campaign's plan was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRecord {
    pub planned_at: DateTime<Utc>,
    pub actor: String,
    pub safety: String,
}

/// How an action ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finish {
    /// `Succeeded`, `Failed` or `Skipped`.
    pub state: ActionState,
    /// e.g. `removed`, `alreadyGone`, `drift`, `activated`, or the service's error code.
    pub code: String,
    pub reason: String,
    pub request_id: Option<String>,
    pub request_status: Option<String>,
    pub error: Option<String>,
}

const ACTION_COLUMNS: &str = "item_id, endpoint, surface, kind, source_id, role_id, role_name, \
     scope, principal_id, principal_name, why, state, state_code, state_reason, request_body, \
     idempotency_key, attempts, request_id, request_status, last_error, planned_at, submitted_at, \
     finished_at, verification, verification_note, verified_at, kept_by_id, kept_by_upn, kept_at, \
     kept_reason, retries, replanned, replanned_end, change, new_end, first_body, first_key, \
     first_state, first_request_id, first_at";

fn action_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ActionRecord> {
    let kept = (row.get(26)?, row.get(27)?, time(row.get(28)?), row.get(29)?);
    let first = (row.get(35)?, row.get(36)?);
    Ok(ActionRecord {
        item_id: row.get(0)?,
        endpoint: row.get(1)?,
        surface: row.get::<_, Named<Surface>>(2)?.0,
        kind: row.get::<_, Named<AssignmentKind>>(3)?.0,
        source_id: row.get(4)?,
        role_id: row.get(5)?,
        role_name: row.get(6)?,
        scope: row.get(7)?,
        principal_id: row.get(8)?,
        principal_name: row.get(9)?,
        why: row.get(10)?,
        state: row.get::<_, Named<ActionState>>(11)?.0,
        state_code: row.get(12)?,
        state_reason: row.get(13)?,
        request_body: row.get(14)?,
        idempotency_key: row.get(15)?,
        attempts: row.get(16)?,
        request_id: row.get(17)?,
        request_status: row.get(18)?,
        last_error: row.get(19)?,
        planned_at: row.get::<_, Time>(20)?.0,
        submitted_at: time(row.get(21)?),
        finished_at: time(row.get(22)?),
        verification: optional(row.get(23)?),
        verification_note: row.get(24)?,
        verified_at: time(row.get(25)?),
        kept: match kept {
            (Some(by_id), Some(by_upn), Some(at), Some(reason)) => {
                Some(Kept { by_id, by_upn, at, reason })
            }
            _ => None,
        },
        retries: row.get(30)?,
        replanned_end: if row.get(31)? { Some(time(row.get(32)?)) } else { None },
        change: row.get::<_, Named<Change>>(33)?.0,
        new_end: time(row.get(34)?),
        first: match first {
            (Some(body), Some(key)) => Some(FirstStepRecord {
                body,
                key,
                // A first step journaled before its state was is still to be made.
                state: optional(row.get(37)?).unwrap_or(FirstStep::Planned),
                request_id: row.get(38)?,
                at: time(row.get(39)?),
            }),
            _ => None,
        },
    })
}

fn action_in(tx: &Transaction<'_>, campaign_id: &str, item_id: u32) -> Result<ActionRecord> {
    tx
        .query_row(
            &format!(
                "SELECT {ACTION_COLUMNS} FROM remediation_action WHERE campaign_id = ?1 AND item_id = ?2"
            ),
            params![campaign_id, item_id],
            action_from_row,
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            what: "remediation action",
            id: format!("{campaign_id}#{item_id}"),
        })
}

/// The reason of a confirmable hold nobody has decided yet; `decision` ("confirmed", "kept")
/// words the refusal otherwise.
fn undecided_hold(
    tx: &Transaction<'_>,
    campaign_id: &str,
    item_id: u32,
    decision: &str,
) -> Result<String> {
    let hold: Option<(bool, Option<String>, Option<String>, String)> = tx
        .query_row(
            "SELECT confirmable, confirmed_by_upn, kept_by_upn, reason FROM remediation_hold
             WHERE campaign_id = ?1 AND item_id = ?2",
            params![campaign_id, item_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let Some((confirmable, confirmed_by, kept_by, reason)) = hold else {
        return Err(StoreError::NotFound {
            what: "held item",
            id: format!("{campaign_id}#{item_id}"),
        });
    };
    if !confirmable {
        return Err(StoreError::Conflict(format!(
            "item {item_id} cannot be {decision}: it is held because {reason}"
        )));
    }
    if let Some(by) = confirmed_by {
        return Err(StoreError::Conflict(format!(
            "item {item_id} was already confirmed for removal by {by}"
        )));
    }
    if let Some(by) = kept_by {
        return Err(StoreError::Conflict(format!("item {item_id} was already kept by {by}")));
    }
    Ok(reason)
}

fn insert_action(tx: &Transaction<'_>, campaign_id: &str, a: &NewAction, now: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO remediation_action (campaign_id, item_id, endpoint, surface, kind, source_id,
           role_id, role_name, scope, principal_id, principal_name, why, state, request_body,
           idempotency_key, planned_at, change, new_end, first_body, first_key, first_state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'planned', ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20)",
        params![
            campaign_id,
            a.item_id,
            a.endpoint,
            Named(a.surface),
            Named(a.kind),
            a.source_id,
            a.role_id,
            a.role_name,
            a.scope,
            a.principal_id,
            a.principal_name,
            a.why,
            a.request_body,
            a.idempotency_key,
            now,
            a.change.as_str(),
            a.new_end.map(format_time),
            a.first.as_ref().map(|f| f.0.as_str()),
            a.first.as_ref().map(|f| f.1.as_str()),
            a.first.as_ref().map(|_| FirstStep::Planned.as_str())
        ],
    )?;
    Ok(())
}

fn event(
    tx: &Transaction<'_>,
    campaign_id: &str,
    kind: &str,
    actor: &str,
    now: DateTime<Utc>,
    payload: serde_json::Value,
) -> Result<()> {
    audit::append(
        tx,
        &NewAuditEvent {
            at: now,
            actor,
            kind,
            subject: &format!("campaign/{campaign_id}"),
            payload,
        },
    )?;
    Ok(())
}

impl Store {
    /// The campaign's plan record, if a plan was made.
    pub fn remediation_plan(&self, campaign_id: &str) -> Result<Option<PlanRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT planned_at, actor, safety FROM remediation_plan WHERE campaign_id = ?1",
                [campaign_id],
                |row| {
                    Ok(PlanRecord {
                        planned_at: row.get::<_, Time>(0)?.0,
                        actor: row.get(1)?,
                        safety: row.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Stores the campaign's plan once, with one audit event. A second plan is refused: the
    /// journal, not a fresh computation, is the truth once removals may have started.
    pub fn record_remediation_plan(
        &mut self,
        campaign_id: &str,
        actions: &[NewAction],
        holds: &[NewHold],
        safety: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        let exists: Option<String> = tx
            .query_row(
                "SELECT campaign_id FROM remediation_plan WHERE campaign_id = ?1",
                [campaign_id],
                |row| row.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "campaign {campaign_id} already has a remediation plan"
            )));
        }
        let stamp = format_time(now);
        tx.execute(
            "INSERT INTO remediation_plan (campaign_id, planned_at, actor, safety) VALUES (?1, ?2, ?3, ?4)",
            params![campaign_id, stamp, actor, safety],
        )?;
        for a in actions {
            insert_action(&tx, campaign_id, a, &stamp)?;
        }
        for h in holds {
            tx.execute(
                "INSERT INTO remediation_hold (campaign_id, item_id, code, reason, proposal, confirmable,
                   holders_after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    campaign_id,
                    h.item_id,
                    h.code,
                    h.reason,
                    h.proposal,
                    h.confirmable,
                    h.holders_after
                ],
            )?;
        }
        let mut per_code = std::collections::BTreeMap::<&str, usize>::new();
        for h in holds {
            *per_code.entry(h.code.as_str()).or_default() += 1;
        }
        event(
            &tx,
            campaign_id,
            "remediation.planned",
            actor,
            now,
            serde_json::json!({
                "actions": actions.len(),
                "held": per_code,
                // Which items, so `verify` can replay the journal and the holds from the chain.
                "actionItems": actions.iter().map(|a| a.item_id).collect::<Vec<_>>(),
                // What each change that is not a removal does, with its end.
                "changes": actions.iter().filter(|a| a.change != Change::Remove).map(|a| serde_json::json!({
                    "item": a.item_id,
                    "change": a.change.as_str(),
                    "newEnd": a.new_end.map(format_time),
                })).collect::<Vec<_>>(),
                "holds": holds.iter().map(|h| serde_json::json!({ "item": h.item_id, "code": h.code, "confirmable": h.confirmable })).collect::<Vec<_>>(),
                "safety": serde_json::from_str::<serde_json::Value>(safety).unwrap_or_default(),
            }),
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn remediation_actions(&self, campaign_id: &str) -> Result<Vec<ActionRecord>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ACTION_COLUMNS} FROM remediation_action WHERE campaign_id = ?1 ORDER BY item_id"
        ))?;
        let rows = stmt.query_map([campaign_id], action_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn remediation_holds(&self, campaign_id: &str) -> Result<Vec<HoldRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT item_id, code, reason, proposal, confirmable, confirmed_by_id, confirmed_by_upn,
                    confirmed_at, kept_by_id, kept_by_upn, kept_at, kept_reason, holders_after
             FROM remediation_hold WHERE campaign_id = ?1 ORDER BY item_id",
        )?;
        let rows = stmt.query_map([campaign_id], |row| {
            let kept = (row.get(8)?, row.get(9)?, time(row.get(10)?), row.get(11)?);
            Ok(HoldRecord {
                item_id: row.get(0)?,
                code: row.get(1)?,
                reason: row.get(2)?,
                proposal: row.get(3)?,
                confirmable: row.get(4)?,
                confirmed_by_id: row.get(5)?,
                confirmed_by_upn: row.get(6)?,
                confirmed_at: time(row.get(7)?),
                kept: match kept {
                    (Some(by_id), Some(by_upn), Some(at), Some(reason)) => {
                        Some(Kept { by_id, by_upn, at, reason })
                    }
                    _ => None,
                },
                holders_after: row.get(12)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A named person confirms a held removal: the hold records who and when, and the removal
    /// joins the journal as a planned action, in one transaction.
    pub fn confirm_remediation_hold(
        &mut self,
        campaign_id: &str,
        action: &NewAction,
        confirmer_id: &str,
        confirmer_upn: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.confirm_remediation_holds(
            campaign_id,
            std::slice::from_ref(action),
            confirmer_id,
            confirmer_upn,
            now,
        )
    }

    /// A named admin confirms several held removals at once (a whole group of them, after typing
    /// how many): each joins the journal as planned with its own audit event. All or nothing.
    pub fn confirm_remediation_holds(
        &mut self,
        campaign_id: &str,
        actions: &[NewAction],
        confirmer_id: &str,
        confirmer_upn: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        let stamp = format_time(now);
        for action in actions {
            let reason = undecided_hold(&tx, campaign_id, action.item_id, "confirmed")?;
            tx.execute(
                "UPDATE remediation_hold SET confirmed_by_id = ?3, confirmed_by_upn = ?4, confirmed_at = ?5
                 WHERE campaign_id = ?1 AND item_id = ?2",
                params![campaign_id, action.item_id, confirmer_id, confirmer_upn, stamp],
            )?;
            insert_action(&tx, campaign_id, action, &stamp)?;
            event(
                &tx,
                campaign_id,
                "remediation.confirmed",
                confirmer_upn,
                now,
                serde_json::json!({
                    "item": action.item_id,
                    "confirmedBy": { "id": confirmer_id, "upn": confirmer_upn },
                    "hold": reason,
                    "role": action.role_name,
                    "principal": action.principal_name,
                }),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A named admin decides held removals should not go ahead: the access stays, each hold
    /// records who, when and why, and none waits for a confirmation any more. All or nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn keep_remediation_holds(
        &mut self,
        campaign_id: &str,
        item_ids: &[u32],
        keeper_id: &str,
        keeper_upn: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        for &item_id in item_ids {
            let hold = undecided_hold(&tx, campaign_id, item_id, "kept")?;
            let (role, principal): (String, String) = tx.query_row(
                "SELECT role_name, principal_name FROM item WHERE campaign_id = ?1 AND id = ?2",
                params![campaign_id, item_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            tx.execute(
                "UPDATE remediation_hold SET kept_by_id = ?3, kept_by_upn = ?4, kept_at = ?5,
                        kept_reason = ?6
                 WHERE campaign_id = ?1 AND item_id = ?2",
                params![campaign_id, item_id, keeper_id, keeper_upn, format_time(now), reason],
            )?;
            event(
                &tx,
                campaign_id,
                "remediation.kept",
                keeper_upn,
                now,
                serde_json::json!({
                    "item": item_id,
                    "keptBy": { "id": keeper_id, "upn": keeper_upn },
                    "reason": reason,
                    "hold": hold,
                    "role": role,
                    "principal": principal,
                }),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Journals the intent to send (another attempt of) an action's request, before it is sent.
    /// Returns the attempt number.
    pub fn remediation_submitted(
        &mut self,
        campaign_id: &str,
        item_id: u32,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<u32> {
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        let before = action_in(&tx, campaign_id, item_id)?;
        if !before.state.can_become(ActionState::Submitted) {
            return Err(StoreError::Conflict(format!(
                "action {item_id} is {}: it cannot be sent again",
                before.state.as_str()
            )));
        }
        let attempt = before.attempts + 1;
        tx.execute(
            "UPDATE remediation_action SET state = 'submitted', attempts = ?3, submitted_at = ?4
             WHERE campaign_id = ?1 AND item_id = ?2",
            params![campaign_id, item_id, attempt, format_time(now)],
        )?;
        event(
            &tx,
            campaign_id,
            "remediation.submitted",
            actor,
            now,
            serde_json::json!({
                "item": item_id,
                "attempt": attempt,
                "endpoint": before.endpoint,
                "key": before.idempotency_key,
            }),
        )?;
        tx.commit()?;
        Ok(attempt)
    }

    /// Journals a conversion's first step moving to `state` (submitted before its request is
    /// sent, verified after the eligibility was re-read and found), with its audit event.
    pub fn remediation_first_step(
        &mut self,
        campaign_id: &str,
        item_id: u32,
        state: FirstStep,
        request_id: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        let before = action_in(&tx, campaign_id, item_id)?;
        let Some(first) = &before.first else {
            return Err(StoreError::Conflict(format!("action {item_id} is not a conversion")));
        };
        if before.state.is_final() || first.state == FirstStep::Verified {
            return Err(StoreError::Conflict(format!(
                "action {item_id}'s eligibility step is already {}",
                if before.state.is_final() { before.state.as_str() } else { "verified" }
            )));
        }
        tx.execute(
            "UPDATE remediation_action SET first_state = ?3,
               first_request_id = COALESCE(?4, first_request_id), first_at = ?5
             WHERE campaign_id = ?1 AND item_id = ?2",
            params![campaign_id, item_id, state.as_str(), request_id, format_time(now)],
        )?;
        event(
            &tx,
            campaign_id,
            match state {
                FirstStep::Submitted => "remediation.eligibilitySubmitted",
                FirstStep::Verified => "remediation.eligibilityVerified",
                FirstStep::Planned => "remediation.eligibilityPlanned",
            },
            actor,
            now,
            serde_json::json!({
                "item": item_id,
                "endpoint": before.endpoint,
                "role": before.role_id,
                "scope": before.scope,
                "principal": before.principal_id,
                "key": first.key,
                "requestId": request_id,
                "newEnd": before.new_end.map(format_time),
            }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Journals an action's result. Only a planned or submitted action can finish, once.
    pub fn remediation_finished(
        &mut self,
        campaign_id: &str,
        item_id: u32,
        finish: &Finish,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if !finish.state.is_final() {
            return Err(StoreError::Conflict(format!("{} is not a result", finish.state.as_str())));
        }
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        let before = action_in(&tx, campaign_id, item_id)?;
        if !before.state.can_become(finish.state) {
            return Err(StoreError::Conflict(format!(
                "action {item_id} is already {}",
                before.state.as_str()
            )));
        }
        tx.execute(
            "UPDATE remediation_action SET state = ?3, state_code = ?4, state_reason = ?5,
               request_id = COALESCE(?6, request_id), request_status = COALESCE(?7, request_status),
               last_error = COALESCE(?8, last_error), finished_at = ?9
             WHERE campaign_id = ?1 AND item_id = ?2",
            params![
                campaign_id,
                item_id,
                finish.state.as_str(),
                finish.code,
                finish.reason,
                finish.request_id,
                finish.request_status,
                finish.error,
                format_time(now)
            ],
        )?;
        event(
            &tx,
            campaign_id,
            &format!("remediation.{}", finish.state.as_str()),
            actor,
            now,
            serde_json::json!({
                "item": item_id,
                "endpoint": before.endpoint,
                "role": before.role_id,
                "scope": before.scope,
                "principal": before.principal_id,
                "code": finish.code,
                "reason": finish.reason,
                "requestId": finish.request_id,
                "requestStatus": finish.request_status,
                "error": finish.error,
                "attempts": before.attempts,
            }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records a failed attempt's error without finishing the action (it will be re-read and
    /// perhaps resent).
    pub fn remediation_attempt_failed(
        &mut self,
        campaign_id: &str,
        item_id: u32,
        error: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        let before = action_in(&tx, campaign_id, item_id)?;
        if before.state != ActionState::Submitted {
            return Err(StoreError::Conflict(format!(
                "action {item_id} is {}, not submitted",
                before.state.as_str()
            )));
        }
        tx.execute(
            "UPDATE remediation_action SET last_error = ?3 WHERE campaign_id = ?1 AND item_id = ?2",
            params![campaign_id, item_id, error],
        )?;
        event(
            &tx,
            campaign_id,
            "remediation.attemptFailed",
            actor,
            now,
            serde_json::json!({ "item": item_id, "attempt": before.attempts, "error": error }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records one verification pass (one audit event for the pass). Only final actions are
    /// verified.
    pub fn record_verifications(
        &mut self,
        campaign_id: &str,
        results: &[(u32, Verification, String)],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if results.is_empty() {
            return Ok(());
        }
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        let stamp = format_time(now);
        {
            let mut update = tx.prepare_cached(
                "UPDATE remediation_action SET verification = ?3, verification_note = ?4, verified_at = ?5
                 WHERE campaign_id = ?1 AND item_id = ?2
                   AND state IN ('succeeded', 'failed', 'skipped')",
            )?;
            for (item, verification, note) in results {
                if update.execute(params![campaign_id, item, verification.as_str(), note, stamp])?
                    == 0
                {
                    return Err(StoreError::Conflict(format!(
                        "action {item} is not final: it cannot be verified yet"
                    )));
                }
            }
        }
        let count = |v: Verification| results.iter().filter(|r| r.1 == v).count();
        let flagged: Vec<serde_json::Value> = results
            .iter()
            // Everything but a plain removal verified as such is named, so the evidence can say
            // what each re-read showed (a conversion's or a new end's verification included).
            .filter(|r| r.1 != Verification::VerifiedRemoved)
            .map(|(item, v, note)| serde_json::json!({ "item": item, "verification": v.as_str(), "note": note }))
            .collect();
        event(
            &tx,
            campaign_id,
            "remediation.verified",
            actor,
            now,
            serde_json::json!({
                "checked": results.len(),
                // Which actions this pass checked, so the evidence can say what was verified when.
                "items": results.iter().map(|r| r.0).collect::<Vec<_>>(),
                "verifiedRemoved": count(Verification::VerifiedRemoved),
                "stillPresent": count(Verification::StillPresent),
                "reappeared": count(Verification::Reappeared),
                "verifiedChanged": count(Verification::VerifiedChanged),
                "notChanged": count(Verification::NotChanged),
                "flagged": flagged,
            }),
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// An action that was not made and nobody resolved yet, or the reason it cannot be resolved.
fn open_exception(tx: &Transaction<'_>, campaign_id: &str, item_id: u32) -> Result<ActionRecord> {
    let a = action_in(tx, campaign_id, item_id)?;
    if !a.state.can_retry() {
        return Err(StoreError::Conflict(format!(
            "item {item_id}'s removal is {}: only a removal that was not made is resolved",
            a.state.as_str()
        )));
    }
    if a.verification.is_some_and(Verification::verified) {
        return Err(StoreError::Conflict(format!(
            "item {item_id}'s change is verified: nothing to resolve"
        )));
    }
    if let Some(kept) = &a.kept {
        return Err(StoreError::Conflict(format!(
            "item {item_id} was already kept by {}",
            kept.by_upn
        )));
    }
    Ok(a)
}

/// How a removal that was not made goes back to planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requeue {
    pub item_id: u32,
    /// The name of the next attempts: a fresh key, so a request the service refused under the
    /// old one is not confused with the new one.
    pub idempotency_key: String,
    /// For a re-plan: the live assignment it now addresses (instance id, end) and the request
    /// body for it.
    pub replan: Option<Replan>,
}

/// What a re-plan aims a removal at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replan {
    pub source_id: String,
    pub end: Option<DateTime<Utc>>,
}

impl Store {
    /// Every removal still pending (planned or submitted) in any campaign of the tenant.
    pub fn pending_removals(&self, tenant_id: &str) -> Result<Vec<PendingRemoval>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.campaign_id, a.item_id, a.surface, a.kind, a.source_id, a.role_id, a.scope,
                    a.principal_id, i.principal_kind, i.membership
             FROM remediation_action a
             JOIN item i ON i.campaign_id = a.campaign_id AND i.id = a.item_id
             JOIN campaign c ON c.id = a.campaign_id
             JOIN campaign_definition d ON d.id = c.definition_id
             WHERE d.tenant_id = ?1 AND a.state IN ('planned', 'submitted')
               -- A conversion keeps the person a holder (eligible) and a new end takes nothing
               -- away now: only removals lower a role's holders.
               AND a.change = 'remove'
             ORDER BY a.campaign_id, a.item_id",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(PendingRemoval {
                campaign_id: row.get(0)?,
                item_id: row.get(1)?,
                surface: row.get::<_, Named<Surface>>(2)?.0,
                kind: row.get::<_, Named<AssignmentKind>>(3)?.0,
                source_id: row.get(4)?,
                role_id: row.get(5)?,
                scope: row.get(6)?,
                principal_id: row.get(7)?,
                principal_kind: row.get(8)?,
                membership: row.get::<_, Named<Membership>>(9)?.0,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A named admin keeps the access of removals that were not made: each records who, when and
    /// why, and no longer keeps the campaign open. All or nothing.
    pub fn keep_remediation_exceptions(
        &mut self,
        campaign_id: &str,
        item_ids: &[u32],
        keeper_id: &str,
        keeper_upn: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        for &item_id in item_ids {
            let a = open_exception(&tx, campaign_id, item_id)?;
            tx.execute(
                "UPDATE remediation_action SET kept_by_id = ?3, kept_by_upn = ?4, kept_at = ?5,
                        kept_reason = ?6
                 WHERE campaign_id = ?1 AND item_id = ?2",
                params![campaign_id, item_id, keeper_id, keeper_upn, format_time(now), reason],
            )?;
            event(
                &tx,
                campaign_id,
                "remediation.exceptionKept",
                keeper_upn,
                now,
                serde_json::json!({
                    "item": item_id,
                    "keptBy": { "id": keeper_id, "upn": keeper_upn },
                    "reason": reason,
                    "was": { "state": a.state.as_str(), "code": a.state_code, "reason": a.state_reason },
                    "role": a.role_name,
                    "principal": a.principal_name,
                }),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A named admin sends removals that were not made back to planned (retry, or a re-plan at
    /// the live assignment): the next apply re-checks the interlocks and the drift before
    /// sending. All or nothing; the journal keeps what happened before in the audit log.
    pub fn requeue_remediation(
        &mut self,
        campaign_id: &str,
        requeues: &[Requeue],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.durable()?;
        let tx = conn.transaction()?;
        for r in requeues {
            let a = open_exception(&tx, campaign_id, r.item_id)?;
            tx.execute(
                "UPDATE remediation_action SET state = 'planned', state_code = NULL,
                        state_reason = NULL, attempts = 0, last_error = NULL, submitted_at = NULL,
                        finished_at = NULL, verification = NULL, verification_note = NULL,
                        verified_at = NULL, idempotency_key = ?3, retries = retries + 1,
                        source_id = coalesce(?4, source_id),
                        replanned = CASE WHEN ?5 THEN 1 ELSE replanned END,
                        replanned_end = CASE WHEN ?5 THEN ?6 ELSE replanned_end END
                 WHERE campaign_id = ?1 AND item_id = ?2",
                params![
                    campaign_id,
                    r.item_id,
                    r.idempotency_key,
                    r.replan.as_ref().map(|p| p.source_id.clone()),
                    r.replan.is_some(),
                    r.replan.as_ref().and_then(|p| p.end).map(format_time),
                ],
            )?;
            event(
                &tx,
                campaign_id,
                if r.replan.is_some() { "remediation.replanned" } else { "remediation.retried" },
                actor,
                now,
                serde_json::json!({
                    "item": r.item_id,
                    "was": { "state": a.state.as_str(), "code": a.state_code, "reason": a.state_reason },
                    "key": r.idempotency_key,
                    "target": r.replan.as_ref().map(|p| serde_json::json!({
                        "from": a.source_id,
                        "to": p.source_id,
                        "end": p.end.map(format_time),
                    })),
                }),
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).single().expect("a valid time")
    }

    /// One tenant, one closed campaign and two items, straight through SQL: the journal's rules
    /// are what is under test here.
    fn seeded(store: Store) -> Store {
        store
            .conn
            .execute_batch(
                "INSERT INTO tenant VALUES ('t', 'T', 'demo', 'g', '2026-01-01T00:00:00Z');
                 INSERT INTO campaign_definition (id, tenant_id, name, definition, created_at, updated_at)
                   VALUES ('d', 't', 'D', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
                 INSERT INTO campaign (id, definition_id, occurrence, name, state, period_start, period_end, definition)
                   VALUES ('c', 'd', 0, 'C', 'closed', '2026-01-01T00:00:00Z', '2026-01-22T00:00:00Z', '{}');
                 INSERT INTO item (campaign_id, id, surface, kind, source_id, role_id, role_name, scope,
                   principal_id, principal_kind, principal_name, membership)
                   VALUES ('c', 1, 'directoryRole', 'active', 's1', 'r', 'R', '/', 'p1', 'user', 'P1', 'direct'),
                          ('c', 2, 'directoryRole', 'active', 's2', 'r', 'R', '/', 'p2', 'user', 'P2', 'direct');",
            )
            .expect("seed");
        store
    }

    fn store() -> Store {
        seeded(Store::open_in_memory().expect("store"))
    }

    fn action(item_id: u32, source: &str) -> NewAction {
        NewAction {
            item_id,
            endpoint: "directoryAssignment".into(),
            surface: Surface::DirectoryRole,
            kind: AssignmentKind::Active,
            source_id: source.into(),
            role_id: "r".into(),
            role_name: "R".into(),
            scope: "/".into(),
            principal_id: format!("p{item_id}"),
            principal_name: format!("P{item_id}"),
            why: "denied".into(),
            request_body: "{}".into(),
            idempotency_key: format!("k{item_id}"),
            change: Change::Remove,
            new_end: None,
            first: None,
        }
    }

    fn hold(item_id: u32) -> NewHold {
        NewHold {
            item_id,
            code: "criticalRoleMinimum".into(),
            reason: "would leave 1".into(),
            proposal: None,
            confirmable: true,
            holders_after: Some(1),
        }
    }

    fn done(state: ActionState) -> Finish {
        Finish {
            state,
            code: "removed".into(),
            reason: "removed".into(),
            request_id: Some("req".into()),
            request_status: Some("Revoked".into()),
            error: None,
        }
    }

    #[test]
    fn the_journal_moves_forward_once_and_audits_every_step() {
        let mut s = store();
        s.record_remediation_plan("c", &[action(1, "s1")], &[hold(2)], "{}", "me", now())
            .expect("plan");
        let again = s.record_remediation_plan("c", &[], &[], "{}", "me", now());
        assert!(matches!(again, Err(StoreError::Conflict(_))), "one plan per campaign");
        assert_eq!(s.remediation_submitted("c", 1, "me", now()).expect("submit"), 1);
        assert_eq!(s.remediation_submitted("c", 1, "me", now()).expect("resubmit"), 2);
        s.remediation_attempt_failed("c", 1, "HTTP 503", "me", now()).expect("attempt failed");
        s.remediation_finished("c", 1, &done(ActionState::Succeeded), "me", now()).expect("done");
        let err = s.remediation_submitted("c", 1, "me", now()).expect_err("final");
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        let err = s.remediation_finished("c", 1, &done(ActionState::Failed), "me", now());
        assert!(err.is_err(), "a result is recorded once");
        s.record_verifications(
            "c",
            &[(1, Verification::VerifiedRemoved, "gone".into())],
            "me",
            now(),
        )
        .expect("verify");
        let a = &s.remediation_actions("c").expect("actions")[0];
        assert_eq!(
            (a.state, a.attempts, a.verification, a.last_error.as_deref()),
            (ActionState::Succeeded, 2, Some(Verification::VerifiedRemoved), Some("HTTP 503"))
        );
        let kinds: Vec<String> = s
            .audit_events(Some("campaign/c"))
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "remediation.planned",
                "remediation.submitted",
                "remediation.submitted",
                "remediation.attemptFailed",
                "remediation.succeeded",
                "remediation.verified"
            ]
        );
        assert!(s.verify_chain().expect("read").is_ok());
    }

    #[test]
    fn a_conversion_journals_its_eligibility_step_before_the_removal() {
        let mut s = store();
        let end = now() + chrono::Duration::days(180);
        let convert = NewAction {
            change: Change::Convert,
            new_end: Some(end),
            first: Some(("{\"action\":\"adminAssign\"}".into(), "k1-eligibility".into())),
            ..action(1, "s1")
        };
        let set_end = NewAction { change: Change::SetEnd, new_end: Some(end), ..action(2, "s2") };
        s.record_remediation_plan("c", &[convert, set_end], &[], "{}", "me", now()).expect("plan");
        assert!(
            s.pending_removals("t").expect("pending").is_empty(),
            "neither takes a holder away: the interlocks do not count them as removals"
        );
        let err = s.remediation_first_step("c", 2, FirstStep::Submitted, None, "me", now());
        assert!(err.is_err(), "a new end has no eligibility step");
        s.remediation_first_step("c", 1, FirstStep::Submitted, None, "me", now()).expect("sent");
        s.remediation_first_step("c", 1, FirstStep::Submitted, None, "me", now())
            .expect("resent after a crash, under the same key");
        s.remediation_first_step("c", 1, FirstStep::Verified, Some("req-1"), "me", now())
            .expect("verified");
        let err = s.remediation_first_step("c", 1, FirstStep::Submitted, None, "me", now());
        assert!(err.is_err(), "a verified eligibility is never sent again");
        let actions = s.remediation_actions("c").expect("actions");
        let a = &actions[0];
        assert_eq!(a.change, Change::Convert);
        assert_eq!(a.new_end.map(|e| e.timestamp()), Some(end.timestamp()));
        let first = a.first.as_ref().expect("a first step");
        assert_eq!(
            (first.state, first.key.as_str(), first.request_id.as_deref()),
            (FirstStep::Verified, "k1-eligibility", Some("req-1"))
        );
        assert_eq!((actions[1].change, actions[1].first.is_none()), (Change::SetEnd, true));
        s.remediation_submitted("c", 1, "me", now()).expect("then the removal");
        s.remediation_finished("c", 1, &done(ActionState::Succeeded), "me", now()).expect("done");
        s.record_verifications(
            "c",
            &[(1, Verification::VerifiedChanged, "eligible, no standing assignment".into())],
            "me",
            now(),
        )
        .expect("verify");
        let kinds: Vec<String> = s
            .audit_events(Some("campaign/c"))
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "remediation.planned",
                "remediation.eligibilitySubmitted",
                "remediation.eligibilitySubmitted",
                "remediation.eligibilityVerified",
                "remediation.submitted",
                "remediation.succeeded",
                "remediation.verified"
            ]
        );
        assert!(s.verify_chain().expect("read").is_ok());
    }

    #[test]
    fn a_hold_is_confirmed_once_by_a_named_person_and_becomes_an_action() {
        let mut s = store();
        s.record_remediation_plan("c", &[], &[hold(2)], "{}", "me", now()).expect("plan");
        s.confirm_remediation_hold("c", &action(2, "s2"), "id-j", "jane@contoso.test", now())
            .expect("confirm");
        let again =
            s.confirm_remediation_hold("c", &action(2, "s2"), "id-j", "jane@contoso.test", now());
        assert!(again.is_err(), "confirmed once");
        let h = &s.remediation_holds("c").expect("holds")[0];
        assert_eq!(h.confirmed_by_upn.as_deref(), Some("jane@contoso.test"));
        assert_eq!(s.remediation_actions("c").expect("actions")[0].state, ActionState::Planned);
    }

    #[test]
    fn a_hold_kept_by_a_named_person_stays_without_an_action_and_is_not_confirmed_after() {
        let mut s = store();
        s.record_remediation_plan("c", &[], &[hold(1), hold(2)], "{}", "me", now()).expect("plan");
        let partial =
            s.keep_remediation_holds("c", &[2, 9], "id-j", "jane@contoso.test", "x", now());
        assert!(partial.is_err(), "item 9 has no hold");
        assert!(
            s.remediation_holds("c").expect("holds").iter().all(|h| h.kept.is_none()),
            "all or nothing"
        );
        s.keep_remediation_holds(
            "c",
            &[2],
            "id-j",
            "jane@contoso.test",
            "vendor escalation",
            now(),
        )
        .expect("kept");
        let again =
            s.keep_remediation_holds("c", &[2], "id-j", "jane@contoso.test", "again", now());
        assert!(matches!(again, Err(StoreError::Conflict(_))), "kept once");
        let confirm = s.confirm_remediation_hold("c", &action(2, "s2"), "id-k", "k@c.test", now());
        assert!(matches!(confirm, Err(StoreError::Conflict(_))), "a kept hold is not confirmed");
        s.confirm_remediation_hold("c", &action(1, "s1"), "id-j", "jane@contoso.test", now())
            .expect("confirm the other");
        let keep = s.keep_remediation_holds("c", &[1], "id-j", "jane@contoso.test", "late", now());
        assert!(matches!(keep, Err(StoreError::Conflict(_))), "a confirmed hold is not kept");
        let missing = s.keep_remediation_holds("c", &[9], "id-j", "jane@contoso.test", "x", now());
        assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");

        let holds = s.remediation_holds("c").expect("holds");
        let kept = holds[1].kept.as_ref().expect("kept");
        assert_eq!(
            (kept.by_upn.as_str(), kept.reason.as_str()),
            ("jane@contoso.test", "vendor escalation")
        );
        assert!(holds[1].confirmed_by_upn.is_none() && holds[0].kept.is_none());
        let actions = s.remediation_actions("c").expect("actions");
        assert_eq!(
            actions.iter().map(|a| a.item_id).collect::<Vec<_>>(),
            [1],
            "only the confirmed one"
        );
        let events = s.audit_events(Some("campaign/c")).expect("events");
        let kept_event = events.iter().find(|e| e.kind == "remediation.kept").expect("audited");
        assert_eq!(kept_event.actor, "jane@contoso.test");
        assert!(kept_event.payload.contains("vendor escalation"), "{}", kept_event.payload);
    }

    #[test]
    fn one_action_per_assignment() {
        let mut s = store();
        let mut twin = action(2, "s1");
        twin.kind = AssignmentKind::Active;
        let err = s
            .record_remediation_plan("c", &[action(1, "s1"), twin], &[], "{}", "me", now())
            .expect_err("the same assignment twice");
        assert!(err.to_string().contains("UNIQUE"), "{err}");
        assert!(s.remediation_plan("c").expect("read").is_none(), "nothing was stored");
    }

    fn skipped(code: &str) -> Finish {
        Finish {
            state: ActionState::Skipped,
            code: code.into(),
            reason: format!("{code} at the moment of removal"),
            request_id: None,
            request_status: None,
            error: None,
        }
    }

    #[test]
    fn a_removal_not_made_stays_open_until_kept_or_sent_back() {
        let mut s = store();
        s.record_remediation_plan("c", &[action(1, "s1"), action(2, "s2")], &[], "{}", "me", now())
            .expect("plan");
        let err = s.keep_remediation_exceptions("c", &[1], "id-j", "jane@c.test", "x", now());
        assert!(matches!(err, Err(StoreError::Conflict(_))), "a planned removal is no exception");
        for item in [1, 2] {
            s.remediation_finished("c", item, &skipped("drift"), "me", now()).expect("skipped");
        }
        let pending = s.pending_removals("t").expect("pending");
        assert!(pending.is_empty(), "skipped is not pending: {pending:?}");

        s.keep_remediation_exceptions(
            "c",
            &[1],
            "id-j",
            "jane@c.test",
            "contractor's last week",
            now(),
        )
        .expect("kept");
        assert!(s.keep_remediation_exceptions("c", &[1, 2], "id-j", "j", "x", now()).is_err());
        let again = Requeue { item_id: 1, idempotency_key: "k1-2".into(), replan: None };
        assert!(
            s.requeue_remediation("c", &[again], "jane@c.test", now()).is_err(),
            "kept stays kept"
        );

        let replan = Requeue {
            item_id: 2,
            idempotency_key: "k2-2".into(),
            replan: Some(Replan { source_id: "s2-live".into(), end: None }),
        };
        s.requeue_remediation("c", &[replan], "jane@c.test", now()).expect("re-planned");
        let actions = s.remediation_actions("c").expect("actions");
        let kept = actions[0].kept.as_ref().expect("kept");
        assert_eq!(
            (kept.by_upn.as_str(), kept.reason.as_str()),
            ("jane@c.test", "contractor's last week")
        );
        let a = &actions[1];
        assert_eq!(
            (a.state, a.source_id.as_str(), a.idempotency_key.as_str(), a.retries, a.replanned_end),
            (ActionState::Planned, "s2-live", "k2-2", 1, Some(None))
        );
        assert!(a.state_code.is_none() && a.finished_at.is_none());
        assert_eq!(s.pending_removals("t").expect("pending").len(), 1);
        let kinds: Vec<String> = s
            .audit_events(Some("campaign/c"))
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(
            kinds.ends_with(&[
                "remediation.exceptionKept".to_string(),
                "remediation.replanned".to_string()
            ]),
            "{kinds:?}"
        );
        assert!(s.verify_chain().expect("read").is_ok());
    }

    /// The journal commits with `synchronous=FULL` (the WAL synced before the commit returns), and
    /// the connection goes back to NORMAL for everything else.
    #[test]
    fn the_journal_commits_durably() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut s = seeded(Store::open(&dir.path().join("recert.db")).expect("store"));
        s.conn
            .execute_batch(
                "CREATE TEMP TABLE seen (level INTEGER);
                 CREATE TEMP TRIGGER journal_level AFTER UPDATE ON main.remediation_action
                 BEGIN INSERT INTO seen SELECT synchronous FROM pragma_synchronous; END;",
            )
            .expect("a witness of the journal's level");
        s.record_remediation_plan("c", &[action(1, "s1")], &[], "{}", "me", now()).expect("plan");
        s.remediation_submitted("c", 1, "me", now()).expect("submitted");
        s.remediation_finished("c", 1, &done(ActionState::Succeeded), "me", now()).expect("done");
        let seen: Vec<i64> = s
            .conn
            .prepare("SELECT level FROM seen")
            .and_then(|mut q| q.query_map([], |r| r.get(0))?.collect())
            .expect("levels");
        assert_eq!(seen, [2, 2], "FULL (2) while the journal wrote");
        let now_level: i64 =
            s.conn.pragma_query_value(None, "synchronous", |r| r.get(0)).expect("level");
        assert_eq!(now_level, 1, "NORMAL (1) again afterwards");
    }
}
