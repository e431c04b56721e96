//! Schedule requests: `adminRemove`, `adminAssign`, `adminUpdate`/`adminExtend` (a new end for
//! the direct, standing assignment, from `scheduleInfo`) and `selfActivate` on directory roles and
//! PIM for Groups. Error codes are only those Microsoft names for PIM requests (the
//! privilegedAccess request page's error table: `RoleNotFound`, `SubjectNotFound`,
//! `PendingRoleAssignmentRequest`, `RoleAssignmentExists`, `RoleAssignmentDoesNotExist`,
//! `RoleAssignmentRequestPolicyValidationFailed`). An `adminRemove` that names no direct,
//! standing assignment (only a group-derived instance or a running activation) finds none to
//! remove: `RoleAssignmentDoesNotExist`. No lock-out rule is invented for the last Global
//! Administrator: Recert's own interlocks hold such removals before they are sent.

use std::sync::Arc;

use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{Map, Value, json};

use super::directory::bad_json;
use super::{R, collect_page, context_url, page_response, page_size, require_pim};
use crate::catalog::{GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR};
use crate::http::{ApiError, json_value};
use crate::odata::{self, Query};
use crate::server::AppState;
use crate::store::{InstanceSet, Kind, Store};
use crate::token::Caller;

const ELIG_WRITE: &[&str] = &[
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleEligibilitySchedule.Remove.Directory",
    "RoleManagement.ReadWrite.Directory",
];
const ASSIGN_WRITE: &[&str] = &[
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "RoleAssignmentSchedule.Remove.Directory",
    "RoleManagement.ReadWrite.Directory",
];
const ELIG_REQ_READ: &[&str] = &[
    "RoleEligibilitySchedule.Read.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
];
const ASSIGN_REQ_READ: &[&str] = &[
    "RoleAssignmentSchedule.Read.Directory",
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
];
const GROUP_ELIG_WRITE: &[&str] = &[
    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    "PrivilegedEligibilitySchedule.Remove.AzureADGroup",
    "PrivilegedAccess.ReadWrite.AzureADGroup",
];
const GROUP_ASSIGN_WRITE: &[&str] = &[
    "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
    "PrivilegedAssignmentSchedule.Remove.AzureADGroup",
    "PrivilegedAccess.ReadWrite.AzureADGroup",
];

fn now() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// What Graph answers a request for an assignment that is not there (or not one the request can
/// act on).
fn no_such_assignment() -> ApiError {
    pim_error("RoleAssignmentDoesNotExist", "The Role assignment does not exist.")
}

fn pim_error(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

fn field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn required<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    field(body, key).filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "BadRequest",
            format!("The request is missing the required property '{key}'."),
        )
    })
}

fn created_by(caller: &Caller) -> Value {
    match &caller.oid {
        Some(oid) => {
            json!({ "application": null, "device": null, "user": { "displayName": null, "id": oid } })
        }
        None => {
            json!({ "application": { "displayName": null, "id": caller.app_id }, "device": null, "user": null })
        }
    }
}

/// Delegated callers must hold Privileged Role Administrator (or Global Administrator) actively.
fn require_role_admin(s: &Store, caller: &Caller) -> Result<(), ApiError> {
    let Some(oid) = &caller.oid else { return Ok(()) };
    let holds = s.assignments.by_principal.get(&oid.to_ascii_lowercase()).is_some_and(|list| {
        list.iter().map(|p| &s.assignments.items[*p as usize]).any(|i| {
            !i.removed
                && (i.get("roleDefinitionId").eq_ignore_ascii_case(PRIVILEGED_ROLE_ADMINISTRATOR)
                    || i.get("roleDefinitionId").eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR))
        })
    });
    if holds { Ok(()) } else { Err(ApiError::forbidden()) }
}

