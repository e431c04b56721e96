//! The kill test of conversions to eligible: `recert-cli remediation apply` is killed at random
//! points at least 50 times — between the two steps of a conversion and during each — and
//! resumed each time, against one emulator that outlives every run. After every kill nobody
//! whose standing access is being converted is left with neither the active assignment nor the
//! eligibility; at the end every conversion is verified by re-reading, and the emulator's log
//! shows no eligibility made twice and no step sent again after it was accepted.

mod drill;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use drill::open_drill;
use recert_app::Verdict;
use recert_app::campaigns::dto::WorklistQueryDto;
use recert_emulator::MutationRecord;
use serde_json::Value;

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

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// The request a mutation is, per step: `(collection, action, scope, role, principal)`.
fn step(m: &MutationRecord) -> Option<(String, String, String)> {
    let path = m.path.split('?').next().unwrap_or_default();
    if !path.ends_with("ScheduleRequests") {
        return None;
    }
    let collection = path.rsplit('/').next().unwrap_or_default().to_string();
    let action = text(&m.body, "action").to_ascii_lowercase();
    let assignment = format!(
        "{} {} {}",
        text(&m.body, "directoryScopeId"),
        text(&m.body, "roleDefinitionId").to_ascii_lowercase(),
        text(&m.body, "principalId").to_ascii_lowercase()
    );
    Some((collection, action, assignment))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversions_survive_being_killed_between_and_during_their_steps() {
    let drill = open_drill("Conversion kill drill", Duration::from_millis(40), "keep").await;
    let (app, campaign, emulator) = (&drill.app, drill.campaign.clone(), &drill.emulator);
    // Every standing, direct active assignment of a person is converted (the admin deciding for
    // the reviewer), except the admin's own: nobody decides on their own access.
    let me = app.acting("demo").await.expect("acting").person.expect("a person").id;
    let page = app
        .worklist(
            &campaign,
            WorklistQueryDto {
                kind: Some("active".into()),
                membership: Some("direct".into()),
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("the worklist");
    let chosen: Vec<_> =
        page.items.iter().filter(|i| i.principal_type == "user" && i.principal_id != me).collect();
    let ids: Vec<u32> = chosen.iter().map(|i| i.id).collect();
    app.decide(&campaign, ids, Verdict::ConvertToEligible, "no standing access".into(), "cli")
        .await
        .expect("converted");
    app.campaign_close(&campaign, None).await.expect("close");
    let planned = app.remediation_plan(&campaign).await.expect("plan");
    let total = planned.counts.conversions;
    assert!(total > 60, "enough conversions to interrupt: {total}");
    // Who is being converted: (scope, role, principal) of each conversion.
    let converting: Vec<(String, String, String)> = planned
        .actions
        .iter()
        .filter(|a| a.change == recert_app::remediation::dto::ChangeDto::Convert)
        .map(|a| {
            (a.scope.clone(), a.role_id.to_ascii_lowercase(), a.principal_id.to_ascii_lowercase())
        })
        .collect();
    let holds_either =
        |tenant: &recert_emulator::Tenant, (scope, role, principal): &(String, String, String)| {
            let mine = |i: &&Value| {
                text(i, "directoryScopeId") == scope
                    && text(i, "roleDefinitionId").eq_ignore_ascii_case(role)
                    && text(i, "principalId").eq_ignore_ascii_case(principal)
                    && text(i, "memberType") == "Direct"
            };
            tenant.eligibility_instances().iter().any(|i| mine(&i))
                || tenant
                    .assignment_instances()
                    .iter()
                    .filter(mine)
                    .any(|i| text(i, "assignmentType") == "Assigned")
        };

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
                // It ends non-zero when a conversion was held for a person (say, the tenant has
                // an eligibility through a group and refuses another): checked below by code.
                let out = child.wait_with_output().expect("the CLI finishes");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    out.status.success() || stderr.contains("[conflict]"),
                    "the last run completes: {stderr}"
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
    let (mut kills, mut runs, mut between_steps) = (0, 0, 0);
    while kills < KILLS {
        runs += 1;
        assert!(runs < 400, "only {kills} kills landed mid-apply in {runs} runs (seed {seed})");
        let before = app.remediation_plan(&campaign).await.expect("the journal");
        assert!(
            before.counts.planned + before.counts.submitted > 0,
            "the work ran out after {kills} kills (seed {seed})"
        );
        let after = Duration::from_millis(150 + rng.below(450));
        if tokio::task::block_in_place(|| run(Some(after))) {
            kills += 1;
        }
        // Nobody converted so far is left with neither.
        let tenant = emulator.snapshot();
        for c in &converting {
            assert!(
                holds_either(&tenant, c),
                "{c:?} holds neither after kill {kills} (seed {seed})"
            );
        }
        let journal = app.remediation_plan(&campaign).await.expect("the journal");
        between_steps += journal
            .actions
            .iter()
            .filter(|a| a.eligibility.as_deref() == Some("verified") && a.state != "succeeded")
            .count()
            .min(1);
    }
    tokio::task::block_in_place(|| run(None));
    let verified = app.remediation_verify(&campaign).await.expect("verify");

    assert_eq!(verified.counts.conversions, total, "no action lost");
    assert_eq!(verified.counts.planned + verified.counts.submitted, 0, "every action is final");
    assert_eq!(verified.counts.failed, 0, "{:?}", verified.counts);
    assert_eq!(
        verified.counts.verified_changed, verified.counts.succeeded,
        "{:?}",
        verified.counts
    );
    // A conversion not made is one the tenant could not take as a second, direct eligibility
    // (the person is eligible through a group), and it says so; the active assignment stayed.
    for a in verified.actions.iter().filter(|a| a.state == "skipped") {
        assert_eq!(a.state_code.as_deref(), Some("eligibilityNotDirect"), "{a:?} (seed {seed})");
    }
    assert!(verified.counts.succeeded + 5 >= total, "nearly all converted: {:?}", verified.counts);
    let tenant = emulator.snapshot();
    for c in &converting {
        assert!(holds_either(&tenant, c), "{c:?} holds neither at the end");
    }
    // Each step once: no adminAssign of an eligibility accepted twice, and no request of a step
    // sent after one was accepted.
    let mut accepted: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for m in emulator.mutation_log() {
        let Some(key) = step(&m) else { continue };
        assert!(!accepted.contains_key(&key), "{key:?} was sent again after it was accepted");
        if (200..300).contains(&m.status) {
            *accepted.entry(key).or_default() += 1;
        }
    }
    let assigns = accepted.keys().filter(|(_, action, _)| action == "adminassign").count();
    let removes = accepted.keys().filter(|(_, action, _)| action == "adminremove").count();
    assert!(assigns <= total as usize && removes <= total as usize, "{assigns} {removes} {total}");
    println!(
        "{kills} kills in {runs} runs ({between_steps} between steps); {total} conversions; \
         {assigns} eligibilities made, {removes} active assignments removed; seed {seed}"
    );
}
