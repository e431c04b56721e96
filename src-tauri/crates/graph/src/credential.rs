//! Building credentials and the shared HTTP client.

use std::sync::Arc;
use std::time::Duration;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, RetryOptions, Transport};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

use crate::{Cloud, GraphError};

/// The one reqwest client for a tenant. `extra_root` is the emulator's self-signed certificate
/// (DER); real clouds use the platform's roots.
pub fn http_client(extra_root: Option<&[u8]>) -> Result<reqwest::Client, GraphError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("Recert/", env!("CARGO_PKG_VERSION")));
    if let Some(der) = extra_root {
        let cert = reqwest::Certificate::from_der(der).map_err(|err| GraphError::Unreachable {
            url: "(certificate)".into(),
            message: err.to_string(),
        })?;
        builder = builder.tls_certs_merge([cert]);
    }
    builder
        .build()
        .map_err(|err| GraphError::Unreachable { url: "(client)".into(), message: err.to_string() })
}

/// App-only sign-in with a client secret, for unattended runs and the demo tenant.
pub fn app_only_secret(
    cloud: &Cloud,
    http: reqwest::Client,
    tenant_id: &str,
    client_id: &str,
    secret: &str,
) -> Result<Arc<dyn TokenCredential>, GraphError> {
    let mut custom = CustomConfiguration::default();
    custom.authority_host = cloud.login.as_str().trim_end_matches('/').to_string();
    let options = ClientSecretCredentialOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(Arc::new(http))),
            cloud: Some(Arc::new(CloudConfiguration::Custom(custom))),
            // Our own read loop retries; azure_core's default would turn an unreachable
            // authority into a minute-long hang before the user sees anything.
            retry: RetryOptions::none(),
            ..Default::default()
        },
    };
    let credential = ClientSecretCredential::new(
        tenant_id,
        client_id.to_string(),
        Secret::new(secret.to_string()),
        Some(options),
    )
    .map_err(|err| GraphError::Auth(err.to_string()))?;
    Ok(credential)
}
