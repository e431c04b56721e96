//! Held removals decided by a governance admin: confirmed into the journal, or kept with a
//! reason; and who may decide a campaign's removals at all.

use chrono::{DateTime, Utc};
use recert_domain::authority::Action;
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::Endpoint;
use recert_store::Store;
use recert_store::worklist::ItemRecord;

use super::dto::RemediationPlanDto;
use super::plan::{ensure_plan, new_action};
use super::preview::plan_dto;
use super::{complete_if_done, target_of};
use crate::authority::Acting;
use crate::campaigns::tenant_of;
use crate::error::FieldErrorDto;
use crate::{App, AppError, ErrorCode};

/// The longest reason a kept removal takes: a sentence or two for the auditor, not a document.
const MAX_KEEP_REASON: usize = 1000;

/// The items `item_ids` of a campaign still in remediation, when the person acting may decide
/// them: a governance admin of the campaign's tenant (the caller authorized `action`) whose own
/// access — directly or through a group — is none of them. `verb` words the refusals.
pub(super) fn items_to_decide(
    app: &App,
    store: &mut Store,
    campaign_id: &str,
    item_ids: &[u32],
    action: Action,
    verb: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<ItemRecord>, Acting), AppError> {
    let record = store.campaign(campaign_id)?;
    let tenant = tenant_of(&record)?;
    let acting = app.authorize(store, &tenant, action)?;
    ensure_plan(store, campaign_id, &acting.label, now)?;
    let record = store.campaign(campaign_id)?;
    if record.state == CampaignState::Completed {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("campaign {campaign_id} is completed: its removals are decided"),
        ));
    }
    let person = acting.person()?.clone();
    let separation = crate::campaigns::separation(store, &tenant)?;
    let items = store.items(campaign_id, item_ids)?;
    if items.iter().any(|item| separation.is_own(&person.id, &item.principal_id)) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("nobody {verb} the removal of their own access, directly or through a group"),
        ));
    }
    Ok((items, acting))
}

/// A reason a person gives for keeping access: required, and short enough for the auditor.
pub(super) fn keep_reason(reason: String) -> Result<String, AppError> {
    let reason = reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > MAX_KEEP_REASON {
        let message = format!("say why the access stays (1 to {MAX_KEEP_REASON} characters)");
        return Err(AppError::fields(
            message.clone(),
            vec![FieldErrorDto { field: "reason".into(), message }],
        ));
    }
    Ok(reason)
}

impl App {
    /// The governance admin acting confirms a removal held for a critical role; it joins the
    /// journal as a planned action (and is re-checked against live state when it is applied).
    /// Nobody confirms the removal of their own access.
    pub async fn remediation_confirm_held(
        &self,
        campaign_id: &str,
        item_id: u32,
    ) -> Result<RemediationPlanDto, AppError> {
        self.remediation_confirm_holds(campaign_id, vec![item_id]).await
    }

    /// The governance admin acting confirms several held removals at once (the window's "confirm
    /// all N" of one group): all or none, each audited as its own confirmation and re-checked
    /// against live state when it is applied. Nobody confirms the removal of their own access.
    pub async fn remediation_confirm_holds(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
    ) -> Result<RemediationPlanDto, AppError> {
        if item_ids.is_empty() {
            return Err(AppError::new(
                ErrorCode::Invalid,
                "name at least one held item to confirm",
            ));
        }
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let (items, acting) =
                items_to_decide(&app, store, &id, &item_ids, Action::DecideHold, "confirms", now)?;
            let confirmer = acting.person()?;
            let record = store.campaign(&id)?;
            let actions = items
                .iter()
                .map(|item| {
                    let target = target_of(item);
                    Ok(new_action(
                        &id,
                        &record.name,
                        item,
                        Endpoint::of(target.surface, target.kind),
                    ))
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            store.confirm_remediation_holds(&id, &actions, &confirmer.id, &confirmer.upn, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// The governance admin acting decides removals held for critical roles should not go ahead:
    /// the access stays, recorded with their reason as an exception in the evidence, and the
    /// campaign no longer waits for them. All or nothing; nobody keeps their own access.
    pub async fn remediation_keep_held(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
        reason: String,
    ) -> Result<RemediationPlanDto, AppError> {
        let reason = keep_reason(reason)?;
        if item_ids.is_empty() {
            return Err(AppError::new(ErrorCode::Invalid, "name at least one held item to keep"));
        }
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let (_, acting) =
                items_to_decide(&app, store, &id, &item_ids, Action::DecideHold, "keeps", now)?;
            let keeper = acting.person()?;
            store.keep_remediation_holds(&id, &item_ids, &keeper.id, &keeper.upn, &reason, now)?;
            complete_if_done(store, &id, &acting.label, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }
}
