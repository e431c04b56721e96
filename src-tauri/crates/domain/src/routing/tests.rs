//! Reviewer routing, case by case, against one small directory: managers present, missing,
//! disabled, unknown or the holder themselves; groups and service principals; named reviewers
//! and self-review; and fallbacks that include the holder.

use std::collections::HashMap;

use expect_test::{Expect, expect};

use super::*;
use crate::campaign::MultiReviewerRule;

/// `id kind enabled manager`: the directory every case routes against.
const DIRECTORY: &str = "
    alice  user  on   bob
    bob    user  on   carol
    carol  user  on   -
    dave   user  on   erin
    erin   user  off  -
    frank  user  on   ghost
    gina   user  on   gina
    hank   user  off  bob
    ivan   user  ?    bob
    jill   user  on   ''
    kate   user  on   -
    ops    group ?    -
    app    sp    on   -
    odd    ?     ?    -
";

fn directory() -> HashMap<String, Principal> {
    DIRECTORY
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let principal = Principal {
                id: cols[0].into(),
                kind: match cols[1] {
                    "user" => PrincipalKind::User,
                    "group" => PrincipalKind::Group,
                    "sp" => PrincipalKind::ServicePrincipal,
                    _ => PrincipalKind::Unknown,
                },
                display_name: cols[0].to_uppercase(),
                upn: Some(format!("{}@contoso.com", cols[0])),
                mail: None,
                account_enabled: match cols[2] {
                    "on" => Some(true),
                    "off" => Some(false),
                    _ => None,
                },
                user_type: None,
                manager_id: match cols[3] {
                    "-" => None,
                    "''" => Some(String::new()),
                    id => Some(id.into()),
                },
                last_sign_in: None,
            };
            (principal.id.clone(), principal)
        })
        .collect()
}

fn reviewer(id: &str) -> ReviewerRef {
    ReviewerRef { id: id.into(), upn: format!("{id}@contoso.com"), display_name: id.to_uppercase() }
}

/// Reads `manager | fallback carol zed`, `named bob alice | fallback carol` or
/// `self | fallback carol`.
fn policy(spec: &str) -> ReviewerPolicy {
    let (source, fallback) = spec.split_once('|').expect("source | fallback ...");
    let source: Vec<&str> = source.split_whitespace().collect();
    let source = match source.as_slice() {
        ["manager"] => ReviewerSource::Manager,
        ["self"] => ReviewerSource::SelfReview,
        ["named", named @ ..] => {
            ReviewerSource::Named(named.iter().map(|id| reviewer(id)).collect())
        }
        other => panic!("bad source {other:?}"),
    };
    let fallback =
        fallback.split_whitespace().skip_while(|w| *w == "fallback").map(reviewer).collect();
    ReviewerPolicy { source, fallback, rule: MultiReviewerRule::FirstDecides }
}

/// Routes the holder and renders one reviewer per line, with the reroute reason if any.
#[track_caller]
fn check(policy_spec: &str, holder_id: &str, expect: Expect) {
    let directory = directory();
    let holder = &directory[holder_id];
    let routed = route(&policy(policy_spec), holder, "r", &directory, &Separation::default());
    let mut out = String::new();
    for Routed { reviewer, fallback, .. } in &routed {
        out.push_str(&reviewer.id);
        if let Some(reason) = fallback {
            assert_eq!(RerouteReason::parse(reason.as_str()).as_ref(), Some(reason), "round trip");
            out.push_str(&format!(" (fallback, {}: {})", reason.as_str(), reason.describe()));
        }
        out.push('\n');
    }
    if routed.is_empty() {
        out.push_str("nobody: a governance admin must decide\n");
    }
    assert!(
        !routed.iter().any(|r| r.reviewer.id == holder.id)
            || matches!(policy(policy_spec).source, ReviewerSource::SelfReview),
        "only self-review routes an item to its holder"
    );
    expect.assert_eq(&out);
}

const MANAGER: &str = "manager | fallback carol zed";

