//! Decisions and outcomes: who may decide an item, the justification rules, how several
//! reviewers' decisions combine, and what each item becomes at close.

use chrono::{DateTime, Utc};

use crate::Membership;
use crate::campaign::{MultiReviewerRule, NoResponse, Settings};
use crate::routing::Separation;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Approve,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        match s.to_ascii_lowercase().as_str() {
            "approve" | "approved" | "keep" => Some(Verdict::Approve),
            "deny" | "denied" | "remove" => Some(Verdict::Deny),
            _ => None,
        }
    }
}

/// Why a decision is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecisionError {
    JustificationRequired(Verdict),
    /// The decider is neither a reviewer of the item nor a governance admin.
    NotAReviewer,
    /// Nobody decides on their own access, governance admins included.
    OwnAccess,
}

impl std::fmt::Display for DecisionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecisionError::JustificationRequired(v) => {
                write!(f, "this campaign requires a justification to {}", v.as_str())
            }
            DecisionError::NotAReviewer => f.write_str(
                "only the item's reviewer, or a governance admin acting for them, may decide it",
            ),
            DecisionError::OwnAccess => f.write_str("nobody may decide on their own access"),
        }
    }
}

impl std::error::Error for DecisionError {}

/// The justification rules of the campaign's settings.
pub fn check_justification(
    settings: &Settings,
    verdict: Verdict,
    justification: &str,
) -> Result<(), DecisionError> {
    let required = match verdict {
        Verdict::Approve => settings.justification_on_approve,
        Verdict::Deny => settings.justification_on_deny,
    };
    if required && justification.trim().is_empty() {
        Err(DecisionError::JustificationRequired(verdict))
    } else {
        Ok(())
    }
}

/// Whom a decision by `actor_id` counts for: `Ok(None)` for the actor itself, when it is a
/// reviewer of the item (or, for a governance admin, when the item has no reviewer at all);
/// `Ok(Some(reviewer))` when a governance admin acts for the first reviewer still to decide (or
/// the first reviewer).
///
/// Nobody decides on their own access, governance admins included — and a member (direct or
/// transitive) of the group that holds the role is deciding on their own access too. The one
/// exception: in self-review mode the holder is the item's assigned reviewer, and attesting is
/// the point. Routing never assigns a holder (or a member) to their own item in any other mode.
pub fn acting_for<'a>(
    actor_id: &str,
    holder_id: &str,
    reviewers: &'a [String],
    undecided: &[&str],
    is_governance_admin: bool,
    separation: &Separation,
) -> Result<Option<&'a str>, DecisionError> {
    if reviewers.iter().any(|r| r == actor_id) {
        return Ok(None);
    }
    if separation.is_own(actor_id, holder_id) {
        return Err(DecisionError::OwnAccess);
    }
    if !is_governance_admin {
        return Err(DecisionError::NotAReviewer);
    }
    let target =
        reviewers.iter().find(|r| undecided.contains(&r.as_str())).or_else(|| reviewers.first());
    Ok(target.map(String::as_str))
}

/// A reviewer's decision as it stands (the latest of theirs), with the time of their first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub reviewer_id: String,
    pub verdict: Verdict,
    pub first_at: DateTime<Utc>,
}

/// What an item becomes at close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Keep,
    Remove,
    /// Cannot be removed automatically; a person must act.
    Exception,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Keep => "keep",
            Outcome::Remove => "remove",
            Outcome::Exception => "exception",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "keep" => Some(Outcome::Keep),
            "remove" => Some(Outcome::Remove),
            "exception" => Some(Outcome::Exception),
            _ => None,
        }
    }
}

/// Why an item ended as it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeReason {
    Approved,
    Denied,
    /// All must approve and one reviewer denied.
    DeniedByOne,
    /// Nobody (or not everyone) decided; the campaign's default applied. With the default
    /// `Recommendation`, it means there was no recommendation to follow, and access was kept.
    NoResponse(NoResponse),
    /// Nobody decided and the default follows the recommendation.
    FollowedRecommendation(Verdict),
    /// Removal was due, but the access comes through a group: a person must change the group.
    ViaGroup,
}

