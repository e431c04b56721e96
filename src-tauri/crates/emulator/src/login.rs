//! The login host: token endpoint (client credentials, authorization code + PKCE, refresh token,
//! device code), the authorize page with a demo-user picker, the device page, OpenID discovery, JWKS.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::assertion;
use crate::server::AppState;
use crate::store::Kind;
use crate::tenant::Client;
use crate::token::{ARM_AUDIENCE, GRAPH_AUDIENCE};

const TOKEN_LIFETIME: i64 = 3599;
const CODE_LIFETIME: i64 = 600;
const DEVICE_LIFETIME: i64 = 900;

#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    user_id: String,
    scopes: Vec<String>,
}

#[derive(Debug, Clone)]
struct AuthCode {
    grant: Grant,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    expires: i64,
}

#[derive(Debug, Clone)]
struct DeviceCode {
    client_id: String,
    scopes: Vec<String>,
    user_code: String,
    user_id: Option<String>,
    declined: bool,
    expires: i64,
}

#[derive(Debug, Default)]
pub(crate) struct AuthState {
    codes: HashMap<String, AuthCode>,
    refresh: HashMap<String, Grant>,
    devices: HashMap<String, DeviceCode>,
}

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/{tenant}/v2.0/.well-known/openid-configuration", get(discovery))
        .route("/{tenant}/discovery/v2.0/keys", get(jwks))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
        .route("/{tenant}/oauth2/v2.0/authorize/complete", get(authorize_complete))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode))
        .route("/device", get(device_page).post(device_submit))
        .with_state(state)
}

fn random_token(n: usize) -> String {
    let mut b = vec![0u8; n];
    // ring's generator is the one already in use for signing.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    B64.encode(b)
}

/// Entra's OAuth error body.
/// A confidential client's token request without its secret or assertion (AADSTS7000218).
fn no_client_credential() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )
}

fn oauth_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4().to_string();
    let now = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {trace} Timestamp: {now}"),
        "error_codes": [code], "timestamp": now, "trace_id": trace, "correlation_id": trace,
    });
    (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body.to_string())
        .into_response()
}

fn check_tenant(state: &AppState, tenant: &str) -> Result<String, Box<Response>> {
    let s = state.read();
    let ok = tenant.eq_ignore_ascii_case(&s.tenant_id)
        || tenant.eq_ignore_ascii_case(&s.domain)
        || tenant.eq_ignore_ascii_case("organizations")
        || tenant.eq_ignore_ascii_case("common");
    if ok {
        Ok(s.tenant_id.clone())
    } else {
        Err(Box::new(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        )))
    }
}

fn form(body: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

async fn discovery(State(state): State<Arc<AppState>>, Path(tenant): Path<String>) -> Response {
    let tid = match check_tenant(&state, &tenant) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let b = format!("{}/login", state.base_url);
    Json(json!({
        "issuer": format!("{b}/{tid}/v2.0"),
        "authorization_endpoint": format!("{b}/{tenant}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{b}/{tenant}/oauth2/v2.0/token"),
        "device_authorization_endpoint": format!("{b}/{tenant}/oauth2/v2.0/devicecode"),
        "jwks_uri": format!("{b}/{tenant}/discovery/v2.0/keys"),
        "userinfo_endpoint": format!("{}/graph/oidc/userinfo", state.base_url),
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic",
            "private_key_jwt"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid",
            "preferred_username", "nonce", "ver"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "emulator",
    }))
    .into_response()
}

struct Json(Value);
impl IntoResponse for Json {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], self.0.to_string())
            .into_response()
    }
}

async fn jwks(State(state): State<Arc<AppState>>, Path(tenant): Path<String>) -> Response {
    if let Err(r) = check_tenant(&state, &tenant) {
        return *r;
    }
    Json(state.keys.jwks()).into_response()
}

