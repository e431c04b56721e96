//! Schedule requests with `adminRemove`: real semantics, the mutation log, PIM for Groups.

use recert_emulator::{Emulator, Tenant};
use serde_json::{Value, json};

use crate::common::{self, id_of};

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const ELIG: &str = "/roleManagement/directory/roleEligibilityScheduleRequests";
const ASSIGN: &str = "/roleManagement/directory/roleAssignmentScheduleRequests";

fn remove_body(i: &Value) -> Value {
    json!({ "action": "adminRemove", "principalId": i["principalId"], "roleDefinitionId": i["roleDefinitionId"],
            "directoryScopeId": i["directoryScopeId"], "justification": "Access review: denied" })
}

#[tokio::test]
async fn admin_remove_eligibility_then_already_gone() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let inst = t
        .eligibility_instances()
        .iter()
        .find(|i| i["memberType"] == "Direct" && i["roleDefinitionId"] != GA)
        .expect("a direct eligibility")
        .clone();
    let (s, v) = env.post(&tok, &env.graph(ELIG), &remove_body(&inst)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "Revoked");
    assert_eq!(v["action"], "adminRemove");
    assert_eq!(v["principalId"], inst["principalId"]);
    assert!(v["createdBy"]["application"]["id"].is_string());
    // It is gone from the instances …
    let url = env.graph(&format!(
        "/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '{}' and roleDefinitionId eq '{}'",
        inst["principalId"].as_str().unwrap_or_default(),
        inst["roleDefinitionId"].as_str().unwrap_or_default()
    ));
    let (items, _) = env.get_all(&tok, &url).await;
    assert!(items.iter().all(|i| i["id"] != inst["id"]));
    // … a second removal says so …
    let (s, v) = env.post(&tok, &env.graph(ELIG), &remove_body(&inst)).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "RoleAssignmentDoesNotExist");
    // … the request is readable, an audit event was written, and the log has both attempts.
    let id = v["error"]["innerError"]["request-id"].as_str().unwrap_or_default().to_string();
    assert!(!id.is_empty());
    let (s, list) = env
        .get(
            &tok,
            &env.graph(&format!(
                "{ELIG}?$filter=principalId eq '{}'",
                inst["principalId"].as_str().unwrap_or_default()
            )),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        list["value"].as_array().is_some_and(|a| a.iter().any(|r| r["action"] == "adminRemove"))
    );
    let (audits, _) = env.get_all(&tok, &env.graph("/auditLogs/directoryAudits?$filter=startswith(activityDisplayName,'Remove eligible member')")).await;
    assert_eq!(audits.len(), 1);
    let log = env.emu.mutation_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "POST");
    assert!(log[0].path.ends_with("roleEligibilityScheduleRequests"));
    assert_eq!(log[0].status, 201);
    assert_eq!(log[1].status, 400);
    assert_eq!(log[0].body["justification"], "Access review: denied");
    // Reads are not logged.
    assert!(log.iter().all(|r| r.method != "GET"));
}

#[tokio::test]
/// Only codes Microsoft names for PIM requests: a group-derived instance or a running activation is
/// no assignment of that principal to remove (`RoleAssignmentDoesNotExist`), and no lock-out code
/// is invented for the last Global Administrator: the service removes it as asked (Recert's own
/// interlocks hold such removals before they are sent).
async fn names_no_invented_code_for_group_derived_activated_or_last_global_admin() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let group_derived = t
        .eligibility_instances()
        .iter()
        .chain(t.assignment_instances())
        .find(|i| i["memberType"] == "Group")
        .expect("group-derived")
        .clone();
    let url = if t.eligibility_instances().iter().any(|i| i["id"] == group_derived["id"]) {
        ELIG
    } else {
        ASSIGN
    };
    let (s, v) = env.post(&tok, &env.graph(url), &remove_body(&group_derived)).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "RoleAssignmentDoesNotExist");
    let activated = t
        .assignment_instances()
        .iter()
        .find(|i| {
            i["assignmentType"] == "Activated"
                && !t.assignment_instances().iter().any(|o| {
                    o["assignmentType"] == "Assigned"
                        && o["principalId"] == i["principalId"]
                        && o["roleDefinitionId"] == i["roleDefinitionId"]
                })
        })
        .expect("an activation")
        .clone();
    let (s, v) = env.post(&tok, &env.graph(ASSIGN), &remove_body(&activated)).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "RoleAssignmentDoesNotExist");
    // Active Global Administrators are removed down to the last one.
    let gas: Vec<Value> = t
        .assignment_instances()
        .iter()
        .filter(|i| i["roleDefinitionId"] == GA && i["memberType"] == "Direct")
        .cloned()
        .collect();
    assert!(gas.len() >= 2);
    for ga in &gas[..gas.len() - 1] {
        let (s, v) = env.post(&tok, &env.graph(ASSIGN), &remove_body(ga)).await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = env.post(&tok, &env.graph(ASSIGN), &remove_body(&gas[gas.len() - 1])).await;
    assert_eq!(s, 201, "{v}");
    // Malformed requests.
    let (s, v) = env.post(&tok, &env.graph(ASSIGN), &json!({ "action": "adminRemove" })).await;
    assert_eq!(s, 400);
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("principalId"));
    let (s, _) = env.post(&tok, &env.graph(ASSIGN), &json!({ "action": "dance", "principalId": gas[0]["principalId"], "roleDefinitionId": GA, "directoryScopeId": "/" })).await;
    assert_eq!(s, 400);
    let r = env
        .http
        .post(env.graph(ASSIGN))
        .bearer_auth(&tok)
        .body("{")
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 400);
    // A read-only registration cannot write.
    let (rid, rs) = env.emu.readonly_client();
    let ro = env.token(&rid, &rs, "https://graph.microsoft.com/.default").await;
    let (s, v) = env.post(&ro, &env.graph(ELIG), &remove_body(&t.eligibility_instances()[0])).await;
    assert_eq!(s, 403);
    // PIM's refusal: `UnknownError` wrapping `PermissionScopeNotGranted` and the permissions.
    assert_eq!(v["error"]["code"], "UnknownError");
    let inner: Value = serde_json::from_str(v["error"]["message"].as_str().unwrap_or_default())
        .expect("PIM's own error as JSON text");
    assert_eq!(inner["errorCode"], "PermissionScopeNotGranted");
    assert!(
        inner["message"]
            .as_str()
            .is_some_and(|m| m.contains("RoleEligibilitySchedule.ReadWrite.Directory"))
    );
    assert!(v["error"]["innerError"]["request-id"].is_string());
}

