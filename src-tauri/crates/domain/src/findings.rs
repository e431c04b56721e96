//! Auditor findings: the tests an auditor performs on a finished review, computed from its items,
//! decisions and removals so the binder states them before anyone asks — non-response, default
//! outcomes on critical roles, rubber-stamping per reviewer, reviewers who hold the most
//! powerful roles themselves, reciprocal reviews, removals not verified, lateness against the
//! schedule, and items nobody decided. Each finding names the items or people behind it.
//!
//! Pure: the caller passes the facts (and no clock is read).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::remediation::{GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR};

/// At least this many decisions before a reviewer's pattern is judged at all.
pub const PATTERN_MIN_DECISIONS: usize = 5;
/// A reviewer who decided more than this share in bulk is flagged.
pub const BULK_SHARE_LIMIT: f64 = 0.5;
/// A reviewer who agreed with the recommendation on more than this share is flagged.
pub const AGREEMENT_LIMIT: f64 = 0.95;
/// A median under this many seconds between decisions is flagged.
pub const FAST_MEDIAN_SECONDS: f64 = 10.0;
/// A reviewer whose most common justification covers more than this share is flagged.
pub const IDENTICAL_SHARE_LIMIT: f64 = 0.5;

/// One review item, as far as the findings need it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewedItem {
    pub id: u32,
    /// The role's template id (critical roles are recognised by it) and its name.
    pub role_id: String,
    pub role: String,
    /// The holder's object id and UPN (or name).
    pub holder_id: String,
    pub holder: String,
    /// The reviewers it was routed to.
    pub reviewers: Vec<Person>,
    /// `approve` or `deny`, when a recommendation was made.
    pub recommendation: Option<String>,
    /// `keep`, `remove` or `exception` once closed.
    pub outcome: Option<String>,
}

/// A person by object id (what decisions are checked against) and by the name a reader knows
/// them by (UPN, else display name): findings name people, never bare object ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub name: String,
}

/// One decision recorded (every one, including those later replaced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MadeDecision {
    pub item: u32,
    /// The person who decided: object id and UPN.
    pub by_id: String,
    pub by: String,
    pub at: DateTime<Utc>,
    pub verdict: String,
    pub justification: String,
    pub bulk: bool,
    /// False when a later decision for the same reviewer replaced it.
    pub stands: bool,
}

/// One removal and its latest verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovalState {
    pub item: u32,
    /// `verified-removed`, `still-present`, `reappeared`, `verified-changed`, `not-changed`, or
    /// `None` before any verification.
    pub verified: Option<String>,
    /// A named admin kept the access instead (an exception with a reason).
    pub kept: bool,
}

/// When the campaign should have and did reach its milestones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Milestones {
    pub window_end: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub remediation_deadline: Option<DateTime<Utc>>,
    pub remediation_done_at: Option<DateTime<Utc>>,
    /// The moment the findings are computed for (the binder's cut).
    pub as_of: DateTime<Utc>,
}

/// Everything the findings are computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewFacts {
    pub items: Vec<ReviewedItem>,
    pub decisions: Vec<MadeDecision>,
    pub removals: Vec<RemovalState>,
    pub milestones: Milestones,
}

/// Which test a finding reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    NonResponse,
    DefaultOnCriticalRoles,
    RubberStamping,
    ReviewerHoldsCriticalRole,
    ReciprocalReviews,
    RemovalsNotVerified,
    Lateness,
    ItemsWithoutDecision,
}

impl FindingKind {
    pub fn title(self) -> &'static str {
        match self {
            FindingKind::NonResponse => "Non-response rate",
            FindingKind::DefaultOnCriticalRoles => "Default outcomes on critical roles",
            FindingKind::RubberStamping => "Rubber-stamping measures per reviewer",
            FindingKind::ReviewerHoldsCriticalRole => {
                "Reviewers who hold Global or Privileged Role Administrator"
            }
            FindingKind::ReciprocalReviews => "Reciprocal reviews",
            FindingKind::RemovalsNotVerified => "Removals not verified",
            FindingKind::Lateness => "Lateness against the schedule",
            FindingKind::ItemsWithoutDecision => "Items without a decision",
        }
    }
}

/// One computed finding: its measure in words, whether it is raised (needs the auditor's
/// attention), and the items and people behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    pub raised: bool,
    pub measure: String,
    pub items: Vec<u32>,
    pub people: Vec<String>,
}

