//! The large-tenant pull: 100,000 directory-role assignments and 20,000 users served with 20 ms
//! of latency per request, pulled whole (every surface, principals, managers, members, activity)
//! into a SQLite file through `recert-app`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use recert_app::App;
use recert_emulator::{Emulator, GenerateOptions, Options, Tenant};

pub async fn large_pull() -> Vec<(String, f64, String)> {
    let tenant = Tenant::generate(&GenerateOptions {
        seed: 42,
        users: 20_000,
        assignments: 100_000,
        ..GenerateOptions::default()
    });
    let emulator = Emulator::start(
        tenant,
        Options { latency: Duration::from_millis(20), ..Options::default() },
    )
    .await
    .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let app = App::open(&dir.path().join("recert.db"), Arc::new(chrono::Utc::now)).expect("an app");
    app.connect(recert_tests::connection(&emulator, "large")).expect("connected");
    let start = Instant::now();
    let pull = app.pull("large").await.expect("the pull succeeds");
    let seconds = start.elapsed().as_secs_f64();
    let db = std::fs::metadata(dir.path().join("recert.db")).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("recert.db-wal")).map(|m| m.len()).unwrap_or(0);
    vec![
        ("large tenant full pull into SQLite (target <= 5 s)".into(), seconds, "s".into()),
        (
            "assignments pulled (eligible + active)".into(),
            f64::from(pull.eligible + pull.active),
            "items".into(),
        ),
        ("principals resolved".into(), f64::from(pull.principals), "items".into()),
        ("requests sent".into(), f64::from(pull.requests), "requests".into()),
        ("database size".into(), db as f64 / 1_048_576.0, "MiB".into()),
    ]
}
