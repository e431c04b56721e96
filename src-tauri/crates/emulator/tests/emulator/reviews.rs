//! Access reviews and mail as the documentation shows them: a review of one role's eligible
//! users created with the documented scope, its instance and decisions (paged with `$skip`),
//! decisions recorded as the manager who reviews them, `stop`, `sendReminder`,
//! `contactedReviewers`, delete, `sendMail` kept for the admin surface, and the refusals.

use std::collections::BTreeSet;

use recert_emulator::Tenant;
use serde_json::{Value, json};

use crate::common;

const DEFS: &str = "/identityGovernance/accessReviews/definitions";

/// The role with the most eligible users in the demo tenant, and those users.
fn busiest_role(t: &Tenant) -> (String, BTreeSet<String>) {
    let users: BTreeSet<String> = t.users().iter().map(common::id_of).collect();
    let mut by_role: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for i in t.eligibility_instances() {
        let p = i["principalId"].as_str().unwrap_or_default().to_string();
        if users.contains(&p) {
            by_role
                .entry(i["roleDefinitionId"].as_str().unwrap_or_default().into())
                .or_default()
                .insert(p);
        }
    }
    by_role.into_iter().max_by_key(|(_, v)| v.len()).expect("a role with eligible users")
}

fn definition(role: &str, fallback: &str) -> Value {
    json!({
        "displayName": "Recert: Q1 review, eligible",
        "descriptionForAdmins": "Published by Recert for campaign 7",
        "descriptionForReviewers": "Review your reports' eligible role",
        "scope": {
            "@odata.type": "#microsoft.graph.accessReviewQueryScope",
            "query": format!("/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '{role}')"),
            "queryType": "MicrosoftGraph"
        },
        "reviewers": [{"query": "./manager", "queryType": "MicrosoftGraph", "queryRoot": "decisions"}],
        "fallbackReviewers": [{"query": format!("/users/{fallback}"), "queryType": "MicrosoftGraph"}],
        "settings": {
            "mailNotificationsEnabled": true, "reminderNotificationsEnabled": true,
            "justificationRequiredOnApproval": true, "defaultDecisionEnabled": false,
            "defaultDecision": "None", "instanceDurationInDays": 14,
            "autoApplyDecisionsEnabled": false, "recommendationsEnabled": true,
            "recurrence": {"pattern": {"type": "weekly", "interval": 1},
                           "range": {"type": "numbered", "startDate": "2026-12-07", "endDate": "2026-12-21"}}
        }
    })
}

