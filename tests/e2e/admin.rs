//! The governance lead's side in the real window, on a quarter the CLI ran headless to its close:
//! the same four counts (exceptions, held, kept, needs a person) on the dashboard, the campaign
//! page, the remediation screen and the binder; the held removals grouped, searched and confirmed
//! a group at a time by typing the count; the apply dialog listing every role; the evidence as a
//! screen (a zip saved to a chosen folder, an error that says what failed); the audit log with
//! names beside ids; the wizard's people picker; break-glass accounts suggested for protection;
//! and the remediation screen at 1024×700. Every screen is saved as a screenshot.

use std::process::Command;

use fantoccini::Locator;
use recert_emulator::Tenant;
use recert_tests::repo_root;

use crate::campaign::{invoke, people, sign_in};
use crate::window::{DataDir, Window};

fn cli(data: &std::path::Path, args: &[&str]) -> String {
    let binary = repo_root().join("target/debug/recert-cli");
    assert!(binary.exists(), "{} is built (cargo build -p recert-cli)", binary.display());
    let out = Command::new(&binary)
        .args(args)
        .env("RECERT_DATA_DIR", data)
        .output()
        .expect("recert-cli runs");
    assert!(out.status.success(), "recert-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The count a tally shows for `word` under `scope`.
async fn count(window: &Window, scope: &str, word: &str) -> u64 {
    let cell = window.wait_for(&format!("{scope} [data-word=\"{word}\"] dd"), 30).await;
    let n = cell.attr("data-count").await.expect("an attribute").unwrap_or_default();
    n.parse().unwrap_or_else(|_| panic!("a count for {word} in {scope}: {n:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lead_works_a_closed_quarter_in_one_vocabulary_from_dashboard_to_evidence() {
    let data = tempfile::tempdir().expect("a data directory");
    cli(data.path(), &["demo"]);
    let listed = cli(data.path(), &["--json", "campaign", "list"]);
    let listed: serde_json::Value = serde_json::from_str(listed.trim()).expect("JSON");
    let id = listed["campaigns"][0]["id"].as_str().expect("the campaign").to_string();
    let (admin, _, _) = people(&Tenant::demo());
    let app = repo_root().join("target/debug/recert");
    let window = Window::launch(&app, DataDir::Given(data.path().to_path_buf())).await;
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "admin-00").await;

    // The dashboard: the closed campaign's card with its four counts, and the break-glass notice.
    window.click("#nav-dashboard").await;
    let card = format!("#dashboard .campaign[data-campaign-id=\"{id}\"]");
    window.wait_for(&card, 30).await;
    let words = ["exceptions", "held", "kept", "needsPerson"];
    let mut on_dashboard = Vec::new();
    for word in words {
        on_dashboard.push(count(&window, &card, word).await);
    }
    let hint = window
        .wait_for(&format!("{card} [data-word=\"held\"]"), 5)
        .await
        .attr("title")
        .await
        .expect("an attribute")
        .unwrap_or_default();
    assert!(hint.contains("held back"), "each word explains itself on hover: {hint}");
    window.screenshot("admin-01-dashboard").await;

    // The campaign page says the same.
    window.click(&card).await;
    window.wait_for("#outcomes [data-tally]", 30).await;
    for (word, n) in words.iter().zip(&on_dashboard) {
        assert_eq!(count(&window, "#outcomes", word).await, *n, "{word} on the campaign page");
    }
    window.screenshot("admin-02-campaign-tally").await;

    // The remediation screen too, with the held removals grouped by why.
    window.click("#open-remediation").await;
    window.wait_for("#remediation #rem-tally", 30).await;
    for (word, n) in words.iter().zip(&on_dashboard) {
        assert_eq!(
            count(&window, "#rem-tally", word).await,
            *n,
            "{word} on the remediation screen"
        );
    }
    window.wait_for("#held", 30).await;
    window.screenshot("admin-03-remediation-groups").await;
    let total = window.text("#held-total").await;
    // A search narrows the list without asking the backend.
    let first = window.text("#held li .held-what strong").await;
    window.type_into("#held-search", &first).await;
    window.wait_for_text("#held-shown", "shown", 10).await;
    window.screenshot("admin-04-remediation-searched").await;
    let search = window.wait_for("#held-search", 5).await;
    search.clear().await.expect("cleared");
    let _ = window
        .client
        .execute(
            "document.getElementById('held-search').dispatchEvent(new Event('input', {bubbles: true}))",
            vec![],
        )
        .await;
    window.wait_for_text("#held-shown", "item", 10).await;

    // A group of held removals is confirmed at once by typing how many it holds; until then
    // Apply says why it waits.
    if window.client.find(Locator::Css("#bulk-count")).await.is_ok() {
        window.wait_for("#apply-blocked", 10).await;
        let button = window.wait_for("#bulk-confirm-button", 5).await;
        let label = button.text().await.expect("a label");
        let n: String = label.chars().filter(char::is_ascii_digit).collect();
        assert!(button.attr("disabled").await.expect("attr").is_some(), "disabled until typed");
        window.screenshot("admin-05-bulk-confirm").await;
        window.type_into("#bulk-count", &n).await;
        window.click("#bulk-confirm-button").await;
        window.wait_for("#held li[data-status=\"confirmed\"]", 30).await;
        window.screenshot("admin-06-bulk-confirmed").await;
    }
    if window.client.find(Locator::Css("#keep-all")).await.is_ok() {
        window.click("#keep-all").await;
        window.type_into("#keep-reason", "Kept for the lead's test").await;
        window.click("#confirm-keep").await;
        window.wait_for_count("#held form.confirm", 0, 10).await;
    }
    // The apply dialog lists every role losing access (the first few until asked).
    if window.client.find(Locator::Css("#apply-removals:not([disabled])")).await.is_ok() {
        window.click("#apply-removals").await;
        window.wait_for("#apply-dialog #apply-roles li", 10).await;
        if window.client.find(Locator::Css("#apply-more")).await.is_ok() {
            window.click("#apply-more").await;
        }
        window.screenshot("admin-07-apply-dialog").await;
        window.click("#apply-dialog .footer button:first-child").await;
    }

    // At 1024×700 the screen still shows the groups and the list.
    window.client.set_window_size(1024, 700).await.expect("resized");
    window.wait_for("#held", 10).await;
    window.screenshot("admin-08-remediation-1024x700").await;
    window.client.set_window_size(1280, 800).await.expect("resized back");
    assert!(!total.is_empty());

    // Evidence: exported on the campaign page, then its own screen saves one zip where asked.
    window.click("#remediation .crumbs button:nth-of-type(2)").await;
    window.click("#export-evidence").await;
    // The binder of the demo's whole quarter, rendered by a debug build on a shared machine.
    window.wait_for("#export-result", 300).await;
    window.click("#open-evidence").await;
    window.wait_for("#evidence-files li[data-name]", 30).await;
    let chosen = tempfile::tempdir().expect("a folder for the auditor");
    window.type_into("#save-folder", &chosen.path().display().to_string()).await;
    window.click("#save-zip").await;
    let saved = window.wait_for_text("#saved-path", ".zip", 30).await;
    assert!(std::path::Path::new(saved.trim()).exists(), "the zip is written: {saved}");
    window.screenshot("admin-09-evidence-saved").await;
    // A folder that is not there is the one field highlighted; a file manager that cannot start
    // says so, and speaks of no fields.
    let field = window.wait_for("#save-folder", 5).await;
    field.clear().await.expect("cleared");
    window.type_into("#save-folder", "/no/such/folder").await;
    window.click("#save-copy").await;
    window.wait_for("#save-folder-error", 10).await;
    window.click("#evidence-open-folder").await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let page = window.text("#evidence-screen").await;
    assert!(!page.contains("highlighted"), "no error asks to correct highlighted fields: {page}");
    window.screenshot("admin-10-evidence-errors").await;
    // The binder the window exported (its binder.json, in place of the one the demo wrote at
    // the close) lists in its register as many exceptions as the screens counted.
    let paths = recert_app::evidence::EvidencePaths::in_data_dir(
        window.data_dir(),
        &id,
        [false, false, true],
    );
    let json = paths.json.expect("the JSON's path");
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the window's JSON"))
            .expect("JSON");
    let answer = invoke(&window, "campaign", serde_json::json!({ "id": id })).await;
    let exceptions = answer["ok"]["campaign"]["tally"]["exceptions"].as_u64().expect("a tally");
    let register = exported["binder"]["exceptions"].as_array().expect("the binder's register");
    assert_eq!(
        register.len() as u64,
        exceptions,
        "the binder lists as many exceptions as the campaign page counts: {register:?}"
    );
    // The audit log names what its ids are.
    window.click("#evidence-screen .crumbs button:nth-of-type(2)").await;
    window.click("#open-audit").await;
    window.wait_for("#audit-table .subject-name", 30).await;
    window.screenshot("admin-11-audit-names").await;

    // Settings: the break-glass accounts suggested for protection, with why.
    window.click("#nav-settings").await;
    window.wait_for("#safety", 30).await;
    window.screenshot("admin-12-settings-suggestions").await;

    // The wizard's people picker finds people by part of their name.
    window.click("#nav-dashboard").await;
    window.click("#new-campaign").await;
    window.wait_for("#f-reviewers-fallback", 30).await;
    let part: String = admin.chars().take(4).collect();
    window.type_into("#f-reviewers-fallback", &part).await;
    window.wait_for("#f-reviewers-fallback-suggestions li button", 10).await;
    window.screenshot("admin-13-people-picker").await;
    window.click("#f-reviewers-fallback-suggestions li button").await;
    window.wait_for("#wizard .chip[data-upn]", 10).await;
    window.close().await;
}
