//! No lost words and no lost columns at 1024×700 outside the worklist: the campaigns list, a
//! campaign's page, the remediation screen with hundreds of removals, the evidence screen, the
//! audit log and the wizard's role picker. In each, any text cut short ("…", or clipped on one
//! line) has a tooltip that shows it whole, no table runs past the card that holds it, and the
//! page never scrolls sideways. Each screen is saved as a screenshot.

use recert_emulator::Tenant;
use serde_json::json;

use crate::campaign::{demo_admins, invoke, sign_in};
use crate::window::Window;

/// What the page under `root` loses: each piece of text cut short without a tooltip (on it or
/// around it) to show it whole, and each table wider than the box that shows it.
async fn lost(window: &Window, root: &str) -> Vec<String> {
    let v = window
        .client
        .execute(
            "const root = document.querySelector(arguments[0]); const out = []; \
             if (!root) return ['no ' + arguments[0]]; \
             for (const el of root.querySelectorAll('*')) { \
               if (el.closest('.visually-hidden, [hidden], dialog:not([open])')) continue; \
               const cs = getComputedStyle(el); \
               const clips = cs.textOverflow === 'ellipsis' || (cs.overflowX === 'hidden' && cs.whiteSpace === 'nowrap'); \
               if (!clips || el.getClientRects().length === 0) continue; \
               const text = el.textContent.trim(); \
               if (!text || el.scrollWidth <= el.clientWidth + 1) continue; \
               const tip = el.closest('[title]'); \
               if (tip && tip.getAttribute('title').trim()) continue; \
               out.push('cut: ' + text.slice(0, 80)); \
             } \
             for (const table of root.querySelectorAll('table')) { \
               if (table.getClientRects().length === 0) continue; \
               let box = table.parentElement; \
               while (box && getComputedStyle(box).overflowX === 'visible') box = box.parentElement; \
               if (!box || getComputedStyle(box).overflowX === 'auto' || getComputedStyle(box).overflowX === 'scroll') continue; \
               const right = table.getBoundingClientRect().right, edge = box.getBoundingClientRect().right; \
               if (right > edge + 1) out.push('table ' + (table.id || table.className) + ' runs ' + Math.round(right - edge) + ' px past its card'); \
             } \
             const page = root.closest('main') || document.scrollingElement; \
             if (root.scrollWidth > root.clientWidth + 1 || page.scrollWidth > page.clientWidth + 1) \
               out.push('the page scrolls sideways: ' + Math.max(root.scrollWidth - root.clientWidth, page.scrollWidth - page.clientWidth) + ' px hidden'); \
             return out;",
            vec![json!(root)],
        )
        .await
        .expect("the page's text");
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_keeps_its_words_and_columns_at_1024() {
    let tenant = Tenant::demo();
    let admins = demo_admins(&tenant);
    let admin = admins.iter().find(|a| !a.starts_with("breakglass")).expect("a demo admin").clone();
    let window = Window::open().await;
    window.client.set_window_size(1024, 700).await.expect("1024x700");
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "l00").await;
    window.wait_for_text("#acting-role", "Governance admin", 10).await;

    // A review of Entra roles and PIM groups left unanswered and removed by default: hundreds
    // of removals, some held.
    let created = invoke(
        &window,
        "definition_create",
        json!({ "definition": {
            "tenantId": "demo", "name": "Entra roles and PIM groups, unanswered ones removed",
            "scope": { "surfaces": ["directoryRole", "pimGroup"], "roleIds": [], "kinds": "both",
                       "principalTypes": { "users": true, "guests": true, "groups": true, "servicePrincipals": true },
                       "exclusions": [] },
            "reviewers": { "source": "manager", "named": [], "fallback": [{ "upn": admin }], "rule": "firstDecides" },
            "schedule": { "start": "2026-01-01T09:00", "timeZone": "UTC", "durationDays": 14,
                          "recurrence": "none", "end": "never" },
            "settings": { "justificationOnApprove": false, "justificationOnDeny": false, "recommendations": true,
                          "lookBackDays": 90, "noResponse": "remove", "autoApply": false,
                          "remediationDeadlineDays": 14, "convertEligibleDays": 180 } } }),
    )
    .await;
    let definition = created["ok"]["definition"]["id"].as_str().expect("a definition").to_string();
    let campaign = invoke(&window, "campaign_open", json!({ "definitionId": definition })).await;
    let campaign = campaign["ok"]["id"].as_str().expect("an open campaign").to_string();
    let closed = invoke(
        &window,
        "campaign_close",
        json!({ "id": campaign, "reason": "Closed early to look at the removals" }),
    )
    .await;
    assert_eq!(closed["ok"]["state"], "closed", "{closed}");

    // The campaigns list and the campaign's page.
    window.click("#nav-campaigns").await;
    let row = format!("#campaign-table tr[data-campaign-id=\"{campaign}\"] button");
    window.wait_for(&row, 30).await;
    assert_eq!(lost(&window, "#campaigns").await, Vec::<String>::new(), "the campaigns list");
    window.screenshot("l01-campaigns-1024").await;
    window.click(&row).await;
    window.wait_for("#campaign-state [data-state=\"closed\"]", 30).await;
    assert_eq!(lost(&window, "#campaign-detail").await, Vec::<String>::new(), "the campaign");
    window.screenshot("l02-campaign-1024").await;

    // The remediation screen: held groups and the journal of every removal.
    window.click("#open-remediation").await;
    window.wait_for("#remediation #rem-actions", 60).await;
    window.wait_for("#rem-actions-table tbody tr", 30).await;
    assert_eq!(lost(&window, "#remediation").await, Vec::<String>::new(), "remediation");
    window.screenshot("l03-remediation-1024").await;
    window
        .client
        .execute("document.getElementById('rem-actions-table').scrollIntoView();", vec![])
        .await
        .expect("scroll to the journal");
    window.screenshot("l04-remediation-journal-1024").await;

    // The evidence screen, once exported.
    window.click("#remediation .crumbs button:nth-of-type(2)").await;
    window.click("#export-evidence").await;
    window.wait_for("#export-result", 120).await;
    window.click("#open-evidence").await;
    window.wait_for("#evidence-screen", 30).await;
    window.wait_for("#evidence-screen table tbody tr", 30).await;
    assert_eq!(lost(&window, "#evidence-screen").await, Vec::<String>::new(), "evidence");
    window.screenshot("l05-evidence-1024").await;

    // The audit log: actors' UPNs wrap, a line of details shows whole on hover and opens.
    window.click("#nav-audit").await;
    window.wait_for("#audit-table tbody tr", 30).await;
    assert_eq!(lost(&window, "#audit-log").await, Vec::<String>::new(), "the audit log");
    window.screenshot("l06-audit-1024").await;

    // The wizard's role picker: each role's name and its counts, both whole.
    window.click("#nav-campaigns").await;
    window.click("#new-campaign").await;
    window.click("#f-roles-selected").await;
    window.wait_for("#f-scope-roles li label", 30).await;
    assert_eq!(lost(&window, "#wizard").await, Vec::<String>::new(), "the wizard");
    let hidden = window
        .client
        .execute(
            "const list = document.getElementById('f-scope-roles').getBoundingClientRect(); \
             return [...document.querySelectorAll('#f-scope-roles li label')].filter(l => { \
               const name = l.querySelector('.role-name'), counts = l.querySelector('.muted'); \
               const c = counts.getBoundingClientRect(); \
               return name.scrollWidth > name.clientWidth + 1 || c.right > list.right + 1 || c.width < 20; \
             }).map(l => l.textContent.trim());",
            vec![],
        )
        .await
        .expect("the role picker");
    assert_eq!(hidden, json!([]), "every role shows its name and its counts");
    window.screenshot("l07-wizard-roles-1024").await;
    window.close().await;
}
