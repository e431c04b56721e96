//! The demo tenant tells the truth across runs: its state is kept in the data directory, so
//! removals applied by one `recert-cli` process are what the next process's demo tenant serves.
//! Before, each run started a fresh demo tenant and verification reported every removal as
//! "reappeared".

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn cli(data: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_recert-cli"))
        .args(args)
        .arg("--json")
        .env("RECERT_DATA_DIR", data)
        .env_remove("RECERT_DEMO_URL")
        .output()
        .expect("recert-cli runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "recert-cli {args:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|err| panic!("{args:?}: no JSON: {err}"))
}

#[test]
fn removals_applied_by_one_process_are_verified_by_the_next() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path();

    // One process: a quarter's campaign, decided in part and closed.
    let demo = cli(data, &["demo"]);
    let campaign = demo["campaign"]["campaign"]["id"].as_str().expect("a campaign").to_string();
    assert!(data.join("demo-tenant.json").exists(), "the demo tenant is kept with the data");

    // Another: the removals.
    let applied = cli(data, &["remediation", "apply", &campaign]);
    let succeeded = applied["counts"]["succeeded"].as_u64().expect("a count");
    assert!(succeeded > 0, "{applied}");

    // A third, later: the demo tenant it serves is the one the removals were made in.
    let verified = cli(data, &["remediation", "verify", &campaign]);
    let counts = &verified["counts"];
    assert_eq!(counts["reappeared"], 0, "{verified}");
    assert_eq!(counts["stillPresent"], 0, "{verified}");
    assert_eq!(counts["verifiedRemoved"].as_u64(), Some(succeeded), "{verified}");

    // And a fresh pull in yet another process no longer finds them.
    let before = demo["pull"]["eligible"].as_u64().unwrap_or(0)
        + demo["pull"]["active"].as_u64().unwrap_or(0);
    let pulled = cli(data, &["tenant", "pull", "demo"]);
    let after = pulled["pull"]["eligible"].as_u64().unwrap_or(0)
        + pulled["pull"]["active"].as_u64().unwrap_or(0);
    assert!(after < before, "the pull sees fewer assignments: {before} then {after}");
}