#[tokio::test]
async fn removing_a_group_assignment_removes_what_members_inherited() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let group_ids: Vec<String> = t.groups().iter().map(id_of).collect();
    let (coll, inst) = t
        .eligibility_instances()
        .iter()
        .map(|i| (ELIG, i))
        .chain(t.assignment_instances().iter().map(|i| (ASSIGN, i)))
        .find(|(_, i)| {
            group_ids.contains(&i["principalId"].as_str().unwrap_or_default().to_string())
        })
        .expect("a group holds a role");
    let role = inst["roleDefinitionId"].as_str().unwrap_or_default();
    let instances = if coll == ELIG {
        "roleEligibilityScheduleInstances"
    } else {
        "roleAssignmentScheduleInstances"
    };
    let url = env.graph(&format!("/roleManagement/directory/{instances}?$filter=roleDefinitionId eq '{role}' and memberType eq 'Group'"));
    let (before, _) = env.get_all(&tok, &url).await;
    assert!(!before.is_empty());
    let (s, v) = env.post(&tok, &env.graph(coll), &remove_body(inst)).await;
    assert_eq!(s, 201, "{v}");
    let (after, _) = env.get_all(&tok, &url).await;
    assert!(after.len() < before.len());
}

#[tokio::test]
async fn admin_assign_then_five_minute_rule() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let user = id_of(&t.users()[40]);
    let role = "fdd7a751-b60b-444a-984c-02652fe8fa1c";
    let body = json!({ "action": "adminAssign", "principalId": user, "roleDefinitionId": role, "directoryScopeId": "/",
        "justification": "test", "scheduleInfo": { "startDateTime": null, "expiration": { "type": "afterDuration", "duration": "P30D" } } });
    let (s, v) = env.post(&tok, &env.graph(ELIG), &body).await;
    if s == 400 && v["error"]["code"] == "RoleAssignmentExists" {
        return;
    }
    assert_eq!(s, 201, "{v}");
    let url = env.graph(&format!("/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '{user}' and roleDefinitionId eq '{role}'"));
    let (items, _) = env.get_all(&tok, &url).await;
    assert_eq!(items.len(), 1);
    let mut rm = body.clone();
    rm["action"] = json!("adminRemove");
    let (s, v) = env.post(&tok, &env.graph(ELIG), &rm).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "RoleAssignmentRequestPolicyValidationFailed");
}

async fn group_instances(env: &common::Env, tok: &str, kind: &str, group: &str) -> Vec<Value> {
    let url = env.graph(&format!(
        "/identityGovernance/privilegedAccess/group/{kind}?$filter=groupId eq '{group}'"
    ));
    env.get_all(tok, &url).await.0
}

