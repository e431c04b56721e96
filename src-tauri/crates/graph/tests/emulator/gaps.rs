//! Partial failure: what the identity may not read becomes a gap, per area and object, and the
//! rest of the pull completes — a deleted group (404), a subscription readable only below it, an
//! unlicensed audit log; and ARM refusing a person's token never signs them out of Graph.

use azure_core::credentials::TokenCredential;
use recert_domain::{GapArea, GapReason, Surface};
use recert_emulator::{Faults, Options, Tenant};
use recert_graph::{GraphError, PullOptions, TokenVault};

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_read_is_a_gap_and_the_rest_is_pulled() {
    let tenant = Tenant::demo();
    let group = tenant.group_eligibility_instances()[0]["groupId"]
        .as_str()
        .expect("a PIM for Groups group")
        .to_string();
    let subscription =
        tenant.arm().subscriptions[0]["id"].as_str().expect("a subscription").to_string();
    let faults = Faults {
        deleted_groups: vec![group.clone()],
        resource_group_only_subscriptions: vec![subscription.clone()],
        audit_unlicensed: true,
        ..Faults::default()
    };
    let env = common::start(tenant.clone(), Options { faults, ..Options::default() }).await;
    let population = recert_graph::pull(&env.app_client(), &PullOptions::default())
        .await
        .expect("a pull with gaps completes");
    let gaps: Vec<(GapArea, Option<&str>, GapReason)> =
        population.gaps.iter().map(|g| (g.area, g.object_id.as_deref(), g.reason)).collect();
    for want in [
        (GapArea::PimGroup, Some(group.as_str()), GapReason::NotFound),
        (GapArea::AzureRole, Some(subscription.as_str()), GapReason::PartialScope),
        (GapArea::ActivationHistory, None, GapReason::NotLicensed),
    ] {
        assert!(gaps.contains(&want), "{want:?} in {gaps:#?}");
    }
    let partial = population
        .gaps
        .iter()
        .find(|g| g.reason == GapReason::PartialScope)
        .expect("the subscription's gap");
    assert!(partial.detail.contains("AuthorizationFailed"), "ARM's own words: {partial:?}");
    // One line per object, however many of its requests failed.
    assert_eq!(gaps.iter().filter(|g| g.0 == GapArea::AzureRole).count(), 1, "{gaps:#?}");
    // The rest is there: directory roles in full, other groups, and no activation history
    // claimed from a log that was not read.
    let count = |s: Surface| population.assignments.iter().filter(|a| a.surface == s).count();
    assert!(count(Surface::DirectoryRole) >= tenant.eligibility_instances().len());
    let other_groups = tenant
        .group_eligibility_instances()
        .iter()
        .chain(tenant.group_assignment_instances())
        .filter(|i| i["groupId"].as_str() != Some(group.as_str()))
        .filter(|i| i["assignmentType"].as_str() != Some("activated"))
        .count();
    assert_eq!(count(Surface::PimGroup), other_groups, "only the deleted group is missing");
    assert!(
        population.notes.iter().any(|n| n.contains("activation history was not read")),
        "{:?}",
        population.notes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arm_refusing_a_token_never_signs_the_person_out_of_graph() {
    let faults = Faults { arm_consent_missing: true, ..Faults::default() };
    let tenant = Tenant::demo();
    let env = common::start(tenant.clone(), Options { faults, ..Options::default() }).await;
    let (public, vault) = env.public_client();
    let code = public.begin_device_code().await.expect("a device code");
    let user = tenant.users()[5]["id"].as_str().expect("an id").to_string();
    assert!(env.emu.approve_device_code(&code.user_code, &user));
    public.finish_device_code(&code).await.expect("signed in");

    let arm = public.get_token(&[env.cloud.arm_scope().as_str()], None).await;
    let err = arm.expect_err("no consent for ARM").into_downcast::<GraphError>();
    assert!(matches!(err, Ok(GraphError::Auth(ref m)) if m.contains("65001")), "{err:?}");
    assert!(vault.load("test").expect("readable").is_some(), "the sign-in is kept");
    // A new process restores the person from the vault and reads Graph as them.
    let again = recert_graph::PublicClient::new(
        env.cloud.clone(),
        env.http.clone(),
        &env.emu.tenant_id(),
        &env.emu.public_client_id(),
        vault.clone(),
        "test",
    );
    let restored = again.restore().await.expect("refresh works").expect("still signed in");
    assert_eq!(restored.oid, user);
    let graph = recert_graph::GraphClient::new(env.http.clone(), env.cloud.clone(), again.clone());
    let (me, _) = graph.get(&env.cloud.graph_url("me?$select=id")).await.expect("/me");
    assert_eq!(me["id"].as_str(), Some(user.as_str()));
}
