//! The findings on a small review built to cross every limit once, and on a clean one.

use std::fmt::Write as _;

use chrono::TimeZone;
use expect_test::{Expect, expect};

use super::*;

fn at(day: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).single().expect("a time")
        + chrono::Duration::seconds(i64::from(second))
}

fn item(id: u32, role_id: &str, holder: &str, reviewer: &str, rec: &str) -> ReviewedItem {
    ReviewedItem {
        id,
        role_id: role_id.into(),
        role: if is_critical_role(role_id) { "Global Administrator" } else { "Reader" }.into(),
        holder_id: holder.into(),
        holder: format!("{holder}@contoso"),
        reviewers: vec![Person { id: reviewer.into(), name: format!("{reviewer}@contoso") }],
        recommendation: (!rec.is_empty()).then(|| rec.to_string()),
        outcome: Some("keep".into()),
    }
}

fn decision(
    item: u32,
    by: &str,
    second: u32,
    verdict: &str,
    why: &str,
    bulk: bool,
) -> MadeDecision {
    MadeDecision {
        item,
        by_id: by.into(),
        by: format!("{by}@contoso"),
        at: at(10, second),
        verdict: verdict.into(),
        justification: why.into(),
        bulk,
        stands: true,
    }
}

fn render(f: &Findings) -> String {
    let mut out = String::new();
    for x in &f.findings {
        writeln!(
            out,
            "{} {}: {} | items {:?} | people {:?}",
            if x.raised { "RAISED" } else { "ok    " },
            x.kind.title(),
            x.measure,
            x.items,
            x.people
        )
        .expect("write");
    }
    for r in &f.reviewers {
        writeln!(
            out,
            "reviewer {}: {} decisions, bulk {:.2}, agreement {:?}, median {:?}, identical {:.2}, flags {:?}",
            r.reviewer, r.decisions, r.bulk_share, r.agreement, r.median_seconds, r.identical_share, r.flags
        )
        .expect("write");
    }
    out
}

fn check(facts: &ReviewFacts, expect: Expect) {
    expect.assert_eq(&render(&findings(facts)));
}

const GA: &str = GLOBAL_ADMINISTRATOR;
const READER: &str = "reader-role";

