//! The campaign flow through the `recert-cli` binary, as a scheduled job or a script would run
//! it: every command a separate process on one data directory, on the built-in demo tenant.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

struct Cli<'a> {
    data: &'a Path,
}

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_recert-cli"))
            .args(args)
            .env("RECERT_DATA_DIR", self.data)
            .output()
            .expect("recert-cli runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.run(args);
        assert!(ok, "recert-cli {args:?} failed: {stderr}");
        stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut with = args.to_vec();
        with.push("--json");
        serde_json::from_str(&self.ok(&with))
            .unwrap_or_else(|err| panic!("{args:?} printed no JSON: {err}"))
    }
}

#[test]
fn define_open_decide_import_close_export_verify() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let cli = Cli { data: dir.path() };

    // The demo tenant's governance admins come from its data: whoever actively holds a
    // governing directory role.
    let admins = cli.json(&["admins", "list"]);
    let admin = admins[0]["upn"].as_str().expect("a demo admin").to_string();
    assert!(admins.as_array().is_some_and(|a| a.iter().all(|x| x["how"] == "demo")), "{admins}");

    // Without `--as` the run acts as the demo tenant's application, which may not define.
    let bad = [
        "campaign",
        "create",
        "--name",
        "x",
        "--duration-days",
        "200",
        "--start",
        "2026-01-01T09:00",
    ];
    let (ok, _, stderr) = cli.run(&bad);
    assert!(!ok && stderr.contains("forbidden") && stderr.contains("define"), "{stderr}");
    // A definition refused field by field, then a valid one due since last quarter.
    let (ok, _, stderr) = cli.run(&[&bad[..], &["--as", &admin]].concat());
    assert!(
        !ok && stderr.contains("reviewers.fallback") && stderr.contains("schedule.durationDays"),
        "{stderr}"
    );

    // Somebody to fall back to: the first reviewer-worthy user of the demo tenant's population.
    cli.ok(&["demo"]);
    let campaigns = cli.json(&["campaign", "list"]);
    let demo_campaign =
        campaigns["campaigns"][0]["id"].as_str().expect("the demo's campaign").to_string();
    let detail = cli.json(&["campaign", "show", &demo_campaign]);
    let fallback = detail["definition"]["reviewers"]["fallback"][0]["upn"]
        .as_str()
        .expect("a fallback")
        .to_string();

    let created = cli.json(&[
        "--as",
        &admin,
        "campaign",
        "create",
        "--name",
        "Monthly Global Admin review",
        "--fallback",
        &fallback,
        "--recurrence",
        "monthly",
        "--duration-days",
        "10",
        "--start",
        "2026-01-01T09:00",
        "--time-zone",
        "Europe/Berlin",
        "--kinds",
        "active",
    ]);
    let definition = created["definition"]["id"].as_str().expect("an id").to_string();
    assert_eq!(created["next"].as_array().map(Vec::len), Some(4), "{created}");

    let opened = cli.json(&["campaign", "open", &definition, "--as", &admin]);
    let campaign = opened["id"].as_str().expect("a campaign id").to_string();
    assert!(opened["items"].as_u64().unwrap_or(0) > 0, "{opened}");
    // Opening again by hand creates the next occurrence, never the same one twice.
    let listed = cli.json(&["campaign", "list"]);
    assert_eq!(listed["campaigns"].as_array().map(Vec::len), Some(2));

    // A reviewer's queue, one decision, a bad import that changes nothing, a good import.
    let detail = cli.json(&["campaign", "show", &campaign]);
    let reviewer = detail["reviewers"]
        .as_array()
        .and_then(|r| r.iter().max_by_key(|x| x["assigned"].as_u64()))
        .expect("a reviewer")
        .clone();
    let upn = reviewer["upn"].as_str().expect("upn");
    let page = cli.json(&["worklist", &campaign, "--reviewer", upn, "--limit", "1000"]);
    let items: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["principalUpn"].as_str() != Some(upn))
        .map(|i| i["id"].to_string())
        .collect();
    assert!(!items.is_empty(), "{page}");
    // An unattended run never decides.
    let (ok, _, stderr) = cli.run(&["decide", &campaign, "deny", &items[0], "-j", "x"]);
    assert!(!ok && stderr.contains("may not decide"), "{stderr}");
    let (ok, _, stderr) = cli.run(&["decide", &campaign, "deny", &items[0], "--as", upn]);
    assert!(!ok && stderr.contains("justification"), "a deny needs a reason: {stderr}");
    cli.ok(&["decide", &campaign, "deny", &items[0], "--as", upn, "-j", "No longer on the team"]);
    let (ok, _, stderr) =
        cli.run(&["decide", &campaign, "approve", &items[0], "--as", "nobody@nowhere.test"]);
    assert!(!ok && stderr.contains("nobody@nowhere.test"), "{stderr}");

    let csv_path = dir.path().join("from-manager.csv");
    let rows: Vec<String> =
        items.iter().skip(1).map(|i| format!("{i},approve,still needed")).collect();
    std::fs::write(
        &csv_path,
        format!("item,decision,justification\n{}\n999999,approve,\n", rows.join("\n")),
    )
    .expect("csv");
    let (ok, _, stderr) =
        cli.run(&["decisions", "import", &campaign, csv_path.to_str().expect("path"), "--as", upn]);
    assert!(!ok && stderr.contains("999999"), "an unknown item fails the import: {stderr}");
    let shown = cli.json(&["campaign", "show", &campaign]);
    assert_eq!(shown["campaign"]["decided"].as_u64(), Some(1), "the failed import applied nothing");
    std::fs::write(&csv_path, format!("item,decision,justification\n{}\n", rows.join("\n")))
        .expect("csv");
    cli.ok(&["decisions", "import", &campaign, csv_path.to_str().expect("path"), "--as", upn]);
    let shown = cli.json(&["campaign", "show", &campaign]);
    assert_eq!(shown["campaign"]["decided"].as_u64(), Some(items.len() as u64));

    // Close (an admin), export (the application may), verify; run-due is idempotent.
    let non_admin = detail["reviewers"]
        .as_array()
        .and_then(|r| {
            r.iter().filter_map(|x| x["upn"].as_str()).find(|u| {
                !admins.as_array().is_some_and(|a| a.iter().any(|x| x["upn"].as_str() == Some(u)))
            })
        })
        .expect("a reviewer who is no admin");
    let (ok, _, stderr) = cli.run(&["campaign", "close", &campaign, "--as", non_admin]);
    assert!(!ok && stderr.contains("only a governance admin"), "{stderr}");
    let closed = cli.json(&["campaign", "close", &campaign, "--as", &admin]);
    assert_eq!(closed["campaign"]["state"], "closed", "{closed}");
    let pdf = dir.path().join("binder.pdf");
    cli.ok(&["evidence", &campaign, "--pdf", pdf.to_str().expect("path")]);
    let verified = cli.json(&["verify", &campaign, "--pdf", pdf.to_str().expect("path")]);
    assert_eq!(verified["ok"], true, "{verified}");

    // Sign-off needs a fresh sign-in: acting as the owner is none, and is refused for it.
    let (ok, _, stderr) =
        cli.run(&["--as", &admin, "campaign", "sign-off", &campaign, "--capacity", "owner"]);
    assert!(!ok && stderr.contains("freshSignInRequired"), "{stderr}");
    assert!(stderr.contains("not an authentication"), "{stderr}");
    let status = cli.json(&["campaign", "sign-offs", &campaign]);
    assert_eq!(status["version"], 1, "{status}");
    assert_eq!(status["missing"], serde_json::json!(["campaignOwner", "compliance"]), "{status}");

    // The auditor's sample: the seed printed, the same seed the same items.
    let out = |name: &str| dir.path().join(name).to_str().expect("path").to_string();
    let a = cli.json(&[
        "evidence",
        "sample",
        &campaign,
        "--size",
        "3",
        "--seed",
        "7",
        "--out",
        &out("a.pdf"),
    ]);
    let b = cli.json(&[
        "evidence",
        "sample",
        &campaign,
        "--size",
        "3",
        "--seed",
        "7",
        "--out",
        &out("b.pdf"),
    ]);
    assert_eq!(a["seed"], "7", "{a}");
    assert_eq!(a["items"], b["items"], "the same seed draws the same items: {a} {b}");
    assert_eq!(a["items"].as_array().map(Vec::len), Some(3), "{a}");
    let text = cli.ok(&["evidence", "sample", &campaign, "--size", "3", "--out", &out("c.pdf")]);
    assert!(text.contains("--seed"), "a drawn seed is printed to draw it again: {text}");
    let first = cli.json(&["run-due"]);
    let second = cli.json(&["run-due"]);
    assert_eq!(
        second["opened"].as_array().map(Vec::len),
        Some(0),
        "run twice opens nothing new: {first} then {second}"
    );
}
