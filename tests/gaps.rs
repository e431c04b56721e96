//! Partial failure, end to end through `recert-app`: a tenant where one group answers 403 and
//! the app has no consent for ARM still pulls, records what it could not read, and a campaign
//! over those surfaces opens only when a governance admin accepts the gap with a reason — which
//! the audit log and the binder then state. A narrower scope opens without it.

use recert_app::ErrorCode;
use recert_app::dto::{AuditQueryDto, GapAreaDto, GapReasonDto};
use recert_app::evidence::EvidencePaths;
use recert_emulator::{Faults, Options, Tenant};
use recert_tests::{Harness, at, lead, quarterly};

/// A demo tenant that is partly unreadable from the start: one PIM for Groups group (one that
/// holds no directory role, so only that surface has the hole) answers 403, and ARM tokens are
/// refused (no consent). Its admins are bootstrapped from its data by the set-up pull.
async fn gapped() -> (Harness, Tenant, String) {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let holds_role = |id: &str| {
        tenant
            .eligibility_instances()
            .iter()
            .chain(tenant.assignment_instances())
            .any(|i| i["principalId"].as_str() == Some(id))
    };
    let group = tenant
        .group_eligibility_instances()
        .iter()
        .filter_map(|i| i["groupId"].as_str())
        .find(|id| !holds_role(id))
        .expect("a PIM for Groups group that holds no directory role")
        .to_string();
    let faults = Faults {
        forbidden_groups: vec![group.clone()],
        arm_consent_missing: true,
        ..Faults::default()
    };
    let h = Harness::start(tenant.clone(), Options { faults, ..Options::default() }).await;
    h.clock.set(at(2025, 12, 20, 12));
    h.pull().await;
    (h, tenant, group)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_with_gaps_completes_and_records_each_one() {
    let (h, tenant, group) = gapped().await;
    let pull = h.app.as_application("t").pull(&h.tenant_id).await.expect("the pull completes");
    let gaps: Vec<(GapAreaDto, Option<&str>, GapReasonDto)> =
        pull.gaps.iter().map(|g| (g.area, g.object_id.as_deref(), g.reason)).collect();
    assert_eq!(
        gaps,
        vec![
            (GapAreaDto::PimGroup, Some(group.as_str()), GapReasonDto::Forbidden),
            (GapAreaDto::AzureRole, None, GapReasonDto::NotConsented),
        ],
        "{:#?}",
        pull.gaps
    );
    assert!(pull.gaps[0].detail.contains("Authorization_RequestDenied"), "{:?}", pull.gaps[0]);
    // Everything else was read: every directory role, and the other groups.
    let directory = pull
        .surfaces
        .iter()
        .find(|s| s.surface == recert_domain::Surface::DirectoryRole)
        .expect("row");
    let expected: u32 = tenant.eligibility_instances().len() as u32;
    assert_eq!(directory.eligible, expected);
    let others = tenant
        .group_eligibility_instances()
        .iter()
        .filter(|i| i["groupId"].as_str() != Some(group.as_str()))
        .count() as u32;
    let groups =
        pull.surfaces.iter().find(|s| s.surface == recert_domain::Surface::PimGroup).expect("row");
    assert_eq!(groups.eligible, others, "only the refused group is missing");
    // The window's population view shows the same gaps from the store.
    let summary = h.app.role_summary(&h.tenant_id).await.expect("summary");
    assert_eq!(summary.gaps, pull.gaps);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_over_a_gap_opens_only_with_the_gap_accepted_and_the_binder_states_it() {
    let (h, tenant, group) = gapped().await;
    let admin = h.act_as_admin_except(&[&lead(&tenant)]).await;
    let mut definition = quarterly(&h.tenant_id, &lead(&tenant));
    definition.scope.surfaces = vec!["directoryRole".into(), "pimGroup".into(), "azureRole".into()];
    let created = h.app.definition_create(definition).await.expect("valid");
    let id = created.definition.id.clone();

    // Refused: the pull ran, but the scope was not read completely.
    let err = h.app.campaign_open(&id).await.expect_err("a gap in scope");
    assert_eq!(err.code, ErrorCode::GapNotAccepted, "{err:?}");
    assert!(err.message.contains(&group) && err.message.contains("Azure"), "{}", err.message);
    assert!(h.app.campaigns(None).await.expect("list").is_empty(), "nothing opened");
    let gaps = h.app.campaign_gaps(&id).await.expect("gaps");
    assert_eq!(gaps.len(), 2, "{gaps:#?}");

    // A blank reason is no acceptance.
    let err = h.app.campaign_open_accepting(&id, Some("  ")).await.expect_err("blank");
    assert_eq!(err.code, ErrorCode::Invalid, "{err:?}");

    // Only a governance admin may accept, and the schedule never does.
    let admins = h.admins().await;
    let person = tenant
        .users()
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .find(|upn| !admins.iter().any(|a| a.eq_ignore_ascii_case(upn)))
        .expect("a person who is no admin")
        .to_string();
    h.act_as(&person).await;
    let err = h.app.campaign_open_accepting(&id, Some("why not")).await.expect_err("not admin");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    h.clock.set(at(2026, 1, 5, 10));
    let report = h.app.as_application("scheduler").run_due().await.expect("run");
    assert!(report.opened.is_empty(), "{report:?}");
    assert!(report.failed.iter().any(|f| f.contains("not read")), "{report:?}");

    // The admin accepts with a reason: it opens, audited.
    h.act_as(&admin.upn).await;
    let reason = "ARM consent is pending with the cloud team; group 403 tracked in CHG-1182";
    let campaign =
        h.app.campaign_open_accepting(&id, Some(reason)).await.expect("opens with the gap");
    let events = h
        .app
        .audit_log(AuditQueryDto {
            campaign_id: Some(campaign.id.clone()),
            kind: Some("campaign.gapAccepted".into()),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(events.events.len(), 1, "{events:?}");
    assert!(events.events[0].details.contains(reason), "{:?}", events.events[0]);
    assert!(events.events[0].details.contains(&group), "{:?}", events.events[0]);

    // The binder's population statement states the gap and who accepted it.
    let dir = tempfile::tempdir().expect("a temp dir");
    let json = dir.path().join("binder.json");
    h.app
        .evidence_export(
            &campaign.id,
            EvidencePaths { pdf: None, csv: None, json: Some(json.clone()) },
        )
        .await
        .expect("export");
    let binder: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the binder")).expect("JSON");
    let population = &binder["binder"]["population"];
    let lines: Vec<&str> = population["gaps"]
        .as_array()
        .expect("gap lines")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(lines.iter().any(|l| l.contains("PIM for Groups") && l.contains(&group)), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("Azure resource roles")), "{lines:?}");
    let accepted = population["gap_accepted"].as_str().expect("acceptance");
    assert!(accepted.contains(reason), "{accepted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_narrowed_to_what_was_read_opens_without_acceptance() {
    let (h, tenant, _) = gapped().await;
    h.act_as_admin_except(&[&lead(&tenant)]).await;
    // Directory roles only: the gaps are elsewhere.
    let created =
        h.app.definition_create(quarterly(&h.tenant_id, &lead(&tenant))).await.expect("valid");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("opens");
    assert!(campaign.items > 0);
    let events = h
        .app
        .audit_log(AuditQueryDto {
            campaign_id: Some(campaign.id.clone()),
            kind: Some("campaign.gapAccepted".into()),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert!(events.events.is_empty(), "nothing was accepted: {events:?}");
}
