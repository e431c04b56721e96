//! The kill test: `recert-cli remediation apply` is killed at random points at least 50 times
//! and resumed each time, against one emulator that outlives every run (`RECERT_DEMO_URL`). The
//! emulator's request log must show no assignment removed twice, the journal no action lost, and
//! every action must end final and verified.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use recert_app::campaigns::default_settings;
use recert_app::campaigns::dto::{
    DefinitionDto, PrincipalTypesDto, ReviewerDto, ReviewersDto, ScheduleDto, ScopeDto,
};
use recert_app::{App, Cloud, TenantAuth, TenantConnection};
use recert_emulator::{Emulator, MutationRecord, Options, Tenant};
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

/// The assignment a removal request addresses (Entra roles only in this test).
fn addressed(m: &MutationRecord) -> Option<String> {
    let path = m.path.split('?').next().unwrap_or_default();
    if !path.ends_with("ScheduleRequests") {
        return None;
    }
    let s = |k: &str| m.body.get(k).and_then(Value::as_str).unwrap_or_default().to_lowercase();
    Some(format!(
        "{} {} {} {}",
        path.rsplit('/').next().unwrap_or_default(),
        s("directoryScopeId"),
        s("roleDefinitionId"),
        s("principalId")
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_survives_being_killed_at_random_points() {
    // Latency so that each run is cut mid-way. The child trusts the emulator's certificate
    // through RECERT_DEMO_CERT (sign-in libraries insist on HTTPS).
    let emulator = Emulator::start(
        Tenant::demo(),
        // Slow enough that 50 kills land before the work runs out, even on a fast, idle machine.
        Options { latency: Duration::from_millis(40), ..Options::default() },
    )
    .await
    .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let app = App::open(&dir.path().join("recert.db"), App::system_clock()).expect("the app");
    let (client_id, secret) = emulator.app_client();
    app.connect(TenantConnection {
        id: "demo".into(),
        name: emulator.tenant_name(),
        is_demo: true,
        tenant_guid: emulator.tenant_id(),
        cloud: Cloud::custom(&emulator.base_url()).expect("a URL"),
        auth: TenantAuth::AppSecret { client_id, secret },
        extra_root: emulator.certificate_der(),
    })
    .expect("connect");
    let cert = dir.path().join("emulator.pem");
    std::fs::write(&cert, emulator.certificate_pem().expect("a certificate")).expect("write");
    let setup = app.as_application("test set-up");
    setup.pull("demo").await.expect("pull");
    let admin = setup.bootstrap_demo_admins("demo").await.expect("the demo admins")[0].upn.clone();
    app.act_as("demo", &admin).await.expect("act as the demo tenant's admin");
    let reviewer = Tenant::demo()
        .users()
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .find(|u| !u.starts_with("breakglass"))
        .expect("a user")
        .to_string();
    let mut settings = default_settings();
    settings.no_response = "remove".into();
    settings.recommendations = false;
    let definition = DefinitionDto {
        id: String::new(),
        tenant_id: "demo".into(),
        name: "Kill drill".into(),
        description: String::new(),
        scope: ScopeDto {
            surfaces: vec!["directoryRole".into()],
            role_ids: Vec::new(),
            kinds: "both".into(),
            principal_types: PrincipalTypesDto {
                users: true,
                guests: true,
                groups: true,
                service_principals: true,
            },
            exclusions: Vec::new(),
        },
        reviewers: ReviewersDto {
            source: "named".into(),
            named: vec![ReviewerDto {
                id: String::new(),
                upn: reviewer.clone(),
                display_name: String::new(),
            }],
            fallback: vec![ReviewerDto {
                id: String::new(),
                upn: reviewer,
                display_name: String::new(),
            }],
            rule: "firstDecides".into(),
        },
        schedule: ScheduleDto {
            start: "2026-01-01T09:00".into(),
            time_zone: "UTC".into(),
            duration_days: 14,
            recurrence: "none".into(),
            end: "never".into(),
            end_date: None,
            end_count: None,
        },
        settings,
    };
    let created = app.definition_create(definition).await.expect("a definition");
    let campaign = app.campaign_open(&created.definition.id).await.expect("open").id;
    app.campaign_close(&campaign, None).await.expect("close");
    let planned = app.remediation_plan(&campaign).await.expect("plan");
    let total = planned.counts.actions;
    assert!(total > 300, "enough removals to interrupt: {}", total);

    let bin = env!("CARGO_BIN_EXE_recert-cli");
    let data_dir = dir.path().to_path_buf();
    let base_url = emulator.base_url();
    let campaign_id = campaign.clone();
    let run = move |kill_after: Option<Duration>| {
        let mut child = Command::new(bin)
            .args(["--data-dir"])
            .arg(&data_dir)
            .args(["remediation", "apply", &campaign_id, "--concurrency", "1"])
            .env("RECERT_DEMO_URL", &base_url)
            .env("RECERT_DEMO_CERT", &cert)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the CLI starts");
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
    let run = Arc::new(run);
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
        let r = run.clone();
        let killed = tokio::task::spawn_blocking(move || r(Some(after))).await.expect("a run");
        if killed {
            kills_mid_apply += 1;
        }
    }
    let r = run.clone();
    tokio::task::spawn_blocking(move || r(None)).await.expect("the last run");

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
    let removed = done.actions.iter().filter(|a| a.state == "succeeded").count();
    assert!(
        accepted.len() <= removed && accepted.len() + 40 >= removed,
        "{} accepted, {removed} succeeded",
        accepted.len()
    );
    println!("{kills_mid_apply} kills mid-apply in {runs} runs; {total} actions; seed {seed}");
}
