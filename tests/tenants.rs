//! Real tenants through `recert-app`: settings saved without secrets, a person signing in through
//! the login page, a full pull stored with its directory, and a failed pull that stores nothing.

use std::sync::{Arc, Mutex};

use recert_app::dto::TenantSettingsDto;
use recert_app::{App, ErrorCode};
use recert_emulator::{Emulator, Faults, Options, Tenant};
use recert_tests::login::sign_in_on_page;
use recert_tests::{Harness, fixed_now};

fn settings(emu: &Emulator, auth: &str, client_id: String) -> TenantSettingsDto {
    TenantSettingsDto {
        id: "contoso".into(),
        name: "Contoso".into(),
        tenant_guid: emu.tenant_id(),
        cloud: "custom".into(),
        base_url: Some(emu.base_url()),
        auth: auth.into(),
        client_id: Some(client_id),
        certificate_path: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_and_pulls_a_saved_tenant() {
    let emu = Emulator::start(Tenant::demo(), Options::default()).await.expect("emulator");
    let app = App::open_in_memory(Arc::new(fixed_now)).expect("app");
    app.add_tenant(settings(&emu, "interactive", emu.public_client_id())).await.expect("added");
    let listed = app.tenants().await.expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].settings.as_ref().map(|s| s.auth.as_str()), Some("interactive"));
    assert!(!listed[0].connected);

    app.connect_saved("contoso", None, emu.certificate_der()).await.expect("connected");
    let err = app.pull("contoso").await.expect_err("nobody signed in yet");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    assert!(err.message.contains("sign in"), "{err:?}");

    let identity = sign_in_on_page(&app, &emu, "contoso", None).await;
    assert_eq!(app.signed_in("contoso").await.expect("known"), Some(identity.clone()));

    let pull = app.pull("contoso").await.expect("the person's pull succeeds");
    assert_eq!(pull.surfaces.len(), 3);
    assert!(pull.surfaces.iter().all(|s| s.eligible + s.active > 0), "{:?}", pull.surfaces);
    assert!(pull.principals > 0 && pull.group_members > 0 && pull.activations > 0, "{pull:?}");

    app.sign_out("contoso").await.expect("signed out");
    let err = app.pull("contoso").await.expect_err("signed out");
    assert_eq!(err.code, ErrorCode::Forbidden, "nobody acts after sign-out: {err:?}");
    let acting = app.acting("contoso").await.expect("who acts");
    assert_eq!((acting.person, acting.role), (None, recert_app::dto::ActingRoleDto::Nobody));
}

/// The demo tenant reads app-only, yet its reviewers sign in as themselves: the login page puts
/// the suggested account first, and the identity is the person's, not the app's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_signs_in_to_an_app_only_tenant() {
    let tenant = Tenant::demo();
    let emu = Emulator::start(tenant.clone(), Options::default()).await.expect("emulator");
    let app = App::open_in_memory(Arc::new(fixed_now)).expect("app");
    app.connect(recert_tests::connection(&emu, "demo")).expect("connected");
    let err = app.sign_in_interactive("demo", |_| Ok(())).await.expect_err("app-only");
    assert_eq!(err.code, ErrorCode::Invalid, "{err:?}");

    let cloud = recert_app::Cloud::custom(&emu.base_url()).expect("cloud");
    let client_id = emu.public_client_id();
    let cert = emu.certificate_der();
    app.allow_people_sign_in("demo", cloud, &emu.tenant_id(), &client_id, cert.as_deref())
        .expect("people may sign in");
    // A member user far down the directory, so the page must put them first for the hint.
    let users = tenant.users();
    let wanted = users
        .iter()
        .rev()
        .find(|u| u["userType"] == "Member" && u["accountEnabled"] != false)
        .expect("a member user");
    let upn = wanted["userPrincipalName"].as_str().expect("a upn").to_string();

    let identity = sign_in_on_page(&app, &emu, "demo", Some(&upn)).await;
    assert_eq!(identity.upn.as_deref(), Some(upn.as_str()));
    assert_eq!(Some(identity.oid.as_str()), wanted["id"].as_str());
    assert_eq!(app.signed_in("demo").await.expect("known"), Some(identity));
    // The tenant's reads still run as the app.
    app.pull("demo").await.expect("the app-only pull still works");
}

