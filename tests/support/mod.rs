//! Test support shared by the scenario tests, the window E2E tests and the benchmarks: an emulator
//! tenant, an app on a private database with a fixed clock, and what the tenant should contain.

pub mod login;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use recert_app::campaigns::dto::{DefinitionDto, IdentityDto};
use recert_app::campaigns::quarterly_definition;
use recert_app::dto::PullDto;
use recert_app::{App, Cloud, TenantAuth, TenantConnection};
use recert_emulator::{Emulator, Options, Tenant};
use serde_json::Value;

/// The instant every scenario runs at, unless it moves the clock itself.
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 31, 9, 0, 0).single().expect("a valid fixed time")
}

/// The repository root, for tests that read the tree or start built binaries.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// Eligible and active (Assigned, not Activated) counts per role id, read straight from the
/// tenant's own data: the truth a pull has to reproduce.
pub fn expected_role_counts(tenant: &Tenant) -> BTreeMap<String, (String, u32, u32)> {
    let text =
        |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let mut counts: BTreeMap<String, (String, u32, u32)> = tenant
        .role_definitions()
        .iter()
        .map(|r| (text(r, "id"), (text(r, "displayName"), 0, 0)))
        .collect();
    for instance in tenant.eligibility_instances() {
        counts.entry(text(instance, "roleDefinitionId")).or_default().1 += 1;
    }
    for instance in tenant.assignment_instances() {
        if !text(instance, "assignmentType").eq_ignore_ascii_case("Activated") {
            counts.entry(text(instance, "roleDefinitionId")).or_default().2 += 1;
        }
    }
    counts
}

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn at(now: DateTime<Utc>) -> TestClock {
        TestClock(Arc::new(Mutex::new(now)))
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = now;
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running emulator and an app connected to it.
pub struct Harness {
    pub emulator: Emulator,
    pub app: App,
    pub tenant_id: String,
    pub clock: TestClock,
}

impl Harness {
    pub async fn start(tenant: Tenant, options: Options) -> Harness {
        Harness::start_with_db(tenant, options, None).await
    }

    /// As [`Harness::start`], with the database in a file (for tests that tamper with it).
    pub async fn start_with_db(
        tenant: Tenant,
        options: Options,
        db: Option<&std::path::Path>,
    ) -> Harness {
        let emulator = Emulator::start(tenant, options).await.expect("the emulator starts");
        let clock = TestClock::at(fixed_now());
        let reader = clock.clone();
        let clock_fn: recert_app::Clock = Arc::new(move || reader.now());
        let app = match db {
            Some(path) => App::open(path, clock_fn).expect("an app on a file"),
            None => App::open_in_memory(clock_fn).expect("an in-memory app"),
        };
        let tenant_id = "test".to_string();
        app.connect(connection(&emulator, &tenant_id)).expect("connect");
        Harness { emulator, app, tenant_id, clock }
    }
}

impl Harness {
    /// Pulls the tenant as the application's own set-up does (the demo tenant's start), then
    /// bootstraps its governance admins from its data the way the demo tenant's are.
    pub async fn pull(&self) -> PullDto {
        let setup = self.app.as_application("test set-up");
        let pull = setup.pull(&self.tenant_id).await.expect("the set-up pull");
        setup.bootstrap_demo_admins(&self.tenant_id).await.expect("the tenant's admins");
        pull
    }

    /// Acts as `upn` from now on (the harness tenant is a demo tenant): who decides, confirms
    /// and applies is whoever this names, as in the window's "Act as".
    pub async fn act_as(&self, upn: &str) -> IdentityDto {
        self.app
            .act_as(&self.tenant_id, upn)
            .await
            .unwrap_or_else(|err| panic!("act as {upn}: {err}"))
            .person
            .expect("a person acts")
    }

    /// The tenant's governance admins' UPNs (after [`Harness::pull`]).
    pub async fn admins(&self) -> Vec<String> {
        self.app.admins(&self.tenant_id).await.expect("admins").into_iter().map(|a| a.upn).collect()
    }

    /// Acts as the first governance admin who is not `except`.
    pub async fn act_as_admin_except(&self, except: &[&str]) -> IdentityDto {
        let admins = self.admins().await;
        let upn = admins
            .iter()
            .find(|a| !except.iter().any(|e| e.eq_ignore_ascii_case(a)))
            .expect("a governance admin")
            .clone();
        self.act_as(&upn).await
    }

    /// Acts as the first governance admin.
    pub async fn act_as_admin(&self) -> IdentityDto {
        self.act_as_admin_except(&[]).await
    }
}

pub fn connection(emulator: &Emulator, id: &str) -> TenantConnection {
    let (client_id, secret) = emulator.app_client();
    TenantConnection {
        id: id.to_string(),
        name: emulator.tenant_name(),
        is_demo: true,
        tenant_guid: emulator.tenant_id(),
        cloud: Cloud::custom(&emulator.base_url()).expect("the emulator's URL is valid"),
        auth: TenantAuth::AppSecret { client_id, secret },
        extra_root: emulator.certificate_der(),
    }
}

pub fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("a valid time")
}

/// The tenant's most senior manager, who stands in as fallback reviewer.
pub fn lead(tenant: &Tenant) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for m in tenant.managers().values() {
        *counts.entry(m).or_default() += 1;
    }
    let id =
        counts.into_iter().max_by_key(|(id, n)| (*n, std::cmp::Reverse(*id))).expect("managers").0;
    tenant.user(id).and_then(|u| u["userPrincipalName"].as_str()).expect("a UPN").to_string()
}

pub fn quarterly(tenant_id: &str, fallback: &str) -> DefinitionDto {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("a start");
    quarterly_definition(
        tenant_id,
        "Quarterly privileged access review",
        fallback,
        start,
        "Europe/Berlin",
    )
}
