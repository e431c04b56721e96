//! Commands about campaign definitions and campaigns: the wizard's check and save, the lists,
//! one campaign's detail, opening, closing and the scheduler's due run, and a campaign's
//! delivery through Entra Access Reviews (publish, sync, what is in Entra).

use recert_app::AppError;
use recert_app::campaigns::dto::{
    CampaignDetailDto, CampaignDto, DecisionTrailDto, DefinitionDto, DefinitionSummaryDto,
    OccurrenceDto, RunDueDto, SincePreviousDto,
};
use recert_app::campaigns::entra::{SyncProgressDto, SyncReport};
use recert_app::campaigns::entra_status::{DeliveryStatusDto, EntraProgressDto};
use recert_app::dto::PullGapDto;
use tauri::State;
use tauri::ipc::Channel;

use crate::Shell;

/// Validates a definition without saving it: per-field errors, or its next four occurrences.
#[tauri::command]
pub fn definition_check(
    shell: State<'_, Shell>,
    definition: DefinitionDto,
) -> Result<Vec<OccurrenceDto>, AppError> {
    shell.acting().definition_check(&definition)
}

/// Previews a definition against the tenant's last pull: items, routing, critical roles.
#[tauri::command]
pub async fn definition_preview(
    shell: State<'_, Shell>,
    definition: DefinitionDto,
) -> Result<recert_app::campaigns::preview::DefinitionPreviewDto, AppError> {
    shell.acting().definition_preview(definition).await
}

#[tauri::command]
pub async fn definition_create(
    shell: State<'_, Shell>,
    definition: DefinitionDto,
) -> Result<DefinitionSummaryDto, AppError> {
    shell.acting().definition_create(definition).await
}

#[tauri::command]
pub async fn definitions(
    shell: State<'_, Shell>,
    tenant_id: Option<String>,
) -> Result<Vec<DefinitionSummaryDto>, AppError> {
    // The window's lists show its tenant's definitions only, whatever it asked.
    match tenant_id.or_else(|| shell.window_tenant()) {
        Some(tenant) => shell.acting().definitions(Some(tenant)).await,
        None => Ok(Vec::new()),
    }
}

/// The campaigns of the window's tenant only (none before it chose one).
#[tauri::command]
pub async fn campaigns(
    shell: State<'_, Shell>,
    definition_id: Option<String>,
) -> Result<Vec<CampaignDto>, AppError> {
    match shell.window_tenant() {
        Some(tenant) => shell.acting().tenant_campaigns(&tenant, definition_id).await,
        None => Ok(Vec::new()),
    }
}

#[tauri::command]
pub async fn campaign(shell: State<'_, Shell>, id: String) -> Result<CampaignDetailDto, AppError> {
    shell.acting().campaign(&id).await
}

#[tauri::command]
pub async fn campaign_open(
    shell: State<'_, Shell>,
    definition_id: String,
    accept_gap: Option<String>,
) -> Result<CampaignDto, AppError> {
    shell.acting().campaign_open_accepting(&definition_id, accept_gap.as_deref()).await
}

/// What the latest pull could not read of a definition's scope: shown before a gap is accepted.
#[tauri::command]
pub async fn campaign_gaps(
    shell: State<'_, Shell>,
    definition_id: String,
) -> Result<Vec<PullGapDto>, AppError> {
    shell.acting().campaign_gaps(&definition_id).await
}

/// What changed since the previous campaign of the same definition.
#[tauri::command]
pub async fn campaign_changes(
    shell: State<'_, Shell>,
    id: String,
) -> Result<Option<SincePreviousDto>, AppError> {
    shell.acting().campaign_changes(&id).await
}

#[tauri::command]
pub async fn campaign_close(
    shell: State<'_, Shell>,
    id: String,
    reason: Option<String>,
) -> Result<CampaignDto, AppError> {
    shell.acting().campaign_close(&id, reason.filter(|r| !r.trim().is_empty())).await
}

/// Moves a multi-stage review to its next stage now (a governance admin; the schedule does it
/// when a stage's days are over).
#[tauri::command]
pub async fn campaign_advance_stage(
    shell: State<'_, Shell>,
    id: String,
) -> Result<CampaignDto, AppError> {
    shell.acting().campaign_advance_stage(&id).await
}

/// Every decision on an item, every stage's, for the reviewer of a later stage.
#[tauri::command]
pub async fn campaign_decisions(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_id: Option<u32>,
) -> Result<Vec<DecisionTrailDto>, AppError> {
    shell.acting().campaign_decisions(&campaign_id, item_id).await
}

#[tauri::command]
pub async fn run_due(shell: State<'_, Shell>) -> Result<RunDueDto, AppError> {
    shell.acting().run_due().await
}

/// Publishes an open campaign to Entra Access Reviews by hand (when its publication at open
/// failed and the schedule has not run since).
#[tauri::command]
pub async fn campaign_publish(shell: State<'_, Shell>, id: String) -> Result<u32, AppError> {
    shell.acting().campaign_publish(&id).await
}

/// Reads the decisions made in Entra Access Reviews and records those new or changed, reporting
/// each review read.
#[tauri::command]
pub async fn campaign_sync(
    shell: State<'_, Shell>,
    id: String,
    on_progress: Channel<SyncProgressDto>,
) -> Result<SyncReport, AppError> {
    let report = move |p: SyncProgressDto| {
        let _ = on_progress.send(p);
    };
    shell.acting().campaign_sync_reporting(&id, false, &report).await
}

/// The campaign's delivery: its reviews in Entra and the items that stay in Recert.
#[tauri::command]
pub async fn campaign_delivery(
    shell: State<'_, Shell>,
    id: String,
) -> Result<DeliveryStatusDto, AppError> {
    shell.acting().campaign_delivery_status(&id).await
}

/// The reviewers Entra contacted for the campaign, with the decisions each made there.
#[tauri::command]
pub async fn campaign_entra_progress(
    shell: State<'_, Shell>,
    id: String,
) -> Result<EntraProgressDto, AppError> {
    shell.acting().campaign_entra_progress(&id).await
}
