//! Graph-shaped JSON fixtures: loading with precise errors (file, key, problem) and exporting.
//!
//! The format is documented in the crate's README.md. Collections may be plain arrays or a Graph list
//! response (`{"value": [...]}`), so a page saved from a real tenant loads as it is.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::tenant::{self, ArmData, Client, Tenant};

/// A fixture that could not be loaded. `Display` reads "`file`: `key`: problem".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("fixture {file}: {key}: {problem}")]
pub struct FixtureError {
    /// The file (or the name given to `from_fixture_str`).
    pub file: String,
    /// The JSON path of the offending value, e.g. `roleEligibilityScheduleInstances[3].principalId`.
    pub key: String,
    pub problem: String,
}

const GRAPH_KEYS: &[&str] = &[
    "users",
    "groups",
    "servicePrincipals",
    "administrativeUnits",
    "roleDefinitions",
    "roleEligibilityScheduleInstances",
    "roleAssignmentScheduleInstances",
    "roleEligibilityScheduleRequests",
    "roleAssignmentScheduleRequests",
    "privilegedAccessGroupEligibilityScheduleInstances",
    "privilegedAccessGroupAssignmentScheduleInstances",
    "directoryAudits",
];
const OTHER_KEYS: &[&str] =
    &["$schema", "organization", "managers", "members", "owners", "applications", "azure"];
const AZURE_KEYS: &[&str] = &[
    "subscriptions",
    "resourceGroups",
    "roleDefinitions",
    "roleEligibilityScheduleInstances",
    "roleAssignmentScheduleInstances",
];

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn err(&self, key: impl Into<String>, problem: impl Into<String>) -> FixtureError {
        FixtureError { file: self.file.to_string(), key: key.into(), problem: problem.into() }
    }
}

pub(crate) fn from_file(path: &Path) -> Result<Tenant, FixtureError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FixtureError {
        file: name.clone(),
        key: "(file)".into(),
        problem: format!("cannot read the file: {e}"),
    })?;
    from_str(&name, &text)
}

