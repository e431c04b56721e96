//! Review items and decisions: the filtered, paged worklist, recording decisions (one or ten
//! thousand in one transaction), standing decisions for the close, and the close itself.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use recert_domain::campaign::CampaignState;
use recert_domain::identity::Authentication;
use recert_domain::review::{DecisionSource, Outcome, Standing, Verdict};
use recert_domain::{AssignmentKind, Membership, Surface};
use rusqlite::{OptionalExtension, params, params_from_iter};

use crate::audit::{self, NewAuditEvent};
use crate::campaigns::{campaign_in, change_state};
use crate::stored::{Named, Time, optional, time};
use crate::{Result, Store, StoreError, format_time};

/// Which items a worklist shows. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorklistFilter {
    /// Only items this reviewer (object id) is assigned.
    pub reviewer_id: Option<String>,
    pub role_id: Option<String>,
    /// A verdict's stored name (`approve`, `deny`, `dontKnow`, `convertToEligible`,
    /// `approveUntil`), or `undecided`.
    pub decision: Option<String>,
    /// `approve` or `deny`.
    pub recommendation: Option<String>,
    /// `eligible` or `active`.
    pub kind: Option<String>,
    /// `direct` or `group`.
    pub membership: Option<String>,
    /// Only items without any reviewer.
    pub unrouted: bool,
    /// Words matched against principal name, UPN and role name.
    pub search: Option<String>,
    /// One person's items together (by name, then role) instead of the list's order by role.
    pub by_person: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewerOfItem {
    pub id: String,
    pub upn: String,
    pub name: String,
    pub reroute_reason: Option<String>,
    pub conflict: Option<String>,
    /// The stage of the review they review the item in.
    pub stage: u32,
}

/// A review item as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRecord {
    pub id: u32,
    pub surface: Surface,
    pub kind: AssignmentKind,
    pub source_id: String,
    pub role_id: String,
    pub role_name: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_kind: String,
    pub principal_name: String,
    pub principal_upn: Option<String>,
    pub user_type: Option<String>,
    pub account_enabled: Option<bool>,
    pub membership: Membership,
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
    pub last_activation: Option<DateTime<Utc>>,
    pub recommendation: Option<String>,
    pub recommendation_code: Option<String>,
    pub recommendation_reason: Option<String>,
    /// The standing verdict, with the end date of "approve until".
    pub verdict: Option<Verdict>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by_upn: Option<String>,
    pub outcome: Option<Outcome>,
    pub outcome_code: Option<String>,
    pub outcome_reason: Option<String>,
    /// The end date (YYYY-MM-DD) a `keepUntil` outcome sets.
    pub outcome_until: Option<String>,
    /// The last stage of the review that took the item (1 for a one-stage review).
    pub stage: u32,
    pub reviewers: Vec<ReviewerOfItem>,
}

/// A decision about to be recorded. `reviewer_id` is whom it counts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDecision {
    pub item_id: u32,
    pub reviewer_id: String,
    pub verdict: Verdict,
    pub justification: String,
    /// The stage of the review it is made in.
    pub stage: u32,
}

/// Who decided and how, shared by every decision of one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionContext<'a> {
    pub decided_by_id: &'a str,
    pub decided_by_upn: &'a str,
    pub source: DecisionSource,
    pub at: DateTime<Utc>,
    /// How the decider was identified: signed in, or only asserted.
    pub authentication: &'a Authentication,
    /// For decisions synced from Entra Access Reviews: where each came from.
    pub entra: Option<crate::entra::EntraOrigin<'a>>,
}

/// A decision as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionRecord {
    pub id: i64,
    pub item_id: u32,
    pub reviewer_id: String,
    /// As [`Verdict::encode`] writes it: the end date of "approve until" is part of it.
    pub verdict: String,
    pub justification: String,
    pub decided_by_id: String,
    pub decided_by_upn: String,
    pub decided_at: DateTime<Utc>,
    pub source: DecisionSource,
    pub batch: Option<i64>,
    /// The stage of the review it was made in (1 for a one-stage review).
    pub stage: u32,
    pub authentication: Authentication,
}