#[test]
fn a_review_that_crosses_every_limit() {
    // ann holds GA and reviews bob's Reader; bob reviews ann's GA (reciprocal, and a GA holder
    // reviewing). carol stamps six items in bulk, seconds apart, all alike and all as
    // recommended. Item 9 (GA) nobody decided. Two removals: one verified, one reappeared.
    let mut items = vec![
        item(1, GA, "ann", "bob", "approve"),
        item(2, READER, "bob", "ann", "approve"),
        item(9, GA, "dan", "erin", ""),
    ];
    let mut decisions = vec![
        decision(1, "bob", 0, "approve", "needs it", false),
        decision(2, "ann", 0, "approve", "on call", false),
    ];
    for n in 0..6 {
        items.push(item(10 + n, READER, &format!("u{n}"), "carol", "approve"));
        decisions.push(decision(10 + n, "carol", 100 + n * 2, "approve", "ok", true));
    }
    let facts = ReviewFacts {
        items,
        decisions,
        removals: vec![
            RemovalState { item: 10, verified: Some("verified-removed".into()), kept: false },
            RemovalState { item: 11, verified: Some("reappeared".into()), kept: false },
            RemovalState { item: 12, verified: None, kept: true },
        ],
        milestones: Milestones {
            window_end: at(20, 0),
            closed_at: Some(at(24, 0)),
            remediation_deadline: Some(at(31, 0)),
            remediation_done_at: None,
            as_of: Utc.with_ymd_and_hms(2026, 4, 3, 9, 0, 0).single().expect("a time"),
        },
    };
    check(
        &facts,
        expect![[r#"
            RAISED Non-response rate: 1 of 9 (11.1%) items had no decision at close; 1 reviewer(s) decided none of their items | items [9] | people ["erin@contoso"]
            RAISED Default outcomes on critical roles: 1 of 2 (50.0%) items on Global or Privileged Role Administrator were settled by the default, not by a reviewer | items [9] | people []
            RAISED Rubber-stamping measures per reviewer: 1 of 3 reviewers crossed a limit (bulk over 50%, agreement with the recommendation over 95%, median under 10 s, one justification over 50%; judged from 5 decisions up) | items [10, 11, 12, 13, 14, 15] | people ["carol@contoso"]
            RAISED Reviewers who hold Global or Privileged Role Administrator: 1 reviewer(s) hold Global or Privileged Role Administrator themselves, reviewing 1 item(s) | items [2] | people ["ann@contoso"]
            RAISED Reciprocal reviews: 1 pair(s) of people review each other's access, on 2 item(s) | items [1, 2] | people ["ann@contoso ↔ bob@contoso"]
            RAISED Removals not verified: 1 of 2 (50.0%) removals are not verified removed by re-reading the tenant (latest verification) | items [11] | people []
            RAISED Lateness against the schedule: closed 4 days after the review window ended; remediation unfinished 3 days after its deadline | items [] | people []
            RAISED Items without a decision: 1 of 9 (11.1%) items have no standing decision | items [9] | people []
            reviewer ann@contoso: 1 decisions, bulk 0.00, agreement Some(1.0), median None, identical 1.00, flags []
            reviewer bob@contoso: 1 decisions, bulk 0.00, agreement Some(1.0), median None, identical 1.00, flags []
            reviewer carol@contoso: 6 decisions, bulk 1.00, agreement Some(1.0), median Some(2.0), identical 1.00, flags ["100% decided in bulk", "100% agreed with the recommendation", "median 2.0 s between decisions", "100% share one justification"]
        "#]],
    );
}

#[test]
fn a_clean_review_raises_nothing() {
    let items = vec![item(1, READER, "ann", "bob", "approve"), item(2, GA, "dan", "carol", "deny")];
    let decisions = vec![
        decision(1, "bob", 0, "approve", "runs the on-call rota", false),
        decision(2, "carol", 300, "deny", "left the platform team", false),
    ];
    let facts = ReviewFacts {
        items,
        decisions,
        removals: vec![RemovalState {
            item: 2,
            verified: Some("verified-removed".into()),
            kept: false,
        }],
        milestones: Milestones {
            window_end: at(20, 0),
            closed_at: Some(at(20, 0)),
            remediation_deadline: Some(at(27, 0)),
            remediation_done_at: Some(at(21, 0)),
            as_of: at(22, 0),
        },
    };
    check(
        &facts,
        expect![[r#"
        ok     Non-response rate: 0 of 2 (0.0%) items had no decision at close; 0 reviewer(s) decided none of their items | items [] | people []
        ok     Default outcomes on critical roles: 0 of 1 (0.0%) items on Global or Privileged Role Administrator were settled by the default, not by a reviewer | items [] | people []
        ok     Rubber-stamping measures per reviewer: 0 of 2 reviewers crossed a limit (bulk over 50%, agreement with the recommendation over 95%, median under 10 s, one justification over 50%; judged from 5 decisions up) | items [] | people []
        ok     Reviewers who hold Global or Privileged Role Administrator: 0 reviewer(s) hold Global or Privileged Role Administrator themselves, reviewing 0 item(s) | items [] | people []
        ok     Reciprocal reviews: 0 pair(s) of people review each other's access, on 0 item(s) | items [] | people []
        ok     Removals not verified: 0 of 1 (0.0%) removals are not verified removed by re-reading the tenant (latest verification) | items [] | people []
        ok     Lateness against the schedule: closed and remediated within the schedule | items [] | people []
        ok     Items without a decision: 0 of 2 (0.0%) items have no standing decision | items [] | people []
        reviewer bob@contoso: 1 decisions, bulk 0.00, agreement Some(1.0), median None, identical 1.00, flags []
        reviewer carol@contoso: 1 decisions, bulk 0.00, agreement Some(1.0), median None, identical 1.00, flags []
    "#]],
    );
}
