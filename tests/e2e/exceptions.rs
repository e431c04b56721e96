//! The exceptions register on the campaign page: a quarter run headless to its close leaves
//! access kept although its review or an interlock said otherwise; a governance admin records one
//! exception's owner, expiry and compensating control, and the window lists every exception with
//! those terms, the others marked as having none.

use fantoccini::Locator;
use recert_emulator::Tenant;
use recert_tests::repo_root;

use crate::campaign::{people, sign_in};
use crate::tenants::cli;
use crate::window::{DataDir, Window};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_campaign_page_lists_each_exception_with_its_owner_expiry_and_control() {
    let data = tempfile::tempdir().expect("a data directory");
    cli(data.path(), &["demo"]);
    let listed = cli(data.path(), &["--json", "campaign", "list"]);
    let listed: serde_json::Value = serde_json::from_str(listed.trim()).expect("JSON");
    let id = listed["campaigns"][0]["id"].as_str().expect("the campaign").to_string();
    let register = cli(data.path(), &["--json", "campaign", "exceptions", &id]);
    let register: serde_json::Value = serde_json::from_str(register.trim()).expect("JSON");
    let rows = register.as_array().expect("a list").clone();
    assert!(!rows.is_empty(), "the demo quarter leaves exceptions: {register}");

    // The admin records the first exception's terms; it expires in three months.
    let (admin, _, _) = people(&Tenant::demo());
    let item = rows[0]["itemId"].as_u64().expect("an item").to_string();
    let expires = (chrono::Utc::now() + chrono::Duration::days(90)).format("%Y-%m-%d").to_string();
    let control = "Weekly review of the holder's sign-ins by the security team";
    cli(
        data.path(),
        &[
            "--as",
            &admin,
            "campaign",
            "exception",
            &id,
            &item,
            "--owner",
            &admin,
            "--expires",
            &expires,
            "--control",
            control,
        ],
    );

    let app = repo_root().join("target/debug/recert");
    let window = Window::launch(&app, DataDir::Given(data.path().to_path_buf())).await;
    window.wait_for("#status-tenant .dot.ok", 60).await;
    sign_in(&window, &admin, "exceptions").await;
    window.click("#nav-campaigns").await;
    window.click("#campaign-table tbody tr button.link").await;
    window.wait_for("#exceptions-register #exceptions-table", 60).await;
    let shown =
        window.client.find_all(Locator::Css("#exceptions-table tbody tr")).await.expect("rows");
    assert_eq!(shown.len(), rows.len(), "every exception of the register is listed");

    // The recorded terms are on the exception's row; it is current.
    let row = window
        .client
        .find(Locator::Css("#exceptions-table tbody tr[data-standing=\"current\"]"))
        .await
        .expect("the exception with terms");
    let text = row.text().await.expect("its text");
    for needle in [item.as_str(), admin.as_str(), expires.as_str(), control, "Current"] {
        assert!(text.contains(needle), "{needle} is on the row: {text}");
    }
    // The others have no terms yet, and say so.
    let without = window
        .client
        .find_all(Locator::Css("#exceptions-table tbody tr[data-standing=\"no terms\"]"))
        .await
        .expect("rows without terms");
    assert_eq!(without.len(), rows.len() - 1, "the other exceptions have no terms yet");
    window
        .client
        .execute("document.getElementById('exceptions-register').scrollIntoView()", vec![])
        .await
        .expect("scrolled to the register");
    window.screenshot("exceptions-register").await;
    window.close().await;
}
