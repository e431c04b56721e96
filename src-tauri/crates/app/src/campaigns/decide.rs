//! The worklist and decisions: a page of items, and decisions recorded one per item, all or
//! nothing, by the person acting, checked against the stage, the item and who may decide it.

use chrono::{DateTime, Utc};
use recert_domain::PrincipalKind;
use recert_domain::authority::Action;
use recert_domain::campaign::{CampaignDefinition, CampaignState};
use recert_domain::identity::Authentication;
use recert_domain::review::{self, DecisionSource, Verdict};
use recert_store::Store;
use recert_store::worklist::{DecisionContext, ItemRecord, NewDecision};

use super::dto::{DecisionResultDto, WorklistPageDto, WorklistQueryDto};
use super::{accept, item_dto, open, parse_definition, stages};

use crate::{App, AppError, ErrorCode};

impl App {
    /// A page of the worklist.
    pub async fn worklist(
        &self,
        campaign_id: &str,
        query: WorklistQueryDto,
    ) -> Result<WorklistPageDto, AppError> {
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let filter = accept::worklist_filter(store, &id, &query)?;
            let limit = match query.limit {
                0 => 200,
                n => n.min(1000),
            };
            let (items, total) = store.worklist(&id, &filter, query.offset, limit)?;
            Ok(WorklistPageDto {
                roles: super::facts::page_roles(store, &id, &items)?,
                items: items.into_iter().map(item_dto).collect(),
                total,
                offset: query.offset,
            })
        })
        .await
    }

    /// Records one decision per item, all or nothing, as the person acting on the campaign's
    /// tenant (signed in, or chosen on the demo tenant). Nobody else can be named as the decider.
    pub async fn decide(
        &self,
        campaign_id: &str,
        item_ids: Vec<u32>,
        verdict: Verdict,
        justification: String,
        source: DecisionSource,
    ) -> Result<DecisionResultDto, AppError> {
        let decisions: Vec<(u32, Verdict, String)> =
            item_ids.into_iter().map(|id| (id, verdict, justification.clone())).collect();
        self.record(campaign_id, decisions, source).await
    }

    /// Imports decisions from CSV (`item,decision,justification` with a header row). Every line is
    /// checked first; if any fails, nothing is applied and every failing line is reported.
    pub async fn import_decisions(
        &self,
        campaign_id: &str,
        csv_text: &str,
    ) -> Result<DecisionResultDto, AppError> {
        let decisions = open::parse_decisions_csv(csv_text)?;
        self.record(campaign_id, decisions, DecisionSource::Import).await
    }

    pub(super) async fn record(
        &self,
        campaign_id: &str,
        decisions: Vec<(u32, Verdict, String)>,
        source: DecisionSource,
    ) -> Result<DecisionResultDto, AppError> {
        if decisions.is_empty() {
            return Err(AppError::new(ErrorCode::Invalid, "no items to decide"));
        }
        let id = campaign_id.to_string();
        let now = self.now();
        let app = self.clone();
        self.with_store(move |store| {
            let record = store.campaign(&id)?;
            let (dto, definition) = parse_definition(&record.definition)?;
            let acting = app.authorize(store, &dto.tenant_id, Action::Decide)?;
            if record.state != CampaignState::Open {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "campaign {id} is {}: decisions are only taken while it is open",
                        record.state
                    ),
                ));
            }
            let decider = acting.person()?.clone();
            let ids: Vec<u32> = decisions.iter().map(|d| d.0).collect();
            let items = store.items(&id, &ids)?;
            let stage_now = store.campaign_stage(&id)?;
            let checking = Checking {
                tenant_id: &dto.tenant_id,
                definition: &definition,
                decider_id: &decider.id,
                is_admin: acting.is_admin(),
                stage_now,
                now,
            };
            let new = checking.checked(store, &id, &items, &decisions)?;
            // An imported line names its reviewer; nobody signed in as them: the decision
            // records the file and the admin who imported it, never the admin's own sign-in.
            let authentication = if source == DecisionSource::Import {
                Authentication::CsvImport { by: decider.upn.clone() }
            } else {
                acting.authentication.clone()
            };
            let context = DecisionContext {
                decided_by_id: &decider.id,
                decided_by_upn: &decider.upn,
                source: if new.len() > 1 && source == DecisionSource::Window {
                    DecisionSource::Bulk
                } else {
                    source
                },
                at: now,
                authentication: &authentication,
                entra: None,
            };
            let batch = store.record_decisions(&id, &new, &context)?;
            let answered: Vec<(ItemRecord, Verdict)> =
                items.iter().cloned().zip(decisions.iter().map(|d| d.1)).collect();
            stages::route_dont_know(
                store,
                &id,
                &definition,
                stage_now,
                &answered,
                &acting.label,
                now,
            )?;
            Ok(DecisionResultDto {
                recorded: new.len() as u32,
                batch: (new.len() > 1).then_some(batch),
                item_ids: new.iter().map(|d| d.item_id).collect(),
            })
        })
        .await
    }
}

