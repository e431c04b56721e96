//! How privileged a role is, for the reviewer: a tier (critical, privileged, standard, or not
//! known) with the fact that puts it there.
//!
//! Microsoft's own privileged flag (`isPrivileged`) exists on the beta role definitions only; the
//! v1.0 `unifiedRoleDefinition` Recert reads has no such property, so the tier rests on what v1.0
//! does return: the role's permissions (`rolePermissions/allowedResourceActions` for Entra roles,
//! `permissions/actions` for Azure roles), read against the kinds of permission Microsoft calls
//! privileged — managing roles and their assignments, changing credentials, authentication or
//! authorization policies, reading restricted data — and Recert's own critical roles, which come
//! first. The reason names the permission or the setting, so the tier says only what it can show.

use crate::remediation::CriticalRole;

/// A role's tier, most privileged first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleTier {
    /// One of the tenant's critical roles (remediation safety settings).
    Critical,
    /// Grants at least one privileged permission.
    Privileged,
    /// Its permissions were read and none is privileged.
    Standard,
    /// Its permissions were not read (a custom role's came back empty, or a PIM group holds no
    /// role the pull read).
    Unknown,
}

impl RoleTier {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleTier::Critical => "critical",
            RoleTier::Privileged => "privileged",
            RoleTier::Standard => "standard",
            RoleTier::Unknown => "unknown",
        }
    }
}

/// A role's tier and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierFact {
    pub tier: RoleTier,
    pub reason: String,
}

/// Path segments of an Entra action that manage who holds what or how people prove who they are.
/// An action naming one of them, other than a read, is privileged.
const PRIVILEGED_SEGMENTS: &[&str] = &[
    "roleassignments",
    "roledefinitions",
    "rolemanagement",
    "password",
    "credentials",
    "authenticationmethods",
    "policies",
    "conditionalaccesspolicies",
    "authorizationpolicy",
    "crosstenantaccesspolicy",
    "domains",
    "federation",
    "oauth2permissiongrants",
    "approleassignments",
    "owners",
    "members",
];

/// Whether one Entra (`microsoft.directory/...`) or Azure (`Microsoft.Authorization/...`) action is
/// privileged. Matched case-insensitively: both services spell their actions in mixed case.
pub fn privileged_action(action: &str) -> bool {
    let a = action.trim().to_ascii_lowercase();
    if a.is_empty() {
        return false;
    }
    // Azure: everything, or anything over who may do what.
    if a == "*" || a.starts_with("microsoft.authorization/") && !a.ends_with("/read") {
        return true;
    }
    let segments: Vec<&str> = a.split('/').collect();
    // Reading BitLocker recovery keys is reading restricted data.
    if segments.contains(&"bitlockerrecoverykeys") || segments.contains(&"bitlockerkeys") {
        return true;
    }
    if a.ends_with("/read") || a.ends_with("/standard/read") {
        return false;
    }
    // Every task on every entity of the directory.
    if segments.contains(&"allentities") && a.starts_with("microsoft.directory/") {
        return true;
    }
    a.starts_with("microsoft.directory/")
        && segments.iter().any(|s| PRIVILEGED_SEGMENTS.contains(s))
}

/// The tier of a role: critical when the tenant's settings say so, otherwise from its permissions
/// (`None` when they were not read).
pub fn role_tier(
    role_id: &str,
    permissions: Option<&[String]>,
    critical: &[CriticalRole],
) -> TierFact {
    if let Some(c) = critical.iter().find(|c| c.role_id.eq_ignore_ascii_case(role_id)) {
        let holders = if c.minimum == 1 { "holder" } else { "holders" };
        return TierFact {
            tier: RoleTier::Critical,
            reason: format!(
                "A critical role in Recert's safety settings: at least {} {holders} must remain",
                c.minimum
            ),
        };
    }
    let Some(permissions) = permissions else {
        return TierFact {
            tier: RoleTier::Unknown,
            reason: "The role's permissions were not read".into(),
        };
    };
    match permissions.iter().find(|p| privileged_action(p)) {
        Some(action) => {
            let others = permissions.iter().filter(|p| privileged_action(p)).count() - 1;
            let more = match others {
                0 => String::new(),
                1 => " and 1 more privileged permission".into(),
                n => format!(" and {n} more privileged permissions"),
            };
            TierFact { tier: RoleTier::Privileged, reason: format!("Grants {action}{more}") }
        }
        None if permissions.is_empty() => {
            TierFact { tier: RoleTier::Unknown, reason: "The role lists no permissions".into() }
        }
        None => TierFact {
            tier: RoleTier::Standard,
            reason: format!(
                "None of its {} permissions changes roles, credentials or policies",
                permissions.len()
            ),
        },
    }
}

/// A role a PIM group holds (as the principal of an Entra or Azure role assignment), with that
/// role's own tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRole {
    pub role_name: String,
    pub fact: TierFact,
}

