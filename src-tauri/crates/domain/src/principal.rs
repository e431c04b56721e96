//! The people, groups and applications behind assignments, and the facts a reviewer needs about
//! them: who they are, whether the account works, who their manager is, when they last used a role.

use chrono::{DateTime, Utc};

use crate::{PrincipalKind, Surface};

/// Member or guest, as Entra's `userType` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserType {
    Member,
    Guest,
}

impl UserType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Member => "member",
            UserType::Guest => "guest",
        }
    }

    pub fn parse(s: &str) -> Option<UserType> {
        match s.to_ascii_lowercase().as_str() {
            "member" => Some(UserType::Member),
            "guest" => Some(UserType::Guest),
            _ => None,
        }
    }
}

/// A principal as resolved at pull time. Fields the tenant did not give are `None`, never guessed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub id: String,
    pub kind: PrincipalKind,
    pub display_name: String,
    /// `userPrincipalName` for users, `appId` for service principals, mail nickname for groups.
    pub upn: Option<String>,
    pub mail: Option<String>,
    pub account_enabled: Option<bool>,
    pub user_type: Option<UserType>,
    /// The manager's object id; `None` when the tenant has none on record.
    pub manager_id: Option<String>,
    pub last_sign_in: Option<DateTime<Utc>>,
}

/// One use of a privileged role (a PIM activation), the evidence behind usage recommendations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activation {
    pub surface: Surface,
    pub role_id: String,
    pub scope: String,
    pub principal_id: String,
    pub at: DateTime<Utc>,
}

/// A member of a group that holds a role, so a reviewer sees "via group X".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub group_id: String,
    pub member_id: String,
}
