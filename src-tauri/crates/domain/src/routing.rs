//! Routing review items to reviewers: the holder's manager, named reviewers or the holder, with
//! fallback reviewers whenever the primary source yields nobody fit to decide — and a record of
//! why each reroute happened, for the evidence's reviewer-independence section.
//!
//! Separation of duties goes beyond "not the holder": a member (direct or transitive) of the
//! group that holds the role reviews their own access too; a reviewer who holds the same role as
//! the item is flagged; and two people never review each other's same role (one side goes to the
//! fallback reviewers).

use std::collections::{BTreeSet, HashMap, HashSet};

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
    /// The primary reviewer is a (transitive) member of the group that holds the role: they
    /// would review their own access.
    MemberOfGroup,
    /// The holder reviews the reviewer's same role: one side of the pair goes to the fallback.
    Reciprocal,
    /// Nobody is named for the item: a later stage reviewed by role owners, for a role without
    /// owners listed.
    NoOwners,
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
            RerouteReason::MemberOfGroup => "memberOfGroup",
            RerouteReason::Reciprocal => "reciprocal",
            RerouteReason::NoOwners => "noOwners",
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
            RerouteReason::MemberOfGroup,
            RerouteReason::Reciprocal,
            RerouteReason::NoOwners,
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
            RerouteReason::MemberOfGroup => {
                "the reviewer is a member of the group that holds the role: they would review \
                 their own access"
            }
            RerouteReason::Reciprocal => {
                "the holder reviews the reviewer's same role: nobody reviews someone who reviews \
                 them back"
            }
            RerouteReason::NoOwners => {
                "nobody is named to review the role in this stage: it has no owners listed"
            }
        }
    }
}

/// A conflict of interest routing cannot avoid but the reviewer and the evidence must see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// The reviewer holds the same privileged role as the item under review.
    HoldsSameRole,
}

impl Conflict {
    pub fn as_str(self) -> &'static str {
        match self {
            Conflict::HoldsSameRole => "holdsSameRole",
        }
    }

    pub fn parse(s: &str) -> Option<Conflict> {
        (s == "holdsSameRole").then_some(Conflict::HoldsSameRole)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Conflict::HoldsSameRole => "the reviewer holds this same role",
        }
    }
}

/// One reviewer of one item, and whether they came from the fallback list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    pub reviewer: ReviewerRef,
    pub fallback: Option<RerouteReason>,
    pub conflict: Option<Conflict>,
}

/// What routing knows of the tenant beyond managers: who is in the groups that hold roles, and
/// who holds each role. Built from the pulled population; empty means "nothing known".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Separation {
    /// Group id (lowercase) → its transitive members' ids (lowercase).
    pub members: HashMap<String, HashSet<String>>,
    /// Role id (lowercase) → the ids (lowercase) of everyone holding it, directly or through a
    /// group, eligible or active.
    pub holders: HashMap<String, BTreeSet<String>>,
}

impl Separation {
    /// Whether `reviewer` would review their own access to what `holder` holds: they are the
    /// holder, or a (transitive) member of the holder group.
    pub fn is_own(&self, reviewer: &str, holder: &str) -> bool {
        reviewer.eq_ignore_ascii_case(holder)
            || self
                .members
                .get(&holder.to_ascii_lowercase())
                .is_some_and(|m| m.contains(&reviewer.to_ascii_lowercase()))
    }

    fn holds(&self, reviewer: &str, role_id: &str) -> bool {
        self.holders
            .get(&role_id.to_ascii_lowercase())
            .is_some_and(|h| h.contains(&reviewer.to_ascii_lowercase()))
    }
}

fn reviewer_of(principal: &Principal) -> ReviewerRef {
    ReviewerRef {
        id: principal.id.clone(),
        upn: principal.upn.clone().unwrap_or_default(),
        display_name: principal.display_name.clone(),
    }
}

