//! Interactive sign-in for reviewers and admins (a public client): authorization code with PKCE
//! (S256) on a `127.0.0.1` loopback redirect in the system browser, device code as the fallback,
//! and refresh, behind azure_core's `TokenCredential`.
//!
//! The interactive flows are separate calls ([`PublicClient::begin_interactive`],
//! [`PublicClient::begin_device_code`]); `get_token` only serves a cached token or refreshes one,
//! so a background Graph call can never open a browser. The refresh token is kept in a
//! [`TokenVault`] (the OS keychain), never in SQLite or logs. The signed-in identity comes from
//! the ID token, received straight from the token endpoint over TLS (OIDC §3.1.3.7 lets such a
//! token go unverified).
//!
//! The OAuth requests are written out here (four form POSTs) instead of using the `oauth2` crate:
//! its token type drops the `id_token` Entra returns, and its error type hides the codes
//! (`invalid_grant`, `authorization_pending`) this module branches on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::time::OffsetDateTime;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{Cloud, GraphError, TokenVault};

/// Who signed in, from the ID token: what decisions are stamped with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Object id: the reviewer key, equal to the Graph `user.id`.
    pub oid: String,
    pub tid: String,
    /// `preferred_username` (or `upn`): for display only, it can change.
    pub upn: Option<String>,
    pub name: Option<String>,
}

/// The longest a device code is waited for (Entra's codes live 15 minutes).
const MAX_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// The slowest polling a device-code answer (or `slow_down`) may ask for.
const MAX_POLL: Duration = Duration::from_secs(60);
/// The longest an access token is trusted, whatever `expires_in` says (Entra's last about an hour
/// or, with continuous access evaluation, up to 28 hours).
const MAX_TOKEN_LIFETIME_SECONDS: i64 = 28 * 3600;

/// How long to wait for a device code: the service's `expires_in`, 15 minutes when missing, never
/// more than [`MAX_DEVICE_CODE_LIFETIME`].
fn device_code_lifetime(expires_in: Option<u64>) -> Duration {
    Duration::from_secs(expires_in.unwrap_or(900)).min(MAX_DEVICE_CODE_LIFETIME)
}

/// How often to poll for a device code: the service's `interval` (5 s when missing), between one
/// second and [`MAX_POLL`].
fn poll_interval(interval: Option<u64>) -> Duration {
    Duration::from_secs(interval.unwrap_or(5).clamp(1, MAX_POLL.as_secs()))
}

/// When an access token stops being used: `now + expires_in` (an hour when missing), with
/// `expires_in` held between zero and [`MAX_TOKEN_LIFETIME_SECONDS`] so that no answer can make
/// the date overflow or keep a token for years.
fn token_expiry(now: OffsetDateTime, expires_in: Option<i64>) -> OffsetDateTime {
    let seconds = expires_in.unwrap_or(3599).clamp(0, MAX_TOKEN_LIFETIME_SECONDS);
    now.checked_add(azure_core::time::Duration::seconds(seconds)).unwrap_or(now)
}

/// A device-code sign-in waiting for the user: show `message` (or the URI and the code).
#[derive(Clone, Debug)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    pub message: String,
    pub expires_in: Duration,
    interval: Duration,
    device_code: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<i64>,
    refresh_token: Option<String>,
    id_token: Option<String>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

#[derive(Deserialize)]
struct DeviceCodeResponse {
    user_code: String,
    device_code: String,
    verification_uri: String,
    expires_in: Option<u64>,
    interval: Option<u64>,
    message: Option<String>,
}

#[derive(Default)]
struct Session {
    refresh_token: Option<String>,
    /// Access tokens per requested scope set (one per resource: Graph, ARM).
    access: HashMap<String, (String, OffsetDateTime)>,
    identity: Option<Identity>,
    vault_read: bool,
}

/// A public client (no secret) signed in as a person.
pub struct PublicClient {
    http: reqwest::Client,
    cloud: Cloud,
    tenant: String,
    client_id: String,
    vault: Arc<dyn TokenVault>,
    account: String,
    session: tokio::sync::Mutex<Session>,
}

impl std::fmt::Debug for PublicClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicClient")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The scopes of a sign-in: Graph with what the app registration was consented for, an ID token
/// for the identity, and a refresh token.
const SIGN_IN_EXTRA: &str = "openid profile offline_access";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn pkce_pair() -> Result<(String, String), GraphError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| GraphError::Auth("no system randomness for PKCE".into()))?;
    let verifier = B64.encode(bytes);
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    Ok((verifier, challenge))
}

