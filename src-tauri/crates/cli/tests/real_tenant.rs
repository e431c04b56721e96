//! A saved tenant — not the demo tenant — driven through the `recert-cli` binary as a scheduled
//! job would: every command a process of its own on one data directory, reaching an emulator
//! that plays the tenant over HTTPS. A person signs in once with a device code; their refresh
//! token is kept in the token file (`RECERT_TOKEN_FILE`, chosen explicitly because a test
//! machine has no keychain), so every later process acts as them: bootstrap, pull, define,
//! run-due opens, decide, close, apply, verify, evidence, verify. An app-only tenant reads with
//! its secret from the environment, and one that cannot be reached fails only its own work.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use recert_emulator::{Emulator, Options, Tenant};
use serde_json::Value;

const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

struct Cli {
    data: PathBuf,
    cert: PathBuf,
    tokens: PathBuf,
}

impl Cli {
    fn command(&self, args: &[&str]) -> Command {
        let mut cli = Command::new(env!("CARGO_BIN_EXE_recert-cli"));
        cli.args(args)
            .env("RECERT_DATA_DIR", &self.data)
            .env("RECERT_TRUST_CERT", &self.cert)
            .env("RECERT_TOKEN_FILE", &self.tokens)
            .env_remove("RECERT_CLIENT_SECRET")
            .env_remove("RECERT_DEMO_URL");
        cli
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
        let mut cli = self.command(args);
        for (k, v) in env {
            cli.env(k, v);
        }
        let out = cli.output().expect("recert-cli runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        self.run_with(args, &[])
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut with = args.to_vec();
        with.push("--json");
        let (ok, stdout, stderr) = self.run(&with);
        assert!(ok, "recert-cli {args:?} failed: {stderr}");
        serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("{args:?} printed no JSON ({err}): {stdout}"))
    }
}

/// A user who actively holds Global Administrator, directly and through PIM (not a break-glass
/// account): the tenant's first governance admin.
fn global_admin(tenant: &Tenant) -> (String, String) {
    tenant
        .assignment_instances()
        .iter()
        .filter(|i| {
            i["roleDefinitionId"] == GLOBAL_ADMINISTRATOR
                && i["directoryScopeId"].as_str().unwrap_or("/") == "/"
                && i["assignmentType"].as_str().unwrap_or("Assigned") == "Assigned"
                && i["memberType"].as_str().unwrap_or("Direct") == "Direct"
        })
        .filter_map(|i| tenant.user(i["principalId"].as_str()?))
        .filter_map(|u| {
            Some((u["id"].as_str()?.to_string(), u["userPrincipalName"].as_str()?.to_string()))
        })
        .find(|(_, upn)| !upn.starts_with("breakglass"))
        .expect("the tenant has an active Global Administrator")
}

