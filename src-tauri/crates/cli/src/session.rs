//! Opening the app for one CLI run: the database, the demo tenant served in-process so that
//! scheduled runs and scripts can use it like any other tenant, saved tenants connected from
//! their settings, and who acts on each: the demo user named by `--as` (demo tenant only), the
//! person signed in (their refresh token), or — app-only — the application itself.

use std::path::{Path, PathBuf};

use recert_app::{App, AppError, ErrorCode, TenantConnection};
use recert_emulator::{Emulator, Options, Served, Tenant, serve_home};

/// The tenant handle of the built-in demo tenant.
pub const DEMO: &str = "demo";
/// Base URL of an already-running emulator to use as the demo tenant.
pub const DEMO_URL: &str = "RECERT_DEMO_URL";
/// PEM file with that emulator's certificate (not needed for a `--no-tls` emulator).
pub const DEMO_CERT: &str = "RECERT_DEMO_CERT";
/// PEM file with an extra root certificate to trust for saved tenants (a test tenant's).
pub const TRUST_CERT: &str = "RECERT_TRUST_CERT";
/// The demo tenant's state in the data directory: `demo-tenant.json` and its lock.
pub const DEMO_STATE: &str = "demo-tenant";
/// A saved app-only tenant's client secret (never stored).
pub const CLIENT_SECRET: &str = "RECERT_CLIENT_SECRET";

fn unreachable(url: &str, err: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Unreachable, format!("cannot use the demo tenant at {url}: {err}"))
}

/// The certificate (DER) in the PEM file `variable` names, if it names one.
fn certificate(variable: &str) -> Result<Option<Vec<u8>>, String> {
    let Ok(path) = std::env::var(variable) else { return Ok(None) };
    let pem = std::fs::read_to_string(&path).map_err(|err| format!("cannot read {path}: {err}"))?;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map(Some)
        .map_err(|err| format!("{path} is not a PEM certificate: {err}"))
}

/// The connection to an emulator already serving at `url` with the certificate `der`: its
/// tenant id from its OpenID configuration (the issuer ends in `/{tenant}/v2.0`).
async fn external_demo(url: &str, der: Option<Vec<u8>>) -> Result<TenantConnection, AppError> {
    let url = url.trim_end_matches('/');
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
    TenantConnection::demo(
        url,
        tenant_guid,
        (
            recert_emulator::DEMO_CONFIDENTIAL_CLIENT_ID.into(),
            recert_emulator::DEMO_CONFIDENTIAL_CLIENT_SECRET.into(),
        ),
        der,
    )
}

/// An open app; the demo tenant's emulator runs for as long as this lives.
pub struct Session {
    pub app: App,
    /// Where the database and the demo tenant's state live.
    data_dir: PathBuf,
    demo: Option<Emulator>,
    /// The demo tenant is an emulator this process did not start (`RECERT_DEMO_URL`).
    external_demo: bool,
    /// `--as`: the demo tenant user this run acts as.
    as_user: Option<String>,
    /// Saved tenants this run connected.
    connected: Vec<String>,
    /// An app-only tenant's client secret given on the command line (else `RECERT_CLIENT_SECRET`).
    pub client_secret: Option<String>,
}

impl Session {
    pub fn open(data_dir: &Path, as_user: Option<String>) -> Result<Session, AppError> {
        Ok(Session {
            app: App::open(&data_dir.join("recert.db"), App::system_clock())?,
            data_dir: data_dir.to_path_buf(),
            demo: None,
            external_demo: false,
            as_user,
            connected: Vec::new(),
            client_secret: None,
        })
    }

    /// Starts the demo tenant and connects it (once per run). Its state is kept in the data
    /// directory (`demo-tenant.json`), so removals applied by one run are there for the next;
    /// while another process serves it (the window, or a longer CLI run), this run uses that
    /// server. With `RECERT_DEMO_URL` set, an emulator that is already running there is the demo
    /// tenant instead (`recert-cli emulator serve`, or a test's).
    pub async fn connect_demo(&mut self) -> Result<(), AppError> {
        if self.demo.is_some() || self.external_demo {
            return Ok(());
        }
        if let Ok(url) = std::env::var(DEMO_URL) {
            let der = certificate(DEMO_CERT).map_err(|err| unreachable(&url, err))?;
            self.connect_demo_tenant(external_demo(&url, der).await?)?;
            self.external_demo = true;
            return Ok(());
        }
        let served = serve_home(&self.data_dir, DEMO_STATE, Tenant::demo, Options::default())
            .await
            .map_err(|err| {
                AppError::new(
                    ErrorCode::Unreachable,
                    format!("cannot start the demo tenant: {err}"),
                )
            })?;
        let emulator = match served {
            Served::Here(emulator) => emulator,
            Served::Elsewhere { base_url, certificate_der, .. } => {
                self.connect_demo_tenant(external_demo(&base_url, certificate_der).await?)?;
                self.external_demo = true;
                return Ok(());
            }
        };
        self.connect_demo_tenant(TenantConnection::demo(
            &emulator.base_url(),
            emulator.tenant_id(),
            emulator.app_client(),
            emulator.certificate_der(),
        )?)?;
        self.demo = Some(emulator);
        Ok(())
    }

