//! Errors and response plumbing shared by the Graph and ARM surfaces: handlers return `ApiError`,
//! and a per-surface middleware turns it into Graph's envelope (with request ids) or ARM's CloudError.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A failed call, rendered later by the surface's middleware.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
    pub www_authenticate: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
            www_authenticate: None,
        }
    }
    pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Request_ResourceNotFound", message)
    }
    pub(crate) fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }
    /// PIM's refusal of a caller without the permission: 403 with code `UnknownError` and, as the
    /// message, PIM's own error as JSON text, `{"errorCode":"PermissionScopeNotGranted",…}` —
    /// the shape reported from real tenants (microsoftgraph/microsoft-graph-docs#22292). The
    /// directory endpoints answer `Authorization_RequestDenied` instead (documented in
    /// json-batching.md's example).
    pub(crate) fn permission_scope_not_granted(permissions: &[&str]) -> ApiError {
        let inner = json!({
            "errorCode": "PermissionScopeNotGranted",
            "message": format!(
                "Authorization failed due to missing permission scope {}.",
                permissions.join(",")
            ),
            "instanceAnnotations": [],
        });
        ApiError::new(StatusCode::FORBIDDEN, "UnknownError", inner.to_string())
    }
    pub(crate) fn unauthorized(message: &str) -> ApiError {
        let mut e = ApiError::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message);
        e.www_authenticate = Some(format!(
            "Bearer realm=\"\", error=\"invalid_token\", error_description=\"{message}\""
        ));
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = self.status;
        r.extensions_mut().insert(self);
        r
    }
}

/// Which envelope a surface uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Surface {
    Graph,
    Arm,
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"));
    r
}

pub(crate) fn json_value(status: StatusCode, v: &Value) -> Response {
    json_response(status, serde_json::to_string(v).unwrap_or_else(|_| "{}".into()))
}

pub(crate) fn error_body(
    surface: Surface,
    e: &ApiError,
    request_id: &str,
    client_request_id: &str,
) -> Value {
    match surface {
        Surface::Graph => json!({ "error": { "code": e.code, "message": e.message, "innerError": {
            "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "request-id": request_id, "client-request-id": client_request_id } } }),
        Surface::Arm => json!({ "error": { "code": e.code, "message": e.message } }),
    }
}

/// Assigns request ids, echoes `client-request-id`, and renders `ApiError`s in the surface's envelope.
pub(crate) async fn envelope(surface: Surface, req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = header_str(req.headers(), "client-request-id")
        .or_else(|| header_str(req.headers(), "x-ms-client-request-id"))
        .unwrap_or_else(|| request_id.clone());
    let mut resp = next.run(req).await;
    if let Some(e) = resp.extensions_mut().remove::<ApiError>() {
        let body = error_body(surface, &e, &request_id, &client_request_id);
        let mut new = json_value(e.status, &body);
        if let Some(s) = e.retry_after {
            new.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if let Some(w) = &e.www_authenticate
            && let Ok(v) = HeaderValue::from_str(w)
        {
            new.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp = new;
    }
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        match surface {
            Surface::Graph => {
                h.insert("request-id", v);
                if let Ok(c) = HeaderValue::from_str(&client_request_id) {
                    h.insert("client-request-id", c);
                }
                h.insert("x-ms-ags-diagnostic", HeaderValue::from_static(r#"{"ServerInfo":{"DataCenter":"Emulator","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"recert-emulator"}}"#));
            }
            Surface::Arm => {
                h.insert("x-ms-request-id", v.clone());
                h.insert("x-ms-correlation-request-id", v);
            }
        }
    }
    resp
}

pub(crate) fn header_str(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}
