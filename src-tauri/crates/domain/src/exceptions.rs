//! The exceptions register: access a campaign kept or held although its review or an interlock
//! said otherwise — approved with an exception, or held for a critical role or a protected
//! account — each with an owner who answers for it, the reason, an expiry date and the control
//! that compensates meanwhile. An exception is not forever: once expired, the access comes back
//! for review in the next campaign of the same definition, even where the scope's exclusions
//! would leave it out.

use crate::{AssignmentKind, Surface};
use chrono::NaiveDate;

/// The longest an exception may run before it is reviewed again.
pub const MAX_TERM_DAYS: i64 = 366;

/// What a governance admin records for one exception.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Who answers for the exception (a UPN).
    pub owner: String,
    pub expires_on: NaiveDate,
    /// What limits the risk meanwhile, e.g. "sign-ins alerted to the SOC".
    pub control: String,
}

/// Why terms are refused, per field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermsProblem {
    OwnerMissing,
    ExpiryPast,
    ExpiryTooFar,
    ControlMissing,
}

impl TermsProblem {
    pub fn field(&self) -> &'static str {
        match self {
            TermsProblem::OwnerMissing => "owner",
            TermsProblem::ExpiryPast | TermsProblem::ExpiryTooFar => "expiresOn",
            TermsProblem::ControlMissing => "control",
        }
    }
}

impl std::fmt::Display for TermsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TermsProblem::OwnerMissing => "name the person who answers for this exception",
            TermsProblem::ExpiryPast => "the expiry must be after today",
            TermsProblem::ExpiryTooFar => "an exception runs at most a year before its review",
            TermsProblem::ControlMissing => {
                "say what compensates for the access meanwhile (at least 10 characters)"
            }
        })
    }
}

/// Checks terms recorded on `today`.
pub fn check_terms(terms: &Terms, today: NaiveDate) -> Result<(), Vec<TermsProblem>> {
    let mut problems = Vec::new();
    if terms.owner.trim().is_empty() {
        problems.push(TermsProblem::OwnerMissing);
    }
    if terms.expires_on <= today {
        problems.push(TermsProblem::ExpiryPast);
    } else if (terms.expires_on - today).num_days() > MAX_TERM_DAYS {
        problems.push(TermsProblem::ExpiryTooFar);
    }
    if terms.control.trim().chars().count() < 10 {
        problems.push(TermsProblem::ControlMissing);
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Where one exception stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Nobody recorded its owner, expiry and control yet: it runs without a limit, a finding.
    Unregistered,
    Current {
        until: NaiveDate,
    },
    Expired {
        on: NaiveDate,
    },
}

pub fn standing(terms: Option<&Terms>, today: NaiveDate) -> Standing {
    match terms {
        None => Standing::Unregistered,
        Some(t) if t.expires_on <= today => Standing::Expired { on: t.expires_on },
        Some(t) => Standing::Current { until: t.expires_on },
    }
}

/// The access an exception of an earlier campaign covered, as the register names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastException {
    pub campaign_id: String,
    pub item_id: u32,
    pub surface: Surface,
    pub role_id: String,
    pub scope: String,
    pub principal_id: String,
    pub kind: AssignmentKind,
    pub terms: Option<Terms>,
}

impl PastException {
    fn covers(&self, a: &Held<'_>) -> bool {
        self.surface == a.surface
            && self.role_id.eq_ignore_ascii_case(a.role_id)
            && self.scope.eq_ignore_ascii_case(a.scope)
            && self.principal_id.eq_ignore_ascii_case(a.principal_id)
            && self.kind == a.kind
    }
}

/// One assignment of a new campaign's population.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held<'a> {
    pub surface: Surface,
    pub role_id: &'a str,
    pub scope: &'a str,
    pub principal_id: &'a str,
    pub kind: AssignmentKind,
}

/// The expired exception that brings `assignment` back for review on `today`, if any (the
/// latest-expiring of those that cover it). A current exception brings nothing back; neither
/// does one nobody registered terms for — it never expires, and the findings say so.
pub fn returning<'e>(
    register: &'e [PastException],
    assignment: &Held<'_>,
    today: NaiveDate,
) -> Option<&'e PastException> {
    let covering: Vec<&PastException> = register.iter().filter(|e| e.covers(assignment)).collect();
    // A later campaign's exception still current overrides an older one that expired.
    if covering
        .iter()
        .any(|e| matches!(standing(e.terms.as_ref(), today), Standing::Current { .. }))
    {
        return None;
    }
    covering
        .into_iter()
        .filter(|e| matches!(standing(e.terms.as_ref(), today), Standing::Expired { .. }))
        .max_by_key(|e| e.terms.as_ref().map(|t| t.expires_on))
}

#[cfg(test)]
mod tests;
