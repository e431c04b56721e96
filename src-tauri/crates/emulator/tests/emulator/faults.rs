//! Fault knobs: latency, 429 with Retry-After, 5xx, dropped connections, truncated bodies; set by
//! options and at run time through `{base}/_admin/faults`.

use std::time::{Duration, Instant};

use recert_emulator::{Faults, Options, Tenant};
use serde_json::{Value, json};

use crate::common;

#[tokio::test]
async fn latency_from_options() {
    let env = common::start(
        common::small_tenant(1),
        Options { latency: Duration::from_millis(150), ..Options::default() },
    )
    .await;
    let tok = env.graph_token().await;
    let t0 = Instant::now();
    let (s, _) = env.get(&tok, &env.graph("/roleManagement/directory/roleDefinitions")).await;
    assert_eq!(s, 200);
    assert!(t0.elapsed() >= Duration::from_millis(150));
    assert_eq!(env.emu.faults().latency_ms, 150);
}

#[tokio::test]
async fn throttle_every_nth_request_with_retry_after() {
    let faults = Faults { throttle_every: 3, retry_after_secs: 7, ..Faults::default() };
    let env =
        common::start(common::small_tenant(2), Options { faults, ..Options::default() }).await;
    let tok = env.graph_token().await;
    let url = env.graph("/roleManagement/directory/roleDefinitions");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = env.http.get(&url).bearer_auth(&tok).send().await.expect("answered");
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert_eq!(r.headers()["retry-after"], "7");
            let v: Value = r.json().await.expect("json");
            assert_eq!(v["error"]["code"], "TooManyRequests");
            assert!(v["error"]["innerError"]["request-id"].is_string());
        }
    }
    assert_eq!(statuses, vec![200, 200, 429, 200, 200, 429]);
}

#[tokio::test]
async fn admin_endpoint_changes_faults_at_run_time() {
    let env = common::start(common::small_tenant(3), Options::default()).await;
    let tok = env.graph_token().await;
    let url = env.graph("/users?$top=5");
    let admin = format!("{}/_admin/faults", env.emu.base_url());
    // Every request fails with 503 (with Retry-After) …
    let r = env
        .http
        .put(&admin)
        .json(&json!({ "errorProbability": 1.0, "errorStatus": 503, "retryAfterSecs": 2 }))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
    let r = env.http.get(&url).bearer_auth(&tok).send().await.expect("answered");
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "2");
    let v: Value = r.json().await.expect("json");
    assert!(v["error"]["code"].is_string());
    // … then 500 every second request …
    env.http
        .put(&admin)
        .json(&json!({ "errorEvery": 2, "errorStatus": 500 }))
        .send()
        .await
        .expect("answered");
    let got: Vec<u16> = futures_statuses(&env, &tok, &url, 4).await;
    assert_eq!(got.iter().filter(|s| **s == 500).count(), 2);
    // … then cleared. The read-back shows the current knobs.
    let r = env.http.delete(&admin).send().await.expect("answered");
    assert_eq!(r.status(), 204);
    let v: Value = env.http.get(&admin).send().await.expect("answered").json().await.expect("json");
    assert_eq!(v["errorEvery"], 0);
    let (s, _) = env.get(&tok, &url).await;
    assert_eq!(s, 200);
    // Invalid knobs are refused.
    let r = env
        .http
        .put(&admin)
        .json(&json!({ "throttleProbability": 2.0 }))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 400);
    let r = env.http.put(&admin).body("nope").send().await.expect("answered");
    assert_eq!(r.status(), 400);
    // Login is never faulted.
    env.http.put(&admin).json(&json!({ "errorProbability": 1.0 })).send().await.expect("answered");
    let _ = env.graph_token().await;
}

async fn futures_statuses(env: &common::Env, tok: &str, url: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            env.http.get(url).bearer_auth(tok).send().await.expect("answered").status().as_u16(),
        );
    }
    out
}

#[tokio::test]
async fn throttle_by_probability_is_seeded() {
    let faults = Faults { throttle_probability: 0.5, seed: 42, ..Faults::default() };
    let run = || async {
        let env = common::start(
            common::small_tenant(4),
            Options { faults: faults.clone(), ..Options::default() },
        )
        .await;
        let tok = env.graph_token().await;
        futures_statuses(&env, &tok, &env.graph("/roleManagement/directory/roleDefinitions"), 20)
            .await
    };
    let a = run().await;
    let b = run().await;
    assert_eq!(a, b, "the same seed gives the same faults");
    let throttled = a.iter().filter(|s| **s == 429).count();
    assert!((3..=17).contains(&throttled), "{throttled} of 20");
}

