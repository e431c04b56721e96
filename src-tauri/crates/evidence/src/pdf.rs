//! PDF layout with printpdf's operation API: embedded DejaVu fonts, a repeated table header, and
//! `Page N of M` computed in a first pagination pass.

use printpdf::{
    FontId, Mm, Op, ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, TextItem,
};
use sha2::{Digest, Sha256};

use crate::{EvidenceError, PopulationReport};

const PAGE_W: f32 = 595.28; // A4 portrait, in points
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const ROW_H: f32 = 16.0;

struct Font {
    id: FontId,
    parsed: ParsedFont,
}

impl Font {
    /// Registers the font under a fixed id. printpdf's own ids are random per call, and the id's
    /// first six letters become the subset tag in the file, so fixed ids keep output reproducible.
    fn load(
        doc: &mut PdfDocument,
        id: &str,
        name: &'static str,
        bytes: &[u8],
    ) -> Result<Font, EvidenceError> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| EvidenceError::Font { name, message: format!("{warnings:?}") })?;
        let id = FontId(id.to_string());
        doc.resources.fonts.map.insert(id.clone(), PdfFont::new(parsed.clone()));
        Ok(Font { id, parsed })
    }

    /// Width of `text` at `size`, from the glyph advances (no kerning; enough for tables).
    fn width(&self, text: &str, size: f32) -> f32 {
        let units = f32::from(self.parsed.pdf_font_metrics.units_per_em.max(1));
        text.chars()
            .map(|c| {
                let glyph = self.parsed.lookup_glyph_index(c as u32).unwrap_or(0);
                self.parsed.get_glyph_width_internal(glyph).unwrap_or(0) as f32
            })
            .sum::<f32>()
            * size
            / units
    }

    /// `text` cut with an ellipsis to fit `max` points.
    fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_string();
        }
        let mut out = String::new();
        for c in text.chars() {
            out.push(c);
            if self.width(&out, size) + self.width("…", size) > max {
                out.pop();
                break;
            }
        }
        out.push('…');
        out
    }
}

fn text(ops: &mut Vec<Op>, font: &Font, size: f32, x: f32, y: f32, s: &str) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont { font: PdfFontHandle::External(font.id.clone()), size: Pt(size) });
    ops.push(Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(y) } });
    ops.push(Op::ShowText { items: vec![TextItem::Text(s.to_string())] });
    ops.push(Op::EndTextSection);
}

/// Renders the population summary: a header block, then the per-role table across pages.
pub fn population_pdf(report: &PopulationReport) -> Result<Vec<u8>, EvidenceError> {
    let mut doc = PdfDocument::new("Recert population summary");
    let regular = Font::load(&mut doc, "RCRTSA", "DejaVu Sans", dejavu::sans::regular())?;
    let bold = Font::load(&mut doc, "RCRTSB", "DejaVu Sans Bold", dejavu::sans::bold())?;

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
    for (page_index, (start, end, top)) in chunks.into_iter().enumerate() {
        let mut ops = Vec::new();
        if page_index == 0 {
            text(
                &mut ops,
                &bold,
                18.0,
                MARGIN,
                PAGE_H - MARGIN - 18.0,
                "Privileged role population",
            );
            for (i, line) in header_lines.iter().enumerate() {
                let y = PAGE_H - MARGIN - 40.0 - i as f32 * 14.0;
                text(
                    &mut ops,
                    &regular,
                    9.0,
                    MARGIN,
                    y,
                    &regular.fit(line, 9.0, PAGE_W - 2.0 * MARGIN),
                );
            }
        }
        let mut y = top - ROW_H;
        // Numbers are right-aligned on the column's right edge so digits line up.
        let right = |font: &Font, size: f32, edge: f32, s: &str| edge - font.width(s, size);
        text(&mut ops, &bold, 9.5, col_x[0], y, "Role");
        for (edge, label) in [(col_x[1] + 50.0, "Eligible"), (col_x[2] + 50.0, "Active")] {
            text(&mut ops, &bold, 9.5, right(&bold, 9.5, edge, label), y, label);
        }
        for row in &report.rows[start..end] {
            y -= ROW_H;
            text(&mut ops, &regular, 9.0, col_x[0], y, &regular.fit(&row.role, 9.0, role_width));
            for (edge, n) in [(col_x[1] + 50.0, row.eligible), (col_x[2] + 50.0, row.active)] {
                let n = n.to_string();
                text(&mut ops, &regular, 9.0, right(&regular, 9.0, edge, &n), y, &n);
            }
        }
        let footer = format!("Page {} of {}", page_index + 1, total_pages);
        let footer_x = PAGE_W - MARGIN - regular.width(&footer, 8.0);
        text(&mut ops, &regular, 8.0, footer_x, MARGIN, &footer);
        pages.push(PdfPage::new(Mm::from(Pt(PAGE_W)), Mm::from(Pt(PAGE_H)), ops));
    }
    let mut warnings = Vec::new();
    let options = PdfSaveOptions { subset_fonts: true, ..Default::default() };
    let mut bytes = doc.with_pages(pages).save(&options, &mut warnings);
    fix_document_id(&mut bytes);
    Ok(bytes)
}

/// printpdf writes a random `/ID` pair into the trailer. Replace both halves, in place and with
/// the same length so no offset moves, by a digest of everything before the trailer: the same
/// content then gives the same file, and different content a different id.
fn fix_document_id(bytes: &mut [u8]) {
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