/// Positions of live instances for (principal, role, scope) in a set.
fn matching(set: &InstanceSet, principal: &str, role: &str, scope: &str) -> Vec<u32> {
    set.by_principal
        .get(&principal.to_ascii_lowercase())
        .map(|l| {
            l.iter()
                .copied()
                .filter(|p| {
                    let i = &set.items[*p as usize];
                    !i.removed
                        && i.get("roleDefinitionId").eq_ignore_ascii_case(role)
                        && i.get("directoryScopeId").eq_ignore_ascii_case(scope)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn audit(s: &mut Store, caller: &Caller, activity: &str, role: &str, principal: &str) {
    let role_name = s
        .roles
        .iter()
        .find(|r| r.get("id").and_then(Value::as_str).is_some_and(|x| x.eq_ignore_ascii_case(role)))
        .and_then(|r| r.get("displayName").cloned())
        .unwrap_or(Value::Null);
    let (pname, ptype) = s
        .object(principal)
        .map(|o| {
            (
                o.props.get("displayName").cloned().unwrap_or(Value::Null),
                match o.kind {
                    Kind::User => "User",
                    Kind::Group => "Group",
                    Kind::ServicePrincipal => "ServicePrincipal",
                    Kind::AdministrativeUnit => "AdministrativeUnit",
                },
            )
        })
        .unwrap_or((Value::Null, "User"));
    let initiated = match &caller.oid {
        Some(oid) => {
            json!({ "app": null, "user": { "id": oid, "displayName": caller.claims.get("name"), "userPrincipalName": caller.claims.get("preferred_username"), "ipAddress": "127.0.0.1" } })
        }
        None => {
            json!({ "app": { "appId": caller.app_id, "displayName": caller.claims.get("app_displayname"), "servicePrincipalId": caller.claims.get("oid"), "servicePrincipalName": null }, "user": null })
        }
    };
    s.audits.push(json!({
        "id": format!("PIM_{}", uuid::Uuid::new_v4()), "category": "RoleManagement",
        "correlationId": uuid::Uuid::new_v4().to_string(), "result": "success", "resultReason": "",
        "activityDisplayName": activity, "activityDateTime": now(), "loggedByService": "PIM",
        "operationType": if activity.starts_with("Add") { "Add" } else { "Remove" },
        "initiatedBy": initiated,
        "targetResources": [
            { "id": role, "displayName": role_name, "type": "Role", "userPrincipalName": null, "groupType": null, "modifiedProperties": [] },
            { "id": principal, "displayName": pname, "type": ptype, "userPrincipalName": null, "groupType": null, "modifiedProperties": [] }
        ],
        "additionalDetails": [ { "key": "RoleDefinitionOriginId", "value": role } ]
    }));
}

#[derive(Clone, Copy, PartialEq)]
enum Target {
    Eligibility,
    Assignment,
}

fn build_request(
    body: &Value,
    caller: &Caller,
    action: &str,
    status: &str,
    target_schedule: Option<String>,
) -> Map<String, Value> {
    let mut m = Map::new();
    let id = uuid::Uuid::new_v4().to_string();
    for (k, v) in [
        ("id", json!(id)),
        ("status", json!(status)),
        ("createdDateTime", json!(now())),
        ("completedDateTime", if status == "Revoked" { Value::Null } else { json!(now()) }),
        ("approvalId", Value::Null),
        ("customData", Value::Null),
        ("action", json!(action)),
        ("principalId", body.get("principalId").cloned().unwrap_or(Value::Null)),
        ("roleDefinitionId", body.get("roleDefinitionId").cloned().unwrap_or(Value::Null)),
        ("directoryScopeId", body.get("directoryScopeId").cloned().unwrap_or(json!("/"))),
        ("appScopeId", body.get("appScopeId").cloned().unwrap_or(Value::Null)),
        ("isValidationOnly", body.get("isValidationOnly").cloned().unwrap_or(json!(false))),
        ("targetScheduleId", target_schedule.map(Value::String).unwrap_or(Value::Null)),
        ("justification", body.get("justification").cloned().unwrap_or(Value::Null)),
        ("scheduleInfo", body.get("scheduleInfo").cloned().unwrap_or(Value::Null)),
        ("createdBy", created_by(caller)),
        (
            "ticketInfo",
            body.get("ticketInfo")
                .cloned()
                .unwrap_or(json!({ "ticketNumber": null, "ticketSystem": null })),
        ),
    ] {
        m.insert(k.into(), v);
    }
    m
}

/// (start, end) from a request's scheduleInfo.
fn schedule_dates(body: &Value) -> Result<(String, Option<String>), ApiError> {
    let info = body.get("scheduleInfo").cloned().unwrap_or(Value::Null);
    let start =
        info.get("startDateTime").and_then(Value::as_str).map(str::to_string).unwrap_or_else(now);
    let start_dt = chrono::DateTime::parse_from_rfc3339(&start)
        .map_err(|_| {
            ApiError::bad_request(
                "BadRequest",
                "scheduleInfo.startDateTime is not a valid date-time.",
            )
        })?
        .with_timezone(&Utc);
    let exp = info.get("expiration").cloned().unwrap_or(Value::Null);
    let kind =
        exp.get("type").and_then(Value::as_str).unwrap_or("noExpiration").to_ascii_lowercase();
    let end = match kind.as_str() {
        "noexpiration" | "notspecified" => None,
        "afterdatetime" => Some(
            exp.get("endDateTime")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "BadRequest",
                        "scheduleInfo.expiration.endDateTime is required for afterDateTime.",
                    )
                })?
                .to_string(),
        ),
        "afterduration" => {
            let d = exp.get("duration").and_then(Value::as_str).unwrap_or("PT8H");
            let dur = parse_duration(d).ok_or_else(|| {
                ApiError::bad_request("BadRequest", format!("Invalid duration '{d}'."))
            })?;
            Some((start_dt + dur).format("%Y-%m-%dT%H:%M:%SZ").to_string())
        }
        other => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("Unknown expiration type '{other}'."),
            ));
        }
    };
    if let Some(e) = &end
        && let Ok(e) = chrono::DateTime::parse_from_rfc3339(e)
        && e.with_timezone(&Utc) - start_dt < Duration::minutes(5)
    {
        // PIM refuses schedules shorter than five minutes.
        return Err(pim_error(
            "RoleAssignmentRequestPolicyValidationFailed",
            "The following policy rules failed: [\"ExpirationRule\"]",
        ));
    }
    Ok((start, end))
}

