//! The exceptions register: the binder's page of access kept or held although the review or an
//! interlock said otherwise, each with its owner, reason, expiry and compensating control, and
//! the same rows as `exceptions.csv`, attached to the PDF.

use std::borrow::Cow;

use crate::canvas::INK;
use crate::layout::{CONTENT_W, Col, Writer};
use crate::model::{Binder, ExceptionEntry};
use crate::tables::{csv_bytes, write_csv};

/// The register's CSV, attached to the binder PDF.
pub const EXCEPTIONS_CSV: &str = "exceptions.csv";

/// The columns of `exceptions.csv`, in order.
pub const EXCEPTION_COLUMNS: [&str; 8] = [
    "item_id",
    "principal",
    "role",
    "reason",
    "owner",
    "expires_on",
    "compensating_control",
    "standing",
];

/// The register as CSV: one row per exception, every field whole.
pub fn exceptions_csv(binder: &Binder) -> Vec<u8> {
    csv_bytes(|out| {
        write_csv(
            out,
            &EXCEPTION_COLUMNS,
            binder.exceptions.iter().map(|e| -> [Cow<'_, str>; 8] {
                [
                    e.item_id.to_string().into(),
                    e.principal.as_str().into(),
                    e.role.as_str().into(),
                    e.reason.as_str().into(),
                    e.owner.as_str().into(),
                    e.expires_on.as_str().into(),
                    e.control.as_str().into(),
                    e.standing.as_str().into(),
                ]
            }),
        )
    })
}

/// Whether an exception waits on a person: nobody has recorded its terms (owner, expiry,
/// compensating control), or they have expired. A current exception runs on its terms. The
/// summary's tile and the register's count both ask this of the register's "Standing" column.
pub(crate) fn needs_a_person(e: &ExceptionEntry) -> bool {
    e.standing != "current"
}

/// The register's page.
pub(crate) fn exceptions(w: &mut Writer, b: &Binder) {
    w.section(
        "Exceptions register",
        "Access the campaign kept or held although its review or an interlock said otherwise \
         (access through a group, protected principals, minimum holder counts, removals kept by \
         a governance admin), with the reason, who answers for it, until when, and what \
         compensates meanwhile. An expired exception comes back for review in the next campaign \
         of this definition; one without terms never expires, which is a finding in itself. The \
         same rows, every field whole, are in exceptions.csv, attached to this PDF.",
    );
    if b.exceptions.is_empty() {
        w.paragraph("No exceptions.", 9.0, INK);
        return;
    }
    let waiting = b.exceptions.iter().filter(|e| needs_a_person(e)).count();
    w.paragraph(
        &format!(
            "Needing a person (no terms recorded, or expired): {waiting} of {}.",
            b.exceptions.len()
        ),
        9.0,
        INK,
    );
    w.table_start(vec![
        Col::num("Item", 30.0),
        Col::wrap("Principal", 104.0, 2),
        Col::wrap("Role", 100.0, 2),
        Col::wrap("Reason", 200.0, 6),
        Col::wrap("Owner", 104.0, 2),
        Col::text("Expires", 58.0),
        Col::wrap("Compensating control", 120.0, 4),
        Col::text("Standing", CONTENT_W - 716.0),
    ]);
    for e in &b.exceptions {
        w.table_row(&[
            &e.item_id.to_string(),
            &e.principal,
            &e.role,
            &e.reason,
            &e.owner,
            &e.expires_on,
            &e.control,
            &e.standing,
        ]);
    }
    w.table_end();
}