/// How one reviewer decided: the rubber-stamp measures.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewerPattern {
    pub reviewer: String,
    pub decisions: usize,
    pub bulk_share: f64,
    /// Share of decisions that agreed with a recommendation, over those that had one.
    pub agreement: Option<f64>,
    pub median_seconds: Option<f64>,
    /// Share of decisions carrying the reviewer's most common justification.
    pub identical_share: f64,
    /// Which limits this reviewer crossed, in words.
    pub flags: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Findings {
    pub findings: Vec<Finding>,
    pub reviewers: Vec<ReviewerPattern>,
}

/// Is this one of the roles whose holders can take over the tenant?
pub fn is_critical_role(role_id: &str) -> bool {
    role_id.eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR)
        || role_id.eq_ignore_ascii_case(PRIVILEGED_ROLE_ADMINISTRATOR)
}

fn share(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "0 of 0".into();
    }
    format!("{part} of {whole} ({:.1}%)", part as f64 * 100.0 / whole as f64)
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

fn days(d: chrono::Duration) -> String {
    let n = d.num_hours().unsigned_abs().div_ceil(24);
    format!("{n} day{}", if n == 1 { "" } else { "s" })
}

/// The standing decision per item: the latest that stands.
fn standing(facts: &ReviewFacts) -> HashMap<u32, &MadeDecision> {
    let mut out = HashMap::new();
    for d in facts.decisions.iter().filter(|d| d.stands) {
        out.insert(d.item, d);
    }
    out
}

fn patterns(facts: &ReviewFacts) -> Vec<ReviewerPattern> {
    let recommendation: HashMap<u32, &str> =
        facts.items.iter().filter_map(|i| Some((i.id, i.recommendation.as_deref()?))).collect();
    let mut by: BTreeMap<&str, Vec<&MadeDecision>> = BTreeMap::new();
    for d in &facts.decisions {
        by.entry(d.by.as_str()).or_default().push(d);
    }
    by.into_iter()
        .map(|(reviewer, mut theirs)| {
            theirs.sort_by_key(|d| d.at);
            let n = theirs.len();
            let bulk_share = theirs.iter().filter(|d| d.bulk).count() as f64 / n as f64;
            let with_rec: Vec<_> =
                theirs.iter().filter_map(|d| Some((d, recommendation.get(&d.item)?))).collect();
            let agreement = (!with_rec.is_empty()).then(|| {
                with_rec.iter().filter(|(d, r)| d.verdict == **r).count() as f64
                    / with_rec.len() as f64
            });
            let median_seconds = median(
                theirs
                    .windows(2)
                    .map(|w| (w[1].at - w[0].at).num_milliseconds() as f64 / 1000.0)
                    .collect(),
            );
            let mut texts: HashMap<&str, usize> = HashMap::new();
            for d in &theirs {
                let t = d.justification.trim();
                if !t.is_empty() {
                    *texts.entry(t).or_default() += 1;
                }
            }
            let identical_share = texts.values().copied().max().unwrap_or(0) as f64 / n as f64;
            let mut flags = Vec::new();
            if n >= PATTERN_MIN_DECISIONS {
                if bulk_share > BULK_SHARE_LIMIT {
                    flags.push(format!("{:.0}% decided in bulk", bulk_share * 100.0));
                }
                if agreement.is_some_and(|a| a > AGREEMENT_LIMIT)
                    && with_rec.len() >= PATTERN_MIN_DECISIONS
                {
                    flags.push(format!(
                        "{:.0}% agreed with the recommendation",
                        agreement.unwrap_or(0.0) * 100.0
                    ));
                }
                if median_seconds.is_some_and(|m| m < FAST_MEDIAN_SECONDS) {
                    flags.push(format!(
                        "median {:.1} s between decisions",
                        median_seconds.unwrap_or(0.0)
                    ));
                }
                if identical_share > IDENTICAL_SHARE_LIMIT {
                    flags.push(format!("{:.0}% share one justification", identical_share * 100.0));
                }
            }
            ReviewerPattern {
                reviewer: reviewer.to_string(),
                decisions: n,
                bulk_share,
                agreement,
                median_seconds,
                identical_share,
                flags,
            }
        })
        .collect()
}

