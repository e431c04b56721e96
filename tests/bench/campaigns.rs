//! Campaign benchmarks at 100,000 items: opening (pull, seal, route, recommend, store), a
//! filtered worklist page of 200, one durable decision, and 10,000 decisions in one call.

use std::time::Instant;

use recert_app::Verdict;
use recert_app::campaigns::dto::WorklistQueryDto;
use recert_emulator::{GenerateOptions, Options, Tenant};
use recert_tests::Harness;

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(index).copied().unwrap_or(f64::NAN)
}

pub async fn campaign_100k() -> Vec<(String, f64, String)> {
    let tenant = Tenant::generate(&GenerateOptions {
        seed: 7,
        users: 20_000,
        assignments: 100_000,
        ..GenerateOptions::default()
    });
    let lead = tenant
        .managers()
        .values()
        .fold(std::collections::BTreeMap::<&str, usize>::new(), |mut m, id| {
            *m.entry(id.as_str()).or_default() += 1;
            m
        })
        .into_iter()
        .max_by_key(|(id, n)| (*n, std::cmp::Reverse(*id)))
        .and_then(|(id, _)| tenant.user(id)?.get("userPrincipalName")?.as_str().map(str::to_string))
        .expect("a manager");
    let dir = tempfile::tempdir().expect("a temp dir");
    let h = Harness::start_with_db(tenant, Options::default(), Some(&dir.path().join("bench.db")))
        .await;
    let mut rows = Vec::new();

    let start = Instant::now();
    h.pull().await;
    let pull_s = start.elapsed().as_secs_f64();
    h.act_as_admin().await;
    rows.push(("pull of the tenant (emulator, no latency)".to_string(), pull_s, "s".to_string()));

    let mut definition = recert_tests::quarterly(&h.tenant_id, &lead);
    definition.scope.surfaces = vec!["directoryRole".into(), "pimGroup".into(), "azureRole".into()];
    let created = h.app.definition_create(definition).await.expect("definition");
    let start = Instant::now();
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open");
    let open_s = start.elapsed().as_secs_f64();
    rows.push((
        format!("open a campaign of {} items, including its pull", campaign.items),
        open_s,
        "s".to_string(),
    ));
    rows.push((
        "open after the pull (open minus a pull of the same tenant)".to_string(),
        (open_s - pull_s).max(0.0),
        "s".to_string(),
    ));

    // A reviewer's filtered page, as the window asks for it while scrolling and typing.
    let detail = h.app.campaign(&campaign.id).await.expect("detail");
    let reviewer = detail.reviewers.iter().max_by_key(|r| r.assigned).expect("a reviewer").clone();
    let mut page_ms = Vec::new();
    for (i, search) in
        ["", "a", "ad", "adm", "admin", "e", "er", ""].iter().cycle().take(60).enumerate()
    {
        let query = WorklistQueryDto {
            decision: Some("undecided".into()),
            search: Some((*search).to_string()),
            kind: if i % 2 == 0 { None } else { Some("eligible".into()) },
            limit: 200,
            offset: (i as u32 % 5) * 200,
            ..Default::default()
        };
        let start = Instant::now();
        h.app.worklist(&campaign.id, query).await.expect("page");
        page_ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    rows.push((
        "filtered worklist page of 200, median".to_string(),
        percentile(page_ms.clone(), 0.5),
        "ms".to_string(),
    ));
    rows.push((
        "filtered worklist page of 200, p95".to_string(),
        percentile(page_ms, 0.95),
        "ms".to_string(),
    ));

    // One durable decision at a time (each its own transaction with its audit event).
    let me = h.act_as(&reviewer.upn).await;
    let mine = h
        .app
        .worklist(
            &campaign.id,
            WorklistQueryDto {
                reviewer: Some(reviewer.id.clone()),
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("my items");
    let mut one_ms = Vec::new();
    for item in mine.items.iter().filter(|i| i.principal_id != me.id).take(200) {
        let start = Instant::now();
        h.app
            .decide(
                &campaign.id,
                vec![item.id],
                Verdict::Approve,
                String::new(),
                recert_domain::review::DecisionSource::Window,
            )
            .await
            .expect("decide");
        one_ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    rows.push((
        "one durable decision, p95".to_string(),
        percentile(one_ms, 0.95),
        "ms".to_string(),
    ));

    // 10,000 decisions in one call, by a governance admin (the items span many reviewers).
    // The reviewer may already be one (a tenant's first admins come from its role holders):
    // adding them again is refused, so only a reviewer who is not one is added.
    if !h.admins().await.iter().any(|a| a.eq_ignore_ascii_case(&me.upn)) {
        h.act_as_admin_except(&[&me.upn]).await;
        h.app.add_admin(&h.tenant_id, &me.upn).await.expect("admin");
    }
    h.act_as(&me.upn).await;
    let mut ids = Vec::new();
    let mut offset = 0;
    while ids.len() < 10_000 {
        let page = h
            .app
            .worklist(
                &campaign.id,
                WorklistQueryDto {
                    decision: Some("undecided".into()),
                    limit: 1000,
                    offset,
                    ..Default::default()
                },
            )
            .await
            .expect("page");
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u32;
        ids.extend(page.items.iter().filter(|i| i.principal_id != me.id).map(|i| i.id));
    }
    ids.truncate(10_000);
    let n = ids.len();
    let start = Instant::now();
    h.app
        .decide(
            &campaign.id,
            ids,
            Verdict::Approve,
            "Quarterly attestation".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("bulk");
    rows.push((
        format!("{n} bulk decisions in one call"),
        start.elapsed().as_secs_f64(),
        "s".to_string(),
    ));
    rows
}