pub(crate) fn from_str(name: &str, text: &str) -> Result<Tenant, FixtureError> {
    let cx = Ctx { file: name };
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        cx.err(
            "(document)",
            format!("not valid JSON at line {} column {}: {e}", e.line(), e.column()),
        )
    })?;
    let Value::Object(root) = doc else {
        return Err(cx.err("(document)", "the top level must be a JSON object"));
    };
    for key in root.keys() {
        if !GRAPH_KEYS.contains(&key.as_str()) && !OTHER_KEYS.contains(&key.as_str()) {
            return Err(cx.err(key.clone(), "unknown key (collections are named as in Graph, e.g. \"users\", \"roleEligibilityScheduleInstances\")"));
        }
    }
    let mut t = Tenant { clients: tenant::default_clients(), ..Tenant::default() };

    // organization: the tenant's id, name and default domain.
    let orgs = collection(&cx, &root, "organization")?;
    match orgs.first() {
        Some(org) => {
            t.id = req_str(&cx, org, "organization[0]", "id")?;
            if uuid::Uuid::parse_str(&t.id).is_err() {
                return Err(cx.err("organization[0].id", "must be a GUID (the tenant id)"));
            }
            t.display_name = req_str(&cx, org, "organization[0]", "displayName")?;
            t.default_domain = org
                .get("verifiedDomains")
                .and_then(Value::as_array)
                .and_then(|d| {
                    d.iter()
                        .find(|x| x.get("isDefault") == Some(&Value::Bool(true)))
                        .or_else(|| d.first())
                })
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("contoso.onmicrosoft.com")
                .to_string();
        }
        None => {
            return Err(cx.err(
                "organization",
                "missing: give [{\"id\": tenant GUID, \"displayName\": name}]",
            ));
        }
    }

    t.users = objects(&cx, &root, "users", &["id", "displayName", "userPrincipalName"])?;
    t.groups = objects(&cx, &root, "groups", &["id", "displayName"])?;
    t.service_principals = objects(&cx, &root, "servicePrincipals", &["id", "displayName"])?;
    t.administrative_units = objects(&cx, &root, "administrativeUnits", &["id", "displayName"])?;
    t.role_definitions = objects(&cx, &root, "roleDefinitions", &["id", "displayName"])?;
    t.eligibility_instances = objects(
        &cx,
        &root,
        "roleEligibilityScheduleInstances",
        &["id", "principalId", "roleDefinitionId"],
    )?;
    t.assignment_instances = objects(
        &cx,
        &root,
        "roleAssignmentScheduleInstances",
        &["id", "principalId", "roleDefinitionId"],
    )?;
    t.eligibility_requests = objects(&cx, &root, "roleEligibilityScheduleRequests", &["id"])?;
    t.assignment_requests = objects(&cx, &root, "roleAssignmentScheduleRequests", &["id"])?;
    t.group_eligibility_instances = objects(
        &cx,
        &root,
        "privilegedAccessGroupEligibilityScheduleInstances",
        &["id", "principalId", "groupId", "accessId"],
    )?;
    t.group_assignment_instances = objects(
        &cx,
        &root,
        "privilegedAccessGroupAssignmentScheduleInstances",
        &["id", "principalId", "groupId", "accessId"],
    )?;
    t.directory_audits = objects(&cx, &root, "directoryAudits", &["id", "activityDisplayName"])?;

    // Defaults Graph would always fill in.
    for i in t.eligibility_instances.iter_mut() {
        default_field(i, "directoryScopeId", json!("/"));
        default_field(i, "appScopeId", Value::Null);
        default_field(i, "memberType", json!("Direct"));
        default_field(i, "startDateTime", Value::Null);
        default_field(i, "endDateTime", Value::Null);
    }
    for i in t.assignment_instances.iter_mut() {
        default_field(i, "directoryScopeId", json!("/"));
        default_field(i, "appScopeId", Value::Null);
        default_field(i, "memberType", json!("Direct"));
        default_field(i, "assignmentType", json!("Assigned"));
        default_field(i, "startDateTime", Value::Null);
        default_field(i, "endDateTime", Value::Null);
    }

    // Unique ids and references.
    let mut principals: HashSet<String> = HashSet::new();
    for (key, list) in
        [("users", &t.users), ("groups", &t.groups), ("servicePrincipals", &t.service_principals)]
    {
        for (i, o) in list.iter().enumerate() {
            let id = o["id"].as_str().unwrap_or_default().to_string();
            if !principals.insert(id.clone()) {
                return Err(cx.err(format!("{key}[{i}].id"), format!("duplicate object id '{id}'")));
            }
        }
    }
    let users: HashSet<&str> = t.users.iter().filter_map(|u| u["id"].as_str()).collect();
    let groups: HashSet<&str> = t.groups.iter().filter_map(|u| u["id"].as_str()).collect();
    let roles: HashSet<&str> = t.role_definitions.iter().filter_map(|u| u["id"].as_str()).collect();
    for key in ["roleEligibilityScheduleInstances", "roleAssignmentScheduleInstances"] {
        let list = if key.starts_with("roleEligibility") {
            &t.eligibility_instances
        } else {
            &t.assignment_instances
        };
        let mut ids = HashSet::new();
        for (i, o) in list.iter().enumerate() {
            let id = o["id"].as_str().unwrap_or_default();
            if !ids.insert(id) {
                return Err(
                    cx.err(format!("{key}[{i}].id"), format!("duplicate instance id '{id}'"))
                );
            }
            let role = o["roleDefinitionId"].as_str().unwrap_or_default();
            if !roles.contains(role) {
                return Err(cx.err(
                    format!("{key}[{i}].roleDefinitionId"),
                    format!("refers to '{role}', which is not in roleDefinitions"),
                ));
            }
            let p = o["principalId"].as_str().unwrap_or_default();
            if !principals.contains(p) {
                return Err(cx.err(format!("{key}[{i}].principalId"), format!("refers to '{p}', which is not a user, group or service principal of the fixture")));
            }
            if let Some(v) = o.get("directoryScopeId")
                && !v.is_string()
            {
                return Err(cx.err(
                    format!("{key}[{i}].directoryScopeId"),
                    "must be a string such as \"/\"",
                ));
            }
            for d in ["startDateTime", "endDateTime"] {
                match o.get(d) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {}
                    Some(other) => {
                        return Err(cx.err(
                            format!("{key}[{i}].{d}"),
                            format!("must be null or an ISO 8601 date-time, got {other}"),
                        ));
                    }
                }
            }
        }
    }
    for key in [
        "privilegedAccessGroupEligibilityScheduleInstances",
        "privilegedAccessGroupAssignmentScheduleInstances",
    ] {
        let list = if key.contains("Eligibility") {
            &t.group_eligibility_instances
        } else {
            &t.group_assignment_instances
        };
        for (i, o) in list.iter().enumerate() {
            let g = o["groupId"].as_str().unwrap_or_default();
            if !groups.contains(g) {
                return Err(cx.err(
                    format!("{key}[{i}].groupId"),
                    format!("refers to '{g}', which is not in groups"),
                ));
            }
            let a = o["accessId"].as_str().unwrap_or_default();
            if !a.eq_ignore_ascii_case("member") && !a.eq_ignore_ascii_case("owner") {
                return Err(
                    cx.err(format!("{key}[{i}].accessId"), "must be \"member\" or \"owner\"")
                );
            }
        }
    }
    t.managers = id_map(&cx, &root, "managers")?;
    for (u, m) in &t.managers {
        if !users.contains(u.as_str()) {
            return Err(cx.err(format!("managers.{u}"), "the key is not a user id of the fixture"));
        }
        if !users.contains(m.as_str()) {
            return Err(cx.err(
                format!("managers.{u}"),
                format!("the manager '{m}' is not a user id of the fixture"),
            ));
        }
    }
    for (key, target) in [("members", 0), ("owners", 1)] {
        let map = id_list_map(&cx, &root, key)?;
        for (g, list) in &map {
            if !groups.contains(g.as_str()) {
                return Err(
                    cx.err(format!("{key}.{g}"), "the key is not a group id of the fixture")
                );
            }
            for (i, m) in list.iter().enumerate() {
                if !principals.contains(m) {
                    return Err(cx.err(
                        format!("{key}.{g}[{i}]"),
                        format!("'{m}' is not an object id of the fixture"),
                    ));
                }
            }
        }
        if target == 0 { t.group_members = map } else { t.group_owners = map }
    }

    if let Some(apps) = root.get("applications") {
        let Value::Array(apps) = apps else {
            return Err(cx.err("applications", "must be an array"));
        };
        for (i, app) in apps.iter().enumerate() {
            let at = format!("applications[{i}]");
            let client_id = req_str(&cx, app, &at, "appId")?;
            let display_name = req_str(&cx, app, &at, "displayName")?;
            let secret = app
                .get("passwordCredentials")
                .and_then(Value::as_array)
                .and_then(|l| l.first())
                .and_then(|c| c.get("secretText"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let list = |k: &str| -> Result<Vec<String>, FixtureError> {
                match app.get(k) {
                    None => Ok(Vec::new()),
                    Some(Value::Array(a)) => a
                        .iter()
                        .enumerate()
                        .map(|(j, v)| {
                            v.as_str()
                                .map(str::to_string)
                                .ok_or_else(|| cx.err(format!("{at}.{k}[{j}]"), "must be a string"))
                        })
                        .collect(),
                    Some(_) => {
                        Err(cx.err(format!("{at}.{k}"), "must be an array of permission names"))
                    }
                }
            };
            // Graph's `keyCredentials[].key` is the certificate, base64 DER.
            let mut certificates = Vec::new();
            for (j, key) in app
                .get("keyCredentials")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let der = key
                    .get("key")
                    .and_then(Value::as_str)
                    .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok())
                    .ok_or_else(|| {
                        cx.err(format!("{at}.keyCredentials[{j}].key"), "must be base64 DER")
                    })?;
                certificates.push(der);
            }
            t.add_client(Client {
                client_id,
                display_name,
                secret,
                certificates,
                application_permissions: list("applicationPermissions")?,
                delegated_permissions: list("delegatedPermissions")?,
            });
        }
    }

    if let Some(azure) = root.get("azure") {
        let Value::Object(az) = azure else {
            return Err(cx.err("azure", "must be an object of ARM collections"));
        };
        for key in az.keys() {
            if !AZURE_KEYS.contains(&key.as_str()) {
                return Err(cx.err(format!("azure.{key}"), "unknown key"));
            }
        }
        let arm_list = |key: &str, required: &[&str]| -> Result<Vec<Value>, FixtureError> {
            let list = collection(&cx, az, key)
                .map_err(|e| FixtureError { key: format!("azure.{}", e.key), ..e })?;
            for (i, o) in list.iter().enumerate() {
                for r in required {
                    let present = if let Some(p) = r.strip_prefix("properties.") {
                        o.get("properties").and_then(|x| x.get(p)).and_then(Value::as_str).is_some()
                    } else {
                        o.get(*r).and_then(Value::as_str).is_some()
                    };
                    if !present {
                        return Err(
                            cx.err(format!("azure.{key}[{i}].{r}"), "missing or not a string")
                        );
                    }
                }
            }
            Ok(list)
        };
        t.arm = ArmData {
            subscriptions: arm_list("subscriptions", &["subscriptionId", "displayName"])?,
            resource_groups: arm_list("resourceGroups", &["id", "name"])?,
            role_definitions: arm_list("roleDefinitions", &["name", "properties.roleName"])?,
            role_eligibility_schedule_instances: arm_list(
                "roleEligibilityScheduleInstances",
                &[
                    "name",
                    "properties.scope",
                    "properties.roleDefinitionId",
                    "properties.principalId",
                ],
            )?,
            role_assignment_schedule_instances: arm_list(
                "roleAssignmentScheduleInstances",
                &[
                    "name",
                    "properties.scope",
                    "properties.roleDefinitionId",
                    "properties.principalId",
                ],
            )?,
        };
    }
    Ok(t)
}

