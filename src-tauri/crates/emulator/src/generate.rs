//! The seeded tenant generator and the built-in demo tenant "Contoso (demo)".
//!
//! Realism matters more than speed here, but a 100,000-assignment tenant still generates in about two
//! seconds in release: everything is a single pass with hash-set de-duplication.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::catalog::{
    APP_NAMES, AZURE_ROLES, CULTURES, DEPARTMENTS, ENTRA_ROLES, GLOBAL_ADMINISTRATOR,
    GUEST_DOMAINS, JOB_TITLES, PRIVILEGED_ROLE_ADMINISTRATOR,
};
use crate::rng::Rng;
use crate::tenant::{self, Tenant};

/// What to generate. `assignments` counts directory-role instances, eligible plus active, including
/// activations and group-derived instances.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub seed: u64,
    pub users: usize,
    pub assignments: usize,
    /// Number of directory roles (at most 40: 39 built-in plus one custom role).
    pub roles: usize,
    pub tenant_name: Option<String>,
    pub domain: Option<String>,
    /// Azure resource role instances (eligible plus active); `None` picks a size from `users`.
    pub arm_assignments: Option<usize>,
    /// The "current" moment that dates are generated around; `None` means the start of today (UTC).
    pub now: Option<DateTime<Utc>>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            seed: 1,
            users: 300,
            assignments: 800,
            roles: 40,
            tenant_name: None,
            domain: None,
            arm_assignments: None,
            now: None,
        }
    }
}

pub(crate) const DEMO_TENANT_ID: &str = "c0a7e5d0-2f4e-4d6b-9a1e-0de30c0a5001";
const DEMO_SEED: u64 = 20_240_917;
const MAX_AUDITS: usize = 60_000;

pub(crate) fn demo(now: Option<DateTime<Utc>>) -> Tenant {
    let mut t = generate(&GenerateOptions {
        seed: DEMO_SEED,
        users: 300,
        assignments: 800,
        roles: 40,
        tenant_name: Some("Contoso (demo)".into()),
        domain: Some("contoso.onmicrosoft.com".into()),
        arm_assignments: Some(60),
        now,
    });
    t.id = DEMO_TENANT_ID.to_string();
    for sp in &mut t.service_principals {
        sp["appOwnerOrganizationId"] = json!(DEMO_TENANT_ID);
    }
    for s in &mut t.arm.subscriptions {
        s["tenantId"] = json!(DEMO_TENANT_ID);
    }
    t
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn today() -> DateTime<Utc> {
    let now = Utc::now();
    Utc.from_utc_datetime(&now.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// A Graph-looking instance id (base64url-ish, with the `-1` / `-1-e` suffixes Graph uses).
fn instance_id(rng: &mut Rng, eligible: bool) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rng.bytes::<32>());
    if eligible { format!("{raw}-1-e") } else { format!("{raw}-1") }
}

struct Gen<'a> {
    rng: Rng,
    now: DateTime<Utc>,
    budget: usize,
    t: Tenant,
    seen: HashSet<(String, String, bool)>,
    role_names: BTreeMap<String, String>,
    user_index: BTreeMap<String, usize>,
    opts: &'a GenerateOptions,
}