/// Which resource a scope list is for, and the permissions inside it.
fn resource_of(scopes: &[String]) -> Result<(&'static str, Vec<String>, bool), String> {
    let mut resource: Option<&'static str> = None;
    let mut perms = Vec::new();
    let mut default = false;
    for s in scopes {
        let lower = s.to_ascii_lowercase();
        if matches!(lower.as_str(), "openid" | "profile" | "email" | "offline_access") {
            continue;
        }
        let (res, perm) = if let Some(rest) = lower.strip_prefix("https://graph.microsoft.com/") {
            (GRAPH_AUDIENCE, &s[s.len() - rest.len()..])
        } else if let Some(rest) = lower.strip_prefix("https://management.azure.com/") {
            (ARM_AUDIENCE, &s[s.len() - rest.len()..])
        } else if lower.starts_with("https://") || lower.starts_with("api://") {
            return Err(format!("The resource principal named {s} was not found in the tenant."));
        } else {
            // A bare permission name defaults to Graph.
            (GRAPH_AUDIENCE, s.as_str())
        };
        if resource.is_some_and(|r| r != res) {
            return Err(
                "Scopes for more than one resource were requested; request one resource per token."
                    .into(),
            );
        }
        resource = Some(res);
        // The ARM resource id is sometimes written with a trailing slash: ".../" + "/.default".
        let perm = perm.trim_start_matches('/');
        if perm.eq_ignore_ascii_case(".default") {
            default = true;
        } else {
            perms.push(perm.to_string());
        }
    }
    Ok((resource.unwrap_or(GRAPH_AUDIENCE), perms, default))
}

/// The fault knob that makes the tenant refuse ARM tokens (see `faults.rs`).
fn arm_consent_missing(state: &AppState) -> bool {
    state.faults.lock().is_ok_and(|f| f.arm_consent_missing)
}

fn find_client(state: &AppState, client_id: &str) -> Option<Client> {
    state.read().clients.iter().find(|c| c.client_id.eq_ignore_ascii_case(client_id)).cloned()
}

fn access_claims(state: &AppState, tid: &str, aud: &str, client: &Client) -> Value {
    let now = Utc::now().timestamp();
    json!({
        "aud": aud, "iss": format!("{}/login/{tid}/v2.0", state.base_url),
        "iat": now, "nbf": now, "exp": now + TOKEN_LIFETIME,
        "appid": client.client_id, "azp": client.client_id, "app_displayname": client.display_name,
        "tid": tid, "ver": "2.0", "uti": random_token(12),
    })
}

