//! Access reviews and mail over Graph v1.0: `identityGovernance/accessReviews/definitions`
//! (create, get, list, delete), their `instances` (list, `stop`, `sendReminder`,
//! `contactedReviewers`, `decisions` paged with `$skip`/`$top`) and `users/{id}/sendMail`. Each
//! shape follows Microsoft's page for it (tests/fixtures/graph-docs/access-reviews*.json); what
//! the pages leave open is listed in the README's emulator-specific choices.

use std::sync::Arc;

use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::{PrincipalTypes, R, context_url, page_response, require};
use crate::http::{ApiError, json_value};
use crate::odata::{self, Query};
use crate::reviews::{Definition, first_instance, stamp, user_identity};
use crate::server::AppState;
use crate::store::Store;
use crate::token::Caller;

/// accessreviewset-list-definitions.md and the other read pages: `AccessReview.Read.All` or
/// `AccessReview.ReadWrite.All`.
const READ: &[&str] = &["AccessReview.Read.All", "AccessReview.ReadWrite.All"];
/// accessreviewset-post-definitions.md, -stop, -sendreminder, -delete: `AccessReview.ReadWrite.All`.
const WRITE: &[&str] = &["AccessReview.ReadWrite.All"];
/// user-sendmail.md: `Mail.Send`.
const MAIL: &[&str] = &["Mail.Send"];

/// Roles a signed-in person needs, actively, to manage reviews of directory roles ("the
/// signed-in user must also be in a directory role that permits them"): Global Administrator,
/// Privileged Role Administrator, Identity Governance Administrator.
const REVIEW_ADMIN_ROLES: &[&str] = &[
    crate::catalog::GLOBAL_ADMINISTRATOR,
    crate::catalog::PRIVILEGED_ROLE_ADMINISTRATOR,
    "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e",
];

fn require_review_role(s: &Store, caller: &Caller) -> Result<(), ApiError> {
    let Some(oid) = &caller.oid else { return Ok(()) };
    let holds = s.assignments.by_principal.get(&oid.to_ascii_lowercase()).is_some_and(|list| {
        list.iter().map(|p| &s.assignments.items[*p as usize]).any(|i| {
            !i.removed
                && REVIEW_ADMIN_ROLES
                    .iter()
                    .any(|r| i.get("roleDefinitionId").eq_ignore_ascii_case(r))
        })
    });
    if holds { Ok(()) } else { Err(ApiError::forbidden()) }
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("The {what} '{id}' was not found."))
}

const BASE: &str = "identityGovernance/accessReviews/definitions";

/// `$skip` is documented on these lists only (the shared query parser refuses it elsewhere):
/// taken out before the rest is parsed.
fn split_skip(raw: Option<&str>) -> Result<(usize, Option<String>), ApiError> {
    let Some(raw) = raw else { return Ok((0, None)) };
    let mut skip = 0;
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        if k.trim_start_matches('$').eq_ignore_ascii_case("skip") {
            skip = v.trim().parse().map_err(|_| {
                ApiError::bad_request(
                    "BadRequest",
                    format!("Invalid value '{v}' for query option $skip."),
                )
            })?;
        } else {
            rest.append_pair(&k, &v);
        }
    }
    Ok((skip, Some(rest.finish())))
}

