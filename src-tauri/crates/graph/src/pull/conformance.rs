//! Conformance with Microsoft's documented examples: each example response in
//! `tests/fixtures/graph-docs/` that the pull reads is parsed by the pull's own readers, and the
//! fields Recert uses come out as the example states them.

use serde_json::Value;

use super::*;
use crate::client::parse_retry_after;

/// The documented entries of one file of `tests/fixtures/graph-docs/`.
fn docs(file: &str) -> Vec<Value> {
    let path = format!("{}/../../../tests/fixtures/graph-docs/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Removes the trailing commas some published examples carry, so the body reads as JSON.
fn lenient(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' && (i == 0 || chars[i - 1] != '\\') {
            in_string = !in_string;
        }
        if c == ',' && !in_string {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                i += 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The response body of the example named `example` (as text, as the service would send it).
fn response(file: &str, example: &str) -> String {
    let entry = docs(file)
        .into_iter()
        .find(|e| {
            e["example"].as_str() == Some(example)
                && matches!(e["kind"].as_str(), Some("response") | Some("error"))
        })
        .unwrap_or_else(|| panic!("{file} has no response for {example}"));
    match (&entry["body"], entry["body_text"].as_str()) {
        (Value::Null, Some(text)) => lenient(text),
        (body, _) => body.to_string(),
    }
}

fn items<T: serde::de::DeserializeOwned>(body: &str) -> Vec<T> {
    #[derive(serde::Deserialize)]
    struct Page<T> {
        value: Vec<T>,
    }
    serde_json::from_str::<Page<T>>(body).expect("a documented page parses").value
}

#[test]
fn documented_directory_role_instances_read_as_assignments() {
    let body = response("role-instances.json", "list_unifiedroleassignmentscheduleinstance");
    let found: Vec<DirectoryInstance> = items(&body);
    assert!(!found.is_empty());
    let first = directory_instance(
        serde_json::from_value(
            serde_json::from_str::<Value>(&body).expect("json")["value"][0].clone(),
        )
        .expect("an instance"),
        AssignmentKind::Active,
        "u",
    )
    .expect("valid")
    .expect("a standing assignment, not an activation");
    assert_eq!(first.source_id, "lAPpYvVpN0KRkAEhdxReEAWz5Gtet_xOv8wxvTtTpfg-1");
    assert_eq!(first.principal_id, "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8");
    assert_eq!(first.role_id, "62e90394-69f5-4237-9190-012177145e10");
    assert_eq!(first.scope, "/");
    assert_eq!(first.membership, Membership::Direct);
    assert!(first.start.is_none() && first.end.is_none(), "permanent: both dates null (fact 4)");
    for instance in found {
        let read =
            directory_instance(instance, AssignmentKind::Active, "u").expect("every item reads");
        assert!(read.is_ok(), "the documented items are standing assignments");
    }

    let body = response("role-instances.json", "list_unifiedroleeligibilityscheduleinstance");
    let found: Vec<DirectoryInstance> = items(&body);
    let eligible =
        directory_instance(found.into_iter().next().expect("one"), AssignmentKind::Eligible, "u")
            .expect("valid")
            .expect("an eligibility");
    assert_eq!(eligible.principal_id, "071cc716-8147-4397-a5ba-b2105951cc0b");
    assert_eq!(eligible.role_id, "8424c6f0-a189-499e-bbd0-26c1753c96d4");
    assert_eq!(
        eligible.start.map(|t| t.to_rfc3339()).as_deref(),
        Some("2022-04-12T14:44:50.287+00:00")
    );
    assert_eq!(eligible.end.map(|t| t.to_rfc3339()).as_deref(), Some("2024-04-10T00:00:00+00:00"));
}

#[test]
fn documented_groups_read_with_what_decides_whether_pim_for_groups_is_asked() {
    let body = response("groups.json", "Example 1: Get a list of groups");
    let found: Vec<groups::ListedGroup> = items(&body);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].id.as_deref(), Some("45b7d2e7-b882-4a80-ba97-10b7a63b8fa4"));
    assert_eq!(found[0].group_types.as_deref(), Some(&["Unified".to_string()][..]));
    // `isAssignableToRole` and `onPremisesSyncEnabled` are `null` in the example: read as "no".
    for group in &found {
        assert_eq!(group.is_assignable_to_role, None);
        assert_eq!(group.on_premises_sync_enabled, None);
        assert_eq!(group.ungovernable(), None, "a Microsoft 365 or security group is governable");
    }
    let chosen = groups::choose(&found, &[]);
    assert!(chosen.ids.is_empty() && chosen.gaps.is_empty(), "neither is role-assignable");
    let named = groups::choose(&found, &["D7797254-3084-44D0-99C9-A3B5AB149538".to_string()]);
    assert_eq!(named.ids, vec!["d7797254-3084-44d0-99c9-a3b5ab149538".to_string()]);
}

#[test]
fn documented_pim_for_groups_instances_read_with_their_group_and_access() {
    for (example, assignment) in [
        ("list_privilegedaccessgroupassignmentscheduleinstance", true),
        ("list_privilegedaccessgroupeligibilityscheduleinstance", false),
    ] {
        let body = response("group-pim.json", example);
        let found: Vec<GroupInstance> = items(&body);
        assert!(!found.is_empty(), "{example}");
        for i in &found {
            assert_eq!(
                i.group_id.as_deref(),
                Some("2b5ed229-4072-478d-9504-a047ebd4b07d"),
                "{example}"
            );
            assert!(
                matches!(i.access_id.as_deref(), Some("member") | Some("owner")),
                "{example}: {:?}",
                i.access_id
            );
            assert!(i.principal_id.as_deref().is_some_and(|p| !p.is_empty()));
            assert!(i.id.as_deref().is_some_and(|id| id.starts_with("2b5ed229")));
            // "Direct" as published, where the enum says `direct`: read either way.
            assert!(i.member_type.as_deref().is_some_and(|m| m.eq_ignore_ascii_case("direct")));
            // A permanent assignment may have no start (`null`, as in the assignment example).
            assert!(
                i.start_date_time.is_none() || parse_time(i.start_date_time.as_deref()).is_some(),
                "{:?}",
                i.start_date_time
            );
            if assignment {
                assert!(equals(&i.assignment_type, "assigned"), "{:?}", i.assignment_type);
            }
        }
    }
}

#[test]
fn documented_get_by_ids_objects_read_as_principals_with_account_state() {
    let body = response("directory-objects.json", "directoryobject_getById");
    let found: Vec<Principal> =
        items::<DirectoryObject>(&body).into_iter().filter_map(principal).collect();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].kind, PrincipalKind::User, "from `@odata.type`");
    assert_eq!(found[0].display_name, "Trevor Jones");
    assert_eq!(found[0].account_enabled, Some(true));
    assert_eq!(found[1].display_name, "Billy Smith");
}

