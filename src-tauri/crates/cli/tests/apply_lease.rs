//! One apply per tenant across processes: the window's app and `recert-cli remediation apply`
//! started against one emulator and one database. Whichever comes second is refused with who
//! holds the lease; a CLI killed mid-apply leaves nothing that blocks the next run (the system
//! released its lock; its lease row is taken over); and the emulator's request log shows no
//! assignment removed twice.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use recert_app::campaigns::default_settings;
use recert_app::campaigns::dto::{
    DefinitionDto, PrincipalTypesDto, ReviewerDto, ReviewersDto, ScheduleDto, ScopeDto,
};
use recert_app::remediation::ApplyOptions;
use recert_app::{App, CancellationToken, Cloud, TenantAuth, TenantConnection};
use recert_emulator::{Emulator, MutationRecord, Options, Tenant};
use serde_json::Value;

/// The assignment a removal request addresses (Entra roles only here).
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

struct Setup {
    emulator: Emulator,
    app: App,
    dir: tempfile::TempDir,
    cert: std::path::PathBuf,
    campaign: String,
}

/// A closed campaign on the demo tenant in which nobody answered: hundreds of removals. The
/// test's app acts as the demo tenant's first governance admin.
async fn setup() -> Setup {
    let emulator = Emulator::start(
        Tenant::demo(),
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
    let admin = setup.bootstrap_demo_admins("demo").await.expect("admins")[0].upn.clone();
    app.act_as("demo", &admin).await.expect("act as the admin");
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
    let who = ReviewerDto { id: String::new(), upn: reviewer, display_name: String::new() };
    let created = app
        .definition_create(DefinitionDto {
            id: String::new(),
            tenant_id: "demo".into(),
            name: "Lease drill".into(),
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
                named: vec![who.clone()],
                fallback: vec![who],
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
        })
        .await
        .expect("a definition");
    let campaign = app.campaign_open(&created.definition.id).await.expect("open").id;
    app.campaign_close(&campaign, None).await.expect("close");
    let planned = app.remediation_plan(&campaign).await.expect("plan");
    assert!(planned.counts.actions > 300, "enough removals to overlap: {:?}", planned.counts);
    Setup { emulator, app, dir, cert, campaign }
}

impl Setup {
    /// `recert-cli remediation apply` as a cron job would start it: app-only on the demo tenant,
    /// against this emulator and database.
    fn cli_apply(&self) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_recert-cli"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(["remediation", "apply", &self.campaign, "--concurrency", "1"])
            .env("RECERT_DEMO_URL", self.emulator.base_url())
            .env("RECERT_DEMO_CERT", &self.cert)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the CLI starts")
    }

    /// Waits until some removal request was sent (someone is applying).
    async fn wait_for_removals(&self, more_than: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while removals_sent(&self.emulator) <= more_than {
            assert!(Instant::now() < deadline, "no removal was sent");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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
    s.wait_for_removals(0).await;
    let admin = s.app.acting("demo").await.expect("who acts").person.expect("the admin").upn;
    let out = s.cli_apply().wait_with_output().expect("the CLI finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second apply is refused: {stderr}");
    assert!(stderr.contains("conflict") && stderr.contains(&admin), "who holds it: {stderr}");
    let done = window.await.expect("joined").expect("the window's apply finishes");
    assert_eq!(done.counts.planned + done.counts.submitted, 0, "{:?}", done.counts);
    at_most_once(&s.emulator);

    // Released: the CLI now runs, and finds nothing to send again.
    let sent = removals_sent(&s.emulator);
    let out = s.cli_apply().wait_with_output().expect("the CLI finishes");
    assert_eq!(removals_sent(&s.emulator), sent, "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_apply_is_taken_over_at_once_and_nothing_is_sent_twice() {
    let s = setup().await;
    let quiet = |_: recert_app::remediation::dto::RemediationProgressDto| {};

    // The CLI applies and is killed mid-way (SIGKILL: no chance to release anything). Its lease
    // row is still there, not expired, but the system released its lock: the window's apply
    // takes over at once and resumes by re-reading, never by resending what the killed run sent.
    let mut cli = s.cli_apply();
    s.wait_for_removals(3).await;
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
