//! The preflight: before a tenant is trusted with a campaign, what the identity Recert signs in
//! as can do there — a token for Graph, each permission the pull and the removals need (from the
//! token's `roles` or `scp`), the licences (P1 for sign-in activity, P2 for PIM, each read once),
//! the person's active directory roles, and Azure Resource Manager per subscription. Each failed
//! check carries the exact fix. Every request is one Recert's pull sends, with query options
//! the documentation states for its path (`reference/graph-docs/query-support.md`).

use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use crate::{Cloud, GraphClient, GraphError};

/// Global Administrator's template id, the role whose holders a probe of the instance lists
/// filters on (a documented `$filter` on `roleDefinitionId`) to keep the answer small.
const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    Pass,
    Fail,
    /// Not checked, because an earlier check it depends on failed (the token).
    Skipped,
}

/// One row of the preflight table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `token`, `permission`, `read`, `licence`, `role` or `azure`.
    pub area: &'static str,
    pub name: String,
    pub state: CheckState,
    /// What was found.
    pub detail: String,
    /// For a failure: exactly what to change.
    pub fix: Option<String>,
}

/// The whole preflight.
#[derive(Debug, Clone, Default)]
pub struct Preflight {
    pub checks: Vec<Check>,
    /// A token was obtained and a Graph read succeeded: the tenant is reachable.
    pub reachable: bool,
    /// Who the token names: the person's UPN, or the application's id.
    pub identity: Option<String>,
    /// The token is a person's (delegated) rather than the application's.
    pub delegated: bool,
}

/// A Graph permission the pull or the removals need, and the permissions that include it.
struct Needed {
    permission: &'static str,
    also: &'static [&'static str],
    why: &'static str,
}

