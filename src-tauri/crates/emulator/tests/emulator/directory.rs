//! Users, managers, groups and members, service principals, getByIds, $batch, directory audits.

use std::collections::HashSet;

use recert_emulator::{Options, Tenant};
use serde_json::{Value, json};

use crate::common::{self, id_of};

#[tokio::test]
async fn users_page_with_select_and_sign_in_activity() {
    let t = common::small_tenant(11);
    let env = common::start(t.clone(), Options::default()).await;
    let tok = env.graph_token().await;
    // Default properties only.
    let (s, v) = env.get(&tok, &env.graph("/users?$top=3")).await;
    assert_eq!(s, 200);
    let u = &v["value"][0];
    assert!(
        u.get("userPrincipalName").is_some()
            && u.get("accountEnabled").is_none()
            && u.get("signInActivity").is_none()
    );
    // $select with the full properties; signInActivity caps pages at 120.
    let url =
        env.graph("/users?$select=id,displayName,accountEnabled,userType,signInActivity&$top=999");
    let (s, v) = env.get(&tok, &url).await;
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().map(Vec::len), Some(120));
    let (all, pages) = env.get_all(&tok, &url).await;
    assert_eq!(all.len(), t.users().len());
    assert_eq!(pages, t.users().len().div_ceil(120));
    assert!(all.iter().all(|u| u["accountEnabled"].is_boolean()
        && u["userType"].is_string()
        && u.get("signInActivity").is_some()));
    let ids: HashSet<String> = all.iter().map(id_of).collect();
    assert_eq!(ids.len(), t.users().len());
    // Filters.
    let (guests, _) = env.get_all(&tok, &env.graph("/users?$filter=userType eq 'Guest'")).await;
    let expected = t.users().iter().filter(|u| u["userType"] == "Guest").count();
    assert_eq!(guests.len(), expected);
    // Advanced queries need ConsistencyLevel and $count.
    let (s, v) = env.get(&tok, &env.graph("/users?$filter=accountEnabled ne true")).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "Request_UnsupportedQuery");
    let r = env
        .http
        .get(env.graph("/users?$filter=accountEnabled ne true&$count=true"))
        .bearer_auth(&tok)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    let disabled = t.users().iter().filter(|u| u["accountEnabled"] == false).count();
    assert_eq!(v["@odata.count"], disabled);
    // By id and by UPN; unknown is a Graph 404.
    let first = &t.users()[5];
    let (s, v) = env
        .get(
            &tok,
            &env.graph(&format!(
                "/users/{}",
                first["userPrincipalName"].as_str().unwrap_or_default()
            )),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], first["id"]);
    let (s, v) = env.get(&tok, &env.graph("/users/00000000-0000-0000-0000-000000000000")).await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "Request_ResourceNotFound");
    // The read-only registration has basic user read: full properties are refused.
    let (rid, rs) = env.emu.readonly_client();
    let ro = env.token(&rid, &rs, "https://graph.microsoft.com/.default").await;
    let (s, _) = env.get(&ro, &env.graph("/users?$select=id,displayName")).await;
    assert_eq!(s, 200);
    let (s, _) = env.get(&ro, &env.graph("/users?$select=id,accountEnabled")).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn manager_and_missing_manager() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let (with, mgr) = t
        .managers()
        .iter()
        .next()
        .map(|(a, b)| (a.clone(), b.clone()))
        .expect("someone has a manager");
    let (s, v) = env.get(&tok, &env.graph(&format!("/users/{with}/manager"))).await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], mgr.as_str());
    assert_eq!(v["@odata.type"], "#microsoft.graph.user");
    let without = t
        .users()
        .iter()
        .map(id_of)
        .find(|u| !t.managers().contains_key(u))
        .expect("someone has none");
    let (s, v) = env.get(&tok, &env.graph(&format!("/users/{without}/manager"))).await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "Request_ResourceNotFound");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Resource 'manager' does not exist")
    );
}