fn default_field(o: &mut Value, key: &str, v: Value) {
    if let Value::Object(m) = o
        && !m.contains_key(key)
    {
        m.insert(key.to_string(), v);
    }
}

fn collection(cx: &Ctx, root: &Map<String, Value>, key: &str) -> Result<Vec<Value>, FixtureError> {
    match root.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        // A saved Graph list response: {"@odata.context": …, "value": [...]}.
        Some(Value::Object(o)) => match o.get("value") {
            Some(Value::Array(a)) => Ok(a.clone()),
            _ => {
                Err(cx
                    .err(key, "must be an array (or a Graph list response with a \"value\" array)"))
            }
        },
        Some(_) => {
            Err(cx.err(key, "must be an array (or a Graph list response with a \"value\" array)"))
        }
    }
}

fn objects(
    cx: &Ctx,
    root: &Map<String, Value>,
    key: &str,
    required: &[&str],
) -> Result<Vec<Value>, FixtureError> {
    let list = collection(cx, root, key)?;
    for (i, o) in list.iter().enumerate() {
        if !o.is_object() {
            return Err(cx.err(format!("{key}[{i}]"), "must be a JSON object"));
        }
        for r in required {
            match o.get(*r) {
                Some(Value::String(s)) if !s.is_empty() => {}
                Some(Value::String(_)) => {
                    return Err(cx.err(format!("{key}[{i}].{r}"), "must not be empty"));
                }
                Some(other) => {
                    return Err(
                        cx.err(format!("{key}[{i}].{r}"), format!("must be a string, got {other}"))
                    );
                }
                None => return Err(cx.err(format!("{key}[{i}].{r}"), "missing")),
            }
        }
    }
    Ok(list)
}

