//! The evidence binder PDF: one section per question an auditor asks, in the order they ask
//! them — what was reviewed and how it was obtained, who decided what and why, whether the
//! reviewers were independent, what was removed and whether the removal was verified, and
//! whether the record is intact.

use std::collections::BTreeMap;

use printpdf::PdfDocument;

use crate::EvidenceError;
use crate::canvas::{INK, MUTED};
use crate::fonts::{Fonts, Style, clean};
use crate::layout::{
    ACCENT, Bar, CONTENT_W, Col, LEFT, PAGE_H, WARN, Writer, fit_lines, percent, shrink_or_wrap,
};
use crate::model::{Binder, Item};
use crate::pdf::pdf_date;
use crate::tables::evidence_hash;

mod stages;

const GREEN: [u8; 3] = [0x2e, 0x7d, 0x32];
const RED: [u8; 3] = [0xb7, 0x1c, 0x1c];
const AMBER: [u8; 3] = [0xc7, 0x7c, 0x02];
const GREY: [u8; 3] = [0x90, 0x99, 0xa3];
const BLUE: [u8; 3] = [0x1d, 0x4e, 0x89];
const TEAL: [u8; 3] = [0x00, 0x79, 0x7a];

/// Renders the binder. The same Binder gives the same bytes.
pub fn binder_pdf(binder: &Binder) -> Result<Vec<u8>, EvidenceError> {
    // The evidence hash (the JSON rendered) is computed while the pages are laid out.
    let mut doc = std::thread::scope(|scope| {
        let hash = scope.spawn(|| evidence_hash(binder));
        binder_document(binder, || {
            let hash = hash.join().map_err(|_| EvidenceError::Write("the evidence hash".into()))?;
            Ok(Closing { hash, public_key: None, embedded: Vec::new(), seal: Box::new(|_| None) })
        })
    })?;
    let mut bytes = Vec::new();
    crate::canvas::write_pdf(&mut doc, &mut bytes)?;
    Ok(bytes)
}

/// What the binder takes from the other exports: the evidence hash (the JSON's SHA-256) the
/// cover and the sign-off print, the signing key whose fingerprint they print, the files to
/// embed, and the seal to make from the pages' digest once the content streams are written.
pub(crate) struct Closing<'a> {
    pub(crate) hash: String,
    pub(crate) public_key: Option<String>,
    pub(crate) embedded: Vec<crate::canvas::Embedded>,
    pub(crate) seal: Sealing<'a>,
}

/// Makes the seal to embed from the pages' digest (`None`: the binder is not sealed).
pub(crate) type Sealing<'a> = Box<dyn FnOnce(&str) -> Option<crate::canvas::Embedded> + Send + 'a>;

/// Lays the binder out and builds its document, for `canvas::write_pdf`. Writing the JSON
/// whose hash the cover prints takes about as long as laying out the pages, so the pages come
/// first: `closing` is called once every section but the sign-off is laid out (and may wait
/// for the JSON), then the cover (a page kept for it) and the sign-off are drawn.
pub(crate) fn binder_document<'a>(
    binder: &Binder,
    closing: impl FnOnce() -> Result<Closing<'a>, EvidenceError>,
) -> Result<lopdf::Document, EvidenceError> {
    let c = &binder.campaign;
    let mut doc = PdfDocument::new(&format!("Access review evidence binder: {}", c.name));
    let date = pdf_date(&binder.generated_at);
    doc.metadata.info.creation_date = date;
    doc.metadata.info.modification_date = date;
    doc.metadata.info.metadata_date = date;
    doc.metadata.info.creator = binder.generator.clone();
    doc.metadata.info.producer = binder.generator.clone();
    let fonts = Fonts::binder(&mut doc)?;
    let mut w = Writer::new(&fonts);

    // The cover's page, drawn on once the evidence hash is known.
    w.new_page();
    findings(&mut w, binder);
    summary(&mut w, binder);
    crate::context::since_previous(&mut w, binder);
    scope_and_method(&mut w, binder);
    population(&mut w, binder);
    crate::context::role_catalogue(&mut w, binder);
    decisions(&mut w, binder);
    stages::stages(&mut w, binder);
    non_responses(&mut w, binder);
    independence(&mut w, binder);
    reviewer_stats(&mut w, binder);
    remediation(&mut w, binder);
    crate::register::exceptions(&mut w, binder);
    audit_trail(&mut w, binder);

    let Closing { hash, public_key, embedded, seal } = closing()?;
    let fingerprint = public_key.as_deref().map(crate::seal::fingerprint);
    doc.metadata.info.subject = format!("Evidence hash (SHA-256) {hash}");
    sign_off(&mut w, binder, &hash, fingerprint.as_deref());
    w.on_page(0, |w| cover(w, binder, &hash, fingerprint.as_deref()));
    // Links first: the contents list takes the sections' pages with it.
    let links = w.resolve_links();
    contents(&mut w);

    let header = format!("{} · {} · {}", c.name, c.tenant_name, period(binder));
    let footer = format!("Evidence hash {hash}");
    let pages = w.finish(&header, &footer);
    crate::canvas::assemble(doc, &fonts, pages, &links, embedded, seal)
}

