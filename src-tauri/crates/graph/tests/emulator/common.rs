//! Shared set-up: an emulator, a client that trusts its certificate, app-only and public clients.

use std::sync::Arc;

use recert_emulator::{Emulator, Options, Tenant};
use recert_graph::{Cloud, GraphClient, MemoryVault, PublicClient, RetryPolicy};

pub struct Env {
    pub emu: Emulator,
    pub cloud: Cloud,
    pub http: reqwest::Client,
}

pub async fn start(tenant: Tenant, options: Options) -> Env {
    let emu = Emulator::start(tenant, options).await.expect("the emulator starts");
    let cloud = Cloud::custom(&emu.base_url()).expect("a valid base URL");
    let http = recert_graph::http_client(emu.certificate_der().as_deref()).expect("a client");
    Env { emu, cloud, http }
}

/// Retries fast: tests wait out the emulator's `Retry-After` (1 s) but not long backoffs.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 10,
        base_delay: std::time::Duration::from_millis(20),
        max_delay: std::time::Duration::from_millis(200),
    }
}

impl Env {
    pub fn app_client(&self) -> GraphClient {
        let (client_id, secret) = self.emu.app_client();
        let credential = recert_graph::app_only_secret(
            &self.cloud,
            self.http.clone(),
            &self.emu.tenant_id(),
            &client_id,
            &secret,
        )
        .expect("a credential");
        GraphClient::new(self.http.clone(), self.cloud.clone(), credential)
            .with_retry(quick_retry())
    }

    pub fn public_client(&self) -> (Arc<PublicClient>, Arc<MemoryVault>) {
        let vault = Arc::new(MemoryVault::default());
        let client = PublicClient::new(
            self.cloud.clone(),
            self.http.clone(),
            &self.emu.tenant_id(),
            &self.emu.public_client_id(),
            vault.clone(),
            "test",
        );
        (client, vault)
    }
}
