//! `recert-cli`: Recert without a window, for scheduled jobs, scripts and headless demos.
//!
//! Every command calls the same `recert-app` functions as the window. Output is for people by
//! default and JSON with `--json`; errors go to stderr with their code and a non-zero exit.

mod demo;
mod emulator;

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the demo flow on the built-in demo tenant: pull, summarise, export the PDF.
    Demo(demo::DemoArgs),
    /// The fake Entra tenant used by the demo and the tests.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
}

#[derive(Subcommand, Debug)]
enum EmulatorCommand {
    /// Serve a tenant on loopback until interrupted.
    Serve(emulator::ServeArgs),
}

/// Where the database lives unless `--data-dir` says otherwise.
fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| dirs::data_dir().map(|d| d.join("recert"))).unwrap_or_else(|| PathBuf::from(".recert"))
}

fn print_error(err: &AppError, json: bool) {
    if json {
        eprintln!("{}", serde_json::json!({ "error": err }));
    } else {
        eprintln!("error [{}]: {}", serde_json::to_value(err.code).unwrap_or_default().as_str().unwrap_or("?"), err.message);
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RECERT_LOG").unwrap_or_else(|_| "warn".into()),
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
        match cli.command {
            Command::Demo(args) => demo::run(args, &data_dir(cli.data_dir), json).await,
            Command::Emulator(EmulatorCommand::Serve(args)) => emulator::serve(args)
                .await
                .map_err(|message| AppError::new(recert_app::ErrorCode::Invalid, message)),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(&err, json);
            ExitCode::FAILURE
        }
    }
}
