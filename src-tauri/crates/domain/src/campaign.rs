//! Campaign definitions (what to review, who reviews, when, with which rules), their validation
//! with a message per field, and the life cycle of one campaign occurrence.

use std::fmt;

use crate::entra_reviews::Delivery;
use crate::schedule::Schedule;
use crate::stage::{self, Stage};
use crate::{AssignmentKind, Surface};

/// Which roles a campaign covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleSelection {
    /// Every privileged role on the selected surfaces.
    All,
    /// Only these role ids.
    Listed(Vec<String>),
}

/// Which kinds of assignment are reviewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindSelection {
    Eligible,
    Active,
    Both,
}

impl KindSelection {
    pub fn includes(self, kind: AssignmentKind) -> bool {
        match self {
            KindSelection::Both => true,
            KindSelection::Eligible => kind == AssignmentKind::Eligible,
            KindSelection::Active => kind == AssignmentKind::Active,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KindSelection::Eligible => "eligible",
            KindSelection::Active => "active",
            KindSelection::Both => "both",
        }
    }

    /// What a reader calls it, for documents meant for people.
    pub fn label(self) -> &'static str {
        match self {
            KindSelection::Eligible => "eligible only",
            KindSelection::Active => "active only",
            KindSelection::Both => "eligible and active",
        }
    }

    pub fn parse(s: &str) -> Option<KindSelection> {
        match s {
            "eligible" => Some(KindSelection::Eligible),
            "active" => Some(KindSelection::Active),
            "both" => Some(KindSelection::Both),
            _ => None,
        }
    }
}

/// Which principals are reviewed. Guests are users with `userType = Guest`; leaving `guests` off
/// excludes them even when `users` is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrincipalTypes {
    pub users: bool,
    pub guests: bool,
    pub groups: bool,
    pub service_principals: bool,
}

impl PrincipalTypes {
    pub const ALL: PrincipalTypes =
        PrincipalTypes { users: true, guests: true, groups: true, service_principals: true };
}

/// What a campaign reviews.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub surfaces: Vec<Surface>,
    pub roles: RoleSelection,
    pub kinds: KindSelection,
    pub principal_types: PrincipalTypes,
    /// Principal object ids (or UPNs) never put in front of reviewers, e.g. break-glass accounts.
    pub exclusions: Vec<String>,
    /// Groups (object ids) whose PIM for Groups assignments the pull reads besides the
    /// role-assignable ones and those found by earlier pulls: Graph cannot list the groups PIM
    /// governs, and its documentation asks callers to query onboarded groups only, so a group
    /// that is neither role-assignable nor seen before is read only when a definition names it.
    pub pim_groups: Vec<String>,
}

/// Whether `id` has the shape of an Entra object id: a GUID, 8-4-4-4-12 hex digits.
fn is_object_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(part, len)| part.len() == len && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A person who can review, as the tenant knows them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReviewerRef {
    /// Entra object id: the key that decisions are checked against.
    pub id: String,
    pub upn: String,
    pub display_name: String,
}

/// Who reviews first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewerSource {
    /// The holder's manager in the directory.
    Manager,
    /// These people review every item.
    Named(Vec<ReviewerRef>),
    /// Each holder attests to their own assignments. Not independent: the evidence says so.
    SelfReview,
}

/// How several reviewers of one item combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultiReviewerRule {
    /// The first decision stands (later ones by other reviewers are recorded but do not count).
    FirstDecides,
    /// Access is kept only if every reviewer approves; any deny removes.
    AllMustApprove,
}

