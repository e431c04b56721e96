//! Fault injection for the Graph and ARM surfaces: latency, 429 with Retry-After, 5xx, dropped
//! connections and truncated bodies, each "every Nth request" or "with probability p".
//!
//! Besides these, targeted refusals make one part of the tenant unreadable the way Microsoft
//! refuses it: a group whose PIM for Groups data and members answer 403, a group deleted since it
//! was listed (404), a subscription whose role instances can only be read below it (ARM's 403
//! `AuthorizationFailed`), an audit log without the licence, and an app without consent for ARM
//! (the token endpoint refuses ARM tokens; see `login.rs`).
//!
//! Login and admin endpoints are never faulted (except the ARM consent knob), so a test can always
//! reconfigure and authenticate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::http::ApiError;
use crate::server::AppState;

/// Fault knobs. `*_every` counts requests to the faulted surfaces (0 = off); probabilities are in 0..=1.
/// The JSON form (camelCase) is what `{base}/_admin/faults` reads and writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Faults {
    /// Added to every Graph and ARM request.
    pub latency_ms: u64,
    pub throttle_every: u64,
    pub throttle_probability: f64,
    /// The `Retry-After` value of a 429, in seconds.
    pub retry_after_secs: u64,
    pub error_every: u64,
    pub error_probability: f64,
    /// 500, 502, 503 or 504.
    pub error_status: u16,
    pub drop_every: u64,
    pub drop_probability: f64,
    pub truncate_every: u64,
    pub truncate_probability: f64,
    /// Seed of the generator behind the probabilities, so a faulty run can be replayed.
    pub seed: u64,
    /// Group ids whose PIM for Groups instances and members answer 403
    /// (`Authorization_RequestDenied`, as Graph refuses an object the caller may not read).
    pub forbidden_groups: Vec<String>,
    /// Group ids deleted since they were listed: their PIM for Groups instances and members
    /// answer 404 (`Request_ResourceNotFound`).
    pub deleted_groups: Vec<String>,
    /// Subscriptions (`/subscriptions/{id}` or the bare id) whose role instances the identity may
    /// read only at resource-group level: subscription-scope lists answer ARM's 403
    /// `AuthorizationFailed`.
    pub resource_group_only_subscriptions: Vec<String>,
    /// The app has no consent for Azure Resource Manager: the token endpoint refuses ARM tokens
    /// (AADSTS65001 for a person's sign-in, AADSTS500011 for the app itself).
    pub arm_consent_missing: bool,
    /// The tenant has no licence for the audit log: `auditLogs/directoryAudits` answers 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
    pub audit_unlicensed: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            throttle_every: 0,
            throttle_probability: 0.0,
            retry_after_secs: 1,
            error_every: 0,
            error_probability: 0.0,
            error_status: 503,
            drop_every: 0,
            drop_probability: 0.0,
            truncate_every: 0,
            truncate_probability: 0.0,
            seed: 7,
            forbidden_groups: Vec::new(),
            deleted_groups: Vec::new(),
            resource_group_only_subscriptions: Vec::new(),
            arm_consent_missing: false,
            audit_unlicensed: false,
        }
    }
}

impl Faults {
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("throttleProbability", self.throttle_probability),
            ("errorProbability", self.error_probability),
            ("dropProbability", self.drop_probability),
            ("truncateProbability", self.truncate_probability),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        if !matches!(self.error_status, 500 | 502 | 503 | 504) {
            return Err("errorStatus must be 500, 502, 503 or 504".into());
        }
        Ok(())
    }
}

/// The refusal a targeted knob makes of `path_and_query` (as received, percent-encoded), if any.
pub(crate) fn refusal(f: &Faults, path_and_query: &str) -> Option<ApiError> {
    // Asked for every request and step: nothing to decode when nothing is refused.
    if f.forbidden_groups.is_empty()
        && f.deleted_groups.is_empty()
        && !f.audit_unlicensed
        && f.resource_group_only_subscriptions.is_empty()
    {
        return None;
    }
    let decoded: String = url::form_urlencoded::parse(path_and_query.as_bytes())
        .map(|(k, v)| if v.is_empty() { k.into_owned() } else { format!("{k}={v}") })
        .collect::<Vec<_>>()
        .join("&")
        .to_ascii_lowercase();
    let path = decoded.split('?').next().unwrap_or_default();
    let names_group = |id: &str| {
        let id = id.to_ascii_lowercase();
        (path.contains("/privilegedaccess/group/")
            && decoded.contains(&format!("groupid eq '{id}'")))
            || path.contains(&format!("/groups/{id}/"))
            || path.ends_with(&format!("/groups/{id}"))
    };
    if f.forbidden_groups.iter().any(|g| names_group(g)) {
        return Some(ApiError::forbidden());
    }
    if let Some(g) = f.deleted_groups.iter().find(|g| names_group(g)) {
        return Some(ApiError::not_found(format!(
            "Resource '{g}' does not exist or one of its queried reference-property objects are not present."
        )));
    }
    if f.audit_unlicensed && path.ends_with("/auditlogs/directoryaudits") {
        return Some(ApiError::new(
            StatusCode::FORBIDDEN,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        ));
    }
    for sub in &f.resource_group_only_subscriptions {
        let id = sub.trim_start_matches("/subscriptions/").to_ascii_lowercase();
        let scope = format!("/subscriptions/{id}");
        let action = ["roleeligibilityscheduleinstances", "roleassignmentscheduleinstances"]
            .into_iter()
            .find(|kind| {
                path.ends_with(&format!("{scope}/providers/microsoft.authorization/{kind}"))
            });
        if let Some(kind) = action {
            let action = if kind.starts_with("roleeligibility") {
                "roleEligibilityScheduleInstances"
            } else {
                "roleAssignmentScheduleInstances"
            };
            return Some(ApiError::new(
                StatusCode::FORBIDDEN,
                "AuthorizationFailed",
                format!(
                    "The client does not have authorization to perform action \
                     'Microsoft.Authorization/{action}/read' over scope '{scope}' or the scope is \
                     invalid. If access was recently granted, please refresh your credentials."
                ),
            ));
        }
    }
    None
}

