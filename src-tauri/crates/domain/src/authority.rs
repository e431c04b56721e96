//! Who may do what: the authorization table (action × role) that every state-changing use case
//! checks, with the refusal that says how to get the right. The caller works out the role from
//! the session (the signed-in person, the demo tenant's chosen user, or the application running
//! unattended) and the tenant's governance admins; nothing here takes an identity on trust.

/// What the person (or the application) acting on a tenant is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A person who is one of the tenant's governance admins.
    GovernanceAdmin,
    /// A person signed in (or, on the demo tenant, chosen) who is not a governance admin:
    /// a reviewer, or compliance staff.
    Person,
    /// The application itself, unattended: the scheduler, or an app-only CLI run.
    Application,
    /// Nobody is signed in to the tenant.
    Nobody,
}

impl Role {
    pub const ALL: [Role; 4] =
        [Role::GovernanceAdmin, Role::Person, Role::Application, Role::Nobody];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::GovernanceAdmin => "governanceAdmin",
            Role::Person => "person",
            Role::Application => "application",
            Role::Nobody => "nobody",
        }
    }
}

/// Every action that changes what Recert holds or what the tenant grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create a campaign definition.
    Define,
    /// Open a campaign by hand.
    Open,
    /// Open a campaign although the pull could not read part of its scope, with a reason.
    AcceptGap,
    /// Close a campaign by hand.
    Close,
    /// Open what is due, close what is past its deadline (and auto-apply where a campaign says
    /// so): the scheduler's round.
    RunDue,
    /// Send removals to the tenant.
    Apply,
    /// Re-read the tenant for removals already sent.
    Verify,
    /// Confirm a removal held for a critical role, or keep the access it protects.
    DecideHold,
    /// Resolve a removal that was not made (re-plan, retry, or keep with a reason).
    ResolveException,
    /// Change the protected principals and critical roles.
    ChangeSafety,
    /// Add or remove governance admins.
    ManageAdmins,
    /// Decide items one is the reviewer of.
    Decide,
    /// Decide for another reviewer, or an item nobody could be routed to.
    DecideForReviewer,
    /// Pull the tenant's population again.
    Pull,
    /// Export the evidence binder.
    Export,
    /// Sign off a closed campaign's binder (as its owner or as compliance; `signoff.rs` says
    /// which person may sign as which).
    SignOff,
    /// Record a correction to a campaign's record after its sign-off (a new binder version).
    Correct,
    /// Record an exception's owner, expiry and compensating control in the register.
    RegisterException,
    /// Change the tenant's canned justifications offered to reviewers.
    SetJustifications,
}

impl Action {
    pub const ALL: [Action; 19] = [
        Action::Define,
        Action::Open,
        Action::AcceptGap,
        Action::Close,
        Action::RunDue,
        Action::Apply,
        Action::Verify,
        Action::DecideHold,
        Action::ResolveException,
        Action::ChangeSafety,
        Action::ManageAdmins,
        Action::Decide,
        Action::DecideForReviewer,
        Action::Pull,
        Action::Export,
        Action::SignOff,
        Action::Correct,
        Action::RegisterException,
        Action::SetJustifications,
    ];