/// A page of `items` from `skip`, with `@odata.count` (the documented examples show it without
/// `$count`) and an `@odata.nextLink` that asks for the next `$skip` when more follow.
fn skip_page(state: &AppState, path: &str, raw: Option<&str>, items: Vec<Value>) -> R {
    let (skip, rest) = split_skip(raw)?;
    let q = Query::parse(rest.as_deref())?;
    let size = super::page_size(state, &q)?;
    let filter = q.filter.as_deref().map(odata::parse_filter).transpose()?;
    let items: Vec<Value> = items
        .into_iter()
        .filter(|v| filter.as_ref().is_none_or(|f| odata::eval(f, v, &odata::NoContext)))
        .collect();
    let total = items.len();
    let page: Vec<String> = items
        .iter()
        .skip(skip)
        .take(size)
        .map(|v| match &q.select {
            Some(sel) => match v {
                Value::Object(m) => Value::Object(odata::select(m, sel)).to_string(),
                other => other.to_string(),
            },
            None => v.to_string(),
        })
        .collect();
    let next = (skip + size < total).then(|| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &q.pairs {
            if !k.trim_start_matches('$').eq_ignore_ascii_case("top") {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("$top", &size.to_string());
        ser.append_pair("$skip", &(skip + size).to_string());
        let qs = ser.finish().replace("%24", "$").replace("%2C", ",").replace('+', "%20");
        format!("{}/graph/v1.0/{path}?{qs}", state.base_url)
    });
    Ok(page_response(&context_url(state, path), Some(total), next, &page))
}

pub(super) async fn list_definitions(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, READ)?;
    require_review_role(&state.read(), &caller)?;
    let items: Vec<Value> = {
        let reviews = state.reviews();
        reviews.definitions.iter().map(|d| Value::Object(d.body.clone())).collect()
    };
    skip_page(&state, BASE, raw.as_deref(), items)
}

