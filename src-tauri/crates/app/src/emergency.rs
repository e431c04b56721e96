//! First run's protection of break-glass accounts: the accounts of a tenant's last pull that look
//! like emergency access (`recert_domain::emergency`), suggested for the protected list with the
//! reason, until a governance admin protects them (the safety settings) or dismisses the
//! suggestion with a reason. Both are settings changes, so both are in the audit log.

use recert_domain::authority::Action;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::remediation::load_safety;
use crate::{App, AppError, ErrorCode};

/// An account suggested for the protected list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProtectionSuggestionDto {
    pub principal_id: String,
    pub display_name: String,
    pub upn: Option<String>,
    /// Why it looks like emergency access, one signal each.
    pub reasons: Vec<String>,
}

/// A suggestion a governance admin dismissed, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dismissed {
    principal_id: String,
    upn: Option<String>,
    reason: String,
}

/// The setting that holds a tenant's dismissed suggestions.
fn dismissed_key(tenant_id: &str) -> String {
    format!("safety.dismissedSuggestions/{tenant_id}")
}

fn dismissed(store: &recert_store::Store, tenant_id: &str) -> Result<Vec<Dismissed>, AppError> {
    Ok(store
        .setting(&dismissed_key(tenant_id))?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

fn suggestions(
    store: &recert_store::Store,
    tenant_id: &str,
) -> Result<Vec<ProtectionSuggestionDto>, AppError> {
    let Some(population) = store.population(tenant_id)? else { return Ok(Vec::new()) };
    let principals = store.principals(tenant_id)?;
    let protected = load_safety(store, tenant_id)?.protected_principals;
    let dismissed: Vec<String> =
        dismissed(store, tenant_id)?.into_iter().map(|d| d.principal_id).collect();
    Ok(recert_domain::emergency::suggestions(
        &principals,
        &population.assignments,
        &protected,
        &dismissed,
    )
    .into_iter()
    .map(|s| ProtectionSuggestionDto {
        principal_id: s.principal_id,
        display_name: s.display_name,
        upn: s.upn,
        reasons: s.reasons,
    })
    .collect())
}

impl App {
    /// The accounts of the tenant's last pull that look like emergency access and are neither
    /// protected nor dismissed yet.
    pub async fn protection_suggestions(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<ProtectionSuggestionDto>, AppError> {
        let tenant = tenant_id.to_string();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            suggestions(store, &tenant)
        })
        .await
    }

    /// A governance admin dismisses the suggestion to protect `principal_id`, saying why (audited
    /// as a settings change); returns the suggestions left.
    pub async fn dismiss_protection_suggestion(
        &self,
        tenant_id: &str,
        principal_id: &str,
        reason: &str,
    ) -> Result<Vec<ProtectionSuggestionDto>, AppError> {
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return Err(AppError::fields(
                "say why this account needs no protection",
                vec![crate::error::FieldErrorDto {
                    field: "reason".into(),
                    message: "say why this account needs no protection".into(),
                }],
            ));
        }
        let (tenant, who) = (tenant_id.to_string(), principal_id.to_string());
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            let acting = app.authorize(store, &tenant, Action::ChangeSafety)?;
            let open = suggestions(store, &tenant)?;
            let Some(found) = open.iter().find(|s| s.principal_id.eq_ignore_ascii_case(&who))
            else {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    format!("{who} is not suggested for protection"),
                ));
            };
            let mut list = dismissed(store, &tenant)?;
            list.push(Dismissed {
                principal_id: found.principal_id.clone(),
                upn: found.upn.clone(),
                reason,
            });
            let json = serde_json::to_string(&list).map_err(|err| {
                AppError::new(ErrorCode::Storage, format!("cannot encode the setting: {err}"))
            })?;
            store.set_setting(&dismissed_key(&tenant), &json, &acting.label, now)?;
            suggestions(store, &tenant)
        })
        .await
    }
}
