//! The remediation journal and the holds replayed from the campaign's audit events and
//! compared with their tables: each removal's state, request, verification and who kept it;
//! each hold's code and who confirmed or kept it, and why.

use std::collections::{BTreeMap, HashMap};

use recert_store::Store;
use recert_store::audit::AuditEvent;
use recert_store::remediation::{ActionRecord, HoldRecord};
use serde_json::Value;

use super::{Comparison, show, str_of, u32_of};
use crate::AppError;

/// A removal as its audit events tell it.
#[derive(Default, Clone)]
struct Replayed {
    state: String,
    request_id: Option<String>,
    verification: Option<String>,
    kept_by: Option<String>,
}

/// A hold as its audit events tell it.
#[derive(Default, Clone)]
struct Hold {
    code: String,
    confirmed_by: Option<String>,
    kept_by: Option<String>,
    kept_reason: Option<String>,
}

/// The journal and the holds as the chain tells them, per item.
#[derive(Default)]
struct Chain {
    actions: BTreeMap<u32, Replayed>,
    holds: BTreeMap<u32, Hold>,
    /// Whether the plan event listed its removals and holds (earlier ones did not); none when
    /// nothing was planned.
    planned_with_items: Option<bool>,
}

/// The remediation journal and the holds replayed from the chain.
pub(super) fn compare_remediation(
    store: &Store,
    campaign_id: &str,
    campaign_events: &[&AuditEvent],
) -> Result<(Comparison, Comparison), AppError> {
    let chain = replay(campaign_events);
    let journal = compare_journal(&store.remediation_actions(campaign_id)?, &chain);
    let holds = compare_holds(&store.remediation_holds(campaign_id)?, &chain);
    Ok((journal, holds))
}

fn replay(campaign_events: &[&AuditEvent]) -> Chain {
    let mut chain = Chain::default();
    let Chain { actions, holds, planned_with_items } = &mut chain;
    for e in campaign_events {
        if !e.kind.starts_with("remediation.") {
            continue;
        }
        let p: Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let item = u32_of(&p["item"]);
        match (e.kind.as_str(), item) {
            ("remediation.planned", _) => {
                let listed = p["actionItems"].as_array().is_some();
                *planned_with_items = Some(listed);
                for i in p["actionItems"].as_array().into_iter().flatten().filter_map(u32_of) {
                    actions.insert(i, Replayed { state: "planned".into(), ..Default::default() });
                }
                for h in p["holds"].as_array().into_iter().flatten() {
                    if let Some(i) = u32_of(&h["item"]) {
                        holds.insert(
                            i,
                            Hold {
                                code: str_of(&h["code"]).unwrap_or_default(),
                                ..Default::default()
                            },
                        );
                    }
                }
            }
            ("remediation.confirmed", Some(i)) => {
                actions.insert(i, Replayed { state: "planned".into(), ..Default::default() });
                holds.entry(i).or_default().confirmed_by =
                    str_of(&p["confirmedBy"]["upn"]).or_else(|| Some(e.actor.clone()));
            }
            ("remediation.kept", Some(i)) => {
                let h = holds.entry(i).or_default();
                h.kept_by = str_of(&p["keptBy"]["upn"]).or_else(|| Some(e.actor.clone()));
                h.kept_reason = str_of(&p["reason"]);
            }
            ("remediation.submitted", Some(i)) => {
                actions.entry(i).or_default().state = "submitted".into();
            }
            ("remediation.succeeded" | "remediation.failed" | "remediation.skipped", Some(i)) => {
                let a = actions.entry(i).or_default();
                a.state = e.kind.trim_start_matches("remediation.").to_string();
                if let Some(id) = str_of(&p["requestId"]) {
                    a.request_id = Some(id);
                }
            }
            ("remediation.retried" | "remediation.replanned", Some(i)) => {
                let a = actions.entry(i).or_default();
                a.state = "planned".into();
                a.verification = None;
            }
            ("remediation.exceptionKept", Some(i)) => {
                actions.entry(i).or_default().kept_by =
                    str_of(&p["keptBy"]["upn"]).or_else(|| Some(e.actor.clone()));
            }
            ("remediation.verified", _) => {
                let flagged: HashMap<u32, String> = p["flagged"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| Some((u32_of(&f["item"])?, str_of(&f["verification"])?)))
                    .collect();
                for i in p["items"].as_array().into_iter().flatten().filter_map(u32_of) {
                    let v = flagged.get(&i).cloned().unwrap_or_else(|| "verified-removed".into());
                    actions.entry(i).or_default().verification = Some(v);
                }
            }
            _ => {}
        }
    }
    chain
}

