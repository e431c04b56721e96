//! Matching decisions synced from Entra to review items, case by case: one item, none, several
//! (two scopes of one role, direct and through a group), the kind and role kept apart, items
//! Entra never carried; which items stay in Recert; how Entra's decision values read.

use std::fmt::Write as _;

use expect_test::expect;

use super::*;

fn item(
    id: i64,
    surface: Surface,
    principal: &str,
    kind_of: PrincipalKind,
    role: &str,
    kind: AssignmentKind,
    membership: Membership,
) -> Candidate {
    Candidate {
        item_id: id,
        surface,
        principal_id: principal.into(),
        principal_kind: kind_of,
        role_id: role.into(),
        kind,
        membership,
    }
}

fn decision(principal: &str, role: &str, kind: AssignmentKind) -> EntraDecision {
    EntraDecision {
        decision_id: format!("d-{principal}-{role}-{}", kind.as_str()),
        principal_id: principal.into(),
        role_id: role.into(),
        kind,
        decision: "Approve".into(),
        justification: String::new(),
    }
}

#[test]
fn each_decision_matches_one_item_or_is_reported() {
    use AssignmentKind::{Active, Eligible};
    use Membership::{Direct, Group};
    use PrincipalKind::{ServicePrincipal, User};
    use Surface::{AzureRole, DirectoryRole, PimGroup};
    let items = [
        item(1, DirectoryRole, "alice", User, "role-a", Eligible, Direct),
        item(2, DirectoryRole, "alice", User, "role-a", Active, Direct),
        // Bob holds role-b at two directory scopes (the tenant and an administrative unit).
        item(3, DirectoryRole, "bob", User, "role-b", Eligible, Direct),
        item(4, DirectoryRole, "bob", User, "role-b", Eligible, Direct),
        // Carol holds role-c directly and through a group.
        item(5, DirectoryRole, "carol", User, "role-c", Active, Direct),
        item(6, DirectoryRole, "carol", User, "role-c", Active, Group),
        item(7, DirectoryRole, "app", ServicePrincipal, "role-a", Active, Direct),
        item(8, AzureRole, "dave", User, "role-a", Eligible, Direct),
        item(9, PimGroup, "erin", User, "role-a", Eligible, Direct),
    ];
    let cases = [
        ("alice", "role-a", Eligible, "the eligible item"),
        ("ALICE", "ROLE-A", Active, "ids compared without case"),
        ("alice", "role-b", Eligible, "a role she does not hold"),
        ("bob", "role-b", Eligible, "two scopes of one role"),
        ("bob", "role-b", Active, "the other kind"),
        ("carol", "role-c", Active, "direct and through a group"),
        ("app", "role-a", Active, "a service principal: never published"),
        ("dave", "role-a", Eligible, "an Azure role with the same id: stays in Recert"),
        ("erin", "role-a", Eligible, "a PIM group: stays in Recert"),
        ("frank", "role-a", Eligible, "nobody Recert knows"),
    ];
    let mut out = String::new();
    for (principal, role, kind, why) in cases {
        let got = match match_decision(&items, &decision(principal, role, kind)) {
            Match::One(id) => format!("item {id}"),
            Match::Unmatched => "unmatched".into(),
            Match::Ambiguous(ids) => format!("ambiguous {ids:?}"),
        };
        writeln!(out, "{principal:<6} {role:<7} {:<8} -> {got:<18} ({why})", kind.as_str())
            .expect("write");
    }
    expect![[r#"
        alice  role-a  eligible -> item 1             (the eligible item)
        ALICE  ROLE-A  active   -> item 2             (ids compared without case)
        alice  role-b  eligible -> unmatched          (a role she does not hold)
        bob    role-b  eligible -> ambiguous [3, 4]   (two scopes of one role)
        bob    role-b  active   -> unmatched          (the other kind)
        carol  role-c  active   -> ambiguous [5, 6]   (direct and through a group)
        app    role-a  active   -> unmatched          (a service principal: never published)
        dave   role-a  eligible -> unmatched          (an Azure role with the same id: stays in Recert)
        erin   role-a  eligible -> unmatched          (a PIM group: stays in Recert)
        frank  role-a  eligible -> unmatched          (nobody Recert knows)
    "#]]
    .assert_eq(&out);
}

#[test]
fn what_stays_in_recert() {
    let mut out = String::new();
    for surface in Surface::ALL {
        for principal in [
            PrincipalKind::User,
            PrincipalKind::Group,
            PrincipalKind::ServicePrincipal,
            PrincipalKind::Unknown,
        ] {
            let got = match channel(surface, principal) {
                Ok(()) => "Entra Access Reviews".to_string(),
                Err(why) => format!("Recert: {}", why.reason()),
            };
            writeln!(out, "{:<14} {:<17} -> {got}", surface.as_str(), principal.as_str())
                .expect("write");
        }
    }
    expect![[r#"
        directoryRole  user              -> Entra Access Reviews
        directoryRole  group             -> Recert: groups and service principals holding a role are reviewed in Recert
        directoryRole  servicePrincipal  -> Recert: groups and service principals holding a role are reviewed in Recert
        directoryRole  unknown           -> Recert: groups and service principals holding a role are reviewed in Recert
        pimGroup       user              -> Recert: PIM for Groups is reviewed in Recert (its Entra reviews are preview)
        pimGroup       group             -> Recert: PIM for Groups is reviewed in Recert (its Entra reviews are preview)
        pimGroup       servicePrincipal  -> Recert: PIM for Groups is reviewed in Recert (its Entra reviews are preview)
        pimGroup       unknown           -> Recert: PIM for Groups is reviewed in Recert (its Entra reviews are preview)
        azureRole      user              -> Recert: Azure resource roles are reviewed in Recert
        azureRole      group             -> Recert: Azure resource roles are reviewed in Recert
        azureRole      servicePrincipal  -> Recert: Azure resource roles are reviewed in Recert
        azureRole      unknown           -> Recert: Azure resource roles are reviewed in Recert
    "#]]
    .assert_eq(&out);
}

#[test]
fn entra_decision_values() {
    let mut out = String::new();
    for (value, justification) in [
        ("NotReviewed", ""),
        ("Approve", ""),
        ("Approve", "still on call"),
        ("Deny", "left the team"),
        ("DontKnow", ""),
        ("DontKnow", "ask the CISO"),
        ("Recommendation", ""),
    ] {
        writeln!(
            out,
            "{value:<14} {justification:<15?} -> {:?}",
            read_decision(value, justification)
        )
        .expect("write");
    }
    expect![[r#"
        NotReviewed    "" -> Pending
        Approve        "" -> Decided(Approve)
        Approve        "still on call" -> Decided(Approve)
        Deny           "left the team" -> Decided(Deny)
        DontKnow       "" -> DontKnowWithoutNote
        DontKnow       "ask the CISO" -> Decided(DontKnow)
        Recommendation "" -> Unknown("Recommendation")
    "#]]
    .assert_eq(&out);
}

#[test]
fn scope_queries_are_the_documented_ones() {
    expect![[r#"/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq 'r1')"#]]
        .assert_eq(&scope_query("r1", AssignmentKind::Eligible));
    expect![[r#"/roleManagement/directory/roleAssignmentScheduleInstances?$expand=principal&$filter=(assignmentType eq 'Assigned' and isof(principal,'microsoft.graph.user') and roleDefinitionId eq 'r1')"#]]
        .assert_eq(&scope_query("r1", AssignmentKind::Active));
    for (kind, name) in
        [(Delivery::InRecert, "inRecert"), (Delivery::EntraAccessReviews, "entraAccessReviews")]
    {
        assert_eq!(kind.as_str(), name);
        assert_eq!(Delivery::parse(name), Some(kind));
    }
}
