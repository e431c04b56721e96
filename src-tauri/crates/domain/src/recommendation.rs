//! Recommendations: a suggested verdict for each item with the reason a reviewer can check —
//! based on use of the role (PIM activations), the account's state and a guest's sign-ins.

use chrono::{DateTime, Duration, Utc};

use crate::review::Verdict;
use crate::{Assignment, AssignmentKind, Principal, UserType};

/// Guests who have not signed in for this long are recommended for removal.
pub const GUEST_INACTIVE_DAYS: i64 = 90;

/// Why the recommendation is what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    AccountDisabled,
    /// A guest whose last sign-in (or activation, which needs one) is over 90 days old.
    GuestInactive {
        last_sign_in: Option<DateTime<Utc>>,
    },
    NotActivated {
        look_back_days: u32,
        last_activation: Option<DateTime<Utc>>,
    },
    ActivatedRecently {
        last_activation: DateTime<Utc>,
    },
    /// Standing (active) access: no activation is needed to use it, so use is unknown.
    StandingAccess,
}

impl Reason {
    pub fn code(&self) -> &'static str {
        match self {
            Reason::AccountDisabled => "accountDisabled",
            Reason::GuestInactive { .. } => "guestInactive",
            Reason::NotActivated { .. } => "notActivated",
            Reason::ActivatedRecently { .. } => "activatedRecently",
            Reason::StandingAccess => "standingAccess",
        }
    }

    /// A sentence for the reviewer's row and the evidence.
    pub fn describe(&self) -> String {
        let day = |t: &DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        match self {
            Reason::AccountDisabled => "the account is disabled".into(),
            Reason::GuestInactive { last_sign_in: None } => "guest with no recorded sign-in".into(),
            Reason::GuestInactive { last_sign_in: Some(t) } => {
                format!(
                    "guest who last signed in on {} (over {GUEST_INACTIVE_DAYS} days ago)",
                    day(t)
                )
            }
            Reason::NotActivated { look_back_days, last_activation: None } => {
                format!("never activated in the last {look_back_days} days")
            }
            Reason::NotActivated { look_back_days, last_activation: Some(t) } => {
                format!("not activated in the last {look_back_days} days (last on {})", day(t))
            }
            Reason::ActivatedRecently { last_activation } => {
                format!("activated on {}", day(last_activation))
            }
            Reason::StandingAccess => {
                "standing access: it needs no activation, so its use cannot be measured".into()
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recommendation {
    pub verdict: Verdict,
    pub reason: Reason,
}

/// The recommendation for one assignment at `now`. `last_activation` is the holder's latest
/// activation of this role (for a group, its members'), if any is known.
pub fn recommend(
    assignment: &Assignment,
    holder: &Principal,
    last_activation: Option<DateTime<Utc>>,
    look_back_days: u32,
    now: DateTime<Utc>,
) -> Recommendation {
    let deny = |reason| Recommendation { verdict: Verdict::Deny, reason };
    if holder.account_enabled == Some(false) {
        return deny(Reason::AccountDisabled);
    }
    if holder.user_type == Some(UserType::Guest) {
        // Activating a role takes a sign-in, so a later activation is a later sign-in than the
        // one on record (Entra updates `signInActivity` lazily).
        let last_seen = holder.last_sign_in.max(last_activation);
        let cutoff = now - Duration::days(GUEST_INACTIVE_DAYS);
        if last_seen.is_none_or(|t| t < cutoff) {
            return deny(Reason::GuestInactive { last_sign_in: last_seen });
        }
    }
    match assignment.kind {
        AssignmentKind::Eligible => {
            let cutoff = now - Duration::days(i64::from(look_back_days));
            match last_activation {
                Some(at) if at >= cutoff => Recommendation {
                    verdict: Verdict::Approve,
                    reason: Reason::ActivatedRecently { last_activation: at },
                },
                other => deny(Reason::NotActivated { look_back_days, last_activation: other }),
            }
        }
        AssignmentKind::Active => {
            Recommendation { verdict: Verdict::Approve, reason: Reason::StandingAccess }
        }
    }
}

#[cfg(test)]
mod tests;