fn req_str(cx: &Ctx, o: &Value, at: &str, key: &str) -> Result<String, FixtureError> {
    match o.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => {
            Err(cx.err(format!("{at}.{key}"), format!("must be a non-empty string, got {other}")))
        }
        None => Err(cx.err(format!("{at}.{key}"), "missing")),
    }
}

fn id_map(
    cx: &Ctx,
    root: &Map<String, Value>,
    key: &str,
) -> Result<BTreeMap<String, String>, FixtureError> {
    let mut out = BTreeMap::new();
    match root.get(key) {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let id = v
                    .as_str()
                    // A saved `/users/{id}/manager` response is accepted too.
                    .or_else(|| v.get("id").and_then(Value::as_str))
                    .ok_or_else(|| cx.err(format!("{key}.{k}"), "must be an id string"))?;
                out.insert(k.clone(), id.to_string());
            }
        }
        Some(_) => return Err(cx.err(key, "must be an object mapping ids to ids")),
    }
    Ok(out)
}

fn id_list_map(
    cx: &Ctx,
    root: &Map<String, Value>,
    key: &str,
) -> Result<BTreeMap<String, Vec<String>>, FixtureError> {
    let mut out = BTreeMap::new();
    match root.get(key) {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let Value::Array(a) = v else {
                    return Err(cx.err(format!("{key}.{k}"), "must be an array of ids"));
                };
                let mut ids = Vec::new();
                for (i, x) in a.iter().enumerate() {
                    let id = x
                        .as_str()
                        .or_else(|| x.get("id").and_then(Value::as_str))
                        .ok_or_else(|| cx.err(format!("{key}.{k}[{i}]"), "must be an id string"))?;
                    ids.push(id.to_string());
                }
                out.insert(k.clone(), ids);
            }
        }
        Some(_) => return Err(cx.err(key, "must be an object mapping group ids to arrays of ids")),
    }
    Ok(out)
}

