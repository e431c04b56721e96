//! recert-emulator: a fake Entra tenant (login, Microsoft Graph, Azure Resource Manager) served over
//! real HTTP(S) on 127.0.0.1 — the product's demo tenant and the test double for all Microsoft calls.
//!
//! One server plays every host; a client is configured with three base URLs:
//! `{base}/login` (authority), `{base}/graph` (Graph, e.g. `{base}/graph/v1.0/users`) and
//! `{base}/arm` (ARM, e.g. `{base}/arm/subscriptions`). `{base}/_admin` changes faults at run time.

mod admin;
mod arm;
mod assertion;
mod catalog;
mod faults;
mod fixture;
mod generate;
mod graph;
mod home;
mod http;
mod login;
mod odata;
mod reviews;
mod rng;
mod server;
mod store;
mod tenant;
mod token;

use std::sync::Arc;
use std::time::Duration;

pub use faults::Faults;
pub use fixture::FixtureError;
pub use generate::GenerateOptions;
pub use home::{Served, serve_home};
pub use tenant::{
    ArmData, Client, DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET,
    DEMO_PUBLIC_CLIENT_ID, DEMO_READONLY_CLIENT_ID, DEMO_READONLY_CLIENT_SECRET,
    RECERT_APPLICATION_PERMISSIONS, RECERT_DELEGATED_PERMISSIONS, Tenant,
};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
    #[error("cryptography set-up failed: {0}")]
    Crypto(String),
    #[error("invalid options: {0}")]
    Options(String),
    /// A tenant kept between runs (`serve_home`) could not be read, written or reached.
    #[error("{0}")]
    State(String),
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    /// HTTPS with a self-signed certificate for `localhost` and `127.0.0.1` (default), or plain HTTP.
    pub tls: bool,
    /// 0 picks a free port.
    pub port: u16,
    /// Added to every Graph and ARM request (overrides `faults.latency_ms` when non-zero).
    pub latency: Duration,
    /// Items per page when the client sends no `$top` (Graph's default is 100).
    pub page_size: usize,
    /// Fault knobs; also changeable at run time through `{base}/_admin/faults`.
    pub faults: Faults,
    /// Where the served tenant is kept between runs: after every change that succeeds (a
    /// schedule request: a removal or an assignment) the tenant is written there whole, as a
    /// fixture, so a later run started from that file serves the same tenant.
    pub state_file: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tls: true,
            port: 0,
            latency: Duration::ZERO,
            page_size: 100,
            faults: Faults::default(),
            state_file: None,
        }
    }
}

/// One mutating request the emulator received (POST, PUT, PATCH, DELETE on Graph or ARM).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MutationRecord {
    pub at: chrono::DateTime<chrono::Utc>,
    pub method: String,
    /// Path and query as received, e.g. `/graph/v1.0/roleManagement/directory/roleEligibilityScheduleRequests`.
    pub path: String,
    /// The body as JSON (a string when it was not JSON).
    pub body: serde_json::Value,
    /// The status code answered.
    pub status: u16,
    /// `oid` of the caller's token, when it carried a valid one.
    pub caller: Option<String>,
}

/// One Graph or ARM request the emulator received, `$batch` steps included.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    pub method: String,
    /// Path and query as received, from the root: `/graph/v1.0/users?$select=id`,
    /// `/arm/subscriptions?api-version=…`. A `$batch` step's relative URL is given as
    /// `/graph/v1.0/…`.
    pub path: String,
    /// Whether it was a step inside a `$batch` (whose own POST is recorded too).
    pub batch_step: bool,
    /// The status code answered.
    pub status: u16,
}

/// A certificate (DER) as PEM.
pub(crate) fn pem_of(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// A running emulator. It stops when dropped or on `shutdown()`.
pub struct Emulator {
    running: Option<server::Running>,
    base_url: String,
    cert_der: Option<Vec<u8>>,
    state: Arc<server::AppState>,
    /// Held while this emulator serves a tenant kept in a directory (`serve_home`).
    home_lock: Option<std::fs::File>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("base_url", &self.base_url).finish()
    }
}

impl Emulator {
    /// Starts serving `tenant` on 127.0.0.1 (on the current tokio runtime).
    pub async fn start(tenant: Tenant, options: Options) -> Result<Emulator, Error> {
        let running = server::start(tenant, options).await?;
        Ok(Emulator {
            base_url: running.state.base_url.clone(),
            cert_der: running.cert_der.clone(),
            state: running.state.clone(),
            running: Some(running),
            home_lock: None,
        })
    }

