//! A whole quarter through `recert-app` against the emulator: define, open when due (and only
//! once), decide under the rules — as the person acting, never one a caller names — import,
//! close at the deadline, catch up after a gap.

use recert_app::campaigns::dto::WorklistQueryDto;
use recert_app::{ErrorCode, Verdict};
use recert_emulator::{Options, Tenant};
use recert_tests::{Harness, at, lead, quarterly};

async fn harness() -> (Harness, Tenant) {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let harness = Harness::start(tenant.clone(), Options::default()).await;
    harness.clock.set(at(2025, 12, 20, 12));
    harness.pull().await;
    harness.act_as_admin_except(&[&lead(&tenant)]).await;
    (harness, tenant)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_definitions_are_refused_field_by_field() {
    let (h, tenant) = harness().await;
    let mut bad = quarterly(&h.tenant_id, &lead(&tenant));
    bad.name = "  ".into();
    bad.reviewers.fallback.clear();
    bad.schedule.duration_days = 120;
    bad.schedule.time_zone = "Mars/Olympus".into();
    let err = h.app.definition_create(bad).await.expect_err("four problems");
    assert_eq!(err.code, ErrorCode::Invalid);
    let mut fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["name", "reviewers.fallback", "schedule.durationDays", "schedule.timeZone"],
        "{err:?}"
    );

    let mut unknown = quarterly(&h.tenant_id, "nobody@nowhere.test");
    unknown.name = "x".into();
    let err = h.app.definition_create(unknown).await.expect_err("unknown reviewer");
    assert_eq!(err.fields[0].field, "reviewers.fallback", "{err:?}");
    assert!(h.app.definitions(None).await.expect("list").is_empty(), "nothing was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_quarter_from_definition_to_close() {
    let (h, tenant) = harness().await;
    let created =
        h.app.definition_create(quarterly(&h.tenant_id, &lead(&tenant))).await.expect("valid");
    assert_eq!(created.next.len(), 4, "the next four occurrences are previewed");
    assert_eq!(
        created.next[0].start, "2026-01-01T08:00:00Z",
        "09:00 in Berlin is 08:00 UTC in winter"
    );
    assert_eq!(created.next[1].start, "2026-04-01T07:00:00Z", "and 07:00 UTC in summer");

    // Before the start nothing is due; on 5 January the Q1 campaign opens, once. The schedule
    // runs unattended, as the application.
    let scheduler = h.app.as_application("scheduler");
    assert_eq!(scheduler.run_due().await.expect("run").opened.len(), 0);
    h.clock.set(at(2026, 1, 5, 10));
    let report = scheduler.run_due().await.expect("run");
    assert_eq!(report.opened.len(), 1, "{report:?}");
    let again = scheduler.run_due().await.expect("run twice");
    assert!(again.opened.is_empty() && again.missed.is_empty(), "idempotent: {again:?}");
    let campaign_id = report.opened[0].clone();
    let detail = h.app.campaign(&campaign_id).await.expect("detail");
    assert_eq!(detail.campaign.state.as_str(), "open");
    assert!(detail.campaign.name.ends_with("Q1 2026"), "{}", detail.campaign.name);
    assert!(detail.campaign.items > 0, "{:?}", detail.campaign);
    assert_eq!(detail.snapshot_sha256.as_deref().map(str::len), Some(64), "the snapshot is sealed");

    // Every item has a reviewer who is not its holder, except the fallback reviewer's own
    // assignments: nobody may review those, so they wait for a governance admin.
    let all = h
        .app
        .worklist(&campaign_id, WorklistQueryDto { limit: 1000, ..Default::default() })
        .await
        .expect("page");
    assert_eq!(all.total, detail.campaign.items);
    let fallback = lead(&tenant);
    for item in &all.items {
        assert!(
            item.reviewers.iter().all(|r| r.id != item.principal_id),
            "item {} is not self-reviewed",
            item.id
        );
        if item.reviewers.is_empty() {
            assert_eq!(
                item.principal_upn.as_deref(),
                Some(fallback.as_str()),
                "only the fallback's own items are unrouted"
            );
        }
    }
    let unrouted = h
        .app
        .worklist(&campaign_id, WorklistQueryDto { unrouted: true, ..Default::default() })
        .await
        .expect("unrouted");
    assert_eq!(unrouted.total, detail.campaign.unrouted);
    if let Some(item) = unrouted.items.first() {
        h.act_as(&fallback).await;
        let err = h
            .app
            .decide(
                &campaign_id,
                vec![item.id],
                Verdict::Approve,
                String::new(),
                recert_domain::review::DecisionSource::Cli,
            )
            .await
            .expect_err("own access");
        assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
        let admins = h.admins().await;
        let person = tenant
            .users()
            .iter()
            .filter_map(|u| u["userPrincipalName"].as_str())
            .find(|upn| {
                *upn != fallback
                    && !upn.starts_with("breakglass")
                    && !upn.contains("#EXT#")
                    && !admins.iter().any(|a| a.eq_ignore_ascii_case(upn))
            })
            .expect("another user");
        h.act_as(person).await;
        let err = h
            .app
            .decide(
                &campaign_id,
                vec![item.id],
                Verdict::Approve,
                String::new(),
                recert_domain::review::DecisionSource::Cli,
            )
            .await
            .expect_err("not an admin");
        assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
        h.act_as_admin_except(&[&fallback]).await;
        h.app
            .decide(
                &campaign_id,
                vec![item.id],
                Verdict::Approve,
                String::new(),
                recert_domain::review::DecisionSource::Cli,
            )
            .await
            .expect("an admin decides");
    }

    // The busiest reviewer works their queue.
    let reviewer = detail.reviewers.iter().max_by_key(|r| r.assigned).expect("a reviewer");
    h.act_as(&reviewer.upn).await;
    let mine = h
        .app
        .worklist(
            &campaign_id,
            WorklistQueryDto {
                reviewer: Some(reviewer.upn.clone()),
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("my reviews");
    assert_eq!(mine.total, reviewer.assigned, "My reviews shows exactly the assigned items");
    let first = mine.items[0].id;
    let err = h
        .app
        .decide(
            &campaign_id,
            vec![first],
            Verdict::Deny,
            " ".into(),
            recert_domain::review::DecisionSource::Cli,
        )
        .await
        .expect_err("no reason");
    assert_eq!(err.code, ErrorCode::Invalid, "a deny needs a justification by default: {err:?}");
    h.app
        .decide(
            &campaign_id,
            vec![first],
            Verdict::Deny,
            "Left the team".into(),
            recert_domain::review::DecisionSource::Cli,
        )
        .await
        .expect("deny");
    h.app
        .decide(
            &campaign_id,
            vec![first],
            Verdict::Approve,
            String::new(),
            recert_domain::review::DecisionSource::Cli,
        )
        .await
        .expect("changed");
    h.app
        .decide(
            &campaign_id,
            vec![first],
            Verdict::Deny,
            "Left the team after all".into(),
            recert_domain::review::DecisionSource::Cli,
        )
        .await
        .expect("changed back");

    // Someone who is not a reviewer of the item is refused: nobody can name another decider.
    let outsider = detail
        .reviewers
        .iter()
        .find(|r| r.upn != reviewer.upn && !mine.items[0].reviewers.iter().any(|x| x.upn == r.upn))
        .expect("another reviewer");
    if !h.admins().await.iter().any(|a| a.eq_ignore_ascii_case(&outsider.upn)) {
        h.act_as(&outsider.upn).await;
        let err = h
            .app
            .decide(
                &campaign_id,
                vec![first],
                Verdict::Approve,
                String::new(),
                recert_domain::review::DecisionSource::Cli,
            )
            .await
            .expect_err("outsider");
        assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    }
    h.act_as(&reviewer.upn).await;

    // Bulk: approve the rest of the queue in one call; then an all-or-nothing CSV import.
    let rest: Vec<u32> = mine.items.iter().skip(1).map(|i| i.id).collect();
    if !rest.is_empty() {
        let bulk = h
            .app
            .decide(
                &campaign_id,
                rest.clone(),
                Verdict::Approve,
                String::new(),
                recert_domain::review::DecisionSource::Window,
            )
            .await
            .expect("bulk");
        assert_eq!(bulk.recorded as usize, rest.len());
        assert!(bulk.batch.is_some(), "bulk decisions share a batch");
    }
    let bad_csv = format!("item,decision,justification\n{first},approve,fine\n{first},maybe,\n");
    let err = h.app.import_decisions(&campaign_id, &bad_csv).await.expect_err("bad line");
    assert!(err.message.contains("line 3"), "{err:?}");
    let progress = h.app.campaign(&campaign_id).await.expect("detail").campaign;
    assert_eq!(
        progress.decided,
        reviewer.assigned + u32::from(!unrouted.items.is_empty()),
        "the failed import applied nothing"
    );

    // After the deadline (22 January 09:00 Berlin) the scheduler closes it.
    h.clock.set(at(2026, 1, 22, 9));
    let report = scheduler.run_due().await.expect("run");
    assert_eq!(report.closed, vec![campaign_id.clone()], "{report:?}");
    let closed = h.app.campaign(&campaign_id).await.expect("detail");
    assert_eq!(closed.campaign.state.as_str(), "closed");
    let o = &closed.outcomes;
    assert_eq!(o.keep + o.remove + o.exception, closed.campaign.items, "every item has an outcome");
    let denied = h
        .app
        .worklist(
            &campaign_id,
            WorklistQueryDto { decision: Some("deny".into()), ..Default::default() },
        )
        .await
        .expect("denied");
    assert_eq!(denied.total, 1);
    let item = &denied.items[0];
    let expected = if item.membership == "direct" { "remove" } else { "exception" };
    assert_eq!(item.outcome.map(|o| o.as_str()), Some(expected), "{item:?}");
    let undecided = h
        .app
        .worklist(
            &campaign_id,
            WorklistQueryDto { decision: Some("undecided".into()), limit: 1, ..Default::default() },
        )
        .await
        .expect("undecided");
    if let Some(item) = undecided.items.first() {
        assert_eq!(
            item.outcome.map(|o| o.as_str()),
            Some("keep"),
            "no response keeps access by default"
        );
        assert!(
            item.outcome_reason.as_deref().is_some_and(|r| r.contains("no response")),
            "{item:?}"
        );
    }
    let err = h
        .app
        .decide(
            &campaign_id,
            vec![first],
            Verdict::Approve,
            String::new(),
            recert_domain::review::DecisionSource::Cli,
        )
        .await
        .expect_err("closed");
    assert_eq!(err.code, ErrorCode::Conflict);

    // Nothing ran from April to July: Q2 is recorded as missed, Q3 opens.
    h.clock.set(at(2026, 7, 10, 12));
    let report = scheduler.run_due().await.expect("catch up");
    assert_eq!(report.missed.len(), 1, "{report:?}");
    assert_eq!(report.opened.len(), 1, "{report:?}");
    let states: Vec<&str> =
        h.app.campaigns(None).await.expect("list").into_iter().map(|c| c.state.as_str()).collect();
    assert_eq!(states, ["open", "missed", "closed"], "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_runs_once_at_a_time_per_database() {
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("recert.db");
    let h = Harness::start_with_db(tenant.clone(), Options::default(), Some(&db)).await;
    h.clock.set(at(2025, 12, 20, 12));
    h.pull().await;
    h.act_as_admin_except(&[&lead(&tenant)]).await;
    h.app.definition_create(quarterly(&h.tenant_id, &lead(&tenant))).await.expect("valid");
    h.clock.set(at(2026, 1, 5, 10));
    let scheduler = h.app.as_application("scheduler");

    // Another process (a cron `recert-cli run-due`, another window) holds the schedule's lock
    // file: this run does nothing and says why.
    let other = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("recert.db.schedule.lock"))
        .expect("the lock file");
    other.try_lock().expect("the other process locks it");
    let err = scheduler.run_due().await.expect_err("refused while another runs");
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert!(err.message.contains("another Recert process"), "{}", err.message);
    assert!(h.app.campaigns(None).await.expect("list").is_empty(), "nothing was opened");

    // Once it has finished (or died: the system drops its lock), the next run does the work.
    drop(other);
    let report = scheduler.run_due().await.expect("runs");
    assert_eq!(report.opened.len(), 1, "{report:?}");
}

/// `getByIds` answers only default properties unless asked (a documented known issue), so a
/// client that does not ask loses `accountEnabled` and `userType` — and with them these
/// recommendations. The strict emulator answers as the service does; this proves they survive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_accounts_and_inactive_guests_are_recommended_for_removal_with_the_reason() {
    let (h, tenant) = harness().await;
    h.app.definition_create(quarterly(&h.tenant_id, &lead(&tenant))).await.expect("valid");
    h.clock.set(at(2026, 1, 5, 10));
    let report = h.app.as_application("scheduler").run_due().await.expect("run");
    let campaign_id = report.opened.first().expect("opened").clone();
    let mut items = Vec::new();
    loop {
        let query =
            WorklistQueryDto { offset: items.len() as u32, limit: 1000, ..Default::default() };
        let page = h.app.worklist(&campaign_id, query).await.expect("page");
        let done = page.items.is_empty() || items.len() + page.items.len() >= page.total as usize;
        items.extend(page.items);
        if done {
            break;
        }
    }

    let disabled: Vec<_> = items.iter().filter(|i| i.account_enabled == Some(false)).collect();
    assert!(!disabled.is_empty(), "the demo tenant has disabled holders, and the pull sees them");
    for item in &disabled {
        assert_eq!(item.recommendation.as_deref(), Some("deny"), "item {}", item.id);
        assert_eq!(
            item.recommendation_reason.as_deref(),
            Some("the account is disabled"),
            "item {}",
            item.id
        );
    }
    let guests: Vec<_> = items
        .iter()
        .filter(|i| i.recommendation_reason.as_deref().is_some_and(|r| r.starts_with("guest ")))
        .collect();
    assert!(!guests.is_empty(), "inactive guests are recommended for removal");
    for item in &guests {
        assert_eq!(item.recommendation.as_deref(), Some("deny"), "item {}", item.id);
        assert!(
            item.principal_upn.as_deref().is_some_and(|u| u.contains("#EXT#")),
            "only guests get a guest reason: item {} {:?}",
            item.id,
            item.principal_upn
        );
    }
}

// See: issue 20 ("a demo campaign appears under a real tenant").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_lists_its_own_campaigns_only() {
    let (h, tenant) = harness().await;
    h.app.connect(recert_tests::connection(&h.emulator, "second")).expect("a second tenant");
    let created =
        h.app.definition_create(quarterly(&h.tenant_id, &lead(&tenant))).await.expect("valid");
    let opened = h.app.campaign_open(&created.definition.id).await.expect("open");

    let here = h.app.tenant_campaigns(&h.tenant_id, None).await.expect("this tenant's");
    assert_eq!(here.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [opened.id.as_str()]);
    let there = h.app.tenant_campaigns("second", None).await.expect("the other tenant's");
    assert!(there.is_empty(), "the first tenant's campaign is not the second's: {there:?}");
    assert_eq!(
        h.app.campaigns(None).await.expect("every tenant's").len(),
        1,
        "the unfiltered list (the CLI's) still has every campaign"
    );
    assert_eq!(opened.tally, Default::default(), "an open campaign has nothing held or kept yet");
}

// See: issue 20 ("a routing preview before opening ... the count in scope matches what opens").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_routes_what_opening_takes_and_counts_the_critical_roles_left() {
    let (h, tenant) = harness().await;
    let mut definition = quarterly(&h.tenant_id, &lead(&tenant));
    definition.settings.no_response = "remove".into();
    let preview = h.app.definition_preview(definition.clone()).await.expect("a preview");
    assert!(preview.items > 0 && preview.pulled_at.is_some(), "{preview:?}");
    assert!(preview.reviewer_count as usize >= preview.reviewers.len(), "{preview:?}");
    assert!(
        preview.reviewers.windows(2).all(|w| w[0].items >= w[1].items),
        "the busiest reviewers first"
    );
    let share = f64::from(preview.fallback_items) / f64::from(preview.items);
    assert!((preview.fallback_share - share).abs() < 1e-9, "{preview:?}");
    assert!(preview.removes_on_no_response);
    assert!(!preview.critical.is_empty(), "the default critical roles are previewed");
    for c in &preview.critical {
        assert_eq!(c.left + c.removable, c.holders, "{c:?}");
    }

    let created = h.app.definition_create(definition).await.expect("valid");
    let opened = h.app.campaign_open(&created.definition.id).await.expect("open");
    assert_eq!(opened.items, preview.items, "the count in scope is what opens");
    assert_eq!(opened.unrouted, preview.unrouted, "and so are the items nobody may review");
}

