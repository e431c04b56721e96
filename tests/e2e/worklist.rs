//! The reviewer's worklist in the window on the demo tenant, at 1280×800 and at 1024×700: the
//! decision column stays on screen (at 1024 the detail pane lies over the list when asked for),
//! a recommendation's reason is not cut to one line, `u` undoes the last action whatever it was
//! (a decision, accepted recommendations, a return to undecided), the pane returns an item to
//! undecided, and "Accept recommendations" says how many approvals and denials, per role, before
//! it is confirmed. Each screen is saved as a screenshot.

use recert_emulator::Tenant;
use serde_json::json;

use crate::campaign::{demo_admins, invoke, sign_in};
use crate::window::Window;

/// The first row's decision cell lies inside the window: its right edge and the window's width.
async fn decision_fits(window: &Window) -> (f64, f64) {
    let v = window
        .client
        .execute(
            "const r = document.querySelector('#worklist-grid .row.item .decision').getBoundingClientRect(); \
             return [r.right, document.documentElement.clientWidth, r.width];",
            vec![],
        )
        .await
        .expect("the decision cell's place");
    let n = |i: usize| v[i].as_f64().unwrap_or(f64::NAN);
    assert!(n(2) > 40.0, "the decision column has room: {v}");
    (n(0), n(1))
}

/// How many of the reviewer's items are undecided, as the backend counts them.
async fn undecided(window: &Window, campaign: &str, reviewer: &str) -> u64 {
    let query = json!({ "reviewer": reviewer, "decision": "undecided", "limit": 1 });
    let page = invoke(window, "worklist", json!({ "campaignId": campaign, "query": query })).await;
    page["ok"]["total"].as_u64().unwrap_or_else(|| panic!("a count: {page}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_works_the_list_at_1280_and_1024_and_undoes_whatever_they_did() {
    let tenant = Tenant::demo();
    let admins = demo_admins(&tenant);
    let admin = admins.iter().find(|a| !a.starts_with("breakglass")).expect("a demo admin").clone();
    let window = Window::open().await;
    window.client.set_window_size(1280, 800).await.expect("1280x800");
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "w00").await;
    window.wait_for_text("#acting-role", "Governance admin", 10).await;

    let created = invoke(
        &window,
        "definition_create",
        json!({ "definition": {
            "tenantId": "demo", "name": "Worklist at scale",
            "scope": { "surfaces": ["directoryRole"], "roleIds": [], "kinds": "both",
                       "principalTypes": { "users": true, "guests": true, "groups": true, "servicePrincipals": true },
                       "exclusions": [] },
            "reviewers": { "source": "manager", "named": [], "fallback": [{ "upn": admin }], "rule": "firstDecides" },
            "schedule": { "start": "2026-01-01T09:00", "timeZone": "UTC", "durationDays": 14,
                          "recurrence": "none", "end": "never" },
            "settings": { "justificationOnApprove": false, "justificationOnDeny": false, "recommendations": true,
                          "lookBackDays": 90, "noResponse": "keep", "autoApply": false,
                          "remediationDeadlineDays": 14, "convertEligibleDays": 180 } } }),
    )
    .await;
    let definition = created["ok"]["definition"]["id"].as_str().expect("a definition").to_string();
    let campaign = invoke(&window, "campaign_open", json!({ "definitionId": definition })).await;
    let campaign = campaign["ok"]["id"].as_str().expect("an open campaign").to_string();
    // The admin's own worklist ("My reviews": the items routed to them as the fallback).
    window.click("#nav-reviews").await;
    window.click(&format!("#my-reviews [data-campaign-id=\"{campaign}\"] .start-review")).await;
    window.wait_for("#worklist #worklist-grid .row.item", 30).await;
    let (right, width) = decision_fits(&window).await;
    assert!(right <= width, "at 1280 the decision column is on screen: {right} > {width}");
    window.screenshot("w01-worklist-1280").await;

    // A decision, undone with u: the item is undecided again (taken back, audited).
    window.click("#worklist-grid .row.item .two").await;
    window.type_into("#worklist-grid", "a").await;
    window.wait_for_text("#toast", "Approved 1 item", 10).await;
    window.type_into("#worklist-grid", "u").await;
    window.wait_for_text("#toast", "Undone: 1 item undecided again.", 10).await;
    window.screenshot("w02-undone-decision").await;

    // The pane returns a decided item to undecided; u decides it again.
    window.type_into("#worklist-grid", "k").await;
    window.type_into("#worklist-grid", "d").await;
    window.wait_for_text("#toast", "Denied 1 item", 10).await;
    window.type_into("#worklist-grid", "k").await;
    window.wait_for_text("#detail-decision", "Denied", 10).await;
    window.click("#detail-undecide").await;
    window.wait_for_text("#toast", "1 item undecided again.", 10).await;
    window.wait_for_text("#detail-decision", "Not decided yet", 10).await;
    window.type_into("#worklist-grid", "u").await;
    window.wait_for_text("#toast", "Undone: 1 item as before.", 10).await;
    window.wait_for_text("#detail-decision", "Denied", 10).await;

    // Accepting recommendations says what it will do, per role, before it does it; u undoes it.
    let before = undecided(&window, &campaign, &admin).await;
    window.click("#accept-recommendations").await;
    let summary = window.wait_for_text("#accept-summary", "approval", 30).await;
    assert!(summary.contains("denial"), "approvals and denials are counted: {summary}");
    window.wait_for("#accept-roles tbody tr", 10).await;
    let confirm = window.text("#confirm-accept").await;
    assert!(confirm.starts_with("Approve "), "the button says what it does: {confirm}");
    window.screenshot("w03-accept-preview").await;
    window.click("#confirm-accept").await;
    let accepted = window.wait_for_text("#toast", "Accepted", 30).await;
    window.type_into("#worklist-grid", "u").await;
    window.wait_for_text("#toast", "undecided again.", 30).await;
    window.screenshot("w04-accept-undone").await;
    assert_eq!(
        undecided(&window, &campaign, &admin).await,
        before,
        "{accepted:?} is undone: as many undecided as before"
    );

    // 1024×700: every column stays, the pane lies over the list when asked for (i).
    window.client.set_window_size(1024, 700).await.expect("1024x700");
    window.wait_for("#toggle-detail", 10).await;
    let (right, width) = decision_fits(&window).await;
    assert!(right <= width, "at 1024 the decision column is on screen: {right} > {width}");
    window.screenshot("w05-worklist-1024").await;
    window.type_into("#worklist-grid", "i").await;
    window.wait_for("#item-detail #detail-name", 10).await;
    window.screenshot("w06-worklist-1024-details").await;
    window.close().await;
}
