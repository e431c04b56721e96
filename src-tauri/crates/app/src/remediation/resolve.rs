//! Removals that were not made (skipped or failed), resolved by a governance admin: kept with a
//! reason, retried as planned, or re-planned at the assignment as it is live now.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use recert_domain::Membership;
use recert_domain::authority::Action;
use recert_domain::remediation::LiveInstance;
use recert_graph::remove;
use recert_store::Store;
use recert_store::remediation::{ActionRecord, Replan, Requeue};

use super::Resolution;
use super::dto::RemediationPlanDto;
use super::holds::{items_to_decide, keep_reason};
use super::preview::plan_dto;
use super::{action_target, complete_if_done, idempotency_key};
use crate::campaigns::tenant_of;
use crate::{App, AppError, ErrorCode};

impl App {
    /// The governance admin acting resolves removals that were not made (skipped or failed): keep
    /// the access with a reason, retry as planned, or re-plan at the assignment as it is live now.
    /// Retried and re-planned removals go back to planned for the next apply, which checks the
    /// interlocks and the drift again first. All or nothing; nobody resolves their own access.
    pub async fn remediation_resolve(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
        resolution: Resolution,
        reason: Option<String>,
    ) -> Result<RemediationPlanDto, AppError> {
        if item_ids.is_empty() {
            return Err(AppError::new(ErrorCode::Invalid, "name at least one removal to resolve"));
        }
        let reason = match resolution {
            Resolution::Keep => Some(keep_reason(reason.unwrap_or_default())?),
            Resolution::Retry | Resolution::Replan => None,
        };
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        let wanted = item_ids.clone();
        let (tenant, actions) = self
            .with_store(move |store| {
                let (_, acting) = items_to_decide(
                    &app,
                    store,
                    &id,
                    &wanted,
                    Action::ResolveException,
                    "resolves",
                    now,
                )?;
                acting.person()?;
                let actions: Vec<ActionRecord> = store
                    .remediation_actions(&id)?
                    .into_iter()
                    .filter(|a| wanted.contains(&a.item_id))
                    .collect();
                Ok((tenant_of(&store.campaign(&id)?)?, actions))
            })
            .await?;
        if let Some(missing) = item_ids.iter().find(|i| !actions.iter().any(|a| a.item_id == **i)) {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("item {missing} has no removal in campaign {campaign_id}"),
            ));
        }
        // A re-plan aims at the live assignment: read it now, before anything is written.
        let replans = if resolution == Resolution::Replan {
            self.live_replans(&tenant, &actions).await?
        } else {
            HashMap::new()
        };
        let id = campaign_id.to_string();
        let app = self.clone();
        self.with_store(move |store| {
            let (_, acting) = items_to_decide(
                &app,
                store,
                &id,
                &item_ids,
                Action::ResolveException,
                "resolves",
                now,
            )?;
            let person = acting.person()?;
            match (resolution, reason) {
                (Resolution::Keep, Some(reason)) => store.keep_remediation_exceptions(
                    &id,
                    &item_ids,
                    &person.id,
                    &person.upn,
                    &reason,
                    now,
                )?,
                _ => requeue(store, &id, &actions, replans, &acting.label, now)?,
            }
            complete_if_done(store, &id, &acting.label, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// Each action's assignment as it is live now: the one direct, standing instance to re-plan
    /// at, none when it is gone, and a refusal when there are several to choose from.
    async fn live_replans(
        &self,
        tenant: &str,
        actions: &[ActionRecord],
    ) -> Result<HashMap<u32, Option<Replan>>, AppError> {
        let mut replans = HashMap::new();
        let client = self.session(tenant)?.graph.clone();
        let targets = actions.iter().map(action_target).collect::<Result<Vec<_>, _>>()?;
        for (a, live) in actions.iter().zip(remove::read_live(&client, &targets).await) {
            let standing: Vec<LiveInstance> = live?
                .into_iter()
                .filter(|i| i.membership == Membership::Direct && !i.activated)
                .collect();
            let replan = match standing.as_slice() {
                [] => None,
                [one] => Some(Replan { source_id: one.id.clone(), end: one.end }),
                _ => {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        format!(
                            "item {}: {} holds {} live assignments of {} at this scope; \
                             change them in the tenant, or keep the access",
                            a.item_id,
                            a.principal_name,
                            standing.len(),
                            a.role_name
                        ),
                    ));
                }
            };
            replans.insert(a.item_id, replan);
        }
        Ok(replans)
    }
}

/// Retried and re-planned removals back to planned, each named afresh for its next attempts.
fn requeue(
    store: &mut Store,
    campaign_id: &str,
    actions: &[ActionRecord],
    mut replans: HashMap<u32, Option<Replan>>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let requeues: Vec<Requeue> = actions
        .iter()
        .map(|a| {
            let replan = replans.remove(&a.item_id).flatten();
            let source = replan.as_ref().map_or(a.source_id.as_str(), |r| r.source_id.as_str());
            Requeue {
                item_id: a.item_id,
                idempotency_key: idempotency_key(campaign_id, a.item_id, source, a.retries + 1),
                // A re-plan that found nothing live goes back as it was: the apply's re-read
                // then finds it gone.
                replan,
            }
        })
        .collect();
    store.requeue_remediation(campaign_id, &requeues, actor, now)?;
    Ok(())
}
