//! The Azure Resource Manager subset for Azure resource roles: subscriptions, resource groups, role
//! definitions, eligibility/assignment schedule instances (with `atScope()`, `principalId eq`,
//! `asTarget()`), and `AdminRemove`, `AdminAssign` (with the end its `scheduleInfo` asks
//! for) and `AdminUpdate`/`AdminExtend` (a new end) schedule requests. Paths are relative to `{base}/arm`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::http::{ApiError, json_value};
use crate::odata::Query;
use crate::server::{self, AppState};
use crate::store::{InstanceSet, Store};
use crate::token::Caller;

type R = Result<Response, ApiError>;

const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const USER_ACCESS_ADMIN: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .fallback(dispatch)
        .layer(middleware::from_fn_with_state(state.clone(), server::arm_auth))
        .with_state(state)
}

fn arm_error(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

fn api_version(q: &Query, min: &str) -> Result<(), ApiError> {
    let v = q.pairs.iter().find(|(k, _)| k == "api-version").map(|(_, v)| v.clone());
    match v {
        None => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        // Dates compare correctly as strings; previews of later dates are accepted too.
        Some(v) if v.as_str() < min => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{v}' is invalid. The supported versions are '{min}' and later."
            ),
        )),
        Some(_) => Ok(()),
    }
}

fn lower_segments(path: &str) -> Vec<String> {
    path.trim_matches('/').split('/').map(|s| s.to_ascii_lowercase()).collect()
}

async fn dispatch(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    method: Method,
    uri: Uri,
    RawQuery(raw): RawQuery,
    body: String,
) -> R {
    let q = Query::parse(raw.as_deref())?;
    let path = uri.path().to_string();
    let segs = lower_segments(&path);
    let seg = |i: usize| segs.get(i).map(String::as_str).unwrap_or_default();
    if method == Method::GET && segs.len() == 1 && seg(0) == "subscriptions" {
        api_version(&q, "2016-06-01")?;
        let s = state.read();
        let n = s.arm.subscriptions.len();
        return Ok(json_value(
            StatusCode::OK,
            &json!({ "value": s.arm.subscriptions, "count": { "type": "Total", "value": n } }),
        ));
    }
    if method == Method::GET && segs.len() == 2 && seg(0) == "subscriptions" {
        api_version(&q, "2016-06-01")?;
        let s = state.read();
        return match s.arm.subscriptions.iter().find(|x| {
            x.get("subscriptionId")
                .and_then(Value::as_str)
                .is_some_and(|i| i.eq_ignore_ascii_case(seg(1)))
        }) {
            Some(v) => Ok(json_value(StatusCode::OK, v)),
            None => Err(arm_error(
                StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                format!("The subscription '{}' could not be found.", seg(1)),
            )),
        };
    }
    if method == Method::GET
        && segs.len() == 3
        && seg(0) == "subscriptions"
        && seg(2) == "resourcegroups"
    {
        api_version(&q, "2016-06-01")?;
        let s = state.read();
        let prefix = format!("/subscriptions/{}/", seg(1));
        let list: Vec<&Value> = s
            .arm
            .resource_groups
            .iter()
            .filter(|g| {
                g.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|i| i.to_ascii_lowercase().starts_with(&prefix))
            })
            .collect();
        return Ok(json_value(StatusCode::OK, &json!({ "value": list })));
    }
    // {scope}/providers/Microsoft.Authorization/{collection}[/{name}]
    let Some(pos) =
        segs.windows(2).position(|w| w[0] == "providers" && w[1] == "microsoft.authorization")
    else {
        return Err(arm_error(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!("The resource type could not be found for path '{path}'."),
        ));
    };
    let raw_segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let scope = format!("/{}", raw_segs[..pos].join("/"));
    let scope = if scope == "/" { "/".to_string() } else { scope };
    if !scope_exists(&state.read(), &scope) {
        return Err(arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The scope '{scope}' was not found."),
        ));
    }
    let collection = seg(pos + 2).to_string();
    let name = segs.get(pos + 3).cloned();
    match (method.clone(), collection.as_str(), name) {
        (Method::GET, "roledefinitions", None) => {
            api_version(&q, "2015-07-01")?;
            let s = state.read();
            let sub = scope.split('/').take(3).collect::<Vec<_>>().join("/");
            let list: Vec<Value> = s
                .arm
                .role_definitions
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    let name =
                        d.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                    d["id"] = json!(format!(
                        "{sub}/providers/Microsoft.Authorization/roleDefinitions/{name}"
                    ));
                    d
                })
                .collect();
            Ok(json_value(StatusCode::OK, &json!({ "value": list })))
        }
        (Method::GET, "roleeligibilityscheduleinstances", None) => {
            api_version(&q, "2020-10-01")?;
            list_instances(&state, &caller, &q, &scope, &path, true)
        }
        (Method::GET, "roleassignmentscheduleinstances", None) => {
            api_version(&q, "2020-10-01")?;
            list_instances(&state, &caller, &q, &scope, &path, false)
        }
        (Method::PUT, "roleeligibilityschedulerequests", Some(name)) => {
            api_version(&q, "2020-10-01")?;
            schedule_request(&state, &caller, &scope, &name, &body, true)
        }
        (Method::PUT, "roleassignmentschedulerequests", Some(name)) => {
            api_version(&q, "2020-10-01")?;
            schedule_request(&state, &caller, &scope, &name, &body, false)
        }
        _ => Err(arm_error(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!(
                "The resource type '{collection}' could not be found in the namespace 'Microsoft.Authorization' for api version and method {method}."
            ),
        )),
    }
}

