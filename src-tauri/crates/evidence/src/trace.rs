//! The auditor's trace sheets: for each item of a reproducible sample, one sheet that follows it
//! from the raw Graph page it was read from (page, offset and the page's SHA-256, as sealed when
//! the campaign opened) through routing and reroutes, every decision, the outcome, the removal
//! request and response ids, to every verification — so the auditor re-performs the test on the
//! sample without asking us.

use printpdf::PdfDocument;
use serde::{Deserialize, Serialize};

use crate::EvidenceError;
use crate::canvas::INK;
use crate::fonts::{Fonts, Style};
use crate::layout::{CONTENT_W, Col, Writer};
use crate::pdf::pdf_date;

/// Where an item was read from: one sealed raw page and the place in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePage {
    /// The page's number in the sealed snapshot (its line in `population-pages.ndjson`).
    pub page: u32,
    pub method: String,
    pub url: String,
    /// Where in the page: `value[12]`, or `responses[3].body.value[0]` in a `$batch` answer.
    pub offset: String,
    /// SHA-256 of the page's body as sealed.
    pub sha256: String,
    pub bytes: u64,
}

/// One item's trace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceSheet {
    pub item_id: u32,
    pub principal: String,
    pub principal_upn: String,
    pub principal_id: String,
    pub role: String,
    pub scope: String,
    pub surface: String,
    pub kind: String,
    pub membership: String,
    /// The schedule instance (or ARM) id the item was made from.
    pub source_id: String,
    /// `None` when no sealed page holds the id (then the sheet says so).
    pub source: Option<SourcePage>,
    /// Each reviewer, with why the item went to a fallback where it did.
    pub routing: Vec<String>,
    /// Every decision in order: time · by · verdict · justification · how identified.
    pub decisions: Vec<String>,
    pub recommendation: String,
    pub outcome: String,
    /// The removal: action, request key, request and response ids, result; empty when none.
    pub removal: Vec<(String, String)>,
    /// Every verification in order: time · result.
    pub verifications: Vec<String>,
    /// The exception that kept or held it, if any.
    pub exception: String,
}

/// A drawn sample and its sheets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceSample {
    pub campaign_id: String,
    pub campaign_name: String,
    pub tenant: String,
    pub seed: u64,
    pub size: u32,
    /// Items the sample was drawn from.
    pub population: u32,
    pub generated_at: String,
    pub generator: String,
    /// SHA-256 over every sealed raw page, as the binder's population statement gives it.
    pub raw_sha256: String,
    pub sheets: Vec<TraceSheet>,
}

fn list(w: &mut Writer, title: &str, rows: &[String], empty: &str) {
    w.heading(title);
    if rows.is_empty() {
        w.paragraph(empty, 9.0, INK);
        return;
    }
    w.table_start(vec![Col::num("#", 28.0), Col::wrap("", CONTENT_W - 28.0, 4)]);
    for (i, r) in rows.iter().enumerate() {
        w.table_row(&[&(i + 1).to_string(), r]);
    }
    w.table_end();
}

fn sheet(w: &mut Writer, s: &TraceSheet) {
    w.section(&format!("Item {}", s.item_id), "");
    w.field(
        "Principal",
        &format!("{} <{}> (object {})", s.principal, s.principal_upn, s.principal_id),
        Style::Regular,
    );
    w.field("Role and scope", &format!("{} at {}", s.role, s.scope), Style::Regular);
    w.field(
        "Assignment",
        &format!(
            "{} {} ({}), {}",
            crate::model::surface_words(&s.surface),
            s.kind,
            s.membership,
            s.source_id
        ),
        Style::Regular,
    );
    w.heading("Read from");
    match &s.source {
        Some(p) => {
            w.field("Sealed raw page", &format!("page {} of the snapshot", p.page), Style::Regular);
            w.field("Request", &format!("{} {}", p.method, p.url), Style::Mono);
            w.field("Offset in the page", &p.offset, Style::Mono);
            w.field("Page SHA-256", &p.sha256, Style::Mono);
            w.field("Page size", &format!("{} bytes", p.bytes), Style::Regular);
        }
        None => w.paragraph(
            "No sealed raw page holds this item's source id: the item cannot be traced to the \
             extraction.",
            9.0,
            INK,
        ),
    }
    list(w, "Routing", &s.routing, "No reviewer: the item went to the governance admins.");
    list(w, "Decisions", &s.decisions, "No decision was recorded.");
    w.heading("Outcome");
    w.field("Recommendation", &s.recommendation, Style::Regular);
    w.field("Outcome", &s.outcome, Style::Regular);
    if !s.exception.is_empty() {
        w.field("Exception", &s.exception, Style::Regular);
    }
    w.heading("Removal");
    if s.removal.is_empty() {
        w.paragraph("No removal was planned for this item.", 9.0, INK);
    }
    for (label, value) in &s.removal {
        w.field(label, value, Style::Regular);
    }
    list(w, "Verifications", &s.verifications, "No verification was recorded.");
}

/// Renders the sample: a cover saying how it was drawn, then one sheet per item.
pub fn trace_pdf(t: &TraceSample) -> Result<Vec<u8>, EvidenceError> {
    let mut doc = PdfDocument::new(&format!("Auditor sample and trace: {}", t.campaign_name));
    let date = pdf_date(&t.generated_at);
    doc.metadata.info.creation_date = date;
    doc.metadata.info.modification_date = date;
    doc.metadata.info.metadata_date = date;
    doc.metadata.info.creator = t.generator.clone();
    doc.metadata.info.producer = t.generator.clone();
    let fonts = Fonts::binder(&mut doc)?;
    let mut w = Writer::new(&fonts);
    w.section(
        "Auditor sample and trace",
        "A sample drawn reproducibly from the campaign's items: the same campaign, size and seed \
         draw the same items (`recert-cli evidence sample`). Each item's sheet follows it from \
         the sealed raw Graph page it was read from to every verification of its removal; the \
         page's SHA-256 is the one in population-pages-index.csv, attached to the binder.",
    );
    w.field("Campaign", &format!("{} (id {})", t.campaign_name, t.campaign_id), Style::Regular);
    w.field("Tenant", &t.tenant, Style::Regular);
    w.field("Seed", &t.seed.to_string(), Style::Mono);
    w.field("Sample", &format!("{} of {} items", t.sheets.len(), t.population), Style::Regular);
    w.field(
        "Items drawn",
        &t.sheets.iter().map(|s| s.item_id.to_string()).collect::<Vec<_>>().join(", "),
        Style::Regular,
    );
    w.field("Sealed raw pages (SHA-256)", &t.raw_sha256, Style::Mono);
    w.field("Generated at", &t.generated_at, Style::Regular);
    for s in &t.sheets {
        sheet(&mut w, s);
    }
    let header = format!("{} · sample seed {}", t.campaign_name, t.seed);
    let footer = format!("Sample of {} items, seed {}", t.sheets.len(), t.seed);
    let pages = w.finish(&header, &footer);
    crate::canvas::save(doc, &fonts, pages)
}
