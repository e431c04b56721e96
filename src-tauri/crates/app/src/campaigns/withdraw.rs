//! Returning items to undecided while the campaign is open: the reviewer takes their decision
//! back (or a governance admin the one they made for a reviewer), audited like a decision and
//! checked by the same rules of who may decide.

use recert_domain::campaign::CampaignState;
use recert_domain::review::{self, DecisionSource};
use recert_store::worklist::{DecisionContext, Withdrawal, standing_rows};

use super::dto::DecisionResultDto;
use super::{open, parse_definition, stages};
use crate::{App, AppError, ErrorCode};
use recert_domain::authority::Action;

impl App {
    /// Returns each item to undecided, all or nothing, as the person acting on the campaign's
    /// tenant: the decision that stands for them in the item's stage is taken back, and the item
    /// shows whatever decision still stands on it (another reviewer's, an earlier stage's), or
    /// none.
    pub async fn withdraw(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
        justification: String,
        source: DecisionSource,
    ) -> Result<DecisionResultDto, AppError> {
        if item_ids.is_empty() {
            return Err(AppError::new(ErrorCode::Invalid, "no items to return to undecided"));
        }
        let id = campaign_id.to_string();
        let now = self.now();
        let app = self.clone();
        self.with_store(move |store| {
            let record = store.campaign(&id)?;
            let (dto, _) = parse_definition(&record.definition)?;
            let acting = app.authorize(store, &dto.tenant_id, Action::Decide)?;
            if record.state != CampaignState::Open {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "campaign {id} is {}: decisions can only be taken back while it is open",
                        record.state
                    ),
                ));
            }
            let decider = acting.person()?.clone();
            let separation = open::separation(store, &dto.tenant_id)?;
            let items = store.items(&id, &item_ids)?;
            let stage_now = store.campaign_stage(&id)?;
            let item_stages = store.item_stages(&id)?;
            let log = store.decisions(&id)?;
            let standing = standing_rows(&log);
            let mut problems = Vec::new();
            let mut forbidden = false;
            let mut withdrawals = Vec::with_capacity(items.len());
            for item in &items {
                if item_stages.get(&item.id).copied().unwrap_or(1) != stage_now {
                    forbidden = true;
                    problems.push(format!(
                        "item {}: it did not go on to stage {stage_now}; its earlier decision \
                         stands",
                        item.id
                    ));
                    continue;
                }
                // The reviewers whose decision stands in this stage, the one decided last at
                // the end.
                let mut decided: Vec<&str> = Vec::new();
                for d in standing.iter().filter(|d| d.item_id == item.id && d.stage == stage_now) {
                    decided.retain(|r| *r != d.reviewer_id);
                    decided.push(&d.reviewer_id);
                }
                let reviewers = stages::reviewers_in(item, stage_now);
                match review::withdrawal_for(
                    &decider.id,
                    &item.principal_id,
                    &reviewers,
                    &decided,
                    acting.is_admin(),
                    &separation,
                ) {
                    Ok(whose) => withdrawals.push(Withdrawal {
                        item_id: item.id,
                        reviewer_id: whose.to_string(),
                        justification: justification.trim().to_string(),
                        stage: stage_now,
                    }),
                    Err(err) => {
                        forbidden |= matches!(
                            err,
                            review::DecisionError::NotAReviewer | review::DecisionError::OwnAccess
                        );
                        problems.push(format!("item {}: {err}", item.id));
                    }
                }
            }
            if !problems.is_empty() {
                let code = if forbidden { ErrorCode::Forbidden } else { ErrorCode::Conflict };
                let shown = problems.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
                let more = problems.len().saturating_sub(5);
                let tail = if more > 0 { format!(" (and {more} more)") } else { String::new() };
                return Err(AppError::new(code, format!("nothing was changed: {shown}{tail}")));
            }
            let context = DecisionContext {
                decided_by_id: &decider.id,
                decided_by_upn: &decider.upn,
                source,
                at: now,
                authentication: &acting.authentication,
                entra: None,
            };
            store.withdraw_decisions(&id, &withdrawals, &context)?;
            Ok(DecisionResultDto {
                recorded: withdrawals.len() as u32,
                batch: None,
                item_ids: withdrawals.iter().map(|w| w.item_id).collect(),
            })
        })
        .await
    }
}
