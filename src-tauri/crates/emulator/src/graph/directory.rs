//! Graph directory objects: users (with `$select` of accountEnabled, userType, signInActivity),
//! managers, groups and (transitive) members, service principals, getByIds, directory audits, `$batch`.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::{R, collect_page, context_url, headers_consistency, page_response, page_size, require};
use crate::http::{ApiError, json_response, json_value};
use crate::odata::{self, Query};
use crate::server::AppState;
use crate::store::{DirObject, Kind, Store};
use crate::token::Caller;

const USER_BASIC: &[&str] = &[
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const USER_FULL: &[&str] =
    &["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
const GROUP_READ: &[&str] = &[
    "GroupMember.ReadBasic.All",
    "GroupMember.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const SP_READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const AUDIT_READ: &[&str] = &["AuditLog.Read.All"];
const DIRECTORY_READ: &[&str] = &["Directory.Read.All", "Directory.ReadWrite.All"];
const USER_FILTERABLE: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "accountEnabled",
    "userType",
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "officeLocation",
    "createdDateTime",
    "signInActivity",
    "employeeId",
    "externalUserState",
    "creationType",
    "preferredLanguage",
];
/// Properties any caller with basic user read may select.
const USER_BASIC_PROPS: &[&str] = &[
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "businessPhones",
    "jobTitle",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
];

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
    ))
}

/// An object's representation for a list or GET: default properties, or `$select`ed ones.
fn render(o: &DirObject, q: &Query, with_type: bool) -> Map<String, Value> {
    let mut m = match &q.select {
        Some(sel) => odata::select(&o.props, sel),
        None => match serde_json::from_str::<Value>(&o.default_json) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        },
    };
    if with_type {
        m.insert("@odata.type".into(), json!(o.kind.odata_type()));
    } else {
        m.remove("@odata.type");
    }
    m
}

fn check_user_select(caller: &Caller, q: &Query) -> Result<bool, ApiError> {
    let mut sign_in = false;
    if let Some(sel) = &q.select {
        for f in sel {
            if f.eq_ignore_ascii_case("signInActivity") {
                sign_in = true;
                // signInActivity needs audit-log read on top of user read.
                require(caller, AUDIT_READ)?;
            }
            if !USER_BASIC_PROPS.iter().any(|p| p.eq_ignore_ascii_case(f)) {
                require(caller, USER_FULL)?;
            }
        }
    }
    Ok(sign_in)
}

/// Pages over a list of object ids with an optional filter.
#[allow(clippy::too_many_arguments)]
fn list_objects(
    state: &AppState,
    s: &Store,
    ids: &[String],
    q: &Query,
    path: &str,
    context: &str,
    filter: Option<&odata::Expr>,
    with_type: bool,
    max_page: usize,
    extra: impl Fn(&DirObject, &mut Map<String, Value>),
) -> R {
    let size = page_size(state, q)?.min(max_page);
    let start = q.start_position(path)?;
    let positions: Vec<u32> = (0..ids.len() as u32).collect();
    let search = q.search.as_ref().map(|x| x.trim_matches('"').to_lowercase());
    let keep = |pos: u32| {
        let Some(o) = s.objects.get(&ids[pos as usize]) else { return false };
        if let Some(f) = filter
            && !odata::eval(f, &Value::Object(o.props.clone()), &odata::NoContext)
        {
            return false;
        }
        if let Some(term) = &search {
            // "$search" as "property:term" (or a bare term) matches token prefixes, roughly like Graph.
            let (prop, term) = term.split_once(':').unwrap_or(("displayname", term.as_str()));
            let value = o
                .props
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(prop))
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_lowercase();
            if !value.contains(term) {
                return false;
            }
        }
        true
    };
    let (page, next) = collect_page(&positions, start, size, keep);
    let items: Vec<String> = page
        .iter()
        .filter_map(|p| s.objects.get(&ids[*p as usize]))
        .map(|o| {
            let mut m = render(o, q, with_type);
            extra(o, &mut m);
            Value::Object(m).to_string()
        })
        .collect();
    let count = q.count.then(|| positions.iter().filter(|p| keep(**p)).count());
    let next_link = next.map(|n| q.next_link(&format!("{}/graph", state.base_url), path, n));
    Ok(page_response(&context_url(state, context), count, next_link, &items))
}

