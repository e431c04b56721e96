//! Trust through `recert-app`, the API the window's commands and the CLI call: who acts comes
//! from the session (never from a caller), governance admins hold the keys, the interlocks hold at
//! the moment of removal against live state and every removal pending in the tenant, one apply
//! runs per tenant, a removal not made stays open until a person resolves it, and reviewers stay
//! independent through groups and pairs. Each test is named after what it prevents.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use recert_app::campaigns::dto::{ReviewerDto, WorklistQueryDto};
use recert_app::dto::ActingRoleDto;
use recert_app::remediation::Resolution;
use recert_app::remediation::dto::{
    CriticalRoleDto, RemediationActionDto, RemediationPlanDto, SafetyDto,
};
use recert_app::{CancellationToken, ErrorCode, Verdict};
use recert_emulator::{Options, Tenant};
use recert_tests::{Harness, at, lead, quarterly};
use serde_json::{Value, json};

use crate::remediation::{addressed, assert_at_most_once, definition, quiet, upn_of};

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// The users holding `role` directly (eligible or standing active), with their UPNs, in the
/// tenant's own data.
fn holders(tenant: &Tenant, role: &str) -> BTreeMap<String, String> {
    let upn: BTreeMap<String, String> =
        tenant.users().iter().map(|u| (text(u, "id"), text(u, "userPrincipalName"))).collect();
    tenant
        .eligibility_instances()
        .iter()
        .chain(tenant.assignment_instances())
        .filter(|i| text(i, "roleDefinitionId") == role && text(i, "memberType") == "Direct")
        .filter(|i| text(i, "assignmentType") != "Activated")
        .filter_map(|i| {
            upn.get(&text(i, "principalId")).map(|u| (text(i, "principalId"), u.clone()))
        })
        .collect()
}

fn demo() -> Tenant {
    Tenant::demo_at(at(2026, 1, 1, 0))
}

/// A pulled harness on the demo tenant at 5 January with its governance admins bootstrapped.
async fn harness(options: Options) -> Harness {
    let h = Harness::start(demo(), options).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    h
}

/// A user who is no governance admin and holds no role at all.
async fn bystander(h: &Harness) -> String {
    let admins = h.admins().await;
    let tenant = demo();
    let holding: BTreeSet<String> = tenant
        .eligibility_instances()
        .iter()
        .chain(tenant.assignment_instances())
        .map(|i| text(i, "principalId"))
        .collect();
    tenant
        .users()
        .iter()
        .filter(|u| !holding.contains(&text(u, "id")) && u["accountEnabled"] != false)
        .map(|u| text(u, "userPrincipalName"))
        .find(|u| !u.contains("#EXT#") && !admins.iter().any(|a| a.eq_ignore_ascii_case(u)))
        .expect("a user who holds nothing")
}

/// A campaign over `role` only that removes exactly `remove` (everyone else in scope is
/// excluded), opened and closed with nobody answering, by the admin acting now.
async fn removal_of(h: &Harness, name: &str, role: &str, remove: &[&str]) -> String {
    let tenant = demo();
    let reviewer = bystander(h).await;
    let mut d = definition(&h.tenant_id, &["directoryRole"], &reviewer);
    d.name = name.into();
    d.scope.role_ids = vec![role.into()];
    d.scope.exclusions = holders(&tenant, role)
        .into_values()
        .filter(|u| !remove.iter().any(|r| r.eq_ignore_ascii_case(u)))
        .collect();
    // Only people: members of groups holding the role keep their access through the group,
    // and service principals are not what these drills are about.
    d.scope.principal_types.groups = false;
    d.scope.principal_types.service_principals = false;
    let created = h.app.definition_create(d).await.expect("a definition");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    h.app.campaign_close(&campaign, None).await.expect("close");
    campaign
}