    /// `https://127.0.0.1:PORT` (or `http://` without TLS). Hosts live under `/login`, `/graph`, `/arm`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }
    /// The authority host for token requests: `{base}/login` (token URL `{authority}/{tenant}/oauth2/v2.0/token`).
    pub fn login_url(&self) -> String {
        format!("{}/login", self.base_url)
    }
    /// The Graph root: `{base}/graph` (append `/v1.0/...`).
    pub fn graph_url(&self) -> String {
        format!("{}/graph", self.base_url)
    }
    /// The ARM root: `{base}/arm` (append `/subscriptions?...`).
    pub fn arm_url(&self) -> String {
        format!("{}/arm", self.base_url)
    }
    /// DER of the self-signed certificate (SANs `localhost`, `127.0.0.1`); `None` without TLS.
    pub fn certificate_der(&self) -> Option<Vec<u8>> {
        self.cert_der.clone()
    }
    /// The certificate as PEM, for clients that read a CA bundle file.
    pub fn certificate_pem(&self) -> Option<String> {
        self.cert_der.as_deref().map(pem_of)
    }
    pub fn tenant_id(&self) -> String {
        self.state.read().tenant_id.clone()
    }
    pub fn tenant_name(&self) -> String {
        self.state.read().display_name.clone()
    }
    /// (client_id, client_secret) of the built-in app registration holding every application permission Recert needs.
    pub fn app_client(&self) -> (String, String) {
        (DEMO_CONFIDENTIAL_CLIENT_ID.to_string(), DEMO_CONFIDENTIAL_CLIENT_SECRET.to_string())
    }
    /// (client_id, client_secret) of a registration with read-only permissions (for 403 paths).
    pub fn readonly_client(&self) -> (String, String) {
        (DEMO_READONLY_CLIENT_ID.to_string(), DEMO_READONLY_CLIENT_SECRET.to_string())
    }
    /// Client id of the public client used for interactive (PKCE) and device-code sign-in.
    pub fn public_client_id(&self) -> String {
        DEMO_PUBLIC_CLIENT_ID.to_string()
    }
    /// The tenant as it is now, changes included (removed instances gone, new requests and
    /// audit events kept): what `state_file` holds, and what a fixture of this run would be.
    pub fn snapshot(&self) -> Tenant {
        self.state.read().to_tenant()
    }

    /// Every mutating request received so far, in order.
    pub fn mutation_log(&self) -> Vec<MutationRecord> {
        self.state.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
    /// Every Graph and ARM request received so far (`$batch` steps included), in order.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.state.requests.lock().map(|l| l.clone()).unwrap_or_default()
    }
    /// Forgets the requests recorded so far.
    pub fn clear_request_log(&self) {
        if let Ok(mut log) = self.state.requests.lock() {
            log.clear();
        }
    }
    /// The current fault knobs.
    pub fn faults(&self) -> Faults {
        self.state.faults.lock().map(|f| f.clone()).unwrap_or_default()
    }
    /// Replaces the fault knobs (as `PUT {base}/_admin/faults` does).
    pub fn set_faults(&self, faults: Faults) -> Result<(), Error> {
        faults.validate().map_err(Error::Options)?;
        if let Ok(mut rng) = self.state.fault_rng.lock() {
            *rng = rng::Rng::new(faults.seed);
        }
        if let Ok(mut f) = self.state.faults.lock() {
            *f = faults;
        }
        Ok(())
    }
    /// Approves a pending device-code sign-in as the given user (what the verification page does).
    pub fn approve_device_code(&self, user_code: &str, user_id: &str) -> bool {
        login::approve_device(&self.state, user_code, user_id).is_ok()
    }

    /// Every access-review decision item with its definition, instance and the reviewers who may
    /// decide it (what `GET {base}/_admin/accessReviews` answers).
    pub fn access_review_decisions(&self) -> Vec<serde_json::Value> {
        self.state.reviews().all_decisions()
    }
    /// Records `reviewer`'s decision (`Approve`, `Deny`, `DontKnow`, or `NotReviewed` to reset
    /// it) on a decision item, as the reviewer page does when that person signs in and decides.
    pub fn decide_access_review(
        &self,
        decision_id: &str,
        reviewer: &str,
        decision: &str,
        justification: &str,
    ) -> Result<serde_json::Value, String> {
        let s = self.state.read();
        self.state
            .reviews()
            .decide(&s, decision_id, reviewer, decision, justification, chrono::Utc::now())
            .map_err(|e| format!("{e:?}"))
    }
    /// Every message sent through `users/{id}/sendMail`, oldest first.
    pub fn sent_mail(&self) -> Vec<serde_json::Value> {
        self.state.reviews().mail.clone()
    }
    /// Every `sendReminder` received, with the reviewers it reached.
    pub fn access_review_reminders(&self) -> Vec<serde_json::Value> {
        self.state.reviews().reminders.clone()
    }
    /// The access-review schedule definitions as served now.
    pub fn access_review_definitions(&self) -> Vec<serde_json::Value> {
        self.state
            .reviews()
            .definitions
            .iter()
            .map(|d| serde_json::Value::Object(d.body.clone()))
            .collect()
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.handle.shutdown();
            let _ = r.task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.handle.shutdown();
        }
    }
}
