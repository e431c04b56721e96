//! The whole review in the window on the demo tenant: create a quarterly campaign in the wizard,
//! open it, decide items as two different reviewers who sign in through the tenant's login page,
//! close it early, preview, apply and verify the removals, export and verify the evidence (the
//! PDF is read back for the decisions). Every screen is saved as a screenshot along the way.

use fantoccini::Locator;
use recert_emulator::Tenant;

use crate::window::Window;

/// Two member users of the demo tenant who hold a directory role directly, so the window can act
/// as them; they become the campaign's fallback reviewers.
fn two_reviewers(tenant: &Tenant) -> (String, String) {
    let holders: std::collections::BTreeSet<&str> = tenant
        .eligibility_instances()
        .iter()
        .chain(tenant.assignment_instances())
        .filter_map(|i| i["principalId"].as_str())
        .collect();
    let mut upns: Vec<String> = tenant
        .users()
        .iter()
        .filter(|u| u["id"].as_str().is_some_and(|id| holders.contains(id)))
        .filter_map(|u| u["userPrincipalName"].as_str())
        .filter(|upn| !upn.contains("#EXT#") && !upn.starts_with("breakglass"))
        .map(str::to_string)
        .collect();
    upns.sort();
    assert!(upns.len() >= 2, "the demo tenant has at least two member role holders");
    (upns[0].clone(), upns[1].clone())
}

