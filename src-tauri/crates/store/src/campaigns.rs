//! Campaign definitions and campaigns: creation, the atomic opening (campaign + sealed snapshot +
//! items + reviewers), state changes and closing. Every write commits with its audit event.

use chrono::{DateTime, Utc};
use recert_domain::campaign::CampaignState;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::Digest;

use crate::audit::{self, NewAuditEvent};
use crate::stored::{Named, Time, time};
use crate::{Result, Store, StoreError, format_time};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefinitionRecord {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    /// The app's JSON form of the definition.
    pub definition: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignRecord {
    pub id: String,
    pub definition_id: String,
    pub occurrence: u32,
    pub name: String,
    pub state: CampaignState,
    pub state_reason: Option<String>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// The definition as it was when the campaign was created.
    pub definition: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// The extraction record and raw pages sealed when a campaign opens.
#[derive(Clone, Debug)]
pub struct NewSnapshot {
    pub requests: u32,
    pub raw_sha256: String,
    /// JSON: endpoints, filters, counts per role and kind.
    pub record: String,
    /// Every raw page in request order.
    pub pages: Vec<RawPageRecord>,
    /// The campaign's scope was not read completely: the gaps a governance admin accepted
    /// (in words) and their reason, audited with the opening.
    pub gap_accepted: Option<GapAcceptance>,
}

/// Gaps in a campaign's population that a governance admin accepted to open it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapAcceptance {
    pub gaps: Vec<String>,
    pub reason: String,
}

/// One raw response as sealed: the request that produced it and the bytes that came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawPageRecord {
    pub method: String,
    pub url: String,
    pub request_body: Option<Vec<u8>>,
    pub body: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub taken_at: DateTime<Utc>,
    pub actor: String,
    pub requests: u32,
    pub raw_sha256: String,
    pub record: String,
}

pub use recert_domain::worklist::{NewItem, NewReviewer};

/// What the worklist search matches: the holder's name and UPN and the role, lowercased.
pub(crate) fn search_text(item: &NewItem) -> String {
    format!(
        "{} {} {}",
        item.principal_name,
        item.principal_upn.as_deref().unwrap_or_default(),
        item.role_name
    )
    .to_lowercase()
}

/// The fields of a review item fixed when the campaign opens (who holds what, who reviews it,
/// what was recommended), as hashed into the opening's audit event.
pub struct SealedItem<'a> {
    fields: Vec<std::borrow::Cow<'a, str>>,
}

