//! Commands for remediation: the preview (grouped by role and person, held items), confirming a
//! held removal by name or keeping the access with a reason, applying with progress and cancel,
//! verifying; and the safety settings.

use recert_app::campaigns::dto::IdentityDto;
use recert_app::remediation::dto::{RemediationPlanDto, RemediationProgressDto, SafetyDto};
use recert_app::{AppError, CancellationToken};
use tauri::State;
use tauri::ipc::Channel;

use crate::Shell;

#[tauri::command]
pub async fn remediation_plan(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<RemediationPlanDto, AppError> {
    shell.acting().remediation_plan(&campaign_id).await
}

#[tauri::command]
pub async fn remediation_confirm_held(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_id: u32,
    identity: IdentityDto,
) -> Result<RemediationPlanDto, AppError> {
    shell.acting().remediation_confirm_held(&campaign_id, item_id, identity).await
}

#[tauri::command]
pub async fn remediation_keep_held(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_ids: Vec<u32>,
    identity: IdentityDto,
    reason: String,
) -> Result<RemediationPlanDto, AppError> {
    shell.acting().remediation_keep_held(&campaign_id, item_ids, identity, reason).await
}

/// Applies the plan, reporting each finished action; `remediation_cancel` stops it between
/// requests (the journal keeps what was done).
#[tauri::command]
pub async fn remediation_apply(
    shell: State<'_, Shell>,
    campaign_id: String,
    on_progress: Channel<RemediationProgressDto>,
) -> Result<RemediationPlanDto, AppError> {
    let cancel = CancellationToken::new();
    shell.running(&campaign_id, Some(cancel.clone()));
    let report = move |p: RemediationProgressDto| {
        let _ = on_progress.send(p);
    };
    let result = shell.acting().remediation_apply(&campaign_id, &report, cancel).await;
    shell.running(&campaign_id, None);
    result
}

#[tauri::command]
pub fn remediation_cancel(shell: State<'_, Shell>, campaign_id: String) {
    if let Some(cancel) = shell.running(&campaign_id, None) {
        cancel.cancel();
    }
}

#[tauri::command]
pub async fn remediation_verify(
    shell: State<'_, Shell>,
    campaign_id: String,
) -> Result<RemediationPlanDto, AppError> {
    shell.acting().remediation_verify(&campaign_id).await
}

#[tauri::command]
pub async fn remediation_safety(shell: State<'_, Shell>) -> Result<SafetyDto, AppError> {
    shell.acting().remediation_safety().await
}

#[tauri::command]
pub async fn set_remediation_safety(
    shell: State<'_, Shell>,
    safety: SafetyDto,
) -> Result<(), AppError> {
    shell.acting().set_remediation_safety(safety).await
}