fn token_response(
    state: &AppState,
    claims: Value,
    scope: &str,
    extra: Vec<(&str, Value)>,
) -> Response {
    let Ok(at) = state.keys.sign(&claims) else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            50000,
            "Token signing failed.",
        );
    };
    let mut body = json!({
        "token_type": "Bearer", "scope": scope, "expires_in": TOKEN_LIFETIME,
        "ext_expires_in": TOKEN_LIFETIME, "access_token": at,
    });
    for (k, v) in extra {
        body[k] = v;
    }
    (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store, no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Issues tokens for a signed-in user: access token, plus refresh and id tokens when asked for.
fn user_tokens(state: &AppState, tid: &str, grant: &Grant, nonce: Option<&str>) -> Response {
    let Some(client) = find_client(state, &grant.client_id) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application not found in the directory.",
        );
    };
    let (resource, perms, default) = match resource_of(&grant.scopes) {
        Ok(x) => x,
        Err(m) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", 70011, &m),
    };
    if resource == ARM_AUDIENCE && arm_consent_missing(state) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            65001,
            "The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.",
        );
    }
    let granted: Vec<String> = if resource == ARM_AUDIENCE {
        vec!["user_impersonation".into()]
    } else if default {
        client.delegated_permissions.clone()
    } else {
        // Only consented permissions end up in the token, as with admin-consented apps.
        perms
            .iter()
            .filter(|p| client.delegated_permissions.iter().any(|g| g.eq_ignore_ascii_case(p)))
            .cloned()
            .collect()
    };
    if !default && resource == GRAPH_AUDIENCE && !perms.is_empty() && granted.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            65001,
            "The user or administrator has not consented to use the application.",
        );
    }
    let (name, upn) = {
        let s = state.read();
        match s.user(&grant.user_id) {
            Some(u) => (
                u.props.get("displayName").cloned().unwrap_or(Value::Null),
                u.props.get("userPrincipalName").cloned().unwrap_or(Value::Null),
            ),
            None => {
                drop(s);
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    50034,
                    "The user account does not exist in the directory.",
                );
            }
        }
    };
    let mut claims = access_claims(state, tid, resource, &client);
    claims["oid"] = json!(grant.user_id);
    claims["sub"] = json!(grant.user_id);
    claims["idtyp"] = json!("user");
    claims["name"] = name.clone();
    claims["preferred_username"] = upn.clone();
    claims["scp"] = json!(granted.join(" "));
    let mut scope_out: Vec<String> = granted
        .iter()
        .map(|p| {
            if resource == GRAPH_AUDIENCE {
                format!("{GRAPH_AUDIENCE}/{p}")
            } else {
                format!("{ARM_AUDIENCE}/{p}")
            }
        })
        .collect();
    let wants = |s: &str| grant.scopes.iter().any(|x| x.eq_ignore_ascii_case(s));
    let mut extra = Vec::new();
    if wants("offline_access") {
        let rt = random_token(48);
        if let Ok(mut a) = state.auth.lock() {
            a.refresh.insert(rt.clone(), grant.clone());
        }
        extra.push(("refresh_token", json!(rt)));
        scope_out.push("offline_access".into());
    }
    if wants("openid") {
        let now = Utc::now().timestamp();
        let mut id = json!({
            "aud": client.client_id, "iss": format!("{}/login/{tid}/v2.0", state.base_url),
            "iat": now, "nbf": now, "exp": now + TOKEN_LIFETIME, "sub": grant.user_id,
            "oid": grant.user_id, "tid": tid, "name": name, "preferred_username": upn, "ver": "2.0",
        });
        if let Some(n) = nonce {
            id["nonce"] = json!(n);
        }
        if let Ok(t) = state.keys.sign(&id) {
            extra.push(("id_token", json!(t)));
        }
        scope_out.push("openid".into());
        if wants("profile") {
            scope_out.push("profile".into());
        }
    }
    token_response(state, claims, &scope_out.join(" "), extra)
}

fn client_secret(
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    // client_secret_basic as well as client_secret_post.
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(basic.trim())
        && let Ok(text) = String::from_utf8(raw)
        && let Some((id, secret)) = text.split_once(':')
    {
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        return (dec(id), dec(secret));
    }
    (f.get("client_id").cloned(), f.get("client_secret").cloned())
}

/// The URLs this token endpoint answers on for `tenant`: what a client assertion's `aud` names.
fn token_endpoints(state: &AppState, tenant: &str, tid: &str) -> Vec<String> {
    let domain = state.read().domain.clone();
    let base = state.base_url.as_str();
    [format!("{base}/login"), base.to_string()]
        .iter()
        .flat_map(|host| {
            [tenant, tid, domain.as_str()].map(|t| format!("{host}/{t}/oauth2/v2.0/token"))
        })
        .collect()
}

