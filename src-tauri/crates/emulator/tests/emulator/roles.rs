//! Role definitions and schedule instances: filters, expansion, select, paging, auth errors.

use std::collections::HashSet;

use recert_emulator::{Options, Tenant};
use serde_json::Value;

use crate::common::{self, id_of};

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";

#[tokio::test]
async fn demo_tenant_has_the_advertised_shape() {
    let t = Tenant::demo();
    assert_eq!(t.display_name(), "Contoso (demo)");
    assert_eq!(t.role_definitions().len(), 40);
    assert!((280..=320).contains(&t.users().len()));
    assert_eq!(t.instance_count(), 800);
    // Deterministic: the same ids on every build.
    let again = Tenant::demo();
    assert_eq!(t.id(), again.id());
    assert_eq!(t.users()[10], again.users()[10]);
    assert_eq!(t.eligibility_instances()[5]["id"], again.eligibility_instances()[5]["id"]);
    // The cases the demo must show.
    let users = t.users();
    assert!(users.iter().any(|u| u["userType"] == "Guest"));
    assert!(users.iter().any(|u| u["accountEnabled"] == false));
    assert!(
        users
            .iter()
            .any(|u| u["userPrincipalName"].as_str().unwrap_or_default().starts_with("breakglass"))
    );
    assert!(users.iter().any(|u| !u["displayName"].as_str().unwrap_or_default().is_ascii()));
    assert!(users.iter().any(|u| !t.managers().contains_key(u["id"].as_str().unwrap_or_default())));
    let a = t.assignment_instances();
    assert!(a.iter().any(|i| i["roleDefinitionId"] == GA
        && i["endDateTime"].is_null()
        && i["assignmentType"] == "Assigned"));
    assert!(a.iter().any(|i| i["assignmentType"] == "Activated"));
    assert!(a.iter().chain(t.eligibility_instances()).any(|i| i["memberType"] == "Group"));
    assert!(t.groups().iter().any(|g| g["isAssignableToRole"] == true));
    assert!(!t.service_principals().is_empty());
    assert!(
        t.directory_audits()
            .iter()
            .any(|e| e["activityDisplayName"] == "Add member to role completed (PIM activation)")
    );
    assert!(!t.group_eligibility_instances().is_empty());
    assert!(!t.arm().role_eligibility_schedule_instances.is_empty());
}

#[tokio::test]
async fn role_definitions_list_and_filter() {
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let (s, v) = env.get(&tok, &env.graph("/roleManagement/directory/roleDefinitions")).await;
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().map(Vec::len), Some(40));
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap_or_default()
            .ends_with("$metadata#roleManagement/directory/roleDefinitions")
    );
    let (_, v) = env
        .get(&tok, &env.graph("/roleManagement/directory/roleDefinitions?$filter=displayName eq 'Global Administrator'&$select=id,displayName"))
        .await;
    let list = v["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], GA);
    assert!(list[0].get("rolePermissions").is_none());
    let (s, v) =
        env.get(&tok, &env.graph(&format!("/roleManagement/directory/roleDefinitions/{GA}"))).await;
    assert_eq!(s, 200);
    assert_eq!(v["templateId"], GA);
}

#[tokio::test]
async fn instances_page_completely_per_role_with_expand() {
    let env = common::start(Tenant::demo(), Options { page_size: 7, ..Options::default() }).await;
    let t = Tenant::demo();
    let tok = env.graph_token().await;
    let mut total = 0;
    for role in t.role_definitions() {
        let rid = id_of(role);
        for (coll, expected) in [
            ("roleEligibilityScheduleInstances", t.eligibility_count(&rid)),
            ("roleAssignmentScheduleInstances", t.assignment_count(&rid)),
        ] {
            let url = env.graph(&format!("/roleManagement/directory/{coll}?$filter=roleDefinitionId eq '{rid}'&$expand=principal"));
            let (items, pages) = env.get_all(&tok, &url).await;
            assert_eq!(items.len(), expected, "{coll} for {rid}");
            assert_eq!(pages, expected.div_ceil(7).max(1));
            let ids: HashSet<String> = items.iter().map(id_of).collect();
            assert_eq!(ids.len(), items.len(), "no duplicates across pages");
            for i in &items {
                assert_eq!(i["roleDefinitionId"], rid.as_str());
                assert_eq!(i["principal"]["id"], i["principalId"]);
                let t = i["principal"]["@odata.type"].as_str().unwrap_or_default();
                assert!(t.starts_with("#microsoft.graph."), "{t}");
                // An expanded user has default properties only.
                if t == "#microsoft.graph.user" {
                    assert!(i["principal"].get("accountEnabled").is_none());
                }
            }
            total += items.len();
        }
    }
    assert_eq!(total, t.instance_count());
}