fn scope_exists(s: &Store, scope: &str) -> bool {
    if scope == "/" {
        return true;
    }
    let l = scope.to_ascii_lowercase();
    s.arm
        .subscriptions
        .iter()
        .any(|x| x.get("id").and_then(Value::as_str).is_some_and(|i| i.eq_ignore_ascii_case(&l)))
        || s.arm.resource_groups.iter().any(|x| {
            x.get("id").and_then(Value::as_str).is_some_and(|i| i.eq_ignore_ascii_case(&l))
        })
}

/// `a` is `b` or an ancestor of it (segment-aligned, case-insensitive).
fn at_or_above(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a == "/" || b == a || b.starts_with(&format!("{}/", a.trim_end_matches('/')))
}

fn prop<'a>(i: &'a Map<String, Value>, key: &str) -> &'a str {
    i.get("properties").and_then(|p| p.get(key)).and_then(Value::as_str).unwrap_or_default()
}

fn list_instances(
    state: &AppState,
    caller: &Caller,
    q: &Query,
    scope: &str,
    path: &str,
    eligible: bool,
) -> R {
    let filter = q.filter.clone().unwrap_or_default();
    let lower = filter.to_ascii_lowercase();
    let at_scope = lower.contains("atscope()");
    let as_target = lower.contains("astarget()");
    let quoted = |prefix: &str| -> Option<String> {
        let i = lower.find(prefix)?;
        let rest = &filter[i + prefix.len()..];
        let rest = rest.trim_start().trim_start_matches('(').trim_start();
        let rest = rest.strip_prefix('\'')?;
        Some(rest[..rest.find('\'')?].to_string())
    };
    let principal = quoted("principalid eq");
    let assigned_to = quoted("assignedto");
    let role_filter = quoted("roledefinitionid eq");
    if !filter.is_empty()
        && !at_scope
        && !as_target
        && principal.is_none()
        && assigned_to.is_none()
        && role_filter.is_none()
    {
        return Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidFilter",
            format!(
                "The filter '{filter}' is not supported. Use atScope(), asTarget(), principalId eq '{{id}}' or assignedTo('{{id}}')."
            ),
        ));
    }
    let s = state.read();
    let set: &InstanceSet = if eligible { &s.arm_eligibility } else { &s.arm_assignments };
    let me = caller.oid.clone().unwrap_or_default();
    let groups_of = |p: &str| -> Vec<String> {
        s.members
            .iter()
            .filter(|(_, m)| m.iter().any(|x| x.eq_ignore_ascii_case(p)))
            .map(|(g, _)| g.clone())
            .collect()
    };
    let target_principals: Option<Vec<String>> = if as_target {
        let mut v = groups_of(&me);
        v.push(me.clone());
        Some(v)
    } else if let Some(u) = &assigned_to {
        let mut v = groups_of(u);
        v.push(u.clone());
        Some(v)
    } else {
        principal.clone().map(|p| vec![p])
    };
    let positions: Vec<u32> = (0..set.items.len() as u32).collect();
    let start = q.start_position(path)?;
    let size = crate::graph::page_size(state, q)?;
    let (page, next) = crate::graph::collect_page(&positions, start, size, |p| {
        let inst = &set.items[p as usize];
        if inst.removed {
            return false;
        }
        let item_scope = prop(&inst.props, "scope");
        let scope_ok = if at_scope {
            at_or_above(item_scope, scope)
        } else {
            at_or_above(item_scope, scope) || at_or_above(scope, item_scope)
        };
        if !scope_ok {
            return false;
        }
        if let Some(ps) = &target_principals
            && !ps.iter().any(|x| x.eq_ignore_ascii_case(prop(&inst.props, "principalId")))
        {
            return false;
        }
        if let Some(r) = &role_filter
            && !prop(&inst.props, "roleDefinitionId").to_ascii_lowercase().ends_with(
                &r.to_ascii_lowercase().rsplit('/').next().unwrap_or_default().to_string(),
            )
        {
            return false;
        }
        true
    });
    let value: Vec<String> =
        page.iter().map(|p| format!("{}}}", set.items[*p as usize].json_open)).collect();
    let mut out = String::from("{\"value\":[");
    out.push_str(&value.join(","));
    out.push(']');
    if let Some(n) = next {
        let link = q.next_link(&format!("{}/arm", state.base_url), path, n);
        out.push_str(",\"nextLink\":");
        out.push_str(&Value::String(link).to_string());
    }
    out.push('}');
    Ok(crate::http::json_response(StatusCode::OK, out))
}