fn compare_journal(table: &[ActionRecord], chain: &Chain) -> Comparison {
    let mut journal = Comparison::new("remediation");
    if chain.planned_with_items == Some(false) {
        journal.compared = "planned before the plan event listed its removals: not replayed".into();
        return journal;
    }
    for a in table {
        let Some(r) = chain.actions.get(&a.item_id) else {
            journal.differences.push(format!(
                "item {}: the journal holds a removal that no audit event planned",
                a.item_id
            ));
            continue;
        };
        let which = format!("item {}'s removal", a.item_id);
        if a.state.as_str() != r.state {
            journal.differences.push(format!(
                "{which}: the journal says {:?}, the audit chain {:?}",
                a.state.as_str(),
                r.state
            ));
        }
        if r.request_id.is_some() && a.request_id != r.request_id {
            journal.differences.push(format!(
                "{which}: the journal says request {}, the audit chain {}",
                show(a.request_id.as_deref()),
                show(r.request_id.as_deref())
            ));
        }
        let verification = a.verification.map(|v| v.as_str().to_string());
        if verification != r.verification {
            journal.differences.push(format!(
                "{which}: the journal says verification {}, the audit chain {}",
                show(verification.as_deref()),
                show(r.verification.as_deref())
            ));
        }
        let kept = a.kept.as_ref().map(|k| k.by_upn.clone());
        if kept != r.kept_by {
            journal.differences.push(format!(
                "{which}: the journal says kept by {}, the audit chain {}",
                show(kept.as_deref()),
                show(r.kept_by.as_deref())
            ));
        }
    }
    for item in chain.actions.keys() {
        if !table.iter().any(|a| a.item_id == *item) {
            journal.differences.push(format!(
                "item {item}: the audit chain journals a removal the table no longer holds"
            ));
        }
    }
    journal.compared = format!("{} removals match their audit events", table.len());
    journal
}

fn compare_holds(table: &[HoldRecord], chain: &Chain) -> Comparison {
    let mut holds = Comparison::new("holds");
    if chain.planned_with_items != Some(true) {
        holds.compared = if chain.planned_with_items.is_none() {
            "no remediation plan yet".into()
        } else {
            "planned before the plan event listed its holds: not replayed".into()
        };
        return holds;
    }
    for h in table {
        let Some(r) = chain.holds.get(&h.item_id) else {
            holds.differences.push(format!("item {}: a hold no audit event planned", h.item_id));
            continue;
        };
        let which = format!("item {}'s hold", h.item_id);
        if h.code != r.code {
            holds
                .differences
                .push(format!("{which}: the table says {:?}, the plan event {:?}", h.code, r.code));
        }
        if h.confirmed_by_upn != r.confirmed_by {
            holds.differences.push(format!(
                "{which}: the table says confirmed by {}, the audit chain {}",
                show(h.confirmed_by_upn.as_deref()),
                show(r.confirmed_by.as_deref())
            ));
        }
        let kept = h.kept.as_ref().map(|k| k.by_upn.clone());
        if kept != r.kept_by {
            holds.differences.push(format!(
                "{which}: the table says kept by {}, the audit chain {}",
                show(kept.as_deref()),
                show(r.kept_by.as_deref())
            ));
        }
        let reason = h.kept.as_ref().map(|k| k.reason.clone());
        if kept.is_some() && reason != r.kept_reason {
            holds.differences.push(format!(
                "{which}: the table says kept because {}, the audit chain {}",
                show(reason.as_deref()),
                show(r.kept_reason.as_deref())
            ));
        }
    }
    for item in chain.holds.keys() {
        if !table.iter().any(|h| h.item_id == *item) {
            holds
                .differences
                .push(format!("item {item}: the plan event holds it, the table no longer does"));
        }
    }
    holds.compared = format!("{} holds match their audit events", table.len());
    holds
}
