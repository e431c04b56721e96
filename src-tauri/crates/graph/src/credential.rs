//! App-only and developer credentials, all behind azure_core's `TokenCredential`, and the shared
//! HTTP client.
//!
//! The client certificate is a `ClientAssertionCredential` fed by a JWT signed here with `ring`
//! rather than azure_identity's `client_certificate` feature: that feature links OpenSSL, a system
//! library on every platform Recert ships to, while `ring` is already in the tree. The
//! certificate is read from PEM (the private key, PKCS#8 or PKCS#1 RSA, and the certificate).

use std::sync::Arc;
use std::time::Duration;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientMethodOptions, ClientOptions, RetryOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::signature::RsaKeyPair;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::{Cloud, GraphError};

/// The one reqwest client for a tenant. `extra_root` is the emulator's self-signed certificate
/// (DER); real clouds use the platform's roots.
pub fn http_client(extra_root: Option<&[u8]>) -> Result<reqwest::Client, GraphError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        // A page of 999 instances is about a megabyte; two minutes means the link is dead.
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("Recert/", env!("CARGO_PKG_VERSION")));
    if let Some(der) = extra_root {
        let cert = reqwest::Certificate::from_der(der).map_err(|err| GraphError::Unreachable {
            url: "(certificate)".into(),
            message: err.to_string(),
            request_id: None,
        })?;
        builder = builder.tls_certs_merge([cert]);
    }
    builder.build().map_err(|err| GraphError::Unreachable {
        url: "(client)".into(),
        message: err.to_string(),
        request_id: None,
    })
}

fn client_options(cloud: &Cloud, http: reqwest::Client) -> ClientOptions {
    let mut custom = CustomConfiguration::default();
    custom.authority_host = cloud.login.as_str().trim_end_matches('/').to_string();
    ClientOptions {
        transport: Some(Transport::new(Arc::new(http))),
        cloud: Some(Arc::new(CloudConfiguration::Custom(custom))),
        // Our own read loop retries; azure_core's default would turn an unreachable
        // authority into a minute-long hang before the user sees anything.
        retry: RetryOptions::none(),
        ..Default::default()
    }
}

/// App-only sign-in with a client secret, for unattended runs and the demo tenant.
pub fn app_only_secret(
    cloud: &Cloud,
    http: reqwest::Client,
    tenant_id: &str,
    client_id: &str,
    secret: &str,
) -> Result<Arc<dyn TokenCredential>, GraphError> {
    let options = ClientSecretCredentialOptions { client_options: client_options(cloud, http) };
    let credential = ClientSecretCredential::new(
        tenant_id,
        client_id.to_string(),
        Secret::new(secret.to_string()),
        Some(options),
    )
    .map_err(|err| GraphError::Auth(err.to_string()))?;
    Ok(credential)
}

/// A certificate and its RSA private key, read from PEM.
pub struct ClientCertificate {
    key: RsaKeyPair,
    /// `x5t`: base64url SHA-1 thumbprint of the certificate, which Entra matches on.
    thumbprint: String,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate").field("x5t", &self.thumbprint).finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// Reads a PEM bundle holding the certificate and its RSA private key.
    pub fn from_pem(pem: &[u8]) -> Result<ClientCertificate, GraphError> {
        let bad = |what: &str| GraphError::Auth(format!("the client certificate PEM {what}"));
        let cert = CertificateDer::from_pem_slice(pem).map_err(|_| bad("has no CERTIFICATE"))?;
        let key =
            match PrivateKeyDer::from_pem_slice(pem).map_err(|_| bad("has no private key"))? {
                PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
                PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
                _ => return Err(bad("key is not an RSA key (Entra accepts RSA only)")),
            }
            .map_err(|err| bad(&format!("key cannot be used: {err}")))?;
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.as_ref());
        Ok(ClientCertificate { key, thumbprint: B64.encode(sha1.as_ref()) })
    }

    /// A client assertion (RFC 7523) for `audience`, valid ten minutes from `now_unix`.
    pub fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now_unix: i64,
    ) -> Result<String, GraphError> {
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "x5t": self.thumbprint });
        let claims = serde_json::json!({
            "aud": audience, "iss": client_id, "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now_unix, "iat": now_unix, "exp": now_unix + 600,
        });
        let input =
            format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| GraphError::Auth("signing the client assertion failed".into()))?;
        Ok(format!("{input}.{}", B64.encode(signature)))
    }

    /// The public key, DER (RSAPublicKey), for checking an assertion.
    pub fn public_key_der(&self) -> Vec<u8> {
        use ring::signature::KeyPair;
        self.key.public_key().as_ref().to_vec()
    }
}

#[derive(Debug)]
struct CertificateAssertion {
    certificate: ClientCertificate,
    client_id: String,
    audience: String,
}

#[async_trait::async_trait]
impl ClientAssertion for CertificateAssertion {
    async fn secret(&self, _: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        self.certificate
            .assertion(&self.client_id, &self.audience, now)
            .map_err(|err| azure_core::Error::new(azure_core::error::ErrorKind::Credential, err))
    }
}

/// App-only sign-in with a client certificate (PEM with the RSA key and the certificate).
pub fn app_only_certificate(
    cloud: &Cloud,
    http: reqwest::Client,
    tenant_id: &str,
    client_id: &str,
    pem: &[u8],
) -> Result<Arc<dyn TokenCredential>, GraphError> {
    let assertion = CertificateAssertion {
        certificate: ClientCertificate::from_pem(pem)?,
        client_id: client_id.to_string(),
        audience: format!("{}/token", cloud.oauth_base(tenant_id)),
    };
    let options = ClientAssertionCredentialOptions { client_options: client_options(cloud, http) };
    let credential = ClientAssertionCredential::new(
        tenant_id.to_string(),
        client_id.to_string(),
        assertion,
        Some(options),
    )
    .map_err(|err| GraphError::Auth(err.to_string()))?;
    Ok(credential)
}

/// The developer's own sign-in through the Azure CLI (`az login`), for trying Recert on a tenant
/// without an app registration.
pub fn azure_cli(tenant_id: Option<&str>) -> Result<Arc<dyn TokenCredential>, GraphError> {
    let options = AzureCliCredentialOptions {
        tenant_id: tenant_id.map(str::to_string),
        ..Default::default()
    };
    let credential =
        AzureCliCredential::new(Some(options)).map_err(|err| GraphError::Auth(err.to_string()))?;
    Ok(credential)
}
