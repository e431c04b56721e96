//! Commands for reviewing: worklist pages, decisions (one or many), accepting recommendations,
//! and the demo tenant's "act as" identity.

use recert_app::campaigns::dto::{
    DecisionResultDto, IdentityDto, WorklistPageDto, WorklistQueryDto,
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
    identity: IdentityDto,
) -> Result<DecisionResultDto, AppError> {
    let verdict = Verdict::parse(&verdict).ok_or_else(|| {
        AppError::new(ErrorCode::Invalid, format!("{verdict:?} is not approve or deny"))
    })?;
    shell.acting().decide(&campaign_id, item_ids, verdict, justification, identity, "window").await
}

#[tauri::command]
pub async fn accept_recommendations(
    shell: State<'_, Shell>,
    campaign_id: String,
    query: WorklistQueryDto,
    identity: IdentityDto,
) -> Result<DecisionResultDto, AppError> {
    shell.acting().accept_recommendations(&campaign_id, query, identity).await
}

/// A demo tenant user's identity, to act as them; refused for real tenants.
#[tauri::command]
pub async fn demo_identity(
    shell: State<'_, Shell>,
    tenant_id: String,
    upn: String,
) -> Result<IdentityDto, AppError> {
    let identity = shell.acting().demo_identity(&tenant_id, &upn).await?;
    shell.set_person(Some(identity.upn.clone()));
    Ok(identity)
}
