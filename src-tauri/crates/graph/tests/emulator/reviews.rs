//! Publishing to Entra Access Reviews against the emulator over HTTPS: one review per role and
//! kind with the documented scope and settings, decisions read back page by page as a manager
//! makes and changes them, reminders, contacted reviewers, stop; a publication failing part-way
//! deletes what it created; mail with an attachment.

use chrono::NaiveDate;
use recert_domain::AssignmentKind;
use recert_emulator::{Faults, Options, Tenant};
use recert_graph::reviews::{self, CampaignRef, Mail, ReviewScope};

use crate::common;

/// Two roles of the demo tenant with eligible users, the busiest first.
fn roles(t: &Tenant) -> Vec<(String, String)> {
    let users: std::collections::HashSet<&str> =
        t.users().iter().filter_map(|u| u["id"].as_str()).collect();
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for i in t.eligibility_instances() {
        if users.contains(i["principalId"].as_str().unwrap_or_default()) {
            *counts.entry(i["roleDefinitionId"].as_str().unwrap_or_default()).or_default() += 1;
        }
    }
    let mut list: Vec<(&str, usize)> = counts.into_iter().collect();
    list.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    list.into_iter().take(2).map(|(id, _)| (id.to_string(), format!("Role {id}"))).collect()
}

fn campaign(t: &Tenant) -> CampaignRef {
    CampaignRef {
        id: "7".into(),
        name: "Q1 privileged access".into(),
        start: NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date"),
        end: NaiveDate::from_ymd_opt(2026, 12, 20).expect("a date"),
        justification_on_approve: false,
        fallback_reviewers: vec![t.users()[0]["id"].as_str().expect("an id").to_string()],
    }
}

fn scopes(t: &Tenant) -> Vec<ReviewScope> {
    roles(t)
        .into_iter()
        .flat_map(|(role_id, role_name)| {
            [AssignmentKind::Eligible, AssignmentKind::Active].map(|kind| ReviewScope {
                role_id: role_id.clone(),
                role_name: role_name.clone(),
                kind,
            })
        })
        .collect()
}

