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

/// Cut text in the visible rows that nothing shows whole: each element whose text overflows its
/// box (ended with "…") and has no tooltip (`title`) to show it (a recommendation's line is its
/// badge and its reason, which has its own). Empty when every cut word can be read on hover.
async fn cut_without_tooltip(window: &Window) -> Vec<String> {
    let v = window
        .client
        .execute(
            "const out = []; \
             for (const el of document.querySelectorAll('#worklist-grid .row.item .two > :not(.rec-line), #worklist-grid .row.item .reason')) { \
               const cut = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1; \
               const text = el.textContent.trim(); \
               const title = (el.getAttribute('title') || '').trim(); \
               if (cut && text && !title) out.push(text); \
             } \
             return out;",
            vec![],
        )
        .await
        .expect("the rows' text");
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The holders of the rows on screen, in order, as `name|UPN` (the object id where none).
async fn row_people(window: &Window) -> Vec<String> {
    let v = window
        .client
        .execute(
            "return [...document.querySelectorAll('#worklist-grid .row.item[data-item-id]')].map(r => \
               r.querySelector('.person strong').textContent.trim() + '|' + \
               r.querySelector('.person .muted').getAttribute('title'));",
            vec![],
        )
        .await
        .expect("the rows");
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Moves the cursor to the item whose id is given, found by searching its holder's name.
async fn go_to(window: &Window, item: &serde_json::Value) {
    let id = item["id"].as_u64().expect("an item id");
    let name = item["principalName"].as_str().expect("a name");
    let search = window.wait_for("#worklist-search", 10).await;
    search.clear().await.expect("clear the search");
    window.type_into("#worklist-search", name).await;
    window.click(&format!("#worklist-grid .row.item[data-item-id=\"{id}\"] .two")).await;
    window.wait_for_text("#detail-name", name, 10).await;
}

/// The reviewer's facts in the window, at 1280×800 and 1024×700: each role's tier in the row
/// (critical by the safety settings, privileged by a permission, with the fact on hover) and in
/// the pane, a custom role's permissions, the administrative unit's and the subscription's names
/// in the scope; and no name, UPN, role or reason cut without a tooltip that shows it whole, in
/// any visible row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviewer_sees_how_privileged_each_role_is_and_where_it_applies_by_name() {
    let tenant = Tenant::demo();
    let admins = demo_admins(&tenant);
    let admin = admins.iter().find(|a| !a.starts_with("breakglass")).expect("a demo admin").clone();
    let window = Window::open().await;
    window.client.set_window_size(1280, 800).await.expect("1280x800");
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "f00").await;
    window.wait_for_text("#acting-role", "Governance admin", 10).await;
    let created = invoke(
        &window,
        "definition_create",
        json!({ "definition": {
            "tenantId": "demo", "name": "Role facts",
            "scope": { "surfaces": ["directoryRole", "azureRole"], "roleIds": [], "kinds": "both",
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
    let mut items: Vec<serde_json::Value> = Vec::new();
    loop {
        let query = json!({ "limit": 1000, "offset": items.len() });
        let page =
            invoke(&window, "worklist", json!({ "campaignId": campaign, "query": query })).await;
        let got = page["ok"]["items"].as_array().cloned().unwrap_or_default();
        if got.is_empty() {
            break;
        }
        items.extend(got);
    }
    let find = |f: &dyn Fn(&serde_json::Value) -> bool| items.iter().find(|i| f(i)).cloned();

    // The whole list, as the governance admin sees it.
    window.click("#nav-campaigns").await;
    window.click(&format!("#campaign-table tr[data-campaign-id=\"{campaign}\"] button")).await;
    window.click("#open-worklist").await;
    window.wait_for("#worklist #worklist-grid .row.item", 30).await;
    assert_eq!(cut_without_tooltip(&window).await, Vec::<String>::new(), "at 1280");

    // A critical role: the tag in the row, its reason on hover, the tier in the pane.
    let ga = find(&|i| i["roleName"] == "Global Administrator").expect("a Global Administrator");
    go_to(&window, &ga).await;
    let row = format!("#worklist-grid .row.item[data-item-id=\"{}\"]", ga["id"]);
    // Tags are set in capitals by the style sheet.
    window.wait_for(&format!("{row} .tag.tier-critical"), 10).await;
    let tag = window.text(&format!("{row} .tag.tier-critical")).await;
    assert_eq!(tag.trim().to_lowercase(), "critical");
    let hover = window
        .client
        .execute(
            "return document.querySelector(arguments[0]).getAttribute('title');",
            vec![json!(format!("{row} .tag.tier-critical"))],
        )
        .await
        .expect("the tag's tooltip");
    assert!(hover.as_str().is_some_and(|t| t.contains("critical role")), "{hover}");
    let tier = window.wait_for_text("#detail-tier", "Critical", 10).await;
    assert!(tier.contains("at least 2 holders must remain"), "{tier}");
    window.screenshot("f01-critical-role-1280").await;

    // A custom role: privileged by what it grants, its permissions listed.
    let custom = find(&|i| i["roleName"].as_str().is_some_and(|r| r.contains("(custom)")))
        .expect("a custom role");
    go_to(&window, &custom).await;
    let tier = window.wait_for_text("#detail-tier", "Privileged", 10).await;
    assert!(tier.contains("microsoft.directory/users/password/update"), "{tier}");
    let permissions = window.text("#detail-permissions").await;
    assert!(
        permissions.contains("microsoft.directory/signInReports/allProperties/read"),
        "{permissions}"
    );
    window.screenshot("f02-custom-role-1280").await;

    // Scopes by name: an administrative unit, a subscription.
    let unit = find(&|i| {
        i["scope"]
            .as_str()
            .is_some_and(|s| s.to_ascii_lowercase().starts_with("/administrativeunits/"))
    })
    .expect("an assignment scoped to an administrative unit");
    go_to(&window, &unit).await;
    let names: Vec<String> = tenant
        .administrative_units()
        .iter()
        .filter_map(|u| u["displayName"].as_str().map(str::to_string))
        .collect();
    let scope = window.wait_for_text("#detail-scope", "Administrative unit", 10).await;
    assert!(names.iter().any(|n| scope.contains(n.as_str())), "{scope} names one of {names:?}");
    window.screenshot("f03-unit-scope-1280").await;
    let azure = find(&|i| i["surface"] == "azureRole").expect("an Azure role");
    go_to(&window, &azure).await;
    let scope = window.wait_for_text("#detail-scope", "ubscription", 10).await;
    let subscriptions: Vec<String> = tenant
        .arm()
        .subscriptions
        .iter()
        .filter_map(|s| s["displayName"].as_str().map(str::to_string))
        .collect();
    assert!(subscriptions.iter().any(|n| scope.contains(n.as_str())), "{scope}: {subscriptions:?}");

    // Grouped by person: one person's roles together, and the keyboard still moves row by row.
    // Searched by the first name of someone who holds several roles, so the list holds them and
    // others beside them.
    let mut held: std::collections::BTreeMap<&str, (usize, &str)> = Default::default();
    for i in &items {
        if let (Some(id), Some(name)) = (i["principalId"].as_str(), i["principalName"].as_str()) {
            held.entry(id).or_insert((0, name)).0 += 1;
        }
    }
    let first_name = held
        .values()
        .filter(|(n, name)| *n >= 2 && name.len() > 3)
        .filter_map(|(_, name)| name.split_whitespace().next())
        .find(|first| first.len() >= 3)
        .expect("someone holds several roles")
        .to_string();
    let search = window.wait_for("#worklist-search", 10).await;
    search.clear().await.expect("clear the search");
    window.type_into("#worklist-search", &first_name).await;
    window.wait_for("#worklist-grid .row.item", 10).await;
    window
        .client
        .execute(
            "const s = document.getElementById('filter-group'); s.value = 'person'; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("group by person");
    // The grouped list marks a person's second row on.
    window.wait_for("#worklist-grid .row.item.same-person", 10).await;
    let people = row_people(&window).await;
    assert!(people.len() > 2, "rows are shown: {people:?}");
    let mut runs: Vec<&String> = Vec::new();
    for p in &people {
        if runs.last() != Some(&p) {
            assert!(!runs.contains(&p), "{p} appears in two places: {people:?}");
            runs.push(p);
        }
    }
    assert!(runs.len() < people.len(), "someone holds several roles, shown together: {people:?}");
    window.click("#worklist-grid .row.item .two").await;
    window.type_into("#worklist-grid", "j").await;
    let cursor = window.text("#worklist-grid .row.item.cursor .person strong").await;
    assert_eq!(cursor.trim(), people[1].split('|').next().unwrap_or_default(), "j moves one row");
    window.screenshot("f04-by-person-1280").await;

    // 1024×700: the same facts in the pane over the list; nothing cut without a tooltip.
    window.client.set_window_size(1024, 700).await.expect("1024x700");
    window.wait_for("#toggle-detail", 10).await;
    window.wait_for("#worklist-grid .row.item", 10).await;
    assert_eq!(cut_without_tooltip(&window).await, Vec::<String>::new(), "at 1024");
    window.screenshot("f05-by-person-1024").await;
    window.click("#toggle-detail").await;
    go_to(&window, &custom).await;
    window.wait_for_text("#detail-tier", "Privileged", 10).await;
    window.wait_for("#detail-permissions", 10).await;
    window.screenshot("f06-custom-role-1024").await;
    window.close().await;
}
