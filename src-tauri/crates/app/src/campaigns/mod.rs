//! Campaign use cases: defining, scheduling (opening when due, closing at the deadline, recording
//! missed windows), opening with a sealed snapshot, the worklist, decisions and the close.

mod accept;
mod convert;
mod facts;
pub use facts::{ItemFactsDto, RoleFactDto, RoleTierDto};
pub mod dto;
mod open;
pub mod preview;
mod stages;
mod withdraw;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use recert_domain::authority::Action;
use recert_domain::campaign::{CampaignDefinition, CampaignState, NoResponse};
use recert_domain::identity::Authentication;
use recert_domain::review::{self, Verdict};
use recert_domain::schedule::Occurrence;
use recert_domain::{AssignmentKind, Membership, PrincipalKind};
use recert_store::Store;
use recert_store::campaigns::{CampaignRecord, DefinitionRecord};
use recert_store::worklist::{DecisionContext, ItemOutcome, ItemRecord, NewDecision};

pub use convert::default_settings;
use dto::{
    CampaignDetailDto, CampaignDto, DecisionResultDto, DefinitionDto, DefinitionSummaryDto,
    ItemDto, ItemReviewerDto, OccurrenceDto, OutcomeCountsDto, ReviewerProgressDto, RunDueDto,
    WorklistPageDto, WorklistQueryDto,
};
pub(crate) use open::{directory, principal_by_upn, separation};

use crate::authority::Acting;
use crate::context::BesideDb;
use crate::dto::PullGapDto;
use crate::error::FieldErrorDto;
use crate::{App, AppError, ErrorCode};

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn occurrence_dto(definition: &CampaignDefinition, o: &Occurrence) -> OccurrenceDto {
    OccurrenceDto {
        index: o.index,
        start: rfc3339(o.start),
        end: rfc3339(o.end),
        campaign_name: open::campaign_name(definition, o.index, o.start),
    }
}

/// A lowercase, dash-separated form of a name for ids people can type.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let out: String = out.chars().take(48).collect();
    if out.is_empty() { "campaign".into() } else { out }
}

fn invalid(errors: Vec<recert_domain::campaign::FieldError>) -> AppError {
    let summary =
        errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
    AppError::fields(
        format!("the campaign definition is not valid: {summary}"),
        errors
            .into_iter()
            .map(|e| FieldErrorDto { field: e.field.to_string(), message: e.message })
            .collect(),
    )
}

/// The stored JSON of a definition, back into the domain.
pub fn parse_definition(json: &str) -> Result<(DefinitionDto, CampaignDefinition), AppError> {
    let dto: DefinitionDto = serde_json::from_str(json).map_err(|err| {
        AppError::new(
            ErrorCode::Storage,
            format!("a stored campaign definition is unreadable: {err}"),
        )
    })?;
    let definition = convert::definition(&dto).map_err(invalid)?;
    Ok((dto, definition))
}

fn item_dto(item: ItemRecord) -> ItemDto {
    let principal_type = match (item.principal_kind.as_str(), item.user_type.as_deref()) {
        ("user", Some("guest")) => "guest".to_string(),
        (kind, _) => kind.to_string(),
    };
    ItemDto {
        id: item.id,
        surface: item.surface,
        kind: item.kind,
        source_id: item.source_id,
        role_id: item.role_id,
        role_name: item.role_name,
        scope: item.scope,
        principal_id: item.principal_id,
        principal_type,
        principal_name: item.principal_name,
        principal_upn: item.principal_upn,
        account_enabled: item.account_enabled,
        membership: item.membership,
        start: item.start_at.map(rfc3339),
        end: item.end_at.map(rfc3339),
        last_activation: item.last_activation.map(rfc3339),
        recommendation: item.recommendation,
        recommendation_reason: item.recommendation_reason,
        decision: item.verdict.as_deref().and_then(dto::VerdictDto::parse),
        decision_until: item
            .verdict
            .as_deref()
            .and_then(|v| v.split_once(':'))
            .map(|(_, until)| until.to_string()),
        decided_at: item.decided_at.map(rfc3339),
        decided_by: item.decided_by_upn,
        outcome: item
            .outcome
            .as_deref()
            .and_then(recert_domain::review::Outcome::parse)
            .map(dto::OutcomeDto::from),
        outcome_reason: item.outcome_reason,
        stage: item.stage,
        reviewers: item
            .reviewers
            .into_iter()
            .map(|r| ItemReviewerDto {
                id: r.id,
                upn: r.upn,
                display_name: r.name,
                rerouted_because: r.reroute_reason.map(|code| match code.as_str() {
                    "dontKnow" => "the reviewer before answered \"don't know\"".to_string(),
                    _ => recert_domain::routing::RerouteReason::parse(&code)
                        .map_or(code, |r| r.describe().to_string()),
                }),
                conflict: r.conflict.map(|code| {
                    recert_domain::routing::Conflict::parse(&code)
                        .map_or(code, |c| c.describe().to_string())
                }),
                stage: r.stage,
            })
            .collect(),
    }
}

