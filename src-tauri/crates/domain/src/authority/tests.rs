//! The authorization table, printed whole: every action for every role, with and without
//! governance admins. A change to who may do what shows up here as a changed line.

use expect_test::expect;

use super::*;

fn cell(role: Role, action: Action, admins_exist: bool) -> &'static str {
    match authorize(role, action, admins_exist) {
        Ok(()) => "yes",
        Err(Refusal::SignInFirst(_)) => "sign in",
        Err(Refusal::NoAdmin(_)) => "no admin",
        Err(Refusal::AdminOnly(_)) => "admin only",
        Err(Refusal::PersonOnly(_)) => "person only",
    }
}

fn table(admins_exist: bool) -> String {
    let mut out = format!("{:<20}", "");
    for role in Role::ALL {
        out.push_str(&format!("{:<16}", role.as_str()));
    }
    out = out.trim_end().to_string();
    out.push('\n');
    for action in Action::ALL {
        let mut line = format!("{:<20}", format!("{action:?}"));
        for role in Role::ALL {
            line.push_str(&format!("{:<16}", cell(role, action, admins_exist)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn who_may_do_what_with_admins() {
    expect![[r#"
                            governanceAdmin person          application     nobody
        Define              yes             admin only      person only     sign in
        Open                yes             admin only      person only     sign in
        AcceptGap           yes             admin only      person only     sign in
        Close               yes             admin only      person only     sign in
        RunDue              yes             admin only      yes             sign in
        Apply               yes             admin only      yes             sign in
        Verify              yes             yes             yes             sign in
        DecideHold          yes             admin only      person only     sign in
        ResolveException    yes             admin only      person only     sign in
        ChangeSafety        yes             admin only      person only     sign in
        ManageAdmins        yes             admin only      person only     sign in
        Decide              yes             yes             person only     sign in
        DecideForReviewer   yes             admin only      person only     sign in
        Pull                yes             yes             yes             sign in
        Export              yes             yes             yes             sign in
        SignOff             yes             yes             person only     sign in
        Correct             yes             admin only      person only     sign in
        RegisterException   yes             admin only      person only     sign in
        SetJustifications   yes             admin only      person only     sign in
    "#]]
    .assert_eq(&table(true));
}

#[test]
fn without_an_admin_nobody_holds_the_keys() {
    // A role cannot be "governance admin" of a tenant without admins; the column shows that
    // the table itself still refuses, whatever a caller claims.
    expect![[r#"
                            governanceAdmin person          application     nobody
        Define              no admin        no admin        person only     sign in
        Open                no admin        no admin        person only     sign in
        AcceptGap           no admin        no admin        person only     sign in
        Close               no admin        no admin        person only     sign in
        RunDue              no admin        no admin        no admin        sign in
        Apply               no admin        no admin        no admin        sign in
        Verify              yes             yes             yes             sign in
        DecideHold          no admin        no admin        person only     sign in
        ResolveException    no admin        no admin        person only     sign in
        ChangeSafety        no admin        no admin        person only     sign in
        ManageAdmins        no admin        no admin        person only     sign in
        Decide              yes             yes             person only     sign in
        DecideForReviewer   no admin        no admin        person only     sign in
        Pull                yes             yes             yes             sign in
        Export              yes             yes             yes             sign in
        SignOff             yes             yes             person only     sign in
        Correct             no admin        no admin        person only     sign in
        RegisterException   no admin        no admin        person only     sign in
        SetJustifications   no admin        no admin        person only     sign in
    "#]]
    .assert_eq(&table(false));
}

#[test]
fn refusals_say_how_to_get_the_right() {
    let no_admin = authorize(Role::Person, Action::Apply, false).expect_err("refused");
    let text = no_admin.to_string();
    assert!(text.contains("apply removals") && text.contains("admins bootstrap"), "{text}");
    let unattended = authorize(Role::Application, Action::Decide, true).expect_err("refused");
    assert!(unattended.to_string().contains("a person must sign in"), "{unattended}");
}

#[test]
fn only_tenant_wide_holders_of_the_three_roles_may_bootstrap() {
    let role = |id: &str, scope: &str| ActiveRole { role_id: id.into(), scope: scope.into() };
    let reader = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
    let cases: Vec<(Vec<ActiveRole>, Option<&str>)> = vec![
        (vec![], None),
        (vec![role(reader, "/")], None),
        (vec![role(crate::remediation::GLOBAL_ADMINISTRATOR, "/administrativeUnits/au1")], None),
        (
            vec![
                role(reader, "/"),
                role(&crate::remediation::GLOBAL_ADMINISTRATOR.to_uppercase(), "/"),
            ],
            Some("Global Administrator"),
        ),
        (
            vec![role(IDENTITY_GOVERNANCE_ADMINISTRATOR, "/")],
            Some("Identity Governance Administrator"),
        ),
        (
            vec![
                role(crate::remediation::GLOBAL_ADMINISTRATOR, "/"),
                role(crate::remediation::PRIVILEGED_ROLE_ADMINISTRATOR, "/"),
            ],
            Some("Privileged Role Administrator"),
        ),
    ];
    for (active, expected) in cases {
        assert_eq!(bootstrap_role(&active), expected, "{active:?}");
    }
}
