//! The full pull against the emulator: complete and exact on a clean run, paging through small
//! pages, and either the same population or a clear error under throttling storms, server
//! errors, dropped connections and truncated bodies.

use std::collections::{BTreeMap, BTreeSet};

use recert_domain::{AssignmentKind, PrincipalKind, Surface};
use recert_emulator::{Faults, GenerateOptions, Options, Tenant};
use recert_graph::{GraphError, Population, PullOptions, RetryPolicy};
use serde_json::Value;

use crate::common;

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase()
}

/// (surface, role, kind) → count, straight from the tenant's own data.
fn expected(tenant: &Tenant) -> BTreeMap<(Surface, String, AssignmentKind), usize> {
    let mut out = BTreeMap::new();
    let mut add = |k| *out.entry(k).or_insert(0) += 1;
    for i in tenant.eligibility_instances() {
        add((Surface::DirectoryRole, s(i, "roleDefinitionId"), AssignmentKind::Eligible));
    }
    for i in tenant.assignment_instances().iter().filter(|i| s(i, "assignmentType") != "activated")
    {
        add((Surface::DirectoryRole, s(i, "roleDefinitionId"), AssignmentKind::Active));
    }
    for i in tenant.group_eligibility_instances() {
        add((Surface::PimGroup, s(i, "accessId"), AssignmentKind::Eligible));
    }
    for i in
        tenant.group_assignment_instances().iter().filter(|i| s(i, "assignmentType") != "activated")
    {
        add((Surface::PimGroup, s(i, "accessId"), AssignmentKind::Active));
    }
    let arm = tenant.arm();
    let role = |i: &Value| {
        i["properties"]["roleDefinitionId"]
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    for i in &arm.role_eligibility_schedule_instances {
        add((Surface::AzureRole, role(i), AssignmentKind::Eligible));
    }
    for i in arm
        .role_assignment_schedule_instances
        .iter()
        .filter(|i| i["properties"]["assignmentType"] != "Activated")
    {
        add((Surface::AzureRole, role(i), AssignmentKind::Active));
    }
    out
}

fn got(population: &Population) -> BTreeMap<(Surface, String, AssignmentKind), usize> {
    let mut out = BTreeMap::new();
    for a in &population.assignments {
        *out.entry((a.surface, a.role_id.to_ascii_lowercase(), a.kind)).or_insert(0) += 1;
    }
    out
}

async fn pull(client: &recert_graph::GraphClient) -> Result<Population, GraphError> {
    recert_graph::pull(client, &PullOptions::default()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tenant_is_pulled_whole_with_its_people() {
    let tenant = Tenant::demo();
    let env = common::start(tenant.clone(), Options::default()).await;
    let client = env.app_client();
    let stages = std::sync::Mutex::new(BTreeSet::new());
    let progress = |p: recert_graph::PullProgress| {
        stages.lock().expect("lock").insert(p.stage.as_str());
    };
    let options = PullOptions { progress: Some(&progress), ..PullOptions::default() };
    let population = recert_graph::pull(&client, &options).await.expect("the pull succeeds");
    assert_eq!(got(&population), expected(&tenant), "every surface, role and kind is complete");
    for surface in Surface::ALL {
        assert!(
            population.assignments.iter().any(|a| a.surface == surface),
            "{surface:?} has grants"
        );
    }
    assert_eq!(stages.lock().expect("lock").len(), 7, "every stage reported progress");

    // Every holder is resolved, with the facts a review needs.
    let principals: BTreeMap<String, &recert_domain::Principal> =
        population.principals.iter().map(|p| (p.id.to_ascii_lowercase(), p)).collect();
    for a in &population.assignments {
        let p = principals.get(&a.principal_id.to_ascii_lowercase()).expect("a resolved holder");
        assert_eq!(a.principal_kind, p.kind);
        assert_eq!(a.principal_name, p.display_name);
    }
    let users: Vec<_> =
        population.principals.iter().filter(|p| p.kind == PrincipalKind::User).collect();
    assert!(users.iter().all(|u| u.account_enabled.is_some() && u.user_type.is_some()));
    assert!(users.iter().any(|u| u.account_enabled == Some(false)), "disabled accounts show");
    assert!(users.iter().any(|u| u.last_sign_in.is_some()), "sign-in activity is read");
    let holders_and_members: BTreeSet<String> = population
        .assignments
        .iter()
        .map(|a| a.principal_id.to_ascii_lowercase())
        .chain(population.group_members.iter().map(|m| m.member_id.clone()))
        .collect();
    for u in users.iter().filter(|u| holders_and_members.contains(&u.id.to_ascii_lowercase())) {
        let want = tenant.managers().get(&u.id).map(|m| m.to_ascii_lowercase());
        assert_eq!(
            u.manager_id.as_ref().map(|m| m.to_ascii_lowercase()),
            want,
            "manager of {}",
            u.id
        );
        if let Some(m) = &want {
            assert!(principals.contains_key(m), "the manager {m} is resolved too");
        }
    }
    // Members of role-holding groups, so a reviewer sees "via group X".
    let holders: BTreeSet<String> = population
        .assignments
        .iter()
        .filter(|a| a.principal_kind == PrincipalKind::Group && a.surface == Surface::DirectoryRole)
        .map(|a| a.principal_id.to_ascii_lowercase())
        .collect();
    assert!(!holders.is_empty(), "the demo tenant has groups holding roles");
    for g in &holders {
        let want: BTreeSet<String> =
            tenant.group_members()[g.as_str()].iter().map(|m| m.to_ascii_lowercase()).collect();
        let have: BTreeSet<String> = population
            .group_members
            .iter()
            .filter(|m| &m.group_id == g)
            .map(|m| m.member_id.clone())
            .collect();
        assert!(want.is_subset(&have), "transitive members of {g}");
    }
    assert!(!population.activations.is_empty(), "activation history is read");
    // Nothing went unread; the only note counts the groups PIM cannot govern, never asked.
    assert_eq!(population.notes.len(), 1, "{:?}", population.notes);
    assert!(population.notes[0].contains("2 dynamic or on-premises"), "{:?}", population.notes);
    assert!(population.gaps.is_empty(), "{:?}", population.gaps);

    let again = pull(&client).await.expect("second pull");
    assert_eq!(population.raw_sha256(), again.raw_sha256(), "same state, same hash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_pages_are_followed_to_the_end() {
    let tenant = Tenant::generate(&GenerateOptions {
        seed: 5,
        users: 400,
        assignments: 2_400,
        roles: 2,
        arm_assignments: Some(120),
        ..GenerateOptions::default()
    });
    // 999 per page for role instances (two roles of ~1,200 need two pages each); 7 per page
    // wherever the server picks the size (ARM, PIM for Groups, directory audits' next pages).
    let env = common::start(tenant.clone(), Options { page_size: 7, ..Options::default() }).await;
    let population = pull(&env.app_client()).await.expect("the pull succeeds");
    assert_eq!(got(&population), expected(&tenant));
    let next_pages = population.pages.iter().filter(|p| p.url.contains("skiptoken")).count();
    assert!(next_pages > 10, "next links were followed: {next_pages}");
}

/// A clean pull, then the same pull through `faults`: the same population and the same hash.
async fn survives(faults: Faults) {
    let tenant = Tenant::demo();
    let env = common::start(tenant.clone(), Options::default()).await;
    let client = env.app_client();
    let clean = pull(&client).await.expect("the clean pull succeeds");
    env.emu.set_faults(faults.clone()).expect("faults set");
    let faulty = pull(&client).await.unwrap_or_else(|e| panic!("pull under {faults:?}: {e}"));
    assert_eq!(got(&faulty), expected(&tenant));
    assert_eq!(faulty.principals, clean.principals);
    assert_eq!(faulty.group_members, clean.group_members);
    assert_eq!(faulty.raw_sha256(), clean.raw_sha256(), "retries leave no trace in the snapshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_is_waited_out_honouring_retry_after() {
    let started = std::time::Instant::now();
    survives(Faults { throttle_every: 9, retry_after_secs: 1, ..Faults::default() }).await;
    assert!(started.elapsed().as_secs() >= 1, "Retry-After was honoured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried() {
    survives(Faults { error_every: 6, error_status: 502, ..Faults::default() }).await;
    survives(Faults { error_every: 7, error_status: 504, ..Faults::default() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_and_truncated_bodies_are_read_again() {
    survives(Faults { drop_every: 5, ..Faults::default() }).await;
    survives(Faults { truncate_every: 6, ..Faults::default() }).await;
    survives(Faults {
        drop_probability: 0.05,
        truncate_probability: 0.05,
        error_probability: 0.05,
        seed: 11,
        ..Faults::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_throttling_ends_in_a_clear_error_with_a_request_id() {
    let env = common::start(
        Tenant::demo(),
        Options {
            faults: Faults { throttle_every: 1, retry_after_secs: 0, ..Faults::default() },
            ..Options::default()
        },
    )
    .await;
    let client = env.app_client().with_retry(RetryPolicy {
        max_attempts: 3,
        base_delay: std::time::Duration::from_millis(10),
        max_delay: std::time::Duration::from_millis(20),
    });
    let err = pull(&client).await.expect_err("never gets through");
    assert!(matches!(err, GraphError::RetriesExhausted { .. }), "{err:?}");
    assert_eq!(err.code(), "TooManyRequests");
    assert!(err.request_id().is_some(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_is_named() {
    let env = common::start(Tenant::demo(), Options::default()).await;
    let (client_id, secret) = env.emu.readonly_client();
    let credential = recert_graph::app_only_secret(
        &env.cloud,
        env.http.clone(),
        &env.emu.tenant_id(),
        &client_id,
        &secret,
    )
    .expect("a credential");
    let client = recert_graph::GraphClient::new(env.http.clone(), env.cloud.clone(), credential);
    let err = pull(&client).await.expect_err("the read-only app cannot read PIM");
    let GraphError::PermissionMissing { permission, .. } = &err else {
        panic!("expected a named permission, got {err:?}");
    };
    assert!(permission.contains(".Read."), "{err}");
    assert!(err.to_string().contains(permission.as_str()) && err.request_id().is_some(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_pull_stops_with_cancelled() {
    let env = common::start(
        Tenant::demo(),
        Options { latency: std::time::Duration::from_millis(40), ..Options::default() },
    )
    .await;
    let cancel = recert_graph::CancellationToken::new();
    let client = env.app_client().with_cancellation(cancel.clone());
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        stop.cancel();
    });
    let err = pull(&client).await.expect_err("cancelled");
    assert!(matches!(err, GraphError::Cancelled), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cloud_says_so() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let cloud = recert_graph::Cloud::custom(&format!("https://127.0.0.1:{port}")).expect("url");
    let http = recert_graph::http_client(None).expect("client");
    let credential =
        recert_graph::app_only_secret(&cloud, http.clone(), "t", "c", "s").expect("credential");
    let client =
        recert_graph::GraphClient::new(http, cloud, credential).with_retry(common::quick_retry());
    let err = pull(&client).await.expect_err("nothing listens");
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}
