//! The scheduler inside the running app: opens campaigns when due, closes them at their deadline
//! and records missed windows, once a minute — the same `run_due` that `recert-cli run-due` runs
//! from cron or Task Scheduler when the app is closed. Both take the schedule's lock file beside
//! the database, so on one machine the schedule runs once at a time, whoever starts it.

use std::time::Duration;

use crate::demo::DemoTenant;

/// How often the app looks for due work; campaigns open and close to the minute.
const EVERY: Duration = Duration::from_secs(60);

pub fn start(app: recert_app::App, demo: DemoTenant) {
    // Unattended: the schedule acts as the application, whoever is signed in to the window, and
    // may do only what the application may (open, close, apply when due; never decide).
    let app = app.as_application("Recert scheduler");
    tauri::async_runtime::spawn(async move {
        // Due work on the demo tenant needs it connected: it is started when campaigns are
        // defined on it (a failed start is retried next round), and never for a machine that
        // only reviews real tenants. The first round waits too, so start-up belongs to the
        // window's own first requests.
        loop {
            tokio::time::sleep(EVERY).await;
            let on_demo = app.definitions(Some(DemoTenant::ID.into())).await;
            if on_demo.is_ok_and(|definitions| !definitions.is_empty())
                && let Err(err) = demo.ready().await
            {
                tracing::warn!(%err, "the demo tenant did not start for its scheduled work");
            }
            match app.run_due().await {
                Ok(report) => {
                    for failure in &report.failed {
                        tracing::warn!(%failure, "scheduled campaign work failed");
                    }
                }
                // Another process (a cron `recert-cli run-due`) has the schedule this minute.
                Err(err) if err.code == recert_app::ErrorCode::Conflict => {
                    tracing::info!(%err, "the schedule is running elsewhere")
                }
                Err(err) => tracing::warn!(%err, "the scheduler could not run"),
            }
        }
    });
}
