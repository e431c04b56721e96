//! Remediation through `recert-app` against the emulator: the plan holds back protected
//! principals, group-based access and critical roles; apply removes the rest exactly once on every
//! surface, also with 30% of requests throttled or failing; verification re-reads the tenant.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use recert_app::campaigns::dto::DefinitionDto;
use recert_app::campaigns::{default_settings, one_reviewer_definition};
use recert_app::remediation::ApplyOptions;
use recert_app::remediation::dto::{RemediationPlanDto, SafetyDto};
use recert_app::{CancellationToken, ErrorCode};
use recert_emulator::{Faults, MutationRecord, Options, Tenant};
use recert_tests::Harness;
use serde_json::Value;

fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("a valid time")
}

pub(crate) fn upn_of(tenant: &Tenant, prefix: &str) -> Vec<String> {
    tenant
        .users()
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .filter(|u| u.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

pub(crate) fn definition(tenant_id: &str, surfaces: &[&str], fallback: &str) -> DefinitionDto {
    let mut settings = default_settings();
    settings.no_response = "remove".into();
    settings.recommendations = false;
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("a start");
    let mut d = one_reviewer_definition(tenant_id, "Remediation drill", fallback, start, settings);
    d.scope.surfaces = surfaces.iter().map(|s| s.to_string()).collect();
    d
}

/// A closed campaign in which nobody answered, so every in-scope assignment is due for removal.
async fn closed_campaign(
    surfaces: &[&str],
    safety: Option<SafetyDto>,
    options: Options,
) -> (Harness, Tenant, String) {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), options).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    h.act_as_admin().await;
    if let Some(safety) = safety {
        h.app.set_remediation_safety(&h.tenant_id, safety).await.expect("safety settings");
    }
    let reviewer =
        upn_of(&tenant, "").into_iter().find(|u| !u.starts_with("breakglass")).expect("a user");
    let created = h
        .app
        .definition_create(definition(&h.tenant_id, surfaces, &reviewer))
        .await
        .expect("a valid definition");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open");
    h.clock.set(at(2026, 1, 20, 9));
    h.app.campaign_close(&campaign.id, None).await.expect("close");
    (h, tenant, campaign.id)
}

/// The assignment a removal request addresses, from the emulator's mutation log.
pub(crate) fn addressed(m: &MutationRecord) -> Option<String> {
    let b = &m.body;
    let s =
        |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_lowercase();
    let path = m.path.split('?').next().unwrap_or_default().to_lowercase();
    if path.contains("/providers/microsoft.authorization/") {
        let scope = path
            .split("/providers/")
            .next()
            .unwrap_or_default()
            .trim_start_matches("/arm")
            .to_string();
        let collection = path.rsplit('/').nth(1).unwrap_or_default().to_string();
        let p = b.get("properties")?;
        let role = s(p, "roleDefinitionId").rsplit('/').next().unwrap_or_default().to_string();
        return Some(format!("{collection} {scope} {role} {}", s(p, "principalId")));
    }
    if path.ends_with("schedulerequests") {
        let collection = path.rsplit('/').next().unwrap_or_default().to_string();
        return Some(format!(
            "{collection} {}{} {}{} {}",
            s(b, "directoryScopeId"),
            s(b, "groupId"),
            s(b, "roleDefinitionId"),
            s(b, "accessId"),
            s(b, "principalId")
        ));
    }
    None
}

/// Per assignment: at most one accepted removal, and no removal sent after one was accepted.
pub(crate) fn assert_at_most_once(log: &[MutationRecord]) -> BTreeMap<String, usize> {
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for m in log {
        let Some(key) = addressed(m) else { continue };
        assert!(
            !accepted.contains_key(&key),
            "a removal of {key} was sent after one was accepted ({} {})",
            m.method,
            m.status
        );
        if (200..300).contains(&m.status) {
            *accepted.entry(key).or_default() += 1;
        }
    }
    accepted
}

pub(crate) fn quiet() -> impl Fn(recert_app::remediation::dto::RemediationProgressDto) + Send + Sync
{
    |_| {}
}