/// The reviewer's facts about a role: its tier with the fact behind it (a critical role by the
/// safety settings, a privileged one by a permission it grants), a custom role's permissions, and
/// the administrative unit's and the subscription's names instead of their ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviewer_is_told_how_privileged_a_role_is_and_where_it_applies_by_name() {
    use recert_app::campaigns::RoleTierDto;
    let (h, tenant) = harness().await;
    let mut definition = quarterly(&h.tenant_id, &lead(&tenant));
    definition.scope.surfaces = vec!["directoryRole".into(), "azureRole".into()];
    let created = h.app.definition_create(definition).await.expect("valid");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open");
    let page = h
        .app
        .worklist(&campaign.id, WorklistQueryDto { limit: 1000, ..Default::default() })
        .await
        .expect("a page");
    let mut items = page.items.clone();
    let mut offset = page.items.len() as u32;
    let mut roles = page.roles.clone();
    while offset < page.total {
        let next = h
            .app
            .worklist(&campaign.id, WorklistQueryDto { limit: 1000, offset, ..Default::default() })
            .await
            .expect("a page");
        offset += next.items.len() as u32;
        items.extend(next.items);
        roles.extend(next.roles);
    }
    let tier = |name: &str| {
        let item = items.iter().find(|i| i.role_name == name).expect(name);
        roles.iter().find(|r| r.role_id == item.role_id).expect("the page tells its tier").clone()
    };
    let ga = tier("Global Administrator");
    assert_eq!(ga.tier, RoleTierDto::Critical, "{ga:?}");
    assert!(ga.reason.contains("at least 2 holders"), "{ga:?}");
    let helpdesk = tier("Helpdesk Administrator");
    assert_eq!(helpdesk.tier, RoleTierDto::Privileged, "{helpdesk:?}");
    assert!(helpdesk.reason.contains("microsoft.directory/users/password/update"), "{helpdesk:?}");
    let reader = tier("Reader");
    assert_eq!(reader.tier, RoleTierDto::Standard, "{reader:?}");

    // A custom role's permissions, as the tenant lists them; a built-in one's are not repeated.
    let custom = items.iter().find(|i| i.role_name.contains("(custom)")).expect("a custom role");
    let facts = h.app.item_facts(&campaign.id, custom.id).await.expect("facts");
    assert_eq!(
        facts.custom_permissions.as_deref(),
        Some(
            &[
                "microsoft.directory/users/password/update".to_string(),
                "microsoft.directory/signInReports/allProperties/read".to_string(),
            ][..]
        )
    );
    assert_eq!(facts.role.tier, RoleTierDto::Privileged);
    let builtin = items.iter().find(|i| i.role_name == "Global Administrator").expect("GA");
    let facts = h.app.item_facts(&campaign.id, builtin.id).await.expect("facts");
    assert_eq!(facts.custom_permissions, None, "a built-in role's name says what it allows");

    // Scopes by name: the administrative unit's and the subscription's.
    let unit_names: Vec<&str> =
        tenant.administrative_units().iter().filter_map(|u| u["displayName"].as_str()).collect();
    let scoped = items
        .iter()
        .find(|i| i.scope.to_ascii_lowercase().starts_with("/administrativeunits/"))
        .expect("an assignment scoped to an administrative unit");
    let facts = h.app.item_facts(&campaign.id, scoped.id).await.expect("facts");
    let name = facts.scope_name.expect("the unit's name was pulled");
    assert!(unit_names.contains(&name.as_str()), "{name} among {unit_names:?}");
    let azure = items
        .iter()
        .find(|i| i.surface == recert_domain::Surface::AzureRole)
        .expect("an Azure role");
    let facts = h.app.item_facts(&campaign.id, azure.id).await.expect("facts");
    let sub = azure.scope.split('/').nth(2).expect("a subscription id").to_ascii_lowercase();
    let expected = tenant
        .arm()
        .subscriptions
        .iter()
        .find(|s| s["subscriptionId"].as_str().is_some_and(|id| id.eq_ignore_ascii_case(&sub)))
        .and_then(|s| s["displayName"].as_str())
        .expect("the subscription");
    assert_eq!(facts.scope_name.as_deref(), Some(expected));
}

