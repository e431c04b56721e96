//! `$batch` under step throttling: Graph answers the batch 200 and throttles steps one by one,
//! each with its own `Retry-After`; the client sends again only the steps that were throttled.

use recert_emulator::{Faults, Options, Tenant};

use crate::common;

/// The step ids of every `$batch` the emulator answered 200, in order.
fn batches_sent(env: &common::Env) -> Vec<Vec<String>> {
    env.emu
        .mutation_log()
        .iter()
        .filter(|m| m.path.ends_with("/$batch") && m.status == 200)
        .map(|m| {
            m.body["requests"]
                .as_array()
                .map(|steps| {
                    steps.iter().filter_map(|s| s["id"].as_str().map(str::to_string)).collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_throttled_steps_are_sent_again() {
    let tenant = Tenant::demo();
    let users: Vec<String> = tenant
        .users()
        .iter()
        .take(5)
        .filter_map(|u| u["id"].as_str().map(str::to_string))
        .collect();
    let env = common::start(tenant, Options::default()).await;
    let graph = env.app_client();
    // Every third request is throttled, and every third step, each counted apart: the first
    // batch (request 1) has steps 1..=5, so step "2" (the third) gets 429; the second batch
    // (request 2) sends "2" alone as step 6, throttled again; the third batch (request 3) is
    // throttled whole; the fourth (request 4) sends "2" as step 7, which passes.
    env.emu
        .set_faults(Faults { throttle_every: 3, retry_after_secs: 1, ..Faults::default() })
        .expect("valid faults");
    let urls: Vec<String> = users.iter().map(|u| format!("/users/{u}?$select=id")).collect();
    let answers = graph.batch_get(&urls).await.expect("every step answered in the end");

    assert_eq!(answers.len(), 5);
    for (answer, user) in answers.iter().zip(&users) {
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(answer.body["id"].as_str(), Some(user.as_str()), "answers keep their order");
    }
    let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    assert_eq!(
        batches_sent(&env),
        vec![ids(&["0", "1", "2", "3", "4"]), ids(&["2"]), ids(&["2"])],
        "the throttled steps, and only they, were sent again"
    );
    assert!(
        graph.graph_concurrency() < recert_graph::DEFAULT_MAX_CONCURRENCY,
        "and it slowed down"
    );
}
