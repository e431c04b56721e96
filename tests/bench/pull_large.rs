//! The large-tenant pull: 100,000 directory-role assignments and 20,000 users served with 20 ms
//! of latency per request, pulled whole (every surface, principals, managers, members, activity)
//! into a SQLite file through `recert-app`, then the same pull done by Microsoft's Graph SDK for
//! Python (`tests/sdk/pull_all.py`) against the same emulator, for the ratio between the two.
//!
//! For Recert the emulator runs in this process, on the same runtime as the client: its CPU is
//! counted in Recert's time, which is the harder measure on a small machine. The SDK gets a fresh
//! emulator of the same tenant in a process of its own (`recert-cli emulator serve`, plain HTTP,
//! see below) while nothing else runs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use recert_app::App;
use recert_emulator::{Emulator, GenerateOptions, Options, Tenant};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The tenant: seed and sizes of the generated tenant, and the latency of every request.
const SEED: u64 = 42;
const USERS: usize = 20_000;
const ASSIGNMENTS: usize = 100_000;
const LATENCY_MS: u64 = 20;

/// When each pull stage last reported progress, in seconds from the start.
type StageEnds = Arc<Mutex<BTreeMap<String, f64>>>;

pub async fn large_pull() -> Vec<(String, f64, String)> {
    let tenant = Tenant::generate(&GenerateOptions {
        seed: SEED,
        users: USERS,
        assignments: ASSIGNMENTS,
        ..GenerateOptions::default()
    });
    let emulator = Emulator::start(
        tenant,
        Options { latency: Duration::from_millis(LATENCY_MS), ..Options::default() },
    )
    .await
    .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let app = App::open(&dir.path().join("recert.db"), Arc::new(chrono::Utc::now)).expect("an app");
    app.connect(recert_tests::connection(&emulator, "large")).expect("connected");
    let ends: StageEnds = Arc::default();
    let start = Instant::now();
    let sink = {
        let ends = ends.clone();
        move |p: recert_app::dto::PullProgressDto| {
            if p.done == p.total
                && let Ok(mut ends) = ends.lock()
            {
                ends.insert(p.stage, start.elapsed().as_secs_f64());
            }
        }
    };
    // Pulled as a scheduled job does: the application itself, nobody signed in.
    let pull = app
        .as_application("large-pull benchmark")
        .pull_with_progress("large", &sink, recert_app::CancellationToken::new())
        .await
        .expect("the pull succeeds");
    let seconds = start.elapsed().as_secs_f64();
    let db = std::fs::metadata(dir.path().join("recert.db")).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("recert.db-wal")).map(|m| m.len()).unwrap_or(0);
    let mut rows = vec![
        ("large tenant full pull into SQLite (target <= 5 s)".into(), seconds, "s".into()),
        (
            "assignments pulled (eligible + active)".into(),
            f64::from(pull.eligible + pull.active),
            "items".into(),
        ),
        ("principals resolved".into(), f64::from(pull.principals), "items".into()),
        ("requests sent".into(), f64::from(pull.requests), "requests".into()),
        ("database size".into(), db as f64 / 1_048_576.0, "MiB".into()),
    ];
    let ends = ends.lock().map(|e| e.clone()).unwrap_or_default();
    let mut by_time: Vec<(String, f64)> = ends.into_iter().collect();
    by_time.sort_by(|a, b| a.1.total_cmp(&b.1));
    let last = by_time.last().map(|(_, t)| *t).unwrap_or_default();
    for (stage, at) in by_time {
        rows.push((format!("  stage {stage} finished at"), at, "s".into()));
    }
    rows.push(("  assembling and storing after the last stage".into(), seconds - last, "s".into()));
    // Recert's figures now, in the runner's format: the SDK's half takes many minutes.
    for (figure, value, unit) in rows.drain(..) {
        println!("{figure:<56} {value:>12.2} {unit}");
    }

    // The same reads with Microsoft's SDK, after Recert's pull, against the same emulator code
    // serving the same generated tenant with the same latency, in a process of its own
    // (`recert-cli emulator serve`) and over plain HTTP: the SDK spends no time on TLS (in its
    // favour), and nothing else shares the emulator's runtime. Served from inside this process,
    // the emulator's accept loop starved behind the bench's own work and the SDK saw connections
    // reset.
    emulator.shutdown().await;
    drop(app);
    drop(dir);
    let sdk_emulator = ServedTenant::start(USERS, ASSIGNMENTS, SEED, LATENCY_MS).await;
    let sdk = sdk_pull(&sdk_emulator).await;
    sdk_emulator.stop().await;
    let graph_only = pull
        .surfaces
        .iter()
        .filter(|s| s.surface != recert_domain::Surface::AzureRole)
        .map(|s| u64::from(s.eligible + s.active))
        .sum::<u64>();
    assert_eq!(
        sdk["assignments"].as_u64(),
        Some(graph_only),
        "the SDK pull finds the same Graph assignments as Recert: {sdk}"
    );
    let sdk_seconds = sdk["seconds"].as_f64().unwrap_or(f64::NAN);
    rows.push((
        "same pull with msgraph-sdk for Python (no Azure roles, no SQLite, HTTP)".into(),
        sdk_seconds,
        "s".into(),
    ));
    rows.push((
        "  its assignments (directory roles + PIM for Groups)".into(),
        sdk["assignments"].as_f64().unwrap_or_default(),
        "items".into(),
    ));
    rows.push((
        "  its principals resolved".into(),
        sdk["principals"].as_f64().unwrap_or_default(),
        "items".into(),
    ));
    rows.push((
        "  its requests resent after a dropped connection".into(),
        sdk["transportRetries"].as_f64().unwrap_or_default(),
        "requests".into(),
    ));
    rows.push((
        "msgraph-sdk time / Recert time (target >= 50)".into(),
        sdk_seconds / seconds,
        "x".into(),
    ));
    rows
}

