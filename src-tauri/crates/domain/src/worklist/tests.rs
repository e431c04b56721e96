//! The worklist a campaign opens with, derived from a small population case by case: scope,
//! exclusions and the expired exceptions that come back past them, reciprocal reviewers, the
//! order of the items and the per-role counts.

use chrono::TimeZone;

use super::*;
use crate::campaign::{
    KindSelection, MultiReviewerRule, PrincipalTypes, ReviewerPolicy, ReviewerRef, ReviewerSource,
    Scope, Settings,
};
use crate::exceptions::Terms;
use crate::schedule::{Recurrence, RecurrenceEnd, Schedule};

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const READER: &str = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).single().expect("a time")
}

fn person(id: &str, manager: Option<&str>, guest: bool) -> Principal {
    Principal {
        id: id.into(),
        kind: PrincipalKind::User,
        display_name: id.to_uppercase(),
        upn: Some(format!("{id}@contoso.com")),
        mail: None,
        account_enabled: Some(true),
        user_type: Some(if guest { UserType::Guest } else { UserType::Member }),
        manager_id: manager.map(str::to_string),
        last_sign_in: Some(now()),
    }
}

fn directory() -> HashMap<String, Principal> {
    [
        person("amy", Some("ben"), false),
        person("ben", Some("amy"), false),
        person("cal", Some("amy"), false),
        person("dee", Some("amy"), true),
        person("lead", None, false),
    ]
    .into_iter()
    .map(|p| (p.id.clone(), p))
    .collect()
}

fn grant(role: &str, who: &str, kind: AssignmentKind) -> Assignment {
    Assignment {
        surface: Surface::DirectoryRole,
        source_id: format!("{role}-{who}-{}", kind.as_str()),
        role_id: role.into(),
        scope: "/".into(),
        principal_id: who.into(),
        principal_kind: PrincipalKind::User,
        principal_name: who.to_uppercase(),
        principal_upn: Some(format!("{who}@contoso.com")),
        kind,
        membership: Membership::Direct,
        start: None,
        end: None,
    }
}

fn roles() -> Vec<RoleDefinition> {
    [(GA, "Global Administrator"), (READER, "Global Reader")]
        .into_iter()
        .map(|(id, name)| RoleDefinition {
            surface: Surface::DirectoryRole,
            id: id.into(),
            display_name: name.into(),
            is_built_in: true,
            permissions: None,
        })
        .collect()
}

fn population() -> Vec<Assignment> {
    use AssignmentKind::{Active, Eligible};
    vec![
        grant(GA, "amy", Eligible),
        grant(GA, "ben", Eligible),
        grant(GA, "cal", Active),
        grant(READER, "dee", Eligible),
        grant(READER, "cal", Eligible),
    ]
}

fn definition(kinds: KindSelection, guests: bool, exclusions: &[&str]) -> CampaignDefinition {
    CampaignDefinition {
        name: "Quarterly".into(),
        description: String::new(),
        scope: Scope {
            surfaces: vec![Surface::DirectoryRole],
            roles: RoleSelection::All,
            kinds,
            principal_types: PrincipalTypes { guests, ..PrincipalTypes::ALL },
            exclusions: exclusions.iter().map(|x| x.to_string()).collect(),
            pim_groups: Vec::new(),
        },
        reviewers: ReviewerPolicy {
            source: ReviewerSource::Manager,
            fallback: vec![ReviewerRef {
                id: "lead".into(),
                upn: "lead@contoso.com".into(),
                display_name: "LEAD".into(),
            }],
            rule: MultiReviewerRule::FirstDecides,
        },
        schedule: Schedule {
            start: now().naive_utc(),
            time_zone: "UTC".into(),
            duration_days: 14,
            recurrence: Recurrence::Quarterly,
            end: RecurrenceEnd::Never,
        },
        settings: Settings::default(),
        stages: Vec::new(),
    }
}

fn derive(definition: &CampaignDefinition, past: &[PastException]) -> Derived {
    let directory = directory();
    let separation = Separation::default();
    let activations = HashMap::new();
    Sources {
        definition,
        past,
        directory: &directory,
        separation: &separation,
        activations: &activations,
        history_since: None,
        now: now(),
    }
    .derive(&roles(), &population())
}

/// Each item as `role holder kind`, in the worklist's order.
fn rows(derived: &Derived) -> Vec<String> {
    derived
        .items
        .iter()
        .map(|i| format!("{} {} {}", i.role_name, i.principal_name, i.kind.as_str()))
        .collect()
}

