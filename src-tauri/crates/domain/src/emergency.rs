//! Accounts that look like emergency access ("break glass"): permanently active Global
//! Administrators outside PIM, with no manager or named for emergencies. At first run Recert
//! suggests them for the protected list, each with the signals that make it look so; a governance
//! admin protects or dismisses each, and both are audited. Nothing here protects anyone by itself.

use crate::assignment::{Assignment, AssignmentKind, Membership, PrincipalKind};
use crate::principal::Principal;

/// Global Administrator's role template id.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// Words in a name or UPN that say "emergency access", compared without case, spaces, dots,
/// dashes or underscores.
const NAME_HINTS: [&str; 5] =
    ["breakglass", "emergency", "emergencyaccess", "bgadmin", "glassbreak"];

/// One account suggested for the protected list, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub principal_id: String,
    pub display_name: String,
    pub upn: Option<String>,
    /// Each signal found, in words ("permanent active Global Administrator outside PIM", …).
    pub reasons: Vec<String>,
}

fn squashed(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Whether `a` is a standing Global Administrator assignment made outside PIM's time limits:
/// active, direct, tenant-wide and without an end.
fn permanent_global_admin(a: &Assignment) -> bool {
    a.kind == AssignmentKind::Active
        && a.membership == Membership::Direct
        && a.end.is_none()
        && a.scope == "/"
        && a.role_id.eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR)
}

/// The accounts of `principals` that look like emergency access, by display name: a user who is
/// a permanent active Global Administrator outside PIM and has an emergency name, or no manager
/// and no sign-in on record.
/// Those already `protected` (by object id or UPN) or `dismissed` (object id) are left out.
pub fn suggestions(
    principals: &[Principal],
    assignments: &[Assignment],
    protected: &[String],
    dismissed: &[String],
) -> Vec<Suggestion> {
    let listed = |p: &Principal, list: &[String]| {
        list.iter().any(|x| {
            x.eq_ignore_ascii_case(&p.id)
                || p.upn.as_deref().is_some_and(|u| x.eq_ignore_ascii_case(u))
        })
    };
    let mut out: Vec<Suggestion> = principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::User && p.account_enabled != Some(false))
        .filter(|p| !listed(p, protected) && !listed(p, dismissed))
        .filter(|p| {
            assignments
                .iter()
                .any(|a| a.principal_id.eq_ignore_ascii_case(&p.id) && permanent_global_admin(a))
        })
        .filter_map(|p| {
            let name = format!(
                "{} {}",
                squashed(&p.display_name),
                squashed(p.upn.as_deref().unwrap_or_default())
            );
            let named = NAME_HINTS.iter().any(|h| name.contains(h));
            let no_manager = p.manager_id.is_none();
            // Without an emergency name, only an account nobody manages and nobody signs in to
            // looks like one: a managed or working admin is an ordinary one.
            let unattended = no_manager && p.last_sign_in.is_none();
            if !named && !unattended {
                return None;
            }
            let mut reasons = vec!["permanent active Global Administrator outside PIM".to_string()];
            if named {
                reasons.push("named for emergency access".into());
            }
            if no_manager {
                reasons.push("no manager".into());
            }
            if p.last_sign_in.is_none() {
                reasons.push("no sign-in on record".into());
            }
            Some(Suggestion {
                principal_id: p.id.clone(),
                display_name: p.display_name.clone(),
                upn: p.upn.clone(),
                reasons,
            })
        })
        .collect();
    out.sort_by_key(|s| s.display_name.to_lowercase());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assignment::Surface;

    fn user(id: &str, name: &str, manager: Option<&str>) -> Principal {
        Principal {
            id: id.into(),
            kind: PrincipalKind::User,
            display_name: name.into(),
            upn: Some(format!("{id}@contoso.com")),
            mail: None,
            account_enabled: Some(true),
            user_type: None,
            manager_id: manager.map(Into::into),
            last_sign_in: None,
        }
    }

    fn global_admin(id: &str, kind: AssignmentKind, end: bool) -> Assignment {
        Assignment {
            surface: Surface::DirectoryRole,
            source_id: format!("s-{id}"),
            role_id: GLOBAL_ADMINISTRATOR.into(),
            scope: "/".into(),
            principal_id: id.into(),
            principal_kind: PrincipalKind::User,
            principal_name: id.into(),
            principal_upn: None,
            kind,
            membership: Membership::Direct,
            start: None,
            end: end.then(chrono::DateTime::<chrono::Utc>::default),
        }
    }

    #[test]
    fn a_standing_global_admin_with_an_emergency_name_or_no_manager_is_suggested_with_why() {
        let people = [
            user("bg1", "Break Glass 1", Some("m")),
            user("ops", "Ops Admin", None),
            user("ceo", "Chief Admin", Some("m")),
            Principal {
                last_sign_in: Some(chrono::DateTime::default()),
                ..user("head", "Head of IT", None)
            },
            user("elig", "Emergency Eligible", None),
            user("timed", "Emergency Timed", None),
        ];
        let assignments = [
            global_admin("bg1", AssignmentKind::Active, false),
            global_admin("ops", AssignmentKind::Active, false),
            global_admin("ceo", AssignmentKind::Active, false),
            global_admin("head", AssignmentKind::Active, false),
            global_admin("elig", AssignmentKind::Eligible, false),
            global_admin("timed", AssignmentKind::Active, true),
        ];
        let found = suggestions(&people, &assignments, &[], &[]);
        let why: Vec<(&str, Vec<&str>)> = found
            .iter()
            .map(|s| (s.principal_id.as_str(), s.reasons.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            why,
            [
                (
                    "bg1",
                    vec![
                        "permanent active Global Administrator outside PIM",
                        "named for emergency access",
                        "no sign-in on record"
                    ]
                ),
                (
                    "ops",
                    vec![
                        "permanent active Global Administrator outside PIM",
                        "no manager",
                        "no sign-in on record"
                    ]
                ),
            ],
            "an eligible or time-bound assignment is PIM's, and a managed or signed-in admin \
             without an emergency name is an ordinary one"
        );
    }

    #[test]
    fn protected_and_dismissed_accounts_are_not_suggested_again() {
        let people = [user("bg1", "breakglass-01", None), user("bg2", "Emergency Access", None)];
        let assignments = [
            global_admin("bg1", AssignmentKind::Active, false),
            global_admin("bg2", AssignmentKind::Active, false),
        ];
        assert!(
            suggestions(&people, &assignments, &["BG1@contoso.com".into()], &["bg2".into()])
                .is_empty()
        );
    }
}
