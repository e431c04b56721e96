//! Evidence: the campaign's binder built from the store (as of an export's moment), written as
//! PDF, CSV and JSON, and verified later against the database, the audit chain and the files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use recert_domain::assignment::Surface;
use recert_domain::authority::Action;
use recert_domain::campaign::KindSelection;
use recert_domain::remediation::change::Change;
use recert_evidence::model::{
    AuditInfo, Binder, CampaignInfo, DecisionEvent, DecisionInfo, ExceptionEntry, Finding, Item,
    PopulationStatement, RemediationEntry, Reroute, ReviewerPattern, ReviewerStat, RoleCount,
    Setting, Timeliness, VerificationRecord,
};
use recert_evidence::{
    Attachment, ExportFile, Exports, PdfOptions, Signer, Sinks, verify_exports_with, write_all_with,
};
use recert_store::Store;
use recert_store::evidence::ExportRecord;
use recert_store::remediation::HoldRecord;
use recert_store::worklist::ItemRecord;
use serde::Serialize;
use ts_rs::TS;

use crate::campaigns::dto::DefinitionDto;
use crate::campaigns::parse_definition;
use crate::{App, AppError, ErrorCode};

/// Times in evidence: to the second, in UTC, labelled.
pub(crate) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn opt(t: Option<DateTime<Utc>>) -> String {
    t.map(utc).unwrap_or_default()
}

pub(crate) const GENERATOR: &str = concat!("Recert ", env!("CARGO_PKG_VERSION"));

/// Where each export was written and its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExportedFileDto {
    pub name: String,
    pub path: String,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EvidenceExportDto {
    pub campaign_id: String,
    pub generated_at: String,
    pub evidence_hash: String,
    pub items: u32,
    pub files: Vec<ExportedFileDto>,
    /// The audit chain's head the binder was cut at: `verify --expect-head` takes it.
    pub audit_head: String,
    /// The fingerprint of the key that signed the PDF's seal, when a PDF was written.
    pub signing_key: Option<String>,
}

/// One check of `verify`, with what it found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerifyCheckDto {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerifyReportDto {
    pub campaign_id: String,
    pub ok: bool,
    pub checks: Vec<VerifyCheckDto>,
}

