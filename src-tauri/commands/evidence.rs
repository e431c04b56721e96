//! Commands for the evidence binder: export it (PDF, CSV, JSON) into the campaign's evidence
//! folder under the data directory, and verify what is there.

use recert_app::AppError;
use recert_app::evidence::{EvidenceExportDto, EvidencePaths, VerifyReportDto};
use tauri::State;

use crate::Shell;

#[tauri::command]
pub async fn evidence_export(
    shell: State<'_, Shell>,
    campaign_id: String,
    pdf: bool,
    csv: bool,
    json: bool,
) -> Result<EvidenceExportDto, AppError> {
    let paths = shell.evidence_paths(&campaign_id, [pdf, csv, json]);
    shell.acting().evidence_export(&campaign_id, paths).await
}

/// Verifies the audit chain, the snapshot and whichever exported files are in the folder.
#[tauri::command]
pub async fn evidence_verify(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<VerifyReportDto, AppError> {
    let all = shell.evidence_paths(&campaign_id, [true; 3]);
    let paths = EvidencePaths {
        pdf: all.pdf.filter(|p| p.exists()),
        csv: all.csv.filter(|p| p.exists()),
        json: all.json.filter(|p| p.exists()),
    };
    shell.acting().verify(&campaign_id, paths).await
}
