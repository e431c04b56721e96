//! The evidence DTOs that cross IPC: what an export wrote and what `verify` found, and the
//! files a caller names.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

/// Where each export was written and its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExportedFileDto {
    pub name: String,
    pub path: String,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EvidenceExportDto {
    pub campaign_id: String,
    pub generated_at: String,
    pub evidence_hash: String,
    pub items: u32,
    pub files: Vec<ExportedFileDto>,
    /// The audit chain's head the binder was cut at: `verify --expect-head` takes it.
    pub audit_head: String,
    /// The fingerprint of the key that signed the PDF's seal, when a PDF was written.
    pub signing_key: Option<String>,
}

/// One check of `verify`, with what it found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerifyCheckDto {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerifyReportDto {
    pub campaign_id: String,
    pub ok: bool,
    pub checks: Vec<VerifyCheckDto>,
}

/// The files a caller wants written or checked.
#[derive(Clone, Debug, Default)]
pub struct EvidencePaths {
    pub pdf: Option<PathBuf>,
    /// Decisions; the decision history and the remediation log go beside it.
    pub csv: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

impl EvidencePaths {
    /// A campaign's evidence files in the data directory, those asked for in `[pdf, csv, json]`
    /// order: `evidence/<campaign>/binder.pdf`, `decisions.csv` and `binder.json`, the names the
    /// binder gives its attachments, for the window and the command line alike.
    pub fn in_data_dir(data_dir: &Path, campaign_id: &str, wanted: [bool; 3]) -> EvidencePaths {
        // A campaign id is ours, but a folder name must never climb out of `evidence/`.
        let safe: String = campaign_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        let dir = data_dir.join("evidence").join(safe);
        let [pdf, csv, json] = wanted;
        EvidencePaths {
            pdf: pdf.then(|| dir.join("binder.pdf")),
            csv: csv.then(|| dir.join("decisions.csv")),
            json: json.then(|| dir.join("binder.json")),
        }
    }
}
