//! Commands for the evidence binder: export it (PDF, CSV, JSON) into the campaign's evidence
//! folder under the data directory, and verify what is there.

use recert_app::evidence::{EvidenceExportDto, EvidencePaths, VerifyReportDto};
use recert_app::{AppError, ErrorCode};
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

/// Shows the campaign's evidence folder in the system's file manager. The folder is worked out
/// here from the campaign id, never taken from the window, so nothing else can be opened.
#[tauri::command]
pub async fn evidence_open_folder(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<(), AppError> {
    let paths = shell.evidence_paths(&campaign_id, [true, false, false]);
    let folder = paths.pdf.as_deref().and_then(std::path::Path::parent).ok_or_else(|| {
        AppError::new(ErrorCode::NotFound, "this campaign has no evidence folder yet")
    })?;
    if !folder.is_dir() {
        return Err(AppError::new(
            ErrorCode::NotFound,
            "nothing has been exported for this campaign yet: export first",
        ));
    }
    open::that_detached(folder).map_err(|err| {
        AppError::new(
            ErrorCode::Invalid,
            format!("cannot open {} in the file manager: {err}", folder.display()),
        )
    })
}