fn campaign_dto(
    store: &Store,
    record: &CampaignRecord,
    tenant_id: &str,
    now: DateTime<Utc>,
) -> Result<CampaignDto, AppError> {
    let counts = store.counts(&record.id)?;
    Ok(CampaignDto {
        id: record.id.clone(),
        definition_id: record.definition_id.clone(),
        name: record.name.clone(),
        tenant_id: tenant_id.to_string(),
        state: record.state.as_str().to_string(),
        state_reason: record.state_reason.clone(),
        period_start: rfc3339(record.period_start),
        period_end: rfc3339(record.period_end),
        opened_at: record.opened_at.map(rfc3339),
        closed_at: record.closed_at.map(rfc3339),
        items: counts.items,
        decided: counts.decided,
        approved: counts.approved,
        denied: counts.denied,
        unrouted: counts.unrouted,
        overdue: record.state == CampaignState::Open && now > record.period_end,
        stage: store.campaign_stage(&record.id)?,
        stages: parse_definition(&record.definition).map_or(1, |(d, _)| d.stages.len() as u32 + 1),
        tally: crate::remediation::campaign_tally(store, &record.id)?,
    })
}

/// The tenant of a campaign.
pub(crate) fn tenant_of(record: &CampaignRecord) -> Result<String, AppError> {
    Ok(parse_definition(&record.definition)?.0.tenant_id)
}

impl App {
    /// Validates and stores a new definition; returns it with its next four occurrences.
    pub async fn definition_create(
        &self,
        mut dto: DefinitionDto,
    ) -> Result<DefinitionSummaryDto, AppError> {
        let now = self.now();
        let app = self.clone();
        self.with_store(move |store| {
            store.tenant(&dto.tenant_id)?;
            let actor = app.authorize(store, &dto.tenant_id, Action::Define)?.label;
            open::resolve_reviewers(store, &mut dto)?;
            let definition = convert::definition(&dto).map_err(invalid)?;
            let taken: BTreeSet<String> =
                store.definitions(None)?.into_iter().map(|d| d.id).collect();
            let base = slug(&dto.name);
            let id = (1..)
                .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
                .find(|id| !taken.contains(id))
                .unwrap_or(base);
            let stored = convert::definition_dto(&id, &dto.tenant_id, &definition);
            let json = serde_json::to_string(&stored).map_err(|err| {
                AppError::new(ErrorCode::Storage, format!("cannot encode the definition: {err}"))
            })?;
            store.insert_definition(
                &DefinitionRecord {
                    id,
                    tenant_id: dto.tenant_id.clone(),
                    name: definition.name.clone(),
                    definition: json,
                    created_at: now,
                    updated_at: now,
                },
                &actor,
            )?;
            let next = definition
                .schedule
                .next_occurrences(0, 4)
                .iter()
                .map(|o| occurrence_dto(&definition, o))
                .collect();
            Ok(DefinitionSummaryDto { definition: stored, next })
        })
        .await
    }

    /// Validates a definition without storing it: the wizard's inline check and preview.
    pub fn definition_check(&self, dto: &DefinitionDto) -> Result<Vec<OccurrenceDto>, AppError> {
        let definition = convert::definition(dto).map_err(invalid)?;
        Ok(definition
            .schedule
            .next_occurrences(0, 4)
            .iter()
            .map(|o| occurrence_dto(&definition, o))
            .collect())
    }

    pub async fn definitions(
        &self,
        tenant_id: Option<String>,
    ) -> Result<Vec<DefinitionSummaryDto>, AppError> {
        self.with_store(move |store| {
            store
                .definitions(tenant_id.as_deref())?
                .into_iter()
                .map(|record| {
                    let (dto, definition) = parse_definition(&record.definition)?;
                    let created = store.occurrences_created(&record.id)?;
                    let next = definition
                        .schedule
                        .next_occurrences(created, 4)
                        .iter()
                        .map(|o| occurrence_dto(&definition, o))
                        .collect();
                    Ok(DefinitionSummaryDto { definition: dto, next })
                })
                .collect()
        })
        .await
    }

