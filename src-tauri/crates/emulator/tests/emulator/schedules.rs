//! Converting and time-boxing: `adminAssign` of an eligibility with an end, then `adminRemove` of
//! the active assignment; `adminUpdate`/`adminExtend` setting the end of a standing assignment —
//! on directory roles, PIM for Groups and ARM — each verified by re-reading the instances.

use recert_emulator::Tenant;
use serde_json::{Value, json};

use crate::common::{self, id_of};

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const ELIG: &str = "/roleManagement/directory/roleEligibilityScheduleRequests";
const ASSIGN: &str = "/roleManagement/directory/roleAssignmentScheduleRequests";
const API: &str = "api-version=2020-10-01";

async fn instances(env: &common::Env, tok: &str, kind: &str, principal: &str) -> Vec<Value> {
    let url = env.graph(&format!(
        "/roleManagement/directory/{kind}?$filter=principalId eq '{principal}' and roleDefinitionId eq '{GA}'"
    ));
    env.get_all(tok, &url).await.0
}

#[tokio::test]
async fn a_standing_global_administrator_becomes_eligible_for_180_days() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let standing =
        t.assignment_instances()
            .iter()
            .find(|i| {
                i["roleDefinitionId"] == GA
                    && i["memberType"] == "Direct"
                    && i["assignmentType"] == "Assigned"
                    && i["endDateTime"].is_null()
                    && !t.eligibility_instances().iter().any(|e| {
                        e["principalId"] == i["principalId"] && e["roleDefinitionId"] == GA
                    })
            })
            .expect("a permanent active Global Administrator without an eligibility")
            .clone();
    let principal = standing["principalId"].as_str().unwrap_or_default().to_string();
    let end = (chrono::Utc::now() + chrono::Duration::days(180)).format("%Y-%m-%dT%H:%M:%SZ");
    let assign = json!({ "action": "adminAssign", "principalId": principal, "roleDefinitionId": GA,
        "directoryScopeId": "/", "justification": "Access review: convert to eligible",
        "scheduleInfo": { "startDateTime": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                          "expiration": { "type": "afterDateTime", "endDateTime": end.to_string() } } });
    let (s, v) = env.post(&tok, &env.graph(ELIG), &assign).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["action"].as_str(), v["status"].as_str()),
        (Some("adminAssign"), Some("Provisioned"))
    );
    let eligible = instances(&env, &tok, "roleEligibilityScheduleInstances", &principal).await;
    assert_eq!(eligible.len(), 1, "{eligible:?}");
    assert_eq!(eligible[0]["endDateTime"], end.to_string());
    // A second adminAssign finds it there.
    let (s, v) = env.post(&tok, &env.graph(ELIG), &assign).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("RoleAssignmentExists")));
    // Then the standing assignment goes.
    let remove = json!({ "action": "adminRemove", "principalId": principal, "roleDefinitionId": GA,
        "directoryScopeId": "/", "justification": "Access review: convert to eligible" });
    let (s, v) = env.post(&tok, &env.graph(ASSIGN), &remove).await;
    assert_eq!(s, 201, "{v}");
    let active = instances(&env, &tok, "roleAssignmentScheduleInstances", &principal).await;
    assert!(active.iter().all(|i| i["assignmentType"] == "Activated"), "{active:?}");
    assert_eq!(
        instances(&env, &tok, "roleEligibilityScheduleInstances", &principal).await.len(),
        1
    );
}

#[tokio::test]
async fn admin_update_and_extend_set_the_end_of_the_standing_assignment() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let standing = t
        .assignment_instances()
        .iter()
        .find(|i| {
            i["roleDefinitionId"] == GA
                && i["memberType"] == "Direct"
                && i["assignmentType"] == "Assigned"
        })
        .expect("a standing Global Administrator")
        .clone();
    let principal = standing["principalId"].as_str().unwrap_or_default().to_string();
    let update = |action: &str, end: &str| {
        json!({ "action": action, "principalId": principal, "roleDefinitionId": GA, "directoryScopeId": "/",
            "justification": "Access review: approved until a date",
            "scheduleInfo": { "startDateTime": "2026-01-01T00:00:00Z",
                              "expiration": { "type": "afterDateTime", "endDateTime": end } } })
    };
    for (action, end) in
        [("adminUpdate", "2027-06-30T23:59:59Z"), ("AdminExtend", "2027-09-30T23:59:59Z")]
    {
        let (s, v) = env.post(&tok, &env.graph(ASSIGN), &update(action, end)).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(
            v["action"].as_str().map(str::to_ascii_lowercase),
            Some(action.to_ascii_lowercase())
        );
        let live = instances(&env, &tok, "roleAssignmentScheduleInstances", &principal).await;
        let direct: Vec<&Value> = live
            .iter()
            .filter(|i| i["memberType"] == "Direct" && i["assignmentType"] == "Assigned")
            .collect();
        assert_eq!(direct.len(), 1);
        assert_eq!(direct[0]["endDateTime"], end, "{action} set the end");
        assert_eq!(direct[0]["startDateTime"], standing["startDateTime"], "the start stays");
    }
    // scheduleInfo is required; a principal without the assignment has nothing to update.
    let mut bare = update("adminUpdate", "2027-06-30T23:59:59Z");
    bare.as_object_mut().map(|m| m.remove("scheduleInfo"));
    let (s, _) = env.post(&tok, &env.graph(ASSIGN), &bare).await;
    assert_eq!(s, 400);
    let nobody = t
        .users()
        .iter()
        .map(id_of)
        .find(|u| !t.assignment_instances().iter().any(|i| i["principalId"] == u.as_str()))
        .expect("a user without assignments");
    let mut other = update("adminUpdate", "2027-06-30T23:59:59Z");
    other["principalId"] = json!(nobody);
    let (s, v) = env.post(&tok, &env.graph(ASSIGN), &other).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("RoleAssignmentDoesNotExist")));
}