#[tokio::test]
async fn a_role_review_from_creation_to_stop() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let (role, holders) = busiest_role(&t);
    let fallback = common::id_of(&t.users()[0]);

    let (status, created) = env.post(&tok, &env.graph(DEFS), &definition(&role, &fallback)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("an id").to_string();
    assert_eq!(created["status"], "InProgress");
    assert_eq!(created["settings"]["autoApplyDecisionsEnabled"], false);
    assert!(created["@odata.context"].as_str().is_some_and(|c| c.ends_with("definitions/$entity")));

    let (status, got) = env.get(&tok, &env.graph(&format!("{DEFS}/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(got["displayName"], "Recert: Q1 review, eligible");
    let (listed, _) = env.get_all(&tok, &env.graph(&format!("{DEFS}?$top=100&$skip=0"))).await;
    assert!(listed.iter().any(|d| d["id"] == id.as_str()));

    let (instances, _) = env.get_all(&tok, &env.graph(&format!("{DEFS}/{id}/instances"))).await;
    assert_eq!(instances.len(), 1);
    let iid = instances[0]["id"].as_str().expect("instance id").to_string();
    assert_eq!(instances[0]["status"], "InProgress");

    // Decisions page with `$skip`/`$top`: one per user holding the role, none yet reviewed.
    let url = env.graph(&format!("{DEFS}/{id}/instances/{iid}/decisions?$top=2"));
    let (decisions, pages) = env.get_all(&tok, &url).await;
    assert_eq!(pages, holders.len().div_ceil(2));
    let principals: BTreeSet<String> = decisions
        .iter()
        .map(|d| d["principal"]["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(principals, holders);
    assert!(
        decisions
            .iter()
            .all(|d| d["decision"] == "NotReviewed" && d["accessReviewId"] == iid.as_str())
    );
    let (status, first) = env.get(&tok, &url).await;
    assert_eq!(status, 200);
    assert_eq!(first["@odata.count"], holders.len());
    assert!(
        first["@odata.nextLink"]
            .as_str()
            .is_some_and(|l| l.contains("$skip=2") && l.contains("$top=2"))
    );

    // The manager decides; someone else may not; a changed mind overwrites.
    let items = env.emu.access_review_decisions();
    let item = items.iter().find(|i| i["instanceId"] == iid.as_str()).expect("an item");
    let did = item["decision"]["id"].as_str().expect("decision id");
    let reviewer = item["reviewers"][0].as_str().expect("a reviewer");
    let stranger = t
        .users()
        .iter()
        .map(common::id_of)
        .find(|u| {
            u != reviewer && !item["reviewers"].as_array().is_some_and(|r| r.contains(&json!(u)))
        })
        .expect("a stranger");
    assert!(env.emu.decide_access_review(did, &stranger, "Deny", "no").is_err());
    assert!(
        env.emu.decide_access_review(did, reviewer, "Approve", "").is_err(),
        "approval needs a justification here"
    );
    env.emu
        .decide_access_review(did, reviewer, "Approve", "on call")
        .expect("the reviewer decides");
    let r = env
        .http
        .post(format!("{}/_admin/accessReviews/decisions/{did}", env.emu.base_url()))
        .json(&json!({"reviewer": reviewer, "decision": "Deny", "justification": "moved teams"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
    let (decisions, _) =
        env.get_all(&tok, &env.graph(&format!("{DEFS}/{id}/instances/{iid}/decisions"))).await;
    let d = decisions.iter().find(|d| d["id"] == did).expect("the decision");
    assert_eq!(d["decision"], "Deny");
    assert_eq!(d["justification"], "moved teams");
    assert_eq!(
        d["reviewedBy"]["id"].as_str().map(str::to_ascii_lowercase).as_deref(),
        Some(reviewer)
    );
    assert!(d["reviewedDateTime"].is_string());

    let (contacted, _) = env
        .get_all(&tok, &env.graph(&format!("{DEFS}/{id}/instances/{iid}/contactedReviewers")))
        .await;
    assert!(
        contacted
            .iter()
            .any(|c| c["id"].as_str().map(str::to_ascii_lowercase).as_deref() == Some(reviewer))
    );
    assert!(
        contacted
            .iter()
            .all(|c| c["userPrincipalName"].is_string() && c["createdDateTime"].is_string())
    );

    let r = env
        .http
        .post(env.graph(&format!("{DEFS}/{id}/instances/{iid}/sendReminder")))
        .bearer_auth(&tok)
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 204);
    assert_eq!(env.emu.access_review_reminders().len(), 1);

    let r = env
        .http
        .post(env.graph(&format!("{DEFS}/{id}/instances/{iid}/stop")))
        .bearer_auth(&tok)
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 204);
    let (instances, _) = env.get_all(&tok, &env.graph(&format!("{DEFS}/{id}/instances"))).await;
    assert_eq!(instances[0]["status"], "Completed");
    assert!(
        env.emu.decide_access_review(did, reviewer, "Approve", "too late").is_err(),
        "a stopped review takes no decisions"
    );

    let r = env
        .http
        .delete(env.graph(&format!("{DEFS}/{id}")))
        .bearer_auth(&tok)
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 204);
    let (status, _) = env.get(&tok, &env.graph(&format!("{DEFS}/{id}"))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn refusals_and_mail() {
    let t = Tenant::demo();
    let env = common::demo().await;
    let tok = env.graph_token().await;
    let (role, _) = busiest_role(&t);
    let fallback = common::id_of(&t.users()[0]);

    // Without AccessReview.ReadWrite.All: 403, nothing created.
    let (id, secret) = env.emu.readonly_client();
    let ro = env.token(&id, &secret, "https://graph.microsoft.com/.default").await;
    let (status, body) = env.post(&ro, &env.graph(DEFS), &definition(&role, &fallback)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert!(env.emu.access_review_definitions().is_empty());

    // A required property missing, or a scope this tenant cannot review: 400.
    let mut no_desc = definition(&role, &fallback);
    no_desc.as_object_mut().map(|m| m.remove("descriptionForReviewers"));
    assert_eq!(env.post(&tok, &env.graph(DEFS), &no_desc).await.0, 400);
    let mut groups = definition(&role, &fallback);
    groups["scope"]["query"] = json!("/groups/x/transitiveMembers");
    assert_eq!(env.post(&tok, &env.graph(DEFS), &groups).await.0, 400);

    // sendMail: 202, no body, the message kept.
    let mail = json!({"message": {
        "subject": "Access review: 3 items wait for you",
        "body": {"contentType": "Text", "content": "Please review by Friday."},
        "toRecipients": [{"emailAddress": {"address": "someone@contoso.com"}}],
        "attachments": [{"@odata.type": "#microsoft.graph.fileAttachment", "name": "worklist.csv",
                         "contentType": "text/csv", "contentBytes": "aWQsdmVyZGljdAo="}]
    }, "saveToSentItems": false});
    let r = env
        .http
        .post(env.graph(&format!("/users/{fallback}/sendMail")))
        .bearer_auth(&tok)
        .json(&mail)
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 202);
    assert!(r.bytes().await.expect("body").is_empty());
    let sent = env.emu.sent_mail();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["message"]["attachments"][0]["name"], "worklist.csv");
    let admin: Value = env
        .http
        .get(format!("{}/_admin/mail", env.emu.base_url()))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(admin, Value::Array(sent));
    // Without Mail.Send: 403.
    let (status, _) =
        env.post(&ro, &env.graph(&format!("/users/{fallback}/sendMail")), &mail).await;
    assert_eq!(status, 403);
}
