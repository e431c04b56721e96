//! Decisions and outcomes: who may decide an item, the justification rules, how several
//! reviewers' decisions combine, and what each item becomes at close.

use chrono::{DateTime, NaiveDate, Utc};

use crate::campaign::{MultiReviewerRule, NoResponse, Settings};
use crate::routing::Separation;
use crate::{AssignmentKind, Membership, PrincipalKind};

/// A reviewer's decision on one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Approve,
    Deny,
    /// The reviewer cannot judge it: the item goes on to the next stage (or to the fallback
    /// reviewers) with the reviewer's note. Never an outcome on its own.
    DontKnow,
    /// Keep the access, but not standing: the active assignment is removed and an eligible one
    /// for the same principal, role and scope is made in its place (active assignments only).
    ConvertToEligible,
    /// Keep the access until the end of this day (UTC); the tenant ends it then, so the next
    /// campaign does not have to remove it.
    ApproveUntil(NaiveDate),
}

impl Verdict {
    /// The stable name used in storage, exports and the UI (the date of `ApproveUntil` is kept
    /// beside it, see [`Verdict::until`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Deny => "deny",
            Verdict::DontKnow => "dontKnow",
            Verdict::ConvertToEligible => "convertToEligible",
            Verdict::ApproveUntil(_) => "approveUntil",
        }
    }

    /// The end date an `ApproveUntil` sets.
    pub fn until(self) -> Option<NaiveDate> {
        match self {
            Verdict::ApproveUntil(date) => Some(date),
            _ => None,
        }
    }

    /// The verdict as one word people can type back: `approveUntil:2027-06-30` for a dated one.
    pub fn encode(self) -> String {
        match self {
            Verdict::ApproveUntil(date) => format!("approveUntil:{date}"),
            other => other.as_str().to_string(),
        }
    }

    /// The stored name and date back into a verdict.
    pub fn from_parts(name: &str, until: Option<NaiveDate>) -> Option<Verdict> {
        match (name, until) {
            ("approveUntil", Some(date)) => Some(Verdict::ApproveUntil(date)),
            ("approveUntil", None) | (_, Some(_)) => None,
            _ => Verdict::parse(name).filter(|v| v.until().is_none()),
        }
    }

    /// What people type (CLI, CSV import): the stored names, a few plain words, and
    /// `approveUntil:YYYY-MM-DD` or `approve until YYYY-MM-DD` for a dated approval.
    pub fn parse(s: &str) -> Option<Verdict> {
        let lower = s.trim().to_ascii_lowercase();
        for prefix in ["approveuntil:", "approveuntil ", "approve until ", "keep until "] {
            if let Some(date) = lower.strip_prefix(prefix) {
                return NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                    .ok()
                    .map(Verdict::ApproveUntil);
            }
        }
        match lower.as_str() {
            "approve" | "approved" | "keep" => Some(Verdict::Approve),
            "deny" | "denied" | "remove" => Some(Verdict::Deny),
            "dontknow" | "don't know" | "dont know" | "dont-know" | "unknown" => {
                Some(Verdict::DontKnow)
            }
            "converttoeligible" | "convert to eligible" | "convert" | "eligible" => {
                Some(Verdict::ConvertToEligible)
            }
            _ => None,
        }
    }

    /// The verdict in words, for messages and the evidence.
    pub fn describe(self) -> String {
        match self {
            Verdict::Approve => "approve".into(),
            Verdict::Deny => "deny".into(),
            Verdict::DontKnow => "answer \"don't know\"".into(),
            Verdict::ConvertToEligible => "convert to eligible".into(),
            Verdict::ApproveUntil(date) => format!("approve until {date}"),
        }
    }

    /// Whether the verdict decides the item (everything but "don't know").
    pub fn decides(self) -> bool {
        self != Verdict::DontKnow
    }

    /// Whether the access stays in some form (approved, time-boxed, or made eligible).
    pub fn keeps(self) -> bool {
        matches!(self, Verdict::Approve | Verdict::ApproveUntil(_) | Verdict::ConvertToEligible)
    }

    /// How much access the verdict takes away, for combining reviewers who must all agree: the
    /// most restrictive stands (deny, then convert, then the earliest end date, then approve).
    fn restriction(self) -> (u8, Option<std::cmp::Reverse<NaiveDate>>) {
        match self {
            Verdict::Deny => (4, None),
            Verdict::ConvertToEligible => (3, None),
            Verdict::ApproveUntil(date) => (2, Some(std::cmp::Reverse(date))),
            Verdict::Approve => (1, None),
            Verdict::DontKnow => (0, None),
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
    /// "Don't know" routes the item on with the reviewer's note, so the note is required.
    NoteRequired,
    /// Only a standing active assignment can be converted to an eligible one.
    NotActive,
    /// Entra does not make service principals eligible for a role: convert is not offered.
    ServicePrincipalNotEligible,
    /// The end date of "approve until" must be after today.
    UntilNotFuture(NaiveDate),
    /// The same person decided this item in an earlier stage: a later stage is a second pair
    /// of eyes, so it must be someone else's.
    DecidedInEarlierStage,
    /// A return to undecided needs a decision standing in the item's stage to take back.
    NothingToWithdraw,
}

impl std::fmt::Display for DecisionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecisionError::JustificationRequired(v) => {
                write!(f, "this campaign requires a justification to {}", v.describe())
            }
            DecisionError::NotAReviewer => f.write_str(
                "only the item's reviewer, or a governance admin acting for them, may decide it",
            ),
            DecisionError::OwnAccess => f.write_str("nobody may decide on their own access"),
            DecisionError::NoteRequired => f.write_str(
                "say what you do not know: the note goes with the item to whoever reviews it next",
            ),
            DecisionError::NotActive => {
                f.write_str("only an active assignment can be converted to eligible")
            }
            DecisionError::ServicePrincipalNotEligible => {
                f.write_str("a service principal cannot be made eligible for a role")
            }
            DecisionError::UntilNotFuture(date) => {
                write!(f, "the end date {date} is not after today")
            }
            DecisionError::DecidedInEarlierStage => f.write_str(
                "you decided this item in an earlier stage: a later stage needs another reviewer",
            ),
            DecisionError::NothingToWithdraw => {
                f.write_str("it has no decision in its stage to return to undecided")
            }
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
    let empty = justification.trim().is_empty();
    if verdict == Verdict::DontKnow && empty {
        return Err(DecisionError::NoteRequired);
    }
    // Converting and time-boxing keep the access (in a narrower form): they follow the rule for
    // approvals.
    let required = match verdict {
        Verdict::Approve | Verdict::ConvertToEligible | Verdict::ApproveUntil(_) => {
            settings.justification_on_approve
        }
        Verdict::Deny => settings.justification_on_deny,
        Verdict::DontKnow => false,
    };
    if required && empty { Err(DecisionError::JustificationRequired(verdict)) } else { Ok(()) }
}

