//! The whole review in the window on the demo tenant, each step by whom it belongs to: a
//! governance admin signs in through the tenant's login page, creates a quarterly campaign in the
//! wizard and opens it; two reviewers sign in the same way and decide (a decision the window
//! attributes to someone else is refused); the admin makes a role critical and closes early; a
//! reviewer who is no admin sees no Apply or Confirm and the backend refuses them when called; the
//! admin confirms the held removal, applies and verifies, exports and verifies the evidence (the
//! PDF is read back for the decisions). Every screen is saved as a screenshot along the way.

use fantoccini::Locator;
use recert_emulator::Tenant;
use serde_json::json;

use crate::window::Window;

/// The demo tenant's governance admins as Recert bootstraps them from its data: the users who
/// actively hold Privileged Role Administrator, Global Administrator or Identity Governance
/// Administrator across the tenant.
pub(crate) fn demo_admins(tenant: &Tenant) -> std::collections::BTreeSet<String> {
    const GOVERNING: [&str; 3] = [
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "62e90394-69f5-4237-9190-012177145e10",
        "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e",
    ];
    let active: std::collections::BTreeSet<&str> = tenant
        .assignment_instances()
        .iter()
        .filter(|i| GOVERNING.contains(&i["roleDefinitionId"].as_str().unwrap_or_default()))
        .filter(|i| i["directoryScopeId"].as_str().unwrap_or("/") == "/")
        .filter_map(|i| i["principalId"].as_str())
        .collect();
    tenant
        .users()
        .iter()
        .filter(|u| u["id"].as_str().is_some_and(|id| active.contains(id)))
        .filter(|u| u["accountEnabled"] != false)
        .filter_map(|u| u["userPrincipalName"].as_str())
        .map(str::to_string)
        .collect()
}

/// A governance admin of the demo tenant who is no break-glass account, and two member users who
/// hold a directory role directly and are no admins: they become the campaign's fallback
/// reviewers.
pub(crate) fn people(tenant: &Tenant) -> (String, String, String) {
    let admins = demo_admins(tenant);
    let admin = admins.iter().find(|a| !a.starts_with("breakglass")).expect("a demo admin").clone();
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
        .filter(|upn| !admins.contains(*upn))
        .map(str::to_string)
        .collect();
    upns.sort();
    assert!(upns.len() >= 2, "the demo tenant has at least two member role holders");
    (admin, upns[0].clone(), upns[1].clone())
}

/// Signs `upn` in as a person does: "Sign in…", the account, then the tenant's login page in its
/// own window, where the account is picked; back in the main window, they act from now on. The
/// login page's window can call none of Recert's commands.
pub(crate) async fn sign_in(window: &Window, upn: &str, shot: &str) {
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
    // The capability grants Recert's commands to the main window only: the login page cannot
    // call one, whatever it tries.
    let reached = window
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const ipc = window.__TAURI_INTERNALS__;
             if (!ipc || !ipc.invoke) { done('no ipc'); return; }
             ipc.invoke('acting', { tenantId: 'demo' }).then(() => done('reached'), () => done('refused'));",
            vec![],
        )
        .await
        .expect("the script runs");
    assert_ne!(reached, "reached", "the login page's window called a command");
    window.click(&account).await;
    window.client.switch_to_window(main).await.expect("back to the main window");
    window.wait_for(&format!("#acting-as[data-upn=\"{upn}\"]"), 30).await;
    let label = window.text("#status-identity-label").await;
    assert_eq!(label, "Signed in as", "{upn} signed in rather than being acted as");
}

/// Invokes `command` from the main window as the window's own code could, and returns
/// `{ "ok": answer }` or `{ "error": code }`.
pub(crate) async fn invoke(
    window: &Window,
    command: &str,
    args: serde_json::Value,
) -> serde_json::Value {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const ipc = window.__TAURI_INTERNALS__;
         const args = {args};
         // A channel argument, as the window's Channel sends it.
         if (args.onProgress === '__channel__') args.onProgress = '__CHANNEL__:' + ipc.transformCallback(() => {{}});
         ipc.invoke('{command}', args).then((ok) => done({{ ok }}), (e) => done({{ error: e && e.code ? e.code : String(e) }}));"
    );
    window.client.execute_async(&script, vec![]).await.expect("the command answers")
}

