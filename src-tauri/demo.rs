//! The built-in demo tenant: the emulator started in-process, connected and pulled. It starts on
//! first use (the window opening on it, or the schedule having work on it), not at launch, so a
//! window working on a real tenant never carries it; a failed start is not remembered, so
//! "Try again" retries.
//! Its state is kept in the data directory (`demo-tenant.json`), so the removals applied in one
//! session — or by a CLI run — are still there after a restart; while a CLI run serves it, the
//! window uses that server.

use std::path::PathBuf;
use std::sync::Arc;

use recert_app::dto::TenantDto;
use recert_app::{App, AppError, ErrorCode, TenantConnection};
use recert_emulator::{Options, Served, Tenant, serve_home};
use tokio::sync::Mutex;

#[derive(Clone)]
pub struct DemoTenant {
    app: App,
    /// Where the demo tenant's state is kept.
    data_dir: PathBuf,
    /// The running emulator (or the address of the process serving it) lives here for as long
    /// as the app runs.
    running: Arc<Mutex<Option<(Served, TenantDto)>>>,
}

async fn start(app: &App, data_dir: &std::path::Path) -> Result<(Served, TenantDto), AppError> {
    let served = serve_home(data_dir, "demo-tenant", Tenant::demo, Options::default())
        .await
        .map_err(|err| {
            AppError::new(ErrorCode::Unreachable, format!("cannot start the demo tenant: {err}"))
        })?;
    let (base_url, der, tenant_guid) =
        (served.base_url(), served.certificate_der(), served.tenant_id());
    let connection = TenantConnection::demo(
        &base_url,
        tenant_guid.clone(),
        (
            recert_emulator::DEMO_CONFIDENTIAL_CLIENT_ID.into(),
            recert_emulator::DEMO_CONFIDENTIAL_CLIENT_SECRET.into(),
        ),
        der.clone(),
    )?;
    let cloud = connection.cloud.clone();
    let tenant = app.connect(connection)?;
    // Reviewers sign in as themselves through the emulator's login page, as on a real tenant.
    app.allow_people_sign_in(
        &tenant.id,
        cloud,
        &tenant_guid,
        recert_emulator::DEMO_PUBLIC_CLIENT_ID,
        der.as_deref(),
    )?;
    // The set-up is the application's own work; the demo tenant's governance admins come from
    // its data, bootstrapped the way a real tenant's first admin is.
    let setup = app.as_application("Recert demo set-up");
    setup.pull(&tenant.id).await?;
    setup.bootstrap_demo_admins(&tenant.id).await?;
    Ok((served, tenant))
}

impl DemoTenant {
    /// The demo tenant, not started yet: [`DemoTenant::ready`] starts it when it is first used.
    pub fn new(app: App, data_dir: PathBuf) -> DemoTenant {
        DemoTenant { app, data_dir, running: Arc::default() }
    }

    /// The demo tenant's id in the database, whether or not it runs.
    pub const ID: &str = "demo";

    /// The demo tenant once it is connected and pulled, starting it if it is not running.
    pub async fn ready(&self) -> Result<TenantDto, AppError> {
        let mut running = self.running.lock().await;
        if let Some((_, tenant)) = running.as_ref() {
            return Ok(tenant.clone());
        }
        let (served, tenant) = start(&self.app, &self.data_dir).await?;
        *running = Some((served, tenant.clone()));
        Ok(tenant)
    }

    /// The demo emulator's certificate (PEM) when `tenant_id` is the running demo tenant, for the
    /// sign-in window to trust its login page; `None` for any other tenant.
    pub async fn login_certificate(&self, tenant_id: &str) -> Option<String> {
        let running = self.running.lock().await;
        let (served, tenant) = running.as_ref()?;
        if tenant.id == tenant_id { served.certificate_pem() } else { None }
    }
}
