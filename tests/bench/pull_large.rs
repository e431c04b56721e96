//! The large-tenant pull: 100,000 directory-role assignments and 20,000 users served with 20 ms
//! of latency per request, pulled whole (every surface, principals, managers, members, activity)
//! into a SQLite file through `recert-app`, then the same pull done by Microsoft's Graph SDK for
//! Python (`tests/sdk/pull_all.py`) against the same emulator, for the ratio between the two.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use recert_app::App;
use recert_emulator::{Emulator, GenerateOptions, Options, Tenant};

/// When each pull stage last reported progress, in seconds from the start.
type StageEnds = Arc<Mutex<BTreeMap<String, f64>>>;

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
    let pull = app
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
    rows
}