#[tokio::test]
async fn groups_members_and_transitive_members() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let (groups, _) =
        env.get_all(&tok, &env.graph("/groups?$filter=isAssignableToRole eq true")).await;
    assert_eq!(groups.len(), t.groups().iter().filter(|g| g["isAssignableToRole"] == true).count());
    // The nested group: transitive members include the inner group's members.
    let (outer, inner) = t
        .group_members()
        .iter()
        .find_map(|(g, m)| {
            m.iter().find(|x| t.group_members().contains_key(*x)).map(|i| (g.clone(), i.clone()))
        })
        .expect("a nested group");
    let (direct, _) = env.get_all(&tok, &env.graph(&format!("/groups/{outer}/members"))).await;
    assert_eq!(direct.len(), t.group_members()[&outer].len());
    assert!(direct.iter().any(|m| m["@odata.type"] == "#microsoft.graph.group"));
    let (trans, _) =
        env.get_all(&tok, &env.graph(&format!("/groups/{outer}/transitiveMembers"))).await;
    let expected: HashSet<&String> =
        t.group_members()[&outer].iter().chain(t.group_members()[&inner].iter()).collect();
    assert_eq!(trans.len(), expected.len());
    let (s, v) = env.get(&tok, &env.graph(&format!("/groups/{outer}"))).await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], outer.as_str());
    let (s, _) = env.get(&tok, &env.graph(&format!("/groups/{outer}/owners"))).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn service_principals_and_get_by_ids() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let (sps, _) = env.get_all(&tok, &env.graph("/servicePrincipals")).await;
    assert_eq!(sps.len(), t.service_principals().len());
    let sp = id_of(&t.service_principals()[1]);
    let (s, v) = env.get(&tok, &env.graph(&format!("/servicePrincipals/{sp}"))).await;
    assert_eq!(s, 200);
    assert!(v["appId"].is_string());
    let ids = vec![
        id_of(&t.users()[0]),
        id_of(&t.groups()[0]),
        sp.clone(),
        "00000000-0000-0000-0000-000000000000".into(),
    ];
    let (s, v) = env
        .post(
            &tok,
            &env.graph("/directoryObjects/getByIds"),
            &json!({ "ids": ids, "types": ["user", "group", "servicePrincipal"] }),
        )
        .await;
    assert_eq!(s, 200);
    let list = v["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(list[1]["@odata.type"], "#microsoft.graph.group");
    assert_eq!(list[2]["@odata.type"], "#microsoft.graph.servicePrincipal");
    let (s, v) = env
        .post(
            &tok,
            &env.graph("/directoryObjects/getByIds"),
            &json!({ "ids": [id_of(&t.users()[0])], "types": ["group"] }),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().map(Vec::len), Some(0));
    let (s, _) =
        env.post(&tok, &env.graph("/directoryObjects/getByIds"), &json!({ "nope": 1 })).await;
    assert_eq!(s, 400);
}

/// A user with `$expand=manager` carries the manager (only its `$select`ed fields when nested);
/// one without a manager has no `manager` property; a `$batch` step may name the URL absolutely.
#[tokio::test]
async fn a_user_expands_its_manager_alone_or_in_a_batch() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let with = t.managers().keys().next().cloned().expect("has manager");
    let without =
        t.users().iter().map(id_of).find(|u| !t.managers().contains_key(u)).expect("no manager");
    let (s, v) = env
        .get(&tok, &env.graph(&format!("/users/{with}?$select=id,signInActivity&$expand=manager")))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["manager"]["id"], t.managers()[&with].as_str());
    assert!(v["manager"]["displayName"].is_string(), "the manager's default properties: {v}");
    assert!(v.get("signInActivity").is_some(), "{v}");
    // A nested `$select` needs `$levels` (user-list-manager.md): refused without it.
    let (s, v) =
        env.get(&tok, &env.graph(&format!("/users/{with}?$expand=manager($select=id)"))).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = env
        .get(&tok, &env.graph(&format!("/users/{with}?$expand=manager($levels=1;$select=id)")))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["manager"]["id"], t.managers()[&with].as_str());
    assert!(v["manager"].get("displayName").is_none(), "only the nested select: {v}");
    let (s, v) = env.get(&tok, &env.graph(&format!("/users/{without}?$expand=manager"))).await;
    assert_eq!(s, 200, "{v}");
    assert!(v.get("manager").is_none(), "no manager, no property: {v}");
    // The page size with both signInActivity and an expansion is the lower cap, 100.
    let (s, v) = env
        .get(&tok, &env.graph("/users?$select=id,signInActivity&$expand=manager&$top=999"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().map(Vec::len), Some(100.min(t.users().len())));

    let absolute = format!("{}/users/{with}?$select=id&$expand=manager", env.graph(""));
    let body = json!({ "requests": [ { "id": "1", "method": "GET", "url": absolute } ] });
    let (s, v) = env.post(&tok, &env.graph("/$batch"), &body).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["responses"][0]["status"], 200, "{v}");
    assert_eq!(v["responses"][0]["body"]["manager"]["id"], t.managers()[&with].as_str());
}