impl Gen<'_> {
    fn total(&self) -> usize {
        self.t.eligibility_instances.len() + self.t.assignment_instances.len()
    }
    fn room(&self, n: usize) -> bool {
        self.total() + n <= self.budget
    }

    fn days(&mut self, lo: i64, hi: i64) -> Duration {
        Duration::days(self.rng.range(lo, hi)) + Duration::minutes(self.rng.range(0, 1439))
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        eligible: bool,
        principal: &str,
        role: &str,
        scope: &str,
        member_type: &str,
        assignment_type: &str,
        start: Option<String>,
        end: Option<String>,
    ) -> Option<String> {
        if !self.room(1) {
            return None;
        }
        let key = (principal.to_string(), role.to_string(), eligible);
        if member_type == "Direct" && assignment_type != "Activated" && !self.seen.insert(key) {
            return None;
        }
        let id = instance_id(&mut self.rng, eligible);
        if eligible {
            self.t.eligibility_instances.push(json!({
                "id": id, "principalId": principal, "roleDefinitionId": role,
                "directoryScopeId": scope, "appScopeId": null,
                "startDateTime": start, "endDateTime": end, "memberType": member_type,
                "roleEligibilityScheduleId": self.rng.guid(),
            }));
        } else {
            self.t.assignment_instances.push(json!({
                "id": id, "principalId": principal, "roleDefinitionId": role,
                "directoryScopeId": scope, "appScopeId": null,
                "startDateTime": start, "endDateTime": end,
                "assignmentType": assignment_type, "memberType": member_type,
                "roleAssignmentOriginId": id, "roleAssignmentScheduleId": id,
            }));
        }
        Some(id)
    }

    fn dates(&mut self) -> (Option<String>, Option<String>) {
        let start = ts(self.now - self.days(1, 720));
        let r = self.rng.unit();
        let end = if r < 0.2 {
            None
        } else if r < 0.42 {
            // Expiring soon: the cases a reviewer most needs to see.
            Some(ts(self.now + self.days(1, 30)))
        } else {
            Some(ts(self.now + self.days(31, 365)))
        };
        (Some(start), end)
    }

    fn audit_activation(&mut self, user_id: &str, role: &str, at: DateTime<Utc>) {
        if self.t.directory_audits.len() + 2 > MAX_AUDITS {
            return;
        }
        let Some(&ui) = self.user_index.get(user_id) else { return };
        let user = &self.t.users[ui];
        let (name, upn) = (user["displayName"].clone(), user["userPrincipalName"].clone());
        let role_name = self.role_names.get(role).cloned().unwrap_or_default();
        let correlation = self.rng.guid();
        let justification = *self.rng.pick(&[
            "Monthly patching window",
            "Investigating incident",
            "User onboarding batch",
            "Quarterly configuration review",
            "Break-fix for ticket",
        ]);
        for (offset, activity) in [
            (0, "Add member to role requested (PIM activation)"),
            (2, "Add member to role completed (PIM activation)"),
        ] {
            let id = format!("PIM_{}", self.rng.guid());
            self.t.directory_audits.push(json!({
                "id": id,
                "category": "RoleManagement",
                "correlationId": correlation,
                "result": "success",
                "resultReason": "",
                "activityDisplayName": activity,
                "activityDateTime": ts(at + Duration::seconds(offset)),
                "loggedByService": "PIM",
                "operationType": "Add",
                "initiatedBy": { "app": null, "user": {
                    "id": user_id, "displayName": name, "userPrincipalName": upn,
                    "ipAddress": null, "userType": null, "homeTenantId": null, "homeTenantName": null } },
                "targetResources": [
                    { "id": role, "displayName": role_name, "type": "Role",
                      "userPrincipalName": null, "groupType": null, "modifiedProperties": [] },
                    { "id": user_id, "displayName": name, "type": "User",
                      "userPrincipalName": upn, "groupType": null, "modifiedProperties": [] }
                ],
                "additionalDetails": [
                    { "key": "Justification", "value": justification },
                    { "key": "RoleDefinitionOriginId", "value": role },
                    { "key": "StartTime", "value": ts(at) },
                    { "key": "ExpirationTime", "value": ts(at + Duration::hours(8)) }
                ]
            }));
        }
        let request_id = self.rng.guid();
        self.t.assignment_requests.push(json!({
            "id": request_id, "status": "Provisioned", "action": "selfActivate",
            "createdDateTime": ts(at), "completedDateTime": ts(at + Duration::seconds(2)),
            "approvalId": null, "customData": null,
            "principalId": user_id, "roleDefinitionId": role, "directoryScopeId": "/", "appScopeId": null,
            "isValidationOnly": false, "targetScheduleId": request_id, "justification": justification,
            "scheduleInfo": { "startDateTime": ts(at), "recurrence": null,
                "expiration": { "type": "afterDuration", "endDateTime": null, "duration": "PT8H" } },
            "createdBy": { "application": null, "device": null, "user": { "displayName": null, "id": user_id } },
            "ticketInfo": { "ticketNumber": null, "ticketSystem": null }
        }));
    }
}

pub(crate) fn generate(opts: &GenerateOptions) -> Tenant {
    let mut rng = Rng::new(opts.seed);
    let now = opts.now.unwrap_or_else(today);
    let tenant_id = rng.guid();
    let domain =
        opts.domain.clone().unwrap_or_else(|| format!("generated{}.onmicrosoft.com", opts.seed));
    let name =
        opts.tenant_name.clone().unwrap_or_else(|| format!("Generated tenant {}", opts.seed));
    let mut g = Gen {
        rng,
        now,
        budget: opts.assignments,
        t: Tenant {
            id: tenant_id.clone(),
            display_name: name,
            default_domain: domain.clone(),
            clients: tenant::default_clients(),
            ..Tenant::default()
        },
        seen: HashSet::new(),
        role_names: BTreeMap::new(),
        user_index: BTreeMap::new(),
        opts,
    };

    gen_roles(&mut g);
    gen_users(&mut g, &domain);
    gen_service_principals(&mut g, &tenant_id);
    gen_groups(&mut g);
    gen_directory_instances(&mut g);
    gen_group_pim(&mut g);
    gen_arm(&mut g, &tenant_id);
    gen_ungovernable_groups(&mut g);
    g.t
}

