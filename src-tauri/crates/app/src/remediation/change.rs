//! Remediation that changes an assignment instead of removing it, on the app's side: which
//! outcomes become which change, the journaled action for a conversion (its eligibility request
//! and its removal) or a new end, and the re-reads that verify them.

use chrono::{DateTime, Utc};
use recert_domain::remediation::change::{self, Change};
use recert_domain::remediation::{Endpoint, LiveInstance, Verification};
use recert_graph::GraphClient;
use recert_graph::change::{ChangeRequest, change_body};
use recert_graph::remove::{self, RemovalTarget};
use recert_store::remediation::{ActionRecord, NewAction};
use recert_store::worklist::ItemRecord;

use super::{idempotency_key, new_action, removal_target};
use crate::{AppError, ErrorCode};
use recert_domain::review::Outcome;

/// The change an item's outcome asks for, if any.
pub(super) fn change_of(item: &ItemRecord) -> Option<Change> {
    match item.outcome? {
        Outcome::Remove => Some(Change::Remove),
        Outcome::Convert => Some(Change::Convert),
        Outcome::KeepUntil => Some(Change::SetEnd),
        Outcome::Keep | Outcome::Exception => None,
    }
}

/// The journaled action for a conversion or a new end of `item`, planned at `now`: the
/// conversion's eligibility lasts `eligible_days` from then; a new end is the end of the day the
/// reviewer chose.
pub(super) fn new_change_action(
    campaign_id: &str,
    campaign_name: &str,
    item: &ItemRecord,
    endpoint: Endpoint,
    change: Change,
    now: DateTime<Utc>,
    eligible_days: u32,
) -> Result<NewAction, AppError> {
    let why = item.outcome_reason.clone().unwrap_or_else(|| change.as_str().into());
    let justification = format!("Recert access review \"{campaign_name}\" ({campaign_id}): {why}");
    let target = removal_target(endpoint, &item.role_id, &item.scope, &item.principal_id);
    let mut action = new_action(campaign_id, campaign_name, item, endpoint);
    action.change = change;
    match change {
        Change::Remove => {}
        Change::Convert => {
            let end = change::eligible_until(now, eligible_days);
            let eligibility = RemovalTarget { endpoint: endpoint.eligibility(), ..target };
            let body = change_body(
                ChangeRequest::Assign,
                &eligibility,
                now,
                end,
                &justification,
                campaign_id,
            );
            // Its own key: the eligibility request and the removal are two requests.
            let key = idempotency_key(
                campaign_id,
                item.id,
                &format!("{}/eligibility", item.source_id),
                0,
            );
            action.new_end = Some(end);
            action.first = Some((body.to_string(), key));
        }
        Change::SetEnd => {
            let date = item
                .outcome_until
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::Storage,
                        format!(
                            "item {} is kept until a date, but the date is unreadable",
                            item.id
                        ),
                    )
                })?;
            let end = change::end_of_day(date);
            let start = item.start_at.unwrap_or(now).min(now);
            let body = change_body(
                ChangeRequest::Update,
                &target,
                start,
                end,
                &justification,
                campaign_id,
            );
            action.new_end = Some(end);
            action.request_body = body.to_string();
        }
    }
    Ok(action)
}

/// Where a conversion's eligibility is made and re-read.
pub(super) fn eligibility_target(target: &RemovalTarget) -> RemovalTarget {
    RemovalTarget { endpoint: target.endpoint.eligibility(), ..target.clone() }
}

/// The verification of every change that is not a removal among `actions` (with their targets),
/// from re-reads made now. A read that failed leaves its action unverified this pass.
pub(super) async fn verify_changes(
    client: &GraphClient,
    actions: &[(ActionRecord, RemovalTarget)],
) -> Vec<(u32, Verification, String)> {
    let mut reads: Vec<RemovalTarget> = Vec::new();
    for (a, target) in actions {
        reads.push(target.clone());
        if a.change == Change::Convert {
            reads.push(eligibility_target(target));
        }
    }
    let mut lives = remove::read_live(client, &reads).await.into_iter();
    let mut out = Vec::new();
    for (a, _) in actions {
        let first: Option<Vec<LiveInstance>> = lives.next().and_then(Result::ok);
        match a.change {
            Change::Convert => {
                let eligible = lives.next().and_then(Result::ok);
                if let (Some(active), Some(eligible)) = (first, eligible) {
                    let (v, note) = change::verify_convert(a.verification, &active, &eligible);
                    out.push((a.item_id, v, note));
                }
            }
            Change::SetEnd => {
                if let (Some(live), Some(end)) = (first, a.new_end) {
                    let (v, note) = change::verify_end(&live, end);
                    out.push((a.item_id, v, note));
                }
            }
            Change::Remove => {}
        }
    }
    out
}