fn advanced_check(
    headers: &HeaderMap,
    q: &Query,
    filter: Option<&odata::Expr>,
    resource: &str,
) -> Result<(), ApiError> {
    let advanced = filter.is_some_and(|f| f.uses_advanced())
        || q.search.is_some()
        || (q.orderby.is_some() && q.filter.is_some());
    if advanced && !(headers_consistency(headers) && (q.count || q.search.is_some())) {
        return Err(ApiError::bad_request(
            "Request_UnsupportedQuery",
            format!(
                "Unsupported or invalid query filter clause specified for resource '{resource}'. Advanced queries need the ConsistencyLevel: eventual header and $count=true."
            ),
        ));
    }
    if q.search.is_some() && !headers_consistency(headers) {
        return Err(ApiError::bad_request(
            "Request_UnsupportedQuery",
            "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        ));
    }
    Ok(())
}

pub(crate) async fn users(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, USER_BASIC)?;
    let q = Query::parse(raw.as_deref())?;
    let sign_in = check_user_select(&caller, &q)?;
    let filter = odata::checked_filter(&q, "microsoft.graph.user", USER_FILTERABLE)?;
    if let Some(f) = &filter {
        let mut paths = Vec::new();
        f.paths(&mut paths);
        if !paths.iter().all(|p| USER_BASIC_PROPS.iter().any(|b| b.eq_ignore_ascii_case(p))) {
            require(&caller, USER_FULL)?;
        }
    }
    advanced_check(&headers, &q, filter.as_ref(), "User")?;
    check_manager_expand(&q)?;
    let expand_manager = q.expands("manager").is_some();
    // signInActivity caps pages at 120, and $expand on directory objects at 100: the lower wins.
    let max = match (sign_in, expand_manager) {
        (_, true) => 100,
        (true, false) => 120,
        (false, false) => 999,
    };
    let s = state.read();
    list_objects(
        &state,
        &s,
        &s.users,
        &q,
        "/v1.0/users",
        "users",
        filter.as_ref(),
        false,
        max,
        |o, m| {
            if expand_manager {
                insert_manager(&s, o, &q, m);
            }
        },
    )
}

/// Checks `$expand=manager(…)` as user-list-manager.md states it: a nested `$select` needs
/// `$levels` ("The `$levels` parameter is required"), which is `max` or a number from 1 to 1000.
/// Anything else is refused with Graph's generic 400 (the code is an emulator-specific choice).
fn check_manager_expand(q: &Query) -> Result<(), ApiError> {
    let Some(e) = q.expands("manager") else { return Ok(()) };
    let bad = |message: String| Err(ApiError::bad_request("BadRequest", message));
    match e.levels.as_deref() {
        None if e.select.is_some() => {
            bad("The $levels parameter is required when $select is used inside $expand=manager."
                .into())
        }
        None => Ok(()),
        Some(l) if l.eq_ignore_ascii_case("max") => Ok(()),
        Some(l) => match l.parse::<u32>() {
            Ok(1..=1000) => Ok(()),
            _ => {
                bad(format!("Invalid value '{l}' for $levels: use max or a number from 1 to 1000."))
            }
        },
    }
}

/// `$expand=manager`: the immediate manager as a directory object (only the nested `$select`ed
/// properties when there is one); a user without a manager has no `manager` property.
/// With `$levels=n` (or `max`), each manager carries its own manager, `n` deep.
fn insert_manager(s: &Store, user: &DirObject, q: &Query, m: &mut Map<String, Value>) {
    let expand = q.expands("manager");
    let levels = match expand.and_then(|e| e.levels.as_deref()) {
        Some(l) if l.eq_ignore_ascii_case("max") => usize::MAX,
        Some(l) => l.parse().unwrap_or(1),
        None => 1,
    };
    let nested = expand.and_then(|e| e.select.clone());
    let mut chain = Vec::new();
    let mut current = user;
    let mut seen = HashSet::new();
    while chain.len() < levels {
        let Some(manager) = s.managers.get(current.id()).and_then(|mid| s.objects.get(mid)) else {
            break;
        };
        // A cycle in the fixture's manager data must not loop.
        if !seen.insert(manager.id().to_string()) {
            break;
        }
        chain.push(manager);
        current = manager;
    }
    let mut value: Option<Value> = None;
    for manager in chain.into_iter().rev() {
        let mut v = match &nested {
            Some(select) => {
                let mut v = odata::select(&manager.props, select);
                v.insert("@odata.type".into(), json!(manager.kind.odata_type()));
                v
            }
            None => match serde_json::from_str::<Value>(&manager.default_json) {
                Ok(Value::Object(v)) => v,
                _ => Map::new(),
            },
        };
        if let Some(above) = value.take() {
            v.insert("manager".into(), above);
        }
        value = Some(Value::Object(v));
    }
    if let Some(value) = value {
        m.insert("manager".into(), value);
    }
}

pub(crate) async fn user(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, USER_BASIC)?;
    let q = Query::parse(raw.as_deref())?;
    check_user_select(&caller, &q)?;
    check_manager_expand(&q)?;
    let s = state.read();
    let o = s.user(&id).ok_or_else(|| not_found(&id))?;
    let mut m = render(o, &q, false);
    if q.expands("manager").is_some() {
        // Reading the manager needs full user read, as `/users/{id}/manager` does.
        require(&caller, USER_FULL)?;
        insert_manager(&s, o, &q, &mut m);
    }
    m.insert("@odata.context".into(), json!(context_url(&state, "users/$entity")));
    Ok(json_value(StatusCode::OK, &Value::Object(m)))
}