/// What the window does at a restart: the saved tenant connects by itself and the person signed
/// in before is signed in again from the kept refresh token; the tenant shows as connected once a
/// Graph read succeeded, and after a sign-out the next restart finds nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_outlives_a_restart() {
    let emu = Emulator::start(Tenant::demo(), Options::default()).await.expect("emulator");
    let dir = tempfile::tempdir().expect("a temp dir");
    let (db, tokens) = (dir.path().join("recert.db"), dir.path().join("tokens.json"));
    let root = emu.certificate_der();
    let restart = || async {
        let app = App::open(&db, Arc::new(fixed_now)).expect("app");
        app.use_token_file(&tokens);
        let failed = app.reconnect_saved(root.as_deref()).await.expect("the saved tenants");
        assert!(failed.is_empty(), "{failed:?}");
        app
    };
    let identity = {
        let app = restart().await;
        app.add_tenant(settings(&emu, "interactive", emu.public_client_id())).await.expect("added");
        app.connect_saved("contoso", None, root.clone()).await.expect("connected");
        sign_in_on_page(&app, &emu, "contoso", None).await
    };

    let app = restart().await;
    let listed = app.tenants().await.expect("listed");
    assert!(!listed[0].connected, "nothing was read yet in this run: {listed:?}");
    let check = app.tenant_check("contoso").await.expect("checked");
    assert!(check.connected, "{check:?}");
    assert_eq!(check.identity, identity.upn.clone(), "{check:?}");
    let acting = app.acting("contoso").await.expect("who acts");
    assert_eq!(acting.person.map(|p| p.upn), identity.upn.clone(), "the person acts again");
    let listed = app.tenants().await.expect("listed");
    assert!(listed[0].connected && listed[0].problem.is_none(), "{listed:?}");
    assert_eq!(listed[0].signed_in, Some(identity));

    app.sign_out("contoso").await.expect("signed out");
    let app = restart().await;
    let check = app.tenant_check("contoso").await.expect("checked");
    assert!(!check.connected, "{check:?}");
    assert_eq!(check.rows[0].area, "token");
    let listed = app.tenants().await.expect("listed");
    assert!(!listed[0].connected, "{listed:?}");
    assert!(listed[0].problem.as_deref().is_some_and(|p| p.contains("sign in")), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_that_cannot_finish_stores_nothing() {
    let harness = Harness::start(Tenant::demo(), Options::default()).await;
    let app = harness.app.as_application("test set-up");
    let first = app.pull(&harness.tenant_id).await.expect("the first pull");
    // Every request now fails with 503 for good (Retry-After 0 keeps the test quick): the
    // retries run out mid-pull.
    harness
        .emulator
        .set_faults(Faults {
            error_every: 1,
            error_status: 503,
            retry_after_secs: 0,
            ..Faults::default()
        })
        .expect("faults");
    let err = app.pull(&harness.tenant_id).await.expect_err("the service keeps failing");
    assert_eq!(err.code, ErrorCode::Unreachable, "{err:?}");
    assert!(err.message.contains("request id"), "{}", err.message);
    let summary = harness.app.role_summary(&harness.tenant_id).await.expect("still there");
    assert_eq!(summary.raw_sha256, first.raw_sha256, "the failed pull left the first one whole");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_reported_and_a_cancelled_pull_stores_nothing() {
    let harness = Harness::start(
        Tenant::demo(),
        Options { latency: std::time::Duration::from_millis(30), ..Options::default() },
    )
    .await;
    let cancel = recert_app::CancellationToken::new();
    let stop = cancel.clone();
    let events = Mutex::new(0usize);
    let progress = |_: recert_app::dto::PullProgressDto| {
        let mut n = events.lock().expect("lock");
        *n += 1;
        if *n == 20 {
            stop.cancel();
        }
    };
    let err = harness
        .app
        .as_application("test set-up")
        .pull_with_progress(&harness.tenant_id, &progress, cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(err.code, ErrorCode::Cancelled, "{err:?}");
    assert!(*events.lock().expect("lock") >= 20);
    let err = harness.app.role_summary(&harness.tenant_id).await.expect_err("nothing stored");
    assert_eq!(err.code, ErrorCode::NotPulled);
}

// See: issue 20 ("a people picker that searches the tenant's users by name, UPN or mail").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_people_picker_finds_users_by_name_upn_or_mail_in_the_pull_then_in_the_tenant() {
    let tenant = Tenant::demo();
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.pull().await;
    let mut searched = false;
    let pulled: Vec<(String, String, Option<String>)> = {
        let mut out = Vec::new();
        for u in tenant.users() {
            let (Some(upn), Some(name)) =
                (u["userPrincipalName"].as_str(), u["displayName"].as_str())
            else {
                continue;
            };
            let mail = u["mail"].as_str().map(str::to_string);
            let known = h.app.find_person(&h.tenant_id, upn).await.is_ok();
            out.push((upn.to_string(), name.to_string(), mail.filter(|_| known)));
            if !known && !searched {
                searched = true;
                // A user the pull did not keep (no role, manages nobody who has one): the tenant
                // itself answers, through Graph's $search.
                let hits = h.app.search_people(&h.tenant_id, name).await.expect("searched");
                let hit = hits.iter().find(|p| p.upn == upn).expect("found in the tenant");
                assert!(!hit.in_directory, "{hit:?}");
            }
        }
        out
    };
    let (upn, name, _) =
        pulled.iter().find(|(upn, ..)| !upn.contains("#EXT#")).expect("a member user");
    let first = name.split_whitespace().next().expect("a name");
    let by_name = h.app.search_people(&h.tenant_id, first).await.expect("by name");
    assert!(by_name.iter().any(|p| &p.upn == upn && p.in_directory), "{by_name:?}");
    let local = upn.split('@').next().expect("a local part");
    let by_upn = h.app.search_people(&h.tenant_id, local).await.expect("by UPN");
    assert!(by_upn.iter().any(|p| &p.upn == upn), "{by_upn:?}");
    if let Some((upn, _, Some(mail))) = pulled.iter().find(|(.., mail)| mail.is_some()) {
        let by_mail = h.app.search_people(&h.tenant_id, mail).await.expect("by mail");
        assert!(by_mail.iter().any(|p| &p.upn == upn), "{by_mail:?}");
    }
    assert!(h.app.search_people(&h.tenant_id, "  ").await.expect("blank").is_empty());
}
