//! Login grants: client credentials, authorization code with PKCE, refresh token, device code,
//! discovery and JWKS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common;

fn claims(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&B64.decode(part).expect("base64url")).expect("claims JSON")
}

#[tokio::test]
async fn client_credentials_token_is_entra_shaped() {
    let env = common::demo().await;
    let (id, secret) = env.emu.app_client();
    let r = env.token_for(&id, &secret, "https://graph.microsoft.com/.default").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["expires_in"].as_i64().is_some_and(|n| n > 3000));
    assert!(v["ext_expires_in"].is_i64());
    let c = claims(v["access_token"].as_str().expect("token"));
    assert_eq!(c["tid"], env.emu.tenant_id().as_str());
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["appid"], id.as_str());
    let roles: Vec<&str> =
        c["roles"].as_array().expect("roles").iter().filter_map(Value::as_str).collect();
    for p in recert_emulator::RECERT_APPLICATION_PERMISSIONS {
        assert!(roles.contains(p), "{p}");
    }
    // ARM tokens, including the trailing-slash resource form.
    for scope in ["https://management.azure.com/.default", "https://management.azure.com//.default"]
    {
        let r = env.token_for(&id, &secret, scope).await;
        assert_eq!(r.status(), 200, "{scope}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(
            claims(v["access_token"].as_str().expect("token"))["aud"],
            "https://management.azure.com"
        );
    }
    // Wrong secret, unknown client, dynamic scope, unknown tenant.
    let r = env.token_for(&id, "wrong", "https://graph.microsoft.com/.default").await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"], "invalid_client");
    assert!(v["error_codes"].as_array().is_some_and(|c| !c.is_empty()));
    let r = env
        .token_for(
            "00000000-0000-0000-0000-000000000000",
            "x",
            "https://graph.microsoft.com/.default",
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = env.token_for(&id, &secret, "https://graph.microsoft.com/User.Read.All").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.expect("json")["error"], "invalid_scope");
    let url = format!("{}/login/not-a-tenant/oauth2/v2.0/token", env.emu.base_url());
    let r = env.http.post(url).form(&[("client_id", id.as_str())]).send().await.expect("answered");
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn discovery_and_jwks() {
    let env = common::demo().await;
    let tid = env.emu.tenant_id();
    let url = format!("{}/login/{tid}/v2.0/.well-known/openid-configuration", env.emu.base_url());
    let v: Value = env.http.get(url).send().await.expect("answered").json().await.expect("json");
    assert!(v["token_endpoint"].as_str().unwrap_or_default().ends_with("/oauth2/v2.0/token"));
    assert_eq!(v["issuer"], format!("{}/login/{tid}/v2.0", env.emu.base_url()).as_str());
    let jwks: Value = env
        .http
        .get(v["jwks_uri"].as_str().expect("jwks_uri"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "EC");
    // The key id in tokens is the published one.
    let tok = env.graph_token().await;
    let header: Value =
        serde_json::from_slice(&B64.decode(tok.split('.').next().expect("header")).expect("b64"))
            .expect("json");
    assert_eq!(header["kid"], key["kid"]);
}

struct Pkce {
    verifier: String,
    challenge: String,
}

fn pkce() -> Pkce {
    let verifier = "a-long-random-verifier-string-that-is-at-least-43-characters".to_string();
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    Pkce { verifier, challenge }
}

/// Walks the authorize page as a person would: open it, pick a user, follow the redirect.
async fn sign_in(env: &common::Env, challenge: &str, scope: &str) -> (String, String) {
    let base = env.emu.base_url();
    let tid = env.emu.tenant_id();
    let redirect = "http://127.0.0.1:53123/callback";
    let mut url =
        url::Url::parse(&format!("{base}/login/{tid}/oauth2/v2.0/authorize")).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", &env.emu.public_client_id())
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", scope)
        .append_pair("state", "xyz")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    let page = env.http.get(url.as_str()).send().await.expect("answered");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Pick an account"));
    // The first user link on the page, resolved against the page's URL as a browser does.
    let start = html.find("class=\"user\" href=\"").expect("a user link") + 19;
    let end = start + html[start..].find('"').expect("link end");
    let link = html[start..end].replace("&amp;", "&");
    let pick = url.join(&link).expect("the link resolves against the page");
    assert_eq!(
        pick.path(),
        format!("/login/{tid}/oauth2/v2.0/authorize/complete"),
        "the link leads to the pick endpoint"
    );
    let r = env.http.get(pick).send().await.expect("answered");
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().expect("location").to_string();
    assert!(loc.starts_with(redirect));
    let back = url::Url::parse(&loc).expect("redirect url");
    let q: std::collections::HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(q.get("state").map(String::as_str), Some("xyz"));
    (q.get("code").cloned().expect("a code"), redirect.to_string())
}

async fn redeem(
    env: &common::Env,
    code: &str,
    redirect: &str,
    verifier: &str,
) -> reqwest::Response {
    let url = format!("{}/login/{}/oauth2/v2.0/token", env.emu.base_url(), env.emu.tenant_id());
    env.http
        .post(url)
        .form(&[
            ("client_id", env.emu.public_client_id().as_str()),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("answered")
}

#[tokio::test]
async fn authorization_code_with_pkce_and_refresh() {
    let env = common::demo().await;
    let p = pkce();
    let scope = "https://graph.microsoft.com/RoleManagement.Read.Directory https://graph.microsoft.com/User.Read.All openid profile offline_access";
    let (code, redirect) = sign_in(&env, &p.challenge, scope).await;
    let r = redeem(&env, &code, &redirect, &p.verifier).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    let at = claims(v["access_token"].as_str().expect("access token"));
    let id = claims(v["id_token"].as_str().expect("id token"));
    assert_eq!(at["tid"], env.emu.tenant_id().as_str());
    assert!(
        at["oid"].is_string() && at["preferred_username"].is_string() && at["name"].is_string()
    );
    assert_eq!(at["scp"], "RoleManagement.Read.Directory User.Read.All");
    assert_eq!(id["oid"], at["oid"]);
    assert_eq!(id["aud"], env.emu.public_client_id().as_str());
    // The token works on Graph as the user.
    let tok = v["access_token"].as_str().expect("token").to_string();
    let (s, me) = env.get(&tok, &env.graph("/me")).await;
    assert_eq!(s, 200);
    assert_eq!(me["id"], at["oid"]);
    // A code is single-use.
    let r = redeem(&env, &code, &redirect, &p.verifier).await;
    assert_eq!(r.status(), 400);
    // The refresh token buys a token for another resource.
    let url = format!("{}/login/{}/oauth2/v2.0/token", env.emu.base_url(), env.emu.tenant_id());
    let r = env
        .http
        .post(&url)
        .form(&[
            ("client_id", env.emu.public_client_id().as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", v["refresh_token"].as_str().expect("refresh token")),
            ("scope", "https://management.azure.com/user_impersonation offline_access"),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
    let v2: Value = r.json().await.expect("json");
    assert_eq!(
        claims(v2["access_token"].as_str().expect("token"))["aud"],
        "https://management.azure.com"
    );
    assert!(v2["refresh_token"].is_string());
    let r = env
        .http
        .post(&url)
        .form(&[
            ("client_id", env.emu.public_client_id().as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", "bogus"),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.expect("json")["error"], "invalid_grant");
}

#[tokio::test]
async fn pkce_mismatch_is_rejected() {
    let env = common::demo().await;
    let p = pkce();
    let (code, redirect) = sign_in(&env, &p.challenge, "User.Read openid").await;
    let r =
        redeem(&env, &code, &redirect, "a-different-verifier-that-does-not-match-the-challenge")
            .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"], "invalid_grant");
    assert!(v["error_description"].as_str().unwrap_or_default().contains("AADSTS501481"));
    // The authorize endpoint refuses a request without PKCE.
    let url = format!(
        "{}/login/{}/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2F&scope=openid",
        env.emu.base_url(),
        env.emu.tenant_id(),
        env.emu.public_client_id()
    );
    let r = env.http.get(url).send().await.expect("answered");
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap_or_default().contains("error=invalid_request"));
}

#[tokio::test]
async fn device_code_flow() {
    let env = common::demo().await;
    let base = env.emu.base_url();
    let tid = env.emu.tenant_id();
    let r = env
        .http
        .post(format!("{base}/login/{tid}/oauth2/v2.0/devicecode"))
        .form(&[
            ("client_id", env.emu.public_client_id().as_str()),
            ("scope", "https://graph.microsoft.com/.default offline_access"),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
    let dc: Value = r.json().await.expect("json");
    for k in ["device_code", "user_code", "verification_uri", "expires_in", "interval", "message"] {
        assert!(!dc[k].is_null(), "{k}");
    }
    let poll = || async {
        env.http
            .post(format!("{base}/login/{tid}/oauth2/v2.0/token"))
            .form(&[
                ("client_id", env.emu.public_client_id().as_str()),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", dc["device_code"].as_str().unwrap_or_default()),
            ])
            .send()
            .await
            .expect("answered")
    };
    let r = poll().await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.expect("json")["error"], "authorization_pending");
    // The verification page approves it as a picked user.
    let page =
        env.http.get(dc["verification_uri"].as_str().expect("uri")).send().await.expect("answered");
    assert_eq!(page.status(), 200);
    let user = common::id_of(&recert_emulator::Tenant::demo().users()[3]);
    let r = env
        .http
        .post(dc["verification_uri"].as_str().expect("uri"))
        .form(&[
            ("user_code", dc["user_code"].as_str().expect("code")),
            ("user", user.as_str()),
            ("action", "approve"),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
    let r = poll().await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(claims(v["access_token"].as_str().expect("token"))["oid"], user.as_str());
    assert!(v["refresh_token"].is_string());
    // Redeemed once only.
    let r = poll().await;
    assert_eq!(r.status(), 400);
}