async fn token(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let tid = match check_tenant(&state, &tenant) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let f = form(&body);
    let (client_id, secret) = client_secret(&headers, &f);
    let Some(client_id) = client_id else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(client) = find_client(&state, &client_id) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tid}'."
            ),
        );
    };
    let scopes: Vec<String> = f
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let grant_type = f.get("grant_type").map(String::as_str).unwrap_or_default();
    // A certificate credential: a JWT signed with the key of a certificate the app registered.
    let by_certificate = match (f.get("client_assertion_type"), f.get("client_assertion")) {
        (None, None) => false,
        (Some(kind), Some(jwt)) if kind == assertion::JWT_BEARER => {
            let audiences = token_endpoints(&state, &tenant, &tid);
            let now = Utc::now().timestamp();
            if let Err((code, description)) =
                assertion::verify(jwt, &client.certificates, &client.client_id, &audiences, now)
            {
                return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", code, &description);
            }
            true
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50027,
                &format!(
                    "client_assertion needs client_assertion_type '{}'.",
                    assertion::JWT_BEARER
                ),
            );
        }
    };
    // A confidential client must authenticate on every grant.
    if let Some(expected) = &client.secret
        && !by_certificate
        && (grant_type != "client_credentials" || secret.is_some())
    {
        match &secret {
            Some(s) if s == expected => {}
            Some(_) => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
                );
            }
            None => {
                return no_client_credential();
            }
        }
    }
    match grant_type {
        "client_credentials" => {
            let expected = match &client.secret {
                _ if by_certificate => None,
                Some(expected) => Some(expected),
                None => {
                    return no_client_credential();
                }
            };
            if let Some(expected) = expected
                && secret.as_deref() != Some(expected.as_str())
            {
                return no_client_credential();
            }
            let (resource, perms, default) = match resource_of(&scopes) {
                Ok(x) => x,
                Err(m) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", 500011, &m),
            };
            if !default || !perms.is_empty() || scopes.is_empty() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    1002012,
                    &format!(
                        "The provided value for scope {} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
                        f.get("scope").cloned().unwrap_or_default()
                    ),
                );
            }
            if resource == ARM_AUDIENCE && arm_consent_missing(&state) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_resource",
                    500011,
                    &format!(
                        "The resource principal named {ARM_AUDIENCE} was not found in the tenant named {tid}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
                    ),
                );
            }
            let mut claims = access_claims(&state, &tid, resource, &client);
            let sp_id = {
                let s = state.read();
                s.service_principals
                    .iter()
                    .filter_map(|id| s.objects.get(id))
                    .find(|o| {
                        o.props.get("appId").and_then(Value::as_str)
                            == Some(client.client_id.as_str())
                    })
                    .map(|o| o.id().to_string())
            };
            claims["oid"] = json!(sp_id.clone().unwrap_or_else(|| client.client_id.clone()));
            claims["sub"] = claims["oid"].clone();
            claims["idtyp"] = json!("app");
            if resource == GRAPH_AUDIENCE {
                claims["roles"] = json!(client.application_permissions);
            }
            token_response(&state, claims, "", vec![])
        }
        "authorization_code" => {
            let code = f.get("code").cloned().unwrap_or_default();
            let entry = state.auth.lock().ok().and_then(|mut a| a.codes.remove(&code));
            let Some(entry) = entry else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity, or was already redeemed.",
                );
            };
            if entry.expires < Utc::now().timestamp() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70008,
                    "The provided authorization code has expired.",
                );
            }
            if !entry.grant.client_id.eq_ignore_ascii_case(&client.client_id) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70002,
                    "The authorization code was issued to another client.",
                );
            }
            if f.get("redirect_uri").map(String::as_str) != Some(entry.redirect_uri.as_str()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    50148,
                    "The redirect_uri does not match the one in the authorization request.",
                );
            }
            let Some(verifier) = f.get("code_verifier") else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    50148,
                    "The code_verifier is missing; PKCE is required for this client.",
                );
            };
            let computed = B64.encode(Sha256::digest(verifier.as_bytes()));
            if computed != entry.challenge {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                );
            }
            let mut grant = entry.grant.clone();
            // The redemption may name the scopes again; the code's own scopes win otherwise.
            if !scopes.is_empty() {
                grant.scopes = scopes;
            }
            user_tokens(&state, &tid, &grant, entry.nonce.as_deref())
        }
        "refresh_token" => {
            let rt = f.get("refresh_token").cloned().unwrap_or_default();
            let grant = state.auth.lock().ok().and_then(|a| a.refresh.get(&rt).cloned());
            let Some(mut grant) = grant else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    9002313,
                    "Invalid request. Request is malformed or invalid (refresh token).",
                );
            };
            if !grant.client_id.eq_ignore_ascii_case(&client.client_id) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70000,
                    "The refresh token was issued to a different client.",
                );
            }
            if !scopes.is_empty() {
                // A refresh token may be redeemed for another resource (Graph, then ARM).
                grant.scopes = scopes;
            }
            if !grant.scopes.iter().any(|s| s.eq_ignore_ascii_case("offline_access")) {
                grant.scopes.push("offline_access".into());
            }
            user_tokens(&state, &tid, &grant, None)
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let dc = f.get("device_code").cloned().unwrap_or_default();
            let entry = state.auth.lock().ok().and_then(|a| a.devices.get(&dc).cloned());
            let Some(entry) = entry else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "bad_verification_code",
                    70019,
                    "Verification code not recognised.",
                );
            };
            if entry.expires < Utc::now().timestamp() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "expired_token",
                    70020,
                    "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
                );
            }
            if entry.declined {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "authorization_declined",
                    70018,
                    "The user declined the sign-in.",
                );
            }
            let Some(user_id) = entry.user_id.clone() else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                );
            };
            if let Ok(mut a) = state.auth.lock() {
                a.devices.remove(&dc);
            }
            let grant = Grant { client_id: entry.client_id, user_id, scopes: entry.scopes };
            user_tokens(&state, &tid, &grant, None)
        }
        "" => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        ),
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

