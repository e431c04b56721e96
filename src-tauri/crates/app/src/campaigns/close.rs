//! Closing campaigns: at the deadline or early by hand (every item gets its outcome), and the
//! schedule's run that opens what is due, closes what is over and records missed windows.

use chrono::{DateTime, Utc};
use recert_domain::authority::Action;
use recert_domain::campaign::{CampaignState, NoResponse};
use recert_domain::review::{self, Verdict};

use recert_store::campaigns::DefinitionRecord;
use recert_store::worklist::ItemOutcome;

use super::dto::{CampaignDto, RunDueDto};
use super::{campaign_dto, open, parse_definition, stages, tenant_of};

use crate::authority::Acting;
use crate::context::BesideDb;
use crate::{App, AppError, ErrorCode};

impl App {
    /// Closes a campaign (at its deadline, or early by hand): every item gets its outcome.
    pub async fn campaign_close(
        &self,
        campaign_id: &str,
        reason: Option<String>,
    ) -> Result<CampaignDto, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let acting = self
            .with_store(move |store| {
                let tenant = tenant_of(&store.campaign(&id)?)?;
                app.authorize(store, &tenant, Action::Close)
            })
            .await?;
        self.close_as(campaign_id, reason, &acting).await
    }

    /// The close itself, by someone already authorized (a person closing by hand, or the
    /// schedule closing at the deadline).
    async fn close_as(
        &self,
        campaign_id: &str,
        reason: Option<String>,
        acting: &Acting,
    ) -> Result<CampaignDto, AppError> {
        // Reviews published to Entra stop first, and what they hold is recorded: after the
        // close no decision can be recorded any more.
        self.final_sync(campaign_id).await?;
        let id = campaign_id.to_string();
        let now = self.now();
        let actor = acting.label.clone();
        let closed = self
            .with_store(move |store| {
                let record = store.campaign(&id)?;
                if record.state != CampaignState::Open {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        format!("campaign {id} is {}, not open", record.state),
                    ));
                }
                let (dto, definition) = parse_definition(&record.definition)?;
                let by_stage = stages::standing_by_stage(&store.decisions(&id)?);
                let item_stages = store.item_stages(&id)?;
                let outcomes: Vec<ItemOutcome> = store
                    .all_items(&id)?
                    .into_iter()
                    .map(|item| {
                        let in_stage = item_stages.get(&item.id).copied().unwrap_or(1);
                        let recommendation = match definition.settings.no_response {
                            NoResponse::Recommendation => {
                                item.recommendation.as_deref().and_then(Verdict::parse)
                            }
                            _ => None,
                        };
                        // The last stage's decision that decided something stands.
                        let (outcome, why) = review::resolve_verdict(
                            stages::item_verdict(&definition, &item, in_stage, &by_stage),
                            definition.settings.no_response,
                            recommendation,
                            item.kind,
                            item.membership,
                        );
                        let until = match (outcome, &why) {
                            (
                                review::Outcome::KeepUntil,
                                review::OutcomeReason::ApprovedUntil(d),
                            ) => Some(d.to_string()),
                            _ => None,
                        };
                        ItemOutcome {
                            item_id: item.id,
                            outcome,
                            code: why.code().into(),
                            reason: why.describe(),
                            until,
                        }
                    })
                    .collect();
                let reason = reason.or_else(|| {
                    (now < record.period_end).then(|| "closed early by hand".to_string())
                });
                store.close_campaign(&id, &outcomes, reason.as_deref(), &actor, now)?;
                campaign_dto(store, &store.campaign(&id)?, &dto.tenant_id, now)
            })
            .await?;
        // Removals are planned at close, and applied now when the campaign says auto-apply.
        self.after_close(campaign_id).await;
        Ok(closed)
    }

    /// Locks the schedule's lock file beside the database for one run of the schedule, so that
    /// the window's scheduler and `recert-cli run-due` (or two windows) never run it at once on
    /// this machine. The lock is the system's: it goes away with the process that holds it,
    /// however that process ends. `None` for a database in memory (nothing else can share it).
    fn schedule_lock(&self) -> Result<Option<std::fs::File>, AppError> {
        match self.lock_beside_db(".schedule.lock", "schedule lock")? {
            BesideDb::Locked(file) => Ok(Some(file)),
            BesideDb::InMemory => Ok(None),
            BesideDb::Busy => Err(AppError::new(
                ErrorCode::Conflict,
                "the schedule is being run by another Recert process on this machine (the \
                 window's scheduler or recert-cli run-due); this run did nothing, the next will \
                 pick up whatever is still due",
            )),
        }
    }

    /// What the scheduler does, in the window or from `recert-cli run-due`: records missed windows,
    /// opens what is due, closes what passed its deadline, publishes and syncs campaigns
    /// delivered through Entra Access Reviews. Idempotent; one definition's failure
    /// (a tenant without admins among them) does not stop the others. One run at a time per
    /// database: a second, from another window or a cron job meanwhile, is refused (`Conflict`).
    pub async fn run_due(&self) -> Result<RunDueDto, AppError> {
        let _schedule = self.schedule_lock()?;
        let now = self.now();
        let mut report = RunDueDto::default();
        for advanced in self.advance_due_stages(now).await {
            match advanced {
                Ok(id) => report.advanced.push(id),
                Err(err) => report.failed.push(err),
            }
        }
        let app = self.clone();
        let (definitions, open) = self
            .with_store(move |store| {
                let mut open = Vec::new();
                for c in store.campaigns(None)? {
                    if c.state == CampaignState::Open && c.period_end <= now {
                        let tenant = tenant_of(&c)?;
                        open.push((c.id, app.authorize(store, &tenant, Action::RunDue)));
                    }
                }
                let mut definitions = Vec::new();
                for d in store.definitions(None)? {
                    let acting = app.authorize(store, &d.tenant_id, Action::RunDue);
                    definitions.push((d, acting));
                }
                Ok((definitions, open))
            })
            .await?;
        for (id, acting) in open {
            let closed = match acting {
                Ok(acting) => {
                    self.close_as(&id, Some("closed at its deadline".into()), &acting).await
                }
                Err(err) => Err(err),
            };
            match closed {
                Ok(_) => report.closed.push(id),
                Err(err) => report.failed.push(format!("{id}: {}", err.message)),
            }
        }
        for (record, acting) in definitions {
            let done = match acting {
                Ok(acting) => self.run_due_definition(&record, now, &mut report, &acting).await,
                Err(err) => Err(err),
            };
            if let Err(err) = done {
                report.failed.push(format!("{}: {}", record.id, err.message));
            }
        }
        // Campaigns just opened are published here, beside those whose publication failed.
        self.sync_deliveries(&mut report).await;
        Ok(report)
    }

    async fn run_due_definition(
        &self,
        record: &DefinitionRecord,
        now: DateTime<Utc>,
        report: &mut RunDueDto,
        acting: &Acting,
    ) -> Result<(), AppError> {
        let (_, definition) = parse_definition(&record.definition)?;
        let id = record.id.clone();
        let created = self.with_store(move |store| Ok(store.occurrences_created(&id)?)).await?;
        let due = definition.schedule.due(created, now);
        for missed in &due.missed {
            let campaign = open::campaign_record(
                record,
                &definition,
                missed,
                Some("the review window passed while Recert was not running".into()),
            );
            let id = campaign.id.clone();
            let actor = acting.label.clone();
            self.with_store(move |store| Ok(store.record_missed(&campaign, &actor, now)?)).await?;
            report.missed.push(id);
        }
        if let Some(occurrence) = due.open {
            // The schedule never accepts a gap: a person must, with a reason.
            let campaign =
                self.open_occurrence(record, &definition, occurrence, acting, None).await?;
            report.opened.push(campaign.id);
        }
        Ok(())
    }
}
