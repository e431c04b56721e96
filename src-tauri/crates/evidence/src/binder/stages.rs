//! The binder's "Decisions by stage" section, for multi-stage reviews: every decision of every
//! stage on the items that went through more than one, so an auditor sees what each stage said
//! and which decision stood.

use super::{CONTENT_W, Col, Writer};
use crate::model::Binder;

/// Whether the review had more than one stage (the section is left out otherwise).
pub(super) fn multi_stage(b: &Binder) -> bool {
    b.decision_history.iter().any(|e| e.stage > 1)
}

pub(super) fn stages(w: &mut Writer, b: &Binder) {
    if !multi_stage(b) {
        return;
    }
    w.section(
        "Decisions by stage",
        "Each item a later stage reviewed, with every decision of every stage in the order made. \
         A later stage saw the earlier decisions and their justifications; the last decision that \
         decided something stands (\"don't know\" decides nothing).",
    );
    let later: std::collections::BTreeSet<u32> =
        b.decision_history.iter().filter(|e| e.stage > 1).map(|e| e.item_id).collect();
    w.table_start(vec![
        Col::num("Item", 34.0),
        Col::num("Stage", 36.0),
        Col::text("Decision", 110.0),
        Col::text("Decided by", 150.0),
        Col::text("At (UTC)", 110.0),
        Col::text("Stands", 40.0),
        Col::wrap("Justification", CONTENT_W - 480.0, 3),
    ]);
    for e in b.decision_history.iter().filter(|e| later.contains(&e.item_id)) {
        w.table_row(&[
            &e.item_id.to_string(),
            &e.stage.to_string(),
            &e.verdict,
            &e.by_upn,
            &e.at,
            if e.stands { "yes" } else { "no" },
            &e.justification,
        ]);
    }
    w.table_end();
}