/// ISO 8601 durations of the forms PnDTnHnMnS.
fn parse_duration(d: &str) -> Option<Duration> {
    let d = d.strip_prefix('P')?;
    let (days, time) = d.split_once('T').unwrap_or((d, ""));
    let mut total = Duration::zero();
    if !days.is_empty() {
        total += Duration::days(days.strip_suffix('D')?.parse().ok()?);
    }
    let mut num = String::new();
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' => total += Duration::hours(num.parse::<f64>().ok()? as i64),
            'M' => total += Duration::minutes(num.parse::<f64>().ok()? as i64),
            'S' => total += Duration::seconds(num.parse::<f64>().ok()? as i64),
            _ => return None,
        }
        if c.is_ascii_alphabetic() {
            num.clear();
        }
    }
    Some(total)
}

fn handle_directory_request(state: &AppState, caller: &Caller, body: &str, target: Target) -> R {
    require_pim(caller, if target == Target::Eligibility { ELIG_WRITE } else { ASSIGN_WRITE })?;
    let body: Value = serde_json::from_str(body).map_err(|_| bad_json())?;
    if !body.is_object() {
        return Err(bad_json());
    }
    let action = required(&body, "action")?.to_string();
    let principal = required(&body, "principalId")?.to_string();
    let role = required(&body, "roleDefinitionId")?.to_string();
    let scope = match (field(&body, "directoryScopeId"), field(&body, "appScopeId")) {
        (Some(s), _) => s.to_string(),
        (None, Some(_)) => "/".to_string(),
        (None, None) => {
            return Err(ApiError::bad_request(
                "BadRequest",
                "Either directoryScopeId or appScopeId must be specified.",
            ));
        }
    };
    let validation_only = body.get("isValidationOnly").and_then(Value::as_bool).unwrap_or(false);
    let mut s = state.write();
    if !s
        .roles
        .iter()
        .any(|r| r.get("id").and_then(Value::as_str).is_some_and(|x| x.eq_ignore_ascii_case(&role)))
    {
        return Err(pim_error(
            "RoleNotFound",
            format!("The role definition '{role}' was not found."),
        ));
    }
    let Some(pkind) = s.object(&principal).map(|o| o.kind) else {
        return Err(pim_error(
            "SubjectNotFound",
            format!("The principal '{principal}' was not found in the directory."),
        ));
    };
    let lower = action.to_ascii_lowercase();
    if lower != "selfactivate" && lower != "selfdeactivate" {
        require_role_admin(&s, caller)?;
    }
    let (context, list_key) = match target {
        Target::Eligibility => {
            ("roleManagement/directory/roleEligibilityScheduleRequests/$entity", 0)
        }
        Target::Assignment => {
            ("roleManagement/directory/roleAssignmentScheduleRequests/$entity", 1)
        }
    };
    let request = match lower.as_str() {
        "adminremove" => {
            let set = if target == Target::Eligibility { &s.eligibility } else { &s.assignments };
            let found = matching(set, &principal, &role, &scope);
            let direct = set.standing_direct(&found);
            if direct.is_empty() {
                // A group-derived instance or a running activation is not an assignment of this
                // principal that an admin can remove (emulator-specific choice, README).
                return Err(no_such_assignment());
            }
            // The five-minute rule: an assignment cannot be removed within 5 minutes of its creation.
            let cutoff = Utc::now() - Duration::minutes(5);
            let fresh = direct.iter().any(|p| {
                set.items[*p as usize]
                    .props
                    .get("createdDateTime")
                    .and_then(Value::as_str)
                    .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                    .is_some_and(|d| d.with_timezone(&Utc) > cutoff)
            });
            if fresh {
                return Err(pim_error(
                    "RoleAssignmentRequestPolicyValidationFailed",
                    "The following policy rules failed: [\"MinimumDurationRule\"]. An assignment cannot be removed within 5 minutes of its creation.",
                ));
            }
            let schedule_key = if target == Target::Eligibility {
                "roleEligibilityScheduleId"
            } else {
                "roleAssignmentScheduleId"
            };
            let target_schedule = set.items[direct[0] as usize].get(schedule_key).to_string();
            let timebound =
                !set.items[direct[0] as usize].props.get("endDateTime").is_none_or(Value::is_null);
            let req = build_request(&body, caller, "adminRemove", "Revoked", Some(target_schedule));
            if !validation_only {
                let set = if target == Target::Eligibility {
                    &mut s.eligibility
                } else {
                    &mut s.assignments
                };
                for p in &direct {
                    set.items[*p as usize].removed = true;
                }
                // Removing a group's assignment also ends what its members inherited from it.
                if pkind == Kind::Group {
                    let members =
                        s.members.get(&principal.to_ascii_lowercase()).cloned().unwrap_or_default();
                    let set = if target == Target::Eligibility {
                        &mut s.eligibility
                    } else {
                        &mut s.assignments
                    };
                    for m in members {
                        for p in matching(set, &m, &role, &scope) {
                            if set.items[p as usize].get("memberType").eq_ignore_ascii_case("Group")
                            {
                                set.items[p as usize].removed = true;
                            }
                        }
                    }
                }
                let activity = match (target, timebound) {
                    (Target::Eligibility, false) => {
                        "Remove eligible member from role in PIM completed (permanent)"
                    }
                    (Target::Eligibility, true) => {
                        "Remove eligible member from role in PIM completed (timebound)"
                    }
                    (Target::Assignment, false) => {
                        "Remove member from role in PIM completed (permanent)"
                    }
                    (Target::Assignment, true) => {
                        "Remove member from role in PIM completed (timebound)"
                    }
                };
                audit(&mut s, caller, activity, &role, &principal);
            }
            req
        }
        "adminassign" => {
            if target == Target::Eligibility && pkind == Kind::ServicePrincipal {
                return Err(pim_error(
                    "RoleAssignmentRequestPolicyValidationFailed",
                    "Service principals cannot be made eligible; assign the role actively.",
                ));
            }
            let set = if target == Target::Eligibility { &s.eligibility } else { &s.assignments };
            if !matching(set, &principal, &role, &scope).is_empty() {
                return Err(pim_error(
                    "RoleAssignmentExists",
                    "The Role assignment already exists.",
                ));
            }
            let (start, end) = schedule_dates(&body)?;
            let schedule = uuid::Uuid::new_v4().to_string();
            let req =
                build_request(&body, caller, "adminAssign", "Provisioned", Some(schedule.clone()));
            if !validation_only {
                push_instance(
                    &mut s, target, &principal, &role, &scope, &start, end, "Assigned", &schedule,
                );
            }
            req
        }
        "selfactivate" => {
            if target != Target::Assignment {
                return Err(ApiError::bad_request(
                    "BadRequest",
                    "selfActivate is only valid on roleAssignmentScheduleRequests.",
                ));
            }
            if caller.oid.as_deref().is_none_or(|o| !o.eq_ignore_ascii_case(&principal)) {
                return Err(ApiError::forbidden());
            }
            // Eligible directly, or through a group the caller is a member of.
            let direct = !matching(&s.eligibility, &principal, &role, &scope).is_empty();
            let via_group = s.members.iter().any(|(g, m)| {
                m.iter().any(|x| x.eq_ignore_ascii_case(&principal))
                    && !matching(&s.eligibility, g, &role, &scope).is_empty()
            });
            if !direct && !via_group {
                return Err(pim_error(
                    "RoleAssignmentRequestPolicyValidationFailed",
                    "The following policy rules failed: [\"EligibilityRule\"]",
                ));
            }
            let (start, end) = schedule_dates(&body)?;
            let schedule = uuid::Uuid::new_v4().to_string();
            let req =
                build_request(&body, caller, "selfActivate", "Provisioned", Some(schedule.clone()));
            if !validation_only {
                push_instance(
                    &mut s,
                    target,
                    &principal,
                    &role,
                    &scope,
                    &start,
                    end.or_else(|| {
                        Some(
                            (Utc::now() + Duration::hours(8))
                                .format("%Y-%m-%dT%H:%M:%SZ")
                                .to_string(),
                        )
                    }),
                    "Activated",
                    &schedule,
                );
                audit(
                    &mut s,
                    caller,
                    "Add member to role requested (PIM activation)",
                    &role,
                    &principal,
                );
                audit(
                    &mut s,
                    caller,
                    "Add member to role completed (PIM activation)",
                    &role,
                    &principal,
                );
            }
            req
        }
        "adminupdate" | "adminextend" => {
            // The documented adminExtend example (PIM for Groups) sends the new schedule in
            // scheduleInfo; scheduleInfo is Required on these requests. The direct, standing
            // assignment of the principal gets the new end; nothing else changes.
            if body.get("scheduleInfo").is_none_or(Value::is_null) {
                return Err(ApiError::bad_request(
                    "BadRequest",
                    "The request is missing the required property 'scheduleInfo'.",
                ));
            }
            let set = if target == Target::Eligibility { &s.eligibility } else { &s.assignments };
            let direct = set.standing_direct(&matching(set, &principal, &role, &scope));
            if direct.is_empty() {
                return Err(no_such_assignment());
            }
            let (_, end) = schedule_dates(&body)?;
            let schedule_key = if target == Target::Eligibility {
                "roleEligibilityScheduleId"
            } else {
                "roleAssignmentScheduleId"
            };
            let target_schedule = set.items[direct[0] as usize].get(schedule_key).to_string();
            let action_name = if lower == "adminupdate" { "adminUpdate" } else { "adminExtend" };
            let req =
                build_request(&body, caller, action_name, "Provisioned", Some(target_schedule));
            if !validation_only {
                let set = if target == Target::Eligibility {
                    &mut s.eligibility
                } else {
                    &mut s.assignments
                };
                for p in &direct {
                    set.items[*p as usize]
                        .set("endDateTime", end.clone().map(Value::String).unwrap_or(Value::Null));
                }
                let activity = if target == Target::Eligibility {
                    "Update eligible member in role in PIM completed"
                } else {
                    "Update member in role in PIM completed"
                };
                audit(&mut s, caller, activity, &role, &principal);
            }
            req
        }
        "admindeactivate" | "selfdeactivate" | "adminrenew" | "selfextend" | "selfrenew" => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("The action '{action}' is not supported by this tenant."),
            ));
        }
        _ => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("'{action}' is not a valid value for property 'action'."),
            ));
        }
    };
    let mut stored = request.clone();
    stored.insert("action".into(), json!(action_case(&lower)));
    if !validation_only {
        if list_key == 0 {
            s.eligibility_requests.push(Value::Object(stored))
        } else {
            s.assignment_requests.push(Value::Object(stored))
        }
    }
    let mut out = request;
    out.insert("@odata.context".into(), json!(context_url(state, context)));
    Ok(json_value(StatusCode::CREATED, &Value::Object(out)))
}

