//! Campaign definitions and life cycle: validation with one message per field problem (each
//! problem alone, then all at once), and the table of legal state transitions.

use std::fmt::Write as _;

use chrono::NaiveDate;
use expect_test::{Expect, expect};

use super::*;
use crate::schedule::{Recurrence, RecurrenceEnd};

fn reviewer(id: &str) -> ReviewerRef {
    ReviewerRef { id: id.into(), upn: format!("{id}@contoso.com"), display_name: id.into() }
}

/// A definition with no problems: quarterly, 14 days from 1 January 2026 in Berlin.
fn valid() -> CampaignDefinition {
    CampaignDefinition {
        name: "Quarterly privileged roles".into(),
        description: String::new(),
        scope: Scope {
            surfaces: vec![Surface::DirectoryRole],
            roles: RoleSelection::All,
            kinds: KindSelection::Both,
            principal_types: PrincipalTypes::ALL,
            exclusions: vec![],
            pim_groups: vec![],
        },
        reviewers: ReviewerPolicy {
            source: ReviewerSource::Manager,
            fallback: vec![reviewer("gov")],
            rule: MultiReviewerRule::FirstDecides,
        },
        schedule: Schedule {
            start: NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .expect("start"),
            time_zone: "Europe/Berlin".into(),
            duration_days: 14,
            recurrence: Recurrence::Quarterly,
            end: RecurrenceEnd::Never,
        },
        settings: Settings::default(),
        stages: vec![],
    }
}

/// Validates `valid()` after `change`, one `field: message` line per problem.
#[track_caller]
fn check(change: impl FnOnce(&mut CampaignDefinition), expect: Expect) {
    let mut definition = valid();
    change(&mut definition);
    let out = match definition.validate() {
        Ok(()) => "ok\n".to_string(),
        Err(errors) => {
            assert!(!errors.is_empty(), "an error list is never empty");
            errors.iter().map(|e| format!("{}: {}\n", e.field, e.message)).collect()
        }
    };
    expect.assert_eq(&out);
}