pub(crate) async fn me(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> R {
    let Some(oid) = caller.oid.clone() else {
        return Err(ApiError::bad_request(
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        ));
    };
    let q = Query::parse(raw.as_deref())?;
    let s = state.read();
    let o = s.user(&oid).ok_or_else(|| not_found(&oid))?;
    let mut m = render(o, &q, false);
    m.insert("@odata.context".into(), json!(context_url(&state, "users/$entity")));
    Ok(json_value(StatusCode::OK, &Value::Object(m)))
}

pub(crate) async fn manager(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, USER_FULL)?;
    let q = Query::parse(raw.as_deref())?;
    let s = state.read();
    let u = s.user(&id).ok_or_else(|| not_found(&id))?;
    let Some(m) = s.managers.get(u.id()).and_then(|mid| s.objects.get(mid)) else {
        // By design in Graph: no manager is a 404.
        return Err(ApiError::not_found(
            "Resource 'manager' does not exist or one of its queried reference-property objects are not present.",
        ));
    };
    let mut out = render(m, &q, true);
    out.insert("@odata.context".into(), json!(context_url(&state, "directoryObjects/$entity")));
    Ok(json_value(StatusCode::OK, &Value::Object(out)))
}

pub(crate) async fn groups(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, GROUP_READ)?;
    let q = Query::parse(raw.as_deref())?;
    let filter = odata::checked_filter(
        &q,
        "microsoft.graph.group",
        &[
            "id",
            "displayName",
            "isAssignableToRole",
            "securityEnabled",
            "mailEnabled",
            "groupTypes",
            "mailNickname",
            "createdDateTime",
        ],
    )?;
    advanced_check(&headers, &q, filter.as_ref(), "Group")?;
    let s = state.read();
    list_objects(
        &state,
        &s,
        &s.groups,
        &q,
        "/v1.0/groups",
        "groups",
        filter.as_ref(),
        false,
        999,
        |_, _| {},
    )
}

pub(crate) async fn group(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, GROUP_READ)?;
    let q = Query::parse(raw.as_deref())?;
    let s = state.read();
    let o = s.object(&id).filter(|o| o.kind == Kind::Group).ok_or_else(|| not_found(&id))?;
    let mut m = render(o, &q, false);
    m.insert("@odata.context".into(), json!(context_url(&state, "groups/$entity")));
    Ok(json_value(StatusCode::OK, &Value::Object(m)))
}

fn group_id(s: &Store, id: &str) -> Result<String, ApiError> {
    s.object(id)
        .filter(|o| o.kind == Kind::Group)
        .map(|o| o.id().to_string())
        .ok_or_else(|| not_found(id))
}

async fn member_list(
    state: &AppState,
    caller: &Caller,
    id: &str,
    raw: Option<&str>,
    which: &str,
) -> R {
    require(caller, GROUP_READ)?;
    let q = Query::parse(raw)?;
    let filter = odata::checked_filter(
        &q,
        "microsoft.graph.directoryObject",
        &["id", "displayName", "userType", "accountEnabled", "userPrincipalName"],
    )?;
    let s = state.read();
    let gid = group_id(&s, id)?;
    let ids: Vec<String> = match which {
        "members" => s.members.get(&gid).cloned().unwrap_or_default(),
        "owners" => s.owners.get(&gid).cloned().unwrap_or_default(),
        _ => {
            // Breadth-first over nested groups; nested groups are listed too, as Graph does.
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            let mut queue: VecDeque<String> = VecDeque::from([gid.clone()]);
            while let Some(g) = queue.pop_front() {
                for m in s.members.get(&g).map(Vec::as_slice).unwrap_or(&[]) {
                    if seen.insert(m.clone()) {
                        out.push(m.clone());
                        if s.objects.get(m).is_some_and(|o| o.kind == Kind::Group) {
                            queue.push_back(m.clone());
                        }
                    }
                }
            }
            out
        }
    };
    let path = format!("/v1.0/groups/{id}/{which}");
    list_objects(
        state,
        &s,
        &ids,
        &q,
        &path,
        "directoryObjects",
        filter.as_ref(),
        true,
        999,
        |_, _| {},
    )
}