fn action_case(lower: &str) -> &'static str {
    match lower {
        "adminremove" => "adminRemove",
        "adminassign" => "adminAssign",
        "adminupdate" => "adminUpdate",
        "adminextend" => "adminExtend",
        "selfactivate" => "selfActivate",
        _ => "unknownFutureValue",
    }
}

#[allow(clippy::too_many_arguments)]
fn push_instance(
    s: &mut Store,
    target: Target,
    principal: &str,
    role: &str,
    scope: &str,
    start: &str,
    end: Option<String>,
    assignment_type: &str,
    schedule: &str,
) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("principalId".into(), json!(principal));
    m.insert("roleDefinitionId".into(), json!(role));
    m.insert("directoryScopeId".into(), json!(scope));
    m.insert("appScopeId".into(), Value::Null);
    m.insert("startDateTime".into(), json!(start));
    m.insert("endDateTime".into(), end.map(Value::String).unwrap_or(Value::Null));
    m.insert("memberType".into(), json!("Direct"));
    // Not a Graph property of instances; kept so the five-minute rule can be enforced.
    m.insert("createdDateTime".into(), json!(now()));
    match target {
        Target::Eligibility => {
            m.insert("roleEligibilityScheduleId".into(), json!(schedule));
            s.eligibility.push(m);
        }
        Target::Assignment => {
            m.insert("assignmentType".into(), json!(assignment_type));
            m.insert("roleAssignmentOriginId".into(), json!(id));
            m.insert("roleAssignmentScheduleId".into(), json!(schedule));
            s.assignments.push(m);
        }
    }
}

