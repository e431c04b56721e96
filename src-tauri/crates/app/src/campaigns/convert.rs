//! Between the definition form (DTO) and the domain's `CampaignDefinition`, collecting a message
//! per field instead of stopping at the first problem.

use chrono::{NaiveDate, NaiveDateTime};
use recert_domain::Surface;
use recert_domain::campaign::{
    CampaignDefinition, FieldError, KindSelection, MultiReviewerRule, NoResponse, PrincipalTypes,
    ReviewerPolicy, ReviewerRef, ReviewerSource, RoleSelection, Scope, Settings,
};
use recert_domain::schedule::{Recurrence, RecurrenceEnd, Schedule};
use recert_domain::stage::{RoleOwners, Stage, StageReviewers, Takes};

use super::dto::{
    DefinitionDto, PrincipalTypesDto, ReviewerDto, ReviewersDto, RoleOwnersDto, ScheduleDto,
    ScopeDto, SettingsDto, StageDto,
};

fn reviewer(dto: &ReviewerDto) -> ReviewerRef {
    ReviewerRef { id: dto.id.clone(), upn: dto.upn.clone(), display_name: dto.display_name.clone() }
}

fn reviewer_dto(r: &ReviewerRef) -> ReviewerDto {
    ReviewerDto { id: r.id.clone(), upn: r.upn.clone(), display_name: r.display_name.clone() }
}

/// Parses the local start, accepting `YYYY-MM-DDTHH:MM` with optional seconds.
fn local_start(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

/// The domain definition, or every field problem: parse errors first, then the domain's rules.
pub fn definition(dto: &DefinitionDto) -> Result<CampaignDefinition, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut error =
        |field: &'static str, message: String| errors.push(FieldError { field, message });

    let mut surfaces = Vec::new();
    for s in &dto.scope.surfaces {
        match Surface::parse(s) {
            Some(surface) if !surfaces.contains(&surface) => surfaces.push(surface),
            Some(_) => {}
            None => error(
                "scope.surfaces",
                format!("{s:?} is not a surface (directoryRole, pimGroup, azureRole)"),
            ),
        }
    }
    let kinds = KindSelection::parse(&dto.scope.kinds).unwrap_or_else(|| {
        error("scope.kinds", format!("{:?} is not eligible, active or both", dto.scope.kinds));
        KindSelection::Both
    });
    let source = match dto.reviewers.source.as_str() {
        "manager" => ReviewerSource::Manager,
        "named" => ReviewerSource::Named(dto.reviewers.named.iter().map(reviewer).collect()),
        "self" => ReviewerSource::SelfReview,
        other => {
            error("reviewers.source", format!("{other:?} is not manager, named or self"));
            ReviewerSource::Manager
        }
    };
    let rule = MultiReviewerRule::parse(&dto.reviewers.rule).unwrap_or_else(|| {
        error(
            "reviewers.rule",
            format!("{:?} is not firstDecides or allMustApprove", dto.reviewers.rule),
        );
        MultiReviewerRule::FirstDecides
    });
    let start = local_start(&dto.schedule.start).unwrap_or_else(|| {
        error(
            "schedule.start",
            format!("{:?} is not a local date and time like 2026-04-01T09:00", dto.schedule.start),
        );
        NaiveDateTime::default()
    });
    let recurrence = Recurrence::parse(&dto.schedule.recurrence).unwrap_or_else(|| {
        error(
            "schedule.recurrence",
            format!(
                "{:?} is not none, monthly, quarterly, semiAnnual or annual",
                dto.schedule.recurrence
            ),
        );
        Recurrence::None
    });
    let end = recurrence_end(&dto.schedule, &mut error);
    let no_response = NoResponse::parse(&dto.settings.no_response).unwrap_or_else(|| {
        error(
            "settings.noResponse",
            format!("{:?} is not keep, remove or recommendation", dto.settings.no_response),
        );
        NoResponse::Keep
    });
    let stages = stages(&dto.stages, &mut error);
    let definition = CampaignDefinition {
        name: dto.name.clone(),
        description: dto.description.clone(),
        scope: Scope {
            surfaces,
            roles: if dto.scope.role_ids.is_empty() {
                RoleSelection::All
            } else {
                RoleSelection::Listed(dto.scope.role_ids.clone())
            },
            kinds,
            principal_types: PrincipalTypes {
                users: dto.scope.principal_types.users,
                guests: dto.scope.principal_types.guests,
                groups: dto.scope.principal_types.groups,
                service_principals: dto.scope.principal_types.service_principals,
            },
            exclusions: dto.scope.exclusions.clone(),
            pim_groups: dto.scope.pim_groups.iter().map(|g| g.trim().to_string()).collect(),
        },
        reviewers: ReviewerPolicy {
            source,
            fallback: dto.reviewers.fallback.iter().map(reviewer).collect(),
            rule,
        },
        schedule: Schedule {
            start,
            time_zone: dto.schedule.time_zone.clone(),
            duration_days: dto.schedule.duration_days,
            recurrence,
            end,
        },
        settings: Settings {
            justification_on_approve: dto.settings.justification_on_approve,
            justification_on_deny: dto.settings.justification_on_deny,
            recommendations: dto.settings.recommendations,
            look_back_days: dto.settings.look_back_days,
            no_response,
            auto_apply: dto.settings.auto_apply,
            remediation_deadline_days: dto.settings.remediation_deadline_days,
            convert_eligible_days: dto.settings.convert_eligible_days,
            delivery: dto.settings.delivery,
        },
        stages,
    };
    if let Err(more) = definition.validate() {
        // Parse errors already name the field; skip the domain's duplicate for the same field.
        for e in more {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e);
            }
        }
    }
    if errors.is_empty() { Ok(definition) } else { Err(errors) }
}

