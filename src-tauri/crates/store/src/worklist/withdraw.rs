//! Returning items to undecided while the campaign is open: a row of the decision log of its own
//! (verdict `undecided`) with its audit event, and the item showing the decision that still
//! stands, if any. Which decisions stand once some were taken back is decided here, for the close,
//! the stages and the evidence alike.

use std::collections::{HashMap, HashSet};

use recert_domain::campaign::CampaignState;
use rusqlite::params;

use super::{DecisionContext, DecisionRecord, LogEntry, append_log, authentication_json};
use crate::audit::{self, NewAuditEvent};
use crate::campaigns::campaign_in;
use crate::{Result, Store, StoreError};

/// The verdict of a decision log row that takes a reviewer's decision back.
pub const UNDECIDED: &str = "undecided";

/// A reviewer's decision on an item, taken back in the stage it was made in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    pub item_id: u32,
    /// Whose decision is taken back.
    pub reviewer_id: String,
    pub justification: String,
    pub stage: u32,
}

impl DecisionRecord {
    /// Whether this row takes a decision back instead of deciding.
    pub fn is_withdrawal(&self) -> bool {
        self.verdict == UNDECIDED
    }
}

/// The decisions that were not taken back, in the order made: a return to undecided takes back
/// every earlier decision of the same reviewer on the same item in the same stage, and is itself
/// no decision. A decision made after it counts again.
pub fn standing_rows(decisions: &[DecisionRecord]) -> Vec<&DecisionRecord> {
    let mut taken_back: HashSet<(u32, &str, u32)> = HashSet::new();
    let mut out: Vec<&DecisionRecord> = Vec::with_capacity(decisions.len());
    for d in decisions.iter().rev() {
        let key = (d.item_id, d.reviewer_id.as_str(), d.stage);
        if d.is_withdrawal() {
            taken_back.insert(key);
        } else if !taken_back.contains(&key) {
            out.push(d);
        }
    }
    out.reverse();
    out
}

/// One row of an item's log, as the item's standing decision is worked out from it.
struct LogRow {
    id: i64,
    reviewer_id: String,
    stage: u32,
    verdict: String,
    keep_until: Option<String>,
    decided_at: String,
    decided_by_upn: String,
}

impl Store {
    /// Takes the given reviewers' decisions back, in one transaction with one audit event; the
    /// campaign must be open and each reviewer must have a decision standing on the item in that
    /// stage. Each item then shows the latest decision still standing on it (another reviewer's,
    /// or an earlier stage's), or none.
    pub fn withdraw_decisions(
        &mut self,
        campaign_id: &str,
        withdrawals: &[Withdrawal],
        context: &DecisionContext<'_>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let campaign = campaign_in(&tx, campaign_id)?;
        if campaign.state != CampaignState::Open {
            return Err(StoreError::Conflict(format!(
                "campaign {campaign_id} is {}: a decision can only be taken back while it is open",
                campaign.state
            )));
        }
        let bulk = withdrawals.len() > 1;
        let mut first_id = None;
        {
            let mut log = tx.prepare_cached(
                "SELECT id, reviewer_id, stage, verdict, keep_until, decided_at, decided_by_upn
                 FROM decision WHERE campaign_id = ?1 AND item_id = ?2 ORDER BY id",
            )?;
            let read =
                |log: &mut rusqlite::CachedStatement<'_>, item: u32| -> Result<Vec<LogRow>> {
                    let rows = log.query_map(params![campaign_id, item], |row| {
                        Ok(LogRow {
                            id: row.get(0)?,
                            reviewer_id: row.get(1)?,
                            stage: row.get(2)?,
                            verdict: row.get(3)?,
                            keep_until: row.get(4)?,
                            decided_at: row.get(5)?,
                            decided_by_upn: row.get(6)?,
                        })
                    })?;
                    Ok(rows.collect::<rusqlite::Result<_>>()?)
                };
            let mut update = tx.prepare_cached(
                "UPDATE item SET verdict = ?3, decided_at = ?4, decided_by_upn = ?5, keep_until = ?6
                 WHERE campaign_id = ?1 AND id = ?2",
            )?;
            for w in withdrawals {
                let before = read(&mut log, w.item_id)?;
                if !standing_of(&before).contains_key(&(w.reviewer_id.as_str(), w.stage)) {
                    return Err(StoreError::Conflict(format!(
                        "item {}: no decision of {} stands in stage {} to take back",
                        w.item_id, w.reviewer_id, w.stage
                    )));
                }
                let entry = LogEntry {
                    item_id: w.item_id,
                    reviewer_id: &w.reviewer_id,
                    verdict: UNDECIDED,
                    justification: &w.justification,
                    keep_until: None,
                    stage: w.stage,
                };
                append_log(&tx, campaign_id, &entry, context, first_id)?;
                if first_id.is_none() && bulk {
                    let id = tx.last_insert_rowid();
                    tx.execute("UPDATE decision SET batch = ?1 WHERE id = ?1", [id])?;
                    first_id = Some(id);
                }
                let after = read(&mut log, w.item_id)?;
                let shown = standing_of(&after).into_values().max_by_key(|r| r.id);
                update.execute(params![
                    campaign_id,
                    w.item_id,
                    shown.map(|r| r.verdict.as_str()),
                    shown.map(|r| r.decided_at.as_str()),
                    shown.map(|r| r.decided_by_upn.as_str()),
                    shown.and_then(|r| r.keep_until.as_deref()),
                ])?;
            }
        }
        let each: Vec<serde_json::Value> = withdrawals
            .iter()
            .map(|w| {
                serde_json::json!({
                    "item": w.item_id,
                    "reviewer": w.reviewer_id,
                    "verdict": UNDECIDED,
                    "justification": w.justification,
                    "stage": w.stage,
                })
            })
            .collect();
        audit::append(
            &tx,
            &NewAuditEvent {
                at: context.at,
                actor: context.decided_by_upn,
                kind: "decision.withdrawn",
                subject: &format!("campaign/{campaign_id}"),
                payload: serde_json::json!({
                    "items": withdrawals.iter().map(|w| w.item_id).collect::<Vec<_>>(),
                    "decidedBy": context.decided_by_upn,
                    "decidedById": context.decided_by_id,
                    "source": context.source.as_str(),
                    "authentication": authentication_json(context.authentication),
                    "batch": first_id,
                    "decisions": each,
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Each reviewer's decision standing per stage in an item's log (the latest row of theirs, unless
/// it takes the decision back).
fn standing_of(rows: &[LogRow]) -> HashMap<(&str, u32), &LogRow> {
    let mut latest: HashMap<(&str, u32), &LogRow> = HashMap::new();
    for r in rows {
        latest.insert((r.reviewer_id.as_str(), r.stage), r);
    }
    latest.retain(|_, r| r.verdict != UNDECIDED);
    latest
}
