//! The embedded fonts and text measuring: which face draws each character (per-glyph fallback),
//! how wide a string is, and how to cut or wrap it to a width.
//!
//! printpdf's operation API has no fallback and no measuring, so both live here. Widths are sums
//! of `hmtx` advances (no kerning, no shaping), which is exact for what we draw because we draw
//! every run with exactly these glyphs.

use std::borrow::Cow;
use std::cell::{RefCell, RefMut};
use std::collections::BTreeSet;

use printpdf::{FontId, ParsedFont, PdfDocument, PdfFont};

use crate::EvidenceError;

/// DejaVu has no CJK; Droid Sans Fallback (Apache-2.0, vendored with its licence) fills the gap.
const CJK_FONT: &[u8] = include_bytes!("../fonts/DroidSansFallbackFull.ttf");
/// Droid Sans Fallback has no Hangul syllables; NanumGothic (OFL-1.1, vendored with its
/// licence) draws Korean.
const HANGUL_FONT: &[u8] = include_bytes!("../fonts/NanumGothic.ttf");
/// None of the above has Devanagari (Hindi names drew as blanks); Noto Sans Devanagari (OFL-1.1,
/// vendored with its licence) does. Unshaped like every run here: the letters are all there and
/// extract as typed, though vowel signs sit in typing order.
const DEVANAGARI_FONT: &[u8] = include_bytes!("../fonts/NotoSansDevanagari-Regular.ttf");
/// Nor Thai (names drew as boxes); Noto Sans Thai (OFL-1.1, vendored with its licence) does.
/// Its vowel and tone marks have no advance, so they sit over the consonant before them.
const THAI_FONT: &[u8] = include_bytes!("../fonts/NotoSansThai-Regular.ttf");

/// Characters below this get their advance from a table built once per face: table cells are
/// mostly Latin, and a cmap lookup per character would dominate a 100,000-row binder.
const TABLE_CHARS: usize = 0x0800;

/// One embedded face.
pub(crate) struct Face {
    pub(crate) id: FontId,
    parsed: ParsedFont,
    units_per_em: f32,
    /// Advance in em for each char below `TABLE_CHARS`; negative when the face lacks the glyph.
    table: Vec<f32>,
}

impl Face {
    /// Registers the font under a fixed id. printpdf's own ids are random per call, and the id's
    /// first six letters become the subset tag in the file, so fixed ids keep output reproducible.
    fn load(
        doc: &mut PdfDocument,
        id: &str,
        name: &'static str,
        bytes: &[u8],
    ) -> Result<Face, EvidenceError> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| EvidenceError::Font { name, message: format!("{warnings:?}") })?;
        let id = FontId(id.to_string());
        doc.resources.fonts.map.insert(id.clone(), PdfFont::new(parsed.clone()));
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
        let mut face = Face { id, parsed, units_per_em, table: Vec::new() };
        face.table = (0..TABLE_CHARS as u32)
            .map(|c| char::from_u32(c).and_then(|c| face.lookup(c)).unwrap_or(-1.0))
            .collect();
        Ok(face)
    }

    /// Advance of `c` in em, or `None` when the face has no glyph for it.
    fn lookup(&self, c: char) -> Option<f32> {
        let glyph = self.parsed.lookup_glyph_index(c as u32).filter(|&g| g != 0)?;
        let units = self.parsed.get_glyph_width_internal(glyph).unwrap_or(0);
        Some(units as f32 / self.units_per_em)
    }

    /// Width of `c` in thousandths of an em as the embedded font's `/W` array gives it
    /// (printpdf truncates); `.notdef`'s for a character the face lacks.
    pub(crate) fn pdf_width(&self, c: char) -> i64 {
        let glyph = self.parsed.lookup_glyph_index(c as u32).unwrap_or(0);
        let units = self.parsed.get_glyph_width_internal(glyph).unwrap_or(0);
        (units as f32 * (1000.0 / self.units_per_em)) as i64
    }

    fn advance(&self, c: char) -> Option<f32> {
        match self.table.get(c as usize) {
            Some(&w) if w >= 0.0 => Some(w),
            Some(_) => None,
            None => self.lookup(c),
        }
    }
}

/// The text styles the documents use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Regular,
    Bold,
    /// Hashes and request ids: fixed width so they can be compared by eye, column by column.
    Mono,
}

/// Index of a face in `Fonts::faces`.
pub(crate) type FaceIx = usize;

