//! The kill test: `recert-cli remediation apply` is killed at random points at least 50 times
//! and resumed each time, against one emulator that outlives every run (`RECERT_DEMO_URL`). The
//! emulator's request log must show no assignment removed twice, the journal no action lost, and
//! every action must end final and verified.

mod drill;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use drill::{addressed, closed_drill};

const KILLS: usize = 50;

/// A small xorshift generator: random kill points without a dependency, seeded per run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_survives_being_killed_at_random_points() {
    // Slow enough that 50 kills land before the work runs out, even on a fast, idle machine.
    let drill = closed_drill("Kill drill", Duration::from_millis(40)).await;
    let (app, campaign, emulator) = (&drill.app, drill.campaign.clone(), &drill.emulator);
    let planned = app.remediation_plan(&campaign).await.expect("plan");
    let total = planned.counts.actions;
    assert!(total > 300, "enough removals to interrupt: {}", total);

    let run = |kill_after: Option<Duration>| {
        let mut child = drill.cli_apply().spawn().expect("the CLI starts");
        let started = Instant::now();
        match kill_after {
            Some(after) => {
                while started.elapsed() < after {
                    if let Ok(Some(_)) = child.try_wait() {
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                let killed = matches!(child.try_wait(), Ok(None));
                let _ = child.kill();
                let _ = child.wait();
                killed
            }
            None => {
                let out = child.wait_with_output().expect("the CLI finishes");
                assert!(
                    out.status.success(),
                    "the last run completes: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                true
            }
        }
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
        | 1;
    let mut rng = Rng(seed);
    let mut kills_mid_apply = 0;
    let mut runs = 0;
    while kills_mid_apply < KILLS {
        runs += 1;
        assert!(
            runs < 400,
            "only {kills_mid_apply} kills landed mid-apply in {runs} runs (seed {seed})"
        );
        let before = app.remediation_plan(&campaign).await.expect("the journal");
        let pending = before.counts.planned + before.counts.submitted;
        assert!(
            pending > 0 || kills_mid_apply >= KILLS,
            "the work ran out after {kills_mid_apply} kills (seed {seed})"
        );
        let after = Duration::from_millis(150 + rng.below(450));
        // The run waits on a child process: off the async workers' feet.
        let killed = tokio::task::block_in_place(|| run(Some(after)));
        if killed {
            kills_mid_apply += 1;
        }
    }
    tokio::task::block_in_place(|| run(None));

    let done = app.remediation_plan(&campaign).await.expect("the journal");
    assert_eq!(done.counts.actions, total, "no action lost");
    assert_eq!(done.counts.planned + done.counts.submitted, 0, "every action is final");
    assert_eq!(done.counts.failed, 0, "{:?}", done.counts);
    assert_eq!(done.counts.verified_removed, done.counts.succeeded, "{:?}", done.counts);
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for m in emulator.mutation_log() {
        let Some(key) = addressed(&m) else { continue };
        assert!(!accepted.contains_key(&key), "{key} was sent again after it was removed");
        if (200..300).contains(&m.status) {
            *accepted.entry(key).or_default() += 1;
        }
    }
    let removed = done.actions.iter().filter(|a| a.state.as_str() == "succeeded").count();
    assert!(
        accepted.len() <= removed && accepted.len() + 40 >= removed,
        "{} accepted, {removed} succeeded",
        accepted.len()
    );
    println!("{kills_mid_apply} kills mid-apply in {runs} runs; {total} actions; seed {seed}");
}
