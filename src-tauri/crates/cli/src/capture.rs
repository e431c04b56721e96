//! `recert-cli emulator capture <tenant> --out F [--pseudonymize]`: a real tenant's shape as an
//! emulator fixture. The tenant is pulled, and the pull's raw pages — exactly what the service
//! answered — are sorted by the path they answered into the fixture's collections (see the
//! emulator's README): role definitions, the instance lists, the principals `getByIds` returned,
//! managers and last sign-ins, group members, audit events and the ARM lists. Objects the pages
//! only name (a manager who holds no role) become placeholders, so the fixture loads. With
//! `--pseudonymize`, names, user principal names and mail addresses are replaced consistently
//! everywhere (the same person is the same pseudonym in every page), and other personal
//! properties are left out, so the shape can be shared as a regression test.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use clap::Args;
use recert_app::{AppError, CapturedPage, ErrorCode};
use serde_json::{Map, Value, json};

use crate::session::Session;

#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// The saved tenant to capture.
    tenant: String,
    /// Where to write the fixture (JSON).
    #[arg(long)]
    out: PathBuf,
    /// Replace names, UPNs and mail addresses consistently, and leave out other personal data.
    #[arg(long)]
    pseudonymize: bool,
    /// For appSecret tenants: the client secret (never stored).
    #[arg(long, env = "RECERT_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
}

/// Objects keyed by lower-case id, in first-seen order.
#[derive(Default)]
struct Keyed {
    order: Vec<String>,
    items: HashMap<String, Map<String, Value>>,
}

impl Keyed {
    /// Adds `object`, or merges its properties into the one already there.
    fn merge(&mut self, object: &Map<String, Value>) {
        let Some(id) = object.get("id").and_then(Value::as_str) else { return };
        let key = id.to_ascii_lowercase();
        match self.items.get_mut(&key) {
            Some(known) => {
                for (k, v) in object {
                    known.insert(k.clone(), v.clone());
                }
            }
            None => {
                self.order.push(key.clone());
                self.items.insert(key, object.clone());
            }
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.items.contains_key(&id.to_ascii_lowercase())
    }

    fn values(&self) -> Vec<Value> {
        self.order.iter().filter_map(|k| self.items.get(k)).cloned().map(Value::Object).collect()
    }
}

#[derive(Default)]
struct Fixture {
    users: Keyed,
    groups: Keyed,
    service_principals: Keyed,
    role_definitions: Keyed,
    eligibility: Keyed,
    assignments: Keyed,
    group_eligibility: Keyed,
    group_assignments: Keyed,
    audits: Keyed,
    managers: BTreeMap<String, String>,
    members: BTreeMap<String, Vec<String>>,
    subscriptions: Keyed,
    arm_roles: Keyed,
    arm_eligibility: Keyed,
    arm_assignments: Keyed,
    /// Ids named with their kind (`user`, `group`, `servicePrincipal`), for placeholders.
    named: BTreeMap<String, &'static str>,
}

fn kind_of(object: &Map<String, Value>) -> Option<&'static str> {
    match object.get("@odata.type").and_then(Value::as_str)? {
        "#microsoft.graph.user" => Some("user"),
        "#microsoft.graph.group" => Some("group"),
        "#microsoft.graph.servicePrincipal" => Some("servicePrincipal"),
        _ => None,
    }
}

/// The items of a list page, or the object itself.
fn items(body: &Value) -> Vec<&Map<String, Value>> {
    match body.get("value") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_object).collect(),
        _ => body.as_object().into_iter().collect(),
    }
}

/// An instance without the navigation properties an `$expand` embedded in it.
fn bare(instance: &Map<String, Value>) -> Map<String, Value> {
    let mut out = instance.clone();
    for nav in ["principal", "roleDefinition", "activatedUsing", "group", "directoryScope"] {
        out.remove(nav);
    }
    out.retain(|k, _| !k.starts_with("@odata."));
    out
}

impl Fixture {
    fn object(&mut self, object: &Map<String, Value>) {
        match kind_of(object) {
            Some("user") => self.users.merge(object),
            Some("group") => self.groups.merge(object),
            Some("servicePrincipal") => self.service_principals.merge(object),
            _ => {}
        }
    }

    fn name(&mut self, id: &str, kind: &'static str) {
        self.named.entry(id.to_ascii_lowercase()).or_insert(kind);
    }

