//! The record replayed from the audit chain: decisions, outcomes, the campaign's life, holds,
//! the remediation journal, exports and settings as the chain tells them, compared with the
//! tables. A row edited behind Recert's back (no audit event explains it) is named here, field by
//! field; `verify` reports it and an export of such data is refused.
//!
//! The chain itself is proved by `Store::verify_chain`; this module trusts the events and
//! doubts the tables.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use recert_store::Store;
use recert_store::audit::AuditEvent;
use recert_store::campaigns::{SealedItem, definition_sha256, sealed_items_sha256};
use serde_json::Value;

use crate::AppError;

mod remediation;
mod stages;

/// How many differences of one kind are spelled out before the rest are counted.
const SHOWN: usize = 20;

/// One decision as its audit event records it.
#[derive(Clone, Debug)]
pub(crate) struct ChainDecision {
    /// The event that recorded it.
    pub seq: i64,
    pub at: String,
    pub item: u32,
    /// `None` in events written before each decision carried its values.
    pub reviewer: Option<String>,
    pub verdict: Option<String>,
    pub justification: Option<String>,
    /// The stage of the review it was made in; `None` in events written before stages.
    pub stage: Option<u32>,
    pub decided_by: String,
    pub decided_by_id: Option<String>,
    pub source: String,
    /// How the decider was identified, as `method · tenant · object · at · by`; `None` in
    /// events written before decisions recorded it.
    pub authentication: Option<String>,
}

/// The campaign's fields as its events up to some point tell them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CampaignAsOf {
    pub state: Option<String>,
    pub state_reason: Option<String>,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub completed_at: Option<String>,
    /// Who closed it, whether before the scheduled end, and why.
    pub closed_by: Option<String>,
    pub closed_early: bool,
    pub close_reason: Option<String>,
}

/// One area of the record compared with the chain: what was compared and what differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Comparison {
    pub area: &'static str,
    pub compared: String,
    pub differences: Vec<String>,
}

impl Comparison {
    fn new(area: &'static str) -> Comparison {
        Comparison { area, compared: String::new(), differences: Vec::new() }
    }

    pub fn ok(&self) -> bool {
        self.differences.is_empty()
    }

    /// One line for a report: what matched, or the first differences and how many more.
    pub fn detail(&self) -> String {
        if self.ok() {
            return self.compared.clone();
        }
        let mut shown: Vec<String> = self.differences.iter().take(SHOWN).cloned().collect();
        if self.differences.len() > SHOWN {
            shown.push(format!("and {} more", self.differences.len() - SHOWN));
        }
        format!("modified outside Recert (no audit event explains it): {}", shown.join("; "))
    }
}

