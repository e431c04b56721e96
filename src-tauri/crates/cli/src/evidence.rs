//! `recert-cli evidence` and `recert-cli verify`: write a campaign's binder, and re-check it
//! against the database, the audit chain and the files at any later time.

use std::path::PathBuf;

use clap::Args;
use recert_app::evidence::EvidencePaths;
use recert_app::{AppError, ErrorCode};

use crate::session::Session;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvidenceArgs {
    #[command(subcommand)]
    command: Option<EvidenceCommand>,
    /// The campaign whose binder to write.
    campaign: Option<String>,
    /// The PDF binder.
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// The decisions CSV; the decision history and the remediation log are written beside it
    /// (`<name>-history.csv`, `<name>-remediation.csv`).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Everything as JSON. (`--json` alone switches the command's own output to JSON.)
    #[arg(long = "json-file", value_name = "FILE")]
    json_file: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum EvidenceCommand {
    /// Draw the auditor's reproducible sample and write a trace sheet per item.
    Sample(crate::sample::SampleArgs),
}

pub async fn export(args: EvidenceArgs, session: &mut Session, json: bool) -> Result<(), AppError> {
    if let Some(EvidenceCommand::Sample(sample)) = args.command {
        return crate::sample::run(sample, session, json).await;
    }
    let Some(campaign) = args.campaign else {
        return Err(AppError::new(ErrorCode::Invalid, "name the campaign whose evidence to write"));
    };
    session.act_on_campaign(&campaign).await?;
    let result = session
        .app
        .evidence_export(
            &campaign,
            EvidencePaths { pdf: args.pdf, csv: args.csv, json: args.json_file },
        )
        .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&result).unwrap_or_default());
    } else {
        println!(
            "Evidence for {} ({} items), generated {}",
            result.campaign_id, result.items, result.generated_at
        );
        println!("Evidence hash: {}", result.evidence_hash);
        println!("Audit chain head: {}", result.audit_head);
        if let Some(key) = &result.signing_key {
            println!("Signed by key: {key}");
        }
        for f in &result.files {
            println!("  {:<16} {}  sha256 {}", f.name, f.path, f.sha256);
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    campaign: String,
    /// A PDF binder to check against the database.
    #[arg(long)]
    pdf: Option<PathBuf>,
    #[arg(long)]
    csv: Option<PathBuf>,
    #[arg(long = "json-file", value_name = "FILE")]
    json_file: Option<PathBuf>,
    /// An audit-chain head noted earlier (printed in a binder, or by an earlier export): the
    /// chain must still hold it, so nothing was cut from its tail since.
    #[arg(long, value_name = "HASH")]
    expect_head: Option<String>,
}

pub async fn verify(args: VerifyArgs, session: &Session, json: bool) -> Result<(), AppError> {
    let report = session
        .app
        .verify_with(
            &args.campaign,
            EvidencePaths { pdf: args.pdf, csv: args.csv, json: args.json_file },
            args.expect_head,
        )
        .await?;
    print_report(&report, json)
}

fn print_report(
    report: &recert_app::evidence::VerifyReportDto,
    json: bool,
) -> Result<(), AppError> {
    if json {
        println!("{}", serde_json::to_string_pretty(report).unwrap_or_default());
    } else {
        for c in &report.checks {
            println!("{} {}: {}", if c.ok { "ok    " } else { "FAILED" }, c.name, c.detail);
        }
    }
    if report.ok {
        Ok(())
    } else {
        let failed = report.checks.iter().filter(|c| !c.ok).count();
        Err(AppError::new(
            ErrorCode::Conflict,
            format!("{failed} check(s) failed: the record or the files were altered"),
        ))
    }
}

#[derive(Args, Debug)]
pub struct VerifyBinderArgs {
    /// The binder PDF, as handed to the auditor.
    binder: PathBuf,
}

pub fn verify_binder(args: VerifyBinderArgs, json: bool) -> Result<(), AppError> {
    let report = recert_app::evidence::verify_binder(&args.binder)?;
    print_report(&report, json)
}