/// The reviewers of an assignment of `role_id` held by `holder`, each once, in the policy's
/// order; never the holder or a member of the holder group, except in self-review mode. Empty
/// only when every fallback reviewer is excluded: the campaign then lists the item as needing a
/// reviewer, for a governance admin to decide. A reviewer who holds the same role is flagged.
pub fn route(
    policy: &ReviewerPolicy,
    holder: &Principal,
    role_id: &str,
    directory: &HashMap<String, Principal>,
    separation: &Separation,
) -> Vec<Routed> {
    let own = |r: &ReviewerRef| separation.is_own(&r.id, &holder.id);
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
        // An empty list is a stage's role owners for a role without owners: nobody to exclude.
        ReviewerSource::Named(named) if named.is_empty() => Err(RerouteReason::NoOwners),
        ReviewerSource::Named(named) => {
            let others: Vec<ReviewerRef> = named.iter().filter(|r| !own(r)).cloned().collect();
            if !others.is_empty() {
                Ok(others)
            } else if named.iter().any(|r| r.id == holder.id) {
                Err(RerouteReason::SelfReview)
            } else {
                Err(RerouteReason::MemberOfGroup)
            }
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
            (policy.fallback.iter().filter(|r| !own(r)).cloned().collect(), Some(reason))
        }
    };
    let mut routed: Vec<Routed> = Vec::with_capacity(reviewers.len());
    for reviewer in reviewers {
        if !routed.iter().any(|r| r.reviewer.id == reviewer.id) {
            let conflict =
                separation.holds(&reviewer.id, role_id).then_some(Conflict::HoldsSameRole);
            routed.push(Routed { reviewer, fallback: fallback.clone(), conflict });
        }
    }
    routed
}

/// One routed item, for the campaign-wide check of reciprocal reviews.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutedItem {
    pub holder_id: String,
    pub role_id: String,
    pub reviewers: Vec<Routed>,
}

/// Breaks every reciprocal pair — A reviews B's role while B reviews A's same role — by sending
/// the later item of the pair to the fallback reviewers: never the holder or a member of the
/// holder group, nor anyone whose same role the holder reviews (which would make a new pair).
/// Each item is rerouted at most once, so this always ends.
pub fn reroute_reciprocal(
    items: &mut [RoutedItem],
    fallback: &[ReviewerRef],
    separation: &Separation,
) {
    let key = |holder: &str, role: &str, reviewer: &str| {
        (holder.to_ascii_lowercase(), role.to_ascii_lowercase(), reviewer.to_ascii_lowercase())
    };
    let mut rerouted = vec![false; items.len()];
    loop {
        // Who reviews whom, for which role, and the first item where each pairing appears.
        let mut first: HashMap<(String, String, String), usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            for r in &item.reviewers {
                first.entry(key(&item.holder_id, &item.role_id, &r.reviewer.id)).or_insert(i);
            }
        }
        let pair = items.iter().enumerate().find_map(|(j, item)| {
            if rerouted[j] {
                return None;
            }
            item.reviewers.iter().find_map(|r| {
                let back = first.get(&key(&r.reviewer.id, &item.role_id, &item.holder_id))?;
                (*back != j && (*back < j || rerouted[*back])).then(|| (j, r.reviewer.id.clone()))
            })
        });
        let Some((j, counterpart)) = pair else { return };
        let item = &mut items[j];
        let holds = |id: &str| separation.holds(id, &item.role_id);
        item.reviewers = fallback
            .iter()
            .filter(|r| {
                !separation.is_own(&r.id, &item.holder_id)
                    && !r.id.eq_ignore_ascii_case(&counterpart)
                    && !first.contains_key(&key(&r.id, &item.role_id, &item.holder_id))
            })
            .fold(Vec::<Routed>::new(), |mut out, r| {
                if !out.iter().any(|o| o.reviewer.id == r.id) {
                    out.push(Routed {
                        reviewer: r.clone(),
                        fallback: Some(RerouteReason::Reciprocal),
                        conflict: holds(&r.id).then_some(Conflict::HoldsSameRole),
                    });
                }
                out
            });
        rerouted[j] = true;
    }
}

#[cfg(test)]
mod tests;