#[derive(Debug, PartialEq)]
enum Fault {
    None,
    Throttle,
    Error,
    Drop,
    Truncate,
}

fn decide(state: &AppState, counter: &AtomicU64) -> (Fault, Faults) {
    let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
    let f = state.faults.lock().map(|f| f.clone()).unwrap_or_default();
    let mut rng = match state.fault_rng.lock() {
        Ok(r) => r,
        Err(p) => p.into_inner(),
    };
    let mut hit =
        |every: u64, p: f64| (every > 0 && n.is_multiple_of(every)) || (p > 0.0 && rng.chance(p));
    let fault = if hit(f.drop_every, f.drop_probability) {
        Fault::Drop
    } else if hit(f.truncate_every, f.truncate_probability) {
        Fault::Truncate
    } else if hit(f.throttle_every, f.throttle_probability) {
        Fault::Throttle
    } else if hit(f.error_every, f.error_probability) {
        Fault::Error
    } else {
        Fault::None
    };
    (fault, f)
}

/// The fault for one `$batch` step: steps are throttled (or fail) individually, as in Graph, but a
/// step cannot drop the connection or truncate the batch's body. Returns (status, Retry-After).
///
/// Steps have their own count: sharing the requests' count, a batch of five steps retried alone
/// would advance it by six each time and be "every 6th request" on every attempt.
pub(crate) fn batch_step(state: &AppState) -> Option<(u16, Option<u64>)> {
    let (fault, f) = decide(state, &state.step_counter);
    match fault {
        Fault::Throttle => Some((429, Some(f.retry_after_secs))),
        Fault::Error => {
            Some((f.error_status, (f.error_status == 503).then_some(f.retry_after_secs)))
        }
        _ => None,
    }
}

pub(crate) async fn layer(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let (fault, f) = decide(&state, &state.request_counter);
    if f.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(f.latency_ms)).await;
    }
    let received = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| req.uri().clone());
    if let Some(refused) = received.path_and_query().and_then(|pq| refusal(&f, pq.as_str())) {
        return refused.into_response();
    }
    match fault {
        Fault::None => next.run(req).await,
        Fault::Throttle => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Please try again later.",
            );
            e.retry_after = Some(f.retry_after_secs);
            e.into_response()
        }
        Fault::Error => {
            let status =
                StatusCode::from_u16(f.error_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut e =
                ApiError::new(status, "UnknownError", "The service is temporarily unavailable.");
            if status == StatusCode::SERVICE_UNAVAILABLE {
                e.retry_after = Some(f.retry_after_secs);
            }
            e.into_response()
        }
        Fault::Drop => {
            // A body that fails before yielding anything makes the server abort the connection.
            let stream = futures_util::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "fault injection: dropped connection",
                ))
            });
            Response::new(Body::from_stream(stream))
        }
        Fault::Truncate => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            let full = bytes.len();
            let half = bytes.slice(..full / 2);
            // Promise the full length, send half, then fail: the client sees a short body.
            parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(full.max(1)));
            // The pause lets the head and the first half reach the client before the failure.
            let stream = futures_util::StreamExt::chain(
                futures_util::stream::iter(vec![Ok::<_, std::io::Error>(half)]),
                futures_util::stream::once(async {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "fault injection: truncated body",
                    ))
                }),
            );
            Response::from_parts(parts, Body::from_stream(stream))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targeted_refusals_hit_only_their_objects() {
        let f = Faults {
            forbidden_groups: vec!["G1".into()],
            deleted_groups: vec!["g2".into()],
            resource_group_only_subscriptions: vec!["/subscriptions/s1".into()],
            audit_unlicensed: true,
            ..Faults::default()
        };
        let pim = "/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances";
        let arm = "/providers/Microsoft.Authorization";
        // (path and query as received, the status refused with, if any)
        let cases: [(String, Option<u16>); 9] = [
            (format!("{pim}?$filter=groupId%20eq%20'g1'"), Some(403)),
            (format!("{pim}?$filter=groupId eq 'g1'"), Some(403)),
            ("/v1.0/groups/g1/transitiveMembers?$select=id".into(), Some(403)),
            (format!("{pim}?$filter=groupId%20eq%20'g2'"), Some(404)),
            (format!("{pim}?$filter=groupId%20eq%20'g3'"), None),
            (
                format!(
                    "/subscriptions/s1{arm}/roleEligibilityScheduleInstances?api-version=2020-10-01"
                ),
                Some(403),
            ),
            (format!("/subscriptions/s1{arm}/roleDefinitions?api-version=2022-04-01"), None),
            (
                format!(
                    "/subscriptions/s2{arm}/roleAssignmentScheduleInstances?api-version=2020-10-01"
                ),
                None,
            ),
            ("/v1.0/auditLogs/directoryAudits?$top=999".into(), Some(403)),
        ];
        for (path, status) in cases {
            let got = refusal(&f, &path).map(|e| e.status.as_u16());
            assert_eq!(got, status, "{path}");
        }
        assert!(refusal(&Faults::default(), "/v1.0/auditLogs/directoryAudits").is_none());
    }
}
