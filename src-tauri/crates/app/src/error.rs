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
    /// The service answered with something Recert cannot use.
    BadResponse,
    /// The local database failed or is not usable by this version.
    Storage,
    /// Writing an export failed.
    Export,
    /// The caller's input is not valid.
    Invalid,
}

/// `{ code, message }` as the UI receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError { code, message: message.into() }
    }
}

impl From<recert_store::StoreError> for AppError {
    fn from(err: recert_store::StoreError) -> AppError {
        match err {
            recert_store::StoreError::NoSuchTenant(_) => {
                AppError::new(ErrorCode::TenantNotFound, err.to_string())
            }
            other => AppError::new(ErrorCode::Storage, other.to_string()),
        }
    }
}

impl From<recert_graph::GraphError> for AppError {
    fn from(err: recert_graph::GraphError) -> AppError {
        use recert_graph::GraphError as G;
        let code = match &err {
            G::Auth(_) => ErrorCode::SignInFailed,
            G::Service { status: 401, .. } => ErrorCode::SignInFailed,
            G::Service { status: 403, .. } => ErrorCode::PermissionDenied,
            G::Malformed { .. } => ErrorCode::BadResponse,
            G::Service { .. } => ErrorCode::BadResponse,
            G::Unreachable { .. } | G::RetriesExhausted { .. } | G::Cancelled => {
                ErrorCode::Unreachable
            }
        };
        AppError::new(code, err.to_string())
    }
}

impl From<recert_evidence::EvidenceError> for AppError {
    fn from(err: recert_evidence::EvidenceError) -> AppError {
        AppError::new(ErrorCode::Export, err.to_string())
    }
}