fn final_states(plan: &RemediationPlanDto) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for a in &plan.actions {
        *out.entry(format!("{} {}", a.state.as_str(), a.state_code.clone().unwrap_or_default()))
            .or_default() += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_by_construction_exactly_once_and_verified_on_every_surface() {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let break_glass = upn_of(&tenant, "breakglass");
    assert_eq!(break_glass.len(), 2, "the demo tenant has two break-glass accounts");
    let mut safety = recert_app::remediation::dto::SafetyDto {
        protected_principals: break_glass.clone(),
        critical_roles: Vec::new(),
        no_critical_roles_because: None,
    };
    let (h, _, id) =
        closed_campaign(&["directoryRole", "pimGroup", "azureRole"], None, Options::default())
            .await;
    // Settings changed after the close do not change a plan already made at close; a fresh
    // campaign takes them. Here the defaults (no protected principals) made the plan…
    let default_plan = h.app.remediation_plan(&id).await.expect("plan");
    assert!(
        default_plan.held.iter().any(|x| x.code == "criticalRoleMinimum"),
        "GA would go under 2"
    );
    drop(h);

    // …so start again with the break-glass accounts protected and the default critical roles.
    safety.critical_roles = h_defaults().critical_roles;
    let (h, _, id) = closed_campaign(
        &["directoryRole", "pimGroup", "azureRole"],
        Some(safety),
        Options::default(),
    )
    .await;
    let plan = h.app.remediation_plan(&id).await.expect("plan");
    assert_eq!(plan.campaign_state.as_str(), "closed");
    let held = |code: &str| plan.held.iter().filter(|x| x.code == code).collect::<Vec<_>>();
    let protected = held("protectedPrincipal");
    assert!(
        protected.iter().all(|x| break_glass.contains(x.principal_upn.as_ref().expect("a UPN")))
            && !protected.is_empty(),
        "the break-glass accounts are held: {protected:#?}"
    );
    let via_group = held("viaGroup");
    assert!(!via_group.is_empty(), "group-derived access is an exception");
    assert!(
        via_group.iter().all(|x| x.proposal.as_deref().is_some_and(|p| p.contains("remove "))),
        "each names the change to make: {:?}",
        via_group.first()
    );
    // Global Administrator keeps the two protected break-glass holders, so its other removals
    // may go; Privileged Role Administrator would be emptied, so its removals wait.
    let critical = held("criticalRoleMinimum");
    assert!(
        critical.iter().all(|x| x.role_name == "Privileged Role Administrator"),
        "{critical:#?}"
    );
    assert!(!critical.is_empty() && critical.iter().all(|x| x.confirmable));
    let surfaces: std::collections::BTreeSet<&str> =
        plan.actions.iter().map(|a| a.surface.as_str()).collect();
    assert_eq!(surfaces.len(), 3, "removals on every surface: {surfaces:?}");
    assert!(
        plan.actions.iter().all(|a| a.state == recert_domain::remediation::ActionState::Planned)
    );
    assert!(
        plan.roles.iter().any(|r| r.held > 0) && plan.people.iter().any(|p| !p.held.is_empty())
    );

    let applied =
        h.app.remediation_apply(&id, &quiet(), CancellationToken::new()).await.expect("apply");
    assert!(
        applied.actions.iter().all(|a| ["succeeded", "skipped"].contains(&a.state.as_str())),
        "{:?}",
        final_states(&applied)
    );
    assert_eq!(applied.counts.failed, 0);
    assert_eq!(applied.counts.verified_removed, applied.counts.succeeded, "{:?}", applied.counts);
    assert_eq!(
        applied.campaign_state.as_str(),
        "remediating",
        "held removals still wait for confirmation"
    );

    let log = h.emulator.mutation_log();
    let accepted = assert_at_most_once(&log);
    let removed =
        applied.actions.iter().filter(|a| a.state_code.as_deref() == Some("removed")).count();
    assert_eq!(accepted.len(), removed, "one accepted request per removed assignment");
    for m in &log {
        if let Some(body) =
            m.body.get("justification").or_else(|| m.body.pointer("/properties/justification"))
        {
            assert!(
                body.as_str().is_some_and(|j| j.contains(&id)),
                "the justification names the campaign: {body}"
            );
        }
    }
    for x in &via_group {
        let principal = x.principal_id.to_lowercase();
        assert!(
            !log.iter().any(|m| addressed(m)
                .is_some_and(|k| k.ends_with(&principal) && k.contains(&x.role_id.to_lowercase()))
                && m.body.to_string().contains("\"Group\"")),
            "no request is sent for group-based access"
        );
    }

    // A governance admin confirms one held removal; it is applied on the next run. The admin
    // is whoever acts: a person who is not one is refused whatever they claim.
    let admins = h.admins().await;
    let stranger = upn_of(&h_tenant(), "")
        .into_iter()
        .find(|u| !u.starts_with("breakglass") && !admins.iter().any(|a| a.eq_ignore_ascii_case(u)))
        .expect("a user who is no admin");
    // The admin who decides holds one of the held roles; a second admin holds none of them.
    let holders: Vec<String> = critical.iter().filter_map(|x| x.principal_upn.clone()).collect();
    let admin_upn = admins
        .iter()
        .find(|a| holders.iter().any(|h| h.eq_ignore_ascii_case(a)))
        .expect("an admin who holds a held role")
        .clone();
    let second_upn = admins
        .iter()
        .find(|a| {
            !holders.iter().any(|h| h.eq_ignore_ascii_case(a)) && !a.starts_with("breakglass")
        })
        .expect("an admin who holds none")
        .clone();
    h.act_as(&stranger).await;
    let err =
        h.app.remediation_confirm_held(&id, critical[0].item_id).await.expect_err("not an admin");
    assert_eq!(err.code, ErrorCode::Forbidden);
    let admin = h.act_as(&admin_upn).await;
    let err = h
        .app
        .remediation_confirm_held(&id, via_group[0].item_id)
        .await
        .expect_err("not confirmable");
    assert_eq!(err.code, ErrorCode::Conflict);
    let confirmable = critical
        .iter()
        .find(|x| !x.principal_id.eq_ignore_ascii_case(&admin.id))
        .expect("a held removal of someone else");
    let confirmed =
        h.app.remediation_confirm_held(&id, confirmable.item_id).await.expect("confirmed");
    assert_eq!(confirmed.counts.planned, 1);

    // The other held removals do not go ahead: the admin keeps the access, saying why. A reason
    // is required, only an admin decides, and a confirmed removal is not kept after all.
    let rest: Vec<_> = critical.iter().filter(|x| x.item_id != confirmable.item_id).collect();
    assert!(!rest.is_empty(), "more than one critical-role removal is held: {critical:#?}");
    let theirs = rest
        .iter()
        .find(|x| !x.principal_id.eq_ignore_ascii_case(&admin.id))
        .expect("another held removal of someone else");
    let err = h
        .app
        .remediation_keep_held(&id, vec![theirs.item_id], "  ".into())
        .await
        .expect_err("no reason");
    assert_eq!((err.code, err.fields.len()), (ErrorCode::Invalid, 1), "{err:?}");
    // All or nothing: one confirmed removal in the batch keeps none of it.
    let err = h
        .app
        .remediation_keep_held(
            &id,
            vec![theirs.item_id, confirmable.item_id],
            "changed my mind".into(),
        )
        .await
        .expect_err("already confirmed");
    assert_eq!(err.code, ErrorCode::Conflict);
    let plan = h.app.remediation_plan(&id).await.expect("plan");
    assert!(plan.held.iter().all(|x| x.kept_by.is_none()), "nothing was kept");
    h.act_as(&stranger).await;
    let err = h
        .app
        .remediation_keep_held(&id, vec![theirs.item_id], "mine".into())
        .await
        .expect_err("not an admin");
    assert_eq!(err.code, ErrorCode::Forbidden);
    // The admin holds one of these roles: nobody keeps their own access, a second admin does.
    let second = h.act_as(&second_upn).await;
    let admin = h.act_as(&admin_upn).await;
    let why = "sole on-call owner until the vendor escalation closes";
    let (own, others): (Vec<_>, Vec<_>) =
        rest.iter().copied().partition(|x| x.principal_id.eq_ignore_ascii_case(&admin.id));
    let ids = |xs: &[&recert_app::remediation::dto::HeldItemDto]| {
        xs.iter().map(|x| x.item_id).collect::<Vec<u32>>()
    };
    assert!(!own.is_empty(), "the admin holds one of the held roles");
    let err = h
        .app
        .remediation_keep_held(&id, rest.iter().map(|x| x.item_id).collect(), why.into())
        .await
        .expect_err("their own access is in the batch");
    assert_eq!(err.code, ErrorCode::Forbidden);
    if !others.is_empty() {
        h.app.remediation_keep_held(&id, ids(&others), why.into()).await.expect("kept");
    }
    h.act_as(&second_upn).await;
    h.app.remediation_keep_held(&id, ids(&own), why.into()).await.expect("kept");
    let keeper_of = |x: &recert_app::remediation::dto::HeldItemDto| {
        if x.principal_id.eq_ignore_ascii_case(&admin.id) {
            second.upn.clone()
        } else {
            admin.upn.clone()
        }
    };
    let kept = h.app.remediation_plan(&id).await.expect("plan");
    assert_eq!(kept.counts.awaiting_confirmation, 0, "nothing waits for a person now");
    assert!(
        rest.iter().all(|x| kept.held.iter().any(|k| k.item_id == x.item_id
            && k.kept_by.as_deref() == Some(keeper_of(x).as_str())
            && k.kept_reason.as_deref() == Some(why))),
        "{:#?}",
        kept.held
    );
    assert_eq!(kept.counts.planned, 1, "keeping sends nothing");
    h.act_as(&admin_upn).await;
    let again = h
        .app
        .remediation_apply(&id, &quiet(), CancellationToken::new())
        .await
        .expect("apply again");
    assert_eq!(again.counts.planned, 0);
    assert_eq!(again.counts.succeeded + again.counts.skipped, again.counts.actions);
    assert_at_most_once(&h.emulator.mutation_log());
    let verified = h.app.remediation_verify(&id).await.expect("verify");
    assert_eq!(verified.counts.reappeared, 0);
    assert_eq!(verified.counts.still_present, 0);
    assert_eq!(verified.campaign_state.as_str(), "completed", "every held removal is decided");
    for x in &rest {
        assert!(
            !h.emulator
                .mutation_log()
                .iter()
                .any(|m| addressed(m).is_some_and(|k| k.ends_with(&x.principal_id.to_lowercase())
                    && k.contains(&x.role_id.to_lowercase()))),
            "no request for a kept removal"
        );
    }

    // The evidence's remediation log holds every journaled removal with its result and the
    // verification, and still verifies after a later verification pass.
    let dir = tempfile::tempdir().expect("a temp dir");
    let paths = || recert_app::evidence::EvidencePaths {
        pdf: None,
        csv: None,
        json: Some(dir.path().join("binder.json")),
    };
    h.app.evidence_export(&id, paths()).await.expect("exported");
    let binder: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("binder.json")).expect("json"))
            .expect("valid JSON");
    let log = binder["binder"]["remediation"].as_array().expect("a remediation log");
    assert_eq!(log.len() as u32, verified.counts.actions, "every action is in the log: {log:?}");
    for entry in log {
        assert!(matches!(entry["result"].as_str(), Some("succeeded" | "skipped")), "{entry}");
        if entry["result"] == "succeeded" {
            assert_eq!(entry["verified"], "verified-removed", "{entry}");
            assert!(!entry["submitted_at"].as_str().unwrap_or_default().is_empty(), "{entry}");
        }
    }
    // The held removals are exceptions in the binder: the kept ones name who kept the access and
    // why, the protected ones say why nothing was sent, the confirmed one is a removal instead.
    let exceptions = binder["binder"]["exceptions"].as_array().expect("exceptions");
    let reason_of = |item: u32| {
        exceptions
            .iter()
            .find(|e| e["item_id"].as_u64() == Some(item.into()))
            .and_then(|e| e["reason"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    for x in &rest {
        let reason = reason_of(x.item_id);
        assert!(reason.contains(&keeper_of(x)) && reason.contains(why), "{reason}");
    }
    for x in &protected {
        assert!(reason_of(x.item_id).contains("protected"), "{}", reason_of(x.item_id));
    }
    assert!(reason_of(confirmable.item_id).is_empty(), "the confirmed one is in the log");
    h.app.remediation_verify(&id).await.expect("verify again");
    let report = h.app.verify(&id, paths()).await.expect("verified");
    assert!(report.ok, "the export still matches after another pass: {report:?}");
}

fn h_defaults() -> SafetyDto {
    SafetyDto {
        protected_principals: Vec::new(),
        critical_roles: vec![
            recert_app::remediation::dto::CriticalRoleDto {
                role_id: "62e90394-69f5-4237-9190-012177145e10".into(),
                name: "Global Administrator".into(),
                minimum_holders: 2,
            },
            recert_app::remediation::dto::CriticalRoleDto {
                role_id: "e8611ab8-c189-46e8-94e1-60213ab1f814".into(),
                name: "Privileged Role Administrator".into(),
                minimum_holders: 2,
            },
        ],
        no_critical_roles_because: None,
    }
}

fn h_tenant() -> Tenant {
    Tenant::demo_at(at(2026, 1, 1, 0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_completes_and_verifies_with_30_percent_of_requests_throttled_or_failing() {
    let (h, _, id) = closed_campaign(&["directoryRole"], None, Options::default()).await;
    let plan = h.app.remediation_plan(&id).await.expect("plan");
    assert!(plan.counts.actions > 100, "{:?}", plan.counts);
    // 15% throttled, 15% 503, 3% answered and then cut off half-way (the removal happened but
    // the client cannot know): Retry-After 0 keeps the test quick; the pacing still halves.
    h.emulator
        .set_faults(Faults {
            throttle_probability: 0.15,
            error_probability: 0.18,
            error_status: 503,
            truncate_probability: 0.03,
            retry_after_secs: 0,
            seed: 11,
            ..Faults::default()
        })
        .expect("faults");
    let mut last = h
        .app
        .remediation_apply_with(
            &id,
            ApplyOptions { concurrency: 8 },
            &quiet(),
            CancellationToken::new(),
        )
        .await
        .expect("apply");
    for _ in 0..5 {
        if last.counts.verified_removed == last.counts.succeeded {
            break;
        }
        last = h.app.remediation_verify(&id).await.expect("verify again");
    }
    assert_eq!(last.counts.failed, 0, "{:?}", final_states(&last));
    assert_eq!(last.counts.planned + last.counts.submitted, 0, "every action is final");
    assert_eq!(last.counts.verified_removed, last.counts.succeeded, "{:?}", last.counts);
    let log = h.emulator.mutation_log();
    let faulted = log.iter().filter(|m| m.status == 429 || m.status >= 500).count();
    assert!(faulted * 5 > log.len(), "the faults were real: {faulted} of {}", log.len());
    let accepted = assert_at_most_once(&log);
    assert!(
        last.actions
            .iter()
            .filter(|a| a.state == recert_domain::remediation::ActionState::Succeeded)
            .count()
            >= accepted.len()
    );
    assert!(last.actions.iter().any(|a| a.attempts > 1), "some removals needed a second attempt");
}

// See: issue 20 ("first run protects break-glass accounts").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_accounts_are_suggested_for_protection_until_protected_or_dismissed() {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    let break_glass = upn_of(&tenant, "breakglass");
    assert_eq!(break_glass.len(), 2, "the demo tenant has two break-glass accounts");
    let suggested = h.app.protection_suggestions(&h.tenant_id).await.expect("suggestions");
    let upns: Vec<&str> = suggested.iter().filter_map(|s| s.upn.as_deref()).collect();
    assert_eq!(upns, break_glass, "the break-glass accounts and nobody else: {suggested:?}");
    assert!(
        suggested[0].reasons.iter().any(|r| r == "named for emergency access")
            && suggested[0].reasons[0] == "permanent active Global Administrator outside PIM",
        "{suggested:?}"
    );

    // Only a governance admin dismisses one, with a reason; the other is protected.
    let reviewer = upn_of(&tenant, "").into_iter().find(|u| !u.starts_with("breakglass"));
    let admins = h.admins().await;
    if let Some(someone) = reviewer.filter(|u| !admins.contains(u)) {
        h.act_as(&someone).await;
        let err = h
            .app
            .dismiss_protection_suggestion(&h.tenant_id, &suggested[0].principal_id, "test")
            .await
            .expect_err("not an admin");
        assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    }
    h.act_as_admin().await;
    let err = h
        .app
        .dismiss_protection_suggestion(&h.tenant_id, &suggested[0].principal_id, "  ")
        .await
        .expect_err("no reason");
    assert_eq!(err.fields.len(), 1, "{err:?}");
    let left = h
        .app
        .dismiss_protection_suggestion(
            &h.tenant_id,
            &suggested[0].principal_id,
            "a test account, not emergency access",
        )
        .await
        .expect("dismissed");
    assert_eq!(left.len(), 1, "{left:?}");
    let mut safety = h.app.remediation_safety(&h.tenant_id).await.expect("safety");
    safety.protected_principals.push(left[0].principal_id.clone());
    h.app.set_remediation_safety(&h.tenant_id, safety).await.expect("protected");
    let none = h.app.protection_suggestions(&h.tenant_id).await.expect("suggestions");
    assert!(none.is_empty(), "{none:?}");
    let audit = h
        .app
        .audit_log(recert_app::dto::AuditQueryDto {
            search: Some("dismissedSuggestions".into()),
            ..Default::default()
        })
        .await
        .expect("the audit log");
    assert!(
        audit.events.iter().any(|e| e.details.contains("a test account, not emergency access")),
        "the dismissal is audited with its reason"
    );
}
