//! Commands for the audit log viewer: filtered pages, the kinds of event, the chain's status.

use recert_app::AppError;
use recert_app::dto::{AuditChainDto, AuditPageDto, AuditQueryDto};
use tauri::State;

use crate::Shell;

#[tauri::command]
pub async fn audit_log(
    shell: State<'_, Shell>,
    query: AuditQueryDto,
) -> Result<AuditPageDto, AppError> {
    shell.acting().audit_log(query).await
}

#[tauri::command]
pub async fn audit_kinds(shell: State<'_, Shell>) -> Result<Vec<String>, AppError> {
    shell.acting().audit_kinds().await
}

#[tauri::command]
pub async fn audit_chain(shell: State<'_, Shell>) -> Result<AuditChainDto, AppError> {
    shell.acting().audit_chain().await
}