async fn decided_by(window: &Window, upn: &str) -> u32 {
    let cell = window.text(&format!("#reviewer-table tr[data-upn=\"{upn}\"] .progress-cell")).await;
    cell.split('/')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("a count in {cell:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_is_run_by_an_admin_decided_by_signed_in_reviewers_and_its_hold_confirmed_by_the_admin()
 {
    let (admin, first, second) = people(&Tenant::demo());
    let window = Window::open().await;

    // A new installation: the demo tenant connected, no campaign, and nobody acting — so no
    // "New campaign" either.
    window.wait_for("#status-tenant .dot.ok", 60).await;
    window.wait_for("#no-campaigns", 30).await;
    window.wait_for("#needs-admin", 10).await;
    assert!(window.client.find(Locator::Css("#new-campaign")).await.is_err(), "nobody acts yet");
    window.screenshot("01-dashboard-nobody-acting").await;

    // "Open folder" opens only a campaign's own evidence folder, and only once it exists: a
    // campaign id that tries to climb out of the data directory finds nothing.
    let refused =
        invoke(&window, "evidence_open_folder", json!({ "campaignId": "../../.." })).await;
    assert_eq!(refused["error"], "notFound", "nothing outside the evidence folders is opened");

    // The governance admin signs in through the login page.
    sign_in(&window, &admin, "02").await;
    window.wait_for_text("#acting-role", "Governance admin", 10).await;

    // The wizard checks as you go: trying to create without a fallback reviewer shows why not.
    window.click("#dashboard #new-campaign").await;
    window.type_into("#f-name", "Quarterly privileged access review").await;
    window.click("#create-campaign").await;
    window.wait_for("#err-reviewers-fallback", 10).await;
    window.screenshot("03-wizard-needs-fallback").await;
    for upn in [&first, &second] {
        window.type_into("#f-reviewers-fallback", upn).await;
        window.click("#f-reviewers-fallback-add").await;
        window.wait_for(&format!(".chip[data-upn=\"{upn}\"]"), 10).await;
    }
    window.wait_for("#check-ok", 10).await;
    window.wait_for_count("#occurrences li", 4, 10).await;
    let estimate = window.text("#estimate").await;
    assert!(!estimate.starts_with('0'), "the scope holds items: {estimate}");
    // Looking the reviewers up did not change who acts.
    window.wait_for(&format!("#acting-as[data-upn=\"{admin}\"]"), 5).await;
    window.screenshot("04-wizard-ready").await;

    // Created, then opened by hand: the population is pulled and routed.
    window.click("#create-campaign").await;
    window.wait_for("#campaigns [data-definition-id] .open-now", 10).await;
    // Open now says which window it takes and the name the campaign gets from it.
    let named = window.text("#campaigns [data-definition-id] .open-name").await;
    assert!(named.starts_with("Quarterly privileged access review — "), "{named}");
    window.click("#campaigns [data-definition-id] .open-now").await;
    window.wait_for("#campaign-detail #reviewer-table", 60).await;
    window.wait_for("#role-table", 30).await;
    window.screenshot("05-campaign-open").await;
    let opened = invoke(&window, "campaigns", json!({ "definitionId": null })).await;
    let campaign = opened["ok"][0]["id"].as_str().expect("the campaign").to_string();
    assert_eq!(opened["ok"][0]["name"].as_str(), Some(named.trim()), "named as it said");

    // Settings: the demo tenant's admins, bootstrapped from its data.
    window.click("#nav-settings").await;
    window.wait_for(&format!("#admin-table tr[data-upn=\"{admin}\"]"), 30).await;
    window.screenshot("06-settings-admins").await;

    // The first reviewer signs in, then approves the highlighted row and denies a range of three
    // with a reason.
    sign_in(&window, &first, "07").await;
    window.wait_for_text("#acting-role", "Reviewer", 10).await;
    window.click("#nav-reviews").await;
    window.click("#my-reviews .start-review").await;
    window.wait_for("#worklist[data-mine=\"true\"] #worklist-grid .row.item", 30).await;
    window.screenshot("07-worklist-first-reviewer").await;
    window.click("#worklist-grid .row.item[data-index=\"0\"] .two").await;
    window.type_into("#worklist-grid", "a").await;
    window.wait_for_text("#toast", "Approved 1 item", 10).await;
    window.type_into("#worklist-grid", " JJ").await;
    window.wait_for_text("#selected-count", "3 selected", 5).await;
    window.type_into("#worklist-grid", "d").await;
    window.wait_for("#justify-dialog #justification", 5).await;
    window.type_into("#justification", "No longer in the team that needs this role").await;
    window.screenshot("08-justification-dialog").await;
    window.click("#confirm-decision").await;
    window.wait_for_text("#toast", "Denied 3 items", 10).await;
    window.screenshot("09-worklist-decided").await;

    // The window cannot name another decider: an identity sent along is ignored, and an item the
    // reviewer does not review is refused however the call is dressed up.
    let all =
        invoke(&window, "worklist", json!({ "campaignId": campaign, "query": { "limit": 1000 } }))
            .await;
    let not_mine = all["ok"]["items"]
        .as_array()
        .and_then(|items| {
            items.iter().find(|i| {
                i["reviewers"].as_array().is_some_and(|r| !r.is_empty())
                    && !i["reviewers"].to_string().contains(&first)
            })
        })
        .expect("an item someone else reviews")["id"]
        .clone();
    let forged = json!({ "id": "00000000-0000-0000-0000-00000000beef", "upn": second, "displayName": "x", "tenantId": "demo" });
    let answer = invoke(
        &window,
        "decide",
        json!({ "campaignId": campaign, "itemIds": [not_mine], "verdict": "approve", "justification": "", "identity": forged }),
    )
    .await;
    assert_eq!(answer["error"], "forbidden", "{answer}");

    // The second reviewer signs in the same way: select everything undecided and approve it in
    // bulk.
    sign_in(&window, &second, "10").await;
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
    // Choosing the filter reloads the list: a click that lands on the rows it replaces selects
    // nothing, so the row is clicked again until the selection shows (never toggled twice).
    for attempt in 0.. {
        window.click("#worklist-grid .row.item[data-index=\"0\"] .two").await;
        window.type_into("#worklist-grid", "x").await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if window.text("#selected-count").await.contains("selected") || attempt == 10 {
            break;
        }
    }
    window.wait_for_text("#selected-count", "selected", 5).await;
    let selected = window.text("#selected-count").await;
    window.type_into("#worklist-grid", "a").await;
    window.wait_for("#justify-dialog #confirm-decision", 5).await;
    window.click("#confirm-decision").await;
    window.wait_for_text("#toast", "Approved", 10).await;
    window.screenshot("11-worklist-second-reviewer").await;
    let approved: u32 =
        selected.split_whitespace().next().and_then(|n| n.parse().ok()).expect("a count");

    // The campaign shows both reviewers' work; a reviewer sees no "Close".
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
    assert!(
        window.client.find(Locator::Css("#close-early")).await.is_err(),
        "a reviewer closes nothing"
    );
    window.screenshot("12-campaign-progress").await;

    // One denied removal's role becomes critical (minimum 99): its removal will be held for a
    // governance admin. Only the admin may change the interlocks.
    let denied = invoke(
        &window,
        "worklist",
        json!({ "campaignId": campaign, "query": { "decision": "deny", "limit": 10 } }),
    )
    .await;
    let target = denied["ok"]["items"]
        .as_array()
        .and_then(|items| {
            items.iter().find(|i| {
                i["membership"] == "direct" && i["principalUpn"].as_str() != Some(admin.as_str())
            })
        })
        .expect("a denied direct assignment")
        .clone();
    let refused = invoke(
        &window,
        "set_remediation_safety",
        json!({ "tenantId": "demo", "safety": { "protectedPrincipals": [], "criticalRoles": [] } }),
    )
    .await;
    assert_eq!(refused["error"], "forbidden", "{refused}");
    sign_in(&window, &admin, "13").await;
    window.click("#nav-settings").await;
    window.wait_for("#safety #critical-roles", 30).await;
    let option = format!(
        "select[aria-label=\"Role to add\"] option[value=\"{}:{}\"]",
        target["surface"].as_str().unwrap_or_default(),
        target["roleId"].as_str().unwrap_or_default()
    );
    window.click(&option).await;
    window.click("#safety .add button").await;
    let minimum =
        window.wait_for("#critical-roles tbody tr:last-child input[type=\"number\"]", 10).await;
    minimum.clear().await.expect("cleared");
    minimum.send_keys("99").await.expect("typed");
    window.click("#save-safety").await;
    window.wait_for_text("#safety .ok", "Saved", 10).await;
    window.screenshot("14-settings-critical-role").await;

    // Closing early asks first, then records the outcomes.
    window.click("#nav-campaigns").await;
    window.click("#campaign-table tbody tr button.link").await;
    window.click("#close-early").await;
    window.type_into("#close-reason", "Both reviewers finished early").await;
    window.screenshot("15-close-dialog").await;
    window.click("#confirm-close").await;
    window.wait_for("#campaign-state [data-state=\"closed\"]", 30).await;
    let removed = window.text("#outcomes").await;
    assert!(removed.contains("Remove"), "the outcomes are shown: {removed}");
    window.screenshot("16-campaign-closed").await;

    // A reviewer who is no admin sees the plan but no Apply and no Confirm; called anyway, the
    // backend refuses both.
    sign_in(&window, &second, "17").await;
    window.click("#nav-campaigns").await;
    window.click("#campaign-table tbody tr button.link").await;
    window.click("#open-remediation").await;
    window.wait_for("#remediation #rem-actions", 30).await;
    window.wait_for("#not-admin-note", 10).await;
    let held = format!("#held li[data-item-id=\"{}\"]", target["id"]);
    window.wait_for(&held, 10).await;
    assert!(window.client.find(Locator::Css("#apply-removals")).await.is_err(), "no Apply");
    assert!(window.client.find(Locator::Css("#held form.confirm")).await.is_err(), "no Confirm");
    window.screenshot("18-remediation-not-an-admin").await;
    let confirm = json!({ "campaignId": campaign, "itemIds": [target["id"]] });
    assert_eq!(
        invoke(&window, "remediation_confirm_held", confirm.clone()).await["error"],
        "forbidden"
    );
    let apply = json!({ "campaignId": campaign, "onProgress": "__channel__" });
    assert_eq!(invoke(&window, "remediation_apply", apply).await["error"], "forbidden");

    // The admin confirms the held removal by name, applies and verifies.
    sign_in(&window, &admin, "19").await;
    window.wait_for(&format!("{held} form.confirm input"), 30).await;
    window.screenshot("20-remediation-admin").await;
    let name = window.text(&format!("{held} strong")).await;
    window.type_into(&format!("{held} form.confirm input"), &name).await;
    window.click(&format!("{held} form.confirm button.danger")).await;
    window.wait_for(&format!("{held} .badge.approve"), 10).await;
    // The other held removals of that role stay: the admin keeps their access, saying why.
    if window.client.find(Locator::Css("#held form.confirm")).await.is_ok() {
        let keep = window.client.find(Locator::Css("#keep-all")).await;
        match keep {
            Ok(all) => all.click().await.expect("keep all"),
            Err(_) => window.click("#held form.confirm button.keep").await,
        }
        window.type_into("#keep-reason", "Still the team's only administrators of it").await;
        window.click("#confirm-keep").await;
        window.wait_for_count("#held form.confirm", 0, 10).await;
    }
    let to_remove: u32 = window.text("#rem-actions").await.trim().parse().expect("a count");
    window.click("#apply-removals").await;
    window.click("#confirm-apply").await;
    window.wait_for_text("#rem-succeeded", &to_remove.to_string(), 60).await;
    window.screenshot("21-remediation-applied").await;
    window.click("#verify-removals").await;
    window.wait_for_text("#rem-verified", &to_remove.to_string(), 60).await;
    window.screenshot("22-remediation-verified").await;

    // Evidence: export the binder in every format, then verify it.
    window.click("#remediation .crumbs button:nth-of-type(2)").await;
    window.click("#export-evidence").await;
    window.wait_for("#export-result", 60).await;
    window.click("#verify-evidence").await;
    window.wait_for("#verify-result[data-ok=\"true\"]", 60).await;
    window.screenshot("23-evidence").await;
    // The owner signs the binder off in the window after signing in again (a sign-off needs a
    // sign-in of the last five minutes); compliance is still to sign.
    sign_in(&window, &admin, "23a").await;
    window.wait_for("#sign-off-campaignOwner", 30).await;
    window.click("#sign-off-campaignOwner").await;
    window.wait_for_text("#sign-off-version", "still needs: compliance", 30).await;
    window.screenshot("23b-signed-off-by-owner").await;
    let folder = std::fs::read_dir(window.data_dir().join("evidence"))
        .expect("the evidence folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .next()
        .expect("the campaign's evidence folder");
    let pdf = std::fs::read(folder.join("binder.pdf")).expect("the PDF is written");
    assert!(pdf.starts_with(b"%PDF"), "binder.pdf is a PDF");
    let binder = std::fs::read_to_string(folder.join("binder.json")).expect("the JSON is written");
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
    window.screenshot("24-tenants").await;

    window.click("#nav-dashboard").await;
    window.wait_for("#dashboard [data-campaign-id]", 10).await;
    window.screenshot("25-dashboard").await;

    // The dark theme, from Settings.
    window.click("#nav-settings").await;
    window.click("#theme-dark").await;
    window.screenshot("26-settings-dark").await;
    window.click("#nav-dashboard").await;
    window.wait_for("#dashboard [data-campaign-id]", 10).await;
    window.screenshot("27-dashboard-dark").await;
    // The theme outlives the window (the webview keeps it): leave it as the next run expects.
    window.click("#nav-settings").await;
    window.click("#theme-system").await;

    // The audit log: every step above left its events, and the chain still verifies.
    window.click("#nav-audit").await;
    window.wait_for("#audit-table tbody tr[data-seq]", 30).await;
    window.wait_for("#audit-chain[data-intact=\"true\"]", 60).await;
    let chain = window.text("#audit-chain-summary").await;
    assert!(chain.starts_with("Chain intact up to event"), "the chain verifies: {chain}");
    // Confirming, removals and the export were done by the admin signed in, and the log says so.
    window.screenshot("28-audit-log").await;
    let actor = window
        .wait_for("#audit-table tbody tr[data-seq] td:nth-child(3)", 10)
        .await
        .attr("title")
        .await
        .expect("the actor cell's title");
    assert_eq!(actor.as_deref(), Some(admin.as_str()), "the export names who did it");
    window.close().await;
}