impl MultiReviewerRule {
    pub fn as_str(self) -> &'static str {
        match self {
            MultiReviewerRule::FirstDecides => "firstDecides",
            MultiReviewerRule::AllMustApprove => "allMustApprove",
        }
    }

    pub fn parse(s: &str) -> Option<MultiReviewerRule> {
        match s {
            "firstDecides" => Some(MultiReviewerRule::FirstDecides),
            "allMustApprove" => Some(MultiReviewerRule::AllMustApprove),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewerPolicy {
    pub source: ReviewerSource,
    /// Who reviews when the primary source yields nobody (no manager, disabled manager, the
    /// reviewer is the reviewee). Required: an item must never be left without a reviewer.
    pub fallback: Vec<ReviewerRef>,
    pub rule: MultiReviewerRule,
}

/// What happens to an item nobody decided by the close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoResponse {
    Keep,
    Remove,
    /// Follow the item's recommendation.
    Recommendation,
}

impl NoResponse {
    pub fn as_str(self) -> &'static str {
        match self {
            NoResponse::Keep => "keep",
            NoResponse::Remove => "remove",
            NoResponse::Recommendation => "recommendation",
        }
    }

    pub fn parse(s: &str) -> Option<NoResponse> {
        match s {
            "keep" => Some(NoResponse::Keep),
            "remove" => Some(NoResponse::Remove),
            "recommendation" => Some(NoResponse::Recommendation),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub justification_on_approve: bool,
    pub justification_on_deny: bool,
    pub recommendations: bool,
    /// How far back an activation counts as use.
    pub look_back_days: u32,
    pub no_response: NoResponse,
    /// Apply removals at close without a person pressing "apply".
    pub auto_apply: bool,
    /// Days after close by which removals must be done and verified.
    pub remediation_deadline_days: u32,
    /// How long the eligible assignment lasts that "convert to eligible" makes.
    pub convert_eligible_days: u32,
    /// Where the reviewers decide: Recert's worklist, or Entra Access Reviews.
    pub delivery: Delivery,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            justification_on_approve: false,
            justification_on_deny: true,
            recommendations: true,
            look_back_days: 90,
            no_response: NoResponse::Keep,
            auto_apply: false,
            remediation_deadline_days: 14,
            convert_eligible_days: 180,
            delivery: Delivery::InRecert,
        }
    }
}

/// A named, recurring review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignDefinition {
    pub name: String,
    pub description: String,
    pub scope: Scope,
    pub reviewers: ReviewerPolicy,
    pub schedule: Schedule,
    pub settings: Settings,
    /// The stages after the first (the first is `reviewers`); empty for a one-stage review.
    pub stages: Vec<Stage>,
}

/// One problem with one field of a definition, in words a form can show beside the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// A dotted path, e.g. `reviewers.fallback` or `schedule.durationDays`.
    pub field: &'static str,
    pub message: String,
}

