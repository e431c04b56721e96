//! A campaign published to Entra ID Access Reviews: the review created per directory role and
//! kind (`entra_publication`), when Recert stopped it, and for each decision synced back the
//! Entra decision item and the SHA-256 of the raw pages it was read from (`entra_decision`,
//! written by `record_decisions` in the decisions' own transaction). Every change is audited.

use chrono::{DateTime, Utc};
use recert_domain::AssignmentKind;
use rusqlite::{Transaction, params};

use crate::audit::{self, NewAuditEvent};
use crate::stored::{Named, Time, time};
use crate::{Result, Store, StoreError, format_time};

/// Where decisions synced from Entra came from, beside the decisions of one
/// `record_decisions` call (`decision_ids[i]` belongs to its `decisions[i]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntraOrigin<'a> {
    pub decision_ids: &'a [String],
    /// When each decision was made in Entra (`reviewedDateTime`), as Entra gave it.
    pub reviewed_at: &'a [Option<String>],
    /// SHA-256 (hex) of the raw decision pages read in this sync.
    pub pages_sha256: &'a str,
}

/// One published review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicationRecord {
    pub role_id: String,
    pub kind: AssignmentKind,
    pub definition_id: String,
    pub published_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
}

/// A decision row synced from Entra, as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedDecisionRecord {
    pub decision_row: i64,
    pub entra_decision_id: String,
    pub reviewed_at: Option<String>,
    pub pages_sha256: String,
}

pub(crate) fn link_decision(
    tx: &Transaction<'_>,
    campaign_id: &str,
    row: i64,
    origin: &EntraOrigin<'_>,
    index: usize,
) -> Result<()> {
    let Some(id) = origin.decision_ids.get(index) else {
        return Err(StoreError::Conflict(format!(
            "decision {index} of the sync has no Entra decision id"
        )));
    };
    tx.execute(
        "INSERT INTO entra_decision (decision_row, campaign_id, entra_decision_id, reviewed_at,
           pages_sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            row,
            campaign_id,
            id,
            origin.reviewed_at.get(index).cloned().flatten(),
            origin.pages_sha256
        ],
    )?;
    Ok(())
}

impl Store {
    /// Records the reviews created in Entra for a campaign, with one audit event.
    pub fn record_publication(
        &mut self,
        campaign_id: &str,
        reviews: &[(String, AssignmentKind, String)],
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let when = format_time(at);
        for (role_id, kind, definition_id) in reviews {
            tx.execute(
                "INSERT INTO entra_publication (campaign_id, role_id, kind, definition_id,
                   published_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![campaign_id, role_id, kind.as_str(), definition_id, when],
            )?;
        }
        audit::append(
            &tx,
            &NewAuditEvent {
                at,
                actor,
                kind: "campaign.published",
                subject: &format!("campaign/{campaign_id}"),
                payload: serde_json::json!({
                    "channel": "entraAccessReviews",
                    "reviews": reviews.iter().map(|(role, kind, id)| serde_json::json!({
                        "role": role, "kind": kind.as_str(), "definition": id,
                    })).collect::<Vec<_>>(),
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The reviews a campaign was published as, by role and kind.
    pub fn publications(&self, campaign_id: &str) -> Result<Vec<PublicationRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT role_id, kind, definition_id, published_at, stopped_at FROM entra_publication
             WHERE campaign_id = ?1 ORDER BY role_id, kind",
        )?;
        let rows = stmt.query_map([campaign_id], |row| {
            Ok(PublicationRecord {
                role_id: row.get(0)?,
                kind: row.get::<_, Named<AssignmentKind>>(1)?.0,
                definition_id: row.get(2)?,
                published_at: row.get::<_, Time>(3)?.0,
                stopped_at: time(row.get(4)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records that Recert stopped a campaign's reviews in Entra (at close), audited.
    pub fn record_reviews_stopped(
        &mut self,
        campaign_id: &str,
        definition_ids: &[String],
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        for id in definition_ids {
            tx.execute(
                "UPDATE entra_publication SET stopped_at = ?3
                 WHERE campaign_id = ?1 AND definition_id = ?2 AND stopped_at IS NULL",
                params![campaign_id, id, format_time(at)],
            )?;
        }
        audit::append(
            &tx,
            &NewAuditEvent {
                at,
                actor,
                kind: "campaign.reviewsStopped",
                subject: &format!("campaign/{campaign_id}"),
                payload: serde_json::json!({ "definitions": definition_ids }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every decision row synced from Entra for a campaign, oldest first.
    pub fn synced_decisions(&self, campaign_id: &str) -> Result<Vec<SyncedDecisionRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT decision_row, entra_decision_id, reviewed_at, pages_sha256 FROM entra_decision
             WHERE campaign_id = ?1 ORDER BY decision_row",
        )?;
        let rows = stmt.query_map([campaign_id], |row| {
            Ok(SyncedDecisionRecord {
                decision_row: row.get(0)?,
                entra_decision_id: row.get(1)?,
                reviewed_at: row.get(2)?,
                pages_sha256: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The `reviewedDateTime` last recorded for each Entra decision item of a campaign, so a
    /// sync records only what changed since (a decision changed in Entra has a new time).
    pub fn synced_decision_times(
        &self,
        campaign_id: &str,
    ) -> Result<std::collections::HashMap<String, Option<String>>> {
        Ok(self
            .synced_decisions(campaign_id)?
            .into_iter()
            .map(|d| (d.entra_decision_id, d.reviewed_at))
            .collect())
    }
}
