//! The ARM subset: subscriptions, role definitions, schedule instances with scope filters, AdminRemove.

use recert_emulator::{Options, Tenant};
use serde_json::{Value, json};

use crate::common;

const API: &str = "api-version=2020-10-01";

#[tokio::test]
async fn subscriptions_instances_and_removal() {
    let t = Tenant::demo();
    let env = common::start(Tenant::demo(), Options { page_size: 10, ..Options::default() }).await;
    let (id, secret) = env.emu.app_client();
    let tok = env.token(&id, &secret, "https://management.azure.com/.default").await;
    let base = format!("{}/arm", env.emu.base_url());
    let (s, v) = env.get(&tok, &format!("{base}/subscriptions?api-version=2020-01-01")).await;
    assert_eq!(s, 200);
    let subs = v["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(subs.len(), t.arm().subscriptions.len());
    // api-version is required; a Graph token is refused.
    let (s, v) = env.get(&tok, &format!("{base}/subscriptions")).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "MissingApiVersionParameter");
    let graph = env.graph_token().await;
    let (s, _) = env.get(&graph, &format!("{base}/subscriptions?api-version=2020-01-01")).await;
    assert_eq!(s, 401);

    // Everything under each subscription adds up to the tenant's instances (nextLink paging).
    let mut total = 0;
    for sub in &subs {
        let scope = sub["id"].as_str().unwrap_or_default();
        for kind in ["roleEligibilityScheduleInstances", "roleAssignmentScheduleInstances"] {
            let (items, _) = env
                .get_all(
                    &tok,
                    &format!("{base}{scope}/providers/Microsoft.Authorization/{kind}?{API}"),
                )
                .await;
            assert!(
                items.iter().all(|i| i["properties"]["scope"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with(scope))
            );
            total += items.len();
        }
        let (s, v) = env.get(&tok, &format!("{base}{scope}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01")).await;
        assert_eq!(s, 200);
        assert!(
            v["value"]
                .as_array()
                .is_some_and(|a| a.iter().any(|d| d["properties"]["roleName"] == "Owner"))
        );
    }
    assert_eq!(
        total,
        t.arm().role_eligibility_schedule_instances.len()
            + t.arm().role_assignment_schedule_instances.len()
    );

    // atScope() at a subscription leaves out resource-group items.
    let sub = subs[0]["id"].as_str().unwrap_or_default();
    let (at, _) = env.get_all(&tok, &format!("{base}{sub}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances?{API}&$filter=atScope()")).await;
    assert!(at.iter().all(|i| i["properties"]["scope"] == sub));

    // Remove one eligibility at its own scope; the second time it no longer exists.
    let inst = t.arm().role_eligibility_schedule_instances[0].clone();
    let p = &inst["properties"];
    let scope = p["scope"].as_str().unwrap_or_default();
    let url = format!(
        "{base}{scope}/providers/Microsoft.Authorization/roleEligibilityScheduleRequests/{}?{API}",
        uuid_like(1)
    );
    let body = json!({ "properties": { "principalId": p["principalId"], "roleDefinitionId": p["roleDefinitionId"], "requestType": "AdminRemove", "justification": "review" } });
    let r = env.http.put(&url).bearer_auth(&tok).json(&body).send().await.expect("answered");
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["properties"]["status"], "Revoked");
    assert_eq!(v["properties"]["requestType"], "AdminRemove");
    let url2 = url.replace(&uuid_like(1), &uuid_like(2));
    let r = env.http.put(&url2).bearer_auth(&tok).json(&body).send().await.expect("answered");
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "RoleAssignmentDoesNotExist");
    assert!(r_has_no_graph_inner(&v));
    let log = env.emu.mutation_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "PUT");
    assert!(log[0].path.starts_with("/arm/subscriptions/"));
}

fn uuid_like(n: u8) -> String {
    format!("0000000{n}-0000-4000-8000-000000000000")
}

fn r_has_no_graph_inner(v: &Value) -> bool {
    v["error"].get("innerError").is_none()
}
