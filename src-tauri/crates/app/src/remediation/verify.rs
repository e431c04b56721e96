//! Verifying removals by re-reading the tenant until the deadline, and what the close does
//! next (the plan, applied at once when the campaign says auto-apply).

use recert_domain::authority::Action;
use recert_domain::remediation::change::Change;
use recert_domain::remediation::{self, ActionState, Verification};
use recert_graph::remove;
use recert_graph::{CancellationToken, GraphClient};
use recert_store::remediation::ActionRecord;

use super::dto::{RemediationPlanDto, RemediationProgressDto};
use super::preview::plan_dto;
use super::{action_target, change, complete_if_done};
use crate::{App, AppError};

impl App {
    /// Re-reads the tenant for every finished removal: verified-removed, still-present or
    /// reappeared. Run it on demand until the deadline; overdue actions are flagged.
    pub async fn remediation_verify(
        &self,
        campaign_id: &str,
    ) -> Result<RemediationPlanDto, AppError> {
        let now = self.now();
        let (tenant_id, acting) = self.planned_for(campaign_id, Action::Verify).await?;
        let client = self.session(&tenant_id)?.graph.clone();
        self.verify_pass(campaign_id, &client, false, &acting.label).await?;
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            complete_if_done(store, &id, &acting.label, now)?;
            plan_dto(store, &id, now)
        })
        .await
    }

    /// One verification pass over the final, sent actions (`only_unverified`: those not yet
    /// verified removed). Reads that fail leave their action unverified for the next pass.
    pub(super) async fn verify_pass(
        &self,
        campaign_id: &str,
        client: &GraphClient,
        only_unverified: bool,
        actor: &str,
    ) -> Result<(), AppError> {
        let id = campaign_id.to_string();
        let actions: Vec<ActionRecord> = self
            .with_store(move |store| Ok(store.remediation_actions(&id)?))
            .await?
            .into_iter()
            .filter(|a| matches!(a.state, ActionState::Succeeded | ActionState::Failed))
            .filter(|a| !only_unverified || !a.verification.is_some_and(Verification::verified))
            .collect();
        if actions.is_empty() {
            return Ok(());
        }
        let (removals, changes): (Vec<ActionRecord>, Vec<ActionRecord>) =
            actions.into_iter().partition(|a| a.change == Change::Remove);
        let targets = removals.iter().map(action_target).collect::<Result<Vec<_>, _>>()?;
        let lives = remove::read_live(client, &targets).await;
        let mut results: Vec<(u32, Verification, String)> = removals
            .iter()
            .zip(lives)
            .filter_map(|(a, live)| {
                let live = live.ok()?;
                let (verification, note) = remediation::verify(a.verification, &live);
                Some((a.item_id, verification, note))
            })
            .collect();
        let changes = changes
            .into_iter()
            .map(|a| action_target(&a).map(|t| (a, t)))
            .collect::<Result<Vec<_>, _>>()?;
        results.extend(change::verify_changes(client, &changes).await);
        let id = campaign_id.to_string();
        let actor = actor.to_string();
        let now = self.now();
        self.with_store(move |store| Ok(store.record_verifications(&id, &results, &actor, now)?))
            .await
    }

    /// What the close does next: make the plan, and apply it when the campaign says auto-apply.
    /// The close itself has committed; a failure here is logged and left for a person to retry.
    pub(crate) async fn after_close(&self, campaign_id: &str) {
        match self.remediation_plan(campaign_id).await {
            Ok(plan) if plan.auto_apply => {
                let quiet = |_: RemediationProgressDto| {};
                if let Err(err) =
                    self.remediation_apply(campaign_id, &quiet, CancellationToken::new()).await
                {
                    tracing::warn!(campaign = campaign_id, error = %err, "auto-apply did not finish");
                }
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(campaign = campaign_id, error = %err, "no remediation plan at close")
            }
        }
    }
}