fn is_loopback_redirect(uri: &str) -> bool {
    let Ok(u) = url::Url::parse(uri) else { return false };
    matches!(u.scheme(), "http" | "https")
        && matches!(u.host_str(), Some("localhost") | Some("127.0.0.1"))
        || uri == "urn:ietf:wg:oauth:2.0:oob"
        || u.scheme().starts_with("ms-appx")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}\
         a.user{{display:block;padding:.5rem;border:1px solid #ccc;border-radius:6px;margin:.3rem 0;text-decoration:none;color:#111}}\
         a.user:hover{{background:#eef}} small{{color:#555}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = html_escape(title)
    ))
}

/// Validates an authorize request; Ok(params) or the error page/redirect to show.
fn check_authorize(
    state: &AppState,
    tenant: &str,
    q: &HashMap<String, String>,
) -> Result<String, Box<Response>> {
    check_tenant(state, tenant)?;
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    if find_client(state, &client_id).is_none() {
        return Err((StatusCode::BAD_REQUEST, page("Sign in", &format!("<p>AADSTS700016: Application with identifier '{}' was not found in the directory.</p>", html_escape(&client_id)))).into_response().into());
    }
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    if !is_loopback_redirect(&redirect) {
        return Err((StatusCode::BAD_REQUEST, page("Sign in", "<p>AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.</p>")).into_response().into());
    }
    let fail = |err: &str, desc: &str| -> Response {
        let mut u = match url::Url::parse(&redirect) {
            Ok(u) => u,
            Err(_) => return (StatusCode::BAD_REQUEST, "invalid redirect_uri").into_response(),
        };
        u.query_pairs_mut().append_pair("error", err).append_pair("error_description", desc);
        if let Some(s) = q.get("state") {
            u.query_pairs_mut().append_pair("state", s);
        }
        Redirect::to(u.as_str()).into_response()
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err(Box::new(fail(
            "unsupported_response_type",
            "AADSTS700054: response_type must be 'code'.",
        )));
    }
    if q.get("code_challenge").is_none_or(|c| c.is_empty()) {
        return Err(Box::new(fail(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange is required.",
        )));
    }
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return Err(Box::new(fail(
            "invalid_request",
            "AADSTS501491: code_challenge_method must be S256.",
        )));
    }
    Ok(redirect)
}

