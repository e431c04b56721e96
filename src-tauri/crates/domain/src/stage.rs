//! Multi-stage reviews: up to three stages per definition, each with its reviewers, its share of
//! the review window and which of the previous stage's items it takes, and when each stage runs.
//! The first stage is the definition's own reviewer policy; later stages see the earlier
//! decisions and their notes, and the last decision that decided something stands
//! ([`crate::review::staged_verdict`]).

use chrono::{DateTime, Duration, Utc};

use crate::campaign::{FieldError, MultiReviewerRule, ReviewerPolicy, ReviewerRef, ReviewerSource};
use crate::review::Verdict;

/// At most this many stages, the first included.
pub const MAX_STAGES: usize = 3;

/// Who reviews in a later stage. Self-review is only ever a first stage: after someone else has
/// looked, the holder's own word adds nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StageReviewers {
    /// The holder's manager in the directory.
    Manager,
    /// These people review every item of the stage.
    Named(Vec<ReviewerRef>),
    /// The owners named for each role; a role without owners goes to the stage's fallback.
    RoleOwners(Vec<RoleOwners>),
    /// The tenant's governance admins.
    GovernanceAdmins,
}

impl StageReviewers {
    pub fn as_str(&self) -> &'static str {
        match self {
            StageReviewers::Manager => "manager",
            StageReviewers::Named(_) => "named",
            StageReviewers::RoleOwners(_) => "roleOwners",
            StageReviewers::GovernanceAdmins => "governanceAdmins",
        }
    }
}

/// The people who own one role, for [`StageReviewers::RoleOwners`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleOwners {
    pub role_id: String,
    pub owners: Vec<ReviewerRef>,
}

/// Which of the previous stage's items a stage takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Takes {
    /// Every item, decided or not.
    All,
    /// Items the previous stage kept in some form (approved, approved until a date, converted).
    Approved,
    /// Items the previous stage denied.
    Denied,
    /// Items the previous stage answered "don't know".
    DontKnow,
}

impl Takes {
    pub const ALL: [Takes; 4] = [Takes::All, Takes::Approved, Takes::Denied, Takes::DontKnow];

    pub fn as_str(self) -> &'static str {
        match self {
            Takes::All => "all",
            Takes::Approved => "approved",
            Takes::Denied => "denied",
            Takes::DontKnow => "dontKnow",
        }
    }

    pub fn parse(s: &str) -> Option<Takes> {
        Takes::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether an item whose previous stage ended with `verdict` (`None`: nobody decided) goes on.
    pub fn takes(self, verdict: Option<Verdict>) -> bool {
        match (self, verdict) {
            (Takes::All, _) => true,
            (Takes::Approved, Some(v)) => v.keeps(),
            (Takes::Denied, Some(v)) => v == Verdict::Deny,
            (Takes::DontKnow, Some(v)) => v == Verdict::DontKnow,
            (_, None) => false,
        }
    }
}

/// A stage after the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub reviewers: StageReviewers,
    /// Who reviews an item whose stage reviewer cannot be found or is the holder.
    pub fallback: Vec<ReviewerRef>,
    pub rule: MultiReviewerRule,
    /// Days of the review window this stage has; the first stage has what the later ones leave.
    pub duration_days: u32,
    pub takes: Takes,
}

impl Stage {
    /// The reviewer policy this stage applies to an item of `role_id`, for routing: governance
    /// admins and role owners become named reviewers (`admins` as the tenant lists them now);
    /// a role without owners goes to the fallback reviewers.
    pub fn policy_for(&self, role_id: &str, admins: &[ReviewerRef]) -> ReviewerPolicy {
        let source = match &self.reviewers {
            StageReviewers::Manager => ReviewerSource::Manager,
            StageReviewers::Named(named) => ReviewerSource::Named(named.clone()),
            StageReviewers::GovernanceAdmins => ReviewerSource::Named(admins.to_vec()),
            StageReviewers::RoleOwners(roles) => ReviewerSource::Named(
                roles
                    .iter()
                    .filter(|r| r.role_id.eq_ignore_ascii_case(role_id))
                    .flat_map(|r| r.owners.iter().cloned())
                    .collect(),
            ),
        };
        ReviewerPolicy { source, fallback: self.fallback.clone(), rule: self.rule }
    }
}