pub(crate) async fn post_eligibility_request(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: String,
) -> R {
    handle_directory_request(&state, &caller, &body, Target::Eligibility)
}
pub(crate) async fn post_assignment_request(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: String,
) -> R {
    handle_directory_request(&state, &caller, &body, Target::Assignment)
}

fn list_requests(state: &AppState, caller: &Caller, raw: Option<&str>, target: Target) -> R {
    require_pim(
        caller,
        if target == Target::Eligibility { ELIG_REQ_READ } else { ASSIGN_REQ_READ },
    )?;
    let q = Query::parse(raw)?;
    let filter = odata::checked_filter(
        &q,
        "microsoft.graph.unifiedRoleScheduleRequest",
        &[
            "principalId",
            "roleDefinitionId",
            "status",
            "id",
            "directoryScopeId",
            "action",
            "createdDateTime",
        ],
    )?;
    let (path, context) = match target {
        Target::Eligibility => (
            "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests",
            "roleManagement/directory/roleEligibilityScheduleRequests",
        ),
        Target::Assignment => (
            "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests",
            "roleManagement/directory/roleAssignmentScheduleRequests",
        ),
    };
    let size = page_size(state, &q)?;
    let start = q.start_position(path)?;
    let s = state.read();
    let list = if target == Target::Eligibility {
        &s.eligibility_requests
    } else {
        &s.assignment_requests
    };
    let positions: Vec<u32> = (0..list.len() as u32).collect();
    let (page, next) = collect_page(&positions, start, size, |p| {
        filter.as_ref().is_none_or(|f| odata::eval(f, &list[p as usize], &odata::NoContext))
    });
    let items: Vec<String> = page.iter().map(|p| list[*p as usize].to_string()).collect();
    let next_link = next.map(|n| q.next_link(&format!("{}/graph", state.base_url), path, n));
    Ok(page_response(&context_url(state, context), None, next_link, &items))
}