fn period(b: &Binder) -> String {
    format!("{} – {}", b.campaign.period_start, b.campaign.period_end)
}

fn or_dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}

/// Times print without the " UTC" the model carries: the column headers say UTC once.
fn short_time(s: &str) -> &str {
    s.strip_suffix(" UTC").unwrap_or(s)
}

// ---- cover ------------------------------------------------------------------------------------

/// Where the contents list goes on the cover; filled in last, once page numbers are known.
const CONTENTS_TOP: f32 = 250.0;

/// Draws the cover on the page the writer is on.
fn cover(w: &mut Writer, b: &Binder, hash: &str, fingerprint: Option<&str>) {
    let c = &b.campaign;
    let fonts = w.fonts;
    let page = w.page();
    page.rect(LEFT, PAGE_H - 58.0, CONTENT_W, 4.0, ACCENT);
    page.text(
        fonts,
        Style::Bold,
        11.0,
        LEFT,
        PAGE_H - 80.0,
        "ACCESS REVIEW EVIDENCE BINDER",
        ACCENT,
    );
    // The campaign's name whole: on two lines at most at full size, else smaller and wrapped.
    let name = clean(&c.name);
    let (size, lines) = fit_lines(fonts, Style::Bold, &name, 24.0, CONTENT_W, 2);
    let mut y = PAGE_H - 110.0;
    for line in &lines {
        page.text(fonts, Style::Bold, size, LEFT, y, line, INK);
        y -= size * 1.15;
    }
    let sub = format!("Microsoft Entra Privileged Identity Management · {}", clean(&c.tenant_name));
    y += size * 1.15 - 20.0;
    for line in fonts.wrap(Style::Regular, &sub, 12.0, CONTENT_W) {
        page.text(fonts, Style::Regular, 12.0, LEFT, y, &line, MUTED);
        y -= 14.0;
    }
    w.y = y - 6.0;

    w.field_lines("Campaign", &format!("{} (id {})", c.name, c.id), Style::Regular, 2);
    w.field_lines("Campaign definition", &c.definition_name, Style::Regular, 2);
    w.field_lines("Tenant", &format!("{} ({})", c.tenant_name, c.tenant_id), Style::Regular, 2);
    w.field_lines("Review period", &period(b), Style::Regular, 2);
    w.field_lines("Campaign state", &state_line(b), Style::Regular, 2);
    w.field_lines("Binder version", &crate::signoffs::version_line(b), Style::Regular, 2);
    w.field_lines("Generated at", &b.generated_at, Style::Regular, 2);
    w.field_lines("Generated by", &b.generator, Style::Regular, 2);
    w.field_lines("Evidence hash (SHA-256)", hash, Style::Mono, 1);
    w.field_lines("Audit chain head", &b.audit.head_hash, Style::Mono, 1);
    w.field_lines("Signing key (Ed25519)", fingerprint.unwrap_or("not signed"), Style::Mono, 1);

    let note = "How to check this binder: the evidence hash is the SHA-256 of the JSON export \
                (binder.json), which carries the SHA-256 of each CSV export; all of them, the raw \
                population pages and the signed seal are attached to this PDF. `recert-cli \
                verify-binder` checks the seal's signature, the attachments and the pages with \
                this file alone; `recert-cli verify` re-renders every export from the campaign's \
                records and re-checks the audit chain up to the head hash above.";
    w.y = 112.0;
    w.paragraph(note, 8.5, MUTED);
}

/// Removals whose latest verification is not "verified removed" and that no exception explains
/// (a person keeping the access): what stops the campaign from being done, whatever its state.
fn unverified(b: &Binder) -> Vec<&crate::model::RemediationEntry> {
    b.remediation
        .iter()
        .filter(|r| r.verified != "verified-removed")
        .filter(|r| !b.exceptions.iter().any(|e| e.item_id == r.item_id))
        .collect()
}

/// The campaign's state as the headline states it: a recorded "completed" is qualified when any
/// removal's latest verification says otherwise.
fn state_line(b: &Binder) -> String {
    let c = &b.campaign;
    let open = unverified(b);
    match (c.state.to_ascii_lowercase().as_str(), open.len()) {
        ("completed", 0) => match &c.completed_at {
            Some(at) => format!(
                "completed on {at}: every removal verified removed or kept by a named admin"
            ),
            None => "completed".into(),
        },
        ("completed", n) => format!(
            "recorded as completed{}, but {n} removal{} not verified removed at export (see the \
             remediation log)",
            c.completed_at.as_deref().map(|at| format!(" on {at}")).unwrap_or_default(),
            if n == 1 { " is" } else { "s are" }
        ),
        _ => c.state.clone(),
    }
}