/// The permissions block of a built-in Azure role, as the role definitions list answers it (the
/// actions of Microsoft's built-in roles, shortened to their gist).
fn azure_role_permissions(name: &str) -> Value {
    let (actions, not_actions): (&[&str], &[&str]) = match name {
        "Owner" => (&["*"], &[]),
        "Contributor" => (
            &["*"],
            &[
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
            ],
        ),
        "Reader" => (&["*/read"], &[]),
        "User Access Administrator" => {
            (&["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], &[])
        }
        "Key Vault Administrator" => (
            &["Microsoft.Authorization/*/read", "Microsoft.KeyVault/checkNameAvailability/read"],
            &[],
        ),
        _ => (
            &["Microsoft.Compute/virtualMachines/*", "Microsoft.Network/networkInterfaces/read"],
            &[],
        ),
    };
    json!({ "actions": actions, "notActions": not_actions, "dataActions": [], "notDataActions": [] })
}

fn gen_roles(g: &mut Gen) {
    let wanted = g.opts.roles.clamp(1, ENTRA_ROLES.len() + 1);
    for (id, name, description, action) in ENTRA_ROLES.iter().take(wanted) {
        g.t.role_definitions.push(json!({
            "id": id, "description": description, "displayName": name,
            "isBuiltIn": true, "isEnabled": true, "resourceScopes": ["/"],
            "templateId": id, "version": "1",
            "rolePermissions": [ { "allowedResourceActions": [action], "condition": null } ],
        }));
        g.role_names.insert(id.to_string(), name.to_string());
    }
    if wanted > ENTRA_ROLES.len() {
        let id = g.rng.guid();
        g.t.role_definitions.push(json!({
            "id": id, "description": "Tier 2 helpdesk: resets passwords and reads sign-in logs.",
            "displayName": "Helpdesk Tier 2 (custom)", "isBuiltIn": false, "isEnabled": true,
            "resourceScopes": ["/"], "templateId": id, "version": null,
            "rolePermissions": [ { "allowedResourceActions": [
                "microsoft.directory/users/password/update", "microsoft.directory/signInReports/allProperties/read"
            ], "condition": null } ],
        }));
        g.role_names.insert(id, "Helpdesk Tier 2 (custom)".into());
    }
}

fn gen_users(g: &mut Gen, domain: &str) {
    let mut upns = HashSet::new();
    let mut members: Vec<usize> = Vec::new();
    for i in 0..g.opts.users {
        let id = g.rng.guid();
        let created = ts(g.now - g.days(30, 2000));
        let break_glass = i < 2;
        let guest = !break_glass && i > 5 && g.rng.chance(0.06);
        let disabled = !break_glass && i > 5 && g.rng.chance(0.04);
        // English-speaking names dominate, the rest spread over every script.
        let culture = if g.rng.chance(0.35) { &CULTURES[0] } else { g.rng.pick(CULTURES) };
        let (given, given_r) = *g.rng.pick(culture.given);
        let (family, family_r) = *g.rng.pick(culture.family);
        let (display, given_v, surname_v, local) = if break_glass {
            (
                format!("Break Glass Account {}", i + 1),
                Value::Null,
                Value::Null,
                format!("breakglass{}", i + 1),
            )
        } else {
            let display = match (culture.family_first, culture.joined) {
                (true, true) => format!("{family}{given}"),
                (true, false) => format!("{family} {given}"),
                _ => format!("{given} {family}"),
            };
            (display, json!(given), json!(family), format!("{given_r}.{family_r}"))
        };
        let mut local_unique = local.clone();
        let mut n = 2;
        while !upns.insert(local_unique.clone()) {
            local_unique = format!("{local}{n}");
            n += 1;
        }
        let (upn, mail, user_type) = if guest {
            let gd = *g.rng.pick(GUEST_DOMAINS);
            let ext = format!("{local_unique}@{gd}");
            (format!("{local_unique}_{gd}#EXT#@{domain}"), ext, "Guest")
        } else {
            let upn = format!("{local_unique}@{domain}");
            (upn.clone(), upn, "Member")
        };
        let sign_in = if g.rng.chance(0.07) && !break_glass {
            json!({ "lastSignInDateTime": null, "lastSignInRequestId": null,
                    "lastNonInteractiveSignInDateTime": null, "lastNonInteractiveSignInRequestId": null,
                    "lastSuccessfulSignInDateTime": null, "lastSuccessfulSignInRequestId": null })
        } else {
            let ago = if break_glass {
                g.days(60, 120)
            } else if g.rng.chance(0.1) || disabled {
                g.days(100, 400)
            } else {
                g.days(0, 20)
            };
            let last = ts(g.now - ago);
            let non_interactive = ts(g.now - ago + Duration::hours(g.rng.range(1, 30)));
            json!({ "lastSignInDateTime": last, "lastSignInRequestId": g.rng.guid(),
                    "lastNonInteractiveSignInDateTime": non_interactive,
                    "lastNonInteractiveSignInRequestId": g.rng.guid(),
                    "lastSuccessfulSignInDateTime": last, "lastSuccessfulSignInRequestId": g.rng.guid() })
        };
        let department = if break_glass { Value::Null } else { json!(*g.rng.pick(DEPARTMENTS)) };
        let job = if break_glass { Value::Null } else { json!(*g.rng.pick(JOB_TITLES)) };
        let mut user = json!({
            "id": id, "displayName": display, "givenName": given_v, "surname": surname_v,
            "userPrincipalName": upn, "mail": mail, "jobTitle": job, "department": department,
            "officeLocation": if break_glass { Value::Null } else { json!(culture.office) },
            "businessPhones": [], "mobilePhone": null, "preferredLanguage": culture.language,
            "accountEnabled": !disabled, "userType": user_type, "createdDateTime": created,
            "signInActivity": sign_in,
        });
        if guest {
            user["externalUserState"] = json!("Accepted");
            user["creationType"] = json!("Invitation");
        }
        g.t.users.push(user);
        g.user_index.insert(id.clone(), i);
        // Managers: a tree over members; break-glass, guests, the top and ~10% of others have none.
        if !break_glass && !guest {
            if !members.is_empty() && g.rng.chance(0.9) {
                let span = members.len().min(1 + members.len() / 3);
                let m = members[g.rng.below(span)];
                let manager_id = g.t.users[m]["id"].as_str().unwrap_or_default().to_string();
                g.t.managers.insert(id.clone(), manager_id);
            }
            members.push(i);
        }
    }
}

fn gen_service_principals(g: &mut Gen, tenant_id: &str) {
    let n = (g.opts.users / 40).clamp(6, 500);
    for i in 0..n {
        let app_id =
            if i == 0 { tenant::DEMO_CONFIDENTIAL_CLIENT_ID.to_string() } else { g.rng.guid() };
        let name = if i == 0 {
            "Recert".to_string()
        } else if i <= APP_NAMES.len() {
            APP_NAMES[i - 1].to_string()
        } else {
            format!("{} {}", APP_NAMES[i % APP_NAMES.len()], i)
        };
        let id = g.rng.guid();
        let created = ts(g.now - g.days(10, 900));
        g.t.service_principals.push(json!({
            "id": id, "appId": app_id, "displayName": name, "servicePrincipalType": "Application",
            "accountEnabled": i % 9 != 5, "appOwnerOrganizationId": tenant_id,
            "servicePrincipalNames": [app_id], "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
            "createdDateTime": created,
        }));
    }
}

fn gen_groups(g: &mut Gen) {
    let users: Vec<String> =
        g.t.users.iter().filter_map(|u| u["id"].as_str().map(str::to_string)).collect();
    if users.is_empty() {
        return;
    }
    let assignable = (g.opts.users / 60).clamp(3, 200);
    let plain = (g.opts.users / 30).clamp(3, 500);
    for i in 0..assignable + plain {
        let role_group = i < assignable;
        let id = g.rng.guid();
        let created = ts(g.now - g.days(30, 1500));
        let name = if role_group {
            format!("PIM - Tier {} Admins {}", i % 3, i + 1)
        } else {
            format!("{} Team {}", DEPARTMENTS[i % DEPARTMENTS.len()], i + 1)
        };
        g.t.groups.push(json!({
            "id": id, "displayName": name, "description": format!("{name} (generated)"),
            "isAssignableToRole": role_group, "securityEnabled": true, "mailEnabled": false,
            "mailNickname": name.to_lowercase().replace(' ', "-"), "groupTypes": [],
            "membershipRule": null, "createdDateTime": created,
            "visibility": if role_group { "Private" } else { "Public" },
        }));
        let count = if role_group { g.rng.range(3, 8) } else { g.rng.range(5, 25) } as usize;
        let mut members: Vec<String> = Vec::new();
        for _ in 0..count {
            // Skip the break-glass accounts: they are never in groups.
            let u = regular(&mut g.rng, &users);
            if !members.contains(&u) {
                members.push(u);
            }
        }
        let owner = regular(&mut g.rng, &users);
        g.t.group_owners.insert(id.clone(), vec![owner]);
        g.t.group_members.insert(id, members);
    }
    // Nesting for transitiveMembers: the first plain group contains the second (plain groups may nest;
    // role-assignable groups may not have group members).
    if plain >= 2 {
        let outer = g.t.groups[assignable]["id"].as_str().unwrap_or_default().to_string();
        let inner = g.t.groups[assignable + 1]["id"].as_str().unwrap_or_default().to_string();
        g.t.group_members.entry(outer).or_default().push(inner);
    }
}

/// A user other than the two break-glass accounts (when there are others).
fn regular(rng: &mut Rng, users: &[String]) -> String {
    if users.len() > 2 { users[2 + rng.below(users.len() - 2)].clone() } else { users[0].clone() }
}

fn gen_directory_instances(g: &mut Gen) {
    let roles: Vec<String> =
        g.t.role_definitions.iter().filter_map(|r| r["id"].as_str().map(str::to_string)).collect();
    let users: Vec<(String, bool, bool)> =
        g.t.users
            .iter()
            .map(|u| {
                (
                    u["id"].as_str().unwrap_or_default().to_string(),
                    u["userType"] == "Guest",
                    u["accountEnabled"] == false,
                )
            })
            .collect();
    let sps: Vec<String> =
        g.t.service_principals
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect();
    let role_groups: Vec<String> =
        g.t.groups
            .iter()
            .filter(|gr| gr["isAssignableToRole"] == true)
            .filter_map(|gr| gr["id"].as_str().map(str::to_string))
            .collect();
    let aus: Vec<String> = (0..3).map(|_| g.rng.guid()).collect();
    for (id, name) in aus.iter().zip(["Paris office", "Berlin office", "Contractors"]) {
        g.t.administrative_units.push(json!({
            "id": id, "displayName": name,
            "description": format!("Users and devices of the {name} unit"),
        }));
    }
    let has = |id: &str| roles.iter().any(|r| r == id);
    let role_or_first = |id: &str| if has(id) { id.to_string() } else { roles[0].clone() };
    if roles.is_empty() || users.len() < 6 {
        return;
    }
    let ga = role_or_first(GLOBAL_ADMINISTRATOR);
    let pra = role_or_first(PRIVILEGED_ROLE_ADMINISTRATOR);

    // Fixed cases first, so that every tenant, even a small one, shows each of them.
    // Break-glass accounts: permanent Global Administrator outside PIM (no dates at all).
    for (u, _, _) in users.iter().take(2) {
        g.push(false, u, &ga, "/", "Direct", "Assigned", None, None);
    }
    // Permanent active Global Administrators made through PIM.
    for (u, _, _) in users.iter().skip(2).take(2) {
        let start = Some(ts(g.now - g.days(200, 900)));
        g.push(false, u, &ga, "/", "Direct", "Assigned", start, None);
    }
    // Eligible Global Administrators, one expiring soon.
    let soon = Some(ts(g.now + g.days(3, 10)));
    let start = Some(ts(g.now - g.days(30, 300)));
    g.push(true, &users[4].0, &ga, "/", "Direct", "Assigned", start.clone(), soon);
    let (s, e) = g.dates();
    g.push(true, &users[5].0, &ga, "/", "Direct", "Assigned", s, e);
    // Privileged Role Administrator: one permanent active, two eligible.
    let s = Some(ts(g.now - g.days(100, 500)));
    g.push(false, &users[3].0, &pra, "/", "Direct", "Assigned", s, None);
    for (u, _, _) in users.iter().skip(6).take(2) {
        let (s, e) = g.dates();
        g.push(true, u, &pra, "/", "Direct", "Assigned", s, e);
    }
    // Role-assignable groups holding roles, with their members' derived instances.
    let group_roles = [
        ("29232cdf-9323-42fd-ade2-1d097af3e4de", true),
        ("729827e3-9c14-49f7-bb1b-9608f156bbb8", false),
    ];
    for (gi, (role, eligible)) in group_roles.iter().enumerate() {
        if let Some(group) = role_groups.get(gi).cloned() {
            let role = role_or_first(role);
            push_group_instance(g, &group, &role, *eligible);
        }
    }
    // Service principals hold active assignments only.
    let sp_roles = [
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
    ];
    for (sp, role) in sps.iter().skip(1).zip(sp_roles) {
        let role = role_or_first(role);
        let s = Some(ts(g.now - g.days(30, 600)));
        g.push(false, sp, &role, "/", "Direct", "Assigned", s, None);
    }
    // A guest and a disabled account with eligibilities.
    if let Some((u, _, _)) = users.iter().find(|u| u.1) {
        let (s, e) = g.dates();
        g.push(
            true,
            &u.clone(),
            &role_or_first("5d6b6bb7-de71-4623-b4af-96380a352509"),
            "/",
            "Direct",
            "Assigned",
            s,
            e,
        );
    }
    if let Some((u, _, _)) = users.iter().find(|u| u.2) {
        let (s, e) = g.dates();
        g.push(
            true,
            &u.clone(),
            &role_or_first("729827e3-9c14-49f7-bb1b-9608f156bbb8"),
            "/",
            "Direct",
            "Assigned",
            s,
            e,
        );
    }

    // The rest at random with a skewed role popularity.
    let non_ga: Vec<&String> = roles.iter().filter(|r| **r != ga).collect();
    let mut attempts = 0usize;
    let max_attempts = g.budget.saturating_mul(20) + 1000;
    while g.total() < g.budget && attempts < max_attempts {
        attempts += 1;
        let role = if non_ga.is_empty() || g.rng.chance(0.01) {
            ga.clone()
        } else {
            let idx = ((g.rng.unit().powf(1.7)) * non_ga.len() as f64) as usize;
            non_ga[idx.min(non_ga.len() - 1)].clone()
        };
        let pick = g.rng.unit();
        if pick < 0.02 && !role_groups.is_empty() {
            let group = g.rng.pick(&role_groups).clone();
            let eligible = g.rng.chance(0.6);
            push_group_instance(g, &group, &role, eligible);
            continue;
        }
        if pick < 0.035 && !sps.is_empty() {
            let sp = g.rng.pick(&sps).clone();
            let s = Some(ts(g.now - g.days(1, 700)));
            g.push(false, &sp, &role, "/", "Direct", "Assigned", s, None);
            continue;
        }
        let u = users[2 + g.rng.below(users.len() - 2)].0.clone();
        let eligible = g.rng.chance(0.65);
        let scope = if g.rng.chance(0.03) {
            format!("/administrativeUnits/{}", g.rng.pick(&aus))
        } else {
            "/".to_string()
        };
        let (s, e) = g.dates();
        if g.push(eligible, &u, &role, &scope, "Direct", "Assigned", s, e).is_none() {
            continue;
        }
        if eligible && scope == "/" {
            // Activation history (audit events and selfActivate requests) for about a fifth of eligibilities.
            if g.rng.chance(0.2) {
                for _ in 0..g.rng.range(1, 4) {
                    let at = g.now - g.days(0, 29);
                    g.audit_activation(&u, &role, at);
                }
            }
            // A currently running activation.
            if g.rng.chance(0.06) && g.room(1) {
                let start = g.now - Duration::minutes(g.rng.range(5, 400));
                g.push(
                    false,
                    &u,
                    &role,
                    "/",
                    "Direct",
                    "Activated",
                    Some(ts(start)),
                    Some(ts(start + Duration::hours(8))),
                );
                g.audit_activation(&u, &role, start);
            }
        }
    }
}

fn push_group_instance(g: &mut Gen, group: &str, role: &str, eligible: bool) {
    let members = g.t.group_members.get(group).cloned().unwrap_or_default();
    if !g.room(1 + members.len()) {
        return;
    }
    let (s, e) = g.dates();
    if g.push(eligible, group, role, "/", "Direct", "Assigned", s.clone(), e.clone()).is_none() {
        return;
    }
    for m in members {
        g.push(eligible, &m, role, "/", "Group", "Assigned", s.clone(), e.clone());
    }
}

/// PIM for Groups on role-assignable groups. Graph cannot list the groups PIM governs and asks
/// callers to query onboarded groups only, so a client finds the groups it has never seen by their
/// being role-assignable: the generator puts PIM there. When the tenant has fewer role-assignable
/// groups than it governs, plain groups (never one with a group among its members, which a
/// role-assignable group cannot have) are made role-assignable — groups created for PIM, holding
/// no directory role. Their flag is set after the directory roles were handed out, so those stay
/// as a seed always made them.
fn gen_group_pim(g: &mut Gen) {
    let nesting: HashSet<String> = g
        .t
        .group_members
        .iter()
        .filter(|(_, members)| members.iter().any(|m| g.t.groups.iter().any(|gr| gr["id"] == **m)))
        .map(|(group, _)| group.clone())
        .collect();
    let groups: Vec<String> =
        g.t.groups
            .iter()
            .filter_map(|gr| gr["id"].as_str().map(str::to_string))
            .filter(|id| !nesting.contains(id))
            .collect();
    let users: Vec<String> =
        g.t.users.iter().skip(2).filter_map(|u| u["id"].as_str().map(str::to_string)).collect();
    if users.is_empty() {
        return;
    }
    let governed = groups.len().min(12 + g.opts.users / 200);
    let governed: Vec<String> = groups.into_iter().take(governed).collect();
    for group in g.t.groups.iter_mut() {
        if group["id"].as_str().is_some_and(|id| governed.iter().any(|x| x == id)) {
            group["isAssignableToRole"] = json!(true);
        }
    }
    for group in governed.iter() {
        for _ in 0..g.rng.range(1, 4) {
            let p = g.rng.pick(&users).clone();
            let access = if g.rng.chance(0.8) { "member" } else { "owner" };
            let (s, e) = g.dates();
            let sid = g.rng.guid();
            g.t.group_eligibility_instances.push(json!({
                "id": format!("{group}_{access}_{sid}"), "startDateTime": s, "endDateTime": e,
                "accessId": access, "principalId": p, "groupId": group, "memberType": "direct",
                "eligibilityScheduleId": format!("{group}_{access}_{sid}"),
            }));
        }
        for _ in 0..g.rng.range(0, 2) {
            let p = g.rng.pick(&users).clone();
            let activated = g.rng.chance(0.3);
            let (s, e) = if activated {
                let start = g.now - Duration::minutes(g.rng.range(5, 300));
                (Some(ts(start)), Some(ts(start + Duration::hours(4))))
            } else {
                g.dates()
            };
            let sid = g.rng.guid();
            g.t.group_assignment_instances.push(json!({
                "id": format!("{group}_member_{sid}"), "startDateTime": s, "endDateTime": e,
                "accessId": "member", "principalId": p, "groupId": group, "memberType": "direct",
                "assignmentType": if activated { "activated" } else { "assigned" },
                "assignmentScheduleId": format!("{group}_member_{sid}"),
            }));
            // Active PIM memberships also show in /members.
            let list = g.t.group_members.entry(group.clone()).or_default();
            if !list.contains(&p) {
                list.push(p);
            }
        }
    }
}

/// Two groups PIM for Groups cannot govern: one with dynamic membership, one synchronized from
/// on-premises. Made last, so everything else a seed makes is as it was before they existed.
fn gen_ungovernable_groups(g: &mut Gen) {
    let users: Vec<String> =
        g.t.users.iter().skip(2).filter_map(|u| u["id"].as_str().map(str::to_string)).collect();
    if users.is_empty() {
        return;
    }
    let synced = ts(g.now - Duration::hours(g.rng.range(1, 20)));
    let groups = [
        json!({
            "id": g.rng.guid(), "displayName": "All Staff (dynamic)",
            "description": "Every enabled member account (generated)",
            "isAssignableToRole": false, "securityEnabled": true, "mailEnabled": false,
            "mailNickname": "all-staff-dynamic", "groupTypes": ["DynamicMembership"],
            "membershipRule": "(user.accountEnabled -eq true) and (user.userType -eq \"Member\")",
            "membershipRuleProcessingState": "On", "onPremisesSyncEnabled": null,
            "createdDateTime": ts(g.now - g.days(30, 1500)), "visibility": "Public",
        }),
        json!({
            "id": g.rng.guid(), "displayName": "HQ File Share Users (synced)",
            "description": "Synchronized from the on-premises directory (generated)",
            "isAssignableToRole": false, "securityEnabled": true, "mailEnabled": false,
            "mailNickname": "hq-file-share-users", "groupTypes": [], "membershipRule": null,
            "onPremisesSyncEnabled": true, "onPremisesLastSyncDateTime": synced,
            "onPremisesSecurityIdentifier": format!("S-1-5-21-{}-{}-{}-{}",
                g.rng.range(100_000_000, 999_999_999), g.rng.range(100_000_000, 999_999_999),
                g.rng.range(100_000_000, 999_999_999), g.rng.range(1_000, 99_999)),
            "createdDateTime": ts(g.now - g.days(30, 1500)), "visibility": "Public",
        }),
    ];
    for group in groups {
        let id = group["id"].as_str().unwrap_or_default().to_string();
        let mut members: Vec<String> = Vec::new();
        for _ in 0..g.rng.range(5, 15) {
            let u = g.rng.pick(&users).clone();
            if !members.contains(&u) {
                members.push(u);
            }
        }
        g.t.group_members.insert(id, members);
        g.t.groups.push(group);
    }
}

fn gen_arm(g: &mut Gen, tenant_id: &str) {
    let subs = (1 + g.opts.users / 5000).clamp(2, 5);
    let names = [
        "Contoso Production",
        "Contoso Development",
        "Contoso Shared Services",
        "Contoso Sandbox",
        "Contoso Data",
    ];
    let mut scopes: Vec<(String, String, &str)> = Vec::new();
    for name in names.iter().take(subs) {
        let sid = g.rng.guid();
        let scope = format!("/subscriptions/{sid}");
        g.t.arm.subscriptions.push(json!({
            "id": scope, "authorizationSource": "RoleBased", "managedByTenants": [],
            "subscriptionId": sid, "tenantId": tenant_id, "displayName": name, "state": "Enabled",
            "subscriptionPolicies": { "locationPlacementId": "Public_2014-09-01", "quotaId": "EnterpriseAgreement_2014-09-01", "spendingLimit": "Off" },
        }));
        scopes.push((scope.clone(), name.to_string(), "subscription"));
        for rg in ["rg-network", "rg-apps", "rg-data"] {
            let rg_scope = format!("{scope}/resourceGroups/{rg}");
            g.t.arm.resource_groups.push(json!({
                "id": rg_scope, "name": rg, "type": "Microsoft.Resources/resourceGroups",
                "location": "westeurope", "properties": { "provisioningState": "Succeeded" },
            }));
            scopes.push((rg_scope, rg.to_string(), "resourcegroup"));
        }
    }
    for (id, name) in AZURE_ROLES {
        g.t.arm.role_definitions.push(json!({
            "id": format!("/providers/Microsoft.Authorization/roleDefinitions/{id}"),
            "name": id, "type": "Microsoft.Authorization/roleDefinitions",
            "properties": { "roleName": name, "type": "BuiltInRole",
                "description": format!("{name} built-in role"), "assignableScopes": ["/"],
                "permissions": [ azure_role_permissions(name) ] },
        }));
    }
    let count = g.opts.arm_assignments.unwrap_or((g.opts.users / 10).clamp(20, 5000));
    let users: Vec<(String, String, String)> =
        g.t.users
            .iter()
            .skip(2)
            .map(|u| {
                (
                    u["id"].as_str().unwrap_or_default().to_string(),
                    u["displayName"].as_str().unwrap_or_default().to_string(),
                    u["mail"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
    if users.is_empty() || scopes.is_empty() {
        return;
    }
    let mut seen = HashSet::new();
    for _ in 0..count * 3 {
        if g.t.arm.role_eligibility_schedule_instances.len()
            + g.t.arm.role_assignment_schedule_instances.len()
            >= count
        {
            break;
        }
        let (scope, scope_name, scope_type) = g.rng.pick(&scopes).clone();
        let (role_id, role_name) = *g.rng.pick(AZURE_ROLES);
        let (pid, pname, pmail) = g.rng.pick(&users).clone();
        let eligible = g.rng.chance(0.6);
        if !seen.insert((scope.clone(), role_id, pid.clone(), eligible)) {
            continue;
        }
        let (s, e) = g.dates();
        let sub = scope.split('/').take(3).collect::<Vec<_>>().join("/");
        let role_def = format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_id}");
        let name = g.rng.guid();
        let schedule = g.rng.guid();
        let (kind, type_name) = if eligible {
            (
                "RoleEligibilityScheduleInstances",
                "Microsoft.Authorization/roleEligibilityScheduleInstances",
            )
        } else {
            (
                "RoleAssignmentScheduleInstances",
                "Microsoft.Authorization/roleAssignmentScheduleInstances",
            )
        };
        let mut props = json!({
            "scope": scope, "roleDefinitionId": role_def, "principalId": pid, "principalType": "User",
            "status": "Provisioned", "startDateTime": s, "endDateTime": e, "memberType": "Direct",
            "condition": null, "conditionVersion": null, "createdOn": s,
            "expandedProperties": {
                "scope": { "id": scope, "displayName": scope_name, "type": scope_type },
                "roleDefinition": { "id": role_def, "displayName": role_name, "type": "BuiltInRole" },
                "principal": { "id": pid, "displayName": pname, "email": pmail, "type": "User" } },
        });
        if eligible {
            props["roleEligibilityScheduleId"] = json!(format!(
                "{scope}/providers/Microsoft.Authorization/roleEligibilitySchedules/{schedule}"
            ));
        } else {
            props["assignmentType"] = json!("Assigned");
            props["roleAssignmentScheduleId"] = json!(format!(
                "{scope}/providers/Microsoft.Authorization/roleAssignmentSchedules/{schedule}"
            ));
            props["originRoleAssignmentId"] = json!(format!(
                "{scope}/providers/Microsoft.Authorization/roleAssignments/{schedule}"
            ));
            props["linkedRoleEligibilityScheduleId"] = Value::Null;
            props["linkedRoleEligibilityScheduleInstanceId"] = Value::Null;
        }
        let item = json!({
            "properties": props, "name": name,
            "id": format!("{scope}/providers/Microsoft.Authorization/{kind}/{name}"), "type": type_name,
        });
        if eligible {
            g.t.arm.role_eligibility_schedule_instances.push(item);
        } else {
            g.t.arm.role_assignment_schedule_instances.push(item);
        }
    }
}
