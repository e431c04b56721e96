//! Commands about tenants and their pulled populations.

use recert_app::AppError;
use recert_app::dto::{PullDto, RoleSummaryDto, TenantDto};
use tauri::State;

use crate::Shell;

/// The demo tenant, once it is connected and its first pull is stored.
#[tauri::command]
pub async fn demo_tenant(shell: State<'_, Shell>) -> Result<TenantDto, AppError> {
    shell.demo.ready().await
}

#[tauri::command]
pub async fn tenant_pull(shell: State<'_, Shell>, tenant_id: String) -> Result<PullDto, AppError> {
    shell.app.pull(&tenant_id).await
}

#[tauri::command]
pub async fn role_summary(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<RoleSummaryDto, AppError> {
    shell.app.role_summary(&tenant_id).await
}
