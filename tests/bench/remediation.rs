//! Remediation benchmark: 5,000 removals applied and verified through `recert-app` against the
//! emulator with 20 ms latency per request and occasional 429s with `Retry-After` (target ≤ 30 s).

use std::time::Instant;

use chrono::{TimeZone, Utc};
use recert_app::CancellationToken;
use recert_app::campaigns::default_settings;
use recert_app::campaigns::dto::{
    DefinitionDto, PrincipalTypesDto, ReviewerDto, ReviewersDto, ScheduleDto, ScopeDto,
};
use recert_emulator::{Faults, GenerateOptions, Options, Tenant};
use recert_tests::Harness;

const REMOVALS: u32 = 5_000;

pub async fn removals_5000() -> Vec<(String, f64, String)> {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("a valid time");
    let tenant = Tenant::generate(&GenerateOptions {
        seed: 6,
        users: 3_000,
        assignments: 7_500,
        arm_assignments: Some(0),
        now: Some(now),
        ..GenerateOptions::default()
    });
    let reviewer = tenant
        .users()
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .find(|u| !u.starts_with("breakglass"))
        .expect("a user")
        .to_string();
    let h = Harness::start(tenant, Options::default()).await;
    h.clock.set(now + chrono::Duration::days(4));
    h.pull().await;
    h.act_as_admin().await;
    let mut settings = default_settings();
    settings.no_response = "remove".into();
    settings.recommendations = false;
    let who = ReviewerDto { id: String::new(), upn: reviewer, display_name: String::new() };
    let created = h
        .app
        .definition_create(DefinitionDto {
            id: String::new(),
            tenant_id: h.tenant_id.clone(),
            name: "Remediation benchmark".into(),
            description: String::new(),
            scope: ScopeDto {
                surfaces: vec!["directoryRole".into()],
                role_ids: Vec::new(),
                kinds: "both".into(),
                principal_types: PrincipalTypesDto {
                    users: true,
                    guests: true,
                    groups: true,
                    service_principals: true,
                },
                exclusions: Vec::new(),
                pim_groups: Vec::new(),
            },
            reviewers: ReviewersDto {
                source: "named".into(),
                named: vec![who.clone()],
                fallback: vec![who],
                rule: "firstDecides".into(),
            },
            schedule: ScheduleDto {
                start: "2026-01-01T09:00".into(),
                time_zone: "UTC".into(),
                duration_days: 14,
                recurrence: "none".into(),
                end: "never".into(),
                end_date: None,
                end_count: None,
            },
            settings,
            stages: Vec::new(),
        })
        .await
        .expect("a definition");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    h.app.campaign_close(&campaign, None).await.expect("close");
    let plan = h.app.remediation_plan(&campaign).await.expect("plan");
    assert!(plan.counts.actions >= REMOVALS, "the tenant yields {} removals", plan.counts.actions);

    // 20 ms on every request, and a 429 with Retry-After: 1 every 4,000 requests.
    h.emulator
        .set_faults(Faults {
            latency_ms: 20,
            throttle_every: 4_000,
            retry_after_secs: 1,
            ..Faults::default()
        })
        .expect("faults");
    let start = Instant::now();
    let done =
        h.app.remediation_apply(&campaign, &|_| {}, CancellationToken::new()).await.expect("apply");
    let seconds = start.elapsed().as_secs_f64();
    let throttled = h.emulator.mutation_log().iter().filter(|m| m.status == 429).count();
    let c = &done.counts;
    assert_eq!(c.planned + c.submitted, 0, "every action is final: {c:?}");
    vec![
        (
            format!("{} removals applied and verified (20 ms latency)", c.actions),
            seconds,
            "s".into(),
        ),
        ("removals per second".into(), f64::from(c.actions) / seconds, "1/s".into()),
        ("verified removed".into(), f64::from(c.verified_removed), "actions".into()),
        ("failed".into(), f64::from(c.failed), "actions".into()),
        (
            "removal requests answered 429 (Retry-After honoured)".into(),
            throttled as f64,
            "requests".into(),
        ),
    ]
}
