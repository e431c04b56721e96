//! Every sign-in grant against the emulator's login host: authorization code with PKCE through
//! its login page (driven with reqwest where a person would use a browser), device code, refresh
//! (also after a restart, from the vault), client secret, and client certificate.

use std::time::Duration;

use azure_core::credentials::TokenCredential;
use recert_emulator::{Client, Options, RECERT_APPLICATION_PERMISSIONS, Tenant};
use recert_graph::{ClientCertificate, GraphError, TokenVault};
use rustls_pki_types::pem::PemObject;
use serde_json::Value;

use crate::common;

/// What a person does in the browser: open the page, pick the first account, follow the redirect
/// back to Recert's loopback listener.
async fn pick_first_account(env: &common::Env, url: &str) -> String {
    let page = env.http.get(url).send().await.expect("the authorize page answers");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let start = html.find("class=\"user\" href=\"").expect("an account to pick") + 19;
    let end = start + html[start..].find('"').expect("the link ends");
    let link = html[start..end].replace("&amp;", "&");
    let user = link.rsplit("user=").next().expect("a user id").to_string();
    // As a browser does: the link is relative to the page's own URL.
    let pick = url::Url::parse(url).and_then(|u| u.join(&link)).expect("the link resolves");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_merge([reqwest::Certificate::from_der(&env.emu.certificate_der().expect("TLS"))
            .expect("a certificate")])
        .build()
        .expect("a browser stand-in");
    let picked = browser.get(pick).send().await.expect("answered");
    let status = picked.status();
    assert_eq!(status, 303, "the pick redirects back: {}", picked.text().await.unwrap_or_default());
    let location = picked.headers()["location"].to_str().expect("a location").to_string();
    assert!(location.starts_with("http://127.0.0.1:"), "a loopback redirect: {location}");
    let back = reqwest::Client::new().get(&location).send().await.expect("the loopback answers");
    assert_eq!(back.status(), 200);
    user
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_with_pkce_signs_a_person_in_and_refreshes() {
    let env = common::start(Tenant::demo(), Options::default()).await;
    let (public, vault) = env.public_client();

    let before = public.get_token(&[env.cloud.graph_scope().as_str()], None).await;
    let err = before.expect_err("nobody signed in yet").into_downcast::<GraphError>();
    assert!(matches!(err, Ok(GraphError::SignInRequired(_))), "{err:?}");

    let pending = public.begin_interactive(None).await.expect("a loopback listener");
    assert!(pending.url.contains("code_challenge_method=S256"), "{}", pending.url);
    let url = pending.url.clone();
    let (identity, user) =
        tokio::join!(pending.finish(Duration::from_secs(30)), pick_first_account(&env, &url));
    let identity = identity.expect("the code is redeemed");
    assert_eq!(identity.oid, user, "the ID token names the account picked");
    assert_eq!(identity.tid, env.emu.tenant_id());
    assert!(identity.upn.as_deref().is_some_and(|u| u.contains('@')), "{identity:?}");
    assert!(vault.load("test").expect("readable").is_some(), "the refresh token is kept");

    // The person's token reads Graph as them, and the refresh token gets an ARM token too.
    let graph = recert_graph::GraphClient::new(env.http.clone(), env.cloud.clone(), public.clone());
    let (me, _) = graph.get(&env.cloud.graph_url("me?$select=id")).await.expect("/me");
    assert_eq!(me["id"].as_str(), Some(user.as_str()));
    let arm = public.get_token(&[env.cloud.arm_scope().as_str()], None).await;
    assert!(arm.is_ok(), "an ARM token from the refresh token: {arm:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_in_the_vault_survives_a_restart_until_sign_out() {
    let env = common::start(Tenant::demo(), Options::default()).await;
    let (public, vault) = env.public_client();
    let pending = public.begin_interactive(None).await.expect("a loopback listener");
    let url = pending.url.clone();
    let (identity, _) =
        tokio::join!(pending.finish(Duration::from_secs(30)), pick_first_account(&env, &url));
    let identity = identity.expect("signed in");

    // A new process: a fresh client over the same vault signs in again without the browser.
    let again = recert_graph::PublicClient::new(
        env.cloud.clone(),
        env.http.clone(),
        &env.emu.tenant_id(),
        &env.emu.public_client_id(),
        vault.clone(),
        "test",
    );
    let restored = again.restore().await.expect("refresh works").expect("someone is signed in");
    assert_eq!(restored.oid, identity.oid);

    again.sign_out().await.expect("signed out");
    assert!(vault.load("test").expect("readable").is_none(), "sign-out clears the vault");
    let err = again.get_token(&[env.cloud.graph_scope().as_str()], None).await;
    let err = err.expect_err("signed out").into_downcast::<GraphError>();
    assert!(matches!(err, Ok(GraphError::SignInRequired(_))), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_token_means_sign_in_again() {
    let env = common::start(Tenant::demo(), Options::default()).await;
    let (public, vault) = env.public_client();
    vault.store("test", "revoked-or-expired").expect("stored");
    let err = public.restore().await;
    assert!(matches!(err, Ok(None)), "an unusable refresh token is no sign-in: {err:?}");
    assert!(vault.load("test").expect("readable").is_none(), "and it is forgotten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_signs_a_person_in() {
    let env = common::start(Tenant::demo(), Options::default()).await;
    let (public, _) = env.public_client();
    let code = public.begin_device_code().await.expect("a device code");
    assert!(code.message.contains(&code.user_code), "{}", code.message);
    let user = Tenant::demo().users()[5]["id"].as_str().expect("an id").to_string();
    assert!(env.emu.approve_device_code(&code.user_code, &user), "the user enters the code");
    let identity = public.finish_device_code(&code).await.expect("the poll gets the token");
    assert_eq!(identity.oid, user);
    let token = public.get_token(&[env.cloud.graph_scope().as_str()], None).await;
    assert!(token.is_ok(), "{token:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_is_a_sign_in_error_naming_the_cause() {
    let env = common::start(Tenant::demo(), Options::default()).await;
    let credential = recert_graph::app_only_secret(
        &env.cloud,
        env.http.clone(),
        &env.emu.tenant_id(),
        &env.emu.app_client().0,
        "not-the-secret",
    )
    .expect("a credential");
    let graph = recert_graph::GraphClient::new(env.http.clone(), env.cloud.clone(), credential);
    let err = graph.get(&env.cloud.graph_url("users")).await.expect_err("refused");
    assert!(matches!(err, GraphError::Auth(_)), "{err:?}");
    assert!(err.to_string().contains("AADSTS7000215"), "{err}");
}

/// An app registered with a certificate signs in with it: the credential's RS256 assertion is
/// checked by the token endpoint against the certificate's public key, and the token reads Graph.
/// An app without that certificate is refused, naming the cause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_signs_in_end_to_end() {
    let pem = include_bytes!("test-certificate.pem");
    let der = rustls_pki_types::CertificateDer::from_pem_slice(pem).expect("a certificate");
    let client_id = "9b2f6c1e-4d3a-4f5e-8a7b-6c5d4e3f2a10";
    let mut tenant = Tenant::demo();
    tenant.add_client(Client {
        client_id: client_id.into(),
        display_name: "Recert (certificate)".into(),
        secret: None,
        certificates: vec![der.as_ref().to_vec()],
        application_permissions: RECERT_APPLICATION_PERMISSIONS
            .iter()
            .map(|p| p.to_string())
            .collect(),
        delegated_permissions: Vec::new(),
    });
    let env = common::start(tenant, Options::default()).await;
    let tenant_id = env.emu.tenant_id();

    let credential = recert_graph::app_only_certificate(
        &env.cloud,
        env.http.clone(),
        &tenant_id,
        client_id,
        pem,
    )
    .expect("a credential");
    let token = credential
        .get_token(&[env.cloud.graph_scope().as_str()], None)
        .await
        .expect("the token endpoint takes the assertion");
    assert!(!token.token.secret().is_empty());
    let graph = recert_graph::GraphClient::new(env.http.clone(), env.cloud.clone(), credential);
    let (users, _) = graph
        .get(&env.cloud.graph_url("users?$select=id&$top=5"))
        .await
        .expect("the certificate's token reads Graph");
    assert_eq!(users["value"].as_array().map(Vec::len), Some(5));

    // The same certificate presented for an app that never registered it.
    let (other, _) = env.emu.app_client();
    let stranger =
        recert_graph::app_only_certificate(&env.cloud, env.http.clone(), &tenant_id, &other, pem)
            .expect("a credential");
    let graph = recert_graph::GraphClient::new(env.http.clone(), env.cloud.clone(), stranger);
    let err = graph.get(&env.cloud.graph_url("users")).await.expect_err("refused");
    assert!(matches!(err, GraphError::Auth(_)), "{err:?}");
    assert!(err.to_string().contains("AADSTS700027"), "{err}");
}

/// The certificate credential signs an RFC 7523 assertion that the key's public half verifies.
#[test]
fn a_client_certificate_signs_a_verifiable_assertion() {
    let pem = include_bytes!("test-certificate.pem");
    let certificate = ClientCertificate::from_pem(pem).expect("a PEM with an RSA key");
    let jwt = certificate
        .assertion("client-1", "https://login.example/t/oauth2/v2.0/token", 1_800_000_000)
        .expect("signed");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value = serde_json::from_slice(&b64.decode(parts[0]).expect("b64")).expect("json");
    assert_eq!(header["alg"], "RS256");
    assert!(header["x5t"].as_str().is_some_and(|t| t.len() == 27), "SHA-1 thumbprint: {header}");
    let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).expect("b64")).expect("json");
    assert_eq!(claims["iss"], "client-1");
    assert_eq!(claims["exp"], 1_800_000_600);
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        certificate.public_key_der(),
    );
    key.verify(
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &b64.decode(parts[2]).expect("b64"),
    )
    .expect("the signature verifies");
    assert!(ClientCertificate::from_pem(b"no pem here").is_err());
}