impl<'a> SealedItem<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: u32,
        surface: &'a str,
        kind: &'a str,
        source_id: &'a str,
        role: (&'a str, &'a str),
        scope: &'a str,
        principal: (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>),
        membership: &'a str,
        window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        recommendation: (Option<&'a str>, Option<&'a str>, Option<&'a str>),
        reviewers: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
    ) -> SealedItem<'a> {
        use std::borrow::Cow;
        let opt = |v: Option<&'a str>| Cow::Borrowed(v.unwrap_or("\u{0}"));
        let time = |t: Option<DateTime<Utc>>| Cow::Owned(t.map(format_time).unwrap_or_default());
        let mut fields = vec![
            Cow::Owned(id.to_string()),
            Cow::Borrowed(surface),
            Cow::Borrowed(kind),
            Cow::Borrowed(source_id),
            Cow::Borrowed(role.0),
            Cow::Borrowed(role.1),
            Cow::Borrowed(scope),
            Cow::Borrowed(principal.0),
            Cow::Borrowed(principal.1),
            Cow::Borrowed(principal.2),
            opt(principal.3),
            opt(principal.4),
            Cow::Borrowed(membership),
            time(window.0),
            time(window.1),
            opt(recommendation.0),
            opt(recommendation.1),
            opt(recommendation.2),
        ];
        let mut reviewers: Vec<_> = reviewers.collect();
        reviewers.sort();
        for (id, upn, reroute) in reviewers {
            fields.extend([Cow::Borrowed(id), Cow::Borrowed(upn), opt(reroute)]);
        }
        SealedItem { fields }
    }

    fn of_new(id: u32, i: &'a NewItem) -> SealedItem<'a> {
        SealedItem::new(
            id,
            i.surface.as_str(),
            i.kind.as_str(),
            &i.source_id,
            (&i.role_id, &i.role_name),
            &i.scope,
            (
                &i.principal_id,
                &i.principal_kind,
                &i.principal_name,
                i.principal_upn.as_deref(),
                i.user_type.as_deref(),
            ),
            i.membership.as_str(),
            (i.start_at, i.end_at),
            (
                i.recommendation.as_deref(),
                i.recommendation_code.as_deref(),
                i.recommendation_reason.as_deref(),
            ),
            i.reviewers
                .iter()
                .map(|r| (r.id.as_str(), r.upn.as_str(), r.reroute_reason.as_deref())),
        )
    }

    /// The same fields read back from the item table.
    pub fn of_record(i: &'a crate::worklist::ItemRecord) -> SealedItem<'a> {
        SealedItem::new(
            i.id,
            i.surface.as_str(),
            i.kind.as_str(),
            &i.source_id,
            (&i.role_id, &i.role_name),
            &i.scope,
            (
                &i.principal_id,
                &i.principal_kind,
                &i.principal_name,
                i.principal_upn.as_deref(),
                i.user_type.as_deref(),
            ),
            i.membership.as_str(),
            (i.start_at, i.end_at),
            (
                i.recommendation.as_deref(),
                i.recommendation_code.as_deref(),
                i.recommendation_reason.as_deref(),
            ),
            i.reviewers
                .iter()
                .map(|r| (r.id.as_str(), r.upn.as_str(), r.reroute_reason.as_deref())),
        )
    }

    /// This item's own digest, for naming which item changed.
    pub fn sha256(&self) -> [u8; 32] {
        let mut hasher = sha2::Sha256::new();
        for field in &self.fields {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hasher.finalize().into()
    }
}

/// SHA-256 over the items' own digests, in order: one value in the opening's audit event that
/// any later edit of an item row changes.
pub fn sealed_items_sha256<'a>(items: impl Iterator<Item = SealedItem<'a>>) -> String {
    let mut hasher = sha2::Sha256::new();
    for item in items {
        hasher.update(item.sha256());
    }
    hex::encode(hasher.finalize())
}

/// SHA-256 of a campaign's copy of its definition (its settings as opened).
pub fn definition_sha256(definition: &str) -> String {
    hex::encode(sha2::Sha256::digest(definition.as_bytes()))
}

const CAMPAIGN_COLUMNS: &str = "id, definition_id, occurrence, name, state, state_reason, period_start, \
     period_end, definition, opened_at, closed_at, completed_at";

fn campaign_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CampaignRecord> {
    Ok(CampaignRecord {
        id: row.get(0)?,
        definition_id: row.get(1)?,
        occurrence: row.get(2)?,
        name: row.get(3)?,
        state: row.get::<_, Named<CampaignState>>(4)?.0,
        state_reason: row.get(5)?,
        period_start: row.get::<_, Time>(6)?.0,
        period_end: row.get::<_, Time>(7)?.0,
        definition: row.get(8)?,
        opened_at: time(row.get(9)?),
        closed_at: time(row.get(10)?),
        completed_at: time(row.get(11)?),
    })
}

pub(crate) fn campaign_in(conn: &rusqlite::Connection, id: &str) -> Result<CampaignRecord> {
    conn.query_row(
        &format!("SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE id = ?1"),
        [id],
        campaign_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound { what: "campaign", id: id.to_string() })
}

/// Moves a campaign from its current state to `to`, refusing illegal steps.
pub(crate) fn change_state(
    tx: &Transaction<'_>,
    id: &str,
    to: CampaignState,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CampaignRecord> {
    let campaign = campaign_in(tx, id)?;
    campaign.state.transition(to).map_err(StoreError::Transition)?;
    let stamp = format_time(now);
    let column = match to {
        CampaignState::Open => Some("opened_at"),
        CampaignState::Closed => Some("closed_at"),
        CampaignState::Completed => Some("completed_at"),
        _ => None,
    };
    tx.execute(
        "UPDATE campaign SET state = ?2, state_reason = ?3 WHERE id = ?1",
        params![id, to.as_str(), reason],
    )?;
    if let Some(column) = column {
        tx.execute(
            &format!("UPDATE campaign SET {column} = ?2 WHERE id = ?1"),
            params![id, stamp],
        )?;
    }
    Ok(campaign)
}

impl Store {
    pub fn insert_definition(&mut self, record: &DefinitionRecord, actor: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO campaign_definition (id, tenant_id, name, definition, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                record.id,
                record.tenant_id,
                record.name,
                record.definition,
                format_time(record.created_at),
                format_time(record.updated_at)
            ],
        )?;
        audit::append(
            &tx,
            &NewAuditEvent {
                at: record.created_at,
                actor,
                kind: "definition.created",
                subject: &format!("definition/{}", record.id),
                payload: serde_json::json!({
                    "tenant": record.tenant_id,
                    "definition": serde_json::from_str::<serde_json::Value>(&record.definition).unwrap_or_default(),
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn definitions(&self, tenant_id: Option<&str>) -> Result<Vec<DefinitionRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, tenant_id, name, definition, created_at, updated_at FROM campaign_definition
             WHERE archived = 0 AND (?1 IS NULL OR tenant_id = ?1) ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(DefinitionRecord {
                id: row.get(0)?,
                tenant_id: row.get(1)?,
                name: row.get(2)?,
                definition: row.get(3)?,
                created_at: row.get::<_, Time>(4)?.0,
                updated_at: row.get::<_, Time>(5)?.0,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn definition(&self, id: &str) -> Result<DefinitionRecord> {
        self.definitions(None)?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| StoreError::NotFound { what: "campaign definition", id: id.to_string() })
    }

    /// How many occurrences of the definition exist (opened, missed or cancelled).
    pub fn occurrences_created(&self, definition_id: &str) -> Result<u32> {
        let next: i64 = self.conn.query_row(
            "SELECT COALESCE(MAX(occurrence) + 1, 0) FROM campaign WHERE definition_id = ?1",
            [definition_id],
            |row| row.get(0),
        )?;
        Ok(u32::try_from(next).unwrap_or(u32::MAX))
    }

    pub fn campaigns(&self, definition_id: Option<&str>) -> Result<Vec<CampaignRecord>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaign WHERE ?1 IS NULL OR definition_id = ?1
             ORDER BY period_start DESC, id"
        ))?;
        let rows = stmt.query_map([definition_id], campaign_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn campaign(&self, id: &str) -> Result<CampaignRecord> {
        campaign_in(&self.conn, id)
    }

    /// Records an occurrence whose window passed with nobody to open it.
    pub fn record_missed(
        &mut self,
        campaign: &CampaignRecord,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        insert_campaign(&tx, campaign, CampaignState::Missed)?;
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "campaign.missed",
                subject: &format!("campaign/{}", campaign.id),
                payload: serde_json::json!({
                    "definition": campaign.definition_id,
                    "occurrence": campaign.occurrence,
                    "periodStart": format_time(campaign.period_start),
                    "periodEnd": format_time(campaign.period_end),
                    "reason": campaign.state_reason,
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Creates the campaign already open, with its sealed snapshot, items and reviewers, in one
    /// transaction: either all of it exists afterwards or none of it.
    pub fn open_campaign(
        &mut self,
        campaign: &CampaignRecord,
        snapshot: &NewSnapshot,
        items: &[NewItem],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        insert_campaign(&tx, campaign, CampaignState::Open)?;
        tx.execute(
            "UPDATE campaign SET opened_at = ?2 WHERE id = ?1",
            params![campaign.id, format_time(now)],
        )?;
        tx.execute(
            "INSERT INTO snapshot (campaign_id, taken_at, actor, requests, raw_sha256, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                campaign.id,
                format_time(now),
                actor,
                snapshot.requests,
                snapshot.raw_sha256,
                snapshot.record
            ],
        )?;
        insert_pages(&tx, &campaign.id, &snapshot.pages)?;
        insert_items(&tx, &campaign.id, items)?;
        let rerouted =
            items.iter().filter(|i| i.reviewers.iter().any(|r| r.reroute_reason.is_some())).count();
        if let Some(accepted) = &snapshot.gap_accepted {
            audit::append(
                &tx,
                &NewAuditEvent {
                    at: now,
                    actor,
                    kind: "campaign.gapAccepted",
                    subject: &format!("campaign/{}", campaign.id),
                    payload: serde_json::json!({
                        "gaps": accepted.gaps,
                        "reason": accepted.reason,
                        "snapshotSha256": snapshot.raw_sha256,
                    }),
                },
            )?;
        }
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "campaign.opened",
                subject: &format!("campaign/{}", campaign.id),
                payload: serde_json::json!({
                    "definition": campaign.definition_id,
                    "occurrence": campaign.occurrence,
                    "periodStart": format_time(campaign.period_start),
                    "periodEnd": format_time(campaign.period_end),
                    "items": items.len(),
                    "rerouted": rerouted,
                    "unrouted": items.iter().filter(|i| i.reviewers.is_empty()).count(),
                    "snapshotSha256": snapshot.raw_sha256,
                    "requests": snapshot.requests,
                    // What the campaign was opened with, so `verify` can tell an edited item or
                    // definition from the one sealed here.
                    "itemsSha256": sealed_items_sha256(items.iter().enumerate().map(|(index, i)| SealedItem::of_new(index as u32 + 1, i))),
                    "definitionSha256": definition_sha256(&campaign.definition),
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn snapshot(&self, campaign_id: &str) -> Result<SnapshotRecord> {
        self
            .conn
            .query_row(
                "SELECT taken_at, actor, requests, raw_sha256, record FROM snapshot WHERE campaign_id = ?1",
                [campaign_id],
                |row| {
                    Ok(SnapshotRecord {
                        taken_at: row.get::<_, Time>(0)?.0,
                        actor: row.get(1)?,
                        requests: row.get(2)?,
                        raw_sha256: row.get(3)?,
                        record: row.get(4)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "snapshot", id: campaign_id.to_string() })
    }

    /// How many raw pages the snapshot sealed.
    pub fn snapshot_page_count(&self, campaign_id: &str) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM snapshot_page WHERE campaign_id = ?1",
            [campaign_id],
            |row| row.get(0),
        )?)
    }

    /// The sealed raw pages, in request order.
    pub fn snapshot_pages(&self, campaign_id: &str) -> Result<Vec<RawPageRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT method, url, request_body, body FROM snapshot_page WHERE campaign_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([campaign_id], |row| {
            Ok(RawPageRecord {
                method: row.get(0)?,
                url: row.get(1)?,
                request_body: row.get(2)?,
                body: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The sealed raw pages one at a time, in request order, for a reader that streams them
    /// on (a large campaign's pages are tens of megabytes): `each` sees every page, then it is
    /// dropped.
    pub fn each_snapshot_page(
        &self,
        campaign_id: &str,
        mut each: impl FnMut(RawPageRecord),
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT method, url, request_body, body FROM snapshot_page WHERE campaign_id = ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([campaign_id])?;
        while let Some(row) = rows.next()? {
            each(RawPageRecord {
                method: row.get(0)?,
                url: row.get(1)?,
                request_body: row.get(2)?,
                body: row.get(3)?,
            });
        }
        Ok(())
    }

    /// A state change that needs no other write (cancel, complete).
    pub fn set_campaign_state(
        &mut self,
        id: &str,
        to: CampaignState,
        reason: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let before = change_state(&tx, id, to, reason, now)?;
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "campaign.state",
                subject: &format!("campaign/{id}"),
                payload: serde_json::json!({ "from": before.state.as_str(), "to": to.as_str(), "reason": reason }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// A snapshot's raw pages, in the order they were read.
fn insert_pages(tx: &Connection, campaign_id: &str, pages: &[RawPageRecord]) -> Result<()> {
    let mut page = tx.prepare_cached(
        "INSERT INTO snapshot_page (campaign_id, seq, method, url, request_body, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (seq, p) in pages.iter().enumerate() {
        page.execute(params![campaign_id, seq as i64, p.method, p.url, p.request_body, p.body])?;
    }
    Ok(())
}

/// A new campaign's items, numbered from 1 in the order given, with their reviewers.
fn insert_items(tx: &Connection, campaign_id: &str, items: &[NewItem]) -> Result<()> {
    let mut item = tx.prepare_cached(
        "INSERT INTO item (campaign_id, id, surface, kind, source_id, role_id, role_name, scope,
           principal_id, principal_kind, principal_name, principal_upn, user_type,
           account_enabled, membership, start_at, end_at, last_activation, recommendation,
           recommendation_code, recommendation_reason, search_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
           ?18, ?19, ?20, ?21, ?22)",
    )?;
    let mut reviewer = tx.prepare_cached(
        "INSERT OR IGNORE INTO item_reviewer (campaign_id, item_id, reviewer_id, reviewer_upn,
           reviewer_name, reroute_reason, conflict) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (index, new) in items.iter().enumerate() {
        let id = index as i64 + 1;
        item.execute(params![
            campaign_id,
            id,
            Named(new.surface),
            Named(new.kind),
            new.source_id,
            new.role_id,
            new.role_name,
            new.scope,
            new.principal_id,
            new.principal_kind,
            new.principal_name,
            new.principal_upn,
            new.user_type,
            new.account_enabled,
            Named(new.membership),
            new.start_at.map(format_time),
            new.end_at.map(format_time),
            new.last_activation.map(format_time),
            new.recommendation,
            new.recommendation_code,
            new.recommendation_reason,
            search_text(new)
        ])?;
        for r in &new.reviewers {
            reviewer.execute(params![
                campaign_id,
                id,
                r.id,
                r.upn,
                r.name,
                r.reroute_reason,
                r.conflict
            ])?;
        }
    }
    Ok(())
}

fn insert_campaign(
    tx: &Transaction<'_>,
    campaign: &CampaignRecord,
    state: CampaignState,
) -> Result<()> {
    let exists: Option<String> = tx
        .query_row(
            "SELECT id FROM campaign WHERE id = ?1 OR (definition_id = ?2 AND occurrence = ?3)",
            params![campaign.id, campaign.definition_id, campaign.occurrence],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(id) = exists {
        return Err(StoreError::Conflict(format!(
            "campaign {id} already exists for this occurrence"
        )));
    }
    tx.execute(
        "INSERT INTO campaign (id, definition_id, occurrence, name, state, state_reason, period_start,
           period_end, definition) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            campaign.id,
            campaign.definition_id,
            campaign.occurrence,
            campaign.name,
            state.as_str(),
            campaign.state_reason,
            format_time(campaign.period_start),
            format_time(campaign.period_end),
            campaign.definition
        ],
    )?;
    Ok(())
}

impl Store {
    /// A governance setting's JSON value.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |row| row.get(0))
            .optional()?)
    }

    /// Every governance setting, by key.
    pub fn settings(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare("SELECT key, value FROM setting ORDER BY key")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_setting(
        &mut self,
        key: &str,
        value: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let before: Option<String> = tx
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |row| row.get(0))
            .optional()?;
        tx.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "setting.changed",
                subject: &format!("setting/{key}"),
                payload: serde_json::json!({ "before": before, "after": value }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}
