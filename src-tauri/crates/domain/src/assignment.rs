//! Privileged assignments: one grant of one role to one principal, as a review sees it.

use chrono::{DateTime, Utc};

/// Where an assignment lives in the tenant.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Surface {
    /// Entra directory roles, through Graph.
    DirectoryRole,
    /// PIM for Groups membership or ownership, through Graph.
    PimGroup,
    /// Azure RBAC roles, through ARM.
    AzureRole,
}

impl Surface {
    pub const ALL: [Surface; 3] = [Surface::DirectoryRole, Surface::PimGroup, Surface::AzureRole];

    /// The stable name used in storage and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::DirectoryRole => "directoryRole",
            Surface::PimGroup => "pimGroup",
            Surface::AzureRole => "azureRole",
        }
    }

    pub fn parse(s: &str) -> Option<Surface> {
        Surface::ALL.into_iter().find(|surface| surface.as_str() == s)
    }

    /// What a reader calls it, for documents meant for people (the binder, its CSVs).
    pub fn label(self) -> &'static str {
        match self {
            Surface::DirectoryRole => "Entra role",
            Surface::PimGroup => "PIM group",
            Surface::AzureRole => "Azure role",
        }
    }
}

/// Whether the principal may activate the role (eligible) or holds it now (active).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AssignmentKind {
    Eligible,
    Active,
}

impl AssignmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentKind::Eligible => "eligible",
            AssignmentKind::Active => "active",
        }
    }

    pub fn parse(s: &str) -> Option<AssignmentKind> {
        match s {
            "eligible" => Some(AssignmentKind::Eligible),
            "active" => Some(AssignmentKind::Active),
            _ => None,
        }
    }
}

/// Whether the grant names the principal itself or reaches it through a group.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Membership {
    Direct,
    Group,
}

impl Membership {
    pub fn as_str(self) -> &'static str {
        match self {
            Membership::Direct => "direct",
            Membership::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Membership> {
        match s {
            "direct" => Some(Membership::Direct),
            "group" => Some(Membership::Group),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    User,
    Group,
    ServicePrincipal,
    Unknown,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::ServicePrincipal => "servicePrincipal",
            PrincipalKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> PrincipalKind {
        match s {
            "user" => PrincipalKind::User,
            "group" => PrincipalKind::Group,
            "servicePrincipal" => PrincipalKind::ServicePrincipal,
            _ => PrincipalKind::Unknown,
        }
    }
}

/// A role as the tenant defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleDefinition {
    pub surface: Surface,
    pub id: String,
    pub display_name: String,
    pub is_built_in: bool,
    /// What the role allows, as the tenant lists it (Entra `allowedResourceActions`, Azure
    /// `actions`); `None` where it was not read (PIM for Groups, a role only named by an
    /// assignment).
    pub permissions: Option<Vec<String>>,
}

/// The name of a scope assignments are made at: an administrative unit
/// (`/administrativeUnits/{id}`) or a subscription (`/subscriptions/{id}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeName {
    /// The scope as assignments name it.
    pub scope: String,
    pub display_name: String,
}

/// One grant under review. PIM activations are not assignments: they are usage evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub surface: Surface,
    /// The schedule instance id in the tenant.
    pub source_id: String,
    pub role_id: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_kind: PrincipalKind,
    pub principal_name: String,
    pub principal_upn: Option<String>,
    pub kind: AssignmentKind,
    pub membership: Membership,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Assignment {
    /// The holder as the assignment itself names them, for holders the directory pull did not
    /// resolve (deleted since, or outside the tenant): what the tenant did not say stays unknown.
    pub fn named_holder(&self) -> crate::principal::Principal {
        crate::principal::Principal {
            id: self.principal_id.clone(),
            kind: self.principal_kind,
            display_name: self.principal_name.clone(),
            upn: self.principal_upn.clone(),
            mail: None,
            account_enabled: None,
            user_type: None,
            manager_id: None,
            last_sign_in: None,
        }
    }
}
