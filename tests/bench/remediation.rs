//! Remediation benchmark: 5,000 removals applied and verified through `recert-app` against the
//! emulator with 20 ms latency per request and occasional 429s with `Retry-After` (target ≤ 30 s).

use std::time::Instant;

use chrono::{TimeZone, Utc};
use recert_app::CancellationToken;
use recert_app::campaigns::{default_settings, one_reviewer_definition};
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
    let created = h
        .app
        .definition_create(one_reviewer_definition(
            &h.tenant_id,
            "Remediation benchmark",
            &reviewer,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .expect("a start"),
            settings,
        ))
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
