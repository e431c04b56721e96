//! Evidence: the campaign's binder built from the store (as of an export's moment), written as
//! PDF, CSV and JSON, and verified later against the database, the audit chain and the files.
//!
//! `binder` assembles the binder from the store as of an audit cut, with `replay` (the
//! remediation log and exceptions as the audit events tell them), `timeliness`, `settings` and
//! `findings`; `export` writes its files; `verify` re-checks them against the database or alone.

mod binder;
mod dto;
mod export;
mod findings;
mod replay;
mod settings;
mod timeliness;
mod verify;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub(crate) use binder::build_binder;
pub use dto::{EvidenceExportDto, EvidencePaths, ExportedFileDto, VerifyCheckDto, VerifyReportDto};
pub use verify::verify_binder;

use crate::{AppError, ErrorCode};

/// Times in evidence: to the second, in UTC, labelled.
pub(crate) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn opt(t: Option<DateTime<Utc>>) -> String {
    t.map(utc).unwrap_or_default()
}

pub(crate) const GENERATOR: &str = concat!("Recert ", env!("CARGO_PKG_VERSION"));

/// The decision history and the remediation log are written beside the decisions CSV.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "decisions".into());
    path.with_file_name(format!("{stem}-{suffix}.csv"))
}

fn read(path: &Path) -> Result<Vec<u8>, AppError> {
    std::fs::read(path).map_err(|err| {
        AppError::new(ErrorCode::Invalid, format!("cannot read {}: {err}", path.display()))
    })
}
