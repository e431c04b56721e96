//! The CSV exports (decisions, decision history, remediation), the JSON export and the evidence
//! hash that ties them together.
//!
//! The evidence hash is the SHA-256 (lower-case hex) of the JSON export's bytes. The JSON holds
//! the whole Binder and the SHA-256 of each CSV, so one hash covers every export; the PDF prints
//! it on its cover and sign-off page.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{Binder, Item};

/// Names the exports are known by in the JSON and in verification reports.
pub const DECISIONS_CSV: &str = "decisions.csv";
pub const HISTORY_CSV: &str = "decision-history.csv";
pub const REMEDIATION_CSV: &str = "remediation.csv";
pub const BINDER_JSON: &str = "binder.json";
pub const BINDER_PDF: &str = "binder.pdf";
/// The seal attached to the PDF.
pub const SEAL_JSON: &str = "seal.json";
/// The raw population pages attached to the PDF (one JSON object per line) and their index.
pub const POPULATION_PAGES: &str = "population-pages.ndjson";
pub const POPULATION_INDEX: &str = "population-pages-index.csv";

/// Identifies the JSON layout, so a reader years later knows how the hash was computed.
pub const FORMAT: &str = "recert-evidence-binder/1";

/// The columns of `decisions.csv`, in order.
pub const DECISION_COLUMNS: [&str; 24] = [
    "item_id",
    "surface",
    "role",
    "scope",
    "principal_name",
    "principal_upn",
    "principal_id",
    "principal_type",
    "kind",
    "membership",
    "reviewers",
    "decision",
    "decided_by_upn",
    "decided_by_id",
    "acting_for",
    "decided_at",
    "justification",
    "decision_source",
    "decided_by_identity",
    "decided_by_authentication",
    "recommendation",
    "recommendation_reason",
    "outcome",
    "outcome_reason",
];

/// The columns of `decision-history.csv`: every decision ever recorded, replaced ones included.
pub const HISTORY_COLUMNS: [&str; 11] = [
    "item_id",
    "stage",
    "reviewer",
    "decision",
    "decided_by_upn",
    "decided_at",
    "justification",
    "source",
    "stands",
    "decided_by_identity",
    "decided_by_authentication",
];

/// The columns of `remediation.csv`.
pub const REMEDIATION_COLUMNS: [&str; 10] = [
    "item_id",
    "principal",
    "role",
    "action",
    "graph_request_id",
    "submitted_at",
    "result",
    "verified",
    "verified_at",
    "verification_history",
];

/// A spreadsheet runs a cell that starts with one of these as a formula (and `\t`/`\r` are
/// stripped before that check by some), so such cells get a leading apostrophe. Names come
/// from the tenant, where anyone can call themselves `=HYPERLINK(…)`.
fn defuse(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes a CSV: UTF-8 with a byte-order mark (so spreadsheets do not read CJK names as
/// Latin-1), CRLF line ends as RFC 4180 asks, every cell defused.
pub(crate) fn write_csv<'a, R>(
    out: &mut dyn Write,
    header: &[&str],
    rows: impl Iterator<Item = R>,
) -> io::Result<()>
where
    R: IntoIterator<Item = Cow<'a, str>>,
{
    out.write_all("\u{FEFF}".as_bytes())?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .buffer_capacity(1 << 16)
        .from_writer(out);
    writer.write_record(header)?;
    for row in rows {
        for cell in row {
            writer.write_field(defuse(&cell).as_bytes())?;
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer.flush()
}

/// A CSV rendered into memory.
pub(crate) fn csv_bytes(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 << 16);
    // Writing into a Vec cannot fail; an error would only shorten the file, which
    // `verify_exports` would then report.
    let _ = write(&mut out);
    out
}

fn opt(v: Option<&String>) -> Cow<'_, str> {
    v.map_or("", String::as_str).into()
}

fn decision_row(item: &Item) -> Vec<Cow<'_, str>> {
    let d = item.decision.as_ref();
    let s = opt;
    vec![
        item.id.to_string().into(),
        crate::model::surface_words(&item.surface).into(),
        item.role.as_str().into(),
        item.scope.as_str().into(),
        item.principal_name.as_str().into(),
        item.principal_upn.as_str().into(),
        item.principal_id.as_str().into(),
        item.principal_type.as_str().into(),
        item.kind.as_str().into(),
        item.membership.as_str().into(),
        item.reviewers.join("; ").into(),
        s(d.map(|d| &d.verdict)),
        s(d.map(|d| &d.by_upn)),
        s(d.map(|d| &d.by_id)),
        s(d.and_then(|d| d.acting_for.as_ref())),
        s(d.map(|d| &d.at)),
        s(d.map(|d| &d.justification)),
        s(d.map(|d| &d.source)),
        s(d.map(|d| &d.identity)),
        s(d.map(|d| &d.authentication)),
        item.recommendation.as_str().into(),
        item.recommendation_reason.as_str().into(),
        item.outcome.as_str().into(),
        item.outcome_reason.as_str().into(),
    ]
}

