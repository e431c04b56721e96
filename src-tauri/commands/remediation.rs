//! Commands for remediation: the preview (grouped by role and person, held items), confirming a
//! held removal or keeping the access with a reason, resolving removals that were not made,
//! applying with progress and cancel, verifying; and a tenant's safety settings. The governance
//! admin who decides is the person acting, never one the window names.

use recert_app::remediation::Resolution;
use recert_app::remediation::dto::{RemediationPlanDto, RemediationProgressDto, SafetyDto};
use recert_app::{AppError, CancellationToken, ErrorCode};
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

/// Confirms held removals (one, or a whole group after the count was typed): all or none.
#[tauri::command]
pub async fn remediation_confirm_held(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_ids: Vec<u32>,
) -> Result<RemediationPlanDto, AppError> {
    shell.acting().remediation_confirm_holds(&campaign_id, item_ids).await
}

#[tauri::command]
pub async fn remediation_keep_held(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_ids: Vec<u32>,
    reason: String,
) -> Result<RemediationPlanDto, AppError> {
    shell.acting().remediation_keep_held(&campaign_id, item_ids, reason).await
}

/// Resolves removals that were not made: `retry`, `replan` or `keep` (with a reason).
#[tauri::command]
pub async fn remediation_resolve(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_ids: Vec<u32>,
    resolution: String,
    reason: Option<String>,
) -> Result<RemediationPlanDto, AppError> {
    let resolution = Resolution::parse(&resolution).ok_or_else(|| {
        AppError::new(ErrorCode::Invalid, format!("{resolution:?} is not retry, replan or keep"))
    })?;
    shell.acting().remediation_resolve(&campaign_id, item_ids, resolution, reason).await
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
pub async fn remediation_safety(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<SafetyDto, AppError> {
    shell.acting().remediation_safety(&tenant_id).await
}

#[tauri::command]
pub async fn set_remediation_safety(
    shell: State<'_, Shell>,
    tenant_id: String,
    safety: SafetyDto,
) -> Result<(), AppError> {
    shell.acting().set_remediation_safety(&tenant_id, safety).await
}

/// Accounts of the tenant's last pull that look like emergency access, suggested for the
/// protected list with why.
#[tauri::command]
pub async fn protection_suggestions(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<Vec<recert_app::ProtectionSuggestionDto>, AppError> {
    shell.acting().protection_suggestions(&tenant_id).await
}

/// Dismisses a protection suggestion with a reason (a governance admin; audited).
#[tauri::command]
pub async fn dismiss_protection_suggestion(
    shell: State<'_, Shell>,
    tenant_id: String,
    principal_id: String,
    reason: String,
) -> Result<Vec<recert_app::ProtectionSuggestionDto>, AppError> {
    shell.acting().dismiss_protection_suggestion(&tenant_id, &principal_id, &reason).await
}
