//! The installed app, as `cargo xtask dist --check` installs it on a clean machine (the .deb in
//! a fresh Debian 12 root, the AppImage in a fresh directory): started through its launcher
//! (`RECERT_INSTALLED_APP`) under tauri-driver and Xvfb, its window must show the demo tenant's
//! roles with the tenant's counts and load the UI's own fonts from the package. Run only by
//! `dist --check`, which sets the launcher; without it the test fails rather than skips.

#[path = "../e2e/window.rs"]
#[allow(dead_code)]
mod window;

use std::collections::BTreeMap;
use std::path::PathBuf;

use fantoccini::Locator;
use recert_emulator::Tenant;
use recert_tests::expected_role_counts;
use window::{DataDir, Window};

/// Loads each face the UI declares for a script the demo tenant's names use, and says which
/// loaded: the font files come from inside the installed package, or nowhere.
const FONTS: &str = r#"
const done = arguments[arguments.length - 1];
const faces = [["Noto Sans KR", "한국"], ["Noto Sans JP", "ひらがな"], ["Noto Sans Arabic", "عربي"],
  ["Noto Sans Devanagari", "हिन्दी"], ["Noto Sans Thai", "ไทย"]];
Promise.all(faces.map(([family, text]) => document.fonts.load(`16px "${family}"`, text)
  .then((loaded) => [family, loaded.length > 0 && document.fonts.check(`16px "${family}"`, text)],
        () => [family, false])))
  .then((results) => done(Object.fromEntries(results)));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_app_shows_the_demo_tenant_with_its_fonts() {
    let app = std::env::var_os("RECERT_INSTALLED_APP")
        .map(PathBuf::from)
        .expect("RECERT_INSTALLED_APP names the installed app's launcher (dist --check sets it)");
    let shot = std::env::var("RECERT_INSTALLED_SHOT").unwrap_or_else(|_| "installed".into());
    let window = Window::launch(&app, DataDir::Fresh(tempfile::tempdir().expect("dir"))).await;

    // The demo tenant starts inside the installed app and its roles appear with its counts.
    window.click("#nav-population").await;
    window.wait_for("#roles-table tbody tr[data-role-id]", 180).await;
    if window.client.find(Locator::Css("#surface-directoryRole")).await.is_ok() {
        window.click("#surface-directoryRole").await;
    }
    let mut shown = BTreeMap::new();
    for row in window
        .client
        .find_all(Locator::Css("#roles-table tbody tr[data-role-id]"))
        .await
        .expect("rows")
    {
        let role_id = row.attr("data-role-id").await.expect("attr").expect("a role id");
        let name = row.find(Locator::Css(".name")).await.expect("name").text().await.expect("text");
        shown.insert(role_id, name);
    }
    let expected: BTreeMap<_, _> = expected_role_counts(&Tenant::demo())
        .into_iter()
        .filter(|(_, (_, e, a))| e + a > 0)
        .map(|(id, (name, _, _))| (id, name))
        .collect();
    assert_eq!(shown, expected, "the installed app shows the demo tenant's held roles");

    let fonts = window.client.execute_async(FONTS, vec![]).await.expect("the font check runs");
    let fonts = fonts.as_object().cloned().unwrap_or_default();
    assert_eq!(fonts.len(), 5, "{fonts:?}");
    for (family, loaded) in &fonts {
        assert_eq!(loaded.as_bool(), Some(true), "{family} did not load from the package");
    }
    window.screenshot(&shot).await;
    window.close().await;
}
