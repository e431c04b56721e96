//! Opening the app for one CLI run: the database, and the demo tenant served in-process so that
//! scheduled runs and scripts can use it like any other tenant.

use std::path::Path;

use recert_app::{App, AppError, Cloud, ErrorCode, TenantAuth, TenantConnection};
use recert_emulator::{Emulator, Options, Tenant};

/// The tenant handle of the built-in demo tenant.
pub const DEMO: &str = "demo";

/// An open app; the demo tenant's emulator runs for as long as this lives.
pub struct Session {
    pub app: App,
    demo: Option<Emulator>,
}

impl Session {
    pub fn open(data_dir: &Path) -> Result<Session, AppError> {
        Ok(Session {
            app: App::open(&data_dir.join("recert.db"), App::system_clock())?,
            demo: None,
        })
    }

    /// Starts the demo tenant and connects it (once per run).
    pub async fn connect_demo(&mut self) -> Result<(), AppError> {
        if self.demo.is_some() {
            return Ok(());
        }
        let emulator =
            Emulator::start(Tenant::demo(), Options::default()).await.map_err(|err| {
                AppError::new(
                    ErrorCode::Unreachable,
                    format!("cannot start the demo tenant: {err}"),
                )
            })?;
        let (client_id, secret) = emulator.app_client();
        self.app.connect(TenantConnection {
            id: DEMO.into(),
            name: emulator.tenant_name(),
            is_demo: true,
            tenant_guid: emulator.tenant_id(),
            cloud: Cloud::custom(&emulator.base_url())
                .map_err(|err| AppError::new(ErrorCode::Invalid, err.to_string()))?,
            auth: TenantAuth::AppSecret { client_id, secret },
            extra_root: emulator.certificate_der(),
        })?;
        self.demo = Some(emulator);
        Ok(())
    }

    /// Connects what `tenant_id` needs before a command that may reach the tenant.
    pub async fn connect(&mut self, tenant_id: &str) -> Result<(), AppError> {
        if tenant_id == DEMO {
            self.connect_demo().await?;
        }
        Ok(())
    }

    pub async fn close(self) {
        if let Some(emulator) = self.demo {
            emulator.shutdown().await;
        }
    }
}
