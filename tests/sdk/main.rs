//! The official Microsoft Graph SDK for Python pages through a generated tenant served by the
//! emulator and gets every item (`roleEligibilityScheduleInstances` and `users`).
//!
//! Needs `RECERT_PYTHON`: a Python with `msgraph-sdk` installed (the project's test set-up makes one).

use std::path::PathBuf;
use std::process::Stdio;

use recert_emulator::{Emulator, GenerateOptions, Options, Tenant};
use serde_json::Value;

fn python() -> String {
    match std::env::var("RECERT_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => panic!(
            "RECERT_PYTHON is not set: point it at a Python that has msgraph-sdk installed \
             (the test set-up of `cargo xtask test` creates one)"
        ),
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sdk").join("page_all.py")
}

async fn run_sdk(emu: &Emulator, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (client_id, secret) = emu.app_client();
    let mut args = vec![
        script().display().to_string(),
        "--base".into(),
        emu.base_url(),
        "--tenant".into(),
        emu.tenant_id(),
        "--client-id".into(),
        client_id,
        "--client-secret".into(),
        secret,
    ];
    if let Some(pem) = emu.certificate_pem() {
        let path = dir.path().join("emulator.pem");
        std::fs::write(&path, pem).expect("the certificate is written");
        args.push("--ca".into());
        args.push(path.display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = tokio::process::Command::new(python())
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("the Python interpreter in RECERT_PYTHON runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "page_all.py failed ({}):\n{stderr}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("page_all.py printed no JSON ({e}):\n{stdout}\n{stderr}"))
}

fn assert_complete(tenant: &Tenant, counts: &Value) {
    let n = |k: &str| counts[k].as_u64().unwrap_or(u64::MAX) as usize;
    let eligible = tenant.eligibility_instances().len();
    let users = tenant.users().len();
    assert_eq!(n("roleEligibilityScheduleInstances"), eligible, "{counts}");
    assert_eq!(n("roleEligibilityScheduleInstancesDistinct"), eligible, "{counts}");
    assert_eq!(n("users"), users, "{counts}");
    assert_eq!(n("usersDistinct"), users, "{counts}");
}

#[tokio::test(flavor = "multi_thread")]
async fn msgraph_sdk_pages_every_item_over_https() {
    let tenant = Tenant::generate(&GenerateOptions {
        seed: 31,
        users: 1_500,
        assignments: 4_000,
        ..GenerateOptions::default()
    });
    let emu =
        Emulator::start(tenant.clone(), Options::default()).await.expect("the emulator starts");
    // Users with signInActivity come in pages of at most 120, instances in pages of 100.
    let counts = run_sdk(&emu, &[]).await;
    assert_complete(&tenant, &counts);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn msgraph_sdk_pages_small_pages() {
    let tenant = Tenant::generate(&GenerateOptions {
        seed: 32,
        users: 300,
        assignments: 700,
        ..GenerateOptions::default()
    });
    let emu = Emulator::start(tenant.clone(), Options { page_size: 7, ..Options::default() })
        .await
        .expect("the emulator starts");
    let counts = run_sdk(&emu, &["--top", "11"]).await;
    assert_complete(&tenant, &counts);
    emu.shutdown().await;
}