/// Per campaign: items, decisions so far, outcomes after close, and items without a reviewer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItemCounts {
    pub items: u32,
    pub decided: u32,
    pub approved: u32,
    pub denied: u32,
    pub keep: u32,
    pub remove: u32,
    pub exception: u32,
    pub convert: u32,
    pub keep_until: u32,
    pub unrouted: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewerProgress {
    pub id: String,
    pub upn: String,
    pub name: String,
    pub assigned: u32,
    pub decided: u32,
}

/// An item's outcome at close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemOutcome {
    pub item_id: u32,
    pub outcome: Outcome,
    pub code: String,
    pub reason: String,
    /// The end date (YYYY-MM-DD) of a `keepUntil` outcome.
    pub until: Option<String>,
}

const ITEM_COLUMNS: &str = "i.id, i.surface, i.kind, i.source_id, i.role_id, i.role_name, i.scope, \
     i.principal_id, i.principal_kind, i.principal_name, i.principal_upn, i.user_type, \
     i.account_enabled, i.membership, i.start_at, i.end_at, i.last_activation, i.recommendation, \
     i.recommendation_code, i.recommendation_reason, \
     CASE WHEN i.keep_until IS NULL THEN i.verdict ELSE i.verdict || ':' || i.keep_until END, \
     i.decided_at, i.decided_by_upn, \
     i.outcome, i.outcome_code, i.outcome_reason, i.outcome_until, i.stage";

fn item_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRecord> {
    let record = ItemRecord {
        id: row.get(0)?,
        surface: row.get::<_, Named<Surface>>(1)?.0,
        kind: row.get::<_, Named<AssignmentKind>>(2)?.0,
        source_id: row.get(3)?,
        role_id: row.get(4)?,
        role_name: row.get(5)?,
        scope: row.get(6)?,
        principal_id: row.get(7)?,
        principal_kind: row.get(8)?,
        principal_name: row.get(9)?,
        principal_upn: row.get(10)?,
        user_type: row.get(11)?,
        account_enabled: row.get(12)?,
        membership: row.get::<_, Named<Membership>>(13)?.0,
        start_at: time(row.get(14)?),
        end_at: time(row.get(15)?),
        last_activation: time(row.get(16)?),
        recommendation: row.get(17)?,
        recommendation_code: row.get(18)?,
        recommendation_reason: row.get(19)?,
        verdict: optional(row.get(20)?),
        decided_at: time(row.get(21)?),
        decided_by_upn: row.get(22)?,
        outcome: optional(row.get(23)?),
        outcome_code: row.get(24)?,
        outcome_reason: row.get(25)?,
        outcome_until: row.get(26)?,
        stage: row.get(27)?,
        reviewers: Vec::new(),
    };
    Ok(record)
}

/// Below this share of a campaign's items (one in 16) a search is answered from the trigram index:
/// reading the few matching items by key beats scanning every item. Above it the scan in the
/// worklist's own order is cheaper (a page stops at its end), and the index would only add work.
const SELECTIVE: u32 = 16;

/// How a search's words are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Each word as a substring of the item's text, item after item in the worklist's order.
    Scan,
    /// The items the trigram index names for the words of three characters or more.
    Indexed,
}

/// A search's words, lowercased: matching is case-insensitive in every script, not only ASCII,
/// because the text is lowercased the same way when stored.
fn search_words(filter: &WorklistFilter) -> Vec<String> {
    filter.search.iter().flat_map(|s| s.split_whitespace()).map(str::to_lowercase).collect()
}

/// The words of three characters or more as one FTS5 query, or `None` without any. Each is a
/// quoted string there (a `"` doubled), so FTS5 operators, `*`, `:` or parentheses typed by a user
/// are only characters, and a quoted trigram string matches exactly where the text holds it.
fn match_query(words: &[String]) -> Option<String> {
    let long: Vec<String> = words
        .iter()
        .filter(|w| w.chars().count() >= 3)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!long.is_empty()).then(|| long.join(" AND "))
}

/// The rowids of one campaign's items in the index: `key << 32 | id`.
const CAMPAIGN_ROWIDS: &str = "s.rowid >= (SELECT key << 32 FROM item_search_campaign WHERE campaign_id = ?1) \
     AND s.rowid < (SELECT (key + 1) << 32 FROM item_search_campaign WHERE campaign_id = ?1)";