#[tokio::test]
async fn dropped_connections_and_truncated_bodies() {
    let env = common::start(Tenant::demo(), Options::default()).await;
    let tok = env.graph_token().await;
    let url = env.graph("/roleManagement/directory/roleAssignmentScheduleInstances?$top=50");
    env.emu.set_faults(Faults { drop_every: 1, ..Faults::default() }).expect("valid");
    let r = env.http.get(&url).bearer_auth(&tok).send().await;
    let failed = match r {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(failed, "a dropped connection is a transport error");
    env.emu.set_faults(Faults { truncate_every: 1, ..Faults::default() }).expect("valid");
    let resp = env.http.get(&url).bearer_auth(&tok).send().await.expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err(), "a truncated body fails to read completely");
    env.emu.set_faults(Faults::default()).expect("valid");
    let (s, v) = env.get(&tok, &url).await;
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().map(Vec::len), Some(50));
}

#[tokio::test]
async fn paging_survives_throttling_with_retries() {
    // A client that honours Retry-After still gets every item.
    let t = common::small_tenant(5);
    let faults = Faults { throttle_every: 4, retry_after_secs: 0, ..Faults::default() };
    let env =
        common::start(t.clone(), Options { faults, page_size: 25, ..Options::default() }).await;
    let tok = env.graph_token().await;
    let mut next = Some(env.graph("/roleManagement/directory/roleEligibilityScheduleInstances"));
    let mut n = 0;
    let mut throttled = 0;
    while let Some(u) = next.take() {
        let r = env.http.get(&u).bearer_auth(&tok).send().await.expect("answered");
        if r.status() == 429 {
            throttled += 1;
            next = Some(u);
            continue;
        }
        let v: Value = r.json().await.expect("json");
        n += v["value"].as_array().map(Vec::len).unwrap_or(0);
        next = v["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(n, t.eligibility_instances().len());
    assert!(throttled > 0);
}

#[tokio::test]
async fn batch_steps_are_throttled_individually() {
    let env = common::start(common::small_tenant(6), Options::default()).await;
    let tok = env.graph_token().await;
    // Steps are counted apart from requests: steps 1..=5, and every second one (2 and 4) is
    // throttled.
    env.emu
        .set_faults(Faults { throttle_every: 2, retry_after_secs: 4, ..Faults::default() })
        .expect("valid");
    let t = common::small_tenant(6);
    let requests: Vec<Value> = t
        .users()
        .iter()
        .take(5)
        .enumerate()
        .map(|(i, u)| json!({ "id": (i + 1).to_string(), "method": "GET", "url": format!("/users/{}", u["id"].as_str().unwrap_or_default()) }))
        .collect();
    let r = env
        .http
        .post(env.graph("/$batch"))
        .bearer_auth(&tok)
        .json(&json!({ "requests": requests }))
        .send()
        .await
        .expect("answered");
    // The batch request itself was request 1 (not throttled).
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    let responses = v["responses"].as_array().cloned().unwrap_or_default();
    let throttled: Vec<&Value> = responses.iter().filter(|s| s["status"] == 429).collect();
    assert_eq!(throttled.len(), 2);
    assert!(
        throttled.iter().all(|s| s["headers"]["Retry-After"] == "4"
            && s["body"]["error"]["code"] == "TooManyRequests")
    );
    assert_eq!(responses.iter().filter(|s| s["status"] == 200).count(), 3);
}

#[tokio::test]
async fn batch_steps_fail_individually_with_server_errors() {
    let env = common::start(common::small_tenant(6), Options::default()).await;
    let tok = env.graph_token().await;
    // The batch is request 1, and its steps are steps 1..=3: step "c" (the third) fails.
    env.emu
        .set_faults(Faults {
            error_every: 3,
            error_status: 503,
            retry_after_secs: 2,
            ..Faults::default()
        })
        .expect("valid");
    let requests = json!({ "requests": [
        { "id": "a", "method": "GET", "url": "/users?$top=1" },
        { "id": "b", "method": "GET", "url": "/users?$top=1" },
        { "id": "c", "method": "GET", "url": "/users?$top=1" },
    ] });
    let (s, v) = env.post(&tok, &env.graph("/$batch"), &requests).await;
    assert_eq!(s, 200, "the batch itself succeeds: {v}");
    let step = |id: &str| {
        v["responses"].as_array().and_then(|a| a.iter().find(|r| r["id"] == id)).cloned()
    };
    let failed = step("c").expect("step c");
    assert_eq!(failed["status"], 503);
    assert_eq!(failed["headers"]["Retry-After"], "2");
    assert_eq!(failed["body"]["error"]["code"], "UnknownError");
    assert_eq!(step("a").map(|r| r["status"].clone()), Some(json!(200)));
    assert_eq!(step("b").map(|r| r["status"].clone()), Some(json!(200)));
}