async fn authorize(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let raw = raw.unwrap_or_default();
    let q = form(&raw);
    if let Err(r) = check_authorize(&state, &tenant, &q) {
        return *r;
    }
    let s = state.read();
    let hint = q.get("login_hint").map(|h| h.to_ascii_lowercase());
    let mut links = String::new();
    let mut shown = 0;
    for id in &s.users {
        let Some(u) = s.objects.get(id) else { continue };
        if u.props.get("accountEnabled") == Some(&Value::Bool(false))
            || u.props.get("userType") == Some(&json!("Guest"))
        {
            continue;
        }
        let upn = u.props.get("userPrincipalName").and_then(Value::as_str).unwrap_or_default();
        let hinted = hint.as_deref() == Some(&upn.to_ascii_lowercase());
        if shown >= 40 && !hinted {
            continue;
        }
        shown += 1;
        let name = u.props.get("displayName").and_then(Value::as_str).unwrap_or_default();
        // Relative to this page, `…/oauth2/v2.0/authorize`: a browser resolves it to
        // `…/oauth2/v2.0/authorize/complete`.
        let href = format!("authorize/complete?{raw}&user={id}");
        let link = format!(
            "<a class=\"user\" href=\"{}\" data-upn=\"{}\">{}<br><small>{}</small></a>",
            html_escape(&href),
            html_escape(upn),
            html_escape(name),
            html_escape(upn)
        );
        // As Entra does with a login hint: the suggested account comes first.
        if hinted {
            links.insert_str(0, &link);
        } else {
            links.push_str(&link);
        }
    }
    page(
        &format!("Sign in to {}", s.display_name),
        &format!("<p>This is the demo tenant. Pick an account to continue:</p>{links}"),
    )
    .into_response()
}

async fn authorize_complete(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = form(&raw.unwrap_or_default());
    let redirect = match check_authorize(&state, &tenant, &q) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let user_id = q.get("user").cloned().unwrap_or_default();
    let (known, enabled) = {
        let s = state.read();
        match s.user(&user_id) {
            Some(u) => (
                Some(u.id().to_string()),
                u.props.get("accountEnabled") != Some(&Value::Bool(false)),
            ),
            None => (None, false),
        }
    };
    let Ok(mut u) = url::Url::parse(&redirect) else {
        return (StatusCode::BAD_REQUEST, "invalid redirect_uri").into_response();
    };
    match known {
        Some(uid) if enabled => {
            let code = random_token(32);
            let grant = Grant {
                client_id: q.get("client_id").cloned().unwrap_or_default(),
                user_id: uid,
                scopes: q
                    .get("scope")
                    .map(|s| s.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default(),
            };
            if let Ok(mut a) = state.auth.lock() {
                a.codes.insert(
                    code.clone(),
                    AuthCode {
                        grant,
                        redirect_uri: redirect.clone(),
                        challenge: q.get("code_challenge").cloned().unwrap_or_default(),
                        nonce: q.get("nonce").cloned(),
                        expires: Utc::now().timestamp() + CODE_LIFETIME,
                    },
                );
            }
            u.query_pairs_mut().append_pair("code", &code);
        }
        Some(_) => {
            u.query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_description", "AADSTS50057: The user account is disabled.");
        }
        None => {
            u.query_pairs_mut().append_pair("error", "access_denied").append_pair(
                "error_description",
                "AADSTS50034: The user account does not exist in this directory.",
            );
        }
    }
    if let Some(s) = q.get("state") {
        u.query_pairs_mut().append_pair("state", s);
    }
    Redirect::to(u.as_str()).into_response()
}

async fn devicecode(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    body: String,
) -> Response {
    if let Err(r) = check_tenant(&state, &tenant) {
        return *r;
    }
    let f = form(&body);
    let client_id = f.get("client_id").cloned().unwrap_or_default();
    if find_client(&state, &client_id).is_none() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!("Application with identifier '{client_id}' was not found in the directory."),
        );
    }
    let scopes: Vec<String> = f
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if let Err(m) = resource_of(&scopes) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", 70011, &m);
    }
    let device_code = random_token(48);
    // Nine characters from an unambiguous alphabet, like Entra's codes.
    let alphabet = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let raw = random_token(9);
    let user_code: String =
        raw.bytes().take(9).map(|b| alphabet[(b as usize) % alphabet.len()] as char).collect();
    if let Ok(mut a) = state.auth.lock() {
        a.devices.insert(
            device_code.clone(),
            DeviceCode {
                client_id,
                scopes,
                user_code: user_code.clone(),
                user_id: None,
                declined: false,
                expires: Utc::now().timestamp() + DEVICE_LIFETIME,
            },
        );
    }
    let uri = format!("{}/login/device", state.base_url);
    Json(json!({
        "user_code": user_code, "device_code": device_code, "verification_uri": uri,
        "expires_in": DEVICE_LIFETIME, "interval": 5,
        "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."),
    }))
    .into_response()
}

