//! Commands for updates: what the last look found, and installing it when the person asks.

use recert_app::AppError;
use recert_app::updates::UpdateStatusDto;
use tauri::{AppHandle, State};

use crate::updates::Updates;

#[tauri::command]
pub fn update_status(updates: State<'_, Updates>) -> UpdateStatusDto {
    updates.status()
}

/// Downloads the release found, checks its signature, installs it and restarts into it; a
/// package whose signature does not match is refused and nothing changes.
#[tauri::command]
pub async fn update_install(
    handle: AppHandle,
    updates: State<'_, Updates>,
) -> Result<(), AppError> {
    let version = updates.install().await?;
    tracing::info!(%version, "update installed; restarting");
    handle.restart()
}