const NEEDED: &[Needed] = &[
    Needed {
        permission: "RoleManagement.Read.Directory",
        also: &["RoleManagement.ReadWrite.Directory", "RoleManagement.Read.All"],
        why: "read Entra role definitions",
    },
    Needed {
        permission: "RoleEligibilitySchedule.ReadWrite.Directory",
        also: &["RoleManagement.ReadWrite.Directory"],
        why: "read and remove eligible Entra role assignments",
    },
    Needed {
        permission: "RoleAssignmentSchedule.ReadWrite.Directory",
        also: &["RoleManagement.ReadWrite.Directory"],
        why: "read and remove active Entra role assignments",
    },
    Needed {
        permission: "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
        also: &[],
        why: "read and remove eligible PIM for Groups memberships and ownerships",
    },
    Needed {
        permission: "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
        also: &[],
        why: "read and remove active PIM for Groups memberships and ownerships",
    },
    Needed {
        permission: "User.Read.All",
        also: &["Directory.Read.All", "Directory.ReadWrite.All"],
        why: "read users, their managers and account state",
    },
    Needed {
        permission: "GroupMember.Read.All",
        also: &["Group.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        why: "read the members of role-assignable groups",
    },
    Needed {
        permission: "Application.Read.All",
        also: &["Directory.Read.All", "Directory.ReadWrite.All"],
        why: "read service principals holding roles",
    },
    Needed {
        permission: "AuditLog.Read.All",
        also: &[],
        why: "read activation history and last sign-ins",
    },
];

#[derive(Deserialize)]
struct Listed {
    #[serde(default)]
    value: Vec<Value>,
}

/// The claims of a JWT access token, or `None` when it is not one Recert can read. The token is
/// only read, never checked: the service checks it.
fn claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn pass(area: &'static str, name: impl Into<String>, detail: impl Into<String>) -> Check {
    Check { area, name: name.into(), state: CheckState::Pass, detail: detail.into(), fix: None }
}

fn fail(
    area: &'static str,
    name: impl Into<String>,
    detail: impl Into<String>,
    fix: impl Into<String>,
) -> Check {
    Check {
        area,
        name: name.into(),
        state: CheckState::Fail,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

fn skipped(area: &'static str, name: impl Into<String>, why: &str) -> Check {
    Check { area, name: name.into(), state: CheckState::Skipped, detail: why.into(), fix: None }
}

/// What to grant for `permission`, by kind of token.
fn grant(permission: &str, delegated: bool) -> String {
    if delegated {
        format!(
            "In the app registration, add the delegated Microsoft Graph permission {permission} \
             (API permissions → Add a permission → Microsoft Graph → Delegated), grant admin \
             consent, then sign in again"
        )
    } else {
        format!(
            "In the app registration, add the application Microsoft Graph permission \
             {permission} (API permissions → Add a permission → Microsoft Graph → Application) \
             and grant admin consent"
        )
    }
}

/// The fix for a read that failed with `err`.
fn read_fix(err: &GraphError, delegated: bool) -> String {
    match err {
        GraphError::PermissionMissing { permission, .. } if delegated => format!(
            "{}; the person also needs a directory role that allows the read (Global Reader, \
             Security Reader or Privileged Role Administrator)",
            grant(permission, true)
        ),
        GraphError::PermissionMissing { permission, .. } => grant(permission, false),
        GraphError::NotLicensed { .. } => {
            "Assign Microsoft Entra ID P2 (or Microsoft Entra ID Governance) licences in the \
             tenant"
                .into()
        }
        GraphError::SignInRequired(_) => "Sign in again".into(),
        other => format!("Retry later; if it persists, report request {:?}", other.request_id()),
    }
}

/// Runs the preflight with `client`'s identity. Never fails: every problem is a row.
pub async fn preflight(client: &GraphClient) -> Preflight {
    let mut out = Preflight::default();
    let cloud = client.cloud().clone();
    let token = match client
        .bearer(&cloud.graph_url("/roleManagement/directory/roleDefinitions"))
        .await
    {
        Ok(token) => token,
        Err(err) => {
            let fix = match &err {
                GraphError::SignInRequired(_) => "Sign in (recert-cli tenant sign-in, or Sign in \
                                                  on the Tenants screen)"
                    .to_string(),
                GraphError::Unreachable { .. } => "Check the network path to the sign-in \
                                                   service (proxy, firewall) and the cloud chosen \
                                                   for the tenant"
                    .to_string(),
                _ => "Check the directory (tenant) id, the app registration's client id, and \
                      its secret or certificate; a secret may have expired"
                    .to_string(),
            };
            out.checks.push(fail("token", "Token for Microsoft Graph", err.to_string(), fix));
            for needed in NEEDED {
                out.checks.push(skipped("permission", needed.permission, "no token"));
            }
            return out;
        }
    };
    let claims = claims(&token).unwrap_or(Value::Null);
    let delegated = claims.get("scp").is_some();
    out.delegated = delegated;
    let oid = claims.get("oid").and_then(Value::as_str).map(str::to_string);
    out.identity = claims
        .get("upn")
        .or_else(|| claims.get("preferred_username"))
        .or_else(|| claims.get("appid"))
        .or_else(|| claims.get("azp"))
        .and_then(Value::as_str)
        .map(str::to_string);
    out.checks.push(pass(
        "token",
        "Token for Microsoft Graph",
        match &out.identity {
            Some(who) if delegated => format!("signed in as {who}"),
            Some(who) => format!("application {who}"),
            None => "obtained".into(),
        },
    ));

    permission_checks(&claims, delegated, &mut out.checks);
    let role_names = read_checks(client, &cloud, delegated, oid.as_deref(), &mut out).await;
    // The person's own directory roles: reading needs a reader role, removing needs Privileged
    // Role Administrator (or Global Administrator), held actively.
    if delegated && let Some(oid) = &oid {
        out.checks.push(role_check(client, oid, &role_names).await);
    }
    azure_checks(client, &cloud, delegated, &mut out.checks).await;
    out
}

/// Permissions, from the token: `roles` (application) or `scp` (delegated).
fn permission_checks(claims: &Value, delegated: bool, checks: &mut Vec<Check>) {
    let granted: Vec<String> = if delegated {
        claims
            .get("scp")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect()
    } else {
        claims
            .get("roles")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let readable = claims.is_object();
    for needed in NEEDED {
        let has = |p: &str| granted.iter().any(|g| g.eq_ignore_ascii_case(p));
        let by =
            std::iter::once(needed.permission).chain(needed.also.iter().copied()).find(|p| has(p));
        checks.push(match by {
            Some(p) => {
                pass("permission", needed.permission, format!("granted ({p}): {}", needed.why))
            }
            None if !readable => skipped(
                "permission",
                needed.permission,
                "the token's permissions cannot be read; the reads below tell",
            ),
            None => fail(
                "permission",
                needed.permission,
                format!("not granted: needed to {}", needed.why),
                grant(needed.permission, delegated),
            ),
        });
    }
}

/// Reads: the role definitions (any Graph read proves the tenant reachable), PIM (P2), PIM for
/// Groups, sign-in activity (P1) and the audit log. Returns the role names by lower-cased id.
async fn read_checks(
    client: &GraphClient,
    cloud: &Cloud,
    delegated: bool,
    oid: Option<&str>,
    out: &mut Preflight,
) -> std::collections::HashMap<String, String> {
    let definitions = cloud.graph_url("/roleManagement/directory/roleDefinitions");
    let mut role_names = std::collections::HashMap::new();
    match client.get_as::<Listed>(&definitions).await {
        Ok((listed, _)) => {
            out.reachable = true;
            for d in &listed.value {
                if let (Some(id), Some(name)) = (
                    d.get("id").and_then(Value::as_str),
                    d.get("displayName").and_then(Value::as_str),
                ) {
                    role_names.insert(id.to_ascii_lowercase(), name.to_string());
                }
            }
            out.checks.push(pass(
                "read",
                "Read Entra role definitions",
                format!("{} role definitions", listed.value.len()),
            ));
        }
        Err(err) => {
            let fix = read_fix(&err, delegated);
            out.checks.push(fail("read", "Read Entra role definitions", err.to_string(), fix));
        }
    }
    let filter = format!("$filter=roleDefinitionId eq '{GLOBAL_ADMINISTRATOR}'");
    for (name, path) in [
        ("Read eligible Entra role assignments (PIM)", "roleEligibilityScheduleInstances"),
        ("Read active Entra role assignments (PIM)", "roleAssignmentScheduleInstances"),
    ] {
        let url = cloud.graph_url(&format!("/roleManagement/directory/{path}?{filter}"));
        out.checks.push(match client.get_as::<Listed>(&url).await {
            Ok(_) => pass("read", name, "readable"),
            Err(err @ GraphError::NotLicensed { .. }) => fail(
                "licence",
                "Microsoft Entra ID P2 (PIM)",
                err.to_string(),
                read_fix(&err, delegated),
            ),
            Err(err) => {
                let fix = read_fix(&err, delegated);
                fail("read", name, err.to_string(), fix)
            }
        });
    }
    if let Some(oid) = oid {
        for (name, path) in [
            ("Read PIM for Groups eligibilities", "eligibilityScheduleInstances"),
            ("Read PIM for Groups assignments", "assignmentScheduleInstances"),
        ] {
            // The documentation requires a filter on principalId or groupId here.
            let url = cloud.graph_url(&format!(
                "/identityGovernance/privilegedAccess/group/{path}?$filter=principalId eq '{oid}'"
            ));
            out.checks.push(match client.get_as::<Listed>(&url).await {
                Ok(_) => pass("read", name, "readable"),
                Err(err) => {
                    let fix = read_fix(&err, delegated);
                    fail("read", name, err.to_string(), fix)
                }
            });
        }
    }
    // Sign-in activity needs P1 as well as AuditLog.Read.All; at most 120 users a page with it.
    let sign_ins = cloud.graph_url("/users?$select=id,signInActivity&$top=1");
    out.checks.push(match client.get_as::<Listed>(&sign_ins).await {
        Ok(_) => {
            pass("licence", "Microsoft Entra ID P1 (last sign-in)", "sign-in activity is readable")
        }
        Err(err @ GraphError::NotLicensed { .. }) => fail(
            "licence",
            "Microsoft Entra ID P1 (last sign-in)",
            err.to_string(),
            "Assign Microsoft Entra ID P1 (or P2) licences in the tenant; without them \
             recommendations cannot use last sign-in",
        ),
        Err(err) => {
            let fix = read_fix(&err, delegated);
            fail("read", "Read users' sign-in activity", err.to_string(), fix)
        }
    });
    let audits = cloud.graph_url("/auditLogs/directoryAudits?$top=1");
    out.checks.push(match client.get_as::<Listed>(&audits).await {
        Ok(_) => pass("read", "Read the audit log (activation history)", "readable"),
        Err(err) => {
            let fix = read_fix(&err, delegated);
            fail("read", "Read the audit log (activation history)", err.to_string(), fix)
        }
    });
    role_names
}

/// The person's active directory roles, named, and whether one of them allows removals.
async fn role_check(
    client: &GraphClient,
    oid: &str,
    role_names: &std::collections::HashMap<String, String>,
) -> Check {
    match crate::holders::active_roles(client, oid).await {
        Ok(roles) => {
            let mut names: Vec<String> = roles
                .iter()
                .map(|(id, _)| {
                    role_names.get(&id.to_ascii_lowercase()).cloned().unwrap_or(id.clone())
                })
                .collect();
            names.sort();
            names.dedup();
            let governs = roles.iter().any(|(id, _)| {
                id.eq_ignore_ascii_case(PRIVILEGED_ROLE_ADMINISTRATOR)
                    || id.eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR)
            });
            let held = if names.is_empty() { "none".to_string() } else { names.join(", ") };
            if governs {
                pass("role", "Directory role for removals", format!("active roles: {held}"))
            } else {
                fail(
                    "role",
                    "Directory role for removals",
                    format!("active roles: {held}"),
                    "Hold Privileged Role Administrator actively (assign it, or activate \
                     it in PIM) before applying removals; Global Reader is enough for pulls",
                )
            }
        }
        Err(err) => {
            let fix = read_fix(&err, true);
            fail("role", "Directory role for removals", err.to_string(), fix)
        }
    }
}

/// Azure Resource Manager: a token for it, the subscriptions visible, each one's PIM lists.
async fn azure_checks(
    client: &GraphClient,
    cloud: &Cloud,
    delegated: bool,
    checks: &mut Vec<Check>,
) {
    let subscriptions = cloud.arm_url("subscriptions?api-version=2022-12-01");
    match client.get_as::<Listed>(&subscriptions).await {
        Err(err) => {
            let fix = match &err {
                GraphError::SignInRequired(_) | GraphError::Auth(_) if delegated => {
                    "In the app registration, add the delegated permission user_impersonation of \
                     Azure Service Management, grant admin consent, then sign in again"
                }
                _ => {
                    "Assign the identity the Reader role on each subscription to review (and \
                     User Access Administrator for removals), or leave Azure roles out of the \
                     campaigns"
                }
            };
            checks.push(fail("azure", "Azure Resource Manager", err.to_string(), fix));
        }
        Ok((listed, _)) if listed.value.is_empty() => checks.push(fail(
            "azure",
            "Azure Resource Manager",
            "no subscription is visible to this identity",
            "Assign the identity the Reader role on each subscription to review (and User \
             Access Administrator for removals), or leave Azure roles out of the campaigns",
        )),
        Ok((listed, _)) => {
            for sub in &listed.value {
                let id = sub.get("id").and_then(Value::as_str).unwrap_or_default();
                let name = sub
                    .get("displayName")
                    .and_then(Value::as_str)
                    .map(|n| format!("Subscription {n}"))
                    .unwrap_or_else(|| format!("Subscription {id}"));
                let url = cloud.arm_url(&format!(
                    "{}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances\
                     ?api-version=2020-10-01&$filter=atScope()",
                    id.trim_start_matches('/')
                ));
                checks.push(match client.get_as::<Listed>(&url).await {
                    Ok(_) => pass("azure", name, "PIM role instances readable"),
                    Err(err) => fail(
                        "azure",
                        name,
                        err.to_string(),
                        format!(
                            "Assign the identity the Reader role on {id} (and User Access \
                             Administrator there for removals)"
                        ),
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_claims_are_read_from_the_payload() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"scp":"User.Read AuditLog.Read.All","oid":"x"}"#);
        let read = claims(&format!("e30.{payload}.sig")).expect("claims");
        assert_eq!(read["oid"], "x");
        assert!(claims("not-a-jwt").is_none());
        assert!(claims("a.%%%.c").is_none());
    }
}
