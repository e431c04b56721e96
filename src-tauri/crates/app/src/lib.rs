//! Recert's use cases: the single API that the window (through thin Tauri commands), the CLI and
//! the tests call. It owns the mapping from domain values to the DTOs that cross IPC and from
//! each crate's errors to coded [`AppError`]s.
//!
//! Architecture invariant: nothing here knows about Tauri; the shell adapts these functions.

mod audit;
mod authority;
mod binder_context;
pub mod campaigns;
mod capture;
mod context;
pub mod dto;
mod emergency;
mod error;
pub mod evidence;
mod exceptions;
mod justifications;
mod pdf_record;
mod people;
mod population;
mod record;
pub mod remediation;
mod sample;
mod saved;
mod signing;
mod signoff;
mod store_thread;
mod tenants;
pub mod updates;

pub use capture::CapturedPage;
pub use context::{App, Clock, TOKEN_FILE, TenantAuth, TenantConnection};
pub use emergency::ProtectionSuggestionDto;
pub use error::{AppError, ErrorCode};
pub use people::PersonDto;
pub use recert_domain::review::{DecisionSource, Verdict};
pub use recert_graph::{CancellationToken, Cloud};
pub use saved::{CampaignEvidenceDto, ExportRecordDto, SavedEvidenceDto};