/// Builds the FROM and WHERE clauses and their parameters for a filter.
fn filter_sql(
    campaign_id: &str,
    filter: &WorklistFilter,
    plan: Plan,
) -> (String, String, Vec<String>) {
    let mut clauses = vec!["i.campaign_id = ?1".to_string()];
    let mut values = vec![campaign_id.to_string()];
    fn bind(clauses: &mut Vec<String>, values: &mut Vec<String>, clause: &str, value: String) {
        values.push(value);
        // `$` marks where this value goes; `?1` (the campaign) may appear as it is.
        clauses.push(clause.replace('$', &format!("?{}", values.len())));
    }
    if let Some(reviewer) = &filter.reviewer_id {
        bind(
            &mut clauses,
            &mut values,
            // A set built once from the reviewer index, not a lookup per item.
            "i.id IN (SELECT r.item_id FROM item_reviewer r WHERE r.campaign_id = ?1 AND r.reviewer_id = $)",
            reviewer.clone(),
        );
    }
    if let Some(role) = &filter.role_id {
        bind(&mut clauses, &mut values, "i.role_id = $", role.clone());
    }
    match filter.decision.as_deref() {
        Some("undecided") => clauses.push("i.verdict IS NULL".into()),
        Some(verdict) => bind(&mut clauses, &mut values, "i.verdict = $", verdict.to_string()),
        None => {}
    }
    if let Some(recommendation) = &filter.recommendation {
        bind(&mut clauses, &mut values, "i.recommendation = $", recommendation.clone());
    }
    if let Some(kind) = &filter.kind {
        bind(&mut clauses, &mut values, "i.kind = $", kind.clone());
    }
    if let Some(membership) = &filter.membership {
        bind(&mut clauses, &mut values, "i.membership = $", membership.clone());
    }
    if filter.unrouted {
        clauses.push(
            "NOT EXISTS (SELECT 1 FROM item_reviewer r WHERE r.campaign_id = i.campaign_id AND r.item_id = i.id)"
                .into(),
        );
    }
    let words = search_words(filter);
    let query = match_query(&words).filter(|_| plan == Plan::Indexed);
    let from = match query {
        Some(query) => {
            bind(&mut clauses, &mut values, "s.item_search MATCH $", query);
            clauses.push(CAMPAIGN_ROWIDS.into());
            // The index's few items first, each read by its key (CROSS JOIN keeps that order).
            "item_search s CROSS JOIN item i ON i.campaign_id = ?1 AND i.id = (s.rowid & 4294967295)"
        }
        None => "item i",
    };
    for word in words {
        // The words the index did not answer (all of them when scanning, else those under three
        // characters, which have no trigram): a plain substring test on the text the worklist's
        // order index covers, no pattern, so `%` and `_` are only characters.
        if from == "item i" || word.chars().count() < 3 {
            bind(&mut clauses, &mut values, "instr(i.search_text, $) > 0", word);
        }
    }
    (from.to_string(), clauses.join(" AND "), values)
}

impl Store {
    /// One page of the worklist and the number of items matching the filter.
    pub fn worklist(
        &self,
        campaign_id: &str,
        filter: &WorklistFilter,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<ItemRecord>, u32)> {
        let plan = self.search_plan(campaign_id, filter)?;
        self.worklist_by(campaign_id, filter, offset, limit, plan)
    }