#[test]
fn documented_user_answers_read_as_manager_and_last_sign_in() {
    // The manager chain example: the immediate manager is the first level.
    let body = response("users.json", "Example 2: Get manager chain up to the root level");
    let step: UserStep = serde_json::from_str(&body).expect("a user with its managers");
    assert_eq!(
        step.manager.and_then(|m| filled(m.id)).as_deref(),
        Some("7d54cb02-aaa3-4016-9f9c-a4b49422dd9b")
    );
    // signInActivity as documented: a never-used non-interactive time ("0001-01-01") is no time.
    let body = response("users.json", "Example 11: Get users including their last sign-in time");
    let users: Vec<UserStep> = items(&body);
    let first = last_sign_in(users.into_iter().next().and_then(|u| u.sign_in_activity));
    assert_eq!(first.map(|t| t.to_rfc3339()).as_deref(), Some("2021-06-17T16:41:33+00:00"));
    // A plain GET of a user (default properties) has neither, and reads as such.
    let body = response("users.json", "Example 1: Standard users request");
    let step: UserStep = serde_json::from_str(&body).expect("a user");
    assert!(step.manager.is_none() && step.sign_in_activity.is_none());
}

#[test]
fn documented_role_definitions_read_with_id_name_and_built_in() {
    let body = response(
        "role-definitions.json",
        "Example 1: Retrieve role definitions for the directory provider",
    );
    let roles: Vec<Value> = items(&body);
    assert!(!roles.is_empty());
    let first = &roles[0];
    assert_eq!(text(first, "id").as_deref(), Some("729827e3-9c14-49f7-bb1b-9608f156bbb8"));
    assert_eq!(text(first, "displayName").as_deref(), Some("Helpdesk Administrator"));
    assert_eq!(first.get("isBuiltIn").and_then(Value::as_bool), Some(true));
}