pub(crate) async fn members(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    member_list(&state, &caller, &id, raw.as_deref(), "members").await
}
pub(crate) async fn transitive_members(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    member_list(&state, &caller, &id, raw.as_deref(), "transitiveMembers").await
}
pub(crate) async fn owners(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    member_list(&state, &caller, &id, raw.as_deref(), "owners").await
}

pub(crate) async fn service_principals(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, SP_READ)?;
    let q = Query::parse(raw.as_deref())?;
    let filter = odata::checked_filter(
        &q,
        "microsoft.graph.servicePrincipal",
        &[
            "id",
            "appId",
            "displayName",
            "servicePrincipalType",
            "accountEnabled",
            "appOwnerOrganizationId",
            "tags",
        ],
    )?;
    advanced_check(&headers, &q, filter.as_ref(), "ServicePrincipal")?;
    let s = state.read();
    list_objects(
        &state,
        &s,
        &s.service_principals,
        &q,
        "/v1.0/servicePrincipals",
        "servicePrincipals",
        filter.as_ref(),
        false,
        999,
        |_, _| {},
    )
}

pub(crate) async fn service_principal(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, SP_READ)?;
    let q = Query::parse(raw.as_deref())?;
    let s = state.read();
    let o =
        s.object(&id).filter(|o| o.kind == Kind::ServicePrincipal).ok_or_else(|| not_found(&id))?;
    let mut m = render(o, &q, false);
    m.insert("@odata.context".into(), json!(context_url(&state, "servicePrincipals/$entity")));
    Ok(json_value(StatusCode::OK, &Value::Object(m)))
}

pub(crate) async fn directory_object(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> R {
    require(&caller, DIRECTORY_READ)?;
    let s = state.read();
    let o = s.object(&id).ok_or_else(|| not_found(&id))?;
    let mut m = render(o, &Query::default(), true);
    m.insert("@odata.context".into(), json!(context_url(&state, "directoryObjects/$entity")));
    Ok(json_value(StatusCode::OK, &Value::Object(m)))
}

/// `directoryObjects/getByIds`. Without `$select` it answers the limited, default representation
/// of each object (Graph v1.0's documented known issue: "Not all directory objects returned are
/// the full objects"); with `$select` the properties asked for that each object has, with its
/// `@odata.type` (which properties a `$select` may name across types is not documented: the
/// emulator applies it per object, README).
pub(crate) async fn get_by_ids(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
    body: String,
) -> R {
    require(&caller, DIRECTORY_READ)?;
    let q = Query::parse(raw.as_deref())?;
    if let Some(sel) = &q.select
        && sel.iter().any(|f| f.eq_ignore_ascii_case("signInActivity"))
    {
        return Err(ApiError::bad_request(
            "BadRequest",
            "signInActivity can be selected on users only.",
        ));
    }
    let v: Value = serde_json::from_str(&body).map_err(|_| bad_json())?;
    let Some(ids) = v.get("ids").and_then(Value::as_array) else {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "The request is missing the required parameter 'ids'.",
        ));
    };
    if ids.len() > 1000 {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "Too many ids: at most 1000 are allowed per request.",
        ));
    }
    let types: Option<Vec<String>> = v.get("types").and_then(Value::as_array).map(|t| {
        t.iter()
            .filter_map(Value::as_str)
            .map(|x| x.trim_start_matches("microsoft.graph.").to_ascii_lowercase())
            .collect()
    });
    let s = state.read();
    let mut items = Vec::new();
    for id in ids {
        let Some(id) = id.as_str() else {
            return Err(ApiError::bad_request("Request_BadRequest", "Each id must be a string."));
        };
        if let Some(o) = s.objects.get(&id.to_ascii_lowercase()) {
            if types
                .as_ref()
                .is_some_and(|t| !t.iter().any(|x| x == &o.kind.short().to_ascii_lowercase()))
            {
                continue;
            }
            items.push(match &q.select {
                None => o.default_json.clone(),
                Some(sel) => {
                    let mut m = odata::select(&o.props, sel);
                    m.insert("@odata.type".into(), json!(o.kind.odata_type()));
                    Value::Object(m).to_string()
                }
            });
        }
    }
    Ok(page_response(&context_url(&state, "directoryObjects"), None, None, &items))
}

