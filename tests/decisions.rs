//! Decisions that fit privileged access, through `recert-app` against the emulator: standing
//! active Global Administrator and Azure Owner assignments converted to eligible (the eligibility
//! made and verified before the active assignment goes), an assignment approved until a date
//! given that end in the tenant, a break-glass account never converted — each verified by
//! re-reading the tenant, each request sent once.

use recert_app::CancellationToken;
use recert_app::campaigns::dto::{ItemDto, OutcomeDto, VerdictDto, WorklistQueryDto};
use recert_app::evidence::EvidencePaths;
use recert_app::remediation::dto::{ChangeDto, SafetyDto};
use recert_app::{ErrorCode, Verdict};
use recert_emulator::{Options, Tenant};
use recert_tests::{Harness, at};
use serde_json::Value;

use crate::remediation::{assert_at_most_once, definition, quiet, upn_of};

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// Every item of the campaign.
async fn items(h: &Harness, campaign: &str) -> Vec<ItemDto> {
    let mut out = Vec::new();
    loop {
        let page = h
            .app
            .worklist(
                campaign,
                WorklistQueryDto { offset: out.len() as u32, limit: 1000, ..Default::default() },
            )
            .await
            .expect("a worklist page");
        let done = page.items.is_empty() || out.len() + page.items.len() >= page.total as usize;
        out.extend(page.items);
        if done {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversions_and_new_ends_change_the_tenant_once_and_are_verified_by_re_reading() {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    let admin = h.act_as_admin().await;
    let break_glass = upn_of(&tenant, "breakglass");
    h.app
        .set_remediation_safety(
            &h.tenant_id,
            SafetyDto {
                protected_principals: break_glass.clone(),
                critical_roles: Vec::new(),
                no_critical_roles_because: Some("the conversion drill keeps every holder".into()),
            },
        )
        .await
        .expect("safety");
    let reviewer = upn_of(&tenant, "")
        .into_iter()
        .find(|u| !u.starts_with("breakglass") && !u.eq_ignore_ascii_case(&admin.upn))
        .expect("a reviewer");
    let mut dto = definition(&h.tenant_id, &["directoryRole", "azureRole"], &reviewer);
    dto.settings.no_response = "keep".into();
    dto.settings.convert_eligible_days = 180;
    let created = h.app.definition_create(dto).await.expect("a definition");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    let all = items(&h, &campaign).await;
    let reviewer_id = all
        .iter()
        .flat_map(|i| i.reviewers.iter())
        .find(|r| r.upn.eq_ignore_ascii_case(&reviewer))
        .map(|r| r.id.clone())
        .expect("the reviewer is routed");
    let standing = |i: &&ItemDto| {
        i.kind == recert_domain::AssignmentKind::Active
            && i.membership == "direct"
            && i.principal_type == "user"
            && i.principal_id != reviewer_id
            && i.principal_id != admin.id
    };
    let is_break_glass =
        |i: &ItemDto| i.principal_upn.as_deref().is_some_and(|u| u.starts_with("breakglass"));
    let ga = all
        .iter()
        .filter(standing)
        .find(|i| i.role_id == GA && !is_break_glass(i))
        .expect("a standing Global Administrator")
        .clone();
    let owner = all
        .iter()
        .filter(standing)
        .find(|i| {
            i.surface == recert_domain::Surface::AzureRole && i.role_id.eq_ignore_ascii_case(OWNER)
        })
        .expect("a standing Azure Owner")
        .clone();
    let glass = all
        .iter()
        .filter(|i| {
            i.kind == recert_domain::AssignmentKind::Active
                && i.membership == "direct"
                && i.role_id == GA
        })
        .find(|i| is_break_glass(i))
        .expect("a break-glass Global Administrator")
        .clone();
    let until = all
        .iter()
        .filter(|i| {
            i.surface == recert_domain::Surface::DirectoryRole
                && i.kind == recert_domain::AssignmentKind::Eligible
                && i.membership == "direct"
                && i.principal_type == "user"
                && i.role_id != GA
                && i.principal_id != reviewer_id
                && i.principal_id != admin.id
                && ![&ga, &owner].iter().any(|x| x.principal_id == i.principal_id)
        })
        .find(|i| i.end.is_none())
        .expect("a permanent eligibility")
        .clone();

    h.act_as(&reviewer).await;
    // Convert only fits an active assignment; "approve until" only a day after today.
    let refused = h
        .app
        .decide(
            &campaign,
            vec![until.id],
            Verdict::ConvertToEligible,
            "x".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("an eligibility is not converted");
    assert_eq!(refused.code, ErrorCode::Invalid, "{refused:?}");
    let past = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date");
    let refused = h
        .app
        .decide(
            &campaign,
            vec![until.id],
            Verdict::ApproveUntil(past),
            "x".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("today is not a future end");
    assert_eq!(refused.code, ErrorCode::Invalid, "{refused:?}");
    let june = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date");
    let why = "no standing access: activate it when needed".to_string();
    h.app
        .decide(
            &campaign,
            vec![ga.id, owner.id, glass.id],
            Verdict::ConvertToEligible,
            why.clone(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("converted");
    h.app
        .decide(
            &campaign,
            vec![until.id],
            Verdict::ApproveUntil(june),
            "project ends".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("approved until June");
    let decided = items(&h, &campaign).await;
    let find = |id: u32| decided.iter().find(|i| i.id == id).expect("the item").clone();
    assert_eq!(find(ga.id).decision, Some(VerdictDto::ConvertToEligible));
    assert_eq!(
        (find(until.id).decision, find(until.id).decision_until.as_deref()),
        (Some(VerdictDto::ApproveUntil), Some("2026-06-30"))
    );

    h.act_as_admin().await;
    h.clock.set(at(2026, 1, 20, 9));
    h.app.campaign_close(&campaign, None).await.expect("close");
    let closed = items(&h, &campaign).await;
    let find = |id: u32| closed.iter().find(|i| i.id == id).expect("the item").clone();
    assert_eq!(find(ga.id).outcome, Some(OutcomeDto::Convert));
    assert_eq!(find(owner.id).outcome, Some(OutcomeDto::Convert));
    assert_eq!(find(until.id).outcome, Some(OutcomeDto::KeepUntil));
    let detail = h.app.campaign(&campaign).await.expect("the campaign");
    assert_eq!((detail.outcomes.convert, detail.outcomes.keep_until), (3, 1), "{detail:?}");

    // The preview shows the conversions and the new end beside removals; the break-glass
    // account is held.
    let plan = h.app.remediation_plan(&campaign).await.expect("the plan");
    assert_eq!((plan.counts.conversions, plan.counts.end_changes), (2, 1), "{:?}", plan.counts);
    assert!(
        plan.held.iter().any(|x| x.item_id == glass.id && x.code == "protectedPrincipal"),
        "a break-glass account is never converted: {:?}",
        plan.held
    );
    let action = |id: u32| plan.actions.iter().find(|a| a.item_id == id).expect("an action");
    assert_eq!(action(ga.id).change, ChangeDto::Convert);
    assert_eq!(action(ga.id).new_end.as_deref(), Some("2026-07-19T09:00:00Z"), "180 days");
    assert!(action(ga.id).request.contains("adminAssign then"), "{}", action(ga.id).request);
    assert_eq!(action(until.id).change, ChangeDto::SetEnd);
    assert_eq!(action(until.id).new_end.as_deref(), Some("2026-06-30T23:59:59Z"));
    assert!(plan.people.iter().any(|p| p.convert.iter().any(|c| c.contains("eligible until"))));

    h.app.remediation_apply(&campaign, &quiet(), CancellationToken::new()).await.expect("apply");
    let done = h.app.remediation_verify(&campaign).await.expect("verify");
    for id in [ga.id, owner.id, until.id] {
        let a = done.actions.iter().find(|a| a.item_id == id).expect("an action");
        assert_eq!(
            (a.state.as_str(), a.verification.map(|v| v.as_str())),
            ("succeeded", Some("verified-changed")),
            "{a:?}"
        );
    }
    assert_eq!(done.counts.verified_changed, 3, "{:?}", done.counts);

    // Re-read the tenant itself.
    let now = h.emulator.snapshot();
    let direct_active = |principal: &str, role: &str| {
        now.assignment_instances().iter().any(|i| {
            text(i, "principalId") == principal
                && text(i, "roleDefinitionId") == role
                && text(i, "memberType") == "Direct"
                && text(i, "assignmentType") == "Assigned"
        })
    };
    let eligible_end = |principal: &str, role: &str| {
        now.eligibility_instances()
            .iter()
            .find(|i| {
                text(i, "principalId") == principal
                    && text(i, "roleDefinitionId") == role
                    && text(i, "memberType") == "Direct"
            })
            .map(|i| text(i, "endDateTime").to_string())
    };
    assert!(!direct_active(&ga.principal_id, GA), "no standing Global Administrator left");
    assert!(eligible_end(&ga.principal_id, GA).is_some(), "eligible instead");
    assert!(direct_active(&glass.principal_id, GA), "the break-glass account keeps its access");
    assert_eq!(
        eligible_end(&until.principal_id, &until.role_id).as_deref(),
        Some("2026-06-30T23:59:59Z")
    );
    let arm_props = |list: &[Value]| -> Vec<Value> {
        list.iter()
            .map(|i| i["properties"].clone())
            .filter(|p| {
                text(p, "principalId") == owner.principal_id
                    && text(p, "roleDefinitionId").to_ascii_lowercase().ends_with(OWNER)
                    && text(p, "scope").eq_ignore_ascii_case(&owner.scope)
            })
            .collect()
    };
    assert!(
        arm_props(&now.arm().role_assignment_schedule_instances).is_empty(),
        "no standing Azure Owner left"
    );
    assert_eq!(
        arm_props(&now.arm().role_eligibility_schedule_instances).len(),
        1,
        "eligible instead"
    );

    // Each request once; another apply and verification send nothing.
    let log = h.emulator.mutation_log();
    let accepted = assert_at_most_once(&log);
    assert_eq!(accepted.len(), 5, "two eligibilities, two removals, one new end: {accepted:?}");
    let _ = h.app.remediation_apply(&campaign, &quiet(), CancellationToken::new()).await;
    h.app.remediation_verify(&campaign).await.expect("verify again");
    let requests = |log: &[recert_emulator::MutationRecord]| {
        log.iter().filter(|m| crate::remediation::addressed(m).is_some()).count()
    };
    assert_eq!(requests(&h.emulator.mutation_log()), requests(&log), "nothing sent twice");
}

/// A two-stage review: the holders' managers first, then the governance admins for what the
/// managers did not know. The admins see the managers' notes, decide again where they must, never
/// decide an item they already decided in stage 1, and a "don't know" in the last stage goes to
/// its fallback reviewer; at close the last decision that decided something stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stages_managers_then_governance_with_dont_know() {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    let admins = h.admins().await;
    assert!(admins.len() >= 2, "two governance admins: {admins:?}");
    let first_admin = h.act_as(&admins[0]).await;
    // The second stage's fallback reviewer: a person who is no governance admin.
    let lead = upn_of(&tenant, "")
        .into_iter()
        .filter(|u| !u.starts_with("breakglass") && !u.contains("#EXT#"))
        .find(|u| !admins.iter().any(|a| a.eq_ignore_ascii_case(u)))
        .expect("a user who is no admin");
    let mut dto = recert_tests::quarterly(&h.tenant_id, &lead);
    dto.name = "Two-stage review".into();
    dto.settings.no_response = "keep".into();
    dto.schedule.duration_days = 14;
    dto.stages = vec![recert_app::campaigns::dto::StageDto {
        reviewers: "governanceAdmins".into(),
        named: Vec::new(),
        role_owners: Vec::new(),
        fallback: vec![recert_app::campaigns::dto::ReviewerDto {
            id: String::new(),
            upn: lead.clone(),
            display_name: String::new(),
        }],
        rule: "firstDecides".into(),
        duration_days: 4,
        takes: "dontKnow".into(),
    }];
    let created = h.app.definition_create(dto).await.expect("a two-stage definition");
    assert_eq!(created.definition.stages.len(), 1);
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open");
    assert_eq!((campaign.stage, campaign.stages), (1, 2));
    let id = campaign.id.clone();

    // Items their managers review, none held by an admin or the fallback reviewer.
    let all = items(&h, &id).await;
    let admin_ids: Vec<String> = {
        let list = h.app.admins(&h.tenant_id).await.expect("admins");
        list.into_iter().map(|a| a.principal_id.to_ascii_lowercase()).collect()
    };
    let by_manager: Vec<ItemDto> = all
        .iter()
        .filter(|i| {
            i.reviewers.len() == 1
                && i.reviewers[0].rerouted_because.is_none()
                && !admin_ids.contains(&i.principal_id.to_ascii_lowercase())
                && !admin_ids.contains(&i.reviewers[0].id.to_ascii_lowercase())
                && !i.reviewers[0].upn.eq_ignore_ascii_case(&lead)
                && i.principal_upn.as_deref().is_some_and(|u| !u.eq_ignore_ascii_case(&lead))
        })
        .take(4)
        .cloned()
        .collect();
    assert_eq!(by_manager.len(), 4, "four items with managers as reviewers");
    let [a, b, c, e] = [&by_manager[0], &by_manager[1], &by_manager[2], &by_manager[3]];
    for (item, verdict, note) in [
        (a, Verdict::DontKnow, "I do not know what this role is for"),
        (b, Verdict::Approve, "runs the helpdesk"),
        (c, Verdict::Deny, "left the team"),
        (e, Verdict::DontKnow, "not my area"),
    ] {
        h.act_as(&item.reviewers[0].upn).await;
        h.app
            .decide(
                &id,
                vec![item.id],
                verdict,
                note.into(),
                recert_domain::review::DecisionSource::Window,
            )
            .await
            .unwrap_or_else(|err| panic!("the manager decides item {}: {err}", item.id));
    }
    // "Don't know" needs a note: it travels with the item.
    h.act_as(&a.reviewers[0].upn).await;
    let refused = h
        .app
        .decide(
            &id,
            vec![a.id],
            Verdict::DontKnow,
            " ".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("a note is required");
    assert_eq!(refused.code, ErrorCode::Invalid);
    // The first admin answers one more item "don't know" for its manager in stage 1.
    let d = all
        .iter()
        .find(|i| {
            i.reviewers.len() == 1
                && !by_manager.iter().any(|x| x.id == i.id)
                && !admin_ids.contains(&i.principal_id.to_ascii_lowercase())
                && i.principal_upn.as_deref().is_some_and(|u| !u.eq_ignore_ascii_case(&lead))
        })
        .expect("another item")
        .clone();
    h.act_as(&admins[0]).await;
    h.app
        .decide(
            &id,
            vec![d.id],
            Verdict::DontKnow,
            "ask security".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("an admin acts for the manager");

    // Stage 1's days are over: the schedule moves the review on.
    h.clock.set(at(2026, 1, 15, 10));
    let due = h.app.run_due().await.expect("run due");
    assert_eq!(due.advanced, vec![id.clone()], "{due:?}");
    let now = items(&h, &id).await;
    let find = |x: u32| now.iter().find(|i| i.id == x).expect("the item").clone();
    for x in [a.id, d.id, e.id] {
        let item = find(x);
        assert_eq!(item.stage, 2, "{x} went on");
        assert!(
            item.reviewers
                .iter()
                .any(|r| r.stage == 2 && admin_ids.contains(&r.id.to_ascii_lowercase())),
            "governance admins review it in stage 2: {:?}",
            item.reviewers
        );
        assert_eq!(item.decision, Some(VerdictDto::DontKnow), "stage 2 sees stage 1's answer");
    }
    assert_eq!((find(b.id).stage, find(c.id).stage), (1, 1), "decided items stay");

    // Separation of duties per stage: the admin who answered item D in stage 1 does not decide
    // it in stage 2; a decided stage-1 item is not decided again.
    let refused = h
        .app
        .decide(
            &id,
            vec![d.id],
            Verdict::Approve,
            "fine".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("decided in stage 1");
    assert_eq!(refused.code, ErrorCode::Forbidden, "{}", refused.message);
    assert!(refused.message.contains("earlier stage"), "{}", refused.message);
    let second = h.act_as_admin_except(&[admins[0].as_str()]).await;
    assert_ne!(second.id, first_admin.id);
    let refused = h
        .app
        .decide(
            &id,
            vec![b.id],
            Verdict::Deny,
            "no".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("b stayed in stage 1");
    assert_eq!(refused.code, ErrorCode::Forbidden);
    h.app
        .decide(
            &id,
            vec![a.id],
            Verdict::Deny,
            "not needed".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("a");
    h.app
        .decide(
            &id,
            vec![d.id],
            Verdict::Approve,
            "security says yes".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("d");
    // The last stage takes nothing further: its "don't know" goes to its fallback reviewer.
    h.app
        .decide(
            &id,
            vec![e.id],
            Verdict::DontKnow,
            "ask the lead".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("e");
    let routed = items(&h, &id).await.into_iter().find(|i| i.id == e.id).expect("e");
    let fallback = routed
        .reviewers
        .iter()
        .find(|r| r.upn.eq_ignore_ascii_case(&lead))
        .unwrap_or_else(|| panic!("the lead reviews e now: {:?}", routed.reviewers));
    assert_eq!(fallback.stage, 2);
    assert!(
        fallback.rerouted_because.as_deref().is_some_and(|r| r.contains("don't know")),
        "{fallback:?}"
    );

    h.act_as(&admins[0]).await;
    h.clock.set(at(2026, 1, 19, 10));
    h.app.campaign_close(&id, None).await.expect("close");
    let closed = items(&h, &id).await;
    let outcome = |x: u32| closed.iter().find(|i| i.id == x).and_then(|i| i.outcome);
    assert_eq!(outcome(a.id), Some(OutcomeDto::Remove), "stage 2's deny stands");
    assert_eq!(outcome(b.id), Some(OutcomeDto::Keep), "stage 1's approval stands");
    assert_eq!(outcome(c.id), Some(OutcomeDto::Remove), "stage 1's deny stands");
    assert_eq!(outcome(d.id), Some(OutcomeDto::Keep), "stage 2's approval stands");
    let e_closed = closed.iter().find(|i| i.id == e.id).expect("e");
    assert_eq!(
        (e_closed.outcome, e_closed.outcome_reason.as_deref()),
        (Some(OutcomeDto::Keep), Some("no response; the campaign's default is to keep access")),
        "\"don't know\" is never an outcome: nobody decided, the default applies"
    );
    // Every stage's decision is in the record, with its stage.
    let trail = h.app.campaign_decisions(&id, None).await.expect("the decisions");
    let stages_of = |x: u32| -> Vec<(u32, String)> {
        trail.iter().filter(|t| t.item_id == x).map(|t| (t.stage, t.verdict.clone())).collect()
    };
    assert_eq!(
        stages_of(a.id),
        vec![(1, "dontKnow".to_string()), (2, "deny".to_string())],
        "both stages of a"
    );
    assert!(trail.iter().any(|t| t.item_id == a.id && t.justification.contains("what this role")));
}

/// A three-stage review: a named reviewer in stage 1, the same reviewer and another in stage 2,
/// the Global Administrator role's owners in stage 3. A reviewer routed in two stages keeps a
/// reviewer record in each; a role without owners goes to the fallback reviewer saying so; and
/// `verify` replays the stages (the reviewers each stage added, each item's and each decision's
/// stage) from the audit chain, so the record verifies and exports, and an edited stage is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_stages_keep_each_stage_reviewer_and_verify_replays_them() {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("recert.db");
    let h = Harness::start_with_db(tenant.clone(), Options::default(), Some(&db)).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    let admins = h.admins().await;
    h.act_as(&admins[0]).await;
    let people: Vec<String> = upn_of(&tenant, "")
        .into_iter()
        .filter(|u| !u.starts_with("breakglass") && !u.contains("#EXT#"))
        .filter(|u| !admins.iter().any(|a| a.eq_ignore_ascii_case(u)))
        .take(4)
        .collect();
    let [x, y, z, lead] = [&people[0], &people[1], &people[2], &people[3]];
    let who = |upn: &str| recert_app::campaigns::dto::ReviewerDto {
        id: String::new(),
        upn: upn.to_string(),
        display_name: String::new(),
    };
    let mut dto = recert_tests::quarterly(&h.tenant_id, lead);
    dto.name = "Three-stage review".into();
    dto.settings.no_response = "keep".into();
    dto.schedule.duration_days = 14;
    dto.reviewers.source = "named".into();
    dto.reviewers.named = vec![who(x)];
    let stage =
        |reviewers: &str, named: Vec<_>, owners: Vec<_>| recert_app::campaigns::dto::StageDto {
            reviewers: reviewers.into(),
            named,
            role_owners: owners,
            fallback: vec![who(lead)],
            rule: "firstDecides".into(),
            duration_days: 3,
            takes: "all".into(),
        };
    dto.stages = vec![
        stage("named", vec![who(x), who(y)], Vec::new()),
        stage(
            "roleOwners",
            Vec::new(),
            vec![recert_app::campaigns::dto::RoleOwnersDto {
                role_id: GA.into(),
                owners: vec![who(z)],
            }],
        ),
    ];
    let created = h.app.definition_create(dto).await.expect("a three-stage definition");
    let id = h.app.campaign_open(&created.definition.id).await.expect("open").id;

    // Items X reviews in stage 1 and nobody of the four holds: one of Global Administrator, one
    // of another role.
    let all = items(&h, &id).await;
    let theirs = |i: &&ItemDto| {
        i.reviewers.iter().any(|r| r.upn.eq_ignore_ascii_case(x))
            && !people
                .iter()
                .any(|p| i.principal_upn.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(p)))
    };
    let ga = all.iter().filter(theirs).find(|i| i.role_id == GA).expect("a GA item").clone();
    let other = all.iter().filter(theirs).find(|i| i.role_id != GA).expect("another").clone();
    // Stage 1: X does not know the GA item.
    h.act_as(x).await;
    h.app
        .decide(
            &id,
            vec![ga.id],
            Verdict::DontKnow,
            "not sure what it is for".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("X answers in stage 1");

    h.act_as(&admins[0]).await;
    h.app.campaign_advance_stage(&id).await.expect("to stage 2");
    let now = items(&h, &id).await;
    let find = |list: &[ItemDto], n: u32| list.iter().find(|i| i.id == n).expect("item").clone();
    let stages_of = |i: &ItemDto| -> Vec<(u32, String)> {
        let mut v: Vec<_> =
            i.reviewers.iter().map(|r| (r.stage, r.upn.to_ascii_lowercase())).collect();
        v.sort();
        v
    };
    let (lx, ly) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
    assert_eq!(
        stages_of(&find(&now, other.id)),
        vec![(1, lx.clone()), (2, lx.clone()), (2, ly.clone())],
        "X keeps their stage-1 record beside the stage-2 one"
    );
    // Stage 2: X decided the GA item in stage 1, so Y decides it; X approves the other item.
    h.act_as(x).await;
    let refused = h
        .app
        .decide(
            &id,
            vec![ga.id],
            Verdict::Approve,
            "fine".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect_err("X decided it in stage 1");
    assert_eq!(refused.code, ErrorCode::Forbidden);
    h.app
        .decide(
            &id,
            vec![other.id],
            Verdict::Approve,
            "needed".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("X decides in stage 2");
    h.act_as(y).await;
    h.app
        .decide(
            &id,
            vec![ga.id],
            Verdict::Approve,
            "security says yes".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("Y decides in stage 2");

    h.act_as(&admins[0]).await;
    h.app.campaign_advance_stage(&id).await.expect("to stage 3");
    let now = items(&h, &id).await;
    let ga_now = find(&now, ga.id);
    assert!(
        ga_now.reviewers.iter().any(|r| r.stage == 3 && r.upn.eq_ignore_ascii_case(z)),
        "the role's owner reviews it in stage 3: {:?}",
        ga_now.reviewers
    );
    let other_now = find(&now, other.id);
    let fallback = other_now
        .reviewers
        .iter()
        .find(|r| r.stage == 3)
        .unwrap_or_else(|| panic!("a stage-3 reviewer: {:?}", other_now.reviewers));
    assert!(fallback.upn.eq_ignore_ascii_case(lead), "{fallback:?}");
    assert!(
        fallback.rerouted_because.as_deref().is_some_and(|r| r.contains("no owners")),
        "a role without owners says so: {fallback:?}"
    );
    h.act_as(z).await;
    h.app
        .decide(
            &id,
            vec![ga.id],
            Verdict::Deny,
            "no standing GA".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("Z decides in stage 3");

    h.act_as(&admins[0]).await;
    h.clock.set(at(2026, 1, 19, 10));
    h.app.campaign_close(&id, None).await.expect("close");
    let trail = h.app.campaign_decisions(&id, Some(ga.id)).await.expect("the decisions");
    let staged: Vec<(u32, &str)> = trail.iter().map(|t| (t.stage, t.verdict.as_str())).collect();
    assert_eq!(staged, vec![(1, "dontKnow"), (2, "approve"), (3, "deny")]);

    // The record replays, stages and all, and exports.
    let report = h.app.verify(&id, EvidencePaths::default()).await.expect("verify");
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    let record: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.name.ends_with("against the audit chain"))
        .map(|c| c.name.as_str())
        .collect();
    assert!(record.contains(&"stages against the audit chain"), "{record:?}");
    assert!(failed.iter().all(|f| !f.contains("against the audit chain")), "{failed:?}");
    let out = dir.path().join("out");
    let json = EvidencePaths { json: Some(out.join("binder.json")), ..EvidencePaths::default() };
    h.app.evidence_export(&id, json).await.expect("a three-stage review exports");

    // Edited behind Recert's back, one after the other, each is named.
    for (sql, named) in [
        ("UPDATE decision SET stage = 1 WHERE stage = 2", "the table says stage \"1\""),
        ("DELETE FROM item_reviewer WHERE stage = 3", "in stage 3, the table does not"),
        ("UPDATE item SET stage = 1 WHERE stage = 3", "the table says stage 1,"),
    ] {
        let conn = rusqlite::Connection::open(&db).expect("open the file");
        conn.execute_batch(sql).expect("edit");
        let report = h.app.verify(&id, EvidencePaths::default()).await.expect("verify");
        let problems: Vec<String> =
            report.checks.iter().filter(|c| !c.ok).map(|c| c.detail.clone()).collect();
        assert!(problems.iter().any(|p| p.contains(named)), "{sql}: {problems:?}");
    }
}

/// A reviewer returns an item to undecided while the campaign is open: the item is undecided
/// again (in the list's "undecided" filter and at close), the log keeps the decision and its
/// return, nobody else takes a reviewer's decision back but a governance admin, and `verify`
/// replays the record from the audit chain without a difference, before and after the close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_taken_back_leaves_the_item_undecided_and_the_record_whole() {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    let admins = h.admins().await;
    h.act_as(&admins[0]).await;
    let lead = recert_tests::lead(&tenant);
    let created = h
        .app
        .definition_create(recert_tests::quarterly(&h.tenant_id, &lead))
        .await
        .expect("a definition");
    let id = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    let all = items(&h, &id).await;
    let lower = |s: &str| s.to_ascii_lowercase();
    let item = all
        .iter()
        .find(|i| {
            i.reviewers.len() == 1
                && !admins.iter().any(|a| lower(a) == lower(&i.reviewers[0].upn))
                && i.principal_upn
                    .as_deref()
                    .is_some_and(|u| !admins.iter().any(|a| lower(a) == lower(u)))
        })
        .expect("an item a manager reviews")
        .clone();
    let reviewer = item.reviewers[0].upn.clone();
    let one = |list: Vec<ItemDto>| list.into_iter().find(|i| i.id == item.id).expect("the item");

    h.act_as(&reviewer).await;
    h.app
        .decide(
            &id,
            vec![item.id],
            Verdict::Approve,
            String::new(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("approve");
    let back = h
        .app
        .withdraw(&id, vec![item.id], "Undo".into(), recert_domain::review::DecisionSource::Window)
        .await
        .expect("take back");
    assert_eq!(back.recorded, 1);
    let now = one(items(&h, &id).await);
    assert_eq!((now.decision, now.decided_by.clone()), (None, None), "undecided again");
    let undecided = h
        .app
        .worklist(
            &id,
            WorklistQueryDto {
                decision: Some("undecided".into()),
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("undecided items");
    assert!(undecided.items.iter().any(|i| i.id == item.id), "in the undecided list again");
    let again = h
        .app
        .withdraw(&id, vec![item.id], String::new(), recert_domain::review::DecisionSource::Window)
        .await
        .expect_err("nothing left");
    assert_eq!(again.code, ErrorCode::Conflict, "{}", again.message);
    assert!(again.message.contains("no decision in its stage"), "{}", again.message);

    // Someone who is neither its reviewer nor an admin takes nothing back.
    h.app
        .decide(
            &id,
            vec![item.id],
            Verdict::Deny,
            "left".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("deny");
    let outsider = all
        .iter()
        .flat_map(|i| i.reviewers.iter())
        .map(|r| r.upn.clone())
        .find(|u| lower(u) != lower(&reviewer) && !admins.iter().any(|a| lower(a) == lower(u)))
        .expect("another reviewer");
    h.act_as(&outsider).await;
    let refused = h
        .app
        .withdraw(&id, vec![item.id], String::new(), recert_domain::review::DecisionSource::Window)
        .await
        .expect_err("not theirs");
    assert_eq!(refused.code, ErrorCode::Forbidden, "{}", refused.message);
    // A governance admin takes the reviewer's decision back for them.
    h.act_as(&admins[0]).await;
    h.app
        .withdraw(
            &id,
            vec![item.id],
            "asked by the reviewer".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("admin");
    assert_eq!(one(items(&h, &id).await).decision, None);

    let trail = h.app.campaign_decisions(&id, Some(item.id)).await.expect("trail");
    assert_eq!(
        trail.iter().map(|t| t.verdict.as_str()).collect::<Vec<_>>(),
        ["approve", "undecided", "deny", "undecided"],
        "the log keeps every decision and every return"
    );
    let report =
        h.app.verify(&id, recert_app::evidence::EvidencePaths::default()).await.expect("verify");
    // Nothing is exported yet: every other check is the replay of the record.
    let replayed = |r: &recert_app::evidence::VerifyReportDto| {
        r.checks.iter().filter(|c| c.name != "export").all(|c| c.ok)
    };
    assert!(replayed(&report), "the record replays while open: {:?}", report.checks);

    // At the close the item is an unanswered one, and the record still replays.
    h.clock.set(at(2026, 1, 30, 9));
    h.app.run_due().await.expect("the schedule closes it");
    let closed = one(items(&h, &id).await);
    assert_eq!(closed.decision, None, "no decision stands at the close");
    let report =
        h.app.verify(&id, recert_app::evidence::EvidencePaths::default()).await.expect("verify");
    assert!(replayed(&report), "the record replays after the close: {:?}", report.checks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canned_justifications_are_an_admins_audited_list_and_reach_the_binder_as_written() {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(at(2026, 1, 5, 9));
    h.pull().await;
    let admins = h.admins().await;
    h.act_as(&admins[0]).await;
    let lead = recert_tests::lead(&tenant);
    let created = h
        .app
        .definition_create(recert_tests::quarterly(&h.tenant_id, &lead))
        .await
        .expect("a definition");
    let id = h.app.campaign_open(&created.definition.id).await.expect("open").id;

    // The admin defines them; blank rows are dropped, and the list reads back in their order.
    let saved = h
        .app
        .set_justification_presets(
            &h.tenant_id,
            vec![" Still on the on-call rota ".into(), String::new(), "Left the team".into()],
        )
        .await
        .expect("an admin sets them");
    assert_eq!(saved, ["Still on the on-call rota", "Left the team"]);
    let repeated = h
        .app
        .set_justification_presets(
            &h.tenant_id,
            vec!["Left the team".into(), "left the team".into()],
        )
        .await
        .expect_err("a repeated one");
    assert_eq!(repeated.code, ErrorCode::Invalid, "{}", repeated.message);
    assert_eq!(h.app.justification_presets(&h.tenant_id).await.expect("read"), saved);

    let lower = |s: &str| s.to_ascii_lowercase();
    let item = items(&h, &id)
        .await
        .into_iter()
        .find(|i| {
            i.reviewers.len() == 1 && !admins.iter().any(|a| lower(a) == lower(&i.reviewers[0].upn))
        })
        .expect("an item a manager reviews");
    let reviewer = item.reviewers[0].upn.clone();

    // A reviewer reads them but may not change them: the role comes from the session.
    h.act_as(&reviewer).await;
    assert_eq!(h.app.justification_presets(&h.tenant_id).await.expect("read"), saved);
    let refused = h
        .app
        .set_justification_presets(&h.tenant_id, vec!["Approved".into()])
        .await
        .expect_err("not an admin");
    assert_eq!(refused.code, ErrorCode::Forbidden, "{}", refused.message);

    // Picked by number with their own words after it, or by its text; an unknown pick is refused.
    let picked =
        h.app.compose_justification(&id, "2", "moved to Finance in May").await.expect("a pick");
    assert_eq!(picked, "Left the team. moved to Finance in May");
    let by_text = h.app.compose_justification(&id, "still on the ON-CALL rota", "").await;
    assert_eq!(by_text.expect("by text"), "Still on the on-call rota");
    let unknown = h.app.compose_justification(&id, "3", "").await.expect_err("no third");
    assert_eq!(unknown.code, ErrorCode::Invalid, "{}", unknown.message);
    h.app
        .decide(
            &id,
            vec![item.id],
            Verdict::Deny,
            picked.clone(),
            recert_domain::review::DecisionSource::Cli,
        )
        .await
        .expect("deny");
    let trail = h.app.campaign_decisions(&id, Some(item.id)).await.expect("trail");
    assert_eq!(trail.last().map(|t| t.justification.as_str()), Some(picked.as_str()));

    // Each change is in the audit log with the list before and after, and replays.
    h.act_as(&admins[0]).await;
    let changes = h
        .app
        .audit_log(recert_app::dto::AuditQueryDto {
            kind: Some("setting.changed".into()),
            search: Some("justifications".into()),
            ..Default::default()
        })
        .await
        .expect("the audit log");
    assert_eq!(changes.total, 1, "one change; the refused ones recorded nothing: {changes:?}");
    let details: Value = serde_json::from_str(&changes.events[0].details).expect("json");
    assert_eq!(details["before"], Value::Null);
    assert_eq!(details["after"], r#"["Still on the on-call rota","Left the team"]"#);
    assert_eq!(changes.events[0].actor, lower(&admins[0]));

    // The binder says it as written.
    h.clock.set(at(2026, 1, 30, 9));
    h.app.run_due().await.expect("the schedule closes it");
    let dir = tempfile::tempdir().expect("a folder");
    let paths = EvidencePaths {
        pdf: Some(dir.path().join("binder.pdf")),
        csv: Some(dir.path().join("decisions.csv")),
        json: Some(dir.path().join("binder.json")),
    };
    h.app.evidence_export(&id, paths.clone()).await.expect("export");
    for file in ["decisions.csv", "binder.json"] {
        let text = std::fs::read_to_string(dir.path().join(file)).expect("written");
        assert!(text.contains(&picked), "{file} has the justification as written");
    }
    let report = h.app.verify(&id, paths).await.expect("verify");
    assert!(report.ok, "{:?}", report.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>());
}