#[test]
fn documented_batch_answers_and_errors_read_as_typed_failures() {
    let body = response("batch.json", "Example JSON batch request / response");
    let envelope: Value = serde_json::from_str(&body).expect("json");
    let steps = envelope["responses"].as_array().expect("responses");
    let step = |id: &str| steps.iter().find(|s| s["id"] == id).expect("a step");
    let denied = crate::RawBatchResponse {
        url: "/groups/0e226165-c685-41ce-8bfc-df8360ab325d".into(),
        status: 403,
        body: serde_json::value::RawValue::from_string(step("3")["body"].to_string()).ok(),
    };
    let err = denied
        .error("https://graph.microsoft.com/v1.0/groups/0e226165-c685-41ce-8bfc-df8360ab325d");
    assert_eq!(err.code(), "permissionMissing", "{err}");
    assert!(err.to_string().contains("Authorization_RequestDenied"), "{err}");
    assert_eq!(err.request_id(), Some("93b6f17e-c05d-4f45-ad2a-6665c708d8a0"));
    // The throttling page's 429: its body and its fractional Retry-After.
    let body = response("batch.json", "Sample response (throttled)");
    let err = GraphError::from_response(
        429,
        None,
        body.as_bytes(),
        "https://graph.microsoft.com/v1.0/users",
    );
    assert_eq!(err.code(), "TooManyRequests");
    let retry = docs("batch.json")
        .into_iter()
        .find(|e| e["example"] == "Sample response (throttled)")
        .and_then(|e| e["headers"]["Retry-After"].as_str().map(str::to_string))
        .expect("a Retry-After");
    assert_eq!(parse_retry_after(&retry), Some(std::time::Duration::from_millis(2128)));
}

#[test]
fn documented_advanced_query_errors_keep_their_codes() {
    for entry in docs("errors.json").into_iter().filter(|e| e["kind"] == "error") {
        let body = entry["body"].to_string();
        let err = GraphError::from_response(
            400,
            None,
            body.as_bytes(),
            "https://graph.microsoft.com/v1.0/users",
        );
        assert_eq!(err.code(), entry["body"]["error"]["code"].as_str().unwrap_or_default());
        assert_eq!(
            err.request_id(),
            entry["body"]["error"]["innerError"]["request-id"].as_str(),
            "{}",
            entry["example"]
        );
    }
}

#[test]
fn a_pim_permission_refusal_names_the_inner_code_and_the_permission() {
    // The shape reported from real tenants for PIM's endpoints: `UnknownError` wrapping PIM's
    // own error as JSON text.
    let body = br#"{"error":{"code":"UnknownError","message":"{\"errorCode\":\"PermissionScopeNotGranted\",\"message\":\"Authorization failed due to missing permission scope RoleEligibilitySchedule.ReadWrite.Directory,RoleManagement.ReadWrite.Directory.\",\"instanceAnnotations\":[]}","innerError":{"date":"2023-08-01T06:45:07","request-id":"43e63764-47fb-4790-8f24-7be256e356ab","client-request-id":"7f905906-88f7-1815-3e32-f08d2606cbf4"}}}"#;
    let url = "https://graph.microsoft.com/v1.0/roleManagement/directory/roleEligibilityScheduleInstances";
    let err = GraphError::from_response(403, None, body, url);
    assert_eq!(err.code(), "permissionMissing");
    let text = err.to_string();
    assert!(text.contains("PermissionScopeNotGranted"), "{text}");
    assert!(text.contains("missing permission scope RoleEligibilitySchedule"), "{text}");
    assert_eq!(err.request_id(), Some("43e63764-47fb-4790-8f24-7be256e356ab"));
}

#[test]
fn documented_arm_instances_carry_what_the_pull_reads() {
    // The ARM lists are read as JSON trees (`azure_roles`): each documented or recorded item has
    // the id and the properties it takes.
    let mut seen = 0;
    for entry in docs("arm.json").into_iter().filter(|e| e["kind"] == "response") {
        let Some(values) = entry["body"]["value"].as_array() else { continue };
        for item in values {
            let props = &item["properties"];
            if props.get("principalId").is_none() {
                continue;
            }
            seen += 1;
            assert!(text(item, "id").is_some(), "{}", entry["example"]);
            assert!(text(props, "roleDefinitionId").is_some());
            assert!(text(props, "scope").is_some());
            let role = arm_role_guid(&text(props, "roleDefinitionId").unwrap_or_default());
            assert_eq!(role.len(), 36, "a role GUID from {role}");
        }
    }
    assert!(seen > 0, "arm.json has instance lists");
}