    /// Every campaign of every tenant (the CLI's list), or those of one definition.
    pub async fn campaigns(
        &self,
        definition_id: Option<String>,
    ) -> Result<Vec<CampaignDto>, AppError> {
        self.campaigns_where(None, definition_id).await
    }

    /// The campaigns of one tenant only: a window works on one tenant at a time and shows
    /// nothing of another (the demo tenant's campaigns never appear under a real one).
    pub async fn tenant_campaigns(
        &self,
        tenant_id: &str,
        definition_id: Option<String>,
    ) -> Result<Vec<CampaignDto>, AppError> {
        self.campaigns_where(Some(tenant_id.to_string()), definition_id).await
    }

    async fn campaigns_where(
        &self,
        tenant_id: Option<String>,
        definition_id: Option<String>,
    ) -> Result<Vec<CampaignDto>, AppError> {
        let now = self.now();
        self.with_store(move |store| {
            let tenants: HashMap<String, String> =
                store.definitions(None)?.into_iter().map(|d| (d.id, d.tenant_id)).collect();
            let wanted = |c: &&CampaignRecord| {
                tenant_id
                    .as_deref()
                    .is_none_or(|t| tenants.get(&c.definition_id).map(String::as_str) == Some(t))
            };
            store
                .campaigns(definition_id.as_deref())?
                .iter()
                .filter(wanted)
                .map(|c| {
                    campaign_dto(
                        store,
                        c,
                        tenants.get(&c.definition_id).map_or("", String::as_str),
                        now,
                    )
                })
                .collect()
        })
        .await
    }

    pub async fn campaign(&self, id: &str) -> Result<CampaignDetailDto, AppError> {
        let id = id.to_string();
        let now = self.now();
        self.with_store(move |store| {
            let record = store.campaign(&id)?;
            let (definition, _) = parse_definition(&record.definition)?;
            let campaign = campaign_dto(store, &record, &definition.tenant_id, now)?;
            let reviewers = store
                .reviewer_progress(&id)?
                .into_iter()
                .map(|r| ReviewerProgressDto {
                    id: r.id,
                    upn: r.upn,
                    display_name: r.name,
                    assigned: r.assigned,
                    decided: r.decided,
                })
                .collect();
            let snapshot_sha256 = store.snapshot(&id).ok().map(|s| s.raw_sha256);
            let counts = store.counts(&id)?;
            let outcomes = OutcomeCountsDto {
                keep: counts.keep,
                remove: counts.remove,
                exception: counts.exception,
                convert: counts.convert,
                keep_until: counts.keep_until,
            };
            Ok(CampaignDetailDto { campaign, definition, reviewers, snapshot_sha256, outcomes })
        })
        .await
    }

    /// Opens the definition's next occurrence now, by hand: the review window starts now and
    /// lasts the definition's duration.
    pub async fn campaign_open(&self, definition_id: &str) -> Result<CampaignDto, AppError> {
        self.campaign_open_accepting(definition_id, None).await
    }

    /// As [`App::campaign_open`], accepting with `reason` whatever the pull cannot read of the
    /// campaign's scope (a governance admin only; audited, and stated in the binder). Without a
    /// reason, a scope that was not read completely refuses to open with `gapNotAccepted`.
    pub async fn campaign_open_accepting(
        &self,
        definition_id: &str,
        accept_gap: Option<&str>,
    ) -> Result<CampaignDto, AppError> {
        let id = definition_id.to_string();
        let app = self.clone();
        let accepting = accept_gap.is_some();
        let (record, created, acting) = self
            .with_store(move |store| {
                let record = store.definition(&id)?;
                let acting = app.authorize(store, &record.tenant_id, Action::Open)?;
                if accepting {
                    app.authorize(store, &record.tenant_id, Action::AcceptGap)?;
                }
                Ok((record, store.occurrences_created(&id)?, acting))
            })
            .await?;
        let (_, definition) = parse_definition(&record.definition)?;
        let now = self.now();
        let occurrence = Occurrence {
            index: created,
            start: now,
            end: now + chrono::Duration::days(i64::from(definition.schedule.duration_days)),
        };
        self.open_occurrence(&record, &definition, occurrence, &acting, accept_gap).await
    }