/// One row per review item: the item, the decision that stands, recommendation and outcome.
pub fn decisions_csv(binder: &Binder) -> Vec<u8> {
    csv_bytes(|out| write_decisions_csv(binder, out))
}

pub(crate) fn write_decisions_csv(binder: &Binder, out: &mut dyn Write) -> io::Result<()> {
    write_csv(out, &DECISION_COLUMNS, binder.items.iter().map(decision_row))
}

/// Every decision ever recorded, in the Binder's order; `stands` is `yes` for the one in force.
pub fn decision_history_csv(binder: &Binder) -> Vec<u8> {
    csv_bytes(|out| write_history_csv(binder, out))
}

pub(crate) fn write_history_csv(binder: &Binder, out: &mut dyn Write) -> io::Result<()> {
    write_csv(
        out,
        &HISTORY_COLUMNS,
        binder.decision_history.iter().map(|e| {
            [
                e.item_id.to_string().into(),
                e.stage.to_string().into(),
                e.reviewer.as_str().into(),
                e.verdict.as_str().into(),
                e.by_upn.as_str().into(),
                e.at.as_str().into(),
                e.justification.as_str().into(),
                e.source.as_str().into(),
                if e.stands { "yes" } else { "no" }.into(),
                e.identity.as_str().into(),
                e.authentication.as_str().into(),
            ]
        }),
    )
}

/// One row per removal: what was sent, Graph's request id, the result and its verification.
pub fn remediation_csv(binder: &Binder) -> Vec<u8> {
    csv_bytes(|out| write_remediation_csv(binder, out))
}

pub(crate) fn write_remediation_csv(binder: &Binder, out: &mut dyn Write) -> io::Result<()> {
    write_csv(
        out,
        &REMEDIATION_COLUMNS,
        binder.remediation.iter().map(|r| {
            [
                r.item_id.to_string().into(),
                r.principal.as_str().into(),
                r.role.as_str().into(),
                r.action.as_str().into(),
                r.request_id.as_str().into(),
                r.submitted_at.as_str().into(),
                r.result.as_str().into(),
                r.verified.as_str().into(),
                r.verified_at.as_str().into(),
                r.history
                    .iter()
                    .map(|h| format!("{} {}", h.at, h.result))
                    .collect::<Vec<_>>()
                    .join("; ")
                    .into(),
            ]
        }),
    )
}

/// Passes bytes on while computing their SHA-256 and counting them.
pub(crate) struct Hashing<W: Write> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    pub(crate) fn new(inner: W) -> Hashing<W> {
        Hashing { inner, sha: Sha256::new(), bytes: 0 }
    }

    /// SHA-256 (lower-case hex) and length of everything written.
    pub(crate) fn finish(self) -> (String, u64) {
        (hex::encode(self.sha.finalize()), self.bytes)
    }

    /// The writer passed to, with `finish`'s SHA-256 and length.
    pub(crate) fn into_parts(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.sha.finalize()), self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[derive(Serialize)]
struct FileDigest {
    sha256: String,
    rows: usize,
}

#[derive(Serialize)]
struct Exports {
    #[serde(rename = "decisions.csv")]
    decisions: FileDigest,
    #[serde(rename = "decision-history.csv")]
    history: FileDigest,
    #[serde(rename = "remediation.csv")]
    remediation: FileDigest,
}

#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    /// How `evidence_hash` is computed, for a reader without this program.
    evidence_hash: &'static str,
    exports: Exports,
    binder: &'a Binder,
}

/// The JSON export: the whole Binder plus the SHA-256 of each CSV. Keys follow the model's
/// field order, pretty-printed with two spaces and a final newline, so equal Binders give equal
/// bytes.
pub fn binder_json(binder: &Binder) -> Vec<u8> {
    let mut json = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = crate::write_all(binder, crate::Sinks { json: Some(&mut json), ..Default::default() });
    json
}

/// Writes the JSON export, given the SHA-256 of each CSV (decisions, history, remediation).
pub(crate) fn write_binder_json(
    binder: &Binder,
    csv_sha256: [String; 3],
    out: &mut dyn Write,
) -> io::Result<()> {
    let [decisions, history, remediation] = csv_sha256;
    let doc = Document {
        format: FORMAT,
        evidence_hash: "SHA-256 (hex) of this file's bytes; this file carries the SHA-256 of each CSV",
        exports: Exports {
            decisions: FileDigest { sha256: decisions, rows: binder.items.len() },
            history: FileDigest { sha256: history, rows: binder.decision_history.len() },
            remediation: FileDigest { sha256: remediation, rows: binder.remediation.len() },
        },
        binder,
    };
    // serde_json writes in small pieces: buffer them.
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &doc)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The evidence hash: SHA-256 (lower-case hex) of `binder_json(binder)`, computed while the
/// JSON is written, without holding it.
pub fn evidence_hash(binder: &Binder) -> String {
    crate::write_all(binder, crate::Sinks::default()).map(|w| w.evidence_hash).unwrap_or_default()
}
