//! The official Azure SDK for Rust (azure_identity's ClientSecretCredential) gets tokens from the
//! emulator over HTTPS when its transport trusts the emulator's certificate.

use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, RetryOptions, Transport};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

use crate::common;

#[tokio::test]
async fn client_secret_credential_gets_graph_and_arm_tokens() {
    let env = common::demo().await;
    let (client_id, secret) = env.emu.app_client();
    let mut cloud = CustomConfiguration::default();
    // azure_identity appends "/{tenant}/oauth2/v2.0/token" as an absolute path: the base URL is the authority.
    cloud.authority_host = env.emu.base_url();
    let options = ClientSecretCredentialOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(Arc::new(env.http.clone()))),
            cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
            retry: RetryOptions::none(),
            ..Default::default()
        },
    };
    let cred = ClientSecretCredential::new(
        &env.emu.tenant_id(),
        client_id,
        Secret::new(secret),
        Some(options),
    )
    .expect("the credential accepts an https authority");
    let tok = cred
        .get_token(&["https://graph.microsoft.com/.default"], None)
        .await
        .expect("a Graph token");
    let (s, v) =
        env.get(tok.token.secret(), &env.graph("/roleManagement/directory/roleDefinitions")).await;
    assert_eq!(s, 200, "{v}");
    let arm = cred
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .expect("an ARM token");
    let url = format!("{}/arm/subscriptions?api-version=2020-01-01", env.emu.base_url());
    let (s, _) = env.get(arm.token.secret(), &url).await;
    assert_eq!(s, 200);
}
