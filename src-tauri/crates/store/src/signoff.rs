//! Sign-offs and corrections of a campaign's binder. They live in the audit chain only — a
//! `campaign.signedOff` or `campaign.corrected` event with its values — so they are exactly as
//! tamper-evident as the chain and no second table can disagree with it. Each is appended only
//! if the campaign's record did not change since the caller read it, so two signers racing
//! (the window and the CLI) can never both sign the same version as the same capacity.

use chrono::{DateTime, Utc};

use crate::audit::{self, NewAuditEvent};
use crate::campaigns::campaign_in;
use crate::{Result, Store, StoreError};

/// A campaign event about to be appended after the caller checked the record up to `seen`.
#[derive(Clone, Debug)]
pub struct CampaignEvent<'a> {
    pub campaign_id: &'a str,
    /// `campaign.signedOff` or `campaign.corrected`.
    pub kind: &'a str,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    pub payload: serde_json::Value,
    /// The sequence number of the campaign's last event the caller's check read (0: none).
    pub seen: i64,
}

impl Store {
    /// Appends `event` unless the campaign's record gained an event after `seen`; returns the
    /// new event's sequence number.
    pub fn append_campaign_event(&mut self, event: &CampaignEvent<'_>) -> Result<i64> {
        let tx = self.conn.transaction()?;
        campaign_in(&tx, event.campaign_id)?;
        let subject = format!("campaign/{}", event.campaign_id);
        let last: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM audit_event WHERE subject = ?1",
            [&subject],
            |row| row.get(0),
        )?;
        if last != event.seen {
            return Err(StoreError::Conflict(format!(
                "campaign {} changed while this was being checked: look again and retry",
                event.campaign_id
            )));
        }
        let seq = audit::append(
            &tx,
            &NewAuditEvent {
                at: event.at,
                actor: event.actor,
                kind: event.kind,
                subject: &subject,
                payload: event.payload.clone(),
            },
        )?;
        tx.commit()?;
        Ok(seq)
    }
}
