//! The binder's "scope and method" page: the campaign definition's settings in words.

use recert_domain::assignment::Surface;
use recert_domain::campaign::KindSelection;
use recert_domain::schedule::Schedule;
use recert_evidence::model::Setting;

use crate::campaigns::dto::DefinitionDto;

/// The settings in words; `roles` are the scope's roles by name, in the scope's order, and
/// `schedule` the definition's schedule as the domain reads it (its dates written out).
pub(super) fn settings_lines(
    d: &DefinitionDto,
    schedule: &Schedule,
    roles: &[String],
) -> Vec<Setting> {
    let line = |label: &str, value: String| Setting { label: label.into(), value };
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    let reviewers = match d.reviewers.source.as_str() {
        "manager" => "the holder's manager".to_string(),
        "named" => format!(
            "named: {}",
            d.reviewers.named.iter().map(|r| r.upn.as_str()).collect::<Vec<_>>().join(", ")
        ),
        _ => "self-attestation by the holder (not an independent review)".to_string(),
    };
    vec![
        line("Campaign definition", d.name.clone()),
        line(
            "Surfaces",
            d.scope
                .surfaces
                .iter()
                .map(|s| Surface::parse(s).map_or_else(|| s.clone(), |s| s.label().to_string()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        line(
            "Roles",
            if d.scope.role_ids.is_empty() { "every role".into() } else { roles.join(", ") },
        ),
        line(
            "Assignment kinds",
            KindSelection::parse(&d.scope.kinds)
                .map_or_else(|| d.scope.kinds.clone(), |k| k.label().to_string()),
        ),
        line(
            "Principal types",
            [
                ("users", d.scope.principal_types.users),
                ("guests", d.scope.principal_types.guests),
                ("groups", d.scope.principal_types.groups),
                ("service principals", d.scope.principal_types.service_principals),
            ]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
        ),
        line(
            "Exclusions",
            if d.scope.exclusions.is_empty() {
                "none".into()
            } else {
                d.scope.exclusions.join(", ")
            },
        ),
        line("Reviewers", reviewers),
        line(
            "Fallback reviewers",
            d.reviewers.fallback.iter().map(|r| r.upn.as_str()).collect::<Vec<_>>().join(", "),
        ),
        line(
            "Several reviewers",
            if d.reviewers.rule == "allMustApprove" {
                "all must approve".into()
            } else {
                "the first decision stands".into()
            },
        ),
        line(
            "Reviewer independence",
            "nobody reviews their own access; such items go to a fallback reviewer".into(),
        ),
        line("Schedule", schedule.in_words()),
        line("Justification required to approve", yes(d.settings.justification_on_approve)),
        line("Justification required to deny", yes(d.settings.justification_on_deny)),
        line(
            "Recommendations",
            if d.settings.recommendations {
                format!("on, activation look-back {} days", d.settings.look_back_days)
            } else {
                "off".into()
            },
        ),
        line("Default on no response", d.settings.no_response.clone()),
        line("Apply removals automatically", yes(d.settings.auto_apply)),
        line(
            "Remediation deadline",
            format!("{} days after close", d.settings.remediation_deadline_days),
        ),
    ]
}