/// Signs `upn` in as a person does: "Sign in…", the account, then the tenant's login page in its
/// own window, where the account is picked; back in the main window, decisions are made as them.
async fn sign_in(window: &Window, upn: &str, shot: &str) {
    window.click("#sign-in").await;
    window.wait_for("#sign-in-dialog #sign-in-hint", 10).await;
    window.type_into("#sign-in-hint", upn).await;
    window.click("#sign-in-continue").await;
    let main = window.client.window().await.expect("the main window's handle");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let login = loop {
        let handles = window.client.windows().await.expect("the window handles");
        if let Some(other) = handles.into_iter().find(|h| *h != main) {
            break other;
        }
        assert!(std::time::Instant::now() < deadline, "no sign-in window opened");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    window.client.switch_to_window(login).await.expect("switch to the sign-in window");
    let account = format!("a.user[data-upn=\"{upn}\"]");
    window.wait_for(&account, 30).await;
    window.screenshot(&format!("{shot}-sign-in-page")).await;
    window.click(&account).await;
    window.client.switch_to_window(main).await.expect("back to the main window");
    window.wait_for(&format!("#acting-as[data-upn=\"{upn}\"]"), 30).await;
    let label = window.text("#status-identity-label").await;
    assert_eq!(label, "Signed in as", "{upn} signed in rather than being acted as");
}

async fn decided_by(window: &Window, upn: &str) -> u32 {
    let cell = window.text(&format!("#reviewer-table tr[data-upn=\"{upn}\"] .progress-cell")).await;
    cell.split('/')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("a count in {cell:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quarterly_campaign_is_created_reviewed_by_two_reviewers_and_closed() {
    let (first, second) = two_reviewers(&Tenant::demo());
    let window = Window::open().await;

    // The dashboard greets a new installation with the demo tenant connected and no campaign.
    window.wait_for("#status-tenant .dot.ok", 60).await;
    window.wait_for("#no-campaigns", 30).await;
    window.screenshot("01-dashboard-empty").await;

    // "Open folder" opens only a campaign's own evidence folder, and only once it exists: a
    // campaign id that tries to climb out of the data directory finds nothing.
    let refused = window
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('evidence_open_folder', { campaignId: '../../..' })
               .then(() => done('opened'), (e) => done(e.code));",
            vec![],
        )
        .await
        .expect("the command answers");
    assert_eq!(refused, "notFound", "nothing outside the evidence folders is opened");

    // The wizard checks as you go: trying to create without a fallback reviewer shows why not.
    window.click("#dashboard #new-campaign").await;
    window.type_into("#f-name", "Quarterly privileged access review").await;
    window.click("#create-campaign").await;
    window.wait_for("#err-reviewers-fallback", 10).await;
    window.screenshot("02-wizard-needs-fallback").await;

    for upn in [&first, &second] {
        window.type_into("#f-reviewers-fallback", upn).await;
        window.click("#f-reviewers-fallback-add").await;
        window.wait_for(&format!(".chip[data-upn=\"{upn}\"]"), 10).await;
    }
    window.wait_for("#check-ok", 10).await;
    window.wait_for_count("#occurrences li", 4, 10).await;
    let estimate = window.text("#estimate").await;
    assert!(!estimate.starts_with('0'), "the scope holds items: {estimate}");
    window.screenshot("03-wizard-ready").await;

    // Created, then opened by hand: the population is pulled and routed.
    window.click("#create-campaign").await;
    window.wait_for("#campaigns [data-definition-id] .open-now", 10).await;
    window.screenshot("04-campaigns").await;
    window.click("#campaigns [data-definition-id] .open-now").await;
    window.wait_for("#campaign-detail #reviewer-table", 60).await;
    window.wait_for("#role-table", 30).await;
    window.screenshot("05-campaign-open").await;

    // The first reviewer signs in through the tenant's login page, then approves the highlighted
    // row and denies a range of three with a reason.
    sign_in(&window, &first, "06").await;
    window.click("#nav-reviews").await;
    window.click("#my-reviews .start-review").await;
    window.wait_for("#worklist[data-mine=\"true\"] #worklist-grid .row.item", 30).await;
    window.screenshot("06-worklist-first-reviewer").await;
    window.click("#worklist-grid .row.item[data-index=\"0\"] .two").await;
    window.type_into("#worklist-grid", "a").await;
    window.wait_for_text("#toast", "Approved 1 item", 10).await;
    window.type_into("#worklist-grid", " JJ").await;
    window.wait_for_text("#selected-count", "3 selected", 5).await;
    window.type_into("#worklist-grid", "d").await;
    window.wait_for("#justify-dialog #justification", 5).await;
    window.type_into("#justification", "No longer in the team that needs this role").await;
    window.screenshot("07-justification-dialog").await;
    window.click("#confirm-decision").await;
    window.wait_for_text("#toast", "Denied 3 items", 10).await;
    window.screenshot("08-worklist-decided").await;

    // The second reviewer signs in the same way: select everything undecided and approve it in
    // bulk.
    sign_in(&window, &second, "09").await;
    window.click("#nav-reviews").await;
    window.click("#my-reviews .start-review").await;
    window.wait_for("#worklist[data-mine=\"true\"] #worklist-grid .row.item", 30).await;
    window.click("#filter-decision").await;
    window
        .client
        .find(Locator::Css("#filter-decision option[value=\"undecided\"]"))
        .await
        .expect("the undecided option")
        .click()
        .await
        .expect("choose undecided");
    window.click("#worklist-grid .row.item[data-index=\"0\"] .two").await;
    window.type_into("#worklist-grid", "x").await;
    window.wait_for_text("#selected-count", "selected", 5).await;
    let selected = window.text("#selected-count").await;
    window.type_into("#worklist-grid", "a").await;
    window.wait_for("#justify-dialog #confirm-decision", 5).await;
    window.click("#confirm-decision").await;
    window.wait_for_text("#toast", "Approved", 10).await;
    window.screenshot("09-worklist-second-reviewer").await;
    let approved: u32 =
        selected.split_whitespace().next().and_then(|n| n.parse().ok()).expect("a count");

    // The campaign shows both reviewers' work.
    window.click("#worklist .crumbs button").await;
    window.wait_for("#my-reviews", 10).await;
    window.click("#nav-campaigns").await;
    window.click("#campaign-table tbody tr button.link").await;
    window.wait_for("#reviewer-table", 30).await;
    assert!(decided_by(&window, &first).await >= 4, "the first reviewer's four decisions count");
    assert!(
        decided_by(&window, &second).await >= approved,
        "the second reviewer's bulk approval counts"
    );
    window.screenshot("10-campaign-progress").await;

    // Closing early asks first, then records the outcomes.
    window.click("#close-early").await;
    window.type_into("#close-reason", "Both reviewers finished early").await;
    window.screenshot("11-close-dialog").await;
    window.click("#confirm-close").await;
    window.wait_for("#campaign-state [data-state=\"closed\"]", 30).await;
    let removed = window.text("#outcomes").await;
    assert!(removed.contains("Remove"), "the outcomes are shown: {removed}");
    window.screenshot("12-campaign-closed").await;

    // Remediation: the preview by role and person; held items confirmed by name; apply; verify.
    window.click("#open-remediation").await;
    window.wait_for("#remediation #rem-actions", 30).await;
    window.screenshot("13-remediation-preview").await;
    for held in window.client.find_all(Locator::Css("#held li")).await.expect("held items") {
        if let Ok(input) = held.find(Locator::Css("form.confirm input")).await {
            let name = held
                .find(Locator::Css("strong"))
                .await
                .expect("a name")
                .text()
                .await
                .expect("text");
            input.send_keys(&name).await.expect("typing the name");
            held.find(Locator::Css("form.confirm button"))
                .await
                .expect("confirm")
                .click()
                .await
                .expect("click");
            window
                .wait_for(
                    &format!(
                        "#held li[data-item-id=\"{}\"] .badge.approve",
                        held.attr("data-item-id").await.ok().flatten().unwrap_or_default()
                    ),
                    10,
                )
                .await;
        }
    }
    let to_remove: u32 = window.text("#rem-actions").await.trim().parse().expect("a count");
    if to_remove > 0 {
        window.click("#apply-removals").await;
        window.click("#confirm-apply").await;
        window.wait_for_text("#rem-succeeded", &to_remove.to_string(), 60).await;
        window.screenshot("14-remediation-applied").await;
        window.click("#verify-removals").await;
        window.wait_for_text("#rem-verified", &to_remove.to_string(), 60).await;
        window.screenshot("15-remediation-verified").await;
    }

    // Evidence: export the binder in every format, then verify it.
    window.click("#remediation .crumbs button:nth-of-type(2)").await;
    window.click("#export-evidence").await;
    window.wait_for("#export-result", 60).await;
    window.click("#verify-evidence").await;
    window.wait_for("#verify-result[data-ok=\"true\"]", 60).await;
    window.screenshot("16-evidence").await;
    let folder = std::fs::read_dir(window.data_dir().join("evidence"))
        .expect("the evidence folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .next()
        .expect("the campaign's evidence folder");
    let pdf = std::fs::read(folder.join("binder.pdf")).expect("the PDF is written");
    assert!(pdf.starts_with(b"%PDF"), "binder.pdf is a PDF");
    let binder =
        std::fs::read_to_string(folder.join("evidence.json")).expect("the JSON is written");
    for needle in [first.as_str(), second.as_str(), "No longer in the team that needs this role"] {
        assert!(binder.contains(needle), "the binder holds the decisions: {needle} is missing");
    }
    // The PDF itself holds the decisions (poppler's pdftotext reads it): each reviewer's row in
    // the reviewer statistics counts what they decided, and the denials carry their reason (cut
    // to the column in the tables; whole in the CSV and JSON).
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(folder.join("binder.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext runs (cargo xtask test installs poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    let statistics = text
        .find("How each reviewer worked")
        .map(|at| &text[at..])
        .expect("the PDF has its reviewer statistics");
    let decided_in_pdf = |upn: &str| -> u32 {
        let row = statistics
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == upn))
            .unwrap_or_else(|| panic!("the PDF's reviewer statistics list {upn}"));
        let after: Vec<&str> =
            row.split(upn).nth(1).unwrap_or_default().split_whitespace().collect();
        after.get(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("counts in {row:?}"))
    };
    assert!(decided_in_pdf(&first) >= 4, "the PDF counts the first reviewer's decisions");
    assert!(decided_in_pdf(&second) >= approved, "the PDF counts the second reviewer's approvals");
    assert!(text.contains("No longer in the"), "the PDF shows the denials' reason");

    // Tenants: the demo tenant connected with the person signed in; a new tenant's form says
    // what is missing before anything is saved.
    window.click("#nav-tenants").await;
    window.wait_for_text("#tenant-table tr[data-tenant-id=\"demo\"]", "Connected", 10).await;
    window.click("#add-tenant").await;
    window.click("#save-tenant").await;
    window.wait_for("#err-t-guid", 5).await;
    window.screenshot("16b-tenants").await;

    window.click("#nav-dashboard").await;
    window.wait_for("#dashboard [data-campaign-id]", 10).await;
    window.screenshot("17-dashboard").await;

    // The dark theme, from Settings.
    window.click("#nav-settings").await;
    window.click("#theme-dark").await;
    window.screenshot("18-settings-dark").await;
    window.click("#nav-dashboard").await;
    window.wait_for("#dashboard [data-campaign-id]", 10).await;
    window.screenshot("19-dashboard-dark").await;
    // The theme outlives the window (the webview keeps it): leave it as the next run expects.
    window.click("#nav-settings").await;
    window.click("#theme-system").await;

    // The audit log: every step above left its events, and the chain still verifies.
    window.click("#nav-audit").await;
    window.wait_for("#audit-table tbody tr[data-seq]", 30).await;
    window.wait_for("#audit-chain[data-intact=\"true\"]", 60).await;
    let chain = window.text("#audit-chain-summary").await;
    assert!(chain.starts_with("Chain intact up to event"), "the chain verifies: {chain}");
    // Closing, removals and the export were done by the person signed in, and the log says so.
    window.screenshot("20-audit-log").await;
    let actor = window
        .wait_for("#audit-table tbody tr[data-seq] td:nth-child(3)", 10)
        .await
        .attr("title")
        .await
        .expect("the actor cell's title");
    assert_eq!(actor.as_deref(), Some(second.as_str()), "the export names who did it");
    window.close().await;
}
