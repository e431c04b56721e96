//! Pulling a tenant's privileged population and summarising it per role.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use recert_domain::authority::Action;
use recert_domain::{AssignmentKind, Surface, role_counts};
use recert_graph::{CancellationToken, PullOptions, PullProgress};
use recert_store::{PageRef, PopulationRows, PullRecord};

use crate::campaigns::parse_definition;
use crate::context::tenant_dto;
use crate::dto::{
    PullDto, PullGapDto, PullProgressDto, RoleCountDto, RoleSummaryDto, SurfaceCountDto,
};
use crate::{App, AppError, ErrorCode};

/// Evidence shows times to the second, in UTC, labelled as such.
fn display_utc(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// Activation history is read for the audit log's longest retention (30 days on P1/P2).
const ACTIVITY_LOOKBACK_DAYS: i64 = 30;

pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl App {
    /// Pulls every privileged assignment of the tenant and replaces its stored population in one
    /// transaction: a failed pull stores nothing.
    pub async fn pull(&self, tenant_id: &str) -> Result<PullDto, AppError> {
        let actor = self.pull_actor(tenant_id).await?;
        Ok(self.pull_inner(tenant_id, None, CancellationToken::new(), actor).await?.0)
    }

    /// As [`App::pull`], reporting progress as partitions finish and stopping (storing nothing)
    /// when `cancel` is cancelled.
    pub async fn pull_with_progress(
        &self,
        tenant_id: &str,
        progress: &(dyn Fn(PullProgressDto) + Send + Sync),
        cancel: CancellationToken,
    ) -> Result<PullDto, AppError> {
        let actor = self.pull_actor(tenant_id).await?;
        Ok(self.pull_inner(tenant_id, Some(progress), cancel, actor).await?.0)
    }

    /// Who pulls, when they may.
    async fn pull_actor(&self, tenant_id: &str) -> Result<String, AppError> {
        let (app, tenant) = (self.clone(), tenant_id.to_string());
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            Ok(app.authorize(store, &tenant, Action::Pull)?.label)
        })
        .await
    }

    /// As [`App::pull`], for a campaign being opened by `actor` (already authorized), also
    /// returning the raw pages for its sealed snapshot.
    pub(crate) async fn pull_population(
        &self,
        tenant_id: &str,
        actor: &str,
    ) -> Result<(PullDto, Vec<recert_graph::RawPage>), AppError> {
        self.pull_inner(tenant_id, None, CancellationToken::new(), actor.to_string()).await
    }

    /// The groups a pull asks PIM for Groups about besides the role-assignable ones: those named
    /// in the scope of any of the tenant's definitions, and those earlier pulls found (see
    /// `recert_graph`'s `pull/groups.rs` for why not every group is asked).
    async fn pim_groups_to_read(&self, tenant_id: &str) -> Result<Vec<String>, AppError> {
        let tenant = tenant_id.to_string();
        self.with_store(move |store| {
            let mut groups: BTreeSet<String> =
                store.known_pim_groups(&tenant)?.into_iter().collect();
            for record in store.definitions(Some(tenant.as_str()))? {
                // A definition stored before groups could be named has none.
                if let Ok((_, definition)) = parse_definition(&record.definition) {
                    groups
                        .extend(definition.scope.pim_groups.iter().map(|g| g.to_ascii_lowercase()));
                }
            }
            Ok(groups.into_iter().collect())
        })
        .await
    }

    async fn pull_inner(
        &self,
        tenant_id: &str,
        progress: Option<&(dyn Fn(PullProgressDto) + Send + Sync)>,
        cancel: CancellationToken,
        actor: String,
    ) -> Result<(PullDto, Vec<recert_graph::RawPage>), AppError> {
        let session = self.session(tenant_id)?;
        let started_at = self.now();
        let timer = Instant::now();
        let graph = session.graph.clone().with_cancellation(cancel);
        let sent_before = graph.requests_sent();
        let sink = |p: PullProgress| {
            if let Some(progress) = progress {
                progress(PullProgressDto {
                    stage: p.stage.as_str().to_string(),
                    done: count(p.done),
                    total: count(p.total),
                });
            }
        };
        let pim_groups = self.pim_groups_to_read(tenant_id).await?;
        let options = PullOptions {
            activity_since: Some(started_at - chrono::Duration::days(ACTIVITY_LOOKBACK_DAYS)),
            progress: Some(&sink),
            pim_groups: &pim_groups,
        };
        let population = recert_graph::pull(&graph, &options).await?;
        // The audit log read in full adds its window to the recorded history; a log the pull
        // could not read adds nothing, and the history keeps what it had.
        let activity_read =
            (!population.gaps.iter().any(|g| g.area == recert_domain::GapArea::ActivationHistory))
                .then(|| recert_domain::history::ReadWindow {
                    since: started_at - chrono::Duration::days(ACTIVITY_LOOKBACK_DAYS),
                    until: started_at,
                });
        session.set_reach(crate::context::Reach::Reached);
        let record = PullRecord {
            started_at,
            finished_at: self.now(),
            actor,
            requests: count(graph.requests_sent().saturating_sub(sent_before) as usize),
            raw_sha256: population.raw_sha256(),
        };
        let kind_count = |surface: Option<Surface>, kind: AssignmentKind| {
            count(
                population
                    .assignments
                    .iter()
                    .filter(|a| a.kind == kind && surface.is_none_or(|s| a.surface == s))
                    .count(),
            )
        };
        let dto = PullDto {
            tenant_id: tenant_id.to_string(),
            roles: count(population.roles.len()),
            eligible: kind_count(None, AssignmentKind::Eligible),
            active: kind_count(None, AssignmentKind::Active),
            activations: count(population.activations.len()),
            requests: record.requests,
            raw_sha256: record.raw_sha256.clone(),
            seconds: 0.0,
            surfaces: Surface::ALL
                .into_iter()
                .map(|s| SurfaceCountDto {
                    surface: s,
                    eligible: kind_count(Some(s), AssignmentKind::Eligible),
                    active: kind_count(Some(s), AssignmentKind::Active),
                })
                .collect(),
            principals: count(population.principals.len()),
            group_members: count(population.group_members.len()),
            notes: population.notes.clone(),
            gaps: population.gaps.iter().map(PullGapDto::from).collect(),
        };
        let tenant = tenant_id.to_string();
        let population = self
            .with_store(move |store| {
                let pages: Vec<PageRef<'_>> = population
                    .pages
                    .iter()
                    .map(|p| PageRef {
                        method: &p.method,
                        url: &p.url,
                        request_body: p.request_body.as_deref(),
                        body: &p.body,
                    })
                    .collect();
                let rows = PopulationRows {
                    roles: &population.roles,
                    scope_names: &population.scope_names,
                    assignments: &population.assignments,
                    principals: &population.principals,
                    group_members: &population.group_members,
                    activations: &population.activations,
                    pages: &pages,
                    notes: &population.notes,
                    gaps: &population.gaps,
                    recorded: &population.recorded,
                    activity_read,
                };
                store.replace_population_full(&tenant, &record, &rows)?;
                drop(pages);
                Ok(population)
            })
            .await?;
        let mut population = population;
        let pages = std::mem::take(&mut population.pages);
        // A large population is a few hundred thousand strings: freeing them takes a tenth of a
        // second that nobody needs to wait for.
        tokio::task::spawn_blocking(move || drop(population));
        Ok((PullDto { seconds: timer.elapsed().as_secs_f64(), ..dto }, pages))
    }

    /// The latest population of the tenant, counted per role.
    pub async fn role_summary(&self, tenant_id: &str) -> Result<RoleSummaryDto, AppError> {
        let tenant_id = tenant_id.to_string();
        self.with_store(move |store| {
            let tenant = store.tenant(&tenant_id)?;
            let population = store.population(&tenant_id)?.ok_or_else(|| {
                AppError::new(
                    ErrorCode::NotPulled,
                    format!("tenant {:?} has not been pulled yet", tenant.name),
                )
            })?;
            let roles: Vec<RoleCountDto> = role_counts(&population.roles, &population.assignments)
                .into_iter()
                .map(|c| RoleCountDto {
                    surface: c.surface,
                    role_id: c.role_id,
                    display_name: c.display_name,
                    eligible: c.eligible,
                    active: c.active,
                })
                .collect();
            Ok(RoleSummaryDto {
                tenant: tenant_dto(&tenant),
                pulled_at: population.pull.finished_at.to_rfc3339(),
                raw_sha256: population.pull.raw_sha256,
                eligible: roles.iter().map(|r| r.eligible).sum(),
                active: roles.iter().map(|r| r.active).sum(),
                roles,
                gaps: store.pull_gaps(&tenant_id)?.iter().map(PullGapDto::from).collect(),
            })
        })
        .await
    }

    /// Writes a PDF of the population summary to `path`.
    pub async fn export_population_pdf(
        &self,
        tenant_id: &str,
        path: &Path,
    ) -> Result<(), AppError> {
        let summary = self.role_summary(tenant_id).await?;
        let report = recert_evidence::PopulationReport {
            tenant_name: summary.tenant.name.clone(),
            tenant_guid: summary.tenant.tenant_guid.clone(),
            pulled_at: display_utc(&summary.pulled_at),
            generated_at: display_utc(&self.now().to_rfc3339()),
            raw_sha256: summary.raw_sha256.clone(),
            generator: concat!("Recert ", env!("CARGO_PKG_VERSION")).to_string(),
            rows: summary
                .roles
                .iter()
                .map(|r| recert_evidence::RoleRow {
                    role: r.display_name.clone(),
                    eligible: r.eligible,
                    active: r.active,
                })
                .collect(),
        };
        let bytes = recert_evidence::population_pdf(&report)?;
        tokio::fs::write(path, bytes).await.map_err(|err| {
            AppError::new(ErrorCode::Export, format!("cannot write {}: {err}", path.display()))
        })
    }
}