const REGULAR: FaceIx = 0;
const BOLD: FaceIx = 1;
const MONO: FaceIx = 2;
const WIDE: FaceIx = 3;
const CJK: FaceIx = 4;
const HANGUL: FaceIx = 5;
const DEVANAGARI: FaceIx = 6;
const THAI: FaceIx = 7;
/// Where a character the style's face lacks is looked for, in order.
const FALLBACKS: [FaceIx; 6] = [REGULAR, WIDE, CJK, HANGUL, DEVANAGARI, THAI];
const REPLACEMENT: char = '\u{FFFD}';

/// All faces of one document, in a fixed order.
pub(crate) struct Fonts {
    faces: Vec<Face>,
    /// The characters each face has drawn so far: the fonts are subset to them.
    used: RefCell<Used>,
}

/// Characters drawn per face: a bit per character below `TABLE_CHARS`, a set above.
pub(crate) struct Used {
    low: Vec<Vec<u64>>,
    high: Vec<BTreeSet<char>>,
}

impl Used {
    fn new(faces: usize) -> Used {
        Used { low: vec![vec![0; TABLE_CHARS / 64]; faces], high: vec![BTreeSet::new(); faces] }
    }

    pub(crate) fn mark(&mut self, face: FaceIx, c: char) {
        let n = c as usize;
        match self.low.get_mut(face) {
            Some(bits) if n < TABLE_CHARS => bits[n / 64] |= 1 << (n % 64),
            Some(_) => {
                self.high[face].insert(c);
            }
            None => {}
        }
    }

    /// Each face's characters in ascending order.
    pub(crate) fn chars(&self) -> Vec<Vec<char>> {
        self.low
            .iter()
            .zip(&self.high)
            .map(|(bits, high)| {
                let low = (0..TABLE_CHARS)
                    .filter(|&n| bits[n / 64] & (1 << (n % 64)) != 0)
                    .filter_map(|n| char::from_u32(n as u32));
                low.chain(high.iter().copied()).collect()
            })
            .collect()
    }
}

impl Fonts {
    /// The binder's faces: DejaVu Sans Condensed (tables need the width), its bold, DejaVu Sans
    /// Mono, DejaVu Sans (a few scripts the condensed face lacks, e.g. Arabic), the CJK face, the
    /// Hangul face, the Devanagari face and the Thai face.
    pub(crate) fn binder(doc: &mut PdfDocument) -> Result<Fonts, EvidenceError> {
        // Subset tags are the ids' first six letters; fixed, distinct ids per face.
        let faces = vec![
            Face::load(doc, "RCRTCA", "DejaVu Sans Condensed", dejavu::sans_condensed::regular())?,
            Face::load(
                doc,
                "RCRTCB",
                "DejaVu Sans Condensed Bold",
                dejavu::sans_condensed::bold(),
            )?,
            Face::load(doc, "RCRTMA", "DejaVu Sans Mono", dejavu::sans_mono::regular())?,
            Face::load(doc, "RCRTSA", "DejaVu Sans", dejavu::sans::regular())?,
            Face::load(doc, "RCRTJA", "Droid Sans Fallback", CJK_FONT)?,
            Face::load(doc, "RCRTKA", "NanumGothic", HANGUL_FONT)?,
            Face::load(doc, "RCRTDA", "Noto Sans Devanagari", DEVANAGARI_FONT)?,
            Face::load(doc, "RCRTTA", "Noto Sans Thai", THAI_FONT)?,
        ];
        Ok(Fonts::new(faces))
    }

    fn new(faces: Vec<Face>) -> Fonts {
        let used = RefCell::new(Used::new(faces.len()));
        Fonts { faces, used }
    }

