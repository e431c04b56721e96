//! Summaries of a pulled population: how many eligible and active grants each role has.

use std::collections::BTreeMap;

use crate::{Assignment, AssignmentKind, RoleDefinition, Surface};

/// Eligible and active counts for one role. Roles without assignments are kept, with zeros,
/// so a reader sees the whole catalogue and not only the roles someone holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleCount {
    pub surface: Surface,
    pub role_id: String,
    pub display_name: String,
    pub eligible: u32,
    pub active: u32,
}

/// Counts per role, most-held roles first, then by name for a stable order.
///
/// A grant whose role is missing from the catalogue still gets a row, named by its id: a summary
/// that silently dropped grants would misstate the population.
pub fn role_counts(roles: &[RoleDefinition], assignments: &[Assignment]) -> Vec<RoleCount> {
    let mut counts: BTreeMap<(Surface, &str), (u32, u32)> = BTreeMap::new();
    for assignment in assignments {
        let entry = counts.entry((assignment.surface, assignment.role_id.as_str())).or_default();
        match assignment.kind {
            AssignmentKind::Eligible => entry.0 += 1,
            AssignmentKind::Active => entry.1 += 1,
        }
    }
    let mut out: Vec<RoleCount> = roles
        .iter()
        .map(|role| {
            let (eligible, active) =
                counts.get(&(role.surface, role.id.as_str())).copied().unwrap_or_default();
            RoleCount {
                surface: role.surface,
                role_id: role.id.clone(),
                display_name: role.display_name.clone(),
                eligible,
                active,
            }
        })
        .collect();
    for ((surface, role_id), (eligible, active)) in counts {
        if !roles.iter().any(|role| role.surface == surface && role.id == role_id) {
            out.push(RoleCount {
                surface,
                role_id: role_id.to_string(),
                display_name: role_id.to_string(),
                eligible,
                active,
            });
        }
    }
    out.sort_by(|a, b| {
        (b.eligible + b.active)
            .cmp(&(a.eligible + a.active))
            .then_with(|| a.display_name.cmp(&b.display_name))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Membership, PrincipalKind};

    fn role(id: &str, name: &str) -> RoleDefinition {
        RoleDefinition {
            surface: Surface::DirectoryRole,
            id: id.into(),
            display_name: name.into(),
            is_built_in: true,
            permissions: None,
        }
    }

    fn grant(role_id: &str, kind: AssignmentKind) -> Assignment {
        Assignment {
            surface: Surface::DirectoryRole,
            source_id: format!("{role_id}-{kind:?}"),
            role_id: role_id.into(),
            scope: "/".into(),
            principal_id: "p".into(),
            principal_kind: PrincipalKind::User,
            principal_name: "P".into(),
            principal_upn: None,
            kind,
            membership: Membership::Direct,
            start: None,
            end: None,
        }
    }

    #[test]
    fn counts_each_kind_and_keeps_unheld_roles() {
        let roles = [role("ga", "Global Administrator"), role("hd", "Helpdesk Administrator")];
        let grants = [
            grant("ga", AssignmentKind::Active),
            grant("ga", AssignmentKind::Eligible),
            grant("ga", AssignmentKind::Eligible),
        ];
        let got: Vec<_> = role_counts(&roles, &grants)
            .into_iter()
            .map(|c| (c.display_name, c.eligible, c.active))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Global Administrator".to_string(), 2, 1),
                ("Helpdesk Administrator".to_string(), 0, 0)
            ],
            "held roles come first, and a role nobody holds is still listed"
        );
    }

    #[test]
    fn grants_of_uncatalogued_roles_are_still_counted() {
        let roles = [role("ga", "Global Administrator")];
        let got = role_counts(&roles, &[grant("zz", AssignmentKind::Active)]);
        let got: Vec<_> = got.iter().map(|c| (c.display_name.as_str(), c.active)).collect();
        assert_eq!(got, vec![("zz", 1), ("Global Administrator", 0)], "no grant may be dropped");
    }
}