pub(crate) fn approve_device(
    state: &AppState,
    user_code: &str,
    user_id: &str,
) -> Result<(), &'static str> {
    let uid = state.read().user(user_id).map(|u| u.id().to_string()).ok_or("unknown user")?;
    let mut a = state.auth.lock().map_err(|_| "state unavailable")?;
    let entry = a
        .devices
        .values_mut()
        .find(|d| d.user_code.eq_ignore_ascii_case(user_code.trim()))
        .ok_or("unknown code")?;
    entry.user_id = Some(uid);
    Ok(())
}

async fn device_page(State(state): State<Arc<AppState>>) -> Response {
    let s = state.read();
    let mut options = String::new();
    for id in s.users.iter().take(200) {
        let Some(u) = s.objects.get(id) else { continue };
        if u.kind != Kind::User || u.props.get("accountEnabled") == Some(&Value::Bool(false)) {
            continue;
        }
        let name = u.props.get("displayName").and_then(Value::as_str).unwrap_or_default();
        options.push_str(&format!("<option value=\"{id}\">{}</option>", html_escape(name)));
    }
    page(
        "Enter code",
        &format!(
            "<form method=\"post\"><p><label>Code <input name=\"user_code\" autofocus></label></p>\
             <p><label>Sign in as <select name=\"user\">{options}</select></label></p>\
             <p><button name=\"action\" value=\"approve\">Continue</button> \
             <button name=\"action\" value=\"decline\">Cancel sign-in</button></p></form>"
        ),
    )
    .into_response()
}

async fn device_submit(State(state): State<Arc<AppState>>, body: String) -> Response {
    let f = form(&body);
    let code = f.get("user_code").cloned().unwrap_or_default();
    if f.get("action").map(String::as_str) == Some("decline") {
        if let Ok(mut a) = state.auth.lock()
            && let Some(d) =
                a.devices.values_mut().find(|d| d.user_code.eq_ignore_ascii_case(code.trim()))
        {
            d.declined = true;
            return page("Sign-in cancelled", "<p>You can close this window.</p>").into_response();
        }
        return (
            StatusCode::BAD_REQUEST,
            page("Enter code", "<p>That code was not recognised.</p>"),
        )
            .into_response();
    }
    match approve_device(&state, &code, f.get("user").map(String::as_str).unwrap_or_default()) {
        Ok(()) => page(
            "You're signed in",
            "<p>You can close this window and return to the application.</p>",
        )
        .into_response(),
        Err(_) => {
            (StatusCode::BAD_REQUEST, page("Enter code", "<p>That code was not recognised.</p>"))
                .into_response()
        }
    }
}