/// Who decides, in which campaign and stage, and when: what each decision is checked against.
struct Checking<'a> {
    tenant_id: &'a str,
    definition: &'a CampaignDefinition,
    decider_id: &'a str,
    is_admin: bool,
    stage_now: u32,
    now: DateTime<Utc>,
}

impl Checking<'_> {
    /// The decisions as they are recorded, each checked: decisions are taken in the campaign's
    /// current stage, on the items in it, by its reviewers; whoever decided an item in an earlier
    /// stage does not decide it again. Any problem refuses them all, naming the first few.
    fn checked(
        &self,
        store: &Store,
        id: &str,
        items: &[ItemRecord],
        decisions: &[(u32, Verdict, String)],
    ) -> Result<Vec<NewDecision>, AppError> {
        let (stage_now, now) = (self.stage_now, self.now);
        let separation = open::separation(store, self.tenant_id)?;
        let item_stages = store.item_stages(id)?;
        let log = store.decisions(id)?;
        let by_stage = stages::standing_by_stage(&log);
        let mut problems = Vec::new();
        let mut forbidden = false;
        let mut new = Vec::with_capacity(items.len());
        for (item, (item_id, verdict, justification)) in items.iter().zip(decisions) {
            if item_stages.get(item_id).copied().unwrap_or(1) != stage_now {
                forbidden = true;
                problems.push(format!(
                    "item {item_id}: it did not go on to stage {stage_now}; its earlier decision \
                     stands"
                ));
                continue;
            }
            let reviewers = stages::reviewers_in(item, stage_now);
            let decided: Vec<&str> = by_stage
                .get(&(*item_id, stage_now))
                .map(|s| s.iter().map(|x| x.reviewer_id.as_str()).collect())
                .unwrap_or_default();
            let earlier = stages::earlier_deciders(&log, *item_id, stage_now);
            let earlier: Vec<&str> = earlier.iter().map(String::as_str).collect();
            let undecided: Vec<&str> =
                reviewers.iter().map(String::as_str).filter(|r| !decided.contains(r)).collect();
            let kind = item.kind;
            let principal = PrincipalKind::parse(&item.principal_kind);
            let check =
                review::check_justification(&self.definition.settings, *verdict, justification)
                    .and_then(|()| review::check_fits(*verdict, kind, principal, now.date_naive()))
                    .and_then(|()| review::check_stage_separation(self.decider_id, &earlier))
                    .and_then(|()| {
                        review::acting_for(
                            self.decider_id,
                            &item.principal_id,
                            &reviewers,
                            &undecided,
                            self.is_admin,
                            &separation,
                        )
                    });
            match check {
                Ok(acting_for) => new.push(NewDecision {
                    item_id: *item_id,
                    // An admin deciding an unrouted item decides as themselves.
                    reviewer_id: acting_for.unwrap_or(self.decider_id).to_string(),
                    verdict: *verdict,
                    justification: justification.trim().to_string(),
                    stage: stage_now,
                }),
                Err(err) => {
                    // Who may decide is a refusal; a missing note or a verdict that does not fit
                    // the item is a form to correct.
                    forbidden |= matches!(
                        err,
                        review::DecisionError::NotAReviewer
                            | review::DecisionError::OwnAccess
                            | review::DecisionError::DecidedInEarlierStage
                    );
                    problems.push(format!("item {item_id}: {err}"))
                }
            }
        }
        if !problems.is_empty() {
            let code = if !forbidden { ErrorCode::Invalid } else { ErrorCode::Forbidden };
            let shown = problems.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
            let more = problems.len().saturating_sub(5);
            let tail = if more > 0 { format!(" (and {more} more)") } else { String::new() };
            return Err(AppError::new(code, format!("nothing was recorded: {shown}{tail}")));
        }
        Ok(new)
    }
}
