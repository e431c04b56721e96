//! Pulling a tenant's privileged population end to end and reading it back per role.

use recert_app::ErrorCode;
use recert_emulator::{Options, Tenant};
use recert_tests::{Harness, expected_role_counts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_tenant_pull_matches_the_tenant_per_role() {
    let harness = Harness::start(Tenant::demo(), Options::default()).await;
    let pull = harness.pull().await;
    let summary = harness.app.role_summary(&harness.tenant_id).await.expect("a summary");

    let expected = expected_role_counts(&Tenant::demo());
    let got: std::collections::BTreeMap<String, (String, u32, u32)> = summary
        .roles
        .iter()
        .filter(|r| r.surface == recert_domain::Surface::DirectoryRole)
        .map(|r| (r.role_id.clone(), (r.display_name.clone(), r.eligible, r.active)))
        .collect();
    assert_eq!(got, expected, "every role's eligible and active counts match the tenant");
    assert!(
        summary
            .roles
            .iter()
            .any(|r| r.surface == recert_domain::Surface::PimGroup && r.eligible > 0)
    );
    assert!(
        summary
            .roles
            .iter()
            .any(|r| r.surface == recert_domain::Surface::AzureRole && r.eligible + r.active > 0)
    );
    assert_eq!(pull.eligible, summary.eligible);
    assert_eq!(pull.active, summary.active);
    assert!(pull.eligible > 0 && pull.active > 0, "the demo tenant has both kinds: {pull:?}");
    assert_eq!(summary.raw_sha256, pull.raw_sha256);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_tenant_state_hashes_the_same() {
    let harness = Harness::start(Tenant::demo(), Options::default()).await;
    let first = harness.pull().await;
    let second = harness.pull().await;
    assert_eq!(first.raw_sha256, second.raw_sha256, "page order and content are deterministic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_before_any_pull_says_so() {
    let harness = Harness::start(Tenant::demo(), Options::default()).await;
    let err = harness.app.role_summary(&harness.tenant_id).await.expect_err("nothing pulled yet");
    assert_eq!(err.code, ErrorCode::NotPulled, "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_sign_in_error_and_stores_nothing() {
    let harness = Harness::start(Tenant::demo(), Options::default()).await;
    let mut connection = recert_tests::connection(&harness.emulator, "wrong");
    connection.auth = recert_app::TenantAuth::AppSecret {
        client_id: harness.emulator.app_client().0,
        secret: "not-the-secret".into(),
    };
    harness.app.connect(connection).expect("connecting does not sign in yet");
    let err = harness
        .app
        .as_application("test set-up")
        .pull("wrong")
        .await
        .expect_err("the token request is refused");
    assert_eq!(err.code, ErrorCode::SignInFailed, "{err:?}");
    let err = harness.app.role_summary("wrong").await.expect_err("nothing was stored");
    assert_eq!(err.code, ErrorCode::NotPulled, "{err:?}");
}
