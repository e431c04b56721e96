//! The tenant as data: Graph-shaped JSON objects per collection, plus the id maps (managers, members).
//!
//! A `Tenant` is what fixtures load into and what the generator produces; the server indexes it at
//! start-up (see `store.rs`). Objects stay as `serde_json::Value` so that whatever fields a real
//! tenant export carries are served back unchanged.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::fixture::{self, FixtureError};
use crate::generate::{self, GenerateOptions};

/// An application registration that can obtain tokens from the emulator.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub client_id: String,
    pub display_name: String,
    /// `None` for a public client (desktop sign-in with PKCE or device code).
    pub secret: Option<String>,
    /// X.509 certificates (DER) the app signs client assertions with (`keyCredentials`): the
    /// token endpoint matches an assertion's `x5t` against them and checks its RS256 signature.
    pub certificates: Vec<Vec<u8>>,
    /// Graph application permissions granted with admin consent (client credentials tokens carry them as `roles`).
    pub application_permissions: Vec<String>,
    /// Graph delegated permissions granted with admin consent (user tokens carry them as `scp`).
    pub delegated_permissions: Vec<String>,
}

/// ARM (Azure resource roles) data, ARM-shaped (`id`, `name`, `type`, `properties`).
#[derive(Debug, Clone, Default)]
pub struct ArmData {
    pub subscriptions: Vec<Value>,
    pub resource_groups: Vec<Value>,
    pub role_definitions: Vec<Value>,
    pub role_eligibility_schedule_instances: Vec<Value>,
    pub role_assignment_schedule_instances: Vec<Value>,
}

/// A complete fake tenant.
#[derive(Debug, Clone, Default)]
pub struct Tenant {
    pub(crate) id: String,
    pub(crate) display_name: String,
    pub(crate) default_domain: String,
    pub(crate) users: Vec<Value>,
    pub(crate) groups: Vec<Value>,
    pub(crate) service_principals: Vec<Value>,
    /// Administrative units (id and display name), the scopes some role assignments name.
    pub(crate) administrative_units: Vec<Value>,
    pub(crate) role_definitions: Vec<Value>,
    pub(crate) eligibility_instances: Vec<Value>,
    pub(crate) assignment_instances: Vec<Value>,
    pub(crate) eligibility_requests: Vec<Value>,
    pub(crate) assignment_requests: Vec<Value>,
    pub(crate) group_eligibility_instances: Vec<Value>,
    pub(crate) group_assignment_instances: Vec<Value>,
    pub(crate) directory_audits: Vec<Value>,
    /// user id -> manager id
    pub(crate) managers: BTreeMap<String, String>,
    /// group id -> direct member ids (users, groups, service principals)
    pub(crate) group_members: BTreeMap<String, Vec<String>>,
    /// group id -> owner ids
    pub(crate) group_owners: BTreeMap<String, Vec<String>>,
    pub(crate) clients: Vec<Client>,
    pub(crate) arm: ArmData,
}

/// Every Graph application permission the product asks for; the built-in app registration holds all of them.
pub const RECERT_APPLICATION_PERMISSIONS: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
    "User.Read.All",
    "GroupMember.Read.All",
    "Application.Read.All",
    "Directory.Read.All",
    "AuditLog.Read.All",
    "AccessReview.ReadWrite.All",
    "Mail.Send",
];

/// Delegated permissions granted to the built-in public client.
pub const RECERT_DELEGATED_PERMISSIONS: &[&str] = &[
    "User.Read",
    "RoleManagement.Read.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
    "User.Read.All",
    "GroupMember.Read.All",
    "Application.Read.All",
    "Directory.Read.All",
    "AuditLog.Read.All",
    "AccessReview.ReadWrite.All",
];

/// Client ids of the built-in registrations, fixed so that a saved demo configuration keeps working.
pub const DEMO_CONFIDENTIAL_CLIENT_ID: &str = "5d1a3f0e-7c1b-4e0a-9a57-2f2b0c8e1a01";
pub const DEMO_CONFIDENTIAL_CLIENT_SECRET: &str = "demo-secret-not-for-production";
pub const DEMO_READONLY_CLIENT_ID: &str = "5d1a3f0e-7c1b-4e0a-9a57-2f2b0c8e1a02";
pub const DEMO_READONLY_CLIENT_SECRET: &str = "demo-readonly-secret";
pub const DEMO_PUBLIC_CLIENT_ID: &str = "5d1a3f0e-7c1b-4e0a-9a57-2f2b0c8e1a03";