pub(crate) async fn list_eligibility_requests(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> R {
    list_requests(&state, &caller, raw.as_deref(), Target::Eligibility)
}
pub(crate) async fn list_assignment_requests(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> R {
    list_requests(&state, &caller, raw.as_deref(), Target::Assignment)
}

fn get_request(state: &AppState, caller: &Caller, id: &str, target: Target) -> R {
    require_pim(
        caller,
        if target == Target::Eligibility { ELIG_REQ_READ } else { ASSIGN_REQ_READ },
    )?;
    let s = state.read();
    let list = if target == Target::Eligibility {
        &s.eligibility_requests
    } else {
        &s.assignment_requests
    };
    let Some(r) = list
        .iter()
        .find(|r| r.get("id").and_then(Value::as_str).is_some_and(|x| x.eq_ignore_ascii_case(id)))
    else {
        return Err(ApiError::not_found(format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        )));
    };
    Ok(json_value(StatusCode::OK, r))
}

pub(crate) async fn get_eligibility_request(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> R {
    get_request(&state, &caller, &id, Target::Eligibility)
}
pub(crate) async fn get_assignment_request(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> R {
    get_request(&state, &caller, &id, Target::Assignment)
}

// ---------------------------------------------------------------------------------------------
// PIM for Groups

fn handle_group_request(state: &AppState, caller: &Caller, body: &str, eligibility: bool) -> R {
    require_pim(caller, if eligibility { GROUP_ELIG_WRITE } else { GROUP_ASSIGN_WRITE })?;
    let body: Value = serde_json::from_str(body).map_err(|_| bad_json())?;
    if !body.is_object() {
        return Err(bad_json());
    }
    let action = required(&body, "action")?.to_string();
    let principal = required(&body, "principalId")?.to_string();
    let group = required(&body, "groupId")?.to_string();
    let access = required(&body, "accessId")?.to_ascii_lowercase();
    if access != "member" && access != "owner" {
        return Err(ApiError::bad_request(
            "BadRequest",
            format!("'{access}' is not a valid value for property 'accessId'."),
        ));
    }
    let mut s = state.write();
    if s.object(&group).is_none_or(|o| o.kind != Kind::Group) {
        return Err(pim_error("GroupNotFound", format!("The group '{group}' was not found.")));
    }
    let lower = action.to_ascii_lowercase();
    let set = if eligibility { &s.group_eligibility } else { &s.group_assignments };
    let found: Vec<u32> = set
        .by_principal
        .get(&principal.to_ascii_lowercase())
        .map(|l| {
            l.iter()
                .copied()
                .filter(|p| {
                    let i = &set.items[*p as usize];
                    !i.removed
                        && i.get("groupId").eq_ignore_ascii_case(&group)
                        && i.get("accessId").eq_ignore_ascii_case(&access)
                })
                .collect()
        })
        .unwrap_or_default();
    let status = match lower.as_str() {
        "adminremove" => {
            let direct = set.standing_direct(&found);
            if direct.is_empty() {
                // As for directory roles: an inherited or activated membership is not one the
                // request can remove (emulator-specific choice, README).
                return Err(no_such_assignment());
            }
            let set = if eligibility { &mut s.group_eligibility } else { &mut s.group_assignments };
            for p in direct {
                set.items[p as usize].removed = true;
            }
            if !eligibility {
                // Active memberships are also real memberships (or ownerships).
                let map = if access == "member" { &mut s.members } else { &mut s.owners };
                if let Some(list) = map.get_mut(&group.to_ascii_lowercase()) {
                    list.retain(|m| !m.eq_ignore_ascii_case(&principal));
                }
            }
            "Revoked"
        }
        "adminassign" => {
            if !found.is_empty() {
                return Err(pim_error(
                    "RoleAssignmentExists",
                    "The Role assignment already exists.",
                ));
            }
            let (start, end) = schedule_dates(&body)?;
            let sid = uuid::Uuid::new_v4();
            let id = format!("{group}_{access}_{sid}");
            let mut m = Map::new();
            for (k, v) in [
                ("id", json!(id)),
                ("startDateTime", json!(start)),
                ("endDateTime", end.map(Value::String).unwrap_or(Value::Null)),
                ("accessId", json!(access)),
                ("principalId", json!(principal)),
                ("groupId", json!(group)),
                ("memberType", json!("direct")),
            ] {
                m.insert(k.into(), v);
            }
            if eligibility {
                m.insert("eligibilityScheduleId".into(), json!(id));
                s.group_eligibility.push(m);
            } else {
                m.insert("assignmentType".into(), json!("assigned"));
                m.insert("assignmentScheduleId".into(), json!(id));
                s.group_assignments.push(m);
                let map = if access == "member" { &mut s.members } else { &mut s.owners };
                map.entry(group.to_ascii_lowercase())
                    .or_default()
                    .push(principal.to_ascii_lowercase());
            }
            "Provisioned"
        }
        "adminupdate" | "adminextend" => {
            // As the documented adminExtend example: the new end comes in scheduleInfo, and the
            // direct, standing membership (or ownership) gets it.
            if body.get("scheduleInfo").is_none_or(Value::is_null) {
                return Err(ApiError::bad_request(
                    "BadRequest",
                    "The request is missing the required property 'scheduleInfo'.",
                ));
            }
            let direct = set.standing_direct(&found);
            if direct.is_empty() {
                return Err(no_such_assignment());
            }
            let (_, end) = schedule_dates(&body)?;
            let set = if eligibility { &mut s.group_eligibility } else { &mut s.group_assignments };
            for p in direct {
                set.items[p as usize]
                    .set("endDateTime", end.clone().map(Value::String).unwrap_or(Value::Null));
            }
            "Provisioned"
        }
        _ => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("The action '{action}' is not supported by this tenant."),
            ));
        }
    };
    let mut req = Map::new();
    for (k, v) in [
        ("id", json!(uuid::Uuid::new_v4().to_string())),
        ("status", json!(status)),
        ("createdDateTime", json!(now())),
        ("completedDateTime", json!(now())),
        ("approvalId", Value::Null),
        ("customData", Value::Null),
        ("action", json!(action_case(&lower))),
        ("isValidationOnly", json!(false)),
        ("justification", body.get("justification").cloned().unwrap_or(Value::Null)),
        ("scheduleInfo", body.get("scheduleInfo").cloned().unwrap_or(Value::Null)),
        (
            "ticketInfo",
            body.get("ticketInfo")
                .cloned()
                .unwrap_or(json!({ "ticketNumber": null, "ticketSystem": null })),
        ),
        ("createdBy", created_by(caller)),
        ("accessId", json!(access)),
        ("principalId", json!(principal)),
        ("groupId", json!(group)),
        ("targetScheduleId", Value::Null),
    ] {
        req.insert(k.into(), v);
    }
    if eligibility {
        s.group_eligibility_requests.push(Value::Object(req.clone()))
    } else {
        s.group_assignment_requests.push(Value::Object(req.clone()))
    }
    let which =
        if eligibility { "eligibilityScheduleRequests" } else { "assignmentScheduleRequests" };
    req.insert(
        "@odata.context".into(),
        json!(context_url(
            state,
            &format!("identityGovernance/privilegedAccess/group/{which}/$entity")
        )),
    );
    Ok(json_value(StatusCode::CREATED, &Value::Object(req)))
}

pub(crate) async fn post_group_eligibility_request(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: String,
) -> R {
    handle_group_request(&state, &caller, &body, true)
}
pub(crate) async fn post_group_assignment_request(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: String,
) -> R {
    handle_group_request(&state, &caller, &body, false)
}