#[tokio::test]
async fn publish_sync_remind_and_stop() {
    let t = Tenant::demo();
    let env = common::start(t.clone(), Options { page_size: 3, ..Options::default() }).await;
    let client = env.app_client();
    let campaign = campaign(&t);
    let scopes = scopes(&t);

    let published = reviews::publish(&client, &campaign, &scopes).await.expect("published");
    assert_eq!(published.len(), 4);
    let defs = env.emu.access_review_definitions();
    assert_eq!(defs.len(), 4);
    for d in &defs {
        assert!(d["displayName"].as_str().is_some_and(|n| n.contains("Q1 privileged access")));
        assert!(d["descriptionForAdmins"].as_str().is_some_and(|n| n.contains("campaign 7")));
        assert_eq!(d["settings"]["autoApplyDecisionsEnabled"], false);
        assert_eq!(d["settings"]["defaultDecisionEnabled"], false);
        assert_eq!(d["settings"]["reminderNotificationsEnabled"], true);
        assert_eq!(d["settings"]["instanceDurationInDays"], 14);
        assert_eq!(d["reviewers"][0]["query"], "./manager");
        assert_eq!(d["reviewers"][0]["queryRoot"], "decisions");
        assert!(
            d["fallbackReviewers"][0]["query"].as_str().is_some_and(|q| q.starts_with("/users/"))
        );
    }

    // Every decision, over pages of three.
    let first = &published[0];
    assert_eq!(first.kind, AssignmentKind::Eligible);
    let state = reviews::read_review(&client, &first.definition_id).await.expect("read");
    assert_eq!(state.instances.len(), 1);
    assert!(state.pages.len() > 2, "decisions came in several pages");
    let expected = env
        .emu
        .access_review_decisions()
        .into_iter()
        .filter(|d| d["definitionId"] == first.definition_id.as_str())
        .count();
    assert_eq!(state.decisions.len(), expected);
    assert!(state.decisions.iter().all(|d| d.decision == "NotReviewed" && d.reviewed_by.is_none()));

    // A manager approves, then changes their mind before close: the second read sees the denial.
    let item = env
        .emu
        .access_review_decisions()
        .into_iter()
        .find(|d| d["definitionId"] == first.definition_id.as_str())
        .expect("an item");
    let did = item["decision"]["id"].as_str().expect("id").to_string();
    let reviewer = item["reviewers"][0].as_str().expect("a reviewer").to_string();
    env.emu
        .decide_access_review(&did, &reviewer, "Approve", "needed for on-call")
        .expect("decided");
    let approved = reviews::read_review(&client, &first.definition_id).await.expect("read");
    let d = approved.decisions.iter().find(|d| d.decision_id == did).expect("the decision");
    assert_eq!(d.decision, "Approve");
    env.emu
        .decide_access_review(&did, &reviewer, "Deny", "left the on-call rota")
        .expect("changed");
    let denied = reviews::read_review(&client, &first.definition_id).await.expect("read");
    let d = denied.decisions.iter().find(|d| d.decision_id == did).expect("the decision");
    assert_eq!(d.decision, "Deny");
    assert_eq!(d.justification, "left the on-call rota");
    assert_eq!(d.reviewed_by.as_ref().map(|r| r.0.to_ascii_lowercase()), Some(reviewer.clone()));
    assert!(d.reviewed_at.is_some());

    let (iid, _) = &denied.instances[0];
    let contacted =
        reviews::contacted_reviewers(&client, &first.definition_id, iid).await.expect("read");
    assert!(contacted.iter().any(|c| c.id.eq_ignore_ascii_case(&reviewer)));

    assert_eq!(reviews::send_reminders(&client, &denied).await.expect("reminded"), 1);
    assert_eq!(reviews::stop(&client, &denied).await.expect("stopped"), 1);
    let after = reviews::read_review(&client, &first.definition_id).await.expect("read");
    assert_eq!(after.instances[0].1, "Completed");
    assert_eq!(reviews::stop(&client, &after).await.expect("nothing to stop"), 0);
    assert_eq!(reviews::send_reminders(&client, &after).await.expect("none"), 0);

    // Never applied by Entra: no applyDecisions, no removal request.
    assert!(
        env.emu
            .mutation_log()
            .iter()
            .all(|m| !m.path.contains("applyDecisions") && !m.path.contains("ScheduleRequests"))
    );
}

#[tokio::test]
async fn a_failed_publication_leaves_nothing_behind() {
    let t = Tenant::demo();
    // The third Graph request fails: two reviews were created, the third is refused.
    let faults = Faults { error_every: 3, ..Faults::default() };
    let env = common::start(t.clone(), Options { faults, ..Options::default() }).await;
    let client = env.app_client();
    let err = reviews::publish(&client, &campaign(&t), &scopes(&t)).await.expect_err("fails");
    assert!(err.left_behind.is_empty(), "{err}");
    assert!(err.to_string().contains("nothing was left in Entra"), "{err}");
    env.emu.set_faults(Faults::default()).expect("faults cleared");
    assert!(env.emu.access_review_definitions().is_empty());
    let deletes =
        env.emu.mutation_log().iter().filter(|m| m.method == "DELETE" && m.status == 204).count();
    assert_eq!(deletes, 2);
}

#[tokio::test]
async fn a_reminder_mail_with_its_worklist_attached() {
    let t = Tenant::demo();
    let env = common::start(t.clone(), Options::default()).await;
    let client = env.app_client();
    let from = t.users()[0]["id"].as_str().expect("an id");
    let mail = Mail {
        to: "reviewer@contoso.com".into(),
        subject: "3 access review items wait for you".into(),
        text: "Please decide by 2026-12-20.".into(),
        attachment: Some((
            "worklist.csv".into(),
            "text/csv".into(),
            b"item,verdict\n1,\n".to_vec(),
        )),
    };
    reviews::send_mail(&client, from, &mail).await.expect("sent");
    let sent = env.emu.sent_mail();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["message"]["toRecipients"][0]["emailAddress"]["address"],
        "reviewer@contoso.com"
    );
    assert_eq!(sent[0]["message"]["attachments"][0]["contentBytes"], "aXRlbSx2ZXJkaWN0CjEsCg==");
}
