//! Conversions and new ends, case by case: what the first step does next after every kind of
//! interruption, how each change is verified, and which interlocks hold a change.

use std::fmt::Write as _;

use chrono::TimeZone;
use expect_test::expect;

use super::*;
use crate::remediation::Directory;
use crate::{PrincipalKind, Surface};

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, day, 0, 0, 0).single().expect("a time")
}

fn live(spec: &str) -> Vec<LiveInstance> {
    spec.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let words: Vec<&str> = s.split_whitespace().collect();
            LiveInstance {
                id: "i".into(),
                membership: if words[0] == "group" {
                    Membership::Group
                } else {
                    Membership::Direct
                },
                activated: words.get(1) == Some(&"activated"),
                end: words.get(1).and_then(|d| d.parse::<u32>().ok()).map(at),
            }
        })
        .collect()
}

#[test]
fn the_first_step_is_sent_once_and_resumed_by_re_reading() {
    let mut out = String::new();
    for state in [FirstStep::Planned, FirstStep::Submitted, FirstStep::Verified] {
        for eligible in ["", "direct 30", "group", "direct activated"] {
            writeln!(
                out,
                "{:<9} eligible [{eligible:<16}] -> {:?}",
                state.as_str(),
                first_next(state, &live(eligible))
            )
            .expect("write");
        }
        assert_eq!(FirstStep::parse(state.as_str()), Some(state), "round trip");
    }
    expect![[r#"
        planned   eligible [                ] -> Send
        planned   eligible [direct 30       ] -> Verified
        planned   eligible [group           ] -> Send
        planned   eligible [direct activated] -> Send
        submitted eligible [                ] -> Resend
        submitted eligible [direct 30       ] -> Verified
        submitted eligible [group           ] -> Resend
        submitted eligible [direct activated] -> Resend
        verified  eligible [                ] -> Resend
        verified  eligible [direct 30       ] -> Verified
        verified  eligible [group           ] -> Resend
        verified  eligible [direct activated] -> Resend
    "#]]
    .assert_eq(&out);
}

#[test]
fn conversions_and_new_ends_are_verified_by_re_reading() {
    let mut out = String::new();
    for (previous, active, eligible) in [
        (None, "", "direct 30"),
        (None, "", ""),
        (None, "direct", "direct 30"),
        (Some(Verification::VerifiedChanged), "direct", "direct 30"),
        (None, "direct activated", "direct 30"),
        (None, "group", "direct 30"),
    ] {
        let (v, note) = verify_convert(previous, &live(active), &live(eligible));
        writeln!(
            out,
            "convert: active [{active}] eligible [{eligible}] -> {} ({note})",
            v.as_str()
        )
        .expect("write");
    }
    for assignment in ["direct 30", "direct 29", "direct", "", "group 30"] {
        let (v, note) = verify_end(&live(assignment), at(30));
        writeln!(out, "end 30th: [{assignment}] -> {} ({note})", v.as_str()).expect("write");
    }
    expect![[r#"
        convert: active [] eligible [direct 30] -> verified-changed (eligible until 30 June 2026, 00:00 UTC, no standing active assignment)
        convert: active [] eligible [] -> not-changed (the active assignment is gone but no eligibility was found: the person holds neither)
        convert: active [direct] eligible [direct 30] -> still-present (the standing active assignment is still present)
        convert: active [direct] eligible [direct 30] -> reappeared (a standing active assignment is present again after the conversion was verified)
        convert: active [direct activated] eligible [direct 30] -> verified-changed (eligible until 30 June 2026, 00:00 UTC, no standing active assignment)
        convert: active [group] eligible [direct 30] -> verified-changed (eligible until 30 June 2026, 00:00 UTC, no standing active assignment)
        end 30th: [direct 30] -> verified-changed (ends 30 June 2026, 00:00 UTC)
        end 30th: [direct 29] -> not-changed (ends 29 June 2026, 00:00 UTC, not 30 June 2026, 00:00 UTC)
        end 30th: [direct] -> not-changed (ends never, not 30 June 2026, 00:00 UTC)
        end 30th: [] -> not-changed (the assignment is no longer in the tenant)
        end 30th: [group 30] -> not-changed (the assignment is no longer in the tenant)
    "#]]
    .assert_eq(&out);
    assert!(Verification::VerifiedChanged.verified() && Verification::VerifiedRemoved.verified());
    assert!(!Verification::NotChanged.verified());
    for v in [Verification::VerifiedChanged, Verification::NotChanged] {
        assert_eq!(Verification::parse(v.as_str()), Some(v), "round trip");
    }
}

fn target(principal: &str, kind: PrincipalKind, membership: Membership) -> Target {
    Target {
        item_id: 1,
        surface: Surface::DirectoryRole,
        kind: AssignmentKind::Active,
        membership,
        source_id: "s".into(),
        role_id: crate::remediation::GLOBAL_ADMINISTRATOR.into(),
        role_name: "Global Administrator".into(),
        scope: "/".into(),
        principal_id: principal.into(),
        principal_kind: kind,
        principal_name: principal.into(),
        principal_upn: Some(format!("{principal}@contoso.com")),
        end: None,
    }
}

#[test]
fn a_break_glass_account_is_never_converted_nor_given_an_end() {
    let safety = Safety { protected: vec!["breakglass1@contoso.com".into()], ..Safety::default() };
    let mut dir = Directory::default();
    dir.members.insert("ops".into(), vec!["breakglass1".into()]);
    dir.names.insert("breakglass1".into(), "Break glass 1".into());
    dir.upns.insert("breakglass1".into(), "breakglass1@contoso.com".into());
    let mut out = String::new();
    for (name, t) in [
        ("alice", target("alice", PrincipalKind::User, Membership::Direct)),
        ("break-glass", target("breakglass1", PrincipalKind::User, Membership::Direct)),
        ("group with break-glass", target("ops", PrincipalKind::Group, Membership::Direct)),
        ("alice via a group", target("alice", PrincipalKind::User, Membership::Group)),
    ] {
        let held = change_hold(&t, &dir, &safety).map_or("goes ahead".into(), |h| h.describe());
        writeln!(out, "{name}: {held}").expect("write");
    }
    expect![[r#"
        alice: goes ahead
        break-glass: a protected principal (break-glass): never removed
        group with break-glass: the group's members include the protected principal Break glass 1: never removed
        alice via a group: the access comes through a group membership
    "#]]
    .assert_eq(&out);
}

#[test]
fn changes_are_named_and_dated() {
    let mut out = String::new();
    for change in Change::ALL {
        for endpoint in [Endpoint::DirectoryAssignment, Endpoint::AzureAssignment] {
            writeln!(
                out,
                "{} {}: {}",
                change.as_str(),
                endpoint.as_str(),
                change.describe(endpoint)
            )
            .expect("write");
        }
        assert_eq!(Change::parse(change.as_str()), Some(change), "round trip");
    }
    writeln!(
        out,
        "until 2026-06-30 ends {}; 180 days from the 1st end {}",
        end_of_day(NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date")),
        eligible_until(at(1) + Duration::milliseconds(250), 180)
    )
    .expect("write");
    assert!(fits(Change::Convert, AssignmentKind::Active));
    assert!(!fits(Change::Convert, AssignmentKind::Eligible));
    assert!(fits(Change::SetEnd, AssignmentKind::Eligible));
    expect![[r#"
        remove directoryAssignment: roleAssignmentScheduleRequests adminRemove
        remove azureAssignment: ARM roleAssignmentScheduleRequests AdminRemove
        convert directoryAssignment: roleEligibilityScheduleRequests adminAssign then roleAssignmentScheduleRequests adminRemove
        convert azureAssignment: ARM roleEligibilityScheduleRequests AdminAssign then ARM roleAssignmentScheduleRequests AdminRemove
        setEnd directoryAssignment: roleAssignmentScheduleRequests adminUpdate
        setEnd azureAssignment: ARM roleAssignmentScheduleRequests AdminUpdate
        until 2026-06-30 ends 2026-06-30 23:59:59 UTC; 180 days from the 1st end 2026-11-28 00:00:00 UTC
    "#]]
    .assert_eq(&out);
}
