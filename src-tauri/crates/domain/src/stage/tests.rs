//! Stages, case by case: which items each "takes" passes on, where "don't know" goes, the
//! windows the stages share, the validation of later stages, and which decision stands when
//! several stages decided.

use std::fmt::Write as _;

use chrono::{NaiveDate, TimeZone};
use expect_test::expect;

use super::*;
use crate::campaign::MultiReviewerRule;
use crate::review::{OutcomeReason, staged_verdict};

fn reviewer(id: &str) -> ReviewerRef {
    ReviewerRef { id: id.into(), upn: format!("{id}@contoso.com"), display_name: id.into() }
}

fn stage(reviewers: StageReviewers, days: u32, takes: Takes) -> Stage {
    Stage {
        reviewers,
        fallback: vec![reviewer("gov")],
        rule: MultiReviewerRule::FirstDecides,
        duration_days: days,
        takes,
    }
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, d).expect("a date")
}

#[test]
fn which_items_go_on() {
    let verdicts = [
        None,
        Some(Verdict::Approve),
        Some(Verdict::ApproveUntil(date(30))),
        Some(Verdict::ConvertToEligible),
        Some(Verdict::Deny),
        Some(Verdict::DontKnow),
    ];
    let mut out = String::new();
    for takes in Takes::ALL {
        let row: Vec<String> = verdicts
            .iter()
            .map(|v| {
                let name = v.map_or("undecided", |v| v.as_str());
                format!("{name}={}", if takes.takes(*v) { "on" } else { "-" })
            })
            .collect();
        writeln!(out, "{:<9} {}", takes.as_str(), row.join(" ")).expect("write");
        assert_eq!(Takes::parse(takes.as_str()), Some(takes), "round trip");
    }
    expect![[r#"
        all       undecided=on approve=on approveUntil=on convertToEligible=on deny=on dontKnow=on
        approved  undecided=- approve=on approveUntil=on convertToEligible=on deny=- dontKnow=-
        denied    undecided=- approve=- approveUntil=- convertToEligible=- deny=on dontKnow=-
        dontKnow  undecided=- approve=- approveUntil=- convertToEligible=- deny=- dontKnow=on
    "#]]
    .assert_eq(&out);
}

#[test]
fn dont_know_goes_to_the_next_stage_that_takes_it_or_to_the_fallback() {
    let mut out = String::new();
    for takes in Takes::ALL {
        let stages = [stage(StageReviewers::GovernanceAdmins, 3, takes)];
        writeln!(
            out,
            "stage 2 takes {:<9}: from stage 1 -> {:?}, from stage 2 -> {:?}",
            takes.as_str(),
            after_dont_know(&stages, 1),
            after_dont_know(&stages, 2)
        )
        .expect("write");
    }
    writeln!(out, "one stage: {:?}", after_dont_know(&[], 1)).expect("write");
    expect![[r#"
        stage 2 takes all      : from stage 1 -> NextStage, from stage 2 -> Fallback
        stage 2 takes approved : from stage 1 -> Fallback, from stage 2 -> Fallback
        stage 2 takes denied   : from stage 1 -> Fallback, from stage 2 -> Fallback
        stage 2 takes dontKnow : from stage 1 -> NextStage, from stage 2 -> Fallback
        one stage: Fallback
    "#]]
    .assert_eq(&out);
}

#[test]
fn stages_share_the_review_window() {
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).single().expect("start");
    let end = start + Duration::days(14);
    let stages = [
        stage(StageReviewers::Manager, 4, Takes::All),
        stage(StageReviewers::GovernanceAdmins, 3, Takes::DontKnow),
    ];
    let ws = windows(&stages, start, end);
    let mut out = String::new();
    for w in &ws {
        writeln!(out, "stage {}: {} .. {}", w.number, w.start, w.end).expect("write");
    }
    for day in [0, 6, 7, 10, 11, 13, 14, 20] {
        let now = start + Duration::days(day);
        writeln!(out, "day {day:>2}: stage {}", current(&ws, now)).expect("write");
    }
    expect![[r#"
        stage 1: 2026-06-01 09:00:00 UTC .. 2026-06-08 09:00:00 UTC
        stage 2: 2026-06-08 09:00:00 UTC .. 2026-06-12 09:00:00 UTC
        stage 3: 2026-06-12 09:00:00 UTC .. 2026-06-15 09:00:00 UTC
        day  0: stage 1
        day  6: stage 1
        day  7: stage 2
        day 10: stage 2
        day 11: stage 3
        day 13: stage 3
        day 14: stage 3
        day 20: stage 3
    "#]]
    .assert_eq(&out);
    let one = windows(&[], start, end);
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].start, one[0].end), (start, end), "one stage has the whole window");
}

#[test]
fn later_stages_are_checked() {
    let cases: Vec<(&str, Vec<Stage>, u32)> = vec![
        ("none", vec![], 14),
        (
            "managers then governance",
            vec![stage(StageReviewers::GovernanceAdmins, 5, Takes::DontKnow)],
            14,
        ),
        (
            "four stages",
            vec![
                stage(StageReviewers::Manager, 1, Takes::All),
                stage(StageReviewers::Manager, 1, Takes::All),
                stage(StageReviewers::Manager, 1, Takes::All),
            ],
            14,
        ),
        ("no first-stage days", vec![stage(StageReviewers::Manager, 14, Takes::All)], 14),
        ("zero days", vec![stage(StageReviewers::Manager, 0, Takes::All)], 14),
        ("nobody named", vec![stage(StageReviewers::Named(vec![]), 3, Takes::All)], 14),
        (
            "owners without people",
            vec![stage(
                StageReviewers::RoleOwners(vec![RoleOwners {
                    role_id: "r".into(),
                    owners: vec![],
                }]),
                3,
                Takes::Denied,
            )],
            14,
        ),
        (
            "no fallback",
            vec![Stage { fallback: vec![], ..stage(StageReviewers::Manager, 3, Takes::All) }],
            14,
        ),
        (
            "a reviewer without id",
            vec![stage(StageReviewers::Named(vec![reviewer("")]), 3, Takes::Approved)],
            14,
        ),
    ];
    let mut out = String::new();
    for (name, stages, days) in cases {
        let found = problems(&stages, days);
        let text = if found.is_empty() {
            "ok".to_string()
        } else {
            found
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        writeln!(out, "{name}: {text}").expect("write");
    }
    expect![[r#"
        none: ok
        managers then governance: ok
        four stages: stages: a review has at most 3 stages, the first included
        no first-stage days: stages.durationDays: the later stages take 14 of the 14 days: leave the first stage at least one
        zero days: stages.durationDays: give each stage at least one day
        nobody named: stages.named: name at least one reviewer for the stage
        owners without people: stages.roleOwners: name the owners of at least one role
        no fallback: stages.fallback: name at least one fallback reviewer for the stage
        a reviewer without id: stages.named: every reviewer of a stage needs an object id
    "#]]
    .assert_eq(&out);
}

#[test]
fn the_last_decision_that_decided_stands() {
    let v = |verdict: Verdict| Some((verdict, OutcomeReason::Approved));
    type Stages = Vec<Option<(Verdict, OutcomeReason)>>;
    let cases: Vec<(&str, Stages)> = vec![
        ("approve, then nothing", vec![v(Verdict::Approve), None]),
        ("approve, then deny", vec![v(Verdict::Approve), v(Verdict::Deny)]),
        ("don't know, then convert", vec![v(Verdict::DontKnow), v(Verdict::ConvertToEligible)]),
        ("don't know, then nothing", vec![v(Verdict::DontKnow), None]),
        ("deny, don't know, nothing", vec![v(Verdict::Deny), v(Verdict::DontKnow), None]),
        (
            "don't know, don't know, until",
            vec![v(Verdict::DontKnow), v(Verdict::DontKnow), v(Verdict::ApproveUntil(date(30)))],
        ),
        ("nothing at all", vec![None, None]),
    ];
    let mut out = String::new();
    for (name, stages) in cases {
        let stands = staged_verdict(&stages)
            .map_or("nothing: the default applies".into(), |(v, _)| v.encode());
        writeln!(out, "{name}: {stands}").expect("write");
    }
    expect![[r#"
        approve, then nothing: approve
        approve, then deny: deny
        don't know, then convert: convertToEligible
        don't know, then nothing: nothing: the default applies
        deny, don't know, nothing: deny
        don't know, don't know, until: approveUntil:2026-06-30
        nothing at all: nothing: the default applies
    "#]]
    .assert_eq(&out);
}

#[test]
fn each_stage_routes_through_a_reviewer_policy() {
    let admins = [reviewer("gov1"), reviewer("gov2")];
    let owners = StageReviewers::RoleOwners(vec![RoleOwners {
        role_id: "GA".into(),
        owners: vec![reviewer("owner")],
    }]);
    let mut out = String::new();
    for reviewers in [
        StageReviewers::Manager,
        StageReviewers::Named(vec![reviewer("ann")]),
        StageReviewers::GovernanceAdmins,
        owners.clone(),
    ] {
        for role in ["ga", "other"] {
            let policy = stage(reviewers.clone(), 3, Takes::All).policy_for(role, &admins);
            let source = match &policy.source {
                crate::campaign::ReviewerSource::Manager => "manager".to_string(),
                crate::campaign::ReviewerSource::Named(n) => {
                    format!(
                        "named [{}]",
                        n.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(" ")
                    )
                }
                crate::campaign::ReviewerSource::SelfReview => "self".to_string(),
            };
            writeln!(
                out,
                "{:<16} role {role:<5}: {source}, fallback {}",
                reviewers.as_str(),
                policy.fallback[0].id
            )
            .expect("write");
        }
    }
    expect![[r#"
        manager          role ga   : manager, fallback gov
        manager          role other: manager, fallback gov
        named            role ga   : named [ann], fallback gov
        named            role other: named [ann], fallback gov
        governanceAdmins role ga   : named [gov1 gov2], fallback gov
        governanceAdmins role other: named [gov1 gov2], fallback gov
        roleOwners       role ga   : named [owner], fallback gov
        roleOwners       role other: named [], fallback gov
    "#]]
    .assert_eq(&out);
}
