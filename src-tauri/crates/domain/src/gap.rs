//! What a pull could not read, and the rule that keeps a campaign from reviewing an incomplete
//! population by accident: a surface in scope with a gap opens only when a governance admin
//! narrows the scope or accepts the gap with a reason.
//!
//! A pull never fails on one unreadable object (a group answering 403, a subscription readable only
//! at resource-group level, an API the sign-in has no consent for): it carries on and records, per
//! area and per object, what was not read and why. Silence would misstate the population; failing
//! the whole pull would block every review over one group.

use crate::Surface;

/// Which part of the tenant a gap is in: one of the three surfaces, or the facts behind the
/// recommendations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GapArea {
    DirectoryRole,
    PimGroup,
    AzureRole,
    /// PIM activation events (the audit log): usage behind the recommendations.
    ActivationHistory,
    /// Users' last sign-in (needs a licence and AuditLog.Read.All).
    SignInActivity,
}

impl GapArea {
    pub const ALL: [GapArea; 5] = [
        GapArea::DirectoryRole,
        GapArea::PimGroup,
        GapArea::AzureRole,
        GapArea::ActivationHistory,
        GapArea::SignInActivity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GapArea::DirectoryRole => "directoryRole",
            GapArea::PimGroup => "pimGroup",
            GapArea::AzureRole => "azureRole",
            GapArea::ActivationHistory => "activationHistory",
            GapArea::SignInActivity => "signInActivity",
        }
    }

    pub fn parse(s: &str) -> Option<GapArea> {
        GapArea::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The surface whose population this area is, if it is one.
    pub fn surface(self) -> Option<Surface> {
        match self {
            GapArea::DirectoryRole => Some(Surface::DirectoryRole),
            GapArea::PimGroup => Some(Surface::PimGroup),
            GapArea::AzureRole => Some(Surface::AzureRole),
            GapArea::ActivationHistory | GapArea::SignInActivity => None,
        }
    }

    pub fn of(surface: Surface) -> GapArea {
        match surface {
            Surface::DirectoryRole => GapArea::DirectoryRole,
            Surface::PimGroup => GapArea::PimGroup,
            Surface::AzureRole => GapArea::AzureRole,
        }
    }

    /// In words, for the window, the CLI and the binder.
    pub fn label(self) -> &'static str {
        match self {
            GapArea::DirectoryRole => "Entra directory roles",
            GapArea::PimGroup => "PIM for Groups",
            GapArea::AzureRole => "Azure resource roles",
            GapArea::ActivationHistory => "activation history",
            GapArea::SignInActivity => "last sign-in",
        }
    }
}

/// Why something was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GapReason {
    /// The service answered 403: the identity lacks a permission or role for this object.
    Forbidden,
    /// The object was listed but answered 404: deleted since.
    NotFound,
    /// No token for the API: its consent is missing, or the tenant has no such resource.
    NotConsented,
    /// The tenant lacks the licence the feature needs.
    NotLicensed,
    /// A subscription whose role instances can only be read below it (at resource-group level).
    PartialScope,
    /// A group PIM cannot govern (dynamic membership, or synced from on-premises): reported, but
    /// nothing in it could be under review, so it leaves no hole in the population.
    NotGovernable,
}

impl GapReason {
    pub const ALL: [GapReason; 6] = [
        GapReason::Forbidden,
        GapReason::NotFound,
        GapReason::NotConsented,
        GapReason::NotLicensed,
        GapReason::PartialScope,
        GapReason::NotGovernable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::Forbidden => "forbidden",
            GapReason::NotFound => "notFound",
            GapReason::NotConsented => "notConsented",
            GapReason::NotLicensed => "notLicensed",
            GapReason::PartialScope => "partialScope",
            GapReason::NotGovernable => "notGovernable",
        }
    }

    pub fn parse(s: &str) -> Option<GapReason> {
        GapReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    fn phrase(self) -> &'static str {
        match self {
            GapReason::Forbidden => "access denied (403)",
            GapReason::NotFound => "not found (404): deleted since it was listed",
            GapReason::NotConsented => "no access to the API: consent is missing",
            GapReason::NotLicensed => "the tenant is not licensed for it",
            GapReason::PartialScope => "readable only below the subscription",
            GapReason::NotGovernable => "not governable by PIM",
        }
    }

    /// Whether a gap of this kind leaves part of the population unread.
    pub fn leaves_hole(self) -> bool {
        self != GapReason::NotGovernable
    }
}