    /// The record of characters drawn, to add to.
    pub(crate) fn used(&self) -> RefMut<'_, Used> {
        self.used.borrow_mut()
    }

    /// The population summary's faces: DejaVu Sans and its bold, as it always had.
    pub(crate) fn population(doc: &mut PdfDocument) -> Result<Fonts, EvidenceError> {
        let regular = Face::load(doc, "RCRTSA", "DejaVu Sans", dejavu::sans::regular())?;
        let bold = Face::load(doc, "RCRTSB", "DejaVu Sans Bold", dejavu::sans::bold())?;
        Ok(Fonts::new(vec![regular, bold]))
    }

    pub(crate) fn face(&self, ix: FaceIx) -> &Face {
        // Indices come from `pick`, which only returns faces that exist.
        &self.faces[ix.min(self.faces.len() - 1)]
    }

    /// The face that draws `c` in `style`, and its advance in em: the style's own face, else the
    /// first fallback that has it. A character no face has is measured as the replacement mark
    /// `drawable` turns it into, so layout never fails on it.
    pub(crate) fn pick(&self, style: Style, c: char) -> (FaceIx, f32) {
        self.find(style, c)
            .or_else(|| self.find(style, REPLACEMENT))
            .unwrap_or((REGULAR, self.faces[REGULAR].advance(' ').unwrap_or(0.3)))
    }

    fn find(&self, style: Style, c: char) -> Option<(FaceIx, f32)> {
        let first = match style {
            Style::Regular => REGULAR,
            Style::Bold => BOLD,
            Style::Mono => MONO,
        }
        .min(self.faces.len() - 1);
        std::iter::once(first)
            .chain(FALLBACKS)
            .find_map(|ix| self.faces.get(ix).and_then(|f| f.advance(c)).map(|w| (ix, w)))
    }

    /// `c`, or U+FFFD when no face has it: a `.notdef` box would be drawn with a width the
    /// layout did not measure, pushing the rest of its line out of place, and a reader could not
    /// tell it from a real glyph.
    pub(crate) fn drawable(&self, style: Style, c: char) -> char {
        if self.find(style, c).is_some() { c } else { REPLACEMENT }
    }

    pub(crate) fn width(&self, style: Style, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.pick(style, c).1).sum::<f32>() * size
    }

    /// `s` cut with an ellipsis to fit `max` points.
    pub(crate) fn fit<'a>(&self, style: Style, s: &'a str, size: f32, max: f32) -> Cow<'a, str> {
        let limit = max / size;
        let mut used = 0.0;
        let ellipsis = self.pick(style, '…').1;
        // Where the text would be cut if it does not fit whole.
        let mut cut = None;
        for (at, c) in s.char_indices() {
            used += self.pick(style, c).1;
            if cut.is_none() && used + ellipsis > limit {
                cut = Some(at);
            }
            if used > limit {
                let at = cut.unwrap_or(at);
                let mut out = String::with_capacity(at + 3);
                out.push_str(s[..at].trim_end());
                out.push('…');
                return Cow::Owned(out);
            }
        }
        Cow::Borrowed(s)
    }

    /// `s` broken at spaces into lines of at most `max` points; a word longer than a line is
    /// broken anywhere. At most `max_lines` lines: the last one ends in an ellipsis if text was
    /// left over.
    pub(crate) fn wrap(
        &self,
        style: Style,
        s: &str,
        size: f32,
        max: f32,
        max_lines: usize,
    ) -> Vec<String> {
        let limit = max / size;
        let mut lines: Vec<String> = Vec::new();
        for paragraph in s.split('\n') {
            let mut line = String::new();
            let mut used = 0.0;
            for word in paragraph.split(' ') {
                let word_w: f32 = word.chars().map(|c| self.pick(style, c).1).sum();
                let space = if line.is_empty() { 0.0 } else { self.pick(style, ' ').1 };
                if used + space + word_w <= limit {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                    used += space + word_w;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    used = 0.0;
                }
                for c in word.chars() {
                    let w = self.pick(style, c).1;
                    if used + w > limit && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        used = 0.0;
                    }
                    line.push(c);
                    used += w;
                }
            }
            lines.push(line);
            if lines.len() > max_lines {
                break;
            }
        }
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                let mut cut = self.fit(style, last, size, max).into_owned();
                if !cut.ends_with('…') {
                    // The line fits, but text follows it: mark the cut, making room if needed.
                    cut.push('…');
                    cut = self.fit(style, &cut, size, max).into_owned();
                }
                *last = cut;
            }
        }
        lines
    }
}

/// Text made safe to draw: control characters (newlines, tabs, escapes) become spaces, and
/// bidirectional overrides become a visible replacement mark, so a hostile name can neither
/// break the layout nor reorder what the reader sees. The CSV and JSON keep the raw text.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() || is_bidi_control(c);
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if is_bidi_control(c) {
                    '\u{FFFD}'
                } else if c.is_control() {
                    ' '
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Like `clean`, but keeps line breaks, for text that is wrapped rather than cut.
pub(crate) fn clean_multiline(s: &str) -> Cow<'_, str> {
    let bad = |c: char| (c.is_control() && c != '\n') || is_bidi_control(c);
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let s = s.replace("\r\n", "\n");
    Cow::Owned(
        s.chars()
            .map(|c| {
                if is_bidi_control(c) {
                    '\u{FFFD}'
                } else if c.is_control() && c != '\n' {
                    ' '
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Embeddings, overrides and isolates, and the direction marks (LRM, RLM, ALM): in a name
/// they could reorder the text around them, so each is shown as U+FFFD where it stood.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}