    fn instance(&mut self, which: &str, instance: &Map<String, Value>) {
        if let Some(principal) = instance.get("principal").and_then(Value::as_object)
            && let (Some(id), Some(kind)) =
                (principal.get("id").and_then(Value::as_str), kind_of(principal))
        {
            self.name(id, kind);
            if principal.contains_key("displayName") {
                self.object(principal);
            }
        }
        let bare = bare(instance);
        match which {
            "roleEligibilityScheduleInstances" => self.eligibility.merge(&bare),
            "roleAssignmentScheduleInstances" => self.assignments.merge(&bare),
            "group/eligibilityScheduleInstances" => self.group_eligibility.merge(&bare),
            "group/assignmentScheduleInstances" => self.group_assignments.merge(&bare),
            _ => {}
        }
    }

    /// Sorts one page into the collections by the path it answered.
    fn page(&mut self, page: &CapturedPage) {
        let Ok(body) = serde_json::from_slice::<Value>(&page.body) else { return };
        let url = page.url.as_str();
        let path = url.split('?').next().unwrap_or_default();
        if path.contains("/providers/Microsoft.Authorization/") {
            let target = if path.ends_with("/roleDefinitions") {
                &mut self.arm_roles
            } else if path.ends_with("/roleEligibilityScheduleInstances") {
                &mut self.arm_eligibility
            } else if path.ends_with("/roleAssignmentScheduleInstances") {
                &mut self.arm_assignments
            } else {
                return;
            };
            for item in items(&body) {
                target.merge(item);
            }
            return;
        }
        if path.ends_with("/subscriptions") {
            for item in items(&body) {
                self.subscriptions.merge(item);
            }
            return;
        }
        let Some((_, rest)) = path.split_once("/v1.0/") else { return };
        let segments: Vec<&str> = rest.split('/').collect();
        match segments.as_slice() {
            ["roleManagement", "directory", "roleDefinitions", ..] => {
                for item in items(&body) {
                    self.role_definitions.merge(item);
                }
            }
            ["roleManagement", "directory", list] if list.ends_with("ScheduleInstances") => {
                for item in items(&body) {
                    self.instance(list, item);
                }
            }
            ["identityGovernance", "privilegedAccess", "group", list]
                if list.ends_with("ScheduleInstances") =>
            {
                let which = format!("group/{list}");
                for item in items(&body) {
                    self.instance(&which, item);
                }
            }
            ["directoryObjects", "getByIds"] => {
                for item in items(&body) {
                    self.object(item);
                }
            }
            ["auditLogs", "directoryAudits"] => {
                for item in items(&body) {
                    self.audits.merge(item);
                }
            }
            ["groups"] => {
                for item in items(&body) {
                    let mut group = item.clone();
                    group.insert("@odata.type".into(), json!("#microsoft.graph.group"));
                    self.groups.merge(&group);
                }
            }
            ["groups", group, "transitiveMembers" | "members"] => {
                let mut ids = Vec::new();
                for item in items(&body) {
                    if let Some(id) = item.get("id").and_then(Value::as_str) {
                        self.name(id, kind_of(item).unwrap_or("user"));
                        if item.contains_key("displayName") {
                            self.object(item);
                        }
                        ids.push(id.to_ascii_lowercase());
                    }
                }
                let known = self.members.entry(group.to_ascii_lowercase()).or_default();
                for id in ids {
                    if !known.contains(&id) {
                        known.push(id);
                    }
                }
            }
            ["users", user] => {
                // A user read for its manager and last sign-in.
                if let Some(object) = body.as_object() {
                    let mut read = object.clone();
                    if let Some(manager) = read.remove("manager")
                        && let Some(id) = manager.get("id").and_then(Value::as_str)
                    {
                        self.name(id, "user");
                        self.managers.insert(user.to_ascii_lowercase(), id.to_ascii_lowercase());
                    }
                    read.retain(|k, _| !k.starts_with("@odata."));
                    if read.get("id").is_some() && self.users.contains(user) {
                        self.users.merge(&read);
                    } else if read.get("id").is_some() {
                        read.insert("@odata.type".into(), json!("#microsoft.graph.user"));
                        self.name(user, "user");
                        self.users.merge(&read);
                    }
                }
            }
            ["users", user, "manager"] => {
                if let Some(id) = body.get("id").and_then(Value::as_str) {
                    self.name(id, "user");
                    self.managers.insert(user.to_ascii_lowercase(), id.to_ascii_lowercase());
                }
            }
            _ => {}
        }
    }

