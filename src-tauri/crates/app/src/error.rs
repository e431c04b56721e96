//! Coded errors for every caller: the UI branches on [`ErrorCode`], the CLI prints the message.

use serde::Serialize;
use ts_rs::TS;

/// What went wrong, in terms a caller can act on. Add a variant only when a caller uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ErrorCode {
    /// The named tenant is not connected or not known.
    TenantNotFound,
    /// The tenant has not been pulled yet.
    NotPulled,
    /// Signing in failed or the sign-in expired.
    SignInFailed,
    /// The signed-in identity lacks a permission or directory role.
    PermissionDenied,
    /// Microsoft's service could not be reached or kept failing.
    Unreachable,
    /// The tenant lacks the licence a feature needs (PIM needs Entra ID P2 or ID Governance).
    NotLicensed,
    /// The caller cancelled a long operation (a pull).
    Cancelled,
    /// The service answered with something Recert cannot use.
    BadResponse,
    /// The local database failed or is not usable by this version.
    Storage,
    /// Writing an export failed.
    Export,
    /// The caller's input is not valid; `fields` says where.
    Invalid,
    /// A campaign, definition or item does not exist.
    NotFound,
    /// The request does not fit the current state (e.g. deciding in a closed campaign).
    Conflict,
    /// The identity may not do this (e.g. decide an item it does not review).
    Forbidden,
    /// The pull could not read part of a campaign's scope: narrow the scope, or have a governance
    /// admin accept the gap with a reason (`campaign_gaps` lists them).
    GapNotAccepted,
    /// An update was refused or could not be installed (its signature does not match the release
    /// key, say): the version installed is unchanged.
    UpdateNotInstalled,
    /// A sign-off needs a sign-in of the last five minutes: the window offers one, then retries.
    FreshSignInRequired,
    /// Recert itself failed, not the caller's input: the window takes a rejection that is no
    /// `AppError` (arguments Tauri could not decode, a command the backend does not know) as this.
    Internal,
}

/// One invalid field of a form, for inline messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FieldErrorDto {
    pub field: String,
    pub message: String,
}

/// `{ code, message }` as the UI receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// Empty unless `code` is `invalid` and the problem is in a form's fields.
    pub fields: Vec<FieldErrorDto>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError { code, message: message.into(), fields: Vec::new() }
    }

    /// An `invalid` error listing each field's problem.
    pub fn fields(message: impl Into<String>, fields: Vec<FieldErrorDto>) -> AppError {
        AppError { code: ErrorCode::Invalid, message: message.into(), fields }
    }
}

impl From<recert_store::StoreError> for AppError {
    fn from(err: recert_store::StoreError) -> AppError {
        use recert_store::StoreError as S;
        let code = match &err {
            S::NoSuchTenant(_) => ErrorCode::TenantNotFound,
            S::NotFound { .. } => ErrorCode::NotFound,
            S::Transition(_) | S::Conflict(_) => ErrorCode::Conflict,
            _ => ErrorCode::Storage,
        };
        AppError::new(code, err.to_string())
    }
}

/// The code a Graph failure takes, for callers that keep the error beside more words.
pub(crate) fn graph_code(err: &recert_graph::GraphError) -> ErrorCode {
    use recert_graph::GraphError as G;
    match err {
        G::Auth(_) | G::SignInRequired(_) => ErrorCode::SignInFailed,
        G::Service { status: 401, .. } => ErrorCode::SignInFailed,
        G::Service { status: 403, .. } | G::PermissionMissing { .. } => ErrorCode::PermissionDenied,
        G::NotLicensed { .. } => ErrorCode::NotLicensed,
        G::Malformed { .. } | G::Paging { .. } => ErrorCode::BadResponse,
        G::Service { .. } => ErrorCode::BadResponse,
        G::Cancelled => ErrorCode::Cancelled,
        G::Unreachable { .. } | G::RetriesExhausted { .. } => ErrorCode::Unreachable,
    }
}

impl From<recert_graph::GraphError> for AppError {
    fn from(err: recert_graph::GraphError) -> AppError {
        AppError::new(graph_code(&err), err.to_string())
    }
}

impl From<recert_evidence::EvidenceError> for AppError {
    fn from(err: recert_evidence::EvidenceError) -> AppError {
        AppError::new(ErrorCode::Export, err.to_string())
    }
}
