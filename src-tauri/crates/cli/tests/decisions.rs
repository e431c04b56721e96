//! The decisions that fit privileged access through the `recert-cli` binary, each command a
//! separate process on one data directory and the built-in demo tenant: `decide` with
//! `dont-know`, `convert` and `approve-until:YYYY-MM-DD`, and `decisions import` of a CSV with
//! each (the date in its own column or in the decision). What does not fit is refused with its
//! reason and, for an import, nothing of the file is applied: "don't know" without a note, a
//! conversion of an eligible assignment, a date that is not a date or not after today.

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

    /// A command that must fail: its error output.
    fn refused(&self, args: &[&str]) -> String {
        let (ok, _, stderr) = self.run(args);
        assert!(!ok, "recert-cli {args:?} was not refused");
        stderr
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

#[test]
fn decide_and_import_dont_know_convert_and_approve_until() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let cli = Cli { data: dir.path() };
    let admins = cli.json(&["admins", "list"]);
    let admin = admins[0]["upn"].as_str().expect("a demo admin").to_string();
    let admin_ids: Vec<&str> =
        admins.as_array().expect("admins").iter().map(|a| s(a, "principalId")).collect();

    // A review of directory roles the admin reviews (deciding as the named reviewer).
    let created = cli.json(&[
        "--as",
        &admin,
        "campaign",
        "create",
        "--name",
        "Standing access",
        "--reviewers",
        "named",
        "--named",
        &admin,
        "--fallback",
        &admin,
        "--recurrence",
        "none",
        "--duration-days",
        "14",
        "--start",
        "2026-01-01T09:00",
    ]);
    let definition = s(&created["definition"], "id").to_string();
    let campaign =
        s(&cli.json(&["campaign", "open", &definition, "--as", &admin]), "id").to_string();
    let page = cli.json(&["worklist", &campaign, "--limit", "1000"]);
    let items = page["items"].as_array().expect("items");
    // People's direct assignments, none of an admin's own (nobody decides on their own access).
    let people = |kind: &str| -> Vec<String> {
        items
            .iter()
            .filter(|i| s(i, "kind") == kind && s(i, "membership") == "direct")
            .filter(|i| s(i, "principalType") == "user")
            .filter(|i| !admin_ids.contains(&s(i, "principalId")))
            .filter(|i| !s(i, "principalUpn").starts_with("breakglass"))
            .map(|i| i["id"].to_string())
            .collect()
    };
    let (active, eligible) = (people("active"), people("eligible"));
    assert!(active.len() >= 4 && eligible.len() >= 4, "{} {}", active.len(), eligible.len());
    let decided = || cli.json(&["campaign", "show", &campaign])["campaign"]["decided"].as_u64();
    let item = |id: &str| -> Value {
        let page = cli.json(&["worklist", &campaign, "--limit", "1000"]);
        page["items"]
            .as_array()
            .and_then(|all| {
                all.iter().find(|i| i["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(id))
            })
            .cloned()
            .unwrap_or_else(|| panic!("item {id}"))
    };
    let me = ["--as", admin.as_str()];

    // `decide`, each new decision and what it refuses.
    let err = cli.refused(&[&me[..], &["decide", &campaign, "dont-know", &eligible[0]]].concat());
    assert!(err.contains("say what you do not know"), "a note is required: {err}");
    cli.ok(&[&me[..], &["decide", &campaign, "dont-know", &eligible[0], "-j", "ask IT"]].concat());
    let err = cli.refused(&[&me[..], &["decide", &campaign, "convert", &eligible[1]]].concat());
    assert!(err.contains("only an active assignment can be converted"), "{err}");
    cli.ok(&[&me[..], &["decide", &campaign, "convert", &active[0]]].concat());
    let err = cli.refused(
        &[&me[..], &["decide", &campaign, "approve-until:2020-01-31", &eligible[1]]].concat(),
    );
    assert!(err.contains("2020-01-31 is not after today"), "{err}");
    for bad in ["approve-until:2030-02-30", "approve-until:tomorrow", "approve-until"] {
        let err = cli.refused(&[&me[..], &["decide", &campaign, bad, &eligible[1]]].concat());
        assert!(err.contains("is not a decision"), "{bad}: {err}");
    }
    cli.ok(&[&me[..], &["decide", &campaign, "approve-until:2030-06-30", &eligible[1]]].concat());
    assert_eq!(decided(), Some(3));
    assert_eq!(s(&item(&eligible[0]), "decision"), "dontKnow");
    assert_eq!(s(&item(&active[0]), "decision"), "convertToEligible");
    let until = item(&eligible[1]);
    assert_eq!((s(&until, "decision"), s(&until, "decisionUntil")), ("approveUntil", "2030-06-30"));

    // `decisions import`: a file with anything wrong applies nothing and names every bad line.
    let csv = dir.path().join("decisions.csv");
    let import = |text: &str| -> (bool, String) {
        std::fs::write(&csv, text).expect("write the CSV");
        let (ok, _, stderr) = cli.run(
            &[&me[..], &["decisions", "import", &campaign, csv.to_str().expect("a path")]].concat(),
        );
        (ok, stderr)
    };
    let (ok, err) = import(&format!(
        "item,decision,justification,until\n\
         {a},convertToEligible,no standing access,\n\
         {b},approveUntil,project ends,2030-13-01\n\
         {c},approveUntil:someday,,\n\
         {d},dontKnow,,\n",
        a = active[1],
        b = eligible[2],
        c = eligible[3],
        d = active[2]
    ));
    assert!(!ok, "{err}");
    assert!(err.contains("line 3") && err.contains("line 4"), "each bad date named: {err}");
    assert_eq!(decided(), Some(3), "nothing of a bad file is applied");
    // Lines that parse but do not fit the item are refused whole too.
    let (ok, err) = import(&format!(
        "item,decision,justification\n{},convertToEligible,no standing access\n{},dontKnow,\n",
        eligible[2], active[2]
    ));
    assert!(!ok, "{err}");
    assert!(err.contains("only an active assignment can be converted"), "{err}");
    assert!(err.contains("say what you do not know"), "{err}");
    assert_eq!(decided(), Some(3), "nothing of a refused file is applied");

    let (ok, err) = import(&format!(
        "item,decision,justification,until\n\
         {a},convertToEligible,no standing access,\n\
         {b},approveUntil,project ends,2030-03-31\n\
         {c},approveUntil:2031-01-15,contract,\n\
         {d},dontKnow,not my team,\n",
        a = active[1],
        b = eligible[2],
        c = eligible[3],
        d = active[2]
    ));
    assert!(ok, "{err}");
    assert_eq!(decided(), Some(7));
    assert_eq!(s(&item(&active[1]), "decision"), "convertToEligible");
    let b = item(&eligible[2]);
    assert_eq!((s(&b, "decision"), s(&b, "decisionUntil")), ("approveUntil", "2030-03-31"));
    let c = item(&eligible[3]);
    assert_eq!((s(&c, "decision"), s(&c, "decisionUntil")), ("approveUntil", "2031-01-15"));
    assert_eq!(s(&item(&active[2]), "decision"), "dontKnow");
}