#[test]
fn manager() {
    check(
        MANAGER,
        "alice",
        expect![[r#"
        bob
    "#]],
    );
    check(
        MANAGER,
        "kate",
        expect![[r#"
        carol (fallback, noManager: the holder has no manager on record)
        zed (fallback, noManager: the holder has no manager on record)
    "#]],
    );
    // An empty manager id is no manager.
    check(
        MANAGER,
        "jill",
        expect![[r#"
        carol (fallback, noManager: the holder has no manager on record)
        zed (fallback, noManager: the holder has no manager on record)
    "#]],
    );
    check(
        MANAGER,
        "dave",
        expect![[r#"
        carol (fallback, managerDisabled: the holder's manager is disabled)
        zed (fallback, managerDisabled: the holder's manager is disabled)
    "#]],
    );
    check(
        MANAGER,
        "frank",
        expect![[r#"
        carol (fallback, managerUnknown: the holder's manager is not in the directory)
        zed (fallback, managerUnknown: the holder's manager is not in the directory)
    "#]],
    );
    check(
        MANAGER,
        "gina",
        expect![[r#"
        carol (fallback, selfReview: the reviewer would have reviewed their own access)
        zed (fallback, selfReview: the reviewer would have reviewed their own access)
    "#]],
    );
    // A manager whose enabled state is unknown is not assumed disabled.
    check(
        MANAGER,
        "ivan",
        expect![[r#"
        bob
    "#]],
    );
    // A disabled holder still has a working manager to review them.
    check(
        MANAGER,
        "hank",
        expect![[r#"
        bob
    "#]],
    );
}

#[test]
fn principals_that_are_not_users() {
    check(
        MANAGER,
        "ops",
        expect![[r#"
            carol (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
            zed (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
        "#]],
    );
    check(
        MANAGER,
        "app",
        expect![[r#"
            carol (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
            zed (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
        "#]],
    );
    check(
        MANAGER,
        "odd",
        expect![[r#"
            carol (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
            zed (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
        "#]],
    );
}

#[test]
fn fallbacks_that_include_the_holder() {
    // Carol has no manager and is herself a fallback: the other fallback reviews.
    check(
        MANAGER,
        "carol",
        expect![[r#"
        zed (fallback, noManager: the holder has no manager on record)
    "#]],
    );
    // Every fallback is the holder: nobody, and the item waits for a governance admin.
    check(
        "manager | fallback carol",
        "carol",
        expect![[r#"
        nobody: a governance admin must decide
    "#]],
    );
    // The same fallback named twice reviews once.
    check(
        "manager | fallback zed zed carol",
        "ops",
        expect![[r#"
            zed (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
            carol (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
        "#]],
    );
}

#[test]
fn named_reviewers() {
    check(
        "named bob zed | fallback carol",
        "alice",
        expect![[r#"
        bob
        zed
    "#]],
    );
    // The holder is struck from the named list; the others still review, not the fallback.
    check(
        "named bob alice zed | fallback carol",
        "alice",
        expect![[r#"
        bob
        zed
    "#]],
    );
    // The only named reviewer is the holder: the fallback reviews.
    check(
        "named bob | fallback carol",
        "bob",
        expect![[r#"
        carol (fallback, selfReview: the reviewer would have reviewed their own access)
    "#]],
    );
    // Nobody named (a role-owners stage for a role without owners): the fallback reviews, and
    // says why.
    check(
        "named | fallback carol",
        "alice",
        expect![[r#"
        carol (fallback, noOwners: nobody is named to review the role in this stage: it has no owners listed)
    "#]],
    );
    // Named reviewers review groups and service principals too.
    check(
        "named bob | fallback carol",
        "ops",
        expect![[r#"
        bob
    "#]],
    );
    check(
        "named bob bob zed | fallback carol",
        "app",
        expect![[r#"
        bob
        zed
    "#]],
    );
}

#[test]
fn self_review() {
    check(
        "self | fallback carol",
        "alice",
        expect![[r#"
        alice
    "#]],
    );
    check(
        "self | fallback carol",
        "ivan",
        expect![[r#"
        ivan
    "#]],
    );
    check(
        "self | fallback carol",
        "hank",
        expect![[r#"
            carol (fallback, holderDisabled: the holder's account is disabled: they cannot sign in to attest)
        "#]],
    );
    check(
        "self | fallback carol",
        "ops",
        expect![[r#"
            carol (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
        "#]],
    );
    check(
        "self | fallback carol",
        "app",
        expect![[r#"
            carol (fallback, notAUser: the holder is not a user: groups and service principals have no manager and cannot attest)
        "#]],
    );
    check(
        "self | fallback carol",
        "carol",
        expect![[r#"
        carol
    "#]],
    );
}

/// The group `ops` holds the role; alice is in it directly, bob through a nested group. Carol and
/// kate hold the role themselves.
fn separation() -> Separation {
    let mut s = Separation::default();
    s.members.insert("ops".into(), ["alice", "bob"].into_iter().map(String::from).collect());
    s.holders.insert(
        "r".into(),
        ["alice", "bob", "carol", "kate"].into_iter().map(String::from).collect(),
    );
    s
}

fn render(routed: &[Routed]) -> String {
    let mut out = String::new();
    for r in routed {
        out.push_str(&r.reviewer.id);
        if let Some(reason) = &r.fallback {
            out.push_str(&format!(" (fallback, {})", reason.as_str()));
        }
        if let Some(conflict) = r.conflict {
            assert_eq!(Conflict::parse(conflict.as_str()), Some(conflict), "round trip");
            out.push_str(&format!(" [{}]", conflict.as_str()));
        }
        out.push('\n');
    }
    if routed.is_empty() {
        out.push_str("nobody: a governance admin must decide\n");
    }
    out
}

#[track_caller]
fn check_separated(policy_spec: &str, holder_id: &str, expect: Expect) {
    let directory = directory();
    let routed = route(&policy(policy_spec), &directory[holder_id], "r", &directory, &separation());
    expect.assert_eq(&render(&routed));
}

#[test]
fn members_of_the_holder_group_do_not_review_its_access() {
    // Named reviewers who are (transitive) members of the group are left out; when nobody is
    // left, the item goes to the fallback reviewers, minus members too, and says why.
    check_separated(
        "named alice dave | fallback carol",
        "ops",
        expect![[r#"
            dave
        "#]],
    );
    check_separated(
        "named alice bob | fallback bob carol",
        "ops",
        expect![[r#"
            carol (fallback, memberOfGroup) [holdsSameRole]
        "#]],
    );
    check_separated(
        "manager | fallback alice bob",
        "ops",
        expect![[r#"
            nobody: a governance admin must decide
        "#]],
    );
    let s = separation();
    assert!(s.is_own("BOB", "Ops") && s.is_own("dave", "DAVE") && !s.is_own("dave", "ops"));
}

#[test]
fn a_reviewer_who_holds_the_same_role_is_flagged() {
    // kate's manager is nobody; carol (a holder of the role) is the fallback: flagged, not
    // removed, because someone must still review.
    check_separated(
        MANAGER,
        "kate",
        expect![[r#"
            carol (fallback, noManager) [holdsSameRole]
            zed (fallback, noManager)
        "#]],
    );
    // bob reviews alice; bob holds the role through the group.
    check_separated(
        MANAGER,
        "alice",
        expect![[r#"
            bob [holdsSameRole]
        "#]],
    );
}

fn item(holder: &str, role: &str, reviewers: &[&str]) -> RoutedItem {
    RoutedItem {
        holder_id: holder.into(),
        role_id: role.into(),
        reviewers: reviewers
            .iter()
            .map(|id| Routed { reviewer: reviewer(id), fallback: None, conflict: None })
            .collect(),
    }
}

fn render_items(items: &[RoutedItem]) -> String {
    items
        .iter()
        .map(|i| {
            let who: Vec<String> = i
                .reviewers
                .iter()
                .map(|r| match &r.fallback {
                    Some(reason) => format!("{} ({})", r.reviewer.id, reason.as_str()),
                    None => r.reviewer.id.clone(),
                })
                .collect();
            format!(
                "{} {}: {}\n",
                i.holder_id,
                i.role_id,
                if who.is_empty() { "nobody".into() } else { who.join(", ") }
            )
        })
        .collect()
}

#[test]
fn no_two_people_review_each_others_same_role() {
    let fallback = [reviewer("carol"), reviewer("alice"), reviewer("dave")];
    let mut items = vec![
        item("alice", "ga", &["bob"]),
        item("bob", "ga", &["alice"]),
        // A different role is not a pair.
        item("bob", "reader", &["dave"]),
        // bob reviews dave's: dave is no fallback for bob's, or that would pair them.
        item("dave", "ga", &["bob"]),
        item("erin", "ga", &["dave"]),
        item("dave", "reader", &["erin"]),
        item("erin", "reader", &["dave"]),
    ];
    reroute_reciprocal(&mut items, &fallback, &Separation::default());
    expect![[r#"
        alice ga: bob
        bob ga: carol (reciprocal)
        bob reader: dave
        dave ga: bob
        erin ga: dave
        dave reader: erin
        erin reader: carol (reciprocal), alice (reciprocal)
    "#]]
    .assert_eq(&render_items(&items));
    // Rerouting made no new pair: a second pass changes nothing.
    let again = render_items(&items);
    reroute_reciprocal(&mut items, &fallback, &Separation::default());
    assert_eq!(render_items(&items), again);
}
