//! Recert's evidence exports. Today: the population summary PDF; the campaign binder grows here.
//!
//! Rendering is deterministic: the same input gives the same bytes, so an export can be hashed
//! and re-checked later.

mod pdf;

pub use pdf::population_pdf;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("cannot load the embedded font {name}: {message}")]
    Font { name: &'static str, message: String },
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