/// Whether `verdict` fits the item: convert only a standing active assignment of a person or a
/// group, and "approve until" only to a day after `today`.
pub fn check_fits(
    verdict: Verdict,
    kind: AssignmentKind,
    principal: PrincipalKind,
    today: NaiveDate,
) -> Result<(), DecisionError> {
    match verdict {
        Verdict::ConvertToEligible if kind != AssignmentKind::Active => {
            Err(DecisionError::NotActive)
        }
        Verdict::ConvertToEligible if principal == PrincipalKind::ServicePrincipal => {
            Err(DecisionError::ServicePrincipalNotEligible)
        }
        Verdict::ApproveUntil(date) if date <= today => Err(DecisionError::UntilNotFuture(date)),
        _ => Ok(()),
    }
}

/// Separation of duties across stages: whoever decided the item in an earlier stage (directly or
/// as an admin acting for a reviewer) does not decide it again in a later one.
pub fn check_stage_separation(
    actor_id: &str,
    earlier_deciders: &[&str],
) -> Result<(), DecisionError> {
    if earlier_deciders.iter().any(|d| d.eq_ignore_ascii_case(actor_id)) {
        Err(DecisionError::DecidedInEarlierStage)
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

/// Whose decision a return to undecided by `actor_id` takes back: their own, when they are a
/// reviewer of the item (or a governance admin who decided an item without reviewers); for a
/// governance admin acting for the reviewers, the decision made last of those standing
/// (`decided`, oldest first). Taking a decision back is deciding again: the same people may do it,
/// and nobody on their own access.
pub fn withdrawal_for<'a>(
    actor_id: &'a str,
    holder_id: &str,
    reviewers: &[String],
    decided: &[&'a str],
    is_governance_admin: bool,
    separation: &Separation,
) -> Result<&'a str, DecisionError> {
    let is_reviewer = reviewers.iter().any(|r| r == actor_id);
    if !is_reviewer && separation.is_own(actor_id, holder_id) {
        return Err(DecisionError::OwnAccess);
    }
    if is_reviewer || decided.contains(&actor_id) {
        return if decided.contains(&actor_id) {
            Ok(actor_id)
        } else {
            Err(DecisionError::NothingToWithdraw)
        };
    }
    if !is_governance_admin {
        return Err(DecisionError::NotAReviewer);
    }
    decided.last().copied().ok_or(DecisionError::NothingToWithdraw)
}

/// A reviewer's decision as it stands (the latest of theirs), with the time of their first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub reviewer_id: String,
    pub verdict: Verdict,
    pub first_at: DateTime<Utc>,
}

