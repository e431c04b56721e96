//! Remediation that changes an assignment instead of removing it: a conversion to eligible (two
//! steps — the eligibility is created and verified before the standing active assignment is
//! removed, so nobody is left with neither) and a new end date ("approve until"). What each step
//! does next from the journal and a re-read, and how each change is verified afterwards.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{Endpoint, Hold, LiveInstance, Safety, Target, Verification, protection};
use crate::{AssignmentKind, Membership};

/// What a remediation action does to its assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// `adminRemove`.
    Remove,
    /// `adminAssign` of an eligibility for the same principal, role and scope, verified, then
    /// `adminRemove` of the active assignment.
    Convert,
    /// `adminUpdate` giving the assignment a new end.
    SetEnd,
}

impl Change {
    pub const ALL: [Change; 3] = [Change::Remove, Change::Convert, Change::SetEnd];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Remove => "remove",
            Change::Convert => "convert",
            Change::SetEnd => "setEnd",
        }
    }

    pub fn parse(s: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The request(s) in the service's words, for previews and evidence.
    pub fn describe(self, endpoint: Endpoint) -> String {
        match self {
            Change::Remove => endpoint.describe().to_string(),
            Change::Convert => format!(
                "{} then {}",
                endpoint
                    .eligibility()
                    .describe()
                    .replace("adminRemove", "adminAssign")
                    .replace("AdminRemove", "AdminAssign"),
                endpoint.describe()
            ),
            Change::SetEnd => endpoint
                .describe()
                .replace("adminRemove", "adminUpdate")
                .replace("AdminRemove", "AdminUpdate"),
        }
    }
}

impl Endpoint {
    /// The eligibility requests of the same surface: where a conversion creates its eligibility.
    pub fn eligibility(self) -> Endpoint {
        match self {
            Endpoint::DirectoryEligibility | Endpoint::DirectoryAssignment => {
                Endpoint::DirectoryEligibility
            }
            Endpoint::GroupEligibility | Endpoint::GroupAssignment => Endpoint::GroupEligibility,
            Endpoint::AzureEligibility | Endpoint::AzureAssignment => Endpoint::AzureEligibility,
        }
    }
}

/// How far the first step of a conversion (the new eligibility) has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FirstStep {
    Planned,
    /// Its request was (or was about to be) sent; the result is not known yet.
    Submitted,
    /// Re-read and found: the active assignment may go.
    Verified,
}

impl FirstStep {
    pub fn as_str(self) -> &'static str {
        match self {
            FirstStep::Planned => "planned",
            FirstStep::Submitted => "submitted",
            FirstStep::Verified => "verified",
        }
    }

    pub fn parse(s: &str) -> Option<FirstStep> {
        [FirstStep::Planned, FirstStep::Submitted, FirstStep::Verified]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// The end of an "approve until" day: the last second of that day, UTC.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(23, 59, 59).map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
}

/// The end of the eligibility a conversion makes: `days` after `from`, to the whole second.
pub fn eligible_until(from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let end = from + Duration::days(i64::from(days));
    DateTime::from_timestamp(end.timestamp(), 0).unwrap_or(end)
}

/// The interlocks a change answers to when planned and again just before it is sent: a
/// protected principal (break-glass) is never converted nor given an end, directly or as a
/// member of the group concerned. A conversion keeps the person a holder of the role (eligible),
/// and a new end takes nothing away now, so the critical-role minimum is not what holds them.
pub fn change_hold(target: &Target, dir: &super::Directory, safety: &Safety) -> Option<Hold> {
    if target.membership == Membership::Group {
        return Some(Hold::ViaGroup { groups: Vec::new() });
    }
    protection(target, dir, safety)
}

/// What the first step of a conversion does next, from the journal and the eligibility re-read
/// just now (already narrowed to the principal, role and scope).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstNext {
    /// A direct, standing eligibility is there: record the step verified and go on.
    Verified,
    /// None there and no request of this step was ever sent: send it.
    Send,
    /// None there although its request was sent: the attempt left no eligibility (cut short
    /// before the service took it, or refused): send it again under the same key. The re-read
    /// is what stands between this and a second eligibility.
    Resend,
}

/// The first step's next move.
pub fn first_next(state: FirstStep, eligible: &[LiveInstance]) -> FirstNext {
    if eligible.iter().any(|i| i.membership == Membership::Direct && !i.activated) {
        return FirstNext::Verified;
    }
    match state {
        FirstStep::Planned => FirstNext::Send,
        FirstStep::Submitted | FirstStep::Verified => FirstNext::Resend,
    }
}

/// The verification of a conversion: the standing active assignment gone and a direct
/// eligibility in its place.
pub fn verify_convert(
    previous: Option<Verification>,
    active: &[LiveInstance],
    eligible: &[LiveInstance],
) -> (Verification, String) {
    let standing = active.iter().any(|i| i.membership == Membership::Direct && !i.activated);
    let eligibility = eligible.iter().find(|i| i.membership == Membership::Direct && !i.activated);
    match (standing, eligibility) {
        (false, Some(e)) => (
            Verification::VerifiedChanged,
            format!(
                "eligible {}, no standing active assignment",
                e.end.map_or("with no end".into(), |end| format!("until {}", in_words(&end)))
            ),
        ),
        (false, None) => (
            Verification::NotChanged,
            "the active assignment is gone but no eligibility was found: the person holds neither"
                .into(),
        ),
        (true, _) if matches!(previous, Some(Verification::VerifiedChanged)) => (
            Verification::Reappeared,
            "a standing active assignment is present again after the conversion was verified"
                .into(),
        ),
        (true, _) => {
            (Verification::StillPresent, "the standing active assignment is still present".into())
        }
    }
}

/// The verification of a new end: the direct, standing assignment ends when it was asked to
/// (to the second). Gone altogether is not a changed end, and says so.
pub fn verify_end(live: &[LiveInstance], new_end: DateTime<Utc>) -> (Verification, String) {
    let standing: Vec<&LiveInstance> =
        live.iter().filter(|i| i.membership == Membership::Direct && !i.activated).collect();
    if standing.is_empty() {
        return (Verification::NotChanged, "the assignment is no longer in the tenant".into());
    }
    match standing.iter().find(|i| i.end.map(|e| e.timestamp()) == Some(new_end.timestamp())) {
        Some(_) => (Verification::VerifiedChanged, format!("ends {}", in_words(&new_end))),
        None => (
            Verification::NotChanged,
            format!(
                "ends {}, not {}",
                standing[0].end.map_or("never".into(), |e| in_words(&e)),
                in_words(&new_end)
            ),
        ),
    }
}

/// Whether a change fits the assignment it is planned for (a conversion needs an active one).
pub fn fits(change: Change, kind: AssignmentKind) -> bool {
    change != Change::Convert || kind == AssignmentKind::Active
}

#[cfg(test)]
mod tests;

/// A time as a verification or the journal says it to a person: "5 June 2027, 17:33 UTC".
pub fn in_words(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}
