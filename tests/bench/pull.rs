//! Pull benchmarks: the demo tenant from the emulator into SQLite through `recert-app`.

use std::time::Instant;

use recert_emulator::{Options, Tenant};
use recert_tests::Harness;

pub async fn demo_tenant_pull() -> Vec<(String, f64, String)> {
    let harness = Harness::start(Tenant::demo(), Options::default()).await;
    let mut times = Vec::new();
    let mut items = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let pull = harness.pull().await;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        items = pull.eligible + pull.active + pull.activations;
    }
    times.sort_by(f64::total_cmp);
    vec![
        ("demo tenant pull into SQLite, median of 5".into(), times[2], "ms".into()),
        ("demo tenant instances pulled".into(), f64::from(items), "items".into()),
    ]
}