#[tokio::test]
async fn batch_runs_inner_requests_and_enforces_limits() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let with = t.managers().keys().next().cloned().expect("has manager");
    let without =
        t.users().iter().map(id_of).find(|u| !t.managers().contains_key(u)).expect("no manager");
    let body = json!({ "requests": [
        { "id": "1", "method": "GET", "url": format!("/users/{with}/manager?$select=id,displayName") },
        { "id": "2", "method": "GET", "url": format!("/users/{without}/manager") },
        { "id": "3", "method": "GET", "url": "/users/nobody/manager", "dependsOn": ["2"] },
        { "id": "4", "method": "POST", "url": "/directoryObjects/getByIds", "body": { "ids": [with] } },
        { "id": "5", "method": "POST", "url": "/directoryObjects/getByIds", "headers": { "Content-Type": "application/json" }, "body": { "ids": [with] } },
    ] });
    let (s, v) = env.post(&tok, &env.graph("/$batch"), &body).await;
    assert_eq!(s, 200, "{v}");
    let by_id = |id: &str| {
        v["responses"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["id"] == id))
            .cloned()
            .expect("response")
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("1")["body"]["id"], t.managers()[&with].as_str());
    assert_eq!(by_id("2")["status"], 404);
    assert_eq!(by_id("2")["body"]["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(by_id("3")["status"], 424);
    assert_eq!(by_id("4")["status"], 400, "a body needs Content-Type");
    assert_eq!(by_id("5")["status"], 200);
    // More than 20 steps is a malformed batch.
    let many: Vec<Value> = (0..21)
        .map(|i| json!({ "id": i.to_string(), "method": "GET", "url": "/users?$top=1" }))
        .collect();
    let (s, v) = env.post(&tok, &env.graph("/$batch"), &json!({ "requests": many })).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "BadRequest");
    let (s, _) = env.post(&tok, &env.graph("/$batch"), &json!({ "requests": [ { "id": "1", "method": "GET", "url": "/me" }, { "id": "1", "method": "GET", "url": "/me" } ] })).await;
    assert_eq!(s, 400);
    let r = env
        .http
        .post(env.graph("/$batch"))
        .bearer_auth(&tok)
        .body("{not json")
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn directory_audits_filter_and_page() {
    let t = Tenant::demo();
    let env = common::start(Tenant::demo(), Options { page_size: 50, ..Options::default() }).await;
    let tok = env.graph_token().await;
    let (all, pages) = env.get_all(&tok, &env.graph("/auditLogs/directoryAudits")).await;
    assert_eq!(all.len(), t.directory_audits().len());
    assert!(pages > 1);
    // Newest first.
    let dates: Vec<&str> = all.iter().filter_map(|a| a["activityDateTime"].as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));
    let ev = t
        .directory_audits()
        .iter()
        .find(|e| e["activityDisplayName"] == "Add member to role completed (PIM activation)")
        .expect("activation");
    let user = ev["targetResources"][1]["id"].as_str().expect("user id");
    let url = env.graph(&format!(
        "/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Add member to role completed (PIM activation)' and activityDateTime ge 2000-01-01T00:00:00Z and targetResources/any(t:t/id eq '{user}')"
    ));
    let (found, _) = env.get_all(&tok, &url).await;
    let expected = t
        .directory_audits()
        .iter()
        .filter(|e| {
            e["activityDisplayName"] == "Add member to role completed (PIM activation)"
                && e["targetResources"][1]["id"] == user
        })
        .count();
    assert_eq!(found.len(), expected);
    assert!(found.iter().all(|e| e["category"] == "RoleManagement"));
}