fn random_state() -> Result<String, GraphError> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| GraphError::Auth("no system randomness".into()))?;
    Ok(B64.encode(bytes))
}

/// The identity claims of an ID token (payload only; see the module comment).
pub fn identity_from_id_token(id_token: &str) -> Option<Identity> {
    let payload = id_token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
    let text = |k: &str| claims.get(k).and_then(serde_json::Value::as_str).map(str::to_string);
    Some(Identity {
        oid: text("oid")?,
        tid: text("tid")?,
        upn: text("preferred_username").or_else(|| text("upn")),
        name: text("name"),
    })
}

impl PublicClient {
    /// `account` names the refresh token in the vault (e.g. Recert's tenant handle).
    pub fn new(
        cloud: Cloud,
        http: reqwest::Client,
        tenant: &str,
        client_id: &str,
        vault: Arc<dyn TokenVault>,
        account: &str,
    ) -> Arc<PublicClient> {
        Arc::new(PublicClient {
            http,
            cloud,
            tenant: tenant.to_string(),
            client_id: client_id.to_string(),
            vault,
            account: account.to_string(),
            session: tokio::sync::Mutex::new(Session::default()),
        })
    }

    fn sign_in_scope(&self) -> String {
        format!("{} {SIGN_IN_EXTRA}", self.cloud.graph_scope())
    }