impl CampaignDefinition {
    /// Every problem at once, so a form can mark all fields in one pass.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut error =
            |field: &'static str, message: String| errors.push(FieldError { field, message });
        if self.name.trim().is_empty() {
            error("name", "give the campaign a name".into());
        } else if self.name.chars().count() > 200 {
            error("name", "keep the name to 200 characters or fewer".into());
        }
        if self.scope.surfaces.is_empty() {
            error("scope.surfaces", "choose at least one surface to review".into());
        }
        if let RoleSelection::Listed(roles) = &self.scope.roles
            && roles.is_empty()
        {
            error("scope.roles", "choose at least one role, or all roles".into());
        }
        if !self.scope.pim_groups.is_empty() && !self.scope.surfaces.contains(&Surface::PimGroup) {
            error(
                "scope.pimGroups",
                "groups to read are named for PIM for Groups: add that surface, or name none"
                    .into(),
            );
        }
        if let Some(bad) = self.scope.pim_groups.iter().find(|id| !is_object_id(id)) {
            error("scope.pimGroups", format!("{bad:?} is not a group's object id (a GUID)"));
        }
        let types = self.scope.principal_types;
        if !(types.users || types.guests || types.groups || types.service_principals) {
            error("scope.principalTypes", "choose at least one kind of principal".into());
        }
        if let ReviewerSource::Named(named) = &self.reviewers.source
            && named.is_empty()
        {
            error("reviewers.named", "name at least one reviewer".into());
        }
        if self.reviewers.fallback.is_empty() {
            error(
                "reviewers.fallback",
                "name at least one fallback reviewer: items whose reviewer cannot be found go to them"
                    .into(),
            );
        }
        let named = match &self.reviewers.source {
            ReviewerSource::Named(named) => named.as_slice(),
            _ => &[],
        };
        for (field, list) in
            [("reviewers.named", named), ("reviewers.fallback", &self.reviewers.fallback)]
        {
            for reviewer in list {
                if reviewer.id.trim().is_empty() {
                    let who = [&reviewer.upn, &reviewer.display_name]
                        .into_iter()
                        .find(|s| !s.trim().is_empty())
                        .map_or("a reviewer".to_string(), |s| format!("reviewer {s:?}"));
                    error(field, format!("{who} has no object id"));
                }
            }
        }
        if self.settings.recommendations && !(1..=730).contains(&self.settings.look_back_days) {
            error("settings.lookBackDays", "the look-back must be between 1 and 730 days".into());
        }
        if !(1..=365).contains(&self.settings.remediation_deadline_days) {
            error(
                "settings.remediationDeadlineDays",
                "the remediation deadline must be between 1 and 365 days".into(),
            );
        }
        if !(1..=3650).contains(&self.settings.convert_eligible_days) {
            error(
                "settings.convertEligibleDays",
                "a converted assignment must stay eligible between 1 and 3650 days".into(),
            );
        }
        for (field, message) in self.schedule.problems() {
            error(field, message);
        }
        if self.settings.delivery == Delivery::EntraAccessReviews {
            // Entra's review asks each principal's manager (`./manager`), with the fallback
            // reviewers where there is none, in one stage: a definition that says otherwise
            // would be published as something it does not say.
            if self.reviewers.source != ReviewerSource::Manager {
                error(
                    "settings.delivery",
                    "Entra Access Reviews ask each holder's manager: choose manager reviewers, \
                     or deliver in Recert"
                        .into(),
                );
            }
            if !self.stages.is_empty() {
                error(
                    "settings.delivery",
                    "Entra Access Reviews are published as one stage: remove the later stages, \
                     or deliver in Recert"
                        .into(),
                );
            }
            if !self.scope.surfaces.contains(&Surface::DirectoryRole) {
                error(
                    "settings.delivery",
                    "only Entra directory roles are published to Entra Access Reviews: add that \
                     surface, or deliver in Recert"
                        .into(),
                );
            }
        }
        for problem in stage::problems(&self.stages, self.schedule.duration_days) {
            error(problem.field, problem.message);
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// Where one campaign occurrence is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CampaignState {
    Scheduled,
    Open,
    Closed,
    Remediating,
    Completed,
    Cancelled,
    /// Its whole review window passed while nothing was running to open it.
    Missed,
}

impl CampaignState {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Scheduled => "scheduled",
            CampaignState::Open => "open",
            CampaignState::Closed => "closed",
            CampaignState::Remediating => "remediating",
            CampaignState::Completed => "completed",
            CampaignState::Cancelled => "cancelled",
            CampaignState::Missed => "missed",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignState> {
        [
            CampaignState::Scheduled,
            CampaignState::Open,
            CampaignState::Closed,
            CampaignState::Remediating,
            CampaignState::Completed,
            CampaignState::Cancelled,
            CampaignState::Missed,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }

    /// Whether `self → to` is a legal step.
    pub fn can_become(self, to: CampaignState) -> bool {
        use CampaignState::*;
        matches!(
            (self, to),
            (Scheduled, Open | Cancelled | Missed)
                | (Open, Closed | Cancelled)
                | (Closed, Remediating | Completed)
                | (Remediating, Completed)
        )
    }

    /// `Ok(to)` or the error naming both ends.
    pub fn transition(self, to: CampaignState) -> Result<CampaignState, TransitionError> {
        if self.can_become(to) { Ok(to) } else { Err(TransitionError { from: self, to }) }
    }
}

impl fmt::Display for CampaignState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionError {
    pub from: CampaignState,
    pub to: CampaignState,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} campaign cannot become {}", self.from, self.to)
    }
}

impl std::error::Error for TransitionError {}

#[cfg(test)]
mod tests;