/// One thing a pull could not read: an area, the object if it was one object (a group, a
/// subscription, a role), why, and the service's own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullGap {
    pub area: GapArea,
    /// The object's id (group id, subscription id, role id); `None` for the whole area.
    pub object_id: Option<String>,
    /// The object's name when the pull knew it.
    pub object_name: Option<String>,
    pub reason: GapReason,
    /// The service's answer (code, message, request id), for whoever fixes it.
    pub detail: String,
}

impl PullGap {
    /// One line for the window, the CLI and the binder's population statement.
    pub fn describe(&self) -> String {
        let what = match (&self.object_name, &self.object_id) {
            (Some(name), Some(id)) if name != id => format!(" {name} ({id})"),
            (_, Some(id)) => format!(" {id}"),
            (Some(name), None) => format!(" {name}"),
            (None, None) => " (all of it)".to_string(),
        };
        let detail =
            if self.detail.is_empty() { String::new() } else { format!(" — {}", self.detail) };
        // Nothing in an ungovernable group could be under review: it is not a hole in the read.
        let verdict = if self.reason.leaves_hole() { "not read, " } else { "" };
        format!("{}:{what} {verdict}{}{detail}", self.area.label(), self.reason.phrase())
    }
}

/// The gaps that leave part of a campaign's population unread: those in a surface the scope
/// covers. Gaps in other surfaces, in the facts behind recommendations, or in groups PIM cannot
/// govern are reported but do not hold the campaign.
pub fn blocking<'a>(gaps: &'a [PullGap], surfaces: &[Surface]) -> Vec<&'a PullGap> {
    gaps.iter()
        .filter(|g| g.reason.leaves_hole())
        .filter(|g| g.area.surface().is_some_and(|s| surfaces.contains(&s)))
        .collect()
}

/// Why a campaign may not open over the population it pulled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenRefusal {
    /// Surfaces in scope were not read completely, and nobody accepted that.
    GapsNotAccepted(Vec<String>),
    /// An acceptance was given without a reason.
    ReasonRequired,
}

impl std::fmt::Display for OpenRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenRefusal::GapsNotAccepted(lines) => write!(
                f,
                "the pull could not read part of the campaign's scope, so the campaign was not \
                 opened: narrow the scope, or have a governance admin accept the gap with a \
                 reason. Not read: {}",
                lines.join("; ")
            ),
            OpenRefusal::ReasonRequired => {
                write!(f, "accepting a gap needs a reason, for the audit log and the binder")
            }
        }
    }
}

impl std::error::Error for OpenRefusal {}

/// What opening over `blocking` gaps needs: nothing when there are none; otherwise an acceptance
/// with a reason that is not blank. Returns the accepted reason, trimmed, when one was needed.
/// An acceptance offered when there is no gap is not recorded: there was nothing to accept.
pub fn check_open(
    blocking: &[&PullGap],
    acceptance: Option<&str>,
) -> Result<Option<String>, OpenRefusal> {
    if blocking.is_empty() {
        return Ok(None);
    }
    match acceptance.map(str::trim) {
        None => Err(OpenRefusal::GapsNotAccepted(blocking.iter().map(|g| g.describe()).collect())),
        Some("") => Err(OpenRefusal::ReasonRequired),
        Some(reason) => Ok(Some(reason.to_string())),
    }
}

#[cfg(test)]
mod tests;
