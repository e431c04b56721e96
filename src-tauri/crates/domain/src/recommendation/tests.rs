//! Recommendations, case by case: each rule (disabled account, inactive guest, eligible role not
//! activated within the look-back, standing access), which rule wins when several apply, and the
//! boundaries at exactly the look-back and exactly 90 days.

use chrono::NaiveDateTime;
use expect_test::{Expect, expect};

use super::*;
use crate::{Membership, PrincipalKind, Surface};

/// Every case is judged at this instant; 90 days earlier is 2026-01-01 12:00:00.
const NOW: &str = "2026-04-01 12:00:00";

fn at(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .unwrap_or_else(|e| panic!("bad instant {s:?}: {e}"))
        .and_utc()
}

/// Reads `member|guest|group on|off|? [signed-in <instant>]`.
fn holder(spec: &str) -> Principal {
    let (head, sign_in) = match spec.split_once(" signed-in ") {
        Some((head, instant)) => (head, Some(at(instant))),
        None => (spec, None),
    };
    let words: Vec<&str> = head.split_whitespace().collect();
    let (kind, user_type) = match words[0] {
        "member" => (PrincipalKind::User, Some(UserType::Member)),
        "guest" => (PrincipalKind::User, Some(UserType::Guest)),
        "group" => (PrincipalKind::Group, None),
        other => panic!("bad holder {other:?}"),
    };
    Principal {
        id: "holder".into(),
        kind,
        display_name: "Holder".into(),
        upn: None,
        mail: None,
        account_enabled: match words[1] {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        },
        user_type,
        manager_id: None,
        last_sign_in: sign_in,
    }
}

fn assignment(kind: AssignmentKind) -> Assignment {
    Assignment {
        surface: Surface::DirectoryRole,
        source_id: "s".into(),
        role_id: "r".into(),
        scope: "/".into(),
        principal_id: "holder".into(),
        principal_kind: PrincipalKind::User,
        principal_name: "Holder".into(),
        principal_upn: None,
        kind,
        membership: Membership::Direct,
        start: None,
        end: None,
    }
}

/// `holder`, `eligible|active`, the last activation if any, and the look-back in days.
#[track_caller]
fn check(
    holder_spec: &str,
    kind: &str,
    last_activation: Option<&str>,
    look_back: u32,
    expect: Expect,
) {
    let kind = AssignmentKind::parse(kind).expect("eligible or active");
    // History recorded long before any look-back: these cases are about the rules, not coverage.
    let got = recommend(
        &assignment(kind),
        &holder(holder_spec),
        last_activation.map(at),
        Some(at("2020-01-01 00:00:00")),
        look_back,
        at(NOW),
    );
    expect.assert_eq(&format!(
        "{} {}: {}\n",
        got.suggestion(),
        got.reason.code(),
        got.reason.describe()
    ));
}