#[test]
fn a_valid_definition() {
    check(
        |_| {},
        expect![[r#"
        ok
    "#]],
    );
    // Named reviewers, self-review, listed roles and a limited set of principals are fine too.
    check(
        |d| {
            d.reviewers.source = ReviewerSource::Named(vec![reviewer("bob")]);
            d.scope.roles = RoleSelection::Listed(vec!["62e90394".into()]);
            d.scope.principal_types = PrincipalTypes {
                users: false,
                guests: true,
                groups: false,
                service_principals: false,
            };
        },
        expect![[r#"
            ok
        "#]],
    );
    check(
        |d| d.reviewers.source = ReviewerSource::SelfReview,
        expect![[r#"
        ok
    "#]],
    );
    // The look-back only matters when recommendations are on.
    check(
        |d| {
            d.settings.recommendations = false;
            d.settings.look_back_days = 0;
        },
        expect![[r#"
            ok
        "#]],
    );
}

#[test]
fn each_field() {
    check(
        |d| d.name = "  ".into(),
        expect![[r#"
        name: give the campaign a name
    "#]],
    );
    check(
        |d| d.name = "x".repeat(200),
        expect![[r#"
        ok
    "#]],
    );
    check(
        |d| d.name = "é".repeat(201),
        expect![[r#"
        name: keep the name to 200 characters or fewer
    "#]],
    );
    check(
        |d| d.scope.surfaces.clear(),
        expect![[r#"
        scope.surfaces: choose at least one surface to review
    "#]],
    );
    check(
        |d| d.scope.roles = RoleSelection::Listed(vec![]),
        expect![[r#"
        scope.roles: choose at least one role, or all roles
    "#]],
    );
    check(
        |d| {
            d.scope.surfaces.push(Surface::PimGroup);
            d.scope.pim_groups = vec!["0f8fad5b-d9cb-469f-a165-70867728950e".into()];
        },
        expect![[r#"
        ok
    "#]],
    );
    check(
        |d| d.scope.pim_groups = vec!["0f8fad5b-d9cb-469f-a165-70867728950e".into()],
        expect![[r#"
        scope.pimGroups: groups to read are named for PIM for Groups: add that surface, or name none
    "#]],
    );
    check(
        |d| {
            d.scope.surfaces.push(Surface::PimGroup);
            d.scope.pim_groups = vec!["Finance admins".into()];
        },
        expect![[r#"
        scope.pimGroups: "Finance admins" is not a group's object id (a GUID)
    "#]],
    );
    check(
        |d| {
            d.scope.principal_types = PrincipalTypes {
                users: false,
                guests: false,
                groups: false,
                service_principals: false,
            }
        },
        expect![[r#"
            scope.principalTypes: choose at least one kind of principal
        "#]],
    );
    check(
        |d| d.reviewers.source = ReviewerSource::Named(vec![]),
        expect![[r#"
        reviewers.named: name at least one reviewer
    "#]],
    );
    check(
        |d| d.reviewers.fallback.clear(),
        expect![[r#"
        reviewers.fallback: name at least one fallback reviewer: items whose reviewer cannot be found go to them
    "#]],
    );
    check(
        |d| {
            d.reviewers.source = ReviewerSource::Named(vec![reviewer(" ")]);
            d.reviewers.fallback.push(ReviewerRef {
                id: String::new(),
                upn: String::new(),
                display_name: "Dana".into(),
            });
            d.reviewers.fallback.push(ReviewerRef {
                id: String::new(),
                upn: String::new(),
                display_name: String::new(),
            });
        },
        expect![[r#"
            reviewers.named: reviewer " @contoso.com" has no object id
            reviewers.fallback: reviewer "Dana" has no object id
            reviewers.fallback: a reviewer has no object id
        "#]],
    );
    check(
        |d| d.settings.look_back_days = 0,
        expect![[r#"
        settings.lookBackDays: the look-back must be between 1 and 730 days
    "#]],
    );
    check(
        |d| d.settings.look_back_days = 730,
        expect![[r#"
        ok
    "#]],
    );
    check(
        |d| d.settings.look_back_days = 731,
        expect![[r#"
        settings.lookBackDays: the look-back must be between 1 and 730 days
    "#]],
    );
    check(
        |d| d.settings.remediation_deadline_days = 0,
        expect![[r#"
        settings.remediationDeadlineDays: the remediation deadline must be between 1 and 365 days
    "#]],
    );
    check(
        |d| d.settings.remediation_deadline_days = 366,
        expect![[r#"
        settings.remediationDeadlineDays: the remediation deadline must be between 1 and 365 days
    "#]],
    );
    check(
        |d| d.schedule.duration_days = 91,
        expect![[r#"
        schedule.durationDays: a quarterly campaign with this start can last at most 90 days, or it would overlap the next one: the campaign starting on 2026-01-01 would still run when the next starts on 2026-04-01
    "#]],
    );
    check(
        |d| d.schedule.time_zone = "CET+1".into(),
        expect![[r#"
        schedule.timeZone: "CET+1" is not a time zone name such as Europe/Berlin
    "#]],
    );
}

#[test]
fn entra_delivery_asks_managers_in_one_stage_over_directory_roles() {
    check(
        |d| d.settings.delivery = Delivery::EntraAccessReviews,
        expect![[r#"
            ok
        "#]],
    );
    // Azure roles beside directory roles are fine: they stay in Recert's worklist.
    check(
        |d| {
            d.settings.delivery = Delivery::EntraAccessReviews;
            d.scope.surfaces.push(Surface::AzureRole);
        },
        expect![[r#"
            ok
        "#]],
    );
    check(
        |d| {
            d.settings.delivery = Delivery::EntraAccessReviews;
            d.reviewers.source = ReviewerSource::Named(vec![reviewer("bob")]);
            d.scope.surfaces = vec![Surface::AzureRole];
        },
        expect![[r#"
            settings.delivery: Entra Access Reviews ask each holder's manager: choose manager reviewers, or deliver in Recert
            settings.delivery: only Entra directory roles are published to Entra Access Reviews: add that surface, or deliver in Recert
        "#]],
    );
}

#[test]
fn every_problem_at_once() {
    check(
        |d| {
            d.name.clear();
            d.scope.surfaces.clear();
            d.scope.roles = RoleSelection::Listed(vec![]);
            d.reviewers.source = ReviewerSource::Named(vec![]);
            d.reviewers.fallback.clear();
            d.settings.look_back_days = 0;
            d.settings.remediation_deadline_days = 0;
            d.schedule.duration_days = 0;
            d.schedule.end = RecurrenceEnd::AfterCount(0);
        },
        expect![[r#"
            name: give the campaign a name
            scope.surfaces: choose at least one surface to review
            scope.roles: choose at least one role, or all roles
            reviewers.named: name at least one reviewer
            reviewers.fallback: name at least one fallback reviewer: items whose reviewer cannot be found go to them
            settings.lookBackDays: the look-back must be between 1 and 730 days
            settings.remediationDeadlineDays: the remediation deadline must be between 1 and 365 days
            schedule.durationDays: a campaign lasts at least one day
            schedule.end: end after at least one occurrence
        "#]],
    );
}

#[test]
fn state_transitions() {
    const ALL: [CampaignState; 7] = [
        CampaignState::Scheduled,
        CampaignState::Open,
        CampaignState::Closed,
        CampaignState::Remediating,
        CampaignState::Completed,
        CampaignState::Cancelled,
        CampaignState::Missed,
    ];
    let mut out = String::new();
    for from in ALL {
        assert_eq!(CampaignState::parse(from.as_str()), Some(from), "round trip");
        let to: Vec<&str> =
            ALL.iter().filter(|to| from.can_become(**to)).map(|to| to.as_str()).collect();
        writeln!(
            out,
            "{from:<11} -> {}",
            if to.is_empty() { "(final)".into() } else { to.join(", ") }
        )
        .expect("write");
        for to in ALL {
            match from.transition(to) {
                Ok(state) => assert_eq!(state, to),
                Err(e) => assert_eq!(e, TransitionError { from, to }),
            }
        }
    }
    let refused = CampaignState::Closed.transition(CampaignState::Open).expect_err("refused");
    writeln!(out, "{refused}").expect("write");
    expect![[r#"
        scheduled   -> open, cancelled, missed
        open        -> closed, cancelled
        closed      -> remediating, completed
        remediating -> completed
        completed   -> (final)
        cancelled   -> (final)
        missed      -> (final)
        a closed campaign cannot become open
    "#]]
    .assert_eq(&out);
}
