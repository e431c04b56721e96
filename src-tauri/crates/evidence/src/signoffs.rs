//! The binder's record of its sign-offs: which version this is, who signed each version in
//! Recert as what, when and how they were authenticated, and the corrections that started a new
//! version. Laid out on the sign-off page, above the lines left for signatures still missing.

use crate::canvas::MUTED;
use crate::fonts::Style;
use crate::layout::{CONTENT_W, Col, Writer};
use crate::model::Binder;

/// The capacities a version is signed in.
const CAPACITIES: [&str; 2] = ["Campaign owner", "Compliance"];

/// The version line on the cover.
pub(crate) fn version_line(b: &Binder) -> String {
    let version = b.version.max(1);
    let signed: Vec<&str> =
        b.sign_offs.iter().filter(|s| s.version == version).map(|s| s.capacity.as_str()).collect();
    let state = if signed.is_empty() {
        "not signed off in Recert".to_string()
    } else {
        format!("signed off in Recert by {}", signed.join(" and ").to_lowercase())
    };
    let started = if version == 1 {
        String::new()
    } else if b.corrections.iter().any(|c| c.version == version) {
        format!("; started by a correction after version {} was signed", version - 1)
    } else {
        format!("; the record changed after version {} was signed", version - 1)
    };
    format!("{version}, {state}{started}")
}

/// The capacities this version still lacks, for the signature lines below.
pub(crate) fn unsigned(b: &Binder) -> Vec<&'static str> {
    let version = b.version.max(1);
    CAPACITIES
        .into_iter()
        .filter(|c| !b.sign_offs.iter().any(|s| s.version == version && s.capacity == *c))
        .collect()
}

/// The recorded sign-offs and corrections, if any.
pub(crate) fn recorded(w: &mut Writer, b: &Binder) {
    let version = b.version.max(1);
    w.heading(&format!("Signed in Recert — this binder is version {version}"));
    if b.sign_offs.is_empty() {
        w.paragraph(
            "Nobody has signed this campaign off in Recert by this binder's cut. A sign-off \
             needs a sign-in of the last five minutes; it is recorded in the audit chain with \
             who signed, as what, when, how they were authenticated and this statement.",
            9.0,
            MUTED,
        );
    } else {
        w.table_start(vec![
            Col::num("Version", 44.0),
            Col::wrap("Signed as", 90.0, 2),
            Col::wrap("Signer", 170.0, 2),
            Col::text("Signed (UTC)", 110.0),
            Col::wrap("How the signer was authenticated", CONTENT_W - 414.0, 3),
        ]);
        for s in &b.sign_offs {
            // The object id is in the authentication beside it.
            let signer = format!("{} <{}>", s.signer_name, s.signer_upn);
            let as_what = if s.version == version {
                s.capacity.clone()
            } else {
                format!("{} (superseded)", s.capacity)
            };
            w.table_row(&[&s.version.to_string(), &as_what, &signer, &s.at, &s.authentication]);
        }
        w.table_end();
        let statements: std::collections::BTreeSet<&str> =
            b.sign_offs.iter().map(|s| s.statement.as_str()).collect();
        for statement in statements {
            if statement != b.sign_off_statement {
                w.field("Statement signed", statement, Style::Regular);
            }
        }
    }
    if !b.corrections.is_empty() {
        w.heading("Corrections after a sign-off");
        w.table_start(vec![
            Col::num("Starts version", 70.0),
            Col::text("Recorded (UTC)", 110.0),
            Col::text("By", 150.0),
            Col::wrap("What was corrected, and why", CONTENT_W - 330.0, 4),
        ]);
        for c in &b.corrections {
            w.table_row(&[&c.version.to_string(), &c.at, &c.by, &c.note]);
        }
        w.table_end();
    }
    w.gap(6.0);
}