    /// Starts an authorization-code sign-in: listens on a `127.0.0.1` port and returns the URL to
    /// open in the browser. [`InteractiveSignIn::finish`] waits for the redirect.
    pub async fn begin_interactive(
        self: &Arc<Self>,
        login_hint: Option<&str>,
    ) -> Result<InteractiveSignIn, GraphError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|err| GraphError::Auth(format!("cannot listen on 127.0.0.1: {err}")))?;
        let port = listener
            .local_addr()
            .map_err(|err| GraphError::Auth(format!("no loopback port: {err}")))?
            .port();
        // The literal IP, not `localhost`: a browser resolving ::1 first would miss the listener.
        let redirect_uri = format!("http://127.0.0.1:{port}/");
        let (verifier, challenge) = pkce_pair()?;
        let state = random_state()?;
        let mut url =
            url::Url::parse(&format!("{}/authorize", self.cloud.oauth_base(&self.tenant)))
                .map_err(|err| GraphError::Auth(format!("bad authority: {err}")))?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", &self.sign_in_scope())
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "select_account");
        if let Some(hint) = login_hint {
            url.query_pairs_mut().append_pair("login_hint", hint);
        }
        Ok(InteractiveSignIn {
            url: url.to_string(),
            listener,
            verifier,
            state,
            redirect_uri,
            client: self.clone(),
        })
    }

    /// The whole interactive sign-in with the system browser.
    pub async fn sign_in_with_browser(self: &Arc<Self>) -> Result<Identity, GraphError> {
        let pending = self.begin_interactive(None).await?;
        open::that_detached(&pending.url)
            .map_err(|err| GraphError::Auth(format!("cannot open the browser: {err}")))?;
        pending.finish(Duration::from_secs(300)).await
    }

    /// Starts a device-code sign-in; show the code, then call [`PublicClient::finish_device_code`].
    pub async fn begin_device_code(&self) -> Result<DeviceCode, GraphError> {
        let url = format!("{}/devicecode", self.cloud.oauth_base(&self.tenant));
        let form = [("client_id", self.client_id.as_str()), ("scope", &self.sign_in_scope())];
        let response = self.http.post(&url).form(&form).send().await.map_err(|err| {
            GraphError::Unreachable { url: url.clone(), message: err.to_string(), request_id: None }
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|err| GraphError::Unreachable {
            url: url.clone(),
            message: err.to_string(),
            request_id: None,
        })?;
        if !status.is_success() {
            return Err(oauth_failure(&body));
        }
        let answer: DeviceCodeResponse = serde_json::from_slice(&body).map_err(|err| {
            GraphError::Malformed { url: url.clone(), message: err.to_string(), request_id: None }
        })?;
        Ok(DeviceCode {
            message: answer.message.unwrap_or_else(|| {
                format!("Open {} and enter the code {}", answer.verification_uri, answer.user_code)
            }),
            user_code: answer.user_code,
            verification_uri: answer.verification_uri,
            expires_in: device_code_lifetime(answer.expires_in),
            interval: poll_interval(answer.interval),
            device_code: answer.device_code,
        })
    }

    /// Polls until the user finishes (or declines, or the code expires).
    pub async fn finish_device_code(&self, code: &DeviceCode) -> Result<Identity, GraphError> {
        let now = tokio::time::Instant::now();
        let deadline = now.checked_add(code.expires_in).unwrap_or(now);
        let mut interval = code.interval;
        loop {
            let form = [
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", self.client_id.as_str()),
                ("device_code", code.device_code.as_str()),
            ];
            match self.token_request(&form).await {
                Ok(token) => return self.accept(token, &self.cloud.graph_scope()).await,
                Err(TokenFailure::OAuth(e)) if e.error == "authorization_pending" => {}
                Err(TokenFailure::OAuth(e)) if e.error == "slow_down" => {
                    interval = interval.saturating_add(Duration::from_secs(5)).min(MAX_POLL);
                }
                Err(failure) => return Err(failure.into_error()),
            }
            if tokio::time::Instant::now().checked_add(interval).is_none_or(|t| t > deadline) {
                return Err(GraphError::SignInRequired("the device code expired".into()));
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Signs in again from the refresh token in the vault, if there is one: the identity after a
    /// restart without asking the user.
    pub async fn restore(&self) -> Result<Option<Identity>, GraphError> {
        if let Some(identity) = self.identity().await {
            return Ok(Some(identity));
        }
        match self.token_for(&self.cloud.graph_scope()).await {
            Ok(_) => Ok(self.identity().await),
            Err(GraphError::SignInRequired(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub async fn identity(&self) -> Option<Identity> {
        self.session.lock().await.identity.clone()
    }

    /// Forgets every token, in memory and in the vault.
    pub async fn sign_out(&self) -> Result<(), GraphError> {
        *self.session.lock().await = Session { vault_read: true, ..Session::default() };
        self.vault_call(|vault, account| vault.clear(account)).await
    }

    async fn vault_call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn TokenVault, &str) -> Result<T, String> + Send + 'static,
    ) -> Result<T, GraphError> {
        let vault = self.vault.clone();
        let account = self.account.clone();
        tokio::task::spawn_blocking(move || work(vault.as_ref(), &account))
            .await
            .map_err(|err| GraphError::Auth(format!("the credential store task failed: {err}")))?
            .map_err(|err| GraphError::Auth(format!("the credential store failed: {err}")))
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenResponse, TokenFailure> {
        let url = format!("{}/token", self.cloud.oauth_base(&self.tenant));
        let unreachable = |err: reqwest::Error| {
            TokenFailure::Other(GraphError::Unreachable {
                url: url.clone(),
                message: err.to_string(),
                request_id: None,
            })
        };
        let response = self.http.post(&url).form(form).send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let error: OAuthError = serde_json::from_slice(&body).unwrap_or_default();
            if error.error.is_empty() {
                return Err(TokenFailure::Other(GraphError::Auth(format!(
                    "the token endpoint answered HTTP {status}"
                ))));
            }
            return Err(TokenFailure::OAuth(error));
        }
        serde_json::from_slice(&body).map_err(|err| {
            TokenFailure::Other(GraphError::Malformed {
                url: url.clone(),
                message: err.to_string(),
                request_id: None,
            })
        })
    }

    /// Takes a token answer: caches the access token under `scope`, keeps the (rotated) refresh
    /// token in the vault, reads the identity.
    async fn accept(&self, token: TokenResponse, scope: &str) -> Result<Identity, GraphError> {
        let expires = token_expiry(now(), token.expires_in);
        let refresh = token.refresh_token.clone();
        let identity = {
            let mut session = self.session.lock().await;
            session.access.insert(scope.to_string(), (token.access_token, expires));
            if let Some(rt) = &token.refresh_token {
                session.refresh_token = Some(rt.clone());
            }
            if let Some(identity) = token.id_token.as_deref().and_then(identity_from_id_token) {
                session.identity = Some(identity);
            }
            session.vault_read = true;
            session.identity.clone()
        };
        if let Some(rt) = refresh {
            self.vault_call(move |vault, account| vault.store(account, &rt)).await?;
        }
        identity.ok_or_else(|| GraphError::Auth("the sign-in returned no ID token".into()))
    }

    /// A valid access token for `scope` (one resource's `.default`), refreshing when needed.
    async fn token_for(&self, scope: &str) -> Result<(String, OffsetDateTime), GraphError> {
        let refresh = {
            let session = self.session.lock().await;
            if let Some((token, expires)) = session.access.get(scope)
                && *expires > now() + azure_core::time::Duration::minutes(5)
            {
                return Ok((token.clone(), *expires));
            }
            (session.refresh_token.clone(), session.vault_read)
        };
        let refresh_token = match refresh {
            (Some(rt), _) => rt,
            (None, false) => {
                let stored = self.vault_call(|vault, account| vault.load(account)).await?;
                self.session.lock().await.vault_read = true;
                stored.ok_or_else(|| {
                    GraphError::SignInRequired("nobody is signed in to this tenant".into())
                })?
            }
            (None, true) => {
                return Err(GraphError::SignInRequired(
                    "nobody is signed in to this tenant".into(),
                ));
            }
        };
        let scopes = format!("{scope} {SIGN_IN_EXTRA}");
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("refresh_token", refresh_token.as_str()),
            ("scope", scopes.as_str()),
        ];
        match self.token_request(&form).await {
            Ok(token) => {
                let access = token.access_token.clone();
                let expires = token_expiry(now(), token.expires_in);
                self.accept(token, scope).await.ok();
                Ok((access, expires))
            }
            Err(failure) => {
                let err = failure.into_error();
                if scope != self.cloud.graph_scope() {
                    // Another API (ARM) refusing a token for it — its consent missing, or no such
                    // resource in the tenant — says nothing about the sign-in itself: the person
                    // stays signed in to Graph, and the pull records the API as not read.
                    return Err(match err {
                        GraphError::SignInRequired(text) => {
                            GraphError::Auth(format!("no token for {scope}: {text}"))
                        }
                        other => other,
                    });
                }
                if matches!(err, GraphError::SignInRequired(_)) {
                    // A refresh token the service refuses is useless: forget it.
                    self.session.lock().await.refresh_token = None;
                    self.vault_call(|vault, account| vault.clear(account)).await.ok();
                }
                Err(err)
            }
        }
    }

    /// Exchanges an authorization code (with its PKCE verifier).
    async fn redeem_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Identity, GraphError> {
        let scope = self.sign_in_scope();
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", self.client_id.as_str()),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("scope", scope.as_str()),
        ];
        let token = self.token_request(&form).await.map_err(TokenFailure::into_error)?;
        self.accept(token, &self.cloud.graph_scope()).await
    }
}

enum TokenFailure {
    OAuth(OAuthError),
    Other(GraphError),
}

impl TokenFailure {
    fn into_error(self) -> GraphError {
        match self {
            TokenFailure::Other(err) => err,
            TokenFailure::OAuth(e) => oauth_error(&e),
        }
    }
}

fn oauth_failure(body: &[u8]) -> GraphError {
    oauth_error(&serde_json::from_slice(body).unwrap_or_default())
}

/// `invalid_grant` and `interaction_required` mean the sign-in is over (expired, revoked, MFA
/// asked again): the user must sign in again. Everything else is a failed sign-in.
fn oauth_error(e: &OAuthError) -> GraphError {
    let text = if e.error_description.is_empty() {
        e.error.clone()
    } else {
        format!("{}: {}", e.error, e.error_description)
    };
    match e.error.as_str() {
        "invalid_grant"
        | "interaction_required"
        | "login_required"
        | "consent_required"
        | "expired_token" => GraphError::SignInRequired(text),
        _ => GraphError::Auth(text),
    }
}

#[async_trait::async_trait]
impl TokenCredential for PublicClient {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let scope = scopes.join(" ");
        let (token, expires) = self
            .token_for(&scope)
            .await
            .map_err(|err| azure_core::Error::new(azure_core::error::ErrorKind::Credential, err))?;
        Ok(AccessToken::new(token, expires))
    }
}

/// An authorization-code sign-in in progress: open [`InteractiveSignIn::url`] in a browser, then
/// await [`InteractiveSignIn::finish`].
pub struct InteractiveSignIn {
    pub url: String,
    listener: TcpListener,
    verifier: String,
    state: String,
    redirect_uri: String,
    client: Arc<PublicClient>,
}

impl std::fmt::Debug for InteractiveSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InteractiveSignIn").field("redirect_uri", &self.redirect_uri).finish()
    }
}

