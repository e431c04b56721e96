//! Remediation planning tests: a table of cases with the expected step per item, the drift and
//! verification judgements, and an exhaustive check of the safety interlocks over small tenants.

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};

use super::*;

const GA: &str = GLOBAL_ADMINISTRATOR;
const READER: &str = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";

fn assignment(
    source: &str,
    principal: &str,
    kind_of_principal: PrincipalKind,
    role: &str,
    kind: AssignmentKind,
    membership: Membership,
) -> Assignment {
    Assignment {
        surface: Surface::DirectoryRole,
        source_id: source.into(),
        role_id: role.into(),
        scope: "/".into(),
        principal_id: principal.into(),
        principal_kind: kind_of_principal,
        principal_name: format!("{principal} name"),
        principal_upn: (kind_of_principal == PrincipalKind::User)
            .then(|| format!("{principal}@contoso.test")),
        kind,
        membership,
        start: None,
        end: None,
    }
}

fn user(source: &str, principal: &str, role: &str, kind: AssignmentKind) -> Assignment {
    assignment(source, principal, PrincipalKind::User, role, kind, Membership::Direct)
}

fn target(item_id: u32, a: &Assignment) -> Target {
    Target {
        item_id,
        surface: a.surface,
        kind: a.kind,
        membership: a.membership,
        source_id: a.source_id.clone(),
        role_id: a.role_id.clone(),
        role_name: if a.role_id == GA { "Global Administrator".into() } else { "Reader".into() },
        scope: a.scope.clone(),
        principal_id: a.principal_id.clone(),
        principal_kind: a.principal_kind,
        principal_name: a.principal_name.clone(),
        principal_upn: a.principal_upn.clone(),
        end: a.end,
    }
}

fn codes(planned: &[Planned]) -> Vec<String> {
    planned
        .iter()
        .map(|p| match &p.step {
            Step::Remove(e) => e.as_str().to_string(),
            Step::Hold(h) => h.code().to_string(),
        })
        .collect()
}

use AssignmentKind::{Active, Eligible};

