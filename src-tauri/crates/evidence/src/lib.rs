//! Recert's evidence exports: the campaign binder (PDF), its CSVs and JSON, the evidence hash
//! that ties them together, and re-checking exports later; plus the population summary PDF.
//!
//! Rendering is deterministic: the same input gives the same bytes, so an export can be hashed
//! and re-checked years later by rendering it again.

mod binder;
mod canvas;
mod fonts;
mod layout;
pub mod model;
mod pdf;
mod tables;
mod verify;

pub use binder::binder_pdf;
pub use pdf::population_pdf;
pub use tables::{
    BINDER_JSON, BINDER_PDF, DECISION_COLUMNS, DECISIONS_CSV, FORMAT, HISTORY_COLUMNS, HISTORY_CSV,
    REMEDIATION_COLUMNS, REMEDIATION_CSV, binder_json, decision_history_csv, decisions_csv,
    evidence_hash, remediation_csv,
};
pub use verify::{ExportFile, Exports, Mismatch, Rendered, render_all, verify_exports};

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("cannot load the embedded font {name}: {message}")]
    Font { name: &'static str, message: String },
    #[error("cannot write the PDF: {0}")]
    Write(String),
}

/// One row of the population table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRow {
    pub role: String,
    pub eligible: u32,
    pub active: u32,
}

/// What the population summary shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationReport {
    pub tenant_name: String,
    pub tenant_guid: String,
    pub pulled_at: String,
    pub generated_at: String,
    pub raw_sha256: String,
    pub generator: String,
    pub rows: Vec<RoleRow>,
}
