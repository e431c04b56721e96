//! Recert's evidence exports: the campaign binder (PDF), its CSVs and JSON, the evidence hash
//! that ties them together, and re-checking exports later; plus the population summary PDF.
//!
//! Rendering is deterministic: the same input gives the same bytes, so an export can be hashed
//! and re-checked years later by rendering it again.
//!
//! `write_all` streams every export to its own writer, hashing each on the way, so a large
//! campaign's files (the JSON of 100,000 items is over 100 MB) are never all in memory at once;
//! `render_all` gives them as bytes, for tests and small binders.

mod binder;
mod canvas;
mod context;
mod fonts;
mod layout;
pub mod model;
mod pdf;
mod pdfa;
mod read;
mod register;
pub mod seal;
mod signoffs;
mod tables;
pub mod trace;
mod verify;

pub use binder::binder_pdf;
pub use pdf::population_pdf;
pub use read::{BinderCheck, BinderFile, check_binder, read_binder, verify_pdf_record};
pub use register::{EXCEPTION_COLUMNS, EXCEPTIONS_CSV, exceptions_csv};
pub use tables::{
    BINDER_JSON, BINDER_PDF, DECISION_COLUMNS, DECISIONS_CSV, FORMAT, HISTORY_COLUMNS, HISTORY_CSV,
    POPULATION_INDEX, POPULATION_PAGES, REMEDIATION_COLUMNS, REMEDIATION_CSV, SEAL_JSON,
    binder_json, decision_history_csv, decisions_csv, evidence_hash, remediation_csv,
};
pub use trace::{SourcePage, TraceSample, TraceSheet, trace_pdf};
pub use verify::{
    Attachment, AttachmentWriter, ExportFile, Exports, Mismatch, PdfOptions, Rendered, Signer,
    Sinks, Written, WrittenFile, render_all, verify_exports, verify_exports_with, write_all,
    write_all_with,
};

/// The binder PDF's layout version, recorded with each export. The same Binder drawn by the
/// same version gives the same bytes, so `verify` re-renders a PDF of this version and compares;
/// a PDF drawn by another version is checked by its seal and record instead. Bump it whenever
/// the PDF drawn for a Binder changes: a layout change shows as a change to the binder test's
/// expected text (`tests/expected/`), and a review of that change is where the bump belongs.
pub const RENDERER: &str = "recert-binder-pdf/2";

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("cannot load the embedded font {name}: {message}")]
    Font { name: &'static str, message: String },
    #[error("cannot write the PDF: {0}")]
    Write(String),
    #[error("cannot write {file}: {message}")]
    Io { file: &'static str, message: String },
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
