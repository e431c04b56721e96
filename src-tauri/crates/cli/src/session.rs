//! Opening the app for one CLI run: the database, and the demo tenant served in-process so that
//! scheduled runs and scripts can use it like any other tenant.

use std::path::Path;

use recert_app::{App, AppError, Cloud, ErrorCode, TenantAuth, TenantConnection};
use recert_emulator::{Emulator, Options, Tenant};

/// The tenant handle of the built-in demo tenant.
pub const DEMO: &str = "demo";
/// Base URL of an already-running emulator to use as the demo tenant.
pub const DEMO_URL: &str = "RECERT_DEMO_URL";
/// PEM file with that emulator's certificate (not needed for a `--no-tls` emulator).
pub const DEMO_CERT: &str = "RECERT_DEMO_CERT";

fn unreachable(url: &str, err: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Unreachable, format!("cannot use the demo tenant at {url}: {err}"))
}

/// The connection to an emulator already serving at `url`: its certificate from `DEMO_CERT`,
/// its tenant id from its OpenID configuration (the issuer ends in `/{tenant}/v2.0`).
async fn external_demo(url: &str) -> Result<TenantConnection, AppError> {
    let url = url.trim_end_matches('/');
    let der = match std::env::var(DEMO_CERT) {
        Ok(path) => {
            let pem = std::fs::read_to_string(&path).map_err(|err| unreachable(url, err))?;
            let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            use base64::Engine;
            Some(base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_err(|err| {
                unreachable(url, format!("{path} is not a PEM certificate: {err}"))
            })?)
        }
        Err(_) => None,
    };
    let mut http = reqwest::Client::builder();
    if let Some(der) = &der {
        http = http.tls_certs_merge([
            reqwest::Certificate::from_der(der).map_err(|err| unreachable(url, err))?
        ]);
    }
    let http = http.build().map_err(|err| unreachable(url, err))?;
    let discovery: serde_json::Value = http
        .get(format!("{url}/login/organizations/v2.0/.well-known/openid-configuration"))
        .send()
        .await
        .map_err(|err| unreachable(url, err))?
        .json()
        .await
        .map_err(|err| unreachable(url, err))?;
    let issuer = discovery.get("issuer").and_then(serde_json::Value::as_str).unwrap_or_default();
    let tenant_guid = issuer
        .trim_end_matches('/')
        .trim_end_matches("/v2.0")
        .rsplit('/')
        .next()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unreachable(url, "its OpenID configuration names no issuer"))?
        .to_string();
    Ok(TenantConnection {
        id: DEMO.into(),
        name: "Demo tenant".into(),
        is_demo: true,
        tenant_guid,
        cloud: Cloud::custom(url)
            .map_err(|err| AppError::new(ErrorCode::Invalid, err.to_string()))?,
        auth: TenantAuth::AppSecret {
            client_id: recert_emulator::DEMO_CONFIDENTIAL_CLIENT_ID.into(),
            secret: recert_emulator::DEMO_CONFIDENTIAL_CLIENT_SECRET.into(),
        },
        extra_root: der,
    })
}

/// An open app; the demo tenant's emulator runs for as long as this lives.
pub struct Session {
    pub app: App,
    demo: Option<Emulator>,
    /// The demo tenant is an emulator this process did not start (`RECERT_DEMO_URL`).
    external_demo: bool,
}

impl Session {
    pub fn open(data_dir: &Path) -> Result<Session, AppError> {
        Ok(Session {
            app: App::open(&data_dir.join("recert.db"), App::system_clock())?,
            demo: None,
            external_demo: false,
        })
    }

    /// Starts the demo tenant and connects it (once per run). With `RECERT_DEMO_URL` set, an
    /// emulator that is already running there is the demo tenant instead (`recert-cli emulator
    /// serve`, or a test's): its state outlives this process, which a resumed run needs.
    pub async fn connect_demo(&mut self) -> Result<(), AppError> {
        if self.demo.is_some() || self.external_demo {
            return Ok(());
        }
        if let Ok(url) = std::env::var(DEMO_URL) {
            self.app.connect(external_demo(&url).await?)?;
            self.external_demo = true;
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

    /// Connects what `tenant_id` needs before a command that may reach the tenant. The demo
    /// tenant is always there: on first use it is connected and pulled.
    pub async fn connect(&mut self, tenant_id: &str) -> Result<(), AppError> {
        if tenant_id == DEMO {
            self.connect_demo().await?;
            match self.app.role_summary(DEMO).await {
                Err(err) if err.code == ErrorCode::NotPulled => {
                    self.app.pull(DEMO).await?;
                }
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    pub async fn close(self) {
        if let Some(emulator) = self.demo {
            emulator.shutdown().await;
        }
    }
}
