//! `recert-cli`: Recert without a window, for scheduled jobs, scripts and headless demos.
//!
//! Every command calls the same `recert-app` functions as the window. Output is for people by
//! default and JSON with `--json`; errors go to stderr with their code and a non-zero exit.

mod admins;
mod campaign;
mod capture;
mod demo;
mod emulator;
mod evidence;
mod exceptions;
mod justifications;
mod remediation;
mod sample;
mod session;
mod signoff;
mod tenant;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use recert_app::AppError;

#[derive(Parser, Debug)]
#[command(name = "recert-cli", version, about = "Access-review campaigns over Entra PIM, headless")]
struct Cli {
    /// Where Recert keeps its database (default: the platform's data directory).
    #[arg(long, global = true, env = "RECERT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Act as this user of the demo tenant (refused for real tenants: there, the person signed
    /// in acts, or the application for an app-only tenant).
    #[arg(long = "as", global = true, value_name = "UPN")]
    as_user: Option<String>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Run the demo flow on the built-in demo tenant: pull, summarise, export the PDF.
    Demo(demo::DemoArgs),
    /// The fake Entra tenant used by the demo and the tests.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
    /// Campaign definitions and campaigns.
    #[command(subcommand)]
    Campaign(campaign::CampaignCommand),
    /// A campaign's review items, filtered.
    Worklist(campaign::WorklistArgs),
    /// Approve or deny items.
    Decide(campaign::DecideArgs),
    /// Decisions in bulk.
    #[command(subcommand)]
    Decisions(DecisionsCommand),
    /// Removals after close: preview, apply (resumable), verify, confirm or keep held items.
    #[command(subcommand)]
    Remediation(remediation::RemediationCommand),
    /// Real tenants: add, list, pull, sign in and out.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// A tenant's governance admins: list, add, remove, or bootstrap the first from Entra.
    #[command(subcommand)]
    Admins(admins::AdminsCommand),
    /// A tenant's canned justifications, offered to reviewers when they decide.
    #[command(subcommand)]
    Justifications(justifications::JustificationsCommand),
    /// Write a campaign's evidence binder (PDF, CSV, JSON).
    Evidence(evidence::EvidenceArgs),
    /// Re-check a campaign's record and exports: audit chain, sealed snapshot, database, files.
    Verify(evidence::VerifyArgs),
    /// Re-check a binder PDF with the file alone, no database: its signed seal, attachments,
    /// pages, and that the population's counts follow from the raw pages attached.
    VerifyBinder(evidence::VerifyBinderArgs),
    /// Open campaigns that are due, close those past their deadline, record missed windows.
    /// Idempotent: run it from cron or Task Scheduler as often as you like.
    RunDue,
}

#[derive(Subcommand, Debug)]
enum DecisionsCommand {
    /// Import decisions from a CSV file (item,decision,justification); all or nothing.
    Import(campaign::ImportArgs),
}

#[derive(Subcommand, Debug)]
enum EmulatorCommand {
    /// Serve a tenant on loopback until interrupted.
    Serve(emulator::ServeArgs),
    /// Pull a saved tenant and write its raw pages as a fixture the emulator serves
    /// (`--pseudonymize` replaces names, UPNs and mail addresses consistently).
    Capture(capture::CaptureArgs),
}

/// Where the database lives unless `--data-dir` says otherwise.
fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| dirs::data_dir().map(|d| d.join("recert")))
        .unwrap_or_else(|| PathBuf::from(".recert"))
}

fn print_error(err: &AppError, json: bool) {
    if json {
        eprintln!("{}", serde_json::json!({ "error": err }));
    } else {
        eprintln!(
            "error [{}]: {}",
            serde_json::to_value(err.code).unwrap_or_default().as_str().unwrap_or("?"),
            err.message
        );
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RECERT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let json = cli.json;
    let result = runtime.block_on(async move {
        let data_dir = data_dir(cli.data_dir);
        let mut session = match &cli.command {
            // These need no database.
            Command::Emulator(EmulatorCommand::Serve(_)) | Command::VerifyBinder(_) => None,
            _ => match session::Session::open(&data_dir, cli.as_user.clone()) {
                Ok(session) => Some(session),
                Err(err) => return Err(err),
            },
        };
        let result = match (cli.command, session.as_mut()) {
            (Command::Emulator(EmulatorCommand::Serve(args)), _) => emulator::serve(args)
                .await
                .map_err(|message| AppError::new(recert_app::ErrorCode::Invalid, message)),
            (Command::Emulator(EmulatorCommand::Capture(args)), Some(session)) => {
                capture::capture(args, session, json).await
            }
            (Command::Demo(args), Some(session)) => demo::run(args, session, &data_dir, json).await,
            (Command::Campaign(command), Some(session)) => {
                campaign::run(command, session, json).await
            }
            (Command::Worklist(args), Some(session)) => {
                campaign::worklist(args, session, json).await
            }
            (Command::Admins(command), Some(session)) => admins::run(command, session, json).await,
            (Command::Justifications(command), Some(session)) => {
                justifications::run(command, session, json).await
            }
            (Command::Decide(args), Some(session)) => campaign::decide(args, session, json).await,
            (Command::Decisions(DecisionsCommand::Import(args)), Some(session)) => {
                campaign::import(args, session, json).await
            }
            (Command::RunDue, Some(session)) => campaign::run_due(session, json).await,
            (Command::Remediation(command), Some(session)) => {
                remediation::run(command, session, json).await
            }
            (Command::VerifyBinder(args), _) => evidence::verify_binder(args, json),
            (Command::Evidence(args), Some(session)) => evidence::export(args, session, json).await,
            (Command::Verify(args), Some(session)) => evidence::verify(args, session, json).await,
            (Command::Tenant(command), Some(session)) => tenant::run(command, session, json).await,
            (_, None) => Err(AppError::new(recert_app::ErrorCode::Storage, "no database is open")),
        };
        if let Some(session) = session {
            session.close().await;
        }
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(&err, json);
            ExitCode::FAILURE
        }
    }
}