#[tokio::test]
async fn pim_for_groups_list_and_remove() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    // A filter on groupId or principalId is required.
    let (s, _) = env
        .get(
            &tok,
            &env.graph("/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"),
        )
        .await;
    assert_eq!(s, 400);
    let inst = t.group_eligibility_instances()[0].clone();
    let group = inst["groupId"].as_str().unwrap_or_default();
    let before = group_instances(&env, &tok, "eligibilityScheduleInstances", group).await;
    let expected = t.group_eligibility_instances().iter().filter(|i| i["groupId"] == group).count();
    assert_eq!(before.len(), expected);
    assert!(before.iter().all(|i| i["accessId"] == "member" || i["accessId"] == "owner"));
    let body = json!({ "accessId": inst["accessId"], "principalId": inst["principalId"], "groupId": group, "action": "adminRemove", "justification": "review" });
    let url = env.graph("/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests");
    let (s, v) = env.post(&tok, &url, &body).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "Revoked");
    assert_eq!(v["groupId"], group);
    let after = group_instances(&env, &tok, "eligibilityScheduleInstances", group).await;
    assert_eq!(after.len() + 1, before.len());
    let (s, v) = env.post(&tok, &url, &body).await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "RoleAssignmentDoesNotExist");
    // Assignment instances, with principal expansion.
    if let Some(a) = t.group_assignment_instances().first() {
        let g = a["groupId"].as_str().unwrap_or_default();
        let url = env.graph(&format!("/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?$filter=groupId eq '{g}'&$expand=principal,group"));
        let (items, _) = env.get_all(&tok, &url).await;
        assert!(!items.is_empty());
        assert!(
            items.iter().all(|i| i["principal"]["id"] == i["principalId"] && i["group"]["id"] == g)
        );
    }
}

#[tokio::test]
async fn delegated_writes_need_privileged_role_administrator() {
    // A user without an active admin role cannot remove, even with the delegated permission.
    let t = Tenant::demo();
    let env = common::demo().await;
    let holder = |role: &str| {
        t.assignment_instances()
            .iter()
            .filter(|i| i["roleDefinitionId"] == role && i["memberType"] == "Direct")
            .filter_map(|i| i["principalId"].as_str())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let admins: Vec<String> =
        holder(GA).into_iter().chain(holder("e8611ab8-c189-46e8-94e1-60213ab1f814")).collect();
    let plain = t.users().iter().map(id_of).find(|u| !admins.contains(u)).expect("a plain user");
    let tok = user_token(&env.emu, &env.http, &plain).await;
    let target = t
        .eligibility_instances()
        .iter()
        .find(|i| i["memberType"] == "Direct" && i["roleDefinitionId"] != GA)
        .expect("eligibility");
    let (s, v) = env.post(&tok, &env.graph(ELIG), &remove_body(target)).await;
    assert_eq!(s, 403, "{v}");
    let admin_user = admins.iter().find(|a| t.user(a).is_some()).expect("an admin user");
    let tok = user_token(&env.emu, &env.http, admin_user).await;
    let (s, v) = env.post(&tok, &env.graph(ELIG), &remove_body(target)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["createdBy"]["user"]["id"], admin_user.as_str());
}

#[tokio::test]
async fn a_signed_in_person_without_a_directory_role_that_grants_it_cannot_read_pim_or_audits() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let holds_any =
        |u: &str| t.assignment_instances().iter().any(|i| i["principalId"].as_str() == Some(u));
    let plain = t.users().iter().map(id_of).find(|u| !holds_any(u)).expect("a user without roles");
    let ga = t
        .assignment_instances()
        .iter()
        .find(|i| {
            i["roleDefinitionId"] == GA
                && i["memberType"] == "Direct"
                && t.user(i["principalId"].as_str().unwrap_or_default()).is_some()
        })
        .and_then(|i| i["principalId"].as_str())
        .expect("an active Global Administrator")
        .to_string();
    let reads = [
        format!(
            "/roleManagement/directory/roleEligibilityScheduleInstances?$filter=roleDefinitionId eq '{GA}'"
        ),
        format!(
            "/roleManagement/directory/roleAssignmentScheduleInstances?$filter=roleDefinitionId eq '{GA}'"
        ),
        "/auditLogs/directoryAudits?$top=1".to_string(),
    ];
    let plain_token = user_token(&env.emu, &env.http, &plain).await;
    let admin_token = user_token(&env.emu, &env.http, &ga).await;
    for read in &reads {
        let url = env.graph(read);
        let (s, v) = env.get(&plain_token, &url).await;
        assert_eq!(s, 403, "{read}: {v}");
        assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
        let (s, v) = env.get(&admin_token, &url).await;
        assert_eq!(s, 200, "{read}: {v}");
    }
    // Reading users needs no directory role: the delegated permission is enough.
    let (s, v) = env.get(&plain_token, &env.graph("/users?$top=1")).await;
    assert_eq!(s, 200, "{v}");
}

/// A delegated Graph token for `user` through the device-code grant.
pub async fn user_token(emu: &Emulator, http: &reqwest::Client, user: &str) -> String {
    let base = emu.base_url();
    let tid = emu.tenant_id();
    let dc: Value = http
        .post(format!("{base}/login/{tid}/oauth2/v2.0/devicecode"))
        .form(&[
            ("client_id", emu.public_client_id().as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert!(emu.approve_device_code(dc["user_code"].as_str().expect("code"), user));
    let v: Value = http
        .post(format!("{base}/login/{tid}/oauth2/v2.0/token"))
        .form(&[
            ("client_id", emu.public_client_id().as_str()),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", dc["device_code"].as_str().expect("device code")),
        ])
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    v["access_token"].as_str().expect("token").to_string()
}