#[tokio::test]
async fn pim_for_groups_admin_extend_as_documented() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let inst = t
        .group_eligibility_instances()
        .iter()
        .find(|i| i["memberType"].as_str().is_some_and(|m| m.eq_ignore_ascii_case("direct")))
        .expect("a direct group eligibility")
        .clone();
    let group = inst["groupId"].as_str().unwrap_or_default();
    // The body of the documented example (group-pim.json, Example 2).
    let body = json!({ "accessId": inst["accessId"], "principalId": inst["principalId"], "groupId": group,
        "action": "AdminExtend",
        "scheduleInfo": { "startDateTime": "2023-02-06T19:25:00.000Z",
                          "expiration": { "type": "AfterDateTime", "endDateTime": "2027-02-07T20:56:00.000Z" } },
        "justification": "Extend eligible request." });
    let url = env.graph("/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests");
    let (s, v) = env.post(&tok, &url, &body).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["action"].as_str(), v["status"].as_str()),
        (Some("adminExtend"), Some("Provisioned"))
    );
    let list = env.graph(&format!(
        "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId eq '{group}'"
    ));
    let (items, _) = env.get_all(&tok, &list).await;
    let mine: Vec<&Value> = items
        .iter()
        .filter(|i| i["principalId"] == inst["principalId"] && i["accessId"] == inst["accessId"])
        .collect();
    assert!(!mine.is_empty());
    assert!(mine.iter().any(|i| i["endDateTime"] == "2027-02-07T20:56:00.000Z"), "{mine:?}");
}

#[tokio::test]
async fn arm_converts_and_sets_ends() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let (id, secret) = env.emu.app_client();
    let tok = env.token(&id, &secret, "https://management.azure.com/.default").await;
    let base = format!("{}/arm", env.emu.base_url());
    let inst = t
        .arm()
        .role_assignment_schedule_instances
        .iter()
        .find(|i| {
            i["properties"]["memberType"] == "Direct"
                && i["properties"]["assignmentType"] == "Assigned"
        })
        .expect("a direct Azure assignment")
        .clone();
    let p = &inst["properties"];
    let scope = p["scope"].as_str().unwrap_or_default();
    let put = |collection: &str, name: &str, body: &Value| {
        let url =
            format!("{base}{scope}/providers/Microsoft.Authorization/{collection}/{name}?{API}");
        let (http, tok, body) = (env.http.clone(), tok.clone(), body.clone());
        async move {
            let r = http.put(&url).bearer_auth(&tok).json(&body).send().await.expect("answered");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let read = |collection: &str| {
        let url = format!(
            "{base}{scope}/providers/Microsoft.Authorization/{collection}?{API}&$filter=principalId eq '{}'",
            p["principalId"].as_str().unwrap_or_default()
        );
        let tok = tok.clone();
        let env = &env;
        async move { env.get_all(&tok, &url).await.0 }
    };
    let mine = |items: &[Value]| -> Vec<Value> {
        items
            .iter()
            .filter(|i| {
                i["properties"]["scope"] == p["scope"]
                    && i["properties"]["roleDefinitionId"] == p["roleDefinitionId"]
            })
            .cloned()
            .collect()
    };
    let schedule = json!({ "startDateTime": "2026-01-01T00:00:00Z",
        "expiration": { "type": "AfterDateTime", "endDateTime": "2027-06-30T23:59:59Z" } });
    let update = json!({ "properties": { "principalId": p["principalId"], "roleDefinitionId": p["roleDefinitionId"],
        "requestType": "AdminUpdate", "justification": "review", "scheduleInfo": schedule } });
    let (s, v) =
        put("roleAssignmentScheduleRequests", "00000001-0000-4000-8000-000000000000", &update)
            .await;
    assert_eq!(s, 201, "{v}");
    let live = mine(&read("roleAssignmentScheduleInstances").await);
    assert!(
        live.iter().any(|i| i["properties"]["endDateTime"] == "2027-06-30T23:59:59Z"),
        "{live:?}"
    );
    // Convert: eligible with an end, then the assignment goes.
    let had_eligibility = !mine(&read("roleEligibilityScheduleInstances").await).is_empty();
    let assign = json!({ "properties": { "principalId": p["principalId"], "roleDefinitionId": p["roleDefinitionId"],
        "requestType": "AdminAssign", "justification": "review", "scheduleInfo": schedule } });
    let (s, v) =
        put("roleEligibilityScheduleRequests", "00000002-0000-4000-8000-000000000000", &assign)
            .await;
    if had_eligibility {
        assert_eq!(v["error"]["code"], "RoleAssignmentExists");
        return;
    }
    assert_eq!(s, 201, "{v}");
    let eligible = mine(&read("roleEligibilityScheduleInstances").await);
    assert_eq!(eligible.len(), 1);
    assert_eq!(eligible[0]["properties"]["endDateTime"], "2027-06-30T23:59:59Z");
    let remove = json!({ "properties": { "principalId": p["principalId"], "roleDefinitionId": p["roleDefinitionId"],
        "requestType": "AdminRemove", "justification": "review" } });
    let (s, v) =
        put("roleAssignmentScheduleRequests", "00000003-0000-4000-8000-000000000000", &remove)
            .await;
    assert_eq!(s, 201, "{v}");
    assert!(mine(&read("roleAssignmentScheduleInstances").await).is_empty());
}