/// The tier of a PIM for Groups membership (`access` is `member` or `owner`): a group is as
/// privileged as the most privileged role it holds, since its members hold that role through
/// it; an owner chooses the members, so ownership counts the same. A group that holds no Entra
/// or Azure role (as far as the pull read) may still grant access elsewhere (applications, sites,
/// mail), which Recert does not read: it stays not known, saying why.
pub fn group_tier(access: &str, held: &[GroupRole]) -> TierFact {
    let who = if access.eq_ignore_ascii_case("owner") {
        "Its owners choose who holds"
    } else {
        "Its members hold"
    };
    let Some(top) = held.iter().min_by_key(|r| r.fact.tier) else {
        return TierFact {
            tier: RoleTier::Unknown,
            reason: "The group holds no Entra or Azure role in the last pull; what else it \
                     grants (applications, sites, mail) is not read"
                .into(),
        };
    };
    let others = held.len() - 1;
    let more = match others {
        0 => String::new(),
        1 => " (and 1 more role)".into(),
        n => format!(" (and {n} more roles)"),
    };
    let why = match top.fact.tier {
        RoleTier::Unknown => "whose permissions were not read".to_string(),
        _ => {
            let mut why = top.fact.reason.clone();
            if let Some(first) = why.get(..1) {
                why = first.to_lowercase() + &why[1..];
            }
            why
        }
    };
    TierFact { tier: top.fact.tier, reason: format!("{who} {}{more}: {why}", top.role_name) }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(role: &str, permissions: Option<&[&str]>, expect: Expect) {
        let critical = [CriticalRole {
            role_id: "62e90394-69f5-4237-9190-012177145e10".into(),
            name: "Global Administrator".into(),
            minimum: 2,
        }];
        let owned: Option<Vec<String>> =
            permissions.map(|p| p.iter().map(|s| s.to_string()).collect());
        let fact = role_tier(role, owned.as_deref(), &critical);
        expect.assert_eq(&format!("{}: {}", fact.tier.as_str(), fact.reason));
    }

    #[test]
    fn critical_roles_come_first_whatever_they_grant() {
        check(
            "62E90394-69F5-4237-9190-012177145E10",
            Some(&["microsoft.directory/users/standard/read"]),
            expect![
                "critical: A critical role in Recert's safety settings: at least 2 holders must remain"
            ],
        );
    }

    #[test]
    fn a_privileged_permission_names_itself() {
        check(
            "custom",
            Some(&[
                "microsoft.directory/signInReports/allProperties/read",
                "microsoft.directory/users/password/update",
            ]),
            expect!["privileged: Grants microsoft.directory/users/password/update"],
        );
        check(
            "pra",
            Some(&[
                "microsoft.directory/roleAssignments/allProperties/allTasks",
                "microsoft.directory/roleDefinitions/allProperties/allTasks",
            ]),
            expect![
                "privileged: Grants microsoft.directory/roleAssignments/allProperties/allTasks and 1 more privileged permission"
            ],
        );
        check(
            "ga",
            Some(&["microsoft.directory/allEntities/allProperties/allTasks"]),
            expect!["privileged: Grants microsoft.directory/allEntities/allProperties/allTasks"],
        );
        check(
            "bitlocker",
            Some(&["microsoft.directory/bitlockerKeys/key/read"]),
            expect!["privileged: Grants microsoft.directory/bitlockerKeys/key/read"],
        );
        check("owner", Some(&["*"]), expect!["privileged: Grants *"]);
        check(
            "uaa",
            Some(&["Microsoft.Authorization/*", "Microsoft.Support/*"]),
            expect!["privileged: Grants Microsoft.Authorization/*"],
        );
    }

    #[test]
    fn reads_and_other_services_are_standard() {
        check(
            "reader",
            Some(&[
                "microsoft.directory/users/standard/read",
                "microsoft.directory/auditLogs/allProperties/read",
                "microsoft.office365.exchange/allEntities/basic/allTasks",
                "Microsoft.Authorization/*/read",
            ]),
            expect!["standard: None of its 4 permissions changes roles, credentials or policies"],
        );
    }

    fn held(name: &str, tier: RoleTier, reason: &str) -> GroupRole {
        GroupRole { role_name: name.into(), fact: TierFact { tier, reason: reason.into() } }
    }

    #[test]
    fn a_pim_group_is_as_privileged_as_the_most_privileged_role_it_holds() {
        let cases: Vec<(&str, Vec<GroupRole>, Expect)> = vec![
            (
                "member",
                vec![],
                expect![
                    "unknown: The group holds no Entra or Azure role in the last pull; what else it grants (applications, sites, mail) is not read"
                ],
            ),
            (
                "member",
                vec![held(
                    "Reports Reader",
                    RoleTier::Standard,
                    "None of its 3 permissions changes roles, credentials or policies",
                )],
                expect![
                    "standard: Its members hold Reports Reader: none of its 3 permissions changes roles, credentials or policies"
                ],
            ),
            (
                "member",
                vec![
                    held("Reports Reader", RoleTier::Standard, "None of its 3 permissions"),
                    held(
                        "Global Administrator",
                        RoleTier::Critical,
                        "A critical role in Recert's safety settings: at least 2 holders must remain",
                    ),
                    held(
                        "Helpdesk Administrator",
                        RoleTier::Privileged,
                        "Grants x/password/update",
                    ),
                ],
                expect![
                    "critical: Its members hold Global Administrator (and 2 more roles): a critical role in Recert's safety settings: at least 2 holders must remain"
                ],
            ),
            (
                "owner",
                vec![held(
                    "Helpdesk Administrator",
                    RoleTier::Privileged,
                    "Grants x/password/update",
                )],
                expect![
                    "privileged: Its owners choose who holds Helpdesk Administrator: grants x/password/update"
                ],
            ),
            (
                "member",
                vec![
                    held("Custom", RoleTier::Unknown, "The role's permissions were not read"),
                    held("Other", RoleTier::Unknown, "The role lists no permissions"),
                ],
                expect![
                    "unknown: Its members hold Custom (and 1 more role): whose permissions were not read"
                ],
            ),
        ];
        for (access, roles, expect) in cases {
            let fact = group_tier(access, &roles);
            expect.assert_eq(&format!("{}: {}", fact.tier.as_str(), fact.reason));
        }
    }

    #[test]
    fn unread_permissions_claim_nothing() {
        check("group", None, expect!["unknown: The role's permissions were not read"]);
        check("empty", Some(&[]), expect!["unknown: The role lists no permissions"]);
    }
}
