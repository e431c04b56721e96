//! The built-in demo tenant: the emulator started in-process, connected and pulled. It starts in
//! the background as the window opens; a failed start is not remembered, so "Try again" retries.

use std::sync::Arc;

use recert_app::dto::TenantDto;
use recert_app::{App, AppError, Cloud, ErrorCode, TenantAuth, TenantConnection};
use recert_emulator::{Emulator, Options, Tenant};
use tokio::sync::Mutex;

#[derive(Clone)]
pub struct DemoTenant {
    app: App,
    /// The running emulator lives here for as long as the app runs.
    running: Arc<Mutex<Option<(Emulator, TenantDto)>>>,
}

async fn start(app: &App) -> Result<(Emulator, TenantDto), AppError> {
    let emulator = Emulator::start(Tenant::demo(), Options::default()).await.map_err(|err| {
        AppError::new(ErrorCode::Unreachable, format!("cannot start the demo tenant: {err}"))
    })?;
    let (client_id, secret) = emulator.app_client();
    let tenant = app.connect(TenantConnection {
        id: "demo".into(),
        name: emulator.tenant_name(),
        is_demo: true,
        tenant_guid: emulator.tenant_id(),
        cloud: Cloud::custom(&emulator.base_url())
            .map_err(|err| AppError::new(ErrorCode::Invalid, err.to_string()))?,
        auth: TenantAuth::AppSecret { client_id, secret },
        extra_root: emulator.certificate_der(),
    })?;
    // Reviewers sign in as themselves through the emulator's login page, as on a real tenant.
    app.allow_people_sign_in(
        &tenant.id,
        Cloud::custom(&emulator.base_url())
            .map_err(|err| AppError::new(ErrorCode::Invalid, err.to_string()))?,
        &emulator.tenant_id(),
        &emulator.public_client_id(),
        emulator.certificate_der().as_deref(),
    )?;
    // The set-up is the application's own work; the demo tenant's governance admins come from
    // its data, bootstrapped the way a real tenant's first admin is.
    let setup = app.as_application("Recert demo set-up");
    setup.pull(&tenant.id).await?;
    setup.bootstrap_demo_admins(&tenant.id).await?;
    Ok((emulator, tenant))
}

impl DemoTenant {
    /// Begins starting the demo tenant in the background.
    pub fn start(app: App) -> DemoTenant {
        let demo = DemoTenant { app, running: Arc::default() };
        let background = demo.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(err) = background.ready().await {
                tracing::error!(%err, "the demo tenant did not start");
            }
        });
        demo
    }

    /// The demo tenant once it is connected and pulled, starting it if it is not running.
    pub async fn ready(&self) -> Result<TenantDto, AppError> {
        let mut running = self.running.lock().await;
        if let Some((_, tenant)) = running.as_ref() {
            return Ok(tenant.clone());
        }
        let (emulator, tenant) = start(&self.app).await?;
        *running = Some((emulator, tenant.clone()));
        Ok(tenant)
    }

    /// The demo emulator's certificate (PEM) when `tenant_id` is the running demo tenant, for the
    /// sign-in window to trust its login page; `None` for any other tenant.
    pub async fn login_certificate(&self, tenant_id: &str) -> Option<String> {
        let running = self.running.lock().await;
        let (emulator, tenant) = running.as_ref()?;
        if tenant.id == tenant_id { emulator.certificate_pem() } else { None }
    }
}
