//! Decisions and outcomes, case by case: justification rules, who may decide an item (reviewer,
//! governance admin acting for one, never the holder outside self-review), how several
//! reviewers' decisions combine, and what each item becomes at close under each default.

use std::fmt::Write as _;

use chrono::NaiveDateTime;
use expect_test::{Expect, expect};

use super::*;

#[test]
fn justification_rules() {
    let mut out = String::new();
    for (on_approve, on_deny) in [(false, false), (false, true), (true, false), (true, true)] {
        let settings = Settings {
            justification_on_approve: on_approve,
            justification_on_deny: on_deny,
            ..Settings::default()
        };
        for verdict in [Verdict::Approve, Verdict::Deny] {
            for justification in ["", " \t\n", "left the team"] {
                let got = match check_justification(&settings, verdict, justification) {
                    Ok(()) => "ok".to_string(),
                    Err(e) => e.to_string(),
                };
                writeln!(
                    out,
                    "required on approve={on_approve:<5} deny={on_deny:<5} | {:<7} {justification:?} -> {got}",
                    verdict.as_str()
                )
                .expect("write");
            }
        }
    }
    expect![[r#"
        required on approve=false deny=false | approve "" -> ok
        required on approve=false deny=false | approve " \t\n" -> ok
        required on approve=false deny=false | approve "left the team" -> ok
        required on approve=false deny=false | deny    "" -> ok
        required on approve=false deny=false | deny    " \t\n" -> ok
        required on approve=false deny=false | deny    "left the team" -> ok
        required on approve=false deny=true  | approve "" -> ok
        required on approve=false deny=true  | approve " \t\n" -> ok
        required on approve=false deny=true  | approve "left the team" -> ok
        required on approve=false deny=true  | deny    "" -> this campaign requires a justification to deny
        required on approve=false deny=true  | deny    " \t\n" -> this campaign requires a justification to deny
        required on approve=false deny=true  | deny    "left the team" -> ok
        required on approve=true  deny=false | approve "" -> this campaign requires a justification to approve
        required on approve=true  deny=false | approve " \t\n" -> this campaign requires a justification to approve
        required on approve=true  deny=false | approve "left the team" -> ok
        required on approve=true  deny=false | deny    "" -> ok
        required on approve=true  deny=false | deny    " \t\n" -> ok
        required on approve=true  deny=false | deny    "left the team" -> ok
        required on approve=true  deny=true  | approve "" -> this campaign requires a justification to approve
        required on approve=true  deny=true  | approve " \t\n" -> this campaign requires a justification to approve
        required on approve=true  deny=true  | approve "left the team" -> ok
        required on approve=true  deny=true  | deny    "" -> this campaign requires a justification to deny
        required on approve=true  deny=true  | deny    " \t\n" -> this campaign requires a justification to deny
        required on approve=true  deny=true  | deny    "left the team" -> ok
    "#]].assert_eq(&out);
}

fn ids(list: &str) -> Vec<String> {
    list.split_whitespace().map(String::from).collect()
}

/// `actor` deciding on `holder`'s item whose reviewers are `reviewers`, of whom `undecided`
/// have not decided yet.
#[track_caller]
fn check_acting(
    actor: &str,
    holder: &str,
    reviewers: &str,
    undecided: &str,
    admin: bool,
    expect: Expect,
) {
    let reviewers = ids(reviewers);
    let undecided = ids(undecided);
    let undecided: Vec<&str> = undecided.iter().map(String::as_str).collect();
    let got = match acting_for(actor, holder, &reviewers, &undecided, admin, &separation()) {
        Ok(None) => "decides as themself".to_string(),
        Ok(Some(reviewer)) => format!("decides for {reviewer}"),
        Err(e) => format!("refused: {e}"),
    };
    expect.assert_eq(&format!("{got}\n"));
}

#[test]
fn who_may_decide() {
    check_acting(
        "bob",
        "alice",
        "bob",
        "bob",
        false,
        expect![[r#"
        decides as themself
    "#]],
    );
    // A reviewer who already decided may change their decision.
    check_acting(
        "bob",
        "alice",
        "bob",
        "",
        false,
        expect![[r#"
        decides as themself
    "#]],
    );
    check_acting(
        "mallory",
        "alice",
        "bob",
        "bob",
        false,
        expect![[r#"
        refused: only the item's reviewer, or a governance admin acting for them, may decide it
    "#]],
    );
    // A governance admin acts for the first reviewer still to decide...
    check_acting(
        "gov",
        "alice",
        "bob carol",
        "carol",
        true,
        expect![[r#"
        decides for carol
    "#]],
    );
    // ...or for the first reviewer when all have decided...
    check_acting(
        "gov",
        "alice",
        "bob carol",
        "",
        true,
        expect![[r#"
        decides for bob
    "#]],
    );
    // ...and decides as themself an item that has no reviewer.
    check_acting(
        "gov",
        "alice",
        "",
        "",
        true,
        expect![[r#"
        decides as themself
    "#]],
    );
    // An admin who is also a reviewer decides as the reviewer.
    check_acting(
        "gov",
        "alice",
        "bob gov",
        "bob gov",
        true,
        expect![[r#"
        decides as themself
    "#]],
    );
    // Nobody decides on their own access: not the holder, not an admin who is the holder.
    check_acting(
        "alice",
        "alice",
        "bob",
        "bob",
        false,
        expect![[r#"
        refused: nobody may decide on their own access
    "#]],
    );
    check_acting(
        "alice",
        "alice",
        "bob",
        "bob",
        true,
        expect![[r#"
        refused: nobody may decide on their own access
    "#]],
    );
    check_acting(
        "alice",
        "alice",
        "",
        "",
        true,
        expect![[r#"
        refused: nobody may decide on their own access
    "#]],
    );
    // Except in self-review mode, where the holder is the assigned reviewer; an admin may act
    // for them.
    check_acting(
        "alice",
        "alice",
        "alice",
        "alice",
        false,
        expect![[r#"
        decides as themself
    "#]],
    );
    check_acting(
        "gov",
        "alice",
        "alice",
        "alice",
        true,
        expect![[r#"
        decides for alice
    "#]],
    );
}

/// Reads `bob approve 10:00, carol deny 09:30`: each reviewer's standing verdict and the time
/// (on 1 April 2026) of their first decision.
fn standing(spec: &str) -> Vec<Standing> {
    spec.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let words: Vec<&str> = s.split_whitespace().collect();
            Standing {
                reviewer_id: words[0].into(),
                verdict: Verdict::parse(words[1]).expect("approve or deny"),
                first_at: NaiveDateTime::parse_from_str(
                    &format!("2026-04-01 {}", words[2]),
                    "%Y-%m-%d %H:%M",
                )
                .expect("time")
                .and_utc(),
            }
        })
        .collect()
}

/// The combined verdict (or "pending"), then the outcome at close under the given default,
/// recommendation (`approve`, `deny` or `-`) and membership.
#[track_caller]
fn check_outcome(
    rule: MultiReviewerRule,
    reviewers: &str,
    decisions: &str,
    no_response: NoResponse,
    recommendation: &str,
    membership: Membership,
    expect: Expect,
) {
    let reviewers = ids(reviewers);
    let standing = standing(decisions);
    let combined = match combined_verdict(rule, &reviewers, &standing) {
        Some((verdict, reason)) => format!("{} ({})", verdict.as_str(), reason.code()),
        None => "pending".into(),
    };
    let (outcome, reason) = resolve(
        rule,
        &reviewers,
        &standing,
        no_response,
        Verdict::parse(recommendation),
        AssignmentKind::Active,
        membership,
    );
    assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome), "round trip");
    expect.assert_eq(&format!(
        "{combined} -> {} {}: {}\n",
        outcome.as_str(),
        reason.code(),
        reason.describe()
    ));
}

use MultiReviewerRule::{AllMustApprove, FirstDecides};
use NoResponse::{Keep, Recommendation, Remove};

const DIRECT: Membership = Membership::Direct;
const GROUP: Membership = Membership::Group;

#[test]
fn one_reviewer() {
    check_outcome(
        FirstDecides,
        "bob",
        "bob approve 10:00",
        Remove,
        "deny",
        DIRECT,
        expect![[r#"
            approve (approved) -> keep approved: approved by the reviewer
        "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "bob deny 10:00",
        Keep,
        "approve",
        DIRECT,
        expect![[r#"
        deny (denied) -> remove denied: denied by the reviewer
    "#]],
    );
    check_outcome(
        AllMustApprove,
        "bob",
        "bob deny 10:00",
        Keep,
        "-",
        DIRECT,
        expect![[r#"
        deny (denied) -> remove denied: denied by the reviewer
    "#]],
    );
    // A decision by someone who is not a reviewer of the item does not count.
    check_outcome(
        FirstDecides,
        "bob",
        "eve deny 09:00",
        Keep,
        "-",
        DIRECT,
        expect![[r#"
        pending -> keep noResponse: no response; the campaign's default is to keep access
    "#]],
    );
}

#[test]
fn no_response_defaults() {
    check_outcome(
        FirstDecides,
        "bob",
        "",
        Keep,
        "deny",
        DIRECT,
        expect![[r#"
        pending -> keep noResponse: no response; the campaign's default is to keep access
    "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "",
        Remove,
        "approve",
        DIRECT,
        expect![[r#"
        pending -> remove noResponse: no response; the campaign's default is to remove access
    "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "",
        Recommendation,
        "deny",
        DIRECT,
        expect![[r#"
        pending -> remove followedRecommendation: no response; followed the recommendation to deny
    "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "",
        Recommendation,
        "approve",
        DIRECT,
        expect![[r#"
        pending -> keep followedRecommendation: no response; followed the recommendation to approve
    "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "",
        Recommendation,
        "-",
        DIRECT,
        expect![[r#"
        pending -> keep noResponse: no response, and no recommendation to follow: access kept
    "#]],
    );
}

#[test]
fn first_decision_stands() {
    // Carol decided first; Bob's later deny is recorded but does not count.
    check_outcome(
        FirstDecides,
        "bob carol",
        "bob deny 11:00, carol approve 09:30",
        Keep,
        "-",
        DIRECT,
        expect![[r#"
            approve (approved) -> keep approved: approved by the reviewer
        "#]],
    );
    // A reviewer who changes their own decision changes the outcome: the standing verdict is
    // their latest, their place in line is their first.
    check_outcome(
        FirstDecides,
        "bob carol",
        "bob approve 11:00, carol deny 09:30",
        Keep,
        "-",
        DIRECT,
        expect![[r#"
            deny (denied) -> remove denied: denied by the reviewer
        "#]],
    );
    // Two first decisions at the same instant: the reviewers' order breaks the tie, whatever
    // order the decisions come in.
    check_outcome(
        FirstDecides,
        "bob carol",
        "carol deny 10:00, bob approve 10:00",
        Keep,
        "-",
        DIRECT,
        expect![[r#"
            approve (approved) -> keep approved: approved by the reviewer
        "#]],
    );
}

#[test]
fn all_must_approve() {
    check_outcome(
        AllMustApprove,
        "bob carol",
        "bob approve 09:00, carol approve 10:00",
        Remove,
        "-",
        DIRECT,
        expect![[r#"
            approve (approved) -> keep approved: approved by the reviewer
        "#]],
    );
    // One approval of two is not a decision: the default applies.
    check_outcome(
        AllMustApprove,
        "bob carol",
        "bob approve 09:00",
        Keep,
        "deny",
        DIRECT,
        expect![[r#"
            pending -> keep noResponse: no response; the campaign's default is to keep access
        "#]],
    );
    check_outcome(
        AllMustApprove,
        "bob carol",
        "bob approve 09:00",
        Remove,
        "-",
        DIRECT,
        expect![[r#"
            pending -> remove noResponse: no response; the campaign's default is to remove access
        "#]],
    );
    check_outcome(
        AllMustApprove,
        "bob carol",
        "bob approve 09:00",
        Recommendation,
        "approve",
        DIRECT,
        expect![[r#"
            pending -> keep followedRecommendation: no response; followed the recommendation to approve
        "#]],
    );
    // One deny decides, even before the others have decided.
    check_outcome(
        AllMustApprove,
        "bob carol",
        "carol deny 09:00",
        Keep,
        "-",
        DIRECT,
        expect![[r#"
            deny (deniedByOne) -> remove deniedByOne: denied by one of the reviewers (all must approve)
        "#]],
    );
    check_outcome(
        AllMustApprove,
        "bob carol",
        "bob approve 09:00, carol deny 10:00",
        Keep,
        "-",
        DIRECT,
        expect![[r#"
            deny (deniedByOne) -> remove deniedByOne: denied by one of the reviewers (all must approve)
        "#]],
    );
}

#[test]
fn items_without_a_reviewer_count_the_admins_decisions() {
    check_outcome(
        FirstDecides,
        "",
        "gov deny 09:00",
        Keep,
        "-",
        DIRECT,
        expect![[r#"
        deny (denied) -> remove denied: denied by the reviewer
    "#]],
    );
    check_outcome(
        AllMustApprove,
        "",
        "gov approve 09:00",
        Remove,
        "-",
        DIRECT,
        expect![[r#"
        approve (approved) -> keep approved: approved by the reviewer
    "#]],
    );
    check_outcome(
        AllMustApprove,
        "",
        "",
        Remove,
        "-",
        DIRECT,
        expect![[r#"
        pending -> remove noResponse: no response; the campaign's default is to remove access
    "#]],
    );
}

#[test]
fn group_membership_removals_become_exceptions() {
    check_outcome(
        FirstDecides,
        "bob",
        "bob deny 10:00",
        Keep,
        "-",
        GROUP,
        expect![[r#"
        deny (denied) -> exception viaGroup: removal due, but the access comes through a group membership: change the group
    "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "bob approve 10:00",
        Remove,
        "-",
        GROUP,
        expect![[r#"
        approve (approved) -> keep approved: approved by the reviewer
    "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "",
        Remove,
        "-",
        GROUP,
        expect![[r#"
        pending -> exception viaGroup: removal due, but the access comes through a group membership: change the group
    "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "",
        Recommendation,
        "deny",
        GROUP,
        expect![[r#"
        pending -> exception viaGroup: removal due, but the access comes through a group membership: change the group
    "#]],
    );
    check_outcome(
        FirstDecides,
        "bob",
        "",
        Keep,
        "deny",
        GROUP,
        expect![[r#"
        pending -> keep noResponse: no response; the campaign's default is to keep access
    "#]],
    );
    check_outcome(
        AllMustApprove,
        "bob carol",
        "bob approve 09:00, carol deny 10:00",
        Keep,
        "-",
        GROUP,
        expect![[r#"
            deny (deniedByOne) -> exception viaGroup: removal due, but the access comes through a group membership: change the group
        "#]],
    );
}

/// `ops` is a group holding the role; alice is a member of it.
fn separation() -> Separation {
    let mut s = Separation::default();
    s.members.insert("ops".into(), ["alice".to_string()].into_iter().collect());
    s
}

#[test]
fn a_member_of_the_holder_group_decides_on_their_own_access() {
    check_acting(
        "alice",
        "ops",
        "bob",
        "bob",
        true,
        expect![[r#"
        refused: nobody may decide on their own access
    "#]],
    );
    check_acting(
        "carol",
        "ops",
        "bob",
        "bob",
        true,
        expect![[r#"
        decides for bob
    "#]],
    );
}

#[test]
fn verdicts_are_read_as_people_type_them_and_stored_as_they_are() {
    let mut out = String::new();
    for typed in [
        "approve",
        "Deny",
        "dontKnow",
        "don't know",
        "convert",
        "convertToEligible",
        "approveUntil:2027-06-30",
        "approve until 2027-06-30",
        "approveUntil:2027-02-30",
        "approveUntil",
        "maybe",
    ] {
        let got = match Verdict::parse(typed) {
            Some(v) => {
                assert_eq!(Verdict::parse(&v.encode()), Some(v), "encode round trip");
                assert_eq!(Verdict::from_parts(v.as_str(), v.until()), Some(v), "store round trip");
                format!("{} until={:?} ({})", v.as_str(), v.until(), v.describe())
            }
            None => "not a decision".into(),
        };
        writeln!(out, "{typed:<26} -> {got}").expect("write");
    }
    assert_eq!(Verdict::from_parts("approveUntil", None), None, "a dated approval needs its date");
    assert_eq!(
        Verdict::from_parts("approve", Some(date(30))),
        None,
        "only approveUntil has a date"
    );
    expect![[r#"
        approve                    -> approve until=None (approve)
        Deny                       -> deny until=None (deny)
        dontKnow                   -> dontKnow until=None (answer "don't know")
        don't know                 -> dontKnow until=None (answer "don't know")
        convert                    -> convertToEligible until=None (convert to eligible)
        convertToEligible          -> convertToEligible until=None (convert to eligible)
        approveUntil:2027-06-30    -> approveUntil until=Some(2027-06-30) (approve until 2027-06-30)
        approve until 2027-06-30   -> approveUntil until=Some(2027-06-30) (approve until 2027-06-30)
        approveUntil:2027-02-30    -> not a decision
        approveUntil               -> not a decision
        maybe                      -> not a decision
    "#]]
    .assert_eq(&out);
}

fn date(d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, d).expect("a date")
}

#[test]
fn new_verdicts_follow_the_rules_for_notes_and_fit_the_item() {
    let settings = Settings {
        justification_on_approve: true,
        justification_on_deny: false,
        ..Settings::default()
    };
    let lenient = Settings { justification_on_approve: false, ..settings.clone() };
    let today = date(10);
    let mut out = String::new();
    for verdict in [
        Verdict::DontKnow,
        Verdict::ConvertToEligible,
        Verdict::ApproveUntil(date(10)),
        Verdict::ApproveUntil(date(11)),
    ] {
        for (kind, principal) in [
            (AssignmentKind::Active, PrincipalKind::User),
            (AssignmentKind::Eligible, PrincipalKind::User),
            (AssignmentKind::Active, PrincipalKind::ServicePrincipal),
        ] {
            let fits = match check_fits(verdict, kind, principal, today) {
                Ok(()) => "fits".to_string(),
                Err(e) => e.to_string(),
            };
            writeln!(
                out,
                "{:<24} {:<8} {:<16} -> {fits}",
                verdict.encode(),
                kind.as_str(),
                principal.as_str()
            )
            .expect("write");
        }
        let note = |s: &Settings| match check_justification(s, verdict, "") {
            Ok(()) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        writeln!(out, "  no note, required on approve -> {}", note(&settings)).expect("write");
        writeln!(out, "  no note, nothing required    -> {}", note(&lenient)).expect("write");
    }
    expect![[r#"
        dontKnow                 active   user             -> fits
        dontKnow                 eligible user             -> fits
        dontKnow                 active   servicePrincipal -> fits
          no note, required on approve -> say what you do not know: the note goes with the item to whoever reviews it next
          no note, nothing required    -> say what you do not know: the note goes with the item to whoever reviews it next
        convertToEligible        active   user             -> fits
        convertToEligible        eligible user             -> only an active assignment can be converted to eligible
        convertToEligible        active   servicePrincipal -> a service principal cannot be made eligible for a role
          no note, required on approve -> this campaign requires a justification to convert to eligible
          no note, nothing required    -> ok
        approveUntil:2026-06-10  active   user             -> the end date 2026-06-10 is not after today
        approveUntil:2026-06-10  eligible user             -> the end date 2026-06-10 is not after today
        approveUntil:2026-06-10  active   servicePrincipal -> the end date 2026-06-10 is not after today
          no note, required on approve -> this campaign requires a justification to approve until 2026-06-10
          no note, nothing required    -> ok
        approveUntil:2026-06-11  active   user             -> fits
        approveUntil:2026-06-11  eligible user             -> fits
        approveUntil:2026-06-11  active   servicePrincipal -> fits
          no note, required on approve -> this campaign requires a justification to approve until 2026-06-11
          no note, nothing required    -> ok
    "#]]
    .assert_eq(&out);
}

#[test]
fn nobody_decides_an_item_again_in_a_later_stage() {
    assert_eq!(check_stage_separation("carol", &[]), Ok(()));
    assert_eq!(check_stage_separation("carol", &["bob"]), Ok(()));
    assert_eq!(
        check_stage_separation("Bob", &["carol", "bob"]),
        Err(DecisionError::DecidedInEarlierStage),
        "the manager who decided in stage 1 is not the second pair of eyes in stage 2"
    );
}

/// The new verdicts at close, by kind and membership: what each becomes.
#[test]
fn new_verdicts_at_close() {
    let mut out = String::new();
    let cases = [
        ("bob dontKnow 09:00", FirstDecides),
        ("bob dontKnow 09:00, carol deny 10:00", FirstDecides),
        ("bob convert 09:00", FirstDecides),
        ("bob approveUntil:2026-06-30 09:00", FirstDecides),
        ("bob approve 09:00, carol convert 10:00", AllMustApprove),
        ("bob approveUntil:2026-09-30 09:00, carol approveUntil:2026-06-30 10:00", AllMustApprove),
        ("bob convert 09:00, carol approveUntil:2026-06-30 10:00", AllMustApprove),
        ("bob convert 09:00, carol deny 10:00", AllMustApprove),
        ("bob dontKnow 09:00, carol approve 10:00", AllMustApprove),
    ];
    for (decisions, rule) in cases {
        let standing = standing(decisions);
        let reviewers = ids("bob carol");
        for (kind, membership) in [
            (AssignmentKind::Active, DIRECT),
            (AssignmentKind::Eligible, DIRECT),
            (AssignmentKind::Active, GROUP),
        ] {
            let (outcome, reason) =
                resolve(rule, &reviewers, &standing, Remove, None, kind, membership);
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome), "round trip");
            writeln!(
                out,
                "{:<14} {decisions:<72} {:<8} {:<6} -> {} ({})",
                rule.as_str(),
                kind.as_str(),
                if membership == DIRECT { "direct" } else { "group" },
                outcome.as_str(),
                reason.code()
            )
            .expect("write");
        }
    }
    expect![[r#"
        firstDecides   bob dontKnow 09:00                                                       active   direct -> remove (noResponse)
        firstDecides   bob dontKnow 09:00                                                       eligible direct -> remove (noResponse)
        firstDecides   bob dontKnow 09:00                                                       active   group  -> exception (viaGroup)
        firstDecides   bob dontKnow 09:00, carol deny 10:00                                     active   direct -> remove (denied)
        firstDecides   bob dontKnow 09:00, carol deny 10:00                                     eligible direct -> remove (denied)
        firstDecides   bob dontKnow 09:00, carol deny 10:00                                     active   group  -> exception (viaGroup)
        firstDecides   bob convert 09:00                                                        active   direct -> convert (converted)
        firstDecides   bob convert 09:00                                                        eligible direct -> keep (approved)
        firstDecides   bob convert 09:00                                                        active   group  -> exception (viaGroup)
        firstDecides   bob approveUntil:2026-06-30 09:00                                        active   direct -> keepUntil (approvedUntil)
        firstDecides   bob approveUntil:2026-06-30 09:00                                        eligible direct -> keepUntil (approvedUntil)
        firstDecides   bob approveUntil:2026-06-30 09:00                                        active   group  -> exception (viaGroup)
        allMustApprove bob approve 09:00, carol convert 10:00                                   active   direct -> convert (converted)
        allMustApprove bob approve 09:00, carol convert 10:00                                   eligible direct -> keep (approved)
        allMustApprove bob approve 09:00, carol convert 10:00                                   active   group  -> exception (viaGroup)
        allMustApprove bob approveUntil:2026-09-30 09:00, carol approveUntil:2026-06-30 10:00   active   direct -> keepUntil (approvedUntil)
        allMustApprove bob approveUntil:2026-09-30 09:00, carol approveUntil:2026-06-30 10:00   eligible direct -> keepUntil (approvedUntil)
        allMustApprove bob approveUntil:2026-09-30 09:00, carol approveUntil:2026-06-30 10:00   active   group  -> exception (viaGroup)
        allMustApprove bob convert 09:00, carol approveUntil:2026-06-30 10:00                   active   direct -> convert (converted)
        allMustApprove bob convert 09:00, carol approveUntil:2026-06-30 10:00                   eligible direct -> keep (approved)
        allMustApprove bob convert 09:00, carol approveUntil:2026-06-30 10:00                   active   group  -> exception (viaGroup)
        allMustApprove bob convert 09:00, carol deny 10:00                                      active   direct -> remove (deniedByOne)
        allMustApprove bob convert 09:00, carol deny 10:00                                      eligible direct -> remove (deniedByOne)
        allMustApprove bob convert 09:00, carol deny 10:00                                      active   group  -> exception (viaGroup)
        allMustApprove bob dontKnow 09:00, carol approve 10:00                                  active   direct -> remove (noResponse)
        allMustApprove bob dontKnow 09:00, carol approve 10:00                                  eligible direct -> remove (noResponse)
        allMustApprove bob dontKnow 09:00, carol approve 10:00                                  active   group  -> exception (viaGroup)
    "#]].assert_eq(&out);
}

#[test]
fn who_may_return_an_item_to_undecided() {
    // actor, holder, reviewers, reviewers whose decision stands (oldest first), admin.
    let cases = [
        ("bob", "alice", "bob", "bob", false),
        ("bob", "alice", "bob", "", false),
        ("bob", "alice", "bob carol", "carol", false),
        ("mallory", "alice", "bob", "bob", false),
        ("gov", "alice", "bob carol", "carol bob", true),
        ("gov", "alice", "bob carol", "", true),
        ("gov", "alice", "", "gov", true),
        ("alice", "alice", "bob", "bob", true),
        ("alice", "ops", "bob", "bob", true),
        ("alice", "alice", "alice", "alice", false),
    ];
    let mut out = String::new();
    for (actor, holder, reviewers, decided, admin) in cases {
        let reviewers = ids(reviewers);
        let decided = ids(decided);
        let decided: Vec<&str> = decided.iter().map(String::as_str).collect();
        let got = match withdrawal_for(actor, holder, &reviewers, &decided, admin, &separation()) {
            Ok(whose) => format!("takes back {whose}'s decision"),
            Err(e) => format!("refused: {e}"),
        };
        let role = if admin { "admin" } else { "person" };
        writeln!(
            out,
            "{actor:<7} ({role:<6}) on {holder:<5}'s item, decided by [{}] -> {got}",
            decided.join(" ")
        )
        .expect("write");
    }
    expect![[r#"
        bob     (person) on alice's item, decided by [bob] -> takes back bob's decision
        bob     (person) on alice's item, decided by [] -> refused: it has no decision in its stage to return to undecided
        bob     (person) on alice's item, decided by [carol] -> refused: it has no decision in its stage to return to undecided
        mallory (person) on alice's item, decided by [bob] -> refused: only the item's reviewer, or a governance admin acting for them, may decide it
        gov     (admin ) on alice's item, decided by [carol bob] -> takes back bob's decision
        gov     (admin ) on alice's item, decided by [] -> refused: it has no decision in its stage to return to undecided
        gov     (admin ) on alice's item, decided by [gov] -> takes back gov's decision
        alice   (admin ) on alice's item, decided by [bob] -> refused: nobody may decide on their own access
        alice   (admin ) on ops  's item, decided by [bob] -> refused: nobody may decide on their own access
        alice   (person) on alice's item, decided by [alice] -> takes back alice's decision
    "#]].assert_eq(&out);
}
