//! Commands about tenants and their pulled populations.

use recert_app::dto::{PullDto, PullProgressDto, RoleSummaryDto, TenantDto};
use recert_app::{AppError, CancellationToken};
use tauri::State;
use tauri::ipc::Channel;

use crate::Shell;

/// The demo tenant, once it is connected and its first pull is stored.
#[tauri::command]
pub async fn demo_tenant(shell: State<'_, Shell>) -> Result<TenantDto, AppError> {
    shell.demo.ready().await
}

/// Pulls the tenant again, reporting progress on `on_progress` as partitions finish.
#[tauri::command]
pub async fn tenant_pull(
    shell: State<'_, Shell>,
    tenant_id: String,
    on_progress: Channel<PullProgressDto>,
) -> Result<PullDto, AppError> {
    let report = move |p: PullProgressDto| {
        // A closed window cannot take progress any more; the pull itself goes on.
        let _ = on_progress.send(p);
    };
    shell.app.pull_with_progress(&tenant_id, &report, CancellationToken::new()).await
}

#[tauri::command]
pub async fn role_summary(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<RoleSummaryDto, AppError> {
    shell.app.role_summary(&tenant_id).await
}