    /// Whether the trigram index answers this search: only when few items match it, which the
    /// index tells by counting at most the share that makes it worth it.
    fn search_plan(&self, campaign_id: &str, filter: &WorklistFilter) -> Result<Plan> {
        let Some(query) = match_query(&search_words(filter)) else { return Ok(Plan::Scan) };
        // Item ids run from 1 to the campaign's size.
        let size: u32 = self.conn.query_row(
            "SELECT coalesce(max(id), 0) FROM item WHERE campaign_id = ?1",
            [campaign_id],
            |row| row.get(0),
        )?;
        let enough = size / SELECTIVE;
        let hits: u32 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM item_search s WHERE s.item_search MATCH ?2 \
             AND {CAMPAIGN_ROWIDS} LIMIT ?3)"
            ))?
            .query_row(params![campaign_id, query, enough + 1], |row| row.get(0))?;
        Ok(if hits <= enough { Plan::Indexed } else { Plan::Scan })
    }

    fn worklist_by(
        &self,
        campaign_id: &str,
        filter: &WorklistFilter,
        offset: u32,
        limit: u32,
        plan: Plan,
    ) -> Result<(Vec<ItemRecord>, u32)> {
        let (from, clause, values) = filter_sql(campaign_id, filter, plan);
        let total: u32 = self
            .conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM {from} WHERE {clause}"))?
            .query_row(params_from_iter(values.iter()), |row| row.get(0))?;
        // By person: the principal's id keeps two people of the same name apart. No index has
        // this order, so a page sorts the matching items (keeping only the page's rows).
        let order = if filter.by_person {
            "i.principal_name, i.principal_id, i.role_name, i.id"
        } else {
            "i.role_name, i.principal_name, i.id"
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM {from} WHERE {clause} ORDER BY {order}
             LIMIT {limit} OFFSET {offset}"
        ))?;
        let mut items = stmt
            .query_map(params_from_iter(values.iter()), item_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        self.attach_reviewers(campaign_id, &mut items)?;
        Ok((items, total))
    }

    /// How many items match the filter, per role name and recommendation (`None`: none made),
    /// in role name order: what accepting the recommendations would decide.
    pub fn recommendation_counts(
        &self,
        campaign_id: &str,
        filter: &WorklistFilter,
    ) -> Result<Vec<(String, Option<String>, u32)>> {
        let plan = self.search_plan(campaign_id, filter)?;
        let (from, clause, values) = filter_sql(campaign_id, filter, plan);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT i.role_name, i.recommendation, COUNT(*) FROM {from} WHERE {clause}
             GROUP BY i.role_name, i.recommendation ORDER BY i.role_name, i.recommendation"
        ))?;
        let rows = stmt.query_map(params_from_iter(values.iter()), |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Who else holds the item's role in the campaign (at any scope): how many other holders, and
    /// the names of the first `limit` of them in name order.
    pub fn other_holders(
        &self,
        campaign_id: &str,
        item_id: u32,
        limit: u32,
    ) -> Result<(u32, Vec<String>)> {
        let (role_id, principal_id): (String, String) = self.conn.query_row(
            "SELECT role_id, principal_id FROM item WHERE campaign_id = ?1 AND id = ?2",
            params![campaign_id, item_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT principal_name, principal_id FROM item
             WHERE campaign_id = ?1 AND role_id = ?2 AND principal_id <> ?3
             ORDER BY principal_name, principal_id",
        )?;
        let names: Vec<String> = stmt
            .query_map(params![campaign_id, role_id, principal_id], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let count = names.len() as u32;
        Ok((count, names.into_iter().take(limit as usize).collect()))
    }

    /// The holder's last sign-in as the tenant's latest pull read it.
    pub fn last_sign_in(
        &self,
        tenant_id: &str,
        principal_id: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        let at: Option<Option<Time>> = self
            .conn
            .query_row(
                "SELECT last_sign_in FROM principal WHERE tenant_id = ?1 AND id = ?2",
                params![tenant_id, principal_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(time(at.flatten()))
    }

    /// Items by id, with their reviewers, in the order asked; unknown ids are an error.
    pub fn items(&self, campaign_id: &str, ids: &[u32]) -> Result<Vec<ItemRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM item i WHERE i.campaign_id = ?1 AND i.id = ?2"
        ))?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            let item =
                stmt.query_row(params![campaign_id, id], item_from_row).map_err(
                    |err| match err {
                        rusqlite::Error::QueryReturnedNoRows => {
                            StoreError::NotFound { what: "item", id: format!("{campaign_id}#{id}") }
                        }
                        other => other.into(),
                    },
                )?;
            items.push(item);
        }
        self.attach_reviewers(campaign_id, &mut items)?;
        Ok(items)
    }

    /// Every item of the campaign, in id order (for the close and the evidence).
    pub fn all_items(&self, campaign_id: &str) -> Result<Vec<ItemRecord>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM item i WHERE i.campaign_id = ?1 ORDER BY i.id"
        ))?;
        let mut items =
            stmt.query_map([campaign_id], item_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut reviewers: HashMap<u32, Vec<ReviewerOfItem>> = HashMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT item_id, reviewer_id, reviewer_upn, reviewer_name, reroute_reason, conflict, stage
             FROM item_reviewer WHERE campaign_id = ?1 ORDER BY item_id, stage, reviewer_upn",
        )?;
        for row in stmt.query_map([campaign_id], |row| {
            Ok((
                row.get::<_, u32>(0)?,
                ReviewerOfItem {
                    id: row.get(1)?,
                    upn: row.get(2)?,
                    name: row.get(3)?,
                    reroute_reason: row.get(4)?,
                    conflict: row.get(5)?,
                    stage: row.get(6)?,
                },
            ))
        })? {
            let (item, reviewer) = row?;
            reviewers.entry(item).or_default().push(reviewer);
        }
        for item in &mut items {
            item.reviewers = reviewers.remove(&item.id).unwrap_or_default();
        }
        Ok(items)
    }

    fn attach_reviewers(&self, campaign_id: &str, items: &mut [ItemRecord]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT reviewer_id, reviewer_upn, reviewer_name, reroute_reason, conflict, stage
             FROM item_reviewer WHERE campaign_id = ?1 AND item_id = ?2 ORDER BY stage, reviewer_upn",
        )?;
        for item in items {
            item.reviewers = stmt
                .query_map(params![campaign_id, item.id], |row| {
                    Ok(ReviewerOfItem {
                        id: row.get(0)?,
                        upn: row.get(1)?,
                        name: row.get(2)?,
                        reroute_reason: row.get(3)?,
                        conflict: row.get(4)?,
                        stage: row.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(())
    }

    /// Records decisions in one transaction with one audit event; the campaign must be open.
    /// Returns the batch number (the first decision's row id) for bulk operations.
    pub fn record_decisions(
        &mut self,
        campaign_id: &str,
        decisions: &[NewDecision],
        context: &DecisionContext<'_>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let campaign = campaign_in(&tx, campaign_id)?;
        if campaign.state != CampaignState::Open {
            return Err(StoreError::Conflict(format!(
                "campaign {campaign_id} is {}: decisions can only be made while it is open",
                campaign.state
            )));
        }
        let at = format_time(context.at);
        let mut batch = None;
        {
            let mut update = tx.prepare_cached(
                "UPDATE item SET verdict = ?3, decided_at = ?4, decided_by_upn = ?5, keep_until = ?6
                 WHERE campaign_id = ?1 AND id = ?2",
            )?;
            for (index, decision) in decisions.iter().enumerate() {
                let entry = LogEntry {
                    item_id: decision.item_id,
                    reviewer_id: &decision.reviewer_id,
                    verdict: decision.verdict.as_str(),
                    justification: &decision.justification,
                    keep_until: decision.verdict.until().map(|d| d.to_string()),
                    stage: decision.stage,
                };
                append_log(&tx, campaign_id, &entry, context, batch)?;
                let row = tx.last_insert_rowid();
                if let Some(origin) = &context.entra {
                    crate::entra::link_decision(&tx, campaign_id, row, origin, index)?;
                }
                if batch.is_none() && decisions.len() > 1 {
                    let id = row;
                    tx.execute("UPDATE decision SET batch = ?1 WHERE id = ?1", [id])?;
                    batch = Some(id);
                }
                let changed = update.execute(params![
                    campaign_id,
                    decision.item_id,
                    decision.verdict.as_str(),
                    at,
                    context.decided_by_upn,
                    decision.verdict.until().map(|d| d.to_string())
                ])?;
                if changed == 0 {
                    return Err(StoreError::NotFound {
                        what: "item",
                        id: format!("{campaign_id}#{}", decision.item_id),
                    });
                }
            }
        }
        let mut payload = decisions_payload(decisions, context, batch);
        // Only a synced decision carries where it came from in Entra; others keep their shape.
        let entra = context.entra.as_ref().map(
            |o| serde_json::json!({"decisions": o.decision_ids, "pagesSha256": o.pages_sha256}),
        );
        if let (Some(entra), Some(map)) = (entra, payload.as_object_mut()) {
            map.insert("entra".into(), entra);
        }
        audit::append(
            &tx,
            &NewAuditEvent {
                at: context.at,
                actor: context.decided_by_upn,
                kind: if decisions.len() == 1 { "decision.recorded" } else { "decision.bulk" },
                subject: &format!("campaign/{campaign_id}"),
                payload,
            },
        )?;
        tx.commit()?;
        Ok(batch.unwrap_or(0))
    }

    /// Every decision of the campaign in the order made.
    pub fn decisions(&self, campaign_id: &str) -> Result<Vec<DecisionRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, item_id, reviewer_id,
                    CASE WHEN keep_until IS NULL THEN verdict ELSE verdict || ':' || keep_until END,
                    justification, decided_by_id, decided_by_upn, decided_at, source, batch,
                    auth_method, auth_tenant, auth_object, auth_at, auth_by, stage
             FROM decision WHERE campaign_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([campaign_id], |row| {
            Ok((
                DecisionRecord {
                    id: row.get(0)?,
                    item_id: row.get(1)?,
                    reviewer_id: row.get(2)?,
                    verdict: row.get(3)?,
                    justification: row.get(4)?,
                    decided_by_id: row.get(5)?,
                    decided_by_upn: row.get(6)?,
                    decided_at: row.get::<_, Time>(7)?.0,
                    source: row.get::<_, Named<DecisionSource>>(8)?.0,
                    batch: row.get(9)?,
                    stage: row.get(15)?,
                    authentication: Authentication::Unrecorded,
                },
                (
                    row.get::<_, String>(10)?,
                    row.get::<_, Option<String>>(11)?,
                    row.get::<_, Option<String>>(12)?,
                    time(row.get(13)?),
                    row.get::<_, Option<String>>(14)?,
                ),
            ))
        })?;
        rows.map(|row| {
            let (mut record, (method, tenant, object, auth_at, by)) = row?;
            record.authentication = Authentication::from_parts(
                &method,
                tenant.as_deref(),
                object.as_deref(),
                auth_at,
                by.as_deref(),
            )
            .ok_or(StoreError::Corrupt {
                table: "decision",
                column: "auth_method",
                value: method,
            })?;
            Ok(record)
        })
        .collect()
    }

    /// Per item, each reviewer's standing verdict with the time of their first decision.
    pub fn standing_decisions(&self, campaign_id: &str) -> Result<HashMap<u32, Vec<Standing>>> {
        let mut out: HashMap<u32, Vec<Standing>> = HashMap::new();
        let log = self.decisions(campaign_id)?;
        for decision in withdraw::standing_rows(&log) {
            let verdict = Verdict::parse(&decision.verdict).ok_or_else(|| StoreError::Corrupt {
                table: "decision",
                column: "verdict",
                value: decision.verdict.clone(),
            })?;
            let standing = out.entry(decision.item_id).or_default();
            match standing.iter_mut().find(|s| s.reviewer_id == decision.reviewer_id) {
                Some(existing) => existing.verdict = verdict,
                None => standing.push(Standing {
                    reviewer_id: decision.reviewer_id.clone(),
                    verdict,
                    first_at: decision.decided_at,
                }),
            }
        }
        Ok(out)
    }

    /// Writes every item's outcome and closes the campaign, in one transaction.
    pub fn close_campaign(
        &mut self,
        campaign_id: &str,
        outcomes: &[ItemOutcome],
        reason: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let before = change_state(&tx, campaign_id, CampaignState::Closed, reason, now)?;
        {
            let mut update = tx.prepare_cached(
                "UPDATE item SET outcome = ?3, outcome_code = ?4, outcome_reason = ?5,
                   outcome_until = ?6
                 WHERE campaign_id = ?1 AND id = ?2",
            )?;
            for outcome in outcomes {
                update.execute(params![
                    campaign_id,
                    outcome.item_id,
                    Named(outcome.outcome),
                    outcome.code,
                    outcome.reason,
                    outcome.until
                ])?;
            }
        }
        let count = |o: Outcome| outcomes.iter().filter(|x| x.outcome == o).count();
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "campaign.closed",
                subject: &format!("campaign/{campaign_id}"),
                payload: serde_json::json!({
                    "from": before.state.as_str(),
                    "early": now < before.period_end,
                    "reason": reason,
                    "keep": count(Outcome::Keep),
                    "remove": count(Outcome::Remove),
                    "exception": count(Outcome::Exception),
                    "convert": count(Outcome::Convert),
                    "keepUntil": count(Outcome::KeepUntil),
                    "noResponse": outcomes.iter().filter(|o| o.code == "noResponse" || o.code == "followedRecommendation").count(),
                    "outcomes": outcome_groups(outcomes),
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A reviewer's object id from the campaign's reviewer list, by UPN (any case).
    pub fn reviewer_id(&self, campaign_id: &str, upn: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT reviewer_id FROM item_reviewer WHERE campaign_id = ?1 AND reviewer_upn = ?2 COLLATE NOCASE LIMIT 1",
                params![campaign_id, upn],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Counts for a campaign's dashboard row in one pass over its items.
    pub fn counts(&self, campaign_id: &str) -> Result<ItemCounts> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*),
                    COUNT(verdict),
                    SUM(verdict = 'approve'),
                    SUM(verdict = 'deny'),
                    SUM(outcome = 'keep'),
                    SUM(outcome = 'remove'),
                    SUM(outcome = 'exception'),
                    SUM(outcome = 'convert'),
                    SUM(outcome = 'keepUntil'),
                    SUM(NOT EXISTS (SELECT 1 FROM item_reviewer r WHERE r.campaign_id = i.campaign_id AND r.item_id = i.id))
             FROM item i WHERE campaign_id = ?1",
            [campaign_id],
            |row| {
                let n = |i: usize| row.get::<_, Option<u32>>(i).map(|v| v.unwrap_or(0));
                Ok(ItemCounts {
                    items: n(0)?,
                    decided: n(1)?,
                    approved: n(2)?,
                    denied: n(3)?,
                    keep: n(4)?,
                    remove: n(5)?,
                    exception: n(6)?,
                    convert: n(7)?,
                    keep_until: n(8)?,
                    unrouted: n(9)?,
                })
            },
        )?)
    }

    /// The items whose outcome at close was an exception (access through a group, a principal
    /// that cannot be removed here), by id.
    pub fn exception_items(&self, campaign_id: &str) -> Result<Vec<u32>> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM item WHERE campaign_id = ?1 AND outcome = 'exception' ORDER BY id",
        )?;
        let rows = stmt.query_map([campaign_id], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<u32>>>()?)
    }

    /// Decision progress of a campaign: (items, decided).
    pub fn progress(&self, campaign_id: &str) -> Result<(u32, u32)> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COUNT(verdict) FROM item WHERE campaign_id = ?1",
            [campaign_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?)
    }

    /// Per reviewer: how many items they were given and how many they (or an admin acting for
    /// them) decided.
    pub fn reviewer_progress(&self, campaign_id: &str) -> Result<Vec<ReviewerProgress>> {
        let mut stmt = self.conn.prepare(
            // An item counts once for a reviewer routed to it in two stages.
            "SELECT r.reviewer_id, r.reviewer_upn, r.reviewer_name, COUNT(DISTINCT r.item_id),
                    COUNT(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM decision d
                                WHERE d.campaign_id = r.campaign_id AND d.item_id = r.item_id
                                AND d.reviewer_id = r.reviewer_id) THEN r.item_id END)
             FROM item_reviewer r WHERE r.campaign_id = ?1
             GROUP BY r.reviewer_id ORDER BY r.reviewer_upn",
        )?;
        let rows = stmt.query_map([campaign_id], |row| {
            Ok(ReviewerProgress {
                id: row.get(0)?,
                upn: row.get(1)?,
                name: row.get(2)?,
                assigned: row.get(3)?,
                decided: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The outcomes written at close, grouped by outcome, code and reason (most items share them), so
/// the close event carries every item's outcome without repeating the same reason for each.
fn outcome_groups(outcomes: &[ItemOutcome]) -> Vec<serde_json::Value> {
    let mut groups: std::collections::BTreeMap<(&str, &str, &str), Vec<u32>> =
        std::collections::BTreeMap::new();
    for o in outcomes {
        groups
            .entry((o.outcome.as_str(), o.code.as_str(), o.reason.as_str()))
            .or_default()
            .push(o.item_id);
    }
    groups
        .into_iter()
        .map(|((outcome, code, reason), items)| {
            serde_json::json!({ "outcome": outcome, "code": code, "reason": reason, "items": items })
        })
        .collect()
}

mod withdraw;

pub use withdraw::{UNDECIDED, Withdrawal, standing_rows};

/// One row of the decision log as written: a decision, or a return to undecided.
struct LogEntry<'a> {
    item_id: u32,
    reviewer_id: &'a str,
    verdict: &'a str,
    justification: &'a str,
    keep_until: Option<String>,
    stage: u32,
}

/// Appends a row to the decision log, with who decided, how they were identified and the batch
/// it belongs to: the one write of decisions and returns to undecided alike.
fn append_log(
    tx: &rusqlite::Connection,
    campaign_id: &str,
    entry: &LogEntry<'_>,
    context: &DecisionContext<'_>,
    batch: Option<i64>,
) -> Result<()> {
    let auth = context.authentication;
    let entra = auth.entra();
    tx.prepare_cached(
        "INSERT INTO decision (campaign_id, item_id, reviewer_id, verdict, justification,
           decided_by_id, decided_by_upn, decided_at, source, batch, keep_until, stage,
           auth_method, auth_tenant, auth_object, auth_at, auth_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        campaign_id,
        entry.item_id,
        entry.reviewer_id,
        entry.verdict,
        entry.justification,
        context.decided_by_id,
        context.decided_by_upn,
        format_time(context.at),
        Named(context.source),
        batch,
        entry.keep_until,
        entry.stage,
        auth.method().as_str(),
        entra.map(|e| e.tenant_id.as_str()),
        entra.map(|e| e.object_id.as_str()),
        entra.map(|e| format_time(e.at)),
        auth.imported_by(),
    ])?;
    Ok(())
}

/// How the decider was identified, as the audit chain records it beside the decisions it covers.
fn authentication_json(auth: &Authentication) -> serde_json::Value {
    let entra = auth.entra();
    serde_json::json!({
        "method": auth.method().as_str(),
        "tenant": entra.map(|e| e.tenant_id.as_str()),
        "object": entra.map(|e| e.object_id.as_str()),
        "at": entra.map(|e| format_time(e.at)),
        "by": auth.imported_by(),
    })
}

/// The audit payload of recorded decisions: each with its values (so `verify` can replay the
/// table from the chain), who decided and how they were identified, and for a bulk decision
/// the counts and its batch.
fn decisions_payload(
    decisions: &[NewDecision],
    context: &DecisionContext<'_>,
    batch: Option<i64>,
) -> serde_json::Value {
    let authentication = authentication_json(context.authentication);
    // Each decision with its values, so `verify` can replay the table from the chain: the
    // counts alone would let an edited verdict or justification pass.
    let each: Vec<serde_json::Value> = decisions
        .iter()
        .map(|d| {
            serde_json::json!({
                "item": d.item_id,
                "reviewer": d.reviewer_id,
                "verdict": d.verdict.encode(),
                "justification": d.justification,
                "stage": d.stage,
            })
        })
        .collect();
    if let [one] = decisions {
        serde_json::json!({
            "item": one.item_id,
            "reviewer": one.reviewer_id,
            "verdict": one.verdict.encode(),
            "justification": one.justification,
            "decidedBy": context.decided_by_upn,
            "decidedById": context.decided_by_id,
            "source": context.source.as_str(),
            "authentication": authentication,
            "decisions": each,
        })
    } else {
        let count = |name: &str| decisions.iter().filter(|d| d.verdict.as_str() == name).count();
        serde_json::json!({
            "items": decisions.iter().map(|d| d.item_id).collect::<Vec<_>>(),
            "approve": count("approve"),
            "deny": count("deny"),
            "dontKnow": count("dontKnow"),
            "convertToEligible": count("convertToEligible"),
            "approveUntil": count("approveUntil"),
            "justifications": decisions.iter().map(|d| d.justification.as_str()).collect::<std::collections::BTreeSet<_>>(),
            "decidedBy": context.decided_by_upn,
            "decidedById": context.decided_by_id,
            "source": context.source.as_str(),
            "authentication": authentication,
            "batch": batch,
            "decisions": each,
        })
    }
}

#[cfg(test)]
mod tests;
