//! Audit replay for the binder: the remediation log and the exceptions as the audit events up
//! to the binder's cut tell them, so a binder rebuilt later reads the same.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use recert_domain::remediation::change::Change;
use recert_evidence::model::{ExceptionEntry, RemediationEntry, VerificationRecord};
use recert_store::Store;
use recert_store::remediation::HoldRecord;
use recert_store::worklist::ItemRecord;

use super::utc;
use crate::AppError;

/// The campaign's remediation events up to the cut, each with its payload parsed.
pub(super) fn remediation_events<'a>(
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
pub(super) fn event_time(e: &recert_store::audit::AuditEvent) -> String {
    DateTime::parse_from_rfc3339(&e.at).map(|t| utc(t.with_timezone(&Utc))).unwrap_or(e.at.clone())
}

/// The remediation log as of the cut: each journaled removal with what the audit events up to the
/// cut say of it (when it was sent, its result, the last verification that checked it), so that
/// the binder rebuilt later, after more remediation, reads the same.
pub(super) fn remediation_log(
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
                    format!("set the {} assignment's end to {}", action.kind.as_str(), utc(end))
                }
                _ => format!("remove the {} assignment", action.kind.as_str()),
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
pub(super) fn held_exceptions(
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
pub(super) fn unmade_exceptions(
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
