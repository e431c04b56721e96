//! Pulling a tenant's privileged population and summarising it per role.

use std::path::Path;
use std::time::Instant;

use recert_domain::{AssignmentKind, role_counts};
use recert_store::PullRecord;

use crate::context::tenant_dto;
use crate::dto::{PullDto, RoleCountDto, RoleSummaryDto};
use crate::{App, AppError, ErrorCode};

/// Evidence shows times to the second, in UTC, labelled as such.
fn display_utc(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl App {
    /// Pulls every privileged assignment of the tenant and replaces its stored population in one
    /// transaction: a failed pull stores nothing.
    pub async fn pull(&self, tenant_id: &str) -> Result<PullDto, AppError> {
        let session = self.session(tenant_id)?;
        let started_at = self.now();
        let timer = Instant::now();
        let population = recert_graph::pull_directory_roles(
            &session.graph,
            recert_graph::pull::DEFAULT_CONCURRENCY,
        )
        .await?;
        let record = PullRecord {
            started_at,
            finished_at: self.now(),
            actor: self.actor.clone(),
            requests: count(population.pages.len()),
            raw_sha256: population.raw_sha256(),
        };
        let eligible =
            population.assignments.iter().filter(|a| a.kind == AssignmentKind::Eligible).count();
        let dto = PullDto {
            tenant_id: tenant_id.to_string(),
            roles: count(population.roles.len()),
            eligible: count(eligible),
            active: count(population.assignments.len() - eligible),
            activations: count(population.activations),
            requests: record.requests,
            raw_sha256: record.raw_sha256.clone(),
            seconds: 0.0,
        };
        let tenant = tenant_id.to_string();
        self.with_store(move |store| {
            store.replace_population(
                &tenant,
                &record,
                &population.roles,
                &population.assignments,
            )?;
            Ok(())
        })
        .await?;
        Ok(PullDto { seconds: timer.elapsed().as_secs_f64(), ..dto })
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
                    surface: c.surface.as_str().to_string(),
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
