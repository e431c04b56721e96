//! A remediation drill the CLI tests share: the demo tenant served by an emulator that outlives
//! every CLI run (`RECERT_DEMO_URL`), a database on disk, and a campaign — closed with nobody
//! having answered, so hundreds of removals are due, or still open for the test to decide; the test's own app acts as the demo tenant's first
//! governance admin. Plus how to read the emulator's request log for removals.

// Each test binary that includes the drill uses a part of it.
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::Duration;

use recert_app::campaigns::{default_settings, one_reviewer_definition};
use recert_app::{App, TenantConnection};
use recert_emulator::{Emulator, MutationRecord, Options, Tenant};
use serde_json::Value;

/// The assignment a removal request addresses (Entra roles only here).
pub fn addressed(m: &MutationRecord) -> Option<String> {
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

pub struct Drill {
    pub emulator: Emulator,
    pub app: App,
    pub dir: tempfile::TempDir,
    pub cert: std::path::PathBuf,
    pub campaign: String,
}

/// The drill, with `latency` on every request so that runs can be cut or overlapped mid-way.
pub async fn closed_drill(name: &str, latency: Duration) -> Drill {
    let drill = open_drill(name, latency, "remove").await;
    drill.app.campaign_close(&drill.campaign, None).await.expect("close");
    drill
}

/// The drill's campaign still open, with `no_response` (`keep`, `remove`) for what nobody
/// decides: the test decides before it closes.
pub async fn open_drill(name: &str, latency: Duration, no_response: &str) -> Drill {
    let emulator = Emulator::start(Tenant::demo(), Options { latency, ..Options::default() })
        .await
        .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let app = App::open(&dir.path().join("recert.db"), App::system_clock()).expect("the app");
    let demo = TenantConnection::demo(
        &emulator.base_url(),
        emulator.tenant_id(),
        emulator.app_client(),
        emulator.certificate_der(),
    )
    .expect("a URL");
    app.connect(demo).expect("connect");
    // The CLI trusts the emulator's certificate through RECERT_DEMO_CERT (sign-in libraries
    // insist on HTTPS).
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
    settings.no_response = no_response.into();
    settings.recommendations = false;
    let created = app
        .definition_create(one_reviewer_definition(
            "demo",
            name,
            &reviewer,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .expect("a start"),
            settings,
        ))
        .await
        .expect("a definition");
    let campaign = app.campaign_open(&created.definition.id).await.expect("open").id;
    Drill { emulator, app, dir, cert, campaign }
}

impl Drill {
    /// `recert-cli remediation apply` as a cron job would start it: app-only on the demo tenant,
    /// one request at a time, against this emulator and database.
    pub fn cli_apply(&self) -> Command {
        let mut cli = Command::new(env!("CARGO_BIN_EXE_recert-cli"));
        cli.arg("--data-dir")
            .arg(self.dir.path())
            .args(["remediation", "apply", &self.campaign, "--concurrency", "1"])
            .env("RECERT_DEMO_URL", self.emulator.base_url())
            .env("RECERT_DEMO_CERT", &self.cert)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cli
    }
}
