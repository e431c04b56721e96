//! Decisions that fit privileged access, in the window on the demo tenant: a governance admin
//! opens a two-stage review of directory roles (the campaign page and the worklist show the
//! stage), finds a standing active Global Administrator in the worklist and decides "convert to
//! eligible" with the `c` key; at close the campaign page counts the conversion, the remediation
//! preview shows it beside removals and offers to apply "1 conversion", and applying and
//! verifying it shows the standing assignment converted, verified as changed by re-reading the
//! tenant, in words and a local date. A governance admin defines canned justifications in
//! Settings, and a reviewer picks one in the decision note and adds their own words, recorded as
//! written. Each screen is saved as a screenshot.

use recert_emulator::Tenant;
use serde_json::json;

use crate::campaign::{demo_admins, invoke, sign_in};
use crate::window::Window;

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_converts_a_standing_global_administrator_to_eligible_and_sees_it_applied() {
    let tenant = Tenant::demo();
    let admins = demo_admins(&tenant);
    let admin = admins.iter().find(|a| !a.starts_with("breakglass")).expect("a demo admin").clone();
    let window = Window::open().await;
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "d01").await;
    window.wait_for_text("#acting-role", "Governance admin", 10).await;

    // A review of directory roles, the admin as the fallback reviewer (deciding for reviewers).
    let created = invoke(
        &window,
        "definition_create",
        json!({ "definition": {
            "tenantId": "demo", "name": "Standing access review",
            "scope": { "surfaces": ["directoryRole"], "roleIds": [GA], "kinds": "active",
                       "principalTypes": { "users": true, "guests": true, "groups": true, "servicePrincipals": true },
                       "exclusions": [] },
            "reviewers": { "source": "manager", "named": [], "fallback": [{ "upn": admin }], "rule": "firstDecides" },
            "schedule": { "start": "2026-01-01T09:00", "timeZone": "UTC", "durationDays": 14,
                          "recurrence": "none", "end": "never" },
            "settings": { "justificationOnApprove": false, "justificationOnDeny": true, "recommendations": false,
                          "lookBackDays": 90, "noResponse": "keep", "autoApply": false,
                          "remediationDeadlineDays": 14, "convertEligibleDays": 180 },
            "stages": [{ "reviewers": "governanceAdmins", "fallback": [{ "upn": admin }],
                         "rule": "firstDecides", "durationDays": 4, "takes": "dontKnow" }] } }),
    )
    .await;
    let definition = created["ok"]["definition"]["id"].as_str().expect("a definition").to_string();
    let campaign = invoke(&window, "campaign_open", json!({ "definitionId": definition })).await;
    let campaign = campaign["ok"]["id"].as_str().expect("an open campaign").to_string();
    let all =
        invoke(&window, "worklist", json!({ "campaignId": campaign, "query": { "limit": 1000 } }))
            .await;
    let me = invoke(&window, "acting", json!({ "tenantId": "demo" })).await["ok"]["person"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let target = all["ok"]["items"]
        .as_array()
        .and_then(|items| {
            items.iter().find(|i| {
                i["kind"] == "active"
                    && i["membership"] == "direct"
                    && i["principalType"] == "user"
                    && i["principalId"] != me.as_str()
                    && !i["principalUpn"].as_str().unwrap_or_default().starts_with("breakglass")
            })
        })
        .expect("a standing Global Administrator")
        .clone();
    let upn = target["principalUpn"].as_str().unwrap_or_default().to_string();

    // The worklist: find the person, move to the row and press c.
    window.click("#nav-campaigns").await;
    window.click("#campaign-table tbody tr button.link").await;
    window.wait_for_text("#campaign-stage", "stage 1 of 2", 30).await;
    window.click("#open-worklist").await;
    window.wait_for("#worklist #worklist-grid .row.item", 30).await;
    window.type_into("#worklist-search", &upn).await;
    let row = format!("#worklist-grid .row.item[data-item-id=\"{}\"]", target["id"]);
    window.wait_for(&row, 30).await;
    window.click(&format!("{row} .two")).await;
    window.wait_for("#detail-convert", 10).await;
    window.wait_for_text("#detail-stage", "1 of 2", 10).await;
    window.screenshot("d02-worklist-standing-global-admin").await;
    window.type_into("#worklist-grid", "c").await;
    window.wait_for_text("#toast", "Convert to eligible", 10).await;
    window.wait_for_text(&format!("{row} .decision"), "Convert to eligible", 10).await;
    window.screenshot("d03-worklist-converted").await;

    // Closed: the campaign counts the conversion.
    window.click("#worklist .crumbs button:nth-of-type(2)").await;
    window.wait_for("#close-early", 30).await;
    window.click("#close-early").await;
    window.type_into("#close-reason", "Standing access reviewed").await;
    window.click("#confirm-close").await;
    window.wait_for("#campaign-state [data-state=\"closed\"]", 30).await;
    window.wait_for_text("#outcome-convert", "1", 10).await;
    window.screenshot("d04-campaign-closed-with-conversion").await;

    // The remediation preview shows the conversion beside removals; applied and verified.
    window.click("#open-remediation").await;
    window.wait_for_text("#rem-conversions", "1", 30).await;
    let people = window.text("#remediation").await;
    assert!(people.contains("eligible until"), "the preview names the new end: {people}");
    window.wait_for_text("#apply-removals", "Apply 1 conversion", 10).await;
    window.screenshot("d05-remediation-preview-conversion").await;
    window.click("#apply-removals").await;
    window.click("#confirm-apply").await;
    window.wait_for_text("#rem-succeeded", "1", 60).await;
    window.click("#verify-removals").await;
    window.wait_for_text("#rem-verified", "1", 60).await;
    let journal = format!("#rem-actions-table tr[data-item-id=\"{}\"]", target["id"]);
    window.wait_for_text(&journal, "Verified changed as asked", 30).await;
    let line = window.text(&journal).await;
    assert!(line.contains("Converted") && line.contains("eligible until"), "{line}");
    assert!(!line.contains("verified-changed"), "words, not codes: {line}");
    window.screenshot("d06-remediation-converted-and-verified").await;
    let plan = invoke(&window, "remediation_plan", json!({ "campaignId": campaign })).await;
    let action = plan["ok"]["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["itemId"] == target["id"]))
        .expect("the conversion")
        .clone();
    assert_eq!(action["change"], "convert", "{action}");
    assert_eq!(action["state"], "succeeded", "{action}");
    assert_eq!(action["verification"], "verified-changed", "{action}");
    assert_eq!(action["eligibility"], "verified", "{action}");
    let end = action["newEnd"].as_str().expect("the eligibility's end");
    assert!(!line.contains(end) && !line.contains(&end[..10]), "a local date, not {end}: {line}");
    window.close().await;
}

/// The value of the form field matching `css` (a textarea's text is its value, not its content).
async fn value_of(window: &Window, css: &str) -> String {
    let v = window
        .client
        .execute("return document.querySelector(arguments[0]).value;", vec![json!(css)])
        .await
        .expect("the field's value");
    v.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_defines_canned_justifications_and_a_reviewer_picks_one_and_adds_words() {
    let tenant = Tenant::demo();
    let admins = demo_admins(&tenant);
    let admin = admins.iter().find(|a| !a.starts_with("breakglass")).expect("a demo admin").clone();
    let window = Window::open().await;
    window.client.set_window_size(1280, 800).await.expect("1280x800");
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "j00").await;
    window.wait_for_text("#acting-role", "Governance admin", 10).await;

    // Settings: the admin writes them one per line and saves (audited).
    window.click("#nav-settings").await;
    window.wait_for("#presets-text", 30).await;
    // Set as a paste would (a typed Enter is not a new line in every WebDriver), then the input
    // event the form listens to.
    window
        .client
        .execute(
            "const t = document.getElementById('presets-text'); t.value = arguments[0]; \
             t.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!("Still on the on-call rota\n\nLeft the team\nRole no longer used")],
        )
        .await
        .expect("the list typed");
    window.click("#save-presets").await;
    window.wait_for("#presets-saved", 10).await;
    assert_eq!(
        value_of(&window, "#presets-text").await,
        "Still on the on-call rota\nLeft the team\nRole no longer used",
        "saved as the backend keeps them: the blank line is gone"
    );
    window.screenshot("j01-settings-canned-justifications").await;

    // A campaign that wants a reason to deny, the admin its fallback reviewer.
    let created = invoke(
        &window,
        "definition_create",
        json!({ "definition": {
            "tenantId": "demo", "name": "Canned reasons",
            "scope": { "surfaces": ["directoryRole"], "roleIds": [], "kinds": "both",
                       "principalTypes": { "users": true, "guests": true, "groups": true, "servicePrincipals": true },
                       "exclusions": [] },
            "reviewers": { "source": "manager", "named": [], "fallback": [{ "upn": admin }], "rule": "firstDecides" },
            "schedule": { "start": "2026-01-01T09:00", "timeZone": "UTC", "durationDays": 14,
                          "recurrence": "none", "end": "never" },
            "settings": { "justificationOnApprove": false, "justificationOnDeny": true, "recommendations": true,
                          "lookBackDays": 90, "noResponse": "keep", "autoApply": false,
                          "remediationDeadlineDays": 14, "convertEligibleDays": 180 } } }),
    )
    .await;
    let definition = created["ok"]["definition"]["id"].as_str().expect("a definition").to_string();
    let campaign = invoke(&window, "campaign_open", json!({ "definitionId": definition })).await;
    let campaign = campaign["ok"]["id"].as_str().expect("an open campaign").to_string();
    window.click("#nav-reviews").await;
    window.click(&format!("#my-reviews [data-campaign-id=\"{campaign}\"] .start-review")).await;
    window.wait_for("#worklist #worklist-grid .row.item", 30).await;
    window.click("#worklist-grid .row.item .two").await;
    let item = window
        .client
        .execute(
            "return Number(document.querySelector('#worklist-grid .row.item.cursor').dataset.itemId);",
            vec![],
        )
        .await
        .expect("the cursor's item");

    // d asks for the reason: the picker offers the canned ones, and the reviewer adds words.
    window.type_into("#worklist-grid", "d").await;
    window.wait_for("#justification-preset", 10).await;
    let offered = window.text("#justification-preset").await;
    assert!(
        offered.contains("Left the team") && offered.contains("Role no longer used"),
        "{offered}"
    );
    window
        .client
        .execute(
            "const s = document.getElementById('justification-preset'); s.value = '1'; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("pick the second");
    assert_eq!(value_of(&window, "#justification").await, "Left the team");
    window.type_into("#justification", ". Moved to Finance in May").await;
    window.screenshot("j02-decision-with-canned-justification").await;
    window.click("#confirm-decision").await;
    window.wait_for_text("#toast", "Denied 1 item", 10).await;

    let trail =
        invoke(&window, "campaign_decisions", json!({ "campaignId": campaign, "itemId": item }))
            .await;
    let recorded = trail["ok"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(|d| d["justification"].as_str())
        .unwrap_or_default()
        .to_string();
    assert_eq!(recorded, "Left the team. Moved to Finance in May", "{trail}");
    let audit = invoke(
        &window,
        "audit_log",
        json!({ "query": { "kind": "setting.changed", "search": "justifications", "offset": 0, "limit": 10 } }),
    )
    .await;
    assert_eq!(audit["ok"]["total"], 1, "the change is audited: {audit}");
    window.close().await;
}
