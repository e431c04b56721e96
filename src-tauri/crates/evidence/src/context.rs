//! The binder's pages that set the campaign in context: the role catalogue (what each role in
//! scope is and, for a custom role, what it lets its holders do) and what changed since the
//! previous campaign of the same definition.

use crate::canvas::INK;
use crate::fonts::Style;
use crate::layout::{CONTENT_W, Col, WARN, Writer};
use crate::model::Binder;

/// Section titles, for the contents list and the findings' links.
pub(crate) const CATALOGUE: &str = "Role catalogue";
pub(crate) const SINCE_PREVIOUS: &str = "Since the previous campaign";

pub(crate) fn role_catalogue(w: &mut Writer, b: &Binder) {
    w.section(
        CATALOGUE,
        "Every role with items in this campaign, critical roles first. The critical roles are \
         Global Administrator and Privileged Role Administrator: the interlocks hold a removal \
         that would leave one with too few holders, and the findings judge default outcomes on \
         them. A custom role's permissions are listed as its definition in the raw pages grants \
         them.",
    );
    if b.role_catalogue.is_empty() {
        w.paragraph("No role catalogue was recorded for this binder.", 9.0, WARN);
        return;
    }
    let critical = b.role_catalogue.iter().filter(|r| r.tier == "critical").count();
    let custom = b.role_catalogue.iter().filter(|r| !r.built_in).count();
    w.paragraph(
        &format!(
            "{} roles in scope: {critical} critical, {custom} custom.",
            b.role_catalogue.len()
        ),
        10.0,
        INK,
    );
    w.gap(4.0);
    w.table_start(vec![
        Col::text("Tier", 56.0),
        Col::wrap("Role", 170.0, 2),
        Col::text("Surface", 80.0),
        Col::text("Kind", 52.0),
        Col::num("Items", 40.0),
        Col { lines: 12, ..Col::mono("Permissions granted (custom roles)", CONTENT_W - 398.0) },
    ]);
    for r in &b.role_catalogue {
        let group = r.surface == "pimGroup";
        let permissions = if group {
            "a PIM group's membership or ownership: the group has no role definition; what it \
             grants follows from the roles and resources it is given"
                .to_string()
        } else if r.built_in {
            "built in: Microsoft's definition".to_string()
        } else if r.permissions.is_empty() {
            format!("none recorded ({})", r.permissions_source)
        } else {
            r.permissions.join("\n")
        };
        w.table_row(&[
            &r.tier,
            &r.role,
            crate::model::surface_words(&r.surface),
            if group {
                "group"
            } else if r.built_in {
                "built in"
            } else {
                "custom"
            },
            &r.items.to_string(),
            &permissions,
        ]);
    }
    w.table_end();
    let sources: Vec<&str> = b
        .role_catalogue
        .iter()
        .filter(|r| !r.built_in && !r.permissions.is_empty())
        .map(|r| r.permissions_source.as_str())
        .collect();
    if let Some(first) = sources.first() {
        w.field("Permissions read from", first, Style::Regular);
    }
}

pub(crate) fn since_previous(w: &mut Writer, b: &Binder) {
    w.section(
        SINCE_PREVIOUS,
        "What changed in the population since the previous campaign of the same definition: \
         access that came back after that campaign removed it, access it decided to remove but \
         no verification found removed, new holders, holders gone (and whether that campaign \
         removed them), and roles now held another way. Item numbers are this campaign's, and \
         the previous campaign's where it had the access.",
    );
    let Some(p) = &b.since_previous else {
        w.paragraph(
            "This is the first campaign of its definition: there is nothing to compare with.",
            9.0,
            INK,
        );
        return;
    };
    w.field(
        "Previous campaign",
        &format!("{} (id {})", p.campaign_name, p.campaign_id),
        Style::Regular,
    );
    w.field("Its review period", &p.period, Style::Regular);
    let count = |kind: &str| p.changes.iter().filter(|c| c.kind == kind).count();
    let tally = [
        "came back after removal",
        "removal not carried out",
        "new holder",
        "removed by the previous campaign",
        "no longer held",
        "held differently",
    ]
    .iter()
    .map(|kind| format!("{}: {}", kind, count(kind)))
    .collect::<Vec<_>>()
    .join(" · ");
    w.field("Changes", &tally, Style::Regular);
    w.gap(6.0);
    if p.changes.is_empty() {
        w.paragraph("The population is the same as at the previous campaign.", 9.0, INK);
        return;
    }
    w.table_start(vec![
        Col::wrap("Change", 150.0, 2),
        Col::wrap("Principal", 140.0, 2),
        Col::wrap("Role", 140.0, 2),
        Col::wrap("Held then", 110.0, 2),
        Col::wrap("Held now", 110.0, 2),
        Col::wrap("Items (previous → this)", CONTENT_W - 650.0, 2),
    ]);
    let list = |v: &[u32]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        }
    };
    for c in &p.changes {
        let items = format!("{} → {}", list(&c.previous_items), list(&c.items));
        let or_dash = |s: &str| if s.is_empty() { "—".to_string() } else { s.to_string() };
        w.table_row(&[
            &c.kind,
            &c.principal,
            &c.role,
            &or_dash(&c.before),
            &or_dash(&c.now),
            &items,
        ]);
    }
    w.table_end();
}
