//! Emulator paging throughput: a generated 100,000-assignment tenant served page by page, read back
//! with reqwest (several roles at a time, as a pull does), in items per second.

use std::time::Instant;

use futures_util::StreamExt;
use recert_emulator::{Emulator, GenerateOptions, Options, Tenant};
use serde_json::Value;

const ASSIGNMENTS: usize = 100_000;
const CONCURRENCY: usize = 8;

async fn token(http: &reqwest::Client, emu: &Emulator) -> String {
    let (id, secret) = emu.app_client();
    let url = format!("{}/login/{}/oauth2/v2.0/token", emu.base_url(), emu.tenant_id());
    let v: Value = http
        .post(url)
        .form(&[
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("the token request is answered")
        .json()
        .await
        .expect("a token response");
    v["access_token"].as_str().expect("an access token").to_string()
}

/// Pages one collection for one role to the end; returns the number of items.
async fn page_all(http: &reqwest::Client, tok: &str, first: String) -> usize {
    let mut next = Some(first);
    let mut n = 0;
    while let Some(url) = next {
        let v: Value = http
            .get(&url)
            .bearer_auth(tok)
            .send()
            .await
            .expect("a page is answered")
            .json()
            .await
            .expect("a JSON page");
        n += v["value"].as_array().map(Vec::len).unwrap_or(0);
        next = v["@odata.nextLink"].as_str().map(str::to_string);
    }
    n
}

/// Pages every eligibility and assignment instance, per role; returns (items, seconds).
async fn run(tenant: &Tenant, tls: bool, expand: bool) -> (usize, f64) {
    let emu = Emulator::start(tenant.clone(), Options { tls, ..Options::default() })
        .await
        .expect("the emulator starts");
    let mut b = reqwest::Client::builder();
    if let Some(der) = emu.certificate_der() {
        b = b.tls_certs_only([
            reqwest::Certificate::from_der(&der).expect("the certificate parses")
        ]);
    }
    let http = b.build().expect("a client");
    let tok = token(&http, &emu).await;
    let graph = format!("{}/graph/v1.0/roleManagement/directory", emu.base_url());
    let expand = if expand { "&$expand=principal" } else { "" };
    let urls: Vec<String> = tenant
        .role_definitions()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .flat_map(|id| {
            ["roleEligibilityScheduleInstances", "roleAssignmentScheduleInstances"]
                .map(|c| format!("{graph}/{c}?$filter=roleDefinitionId eq '{id}'{expand}"))
        })
        .collect();
    let start = Instant::now();
    let counts: Vec<usize> = futures_util::stream::iter(urls)
        .map(|u| page_all(&http, &tok, u))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let secs = start.elapsed().as_secs_f64();
    emu.shutdown().await;
    (counts.iter().sum(), secs)
}

pub async fn emulator_paging() -> Vec<(String, f64, String)> {
    let start = Instant::now();
    let tenant = Tenant::generate(&GenerateOptions {
        seed: 100,
        users: 20_000,
        assignments: ASSIGNMENTS,
        ..GenerateOptions::default()
    });
    let generate_ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut rows =
        vec![("generate a 100,000-assignment tenant".to_string(), generate_ms, "ms".to_string())];
    for (label, tls, expand) in [
        ("http, pages of 100", false, false),
        ("https, pages of 100", true, false),
        ("https, pages of 100, $expand=principal", true, true),
    ] {
        let (items, secs) = run(&tenant, tls, expand).await;
        assert_eq!(items, tenant.instance_count(), "every instance comes back");
        rows.push((
            format!("emulator paging, {label}"),
            items as f64 / secs,
            "items/s".to_string(),
        ));
    }
    rows
}