const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Recert</title>\
    <p>You are signed in to Recert. You can close this window.</p>";
const FAILED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Recert</title>\
    <p>Sign-in did not complete. Return to Recert for details.</p>";

impl InteractiveSignIn {
    /// Waits (up to `timeout`) for the browser to come back to the loopback redirect, checks the
    /// state, and redeems the code.
    pub async fn finish(self, timeout: Duration) -> Result<Identity, GraphError> {
        let params = tokio::time::timeout(timeout, self.wait_for_redirect())
            .await
            .map_err(|_| GraphError::SignInRequired("the browser sign-in timed out".into()))??;
        if params.get("state").map(String::as_str) != Some(self.state.as_str()) {
            return Err(GraphError::Auth("the sign-in answer's state does not match".into()));
        }
        if let Some(error) = params.get("error") {
            let description = params.get("error_description").cloned().unwrap_or_default();
            return Err(oauth_error(&OAuthError {
                error: error.clone(),
                error_description: description,
            }));
        }
        let code = params
            .get("code")
            .ok_or_else(|| GraphError::Auth("the sign-in answer has no code".into()))?;
        self.client.redeem_code(code, &self.verifier, &self.redirect_uri).await
    }

    /// Serves the loopback until a request carries `code` or `error` (browsers also ask for
    /// `/favicon.ico`), answering it with a short page.
    async fn wait_for_redirect(&self) -> Result<HashMap<String, String>, GraphError> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|err| GraphError::Auth(format!("loopback accept failed: {err}")))?;
            let mut head = Vec::with_capacity(1024);
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let line =
                String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
            let target = line.split_whitespace().nth(1).unwrap_or_default();
            let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let params: HashMap<String, String> =
                url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            let answered = params.contains_key("code") || params.contains_key("error");
            let (status, page) = match (answered, params.contains_key("code")) {
                (true, true) => ("200 OK", DONE_PAGE),
                (true, false) => ("200 OK", FAILED_PAGE),
                _ => ("404 Not Found", ""),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            stream.write_all(response.as_bytes()).await.ok();
            stream.shutdown().await.ok();
            if answered {
                return Ok(params);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_identity_from_an_id_token() {
        let payload = B64.encode(
            br#"{"oid":"o-1","tid":"t-1","preferred_username":"ada@contoso.test","name":"Ada"}"#,
        );
        let token = format!("e30.{payload}.sig");
        let id = identity_from_id_token(&token).expect("claims");
        assert_eq!(id.oid, "o-1");
        assert_eq!(id.upn.as_deref(), Some("ada@contoso.test"));
        assert!(identity_from_id_token("not-a-token").is_none());
    }

    #[test]
    fn pkce_challenge_is_the_s256_of_the_verifier() {
        let (verifier, challenge) = pkce_pair().expect("randomness");
        assert_eq!(B64.encode(Sha256::digest(verifier.as_bytes())), challenge);
        assert!(verifier.len() >= 43, "RFC 7636 wants 43+ characters");
    }

    #[test]
    fn an_absurd_expires_in_cannot_overflow_the_token_expiry_or_keep_a_token_for_years() {
        let at = now();
        for huge in [i64::MAX, i64::MAX - 1, 10_i64.pow(15)] {
            let expiry = token_expiry(at, Some(huge));
            assert_eq!(
                expiry - at,
                azure_core::time::Duration::seconds(MAX_TOKEN_LIFETIME_SECONDS)
            );
        }
        assert_eq!(token_expiry(at, Some(i64::MIN)), at, "a negative lifetime is already expired");
        assert_eq!(token_expiry(at, Some(-5)), at);
        assert_eq!(token_expiry(at, None) - at, azure_core::time::Duration::seconds(3599));
        assert_eq!(token_expiry(at, Some(4000)) - at, azure_core::time::Duration::seconds(4000));
    }

    #[test]
    fn a_device_code_cannot_make_the_sign_in_wait_unbounded_or_poll_in_a_busy_loop() {
        assert_eq!(device_code_lifetime(Some(u64::MAX)), MAX_DEVICE_CODE_LIFETIME);
        assert_eq!(device_code_lifetime(None), Duration::from_secs(900));
        assert_eq!(device_code_lifetime(Some(600)), Duration::from_secs(600));
        assert_eq!(poll_interval(Some(u64::MAX)), MAX_POLL);
        assert_eq!(poll_interval(Some(0)), Duration::from_secs(1), "never a busy loop");
        assert_eq!(poll_interval(None), Duration::from_secs(5));
        let code = DeviceCode {
            user_code: "U".into(),
            verification_uri: "https://example.test/device".into(),
            message: String::new(),
            expires_in: device_code_lifetime(Some(u64::MAX)),
            interval: poll_interval(Some(u64::MAX)),
            device_code: "d".into(),
        };
        // The deadline arithmetic of `finish_device_code` on the clamped values: no panic.
        let start = tokio::time::Instant::now();
        assert!(start.checked_add(code.expires_in).is_some());
        assert!(start.checked_add(code.interval).is_some());
    }

    #[test]
    fn refused_refresh_means_sign_in_again() {
        let e = OAuthError { error: "invalid_grant".into(), error_description: "expired".into() };
        assert!(matches!(oauth_error(&e), GraphError::SignInRequired(_)));
        let e = OAuthError { error: "invalid_client".into(), error_description: String::new() };
        assert!(matches!(oauth_error(&e), GraphError::Auth(_)));
    }
}
