//! The auditor's findings of the binder, computed by the domain's rules.

use std::collections::HashMap;

use recert_evidence::model::{ExceptionEntry, Finding, RemediationEntry, ReviewerPattern};
use recert_store::worklist::ItemRecord;

/// The auditor's tests, computed by the domain's rules from the same items, decisions and
/// removals the binder's detail pages show.
#[allow(clippy::too_many_arguments)]
pub(super) fn auditor_findings(
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
                outcome: if closed { i.outcome.map(|o| o.as_str().to_string()) } else { None },
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