fn u32_of(v: &Value) -> Option<u32> {
    v.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn str_of(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The time of an event as stored (RFC 3339 with milliseconds), parsed.
fn time_of(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
}

fn show(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "nothing".into(),
    }
}

/// Every decision of the campaign as the chain records it, in order.
pub(crate) fn chain_decisions(campaign_events: &[&AuditEvent]) -> Vec<ChainDecision> {
    let mut out = Vec::new();
    for e in campaign_events {
        // A return to undecided is a row of the decision log too, with its own event.
        if !matches!(e.kind.as_str(), "decision.recorded" | "decision.bulk" | "decision.withdrawn")
        {
            continue;
        }
        let p: Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let base = |item: u32| ChainDecision {
            seq: e.seq,
            at: e.at.clone(),
            item,
            reviewer: None,
            verdict: None,
            justification: None,
            stage: None,
            decided_by: str_of(&p["decidedBy"]).unwrap_or_else(|| e.actor.clone()),
            decided_by_id: str_of(&p["decidedById"]),
            source: str_of(&p["source"]).unwrap_or_default(),
            authentication: p.get("authentication").map(authentication_line),
        };
        if let Some(each) = p["decisions"].as_array() {
            for d in each {
                let Some(item) = u32_of(&d["item"]) else { continue };
                out.push(ChainDecision {
                    reviewer: str_of(&d["reviewer"]),
                    verdict: str_of(&d["verdict"]),
                    justification: str_of(&d["justification"]),
                    stage: u32_of(&d["stage"]),
                    ..base(item)
                });
            }
        } else if let Some(item) = u32_of(&p["item"]) {
            // One decision, written before events carried a list: its values are there.
            out.push(ChainDecision {
                reviewer: str_of(&p["reviewer"]),
                verdict: str_of(&p["verdict"]),
                justification: str_of(&p["justification"]),
                ..base(item)
            });
        } else if let Some(items) = p["items"].as_array() {
            // A bulk decision written before events carried each value: only the items are known.
            out.extend(items.iter().filter_map(u32_of).map(base));
        }
    }
    out
}

/// How a decider was identified, as one comparable line, from the chain's JSON.
fn authentication_line(v: &Value) -> String {
    ["method", "tenant", "object", "at", "by"]
        .iter()
        .map(|k| v[*k].as_str().unwrap_or("-"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The same line from a stored decision.
fn stored_authentication(a: &recert_domain::identity::Authentication) -> String {
    let e = a.entra();
    // As the store writes times into the chain: milliseconds.
    let at = e.map(|e| e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    [
        Some(a.method().as_str()),
        e.map(|e| e.tenant_id.as_str()),
        e.map(|e| e.object_id.as_str()),
        at.as_deref(),
        a.imported_by(),
    ]
    .iter()
    .map(|v| v.unwrap_or("-"))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The campaign's life as its events up to `upto` (inclusive) tell it.
pub(crate) fn campaign_as_of(campaign_events: &[&AuditEvent], upto: i64) -> CampaignAsOf {
    let mut c = CampaignAsOf::default();
    for e in campaign_events.iter().filter(|e| e.seq <= upto) {
        let p: Value = serde_json::from_str(&e.payload).unwrap_or_default();
        match e.kind.as_str() {
            "campaign.opened" => {
                c.state = Some("open".into());
                c.state_reason = None;
                c.opened_at = Some(e.at.clone());
            }
            "campaign.missed" => {
                c.state = Some("missed".into());
            }
            "campaign.closed" => {
                c.state = Some("closed".into());
                c.state_reason = str_of(&p["reason"]);
                c.closed_at = Some(e.at.clone());
                c.closed_by = Some(e.actor.clone());
                c.closed_early = p["early"].as_bool().unwrap_or(false);
                c.close_reason = str_of(&p["reason"]);
            }
            "campaign.state" => {
                let to = str_of(&p["to"]);
                if to.as_deref() == Some("completed") {
                    c.completed_at = Some(e.at.clone());
                }
                if to.as_deref() == Some("open") {
                    c.opened_at = Some(e.at.clone());
                }
                c.state = to;
                c.state_reason = str_of(&p["reason"]);
            }
            _ => {}
        }
    }
    c
}

/// Each item's outcome as the close event records it: outcome, code, reason.
fn chain_outcomes(
    campaign_events: &[&AuditEvent],
) -> Option<HashMap<u32, (String, String, String)>> {
    let close = campaign_events.iter().rev().find(|e| e.kind == "campaign.closed")?;
    let p: Value = serde_json::from_str(&close.payload).unwrap_or_default();
    let groups = p["outcomes"].as_array()?;
    let mut out = HashMap::new();
    for g in groups {
        let value = (
            str_of(&g["outcome"]).unwrap_or_default(),
            str_of(&g["code"]).unwrap_or_default(),
            str_of(&g["reason"]).unwrap_or_default(),
        );
        for item in g["items"].as_array().into_iter().flatten().filter_map(u32_of) {
            out.insert(item, value.clone());
        }
    }
    Some(out)
}

fn compare_decisions(
    store: &Store,
    campaign_id: &str,
    chain: &[ChainDecision],
) -> Result<Comparison, AppError> {
    let mut c = Comparison::new("decisions");
    let table = store.decisions(campaign_id)?;
    for (n, (row, event)) in table.iter().zip(chain).enumerate() {
        let which = format!("decision {} (item {})", n + 1, row.item_id);
        let mut differ = |field: &str, table: &str, chain: &str| {
            if table != chain {
                c.differences.push(format!(
                    "{which}: the table says {field} {table:?}, the audit chain (event {}) {chain:?}",
                    event.seq
                ));
            }
        };
        differ("item", &row.item_id.to_string(), &event.item.to_string());
        if let Some(reviewer) = &event.reviewer {
            differ("reviewer", &row.reviewer_id, reviewer);
        }
        if let Some(verdict) = &event.verdict {
            differ("verdict", &row.verdict, verdict);
        }
        if let Some(justification) = &event.justification {
            differ("justification", &row.justification, justification);
        }
        if let Some(stage) = event.stage {
            differ("stage", &row.stage.to_string(), &stage.to_string());
        }
        differ("decided by", &row.decided_by_upn, &event.decided_by);
        if let Some(id) = &event.decided_by_id {
            differ("decider's id", &row.decided_by_id, id);
        }
        differ("source", row.source.as_str(), &event.source);
        if let Some(authentication) = &event.authentication {
            differ("authentication", &stored_authentication(&row.authentication), authentication);
        }
        if time_of(&event.at) != Some(row.decided_at) {
            differ("time", &crate::evidence::utc(row.decided_at), &event.at);
        }
    }
    if table.len() != chain.len() {
        c.differences.push(format!(
            "the table holds {} decisions, the audit chain records {}",
            table.len(),
            chain.len()
        ));
    }
    c.compared = format!("{} decisions match their audit events", table.len());
    Ok(c)
}

/// The decision each item shows as the chain tells it: the latest one still standing, each
/// reviewer's latest per stage standing unless it returned the item to undecided.
fn standing_in_chain(chain: &[ChainDecision]) -> HashMap<u32, &ChainDecision> {
    let mut per: HashMap<(u32, Option<&str>, u32), (usize, &ChainDecision)> = HashMap::new();
    for (n, d) in chain.iter().enumerate() {
        per.insert((d.item, d.reviewer.as_deref(), d.stage.unwrap_or(1)), (n, d));
    }
    let mut latest: HashMap<u32, (usize, &ChainDecision)> = HashMap::new();
    for (n, d) in per.into_values() {
        if d.verdict.as_deref() == Some(recert_store::worklist::UNDECIDED) {
            continue;
        }
        if latest.get(&d.item).is_none_or(|(m, _)| *m < n) {
            latest.insert(d.item, (n, d));
        }
    }
    latest.into_iter().map(|(item, (_, d))| (item, d)).collect()
}

fn compare_items(
    store: &Store,
    campaign_id: &str,
    campaign_events: &[&AuditEvent],
    chain: &[ChainDecision],
    stage_chain: &stages::ChainStages,
) -> Result<(Comparison, Comparison), AppError> {
    let mut items_cmp = Comparison::new("items");
    let mut outcomes_cmp = Comparison::new("outcomes");
    let items = store.all_items(campaign_id)?;
    let latest = standing_in_chain(chain);
    for i in &items {
        let event = latest.get(&i.id);
        let chain_verdict = event.and_then(|d| d.verdict.clone());
        let known = event.is_none_or(|d| d.verdict.is_some());
        // The chain writes a verdict as one word (`approveUntil:2027-06-30`): compare in it.
        let table_verdict = i.verdict.map(|v| v.encode());
        if known && table_verdict != chain_verdict {
            items_cmp.differences.push(format!(
                "item {}: the table says verdict {}, the audit chain {}",
                i.id,
                show(table_verdict.as_deref()),
                show(chain_verdict.as_deref())
            ));
        }
        let chain_by = event.map(|d| d.decided_by.as_str());
        if i.decided_by_upn.as_deref() != chain_by {
            items_cmp.differences.push(format!(
                "item {}: the table says decided by {}, the audit chain {}",
                i.id,
                show(i.decided_by_upn.as_deref()),
                show(chain_by)
            ));
        }
        let chain_at = event.and_then(|d| time_of(&d.at));
        if i.decided_at != chain_at {
            items_cmp.differences.push(format!(
                "item {}: the table says decided at {}, the audit chain {}",
                i.id,
                show(i.decided_at.map(crate::evidence::utc).as_deref()),
                show(chain_at.map(crate::evidence::utc).as_deref())
            ));
        }
    }
    // The rows fixed at opening (holder, role, reviewers, recommendation) against the digest
    // sealed in the opening's event; reviewers a later stage or a "don't know" added are
    // replayed from their own events (`stages`).
    let opened = campaign_events
        .iter()
        .find(|e| e.kind == "campaign.opened")
        .and_then(|e| serde_json::from_str::<Value>(&e.payload).ok());
    if let Some(sealed) = opened.as_ref().and_then(|p| str_of(&p["itemsSha256"])) {
        let opened: Vec<_> = items.iter().map(|i| stage_chain.as_opened(i)).collect();
        let found = sealed_items_sha256(opened.iter().map(SealedItem::of_record));
        if found != sealed {
            items_cmp.differences.push(format!(
                "the items' holder, role, scope, reviewers or recommendation changed since the \
                 campaign opened (they hash to {found}, the opening sealed {sealed})"
            ));
        }
    }
    items_cmp.compared = format!("{} items match the opening and their decisions", items.len());

    let closed = campaign_events.iter().any(|e| e.kind == "campaign.closed");
    match chain_outcomes(campaign_events) {
        Some(outcomes) => {
            for i in &items {
                let table = (
                    i.outcome.map(|o| o.as_str().to_string()).unwrap_or_default(),
                    i.outcome_code.clone().unwrap_or_default(),
                    i.outcome_reason.clone().unwrap_or_default(),
                );
                let chain = outcomes.get(&i.id).cloned().unwrap_or_default();
                for (field, t, c) in [
                    ("outcome", &table.0, &chain.0),
                    ("outcome code", &table.1, &chain.1),
                    ("outcome reason", &table.2, &chain.2),
                ] {
                    if t != c {
                        outcomes_cmp.differences.push(format!(
                            "item {}: the table says {field} {t:?}, the close event {c:?}",
                            i.id
                        ));
                    }
                }
            }
            outcomes_cmp.compared = format!("{} outcomes match the close event", outcomes.len());
        }
        None if !closed => {
            for i in items.iter().filter(|i| i.outcome.is_some()) {
                outcomes_cmp.differences.push(format!(
                    "item {}: the table says outcome {}, but the campaign was never closed",
                    i.id,
                    show(i.outcome.map(|o| o.as_str()))
                ));
            }
            outcomes_cmp.compared = "not closed: no item has an outcome".into();
        }
        None => {
            outcomes_cmp.compared =
                "closed before the close event carried each outcome: not replayed".into();
        }
    }
    Ok((items_cmp, outcomes_cmp))
}

fn compare_campaign(
    store: &Store,
    campaign_id: &str,
    campaign_events: &[&AuditEvent],
) -> Result<Comparison, AppError> {
    let mut c = Comparison::new("campaign");
    let row = store.campaign(campaign_id)?;
    let chain = campaign_as_of(campaign_events, i64::MAX);
    if let Some(state) = &chain.state
        && state != row.state.as_str()
    {
        c.differences.push(format!(
            "the table says state {:?}, the audit chain {state:?}",
            row.state.as_str()
        ));
    }
    let replayed = chain.state.is_some();
    for (field, table, chain) in [
        ("opened at", row.opened_at, chain.opened_at.as_deref().and_then(time_of)),
        ("closed at", row.closed_at, chain.closed_at.as_deref().and_then(time_of)),
        ("completed at", row.completed_at, chain.completed_at.as_deref().and_then(time_of)),
    ] {
        if replayed && table != chain {
            c.differences.push(format!(
                "the table says {field} {}, the audit chain {}",
                show(table.map(crate::evidence::utc).as_deref()),
                show(chain.map(crate::evidence::utc).as_deref())
            ));
        }
    }
    let opened = campaign_events
        .iter()
        .find(|e| e.kind == "campaign.opened")
        .and_then(|e| serde_json::from_str::<Value>(&e.payload).ok());
    if let Some(sealed) = opened.as_ref().and_then(|p| str_of(&p["definitionSha256"])) {
        let found = definition_sha256(&row.definition);
        if found != sealed {
            c.differences.push(format!(
                "the campaign's settings (its copy of the definition) changed since it opened \
                 (they hash to {found}, the opening sealed {sealed})"
            ));
        }
    }
    c.compared = format!("state {} and its dates match the audit chain", row.state.as_str());
    Ok(c)
}

fn compare_exports(
    store: &Store,
    campaign_id: &str,
    campaign_events: &[&AuditEvent],
) -> Result<Comparison, AppError> {
    let mut c = Comparison::new("exports");
    let rows = store.exports(campaign_id)?;
    let events: HashMap<i64, Value> = campaign_events
        .iter()
        .filter(|e| e.kind == "evidence.exported")
        .filter_map(|e| serde_json::from_str::<Value>(&e.payload).ok())
        .filter_map(|p| Some((p["export"].as_i64()?, p)))
        .collect();
    for r in &rows {
        let Some(p) = events.get(&r.id) else {
            c.differences.push(format!("export {} has no audit event", r.id));
            continue;
        };
        let which = format!("export {}", r.id);
        if p["evidenceHash"].as_str() != Some(r.evidence_hash.as_str()) {
            c.differences.push(format!(
                "{which}: the table says evidence hash {}, the audit chain {}",
                r.evidence_hash, p["evidenceHash"]
            ));
        }
        if p["auditSeq"].as_i64() != Some(r.audit_seq) {
            c.differences.push(format!(
                "{which}: the table says cut at event {}, the audit chain {}",
                r.audit_seq, p["auditSeq"]
            ));
        }
        let files: Value = serde_json::from_str(&r.files).unwrap_or_default();
        if p["files"] != files {
            c.differences.push(format!("{which}: its files' hashes differ from the audit chain's"));
        }
        for (field, table, chain) in [
            ("chain head", &r.audit_head, &p["auditHead"]),
            ("signature", &r.signature, &p["signature"]),
            ("signing key", &r.signing_key, &p["signingKey"]),
            ("generator", &r.generator, &p["generator"]),
            ("renderer version", &r.renderer, &p["renderer"]),
        ] {
            if chain.as_str() != table.as_deref() && !(chain.is_null() && table.is_none()) {
                c.differences.push(format!("{which}: its {field} differs from the audit chain's"));
            }
        }
    }
    for id in events.keys() {
        if !rows.iter().any(|r| r.id == *id) {
            c.differences.push(format!("export {id} is in the audit chain but not in the table"));
        }
    }
    c.compared = format!("{} export records match their audit events", rows.len());
    Ok(c)
}

/// Settings (the safety interlocks among them) against their last audited value.
fn compare_settings(store: &Store, events: &[AuditEvent]) -> Result<Comparison, AppError> {
    let mut c = Comparison::new("settings");
    let mut last: BTreeMap<String, Option<String>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == "setting.changed") {
        let Some(key) = e.subject.strip_prefix("setting/") else { continue };
        let p: Value = serde_json::from_str(&e.payload).unwrap_or_default();
        last.insert(key.to_string(), str_of(&p["after"]));
    }
    let table = store.settings()?;
    for (key, value) in &table {
        match last.get(key) {
            Some(Some(after)) if after == value => {}
            Some(after) => c.differences.push(format!(
                "setting {key}: the table says {value}, its last audited change {}",
                show(after.as_deref())
            )),
            // Written by a migration from an older layout, before settings were audited.
            None if key == "governance.admins" => {}
            None => c.differences.push(format!("setting {key} was never changed through Recert")),
        }
    }
    for key in last.keys() {
        if !table.iter().any(|(k, _)| k == key) {
            c.differences.push(format!("setting {key} was deleted"));
        }
    }
    c.compared = format!("{} settings match their last audited change", table.len());
    Ok(c)
}

/// Replays the campaign's record from `events` (the whole chain, in order) and compares it with
/// the tables, area by area.
pub(crate) fn replay(
    store: &Store,
    campaign_id: &str,
    events: &[AuditEvent],
) -> Result<Vec<Comparison>, AppError> {
    let subject = format!("campaign/{campaign_id}");
    let campaign_events: Vec<&AuditEvent> =
        events.iter().filter(|e| e.subject == subject).collect();
    let chain = chain_decisions(&campaign_events);
    let decisions = compare_decisions(store, campaign_id, &chain)?;
    let stage_chain = stages::chain_stages(&campaign_events);
    let (items, outcomes) =
        compare_items(store, campaign_id, &campaign_events, &chain, &stage_chain)?;
    let staged = stages::compare_stages(
        store.campaign_stage(campaign_id)?,
        &store.all_items(campaign_id)?,
        &stage_chain,
    );
    let campaign = compare_campaign(store, campaign_id, &campaign_events)?;
    let (remediation, holds) =
        remediation::compare_remediation(store, campaign_id, &campaign_events)?;
    let exports = compare_exports(store, campaign_id, &campaign_events)?;
    let settings = compare_settings(store, events)?;
    Ok(vec![campaign, decisions, staged, items, outcomes, holds, remediation, exports, settings])
}
