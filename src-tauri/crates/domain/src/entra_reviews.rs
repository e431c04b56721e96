//! Entra ID Access Reviews as a distribution channel: which review items Entra can carry (an
//! Entra directory role held by a user; everything else stays in Recert's worklist), and how a
//! decision synced back from Entra is matched to exactly one item by principal, role and kind.
//! Anything that fits no item, or more than one, is reported and never guessed.

use crate::review::Verdict;
use crate::{AssignmentKind, Membership, PrincipalKind, Surface};

/// Where a campaign's reviewers make their decisions, stored with its definition.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Delivery {
    /// Recert's own worklist (the window, the CLI, a CSV imported by an admin).
    #[default]
    InRecert,
    /// Published to Entra ID Access Reviews, one review per directory role and kind; items
    /// Entra cannot review that way stay in Recert's worklist.
    EntraAccessReviews,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::InRecert => "inRecert",
            Delivery::EntraAccessReviews => "entraAccessReviews",
        }
    }
    pub fn parse(s: &str) -> Option<Delivery> {
        match s {
            "inRecert" => Some(Delivery::InRecert),
            "entraAccessReviews" => Some(Delivery::EntraAccessReviews),
            _ => None,
        }
    }
}

/// Why an item stays in Recert's worklist when the campaign is published to Entra.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum StaysInRecert {
    /// Azure resource roles: Entra's access reviews of them are a different API (ARM).
    AzureRole,
    /// PIM for Groups: reviews of it are preview in Entra.
    PimGroup,
    /// A group or service principal holding a directory role: the documented role scopes
    /// review users (`isof(principal,'microsoft.graph.user')`).
    NotAUser,
}

impl StaysInRecert {
    pub fn as_str(self) -> &'static str {
        match self {
            StaysInRecert::AzureRole => "azureRole",
            StaysInRecert::PimGroup => "pimGroup",
            StaysInRecert::NotAUser => "notAUser",
        }
    }
    /// The sentence the campaign page shows.
    pub fn reason(self) -> &'static str {
        match self {
            StaysInRecert::AzureRole => "Azure resource roles are reviewed in Recert",
            StaysInRecert::PimGroup => {
                "PIM for Groups is reviewed in Recert (its Entra reviews are preview)"
            }
            StaysInRecert::NotAUser => {
                "groups and service principals holding a role are reviewed in Recert"
            }
        }
    }
}

/// Whether Entra Access Reviews can carry an item, or why it stays in Recert.
pub fn channel(surface: Surface, principal: PrincipalKind) -> Result<(), StaysInRecert> {
    match (surface, principal) {
        (Surface::AzureRole, _) => Err(StaysInRecert::AzureRole),
        (Surface::PimGroup, _) => Err(StaysInRecert::PimGroup),
        (Surface::DirectoryRole, PrincipalKind::User) => Ok(()),
        (Surface::DirectoryRole, _) => Err(StaysInRecert::NotAUser),
    }
}

/// The scope query of one published review: the role's instance list of that kind, filtered to
/// users and the role, exactly as accessreviews-scope-concept.md shows it (Examples 9b, 9c).
pub fn scope_query(role_id: &str, kind: AssignmentKind) -> String {
    match kind {
        AssignmentKind::Eligible => format!(
            "/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '{role_id}')"
        ),
        AssignmentKind::Active => format!(
            "/roleManagement/directory/roleAssignmentScheduleInstances?$expand=principal&$filter=(assignmentType eq 'Assigned' and isof(principal,'microsoft.graph.user') and roleDefinitionId eq '{role_id}')"
        ),
    }
}

/// One review item as matching sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub item_id: i64,
    pub surface: Surface,
    pub principal_id: String,
    pub principal_kind: PrincipalKind,
    pub role_id: String,
    pub kind: AssignmentKind,
    pub membership: Membership,
}

/// A decision item read from Entra, with the role and kind of the review it came from (the
/// publication record: one review per role and kind).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntraDecision {
    pub decision_id: String,
    pub principal_id: String,
    pub role_id: String,
    pub kind: AssignmentKind,
    /// Entra's `decision`: `NotReviewed`, `Approve`, `Deny`, `DontKnow`.
    pub decision: String,
    pub justification: String,
}

/// What a decision from Entra matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// Exactly one item: record the decision on it.
    One(i64),
    /// No item of this principal, role and kind is published in the campaign.
    Unmatched,
    /// Several items fit (the same role at two directory scopes, or held directly and through a
    /// group): which one the reviewer meant is not known, so none is decided.
    Ambiguous(Vec<i64>),
}

impl Match {
    pub fn as_str(&self) -> &'static str {
        match self {
            Match::One(_) => "matched",
            Match::Unmatched => "unmatched",
            Match::Ambiguous(_) => "ambiguous",
        }
    }
}

/// Matches `decision` to the published items of `candidates` by principal, role and kind (ids
/// compared without regard to case, as Graph treats GUIDs).
pub fn match_decision(candidates: &[Candidate], decision: &EntraDecision) -> Match {
    let mut found: Vec<i64> = candidates
        .iter()
        .filter(|c| channel(c.surface, c.principal_kind).is_ok())
        .filter(|c| {
            c.kind == decision.kind
                && c.principal_id.eq_ignore_ascii_case(&decision.principal_id)
                && c.role_id.eq_ignore_ascii_case(&decision.role_id)
        })
        .map(|c| c.item_id)
        .collect();
    found.sort_unstable();
    found.dedup();
    match found.as_slice() {
        [] => Match::Unmatched,
        [one] => Match::One(*one),
        _ => Match::Ambiguous(found),
    }
}

/// What an Entra decision means for the matched item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Not decided yet in Entra.
    Pending,
    /// A verdict to record, with the reviewer's justification as its note.
    Decided(Verdict),
    /// "Don't know" without a justification: Recert asks a note for it, and none can be
    /// invented, so it is reported instead of recorded.
    DontKnowWithoutNote,
    /// A value Recert does not know (reported with the value).
    Unknown(String),
}

/// Reads Entra's `decision` value.
pub fn read_decision(decision: &str, justification: &str) -> Reading {
    match decision {
        "NotReviewed" | "" => Reading::Pending,
        "Approve" => Reading::Decided(Verdict::Approve),
        "Deny" => Reading::Decided(Verdict::Deny),
        "DontKnow" if justification.trim().is_empty() => Reading::DontKnowWithoutNote,
        "DontKnow" => Reading::Decided(Verdict::DontKnow),
        other => Reading::Unknown(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