/// Each case: a population, which of its assignments are due for removal, the protected list,
/// the confirmed items, and the step expected for each due assignment in order.
#[test]
fn planning_cases() {
    let group_dir = Directory {
        members: [("g1".to_string(), vec!["u3".to_string(), "u4".to_string()])].into(),
        names: [("g1".to_string(), "GA group".to_string())].into(),
        upns: Default::default(),
    };
    let g1_ga = assignment("g1-ga", "g1", PrincipalKind::Group, GA, Active, Membership::Direct);
    let u3_via = assignment("u3-via", "u3", PrincipalKind::User, GA, Active, Membership::Group);
    let u4_via = assignment("u4-via", "u4", PrincipalKind::User, GA, Active, Membership::Group);
    struct Case {
        name: &'static str,
        population: Vec<Assignment>,
        due: Vec<usize>,
        protected: Vec<&'static str>,
        confirmed: Vec<u32>,
        dir: Directory,
        expected: Vec<&'static str>,
    }
    let five_ga = || -> Vec<Assignment> {
        (1..=5).map(|i| user(&format!("s{i}"), &format!("u{i}"), GA, Active)).collect()
    };
    let cases = vec![
        Case {
            name: "eligible and active directory roles map to their request endpoints",
            population: vec![user("a", "u1", READER, Eligible), user("b", "u2", READER, Active)],
            due: vec![0, 1],
            protected: vec![],
            confirmed: vec![],
            dir: Directory::default(),
            expected: vec!["directoryEligibility", "directoryAssignment"],
        },
        Case {
            name: "a protected principal is never removed, by id or by UPN",
            population: vec![user("a", "u1", READER, Active), user("b", "u2", READER, Active)],
            due: vec![0, 1],
            protected: vec!["u1", "U2@CONTOSO.TEST"],
            confirmed: vec![],
            dir: Directory::default(),
            expected: vec!["protectedPrincipal", "protectedPrincipal"],
        },
        Case {
            name: "removing 4 of 5 Global Administrators holds all four",
            population: five_ga(),
            due: vec![0, 1, 2, 3],
            protected: vec![],
            confirmed: vec![],
            dir: Directory::default(),
            expected: vec!["criticalRoleMinimum"; 4],
        },
        Case {
            name: "removing 3 of 5 Global Administrators leaves 2: allowed",
            population: five_ga(),
            due: vec![0, 1, 2],
            protected: vec![],
            confirmed: vec![],
            dir: Directory::default(),
            expected: vec!["directoryAssignment"; 3],
        },
        Case {
            name: "a confirmed hold becomes a removal; the others stay held",
            population: five_ga(),
            due: vec![0, 1, 2, 3],
            protected: vec![],
            confirmed: vec![2],
            dir: Directory::default(),
            expected: vec![
                "criticalRoleMinimum",
                "directoryAssignment",
                "criticalRoleMinimum",
                "criticalRoleMinimum",
            ],
        },
        Case {
            name: "removing one of a holder's two assignments leaves them a holder",
            population: vec![
                user("e1", "u1", GA, Eligible),
                user("a1", "u1", GA, Active),
                user("a2", "u2", GA, Active),
            ],
            due: vec![0],
            protected: vec![],
            confirmed: vec![],
            dir: Directory::default(),
            expected: vec!["directoryEligibility"],
        },
        Case {
            name: "access through a group is an exception naming the group",
            population: vec![
                g1_ga.clone(),
                u3_via.clone(),
                u4_via.clone(),
                user("x", "u1", GA, Active),
            ],
            due: vec![1],
            protected: vec![],
            confirmed: vec![],
            dir: group_dir.clone(),
            expected: vec!["viaGroup"],
        },
        Case {
            name: "a group's assignment counts its members as the holders it takes away",
            population: vec![
                g1_ga.clone(),
                u3_via.clone(),
                u4_via.clone(),
                user("x", "u1", GA, Active),
                user("y", "u2", GA, Active),
            ],
            due: vec![0, 3],
            protected: vec![],
            confirmed: vec![],
            dir: group_dir.clone(),
            expected: vec!["criticalRoleMinimum", "criticalRoleMinimum"],
        },
        Case {
            name: "a group with a protected member is never removed",
            population: vec![g1_ga.clone(), u3_via.clone(), u4_via.clone()],
            due: vec![0],
            protected: vec!["u4"],
            confirmed: vec![],
            dir: group_dir,
            expected: vec!["protectedPrincipal"],
        },
    ];
    for case in cases {
        let targets: Vec<Target> = case
            .due
            .iter()
            .enumerate()
            .map(|(n, i)| target(n as u32 + 1, &case.population[*i]))
            .collect();
        let safety = Safety {
            protected: case.protected.iter().map(|s| s.to_string()).collect(),
            ..Safety::default()
        };
        let confirmed: BTreeSet<u32> = case.confirmed.into_iter().collect();
        let planned = plan(&targets, &case.population, &case.dir, &safety, &confirmed);
        assert_eq!(codes(&planned), case.expected, "{}", case.name);
    }
}

#[test]
fn holds_explain_themselves_and_propose_the_group_change() {
    let dir = Directory {
        members: [("g1".to_string(), vec!["u3".to_string()])].into(),
        ..Directory::default()
    };
    let g = assignment("g", "g1", PrincipalKind::Group, READER, Active, Membership::Direct);
    let mut g = g;
    g.principal_name = "Helpdesk admins".into();
    let via = assignment("v", "u3", PrincipalKind::User, READER, Active, Membership::Group);
    let t = target(1, &via);
    let planned =
        plan(std::slice::from_ref(&t), &[g, via], &dir, &Safety::default(), &BTreeSet::new());
    let Step::Hold(hold) = &planned[0].step else { panic!("held: {planned:?}") };
    assert!(hold.describe().contains("\"Helpdesk admins\""), "{}", hold.describe());
    let proposal = hold.proposal(&t).expect("a proposal");
    assert!(proposal.contains("remove u3 name from \"Helpdesk admins\""), "{proposal}");
    assert!(!hold.confirmable());
    let critical = Hold::CriticalRole {
        role: "Global Administrator".into(),
        holders_before: 2,
        holders_after: 1,
        minimum: 2,
    };
    assert!(critical.confirmable());
    assert!(critical.describe().contains("left with 1 holder"), "{}", critical.describe());
}