#[test]
fn the_scope_takes_kinds_and_holder_types_and_the_items_come_by_role_then_holder() {
    let cases: [(KindSelection, bool, &[&str]); 3] = [
        (
            KindSelection::Both,
            true,
            &[
                "Global Administrator AMY eligible",
                "Global Administrator BEN eligible",
                "Global Administrator CAL active",
                "Global Reader CAL eligible",
                "Global Reader DEE eligible",
            ],
        ),
        (KindSelection::Active, true, &["Global Administrator CAL active"]),
        (
            KindSelection::Both,
            false,
            &[
                "Global Administrator AMY eligible",
                "Global Administrator BEN eligible",
                "Global Administrator CAL active",
                "Global Reader CAL eligible",
            ],
        ),
    ];
    for (kinds, guests, want) in cases {
        let derived = derive(&definition(kinds, guests, &[]), &[]);
        assert_eq!(rows(&derived), want, "{kinds:?}, guests {guests}");
    }
}

#[test]
fn every_role_is_counted_with_what_is_in_scope() {
    let derived = derive(&definition(KindSelection::Eligible, true, &["cal@contoso.com"]), &[]);
    let counts: Vec<_> = derived.counts.iter().map(|((_, role), c)| (role.as_str(), *c)).collect();
    assert_eq!(counts, [("Global Administrator", (2, 1, 2)), ("Global Reader", (2, 0, 1))]);
    assert_eq!(derived.excluded, ["CAL (cal@contoso.com)"]);
}

#[test]
fn an_expired_exception_brings_an_excluded_holder_back_and_says_so() {
    let expired = PastException {
        campaign_id: "q4".into(),
        item_id: 7,
        surface: Surface::DirectoryRole,
        role_id: READER.into(),
        scope: "/".into(),
        principal_id: "cal".into(),
        kind: AssignmentKind::Eligible,
        terms: Some(Terms {
            owner: "lead@contoso.com".into(),
            expires_on: NaiveDate::from_ymd_opt(2026, 3, 31).expect("a date"),
            control: "alerts".into(),
        }),
    };
    let definition = definition(KindSelection::Both, true, &["cal"]);
    let derived = derive(&definition, std::slice::from_ref(&expired));
    assert_eq!(
        rows(&derived),
        [
            "Global Administrator AMY eligible",
            "Global Administrator BEN eligible",
            "Global Reader CAL eligible",
            "Global Reader DEE eligible",
        ]
    );
    assert_eq!(
        derived.returning,
        [Returning {
            principal: "cal@contoso.com".into(),
            role: "Global Reader".into(),
            campaign: "q4".into(),
            item: 7,
            expired_on: NaiveDate::from_ymd_opt(2026, 3, 31),
        }]
    );
    // Still current: nothing comes back, the exclusion stands.
    let current = PastException {
        terms: Some(Terms {
            expires_on: NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date"),
            ..expired.terms.clone().expect("terms")
        }),
        ..expired
    };
    let derived = derive(&definition, &[current]);
    assert!(derived.returning.is_empty());
    assert!(!rows(&derived).iter().any(|r| r.contains("CAL")));
}

#[test]
fn managers_who_review_each_other_for_the_same_role_are_split_by_the_fallback() {
    let derived = derive(&definition(KindSelection::Both, true, &[]), &[]);
    let reviewers = |holder: &str| -> Vec<(String, Option<String>)> {
        let item = derived
            .items
            .iter()
            .find(|i| i.role_id == GA && i.principal_id == holder)
            .expect("an item");
        item.reviewers.iter().map(|r| (r.id.clone(), r.reroute_reason.clone())).collect()
    };
    // Amy and Ben manage each other and both hold Global Administrator: one side goes to the
    // fallback, so neither certifies the other's access to the role they share.
    let (amy, ben) = (reviewers("amy"), reviewers("ben"));
    let by_fallback = [&amy, &ben].iter().filter(|r| r.iter().any(|(id, _)| id == "lead")).count();
    assert_eq!(by_fallback, 1, "amy {amy:?}, ben {ben:?}");
    assert!(amy.iter().chain(&ben).any(|(_, why)| why.is_some()));
    // Cal's manager Amy holds the role too but Cal does not review Amy: Amy reviews Cal.
    assert_eq!(reviewers("cal"), [("amy".to_string(), None)]);
}