pub(crate) async fn directory_audits(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, AUDIT_READ)?;
    let q = Query::parse(raw.as_deref())?;
    let filter = odata::checked_filter(
        &q,
        "microsoft.graph.directoryAudit",
        &[
            "activityDateTime",
            "activityDisplayName",
            "category",
            "correlationId",
            "id",
            "loggedByService",
            "initiatedBy",
            "targetResources",
            "result",
            "operationType",
        ],
    )?;
    let asc = q.orderby.as_deref().is_some_and(|o| {
        let o = o.to_ascii_lowercase();
        o.starts_with("activitydatetime") && !o.ends_with("desc")
    });
    let size = page_size(&state, &q)?;
    let start = q.start_position("/v1.0/auditLogs/directoryAudits")?;
    let s = state.read();
    super::require_reader_role(&s, &caller)?;
    // Newest first unless asked otherwise; the sort is stable so the order is the same on every page.
    let oldest_first = s.audits_by_date();
    let order: Vec<u32> =
        if asc { oldest_first.to_vec() } else { oldest_first.iter().rev().copied().collect() };
    let (page, next) = collect_page(&order, start, size, |i| {
        filter.as_ref().is_none_or(|f| odata::eval(f, &s.audits[i as usize], &odata::NoContext))
    });
    let items: Vec<String> = page.iter().map(|i| s.audits[*i as usize].to_string()).collect();
    let next_link = next.map(|n| {
        q.next_link(&format!("{}/graph", state.base_url), "/v1.0/auditLogs/directoryAudits", n)
    });
    Ok(page_response(&context_url(&state, "auditLogs/directoryAudits"), None, next_link, &items))
}

pub(crate) fn bad_json() -> ApiError {
    ApiError::bad_request(
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    )
}

