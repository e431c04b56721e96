//! The first screen: the demo tenant's privileged roles with their eligible and active counts.

use std::collections::BTreeMap;

use fantoccini::Locator;
use recert_emulator::Tenant;
use recert_tests::expected_role_counts;

use crate::window::Window;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_shows_every_held_role_with_the_tenants_counts() {
    let window = Window::open().await;
    window.click("#nav-population").await;
    window.wait_for("#roles-table tbody tr[data-role-id]", 60).await;
    // The pull covers every surface; the expected counts are the Entra roles'.
    if window.client.find(Locator::Css("#surface-directoryRole")).await.is_ok() {
        window.click("#surface-directoryRole").await;
    }
    window.screenshot("population").await;

    let mut shown = BTreeMap::new();
    for row in window
        .client
        .find_all(Locator::Css("#roles-table tbody tr[data-role-id]"))
        .await
        .expect("rows")
    {
        let role_id = row.attr("data-role-id").await.expect("attr").expect("a role id");
        let cell = |css: &'static str| {
            let row = row.clone();
            async move {
                let text =
                    row.find(Locator::Css(css)).await.expect(css).text().await.expect("text");
                text.trim()
                    .parse::<u32>()
                    .unwrap_or_else(|_| panic!("{css} holds a number, not {text:?}"))
            }
        };
        let name = row.find(Locator::Css(".name")).await.expect("name").text().await.expect("text");
        shown.insert(role_id, (name, cell(".eligible-count").await, cell(".active-count").await));
    }

    // By default the window lists the roles someone holds.
    let expected: BTreeMap<_, _> = expected_role_counts(&Tenant::demo())
        .into_iter()
        .filter(|(_, (_, e, a))| e + a > 0)
        .collect();
    assert_eq!(shown, expected, "the window shows each held role with the tenant's counts");

    let total = |css: &'static str| {
        let client = window.client.clone();
        async move { client.find(Locator::Css(css)).await.expect(css).text().await.expect("text") }
    };
    let eligible: u32 = expected.values().map(|(_, e, _)| e).sum();
    let active: u32 = expected.values().map(|(_, _, a)| a).sum();
    assert_eq!(total("#total-eligible").await, eligible.to_string());
    assert_eq!(total("#total-active").await, active.to_string());

    // Searching narrows the list to matching roles.
    let search = window.client.find(Locator::Css("#role-search")).await.expect("search box");
    search.send_keys("global admin").await.expect("typing");
    let rows = window
        .client
        .find_all(Locator::Css("#roles-table tbody tr[data-role-id]"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1, "only Global Administrator matches");
    window.screenshot("population-search").await;

    // Pulling again reports its progress and ends with the same counts.
    window.click("#pull-again").await;
    window.wait_for_text("#pull-again", "Pull again", 60).await;
    assert!(window.client.find(Locator::Css("#error")).await.is_err(), "the pull succeeded");
    assert_eq!(total("#total-eligible").await, eligible.to_string());
    window.close().await;
}
