//! The gap rules, case by case: which gaps hold a campaign's opening (a hole in a surface in
//! scope), which are only reported, and what an acceptance needs.

use super::*;

fn gap(area: GapArea, object: Option<&str>, reason: GapReason) -> PullGap {
    PullGap {
        area,
        object_id: object.map(str::to_string),
        object_name: None,
        reason,
        detail: String::new(),
    }
}

#[test]
fn only_holes_in_surfaces_in_scope_hold_the_opening() {
    use GapArea as A;
    use GapReason as R;
    use Surface as S;
    let all = [S::DirectoryRole, S::PimGroup, S::AzureRole];
    // (gap, surfaces in scope, holds the opening)
    let cases: Vec<(PullGap, &[Surface], bool)> = vec![
        (gap(A::PimGroup, Some("g1"), R::Forbidden), &all, true),
        (gap(A::PimGroup, Some("g1"), R::Forbidden), &[S::DirectoryRole], false),
        (gap(A::PimGroup, Some("g1"), R::NotFound), &[S::PimGroup], true),
        (gap(A::PimGroup, Some("g1"), R::NotGovernable), &all, false),
        (gap(A::AzureRole, None, R::NotConsented), &[S::AzureRole], true),
        (gap(A::AzureRole, None, R::NotConsented), &[S::DirectoryRole, S::PimGroup], false),
        (gap(A::AzureRole, Some("/subscriptions/s1"), R::PartialScope), &all, true),
        (gap(A::DirectoryRole, Some("r1"), R::Forbidden), &[S::DirectoryRole], true),
        (gap(A::ActivationHistory, None, R::NotLicensed), &all, false),
        (gap(A::SignInActivity, None, R::Forbidden), &all, false),
        (gap(A::DirectoryRole, None, R::Forbidden), &[], false),
    ];
    for (g, surfaces, holds) in cases {
        let gaps = [g.clone()];
        assert_eq!(!blocking(&gaps, surfaces).is_empty(), holds, "{g:?} over {surfaces:?}");
    }
}

/// Blocking gaps, the acceptance given, and what opening should say.
type Case<'a> = (&'a [&'a PullGap], Option<&'a str>, Result<Option<&'a str>, &'a str>);

#[test]
fn an_acceptance_needs_a_reason_and_only_counts_when_there_is_a_gap() {
    let hole = gap(GapArea::PimGroup, Some("g1"), GapReason::Forbidden);
    let holes = [&hole];
    // (blocking gaps, acceptance, result)
    let cases: Vec<Case> = vec![
        (&[], None, Ok(None)),
        (&[], Some("whatever"), Ok(None)),
        (&holes, None, Err("not accepted")),
        (&holes, Some("   "), Err("reason")),
        (
            &holes,
            Some(" HR group is out of scope this quarter "),
            Ok(Some("HR group is out of scope this quarter")),
        ),
    ];
    for (blocking, acceptance, expected) in cases {
        let got = check_open(blocking, acceptance);
        match (got, expected) {
            (Ok(got), Ok(want)) => assert_eq!(got.as_deref(), want, "{acceptance:?}"),
            (Err(OpenRefusal::GapsNotAccepted(lines)), Err("not accepted")) => {
                assert_eq!(lines, vec![hole.describe()]);
            }
            (Err(OpenRefusal::ReasonRequired), Err("reason")) => {}
            (got, want) => panic!("{acceptance:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn each_gap_reads_as_one_line() {
    let cases = [
        (
            PullGap {
                area: GapArea::PimGroup,
                object_id: Some("g1".into()),
                object_name: Some("Finance admins".into()),
                reason: GapReason::Forbidden,
                detail: "Forbidden: Insufficient privileges".into(),
            },
            "PIM for Groups: Finance admins (g1) not read, access denied (403) — Forbidden: \
             Insufficient privileges",
        ),
        (
            gap(GapArea::AzureRole, None, GapReason::NotConsented),
            "Azure resource roles: (all of it) not read, no access to the API: consent is missing",
        ),
        (
            gap(GapArea::AzureRole, Some("/subscriptions/s1"), GapReason::PartialScope),
            "Azure resource roles: /subscriptions/s1 not read, readable only below the subscription",
        ),
        (
            PullGap {
                area: GapArea::PimGroup,
                object_id: Some("g2".into()),
                object_name: Some("All staff (dynamic)".into()),
                reason: GapReason::NotGovernable,
                detail: "dynamic membership".into(),
            },
            "PIM for Groups: All staff (dynamic) (g2) not governable by PIM — dynamic membership",
        ),
    ];
    for (g, line) in cases {
        assert_eq!(g.describe(), line);
    }
}

#[test]
fn names_round_trip() {
    for area in GapArea::ALL {
        assert_eq!(GapArea::parse(area.as_str()), Some(area));
    }
    for reason in GapReason::ALL {
        assert_eq!(GapReason::parse(reason.as_str()), Some(reason));
    }
    for surface in Surface::ALL {
        assert_eq!(GapArea::of(surface).surface(), Some(surface));
    }
    assert_eq!(GapArea::parse("nope"), None);
}
