//! One apply per tenant across processes: the window's app and `recert-cli remediation apply`
//! started against one emulator and one database. Whichever comes second is refused with who
//! holds the lease; a CLI killed mid-apply leaves nothing that blocks the next run (the system
//! released its lock; its lease row is taken over); and the emulator's request log shows no
//! assignment removed twice.

mod drill;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use drill::{Drill, addressed, closed_drill};
use recert_app::CancellationToken;
use recert_app::remediation::ApplyOptions;
use recert_emulator::Emulator;

/// No removal sent again after one was accepted; the number accepted.
fn at_most_once(emulator: &Emulator) -> usize {
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for m in emulator.mutation_log() {
        let Some(key) = addressed(&m) else { continue };
        assert!(!accepted.contains_key(&key), "{key} was sent again after it was removed");
        if (200..300).contains(&m.status) {
            *accepted.entry(key).or_default() += 1;
        }
    }
    accepted.len()
}

fn removals_sent(emulator: &Emulator) -> usize {
    emulator.mutation_log().iter().filter(|m| addressed(m).is_some()).count()
}

/// The drill with enough removals to overlap two runs.
async fn setup() -> Drill {
    let drill = closed_drill("Lease drill", Duration::from_millis(40)).await;
    let planned = drill.app.remediation_plan(&drill.campaign).await.expect("plan");
    assert!(planned.counts.actions > 300, "enough removals to overlap: {:?}", planned.counts);
    drill
}

/// Waits until more than `more_than` removal requests were sent (someone is applying).
async fn wait_for_removals(drill: &Drill, more_than: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while removals_sent(&drill.emulator) <= more_than {
        assert!(Instant::now() < deadline, "no removal was sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_at_once_one_is_refused_and_nothing_is_sent_twice() {
    let s = setup().await;
    let quiet = |_: recert_app::remediation::dto::RemediationProgressDto| {};

    // The window's apply runs; the CLI started meanwhile is refused, naming who holds the lease.
    let app = s.app.clone();
    let campaign = s.campaign.clone();
    let window = tokio::spawn(async move {
        app.remediation_apply_with(
            &campaign,
            ApplyOptions { concurrency: 1 },
            &quiet,
            CancellationToken::new(),
        )
        .await
    });
    wait_for_removals(&s, 0).await;
    let admin = s.app.acting("demo").await.expect("who acts").person.expect("the admin").upn;
    let out = s.cli_apply().output().expect("the CLI finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second apply is refused: {stderr}");
    assert!(stderr.contains("conflict") && stderr.contains(&admin), "who holds it: {stderr}");
    let done = window.await.expect("joined").expect("the window's apply finishes");
    assert_eq!(done.counts.planned + done.counts.submitted, 0, "{:?}", done.counts);
    at_most_once(&s.emulator);

    // Released: the CLI now runs, and finds nothing to send again.
    let sent = removals_sent(&s.emulator);
    let out = s.cli_apply().output().expect("the CLI finishes");
    assert_eq!(removals_sent(&s.emulator), sent, "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_apply_is_taken_over_at_once_and_nothing_is_sent_twice() {
    let s = setup().await;
    let quiet = |_: recert_app::remediation::dto::RemediationProgressDto| {};

    // The CLI applies and is killed mid-way (SIGKILL: no chance to release anything). Its lease
    // row is still there, not expired, but the system released its lock: the window's apply
    // takes over at once and resumes by re-reading, never by resending what the killed run sent.
    let mut cli = s.cli_apply().spawn().expect("the CLI starts");
    wait_for_removals(&s, 3).await;
    cli.kill().expect("killed");
    let _ = cli.wait();
    let done = s
        .app
        .remediation_apply(&s.campaign, &quiet, CancellationToken::new())
        .await
        .expect("taken over");
    assert_eq!(done.counts.planned + done.counts.submitted, 0, "{:?}", done.counts);
    assert_eq!(done.counts.verified_removed, done.counts.succeeded, "{:?}", done.counts);
    at_most_once(&s.emulator);
}