#[test]
fn the_live_check_and_verification() {
    let end = Utc.with_ymd_and_hms(2026, 6, 30, 0, 0, 0).single();
    let mut t = target(1, &user("s1", "u1", READER, Active));
    t.end = end;
    let live = |id: &str, membership: Membership, activated: bool, end| LiveInstance {
        id: id.into(),
        membership,
        activated,
        end,
    };
    let cases: Vec<(&str, Vec<LiveInstance>, &str)> = vec![
        ("nothing live", vec![], "gone"),
        ("the same instance", vec![live("S1", Membership::Direct, false, end)], "present"),
        ("extended since", vec![live("s1", Membership::Direct, false, None)], "drift"),
        ("replaced", vec![live("s9", Membership::Direct, false, end)], "drift"),
        ("activation only", vec![live("s1", Membership::Direct, true, end)], "activated"),
        ("through a group only", vec![live("s7", Membership::Group, false, end)], "inherited"),
    ];
    for (name, instances, expected) in cases {
        let got = match check_live(&t, &instances) {
            Live::Present => "present".to_string(),
            Live::Gone => "gone".to_string(),
            Live::Changed(h) => h.code().to_string(),
        };
        assert_eq!(got, expected, "{name}");
    }
    let direct = [live("s1", Membership::Direct, false, end)];
    let via = [live("s7", Membership::Group, false, end)];
    assert_eq!(verify(None, &[]).0, Verification::VerifiedRemoved);
    assert_eq!(verify(None, &via), (Verification::StillPresent, "present through a group".into()));
    assert_eq!(verify(Some(Verification::VerifiedRemoved), &direct).0, Verification::Reappeared);
    assert_eq!(verify(Some(Verification::Reappeared), &[]).0, Verification::VerifiedRemoved);
    assert_eq!(verify(Some(Verification::StillPresent), &direct).0, Verification::StillPresent);
}

#[test]
fn journal_states_move_forward_only() {
    use ActionState::*;
    assert!(Planned.can_become(Submitted) && Submitted.can_become(Succeeded));
    assert!(Submitted.can_become(Submitted), "a resend after a re-read is a new attempt");
    for done in [Succeeded, Failed, Skipped] {
        assert!(done.is_final());
        for to in [Planned, Submitted, Succeeded, Failed, Skipped] {
            assert!(!done.can_become(to), "{done:?} → {to:?}");
        }
    }
    for e in Endpoint::ALL {
        assert_eq!(Endpoint::parse(e.as_str()), Some(e));
    }
}

/// Every small tenant: three users each holding Global Administrator eligible, active, both or
/// not at all, optionally a group holding it actively with two of them as members; every subset
/// of those assignments due for removal; protected user or not; minimum 1, 2 or 3. Whatever the
/// decisions and defaults, the plan never removes a protected principal and never takes the role
/// under its minimum (or below where it already was).
#[test]
fn no_decision_removes_a_protected_principal_or_takes_a_critical_role_under_its_minimum() {
    let mut plans = 0u64;
    for layout in 0..64u32 {
        for with_group in [false, true] {
            let mut population = Vec::new();
            for u in 0..3 {
                let holding = (layout >> (u * 2)) & 3;
                let id = format!("u{u}");
                if holding & 1 != 0 {
                    population.push(user(&format!("e{u}"), &id, GA, Eligible));
                }
                if holding & 2 != 0 {
                    population.push(user(&format!("a{u}"), &id, GA, Active));
                }
            }
            let mut dir = Directory::default();
            for u in 0..3 {
                dir.upns.insert(format!("u{u}"), format!("u{u}@contoso.test"));
            }
            if with_group {
                dir.members.insert("g".into(), vec!["u1".into(), "u2".into()]);
                population.push(assignment(
                    "g-ga",
                    "g",
                    PrincipalKind::Group,
                    GA,
                    Active,
                    Membership::Direct,
                ));
                for m in ["u1", "u2"] {
                    population.push(assignment(
                        &format!("{m}-via"),
                        m,
                        PrincipalKind::User,
                        GA,
                        Active,
                        Membership::Group,
                    ));
                }
            }
            let n = population.len();
            for due_mask in 0..(1u32 << n) {
                let targets: Vec<Target> = (0..n)
                    .filter(|i| due_mask & (1 << i) != 0)
                    .map(|i| target(i as u32 + 1, &population[i]))
                    .collect();
                for protected in [vec![], vec!["u1".to_string()], vec!["U2@contoso.test".into()]] {
                    for minimum in 1..=3 {
                        let safety = Safety {
                            protected: protected.clone(),
                            critical_roles: vec![CriticalRole {
                                role_id: GA.into(),
                                name: "Global Administrator".into(),
                                minimum,
                            }],
                        };
                        let planned = plan(&targets, &population, &dir, &safety, &BTreeSet::new());
                        plans += 1;
                        let removed: Vec<&Target> = targets
                            .iter()
                            .zip(&planned)
                            .filter(|(_, p)| matches!(p.step, Step::Remove(_)))
                            .map(|(t, _)| t)
                            .collect();
                        for t in &removed {
                            let upn = t.principal_upn.as_deref();
                            assert!(
                                !safety.protects(&t.principal_id, upn),
                                "layout {layout} due {due_mask}: removed protected {}",
                                t.principal_id
                            );
                            if t.principal_kind == PrincipalKind::Group {
                                for m in dir.members.get(&t.principal_id).into_iter().flatten() {
                                    assert!(
                                        !safety.protects(m, Some(&format!("{m}@contoso.test"))),
                                        "layout {layout} due {due_mask}: group of protected {m}"
                                    );
                                }
                            }
                            assert!(t.membership == Membership::Direct, "group-derived removed");
                        }
                        let before = holders(GA, &population, &[], &dir).len();
                        let after = holders(GA, &population, &removed, &dir).len();
                        assert!(
                            after >= before.min(minimum as usize),
                            "layout {layout} group {with_group} due {due_mask} min {minimum}: \
                             {before} → {after} holders"
                        );
                    }
                }
            }
        }
    }
    assert!(plans > 50_000, "the search covered {plans} plans");
}

