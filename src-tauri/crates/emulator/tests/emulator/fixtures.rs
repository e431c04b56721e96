//! Fixture files: loading, round trip, and errors that name the file, the key and the problem.

use std::io::Write;

use recert_emulator::{GenerateOptions, Options, Tenant};
use serde_json::{Value, json};

use crate::common;

fn minimal() -> Value {
    json!({
        "organization": [ { "id": "11111111-2222-3333-4444-555555555555", "displayName": "Fixture Co",
            "verifiedDomains": [ { "name": "fixture.example", "isDefault": true } ] } ],
        "users": [
            { "id": "u1", "displayName": "Ada", "userPrincipalName": "ada@fixture.example", "accountEnabled": true, "userType": "Member" },
            { "id": "u2", "displayName": "Bo", "userPrincipalName": "bo@fixture.example", "accountEnabled": false, "userType": "Guest" }
        ],
        "groups": [ { "id": "g1", "displayName": "Admins", "isAssignableToRole": true } ],
        "roleDefinitions": { "value": [ { "id": "62e90394-69f5-4237-9190-012177145e10", "displayName": "Global Administrator", "isBuiltIn": true } ] },
        "roleEligibilityScheduleInstances": [
            { "id": "e1", "principalId": "u2", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/", "startDateTime": "2024-01-01T00:00:00Z", "endDateTime": null }
        ],
        "roleAssignmentScheduleInstances": [
            { "id": "a1", "principalId": "u1", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10" }
        ],
        "managers": { "u2": "u1" },
        "members": { "g1": ["u1", "u2"] }
    })
}

#[tokio::test]
async fn a_fixture_file_is_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tenant.json");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(minimal().to_string().as_bytes()))
        .expect("written");
    let t = Tenant::from_fixture_file(&path).expect("loads");
    assert_eq!(t.display_name(), "Fixture Co");
    assert_eq!(t.eligibility_count("62e90394-69f5-4237-9190-012177145e10"), 1);
    let env = common::start(t, Options::default()).await;
    assert_eq!(env.emu.tenant_id(), "11111111-2222-3333-4444-555555555555");
    assert_eq!(env.emu.tenant_name(), "Fixture Co");
    let tok = env.graph_token().await;
    let (s, v) = env
        .get(
            &tok,
            &env.graph(
                "/roleManagement/directory/roleAssignmentScheduleInstances?$expand=principal",
            ),
        )
        .await;
    assert_eq!(s, 200);
    // Missing fields get Graph's defaults.
    assert_eq!(v["value"][0]["assignmentType"], "Assigned");
    assert_eq!(v["value"][0]["memberType"], "Direct");
    assert_eq!(v["value"][0]["principal"]["userPrincipalName"], "ada@fixture.example");
    let (s, v) = env.get(&tok, &env.graph("/users/u2/manager")).await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], "u1");
    // Users by their domain tenant name work at the login host too.
    let url = format!(
        "{}/login/fixture.example/v2.0/.well-known/openid-configuration",
        env.emu.base_url()
    );
    assert_eq!(env.http.get(url).send().await.expect("answered").status(), 200);
}

#[test]
fn a_generated_tenant_round_trips_through_the_fixture_format() {
    let t = Tenant::generate(&GenerateOptions {
        seed: 9,
        users: 80,
        assignments: 200,
        ..GenerateOptions::default()
    });
    let text = t.to_fixture_json().to_string();
    let back = Tenant::from_fixture_str("generated.json", &text).expect("round trip");
    assert_eq!(back.users(), t.users());
    assert_eq!(back.eligibility_instances(), t.eligibility_instances());
    assert_eq!(back.assignment_instances(), t.assignment_instances());
    assert_eq!(back.managers(), t.managers());
    assert_eq!(back.group_members(), t.group_members());
    assert_eq!(
        back.arm().role_assignment_schedule_instances,
        t.arm().role_assignment_schedule_instances
    );
    assert_eq!(back.instance_count(), 200);
}

fn broken(edit: impl FnOnce(&mut Value)) -> recert_emulator::FixtureError {
    let mut doc = minimal();
    edit(&mut doc);
    Tenant::from_fixture_str("broken.json", &doc.to_string()).expect_err("must fail")
}

#[test]
fn broken_fixtures_name_file_key_and_problem() {
    let e = Tenant::from_fixture_str("syntax.json", "{ \"users\": [ }").expect_err("syntax");
    assert_eq!(e.file, "syntax.json");
    assert!(e.problem.contains("line 1"), "{e}");

    let e = broken(|d| d["roleEligibilityScheduleInstances"][0]["principalId"] = json!("ghost"));
    assert_eq!(e.file, "broken.json");
    assert_eq!(e.key, "roleEligibilityScheduleInstances[0].principalId");
    assert!(e.problem.contains("ghost"));
    let text = e.to_string();
    assert!(
        text.contains("broken.json")
            && text.contains("roleEligibilityScheduleInstances[0].principalId")
            && text.contains("ghost")
    );

    let e = broken(|d| d["users"][1]["userPrincipalName"] = json!(42));
    assert_eq!(e.key, "users[1].userPrincipalName");
    assert!(e.problem.contains("must be a string"));

    let e = broken(|d| d["roleAssignmentScheduleInstances"][0]["roleDefinitionId"] = json!("nope"));
    assert_eq!(e.key, "roleAssignmentScheduleInstances[0].roleDefinitionId");

    let e = broken(|d| d["usres"] = json!([]));
    assert_eq!(e.key, "usres");
    assert!(e.problem.contains("unknown key"));

    let e = broken(|d| d["managers"]["u2"] = json!("nobody"));
    assert_eq!(e.key, "managers.u2");

    let e = broken(|d| d["members"]["g1"] = json!(["u1", "zzz"]));
    assert_eq!(e.key, "members.g1[1]");

    let e = broken(|d| d["users"][1]["id"] = json!("u1"));
    assert_eq!(e.key, "users[1].id");
    assert!(e.problem.contains("duplicate"));

    let e = broken(|d| d["roleEligibilityScheduleInstances"][0]["endDateTime"] = json!("tomorrow"));
    assert_eq!(e.key, "roleEligibilityScheduleInstances[0].endDateTime");

    let e = broken(|d| {
        if let Some(m) = d.as_object_mut() {
            m.remove("organization");
        }
    });
    assert_eq!(e.key, "organization");

    let e = broken(|d| d["organization"][0]["id"] = json!("not-a-guid"));
    assert_eq!(e.key, "organization[0].id");

    let e = broken(|d| d["azure"] = json!({ "subscriptions": [ { "displayName": "x" } ] }));
    assert_eq!(e.key, "azure.subscriptions[0].subscriptionId");

    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.json");
    let e = Tenant::from_fixture_file(&missing).expect_err("missing file");
    assert_eq!(e.file, missing.display().to_string());
    assert_eq!(e.key, "(file)");
}

#[test]
fn the_shipped_example_fixture_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/small.json");
    let t = Tenant::from_fixture_file(&path).expect("the example fixture loads");
    assert!(!t.users().is_empty());
    assert!(t.instance_count() > 0);
}
