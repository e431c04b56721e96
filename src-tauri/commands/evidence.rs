//! Commands for the evidence binder: export it (PDF, CSV, JSON) into the campaign's evidence
//! folder under the data directory, and verify what is there.

use recert_app::dto::{
    ExceptionDto, ExceptionTermsDto, SampleDto, SignOffCapacityDto, SignOffStatusDto,
};
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
    // Not a field error: the message says what failed and what to do instead.
    open::that_detached(folder).map_err(|err| {
        let what = if err.kind() == std::io::ErrorKind::NotFound {
            "no file manager is installed".to_string()
        } else {
            format!("the file manager did not start ({err})")
        };
        AppError::new(
            ErrorCode::Invalid,
            format!("{what}: copy the path {} instead", folder.display()),
        )
    })
}

/// The campaign's evidence folder and every export of it, newest first.
#[tauri::command]
pub async fn campaign_evidence(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<recert_app::CampaignEvidenceDto, AppError> {
    let paths = shell.evidence_paths(&campaign_id, [true, false, false]);
    let folder =
        paths.pdf.as_deref().and_then(std::path::Path::parent).map(std::path::Path::to_path_buf);
    let folder = folder.ok_or_else(|| {
        AppError::new(ErrorCode::NotFound, "this campaign has no evidence folder")
    })?;
    shell.acting().campaign_evidence(&campaign_id, folder).await
}

/// Saves a copy of the campaign's evidence folder into `folder`, as it is or as one zip. The
/// source is worked out here from the campaign id; the destination is the person's choice.
#[tauri::command]
pub async fn evidence_save_copy(
    shell: State<'_, Shell>,
    campaign_id: String,
    folder: String,
    zip: bool,
) -> Result<recert_app::SavedEvidenceDto, AppError> {
    let paths = shell.evidence_paths(&campaign_id, [true, false, false]);
    let source =
        paths.pdf.as_deref().and_then(std::path::Path::parent).map(std::path::Path::to_path_buf);
    let source = source.ok_or_else(|| {
        AppError::new(ErrorCode::NotFound, "this campaign has no evidence folder yet")
    })?;
    shell.acting().evidence_save_copy(&campaign_id, source, folder.into(), zip).await
}

/// The campaign's binder version, its sign-offs and corrections.
#[tauri::command]
pub async fn sign_off_status(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<SignOffStatusDto, AppError> {
    shell.acting().sign_off_status(&campaign_id).await
}

/// Signs the closed campaign's binder as the person acting now, who must have signed in within
/// five minutes (`freshSignInRequired` otherwise: the window signs them in and asks again).
#[tauri::command]
pub async fn sign_off(
    shell: State<'_, Shell>,
    campaign_id: String,
    capacity: SignOffCapacityDto,
) -> Result<SignOffStatusDto, AppError> {
    shell.acting().sign_off(&campaign_id, capacity).await
}

/// Records a correction to a campaign's record (a new binder version after a sign-off).
#[tauri::command]
pub async fn correct_campaign(
    shell: State<'_, Shell>,
    campaign_id: String,
    note: String,
) -> Result<SignOffStatusDto, AppError> {
    shell.acting().correct_campaign(&campaign_id, &note).await
}

/// The campaign's exceptions register.
#[tauri::command]
pub async fn exceptions(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<Vec<ExceptionDto>, AppError> {
    shell.acting().exceptions(&campaign_id).await
}

/// Records an exception's owner, expiry and compensating control.
#[tauri::command]
pub async fn register_exception(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_id: u32,
    terms: ExceptionTermsDto,
) -> Result<Vec<ExceptionDto>, AppError> {
    shell.acting().register_exception(&campaign_id, item_id, terms).await
}

/// Draws the auditor's sample (with `seed` when given, else a new one) and writes its trace
/// sheets into the campaign's evidence folder.
#[tauri::command]
pub async fn evidence_sample(
    shell: State<'_, Shell>,
    campaign_id: String,
    size: u32,
    seed: Option<String>,
) -> Result<SampleDto, AppError> {
    let seed = match seed.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            AppError::new(
                ErrorCode::Invalid,
                "the seed is a whole number, as printed with a sample",
            )
        })?),
        None => None,
    };
    let folder = shell
        .evidence_paths(&campaign_id, [true, false, false])
        .pdf
        .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
        .ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "this campaign has no evidence folder")
        })?;
    let app = shell.acting();
    // The file is named after the seed, which is only known once drawn when none is given.
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1)
    });
    let pdf = folder.join(format!("sample-{seed}.pdf"));
    app.evidence_sample(&campaign_id, size, Some(seed), pdf).await
}