pub(crate) fn default_clients() -> Vec<Client> {
    let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        Client {
            client_id: DEMO_CONFIDENTIAL_CLIENT_ID.into(),
            display_name: "Recert".into(),
            secret: Some(DEMO_CONFIDENTIAL_CLIENT_SECRET.into()),
            certificates: Vec::new(),
            application_permissions: owned(RECERT_APPLICATION_PERMISSIONS),
            delegated_permissions: owned(RECERT_DELEGATED_PERMISSIONS),
        },
        Client {
            client_id: DEMO_READONLY_CLIENT_ID.into(),
            display_name: "Recert (read only)".into(),
            secret: Some(DEMO_READONLY_CLIENT_SECRET.into()),
            certificates: Vec::new(),
            application_permissions: owned(&[
                "RoleManagement.Read.Directory",
                "User.ReadBasic.All",
            ]),
            delegated_permissions: owned(&["User.Read"]),
        },
        Client {
            client_id: DEMO_PUBLIC_CLIENT_ID.into(),
            display_name: "Recert desktop".into(),
            secret: None,
            certificates: Vec::new(),
            application_permissions: Vec::new(),
            delegated_permissions: owned(RECERT_DELEGATED_PERMISSIONS),
        },
    ]
}

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

impl Tenant {
    /// The built-in demo tenant "Contoso (demo)": about 300 users, 40 roles and 800 assignments,
    /// the same on every run (dates are anchored to the current UTC day).
    pub fn demo() -> Tenant {
        generate::demo(None)
    }

    /// The demo tenant with its dates generated around `now` (for tests running on a fixed clock).
    pub fn demo_at(now: chrono::DateTime<chrono::Utc>) -> Tenant {
        generate::demo(Some(now))
    }

    /// A seeded tenant of any size.
    pub fn generate(opts: &GenerateOptions) -> Tenant {
        generate::generate(opts)
    }

    /// Loads a Graph-shaped JSON fixture; errors name the file, the key and the problem.
    pub fn from_fixture_file(path: &Path) -> Result<Tenant, FixtureError> {
        fixture::from_file(path)
    }

    /// Loads a fixture from a string; `name` stands for the file name in errors.
    pub fn from_fixture_str(name: &str, json: &str) -> Result<Tenant, FixtureError> {
        fixture::from_str(name, json)
    }

    /// The tenant as a fixture document (the inverse of `from_fixture_str`).
    pub fn to_fixture_json(&self) -> Value {
        fixture::to_json(self)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    pub fn default_domain(&self) -> &str {
        &self.default_domain
    }
    pub fn users(&self) -> &[Value] {
        &self.users
    }
    pub fn groups(&self) -> &[Value] {
        &self.groups
    }
    pub fn service_principals(&self) -> &[Value] {
        &self.service_principals
    }
    pub fn administrative_units(&self) -> &[Value] {
        &self.administrative_units
    }
    pub fn role_definitions(&self) -> &[Value] {
        &self.role_definitions
    }
    pub fn eligibility_instances(&self) -> &[Value] {
        &self.eligibility_instances
    }
    pub fn assignment_instances(&self) -> &[Value] {
        &self.assignment_instances
    }
    pub fn group_eligibility_instances(&self) -> &[Value] {
        &self.group_eligibility_instances
    }
    pub fn group_assignment_instances(&self) -> &[Value] {
        &self.group_assignment_instances
    }
    pub fn directory_audits(&self) -> &[Value] {
        &self.directory_audits
    }
    pub fn managers(&self) -> &BTreeMap<String, String> {
        &self.managers
    }
    pub fn group_members(&self) -> &BTreeMap<String, Vec<String>> {
        &self.group_members
    }
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }
    pub fn arm(&self) -> &ArmData {
        &self.arm
    }

    /// Number of eligibility instances for one role definition.
    pub fn eligibility_count(&self, role_definition_id: &str) -> usize {
        count_role(&self.eligibility_instances, role_definition_id)
    }

    /// Number of assignment instances (Assigned and Activated) for one role definition.
    pub fn assignment_count(&self, role_definition_id: &str) -> usize {
        count_role(&self.assignment_instances, role_definition_id)
    }

    /// Total directory-role instances, eligible plus active: the "assignments" a generator was asked for.
    pub fn instance_count(&self) -> usize {
        self.eligibility_instances.len() + self.assignment_instances.len()
    }

    /// A user object by id.
    pub fn user(&self, id: &str) -> Option<&Value> {
        self.users.iter().find(|u| str_field(u, "id") == Some(id))
    }

    /// Adds (or replaces) an application registration.
    pub fn add_client(&mut self, client: Client) {
        self.clients.retain(|c| c.client_id != client.client_id);
        self.clients.push(client);
    }
}

fn count_role(list: &[Value], role: &str) -> usize {
    list.iter().filter(|i| str_field(i, "roleDefinitionId") == Some(role)).count()
}
