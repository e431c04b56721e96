//! The population summary PDF, and what every PDF here shares: the fixed document id and the
//! metadata date. Layout for the summary: a header block, then the per-role table across pages
//! with its header repeated and `Page N of M` computed in a first pagination pass.

use printpdf::{Date, DateTime, Offset, PdfDocument, Time};
use sha2::{Digest, Sha256};

use crate::canvas::{Canvas, INK};
use crate::fonts::{Fonts, Style, clean};
use crate::{EvidenceError, PopulationReport};

const PAGE_W: f32 = 595.28; // A4 portrait, in points
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const ROW_H: f32 = 16.0;

/// Renders the population summary: a header block, then the per-role table across pages.
pub fn population_pdf(report: &PopulationReport) -> Result<Vec<u8>, EvidenceError> {
    let mut doc = PdfDocument::new("Recert population summary");
    let fonts = Fonts::population(&mut doc)?;
    let (regular, bold) = (Style::Regular, Style::Bold);

    let header_lines = [
        format!("Tenant: {} ({})", report.tenant_name, report.tenant_guid),
        format!("Population pulled at: {}", report.pulled_at),
        format!("Generated at: {} by {}", report.generated_at, report.generator),
        "SHA-256 of the raw Graph responses:".to_string(),
        format!("    {}", report.raw_sha256),
    ];
    let first_table_top = PAGE_H - MARGIN - 40.0 - header_lines.len() as f32 * 14.0 - 16.0;
    let other_table_top = PAGE_H - MARGIN;
    let bottom = MARGIN + 24.0;
    let rows_on = |top: f32| (((top - bottom) / ROW_H).floor() as usize).saturating_sub(1).max(1);

    // Pass 1: how many rows fit on each page, so every footer can say "of M".
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut top = first_table_top;
    loop {
        let end = (start + rows_on(top)).min(report.rows.len());
        chunks.push((start, end, top));
        if end >= report.rows.len() {
            break;
        }
        start = end;
        top = other_table_top;
    }
    let total_pages = chunks.len();

    let col_x = [MARGIN, PAGE_W - MARGIN - 150.0, PAGE_W - MARGIN - 70.0];
    let role_width = col_x[1] - col_x[0] - 8.0;
    let mut pages = Vec::with_capacity(total_pages);
    let f = &fonts;
    for (page_index, (start, end, top)) in chunks.into_iter().enumerate() {
        let mut page = Canvas::new(PAGE_W, PAGE_H);
        if page_index == 0 {
            let title = "Privileged role population";
            page.text(f, bold, 18.0, MARGIN, PAGE_H - MARGIN - 18.0, title, INK);
            for (i, line) in header_lines.iter().enumerate() {
                let y = PAGE_H - MARGIN - 40.0 - i as f32 * 14.0;
                let line = clean(line);
                let size = f.shrink(regular, &line, 9.0, 4.0, PAGE_W - 2.0 * MARGIN);
                page.text(f, regular, size, MARGIN, y, &line, INK);
            }
        }
        let mut y = top - ROW_H;
        // Numbers are right-aligned on the column's right edge so digits line up.
        page.text(f, bold, 9.5, col_x[0], y, "Role", INK);
        for (edge, label) in [(col_x[1] + 50.0, "Eligible"), (col_x[2] + 50.0, "Active")] {
            page.text_right(f, bold, 9.5, edge, y, label, INK);
        }
        for row in &report.rows[start..end] {
            y -= ROW_H;
            // Set smaller rather than cut, so every role name is whole.
            let role = clean(&row.role);
            let size = f.shrink(regular, &role, 9.0, 3.0, role_width);
            page.text(f, regular, size, col_x[0], y, &role, INK);
            for (edge, n) in [(col_x[1] + 50.0, row.eligible), (col_x[2] + 50.0, row.active)] {
                page.text_right(f, regular, 9.0, edge, y, &n.to_string(), INK);
            }
        }
        let footer = format!("Page {} of {}", page_index + 1, total_pages);
        page.text_right(f, regular, 8.0, PAGE_W - MARGIN, MARGIN, &footer, INK);
        pages.push(page);
    }
    crate::canvas::save(doc, &fonts, pages)
}

/// printpdf writes a random `/ID` pair into the trailer. Replace both halves, in place and with
/// the same length so no offset moves, by a digest of everything before the trailer: the same
/// content then gives the same file, and different content a different id.
pub(crate) fn fix_document_id(bytes: &mut [u8]) {
    const HALF: usize = 32;
    let Some(at) = bytes.windows(5).rposition(|w| w == b"/ID[(") else { return };
    let (first, second) = (at + 5, at + 5 + HALF + 2);
    let well_formed = bytes.len() >= second + HALF + 2
        && &bytes[first + HALF..first + HALF + 2] == b")("
        && &bytes[second + HALF..second + HALF + 2] == b")]";
    if !well_formed {
        return;
    }
    let digest = hex::encode_upper(Sha256::digest(&bytes[..at]));
    let id = &digest.as_bytes()[..HALF];
    bytes[first..first + HALF].copy_from_slice(id);
    bytes[second..second + HALF].copy_from_slice(id);
}

/// The PDF's metadata dates, from the Binder's `generated_at` (`YYYY-MM-DD HH:MM:SS…`), so
/// they say when the evidence was generated rather than when the file was written. Anything
/// unparseable gives the epoch: the date is informational, the hash is what counts.
pub(crate) fn pdf_date(text: &str) -> DateTime {
    let num = |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<u16>().ok());
    let parsed = (|| {
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let valid = (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && hour < 24
            && minute < 60
            && second < 61;
        valid.then_some((year, month, day, hour, minute, second))
    })();
    let (year, month, day, hour, minute, second) = parsed.unwrap_or((1970, 1, 1, 0, 0, 0));
    DateTime {
        date: Date { year: i32::from(year), month: month as u8, day: day as u8 },
        time: Time { hour: hour as u8, minute: minute as u8, second: second as u8, millisecond: 0 },
        offset: Offset { hours: 0, minutes: 0, seconds: 0, milliseconds: 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RoleRow;

    fn report(rows: usize) -> PopulationReport {
        PopulationReport {
            tenant_name: "Contoso (demo)".into(),
            tenant_guid: "00000000-0000-0000-0000-000000000001".into(),
            pulled_at: "2026-03-31T12:00:00Z".into(),
            generated_at: "2026-03-31T12:05:00Z".into(),
            raw_sha256: "ab".repeat(32),
            generator: "Recert test".into(),
            rows: (0..rows)
                .map(|i| RoleRow {
                    role: format!("Role {i} Ωμέγα Жук"),
                    eligible: i as u32,
                    active: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn output_is_deterministic_and_paginates() {
        let small = population_pdf(&report(3)).expect("render");
        // Compare digests: a failing assert_eq on the raw bytes would print megabytes.
        let again = population_pdf(&report(3)).expect("render again");
        assert!(small == again, "same input, same bytes");
        let other = population_pdf(&PopulationReport { raw_sha256: "cd".repeat(32), ..report(3) });
        assert!(other.expect("render") != small, "different input, different bytes");
        assert!(small.starts_with(b"%PDF-"));
        let big = population_pdf(&report(200)).expect("render");
        let page_count = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            let at = text.find("/Type/Pages/Count ").expect("a page tree") + 18;
            text[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse::<usize>().ok())
        };
        assert_eq!(page_count(&small), Some(1));
        assert_eq!(page_count(&big), Some(5), "200 rows at ~45 a page, the first page shorter");
    }
}