/// The Python that has msgraph-sdk: `RECERT_PYTHON`, or the venv `cargo xtask test` makes.
fn python() -> PathBuf {
    match std::env::var_os("RECERT_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => recert_tests::repo_root().join("target/sdk-venv/bin/python"),
    }
}

/// A generated tenant served by `recert-cli emulator serve` in its own process, with what the
/// server printed about itself.
struct ServedTenant {
    child: tokio::process::Child,
    base: String,
    tenant: String,
    client_id: String,
    secret: String,
}

impl ServedTenant {
    /// Starts the server on a free port over plain HTTP and waits until it says where it is. The
    /// flags generate the tenant `Tenant::generate` makes from the same seed and sizes.
    async fn start(users: usize, assignments: usize, seed: u64, latency_ms: u64) -> ServedTenant {
        let cli = recert_cli();
        assert!(
            cli.exists(),
            "{} is missing: `cargo xtask bench` builds it (cargo build --release -p recert-cli)",
            cli.display()
        );
        let mut child = tokio::process::Command::new(&cli)
            .args(["emulator", "serve", "--no-tls"])
            .args(["--generate-users", &users.to_string()])
            .args(["--generate-assignments", &assignments.to_string()])
            .args(["--seed", &seed.to_string(), "--latency-ms", &latency_ms.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("recert-cli emulator serve starts");
        let stdout = child.stdout.take().expect("the server's output is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut said = BTreeMap::new();
        while let Some(line) = lines.next_line().await.expect("the server's output is readable") {
            if line.starts_with("Press Ctrl-C") {
                break;
            }
            if let Some((key, value)) = line.split_once(':') {
                said.insert(key.trim().to_string(), value.trim().to_string());
            }
        }
        // The rest of its output is not needed, but the pipe must not fill up and block it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let field = |key: &str| {
            said.get(key)
                .cloned()
                .unwrap_or_else(|| panic!("recert-cli emulator serve printed no `{key}`: {said:?}"))
        };
        ServedTenant {
            base: field("base url"),
            tenant: field("tenant id"),
            client_id: field("client id"),
            secret: field("client secret"),
            child,
        }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// `recert-cli` beside this binary (both are built by `cargo xtask bench`), or `RECERT_CLI`.
fn recert_cli() -> PathBuf {
    match std::env::var_os("RECERT_CLI") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => std::env::current_exe()
            .map(|exe| exe.with_file_name(format!("recert-cli{}", std::env::consts::EXE_SUFFIX)))
            .unwrap_or_else(|_| PathBuf::from("recert-cli")),
    }
}

/// Runs `tests/sdk/pull_all.py` against `served` and returns what it printed.
async fn sdk_pull(served: &ServedTenant) -> Value {
    let python = python();
    assert!(
        python.exists(),
        "{} is missing: set RECERT_PYTHON, or run `cargo xtask test` once (it makes the venv from \
         tests/sdk/requirements.txt)",
        python.display()
    );
    let script = recert_tests::repo_root().join("tests/sdk/pull_all.py");
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .args(["--base", &served.base, "--tenant", &served.tenant])
        .args(["--client-id", &served.client_id, "--client-secret", &served.secret])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("the SDK's Python runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pull_all.py failed ({}):\n{stderr}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("pull_all.py printed no JSON ({e}):\n{stdout}\n{stderr}"))
}