/// The files a caller wants written or checked.
#[derive(Clone, Debug, Default)]
pub struct EvidencePaths {
    pub pdf: Option<PathBuf>,
    /// Decisions; the decision history and the remediation log go beside it.
    pub csv: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

/// An item's reviewers as the binder lists them: by UPN, with their stage when a later stage
/// of the review took the item (a reviewer routed in two stages is listed in each).
fn stage_reviewers(item: &recert_store::worklist::ItemRecord) -> Vec<String> {
    let staged = item.reviewers.iter().any(|r| r.stage > 1);
    item.reviewers
        .iter()
        .map(|r| if staged { format!("{} (stage {})", r.upn, r.stage) } else { r.upn.clone() })
        .collect()
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "decisions".into());
    path.with_file_name(format!("{stem}-{suffix}.csv"))
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

fn settings_lines(d: &DefinitionDto) -> Vec<Setting> {
    let line = |label: &str, value: String| Setting { label: label.into(), value };
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    let reviewers = match d.reviewers.source.as_str() {
        "manager" => "the holder's manager".to_string(),
        "named" => format!(
            "named: {}",
            d.reviewers.named.iter().map(|r| r.upn.as_str()).collect::<Vec<_>>().join(", ")
        ),
        _ => "self-attestation by the holder (not an independent review)".to_string(),
    };
    vec![
        line("Campaign definition", d.name.clone()),
        line(
            "Surfaces",
            d.scope
                .surfaces
                .iter()
                .map(|s| Surface::parse(s).map_or_else(|| s.clone(), |s| s.label().to_string()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        line(
            "Roles",
            if d.scope.role_ids.is_empty() {
                "every role".into()
            } else {
                d.scope.role_ids.join(", ")
            },
        ),
        line(
            "Assignment kinds",
            KindSelection::parse(&d.scope.kinds)
                .map_or_else(|| d.scope.kinds.clone(), |k| k.label().to_string()),
        ),
        line(
            "Principal types",
            [
                ("users", d.scope.principal_types.users),
                ("guests", d.scope.principal_types.guests),
                ("groups", d.scope.principal_types.groups),
                ("service principals", d.scope.principal_types.service_principals),
            ]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
        ),
        line(
            "Exclusions",
            if d.scope.exclusions.is_empty() {
                "none".into()
            } else {
                d.scope.exclusions.join(", ")
            },
        ),
        line("Reviewers", reviewers),
        line(
            "Fallback reviewers",
            d.reviewers.fallback.iter().map(|r| r.upn.as_str()).collect::<Vec<_>>().join(", "),
        ),
        line(
            "Several reviewers",
            if d.reviewers.rule == "allMustApprove" {
                "all must approve".into()
            } else {
                "the first decision stands".into()
            },
        ),
        line(
            "Reviewer independence",
            "nobody reviews their own access; such items go to a fallback reviewer".into(),
        ),
        line(
            "Schedule",
            format!(
                "{} from {} ({}), {} days each",
                d.schedule.recurrence,
                d.schedule.start,
                d.schedule.time_zone,
                d.schedule.duration_days
            ),
        ),
        line("Justification required to approve", yes(d.settings.justification_on_approve)),
        line("Justification required to deny", yes(d.settings.justification_on_deny)),
        line(
            "Recommendations",
            if d.settings.recommendations {
                format!("on, activation look-back {} days", d.settings.look_back_days)
            } else {
                "off".into()
            },
        ),
        line("Default on no response", d.settings.no_response.clone()),
        line("Apply removals automatically", yes(d.settings.auto_apply)),
        line(
            "Remediation deadline",
            format!("{} days after close", d.settings.remediation_deadline_days),
        ),
    ]
}

/// The campaign's remediation events up to the cut, each with its payload parsed.
fn remediation_events<'a>(
    campaign_id: &str,
    upto: &'a [recert_store::audit::AuditEvent],
) -> Vec<(&'a recert_store::audit::AuditEvent, serde_json::Value)> {
    let subject = format!("campaign/{campaign_id}");
    upto.iter()
        .filter(|e| e.subject == subject && e.kind.starts_with("remediation."))
        .map(|e| (e, serde_json::from_str(&e.payload).unwrap_or_default()))
        .collect()
}

/// When an audit event happened, as the binder writes times (UTC).
fn event_time(e: &recert_store::audit::AuditEvent) -> String {
    DateTime::parse_from_rfc3339(&e.at).map(|t| utc(t.with_timezone(&Utc))).unwrap_or(e.at.clone())
}

/// The remediation log as of the cut: each journaled removal with what the audit events up to the
/// cut say of it (when it was sent, its result, the last verification that checked it), so that
/// the binder rebuilt later, after more remediation, reads the same.
fn remediation_log(
    store: &Store,
    campaign_id: &str,
    events: &[(&recert_store::audit::AuditEvent, serde_json::Value)],
    holds: &[HoldRecord],
) -> Result<Vec<RemediationEntry>, AppError> {
    let about =
        |payload: &serde_json::Value, item: u32| payload["item"].as_u64() == Some(item.into());
    let planned = events.iter().any(|(e, _)| e.kind == "remediation.planned");
    let held: std::collections::BTreeSet<u32> = holds.iter().map(|h| h.item_id).collect();
    let mut log = Vec::new();
    for action in store.remediation_actions(campaign_id)? {
        let item = action.item_id;
        // A held item joins the journal when someone confirms it; the others when it is planned.
        let journaled = if held.contains(&item) {
            events.iter().any(|(e, p)| e.kind == "remediation.confirmed" && about(p, item))
        } else {
            planned
        };
        if !journaled {
            continue;
        }
        let (mut submitted_at, mut result, mut finished) = (String::new(), "planned", None);
        for (e, _) in events.iter().filter(|(_, p)| about(p, item)) {
            match e.kind.as_str() {
                "remediation.submitted" => {
                    submitted_at = event_time(e);
                    result = "submitted";
                }
                "remediation.succeeded" => (result, finished) = ("succeeded", Some(e.seq)),
                "remediation.failed" => (result, finished) = ("failed", Some(e.seq)),
                "remediation.skipped" => (result, finished) = ("skipped", Some(e.seq)),
                // A person sent it back: what follows is a new attempt.
                "remediation.retried" | "remediation.replanned" => {
                    (submitted_at, result, finished) = (String::new(), "planned", None);
                }
                _ => {}
            }
        }
        let (mut verified, mut verified_at) = (String::new(), String::new());
        let mut history = Vec::new();
        for (e, p) in events {
            let checked = p["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i.as_u64() == Some(item.into())));
            if e.kind != "remediation.verified" || !checked {
                continue;
            }
            let flagged = p["flagged"].as_array().and_then(|f| f.iter().find(|v| about(v, item)));
            let result =
                flagged.and_then(|v| v["verification"].as_str()).unwrap_or("verified-removed");
            history.push(VerificationRecord { at: event_time(e), result: result.to_string() });
            if finished.is_some_and(|f| e.seq > f) {
                verified = result.to_string();
                verified_at = event_time(e);
            }
        }
        log.push(RemediationEntry {
            item_id: item,
            principal: action.principal_name,
            role: action.role_name,
            action: match (action.change, action.new_end) {
                (Change::Convert, Some(end)) => {
                    format!("convert the active assignment to eligible until {}", utc(end))
                }
                (Change::SetEnd, Some(end)) => {
                    format!("set the {} assignment's end to {}", action.kind, utc(end))
                }
                _ => format!("remove the {} assignment", action.kind),
            },
            request_id: if finished.is_some() {
                action.request_id.unwrap_or_default()
            } else {
                String::new()
            },
            submitted_at,
            result: result.to_string(),
            verified,
            verified_at,
            history,
        });
    }
    Ok(log)
}

/// The removals the plan held back, as exceptions, as the audit events up to the cut tell them: a
/// hold confirmed by then is a removal in the remediation log instead; one kept by then names who
/// kept the access and why; the others still wait for a person. Items already listed (access
/// through a group, settled at close) are not listed twice.
fn held_exceptions(
    items: &[ItemRecord],
    events: &[(&recert_store::audit::AuditEvent, serde_json::Value)],
    holds: &[HoldRecord],
    exceptions: &mut Vec<ExceptionEntry>,
) {
    if !events.iter().any(|(e, _)| e.kind == "remediation.planned") {
        return;
    }
    let decided = |kind: &str, item: u32| {
        events.iter().find(|(e, p)| e.kind == kind && p["item"].as_u64() == Some(item.into()))
    };
    let by_id: HashMap<u32, &ItemRecord> = items.iter().map(|i| (i.id, i)).collect();
    let listed: std::collections::BTreeSet<u32> = exceptions.iter().map(|e| e.item_id).collect();
    for hold in holds {
        let Some(item) = by_id.get(&hold.item_id) else { continue };
        if listed.contains(&hold.item_id)
            || decided("remediation.confirmed", hold.item_id).is_some()
        {
            continue;
        }
        let reason = match decided("remediation.kept", hold.item_id) {
            Some((e, p)) => format!(
                "{} — kept by {} on {}: {}",
                hold.reason,
                p["keptBy"]["upn"].as_str().unwrap_or(&e.actor),
                event_time(e),
                p["reason"].as_str().unwrap_or_default()
            ),
            None if hold.confirmable => format!(
                "{} — waiting for a governance admin to confirm the removal or keep the access",
                hold.reason
            ),
            None => hold.reason.clone(),
        };
        exceptions.push(ExceptionEntry {
            item_id: hold.item_id,
            principal: item.principal_upn.clone().unwrap_or_else(|| item.principal_name.clone()),
            role: item.role_name.clone(),
            reason,
            ..ExceptionEntry::default()
        });
    }
    exceptions.sort_by_key(|e| e.item_id);
}

/// The removals that were not made (skipped or failed) as of the cut and not sent back since:
/// each is an exception, with who kept the access and why, or as still waiting for a person.
fn unmade_exceptions(
    items: &[ItemRecord],
    events: &[(&recert_store::audit::AuditEvent, serde_json::Value)],
    exceptions: &mut Vec<ExceptionEntry>,
) {
    let by_id: HashMap<u32, &ItemRecord> = items.iter().map(|i| (i.id, i)).collect();
    let mut open: BTreeMap<u32, (String, Option<String>)> = BTreeMap::new();
    for (e, p) in events {
        let Some(item) = p["item"].as_u64().and_then(|i| u32::try_from(i).ok()) else { continue };
        match e.kind.as_str() {
            "remediation.skipped" | "remediation.failed" => {
                let why = p["reason"].as_str().unwrap_or_default().to_string();
                open.insert(item, (why, None));
            }
            "remediation.retried" | "remediation.replanned" | "remediation.succeeded" => {
                open.remove(&item);
            }
            "remediation.exceptionKept" => {
                if let Some(entry) = open.get_mut(&item) {
                    entry.1 = Some(format!(
                        "kept by {} on {}: {}",
                        p["keptBy"]["upn"].as_str().unwrap_or(&e.actor),
                        event_time(e),
                        p["reason"].as_str().unwrap_or_default()
                    ));
                }
            }
            _ => {}
        }
    }
    // A failure verified removed later is no exception: the access is gone.
    for (e, p) in events {
        if e.kind == "remediation.verified" {
            let flagged: Vec<u64> = p["flagged"]
                .as_array()
                .map(|f| f.iter().filter_map(|v| v["item"].as_u64()).collect())
                .unwrap_or_default();
            for item in p["items"].as_array().into_iter().flatten().filter_map(|i| i.as_u64()) {
                if !flagged.contains(&item) {
                    open.remove(&(item as u32));
                }
            }
        }
    }
    for (item_id, (why, kept)) in open {
        let Some(item) = by_id.get(&item_id) else { continue };
        let reason = match kept {
            Some(kept) => format!("not removed: {why} — {kept}"),
            None => format!(
                "not removed: {why} — waiting for a governance admin to re-plan, retry or keep the \
                 access"
            ),
        };
        exceptions.push(ExceptionEntry {
            item_id,
            principal: item.principal_upn.clone().unwrap_or_else(|| item.principal_name.clone()),
            role: item.role_name.clone(),
            reason,
            ..ExceptionEntry::default()
        });
    }
    exceptions.sort_by_key(|e| e.item_id);
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
    let record: serde_json::Value =
        snapshot.as_ref().and_then(|s| serde_json::from_str(&s.record).ok()).unwrap_or_default();
    let items = store.all_items(campaign_id)?;
    let events = store.audit_events(None)?;
    let upto: Vec<_> = events.into_iter().filter(|e| e.seq <= audit_seq).collect();
    let subject = format!("campaign/{campaign_id}");
    let campaign_events: Vec<&recert_store::audit::AuditEvent> =
        upto.iter().filter(|e| e.subject == subject).collect();
    // The binder as of its cut: the decisions recorded by then (the table keeps them in the
    // order their events were written), the outcomes if it was closed by then, and the
    // campaign's state and dates as its events up to the cut tell them.
    let mut decisions = store.decisions(campaign_id)?;
    decisions.truncate(crate::record::chain_decisions(&campaign_events).len());
    let as_of = crate::record::campaign_as_of(&campaign_events, audit_seq);
    let sign_offs = crate::signoff::SignOffRecord::of(&campaign_events);
    let closed_by_cut = campaign_events.iter().any(|e| e.kind == "campaign.closed");
    let names: HashMap<String, String> = items
        .iter()
        .flat_map(|i| i.reviewers.iter().map(|r| (r.id.clone(), r.upn.clone())))
        .chain(decisions.iter().map(|d| (d.decided_by_id.clone(), d.decided_by_upn.clone())))
        .collect();
    let upn = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());

    // The decision that stands per item is the latest one recorded for it and not taken back
    // (returned to undecided); the history below still lists every row.
    let standing = recert_store::worklist::standing_rows(&decisions);
    let mut latest: HashMap<u32, &recert_store::worklist::DecisionRecord> = HashMap::new();
    let mut last_of: HashMap<(u32, &str), i64> = HashMap::new();
    for d in &standing {
        latest.insert(d.item_id, d);
        last_of.insert((d.item_id, d.reviewer_id.as_str()), d.id);
    }
    let binder_items: Vec<Item> = items
        .iter()
        .map(|i| {
            let principal_type = match (i.principal_kind.as_str(), i.user_type.as_deref()) {
                ("user", Some("guest")) => "guest".to_string(),
                (kind, _) => kind.to_string(),
            };
            Item {
                id: i.id,
                surface: i.surface.clone(),
                role: i.role_name.clone(),
                scope: i.scope.clone(),
                principal_name: i.principal_name.clone(),
                principal_upn: i.principal_upn.clone().unwrap_or_default(),
                principal_id: i.principal_id.clone(),
                principal_type,
                kind: i.kind.clone(),
                membership: i.membership.clone(),
                reviewers: stage_reviewers(i),
                decision: latest.get(&i.id).map(|d| DecisionInfo {
                    verdict: d.verdict.clone(),
                    by_upn: d.decided_by_upn.clone(),
                    by_id: d.decided_by_id.clone(),
                    acting_for: (d.reviewer_id != d.decided_by_id).then(|| upn(&d.reviewer_id)),
                    at: utc(d.decided_at),
                    justification: d.justification.clone(),
                    source: d.source.clone(),
                    identity: d.authentication.method().label().into(),
                    authentication: d.authentication.describe(utc),
                }),
                recommendation: i.recommendation.clone().unwrap_or_default(),
                recommendation_reason: i.recommendation_reason.clone().unwrap_or_default(),
                outcome: if closed_by_cut {
                    i.outcome.clone().unwrap_or_default()
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
        .collect();
    let decision_history = decisions
        .iter()
        .map(|d| DecisionEvent {
            item_id: d.item_id,
            reviewer: upn(&d.reviewer_id),
            verdict: d.verdict.clone(),
            by_upn: d.decided_by_upn.clone(),
            at: utc(d.decided_at),
            justification: d.justification.clone(),
            source: d.source.clone(),
            stands: last_of.get(&(d.item_id, d.reviewer_id.as_str())) == Some(&d.id),
            stage: d.stage,
            identity: d.authentication.method().label().into(),
            authentication: d.authentication.describe(utc),
        })
        .collect();
    let mut reroutes = Vec::new();
    let mut self_review_prevented = 0;
    for i in &items {
        for r in &i.reviewers {
            if let Some(code) = &r.reroute_reason {
                let reason = recert_domain::routing::RerouteReason::parse(code);
                if reason == Some(recert_domain::routing::RerouteReason::SelfReview) {
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
    let mut by_reviewer: BTreeMap<String, Vec<&recert_store::worklist::DecisionRecord>> =
        BTreeMap::new();
    for d in &standing {
        by_reviewer.entry(d.decided_by_upn.clone()).or_default().push(d);
    }
    let mut progress = store.reviewer_progress(campaign_id)?;
    // Decided as of the cut: by the decisions recorded by then.
    let decided_pairs: std::collections::HashSet<(u32, &str)> =
        standing.iter().map(|d| (d.item_id, d.reviewer_id.as_str())).collect();
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
            let gaps = theirs
                .windows(2)
                .map(|w| (w[1].decided_at - w[0].decided_at).num_milliseconds() as f64 / 1000.0)
                .collect();
            let bulk = theirs.iter().filter(|d| d.batch.is_some()).count();
            ReviewerStat {
                upn: p.upn.clone(),
                name: p.name.clone(),
                assigned: p.assigned,
                decided: p.decided,
                median_seconds: median(gaps),
                bulk_share: if theirs.is_empty() { 0.0 } else { bulk as f64 / theirs.len() as f64 },
            }
        })
        .collect();
    // Governance admins who decided without being assigned reviewers.
    for (admin, theirs) in &by_reviewer {
        if !reviewers.iter().any(|r| &r.upn == admin) {
            let gaps = theirs
                .windows(2)
                .map(|w| (w[1].decided_at - w[0].decided_at).num_milliseconds() as f64 / 1000.0)
                .collect();
            let bulk = theirs.iter().filter(|d| d.batch.is_some()).count();
            reviewers.push(ReviewerStat {
                upn: admin.clone(),
                name: format!("{admin} (governance admin)"),
                assigned: 0,
                decided: theirs.len() as u32,
                median_seconds: median(gaps),
                bulk_share: bulk as f64 / theirs.len() as f64,
            });
        }
    }
    let mut exceptions: Vec<ExceptionEntry> = items
        .iter()
        .filter(|i| closed_by_cut && i.outcome.as_deref() == Some("exception"))
        .map(|i| ExceptionEntry {
            item_id: i.id,
            principal: i.principal_upn.clone().unwrap_or_else(|| i.principal_name.clone()),
            role: i.role_name.clone(),
            reason: i.outcome_reason.clone().unwrap_or_default(),
            ..ExceptionEntry::default()
        })
        .collect();
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
    let parse = |at: &Option<String>| -> Option<DateTime<Utc>> {
        at.as_deref()
            .and_then(|a| DateTime::parse_from_rfc3339(a).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (opened_at, closed_at, completed_at) =
        (parse(&as_of.opened_at), parse(&as_of.closed_at), parse(&as_of.completed_at));
    let deadline = closed_at.map(|c| {
        c + chrono::Duration::days(i64::from(definition.settings.remediation_deadline_days))
    });
    // The schedule's window for this occurrence: what the campaign is measured against.
    let (window_start, window_end) = rules
        .schedule
        .occurrence(campaign.occurrence)
        .map(|o| (o.start, o.end))
        .unwrap_or((campaign.period_start, campaign.period_end));
    let days = |d: chrono::Duration| {
        let n = d.num_hours().unsigned_abs().div_ceil(24);
        format!("{n} day{}", if n == 1 { "" } else { "s" })
    };
    let mut notes = Vec::new();
    if window_start != campaign.period_start || window_end != campaign.period_end {
        notes.push(format!(
            "the campaign's period ({} – {}) differs from its schedule's window",
            utc(campaign.period_start),
            utc(campaign.period_end)
        ));
    }
    match opened_at {
        Some(opened) if opened - window_start > chrono::Duration::hours(24) => notes.push(format!(
            "opened {} after the schedule's window began",
            days(opened - window_start)
        )),
        Some(opened) if opened < window_start => notes.push(format!(
            "opened {} before the schedule's window began",
            days(window_start - opened)
        )),
        Some(_) => notes.push("opened on schedule".into()),
        None => notes.push("never opened".into()),
    }
    if let Some(closed) = closed_at {
        let by = as_of.closed_by.as_deref().unwrap_or("an unknown actor");
        let why = as_of
            .close_reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map_or_else(|| "no reason was given".to_string(), |r| format!("reason: {r}"));
        notes.push(if closed < window_end {
            format!(
                "closed early, {} before the end of the review window, by {by}; {why}",
                days(window_end - closed)
            )
        } else if closed - window_end > chrono::Duration::hours(24) {
            format!(
                "closed {} after the end of the review window, by {by}",
                days(closed - window_end)
            )
        } else {
            format!("closed on schedule, by {by}")
        });
    } else {
        notes.push("still open".into());
    }
    match (completed_at, deadline) {
        (Some(done), Some(deadline)) if done > deadline => {
            notes.push(format!("remediation finished {} after its deadline", days(done - deadline)))
        }
        (Some(_), Some(_)) => notes.push("remediation finished by its deadline".into()),
        (None, Some(deadline)) if generated_at > deadline => notes.push(format!(
            "remediation not finished {} after its deadline",
            days(generated_at - deadline)
        )),
        _ => {}
    }
    // Cadence: the previous campaign of the same definition, against the recurrence.
    if let (Some(opened), Some(months)) = (opened_at, rules.schedule.recurrence.months()) {
        let previous = store
            .campaigns(Some(&campaign.definition_id))?
            .into_iter()
            .filter(|c| c.occurrence < campaign.occurrence)
            .filter_map(|c| c.opened_at.map(|at| (c.occurrence, at, c.name)))
            .max_by_key(|(occurrence, _, _)| *occurrence);
        notes.push(match previous {
            Some((_, at, name)) => format!(
                "opened {} after the previous campaign of this definition ({name}, opened {}); the \
                 schedule asks for one every {months} month{}",
                days(opened - at),
                utc(at),
                if months == 1 { "" } else { "s" }
            ),
            None => "the first campaign of this definition that opened".into(),
        });
    }
    if let Some(reason) =
        as_of.state_reason.as_ref().filter(|r| Some(*r) != as_of.close_reason.as_ref())
    {
        notes.push(reason.clone());
    }
    let remediation_events = remediation_events(campaign_id, &upto);
    let holds = store.remediation_holds(campaign_id)?;
    held_exceptions(&items, &remediation_events, &holds, &mut exceptions);
    unmade_exceptions(&items, &remediation_events, &mut exceptions);
    crate::exceptions::fill_terms(&mut exceptions, &campaign_events, generated_at);
    let head_hash =
        upto.last().map(|e| e.hash.clone()).unwrap_or_else(|| recert_store::audit::GENESIS.into());
    let subjects =
        [format!("campaign/{campaign_id}"), format!("definition/{}", campaign.definition_id)];
    let campaign_events = upto
        .iter()
        .filter(|e| subjects.contains(&e.subject))
        .map(|e| format!("{} · {} · {}", e.at, e.actor, e.kind))
        .collect();
    let chain_intact = store.verify_chain()?.is_ok();
    let remediation = remediation_log(store, campaign_id, &remediation_events, &holds)?;
    let (findings, reviewer_patterns) = auditor_findings(
        &items,
        &decisions,
        &last_of,
        closed_by_cut,
        &remediation,
        &exceptions,
        recert_domain::findings::Milestones {
            window_end,
            closed_at,
            remediation_deadline: deadline,
            remediation_done_at: completed_at,
            as_of: generated_at,
        },
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
            opened_at: opened_at.map(utc),
            closed_at: closed_at.map(utc),
            completed_at: completed_at.map(utc),
        },
        generated_at: utc(generated_at),
        generator: GENERATOR.into(),
        scope_and_method: settings_lines(&definition),
        population: PopulationStatement {
            extracted_at: snapshot.as_ref().map(|s| utc(s.taken_at)).unwrap_or_default(),
            extracted_by: snapshot.as_ref().map(|s| s.actor.clone()).unwrap_or_default(),
            endpoints: strings(&record["endpoints"]),
            requests: snapshot.as_ref().map_or(0, |s| s.requests),
            raw_sha256: snapshot.as_ref().map(|s| s.raw_sha256.clone()).unwrap_or_default(),
            roles,
            total_items: items.len() as u32,
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
        },
        items: binder_items,
        decision_history,
        reroutes,
        self_review_prevented,
        reviewers,
        remediation,
        exceptions,
        timeliness: Timeliness {
            scheduled_start: utc(window_start),
            scheduled_end: utc(window_end),
            opened_at: opt(opened_at),
            closed_at: opt(closed_at),
            remediation_deadline: opt(deadline),
            remediation_done_at: opt(completed_at),
            notes,
        },
        audit: AuditInfo { head_hash, events: upto.len() as u64, campaign_events, chain_intact },
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

/// The auditor's tests, computed by the domain's rules from the same items, decisions and
/// removals the binder's detail pages show.
#[allow(clippy::too_many_arguments)]
fn auditor_findings(
    items: &[ItemRecord],
    decisions: &[recert_store::worklist::DecisionRecord],
    last_of: &HashMap<(u32, &str), i64>,
    closed: bool,
    remediation: &[RemediationEntry],
    exceptions: &[ExceptionEntry],
    milestones: recert_domain::findings::Milestones,
) -> (Vec<Finding>, Vec<ReviewerPattern>) {
    use recert_domain::findings::{self as f, FindingKind};
    let facts = f::ReviewFacts {
        items: items
            .iter()
            .map(|i| f::ReviewedItem {
                id: i.id,
                role_id: i.role_id.clone(),
                role: i.role_name.clone(),
                holder_id: i.principal_id.clone(),
                holder: i.principal_upn.clone().unwrap_or_else(|| i.principal_name.clone()),
                reviewers: {
                    // Once per reviewer, whatever the stages they were routed to it in.
                    let mut people: Vec<f::Person> = i
                        .reviewers
                        .iter()
                        .map(|r| f::Person {
                            id: r.id.clone(),
                            name: if r.upn.trim().is_empty() {
                                r.name.clone()
                            } else {
                                r.upn.clone()
                            },
                        })
                        .collect();
                    people.sort_by(|a, b| a.id.cmp(&b.id));
                    people.dedup_by(|a, b| a.id == b.id);
                    people
                },
                recommendation: i.recommendation.clone(),
                outcome: if closed { i.outcome.clone() } else { None },
            })
            .collect(),
        decisions: decisions
            .iter()
            // A return to undecided is no decision of its own.
            .filter(|d| !d.is_withdrawal())
            .map(|d| f::MadeDecision {
                item: d.item_id,
                by_id: d.decided_by_id.clone(),
                by: d.decided_by_upn.clone(),
                at: d.decided_at,
                verdict: d.verdict.clone(),
                justification: d.justification.clone(),
                bulk: d.batch.is_some(),
                stands: last_of.get(&(d.item_id, d.reviewer_id.as_str())) == Some(&d.id),
            })
            .collect(),
        removals: remediation
            .iter()
            .map(|r| f::RemovalState {
                item: r.item_id,
                verified: (!r.verified.is_empty()).then(|| r.verified.clone()),
                kept: exceptions.iter().any(|e| e.item_id == r.item_id),
            })
            .collect(),
        milestones,
    };
    let computed = f::findings(&facts);
    let section = |kind: FindingKind| match kind {
        FindingKind::NonResponse
        | FindingKind::DefaultOnCriticalRoles
        | FindingKind::ItemsWithoutDecision => "Non-responses",
        FindingKind::RubberStamping => "Reviewer statistics",
        FindingKind::ReviewerHoldsCriticalRole | FindingKind::ReciprocalReviews => {
            "Decisions by role"
        }
        FindingKind::RemovalsNotVerified => "Remediation log",
        FindingKind::Lateness => "Summary",
    };
    let findings = computed
        .findings
        .into_iter()
        .map(|x| Finding {
            title: x.kind.title().into(),
            raised: x.raised,
            measure: x.measure,
            section: section(x.kind).into(),
            items: x.items,
            people: x.people,
        })
        .collect();
    let patterns = computed
        .reviewers
        .into_iter()
        .map(|r| ReviewerPattern {
            reviewer: r.reviewer,
            decisions: r.decisions as u32,
            bulk_share: r.bulk_share,
            agreement: r.agreement,
            median_seconds: r.median_seconds,
            identical_share: r.identical_share,
            flags: r.flags,
        })
        .collect();
    (findings, patterns)
}

/// An export file being written beside its final name and renamed into place once complete,
/// so a crash never leaves half a binder under the final name.
struct Partial {
    path: PathBuf,
    partial: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl Partial {
    fn create(path: PathBuf) -> Result<Partial, AppError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| {
                AppError::new(ErrorCode::Export, format!("cannot create {}: {err}", dir.display()))
            })?;
        }
        // `binder.pdf.partial`, not `binder.partial`: the PDF and the JSON are open together.
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = path.with_file_name(name);
        let file = std::fs::File::create(&partial).map_err(|err| {
            AppError::new(ErrorCode::Export, format!("cannot write {}: {err}", path.display()))
        })?;
        Ok(Partial { path, partial, out: std::io::BufWriter::with_capacity(1 << 16, file) })
    }

    fn finish(self) -> Result<PathBuf, AppError> {
        let Partial { path, partial, out } = self;
        out.into_inner()
            .map_err(|err| err.into_error())
            .and_then(|_| std::fs::rename(&partial, &path))
            .map_err(|err| {
                AppError::new(ErrorCode::Export, format!("cannot write {}: {err}", path.display()))
            })?;
        Ok(path)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, AppError> {
    std::fs::read(path).map_err(|err| {
        AppError::new(ErrorCode::Invalid, format!("cannot read {}: {err}", path.display()))
    })
}

impl App {
    /// Writes the binder's files and records the export (with its audit event).
    pub async fn evidence_export(
        &self,
        campaign_id: &str,
        paths: EvidencePaths,
    ) -> Result<EvidenceExportDto, AppError> {
        if paths.pdf.is_none() && paths.csv.is_none() && paths.json.is_none() {
            return Err(AppError::new(
                ErrorCode::Invalid,
                "name at least one file to write (PDF, CSV or JSON)",
            ));
        }
        let id = campaign_id.to_string();
        let now = self.now();
        let app = self.clone();
        // The binder is read from the store as of its audit cut; rendering and writing it (seconds
        // for a large campaign, longer on a slow disk) happen without the store, so the window and
        // the other use cases go on meanwhile.
        let (binder, audit_seq, audit_head, actor, attachments) = self
            .with_store(move |store| {
                let tenant = crate::campaigns::tenant_of(&store.campaign(&id)?)?;
                let actor = app.authorize(store, &tenant, Action::Export)?.label;
                // Evidence is only made from a record that proves itself: an intact chain, and
                // tables that replay from it.
                if let Err(b) = store.verify_chain()? {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        format!(
                            "the audit chain is broken at event {} ({}): no binder is exported from an altered record",
                            b.seq, b.problem
                        ),
                    ));
                }
                let events = store.audit_events(None)?;
                let altered: Vec<String> = crate::record::replay(store, &id, &events)?
                    .iter()
                    .filter(|c| !c.ok())
                    .map(|c| format!("{}: {}", c.area, c.detail()))
                    .collect();
                if !altered.is_empty() {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        format!(
                            "the database was modified outside Recert, so no binder is exported from it; run verify for details. {}",
                            altered.join(" | ")
                        ),
                    ));
                }
                let audit_seq = store.audit_head_seq()?;
                let audit_head = events.iter().find(|e| e.seq == audit_seq).map(|e| e.hash.clone());
                let attachments = population_attachments(store, &id)?;
                Ok((build_binder(store, &id, now, audit_seq)?, audit_seq, audit_head, actor, attachments))
            })
            .await?;
        let app = self.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            let key = if paths.pdf.is_some() { Some(app.signing_key()?) } else { None };
            // Each file is streamed as it is rendered and hashed on the way, not held in memory.
            let mut targets: Vec<(&str, ExportFile, PathBuf)> = Vec::new();
            if let Some(pdf) = paths.pdf {
                targets.push(("pdf", ExportFile::Pdf, pdf));
            }
            if let Some(csv) = paths.csv {
                targets.push(("history.csv", ExportFile::HistoryCsv, sibling(&csv, "history")));
                let remediation = sibling(&csv, "remediation");
                targets.push(("remediation.csv", ExportFile::RemediationCsv, remediation));
                targets.push(("decisions.csv", ExportFile::DecisionsCsv, csv));
            }
            if let Some(json) = paths.json {
                targets.push(("json", ExportFile::Json, json));
            }
            let mut open = Vec::new();
            for (name, file, path) in targets {
                open.push((name, file, Partial::create(path)?));
            }
            let mut sinks = Sinks::default();
            for (_, file, partial) in &mut open {
                let out: &mut dyn std::io::Write = &mut partial.out;
                match file {
                    ExportFile::Pdf => sinks.pdf = Some(out),
                    ExportFile::DecisionsCsv => sinks.decisions_csv = Some(out),
                    ExportFile::HistoryCsv => sinks.history_csv = Some(out),
                    ExportFile::RemediationCsv => sinks.remediation_csv = Some(out),
                    ExportFile::Json => sinks.json = Some(out),
                }
            }
            let options = PdfOptions {
                attachments,
                signer: key.as_ref().map_or(Signer::None, Signer::Key),
                audit_seq,
            };
            let written = match write_all_with(&binder, sinks, options) {
                Ok(written) => written,
                Err(err) => {
                    for (_, _, partial) in open {
                        let _ = std::fs::remove_file(&partial.partial);
                    }
                    return Err(err.into());
                }
            };
            let mut files = Vec::new();
            for (name, file, partial) in open {
                let path = partial.finish()?;
                let sha256 = written
                    .files
                    .iter()
                    .find(|f| f.file == file)
                    .map(|f| f.sha256.clone())
                    .unwrap_or_default();
                files.push(ExportedFileDto {
                    name: name.into(),
                    path: path.display().to_string(),
                    sha256,
                });
            }
            Ok::<_, AppError>((binder, written, files))
        })
        .await
        .map_err(|err| {
            AppError::new(ErrorCode::Export, format!("rendering the binder failed: {err}"))
        })?;
        let (binder, written, files) = rendered?;
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let record = ExportRecord {
                id: 0,
                campaign_id: id.clone(),
                generated_at: now,
                actor,
                audit_seq,
                evidence_hash: written.evidence_hash.clone(),
                files: serde_json::to_string(
                    &files
                        .iter()
                        .map(|f| (f.name.clone(), f.sha256.clone()))
                        .collect::<BTreeMap<_, _>>(),
                )
                .unwrap_or_default(),
                audit_head,
                signature: written.seal.as_ref().map(|s| s.signature.clone()),
                signing_key: written.seal.as_ref().map(|s| s.public_key.clone()),
                generator: Some(binder.generator.clone()),
                renderer: written
                    .files
                    .iter()
                    .any(|f| f.file == ExportFile::Pdf)
                    .then(|| recert_evidence::RENDERER.to_string()),
            };
            store.record_export(&record)?;
            Ok(EvidenceExportDto {
                campaign_id: id,
                generated_at: utc(now),
                evidence_hash: written.evidence_hash,
                items: binder.items.len() as u32,
                files,
                audit_head: record.audit_head.clone().unwrap_or_default(),
                signing_key: written.seal.as_ref().map(|s| s.fingerprint()),
            })
        })
        .await
    }

    /// Re-checks a campaign's record: the audit chain, the sealed snapshot, the tables replayed
    /// from the chain, the database against an export, and any export files given.
    pub async fn verify(
        &self,
        campaign_id: &str,
        paths: EvidencePaths,
    ) -> Result<VerifyReportDto, AppError> {
        self.verify_with(campaign_id, paths, None).await
    }

    /// `verify`, and also that the audit chain still holds the head `expect_head` (a hash noted
    /// earlier, e.g. printed in a binder): nothing was cut from the chain's tail since.
    pub async fn verify_with(
        &self,
        campaign_id: &str,
        paths: EvidencePaths,
        expect_head: Option<String>,
    ) -> Result<VerifyReportDto, AppError> {
        // The files handed in, read first: their hashes say which export they are.
        let files = tokio::task::spawn_blocking(move || GivenFiles::read(&paths)).await.map_err(
            |err| AppError::new(ErrorCode::Export, format!("reading the files failed: {err}")),
        )??;
        let id = campaign_id.to_string();
        let hashes = files.hashes();
        let (mut checks, binder, generated_at) = self.with_store(move |store| {
            let mut checks = Vec::new();
            let mut check = |name: &str, ok: bool, detail: String| checks.push(VerifyCheckDto { name: name.into(), ok, detail });
            store.campaign(&id)?;
            let events = store.audit_events(None)?;
            match store.verify_chain()? {
                Ok(head) => check("audit chain", true, format!("{} events, head {head}", store.audit_head_seq()?)),
                Err(b) => check("audit chain", false, format!("event {} {}", b.seq, b.problem)),
            }
            if let Some(expected) = expect_head.as_deref().map(str::to_ascii_lowercase) {
                let head = events.last().map(|e| e.seq).unwrap_or(0);
                match events.iter().find(|e| expected.len() >= 16 && e.hash.starts_with(&expected)) {
                    Some(e) => check(
                        "expected head",
                        true,
                        format!("the chain holds {} at event {} ({} events since)", e.hash, e.seq, head - e.seq),
                    ),
                    None => check(
                        "expected head",
                        false,
                        format!("the chain (head event {head}) does not hold {expected}: events were cut from its tail or rewritten"),
                    ),
                }
            }
            match store.snapshot(&id) {
                Ok(snapshot) => {
                    let pages: Vec<recert_graph::RawPage> = store
                        .snapshot_pages(&id)?
                        .into_iter()
                        .map(|p| recert_graph::RawPage { method: p.method, url: p.url, request_body: p.request_body, body: p.body })
                        .collect();
                    let found = recert_graph::pages_sha256(&pages);
                    let ok = found == snapshot.raw_sha256;
                    check(
                        "sealed snapshot",
                        ok,
                        if ok { format!("{} raw pages ({} requests) hash to {found}", pages.len(), snapshot.requests) } else { format!("the raw pages hash to {found}, the seal says {}", snapshot.raw_sha256) },
                    );
                }
                Err(_) => check("sealed snapshot", false, "the campaign has no snapshot".into()),
            }
            let record = crate::record::replay(store, &id, &events)?;
            let altered = record.iter().any(|c| !c.ok());
            for c in &record {
                check(&format!("{} against the audit chain", c.area), c.ok(), c.detail());
            }
            let exports = store.exports(&id)?;
            let Some(latest) = exports.last() else {
                check("export", false, "no evidence was exported for this campaign yet".into());
                return Ok((checks, None, DateTime::<Utc>::MIN_UTC));
            };
            // The export the files handed in belong to (the newest that recorded their hashes),
            // else the latest.
            let matching = exports.iter().rev().find(|e| {
                let recorded: BTreeMap<String, String> = serde_json::from_str(&e.files).unwrap_or_default();
                hashes.iter().all(|(name, sha)| recorded.get(*name) == Some(sha))
            });
            let export = match (matching, hashes.is_empty()) {
                (Some(export), _) => export,
                (None, true) => latest,
                (None, false) => {
                    check(
                        "export",
                        false,
                        format!("no export of this campaign recorded these files' hashes; they are compared with the latest, of {}", utc(latest.generated_at)),
                    );
                    latest
                }
            };
            let cut = events.iter().find(|e| e.seq == export.audit_seq);
            match (&export.audit_head, cut) {
                (Some(head), Some(e)) if &e.hash == head => check("export's cut", true, format!("export {} of {} was cut at event {} with head {head}", export.id, utc(export.generated_at), export.audit_seq)),
                (Some(head), _) => check("export's cut", false, format!("export {} was cut at event {} with head {head}, which the chain no longer holds", export.id, export.audit_seq)),
                (None, _) => {}
            }
            let mut binder = build_binder(store, &id, export.generated_at, export.audit_seq)?;
            // The binder names the Recert that made it: rebuilt as that one named it.
            if let Some(generator) = &export.generator {
                binder.generator = generator.clone();
            }
            let options = (
                population_attachments(store, &id)?,
                export.signing_key.clone().zip(export.signature.clone()),
                export.audit_seq,
                export.renderer.clone(),
            );
            let evidence_hash = recert_evidence::evidence_hash(&binder);
            if evidence_hash == export.evidence_hash {
                check("database against the export", true, format!("the binder of {} rebuilds to evidence hash {}", utc(export.generated_at), export.evidence_hash));
            } else {
                check(
                    "database against the export",
                    false,
                    if altered {
                        format!("the database no longer rebuilds the export of {}: it was modified outside Recert (see above; evidence hash {} now, {} when exported)", utc(export.generated_at), evidence_hash, export.evidence_hash)
                    } else {
                        format!("the database no longer rebuilds the export of {} and no audited change explains it: it was modified outside Recert (evidence hash {} now, {} when exported)", utc(export.generated_at), evidence_hash, export.evidence_hash)
                    },
                );
            }
            Ok((checks, Some((binder, options)), export.generated_at))
        })
        .await?;
        let Some((binder, (attachments, recorded, audit_seq, renderer))) = binder else {
            let ok = checks.iter().all(|c| c.ok);
            return Ok(VerifyReportDto { campaign_id: campaign_id.to_string(), ok, checks });
        };
        // Rendering the binder again to compare happens without the store.
        let id = campaign_id.to_string();
        tokio::task::spawn_blocking(move || {
            let mut check = |name: &str, ok: bool, detail: String| {
                checks.push(VerifyCheckDto { name: name.into(), ok, detail })
            };
            let exports = files.exports();
            let given = files.count();
            if let Some(pdf) = &files.pdf {
                // The seal inside the PDF handed in: its signature and what it lists.
                match recert_evidence::read_binder(pdf) {
                    Ok(file) => {
                        let (found, _) = recert_evidence::check_binder(&file);
                        for c in found.into_iter().filter(|c| !c.ok || c.name == "signature") {
                            check(&format!("binder {}", c.name), c.ok, c.detail);
                        }
                    }
                    Err(err) => check("binder", false, err),
                }
            }
            if given > 0 {
                // The CSVs and the JSON are rendered again and compared; the PDF as its
                // renderer version allows (see pdf_record).
                let data = Exports { pdf: None, ..exports };
                let mut mismatches = verify_exports_with(
                    &binder,
                    &data,
                    PdfOptions { audit_seq, ..Default::default() },
                )?;
                let mut how = String::new();
                if let Some(pdf) = exports.pdf {
                    let pdf = crate::pdf_record::check_pdf(
                        &binder,
                        pdf,
                        renderer.as_deref(),
                        &attachments,
                        recorded.as_ref(),
                        audit_seq,
                    )?;
                    mismatches.extend(pdf.mismatches);
                    how = format!("; {}", pdf.how);
                }
                if mismatches.is_empty() {
                    check(
                        "export files",
                        true,
                        format!("{given} file(s) match the export of {}{how}", utc(generated_at)),
                    );
                } else {
                    for m in mismatches {
                        check("export files", false, m.to_string());
                    }
                }
            }
            let ok = checks.iter().all(|c| c.ok);
            Ok(VerifyReportDto { campaign_id: id, ok, checks })
        })
        .await
        .map_err(|err| {
            AppError::new(ErrorCode::Export, format!("verifying the files failed: {err}"))
        })?
    }
}

/// The sealed raw population pages as attachments: one JSON object per line, each page's
/// request and body exactly as sealed (text, or hex where a body is not UTF-8), and an index
/// of the lines with each page's SHA-256.
fn population_attachments(store: &Store, campaign_id: &str) -> Result<Vec<Attachment>, AppError> {
    use sha2::Digest;
    let pages = store.snapshot_pages(campaign_id)?;
    if pages.is_empty() {
        return Ok(Vec::new());
    }
    let mut lines = Vec::new();
    let mut index = String::from("page,line,method,url,bytes,sha256\r\n");
    let text = |bytes: &[u8], key: &str| -> (String, serde_json::Value) {
        match std::str::from_utf8(bytes) {
            Ok(s) => (key.to_string(), serde_json::Value::String(s.to_string())),
            Err(_) => (format!("{key}Hex"), serde_json::Value::String(hex::encode(bytes))),
        }
    };
    for (n, p) in pages.iter().enumerate() {
        let mut line = serde_json::Map::new();
        line.insert("page".into(), (n + 1).into());
        line.insert("method".into(), p.method.clone().into());
        line.insert("url".into(), p.url.clone().into());
        match &p.request_body {
            Some(body) => {
                let (k, v) = text(body, "requestBody");
                line.insert(k, v);
            }
            None => {
                line.insert("requestBody".into(), serde_json::Value::Null);
            }
        }
        let (k, v) = text(&p.body, "body");
        line.insert(k, v);
        serde_json::to_writer(&mut lines, &line).map_err(|e| {
            AppError::new(ErrorCode::Export, format!("cannot write the raw pages: {e}"))
        })?;
        lines.push(b'\n');
        index.push_str(&format!(
            "{},{},{},\"{}\",{},{}\r\n",
            n + 1,
            n + 1,
            p.method,
            p.url.replace('"', "\"\""),
            p.body.len(),
            hex::encode(sha2::Sha256::digest(&p.body))
        ));
    }
    Ok(vec![
        Attachment {
            name: recert_evidence::POPULATION_PAGES.into(),
            mime: "application/x-ndjson",
            description: "Every raw response page sealed when the campaign opened, one per line, \
                          with the request that produced it"
                .into(),
            bytes: lines,
        },
        Attachment {
            name: recert_evidence::POPULATION_INDEX.into(),
            mime: "text/csv",
            description: "The index of the raw pages: line, request, size and SHA-256 of each"
                .into(),
            bytes: index.into_bytes(),
        },
    ])
}

/// Re-checks a binder PDF with the file alone (no database): the seal's signature, every
/// attachment against the seal, the JSON against the evidence hash and the CSVs, the pages,
/// and that the population statement's counts follow from the raw pages attached.
pub fn verify_binder(path: &Path) -> Result<VerifyReportDto, AppError> {
    let pdf = read(path)?;
    let file = recert_evidence::read_binder(&pdf)
        .map_err(|e| AppError::new(ErrorCode::Invalid, format!("{}: {e}", path.display())))?;
    let (found, seal) = recert_evidence::check_binder(&file);
    let mut checks: Vec<VerifyCheckDto> = found
        .into_iter()
        .map(|c| VerifyCheckDto { name: c.name.into(), ok: c.ok, detail: c.detail })
        .collect();
    let json: serde_json::Value = file
        .attachments
        .get(recert_evidence::BINDER_JSON)
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    population_from_pages(&file, &json["binder"]["population"], &mut checks);
    let campaign_id = seal.map(|s| s.campaign_id).unwrap_or_default();
    let ok = checks.iter().all(|c| c.ok);
    Ok(VerifyReportDto { campaign_id, ok, checks })
}

/// Re-counts the population from the attached raw pages: their digest against the one sealed
/// at opening, the number of pages, and per Entra role the eligible and active assignments
/// (activations are usage, not assignments) against the statement.
fn population_from_pages(
    file: &recert_evidence::BinderFile,
    statement: &serde_json::Value,
    checks: &mut Vec<VerifyCheckDto>,
) {
    let mut check = |name: &str, ok: bool, detail: String| {
        checks.push(VerifyCheckDto { name: name.into(), ok, detail })
    };
    let Some(ndjson) = file.attachments.get(recert_evidence::POPULATION_PAGES) else {
        check("population", false, "the raw population pages are not attached".into());
        return;
    };
    let mut pages = Vec::new();
    for (n, line) in ndjson.split(|b| *b == b'\n').filter(|l| !l.is_empty()).enumerate() {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            check("population", false, format!("raw page line {} is not JSON", n + 1));
            return;
        };
        let bytes = |key: &str| -> Option<Vec<u8>> {
            v[key]
                .as_str()
                .map(|s| s.as_bytes().to_vec())
                .or_else(|| v[format!("{key}Hex")].as_str().and_then(|h| hex::decode(h).ok()))
        };
        pages.push(recert_graph::RawPage {
            method: v["method"].as_str().unwrap_or_default().to_string(),
            url: v["url"].as_str().unwrap_or_default().to_string(),
            request_body: bytes("requestBody"),
            body: bytes("body").unwrap_or_default(),
        });
    }
    let sealed = statement["raw_sha256"].as_str().unwrap_or_default();
    let found = recert_graph::pages_sha256(&pages);
    check(
        "raw pages",
        found == sealed,
        format!(
            "{} raw pages hash to {found}; the population statement cites {sealed}",
            pages.len()
        ),
    );
    let cited = statement["pages"].as_u64();
    if let Some(cited) = cited {
        check(
            "raw page count",
            cited == pages.len() as u64,
            format!("the statement cites {cited} raw pages; {} are attached", pages.len()),
        );
    }
    // Entra roles: names from the role definitions, counts from the schedule instances.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut counted: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for p in &pages {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&p.body) else { continue };
        let values = body["value"].as_array().cloned().unwrap_or_default();
        let directory = p.url.contains("/roleManagement/directory/");
        if directory && p.url.contains("/roleDefinitions") {
            for v in &values {
                if let (Some(id), Some(name)) = (v["id"].as_str(), v["displayName"].as_str()) {
                    names.insert(id.to_string(), name.to_string());
                }
            }
        } else if directory && p.url.contains("/roleEligibilityScheduleInstances") {
            for v in &values {
                let role = v["roleDefinitionId"].as_str().unwrap_or_default().to_string();
                counted.entry(role).or_default().0 += 1;
            }
        } else if directory && p.url.contains("/roleAssignmentScheduleInstances") {
            for v in values.iter().filter(|v| v["assignmentType"].as_str() != Some("Activated")) {
                let role = v["roleDefinitionId"].as_str().unwrap_or_default().to_string();
                counted.entry(role).or_default().1 += 1;
            }
        }
    }
    let by_name: BTreeMap<String, (u64, u64)> =
        counted.into_iter().map(|(id, n)| (names.get(&id).cloned().unwrap_or(id), n)).collect();
    let mut differ = Vec::new();
    let mut roles = 0;
    for r in statement["roles"].as_array().into_iter().flatten() {
        if r["surface"].as_str() != Some("directoryRole") {
            continue;
        }
        roles += 1;
        let role = r["role"].as_str().unwrap_or_default();
        let stated = (r["eligible"].as_u64().unwrap_or(0), r["active"].as_u64().unwrap_or(0));
        let from_pages = by_name.get(role).copied().unwrap_or_default();
        if stated != from_pages {
            differ.push(format!(
                "{role}: the statement says {} eligible and {} active, the raw pages hold {} and {}",
                stated.0, stated.1, from_pages.0, from_pages.1
            ));
        }
    }
    check(
        "population counts",
        differ.is_empty(),
        if differ.is_empty() {
            format!(
                "the eligible and active counts of {roles} Entra roles follow from the raw pages"
            )
        } else {
            differ.join("; ")
        },
    );
}

/// The export files handed to `verify`, read.
struct GivenFiles {
    pdf: Option<Vec<u8>>,
    csv: Option<Vec<u8>>,
    history: Option<Vec<u8>>,
    remediation: Option<Vec<u8>>,
    json: Option<Vec<u8>>,
}

impl GivenFiles {
    fn read(paths: &EvidencePaths) -> Result<GivenFiles, AppError> {
        let beside = |suffix: &str| -> Result<Option<Vec<u8>>, AppError> {
            paths
                .csv
                .as_deref()
                .map(|p| sibling(p, suffix))
                .filter(|p| p.exists())
                .map(|p| read(&p))
                .transpose()
        };
        Ok(GivenFiles {
            pdf: paths.pdf.as_deref().map(read).transpose()?,
            csv: paths.csv.as_deref().map(read).transpose()?,
            history: beside("history")?,
            remediation: beside("remediation")?,
            json: paths.json.as_deref().map(read).transpose()?,
        })
    }

    /// Each file given, by the name the export record uses, with its SHA-256.
    fn hashes(&self) -> Vec<(&'static str, String)> {
        use sha2::Digest;
        [
            ("pdf", &self.pdf),
            ("decisions.csv", &self.csv),
            ("history.csv", &self.history),
            ("remediation.csv", &self.remediation),
            ("json", &self.json),
        ]
        .into_iter()
        .filter_map(|(name, bytes)| {
            bytes.as_ref().map(|b| (name, hex::encode(sha2::Sha256::digest(b))))
        })
        .collect()
    }

    fn count(&self) -> usize {
        [&self.pdf, &self.csv, &self.history, &self.remediation, &self.json]
            .iter()
            .filter(|f| f.is_some())
            .count()
    }

    fn exports(&self) -> Exports<'_> {
        Exports {
            pdf: self.pdf.as_deref(),
            decisions_csv: self.csv.as_deref(),
            history_csv: self.history.as_deref(),
            remediation_csv: self.remediation.as_deref(),
            json: self.json.as_deref(),
        }
    }
}