    /// What the tenant's latest pull could not read of this definition's scope: the gaps that
    /// keep its campaign from opening until they are accepted (or the scope is narrowed).
    pub async fn campaign_gaps(&self, definition_id: &str) -> Result<Vec<PullGapDto>, AppError> {
        let id = definition_id.to_string();
        self.with_store(move |store| {
            let record = store.definition(&id)?;
            let (_, definition) = parse_definition(&record.definition)?;
            let gaps = store.pull_gaps(&record.tenant_id)?;
            Ok(recert_domain::gap::blocking(&gaps, &definition.scope.surfaces)
                .into_iter()
                .map(PullGapDto::from)
                .collect())
        })
        .await
    }

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
                        let membership = if item.membership == "direct" {
                            Membership::Direct
                        } else {
                            Membership::Group
                        };
                        let kind =
                            AssignmentKind::parse(&item.kind).unwrap_or(AssignmentKind::Eligible);
                        // The last stage's decision that decided something stands.
                        let (outcome, why) = review::resolve_verdict(
                            stages::item_verdict(&definition, &item, in_stage, &by_stage),
                            definition.settings.no_response,
                            recommendation,
                            kind,
                            membership,
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
                            outcome: outcome.as_str().into(),
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
    /// opens what is due, closes what passed its deadline. Idempotent; one definition's failure
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
                roles: facts::page_roles(store, &id, &items)?,
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
        source: &'static str,
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
        self.record(campaign_id, decisions, "import").await
    }

    async fn record(
        &self,
        campaign_id: &str,
        decisions: Vec<(u32, Verdict, String)>,
        source: &'static str,
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
            let separation = open::separation(store, &dto.tenant_id)?;
            let ids: Vec<u32> = decisions.iter().map(|d| d.0).collect();
            let items = store.items(&id, &ids)?;
            // Decisions are taken in the campaign's current stage, on the items in it, by its
            // reviewers; whoever decided an item in an earlier stage does not decide it again.
            let stage_now = store.campaign_stage(&id)?;
            let item_stages = store.item_stages(&id)?;
            let log = store.decisions(&id)?;
            let by_stage = stages::standing_by_stage(&log);
            let mut problems = Vec::new();
            let mut forbidden = false;
            let mut new = Vec::with_capacity(items.len());
            for (item, (item_id, verdict, justification)) in items.iter().zip(&decisions) {
                if item_stages.get(item_id).copied().unwrap_or(1) != stage_now {
                    forbidden = true;
                    problems.push(format!(
                        "item {item_id}: it did not go on to stage {stage_now}; its earlier \
                         decision stands"
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
                let kind = AssignmentKind::parse(&item.kind).unwrap_or(AssignmentKind::Eligible);
                let principal = PrincipalKind::parse(&item.principal_kind);
                let check =
                    review::check_justification(&definition.settings, *verdict, justification)
                        .and_then(|()| {
                            review::check_fits(*verdict, kind, principal, now.date_naive())
                        })
                        .and_then(|()| review::check_stage_separation(&decider.id, &earlier))
                        .and_then(|()| {
                            review::acting_for(
                                &decider.id,
                                &item.principal_id,
                                &reviewers,
                                &undecided,
                                acting.is_admin(),
                                &separation,
                            )
                        });
                match check {
                    Ok(acting_for) => new.push(NewDecision {
                        item_id: *item_id,
                        // An admin deciding an unrouted item decides as themselves.
                        reviewer_id: acting_for.unwrap_or(&decider.id).to_string(),
                        verdict: *verdict,
                        justification: justification.trim().to_string(),
                        stage: stage_now,
                    }),
                    Err(err) => {
                        // Who may decide is a refusal; a missing note or a verdict that does
                        // not fit the item is a form to correct.
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
            // An imported line names its reviewer; nobody signed in as them: the decision
            // records the file and the admin who imported it, never the admin's own sign-in.
            let authentication = if source == "import" {
                Authentication::CsvImport { by: decider.upn.clone() }
            } else {
                acting.authentication.clone()
            };
            let context = DecisionContext {
                decided_by_id: &decider.id,
                decided_by_upn: &decider.upn,
                source: if new.len() > 1 && source == "window" { "bulk" } else { source },
                at: now,
                authentication: &authentication,
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
