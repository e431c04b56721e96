//! Routing review items to reviewers: the holder's manager, named reviewers or the holder, with
//! fallback reviewers whenever the primary source yields nobody fit to decide — and a record of
//! why each reroute happened, for the evidence's reviewer-independence section.

use std::collections::HashMap;

use crate::campaign::{ReviewerPolicy, ReviewerRef, ReviewerSource};
use crate::{Principal, PrincipalKind};

/// Why an item went to a fallback reviewer instead of its primary one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RerouteReason {
    /// The holder has no manager on record.
    NoManager,
    /// The manager's account is disabled.
    ManagerDisabled,
    /// The manager is not in the pulled directory (deleted, or outside the tenant).
    ManagerUnknown,
    /// Groups and service principals have no manager and cannot attest for themselves.
    NotAUser,
    /// The primary reviewer is the holder: nobody reviews their own access.
    SelfReview,
    /// Self-review, but the holder's account is disabled: nobody can sign in to attest.
    HolderDisabled,
}

impl RerouteReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            RerouteReason::NoManager => "noManager",
            RerouteReason::ManagerDisabled => "managerDisabled",
            RerouteReason::ManagerUnknown => "managerUnknown",
            RerouteReason::NotAUser => "notAUser",
            RerouteReason::SelfReview => "selfReview",
            RerouteReason::HolderDisabled => "holderDisabled",
        }
    }

    pub fn parse(s: &str) -> Option<RerouteReason> {
        [
            RerouteReason::NoManager,
            RerouteReason::ManagerDisabled,
            RerouteReason::ManagerUnknown,
            RerouteReason::NotAUser,
            RerouteReason::SelfReview,
            RerouteReason::HolderDisabled,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// A sentence for people.
    pub fn describe(&self) -> &'static str {
        match self {
            RerouteReason::NoManager => "the holder has no manager on record",
            RerouteReason::ManagerDisabled => "the holder's manager is disabled",
            RerouteReason::ManagerUnknown => "the holder's manager is not in the directory",
            RerouteReason::NotAUser => {
                "the holder is not a user: groups and service principals have no manager and \
                 cannot attest"
            }
            RerouteReason::SelfReview => "the reviewer would have reviewed their own access",
            RerouteReason::HolderDisabled => {
                "the holder's account is disabled: they cannot sign in to attest"
            }
        }
    }
}

/// One reviewer of one item, and whether they came from the fallback list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    pub reviewer: ReviewerRef,
    pub fallback: Option<RerouteReason>,
}

fn reviewer_of(principal: &Principal) -> ReviewerRef {
    ReviewerRef {
        id: principal.id.clone(),
        upn: principal.upn.clone().unwrap_or_default(),
        display_name: principal.display_name.clone(),
    }
}

/// The reviewers of an assignment held by `holder`, each once, in the policy's order; never the
/// holder, except in self-review mode. Empty only when every fallback reviewer is the holder:
/// the campaign then lists the item as needing a reviewer, for a governance admin to decide.
pub fn route(
    policy: &ReviewerPolicy,
    holder: &Principal,
    directory: &HashMap<String, Principal>,
) -> Vec<Routed> {
    let primary: Result<Vec<ReviewerRef>, RerouteReason> = match &policy.source {
        ReviewerSource::Manager => {
            if holder.kind != PrincipalKind::User {
                Err(RerouteReason::NotAUser)
            } else {
                match holder.manager_id.as_deref().map(str::trim) {
                    None | Some("") => Err(RerouteReason::NoManager),
                    Some(id) if id == holder.id => Err(RerouteReason::SelfReview),
                    Some(id) => match directory.get(id) {
                        None => Err(RerouteReason::ManagerUnknown),
                        Some(manager) if manager.account_enabled == Some(false) => {
                            Err(RerouteReason::ManagerDisabled)
                        }
                        Some(manager) => Ok(vec![reviewer_of(manager)]),
                    },
                }
            }
        }
        ReviewerSource::Named(named) => {
            let others: Vec<ReviewerRef> =
                named.iter().filter(|r| r.id != holder.id).cloned().collect();
            if others.is_empty() { Err(RerouteReason::SelfReview) } else { Ok(others) }
        }
        ReviewerSource::SelfReview => {
            if holder.kind != PrincipalKind::User {
                Err(RerouteReason::NotAUser)
            } else if holder.account_enabled == Some(false) {
                Err(RerouteReason::HolderDisabled)
            } else {
                Ok(vec![reviewer_of(holder)])
            }
        }
    };
    let (reviewers, fallback) = match primary {
        Ok(reviewers) => (reviewers, None),
        Err(reason) => {
            (policy.fallback.iter().filter(|r| r.id != holder.id).cloned().collect(), Some(reason))
        }
    };
    let mut routed: Vec<Routed> = Vec::with_capacity(reviewers.len());
    for reviewer in reviewers {
        if !routed.iter().any(|r| r.reviewer.id == reviewer.id) {
            routed.push(Routed { reviewer, fallback: fallback.clone() });
        }
    }
    routed
}

#[cfg(test)]
mod tests;
