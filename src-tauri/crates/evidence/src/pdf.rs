//! The population summary PDF, and what every PDF here shares: the fixed document id and the
//! metadata date. Layout for the summary: a header block, then the per-role table across pages
//! with its header repeated and `Page N of M` computed in a first pagination pass.

use std::io::Write;

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
#[cfg(test)]
pub(crate) fn fix_document_id(bytes: &mut [u8]) {
    if let Some(at) = id_at(bytes) {
        let digest = Sha256::digest(&bytes[..at]);
        set_id(&mut bytes[at..], &digest);
    }
}

/// Where the trailer's `/ID[(` is in `bytes`, if its pair has the form printpdf writes.
fn id_at(bytes: &[u8]) -> Option<usize> {
    let at = bytes.windows(5).rposition(|w| w == b"/ID[(")?;
    let (first, second) = (at + 5, at + 5 + ID_HALF + 2);
    let well_formed = bytes.len() >= second + ID_HALF + 2
        && &bytes[first + ID_HALF..first + ID_HALF + 2] == b")("
        && &bytes[second + ID_HALF..second + ID_HALF + 2] == b")]";
    well_formed.then_some(at)
}

const ID_HALF: usize = 32;

/// Writes both halves of the pair that starts `trailer` (at its `/ID[(`) from `digest`.
fn set_id(trailer: &mut [u8], digest: &[u8]) {
    let hex = hex::encode_upper(digest);
    let id = &hex.as_bytes()[..ID_HALF];
    let (first, second) = (5, 5 + ID_HALF + 2);
    trailer[first..first + ID_HALF].copy_from_slice(id);
    trailer[second..second + ID_HALF].copy_from_slice(id);
}

/// `fix_document_id` while the file is written: bytes pass through to `out` as they come,
/// hashed on the way, except the last `tail` bytes, held back until the end because the
/// trailer with its id is among them.
pub(crate) struct DocumentId<'a> {
    out: &'a mut dyn Write,
    sha: Sha256,
    held: Vec<u8>,
    tail: usize,
}

impl<'a> DocumentId<'a> {
    pub(crate) fn new(out: &'a mut dyn Write, tail: usize) -> DocumentId<'a> {
        DocumentId { out, sha: Sha256::new(), held: Vec::with_capacity(2 * tail), tail }
    }

    /// Sets the id in the held tail and writes it.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        if let Some(at) = id_at(&self.held) {
            self.sha.update(&self.held[..at]);
            let digest = self.sha.finalize();
            set_id(&mut self.held[at..], &digest);
        }
        self.out.write_all(&self.held)
    }
}

impl Write for DocumentId<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.held.extend_from_slice(buf);
        if self.held.len() >= 2 * self.tail {
            let pass = self.held.len() - self.tail;
            self.sha.update(&self.held[..pass]);
            self.out.write_all(&self.held[..pass])?;
            self.held.drain(..pass);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
    fn the_id_set_while_writing_is_the_id_set_on_the_whole_file() {
        let mut file = b"%PDF-1.7\n".repeat(500);
        file.extend_from_slice(b"trailer<</ID[(");
        file.extend_from_slice(&[b'r'; ID_HALF]);
        file.extend_from_slice(b")(");
        file.extend_from_slice(&[b's'; ID_HALF]);
        file.extend_from_slice(b")]>>\nstartxref\n9\n%%EOF");
        let mut whole = file.clone();
        fix_document_id(&mut whole);
        assert_ne!(whole, file, "the id is replaced");
        let mut written = Vec::new();
        let mut writer = DocumentId::new(&mut written, 200);
        for chunk in file.chunks(7) {
            writer.write_all(chunk).expect("written");
        }
        writer.finish().expect("finished");
        assert!(written == whole, "the same bytes");
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