/// `tenant sign-in --device-code` in its own process; the person approves the code on the
/// emulator's verification page (here: through its handle) as `user_id`.
fn device_code_sign_in(cli: &Cli, emulator: &Emulator, tenant: &str, user_id: &str) -> Value {
    let mut child = cli
        .command(&["tenant", "sign-in", tenant, "--device-code", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sign-in starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let message = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("enter the code"))
        .expect("the CLI shows the code to enter");
    let code = message
        .split("enter the code ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a user code")
        .to_string();
    assert!(emulator.approve_device_code(&code, user_id), "the code {code} is pending");
    let out = child.wait_with_output().expect("the sign-in ends");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(out.status.success(), "the sign-in failed: {}", rest.join("\n"));
    serde_json::from_slice(&out.stdout).expect("the sign-in prints JSON")
}

fn write_pem(dir: &Path, emulator: &Emulator) -> PathBuf {
    let cert = dir.join("tenant.pem");
    std::fs::write(&cert, emulator.certificate_pem().expect("TLS")).expect("write the PEM");
    cert
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_tenant_runs_a_whole_campaign_from_the_cli() {
    let tenant = Tenant::demo();
    let (admin_id, admin_upn) = global_admin(&tenant);
    let emulator = Emulator::start(tenant, Options::default()).await.expect("the emulator");
    let dir = tempfile::tempdir().expect("a temp dir");
    let cli = Cli {
        data: dir.path().join("data"),
        cert: write_pem(dir.path(), &emulator),
        tokens: dir.path().join("tokens.json"),
    };
    let guid = emulator.tenant_id();
    let base = emulator.base_url();

    let added = cli.json(&[
        "tenant",
        "add",
        "contoso",
        "--name",
        "Contoso",
        "--tenant-guid",
        &guid,
        "--cloud",
        "custom",
        "--base-url",
        &base,
        "--auth",
        "interactive",
        "--client-id",
        &emulator.public_client_id(),
    ]);
    assert_eq!(added["tenant"]["id"], "contoso", "{added}");

    // Nobody signed in: the pull is refused with the way forward.
    let (ok, _, stderr) = cli.run(&["tenant", "pull", "contoso"]);
    assert!(!ok && stderr.contains("sign in"), "{stderr}");

    let signed_in = device_code_sign_in(&cli, &emulator, "contoso", &admin_id);
    assert_eq!(signed_in["identity"]["upn"], admin_upn.as_str(), "{signed_in}");
    let kept = std::fs::read_to_string(&cli.tokens).expect("the token file exists");
    assert!(kept.contains("contoso:"), "the refresh token is kept for the tenant: {kept}");

    // The preflight as the person: every check passes for an active Global Administrator.
    let checked = cli.json(&["tenant", "check", "contoso"]);
    let rows = checked["check"]["rows"].as_array().expect("rows").clone();
    assert!(rows.iter().all(|r| r["state"] == "pass"), "{checked:#}");
    assert!(rows.iter().any(|r| r["area"] == "role"), "the person's roles are checked: {checked}");
    assert!(rows.iter().any(|r| r["area"] == "azure"), "Azure is checked: {checked}");
    assert_eq!(checked["check"]["delegated"], true);

    // Every later process acts as the person, from the kept refresh token.
    let admins = cli.json(&["admins", "bootstrap", "--tenant", "contoso"]);
    assert!(admins.to_string().contains(&admin_upn), "{admins}");
    let pulled = cli.json(&["tenant", "pull", "contoso"]);
    assert!(pulled["pull"]["eligible"].as_u64().unwrap_or(0) > 0, "{pulled}");
    let listed = cli.json(&["tenant", "list"]);
    assert_eq!(listed["tenants"][0]["tenant"]["id"], "contoso", "{listed}");

    // A definition whose first window is open now: the scheduled run opens it.
    let start = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT09:00");
    let created = cli.json(&[
        "campaign",
        "create",
        "--tenant",
        "contoso",
        "--name",
        "Contoso directory roles",
        "--fallback",
        &admin_upn,
        "--recurrence",
        "none",
        "--duration-days",
        "14",
        "--start",
        &start.to_string(),
        "--no-recommendations",
    ]);
    let definition = created["definition"]["id"].as_str().expect("a definition").to_string();
    let due = cli.json(&["run-due"]);
    let opened = due["opened"].as_array().expect("opened").clone();
    assert_eq!(opened.len(), 1, "{due}");
    assert!(due["failed"].as_array().is_some_and(Vec::is_empty), "{due}");
    let campaign = cli.json(&["campaign", "list"])["campaigns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["definitionId"] == definition.as_str()).cloned())
        .and_then(|c| c["id"].as_str().map(str::to_string))
        .expect("the opened campaign");

    // The admin denies three direct eligibilities of other people in non-critical roles.
    let page = cli.json(&["worklist", &campaign, "--limit", "1000"]);
    let denied: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| {
            i["kind"] == "eligible"
                && i["membership"] == "direct"
                && i["principalType"] == "user"
                && i["principalId"] != admin_id.as_str()
                && !i["roleName"].as_str().unwrap_or_default().contains("Administrator")
        })
        .take(3)
        .map(|i| i["id"].to_string())
        .collect();
    assert_eq!(denied.len(), 3, "{page}");
    let mut decide = vec!["decide", &campaign, "deny"];
    decide.extend(denied.iter().map(String::as_str));
    decide.extend(["-j", "No longer needed"]);
    cli.json(&decide);
    let closed = cli.json(&["campaign", "close", &campaign]);
    assert_eq!(closed["campaign"]["state"], "closed", "{closed}");

    let applied = cli.json(&["remediation", "apply", &campaign]);
    assert_eq!(applied["counts"]["succeeded"], 3, "{applied}");
    let verified = cli.json(&["remediation", "verify", &campaign]);
    assert_eq!(verified["counts"]["verifiedRemoved"], 3, "{verified}");
    // The removals reached the tenant as the signed-in person, once each.
    let removals: Vec<_> = emulator
        .mutation_log()
        .into_iter()
        .filter(|m| m.path.contains("roleEligibilityScheduleRequests") && m.status < 300)
        .collect();
    assert_eq!(removals.len(), 3, "{removals:?}");
    assert!(
        removals.iter().all(|m| m.caller.as_deref() == Some(admin_id.as_str())),
        "{removals:?}"
    );

    let pdf = dir.path().join("binder.pdf");
    let pdf = pdf.to_str().expect("a path");
    cli.json(&["evidence", &campaign, "--pdf", pdf]);
    let checked = cli.json(&["verify", &campaign, "--pdf", pdf]);
    assert_eq!(checked["ok"], true, "{checked}");

    // Signing out forgets the kept token: the next process acts for nobody.
    cli.json(&["tenant", "sign-out", "contoso"]);
    let kept = std::fs::read_to_string(&cli.tokens).expect("the token file");
    assert!(!kept.contains("contoso:"), "{kept}");
    let (ok, _, stderr) = cli.run(&["campaign", "close", &campaign]);
    assert!(!ok && stderr.contains("sign"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_only_tenant_reads_with_its_secret_from_the_environment() {
    let emulator = Emulator::start(Tenant::demo(), Options::default()).await.expect("emulator");
    let dir = tempfile::tempdir().expect("a temp dir");
    let cli = Cli {
        data: dir.path().join("data"),
        cert: write_pem(dir.path(), &emulator),
        tokens: dir.path().join("tokens.json"),
    };
    let (client_id, secret) = emulator.app_client();
    cli.json(&[
        "tenant",
        "add",
        "fabrikam",
        "--tenant-guid",
        &emulator.tenant_id(),
        "--cloud",
        "custom",
        "--base-url",
        &emulator.base_url(),
        "--auth",
        "appSecret",
        "--client-id",
        &client_id,
    ]);
    let (ok, _, stderr) = cli.run(&["tenant", "pull", "fabrikam"]);
    assert!(!ok && stderr.contains("secret"), "no secret, no pull: {stderr}");
    let (ok, _, stderr) =
        cli.run_with(&["tenant", "pull", "fabrikam"], &[("RECERT_CLIENT_SECRET", "wrong")]);
    assert!(!ok && stderr.contains("signInFailed"), "a wrong secret is refused: {stderr}");
    let (ok, stdout, stderr) = cli.run_with(
        &["tenant", "pull", "fabrikam", "--json"],
        &[("RECERT_CLIENT_SECRET", secret.as_str())],
    );
    assert!(ok, "{stderr}");
    let pulled: Value = serde_json::from_str(&stdout).expect("JSON");
    assert!(pulled["pull"]["active"].as_u64().unwrap_or(0) > 0, "{pulled}");
    // The secret was never written down.
    for file in std::fs::read_dir(dir.path().join("data")).expect("the data directory") {
        let bytes = std::fs::read(file.expect("a file").path()).unwrap_or_default();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "a secret stored");
    }

    // The preflight with every permission: all ✓, and the tenant shows as connected.
    let with_secret = [("RECERT_CLIENT_SECRET", secret.as_str())];
    let (ok, stdout, stderr) =
        cli.run_with(&["tenant", "check", "fabrikam", "--json"], &with_secret);
    assert!(ok, "{stderr}\n{stdout}");
    let checked: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(checked["check"]["connected"], true, "{checked:#}");
    assert_eq!(checked["check"]["delegated"], false);

    // An app registration with too little: each missing permission is a ✗ naming the fix.
    let (readonly, readonly_secret) = emulator.readonly_client();
    cli.json(&[
        "tenant",
        "add",
        "readonly",
        "--tenant-guid",
        &emulator.tenant_id(),
        "--cloud",
        "custom",
        "--base-url",
        &emulator.base_url(),
        "--auth",
        "appSecret",
        "--client-id",
        &readonly,
    ]);
    let (ok, stdout, stderr) = cli.run_with(
        &["tenant", "check", "readonly", "--json"],
        &[("RECERT_CLIENT_SECRET", readonly_secret.as_str())],
    );
    assert!(!ok && stderr.contains("failed"), "a failed check exits non-zero: {stderr}");
    let checked: Value = serde_json::from_str(&stdout).expect("JSON");
    let rows = checked["check"]["rows"].as_array().expect("rows").clone();
    let failed = |name: &str| {
        rows.iter().find(|r| r["name"] == name && r["state"] == "fail").unwrap_or_else(|| {
            panic!("{name} fails: {checked:#}");
        })
    };
    let fix = failed("RoleEligibilitySchedule.ReadWrite.Directory")["fix"].as_str().unwrap_or("");
    assert!(
        fix.contains(
            "application Microsoft Graph permission RoleEligibilitySchedule.ReadWrite.Directory"
        ) && fix.contains("admin consent"),
        "{fix}"
    );
    failed("AuditLog.Read.All");
    let pass = rows.iter().find(|r| r["name"] == "RoleManagement.Read.Directory").expect("a row");
    assert_eq!(pass["state"], "pass", "{checked:#}");
    assert_eq!(checked["check"]["connected"], true, "role definitions are readable: {checked:#}");

    // A made-up directory id: no token, so not connected, and the list says why.
    cli.json(&[
        "tenant",
        "add",
        "ghost",
        "--tenant-guid",
        "0badc0de-0000-4000-8000-000000000000",
        "--cloud",
        "custom",
        "--base-url",
        &emulator.base_url(),
        "--auth",
        "appSecret",
        "--client-id",
        &client_id,
    ]);
    let (ok, stdout, _) = cli.run_with(&["tenant", "check", "ghost", "--json"], &with_secret);
    assert!(!ok);
    let checked: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(checked["check"]["connected"], false, "{checked:#}");
    assert_eq!(checked["check"]["rows"][0]["area"], "token", "{checked:#}");
    assert_eq!(checked["check"]["rows"][0]["state"], "fail", "{checked:#}");

    // The Azure CLI sign-in is refused up front, with the reason.
    let (ok, _, stderr) = cli.run(&[
        "tenant",
        "add",
        "cli",
        "--tenant-guid",
        &emulator.tenant_id(),
        "--auth",
        "azureCli",
    ]);
    assert!(!ok && stderr.contains("none that PIM"), "{stderr}");
}

/// `emulator capture`: a pulled tenant written as a fixture, pseudonymized, served by another
/// emulator and pulled again finds the same population, and no original name is in the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_tenant_serves_the_same_population() {
    let original = Tenant::demo();
    let emulator = Emulator::start(original.clone(), Options::default()).await.expect("emulator");
    let dir = tempfile::tempdir().expect("a temp dir");
    let cli = Cli {
        data: dir.path().join("data"),
        cert: write_pem(dir.path(), &emulator),
        tokens: dir.path().join("tokens.json"),
    };
    let (client_id, secret) = emulator.app_client();
    let with_secret = [("RECERT_CLIENT_SECRET", secret.as_str())];
    let add = |id: &str, emulator: &Emulator| {
        cli.json(&[
            "tenant",
            "add",
            id,
            "--tenant-guid",
            &emulator.tenant_id(),
            "--cloud",
            "custom",
            "--base-url",
            &emulator.base_url(),
            "--auth",
            "appSecret",
            "--client-id",
            &client_id,
        ]);
    };
    let pull = |id: &str| -> Value {
        let (ok, stdout, stderr) = cli.run_with(&["tenant", "pull", id, "--json"], &with_secret);
        assert!(ok, "{stderr}");
        serde_json::from_str(&stdout).expect("JSON")
    };
    add("source", &emulator);
    let fixture = dir.path().join("captured.json");
    let (ok, stdout, stderr) = cli.run_with(
        &[
            "emulator",
            "capture",
            "source",
            "--out",
            fixture.to_str().expect("a path"),
            "--pseudonymize",
            "--json",
        ],
        &with_secret,
    );
    assert!(ok, "{stderr}");
    let captured: Value = serde_json::from_str(&stdout).expect("JSON");
    assert!(captured["pages"].as_u64().unwrap_or(0) > 0, "{captured}");
    let before = pull("source");

    // No original name, UPN or mail address is in the file.
    let text = std::fs::read_to_string(&fixture).expect("the fixture");
    for user in original.users() {
        for field in ["userPrincipalName", "displayName", "mail"] {
            if let Some(value) = user[field].as_str().filter(|v| v.len() > 3) {
                assert!(!text.contains(value), "{field} {value} is still in the fixture");
            }
        }
    }

    // Served by another emulator and pulled again: the same population.
    let replay =
        Emulator::start(Tenant::from_fixture_file(&fixture).expect("it loads"), Options::default())
            .await
            .expect("the replay");
    assert_eq!(replay.tenant_id(), emulator.tenant_id());
    let replay_pem = dir.path().join("replay.pem");
    std::fs::write(&replay_pem, replay.certificate_pem().expect("TLS")).expect("write");
    let cli = Cli { cert: replay_pem, ..cli };
    cli.json(&[
        "tenant",
        "add",
        "replayed",
        "--tenant-guid",
        &replay.tenant_id(),
        "--cloud",
        "custom",
        "--base-url",
        &replay.base_url(),
        "--auth",
        "appSecret",
        "--client-id",
        &client_id,
    ]);
    let (ok, stdout, stderr) =
        cli.run_with(&["tenant", "pull", "replayed", "--json"], &with_secret);
    assert!(ok, "{stderr}");
    let after: Value = serde_json::from_str(&stdout).expect("JSON");
    for key in ["eligible", "active", "roles", "principals", "groupMembers"] {
        assert_eq!(after["pull"][key], before["pull"][key], "{key}: {before:#} then {after:#}");
    }
    assert_eq!(after["pull"]["surfaces"], before["pull"]["surfaces"]);
}

/// One decision item of the emulator's reviews for a worklist item: `(decision id, manager)`.
fn entra_item(emulator: &Emulator, item: &Value) -> Option<(String, String)> {
    let role = item["roleName"].as_str()?;
    let kind = item["kind"].as_str()?;
    emulator.access_review_decisions().into_iter().find_map(|d| {
        let review = d["definitionName"].as_str()?;
        (review.contains(&format!("– {role} ({kind})"))
            && d["decision"]["principal"]["id"] == item["principalId"])
            .then(|| {
                Some((
                    d["decision"]["id"].as_str()?.to_string(),
                    d["reviewers"][0].as_str()?.to_string(),
                ))
            })
            .flatten()
    })
}

/// A campaign delivered through Entra Access Reviews, run as a scheduled job would: `run-due`
/// opens and publishes it, two managers decide in Entra (the emulator), `run-due` syncs, a
/// manager changes their decision and another resets theirs to not reviewed before the close
/// (synced again: the reset item is undecided), the close stops the reviews with a final
/// sync, and remediation removes what Entra's reviewer denied, through Recert's interlocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_delivered_through_entra_access_reviews_runs_from_the_schedule() {
    let tenant = Tenant::demo();
    let (admin_id, admin_upn) = global_admin(&tenant);
    let emulator = Emulator::start(tenant, Options::default()).await.expect("the emulator");
    let dir = tempfile::tempdir().expect("a temp dir");
    let cli = Cli {
        data: dir.path().join("data"),
        cert: write_pem(dir.path(), &emulator),
        tokens: dir.path().join("tokens.json"),
    };
    cli.json(&[
        "tenant",
        "add",
        "contoso",
        "--tenant-guid",
        &emulator.tenant_id(),
        "--cloud",
        "custom",
        "--base-url",
        &emulator.base_url(),
        "--auth",
        "interactive",
        "--client-id",
        &emulator.public_client_id(),
    ]);
    device_code_sign_in(&cli, &emulator, "contoso", &admin_id);
    cli.json(&["admins", "bootstrap", "--tenant", "contoso"]);
    cli.json(&["tenant", "pull", "contoso"]);
    let start = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT09:00");
    let created = cli.json(&[
        "campaign",
        "create",
        "--tenant",
        "contoso",
        "--name",
        "Contoso in Entra",
        "--surfaces",
        "directoryRole,azureRole",
        "--fallback",
        &admin_upn,
        "--recurrence",
        "none",
        "--duration-days",
        "14",
        "--start",
        &start.to_string(),
        "--no-recommendations",
        "--delivery",
        "entra",
    ]);
    assert_eq!(created["definition"]["settings"]["delivery"], "entraAccessReviews", "{created}");

    // The scheduled run opens the campaign and publishes it.
    let due = cli.json(&["run-due"]);
    assert_eq!(due["opened"].as_array().map(Vec::len), Some(1), "{due}");
    let campaign = due["opened"][0].as_str().expect("a campaign id").to_string();
    assert_eq!(due["published"][0], campaign.as_str(), "{due}");
    assert!(due["failed"].as_array().is_some_and(Vec::is_empty), "{due}");
    let reviews = emulator.access_review_definitions();
    assert!(!reviews.is_empty());
    assert!(reviews.iter().all(|r| r["settings"]["autoApplyDecisionsEnabled"] == false));
    let (_, shown, _) = cli.run(&["campaign", "show", &campaign]);
    assert!(shown.contains("Entra Access Reviews"), "{shown}");

    // Two managers' items: direct eligibilities of users in roles no interlock holds back, the
    // only item of their principal, role and kind.
    let page = cli.json(&["worklist", &campaign, "--limit", "5000"]);
    let items = page["items"].as_array().expect("items").clone();
    let unique = |i: &Value| {
        items
            .iter()
            .filter(|j| {
                j["principalId"] == i["principalId"]
                    && j["roleId"] == i["roleId"]
                    && j["kind"] == i["kind"]
            })
            .count()
            == 1
    };
    let mut picked: Vec<(Value, String, String)> = Vec::new();
    for item in items.iter().filter(|i| {
        i["surface"] == "directoryRole"
            && i["kind"] == "eligible"
            && i["membership"] == "direct"
            && i["principalType"] == "user"
            && i["principalId"] != admin_id.as_str()
            && !i["roleName"].as_str().unwrap_or_default().contains("Global")
            && !i["roleName"].as_str().unwrap_or_default().contains("Privileged")
            && !i["principalUpn"].as_str().unwrap_or_default().starts_with("breakglass")
            && unique(i)
    }) {
        let Some((decision, manager)) = entra_item(&emulator, item) else { continue };
        if picked.iter().any(|(_, _, m)| *m == manager) {
            continue;
        }
        picked.push((item.clone(), decision, manager));
        if picked.len() == 2 {
            break;
        }
    }
    assert_eq!(picked.len(), 2, "two managers review an item each");
    let (reset_item, reset_decision, reset_manager) = picked[0].clone();
    let (denied_item, denied_decision, denied_manager) = picked[1].clone();
    emulator.decide_access_review(&reset_decision, &reset_manager, "Deny", "moved").expect("ok");
    emulator.decide_access_review(&denied_decision, &denied_manager, "Approve", "").expect("ok");
    let due = cli.json(&["run-due"]);
    assert_eq!(due["synced"][0], campaign.as_str(), "{due}");
    let detail = cli.json(&["campaign", "show", &campaign]);
    assert_eq!(
        (detail["campaign"]["decided"].as_u64(), detail["campaign"]["denied"].as_u64()),
        (Some(2), Some(1))
    );

    // Before the close: one manager changes their mind, the other resets their decision.
    emulator
        .decide_access_review(&denied_decision, &denied_manager, "Deny", "no longer needed")
        .expect("changed");
    emulator
        .decide_access_review(&reset_decision, &reset_manager, "NotReviewed", "")
        .expect("reset");
    cli.json(&["run-due"]);
    let detail = cli.json(&["campaign", "show", &campaign]);
    assert_eq!(
        (detail["campaign"]["decided"].as_u64(), detail["campaign"]["denied"].as_u64()),
        (Some(1), Some(1)),
        "{detail}"
    );
    let reset_now = cli.json(&["worklist", &campaign, "--limit", "5000"])["items"]
        .as_array()
        .and_then(|l| l.iter().find(|i| i["id"] == reset_item["id"]).cloned())
        .expect("the reset item");
    assert!(reset_now["decision"].is_null(), "undecided again: {reset_now}");

    // The close stops every review after a final sync; nobody can decide in Entra any more.
    let closed = cli.json(&["campaign", "close", &campaign]);
    assert_eq!(closed["campaign"]["state"], "closed", "{closed}");
    assert!(emulator.access_review_decisions().iter().all(|d| d["instanceStatus"] == "Completed"));
    assert!(emulator.decide_access_review(&reset_decision, &reset_manager, "Deny", "").is_err());

    // Remediation removes the one denied in Entra, through Recert's interlocks.
    let applied = cli.json(&["remediation", "apply", &campaign]);
    assert_eq!(applied["counts"]["succeeded"], 1, "{applied}");
    let verified = cli.json(&["remediation", "verify", &campaign]);
    assert_eq!(verified["counts"]["verifiedRemoved"], 1, "{verified}");
    let removals: Vec<_> = emulator
        .mutation_log()
        .into_iter()
        .filter(|m| m.path.contains("roleEligibilityScheduleRequests") && m.status < 300)
        .collect();
    assert_eq!(removals.len(), 1, "{removals:?}");
    assert!(
        emulator.mutation_log().iter().all(|m| !m.path.contains("applyDecisions")),
        "Entra applied nothing"
    );
    assert!(denied_item["id"].is_number());
}