/// When the recurrence ends, as the form says.
fn recurrence_end(
    schedule: &ScheduleDto,
    error: &mut impl FnMut(&'static str, String),
) -> RecurrenceEnd {
    match schedule.end.as_str() {
        "never" => RecurrenceEnd::Never,
        "onDate" => {
            match schedule.end_date.as_deref().map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d")) {
                Some(Ok(date)) => RecurrenceEnd::OnDate(date),
                _ => {
                    error("schedule.endDate", "give the end date as YYYY-MM-DD".into());
                    RecurrenceEnd::Never
                }
            }
        }
        "afterCount" => match schedule.end_count {
            Some(n) => RecurrenceEnd::AfterCount(n),
            None => {
                error("schedule.endCount", "give the number of occurrences".into());
                RecurrenceEnd::Never
            }
        },
        other => {
            error("schedule.end", format!("{other:?} is not never, onDate or afterCount"));
            RecurrenceEnd::Never
        }
    }
}

/// The later stages of a multi-stage review, as the form gives them.
fn stages(dtos: &[StageDto], error: &mut impl FnMut(&'static str, String)) -> Vec<Stage> {
    let mut stages = Vec::new();
    for stage in dtos {
        let reviewers = match stage.reviewers.as_str() {
            "manager" => StageReviewers::Manager,
            "named" => StageReviewers::Named(stage.named.iter().map(reviewer).collect()),
            "roleOwners" => StageReviewers::RoleOwners(
                stage
                    .role_owners
                    .iter()
                    .map(|r| RoleOwners {
                        role_id: r.role_id.clone(),
                        owners: r.owners.iter().map(reviewer).collect(),
                    })
                    .collect(),
            ),
            "governanceAdmins" => StageReviewers::GovernanceAdmins,
            "self" => {
                error("stages.reviewers", "self-review can only be the first stage".into());
                StageReviewers::Manager
            }
            other => {
                error(
                    "stages.reviewers",
                    format!("{other:?} is not manager, named, roleOwners or governanceAdmins"),
                );
                StageReviewers::Manager
            }
        };
        let rule = MultiReviewerRule::parse(&stage.rule).unwrap_or_else(|| {
            error("stages.rule", format!("{:?} is not firstDecides or allMustApprove", stage.rule));
            MultiReviewerRule::FirstDecides
        });
        let takes = Takes::parse(&stage.takes).unwrap_or_else(|| {
            error(
                "stages.takes",
                format!("{:?} is not all, approved, denied or dontKnow", stage.takes),
            );
            Takes::All
        });
        stages.push(Stage {
            reviewers,
            fallback: stage.fallback.iter().map(reviewer).collect(),
            rule,
            duration_days: stage.duration_days,
            takes,
        });
    }
    stages
}

/// The form of a domain definition, for display and storage.
pub fn definition_dto(id: &str, tenant_id: &str, d: &CampaignDefinition) -> DefinitionDto {
    let (source, named) = match &d.reviewers.source {
        ReviewerSource::Manager => ("manager", Vec::new()),
        ReviewerSource::Named(named) => ("named", named.iter().map(reviewer_dto).collect()),
        ReviewerSource::SelfReview => ("self", Vec::new()),
    };
    let (end, end_date, end_count) = match d.schedule.end {
        RecurrenceEnd::Never => ("never", None, None),
        RecurrenceEnd::OnDate(date) => ("onDate", Some(date.format("%Y-%m-%d").to_string()), None),
        RecurrenceEnd::AfterCount(n) => ("afterCount", None, Some(n)),
    };
    DefinitionDto {
        id: id.to_string(),
        tenant_id: tenant_id.to_string(),
        name: d.name.clone(),
        description: d.description.clone(),
        scope: ScopeDto {
            surfaces: d.scope.surfaces.iter().map(|s| s.as_str().to_string()).collect(),
            role_ids: match &d.scope.roles {
                RoleSelection::All => Vec::new(),
                RoleSelection::Listed(ids) => ids.clone(),
            },
            kinds: d.scope.kinds.as_str().to_string(),
            principal_types: PrincipalTypesDto {
                users: d.scope.principal_types.users,
                guests: d.scope.principal_types.guests,
                groups: d.scope.principal_types.groups,
                service_principals: d.scope.principal_types.service_principals,
            },
            exclusions: d.scope.exclusions.clone(),
            pim_groups: d.scope.pim_groups.clone(),
        },
        reviewers: ReviewersDto {
            source: source.to_string(),
            named,
            fallback: d.reviewers.fallback.iter().map(reviewer_dto).collect(),
            rule: d.reviewers.rule.as_str().to_string(),
        },
        schedule: ScheduleDto {
            start: d.schedule.start.format("%Y-%m-%dT%H:%M").to_string(),
            time_zone: d.schedule.time_zone.clone(),
            duration_days: d.schedule.duration_days,
            recurrence: d.schedule.recurrence.as_str().to_string(),
            end: end.to_string(),
            end_date,
            end_count,
        },
        settings: SettingsDto {
            justification_on_approve: d.settings.justification_on_approve,
            justification_on_deny: d.settings.justification_on_deny,
            recommendations: d.settings.recommendations,
            look_back_days: d.settings.look_back_days,
            no_response: d.settings.no_response.as_str().to_string(),
            auto_apply: d.settings.auto_apply,
            remediation_deadline_days: d.settings.remediation_deadline_days,
            convert_eligible_days: d.settings.convert_eligible_days,
            delivery: d.settings.delivery,
        },
        stages: d.stages.iter().map(stage_dto).collect(),
    }
}

fn stage_dto(s: &Stage) -> StageDto {
    let (named, role_owners) = match &s.reviewers {
        StageReviewers::Named(named) => (named.iter().map(reviewer_dto).collect(), Vec::new()),
        StageReviewers::RoleOwners(roles) => (
            Vec::new(),
            roles
                .iter()
                .map(|r| RoleOwnersDto {
                    role_id: r.role_id.clone(),
                    owners: r.owners.iter().map(reviewer_dto).collect(),
                })
                .collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    StageDto {
        reviewers: s.reviewers.as_str().to_string(),
        named,
        role_owners,
        fallback: s.fallback.iter().map(reviewer_dto).collect(),
        rule: s.rule.as_str().to_string(),
        duration_days: s.duration_days,
        takes: s.takes.as_str().to_string(),
    }
}

/// A review of every Entra role, eligible and active, by each holder's manager (`fallback` for
/// those without one), every quarter from `start` in `time_zone`, three weeks each, with the
/// default settings: the definition the demo and the tests start from.
pub fn quarterly_definition(
    tenant_id: &str,
    name: &str,
    fallback_upn: &str,
    start: NaiveDateTime,
    time_zone: &str,
) -> DefinitionDto {
    let mut d = starter(name);
    d.reviewers.fallback = vec![reviewer_ref(fallback_upn)];
    d.schedule = Schedule {
        start,
        time_zone: time_zone.into(),
        duration_days: 21,
        recurrence: Recurrence::Quarterly,
        end: RecurrenceEnd::Never,
    };
    definition_dto("", tenant_id, &d)
}

/// A review of every Entra role, eligible and active, by `reviewer_upn` alone, once, two weeks
/// from `start` (UTC), with `settings`: the definition drills and benchmarks start from.
pub fn one_reviewer_definition(
    tenant_id: &str,
    name: &str,
    reviewer_upn: &str,
    start: NaiveDateTime,
    settings: SettingsDto,
) -> DefinitionDto {
    let mut d = starter(name);
    d.reviewers.source = ReviewerSource::Named(vec![reviewer_ref(reviewer_upn)]);
    d.reviewers.fallback = vec![reviewer_ref(reviewer_upn)];
    d.schedule.start = start;
    d.schedule.recurrence = Recurrence::None;
    DefinitionDto { settings, ..definition_dto("", tenant_id, &d) }
}

fn reviewer_ref(upn: &str) -> ReviewerRef {
    ReviewerRef { id: String::new(), upn: upn.into(), display_name: String::new() }
}

/// Every Entra role, eligible and active, every principal type, by each holder's manager, the
/// default settings, quarterly for two weeks from the epoch: what the builders above adjust.
fn starter(name: &str) -> CampaignDefinition {
    CampaignDefinition {
        name: name.into(),
        description: String::new(),
        scope: Scope {
            surfaces: vec![Surface::DirectoryRole],
            roles: RoleSelection::All,
            kinds: KindSelection::Both,
            principal_types: PrincipalTypes::ALL,
            exclusions: Vec::new(),
            pim_groups: Vec::new(),
        },
        reviewers: ReviewerPolicy {
            source: ReviewerSource::Manager,
            fallback: Vec::new(),
            rule: MultiReviewerRule::FirstDecides,
        },
        schedule: Schedule {
            start: NaiveDateTime::default(),
            time_zone: "UTC".into(),
            duration_days: 14,
            recurrence: Recurrence::Quarterly,
            end: RecurrenceEnd::Never,
        },
        settings: Settings::default(),
        stages: Vec::new(),
    }
}

/// Settings as the default the wizard starts from.
pub fn default_settings() -> SettingsDto {
    definition_dto("", "", &starter("")).settings
}