/// Computes every finding, in the order the page shows them.
pub fn findings(facts: &ReviewFacts) -> Findings {
    let stands = standing(facts);
    let total = facts.items.len();
    let closed = facts.milestones.closed_at.is_some();
    let undecided: Vec<u32> =
        facts.items.iter().filter(|i| !stands.contains_key(&i.id)).map(|i| i.id).collect();
    let mut out = Vec::new();

    // Non-response: the rate, and the reviewers who decided none of what they were sent.
    let decided_by: BTreeSet<&str> = facts.decisions.iter().map(|d| d.by_id.as_str()).collect();
    // A silent reviewer decided nothing, so only the routing knows their name.
    let mut silent: BTreeMap<&str, &str> = BTreeMap::new();
    for i in &facts.items {
        for r in &i.reviewers {
            if !decided_by.contains(r.id.as_str()) {
                let name = if r.name.trim().is_empty() { &r.id } else { &r.name };
                silent.insert(&r.id, name);
            }
        }
    }
    out.push(Finding {
        kind: FindingKind::NonResponse,
        raised: !undecided.is_empty(),
        measure: format!(
            "{} items had no decision{}; {} reviewer(s) decided none of their items",
            share(undecided.len(), total),
            if closed { " at close" } else { " so far" },
            silent.len()
        ),
        items: undecided.clone(),
        people: silent
            .values()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    });

    // Default outcomes on critical roles: nobody decided, and the default settled it.
    let critical_defaults: Vec<u32> = facts
        .items
        .iter()
        .filter(|i| is_critical_role(&i.role_id) && !stands.contains_key(&i.id))
        .map(|i| i.id)
        .collect();
    let critical_total = facts.items.iter().filter(|i| is_critical_role(&i.role_id)).count();
    out.push(Finding {
        kind: FindingKind::DefaultOnCriticalRoles,
        raised: !critical_defaults.is_empty(),
        measure: format!(
            "{} items on Global or Privileged Role Administrator were settled by the default, \
             not by a reviewer",
            share(critical_defaults.len(), critical_total)
        ),
        items: critical_defaults,
        people: Vec::new(),
    });

    let reviewers = patterns(facts);
    let flagged: Vec<&ReviewerPattern> = reviewers.iter().filter(|r| !r.flags.is_empty()).collect();
    let flagged_names: BTreeSet<&str> = flagged.iter().map(|r| r.reviewer.as_str()).collect();
    out.push(Finding {
        kind: FindingKind::RubberStamping,
        raised: !flagged.is_empty(),
        measure: format!(
            "{} of {} reviewers crossed a limit (bulk over {:.0}%, agreement with the \
             recommendation over {:.0}%, median under {:.0} s, one justification over {:.0}%; \
             judged from {} decisions up)",
            flagged.len(),
            reviewers.len(),
            BULK_SHARE_LIMIT * 100.0,
            AGREEMENT_LIMIT * 100.0,
            FAST_MEDIAN_SECONDS,
            IDENTICAL_SHARE_LIMIT * 100.0,
            PATTERN_MIN_DECISIONS
        ),
        items: stands
            .values()
            .filter(|d| flagged_names.contains(d.by.as_str()))
            .map(|d| d.item)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        people: flagged.iter().map(|r| r.reviewer.clone()).collect(),
    });

    // Reviewers (routed or deciding) who hold a critical role in this population themselves.
    let critical_holders: HashMap<&str, &str> = facts
        .items
        .iter()
        .filter(|i| is_critical_role(&i.role_id))
        .map(|i| (i.holder_id.as_str(), i.holder.as_str()))
        .collect();
    let mut reviewing: BTreeMap<&str, &str> = BTreeMap::new();
    for i in &facts.items {
        for r in &i.reviewers {
            if let Some(name) = critical_holders.get(r.id.as_str()) {
                reviewing.insert(&r.id, name);
            }
        }
    }
    for d in &facts.decisions {
        if let Some(name) = critical_holders.get(d.by_id.as_str()) {
            reviewing.insert(&d.by_id, name);
        }
    }
    let their_items: Vec<u32> = facts
        .items
        .iter()
        .filter(|i| {
            i.reviewers.iter().any(|r| reviewing.contains_key(r.id.as_str()))
                || stands.get(&i.id).is_some_and(|d| reviewing.contains_key(d.by_id.as_str()))
        })
        .map(|i| i.id)
        .collect();
    out.push(Finding {
        kind: FindingKind::ReviewerHoldsCriticalRole,
        raised: !reviewing.is_empty(),
        measure: format!(
            "{} reviewer(s) hold Global or Privileged Role Administrator themselves, reviewing {} \
             item(s)",
            reviewing.len(),
            their_items.len()
        ),
        items: their_items,
        people: reviewing
            .values()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    });

    // Reciprocal reviews: A reviews (or decided) B's access while B reviews A's.
    let mut reviews: BTreeSet<(&str, &str, u32)> = BTreeSet::new();
    for i in &facts.items {
        for r in &i.reviewers {
            reviews.insert((r.id.as_str(), i.holder_id.as_str(), i.id));
        }
        if let Some(d) = stands.get(&i.id) {
            reviews.insert((d.by_id.as_str(), i.holder_id.as_str(), i.id));
        }
    }
    let pairs: BTreeSet<(&str, &str)> = reviews.iter().map(|(a, b, _)| (*a, *b)).collect();
    let holder_name: HashMap<&str, &str> =
        facts.items.iter().map(|i| (i.holder_id.as_str(), i.holder.as_str())).collect();
    let mut reciprocal_items = BTreeSet::new();
    let mut reciprocal_people = BTreeSet::new();
    for &(a, b, item) in &reviews {
        if a != b && pairs.contains(&(b, a)) {
            reciprocal_items.insert(item);
            let name = |id: &str| holder_name.get(id).copied().unwrap_or(id).to_string();
            let (x, y) = if a < b { (a, b) } else { (b, a) };
            reciprocal_people.insert(format!("{} ↔ {}", name(x), name(y)));
        }
    }
    out.push(Finding {
        kind: FindingKind::ReciprocalReviews,
        raised: !reciprocal_items.is_empty(),
        measure: format!(
            "{} pair(s) of people review each other's access, on {} item(s)",
            reciprocal_people.len(),
            reciprocal_items.len()
        ),
        items: reciprocal_items.into_iter().collect(),
        people: reciprocal_people.into_iter().collect(),
    });

    let unverified: Vec<u32> = facts
        .removals
        .iter()
        // A conversion or a new end verified as asked is verified too.
        .filter(|r| {
            !r.kept
                && !matches!(r.verified.as_deref(), Some("verified-removed" | "verified-changed"))
        })
        .map(|r| r.item)
        .collect();
    out.push(Finding {
        kind: FindingKind::RemovalsNotVerified,
        raised: !unverified.is_empty(),
        measure: format!(
            "{} removals are not verified removed by re-reading the tenant (latest verification)",
            share(unverified.len(), facts.removals.iter().filter(|r| !r.kept).count())
        ),
        items: unverified,
        people: Vec::new(),
    });

    let m = facts.milestones;
    let mut late = Vec::new();
    match m.closed_at {
        Some(c) if c - m.window_end > chrono::Duration::hours(24) => {
            late.push(format!("closed {} after the review window ended", days(c - m.window_end)));
        }
        None if m.as_of - m.window_end > chrono::Duration::hours(24) => {
            late.push(format!(
                "still open {} after the review window ended",
                days(m.as_of - m.window_end)
            ));
        }
        _ => {}
    }
    match (m.remediation_deadline, m.remediation_done_at) {
        (Some(deadline), Some(done)) if done > deadline => {
            late.push(format!("remediation finished {} after its deadline", days(done - deadline)));
        }
        (Some(deadline), None) if m.as_of > deadline && !facts.removals.is_empty() => {
            late.push(format!(
                "remediation unfinished {} after its deadline",
                days(m.as_of - deadline)
            ));
        }
        _ => {}
    }
    out.push(Finding {
        kind: FindingKind::Lateness,
        raised: !late.is_empty(),
        measure: if late.is_empty() {
            "closed and remediated within the schedule".into()
        } else {
            late.join("; ")
        },
        items: Vec::new(),
        people: Vec::new(),
    });

    out.push(Finding {
        kind: FindingKind::ItemsWithoutDecision,
        raised: !undecided.is_empty(),
        measure: format!("{} items have no standing decision", share(undecided.len(), total)),
        items: undecided,
        people: Vec::new(),
    });

    Findings { findings: out, reviewers }
}

#[cfg(test)]
mod tests;