/// Every problem with the later stages of a definition whose window is `window_days` long.
pub fn problems(stages: &[Stage], window_days: u32) -> Vec<FieldError> {
    let mut out = Vec::new();
    if stages.len() + 1 > MAX_STAGES {
        out.push(FieldError {
            field: "stages",
            message: format!("a review has at most {MAX_STAGES} stages, the first included"),
        });
    }
    let later: u32 = stages.iter().map(|s| s.duration_days).sum();
    if stages.iter().any(|s| s.duration_days == 0) {
        out.push(FieldError {
            field: "stages.durationDays",
            message: "give each stage at least one day".into(),
        });
    }
    if !stages.is_empty() && later >= window_days {
        out.push(FieldError {
            field: "stages.durationDays",
            message: format!(
                "the later stages take {later} of the {window_days} days: leave the first stage at \
                 least one"
            ),
        });
    }
    for stage in stages {
        match &stage.reviewers {
            StageReviewers::Named(named) if named.is_empty() => out.push(FieldError {
                field: "stages.named",
                message: "name at least one reviewer for the stage".into(),
            }),
            StageReviewers::RoleOwners(roles) if roles.iter().all(|r| r.owners.is_empty()) => out
                .push(FieldError {
                    field: "stages.roleOwners",
                    message: "name the owners of at least one role".into(),
                }),
            _ => {}
        }
        if stage.fallback.is_empty() {
            out.push(FieldError {
                field: "stages.fallback",
                message: "name at least one fallback reviewer for the stage".into(),
            });
        }
        let named = match &stage.reviewers {
            StageReviewers::Named(named) => named.clone(),
            StageReviewers::RoleOwners(roles) => {
                roles.iter().flat_map(|r| r.owners.iter().cloned()).collect()
            }
            _ => Vec::new(),
        };
        if named.iter().chain(&stage.fallback).any(|r| r.id.trim().is_empty()) {
            out.push(FieldError {
                field: "stages.named",
                message: "every reviewer of a stage needs an object id".into(),
            });
        }
    }
    out
}

/// One stage's window within the review: the first stage starts with the review, each later one
/// when the one before ends, the last ending with the review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageWindow {
    /// 1-based.
    pub number: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The windows of every stage of a review running from `start` to `end`.
pub fn windows(stages: &[Stage], start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<StageWindow> {
    let later: i64 = stages.iter().map(|s| i64::from(s.duration_days)).sum();
    let first_end = (end - Duration::days(later)).max(start);
    let mut out = vec![StageWindow { number: 1, start, end: first_end }];
    let mut at = first_end;
    for (i, stage) in stages.iter().enumerate() {
        let until = (at + Duration::days(i64::from(stage.duration_days))).min(end);
        out.push(StageWindow { number: i as u32 + 2, start: at, end: until });
        at = until;
    }
    out
}

/// The stage running at `now` (the last one after the review's end).
pub fn current(windows: &[StageWindow], now: DateTime<Utc>) -> u32 {
    windows.iter().find(|w| now < w.end).or(windows.last()).map_or(1, |w| w.number)
}

/// Where an item answered "don't know" goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DontKnowRoute {
    /// The next stage takes it (it takes every item, or the "don't know" ones).
    NextStage,
    /// No later stage takes it: the stage's fallback reviewers decide, with the note.
    Fallback,
}

/// Where an item answered "don't know" in stage `number` (1-based) goes.
pub fn after_dont_know(stages: &[Stage], number: u32) -> DontKnowRoute {
    match stages.get(number as usize - 1) {
        Some(next) if next.takes.takes(Some(Verdict::DontKnow)) => DontKnowRoute::NextStage,
        _ => DontKnowRoute::Fallback,
    }
}

#[cfg(test)]
mod tests;