    /// Placeholders for every object the pages name but never describe.
    fn placeholders(&mut self, domain: &str) {
        for instance in self
            .eligibility
            .items
            .values()
            .chain(self.assignments.items.values())
            .chain(self.group_eligibility.items.values())
            .chain(self.group_assignments.items.values())
        {
            if let Some(id) = instance.get("principalId").and_then(Value::as_str) {
                self.named.entry(id.to_ascii_lowercase()).or_insert("user");
            }
            if let Some(id) = instance.get("groupId").and_then(Value::as_str) {
                self.named.entry(id.to_ascii_lowercase()).or_insert("group");
            }
        }
        let named: Vec<(String, &'static str)> =
            self.named.iter().map(|(id, kind)| (id.clone(), *kind)).collect();
        for (id, kind) in named {
            if self.users.contains(&id)
                || self.groups.contains(&id)
                || self.service_principals.contains(&id)
            {
                continue;
            }
            let short = id.chars().take(8).collect::<String>();
            let object = match kind {
                "group" => json!({ "@odata.type": "#microsoft.graph.group", "id": id,
                                   "displayName": format!("Group {short}") }),
                "servicePrincipal" => json!({ "@odata.type": "#microsoft.graph.servicePrincipal",
                                              "id": id, "displayName": format!("Application {short}") }),
                _ => json!({ "@odata.type": "#microsoft.graph.user", "id": id,
                             "displayName": format!("User {short}"),
                             "userPrincipalName": format!("{short}@{domain}"),
                             "accountEnabled": true, "userType": "Member" }),
            };
            if let Value::Object(object) = object {
                self.object(&object);
            }
        }
    }
}

/// The tenant's default domain, as most of its members' UPNs end.
fn domain_of(users: &Keyed) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for user in users.items.values() {
        if let Some(upn) = user.get("userPrincipalName").and_then(Value::as_str)
            && !upn.contains("#EXT#")
            && let Some((_, domain)) = upn.rsplit_once('@')
        {
            *counts.entry(domain.to_ascii_lowercase()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(d, n)| (*n, std::cmp::Reverse(d.clone())))
        .map(|(d, _)| d)
        .unwrap_or_else(|| "tenant.onmicrosoft.com".into())
}

/// User properties a pseudonymized fixture keeps: the ones reviews and recommendations use.
const USER_KEEPS: &[&str] = &[
    "@odata.type",
    "id",
    "displayName",
    "userPrincipalName",
    "accountEnabled",
    "userType",
    "signInActivity",
    "createdDateTime",
    "onPremisesSyncEnabled",
    "creationType",
    "externalUserState",
];
const GROUP_KEEPS: &[&str] = &[
    "@odata.type",
    "id",
    "displayName",
    "isAssignableToRole",
    "securityEnabled",
    "mailEnabled",
    "groupTypes",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesSyncEnabled",
    "createdDateTime",
];
const SERVICE_PRINCIPAL_KEEPS: &[&str] =
    &["@odata.type", "id", "appId", "displayName", "servicePrincipalType", "accountEnabled"];

/// Replaces names, UPNs and mail addresses with pseudonyms, the same everywhere; returns the
/// originals → pseudonyms for the whole-document pass.
fn pseudonymize(fixture: &mut Fixture, domain: &str) -> Vec<(String, String)> {
    let mut replaced: Vec<(String, String)> = Vec::new();
    let keep = |object: &mut Map<String, Value>, keeps: &[&str]| {
        object.retain(|k, _| keeps.contains(&k.as_str()));
    };
    for (n, key) in fixture.users.order.clone().iter().enumerate() {
        let Some(user) = fixture.users.items.get_mut(key) else { continue };
        let number = n + 1;
        let guest = user.get("userType").and_then(Value::as_str) == Some("Guest")
            || user
                .get("userPrincipalName")
                .and_then(Value::as_str)
                .is_some_and(|u| u.contains("#EXT#"));
        let upn = if guest {
            format!("guest{number}_example.com#EXT#@{domain}")
        } else {
            format!("user{number}@{domain}")
        };
        for (field, new) in [
            ("displayName", format!("User {number}")),
            ("userPrincipalName", upn.clone()),
            ("mail", upn.replace("#EXT#", "")),
        ] {
            if let Some(old) = user.get(field).and_then(Value::as_str)
                && !old.is_empty()
            {
                replaced.push((old.to_string(), new.clone()));
            }
        }
        keep(user, USER_KEEPS);
        user.insert("displayName".into(), json!(format!("User {number}")));
        user.insert("userPrincipalName".into(), json!(upn));
    }
    for (prefix, keyed, keeps) in [
        ("Group", &mut fixture.groups, GROUP_KEEPS),
        ("Application", &mut fixture.service_principals, SERVICE_PRINCIPAL_KEEPS),
    ] {
        for (n, key) in keyed.order.clone().iter().enumerate() {
            let Some(object) = keyed.items.get_mut(key) else { continue };
            let new = format!("{prefix} {}", n + 1);
            for field in ["displayName", "mail", "mailNickname"] {
                if let Some(old) = object.get(field).and_then(Value::as_str)
                    && !old.is_empty()
                {
                    replaced.push((old.to_string(), new.clone()));
                }
            }
            keep(object, keeps);
            object.insert("displayName".into(), json!(new));
        }
    }
    // Longest first, so a UPN is replaced before a name that is part of it.
    replaced.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    replaced.dedup_by(|a, b| a.0 == b.0);
    replaced
}

/// Every string in `value` with each original replaced: whole strings for names, and inside
/// strings for addresses (audit events quote UPNs in longer text).
fn replace_everywhere(value: &mut Value, replaced: &[(String, String)]) {
    match value {
        Value::String(s) => {
            if let Some((_, new)) = replaced.iter().find(|(old, _)| old == s) {
                *s = new.clone();
                return;
            }
            for (old, new) in replaced.iter().filter(|(old, _)| old.contains('@')) {
                if s.contains(old.as_str()) {
                    *s = s.replace(old.as_str(), new);
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(|v| replace_everywhere(v, replaced)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_everywhere(v, replaced)),
        _ => {}
    }
}

/// The fixture for `pages` of the tenant `tenant_guid` named `name`.
pub fn fixture(pages: &[CapturedPage], tenant_guid: &str, name: &str, pseudonyms: bool) -> Value {
    let mut f = Fixture::default();
    for page in pages {
        f.page(page);
    }
    let domain = domain_of(&f.users);
    f.placeholders(&domain);
    let replaced = if pseudonyms { pseudonymize(&mut f, &domain) } else { Vec::new() };
    let mut out = json!({
        "organization": [ { "id": tenant_guid, "displayName": name,
                            "verifiedDomains": [ { "name": domain, "isDefault": true } ] } ],
        "users": f.users.values(),
        "groups": f.groups.values(),
        "servicePrincipals": f.service_principals.values(),
        "roleDefinitions": f.role_definitions.values(),
        "roleEligibilityScheduleInstances": f.eligibility.values(),
        "roleAssignmentScheduleInstances": f.assignments.values(),
        "privilegedAccessGroupEligibilityScheduleInstances": f.group_eligibility.values(),
        "privilegedAccessGroupAssignmentScheduleInstances": f.group_assignments.values(),
        "directoryAudits": f.audits.values(),
        "managers": f.managers,
        "members": f.members,
        "azure": {
            "subscriptions": f.subscriptions.values(),
            "roleDefinitions": f.arm_roles.values(),
            "roleEligibilityScheduleInstances": f.arm_eligibility.values(),
            "roleAssignmentScheduleInstances": f.arm_assignments.values(),
        },
    });
    if pseudonyms {
        replace_everywhere(&mut out, &replaced);
    }
    out
}

pub async fn capture(args: CaptureArgs, session: &mut Session, json: bool) -> Result<(), AppError> {
    session.client_secret = args.client_secret;
    session.act(&args.tenant).await?;
    let (pull, pages) = session.app.pull_with_pages(&args.tenant).await?;
    let tenant = session
        .app
        .tenants()
        .await?
        .into_iter()
        .find(|t| t.tenant.id == args.tenant)
        .map(|t| t.tenant)
        .ok_or_else(|| AppError::new(ErrorCode::TenantNotFound, "the tenant is not known"))?;
    let name = if args.pseudonymize { "Captured tenant".to_string() } else { tenant.name.clone() };
    let document = fixture(&pages, &tenant.tenant_guid, &name, args.pseudonymize);
    let text = serde_json::to_string_pretty(&document).map_err(|err| {
        AppError::new(ErrorCode::Export, format!("cannot write the fixture: {err}"))
    })?;
    // The emulator must be able to serve it: checked before anything is written.
    recert_emulator::Tenant::from_fixture_str(&args.out.display().to_string(), &text).map_err(
        |err| AppError::new(ErrorCode::BadResponse, format!("the capture is not a fixture: {err}")),
    )?;
    std::fs::write(&args.out, &text).map_err(|err| {
        AppError::new(ErrorCode::Export, format!("cannot write {}: {err}", args.out.display()))
    })?;
    let count = |key: &str| document[key].as_array().map_or(0, Vec::len);
    let summary = json!({
        "out": args.out,
        "pages": pages.len(),
        "users": count("users"),
        "groups": count("groups"),
        "servicePrincipals": count("servicePrincipals"),
        "eligible": pull.eligible,
        "active": pull.active,
        "pseudonymized": args.pseudonymize,
    });
    if json {
        println!("{summary:#}");
    } else {
        println!(
            "Captured {} pages of {} into {}: {} users, {} groups, {} service principals{}",
            pages.len(),
            args.tenant,
            args.out.display(),
            count("users"),
            count("groups"),
            count("servicePrincipals"),
            if args.pseudonymize { ", pseudonymized" } else { "" }
        );
    }
    Ok(())
}