pub(crate) fn to_json(t: &Tenant) -> Value {
    let apps: Vec<Value> = t
        .clients
        .iter()
        .map(|c| {
            json!({
                "appId": c.client_id, "displayName": c.display_name,
                "passwordCredentials": c.secret.iter().map(|s| json!({ "secretText": s })).collect::<Vec<_>>(),
                "keyCredentials": c.certificates.iter().map(|der| json!({
                    "type": "AsymmetricX509Cert", "usage": "Verify",
                    "key": base64::engine::general_purpose::STANDARD.encode(der),
                })).collect::<Vec<_>>(),
                "applicationPermissions": c.application_permissions,
                "delegatedPermissions": c.delegated_permissions,
            })
        })
        .collect();
    json!({
        "organization": [ { "id": t.id, "displayName": t.display_name,
            "verifiedDomains": [ { "name": t.default_domain, "isDefault": true } ] } ],
        "users": t.users, "groups": t.groups, "servicePrincipals": t.service_principals,
        "administrativeUnits": t.administrative_units,
        "roleDefinitions": t.role_definitions,
        "roleEligibilityScheduleInstances": t.eligibility_instances,
        "roleAssignmentScheduleInstances": t.assignment_instances,
        "roleEligibilityScheduleRequests": t.eligibility_requests,
        "roleAssignmentScheduleRequests": t.assignment_requests,
        "privilegedAccessGroupEligibilityScheduleInstances": t.group_eligibility_instances,
        "privilegedAccessGroupAssignmentScheduleInstances": t.group_assignment_instances,
        "directoryAudits": t.directory_audits,
        "managers": t.managers, "members": t.group_members, "owners": t.group_owners,
        "applications": apps,
        "azure": {
            "subscriptions": t.arm.subscriptions, "resourceGroups": t.arm.resource_groups,
            "roleDefinitions": t.arm.role_definitions,
            "roleEligibilityScheduleInstances": t.arm.role_eligibility_schedule_instances,
            "roleAssignmentScheduleInstances": t.arm.role_assignment_schedule_instances,
        },
    })
}
