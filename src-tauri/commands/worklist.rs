//! Commands for reviewing: worklist pages, decisions (one or many), returning items to undecided
//! and accepting recommendations, made by the person acting on the campaign's tenant — never by
//! one the window names — and the tenant's canned justifications offered in the decision note.

use recert_app::campaigns::dto::{
    AcceptPreviewDto, DecisionResultDto, WorklistPageDto, WorklistQueryDto,
};
use recert_app::{AppError, ErrorCode, Verdict};
use tauri::State;

use crate::Shell;

#[tauri::command]
pub async fn worklist(
    shell: State<'_, Shell>,
    campaign_id: String,
    query: WorklistQueryDto,
) -> Result<WorklistPageDto, AppError> {
    shell.acting().worklist(&campaign_id, query).await
}

#[tauri::command]
pub async fn decide(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_ids: Vec<u32>,
    verdict: String,
    justification: String,
) -> Result<DecisionResultDto, AppError> {
    let verdict = Verdict::parse(&verdict).ok_or_else(|| {
        AppError::new(ErrorCode::Invalid, format!("{verdict:?} is not a decision (approve, deny, dontKnow, convertToEligible, approveUntil:YYYY-MM-DD)"))
    })?;
    shell
        .acting()
        .decide(&campaign_id, item_ids, verdict, justification, recert_app::DecisionSource::Window)
        .await
}

/// Returns items to undecided: the acting person's decision on each (or, for a governance admin,
/// the one made for a reviewer) is taken back while the campaign is open.
#[tauri::command]
pub async fn withdraw_decisions(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_ids: Vec<u32>,
    justification: String,
) -> Result<DecisionResultDto, AppError> {
    shell
        .acting()
        .withdraw(&campaign_id, item_ids, justification, recert_app::DecisionSource::Window)
        .await
}

/// More facts about one item for the detail pane (last sign-in, who else holds the role).
#[tauri::command]
pub async fn item_facts(
    shell: State<'_, Shell>,
    campaign_id: String,
    item_id: u32,
) -> Result<recert_app::campaigns::ItemFactsDto, AppError> {
    shell.acting().item_facts(&campaign_id, item_id).await
}

/// What accepting the recommendations would decide, per role, before the reviewer confirms.
#[tauri::command]
pub async fn accept_preview(
    shell: State<'_, Shell>,
    campaign_id: String,
    query: WorklistQueryDto,
) -> Result<AcceptPreviewDto, AppError> {
    shell.acting().accept_preview(&campaign_id, query).await
}

#[tauri::command]
pub async fn accept_recommendations(
    shell: State<'_, Shell>,
    campaign_id: String,
    query: WorklistQueryDto,
) -> Result<DecisionResultDto, AppError> {
    shell.acting().accept_recommendations(&campaign_id, query).await
}

/// The tenant's canned justifications, offered in the decision note.
#[tauri::command]
pub async fn justification_presets(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<Vec<String>, AppError> {
    shell.acting().justification_presets(&tenant_id).await
}

/// Replaces the tenant's canned justifications (a governance admin; audited); the list as saved.
#[tauri::command]
pub async fn set_justification_presets(
    shell: State<'_, Shell>,
    tenant_id: String,
    presets: Vec<String>,
) -> Result<Vec<String>, AppError> {
    shell.acting().set_justification_presets(&tenant_id, presets).await
}