#[tokio::test]
async fn instances_filter_select_top_and_expand_role() {
    let env = common::demo().await;
    let t = Tenant::demo();
    let tok = env.graph_token().await;
    let inst = &t.eligibility_instances()[3];
    let (p, r) = (
        inst["principalId"].as_str().unwrap_or_default(),
        inst["roleDefinitionId"].as_str().unwrap_or_default(),
    );
    let url = env.graph(&format!(
        "/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '{p}' and roleDefinitionId eq '{r}' and directoryScopeId eq '/'&$expand=principal,roleDefinition"
    ));
    let (s, v) = env.get(&tok, &url).await;
    assert_eq!(s, 200, "{v}");
    let list = v["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["roleDefinition"]["id"], r);
    // $select trims the instance; id always stays.
    let url = env.graph("/roleManagement/directory/roleAssignmentScheduleInstances?$select=principalId,assignmentType&$top=5");
    let (_, v) = env.get(&tok, &url).await;
    let list = v["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 5);
    assert!(
        list[0].get("id").is_some()
            && list[0].get("assignmentType").is_some()
            && list[0].get("roleDefinitionId").is_none()
    );
    assert!(v["@odata.nextLink"].as_str().is_some_and(|l| l.contains("$skiptoken=")));
    // Everything without a filter adds up to the tenant's count.
    let (all, _) = env
        .get_all(
            &tok,
            &env.graph("/roleManagement/directory/roleAssignmentScheduleInstances?$top=999"),
        )
        .await;
    assert_eq!(all.len(), t.assignment_instances().len());
    // isof(principal, ...) narrows to one kind.
    let url = env.graph(&format!("/roleManagement/directory/roleAssignmentScheduleInstances?$filter=roleDefinitionId eq '{GA}' and isof(principal,'microsoft.graph.user')"));
    let (users, _) = env.get_all(&tok, &url).await;
    assert!(!users.is_empty());
    assert!(users.len() <= t.assignment_count(GA));
}

#[tokio::test]
async fn malformed_queries_get_graph_shaped_400s() {
    let env = common::demo().await;
    let tok = env.graph_token().await;
    for q in [
        "$filter=roleDefinitionId eq",
        "$filter=nonsense eq 'x'",
        "$top=abc",
        "$top=5000",
        "$skiptoken=garbage",
        "$expand=principal($select=displayName)",
        "$expand=principal($select=id)",
        "$expand=manager",
    ] {
        let url =
            env.graph(&format!("/roleManagement/directory/roleEligibilityScheduleInstances?{q}"));
        let r = env.http.get(&url).bearer_auth(&tok).send().await.expect("answered");
        assert_eq!(r.status(), 400, "{q}");
        assert!(r.headers().get("request-id").is_some());
        let v: Value = r.json().await.expect("json");
        assert!(v["error"]["code"].is_string(), "{q}: {v}");
        assert!(v["error"]["innerError"]["request-id"].is_string());
        assert!(v["error"]["innerError"]["date"].is_string());
    }
    // A token from another query cannot be replayed.
    let (_, v) = env
        .get(&tok, &env.graph("/roleManagement/directory/roleEligibilityScheduleInstances?$top=2"))
        .await;
    let next = v["@odata.nextLink"].as_str().expect("nextLink").to_string();
    let token = next.split("$skiptoken=").nth(1).expect("token");
    let (s, _) = env.get(&tok, &env.graph(&format!("/roleManagement/directory/roleAssignmentScheduleInstances?$top=2&$skiptoken={token}"))).await;
    assert_eq!(s, 400);
    // Unknown segments.
    let (s, v) = env.get(&tok, &env.graph("/roleManagement/directory/nothingHere")).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "BadRequest");
}

#[tokio::test]
async fn bearer_tokens_are_checked() {
    let env = common::demo().await;
    let url = env.graph("/roleManagement/directory/roleDefinitions");
    let r = env.http.get(&url).send().await.expect("answered");
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").is_some());
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");
    let (s, _) = env.get("not-a-jwt", &url).await;
    assert_eq!(s, 401);
    // A token for ARM is not a Graph token.
    let (id, secret) = env.emu.app_client();
    let arm = env.token(&id, &secret, "https://management.azure.com/.default").await;
    let (s, v) = env.get(&arm, &url).await;
    assert_eq!(s, 401);
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("audience"));
    // A tampered token fails the signature check.
    let good = env.graph_token().await;
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    let (s, _) = env.get(&parts.join("."), &url).await;
    assert_eq!(s, 401);
    // A registration without the permission gets 403.
    let (rid, rsecret) = env.emu.readonly_client();
    let ro = env.token(&rid, &rsecret, "https://graph.microsoft.com/.default").await;
    let (s, v) = env
        .get(&ro, &env.graph("/roleManagement/directory/roleEligibilityScheduleInstances"))
        .await;
    assert_eq!(s, 200, "RoleManagement.Read.Directory reads instances: {v}");
    let (s, v) = env.get(&ro, &env.graph("/auditLogs/directoryAudits")).await;
    assert_eq!(s, 403);
    assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
}

#[tokio::test]
async fn plain_http_mode_works() {
    let env =
        common::start(common::small_tenant(3), Options { tls: false, ..Options::default() }).await;
    assert!(env.emu.base_url().starts_with("http://127.0.0.1:"));
    assert!(env.emu.certificate_der().is_none());
    let tok = env.graph_token().await;
    let (s, _) = env.get(&tok, &env.graph("/roleManagement/directory/roleDefinitions")).await;
    assert_eq!(s, 200);
    env.emu.shutdown().await;
}

#[test]
fn demo_at_a_fixed_instant_is_identical() {
    use chrono::TimeZone;
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 31, 9, 0, 0).single().expect("valid");
    let a = Tenant::demo_at(now);
    let b = Tenant::demo_at(now);
    assert_eq!(a.to_fixture_json(), b.to_fixture_json());
    // Expiring assignments end within 30 days of that instant.
    let soon = (now + chrono::Duration::days(31)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let start = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert!(a.eligibility_instances().iter().any(|i| {
        i["endDateTime"].as_str().is_some_and(|e| e > start.as_str() && e < soon.as_str())
    }));
}