    /// In words, for refusals and the architecture notes.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Define => "define campaigns",
            Action::Open => "open campaigns",
            Action::AcceptGap => "accept a gap in a campaign's population",
            Action::Close => "close campaigns (or move a review to its next stage)",
            Action::RunDue => {
                "run the schedule (open, move stages on, close, auto-apply what is due)"
            }
            Action::Apply => "apply removals",
            Action::Verify => "verify removals",
            Action::DecideHold => "confirm or keep held removals",
            Action::ResolveException => "resolve removals that were not made",
            Action::ChangeSafety => "change the safety interlocks",
            Action::ManageAdmins => "manage governance admins",
            Action::Decide => "decide their own review items",
            Action::DecideForReviewer => "decide for a reviewer",
            Action::Pull => "pull the tenant",
            Action::Export => "export evidence",
            Action::SignOff => "sign off a campaign",
            Action::Correct => "correct a signed-off campaign",
            Action::RegisterException => "register an exception's owner, expiry and control",
            Action::SetJustifications => "change the canned justifications",
        }
    }

    /// Only governance admins may, when the tenant has any (the application where the unattended
    /// policy allows it).
    fn admin_only(self) -> bool {
        !matches!(
            self,
            Action::Decide | Action::Verify | Action::Pull | Action::Export | Action::SignOff
        )
    }

    /// What an unattended run (no person behind it) may do: keep the schedule, send and verify
    /// removals, pull and export. Never decide, and never anything a named person must own.
    fn unattended(self) -> bool {
        matches!(
            self,
            Action::RunDue | Action::Apply | Action::Verify | Action::Pull | Action::Export
        )
    }
}

/// Why an action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Nobody is signed in.
    SignInFirst(Action),
    /// The tenant has no governance admin yet, so nobody may do this.
    NoAdmin(Action),
    /// Only a governance admin may do this.
    AdminOnly(Action),
    /// An unattended run may not do this: a person must.
    PersonOnly(Action),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::SignInFirst(a) => {
                write!(f, "sign in first: nobody may {} anonymously", a.describe())
            }
            Refusal::NoAdmin(a) => write!(
                f,
                "this tenant has no governance admin yet, so nobody may {}: a person who holds \
                 Privileged Role Administrator, Global Administrator or Identity Governance \
                 Administrator signs in and makes themselves the first admin (Settings › \
                 Governance admins, or `recert-cli admins bootstrap`)",
                a.describe()
            ),
            Refusal::AdminOnly(a) => write!(f, "only a governance admin may {}", a.describe()),
            Refusal::PersonOnly(a) => {
                write!(f, "an unattended run may not {}: a person must sign in", a.describe())
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// The authorization table. `admins_exist` says whether the tenant has any governance admin:
/// without one, admin-only actions are refused for everybody with the way to bootstrap one.
pub fn authorize(role: Role, action: Action, admins_exist: bool) -> Result<(), Refusal> {
    match role {
        Role::Nobody => Err(Refusal::SignInFirst(action)),
        Role::Application if !action.unattended() => Err(Refusal::PersonOnly(action)),
        _ if action.admin_only() && !admins_exist => Err(Refusal::NoAdmin(action)),
        Role::Person if action.admin_only() => Err(Refusal::AdminOnly(action)),
        Role::GovernanceAdmin | Role::Person | Role::Application => Ok(()),
    }
}

/// The directory roles whose active holders may make themselves a tenant's first governance
/// admin (by role template id, the same in every tenant).
pub const BOOTSTRAP_ROLES: [(&str, &str); 3] = [
    (crate::remediation::PRIVILEGED_ROLE_ADMINISTRATOR, "Privileged Role Administrator"),
    (crate::remediation::GLOBAL_ADMINISTRATOR, "Global Administrator"),
    (IDENTITY_GOVERNANCE_ADMINISTRATOR, "Identity Governance Administrator"),
];

/// Identity Governance Administrator's role template id.
pub const IDENTITY_GOVERNANCE_ADMINISTRATOR: &str = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e";

/// One active directory-role instance of a person, as re-read from the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveRole {
    pub role_id: String,
    /// Only tenant-wide (`/`) holders qualify: a role scoped to an administrative unit does not
    /// govern the tenant.
    pub scope: String,
}

/// The bootstrap role a person actively holds tenant-wide, if any: what makes them eligible to
/// become a tenant's first governance admin.
pub fn bootstrap_role(active: &[ActiveRole]) -> Option<&'static str> {
    BOOTSTRAP_ROLES.iter().find_map(|(id, name)| {
        active.iter().any(|a| a.role_id.eq_ignore_ascii_case(id) && a.scope == "/").then_some(*name)
    })
}

#[cfg(test)]
mod tests;