/// The end a request's `scheduleInfo.expiration` asks for: a date-time for `AfterDateTime`, now
/// plus the duration for `AfterDuration`, null for `NoExpiration` or no schedule at all.
fn arm_end(p: &serde_json::Map<String, Value>) -> Result<Value, ApiError> {
    let invalid = |what: &str| {
        arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid: {what}."),
        )
    };
    let Some(exp) = p.get("scheduleInfo").and_then(|i| i.get("expiration")) else {
        return Ok(Value::Null);
    };
    let kind = exp.get("type").and_then(Value::as_str).unwrap_or("NoExpiration");
    match kind.to_ascii_lowercase().as_str() {
        "noexpiration" => Ok(Value::Null),
        "afterdatetime" => {
            let end = exp
                .get("endDateTime")
                .and_then(Value::as_str)
                .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
                .ok_or_else(|| invalid("scheduleInfo.expiration.endDateTime"))?;
            Ok(json!(end.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string()))
        }
        "afterduration" => {
            let text = exp.get("duration").and_then(Value::as_str).unwrap_or_default();
            let days = text
                .strip_prefix('P')
                .and_then(|d| d.strip_suffix('D'))
                .and_then(|d| d.parse::<i64>().ok())
                .ok_or_else(|| invalid("scheduleInfo.expiration.duration"))?;
            let end = chrono::Utc::now() + chrono::Duration::days(days);
            Ok(json!(end.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
        }
        _ => Err(invalid("scheduleInfo.expiration.type")),
    }
}

fn schedule_request(
    state: &AppState,
    caller: &Caller,
    scope: &str,
    name: &str,
    body: &str,
    eligible: bool,
) -> R {
    let v: Value = serde_json::from_str(body).map_err(|e| {
        arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
    let Some(p) = v.get("properties").and_then(Value::as_object) else {
        return Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content must contain 'properties'.",
        ));
    };
    let get = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(principal), Some(role), Some(request_type)) =
        (get("principalId"), get("roleDefinitionId"), get("requestType"))
    else {
        return Err(arm_error(
            StatusCode::BAD_REQUEST,
            "MissingRequiredProperty",
            "The properties principalId, roleDefinitionId and requestType are required.",
        ));
    };
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidRoleAssignmentScheduleRequestName",
            "The request name must be a GUID.",
        ));
    }
    let role_guid = role.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
    let mut s = state.write();
    // Delegated callers need Owner or User Access Administrator at the scope or above.
    if let Some(me) = &caller.oid {
        let allowed = s.arm_assignments.items.iter().any(|i| {
            !i.removed
                && prop(&i.props, "principalId").eq_ignore_ascii_case(me)
                && at_or_above(prop(&i.props, "scope"), scope)
                && {
                    let r = prop(&i.props, "roleDefinitionId").to_ascii_lowercase();
                    r.ends_with(OWNER) || r.ends_with(USER_ACCESS_ADMIN)
                }
        });
        if !allowed {
            return Err(arm_error(
                StatusCode::FORBIDDEN,
                "AuthorizationFailed",
                format!(
                    "The client '{me}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '{scope}' or the scope is invalid."
                ),
            ));
        }
    }
    let set = if eligible { &mut s.arm_eligibility } else { &mut s.arm_assignments };
    let matches = |i: &crate::store::Inst, exact: bool| {
        !i.removed
            && prop(&i.props, "principalId").eq_ignore_ascii_case(&principal)
            && prop(&i.props, "roleDefinitionId").to_ascii_lowercase().ends_with(&role_guid)
            && if exact {
                prop(&i.props, "scope").eq_ignore_ascii_case(scope)
            } else {
                at_or_above(prop(&i.props, "scope"), scope)
            }
    };
    let status = match request_type.to_ascii_lowercase().as_str() {
        "adminremove" => {
            let exact: Vec<usize> = set
                .items
                .iter()
                .enumerate()
                .filter(|(_, i)| matches(i, true))
                .map(|(n, _)| n)
                .collect();
            if exact.is_empty() {
                // An assignment inherited from a parent scope is not one at this scope: there is
                // nothing here to remove (emulator-specific choice, README).
                return Err(arm_error(
                    StatusCode::BAD_REQUEST,
                    "RoleAssignmentDoesNotExist",
                    "The Role assignment does not exist.",
                ));
            }
            for n in exact {
                set.items[n].removed = true;
            }
            "Revoked"
        }
        "adminassign" => {
            if set.items.iter().any(|i| matches(i, true)) {
                return Err(arm_error(
                    StatusCode::CONFLICT,
                    "RoleAssignmentExists",
                    "The Role assignment already exists.",
                ));
            }
            let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let kind = if eligible {
                "RoleEligibilityScheduleInstances"
            } else {
                "RoleAssignmentScheduleInstances"
            };
            let iname = uuid::Uuid::new_v4().to_string();
            let end = arm_end(p)?;
            let mut props = json!({ "scope": scope, "roleDefinitionId": role, "principalId": principal, "principalType": "User",
                "status": "Provisioned", "startDateTime": now, "endDateTime": end, "memberType": "Direct", "createdOn": now });
            if !eligible {
                props["assignmentType"] = json!("Assigned");
            }
            let item = json!({ "properties": props, "name": iname, "id": format!("{scope}/providers/Microsoft.Authorization/{kind}/{iname}"),
                "type": format!("Microsoft.Authorization/{kind}") });
            if let Value::Object(m) = item {
                set.push(m);
            }
            "Provisioned"
        }
        "adminupdate" | "adminextend" => {
            // A new end for the assignment at exactly this scope, from scheduleInfo.
            let exact: Vec<usize> = set
                .items
                .iter()
                .enumerate()
                .filter(|(_, i)| matches(i, true))
                .map(|(n, _)| n)
                .collect();
            if exact.is_empty() {
                return Err(arm_error(
                    StatusCode::BAD_REQUEST,
                    "RoleAssignmentDoesNotExist",
                    "The Role assignment does not exist.",
                ));
            }
            let end = arm_end(p)?;
            for n in exact {
                set.items[n].set("endDateTime", end.clone());
            }
            "Provisioned"
        }
        other => {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestType",
                format!("The request type '{other}' is not supported by this emulator."),
            ));
        }
    };
    let kind =
        if eligible { "roleEligibilityScheduleRequests" } else { "roleAssignmentScheduleRequests" };
    let mut props = p.clone();
    props.insert("scope".into(), json!(scope));
    props.insert("status".into(), json!(status));
    props.insert(
        "createdOn".into(),
        json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
    );
    props.insert("requestorId".into(), json!(caller.claims.get("oid")));
    let out = json!({ "properties": props, "name": name, "id": format!("{scope}/providers/Microsoft.Authorization/{kind}/{name}"),
        "type": format!("Microsoft.Authorization/{kind}") });
    Ok(json_value(StatusCode::CREATED, &out).into_response())
}
