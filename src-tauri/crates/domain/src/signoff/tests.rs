//! Who may sign a binder, as what and when, and how corrections after a sign-off make versions.

use chrono::TimeZone;
use expect_test::expect;

use super::*;
use crate::identity::EntraIdentity;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 2, 10, minute, 0).single().expect("a valid time")
}

fn signed_in(minute: u32) -> Authentication {
    Authentication::SignIn(EntraIdentity {
        tenant_id: "tid".into(),
        object_id: "oid".into(),
        at: at(minute),
    })
}

fn owner_signed(version: u32, id: &str) -> SignedOff {
    SignedOff {
        version,
        capacity: Capacity::CampaignOwner,
        signer_id: id.into(),
        signer_upn: format!("{id}@contoso.example"),
    }
}

#[test]
fn who_may_sign_and_why_not() {
    let fresh = signed_in(8);
    let old = signed_in(0);
    let owner = [owner_signed(1, "ann")];
    let base = SignOffRequest {
        capacity: Capacity::CampaignOwner,
        state: CampaignState::Closed,
        signer_id: "ann",
        is_admin: true,
        decided_in_campaign: true,
        authentication: &fresh,
        version: 1,
        signed: &[],
    };
    let cases: Vec<(&str, SignOffRequest<'_>)> = vec![
        ("owner, admin, fresh sign-in", base.clone()),
        ("owner while open", SignOffRequest { state: CampaignState::Open, ..base.clone() }),
        ("owner, not an admin", SignOffRequest { is_admin: false, ..base.clone() }),
        ("owner, sign-in 10 min old", SignOffRequest { authentication: &old, ..base.clone() }),
        (
            "owner, acting as a demo user",
            SignOffRequest { authentication: &Authentication::DemoActAs, ..base.clone() },
        ),
        ("owner again on version 1", SignOffRequest { signed: &owner, ..base.clone() }),
        ("owner on version 2", SignOffRequest { signed: &owner, version: 2, ..base.clone() }),
        (
            "compliance, same person as owner",
            SignOffRequest { capacity: Capacity::Compliance, signed: &owner, ..base.clone() },
        ),
        (
            "compliance, decided items",
            SignOffRequest { capacity: Capacity::Compliance, signer_id: "cy", ..base.clone() },
        ),
        (
            "compliance, independent, not an admin",
            SignOffRequest {
                capacity: Capacity::Compliance,
                signer_id: "cy",
                is_admin: false,
                decided_in_campaign: false,
                state: CampaignState::Completed,
                signed: &owner,
                ..base.clone()
            },
        ),
    ];
    let lines: Vec<String> = cases
        .iter()
        .map(|(name, request)| match check_sign_off(request, at(10)) {
            Ok(()) => format!("{name:<40} signs"),
            Err(why) => format!("{name:<40} {why}"),
        })
        .collect();
    expect![[r#"
        owner, admin, fresh sign-in              signs
        owner while open                         the campaign is open: it is signed off once its review is closed
        owner, not an admin                      only a governance admin of the tenant signs as the campaign owner
        owner, sign-in 10 min old                the sign-in is 10 minutes old: sign in again and sign off within five minutes
        owner, acting as a demo user             acting as a demo user is not an authentication: sign in (on the demo tenant, the demo sign-in) and sign off within five minutes
        owner again on version 1                 version 1 of the binder is already signed as campaign owner by ann@contoso.example
        owner on version 2                       signs
        compliance, same person as owner         compliance signs independently of the review: the campaign owner who signed cannot also sign as compliance
        compliance, decided items                compliance signs independently of the review: the signer recorded decisions in this campaign
        compliance, independent, not an admin    signs"#]]
    .assert_eq(&lines.join("\n"));
}

#[test]
fn a_change_after_a_sign_off_starts_a_new_version() {
    use RecordEvent::{Changed, SignedOff, Unchanged};
    let cases: Vec<(&str, Vec<RecordEvent>)> = vec![
        ("nothing yet", vec![]),
        ("changes before any sign-off", vec![Changed, Changed, Unchanged]),
        ("signed, then exported", vec![Changed, SignedOff { version: 1 }, Unchanged]),
        ("signed, then corrected", vec![SignedOff { version: 1 }, Changed]),
        ("corrected twice after one sign-off", vec![SignedOff { version: 1 }, Changed, Changed]),
        (
            "signed, corrected, signed, corrected",
            vec![SignedOff { version: 1 }, Changed, SignedOff { version: 2 }, Changed],
        ),
        (
            "a stale version's sign-off",
            vec![SignedOff { version: 1 }, Changed, SignedOff { version: 1 }, Changed],
        ),
    ];
    let lines: Vec<String> = cases
        .into_iter()
        .map(|(name, events)| format!("{name:<40} v{}", binder_version(events)))
        .collect();
    expect![[r#"
        nothing yet                              v1
        changes before any sign-off              v1
        signed, then exported                    v1
        signed, then corrected                   v2
        corrected twice after one sign-off       v2
        signed, corrected, signed, corrected     v3
        a stale version's sign-off               v2"#]]
    .assert_eq(&lines.join("\n"));
}
