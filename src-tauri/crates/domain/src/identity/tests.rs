//! How each way of acting reads in the binder, which count as authenticated, and which are fresh
//! enough to sign off: printed whole, so a change shows up as a changed line.

use chrono::TimeZone;
use expect_test::expect;

use super::*;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 31, 9, minute, 0).single().expect("a valid time")
}

fn entra(minute: u32) -> EntraIdentity {
    EntraIdentity { tenant_id: "tid-1".into(), object_id: "oid-7".into(), at: at(minute) }
}

fn every() -> Vec<Authentication> {
    vec![
        Authentication::SignIn(entra(0)),
        Authentication::RestoredSignIn(entra(0)),
        Authentication::AccessReviews(entra(0)),
        Authentication::CsvImport { by: "admin@contoso.example".into() },
        Authentication::DemoActAs,
        Authentication::Unrecorded,
    ]
}

#[test]
fn each_way_of_acting_says_whether_anyone_authenticated() {
    let time = |t: DateTime<Utc>| t.format("%H:%M").to_string();
    let lines: Vec<String> = every()
        .iter()
        .map(|a| {
            let m = a.method();
            format!(
                "{:<15} {:<5} {:<27} {}",
                m.as_str(),
                m.is_authenticated(),
                m.label(),
                a.describe(time)
            )
        })
        .collect();
    expect![[r#"
        signIn          true  signed in                   authenticated: interactive sign-in to tenant tid-1 as object oid-7 at 09:00
        restoredSignIn  true  signed in (kept)            authenticated earlier: sign-in to tenant tid-1 as object oid-7 restored from the keychain at 09:00
        accessReviews   true  Entra reviews               authenticated: Entra Access Reviews, tenant tid-1 object oid-7 at 09:00
        csvImport       false asserted: CSV               asserted: imported from a CSV file by admin@contoso.example, not signed in by the reviewer
        demoActAs       false asserted: act-as            asserted: demo tenant "act as", nobody signed in
        unrecorded      false not recorded                not recorded (decided before Recert kept it)"#]]
    .assert_eq(&lines.join("\n"));
}

#[test]
fn stored_parts_give_back_the_same_authentication() {
    for a in every() {
        let e = a.entra();
        let back = Authentication::from_parts(
            a.method().as_str(),
            e.map(|e| e.tenant_id.as_str()),
            e.map(|e| e.object_id.as_str()),
            e.map(|e| e.at),
            a.imported_by(),
        );
        assert_eq!(back.as_ref(), Some(&a), "{a:?}");
    }
    assert_eq!(Authentication::from_parts("signIn", Some("t"), None, Some(at(0)), None), None);
    assert_eq!(Authentication::from_parts("password", None, None, None, None), None);
}

#[test]
fn only_a_sign_in_of_the_last_five_minutes_is_fresh() {
    let now = at(10);
    let lines: Vec<String> = [
        Authentication::SignIn(entra(5)),
        Authentication::SignIn(entra(4)),
        Authentication::SignIn(entra(0)),
        Authentication::RestoredSignIn(entra(10)),
        Authentication::AccessReviews(entra(10)),
        Authentication::CsvImport { by: "admin@contoso.example".into() },
        Authentication::DemoActAs,
    ]
    .iter()
    .map(|a| {
        let e = a.entra().map_or(String::new(), |e| e.at.format("%H:%M").to_string());
        match a.fresh_at(now) {
            Ok(()) => format!("{:<15} {e:<5} fresh", a.method().as_str()),
            Err(why) => format!("{:<15} {e:<5} {why}", a.method().as_str()),
        }
    })
    .collect();
    expect![[r#"
        signIn          09:05 fresh
        signIn          09:04 the sign-in is 6 minutes old: sign in again and sign off within five minutes
        signIn          09:00 the sign-in is 10 minutes old: sign in again and sign off within five minutes
        restoredSignIn  09:10 this sign-in was restored from the keychain: sign in again and sign off within five minutes
        accessReviews   09:10 accessReviews identifies reviewers, not signers: sign in and sign off within five minutes
        csvImport             csvImport is not an authentication: sign in first
        demoActAs             acting as a demo user is not an authentication: sign in (on the demo tenant, the demo sign-in) and sign off within five minutes"#]]
    .assert_eq(&lines.join("\n"));
}
