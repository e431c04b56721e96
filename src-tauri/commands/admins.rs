//! Commands for a tenant's governance admins: the list, adding and removing one (an admin's
//! decision, refused otherwise), and bootstrapping the first from Entra by the person signed in.

use recert_app::AppError;
use recert_app::dto::AdminDto;
use tauri::State;

use crate::Shell;

#[tauri::command]
pub async fn admins(shell: State<'_, Shell>, tenant_id: String) -> Result<Vec<AdminDto>, AppError> {
    shell.acting().admins(&tenant_id).await
}

#[tauri::command]
pub async fn admin_add(
    shell: State<'_, Shell>,
    tenant_id: String,
    upn: String,
) -> Result<Vec<AdminDto>, AppError> {
    shell.acting().add_admin(&tenant_id, &upn).await
}

#[tauri::command]
pub async fn admin_remove(
    shell: State<'_, Shell>,
    tenant_id: String,
    principal_id: String,
) -> Result<Vec<AdminDto>, AppError> {
    shell.acting().remove_admin(&tenant_id, &principal_id).await
}

/// Makes the person acting the tenant's first admin, when Entra says they hold a governing role.
#[tauri::command]
pub async fn admin_bootstrap(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<Vec<AdminDto>, AppError> {
    shell.acting().bootstrap_admin(&tenant_id).await
}