impl OutcomeReason {
    pub fn code(&self) -> &'static str {
        match self {
            OutcomeReason::Approved => "approved",
            OutcomeReason::Denied => "denied",
            OutcomeReason::DeniedByOne => "deniedByOne",
            OutcomeReason::NoResponse(_) => "noResponse",
            OutcomeReason::FollowedRecommendation(_) => "followedRecommendation",
            OutcomeReason::ViaGroup => "viaGroup",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            OutcomeReason::Approved => "approved by the reviewer".into(),
            OutcomeReason::Denied => "denied by the reviewer".into(),
            OutcomeReason::DeniedByOne => {
                "denied by one of the reviewers (all must approve)".into()
            }
            OutcomeReason::NoResponse(NoResponse::Keep) => {
                "no response; the campaign's default is to keep access".into()
            }
            OutcomeReason::NoResponse(NoResponse::Remove) => {
                "no response; the campaign's default is to remove access".into()
            }
            OutcomeReason::NoResponse(NoResponse::Recommendation) => {
                "no response, and no recommendation to follow: access kept".into()
            }
            OutcomeReason::FollowedRecommendation(v) => {
                format!("no response; followed the recommendation to {}", v.as_str())
            }
            OutcomeReason::ViaGroup => {
                "removal due, but the access comes through a group membership: change the group"
                    .into()
            }
        }
    }
}

/// The verdict that stands for the item, or `None` when the reviewers have not (all) decided.
///
/// Only the item's reviewers count; an item without reviewers (every fallback was the holder)
/// counts the decisions that governance admins made on it. A reviewer's standing verdict is
/// their latest, so a changed decision counts as changed; under `FirstDecides` the reviewer who
/// decided first (ties broken by the reviewers' order) is the one whose verdict stands.
pub fn combined_verdict(
    rule: MultiReviewerRule,
    reviewers: &[String],
    standing: &[Standing],
) -> Option<(Verdict, OutcomeReason)> {
    let rank = |s: &Standing| reviewers.iter().position(|r| *r == s.reviewer_id);
    let counted: Vec<&Standing> =
        standing.iter().filter(|s| reviewers.is_empty() || rank(s).is_some()).collect();
    match rule {
        MultiReviewerRule::FirstDecides => {
            counted.iter().min_by_key(|s| (s.first_at, rank(s))).map(|s| match s.verdict {
                Verdict::Approve => (Verdict::Approve, OutcomeReason::Approved),
                Verdict::Deny => (Verdict::Deny, OutcomeReason::Denied),
            })
        }
        MultiReviewerRule::AllMustApprove => {
            let all_decided = if reviewers.is_empty() {
                !counted.is_empty()
            } else {
                reviewers.iter().all(|r| counted.iter().any(|s| &s.reviewer_id == r))
            };
            if counted.iter().any(|s| s.verdict == Verdict::Deny) {
                let several = reviewers.len() > 1 || counted.len() > 1;
                Some((
                    Verdict::Deny,
                    if several { OutcomeReason::DeniedByOne } else { OutcomeReason::Denied },
                ))
            } else if all_decided {
                Some((Verdict::Approve, OutcomeReason::Approved))
            } else {
                None
            }
        }
    }
}

/// What the item becomes at close.
pub fn resolve(
    rule: MultiReviewerRule,
    reviewers: &[String],
    standing: &[Standing],
    no_response: NoResponse,
    recommendation: Option<Verdict>,
    membership: Membership,
) -> (Outcome, OutcomeReason) {
    let (verdict, reason) =
        combined_verdict(rule, reviewers, standing).unwrap_or(match no_response {
            NoResponse::Keep => (Verdict::Approve, OutcomeReason::NoResponse(NoResponse::Keep)),
            NoResponse::Remove => (Verdict::Deny, OutcomeReason::NoResponse(NoResponse::Remove)),
            NoResponse::Recommendation => match recommendation {
                Some(v) => (v, OutcomeReason::FollowedRecommendation(v)),
                // Without a recommendation there is nothing to follow: keep, and say so.
                None => (Verdict::Approve, OutcomeReason::NoResponse(NoResponse::Recommendation)),
            },
        });
    match (verdict, membership) {
        (Verdict::Approve, _) => (Outcome::Keep, reason),
        (Verdict::Deny, Membership::Direct) => (Outcome::Remove, reason),
        (Verdict::Deny, Membership::Group) => (Outcome::Exception, OutcomeReason::ViaGroup),
    }
}

#[cfg(test)]
mod tests;
