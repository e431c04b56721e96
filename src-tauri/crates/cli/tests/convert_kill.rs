//! The kill test of conversions to eligible: `recert-cli remediation apply` is killed at least
//! 50 times — before a conversion's first step, during it (the eligibility asked for, not yet
//! verified), between the two steps, and during the second (the active assignment's removal) —
//! and resumed each time, against one emulator that outlives every run. Where each kill landed
//! is read from the journal and the emulator's log, and every place is hit several times. After
//! every kill nobody whose standing access is being converted is left with neither the active
//! assignment nor the eligibility; at the end every conversion is verified by re-reading, and
//! the emulator's log shows no eligibility made twice and no step sent again after it was
//! accepted.

mod drill;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use drill::open_drill;
use recert_app::Verdict;
use recert_app::campaigns::dto::WorklistQueryDto;
use recert_app::remediation::dto::{ChangeDto, RemediationPlanDto};
use recert_emulator::MutationRecord;
use serde_json::Value;

/// Kills that land while the run is applying.
const KILLS: usize = 50;
/// Each place a kill can land is hit at least this often.
const EACH: usize = 5;
/// Added to every request, so that each step of a conversion takes measurable time.
const LATENCY: Duration = Duration::from_millis(40);

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

/// The request a mutation is, per step: `(collection, action, scope role principal)`.
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

/// Where a kill landed, as the journal tells it for the conversion the run was on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Landed {
    /// No conversion had its eligibility asked for yet (re-reading before the first step).
    BeforeFirstStep,
    /// The eligibility's intent journaled, not yet verified by re-reading.
    DuringFirstStep,
    /// The eligibility verified; the active assignment's removal not yet journaled.
    BetweenSteps,
    /// The removal's intent journaled, its result not.
    DuringSecondStep,
}

/// Where the kill landed, and whether the tenant had already taken the step the journal had not
/// recorded yet (the eligibility made but not verified, or the active assignment removed but its
/// result not journaled): those are what a resumed run must find by re-reading, not resend.
fn landed(journal: &RemediationPlanDto, accepted: &[(String, String)]) -> (Landed, bool) {
    let open: Vec<_> = journal
        .actions
        .iter()
        .filter(|a| a.change == ChangeDto::Convert)
        .filter(|a| a.state.as_str() == "planned" || a.state.as_str() == "submitted")
        .filter(|a| a.state.as_str() == "submitted" || a.eligibility.as_deref() != Some("planned"))
        .collect();
    // One request at a time: the run is on one conversion at most.
    assert!(open.len() <= 1, "more than one conversion under way: {open:?}");
    let Some(a) = open.first() else { return (Landed::BeforeFirstStep, false) };
    let key = format!(
        "{} {} {}",
        a.scope,
        a.role_id.to_ascii_lowercase(),
        a.principal_id.to_ascii_lowercase()
    );
    let taken = |action: &str| accepted.iter().any(|(act, k)| act == action && *k == key);
    match (a.state.as_str(), a.eligibility.as_deref()) {
        ("submitted", _) => (Landed::DuringSecondStep, taken("adminremove")),
        (_, Some("verified")) => (Landed::BetweenSteps, false),
        _ => (Landed::DuringFirstStep, taken("adminassign")),
    }
}