/// A PIM group's membership takes the tier of the roles the group holds (the most privileged
/// named), in the page and in the pane; a group that holds none says why its tier is not known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pim_group_is_as_privileged_as_the_roles_it_holds() {
    use recert_app::campaigns::RoleTierDto;
    let (h, tenant) = harness().await;
    let mut definition = quarterly(&h.tenant_id, &lead(&tenant));
    definition.scope.surfaces = vec!["directoryRole".into(), "azureRole".into(), "pimGroup".into()];
    let created = h.app.definition_create(definition).await.expect("valid");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open");
    let (mut items, mut roles) = (Vec::new(), Vec::new());
    loop {
        let query =
            WorklistQueryDto { limit: 1000, offset: items.len() as u32, ..Default::default() };
        let page = h.app.worklist(&campaign.id, query).await.expect("a page");
        let done = page.items.is_empty() || items.len() + page.items.len() >= page.total as usize;
        items.extend(page.items);
        roles.extend(page.roles);
        if done {
            break;
        }
    }
    // What each group holds, as the campaign's own Entra and Azure items say.
    let held_by = |group: &str| -> Vec<String> {
        items
            .iter()
            .filter(|i| {
                i.surface.as_str() != "pimGroup" && i.principal_id.eq_ignore_ascii_case(group)
            })
            .map(|i| i.role_name.clone())
            .collect()
    };
    let memberships: Vec<_> = items.iter().filter(|i| i.surface.as_str() == "pimGroup").collect();
    assert!(!memberships.is_empty(), "the demo tenant has PIM groups");
    let (mut with_roles, mut without) = (0, 0);
    for m in &memberships {
        let fact = roles
            .iter()
            .find(|r| {
                r.surface == "pimGroup"
                    && r.role_id == m.role_id
                    && r.scope.as_deref() == Some(&m.scope)
            })
            .unwrap_or_else(|| panic!("the page tells the tier of group {}", m.scope));
        let held = held_by(&m.scope);
        if held.is_empty() {
            without += 1;
            assert_eq!(fact.tier, RoleTierDto::Unknown, "{fact:?}");
            assert!(fact.reason.contains("holds no Entra or Azure role"), "{fact:?}");
        } else {
            with_roles += 1;
            let who = if m.role_id == "owner" {
                "Its owners choose who holds "
            } else {
                "Its members hold "
            };
            assert!(fact.reason.starts_with(who), "{fact:?}");
            assert!(
                held.iter().any(|r| fact.reason.contains(r.as_str())),
                "{fact:?} names one of {held:?}"
            );
            assert_ne!(fact.tier, RoleTierDto::Unknown, "{fact:?} holds {held:?}");
            if held.iter().any(|r| r == "Global Administrator") {
                assert_eq!(fact.tier, RoleTierDto::Critical, "{fact:?}");
            }
        }
        let pane = h.app.item_facts(&campaign.id, m.id).await.expect("facts");
        assert_eq!(&pane.role, fact, "the pane says what the row says");
    }
    assert!(with_roles > 0, "some PIM group holds a role: {without} hold none");
}

/// "Open now" takes the next window and the campaign is named after that window, as the
/// definition's list says beforehand — not after the day it was opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_now_names_the_campaign_after_the_window_it_takes() {
    let (h, tenant) = harness().await;
    let mut definition = quarterly(&h.tenant_id, &lead(&tenant));
    // Opened on 2025-12-20, before the first window (the quarter starting 2026-04-01).
    definition.schedule.start = "2026-04-01T09:00".into();
    let created = h.app.definition_create(definition).await.expect("valid");
    let listed = h.app.definitions(Some(h.tenant_id.clone())).await.expect("the definitions");
    let next = &listed
        .iter()
        .find(|d| d.definition.id == created.definition.id)
        .expect("the definition")
        .next[0];
    assert_eq!(next.campaign_name, "Quarterly privileged access review — Q2 2026");
    let opened = h.app.campaign_open(&created.definition.id).await.expect("open now");
    assert_eq!(opened.name, next.campaign_name, "named after the window it takes");
}
