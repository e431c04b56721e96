//! The remediation plan, made once at close from the campaign's outcomes, the tenant's latest
//! population and the safety interlocks in force: removals and changes journaled as actions,
//! the others held back with why.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use recert_domain::authority::Action;
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::change::Change;
use recert_domain::remediation::{self, Endpoint, Hold, Step, Target};
use recert_graph::remove;
use recert_store::Store;
use recert_store::remediation::{NewAction, NewHold};
use recert_store::worklist::ItemRecord;

use super::dto::RemediationPlanDto;
use super::preview::plan_dto;
use super::safety::{load_safety, safety_from};
use super::{change, directory, idempotency_key, removal_target, storage, target_of};
use crate::authority::Acting;
use crate::campaigns::{parse_definition, tenant_of};
use crate::{App, AppError, ErrorCode};
use recert_domain::review::Outcome;

pub(super) fn new_action(
    campaign_id: &str,
    campaign_name: &str,
    item: &ItemRecord,
    endpoint: Endpoint,
) -> NewAction {
    let why = item.outcome_reason.clone().unwrap_or_else(|| "removal due".into());
    let justification = format!("Recert access review \"{campaign_name}\" ({campaign_id}): {why}");
    let body = remove::removal_body(
        &removal_target(endpoint, &item.role_id, &item.scope, &item.principal_id),
        &justification,
        campaign_id,
    );
    NewAction {
        item_id: item.id,
        endpoint: endpoint.as_str().into(),
        surface: item.surface,
        kind: item.kind,
        source_id: item.source_id.clone(),
        role_id: item.role_id.clone(),
        role_name: item.role_name.clone(),
        scope: item.scope.clone(),
        principal_id: item.principal_id.clone(),
        principal_name: item.principal_name.clone(),
        why,
        request_body: body.to_string(),
        idempotency_key: idempotency_key(campaign_id, item.id, &item.source_id, 0),
        change: Change::Remove,
        new_end: None,
        first: None,
    }
}

/// Items the plan covers: removals, and removals that could not be made because the access comes
/// through a group (so the preview names the group).
fn due(item: &ItemRecord) -> bool {
    match item.outcome {
        Some(Outcome::Remove | Outcome::Convert | Outcome::KeepUntil) => true,
        Some(Outcome::Exception) => item.outcome_code.as_deref() == Some("viaGroup"),
        Some(Outcome::Keep) | None => false,
    }
}

/// Makes the campaign's plan, once: from its outcomes, the tenant's latest population and the
/// safety settings in force. Later calls find it in the journal.
pub(super) fn ensure_plan(
    store: &mut Store,
    campaign_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let record = store.campaign(campaign_id)?;
    if !matches!(
        record.state,
        CampaignState::Closed | CampaignState::Remediating | CampaignState::Completed
    ) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("campaign {campaign_id} is {}: removals are planned at close", record.state),
        ));
    }
    if store.remediation_plan(campaign_id)?.is_some() {
        return Ok(());
    }
    let (definition, _) = parse_definition(&record.definition)?;
    let safety_settings = load_safety(store, &definition.tenant_id)?;
    let safety = safety_from(&safety_settings);
    let items: Vec<ItemRecord> = store.all_items(campaign_id)?.into_iter().filter(due).collect();
    let targets: Vec<_> = items.iter().map(target_of).collect();
    let population =
        store.population(&definition.tenant_id)?.map(|p| p.assignments).unwrap_or_default();
    let dir = directory(store, &definition.tenant_id)?;
    // Removals go through the planner (critical roles count what they take away); conversions
    // and new ends keep the access, so only the protected list and group membership hold them.
    let (removals, changes): (Vec<usize>, Vec<usize>) = (0..items.len())
        .partition(|i| change::change_of(&items[*i]).is_none_or(|c| c == Change::Remove));
    let removal_targets: Vec<Target> = removals.iter().map(|i| targets[*i].clone()).collect();
    let mut steps: Vec<(usize, Step)> = removals
        .iter()
        .copied()
        .zip(remediation::plan(&removal_targets, &population, &dir, &safety, &BTreeSet::new()))
        .map(|(i, p)| (i, p.step))
        .collect();
    for i in changes {
        let t = &targets[i];
        steps.push((
            i,
            match remediation::change::change_hold(t, &dir, &safety) {
                Some(hold) => Step::Hold(hold),
                None => Step::Remove(Endpoint::of(t.surface, t.kind)),
            },
        ));
    }
    steps.sort_by_key(|(i, _)| *i);
    let eligible_days = definition.settings.convert_eligible_days;
    let mut actions = Vec::new();
    let mut holds = Vec::new();
    for (i, step) in steps {
        let (item, target) = (&items[i], &targets[i]);
        match step {
            Step::Remove(endpoint) => actions.push(change::new_change_action(
                campaign_id,
                &record.name,
                item,
                endpoint,
                change::change_of(item).unwrap_or(Change::Remove),
                now,
                eligible_days,
            )?),
            Step::Hold(hold) => holds.push(NewHold {
                item_id: item.id,
                code: hold.code().into(),
                reason: hold.describe(),
                proposal: hold.proposal(target),
                confirmable: hold.confirmable(),
                holders_after: match hold {
                    Hold::CriticalRole { holders_after, .. } => Some(holders_after),
                    _ => None,
                },
            }),
        }
    }
    let safety_json = serde_json::to_string(&safety_settings).map_err(storage)?;
    store.record_remediation_plan(campaign_id, &actions, &holds, &safety_json, actor, now)?;
    Ok(())
}

pub(super) fn deadline(
    store: &Store,
    campaign_id: &str,
) -> Result<(Option<DateTime<Utc>>, bool), AppError> {
    let record = store.campaign(campaign_id)?;
    let (_, definition) = parse_definition(&record.definition)?;
    let days = i64::from(definition.settings.remediation_deadline_days);
    Ok((record.closed_at.map(|c| c + chrono::Duration::days(days)), definition.settings.auto_apply))
}

impl App {
    /// The campaign's tenant and who does `action` on it, authorized, with the plan made (by them)
    /// if the close did not make it.
    pub(crate) async fn planned_for(
        &self,
        campaign_id: &str,
        action: Action,
    ) -> Result<(String, Acting), AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let tenant = tenant_of(&store.campaign(&id)?)?;
            let acting = app.authorize(store, &tenant, action)?;
            ensure_plan(store, &id, &acting.label, now)?;
            Ok((tenant, acting))
        })
        .await
    }

    /// The preview (before applying) or the record (after): per role and per person what is
    /// removed and why, what is held back and why. Makes the plan if the close did not.
    pub async fn remediation_plan(
        &self,
        campaign_id: &str,
    ) -> Result<RemediationPlanDto, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let tenant = tenant_of(&store.campaign(&id)?)?;
            let actor = app.acting_on(store, &tenant)?.label;
            ensure_plan(store, &id, &actor, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }
}