fn contents(w: &mut Writer) {
    let fonts = w.fonts;
    let toc = std::mem::take(&mut w.toc);
    let Some(page) = w.pages.first_mut() else { return };
    page.text(fonts, Style::Bold, 11.0, LEFT, CONTENTS_TOP, "Contents", INK);
    // Two columns keep the list clear of the verification note at the foot of the cover.
    let per_column = toc.len().div_ceil(2).max(1);
    for (i, (title, page_ix)) in toc.iter().enumerate() {
        let x = LEFT + (i / per_column) as f32 * (CONTENT_W / 2.0);
        let y = CONTENTS_TOP - 16.0 - (i % per_column) as f32 * 13.0;
        page.text(fonts, Style::Regular, 9.5, x, y, title, INK);
        let number = format!("page {}", page_ix + 1);
        page.text_right(fonts, Style::Regular, 9.5, x + CONTENT_W / 2.0 - 30.0, y, &number, MUTED);
    }
}

// ---- auditor findings -------------------------------------------------------------------------

/// A finding's items and people as a reader takes them in: a handful of each, then how many
/// more and the section that lists every one (the row links to it; the CSVs have them too).
fn behind(items: &[u32], people: &[String], section: &str) -> String {
    const ITEMS_SHOWN: usize = 12;
    const PEOPLE_SHOWN: usize = 5;
    let mut parts = Vec::new();
    let mut cut = Vec::new();
    // Reviewer statistics lists the people; their items are each in the decisions table.
    let items_in = if section == "Reviewer statistics" { "Decisions by role" } else { section };
    if !items.is_empty() {
        let shown: Vec<String> = items.iter().take(ITEMS_SHOWN).map(u32::to_string).collect();
        let mut part =
            format!("item{} {}", if items.len() == 1 { "" } else { "s" }, shown.join(", "));
        if items.len() > ITEMS_SHOWN {
            part.push_str(&format!(" and {} more", items.len() - ITEMS_SHOWN));
            cut.push(items_in);
        }
        parts.push(part);
    }
    if !people.is_empty() {
        let mut part = people.iter().take(PEOPLE_SHOWN).cloned().collect::<Vec<_>>().join(", ");
        if people.len() > PEOPLE_SHOWN {
            part.push_str(&format!(" and {} more", people.len() - PEOPLE_SHOWN));
            cut.push(section);
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return "—".into();
    }
    let mut out = parts.join("; ");
    cut.dedup();
    if !cut.is_empty() {
        out.push_str(&format!(" (all listed in {})", cut.join(" and ")));
    }
    out
}

fn findings(w: &mut Writer, b: &Binder) {
    w.section(
        "Auditor findings",
        "The tests an auditor performs on this review, computed from the same items, decisions \
         and removals as the pages that follow. Each row names the section (with its page, a \
         link) and the item numbers behind it; item numbers are the same in every table and CSV.",
    );
    if b.findings.is_empty() {
        w.paragraph("No findings were computed for this binder.", 9.0, WARN);
        return;
    }
    let raised = b.findings.iter().filter(|f| f.raised).count();
    w.paragraph(
        &format!("{raised} of {} tests raise a finding.", b.findings.len()),
        10.0,
        if raised == 0 { GREEN } else { RED },
    );
    w.gap(4.0);
    const STATUS: f32 = 50.0;
    const TITLE: f32 = 150.0;
    const MEASURE: f32 = 250.0;
    const SECTION: f32 = 96.0;
    const PAGE: f32 = 36.0;
    w.table_start(vec![
        Col::text("Status", STATUS),
        Col::wrap("Test", TITLE, 3),
        Col::wrap("Measure", MEASURE, 6),
        Col::wrap("Section", SECTION, 2),
        Col::text("Page", PAGE),
        Col::wrap(
            "Items and people behind it",
            CONTENT_W - STATUS - TITLE - MEASURE - SECTION - PAGE,
            6,
        ),
    ]);
    for f in &b.findings {
        let behind = behind(&f.items, &f.people, &f.section);
        w.table_row(&[
            if f.raised { "RAISED" } else { "clear" },
            &f.title,
            &f.measure,
            &f.section,
            "",
            &behind,
        ]);
        let x = LEFT + STATUS + TITLE + MEASURE;
        w.link_last_row(x, SECTION + PAGE, x + SECTION, &f.section);
    }
    w.table_end();

    if b.reviewer_patterns.is_empty() {
        return;
    }
    w.heading("Rubber-stamp measures per reviewer");
    w.table_start(vec![
        Col::text("Reviewer", 190.0),
        Col::num("Decisions", 60.0),
        Col::num("In bulk", 60.0),
        Col::num("As recommended", 84.0),
        Col::num("Median s / decision", 96.0),
        Col::num("One justification", 90.0),
        Col::wrap("Limits crossed", CONTENT_W - 580.0, 3),
    ]);
    let pct = |v: f64| {
        if v.is_finite() { format!("{:.0}%", (v * 100.0).clamp(0.0, 100.0)) } else { "—".into() }
    };
    for r in &b.reviewer_patterns {
        w.table_row(&[
            &r.reviewer,
            &r.decisions.to_string(),
            &pct(r.bulk_share),
            &r.agreement.map_or("—".into(), pct),
            &r.median_seconds.map_or("—".into(), |m| format!("{m:.1}")),
            &pct(r.identical_share),
            &if r.flags.is_empty() { "none".to_string() } else { r.flags.join("; ") },
        ]);
    }
    w.table_end();
}

// ---- summary ----------------------------------------------------------------------------------

/// Counts the summary shows, derived from the items so they cannot disagree with the tables.
struct Counts {
    total: u64,
    decided: u64,
    by_kind: BTreeMap<(String, String), u64>,
    verdicts: BTreeMap<String, u64>,
    outcomes: BTreeMap<String, u64>,
}

fn counts(b: &Binder) -> Counts {
    let mut c = Counts {
        total: b.items.len() as u64,
        decided: 0,
        by_kind: BTreeMap::new(),
        verdicts: BTreeMap::new(),
        outcomes: BTreeMap::new(),
    };
    for item in &b.items {
        *c.by_kind.entry((item.surface.clone(), item.kind.clone())).or_default() += 1;
        let verdict = match &item.decision {
            Some(d) => {
                c.decided += 1;
                d.verdict.clone()
            }
            None => "no response".to_string(),
        };
        *c.verdicts.entry(verdict).or_default() += 1;
        let outcome = if item.outcome.is_empty() { "pending" } else { item.outcome.as_str() };
        *c.outcomes.entry(outcome.to_string()).or_default() += 1;
    }
    c
}

fn verdict_color(v: &str) -> [u8; 3] {
    // "approveUntil:2027-06-30" colours as its verdict.
    match v.split(':').next().unwrap_or(v) {
        "approve" | "keep" | "succeeded" | "verified-removed" | "verified-changed" => GREEN,
        "approveUntil" | "keepUntil" | "convertToEligible" | "convert" => GREEN,
        "deny" | "remove" | "failed" | "still-present" | "reappeared" | "not-changed" => RED,
        "exception" | "skipped" | "dontKnow" => AMBER,
        "no response" | "pending" | "not verified" => GREY,
        _ => BLUE,
    }
}

fn bars(map: &BTreeMap<String, u64>) -> Vec<Bar> {
    map.iter().map(|(k, v)| Bar { label: k.clone(), value: *v, color: verdict_color(k) }).collect()
}

fn summary(w: &mut Writer, b: &Binder) {
    w.section(
        "Summary",
        "The campaign at a glance. Every figure is counted from the item table in this binder.",
    );
    let c = counts(b);
    w.field("Campaign state", &state_line(b), Style::Regular);
    let removed_verified =
        b.remediation.iter().filter(|r| r.verified == "verified-removed").count() as u64;
    let waiting = b.exceptions.iter().filter(|e| crate::register::needs_a_person(e)).count();
    w.tiles(&[
        (c.total.to_string(), "review items in scope".into(), BLUE),
        (
            percent(c.decided, c.total),
            format!("completion: {} of {} decided", c.decided, c.total),
            if c.decided == c.total { GREEN } else { AMBER },
        ),
        (
            format!("{} / {}", removed_verified, b.remediation.len()),
            "removals verified by re-reading the tenant".into(),
            if removed_verified as usize == b.remediation.len() { GREEN } else { RED },
        ),
        (
            format!("{waiting} / {}", b.exceptions.len()),
            "exceptions needing a person".into(),
            if waiting == 0 { GREEN } else { AMBER },
        ),
    ]);

    let half = (CONTENT_W - 30.0) / 2.0;
    let right_x = LEFT + half + 30.0;
    let population: Vec<Bar> = c
        .by_kind
        .iter()
        .map(|((surface, kind), v)| Bar {
            label: format!("{} · {kind}", crate::model::surface_words(surface)),
            value: *v,
            color: if kind == "active" { TEAL } else { BLUE },
        })
        .collect();
    let top = w.y;
    let h1 = w.bar_chart(LEFT, half, "Population by kind of access", &population, c.total);
    let h2 = w.bar_chart(right_x, half, "Decisions", &bars(&c.verdicts), c.total);
    w.y = top - h1.max(h2) - 10.0;

    let mut remediation: BTreeMap<String, u64> = BTreeMap::new();
    for r in &b.remediation {
        *remediation.entry(r.result.clone()).or_default() += 1;
    }
    let mut verified: BTreeMap<String, u64> = BTreeMap::new();
    for r in &b.remediation {
        let v = if r.verified.is_empty() { "not verified" } else { r.verified.as_str() };
        *verified.entry(format!("verification: {v}")).or_default() += 1;
    }
    let mut removal_bars = bars(&remediation);
    removal_bars.extend(verified.iter().map(|(k, v)| Bar {
        label: k.clone(),
        value: *v,
        color: verdict_color(k.trim_start_matches("verification: ")),
    }));
    w.ensure(110.0);
    let top = w.y;
    let h1 = w.bar_chart(LEFT, half, "Outcomes", &bars(&c.outcomes), c.total);
    let h2 = w.bar_chart(
        right_x,
        half,
        "Removals (share of removal actions)",
        &removal_bars,
        b.remediation.len() as u64,
    );
    w.y = top - h1.max(h2) - 6.0;

    w.heading("Timeliness against the schedule");
    let t = &b.timeliness;
    w.table_start(vec![
        Col::text("Milestone", 200.0),
        Col::text("Scheduled (UTC)", 160.0),
        Col::text("Actual (UTC)", 160.0),
    ]);
    w.table_row(&[
        "Campaign opened",
        or_dash(short_time(&t.scheduled_start)),
        or_dash(short_time(&t.opened_at)),
    ]);
    w.table_row(&[
        "Campaign closed",
        or_dash(short_time(&t.scheduled_end)),
        or_dash(short_time(&t.closed_at)),
    ]);
    w.table_row(&[
        "Remediation finished",
        or_dash(short_time(&t.remediation_deadline)),
        or_dash(short_time(&t.remediation_done_at)),
    ]);
    w.table_end();
    for note in &t.notes {
        w.paragraph(&format!("• {note}"), 9.0, INK);
    }
}

// ---- scope and method -------------------------------------------------------------------------

fn scope_and_method(w: &mut Writer, b: &Binder) {
    w.section(
        "Scope and method",
        "The campaign definition's settings as they stood when the campaign opened: what was in \
         scope, who reviewed, and what happened to items nobody decided.",
    );
    if b.scope_and_method.is_empty() {
        w.paragraph("No settings were recorded.", 9.0, WARN);
    }
    for s in &b.scope_and_method {
        w.field(&s.label, &s.value, Style::Regular);
    }
}

// ---- population statement ---------------------------------------------------------------------

fn population(w: &mut Writer, b: &Binder) {
    let p = &b.population;
    w.section(
        "Population statement",
        "How the reviewed listing was obtained, and the control totals that show it is complete: \
         the raw responses were sealed with a SHA-256 when the campaign opened.",
    );
    w.field("Extracted at", &p.extracted_at, Style::Regular);
    w.field("Extracted by", &p.extracted_by, Style::Regular);
    w.field(
        "Requests and pages",
        &format!(
            "{} raw pages sealed (one per page of a paged answer and one per $batch step), \
             fetched in {} HTTP requests; every page is attached to this PDF ({}, with its \
             index {}) and the counts below follow from them",
            p.pages,
            p.requests,
            crate::POPULATION_PAGES,
            crate::POPULATION_INDEX
        ),
        Style::Regular,
    );
    w.field("SHA-256 of the raw pages", &p.raw_sha256, Style::Mono);
    let in_scope: u64 = p.roles.iter().map(|r| u64::from(r.in_scope)).sum();
    let items = b.items.len() as u64;
    let reconciles = in_scope == items && u64::from(p.total_items) == items;
    let statement = format!(
        "{} items in this binder; {} in scope by the per-role counts below; {} recorded at \
         extraction — {}",
        items,
        in_scope,
        p.total_items,
        if reconciles { "the totals reconcile." } else { "THE TOTALS DO NOT RECONCILE." }
    );
    w.field("Control total", &statement, Style::Regular);
    if !p.excluded.is_empty() {
        w.field("Excluded by the definition", &p.excluded.join("\n"), Style::Regular);
    }
    if !p.returning.is_empty() {
        w.field("Back for review", &p.returning.join("\n"), Style::Regular);
    }
    if !p.gaps.is_empty() {
        w.field("Not read", &p.gaps.join("\n"), Style::Regular);
    }
    if let Some(accepted) = &p.gap_accepted {
        w.field("Gap accepted", accepted, Style::Regular);
    }

    w.heading("Requests (endpoint, filters and expansions as sent)");
    w.table_start(vec![
        Col::num("#", 28.0),
        Col { lines: 4, ..Col::mono("Request", CONTENT_W - 28.0) },
    ]);
    for (i, e) in p.endpoints.iter().enumerate() {
        w.table_row(&[&(i + 1).to_string(), e]);
    }
    w.table_end();

    w.heading("Counts per role");
    w.table_start(vec![
        Col::text("Surface", 110.0),
        Col::text("Role", 330.0),
        Col::num("Eligible", 80.0),
        Col::num("Active", 80.0),
        Col::num("In scope (items)", 110.0),
    ]);
    let (mut e, mut a) = (0u64, 0u64);
    for r in &p.roles {
        e += u64::from(r.eligible);
        a += u64::from(r.active);
        w.table_row(&[
            crate::model::surface_words(&r.surface),
            &r.role,
            &r.eligible.to_string(),
            &r.active.to_string(),
            &r.in_scope.to_string(),
        ]);
    }
    w.table_total(&["Total", "", &e.to_string(), &a.to_string(), &in_scope.to_string()]);
    w.table_end();
}

// ---- decisions --------------------------------------------------------------------------------

/// Who decided (or, without a decision, who was asked).
fn reviewer_of(item: &Item) -> String {
    match &item.decision {
        Some(d) => match &d.acting_for {
            Some(f) => format!("{} for {}", d.by_upn, f),
            None => d.by_upn.clone(),
        },
        None => item.reviewers.join(", "),
    }
}

/// Items in role order (surface, role), then in their own order: the grouping the section
/// promises, stable so equal Binders print equally.
fn by_role(items: &[Item]) -> Vec<&Item> {
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by(|a, b| (&a.surface, &a.role).cmp(&(&b.surface, &b.role)));
    sorted
}

fn decisions(w: &mut Writer, b: &Binder) {
    w.section(
        "Decisions by role",
        "Every review item with the decision that stands. Identity says how the decider was \
         identified: \"signed in\" when Entra authenticated them (tenant, object id and time in \
         decisions.csv), \"asserted\" when nobody did (a CSV import by an admin, the demo \
         tenant's act-as). Long cells wrap or are set smaller, never cut; every field is also in \
         decisions.csv, and every earlier decision in decision-history.csv.",
    );
    let cols = vec![
        Col::num("Item", 30.0),
        Col::text("Principal", 78.0),
        Col::text("UPN", 90.0),
        Col::text("Type", 56.0),
        Col::text("Kind", 38.0),
        Col::text("Membership", 58.0),
        Col::text("Reviewer", 86.0),
        Col::text("Decision", 42.0),
        Col::text("Decided (UTC)", 80.0),
        Col::wrap("Identity", 66.0, 2),
        Col::text("Justification", 79.0),
        Col::text("Recommended", 66.0),
    ];
    debug_assert!(cols.iter().map(|c| c.width).sum::<f32>() <= CONTENT_W + 0.5);
    w.table_start(cols);
    let mut sizes: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for item in &b.items {
        *sizes.entry((&item.surface, &item.role)).or_default() += 1;
    }
    let mut group: Option<(&str, &str)> = None;
    let mut id = String::new();
    for item in by_role(&b.items) {
        if group != Some((&item.surface, &item.role)) {
            group = Some((&item.surface, &item.role));
            let n = sizes.get(&(item.surface.as_str(), item.role.as_str())).copied().unwrap_or(0);
            w.table_band(&format!(
                "{} · {} · {} item{}",
                item.role,
                crate::model::surface_words(&item.surface),
                n,
                if n == 1 { "" } else { "s" }
            ));
        }
        id.clear();
        id.push_str(&item.id.to_string());
        let d = item.decision.as_ref();
        let reviewer = reviewer_of(item);
        w.table_row(&[
            &id,
            &item.principal_name,
            &item.principal_upn,
            &item.principal_type,
            &item.kind,
            &item.membership,
            &reviewer,
            d.map_or("—", |d| d.verdict.as_str()),
            d.map_or("", |d| short_time(&d.at)),
            d.map_or("", |d| d.identity.as_str()),
            d.map_or("", |d| d.justification.as_str()),
            &item.recommendation,
        ]);
    }
    if b.items.is_empty() {
        w.table_row(&["", "No review items."]);
    }
    w.table_end();
}

// ---- non-responses ----------------------------------------------------------------------------

fn non_responses(w: &mut Writer, b: &Binder) {
    w.section(
        "Non-responses",
        "Items no reviewer decided before the campaign closed, and the outcome the campaign's \
         default gave them.",
    );
    let missing: Vec<&Item> =
        by_role(&b.items).into_iter().filter(|i| i.decision.is_none()).collect();
    if let Some(default) =
        b.scope_and_method.iter().find(|s| s.label.to_lowercase().contains("no response"))
    {
        w.field(&default.label, &default.value, Style::Regular);
    }
    w.field(
        "Items without a decision",
        &format!(
            "{} of {} ({})",
            missing.len(),
            b.items.len(),
            percent(missing.len() as u64, b.items.len() as u64)
        ),
        Style::Regular,
    );
    w.gap(6.0);
    if missing.is_empty() {
        w.paragraph("Every item received a decision.", 9.0, INK);
        return;
    }
    w.table_start(vec![
        Col::num("Item", 34.0),
        Col::text("Principal", 110.0),
        Col::text("UPN", 140.0),
        Col::text("Role", 130.0),
        Col::text("Kind", 44.0),
        Col::text("Reviewer(s) asked", 120.0),
        Col::text("Default outcome", 76.0),
        Col::wrap("Reason", CONTENT_W - 654.0, 3),
    ]);
    for item in missing {
        let reviewers = item.reviewers.join(", ");
        w.table_row(&[
            &item.id.to_string(),
            &item.principal_name,
            &item.principal_upn,
            &item.role,
            &item.kind,
            &reviewers,
            or_dash(if item.outcome.is_empty() { "pending" } else { &item.outcome }),
            &item.outcome_reason,
        ]);
    }
    w.table_end();
}

// ---- reviewer independence --------------------------------------------------------------------

fn independence(w: &mut Writer, b: &Binder) {
    w.section(
        "Reviewer independence",
        "Nobody certified their own access: routing never sends an item to its holder, and the \
         decisions below were checked again when this binder was generated.",
    );
    let same = |a: &str, b: &str| !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(b.trim());
    let self_decided: Vec<&Item> = b
        .items
        .iter()
        .filter(|i| i.decision.as_ref().is_some_and(|d| same(&d.by_upn, &i.principal_upn)))
        .collect();
    let on_behalf: Vec<&Item> = b
        .items
        .iter()
        .filter(|i| i.decision.as_ref().is_some_and(|d| d.acting_for.is_some()))
        .collect();
    w.field(
        "Self-review prevented",
        &format!(
            "{} item(s) were routed away from a reviewer who holds the access under review",
            b.self_review_prevented
        ),
        Style::Regular,
    );
    w.field("Rerouted to a fallback reviewer", &b.reroutes.len().to_string(), Style::Regular);
    w.field(
        "Decided by the holder",
        &if self_decided.is_empty() {
            "none: no decision was made by the principal under review".to_string()
        } else {
            format!("{} — listed below", self_decided.len())
        },
        Style::Regular,
    );
    w.field("Decided on a reviewer's behalf", &on_behalf.len().to_string(), Style::Regular);

    let listing = |w: &mut Writer, title: &str, items: &[&Item]| {
        if items.is_empty() {
            return;
        }
        w.heading(title);
        w.table_start(vec![
            Col::num("Item", 34.0),
            Col::text("Principal", 130.0),
            Col::text("UPN", 160.0),
            Col::text("Role", 160.0),
            Col::wrap("Decided by", 180.0, 2),
            Col::text("Decision", CONTENT_W - 664.0),
        ]);
        for item in items {
            let d = item.decision.as_ref();
            let by = reviewer_of(item);
            w.table_row(&[
                &item.id.to_string(),
                &item.principal_name,
                &item.principal_upn,
                &item.role,
                &by,
                d.map_or("", |d| d.verdict.as_str()),
            ]);
        }
        w.table_end();
    };
    listing(w, "Decisions made by the holder of the access", &self_decided);
    listing(w, "Decisions made on a reviewer's behalf", &on_behalf);

    w.heading("Reroutes");
    if b.reroutes.is_empty() {
        w.paragraph("No item was rerouted.", 9.0, INK);
        return;
    }
    w.table_start(vec![
        Col::num("Item", 34.0),
        Col::text("Principal", 150.0),
        Col::text("Role", 170.0),
        Col::text("Routed to", 160.0),
        Col::wrap("Reason", CONTENT_W - 514.0, 3),
    ]);
    for r in &b.reroutes {
        w.table_row(&[&r.item_id.to_string(), &r.principal, &r.role, &r.reviewer, &r.reason]);
    }
    w.table_end();
}

// ---- reviewer statistics ----------------------------------------------------------------------

fn duration(seconds: Option<f64>) -> String {
    let Some(s) = seconds.filter(|s| s.is_finite() && *s >= 0.0) else { return "—".into() };
    let s = s.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn reviewer_stats(w: &mut Writer, b: &Binder) {
    w.section(
        "Reviewer statistics",
        "How each reviewer worked. Very short times between decisions, or a high share of bulk \
         decisions, can point to rubber-stamping; the decision history gives the detail.",
    );
    w.table_start(vec![
        Col::text("Reviewer", 160.0),
        Col::text("UPN", 190.0),
        Col::num("Assigned", 64.0),
        Col::num("Decided", 64.0),
        Col::num("Completion", 74.0),
        Col::num("Median time per decision", 120.0),
        Col::num("Decided in bulk", CONTENT_W - 672.0),
    ]);
    for r in &b.reviewers {
        let bulk = if r.bulk_share.is_finite() {
            format!("{:.1}%", (r.bulk_share * 100.0).clamp(0.0, 100.0))
        } else {
            "—".into()
        };
        w.table_row(&[
            &r.name,
            &r.upn,
            &r.assigned.to_string(),
            &r.decided.to_string(),
            &percent(u64::from(r.decided), u64::from(r.assigned)),
            &duration(r.median_seconds),
            &bulk,
        ]);
    }
    if b.reviewers.is_empty() {
        w.table_row(&["No reviewers."]);
    }
    w.table_end();
}

// ---- remediation ------------------------------------------------------------------------------

fn remediation(w: &mut Writer, b: &Binder) {
    w.section(
        "Remediation log",
        "Each removal as sent to Microsoft Graph, with Graph's request id, the result, and the \
         verification made afterwards by reading the tenant again.",
    );
    if b.remediation.is_empty() {
        w.paragraph("No removal was needed.", 9.0, INK);
        return;
    }
    w.table_start(vec![
        Col::num("Item", 30.0),
        Col::wrap("Principal", 96.0, 2),
        Col::wrap("Role", 104.0, 2),
        // "remove the eligible assignment": whole, on up to three lines.
        Col::wrap("Action", 60.0, 3),
        Col::mono("Graph request id", 180.0),
        Col::text("Submitted (UTC)", 84.0),
        Col::text("Result", 50.0),
        Col::text("Verified", 72.0),
        Col::text("Verified at (UTC)", 84.0),
    ]);
    for r in &b.remediation {
        w.table_row(&[
            &r.item_id.to_string(),
            &r.principal,
            &r.role,
            &r.action,
            &r.request_id,
            short_time(&r.submitted_at),
            &r.result,
            or_dash(&r.verified),
            short_time(&r.verified_at),
        ]);
    }
    w.table_end();
    // A removal read again more than once, or whose access came back: its whole history, so the
    // latest result above is never the only one an auditor sees.
    let told: Vec<&crate::model::RemediationEntry> = b
        .remediation
        .iter()
        .filter(|r| r.history.len() > 1 || r.history.iter().any(|h| h.result != "verified-removed"))
        .collect();
    if told.is_empty() {
        return;
    }
    w.heading("Verification history (removals read again more than once, or not removed)");
    w.table_start(vec![
        Col::num("Item", 30.0),
        Col::wrap("Principal", 120.0, 2),
        Col::wrap("Role", 130.0, 2),
        Col::wrap("Every verification in order (UTC)", CONTENT_W - 280.0, 6),
    ]);
    for r in told {
        let history = r
            .history
            .iter()
            .map(|h| format!("{} {}", short_time(&h.at), h.result))
            .collect::<Vec<_>>()
            .join(" → ");
        w.table_row(&[&r.item_id.to_string(), &r.principal, &r.role, &history]);
    }
    w.table_end();
}

// ---- exceptions -------------------------------------------------------------------------------

// ---- audit trail ------------------------------------------------------------------------------

fn audit_trail(w: &mut Writer, b: &Binder) {
    let a = &b.audit;
    w.section(
        "Audit chain",
        "Every state change is an event in an append-only log, each event hashing the one before \
         it. The head hash fixes the whole log as it stood when this binder was generated.",
    );
    w.field("Audit chain head (SHA-256)", &a.head_hash, Style::Mono);
    w.field("Events in the log", &a.events.to_string(), Style::Regular);
    w.field(
        "Chain check at export",
        if a.chain_intact {
            "intact: every event's hash recomputed and matched"
        } else {
            "BROKEN: the log was altered"
        },
        Style::Regular,
    );
    w.heading(&format!("This campaign's events ({})", a.campaign_events.len()));
    w.table_start(vec![
        Col::num("#", 44.0),
        Col::wrap("Event (time · actor · kind)", CONTENT_W - 44.0, 3),
    ]);
    for (i, e) in a.campaign_events.iter().enumerate() {
        w.table_row(&[&(i + 1).to_string(), e]);
    }
    w.table_end();
}

// ---- sign-off ---------------------------------------------------------------------------------

fn sign_off(w: &mut Writer, b: &Binder, hash: &str, fingerprint: Option<&str>) {
    w.section("Sign-off", "");
    let statement = if b.sign_off_statement.trim().is_empty() {
        "No statement of meaning was recorded."
    } else {
        b.sign_off_statement.as_str()
    };
    w.heading("Statement of meaning");
    w.paragraph(statement, 10.5, INK);
    w.gap(8.0);
    w.field("Campaign", &format!("{} (id {})", b.campaign.name, b.campaign.id), Style::Regular);
    w.field("Evidence hash (SHA-256)", hash, Style::Mono);
    w.field("Audit chain head", &b.audit.head_hash, Style::Mono);
    w.field("Signing key (Ed25519)", fingerprint.unwrap_or("not signed"), Style::Mono);
    w.gap(14.0);

    crate::signoffs::recorded(w, b);
    // Lines to sign by hand only for what this version still lacks.
    let unsigned = crate::signoffs::unsigned(b);
    let blocks: Vec<(&str, &str)> = if b.signatories.is_empty() {
        unsigned.iter().map(|c| (*c, "")).collect()
    } else {
        b.signatories.iter().map(|s| (s.role.as_str(), s.name.as_str())).collect()
    };
    let fonts = w.fonts;
    let col_w = (CONTENT_W - 40.0) / 2.0;
    for pair in blocks.chunks(2) {
        w.ensure(120.0);
        let top = w.y;
        for (i, (role, name)) in pair.iter().enumerate() {
            let x = LEFT + i as f32 * (col_w + 40.0);
            let role = clean(role);
            let (size, role) = shrink_or_wrap(fonts, Style::Bold, &role, 10.0, 5.0, col_w);
            let page = w.page();
            for (k, line) in role.iter().enumerate() {
                let y = top - 10.0 - k as f32 * size * 1.2;
                page.text(fonts, Style::Bold, size, x, y, line, INK);
            }
            let rows = [("Name", *name), ("Title", ""), ("Date", ""), ("Signature", "")];
            for (j, (label, value)) in rows.iter().enumerate() {
                // The signature line gets more room above it than the others.
                let y = top - 40.0 - j as f32 * 26.0 - if j == 3 { 14.0 } else { 0.0 };
                page.text(fonts, Style::Regular, 8.5, x, y, label, MUTED);
                page.line((x + 70.0, y - 2.0), (x + col_w, y - 2.0), 0.6, INK);
                if !value.is_empty() {
                    let value = clean(value);
                    let (size, value) =
                        shrink_or_wrap(fonts, Style::Regular, &value, 10.0, 5.0, col_w - 76.0);
                    for (k, line) in value.iter().enumerate() {
                        let y = y + 1.0 + (value.len() - 1 - k) as f32 * size * 1.2;
                        page.text(fonts, Style::Regular, size, x + 74.0, y, line, INK);
                    }
                }
            }
        }
        w.y = top - 40.0 - 4.0 * 26.0 - 24.0;
    }
}