#[test]
fn eligible_roles_need_use_within_the_look_back() {
    check(
        "member on",
        "eligible",
        Some("2026-03-15 08:00:00"),
        90,
        expect![[r#"
        approve activatedRecently: activated on 2026-03-15
    "#]],
    );
    check(
        "member on",
        "eligible",
        None,
        90,
        expect![[r#"
        deny notActivated: never activated in the last 90 days
    "#]],
    );
    // Exactly the look-back ago still counts as use; a second more does not.
    check(
        "member on",
        "eligible",
        Some("2026-01-01 12:00:00"),
        90,
        expect![[r#"
        approve activatedRecently: activated on 2026-01-01
    "#]],
    );
    check(
        "member on",
        "eligible",
        Some("2026-01-01 11:59:59"),
        90,
        expect![[r#"
        deny notActivated: not activated in the last 90 days (last on 2026-01-01)
    "#]],
    );
    check(
        "member on",
        "eligible",
        Some("2026-03-02 12:00:00"),
        30,
        expect![[r#"
        approve activatedRecently: activated on 2026-03-02
    "#]],
    );
    check(
        "member on",
        "eligible",
        Some("2026-03-02 11:59:59"),
        30,
        expect![[r#"
        deny notActivated: not activated in the last 30 days (last on 2026-03-02)
    "#]],
    );
    // A group's eligibility is used when its members activate it.
    check(
        "group ?",
        "eligible",
        Some("2026-03-31 23:00:00"),
        90,
        expect![[r#"
        approve activatedRecently: activated on 2026-03-31
    "#]],
    );
    check(
        "group ?",
        "eligible",
        None,
        90,
        expect![[r#"
        deny notActivated: never activated in the last 90 days
    "#]],
    );
}

#[test]
fn standing_access_is_kept() {
    check(
        "member on",
        "active",
        None,
        90,
        expect![[r#"
            review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; converting it to eligible keeps the role for when it is needed
        "#]],
    );
    check(
        "group ?",
        "active",
        None,
        90,
        expect![[r#"
            review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; converting it to eligible keeps the role for when it is needed
        "#]],
    );
}

#[test]
fn disabled_accounts_are_removed_whatever_their_use() {
    check(
        "member off",
        "active",
        None,
        90,
        expect![[r#"
        deny accountDisabled: the account is disabled
    "#]],
    );
    check(
        "member off",
        "eligible",
        Some("2026-03-31 12:00:00"),
        90,
        expect![[r#"
        deny accountDisabled: the account is disabled
    "#]],
    );
    check(
        "guest off signed-in 2026-03-31 12:00:00",
        "active",
        None,
        90,
        expect![[r#"
        deny accountDisabled: the account is disabled
    "#]],
    );
    // An account whose state the tenant did not give is not taken as disabled.
    check(
        "member ?",
        "active",
        None,
        90,
        expect![[r#"
            review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; converting it to eligible keeps the role for when it is needed
        "#]],
    );
}

#[test]
fn guests_must_have_signed_in_within_90_days() {
    check(
        "guest on signed-in 2026-03-31 12:00:00",
        "active",
        None,
        90,
        expect![[r#"
            review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; converting it to eligible keeps the role for when it is needed
        "#]],
    );
    check(
        "guest on",
        "active",
        None,
        90,
        expect![[r#"
        deny guestInactive: guest with no recorded sign-in
    "#]],
    );
    // Exactly 90 days ago is within the 90 days; a second more is not.
    check(
        "guest on signed-in 2026-01-01 12:00:00",
        "active",
        None,
        90,
        expect![[r#"
            review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; converting it to eligible keeps the role for when it is needed
        "#]],
    );
    check(
        "guest on signed-in 2026-01-01 11:59:59",
        "active",
        None,
        90,
        expect![[r#"
        deny guestInactive: guest who last signed in on 2026-01-01 (over 90 days ago)
    "#]],
    );
    // An activation needs a sign-in, so a recent one keeps a guest whose recorded sign-in is
    // older; an old one does not.
    check(
        "guest on signed-in 2025-06-01 00:00:00",
        "eligible",
        Some("2026-03-31 12:00:00"),
        90,
        expect![[r#"
            approve activatedRecently: activated on 2026-03-31
        "#]],
    );
    check(
        "guest on signed-in 2025-06-01 00:00:00",
        "eligible",
        Some("2025-10-01 00:00:00"),
        90,
        expect![[r#"
            deny guestInactive: guest who last signed in on 2025-10-01 (over 90 days ago)
        "#]],
    );
    check(
        "guest on",
        "eligible",
        Some("2026-01-01 12:00:00"),
        90,
        expect![[r#"
        approve activatedRecently: activated on 2026-01-01
    "#]],
    );
    // An active guest still needs to have used an eligible role.
    check(
        "guest on signed-in 2026-03-31 12:00:00",
        "eligible",
        None,
        90,
        expect![[r#"
        deny notActivated: never activated in the last 90 days
    "#]],
    );
    // Members are never judged by sign-ins.
    check(
        "member on signed-in 2020-01-01 00:00:00",
        "active",
        None,
        90,
        expect![[r#"
            review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; converting it to eligible keeps the role for when it is needed
        "#]],
    );
}

/// `last activation`, `start of recorded history` (or none), look-back: the verdict and the words
/// a reviewer reads, judged at `NOW` for a member's eligible role.
#[test]
fn recommendations_state_the_history_they_rest_on() {
    let cases: [(Option<&str>, Option<&str>, u32, &str); 8] = [
        // History reaching past the look-back: the whole look-back is claimed.
        (
            None,
            Some("2025-12-01 00:00:00"),
            90,
            "deny notActivated: never activated in the last 90 days",
        ),
        // History shorter than the look-back: only what is held is claimed.
        (
            None,
            Some("2026-03-02 12:00:00"),
            90,
            "deny notActivated: no activation since 2026-03-02, the start of recorded history (30 of the 90 days looked back)",
        ),
        (
            Some("2025-12-20 09:00:00"),
            Some("2026-03-02 12:00:00"),
            90,
            "deny notActivated: last activated on 2025-12-20; no activation since 2026-03-02, the start of recorded history (30 of the 90 days looked back)",
        ),
        // Exactly as long as the look-back: all of it is held.
        (
            None,
            Some("2026-01-01 12:00:00"),
            90,
            "deny notActivated: never activated in the last 90 days",
        ),
        // A use within the look-back counts whatever the history.
        (
            Some("2026-03-20 08:00:00"),
            Some("2026-03-02 12:00:00"),
            90,
            "approve activatedRecently: activated on 2026-03-20",
        ),
        (
            Some("2026-03-20 08:00:00"),
            None,
            90,
            "approve activatedRecently: activated on 2026-03-20",
        ),
        // No recorded history: use is unknown, and nothing is claimed.
        (
            None,
            None,
            90,
            "approve usageUnknown: no activation history is recorded for this role, so its use cannot be measured",
        ),
        (
            Some("2025-10-01 00:00:00"),
            None,
            90,
            "approve usageUnknown: last seen activated on 2025-10-01; no continuous activation history is recorded for this role, so its use since cannot be measured",
        ),
    ];
    for (last, since, look_back, expected) in cases {
        let got = recommend(
            &assignment(AssignmentKind::Eligible),
            &holder("member on"),
            last.map(at),
            since.map(at),
            look_back,
            at(NOW),
        );
        let line = format!(
            "{} {}: {}",
            got.suggestion(),
            got.reason.code(),
            got.reason.describe_at(at(NOW))
        );
        assert_eq!(line, expected, "last {last:?}, history since {since:?}");
    }
}

#[test]
fn a_short_history_never_claims_the_longer_look_back() {
    // Whatever the look-back, the words never name more days than the history holds.
    for look_back in [30u32, 60, 90, 180, 365] {
        let got = recommend(
            &assignment(AssignmentKind::Eligible),
            &holder("member on"),
            None,
            Some(at("2026-03-25 12:00:00")),
            look_back,
            at(NOW),
        );
        let words = got.reason.describe_at(at(NOW));
        assert!(!words.contains(&format!("in the last {look_back} days")), "{words}");
        assert!(words.contains("since 2026-03-25") && words.contains("(7 of the"), "{words}");
    }
}

#[test]
fn permanent_standing_access_is_for_review_never_approval() {
    // holder, end of the active assignment -> what is recommended.
    let app =
        Principal { kind: PrincipalKind::ServicePrincipal, user_type: None, ..holder("member on") };
    let cases = [
        ("member", holder("member on"), None),
        ("group", holder("group ?"), None),
        ("application", app.clone(), None),
        ("member", holder("member on"), Some("2026-06-30 00:00:00")),
        ("application", app, Some("2026-06-30 00:00:00")),
        ("disabled member", holder("member off"), None),
        ("inactive guest", holder("guest on signed-in 2025-10-01 00:00:00"), None),
    ];
    let mut out = String::new();
    for (who, principal, end) in cases {
        let a = Assignment { end: end.map(at), ..assignment(AssignmentKind::Active) };
        let got = recommend(&a, &principal, None, Some(at("2020-01-01 00:00:00")), 90, at(NOW));
        let ends = end.map_or("permanent".to_string(), |e| format!("until {}", &e[..10]));
        out.push_str(&format!(
            "{who:<15} active {ends:<16} -> {} {}: {}\n",
            got.suggestion(),
            got.reason.code(),
            got.reason.describe()
        ));
    }
    expect![[r#"
        member          active permanent        -> review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; converting it to eligible keeps the role for when it is needed
        group           active permanent        -> review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; converting it to eligible keeps the role for when it is needed
        application     active permanent        -> review permanentStanding: review standing access: permanent and active, it needs no activation, so its use cannot be measured; an application cannot be made eligible, so confirm it still needs the role
        member          active until 2026-06-30 -> approve standingAccess: standing access: it needs no activation, so its use cannot be measured
        application     active until 2026-06-30 -> approve standingAccess: standing access: it needs no activation, so its use cannot be measured
        disabled member active permanent        -> deny accountDisabled: the account is disabled
        inactive guest  active permanent        -> deny guestInactive: guest who last signed in on 2025-10-01 (over 90 days ago)
    "#]].assert_eq(&out);
}
