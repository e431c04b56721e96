//! Campaign use cases: defining, scheduling (opening when due, closing at the deadline, recording
//! missed windows), opening with a sealed snapshot, the worklist, decisions and the close.

mod accept;
mod close;
mod convert;
mod decide;
mod delivery;
pub mod entra;
pub mod entra_status;
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
use recert_domain::campaign::{CampaignDefinition, CampaignState};
use recert_domain::schedule::Occurrence;
use recert_store::Store;
use recert_store::campaigns::{CampaignRecord, DefinitionRecord};
use recert_store::worklist::ItemRecord;

pub use convert::{default_settings, one_reviewer_definition, quarterly_definition};
use dto::{
    CampaignDetailDto, CampaignDto, DefinitionDto, DefinitionSummaryDto, ItemDto, ItemReviewerDto,
    OccurrenceDto, OutcomeCountsDto, ReviewerProgressDto,
};
pub(crate) use open::{directory, principal_by_upn, separation};

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
        membership: item.membership.as_str().to_string(),
        start: item.start_at.map(rfc3339),
        end: item.end_at.map(rfc3339),
        last_activation: item.last_activation.map(rfc3339),
        recommendation: item.recommendation,
        recommendation_reason: item.recommendation_reason,
        decision: item.verdict.and_then(|v| dto::VerdictDto::parse(v.as_str())),
        decision_until: item.verdict.and_then(|v| v.until()).map(|d| d.to_string()),
        decided_at: item.decided_at.map(rfc3339),
        decided_by: item.decided_by_upn,
        outcome: item.outcome.map(dto::OutcomeDto::from),
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
        state: record.state,
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
        let opened =
            self.open_occurrence(&record, &definition, occurrence, &acting, accept_gap).await?;
        if let Err(err) = self.deliver_opened(&opened.id).await {
            return Err(AppError::new(
                err.code,
                format!(
                    "campaign {} is open, but it is not published to Entra Access Reviews: {} \
                     The schedule's next run publishes it again, or publish it by hand.",
                    opened.id, err.message
                ),
            ));
        }
        Ok(opened)
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
}
