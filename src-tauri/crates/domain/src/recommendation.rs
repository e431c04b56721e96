//! Recommendations: a suggested verdict for each item with the reason a reviewer can check —
//! based on use of the role (PIM activations), the account's state and a guest's sign-ins.
//!
//! A recommendation about use states the history it rests on: when Recert's recorded activation
//! history is shorter than the look-back, the reason says since when it looked ("no activation
//! since 2026-09-07, the start of recorded history"), never the longer look-back; where no
//! history is recorded at all, use is unknown and nothing is claimed.

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
        /// Where the recorded history starts, when that is later than the look-back's start:
        /// the only stretch the verdict speaks for.
        history_since: Option<DateTime<Utc>>,
    },
    /// No recorded history covers this role's use (the audit log could not be read, or the
    /// surface has none): use cannot be measured, so nothing is claimed about it.
    UsageUnknown {
        last_activation: Option<DateTime<Utc>>,
    },
    ActivatedRecently {
        last_activation: DateTime<Utc>,
    },
    /// Standing (active) access with an end: no activation is needed to use it, so use is
    /// unknown, but it ends on its own.
    StandingAccess,
    /// Permanent standing (active) access: its use cannot be measured and it never ends, so it is
    /// not recommended for approval but for a person's review. `convertible` where the holder can
    /// be made eligible instead (a person or a group; Entra makes no service principal eligible).
    PermanentStanding {
        convertible: bool,
    },
}

impl Reason {
    pub fn code(&self) -> &'static str {
        match self {
            Reason::AccountDisabled => "accountDisabled",
            Reason::GuestInactive { .. } => "guestInactive",
            Reason::NotActivated { .. } => "notActivated",
            Reason::UsageUnknown { .. } => "usageUnknown",
            Reason::ActivatedRecently { .. } => "activatedRecently",
            Reason::StandingAccess => "standingAccess",
            Reason::PermanentStanding { .. } => "permanentStanding",
        }
    }

    /// A sentence for the reviewer's row and the evidence, as of `now`: the only reason whose
    /// words depend on it is a history shorter than the look-back, which says how many days it
    /// holds.
    pub fn describe_at(&self, now: DateTime<Utc>) -> String {
        let day = |t: &DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        match self {
            Reason::NotActivated { look_back_days, last_activation, history_since: Some(s) } => {
                let held = (now - *s).num_days().max(0);
                let coverage = format!(
                    "no activation since {}, the start of recorded history ({held} of the \
                     {look_back_days} days looked back)",
                    day(s)
                );
                match last_activation {
                    Some(t) => format!("last activated on {}; {coverage}", day(t)),
                    None => coverage,
                }
            }
            other => other.describe(),
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
            Reason::NotActivated { look_back_days, last_activation: None, history_since: None } => {
                format!("never activated in the last {look_back_days} days")
            }
            Reason::NotActivated {
                look_back_days,
                last_activation: Some(t),
                history_since: None,
            } => {
                format!("not activated in the last {look_back_days} days (last on {})", day(t))
            }
            Reason::NotActivated { last_activation, history_since: Some(s), .. } => {
                let coverage =
                    format!("no activation since {}, the start of recorded history", day(s));
                match last_activation {
                    Some(t) => format!("last activated on {}; {coverage}", day(t)),
                    None => coverage,
                }
            }
            Reason::UsageUnknown { last_activation: None } => {
                "no activation history is recorded for this role, so its use cannot be measured"
                    .into()
            }
            Reason::UsageUnknown { last_activation: Some(t) } => format!(
                "last seen activated on {}; no continuous activation history is recorded for this \
                 role, so its use since cannot be measured",
                day(t)
            ),
            Reason::ActivatedRecently { last_activation } => {
                format!("activated on {}", day(last_activation))
            }
            Reason::StandingAccess => {
                "standing access: it needs no activation, so its use cannot be measured".into()
            }
            Reason::PermanentStanding { convertible: true } => {
                "review standing access: permanent and active, it needs no activation, so its use \
                 cannot be measured; converting it to eligible keeps the role for when it is needed"
                    .into()
            }
            Reason::PermanentStanding { convertible: false } => {
                "review standing access: permanent and active, it needs no activation, so its use \
                 cannot be measured; an application cannot be made eligible, so confirm it still \
                 needs the role"
                    .into()
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recommendation {
    /// The verdict recommended; `None` when the item needs a person's review and no verdict is
    /// suggested to accept as it is.
    pub verdict: Option<Verdict>,
    pub reason: Reason,
}

/// How a recommendation without a verdict is stored and shown.
pub const REVIEW: &str = "review";

impl Recommendation {
    /// What it suggests as stored: a verdict's name, or [`REVIEW`].
    pub fn suggestion(&self) -> &'static str {
        self.verdict.map_or(REVIEW, |v| v.as_str())
    }
}

/// The recommendation for one assignment at `now`. `last_activation` is the holder's latest
/// activation of this role (for a group, its members'), if any is known; `history_since` is where
/// the recorded activation history of the assignment's surface starts without a hole (`None`
/// when none is recorded, see [`crate::history::recorded_since`]).
pub fn recommend(
    assignment: &Assignment,
    holder: &Principal,
    last_activation: Option<DateTime<Utc>>,
    history_since: Option<DateTime<Utc>>,
    look_back_days: u32,
    now: DateTime<Utc>,
) -> Recommendation {
    let deny = |reason| Recommendation { verdict: Some(Verdict::Deny), reason };
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
            match (last_activation, history_since) {
                (Some(at), _) if at >= cutoff => Recommendation {
                    verdict: Some(Verdict::Approve),
                    reason: Reason::ActivatedRecently { last_activation: at },
                },
                // Nothing recorded to judge by: no claim either way.
                (other, None) => Recommendation {
                    verdict: Some(Verdict::Approve),
                    reason: Reason::UsageUnknown { last_activation: other },
                },
                (other, Some(since)) => deny(Reason::NotActivated {
                    look_back_days,
                    last_activation: other,
                    // A history that reaches back past the look-back covers all of it.
                    history_since: (since > cutoff).then_some(since),
                }),
            }
        }
        // Access that ends on its own may be approved; permanent standing access is for a
        // person to look at, never approved by accepting recommendations in bulk.
        AssignmentKind::Active if assignment.end.is_some() => {
            Recommendation { verdict: Some(Verdict::Approve), reason: Reason::StandingAccess }
        }
        AssignmentKind::Active => Recommendation {
            verdict: None,
            reason: Reason::PermanentStanding {
                convertible: holder.kind != crate::PrincipalKind::ServicePrincipal,
            },
        },
    }
}

#[cfg(test)]
mod tests;
