//! The admin surface (`{base}/_admin`): read and change fault knobs at run time, read the mutation log,
//! the access reviews' decision items and the mail sent, and record a reviewer's decision.
//! Unauthenticated on purpose — the server only listens on 127.0.0.1.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::faults::Faults;
use crate::rng::Rng;
use crate::server::AppState;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/faults", get(get_faults).put(put_faults).delete(clear_faults))
        .route("/mutations", get(mutations))
        .route("/accessReviews", get(access_reviews))
        .route("/accessReviews/decisions/{id}", axum::routing::post(decide))
        .route("/mail", get(mail))
        .with_state(state)
}

async fn get_faults(State(state): State<Arc<AppState>>) -> Response {
    Json(state.faults.lock().map(|f| f.clone()).unwrap_or_default()).into_response()
}

/// Replaces the knobs; fields left out take their defaults (so `{}` clears every fault).
async fn put_faults(State(state): State<Arc<AppState>>, body: String) -> Response {
    let faults: Faults = match serde_json::from_str(&body) {
        Ok(f) => f,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": { "code": "BadRequest", "message": e.to_string() } })),
            )
                .into_response();
        }
    };
    if let Err(m) = faults.validate() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": { "code": "BadRequest", "message": m } })),
        )
            .into_response();
    }
    if let Ok(mut rng) = state.fault_rng.lock() {
        *rng = Rng::new(faults.seed);
    }
    if let Ok(mut f) = state.faults.lock() {
        *f = faults.clone();
    }
    Json(faults).into_response()
}

async fn clear_faults(State(state): State<Arc<AppState>>) -> Response {
    if let Ok(mut f) = state.faults.lock() {
        *f = Faults::default();
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn mutations(State(state): State<Arc<AppState>>) -> Response {
    let log = state.log.lock().map(|l| l.clone()).unwrap_or_default();
    Json(Value::Array(log.iter().filter_map(|r| serde_json::to_value(r).ok()).collect()))
        .into_response()
}

/// Every decision item with the reviewers who may decide it.
async fn access_reviews(State(state): State<Arc<AppState>>) -> Response {
    Json(Value::Array(state.reviews().all_decisions())).into_response()
}

/// Records a decision as the reviewer named in the body:
/// `{"reviewer": id or UPN, "decision": "Approve"|"Deny"|"DontKnow"|"NotReviewed", "justification"}`
/// (`NotReviewed` resets the reviewer's decision).
async fn decide(
    State(state): State<Arc<AppState>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    crate::graph::decide(&state, &id, &text("reviewer"), &text("decision"), &text("justification"))
}

/// Every message sent through `users/{id}/sendMail`.
async fn mail(State(state): State<Arc<AppState>>) -> Response {
    Json(Value::Array(state.reviews().mail.clone())).into_response()
}
