//! `recert-cli demo`: the whole campaign flow headless on the built-in demo tenant — pull, define a
//! quarterly review, open it, decide as two reviewers, close — printing what happened and where
//! the evidence is. Each step is done by whom it belongs to: the demo tenant's first governance
//! admin (bootstrapped from its data) defines, opens, closes and exports; the reviewers decide.
//! `cargo xtask run` runs this when there is no display.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use clap::Args;
use recert_app::campaigns::dto::{DefinitionDto, WorklistQueryDto};
use recert_app::campaigns::quarterly_definition;
use recert_app::{AppError, Verdict};
use recert_emulator::Tenant;

use crate::session::{DEMO, Session};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the population PDF (default: `demo-population.pdf` in the data directory).
    #[arg(long)]
    pdf: Option<PathBuf>,
}

/// The demo tenant's most senior manager: the one with the most people below them. They are the
/// fallback reviewer and the governance lead of the demo.
fn governance_lead(tenant: &Tenant) -> Option<String> {
    let mut reports: BTreeMap<&str, usize> = BTreeMap::new();
    for manager in tenant.managers().values() {
        *reports.entry(manager.as_str()).or_default() += 1;
    }
    let (id, _) = reports.into_iter().max_by_key(|(id, n)| (*n, std::cmp::Reverse(*id)))?;
    tenant.user(id)?.get("userPrincipalName")?.as_str().map(str::to_string)
}

pub async fn run(
    args: DemoArgs,
    session: &mut Session,
    data_dir: &Path,
    json: bool,
) -> Result<(), AppError> {
    session.connect(DEMO).await?;
    let app = session.app.clone();
    let admin = app
        .admins(DEMO)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::new(recert_app::ErrorCode::NotFound, "the demo tenant has no admin")
        })?
        .upn;
    app.act_as(DEMO, &admin).await?;
    let pull = app.pull(DEMO).await?;
    let summary = app.role_summary(DEMO).await?;
    let pdf = args.pdf.unwrap_or_else(|| data_dir.join("demo-population.pdf"));
    app.export_population_pdf(DEMO, &pdf).await?;

    // A quarterly review of every directory role, starting at this quarter's first day.
    let today = chrono::Utc::now().date_naive();
    let quarter_start =
        chrono::NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1)
            .unwrap_or(today);
    let lead = governance_lead(&Tenant::demo()).unwrap_or_default();
    let start = quarter_start.and_hms_opt(9, 0, 0).unwrap_or_default();
    let definition = DefinitionDto {
        description: "Every Entra role, eligible and active, reviewed by each holder's manager."
            .into(),
        ..quarterly_definition(DEMO, "Quarterly privileged access review", &lead, start, "UTC")
    };
    let created = app.definition_create(definition).await?;
    let campaign = app.campaign_open(&created.definition.id).await?;

    // Two reviewers clear part of their queues: approve what the recommendation keeps, deny the rest.
    let detail = app.campaign(&campaign.id).await?;
    let mut reviewers = detail.reviewers.clone();
    reviewers.sort_by_key(|r| std::cmp::Reverse(r.assigned));
    let mut decided = Vec::new();
    for reviewer in reviewers.iter().take(2) {
        let who = app.act_as(DEMO, &reviewer.upn).await?.person.ok_or_else(|| {
            AppError::new(recert_app::ErrorCode::NotFound, "the reviewer is not in the tenant")
        })?;
        let page = app
            .worklist(
                &campaign.id,
                WorklistQueryDto {
                    reviewer: Some(reviewer.id.clone()),
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?;
        let (deny, approve): (Vec<_>, Vec<_>) = page
            .items
            .iter()
            .filter(|i| i.principal_id != who.id)
            .partition(|i| i.recommendation.as_deref() == Some("deny"));
        let approve: Vec<u32> = approve.iter().map(|i| i.id).collect();
        let deny: Vec<u32> = deny.iter().take(3).map(|i| i.id).collect();
        if !approve.is_empty() {
            app.decide(
                &campaign.id,
                approve.clone(),
                Verdict::Approve,
                "Needed for their current duties".into(),
                recert_app::DecisionSource::Cli,
            )
            .await?;
        }
        if !deny.is_empty() {
            app.decide(
                &campaign.id,
                deny.clone(),
                Verdict::Deny,
                "Not used in the look-back period".into(),
                recert_app::DecisionSource::Cli,
            )
            .await?;
        }
        decided.push((who.upn, approve.len(), deny.len()));
    }
    app.act_as(DEMO, &admin).await?;
    let closed = app
        .campaign_close(&campaign.id, Some("demo: closed after two reviewers decided".into()))
        .await?;
    let detail = app.campaign(&closed.id).await?;
    let paths = recert_app::evidence::EvidencePaths::in_data_dir(data_dir, &closed.id, [true; 3]);
    let binder = paths.pdf.clone().unwrap_or_default();
    let evidence = app.evidence_export(&closed.id, paths).await?;

    if json {
        let out =
            serde_json::json!({ "pull": pull, "summary": summary, "campaign": detail, "pdf": pdf });
        println!("{out:#}");
        return Ok(());
    }
    println!("Demo tenant: {} ({})", summary.tenant.name, summary.tenant.tenant_guid);
    println!(
        "Pulled {} roles: {} eligible and {} active assignments ({} activations set aside) in {} requests, {:.2} s",
        pull.roles, pull.eligible, pull.active, pull.activations, pull.requests, pull.seconds
    );
    println!("Raw responses SHA-256: {}", pull.raw_sha256);
    println!();
    println!(
        "Campaign definition: {} ({}), fallback reviewer {lead}, run by governance admin {admin}",
        created.definition.name, created.definition.id
    );
    println!(
        "Opened {} with {} items for {} reviewers",
        campaign.name,
        campaign.items,
        detail.reviewers.len()
    );
    for (upn, approved, denied) in &decided {
        println!("  {upn} approved {approved} and denied {denied}");
    }
    let o = &detail.outcomes;
    println!(
        "Closed: {} keep, {} remove, {} exceptions (undecided items keep access by default)",
        o.keep, o.remove, o.exception
    );
    println!();
    println!("Database: {}", data_dir.join("recert.db").display());
    println!("Population PDF: {}", pdf.display());
    println!("Evidence binder: {}", binder.display());
    println!(
        "  (with decisions.csv, its history and remediation CSVs, and binder.json; evidence hash {})",
        evidence.evidence_hash
    );
    Ok(())
}
