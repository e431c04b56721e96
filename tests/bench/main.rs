//! `recert-bench`: the performance figures the issues ask for, run by `cargo xtask bench`.
//!
//! Each benchmark returns `(name, value, unit)` rows; with names on the command line only those
//! benchmarks run. Figures are wall-clock on a shared machine: compare them across runs, not
//! inside tests.

mod campaigns;
mod emulator;
mod evidence;
mod pull;
mod pull_large;
mod remediation;
mod window;

/// The real-window helpers the end-to-end tests use.
#[path = "../e2e/window.rs"]
#[allow(dead_code)]
mod e2e_window;

use std::future::Future;
use std::pin::Pin;

type Rows = Vec<(String, f64, String)>;
type Bench = fn() -> Pin<Box<dyn Future<Output = Rows>>>;

const BENCHES: &[(&str, Bench)] = &[
    ("campaigns", || Box::pin(campaigns::campaign_100k())),
    ("emulator-paging", || Box::pin(emulator::emulator_paging())),
    ("pull-demo", || Box::pin(pull::demo_tenant_pull())),
    ("large-pull", || Box::pin(pull_large::large_pull())),
    ("evidence-binder", || Box::pin(evidence::binder_100k())),
    ("remediation", || Box::pin(remediation::removals_5000())),
    ("window", || Box::pin(window::window_figures())),
    ("remediation-window", || Box::pin(window::remediation_window())),
];

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let unknown: Vec<_> = wanted.iter().filter(|w| !BENCHES.iter().any(|(n, _)| n == w)).collect();
    if !unknown.is_empty() {
        let names: Vec<_> = BENCHES.iter().map(|(n, _)| *n).collect();
        eprintln!("unknown benchmark(s) {unknown:?}; known: {names:?}");
        std::process::exit(2);
    }
    let selected: Vec<&str> = BENCHES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| wanted.is_empty() || wanted.iter().any(|w| w == name))
        .collect();
    if let [only] = selected.as_slice() {
        run_one(only);
        return;
    }
    // Several benchmarks: each runs in a process of its own, so that its memory figures (peaks,
    // allocator caches) are its own and not what an earlier one left behind.
    let me = std::env::current_exe().expect("the benchmark binary's own path");
    let mut failed = Vec::new();
    for name in selected {
        match std::process::Command::new(&me).arg(name).status() {
            Ok(status) if status.success() => {}
            Ok(status) => failed.push(format!("{name} ({status})")),
            Err(err) => failed.push(format!("{name} (cannot start: {err})")),
        }
    }
    if !failed.is_empty() {
        eprintln!("benchmarks that failed: {}", failed.join(", "));
        std::process::exit(1);
    }
}

fn run_one(name: &str) {
    let Some((_, bench)) = BENCHES.iter().find(|(n, _)| *n == name) else { return };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    println!("-- {name}");
    for (figure, value, unit) in runtime.block_on(bench()) {
        println!("{figure:<56} {value:>12.2} {unit}");
    }
}