/// A Graph write as an administrator would make it in the tenant, outside Recert.
async fn graph_post(h: &Harness, path: &str, body: Value) -> (u16, Value) {
    let emu = &h.emulator;
    let mut http = reqwest::Client::builder();
    if let Some(der) = emu.certificate_der() {
        http = http.tls_certs_merge([reqwest::Certificate::from_der(&der).expect("a certificate")]);
    }
    let http = http.build().expect("a client");
    let (id, secret) = emu.app_client();
    let token: Value = http
        .post(format!("{}/login/{}/oauth2/v2.0/token", emu.base_url(), emu.tenant_id()))
        .form(&[
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("a token")
        .json()
        .await
        .expect("token JSON");
    let answer = http
        .post(format!("{}/graph/v1.0{path}", emu.base_url()))
        .bearer_auth(text(&token, "access_token"))
        .json(&body)
        .send()
        .await
        .expect("the request is answered");
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_never_recorded_as_someone_who_did_not_make_it() {
    let h = harness(Options::default()).await;
    h.act_as_admin_except(&[&lead(&demo())]).await;
    let created =
        h.app.definition_create(quarterly(&h.tenant_id, &lead(&demo()))).await.expect("defined");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    let detail = h.app.campaign(&campaign).await.expect("detail");
    let admins = h.admins().await;
    let mut reviewers =
        detail.reviewers.iter().filter(|r| !admins.iter().any(|a| a.eq_ignore_ascii_case(&r.upn)));
    let (alice, bob) = (reviewers.next().expect("a reviewer"), reviewers.next().expect("another"));
    let page =
        |who: String| WorklistQueryDto { reviewer: Some(who), limit: 1000, ..Default::default() };
    let alices = h.app.worklist(&campaign, page(alice.id.clone())).await.expect("page").items;
    let item =
        alices.iter().find(|i| !i.reviewers.iter().any(|r| r.id == bob.id)).expect("an item");

    // Nobody acts yet: nothing is recorded, whoever the caller would like to name.
    h.app.stop_acting(&h.tenant_id);
    let err = h
        .app
        .decide(
            &campaign,
            vec![item.id],
            Verdict::Approve,
            String::new(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("nobody acts");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    // Bob acts: he is not the item's reviewer, and cannot decide as Alice.
    h.act_as(&bob.upn).await;
    let err = h
        .app
        .decide(
            &campaign,
            vec![item.id],
            Verdict::Approve,
            String::new(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("not bob's item");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    // Alice acts: the decision names her, taken from the session.
    h.act_as(&alice.upn).await;
    h.app
        .decide(
            &campaign,
            vec![item.id],
            Verdict::Approve,
            String::new(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("alice decides");
    let decided = h.app.worklist(&campaign, page(alice.id.clone())).await.expect("page").items;
    let decided = decided.iter().find(|i| i.id == item.id).expect("the item");
    assert_eq!(decided.decided_by.as_deref(), Some(alice.upn.as_str()));
    let log = h
        .app
        .audit_log(recert_app::dto::AuditQueryDto {
            kind: Some("decision.recorded".into()),
            ..Default::default()
        })
        .await
        .expect("the log");
    assert_eq!(log.events[0].actor, alice.upn, "the audit log names who decided");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looking_someone_up_never_changes_who_acts() {
    let h = harness(Options::default()).await;
    let me = h.act_as_admin().await;
    let other = bystander(&h).await;
    let found = h.app.find_person(&h.tenant_id, &other).await.expect("found");
    assert_eq!(found.upn, other);
    let acting = h.app.acting(&h.tenant_id).await.expect("who acts");
    assert_eq!(acting.person.map(|p| p.upn), Some(me.upn), "still the admin");
    assert_eq!(acting.role, ActingRoleDto::GovernanceAdmin);
    let err = h.app.find_person(&h.tenant_id, "nobody@nowhere.test").await.expect_err("unknown");
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_acting_on_one_tenant_never_acts_on_another() {
    let h = harness(Options::default()).await;
    h.app.connect(recert_tests::connection(&h.emulator, "second")).expect("a second tenant");
    h.app.as_application("set-up").pull("second").await.expect("pulled");
    let me = h.act_as_admin().await;
    let there = h.app.acting("second").await.expect("who acts there");
    assert_eq!((there.person, there.role), (None, ActingRoleDto::Nobody));
    let err = h.app.pull("second").await.expect_err("nobody acts on the second tenant");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    // Leaving the tenant (the window switching) ends the "act as" choice made there.
    h.app.stop_acting(&h.tenant_id);
    let here = h.app.acting(&h.tenant_id).await.expect("who acts here");
    assert_eq!(
        (here.person, here.role),
        (None, ActingRoleDto::Nobody),
        "{} no longer acts",
        me.upn
    );
    // "Act as" is the demo tenant's only: a real tenant takes a sign-in.
    h.app
        .add_tenant(recert_app::dto::TenantSettingsDto {
            id: "fabrikam".into(),
            name: "Fabrikam".into(),
            tenant_guid: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            cloud: "public".into(),
            base_url: None,
            auth: "interactive".into(),
            client_id: Some("5d1a3f0e-7c1b-4e0a-9a57-2f2b0c8e1a03".into()),
            certificate_path: None,
        })
        .await
        .expect("a real tenant");
    let err = h.app.act_as("fabrikam", &me.upn).await.expect_err("not on a real tenant");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_definition_cannot_name_a_reviewer_the_tenant_does_not_know_as_such() {
    let h = harness(Options::default()).await;
    h.act_as_admin().await;
    let real = bystander(&h).await;
    let person = h.app.find_person(&h.tenant_id, &real).await.expect("the real person");
    let mut d = quarterly(&h.tenant_id, &real);
    // The caller sends a forged id and name with a real UPN: the tenant's own win.
    d.reviewers.fallback = vec![ReviewerDto {
        id: "00000000-0000-0000-0000-00000000dead".into(),
        upn: real.clone(),
        display_name: "Someone Else".into(),
    }];
    let created = h.app.definition_create(d).await.expect("defined");
    let stored = &created.definition.reviewers.fallback[0];
    assert_eq!(
        (stored.id.as_str(), stored.display_name.as_str()),
        (person.id.as_str(), person.display_name.as_str())
    );
    // An id without a UPN must be a user of the tenant too.
    let mut d = quarterly(&h.tenant_id, "");
    d.name = "Forged".into();
    d.reviewers.fallback = vec![ReviewerDto {
        id: "00000000-0000-0000-0000-00000000dead".into(),
        upn: String::new(),
        display_name: "Mallory".into(),
    }];
    let err = h.app.definition_create(d).await.expect_err("unknown id");
    assert_eq!(err.fields[0].field, "reviewers.fallback", "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_governance_admin_nobody_holds_the_keys() {
    let h = Harness::start(demo(), Options::default()).await;
    h.clock.set(at(2026, 1, 5, 9));
    // Pulled, but no admin bootstrapped.
    h.app.as_application("set-up").pull(&h.tenant_id).await.expect("pulled");
    let tenant = demo();
    let ga: Vec<String> = holders(&tenant, GA).into_values().collect();
    h.act_as(&ga[2]).await;
    let err = h
        .app
        .definition_create(quarterly(&h.tenant_id, &lead(&tenant)))
        .await
        .expect_err("no admin");
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(
        err.message.contains("no governance admin") && err.message.contains("bootstrap"),
        "{err:?}"
    );
    let err = h
        .app
        .set_remediation_safety(
            &h.tenant_id,
            h.app.remediation_safety(&h.tenant_id).await.expect("safety"),
        )
        .await
        .expect_err("no admin");
    assert!(err.message.contains("bootstrap"), "{err:?}");
    let report = h.app.as_application("scheduler").run_due().await.expect("a run");
    assert!(report.opened.is_empty() && report.failed.is_empty(), "{report:?}");
    let acting = h.app.acting(&h.tenant_id).await.expect("who acts");
    assert!(!acting.admins_exist && acting.role == ActingRoleDto::Person, "{acting:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_active_holder_of_a_governing_role_becomes_the_first_admin() {
    let h = Harness::start(demo(), Options::default()).await;
    h.app.as_application("set-up").pull(&h.tenant_id).await.expect("pulled");
    let tenant = demo();
    let users = tenant.users();
    let upn = |i: usize| text(&users[i], "userPrincipalName");
    // users[4] is an eligible Global Administrator: eligible is not active.
    let eligible_only = upn(4);
    h.act_as(&eligible_only).await;
    let err = h.app.bootstrap_admin(&h.tenant_id).await.expect_err("eligible only");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    assert!(err.message.contains("does not actively hold"), "{err:?}");
    let err = h.app.as_application("set-up").bootstrap_admin(&h.tenant_id).await.expect_err("app");
    assert_eq!(err.code, ErrorCode::Forbidden, "an unattended run bootstraps nobody: {err:?}");
    // users[2] actively holds Global Administrator: read from the tenant, they become the first.
    let first = h.act_as(&upn(2)).await;
    let admins = h.app.bootstrap_admin(&h.tenant_id).await.expect("bootstrapped");
    assert_eq!(admins.len(), 1);
    assert_eq!((admins[0].upn.as_str(), admins[0].how.as_str()), (first.upn.as_str(), "bootstrap"));
    let err = h.app.bootstrap_admin(&h.tenant_id).await.expect_err("only the first");
    assert_eq!(err.code, ErrorCode::Conflict);
    // The admin adds another (audited); a non-admin may not; the last one stays.
    let other = bystander(&h).await;
    h.app.add_admin(&h.tenant_id, &eligible_only).await.expect("added");
    h.act_as(&other).await;
    let err = h.app.add_admin(&h.tenant_id, &other).await.expect_err("not an admin");
    assert!(err.message.contains("only a governance admin"), "{err:?}");
    h.act_as(&eligible_only).await;
    h.app.remove_admin(&h.tenant_id, &first.upn).await.expect("removed");
    let err = h.app.remove_admin(&h.tenant_id, &eligible_only).await.expect_err("the last one");
    assert_eq!(err.code, ErrorCode::Conflict);
    let events = h
        .app
        .audit_log(recert_app::dto::AuditQueryDto {
            search: Some("admin".into()),
            ..Default::default()
        })
        .await
        .expect("log");
    let kinds: Vec<(String, String)> =
        events.events.iter().rev().map(|e| (e.kind.clone(), e.actor.clone())).collect();
    assert_eq!(
        kinds,
        [
            ("admin.added".to_string(), first.upn.clone()),
            ("admin.added".to_string(), first.upn.clone()),
            ("admin.removed".to_string(), eligible_only.clone()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_minimum_holder_interlock_is_never_switched_off_without_a_recorded_reason() {
    let h = harness(Options::default()).await;
    let admin = h.act_as_admin().await;
    let none = |because: Option<&str>| SafetyDto {
        protected_principals: Vec::new(),
        critical_roles: Vec::new(),
        no_critical_roles_because: because.map(str::to_string),
    };
    let err = h.app.set_remediation_safety(&h.tenant_id, none(None)).await.expect_err("no reason");
    assert_eq!((err.code, err.fields[0].field.as_str()), (ErrorCode::Invalid, "criticalRoles"));
    let err =
        h.app.set_remediation_safety(&h.tenant_id, none(Some("  "))).await.expect_err("blank");
    assert_eq!(err.code, ErrorCode::Invalid);
    let why = "a lab tenant: no production administrators";
    h.app.set_remediation_safety(&h.tenant_id, none(Some(why))).await.expect("explicit");
    let safety = h.app.remediation_safety(&h.tenant_id).await.expect("read back");
    assert_eq!(safety.no_critical_roles_because.as_deref(), Some(why));
    let log = h
        .app
        .audit_log(recert_app::dto::AuditQueryDto {
            kind: Some("setting.changed".into()),
            ..Default::default()
        })
        .await
        .expect("the log");
    assert_eq!(log.events[0].actor, admin.upn, "who switched it off");
    assert!(log.events[0].details.contains(why), "{}", log.events[0].details);
    // With a critical role the reason is dropped: it explains an empty list only.
    let one = SafetyDto {
        critical_roles: vec![CriticalRoleDto {
            role_id: GA.into(),
            name: "GA".into(),
            minimum_holders: 2,
        }],
        ..none(Some(why))
    };
    h.app.set_remediation_safety(&h.tenant_id, one).await.expect("saved");
    assert_eq!(
        h.app.remediation_safety(&h.tenant_id).await.expect("read").no_critical_roles_because,
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unattended_run_never_decides_and_is_recorded_as_the_application() {
    let h = harness(Options::default()).await;
    h.act_as_admin_except(&[&lead(&demo())]).await;
    let created =
        h.app.definition_create(quarterly(&h.tenant_id, &lead(&demo()))).await.expect("defined");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    let app = h.app.as_application("nightly job");
    let err = app
        .decide(
            &campaign,
            vec![1],
            Verdict::Approve,
            String::new(),
            recert_domain::review::DecisionSource::Cli,
        )
        .await
        .expect_err("never");
    assert!(err.message.contains("unattended run may not decide"), "{err:?}");
    let err = app
        .accept_recommendations(&campaign, WorklistQueryDto::default())
        .await
        .expect_err("never");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    h.clock.set(at(2026, 3, 1, 9));
    let report = app.run_due().await.expect("the schedule runs");
    assert_eq!(report.closed, std::slice::from_ref(&campaign), "{report:?}");
    let log = h
        .app
        .audit_log(recert_app::dto::AuditQueryDto {
            campaign_id: Some(campaign),
            ..Default::default()
        })
        .await
        .expect("log");
    let closed = log.events.iter().find(|e| e.kind == "campaign.closed").expect("closed");
    assert_eq!(closed.actor, "nightly job");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_break_glass_account_protected_after_close_is_never_removed() {
    let h = harness(Options::default()).await;
    let tenant = demo();
    let break_glass = upn_of(&tenant, "breakglass");
    h.act_as_admin_except(&break_glass.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let campaign = removal_of(&h, "Break-glass drill", GA, &[&break_glass[0]]).await;
    let plan = h.app.remediation_plan(&campaign).await.expect("plan");
    assert_eq!((plan.counts.actions, plan.counts.held), (1, 0), "planned while unprotected");
    // After the close, the account is protected.
    let mut safety = h.app.remediation_safety(&h.tenant_id).await.expect("safety");
    safety.protected_principals = vec![break_glass[0].to_uppercase()];
    h.app.set_remediation_safety(&h.tenant_id, safety).await.expect("protected");
    let applied = h
        .app
        .remediation_apply(&campaign, &quiet(), CancellationToken::new())
        .await
        .expect("apply");
    let action = &applied.actions[0];
    assert_eq!(
        (action.state.as_str(), action.state_code.as_deref()),
        ("skipped", Some("protectedPrincipal"))
    );
    assert!(action.exception, "a removal not made is an open exception");
    assert!(
        h.emulator.mutation_log().iter().all(|m| addressed(m).is_none()),
        "no request was sent"
    );
    assert_eq!(applied.campaign_state.as_str(), "remediating", "it does not end quietly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_campaigns_can_no_longer_leave_one_global_administrator() {
    let h = harness(Options::default()).await;
    let tenant = demo();
    let ga = holders(&tenant, GA);
    let users = tenant.users();
    let upn = |i: usize| text(&users[i], "userPrincipalName");
    let (keep, b_target) = (upn(0), upn(2));
    // The admin who runs both holds no Global Administrator: nobody resolves their own access.
    h.act_as_admin().await;
    let admin = bystander(&h).await;
    h.app.add_admin(&h.tenant_id, &admin).await.expect("a second admin");
    let admin = h.act_as(&admin).await;
    assert!(ga.len() >= 4, "{ga:?}");
    // Campaign A removes every Global Administrator but two; campaign B removes one of those
    // two. Each alone leaves at least two: planned, not held.
    let everyone_else: Vec<&str> =
        ga.values().map(String::as_str).filter(|u| *u != keep && *u != b_target).collect();
    let a = removal_of(&h, "Campaign A", GA, &everyone_else).await;
    let b = removal_of(&h, "Campaign B", GA, &[&b_target]).await;
    let plan_a = h.app.remediation_plan(&a).await.expect("plan A");
    let plan_b = h.app.remediation_plan(&b).await.expect("plan B");
    assert_eq!(
        plan_a.counts.held + plan_b.counts.held,
        0,
        "{:?} {:?}",
        plan_a.counts,
        plan_b.counts
    );
    assert!(plan_a.counts.actions as usize >= everyone_else.len() - 1, "{:?}", plan_a.counts);

    // Applied one after the other, whatever the order, they never leave one holder.
    let applied_a =
        h.app.remediation_apply(&a, &quiet(), CancellationToken::new()).await.expect("A");
    let applied_b =
        h.app.remediation_apply(&b, &quiet(), CancellationToken::new()).await.expect("B");
    let held: Vec<_> = applied_a
        .actions
        .iter()
        .chain(&applied_b.actions)
        .filter(|x| x.state_code.as_deref() == Some("criticalRoleMinimum"))
        .collect();
    assert!(!held.is_empty(), "the interlock held at the moment of removal");
    assert!(
        held.iter()
            .all(|x| x.exception
                && x.state_reason.as_deref().is_some_and(|r| r.contains("minimum 2")))
    );
    // A person retries A's held removals: live state still says no.
    let again: Vec<u32> =
        applied_a.actions.iter().filter(|x| x.exception).map(|x| x.item_id).collect();
    if !again.is_empty() {
        h.app.remediation_resolve(&a, again, Resolution::Retry, None).await.expect("retried");
        h.app.remediation_apply(&a, &quiet(), CancellationToken::new()).await.expect("A again");
    }
    let log = h.emulator.mutation_log();
    assert_at_most_once(&log);
    let removed: BTreeSet<String> = log
        .iter()
        .filter(|m| (200..300).contains(&m.status))
        .filter(|m| text(&m.body, "roleDefinitionId") == GA)
        .map(|m| text(&m.body, "principalId").to_lowercase())
        .collect();
    // Every holder's instances of the role: those left after the removals that were accepted.
    let left = ga.keys().filter(|id| !removed.contains(&id.to_lowercase())).count();
    assert!(left >= 2, "{left} Global Administrator(s) left; removed {removed:?} by {}", admin.upn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_apply_of_the_tenant_is_refused_while_one_runs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("recert.db");
    let h = Harness::start_with_db(demo(), Options::default(), Some(&db)).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    let admin = h.act_as_admin().await;
    let tenant = demo();
    let reader = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
    let readers: Vec<String> = holders(&tenant, reader).into_values().collect();
    let first =
        removal_of(&h, "First", reader, &readers.iter().map(String::as_str).collect::<Vec<_>>())
            .await;
    // A second process on the same database: its own in-process guard, the same lease row.
    let other = recert_app::App::open(&db, {
        let clock = h.clock.clone();
        std::sync::Arc::new(move || clock.now())
    })
    .expect("a second app");
    other.connect(recert_tests::connection(&h.emulator, &h.tenant_id)).expect("connected");
    other.act_as(&h.tenant_id, &admin.upn).await.expect("the same admin");

    // A slow tenant and one request at a time: the first run lasts while the others try.
    let slow = recert_emulator::Faults { latency_ms: 400, ..recert_emulator::Faults::default() };
    h.emulator.set_faults(slow).expect("latency");
    let running = {
        let app = h.app.clone();
        let first = first.clone();
        tokio::spawn(async move {
            let options = recert_app::remediation::ApplyOptions { concurrency: 1 };
            app.remediation_apply_with(&first, options, &quiet(), CancellationToken::new()).await
        })
    };
    // Wait until the run holds the lease (it has submitted something).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !h.emulator.mutation_log().iter().any(|m| addressed(m).is_some()) {
        assert!(std::time::Instant::now() < deadline, "the first apply never sent anything");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let err = other
        .remediation_apply(&first, &quiet(), CancellationToken::new())
        .await
        .expect_err("one apply at a time");
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert!(
        err.message.contains(&admin.upn) && err.message.contains(&first),
        "who and what: {err:?}"
    );
    let err = h
        .app
        .remediation_apply(&first, &quiet(), CancellationToken::new())
        .await
        .expect_err("in this process too");
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    h.emulator.set_faults(recert_emulator::Faults::default()).expect("fast again");
    let done = running.await.expect("joined").expect("the first apply finishes");
    assert_eq!(done.counts.planned + done.counts.submitted, 0);
    // Released: the next run goes ahead and finds nothing left to send.
    let removals = || h.emulator.mutation_log().iter().filter(|m| addressed(m).is_some()).count();
    let sent = removals();
    other.remediation_apply(&first, &quiet(), CancellationToken::new()).await.expect("free again");
    assert_eq!(removals(), sent, "nothing was sent twice");
    assert_at_most_once(&h.emulator.mutation_log());
}

/// Applies the campaign's removals; the plan after, and the action about `principal`.
async fn apply(
    h: &Harness,
    campaign: &str,
    principal: &str,
) -> (RemediationPlanDto, RemediationActionDto) {
    let applied =
        h.app.remediation_apply(campaign, &quiet(), CancellationToken::new()).await.expect("apply");
    let action = applied
        .actions
        .iter()
        .find(|a| a.principal_id.eq_ignore_ascii_case(principal))
        .expect("the action")
        .clone();
    (applied, action)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_not_made_never_ends_quietly() {
    let h = harness(Options::default()).await;
    let tenant = demo();
    let admin = h.act_as_admin().await;
    // A user (not the admin) with exactly one grant of a role that is not critical.
    let role = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    let grants = |id: &str| {
        tenant
            .eligibility_instances()
            .iter()
            .map(|i| (true, i))
            .chain(tenant.assignment_instances().iter().map(|i| (false, i)))
            .filter(|(_, i)| text(i, "principalId") == id && text(i, "roleDefinitionId") == role)
            .map(|(eligible, _)| eligible)
            .collect::<Vec<bool>>()
    };
    let (id, upn) = holders(&tenant, role)
        .into_iter()
        .find(|(id, u)| !u.eq_ignore_ascii_case(&admin.upn) && grants(id).len() == 1)
        .expect("a holder of the role with one grant");
    let collection = if grants(&id)[0] {
        "roleEligibilityScheduleRequests"
    } else {
        "roleAssignmentScheduleRequests"
    };
    let campaign = removal_of(&h, "Drift drill", role, &[&upn]).await;
    // Outside Recert, the assignment is replaced by a new one: the reviewer never saw it.
    let path = format!("/roleManagement/directory/{collection}");
    let target = json!({ "principalId": id, "roleDefinitionId": role, "directoryScopeId": "/", "justification": "replaced" });
    let mut remove = target.clone();
    remove["action"] = json!("adminRemove");
    assert_eq!(graph_post(&h, &path, remove).await.0, 201);
    let mut assign = target.clone();
    assign["action"] = json!("adminAssign");
    assign["scheduleInfo"] = json!({ "startDateTime": null, "expiration": { "type": "afterDuration", "duration": "P30D" } });
    let (status, body) = graph_post(&h, &path, assign).await;
    assert_eq!(status, 201, "{body}");
    let removals = |h: &Harness| -> Vec<recert_emulator::MutationRecord> {
        h.emulator.mutation_log().into_iter().filter(|m| addressed(m).is_some()).collect()
    };
    let before = removals(&h).len();

    let (_, action) = apply(&h, &campaign, &id).await;
    assert_eq!((action.state.as_str(), action.state_code.as_deref()), ("skipped", Some("drift")));
    assert_eq!(removals(&h).len(), before, "drift: nothing sent");
    let verified = h.app.remediation_verify(&campaign).await.expect("verify");
    assert_eq!((verified.counts.exceptions, verified.campaign_state.as_str()), (1, "remediating"));

    // Nobody but an admin resolves it, and not with a blank reason.
    let bystander = bystander(&h).await;
    h.act_as(&bystander).await;
    let err = h
        .app
        .remediation_resolve(&campaign, vec![action.item_id], Resolution::Retry, None)
        .await
        .expect_err("not an admin");
    assert_eq!(err.code, ErrorCode::Forbidden);
    h.act_as(&admin.upn).await;
    let err = h
        .app
        .remediation_resolve(&campaign, vec![action.item_id], Resolution::Keep, Some(" ".into()))
        .await
        .expect_err("a reason");
    assert_eq!(err.code, ErrorCode::Invalid);
    // Re-planned at the live assignment, it is sent — and the service refuses (a new
    // assignment cannot be removed within minutes): an open exception again, not an end.
    let replanned = h
        .app
        .remediation_resolve(&campaign, vec![action.item_id], Resolution::Replan, None)
        .await
        .expect("re-planned");
    assert_eq!(replanned.counts.planned, 1);
    let (_, action) = apply(&h, &campaign, &id).await;
    assert_eq!(action.state, recert_domain::remediation::ActionState::Skipped, "{action:?}");
    assert!(action.exception && action.retries == 1, "{action:?}");
    let sent = removals(&h);
    assert!(sent.len() == before + 1 && sent[before].status == 400, "{:?}", sent.last());
    // A retry goes through the same checks again.
    h.app
        .remediation_resolve(&campaign, vec![action.item_id], Resolution::Retry, None)
        .await
        .expect("retried");
    let (applied, _) = apply(&h, &campaign, &id).await;
    assert_eq!(applied.counts.exceptions, 1);
    // Kept with a reason by a named admin: settled, and the campaign completes.
    let why = "the replacement is the new on-call rota's; reviewed again next quarter";
    let kept = h
        .app
        .remediation_resolve(&campaign, vec![action.item_id], Resolution::Keep, Some(why.into()))
        .await
        .expect("kept");
    let action =
        kept.actions.iter().find(|a| a.principal_id.eq_ignore_ascii_case(&id)).expect("the action");
    assert_eq!(
        (action.kept_by.as_deref(), action.kept_reason.as_deref()),
        (Some(admin.upn.as_str()), Some(why))
    );
    assert_eq!((kept.counts.exceptions, kept.campaign_state.as_str()), (0, "completed"));
    // The evidence lists it as an exception with who kept it and why.
    let dir = tempfile::tempdir().expect("a temp dir");
    let paths = recert_app::evidence::EvidencePaths {
        pdf: None,
        csv: None,
        json: Some(dir.path().join("b.json")),
    };
    h.app.evidence_export(&campaign, paths).await.expect("exported");
    let binder: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("b.json")).expect("json"))
            .expect("JSON");
    let exception = binder["binder"]["exceptions"]
        .as_array()
        .and_then(|e| e.iter().find(|x| x["item_id"].as_u64() == Some(action.item_id.into())))
        .expect("listed as an exception");
    let reason = exception["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&admin.upn) && reason.contains(why), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_reviews_their_own_access_through_a_group_or_a_colleague_who_reviews_them_back() {
    let h = harness(Options::default()).await;
    let tenant = demo();
    let admin = h.act_as_admin().await;
    // A role-assignable group that holds a directory role, and one of its members.
    let role_groups: BTreeSet<String> = tenant
        .eligibility_instances()
        .iter()
        .chain(tenant.assignment_instances())
        .map(|i| text(i, "principalId"))
        .filter(|p| tenant.group_members().contains_key(p))
        .collect();
    let (group, member) = role_groups
        .iter()
        .find_map(|g| {
            let members = tenant.group_members().get(g)?;
            let m = members.iter().find_map(|m| tenant.user(m))?;
            Some((g.clone(), text(m, "userPrincipalName")))
        })
        .expect("a role-holding group with a member");
    let fallback = bystander(&h).await;
    let mut d = definition(&h.tenant_id, &["directoryRole"], &fallback);
    d.name = "Groups".into();
    d.reviewers.named =
        vec![ReviewerDto { id: String::new(), upn: member.clone(), display_name: String::new() }];
    let created = h.app.definition_create(d).await.expect("defined");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    let all = h
        .app
        .worklist(&campaign, WorklistQueryDto { limit: 1000, ..Default::default() })
        .await
        .expect("items")
        .items;
    let groups_items: Vec<_> =
        all.iter().filter(|i| i.principal_id.eq_ignore_ascii_case(&group)).collect();
    assert!(!groups_items.is_empty(), "the group's assignment is reviewed");
    for item in &groups_items {
        assert!(
            item.reviewers.iter().all(|r| r.upn == fallback
                && r.rerouted_because
                    .as_deref()
                    .is_some_and(|w| w.contains("member of the group"))),
            "{item:?}"
        );
    }
    // The member cannot decide it either, not even as an admin acting for the reviewer.
    h.app.add_admin(&h.tenant_id, &member).await.ok();
    h.act_as(&member).await;
    let err = h
        .app
        .decide(
            &campaign,
            vec![groups_items[0].id],
            Verdict::Approve,
            String::new(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("own access through the group");
    assert!(err.message.contains("own access"), "{err:?}");

    // Two holders of the same role named as each other's reviewers: one side goes to the
    // fallback, and a reviewer who holds the role is flagged.
    h.act_as(&admin.upn).await;
    let ga: Vec<String> = holders(&tenant, GA).into_values().collect();
    let (a, b) = (ga[2].clone(), ga[3].clone());
    let mut d = definition(&h.tenant_id, &["directoryRole"], &fallback);
    d.name = "Pairs".into();
    d.scope.role_ids = vec![GA.into()];
    d.reviewers.named = [&a, &b]
        .iter()
        .map(|u| ReviewerDto { id: String::new(), upn: (*u).clone(), display_name: String::new() })
        .collect();
    let created = h.app.definition_create(d).await.expect("defined");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    let items = h
        .app
        .worklist(&campaign, WorklistQueryDto { limit: 1000, ..Default::default() })
        .await
        .expect("items")
        .items;
    let of = |upn: &str| {
        items
            .iter()
            .filter(|i| i.principal_upn.as_deref() == Some(upn) && i.membership == "direct")
            .flat_map(|i| i.reviewers.iter().map(|r| r.upn.clone()))
            .collect::<BTreeSet<_>>()
    };
    let (reviews_a, reviews_b) = (of(&a), of(&b));
    assert!(
        !(reviews_a.contains(&b) && reviews_b.contains(&a)),
        "{a} and {b} review each other: {reviews_a:?} {reviews_b:?}"
    );
    assert!(reviews_a.contains(&fallback) || reviews_b.contains(&fallback), "one side rerouted");
    let flagged = items.iter().flat_map(|i| &i.reviewers).any(|r| {
        (r.upn == a || r.upn == b) && r.conflict.as_deref().is_some_and(|c| c.contains("same role"))
    });
    assert!(flagged, "a reviewer holding the role is flagged");
}

/// The binder is rendered without the store: while it is written (here into a pipe nobody reads
/// for a while), the window's other requests are answered.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporting_a_binder_never_blocks_the_rest_of_the_app() {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;

    let h = harness(Options::default()).await;
    h.act_as_admin_except(&[&lead(&demo())]).await;
    let created =
        h.app.definition_create(quarterly(&h.tenant_id, &lead(&demo()))).await.expect("defined");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    h.app.campaign_close(&campaign, None).await.expect("closed");
    let dir = tempfile::tempdir().expect("a temp dir");
    let fifo = dir.path().join("binder.pdf.partial");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    // O_NONBLOCK: the reader opens without a writer, and reads without waiting.
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(0o4000)
        .open(&fifo)
        .expect("the pipe's reading end");
    let export = {
        let app = h.app.clone();
        let paths = recert_app::evidence::EvidencePaths {
            pdf: Some(dir.path().join("binder.pdf")),
            csv: None,
            json: None,
        };
        let campaign = campaign.clone();
        tokio::spawn(async move { app.evidence_export(&campaign, paths).await })
    };
    // The PDF starts flowing; nobody reads more, so the writer fills the pipe and waits.
    let mut first = [0u8; 1];
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match reader.read(&mut first) {
            Ok(1) => break,
            _ => {
                assert!(std::time::Instant::now() < deadline, "the export never wrote");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!export.is_finished(), "the export is still writing");
    let answered = tokio::time::timeout(Duration::from_secs(10), h.app.campaigns(None)).await;
    assert!(answered.is_ok(), "the store answered while the binder was being written");
    let mut pdf = first.to_vec();
    let mut chunk = [0u8; 65536];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) if export.is_finished() => break,
            Ok(n) => pdf.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(err) => panic!("reading the pipe: {err}"),
        }
    }
    let exported = export.await.expect("joined").expect("exported");
    assert!(pdf.starts_with(b"%PDF") && exported.files.len() == 1, "{} bytes", pdf.len());
}
