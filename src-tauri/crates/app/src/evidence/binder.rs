//! The binder of a campaign assembled from the store as of an audit cut: its items and their
//! standing decisions, the decision history, reroutes, reviewer statistics and the population
//! statement, with the remediation log, exceptions, timeliness and findings from the modules
//! beside this one.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use recert_evidence::model::{
    AuditInfo, Binder, CampaignInfo, DecisionEvent, DecisionInfo, ExceptionEntry, Item,
    PopulationStatement, Reroute, ReviewerStat, RoleCount,
};
use recert_store::Store;
use recert_store::audit::AuditEvent;
use recert_store::campaigns::SnapshotRecord;
use recert_store::worklist::{DecisionRecord, ItemRecord};

use super::findings::auditor_findings;
use super::replay::{held_exceptions, remediation_events, remediation_log, unmade_exceptions};
use super::settings::settings_lines;
use super::timeliness::Schedule;
use super::{GENERATOR, utc};
use crate::AppError;
use crate::campaigns::parse_definition;

/// An item's reviewers as the binder lists them: by UPN, with their stage when a later stage
/// of the review took the item (a reviewer routed in two stages is listed in each).
fn stage_reviewers(item: &ItemRecord) -> Vec<String> {
    let staged = item.reviewers.iter().any(|r| r.stage > 1);
    item.reviewers
        .iter()
        .map(|r| if staged { format!("{} (stage {})", r.upn, r.stage) } else { r.upn.clone() })
        .collect()
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// The decisions as of the cut and which of them stand.
struct Standing<'a> {
    /// The decision that stands per item is the latest one recorded for it and not taken back
    /// (returned to undecided); the history still lists every row.
    rows: Vec<&'a DecisionRecord>,
    latest: HashMap<u32, &'a DecisionRecord>,
    /// Per item and reviewer, the id of the row that stands.
    last_of: HashMap<(u32, &'a str), i64>,
    /// Reviewers' and deciders' UPNs by object id.
    names: HashMap<String, String>,
}

impl<'a> Standing<'a> {
    fn of(items: &[ItemRecord], decisions: &'a [DecisionRecord]) -> Standing<'a> {
        let names = items
            .iter()
            .flat_map(|i| i.reviewers.iter().map(|r| (r.id.clone(), r.upn.clone())))
            .chain(decisions.iter().map(|d| (d.decided_by_id.clone(), d.decided_by_upn.clone())))
            .collect();
        let rows = recert_store::worklist::standing_rows(decisions);
        let mut latest = HashMap::new();
        let mut last_of = HashMap::new();
        for d in &rows {
            latest.insert(d.item_id, *d);
            last_of.insert((d.item_id, d.reviewer_id.as_str()), d.id);
        }
        Standing { rows, latest, last_of, names }
    }

    fn upn(&self, id: &str) -> String {
        self.names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    fn stands(&self, d: &DecisionRecord) -> bool {
        self.last_of.get(&(d.item_id, d.reviewer_id.as_str())) == Some(&d.id)
    }
}

/// The binder of `campaign_id` as of audit event `audit_seq`, generated at `generated_at`.
pub(crate) fn build_binder(
    store: &Store,
    campaign_id: &str,
    generated_at: DateTime<Utc>,
    audit_seq: i64,
) -> Result<Binder, AppError> {
    let campaign = store.campaign(campaign_id)?;
    let (definition, rules) = parse_definition(&campaign.definition)?;
    let tenant = store.tenant(&definition.tenant_id)?;
    let snapshot = store.snapshot(campaign_id).ok();
    let items = store.all_items(campaign_id)?;
    let events = store.audit_events(None)?;
    let upto: Vec<_> = events.into_iter().filter(|e| e.seq <= audit_seq).collect();
    let subject = format!("campaign/{campaign_id}");
    let campaign_events: Vec<&AuditEvent> = upto.iter().filter(|e| e.subject == subject).collect();
    // The binder as of its cut: the decisions recorded by then (the table keeps them in the
    // order their events were written), the outcomes if it was closed by then, and the
    // campaign's state and dates as its events up to the cut tell them.
    let mut decisions = store.decisions(campaign_id)?;
    decisions.truncate(crate::record::chain_decisions(&campaign_events).len());
    let as_of = crate::record::campaign_as_of(&campaign_events, audit_seq);
    let sign_offs = crate::signoff::SignOffRecord::of(&campaign_events);
    let closed_by_cut = campaign_events.iter().any(|e| e.kind == "campaign.closed");
    let standing = Standing::of(&items, &decisions);
    let (reroutes, self_review_prevented) = reroutes(&items);
    let mut exceptions: Vec<ExceptionEntry> = items
        .iter()
        .filter(|i| closed_by_cut && i.outcome == Some(recert_domain::review::Outcome::Exception))
        .map(|i| ExceptionEntry {
            item_id: i.id,
            principal: i.principal_upn.clone().unwrap_or_else(|| i.principal_name.clone()),
            role: i.role_name.clone(),
            reason: i.outcome_reason.clone().unwrap_or_default(),
            ..ExceptionEntry::default()
        })
        .collect();
    let schedule = Schedule::of(&campaign, &rules, &definition, &as_of);
    let timeliness = schedule.timeliness(store, &campaign, &rules, &as_of, generated_at)?;
    let remediation_events = remediation_events(campaign_id, &upto);
    let holds = store.remediation_holds(campaign_id)?;
    held_exceptions(&items, &remediation_events, &holds, &mut exceptions);
    unmade_exceptions(&items, &remediation_events, &mut exceptions);
    crate::exceptions::fill_terms(&mut exceptions, &campaign_events, generated_at);
    let remediation = remediation_log(store, campaign_id, &remediation_events, &holds)?;
    let (findings, reviewer_patterns) = auditor_findings(
        &items,
        &decisions,
        &standing.last_of,
        closed_by_cut,
        &remediation,
        &exceptions,
        schedule.milestones(generated_at),
    );
    Ok(Binder {
        campaign: CampaignInfo {
            id: campaign.id.clone(),
            name: campaign.name.clone(),
            definition_name: definition.name.clone(),
            tenant_name: tenant.name.clone(),
            tenant_id: tenant.tenant_guid.clone(),
            state: as_of.state.clone().unwrap_or_else(|| campaign.state.as_str().into()),
            period_start: utc(campaign.period_start),
            period_end: utc(campaign.period_end),
            opened_at: schedule.opened_at.map(utc),
            closed_at: schedule.closed_at.map(utc),
            completed_at: schedule.completed_at.map(utc),
        },
        generated_at: utc(generated_at),
        generator: GENERATOR.into(),
        scope_and_method: settings_lines(
            &definition,
            &rules.schedule,
            &crate::binder_context::scope_role_names(
                store,
                campaign_id,
                &items,
                &definition.scope.role_ids,
            )?,
        ),
        population: population(store, campaign_id, snapshot.as_ref(), items.len())?,
        items: binder_items(&items, &standing, closed_by_cut),
        decision_history: decision_history(&decisions, &standing),
        reroutes,
        self_review_prevented,
        reviewers: reviewer_stats(store, campaign_id, &items, &standing)?,
        remediation,
        exceptions,
        timeliness,
        audit: audit_info(store, &upto, campaign_id, &campaign.definition_id)?,
        sign_off_statement: crate::signoff::STATEMENT.into(),
        signatories: Vec::new(),
        findings,
        reviewer_patterns,
        role_catalogue: crate::binder_context::role_catalogue(store, campaign_id, &items)?,
        since_previous: crate::binder_context::since_previous(store, &campaign, &items)?,
        version: sign_offs.version,
        sign_offs: sign_offs.entries(),
        corrections: sign_offs.corrections.iter().map(crate::signoff::correction_entry).collect(),
    })
}

/// The items with the decision that stands on each, and their outcome once closed by the cut.
fn binder_items(items: &[ItemRecord], standing: &Standing, closed_by_cut: bool) -> Vec<Item> {
    items
        .iter()
        .map(|i| {
            let principal_type = match (i.principal_kind.as_str(), i.user_type.as_deref()) {
                ("user", Some("guest")) => "guest".to_string(),
                (kind, _) => kind.to_string(),
            };
            Item {
                id: i.id,
                surface: i.surface.as_str().to_string(),
                role: i.role_name.clone(),
                scope: i.scope.clone(),
                principal_name: i.principal_name.clone(),
                principal_upn: i.principal_upn.clone().unwrap_or_default(),
                principal_id: i.principal_id.clone(),
                principal_type,
                kind: i.kind.as_str().to_string(),
                membership: i.membership.as_str().to_string(),
                reviewers: stage_reviewers(i),
                decision: standing.latest.get(&i.id).map(|d| DecisionInfo {
                    verdict: d.verdict.clone(),
                    by_upn: d.decided_by_upn.clone(),
                    by_id: d.decided_by_id.clone(),
                    acting_for: (d.reviewer_id != d.decided_by_id)
                        .then(|| standing.upn(&d.reviewer_id)),
                    at: utc(d.decided_at),
                    justification: d.justification.clone(),
                    source: d.source.as_str().to_string(),
                    identity: d.authentication.method().label().into(),
                    authentication: d.authentication.describe(utc),
                }),
                recommendation: i.recommendation.clone().unwrap_or_default(),
                recommendation_reason: i.recommendation_reason.clone().unwrap_or_default(),
                outcome: if closed_by_cut {
                    i.outcome.map(|o| o.as_str().to_string()).unwrap_or_default()
                } else {
                    String::new()
                },
                outcome_reason: if closed_by_cut {
                    i.outcome_reason.clone().unwrap_or_default()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

/// Every decision row as of the cut, with whether it stands.
fn decision_history(decisions: &[DecisionRecord], standing: &Standing) -> Vec<DecisionEvent> {
    decisions
        .iter()
        .map(|d| DecisionEvent {
            item_id: d.item_id,
            reviewer: standing.upn(&d.reviewer_id),
            verdict: d.verdict.clone(),
            by_upn: d.decided_by_upn.clone(),
            at: utc(d.decided_at),
            justification: d.justification.clone(),
            source: d.source.as_str().to_string(),
            stands: standing.stands(d),
            stage: d.stage,
            identity: d.authentication.method().label().into(),
            authentication: d.authentication.describe(utc),
        })
        .collect()
}

/// The items routed to a fallback reviewer and why, and how many reviews of one's own access
/// routing prevented.
fn reroutes(items: &[ItemRecord]) -> (Vec<Reroute>, u32) {
    use recert_domain::routing::RerouteReason;
    let mut reroutes = Vec::new();
    let mut self_review_prevented = 0;
    for i in items {
        for r in &i.reviewers {
            if let Some(code) = &r.reroute_reason {
                let reason = RerouteReason::parse(code);
                if reason == Some(RerouteReason::SelfReview) {
                    self_review_prevented += 1;
                }
                reroutes.push(Reroute {
                    item_id: i.id,
                    principal: i.principal_upn.clone().unwrap_or_else(|| i.principal_name.clone()),
                    role: i.role_name.clone(),
                    reviewer: r.upn.clone(),
                    reason: reason.map_or_else(|| code.clone(), |r| r.describe().to_string()),
                });
            }
        }
        if i.reviewers.is_empty() {
            // Every fallback reviewer was the holder: independence kept by sending it to admins.
            self_review_prevented += 1;
        }
    }
    (reroutes, self_review_prevented)
}

/// A decider's pace (the median seconds between their decisions) and share of bulk decisions.
fn pace(theirs: &[&DecisionRecord]) -> (Option<f64>, usize) {
    let gaps = theirs
        .windows(2)
        .map(|w| (w[1].decided_at - w[0].decided_at).num_milliseconds() as f64 / 1000.0)
        .collect();
    (median(gaps), theirs.iter().filter(|d| d.batch.is_some()).count())
}

/// Each reviewer's assigned and decided items as of the cut, pace and bulk share, then the
/// governance admins who decided without being assigned reviewers.
fn reviewer_stats(
    store: &Store,
    campaign_id: &str,
    items: &[ItemRecord],
    standing: &Standing,
) -> Result<Vec<ReviewerStat>, AppError> {
    let mut by_reviewer: BTreeMap<String, Vec<&DecisionRecord>> = BTreeMap::new();
    for d in &standing.rows {
        by_reviewer.entry(d.decided_by_upn.clone()).or_default().push(d);
    }
    let mut progress = store.reviewer_progress(campaign_id)?;
    // Decided as of the cut: by the decisions recorded by then.
    let decided_pairs: HashSet<(u32, &str)> =
        standing.rows.iter().map(|d| (d.item_id, d.reviewer_id.as_str())).collect();
    for p in &mut progress {
        p.decided = items
            .iter()
            .filter(|i| i.reviewers.iter().any(|r| r.id == p.id))
            .filter(|i| decided_pairs.contains(&(i.id, p.id.as_str())))
            .count() as u32;
    }
    let mut reviewers: Vec<ReviewerStat> = progress
        .iter()
        .map(|p| {
            let theirs = by_reviewer.get(&p.upn).cloned().unwrap_or_default();
            let (median_seconds, bulk) = pace(&theirs);
            ReviewerStat {
                upn: p.upn.clone(),
                name: p.name.clone(),
                assigned: p.assigned,
                decided: p.decided,
                median_seconds,
                bulk_share: if theirs.is_empty() { 0.0 } else { bulk as f64 / theirs.len() as f64 },
            }
        })
        .collect();
    for (admin, theirs) in &by_reviewer {
        if !reviewers.iter().any(|r| &r.upn == admin) {
            let (median_seconds, bulk) = pace(theirs);
            reviewers.push(ReviewerStat {
                upn: admin.clone(),
                name: format!("{admin} (governance admin)"),
                assigned: 0,
                decided: theirs.len() as u32,
                median_seconds,
                bulk_share: bulk as f64 / theirs.len() as f64,
            });
        }
    }
    Ok(reviewers)
}

/// The population statement: what the sealed snapshot extracted, from where and by whom.
fn population(
    store: &Store,
    campaign_id: &str,
    snapshot: Option<&SnapshotRecord>,
    total_items: usize,
) -> Result<PopulationStatement, AppError> {
    let record: serde_json::Value =
        snapshot.and_then(|s| serde_json::from_str(&s.record).ok()).unwrap_or_default();
    let roles = record["roles"]
        .as_array()
        .map(|roles| {
            roles
                .iter()
                .map(|r| RoleCount {
                    surface: r["surface"].as_str().unwrap_or_default().into(),
                    role: r["role"].as_str().unwrap_or_default().into(),
                    eligible: r["eligible"].as_u64().unwrap_or(0) as u32,
                    active: r["active"].as_u64().unwrap_or(0) as u32,
                    in_scope: r["inScope"].as_u64().unwrap_or(0) as u32,
                })
                .collect()
        })
        .unwrap_or_default();
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    Ok(PopulationStatement {
        extracted_at: snapshot.map(|s| utc(s.taken_at)).unwrap_or_default(),
        extracted_by: snapshot.map(|s| s.actor.clone()).unwrap_or_default(),
        endpoints: strings(&record["endpoints"]),
        requests: snapshot.map_or(0, |s| s.requests),
        raw_sha256: snapshot.map(|s| s.raw_sha256.clone()).unwrap_or_default(),
        roles,
        total_items: total_items as u32,
        excluded: strings(&record["excluded"]),
        gaps: strings(&record["gaps"]),
        gap_accepted: record["gapAccepted"]["reason"].as_str().map(|reason| {
            format!(
                "by {} when the campaign opened, for: {}",
                record["gapAccepted"]["by"].as_str().unwrap_or("an unnamed admin"),
                reason
            )
        }),
        pages: store.snapshot_page_count(campaign_id)?,
        returning: record["returningExceptions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or("?").to_string();
                format!(
                    "{} · {}: exception expired {} (campaign {}, item {})",
                    text("principal"),
                    text("role"),
                    text("expiredOn"),
                    text("campaign"),
                    r["item"].as_u64().unwrap_or(0)
                )
            })
            .collect(),
    })
}

/// The audit chain as of the cut: its head, its length and the campaign's own events.
fn audit_info(
    store: &Store,
    upto: &[AuditEvent],
    campaign_id: &str,
    definition_id: &str,
) -> Result<AuditInfo, AppError> {
    let head_hash =
        upto.last().map(|e| e.hash.clone()).unwrap_or_else(|| recert_store::audit::GENESIS.into());
    let subjects = [format!("campaign/{campaign_id}"), format!("definition/{definition_id}")];
    let campaign_events = upto
        .iter()
        .filter(|e| subjects.contains(&e.subject))
        .map(|e| format!("{} · {} · {}", super::replay::event_time(e), e.actor, e.kind))
        .collect();
    let chain_intact = store.verify_chain()?.is_ok();
    Ok(AuditInfo { head_hash, events: upto.len() as u64, campaign_events, chain_intact })
}
