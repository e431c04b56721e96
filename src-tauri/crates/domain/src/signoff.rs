//! Sign-off of a campaign's binder and its versions. The campaign owner (a governance admin) and
//! compliance (a second person, independent of the review) sign a closed campaign, each after a
//! fresh authentication; a change to the campaign's record after a sign-off — a correction, a
//! removal verified later — starts a new version of the binder, which is signed again.

use chrono::{DateTime, Utc};

use crate::campaign::CampaignState;
use crate::identity::{Authentication, Staleness};

/// What a signer signs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capacity {
    /// The campaign's owner: a governance admin of the tenant, who answers for the review.
    CampaignOwner,
    /// Compliance: a second person who took no part in the review's decisions.
    Compliance,
}

impl Capacity {
    pub const ALL: [Capacity; 2] = [Capacity::CampaignOwner, Capacity::Compliance];

    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::CampaignOwner => "campaignOwner",
            Capacity::Compliance => "compliance",
        }
    }

    pub fn parse(s: &str) -> Option<Capacity> {
        Capacity::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// As printed under the signature.
    pub fn label(self) -> &'static str {
        match self {
            Capacity::CampaignOwner => "Campaign owner",
            Capacity::Compliance => "Compliance",
        }
    }
}

/// One sign-off already recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedOff {
    pub version: u32,
    pub capacity: Capacity,
    pub signer_id: String,
    pub signer_upn: String,
}

/// Who asks to sign, as what, and the facts that decide whether they may.
#[derive(Clone, Debug)]
pub struct SignOffRequest<'a> {
    pub capacity: Capacity,
    pub state: CampaignState,
    pub signer_id: &'a str,
    /// The signer is a governance admin of the campaign's tenant.
    pub is_admin: bool,
    /// The signer recorded a decision in this campaign (as reviewer or for one).
    pub decided_in_campaign: bool,
    pub authentication: &'a Authentication,
    /// The binder's version as of now, and every sign-off recorded so far.
    pub version: u32,
    pub signed: &'a [SignedOff],
}

/// Why a sign-off is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignOffRefusal {
    /// Only a campaign whose review is over is signed: closed, remediating or completed.
    NotClosed(CampaignState),
    /// The signer's authentication is not fresh.
    Stale(Staleness),
    /// The campaign owner is a governance admin.
    OwnerNotAdmin,
    /// Compliance signs independently: not the person who signed as owner, and not a decider.
    ComplianceNotIndependent { reason: &'static str },
    /// This version already carries this capacity's signature.
    AlreadySigned { capacity: Capacity, version: u32, by: String },
}

impl std::fmt::Display for SignOffRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignOffRefusal::NotClosed(state) => write!(
                f,
                "the campaign is {state}: it is signed off once its review is closed",
                state = state.as_str()
            ),
            SignOffRefusal::Stale(why) => write!(f, "{why}"),
            SignOffRefusal::OwnerNotAdmin => {
                f.write_str("only a governance admin of the tenant signs as the campaign owner")
            }
            SignOffRefusal::ComplianceNotIndependent { reason } => {
                write!(f, "compliance signs independently of the review: {reason}")
            }
            SignOffRefusal::AlreadySigned { capacity, version, by } => write!(
                f,
                "version {version} of the binder is already signed as {} by {by}",
                capacity.label().to_lowercase()
            ),
        }
    }
}

impl std::error::Error for SignOffRefusal {}

/// Whether the request may be recorded at `now`.
pub fn check_sign_off(
    request: &SignOffRequest<'_>,
    now: DateTime<Utc>,
) -> Result<(), SignOffRefusal> {
    if !matches!(
        request.state,
        CampaignState::Closed | CampaignState::Remediating | CampaignState::Completed
    ) {
        return Err(SignOffRefusal::NotClosed(request.state));
    }
    let this_version = || request.signed.iter().filter(|s| s.version == request.version);
    if let Some(done) = this_version().find(|s| s.capacity == request.capacity) {
        return Err(SignOffRefusal::AlreadySigned {
            capacity: done.capacity,
            version: done.version,
            by: done.signer_upn.clone(),
        });
    }
    match request.capacity {
        Capacity::CampaignOwner if !request.is_admin => return Err(SignOffRefusal::OwnerNotAdmin),
        Capacity::CampaignOwner => {
            if this_version().any(|s| {
                s.capacity == Capacity::Compliance
                    && s.signer_id.eq_ignore_ascii_case(request.signer_id)
            }) {
                return Err(SignOffRefusal::ComplianceNotIndependent {
                    reason: "the same person cannot also sign as the campaign owner",
                });
            }
        }
        Capacity::Compliance => {
            if this_version().any(|s| {
                s.capacity == Capacity::CampaignOwner
                    && s.signer_id.eq_ignore_ascii_case(request.signer_id)
            }) {
                return Err(SignOffRefusal::ComplianceNotIndependent {
                    reason: "the campaign owner who signed cannot also sign as compliance",
                });
            }
            if request.decided_in_campaign {
                return Err(SignOffRefusal::ComplianceNotIndependent {
                    reason: "the signer recorded decisions in this campaign",
                });
            }
        }
    }
    request.authentication.fresh_at(now).map_err(SignOffRefusal::Stale)
}

/// One event of a campaign's record, as far as versions go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordEvent {
    /// A sign-off of `version`.
    SignedOff { version: u32 },
    /// Anything that changes what the binder says (a correction, a removal, a verification).
    Changed,
    /// Something that changes nothing the binder says (an export).
    Unchanged,
}

/// The binder's version after `events` in the order recorded: version 1 until a sign-off, and a
/// new version at the first change after each version was signed.
pub fn binder_version(events: impl IntoIterator<Item = RecordEvent>) -> u32 {
    let mut version = 1;
    let mut signed = false;
    for event in events {
        match event {
            RecordEvent::SignedOff { version: v } if v == version => signed = true,
            RecordEvent::SignedOff { .. } | RecordEvent::Unchanged => {}
            RecordEvent::Changed if signed => {
                version += 1;
                signed = false;
            }
            RecordEvent::Changed => {}
        }
    }
    version
}

#[cfg(test)]
mod tests;