pub(crate) async fn batch(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: String,
) -> R {
    let v: Value = serde_json::from_str(&body).map_err(|_| bad_json())?;
    let Some(reqs) = v.get("requests").and_then(Value::as_array) else {
        return Err(ApiError::bad_request("BadRequest", "Invalid batch payload format."));
    };
    if reqs.len() > 20 {
        return Err(ApiError::bad_request(
            "BadRequest",
            "Number of batch request steps exceeds the maximum of 20.",
        ));
    }
    let mut seen = HashSet::new();
    for r in reqs {
        let Some(id) = r.get("id").and_then(|x| {
            x.as_str().map(str::to_string).or_else(|| x.as_i64().map(|n| n.to_string()))
        }) else {
            return Err(ApiError::bad_request(
                "BadRequest",
                "Invalid batch payload format: every request needs an id.",
            ));
        };
        if !seen.insert(id.to_ascii_lowercase()) {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("Batch request ids must be unique: '{id}' is repeated."),
            ));
        }
        if r.get("method").and_then(Value::as_str).is_none()
            || r.get("url").and_then(Value::as_str).is_none()
        {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("Invalid batch payload format: request '{id}' needs a method and a url."),
            ));
        }
    }
    let Some(inner) = state.graph_inner.get().cloned() else {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Batch dispatch is not ready.",
        ));
    };
    let auth = headers.get("authorization").cloned();
    let mut statuses: std::collections::HashMap<String, u16> = std::collections::HashMap::new();
    let mut responses = Vec::new();
    for r in reqs {
        let id = r
            .get("id")
            .and_then(|x| {
                x.as_str().map(str::to_string).or_else(|| x.as_i64().map(|n| n.to_string()))
            })
            .unwrap_or_default();
        let depends: Vec<String> = r
            .get("dependsOn")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        if depends.iter().any(|d| statuses.get(&d.to_ascii_lowercase()).is_none_or(|s| *s >= 400)) {
            statuses.insert(id.to_ascii_lowercase(), 424);
            responses.push(json!({ "id": id, "status": 424, "headers": {"Content-Type": "application/json"},
                "body": { "error": { "code": "FailedDependency", "message": "A request this request depends on failed." } } }).to_string());
            continue;
        }
        let method = r["method"].as_str().unwrap_or_default().to_ascii_uppercase();
        let url = r["url"].as_str().unwrap_or_default();
        // Steps may name the service absolutely (Microsoft's SDKs do): Graph's host, or this one.
        let own_host = format!("{}/graph", state.base_url);
        let url = url
            .trim_start_matches("https://graph.microsoft.com")
            .trim_start_matches(own_host.as_str())
            .trim_start_matches("/v1.0");
        let url = if url.starts_with('/') { format!("/v1.0{url}") } else { format!("/v1.0/{url}") };
        // Batch step URLs are relative and written like a query people read, with spaces and
        // quotes in `$filter`; Graph accepts them as written, so encode what a URI may not hold.
        let url = url.replace(' ', "%20").replace('"', "%22");
        let has_body = r.get("body").is_some_and(|b| !b.is_null());
        let inner_headers =
            r.get("headers").and_then(Value::as_object).cloned().unwrap_or_default();
        let has_ct = inner_headers.keys().any(|k| k.eq_ignore_ascii_case("content-type"));
        let step_fault = crate::faults::batch_step(&state);
        let refused = {
            let knobs = state.faults.lock().map(|f| f.clone()).unwrap_or_default();
            crate::faults::refusal(&knobs, &url)
        };
        let mut retry_after = None;
        let (status, body) = if has_body && !has_ct {
            (
                400u16,
                Some(json!({ "error": { "code": "BadRequest", "message": "Content-Type header must be specified when a body is present." } }).to_string()),
            )
        } else if let Some(e) = refused {
            let body = crate::http::error_body(crate::http::Surface::Graph, &e, &id, &id);
            (e.status.as_u16(), Some(body.to_string()))
        } else if let Some((status, after)) = step_fault {
            retry_after = after;
            let (code, message) = if status == 429 {
                ("TooManyRequests", "Too many requests. Please try again later.")
            } else {
                ("UnknownError", "The service is temporarily unavailable.")
            };
            (status, Some(json!({ "error": { "code": code, "message": message } }).to_string()))
        } else {
            let Ok(m) = Method::from_bytes(method.as_bytes()) else {
                return Err(ApiError::bad_request(
                    "BadRequest",
                    format!("Invalid method '{method}' in batch request '{id}'."),
                ));
            };
            let mut b = Request::builder().method(m).uri(&url);
            if let Some(a) = &auth {
                b = b.header("authorization", a.clone());
            }
            for (k, v) in &inner_headers {
                if let Some(v) = v.as_str() {
                    b = b.header(k.as_str(), v);
                }
            }
            let body = if has_body { Body::from(r["body"].to_string()) } else { Body::empty() };
            let Ok(req) = b.body(body) else {
                return Err(ApiError::bad_request(
                    "BadRequest",
                    format!("Invalid url in batch request '{id}'."),
                ));
            };
            let resp = match inner.clone().oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let status = resp.status().as_u16();
            let bytes =
                axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap_or_default();
            // The step's JSON goes into the envelope as it is, checked but not rebuilt: a batch
            // of 20 steps was parsed and re-serialised step by step before.
            let json = !bytes.is_empty()
                && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
            (status, json.then(|| String::from_utf8_lossy(&bytes).into_owned()))
        };
        statuses.insert(id.to_ascii_lowercase(), status);
        let mut entry = json!({ "id": id, "status": status, "headers": { "Content-Type": "application/json" } });
        if let Some(s) = retry_after {
            entry["headers"]["Retry-After"] = json!(s.to_string());
        }
        let mut entry = entry.to_string();
        if let Some(body) = body {
            entry.pop();
            entry.push_str(",\"body\":");
            entry.push_str(&body);
            entry.push('}');
        }
        responses.push(entry);
    }
    // "Responses may come in any order" (json-batching.md): they do here, shuffled per batch
    // (Fisher-Yates, seeded per batch so a run is replayable), so a client that relies on order
    // fails in tests and not first in a tenant.
    let batch_number = state.batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut rng = crate::rng::Rng::new(0x5eed_ba7c ^ batch_number);
    for i in (1..responses.len()).rev() {
        responses.swap(i, rng.below(i + 1));
    }
    let mut out = String::with_capacity(responses.iter().map(String::len).sum::<usize>() + 64);
    out.push_str("{\"responses\":[");
    out.push_str(&responses.join(","));
    out.push_str("]}");
    Ok(json_response(StatusCode::OK, out).into_response())
}