/// The interlocks at the moment of removal, case by case: what is live now, what else is pending
/// in the tenant, the protected list now, and what a named admin accepted.
#[test]
fn interlocks_hold_at_the_moment_of_removal() {
    let ga = |i: u32| user(&format!("s{i}"), &format!("u{i}"), GA, Active);
    let group_dir = Directory {
        members: [("g1".to_string(), vec!["u3".to_string(), "u9".to_string()])].into(),
        names: [("u9".to_string(), "Break glass".to_string())].into(),
        upns: [("u9".to_string(), "bg@contoso.test".to_string())].into(),
    };
    let g1 = assignment("g1-ga", "g1", PrincipalKind::Group, GA, Active, Membership::Direct);
    let u3_via = assignment("u3-via", "u3", PrincipalKind::User, GA, Active, Membership::Group);
    struct Case {
        name: &'static str,
        target: Target,
        live: Vec<Assignment>,
        /// Other removals pending in the tenant (any campaign).
        others: Vec<Target>,
        protected: Vec<&'static str>,
        accepted: Option<u32>,
        dir: Directory,
        expected: &'static str,
    }
    let mut replaced = ga(2);
    replaced.source_id = "a-new-instance-id".into();
    let cases = vec![
        Case {
            name: "three live holders, one removal: two left, the minimum: remove",
            target: target(1, &ga(1)),
            live: vec![ga(1), ga(2), ga(3)],
            others: vec![],
            protected: vec![],
            accepted: None,
            dir: Directory::default(),
            expected: "remove",
        },
        Case {
            name: "another campaign's pending removal counts: one would be left, hold",
            target: target(1, &ga(1)),
            live: vec![ga(1), ga(2), ga(3)],
            others: vec![target(7, &ga(2))],
            protected: vec![],
            accepted: None,
            dir: Directory::default(),
            expected: "criticalRoleMinimum: Global Administrator would be left with 1 holder(s) (now 3, minimum 2): held until a named person confirms",
        },
        Case {
            name: "a pending removal counts by what it removes, not by the instance id it saw",
            target: target(1, &ga(1)),
            live: vec![ga(1), replaced.clone(), ga(3)],
            others: vec![target(7, &ga(2))],
            protected: vec![],
            accepted: None,
            dir: Directory::default(),
            expected: "criticalRoleMinimum: Global Administrator would be left with 1 holder(s) (now 3, minimum 2): held until a named person confirms",
        },
        Case {
            name: "since the plan, a holder left the tenant: live has two, hold",
            target: target(1, &ga(1)),
            live: vec![ga(1), ga(2)],
            others: vec![],
            protected: vec![],
            accepted: None,
            dir: Directory::default(),
            expected: "criticalRoleMinimum: Global Administrator would be left with 1 holder(s) (now 2, minimum 2): held until a named person confirms",
        },
        Case {
            name: "an admin accepted leaving one at planning, and one is left: remove",
            target: target(1, &ga(1)),
            live: vec![ga(1), ga(2)],
            others: vec![],
            protected: vec![],
            accepted: Some(1),
            dir: Directory::default(),
            expected: "remove",
        },
        Case {
            name: "an admin accepted leaving one, but another campaign would leave none: hold",
            target: target(1, &ga(1)),
            live: vec![ga(1), ga(2)],
            others: vec![target(7, &ga(2))],
            protected: vec![],
            accepted: Some(1),
            dir: Directory::default(),
            expected: "criticalRoleMinimum: Global Administrator would be left with 0 holder(s) (now 2, minimum 2): held until a named person confirms",
        },
        Case {
            name: "the holder also holds the role another way: nobody is lost, remove",
            target: target(1, &ga(1)),
            live: vec![ga(1), user("e1", "u1", GA, Eligible), ga(2)],
            others: vec![],
            protected: vec![],
            accepted: None,
            dir: Directory::default(),
            expected: "remove",
        },
        Case {
            name: "protected since the plan was made, by UPN: never removed",
            target: target(1, &ga(1)),
            live: vec![ga(1), ga(2), ga(3), ga(4)],
            others: vec![],
            protected: vec!["U1@contoso.test"],
            accepted: Some(0),
            dir: Directory::default(),
            expected: "protectedPrincipal: a protected principal (break-glass): never removed",
        },
        Case {
            name: "a group whose members now include a protected account: never removed",
            target: target(1, &g1),
            live: vec![g1.clone(), u3_via.clone(), ga(1), ga(2)],
            others: vec![],
            protected: vec!["bg@contoso.test"],
            accepted: None,
            dir: group_dir.clone(),
            expected: "protectedPrincipal: the group's members include the protected principal Break glass: never removed",
        },
        Case {
            name: "removing the group takes its member's derived instance away: hold",
            target: target(1, &g1),
            live: vec![g1.clone(), u3_via.clone(), ga(1)],
            others: vec![],
            protected: vec![],
            accepted: None,
            dir: group_dir.clone(),
            expected: "criticalRoleMinimum: Global Administrator would be left with 1 holder(s) (now 2, minimum 2): held until a named person confirms",
        },
        Case {
            name: "a role that is not critical is only checked for protection",
            target: target(1, &user("r1", "u1", READER, Active)),
            live: vec![],
            others: vec![],
            protected: vec![],
            accepted: None,
            dir: Directory::default(),
            expected: "remove",
        },
        Case {
            name: "already gone from the live state: nothing to lower, remove (the drift check finds it gone)",
            target: target(1, &ga(1)),
            live: vec![ga(2)],
            others: vec![],
            protected: vec![],
            accepted: None,
            dir: Directory::default(),
            expected: "remove",
        },
    ];
    for case in cases {
        let safety = Safety {
            protected: case.protected.iter().map(|p| p.to_string()).collect(),
            ..Safety::default()
        };
        let mut pending: Vec<&Target> = case.others.iter().collect();
        pending.push(&case.target);
        let got =
            match recheck(&case.target, &safety, &case.dir, &case.live, &pending, case.accepted) {
                None => "remove".to_string(),
                Some(hold) => format!("{}: {}", hold.code(), hold.describe()),
            };
        assert_eq!(got, case.expected, "{}", case.name);
    }
}

#[test]
fn a_removal_is_settled_when_verified_removed_or_kept() {
    use ActionState::*;
    let removed = Some(Verification::VerifiedRemoved);
    let present = Some(Verification::StillPresent);
    let cases = [
        (Succeeded, removed, false, true),
        (Succeeded, None, false, false),
        (Succeeded, present, false, false),
        (Failed, removed, false, true),
        (Failed, None, false, false),
        (Skipped, None, false, false),
        (Skipped, None, true, true),
        (Failed, present, true, true),
        (Planned, None, false, false),
        (Submitted, removed, false, false),
    ];
    for (state, verification, kept, expected) in cases {
        assert_eq!(
            settled(state, verification, kept),
            expected,
            "{state:?} {verification:?} kept={kept}"
        );
    }
    assert!(
        Skipped.can_retry() && Failed.can_retry() && !Succeeded.can_retry() && !Planned.can_retry()
    );
    for r in [Resolution::Retry, Resolution::Replan, Resolution::Keep] {
        assert_eq!(Resolution::parse(r.as_str()), Some(r));
    }
}
