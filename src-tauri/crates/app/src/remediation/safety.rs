//! The tenant's safety interlocks (protected principals, critical roles with their minimum
//! holders): read with their defaults, checked and saved by a governance admin.

use recert_domain::authority::Action;
use recert_domain::remediation::{CriticalRole, Safety};
use recert_store::Store;

use super::dto::{CriticalRoleDto, SafetyDto};
use super::holds::keep_reason;
use super::storage;
use crate::error::FieldErrorDto;
use crate::{App, AppError, ErrorCode};

/// The setting that held [`SafetyDto`] for every tenant before it was kept per tenant: a tenant
/// without its own still reads it.
const SAFETY: &str = "remediation.safety";

/// The setting that holds a tenant's [`SafetyDto`].
fn safety_key(tenant_id: &str) -> String {
    format!("{SAFETY}/{tenant_id}")
}

pub(super) fn safety_from(dto: &SafetyDto) -> Safety {
    Safety {
        protected: dto.protected_principals.clone(),
        critical_roles: dto
            .critical_roles
            .iter()
            .map(|c| CriticalRole {
                role_id: c.role_id.clone(),
                name: c.name.clone(),
                minimum: c.minimum_holders,
            })
            .collect(),
    }
}

fn safety_dto(s: &Safety) -> SafetyDto {
    SafetyDto {
        protected_principals: s.protected.clone(),
        critical_roles: s
            .critical_roles
            .iter()
            .map(|c| CriticalRoleDto {
                role_id: c.role_id.clone(),
                name: c.name.clone(),
                minimum_holders: c.minimum,
            })
            .collect(),
        no_critical_roles_because: None,
    }
}

/// The tenant's safety interlocks in force now (the defaults until set).
pub(crate) fn load_safety(store: &Store, tenant_id: &str) -> Result<SafetyDto, AppError> {
    let own = store.setting(&safety_key(tenant_id))?;
    let legacy = if own.is_none() { store.setting(SAFETY)? } else { None };
    match own.or(legacy) {
        Some(json) => serde_json::from_str(&json).map_err(|err| {
            AppError::new(
                ErrorCode::Storage,
                format!("the remediation safety setting is unreadable: {err}"),
            )
        }),
        None => Ok(safety_dto(&Safety::default())),
    }
}

/// The safety settings as saved: minimums of at least 1, and an empty critical-role list only
/// with a reason (kept with it; dropped when there is a critical role).
fn checked_safety(mut safety: SafetyDto) -> Result<SafetyDto, AppError> {
    if let Some(bad) = safety.critical_roles.iter().find(|c| c.minimum_holders < 1) {
        return Err(AppError::fields(
            format!("{} needs a minimum of at least 1 holder", bad.name),
            vec![FieldErrorDto {
                field: "criticalRoles.minimumHolders".into(),
                message: "at least 1".into(),
            }],
        ));
    }
    safety.no_critical_roles_because = if safety.critical_roles.is_empty() {
        let because = safety
            .no_critical_roles_because
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .ok_or_else(|| {
                let message = "with no critical role, a review could remove every Global \
                               Administrator: say why no role needs a minimum"
                    .to_string();
                AppError::fields(
                    message.clone(),
                    vec![FieldErrorDto { field: "criticalRoles".into(), message }],
                )
            })?;
        Some(keep_reason(because.to_string())?)
    } else {
        None
    };
    Ok(safety)
}

impl App {
    /// The tenant's safety interlocks in force (defaults until set).
    pub async fn remediation_safety(&self, tenant_id: &str) -> Result<SafetyDto, AppError> {
        let tenant = tenant_id.to_string();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            load_safety(store, &tenant)
        })
        .await
    }

    /// Replaces the tenant's protected principals and critical roles (a governance admin only).
    /// A minimum below 1 is refused, and so is an empty critical-role list unless it says why:
    /// switching the minimum-holder interlock off is an explicit, audited decision.
    pub async fn set_remediation_safety(
        &self,
        tenant_id: &str,
        safety: SafetyDto,
    ) -> Result<(), AppError> {
        let tenant = tenant_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            // Who asks comes first: a person who may not change the interlocks learns only that.
            let acting = app.authorize(store, &tenant, Action::ChangeSafety)?;
            let safety = checked_safety(safety)?;
            let json = serde_json::to_string(&safety).map_err(storage)?;
            store.set_setting(&safety_key(&tenant), &json, &acting.label, now)?;
            Ok(())
        })
        .await
    }
}
