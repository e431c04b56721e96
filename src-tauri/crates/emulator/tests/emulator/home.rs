//! A tenant kept in a directory (`serve_home`): changes survive the process, a second process
//! on the same directory uses the running server, and a kept file that cannot be read is an
//! error rather than a fresh tenant.

use recert_emulator::{Options, Served, Tenant, serve_home};
use serde_json::{Value, json};

use crate::common;

const ELIG: &str = "/roleManagement/directory/roleEligibilityScheduleRequests";

fn here(served: Served) -> recert_emulator::Emulator {
    match served {
        Served::Here(emulator) => emulator,
        other => panic!("expected to serve here, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_tenant_outlives_its_server_and_is_shared_while_it_runs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let first = here(
        serve_home(dir.path(), "demo-tenant", Tenant::demo, Options::default())
            .await
            .expect("served"),
    );
    assert!(dir.path().join("demo-tenant.json").exists(), "the fresh tenant is kept at once");

    // A second user of the directory finds the first server rather than starting a copy.
    match serve_home(dir.path(), "demo-tenant", || panic!("no fresh tenant"), Options::default())
        .await
        .expect("found")
    {
        Served::Elsewhere { base_url, certificate_der, tenant_id } => {
            assert_eq!(base_url, first.base_url());
            assert_eq!(certificate_der, first.certificate_der());
            assert_eq!(tenant_id, first.tenant_id());
        }
        other => panic!("expected the running server, got {other:?}"),
    }

    // A removal through the first server is kept.
    let tenant = Tenant::demo();
    let removed = tenant
        .eligibility_instances()
        .iter()
        .find(|i| i["memberType"] == "Direct")
        .expect("a direct eligibility")
        .clone();
    let env = common::Env { http: common::client(&first), emu: first };
    let token = env.graph_token().await;
    let (status, answer) = env
        .post(
            &token,
            &env.graph(ELIG),
            &json!({ "action": "adminRemove", "principalId": removed["principalId"],
                     "roleDefinitionId": removed["roleDefinitionId"],
                     "directoryScopeId": removed["directoryScopeId"] }),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    env.emu.shutdown().await;

    // The next server starts from the kept state: the removal is still there.
    let again = here(
        serve_home(
            dir.path(),
            "demo-tenant",
            || panic!("the kept tenant is used"),
            Options::default(),
        )
        .await
        .expect("served again"),
    );
    let kept = again.snapshot();
    let ids = |t: &Tenant| -> Vec<Value> {
        t.eligibility_instances().iter().map(|i| i["id"].clone()).collect()
    };
    assert!(!ids(&kept).contains(&removed["id"]), "the removed eligibility stays removed");
    assert_eq!(ids(&kept).len(), ids(&tenant).len() - 1);
    assert_eq!(kept.users().len(), tenant.users().len());
    assert_eq!(again.tenant_id(), tenant.id());
    again.shutdown().await;

    // A kept file that is not a tenant is refused, and left as it was.
    std::fs::write(dir.path().join("demo-tenant.json"), "{ not json").expect("write");
    let err = serve_home(dir.path(), "demo-tenant", Tenant::demo, Options::default())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("demo-tenant.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("demo-tenant.json")).expect("read"),
        "{ not json"
    );
}