    /// Connects what `tenant_id` needs before a command that may reach the tenant. The demo
    /// tenant is always there: on first use it is connected, pulled, and its governance admins
    /// bootstrapped from its data. A saved tenant connects from its settings (an app-only
    /// secret from `RECERT_CLIENT_SECRET`).
    pub async fn connect(&mut self, tenant_id: &str) -> Result<(), AppError> {
        if tenant_id == DEMO {
            self.connect_demo().await?;
            let setup = self.app.as_application("recert-cli demo set-up");
            match self.app.role_summary(DEMO).await {
                Err(err) if err.code == ErrorCode::NotPulled => {
                    setup.pull(DEMO).await?;
                }
                other => {
                    other?;
                }
            }
            setup.bootstrap_demo_admins(DEMO).await?;
        } else if !self.connected.iter().any(|t| t == tenant_id) {
            let secret = self
                .client_secret
                .clone()
                .or_else(|| std::env::var(CLIENT_SECRET).ok())
                .filter(|s| !s.is_empty());
            let root = certificate(TRUST_CERT)
                .map_err(|err| AppError::new(ErrorCode::Invalid, format!("{TRUST_CERT}: {err}")))?;
            self.app.use_os_keychain().await;
            self.app.connect_saved(tenant_id, secret, root).await?;
            self.connected.push(tenant_id.to_string());
        }
        Ok(())
    }

    /// Connects `tenant_id` and settles who acts on it in this run: the demo user `--as` names
    /// (the demo tenant only); otherwise the person signed in to it (their refresh token), or —
    /// on a tenant reached app-only, the demo tenant included — the application itself, which
    /// may do only what the application may (never decide).
    pub async fn act(&mut self, tenant_id: &str) -> Result<(), AppError> {
        if self.as_user.is_some() && tenant_id != DEMO {
            return Err(AppError::new(
                ErrorCode::Forbidden,
                "--as is accepted on the demo tenant only: on a real tenant the person signed in \
                 acts (recert-cli tenant sign-in), or the application for an app-only tenant",
            ));
        }
        self.connect(tenant_id).await?;
        if let Some(upn) = self.as_user.clone() {
            self.app.act_as(tenant_id, &upn).await?;
            return Ok(());
        }
        let people_sign_in = self
            .app
            .tenants()
            .await?
            .into_iter()
            .find(|t| t.tenant.id == tenant_id)
            .and_then(|t| t.settings)
            .is_some_and(|s| s.auth == "interactive");
        if people_sign_in {
            // Nobody signed in: the run acts for nobody, and every change is refused with
            // "sign in first".
            self.app.signed_in(tenant_id).await?;
        } else {
            self.app.act_unattended(tenant_id)?;
        }
        Ok(())
    }

    /// `--as` names a demo user for this run.
    pub fn acts_as_demo_user(&self) -> bool {
        self.as_user.is_some()
    }

    /// Connects the demo tenant and lets its people sign in through its public client, as the
    /// window does (its reads stay app-only).
    fn connect_demo_tenant(&self, connection: TenantConnection) -> Result<(), AppError> {
        let (cloud, guid, root) = (
            connection.cloud.clone(),
            connection.tenant_guid.clone(),
            connection.extra_root.clone(),
        );
        self.app.connect(connection)?;
        self.app.allow_people_sign_in(
            DEMO,
            cloud,
            &guid,
            recert_emulator::DEMO_PUBLIC_CLIENT_ID,
            root.as_deref(),
        )
    }

    /// [`Session::act`] on the tenant of `campaign_id`.
    pub async fn act_on_campaign(&mut self, campaign_id: &str) -> Result<String, AppError> {
        let tenant = self.app.campaign(campaign_id).await?.campaign.tenant_id;
        self.act(&tenant).await?;
        Ok(tenant)
    }

    pub async fn close(self) {
        if let Some(emulator) = self.demo {
            emulator.shutdown().await;
        }
    }
}