/// Where a decision was made. The evidence says it beside each decision, and an imported one is
/// never mistaken for one its reviewer made in person.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum DecisionSource {
    /// One item decided in the window.
    Window,
    /// Several items decided together in the window.
    Bulk,
    Cli,
    /// A CSV of decisions imported by an admin.
    Import,
    /// "Accept recommendations".
    Recommendation,
    /// Synced from Entra Access Reviews, made there by the reviewer.
    EntraAccessReviews,
}

impl DecisionSource {
    pub const ALL: [DecisionSource; 6] = [
        DecisionSource::Window,
        DecisionSource::Bulk,
        DecisionSource::Cli,
        DecisionSource::Import,
        DecisionSource::Recommendation,
        DecisionSource::EntraAccessReviews,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionSource::Window => "window",
            DecisionSource::Bulk => "bulk",
            DecisionSource::Cli => "cli",
            DecisionSource::Import => "import",
            DecisionSource::Recommendation => "recommendation",
            DecisionSource::EntraAccessReviews => "entraAccessReviews",
        }
    }

    pub fn parse(s: &str) -> Option<DecisionSource> {
        DecisionSource::ALL.into_iter().find(|source| source.as_str() == s)
    }
}

/// What an item becomes at close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Keep,
    Remove,
    /// Cannot be removed automatically; a person must act.
    Exception,
    /// The standing active assignment becomes an eligible one for the same role and scope.
    Convert,
    /// Kept, with its end set to the date the reviewer chose.
    KeepUntil,
}

impl Outcome {
    pub const ALL: [Outcome; 5] =
        [Outcome::Keep, Outcome::Remove, Outcome::Exception, Outcome::Convert, Outcome::KeepUntil];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Keep => "keep",
            Outcome::Remove => "remove",
            Outcome::Exception => "exception",
            Outcome::Convert => "convert",
            Outcome::KeepUntil => "keepUntil",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Whether the outcome asks remediation to change the tenant.
    pub fn changes_tenant(self) -> bool {
        matches!(self, Outcome::Remove | Outcome::Convert | Outcome::KeepUntil)
    }
}

/// Why an item ended as it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeReason {
    Approved,
    Denied,
    /// All must approve and one reviewer denied.
    DeniedByOne,
    /// The reviewer (all of them, when all must agree) converted it to eligible.
    Converted,
    /// The reviewer approved it until a date (the earliest, when all must agree).
    ApprovedUntil(NaiveDate),
    /// Nobody (or not everyone) decided; the campaign's default applied. With the default
    /// `Recommendation`, it means there was no recommendation to follow, and access was kept.
    NoResponse(NoResponse),
    /// Nobody decided and the default follows the recommendation.
    FollowedRecommendation(Verdict),
    /// Removal (or a change) was due, but the access comes through a group: a person must change
    /// the group.
    ViaGroup,
}

impl OutcomeReason {
    pub fn code(&self) -> &'static str {
        match self {
            OutcomeReason::Approved => "approved",
            OutcomeReason::Denied => "denied",
            OutcomeReason::DeniedByOne => "deniedByOne",
            OutcomeReason::Converted => "converted",
            OutcomeReason::ApprovedUntil(_) => "approvedUntil",
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
            OutcomeReason::Converted => {
                "converted to eligible by the reviewer: no standing access".into()
            }
            OutcomeReason::ApprovedUntil(date) => {
                format!("approved by the reviewer until {date}: the access ends then")
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
                format!("no response; followed the recommendation to {}", v.describe())
            }
            OutcomeReason::ViaGroup => {
                "removal due, but the access comes through a group membership: change the group"
                    .into()
            }
        }
    }
}

fn reason_of(verdict: Verdict) -> OutcomeReason {
    match verdict {
        Verdict::Deny => OutcomeReason::Denied,
        Verdict::ConvertToEligible => OutcomeReason::Converted,
        Verdict::ApproveUntil(date) => OutcomeReason::ApprovedUntil(date),
        Verdict::Approve | Verdict::DontKnow => OutcomeReason::Approved,
    }
}