/// Kills `child` `after` its first finished action (or not at all if it ends first); the
/// finished actions' times come from its progress lines (JSON on stderr). Returns whether the
/// kill landed while it ran, and the gaps between the progress lines it printed.
fn kill_after_first_action(
    mut child: Child,
    after: Duration,
    wait_for: usize,
) -> (bool, Vec<Duration>) {
    let stderr = child.stderr.take().expect("stderr is piped");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let progress = serde_json::from_str::<Value>(&line)
                .is_ok_and(|v| v.get("itemId").is_some() && v.get("done").is_some());
            if progress && tx.send(Instant::now()).is_err() {
                return;
            }
        }
    });
    let mut seen: Vec<Instant> = Vec::new();
    while seen.len() < wait_for {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(at) => seen.push(at),
            // The run ended (or printed nothing for two minutes): no kill.
            Err(_) => break,
        }
    }
    let mut killed = false;
    if seen.len() == wait_for {
        let deadline = seen[wait_for - 1] + after;
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(1));
        }
        killed = matches!(child.try_wait(), Ok(None));
        let _ = child.kill();
    }
    let _ = child.wait();
    drop(rx);
    let _ = reader.join();
    (killed, seen.windows(2).map(|w| w[1] - w[0]).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversions_survive_being_killed_between_and_during_their_steps() {
    let drill = open_drill("Conversion kill drill", LATENCY, "keep").await;
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
    // Enough to be killed in well over 50 runs (each finishes about one), few enough that the
    // last run stays short.
    let chosen: Vec<_> = page
        .items
        .iter()
        .filter(|i| i.principal_type == "user" && i.principal_id != me)
        .take(120)
        .collect();
    let ids: Vec<u32> = chosen.iter().map(|i| i.id).collect();
    app.decide(
        &campaign,
        ids,
        Verdict::ConvertToEligible,
        "no standing access".into(),
        recert_app::DecisionSource::Cli,
    )
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
        .filter(|a| a.change == ChangeDto::Convert)
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
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
        | 1;
    let mut rng = Rng(seed);

    // One conversion's time from one finished action to the next, measured on the first run
    // (cut after its third): each later run is killed at a random point of the conversion that
    // follows its first finished action, so the kills spread over every step of it.
    let spawn = || {
        let mut cli = drill.cli_apply();
        cli.arg("--json");
        cli.spawn().expect("the CLI starts")
    };
    let (_, gaps) =
        tokio::task::block_in_place(|| kill_after_first_action(spawn(), Duration::ZERO, 3));
    let conversion = gaps.iter().max().copied().expect("the first run converts three");
    assert!(conversion >= LATENCY * 4, "a conversion is five requests: {conversion:?}");

    let mut landings: BTreeMap<Landed, usize> = BTreeMap::new();
    let (mut kills, mut runs, mut taken_unjournaled) = (0, 0, 0);
    while kills < KILLS || landings.len() < 4 || landings.values().any(|n| *n < EACH) {
        runs += 1;
        assert!(runs < 150, "{kills} kills in {runs} runs landed only {landings:?} (seed {seed})");
        let before = app.remediation_plan(&campaign).await.expect("the journal");
        assert!(
            before.counts.planned + before.counts.submitted > 0,
            "the work ran out after {kills} kills, landed {landings:?} (seed {seed})"
        );
        let after = Duration::from_micros(rng.below(conversion.as_micros() as u64));
        let (killed, _) =
            tokio::task::block_in_place(|| kill_after_first_action(spawn(), after, 1));
        if !killed {
            continue;
        }
        kills += 1;
        // Nobody converted so far is left with neither.
        let tenant = emulator.snapshot();
        for c in &converting {
            assert!(
                holds_either(&tenant, c),
                "{c:?} holds neither after kill {kills} (seed {seed})"
            );
        }
        let journal = app.remediation_plan(&campaign).await.expect("the journal");
        let accepted: Vec<(String, String)> = emulator
            .mutation_log()
            .iter()
            .filter(|m| (200..300).contains(&m.status))
            .filter_map(step)
            .map(|(_, action, key)| (action, key))
            .collect();
        let (place, taken) = landed(&journal, &accepted);
        *landings.entry(place).or_default() += 1;
        taken_unjournaled += usize::from(taken);
    }

    let out = tokio::task::block_in_place(|| {
        drill.cli_apply().spawn().expect("the CLI starts").wait_with_output()
    })
    .expect("the CLI finishes");
    // It ends non-zero when a conversion was held for a person (say, the tenant has an
    // eligibility through a group and refuses another): checked below by code.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("[conflict]"),
        "the last run completes: {stderr}"
    );
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
    for a in verified.actions.iter().filter(|a| a.state.as_str() == "skipped") {
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
        "{kills} kills in {runs} runs landed {landings:?} ({taken_unjournaled} after the tenant \
         took a step the journal had not recorded); a conversion takes {conversion:?}; {total} \
         conversions; {assigns} eligibilities made, {removes} active assignments removed; seed \
         {seed}"
    );
}
