//! A tenant's canned justifications: read by anyone who reviews there, replaced by a governance
//! admin only (a setting, so each change is an audited `setting.changed` with the list before and
//! after, and `verify` replays it), and composed with a reviewer's own words for the CLI's pick.

use recert_domain::authority::Action;
use recert_domain::justification::{self, PresetError};
use recert_store::Store;

use crate::campaigns::tenant_of;
use crate::error::FieldErrorDto;
use crate::{App, AppError, ErrorCode};

/// The setting that holds a tenant's canned justifications, as a JSON list of strings.
fn presets_key(tenant_id: &str) -> String {
    format!("review.justifications/{tenant_id}")
}

fn invalid(err: PresetError) -> AppError {
    let field = match err {
        PresetError::Unknown { .. } => "preset",
        _ => "presets",
    };
    let message = err.to_string();
    AppError::fields(message.clone(), vec![FieldErrorDto { field: field.into(), message }])
}

/// The tenant's canned justifications (none until an admin defines them).
fn load(store: &Store, tenant_id: &str) -> Result<Vec<String>, AppError> {
    match store.setting(&presets_key(tenant_id))? {
        Some(json) => serde_json::from_str(&json).map_err(|err| {
            AppError::new(
                ErrorCode::Storage,
                format!("the canned justifications setting is unreadable: {err}"),
            )
        }),
        None => Ok(Vec::new()),
    }
}

impl App {
    /// The tenant's canned justifications, in the order the admin gave them.
    pub async fn justification_presets(&self, tenant_id: &str) -> Result<Vec<String>, AppError> {
        let tenant = tenant_id.to_string();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            load(store, &tenant)
        })
        .await
    }

    /// Replaces the tenant's canned justifications (a governance admin only; the role comes from
    /// the session). Blank entries are dropped; too many, too long or repeated ones are refused.
    /// Returns the list as saved. Saving the same list again records nothing.
    pub async fn set_justification_presets(
        &self,
        tenant_id: &str,
        presets: Vec<String>,
    ) -> Result<Vec<String>, AppError> {
        let tenant = tenant_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            // Who asks comes first: a person who may not change the list learns only that.
            let acting = app.authorize(store, &tenant, Action::SetJustifications)?;
            let saved = justification::checked(&presets).map_err(invalid)?;
            if saved == load(store, &tenant)? {
                return Ok(saved);
            }
            let json = serde_json::to_string(&saved).map_err(|err| {
                AppError::new(ErrorCode::Internal, format!("canned justifications: {err}"))
            })?;
            store.set_setting(&presets_key(&tenant), &json, &acting.label, now)?;
            Ok(saved)
        })
        .await
    }

    /// The justification recorded when a reviewer picks one of the campaign's tenant's canned
    /// justifications (by number from 1, or by its text) and perhaps adds their own words.
    pub async fn compose_justification(
        &self,
        campaign_id: &str,
        pick: &str,
        own_words: &str,
    ) -> Result<String, AppError> {
        let id = campaign_id.to_string();
        let (pick, own) = (pick.to_string(), own_words.to_string());
        self.with_store(move |store| {
            let tenant = tenant_of(&store.campaign(&id)?)?;
            let presets = load(store, &tenant)?;
            let preset = justification::pick(&presets, &pick).map_err(invalid)?;
            Ok(justification::compose(preset, &own))
        })
        .await
    }
}