/// The verdict that stands for the item, or `None` when the reviewers have not (all) decided.
///
/// Only the item's reviewers count; an item without reviewers (every fallback was the holder)
/// counts the decisions that governance admins made on it. A reviewer's standing verdict is
/// their latest, so a changed decision counts as changed; under `FirstDecides` the reviewer who
/// decided first (ties broken by the reviewers' order) is the one whose verdict stands. "Don't
/// know" decides nothing: it is passed over as if the reviewer had not answered.
pub fn combined_verdict(
    rule: MultiReviewerRule,
    reviewers: &[String],
    standing: &[Standing],
) -> Option<(Verdict, OutcomeReason)> {
    let rank = |s: &Standing| reviewers.iter().position(|r| *r == s.reviewer_id);
    let counted: Vec<&Standing> = standing
        .iter()
        .filter(|s| s.verdict.decides())
        .filter(|s| reviewers.is_empty() || rank(s).is_some())
        .collect();
    match rule {
        MultiReviewerRule::FirstDecides => counted
            .iter()
            .min_by_key(|s| (s.first_at, rank(s)))
            .map(|s| (s.verdict, reason_of(s.verdict))),
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
                // Everyone kept it in some form: the narrowest form stands.
                counted
                    .iter()
                    .map(|s| s.verdict)
                    .max_by_key(|v| v.restriction())
                    .map(|v| (v, reason_of(v)))
            } else {
                None
            }
        }
    }
}

/// The verdict of a multi-stage review: the last stage's decision that decided something stands
/// (a later stage sees the earlier decisions and overrides them; "don't know" passes it on).
/// `stages` holds each stage's combined verdict in order, `None` where it decided nothing.
pub fn staged_verdict(
    stages: &[Option<(Verdict, OutcomeReason)>],
) -> Option<(Verdict, OutcomeReason)> {
    stages.iter().rev().flatten().find(|(v, _)| v.decides()).cloned()
}

/// What an item becomes from the verdict that stands (or the no-response default), its kind and
/// how it is held.
pub fn resolve_verdict(
    decided: Option<(Verdict, OutcomeReason)>,
    no_response: NoResponse,
    recommendation: Option<Verdict>,
    kind: AssignmentKind,
    membership: Membership,
) -> (Outcome, OutcomeReason) {
    let (verdict, reason) = decided.unwrap_or(match no_response {
        NoResponse::Keep => (Verdict::Approve, OutcomeReason::NoResponse(NoResponse::Keep)),
        NoResponse::Remove => (Verdict::Deny, OutcomeReason::NoResponse(NoResponse::Remove)),
        NoResponse::Recommendation => match recommendation.filter(|v| v.decides()) {
            Some(v) => (v, OutcomeReason::FollowedRecommendation(v)),
            // Without a recommendation there is nothing to follow: keep, and say so.
            None => (Verdict::Approve, OutcomeReason::NoResponse(NoResponse::Recommendation)),
        },
    });
    match (verdict, membership) {
        (Verdict::Approve | Verdict::DontKnow, _) => (Outcome::Keep, reason),
        // A grant that comes through a group is changed at the group: a person must act.
        (
            Verdict::Deny | Verdict::ConvertToEligible | Verdict::ApproveUntil(_),
            Membership::Group,
        ) => (Outcome::Exception, OutcomeReason::ViaGroup),
        (Verdict::Deny, Membership::Direct) => (Outcome::Remove, reason),
        (Verdict::ConvertToEligible, Membership::Direct) if kind == AssignmentKind::Active => {
            (Outcome::Convert, reason)
        }
        // Already eligible: there is nothing standing to convert; the access is kept as it is.
        (Verdict::ConvertToEligible, Membership::Direct) => {
            (Outcome::Keep, OutcomeReason::Approved)
        }
        (Verdict::ApproveUntil(_), Membership::Direct) => (Outcome::KeepUntil, reason),
    }
}

/// What the item becomes at close, for a one-stage review.
pub fn resolve(
    rule: MultiReviewerRule,
    reviewers: &[String],
    standing: &[Standing],
    no_response: NoResponse,
    recommendation: Option<Verdict>,
    kind: AssignmentKind,
    membership: Membership,
) -> (Outcome, OutcomeReason) {
    resolve_verdict(
        combined_verdict(rule, reviewers, standing),
        no_response,
        recommendation,
        kind,
        membership,
    )
}

#[cfg(test)]
mod tests;