pub(super) async fn get_definition(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> R {
    require(&caller, READ)?;
    require_review_role(&state.read(), &caller)?;
    let reviews = state.reviews();
    let d =
        reviews.definition(&id).ok_or_else(|| not_found("accessReviewScheduleDefinition", &id))?;
    let mut body = d.body.clone();
    body.insert("@odata.context".into(), json!(context_url(&state, &format!("{BASE}/$entity"))));
    Ok(json_value(StatusCode::OK, &Value::Object(body)))
}

pub(super) async fn delete_definition(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> R {
    require(&caller, WRITE)?;
    require_review_role(&state.read(), &caller)?;
    let mut reviews = state.reviews();
    let before = reviews.definitions.len();
    reviews.definitions.retain(|d| !d.id().eq_ignore_ascii_case(&id));
    if reviews.definitions.len() == before {
        return Err(not_found("accessReviewScheduleDefinition", &id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The principals a scope names now. Only the role scopes of accessreviews-scope-concept.md are
/// served (Examples 9b and 9c: an instance list filtered by role and principal type, with
/// `$expand=principal`); another scope is refused with 400 (an emulator-specific choice).
fn scope_principals(s: &Store, scope: &Value) -> Result<Vec<String>, ApiError> {
    let query = scope.get("query").and_then(Value::as_str).unwrap_or_default();
    let query = query.trim_start_matches("/v1.0");
    let (path, raw) = query.split_once('?').unwrap_or((query, ""));
    let set = match path {
        "/roleManagement/directory/roleEligibilityScheduleInstances" => &s.eligibility,
        "/roleManagement/directory/roleAssignmentScheduleInstances" => &s.assignments,
        _ => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("The scope query '{query}' is not one this tenant can review."),
            ));
        }
    };
    let q = Query::parse(Some(raw))?;
    let filter = q.filter.as_deref().map(odata::parse_filter).transpose()?;
    let cx = PrincipalTypes(s);
    let mut out: Vec<String> = Vec::new();
    for inst in set.items.iter().filter(|i| !i.removed) {
        let keep =
            filter.as_ref().is_none_or(|f| odata::eval(f, &Value::Object(inst.props.clone()), &cx));
        if keep {
            let p = inst.get("principalId").to_ascii_lowercase();
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

pub(super) async fn create_definition(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: String,
) -> R {
    require(&caller, WRITE)?;
    let Ok(Value::Object(mut body)) = serde_json::from_str::<Value>(&body) else {
        return Err(ApiError::bad_request("BadRequest", "The request body is not a JSON object."));
    };
    // accessreviewset-post-definitions.md: displayName, descriptionForAdmins,
    // descriptionForReviewers and scope are Required.
    for field in ["displayName", "descriptionForAdmins", "descriptionForReviewers", "scope"] {
        if body.get(field).is_none_or(Value::is_null) {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("The property '{field}' is required."),
            ));
        }
    }
    let now = Utc::now();
    let instance = {
        let s = state.read();
        require_review_role(&s, &caller)?;
        let principals = scope_principals(&s, body.get("scope").unwrap_or(&Value::Null))?;
        let id = uuid::Uuid::new_v4().to_string();
        let creator = match &caller.oid {
            Some(oid) => user_identity(&s, oid),
            None => json!({"id": caller.app_id, "displayName": "", "userPrincipalName": ""}),
        };
        body.insert("id".into(), json!(id));
        body.insert("createdDateTime".into(), json!(stamp(now)));
        body.insert("lastModifiedDateTime".into(), json!(stamp(now)));
        body.insert("status".into(), json!("InProgress"));
        body.insert("createdBy".into(), creator);
        body.entry("instanceEnumerationScope").or_insert(Value::Null);
        body.entry("fallbackReviewers").or_insert(json!([]));
        body.entry("additionalNotificationRecipients").or_insert(json!([]));
        first_instance(&s, &format!("{}/graph", state.base_url), &body, principals, now)
    };
    let mut answer = body.clone();
    answer.insert("@odata.context".into(), json!(context_url(&state, &format!("{BASE}/$entity"))));
    state.reviews().definitions.push(Definition { body, instances: vec![instance] });
    Ok(json_value(StatusCode::CREATED, &Value::Object(answer)))
}

pub(super) async fn list_instances(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, READ)?;
    require_review_role(&state.read(), &caller)?;
    let items: Vec<Value> = {
        let reviews = state.reviews();
        let d = reviews
            .definition(&id)
            .ok_or_else(|| not_found("accessReviewScheduleDefinition", &id))?;
        d.instances.iter().map(|i| i.json()).collect()
    };
    skip_page(&state, &format!("{BASE}/{id}/instances"), raw.as_deref(), items)
}

/// Runs `f` on instance `iid` of definition `id`, or answers 404.
fn with_instance<T>(
    state: &AppState,
    id: &str,
    iid: &str,
    f: impl FnOnce(&mut Definition, usize) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut reviews = state.reviews();
    let d = reviews
        .definition_mut(id)
        .ok_or_else(|| not_found("accessReviewScheduleDefinition", id))?;
    let pos = d
        .instances
        .iter()
        .position(|i| i.id.eq_ignore_ascii_case(iid))
        .ok_or_else(|| not_found("accessReviewInstance", iid))?;
    f(d, pos)
}

pub(super) async fn stop_instance(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((id, iid)): Path<(String, String)>,
) -> R {
    require(&caller, WRITE)?;
    require_review_role(&state.read(), &caller)?;
    with_instance(&state, &id, &iid, |d, pos| {
        // accessreviewinstance-stop.md: "the instance status is marked as `Completed`, the
        // reviewers can no longer give input". Stopping a completed one again changes nothing.
        d.instances[pos].status = "Completed".into();
        if d.instances.iter().all(|i| i.status == "Completed") {
            d.body.insert("status".into(), json!("Completed"));
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn send_reminder(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((id, iid)): Path<(String, String)>,
) -> R {
    require(&caller, WRITE)?;
    require_review_role(&state.read(), &caller)?;
    let reminded = with_instance(&state, &id, &iid, |d, pos| {
        let inst = &d.instances[pos];
        if inst.status != "InProgress" {
            return Err(ApiError::bad_request(
                "BadRequest",
                "Reminders can be sent for an active review only.",
            ));
        }
        let mut who: Vec<String> = inst
            .decisions
            .iter()
            .filter(|x| x.body.get("decision").and_then(Value::as_str) == Some("NotReviewed"))
            .flat_map(|x| x.reviewers.iter().cloned())
            .collect();
        who.sort();
        who.dedup();
        Ok(who)
    })?;
    state.reviews().reminders.push(json!({
        "definitionId": id, "instanceId": iid, "sentDateTime": stamp(Utc::now()), "reviewers": reminded,
    }));
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn list_decisions(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((id, iid)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, READ)?;
    require_review_role(&state.read(), &caller)?;
    let items = with_instance(&state, &id, &iid, |d, pos| {
        Ok(d.instances[pos].decisions.iter().map(|x| Value::Object(x.body.clone())).collect())
    })?;
    skip_page(&state, &format!("{BASE}/{id}/instances/{iid}/decisions"), raw.as_deref(), items)
}

pub(super) async fn contacted_reviewers(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((id, iid)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> R {
    require(&caller, READ)?;
    let s = state.read();
    require_review_role(&s, &caller)?;
    let (ids, since) = with_instance(&state, &id, &iid, |d, pos| {
        let inst = &d.instances[pos];
        let mut ids: Vec<String> =
            inst.decisions.iter().flat_map(|x| x.reviewers.iter().cloned()).collect();
        ids.sort();
        ids.dedup();
        Ok((ids, stamp(inst.start)))
    })?;
    // accessreviewinstance-list-contactedreviewers.md: id, displayName, userPrincipalName,
    // createdDateTime.
    let items: Vec<Value> = ids
        .iter()
        .map(|r| {
            let mut who = user_identity(&s, r);
            if let Some(m) = who.as_object_mut() {
                m.insert("createdDateTime".into(), json!(since));
            }
            who
        })
        .collect();
    drop(s);
    skip_page(
        &state,
        &format!("{BASE}/{id}/instances/{iid}/contactedReviewers"),
        raw.as_deref(),
        items,
    )
}

/// user-sendmail.md: `POST /users/{id}/sendMail` with `{"message", "saveToSentItems"}`, 202 and
/// no body. The message is kept, readable through `GET {base}/_admin/mail`.
pub(super) async fn send_mail(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: String,
) -> R {
    require(&caller, MAIL)?;
    let from = {
        let s = state.read();
        let user = s.user(&id).ok_or_else(|| {
            ApiError::not_found(format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."))
        })?;
        let from = user.id().to_string();
        // A delegated Mail.Send sends as the signed-in person only.
        if caller.oid.as_deref().is_some_and(|oid| !oid.eq_ignore_ascii_case(&from)) {
            return Err(ApiError::forbidden());
        }
        from
    };
    let message: Map<String, Value> = match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(mut b)) => match b.remove("message") {
            Some(Value::Object(m)) => m,
            _ => {
                return Err(ApiError::bad_request(
                    "BadRequest",
                    "The 'message' parameter is required.",
                ));
            }
        },
        _ => {
            return Err(ApiError::bad_request(
                "BadRequest",
                "The request body is not a JSON object.",
            ));
        }
    };
    let has_recipient = message
        .get("toRecipients")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|x| x.pointer("/emailAddress/address").is_some()));
    if !has_recipient {
        return Err(ApiError::bad_request("BadRequest", "At least one recipient is required."));
    }
    state.reviews().mail.push(json!({
        "from": from, "sentDateTime": stamp(Utc::now()), "message": message,
    }));
    Ok(StatusCode::ACCEPTED.into_response())
}

/// What the admin surface and the reviewer page show and do.
pub(crate) fn decide(
    state: &AppState,
    decision_id: &str,
    reviewer: &str,
    verdict: &str,
    justification: &str,
) -> Response {
    use crate::reviews::DecideError;
    let s = state.read();
    let outcome =
        state.reviews().decide(&s, decision_id, reviewer, verdict, justification, Utc::now());
    let (status, message) = match outcome {
        Ok(v) => return json_value(StatusCode::OK, &v),
        Err(DecideError::NotFound) => (StatusCode::NOT_FOUND, "no such decision".to_string()),
        Err(DecideError::NotReviewer) => {
            (StatusCode::FORBIDDEN, "this person does not review that item".to_string())
        }
        Err(DecideError::Closed) => (StatusCode::CONFLICT, "the review is over".to_string()),
        Err(DecideError::Invalid(m)) => (StatusCode::BAD_REQUEST, m),
    };
    (status, axum::Json(json!({"error": {"code": "BadRequest", "message": message}})))
        .into_response()
}
