//! The Tenants screen's Check, and the demo tenant kept across restarts of the window: removals
//! applied in one run of the app are still removed in the next, because the demo tenant lives in
//! the data directory rather than being made afresh at each start.

use std::process::Command;

use fantoccini::Locator;
use recert_emulator::Tenant;
use recert_tests::repo_root;

use crate::campaign::{invoke, people, sign_in};
use crate::window::{DataDir, Window};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_button_lists_each_check_with_its_result() {
    let window = Window::open().await;
    window.wait_for("#status-tenant .dot.ok", 60).await;
    window.click("#nav-tenants").await;
    let check = "#tenant-table tr[data-tenant-id=\"demo\"] button.check";
    window.click(check).await;
    window.wait_for("#tenant-check #check-table tbody tr[data-state]", 60).await;
    window.screenshot("tenants-check").await;

    let heading = window.text("#check-heading").await;
    assert!(heading.contains("demo as "), "the check names its tenant and identity: {heading}");
    let rows =
        window.client.find_all(Locator::Css("#check-table tbody tr")).await.expect("the rows");
    assert!(rows.len() >= 5, "a row for the token, each permission and each read: {}", rows.len());
    let mut failed = Vec::new();
    for row in &rows {
        let state = row.attr("data-state").await.expect("attr").unwrap_or_default();
        if state == "fail" {
            failed.push(row.text().await.unwrap_or_default());
        }
    }
    assert!(failed.is_empty(), "the demo tenant passes every check: {failed:?}");
    let summary = window.text("#tenant-check .check-summary").await;
    assert!(summary.starts_with("All ") && summary.ends_with("checks passed."), "{summary}");
    let status = window.text("#tenant-table tr[data-tenant-id=\"demo\"] td.status").await;
    assert!(status.contains("Connected"), "{status}");
    window.close().await;
}

/// Runs `recert-cli` on `data` and returns its standard output.
pub(crate) fn cli(data: &std::path::Path, args: &[&str]) -> String {
    let binary = repo_root().join("target/debug/recert-cli");
    assert!(binary.exists(), "{} is built (cargo build -p recert-cli)", binary.display());
    let out = Command::new(&binary)
        .args(args)
        .env("RECERT_DATA_DIR", data)
        .output()
        .expect("recert-cli runs");
    assert!(
        out.status.success(),
        "recert-cli {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Opens the remediation page of the only campaign.
async fn remediation(window: &Window) {
    window.click("#nav-campaigns").await;
    window.click("#campaign-table tbody tr button.link").await;
    window.click("#open-remediation").await;
    window.wait_for("#remediation #rem-actions", 30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removals_applied_in_the_window_are_still_removed_after_a_restart() {
    let data = tempfile::tempdir().expect("a data directory kept across both runs");
    // A quarter run headless up to its close (pull, define, open, decide, close), as a scheduled
    // job would: the window then finds a closed campaign with removals to apply.
    cli(data.path(), &["demo"]);
    assert!(data.path().join("demo-tenant.json").exists(), "the demo tenant is kept");
    let listed = cli(data.path(), &["--json", "campaign", "list"]);
    let listed: serde_json::Value = serde_json::from_str(listed.trim()).expect("JSON");
    let id = listed["campaigns"][0]["id"].as_str().expect("the campaign").to_string();
    let (admin, _, _) = people(&Tenant::demo());
    let app = repo_root().join("target/debug/recert");

    // First run: the admin applies the removals.
    let window = Window::launch(&app, DataDir::Given(data.path().to_path_buf())).await;
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "restart-1").await;
    remediation(&window).await;
    // Held removals stay: the admin keeps their access, saying why.
    if window.client.find(Locator::Css("#held form.confirm")).await.is_ok() {
        match window.client.find(Locator::Css("#keep-all")).await {
            Ok(all) => all.click().await.expect("keep all"),
            Err(_) => window.click("#held form.confirm button.keep").await,
        }
        window.type_into("#keep-reason", "Kept for the restart test").await;
        window.click("#confirm-keep").await;
        window.wait_for_count("#held form.confirm", 0, 10).await;
    }
    let to_remove: u32 = window.text("#rem-actions").await.trim().parse().expect("a count");
    assert!(to_remove > 0, "the closed campaign has removals to apply");
    window.click("#apply-removals").await;
    window.click("#confirm-apply").await;
    window.wait_for_text("#rem-succeeded", &to_remove.to_string(), 60).await;
    window.screenshot("restart-1-applied").await;
    window.close().await;

    // Second run on the same data directory: the same demo tenant, so verification finds every
    // removal still removed — none reappeared.
    let window = Window::launch(&app, DataDir::Given(data.path().to_path_buf())).await;
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "restart-2").await;
    remediation(&window).await;
    let applied: u32 = window.text("#rem-succeeded").await.trim().parse().expect("a count");
    assert_eq!(applied, to_remove, "the journal kept what the first run applied");
    // Verified again by this run, through the window's own command and its button.
    let answer =
        invoke(&window, "remediation_verify", serde_json::json!({ "campaignId": id })).await;
    let counts = &answer["ok"]["counts"];
    assert_eq!(counts["verifiedRemoved"], to_remove, "{answer}");
    assert_eq!(counts["reappeared"], 0, "no removal reappeared after the restart: {answer}");
    assert_eq!(counts["stillPresent"], 0, "{answer}");
    window.click("#verify-removals").await;
    window.wait_for_text("#verify-removals", "Verify again", 60).await;
    window.wait_for_text("#rem-verified", &to_remove.to_string(), 10).await;
    let line = window.text("#rem-verified + .muted").await;
    assert!(!line.contains("reappeared"), "the window shows none reappeared: {line}");
    window.screenshot("restart-2-verified").await;
    window.close().await;

    // And a later process agrees: the CLI verifies against the same kept tenant.
    let verified = cli(data.path(), &["--json", "remediation", "verify", &id]);
    let verified: serde_json::Value = serde_json::from_str(verified.trim()).expect("JSON");
    assert_eq!(verified["counts"]["reappeared"], 0, "{verified}");
    assert_eq!(verified["counts"]["verifiedRemoved"], to_remove, "{verified}");
}
