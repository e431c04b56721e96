//! The stages of a multi-stage review: which stage a campaign is in, moving on to the next with
//! the items that go on and their new reviewers, and the fallback reviewers a "don't know" brings
//! in when no later stage takes the item. Each change commits with its audit event.

use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::audit::{self, NewAuditEvent};
use crate::campaigns::campaign_in;
use crate::{Result, Store, StoreError};

/// One reviewer given to an item in a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageReviewer {
    pub id: String,
    pub upn: String,
    pub name: String,
    /// Why the item went to this fallback reviewer (a reroute code, or `dontKnow`).
    pub reroute_reason: Option<String>,
    pub conflict: Option<String>,
}

/// An item that goes on to the next stage, with its reviewers there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRoute {
    pub item_id: u32,
    pub reviewers: Vec<StageReviewer>,
}

fn insert_reviewers(
    tx: &rusqlite::Transaction<'_>,
    campaign_id: &str,
    item_id: u32,
    stage: u32,
    reviewers: &[StageReviewer],
) -> Result<()> {
    // A reviewer of an earlier stage who reviews again gets a row of this stage beside the
    // earlier one: each stage keeps who reviewed the item in it.
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO item_reviewer (campaign_id, item_id, reviewer_id, reviewer_upn,
           reviewer_name, reroute_reason, conflict, stage) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for r in reviewers {
        insert.execute(params![
            campaign_id,
            item_id,
            r.id,
            r.upn,
            r.name,
            r.reroute_reason,
            r.conflict,
            stage
        ])?;
    }
    Ok(())
}

impl Store {
    /// The stage the campaign is in (1 for a one-stage review).
    pub fn campaign_stage(&self, campaign_id: &str) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT stage FROM campaign WHERE id = ?1",
            [campaign_id],
            |row| row.get(0),
        )?)
    }

    /// The stage each item is in: the last stage that took it.
    pub fn item_stages(&self, campaign_id: &str) -> Result<std::collections::HashMap<u32, u32>> {
        let mut stmt = self.conn.prepare("SELECT id, stage FROM item WHERE campaign_id = ?1")?;
        let rows = stmt.query_map([campaign_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Moves an open campaign from its stage to `to` (the next one): the items in `routes` go on,
    /// with their reviewers there; the others keep the decision their last stage made.
    pub fn advance_stage(
        &mut self,
        campaign_id: &str,
        to: u32,
        routes: &[StageRoute],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let campaign = campaign_in(&tx, campaign_id)?;
        if campaign.state != recert_domain::campaign::CampaignState::Open {
            return Err(StoreError::Conflict(format!(
                "campaign {campaign_id} is {}: only an open review moves to its next stage",
                campaign.state
            )));
        }
        let from: u32 =
            tx.query_row("SELECT stage FROM campaign WHERE id = ?1", [campaign_id], |r| r.get(0))?;
        if to != from + 1 {
            return Err(StoreError::Conflict(format!(
                "campaign {campaign_id} is in stage {from}: it moves to stage {}, not {to}",
                from + 1
            )));
        }
        tx.execute("UPDATE campaign SET stage = ?2 WHERE id = ?1", params![campaign_id, to])?;
        for route in routes {
            let changed = tx.execute(
                "UPDATE item SET stage = ?3 WHERE campaign_id = ?1 AND id = ?2",
                params![campaign_id, route.item_id, to],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound {
                    what: "item",
                    id: format!("{campaign_id}#{}", route.item_id),
                });
            }
            insert_reviewers(&tx, campaign_id, route.item_id, to, &route.reviewers)?;
        }
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "campaign.stageAdvanced",
                subject: &format!("campaign/{campaign_id}"),
                payload: serde_json::json!({
                    "from": from,
                    "to": to,
                    "items": routes.iter().map(|r| serde_json::json!({
                        "item": r.item_id,
                        "reviewers": r.reviewers.iter().map(|x| x.upn.as_str()).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Gives an item more reviewers in its stage: the stage's fallback reviewers, when its
    /// reviewer answered "don't know" and no later stage takes it.
    pub fn add_stage_reviewers(
        &mut self,
        campaign_id: &str,
        item_id: u32,
        stage: u32,
        reviewers: &[StageReviewer],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if reviewers.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        insert_reviewers(&tx, campaign_id, item_id, stage, reviewers)?;
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "item.rerouted",
                subject: &format!("campaign/{campaign_id}"),
                payload: serde_json::json!({
                    "item": item_id,
                    "stage": stage,
                    "reviewers": reviewers.iter().map(|x| x.upn.as_str()).collect::<Vec<_>>(),
                    "reason": reviewers.first().and_then(|r| r.reroute_reason.clone()),
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}
