//! Terms are complete and bounded; an expired exception brings its access back for review, a
//! current one does not.

use expect_test::expect;

use super::*;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).expect("a valid date")
}

fn terms(expires_on: NaiveDate) -> Terms {
    Terms {
        owner: "ciso@contoso.example".into(),
        expires_on,
        control: "sign-ins alerted to the SOC".into(),
    }
}

#[test]
fn terms_name_an_owner_a_bounded_expiry_and_a_control() {
    let today = day(4, 1);
    let cases = [
        ("complete", terms(day(7, 1))),
        ("expires today", terms(today)),
        ("in 13 months", Terms { expires_on: today + chrono::Days::new(400), ..terms(day(7, 1)) }),
        (
            "no owner, no control",
            Terms { owner: " ".into(), control: "SOC".into(), ..terms(day(7, 1)) },
        ),
    ];
    let lines: Vec<String> = cases
        .iter()
        .map(|(name, t)| match check_terms(t, today) {
            Ok(()) => format!("{name:<22} ok"),
            Err(p) => format!(
                "{name:<22} {}",
                p.iter().map(|p| format!("{}: {p}", p.field())).collect::<Vec<_>>().join("; ")
            ),
        })
        .collect();
    expect![[r#"
        complete               ok
        expires today          expiresOn: the expiry must be after today
        in 13 months           expiresOn: an exception runs at most a year before its review
        no owner, no control   owner: name the person who answers for this exception; control: say what compensates for the access meanwhile (at least 10 characters)"#]]
    .assert_eq(&lines.join("\n"));
}

#[test]
fn an_expired_exception_brings_its_access_back_and_a_current_one_does_not() {
    let past = |campaign: &str, item: u32, t: Option<Terms>| PastException {
        campaign_id: campaign.into(),
        item_id: item,
        surface: Surface::DirectoryRole,
        role_id: "62e90394-69f5-4237-9190-012177145e10".into(),
        scope: "/".into(),
        principal_id: "AAAA".into(),
        kind: AssignmentKind::Active,
        terms: t,
    };
    let held = Held {
        surface: Surface::DirectoryRole,
        role_id: "62E90394-69F5-4237-9190-012177145E10",
        scope: "/",
        principal_id: "aaaa",
        kind: AssignmentKind::Active,
    };
    let today = day(7, 2);
    let expired = [past("q1", 4, Some(terms(day(7, 1))))];
    assert_eq!(returning(&expired, &held, today).map(|e| e.item_id), Some(4));
    assert_eq!(returning(&expired, &held, day(6, 30)), None, "not yet expired");
    let renewed = [past("q1", 4, Some(terms(day(7, 1)))), past("q2", 9, Some(terms(day(9, 30))))];
    assert_eq!(returning(&renewed, &held, today), None, "a later exception still runs");
    let unregistered = [past("q1", 4, None)];
    assert_eq!(returning(&unregistered, &held, today), None, "no terms, no expiry");
    let other_kind = Held { kind: AssignmentKind::Eligible, ..held };
    assert_eq!(returning(&expired, &other_kind, today), None, "another assignment");
    assert_eq!(standing(Some(&terms(day(7, 1))), today), Standing::Expired { on: day(7, 1) });
    assert_eq!(standing(None, today), Standing::Unregistered);
}
