//! The embedded fonts and text measuring: which face draws each character (per-glyph fallback),
//! how complex scripts are shaped, how wide a string is, and how to wrap or shrink it to a width.
//!
//! printpdf's operation API has no fallback and no measuring, so both live here. Text in a
//! complex script (Arabic, Hebrew, Devanagari, Thai) is shaped with rustybuzz: joining forms,
//! conjuncts, reordered vowel signs and mark positions come from the font's own OpenType
//! tables, and the glyphs are drawn exactly as the shaper placed them. Other text is one glyph
//! per character, its width the sum of `hmtx` advances; both are exact for what we draw.

use std::borrow::Cow;
use std::cell::{RefCell, RefMut};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use unicode_bidi::{BidiClass, BidiInfo, Level, bidi_class};

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
/// mostly Latin, and a cmap lookup per character would dominate a 100,000-row binder. It
/// reaches past Devanagari and Thai, whose names would otherwise be looked up in every face.
const TABLE_CHARS: usize = 0x1000;

/// One embedded face.
pub(crate) struct Face {
    pub(crate) id: FontId,
    parsed: ParsedFont,
    units_per_em: f32,
    /// Advance in em for each char below `TABLE_CHARS`; negative when the face lacks the glyph.
    table: Vec<f32>,
    /// The same font for the shaper; `None` if rustybuzz cannot read it (then runs in this face
    /// are drawn a glyph per character).
    shaper: Option<rustybuzz::Face<'static>>,
}

impl Face {
    /// Registers the font under a fixed id. printpdf's own ids are random per call, and the id's
    /// first six letters become the subset tag in the file, so fixed ids keep output reproducible.
    fn load(
        doc: &mut PdfDocument,
        id: &str,
        name: &'static str,
        bytes: &'static [u8],
    ) -> Result<Face, EvidenceError> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| EvidenceError::Font { name, message: format!("{warnings:?}") })?;
        let id = FontId(id.to_string());
        doc.resources.fonts.map.insert(id.clone(), PdfFont::new(parsed.clone()));
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
        let shaper = rustybuzz::Face::from_slice(bytes, 0);
        let mut face = Face { id, parsed, units_per_em, table: Vec::new(), shaper };
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
        self.pdf_glyph_width(glyph)
    }

    /// Width of glyph `glyph` as the embedded font's `/W` array gives it.
    pub(crate) fn pdf_glyph_width(&self, glyph: u16) -> i64 {
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
    /// Shaped runs by face, direction and text: a name recurs on many rows, shaped once.
    shaped: RefCell<HashMap<ShapeKey, Rc<[Glyph]>>>,
    /// `find` for characters above the faces' tables (CJK, Hangul), by style and character:
    /// each miss would look the character up in one face after another.
    found: RefCell<HashMap<(u8, char), Found>>,
}

/// The face that draws a character and its advance in em, if any face has it.
type Found = Option<(FaceIx, f32)>;

/// A shaped run's face, direction (right to left) and text.
type ShapeKey = (FaceIx, bool, String);

/// One glyph as the shaper placed it; lengths in em.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Glyph {
    pub(crate) id: u16,
    pub(crate) advance: f32,
    pub(crate) dx: f32,
    pub(crate) dy: f32,
    /// Byte offset of its cluster in the run's text.
    pub(crate) cluster: u32,
}

/// One run of a line as it is drawn, runs left to right.
pub(crate) enum Run<'a> {
    /// A glyph per character, drawn in this order.
    Chars { face: FaceIx, text: Cow<'a, str> },
    /// Shaped glyphs, left to right, and the text they stand for in typing order (what a
    /// reader copying it gets); `rtl` for a right-to-left run.
    Shaped { face: FaceIx, text: &'a str, glyphs: Rc<[Glyph]>, rtl: bool },
}

impl Run<'_> {
    /// Width in em.
    pub(crate) fn advance(&self, fonts: &Fonts, style: Style) -> f32 {
        match self {
            Run::Chars { text, .. } => text.chars().map(|c| fonts.pick(style, c).1).sum(),
            Run::Shaped { glyphs, .. } => glyphs.iter().map(|g| g.advance).sum(),
        }
    }
}

/// Scripts whose letters change shape or order with their neighbours: Hebrew, Arabic (with
/// Syriac, Thaana, N'Ko and the presentation forms), Devanagari and Thai.
fn is_complex(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{08FF}' | '\u{0900}'..='\u{097F}' | '\u{0E00}'..='\u{0E7F}'
        | '\u{A8E0}'..='\u{A8FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// Joiners and combining marks stay in the run before them, so a face change never splits a
/// letter from its mark or a joiner from what it joins.
fn clings(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}'
        | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

fn is_rtl(c: char) -> bool {
    matches!(bidi_class(c), BidiClass::R | BidiClass::AL)
}

/// Characters drawn per face: a bit per character below `TABLE_CHARS`, a set above.
pub(crate) struct Used {
    low: Vec<Vec<u64>>,
    high: Vec<BTreeSet<char>>,
    /// Glyphs the shaper chose, per face, each with the text of the cluster it first drew (for
    /// the font's ToUnicode map; extraction reads the run's `ActualText`).
    pub(crate) glyphs: Vec<BTreeMap<u16, String>>,
}

impl Used {
    fn new(faces: usize) -> Used {
        Used {
            low: vec![vec![0; TABLE_CHARS / 64]; faces],
            high: vec![BTreeSet::new(); faces],
            glyphs: vec![BTreeMap::new(); faces],
        }
    }

    pub(crate) fn mark_glyph(&mut self, face: FaceIx, glyph: u16, text: &str) {
        if let Some(map) = self.glyphs.get_mut(face) {
            map.entry(glyph).or_insert_with(|| text.to_string());
        }
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
        Fonts {
            faces,
            used,
            shaped: RefCell::new(HashMap::new()),
            found: RefCell::new(HashMap::new()),
        }
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
        if (c as usize) < TABLE_CHARS {
            return self.search(style, c);
        }
        let key = (style as u8, c);
        if let Some(&hit) = self.found.borrow().get(&key) {
            return hit;
        }
        let hit = self.search(style, c);
        self.found.borrow_mut().insert(key, hit);
        hit
    }

    /// The style's own face, else the first fallback, that has `c`.
    fn search(&self, style: Style, c: char) -> Option<(FaceIx, f32)> {
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

    /// `s` as it is drawn: its runs, left to right. Right-to-left runs (Arabic, Hebrew) are put
    /// in visual order by the Unicode bidirectional algorithm in a left-to-right line; runs in
    /// a complex script are shaped; characters no face has become U+FFFD. Plain text, by far
    /// the most common, is one borrowed run per face.
    pub(crate) fn runs<'a>(&self, style: Style, s: &'a str) -> Vec<Run<'a>> {
        let plain = s.chars().all(|c| (c as u32) < 0x0590 || !(is_complex(c) || is_rtl(c)));
        let mut out = Vec::new();
        if plain && s.chars().all(|c| self.find(style, c).is_some()) {
            for (face, text) in self.split(style, s) {
                out.push(Run::Chars { face, text: Cow::Borrowed(text) });
            }
            return out;
        }
        let info = BidiInfo::new(s, Some(Level::ltr()));
        for para in &info.paragraphs {
            let (levels, ranges) = info.visual_runs(para, para.range.clone());
            for range in ranges {
                let rtl = levels[range.start].is_rtl();
                let mut parts = self.split(style, &s[range]);
                if rtl {
                    parts.reverse();
                }
                for (face, text) in parts {
                    out.push(self.run(style, face, text, rtl));
                }
            }
        }
        out
    }

    /// One face's part of a line: shaped if it is in a complex script and the face can be
    /// shaped; else a glyph per character, reversed for right to left, U+FFFD for what no
    /// face has.
    fn run<'a>(&self, style: Style, face: FaceIx, text: &'a str, rtl: bool) -> Run<'a> {
        let complex = text.chars().any(is_complex);
        if let (true, Some(shaper)) = (complex, self.face(face).shaper.as_ref()) {
            let key = (face, rtl, text.to_string());
            let cached = self.shaped.borrow().get(&key).cloned();
            let glyphs = cached.unwrap_or_else(|| {
                let glyphs = shape(shaper, text, rtl);
                self.shaped.borrow_mut().insert(key, glyphs.clone());
                glyphs
            });
            return Run::Shaped { face, text, glyphs, rtl };
        }
        let drawable = |c: char| self.drawable(style, c);
        let text: Cow<'a, str> = if rtl {
            Cow::Owned(text.chars().rev().map(drawable).collect())
        } else if text.chars().any(|c| drawable(c) != c) {
            Cow::Owned(text.chars().map(drawable).collect())
        } else {
            Cow::Borrowed(text)
        };
        Run::Chars { face, text }
    }

    /// `s` split into runs by the face that draws each character, in typing order.
    fn split<'a>(&self, style: Style, s: &'a str) -> Vec<(FaceIx, &'a str)> {
        let mut parts = Vec::new();
        let mut current: Option<(FaceIx, usize)> = None;
        for (at, c) in s.char_indices() {
            let face = match current {
                Some((f, _)) if clings(c) && self.face(f).advance(c).is_some() => f,
                _ => self.pick(style, c).0,
            };
            match current {
                Some((f, _)) if f == face => {}
                Some((f, start)) => {
                    parts.push((f, &s[start..at]));
                    current = Some((face, at));
                }
                None => current = Some((face, at)),
            }
        }
        if let Some((f, start)) = current {
            parts.push((f, &s[start..]));
        }
        parts
    }

    /// Whether `s` measures as the sum of its characters (no complex script to shape), so
    /// its width at any size is its width in em times the size.
    pub(crate) fn is_plain(s: &str) -> bool {
        s.chars().all(|c| (c as u32) < 0x0590 || !is_complex(c))
    }

    /// Width of `s` in em, as drawn.
    pub(crate) fn em(&self, style: Style, s: &str) -> f32 {
        // Only shaped runs measure differently from their characters one by one.
        if s.chars().all(|c| (c as u32) < 0x0590 || !is_complex(c)) {
            return s.chars().map(|c| self.pick(style, c).1).sum();
        }
        self.runs(style, s).iter().map(|r| r.advance(self, style)).sum()
    }

    pub(crate) fn width(&self, style: Style, s: &str, size: f32) -> f32 {
        self.em(style, s) * size
    }

    /// The largest size up to `size`, and no smaller than `min`, at which `s` fits `max`
    /// points on one line: headers shrink rather than lose text.
    pub(crate) fn shrink(&self, style: Style, s: &str, size: f32, min: f32, max: f32) -> f32 {
        let em = self.em(style, s);
        if em * size <= max || em <= 0.0 { size } else { (max / em).max(min) }
    }

    /// `s` broken at spaces into lines of at most `max` points; a word longer than a line is
    /// broken between characters (never between a letter and its mark). Nothing is dropped.
    pub(crate) fn wrap(&self, style: Style, s: &str, size: f32, max: f32) -> Vec<String> {
        let limit = max / size;
        let mut lines: Vec<String> = Vec::new();
        for paragraph in s.split('\n') {
            if self.em(style, paragraph) <= limit {
                lines.push(paragraph.to_string());
                continue;
            }
            let mut line = String::new();
            let mut used = 0.0;
            let space_w = self.pick(style, ' ').1;
            for word in paragraph.split(' ') {
                let word_w = self.em(style, word);
                let space = if line.is_empty() { 0.0 } else { space_w };
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
                }
                if word_w <= limit {
                    line.push_str(word);
                    used = word_w;
                    continue;
                }
                // A word wider than the line: cut it where the next piece would overflow, after
                // the last hyphen, dot, slash or at sign if the piece has one (a UPN breaks as
                // `name@` / `domain`), else between any two characters.
                let mut start = 0;
                let mut piece_w = 0.0;
                let (mut cut, mut soft) = (0, 0);
                for (at, c) in word.char_indices() {
                    let w = self.pick(style, c).1;
                    if at > start && !clings(c) && !is_mark(c) {
                        cut = at;
                    }
                    if piece_w + w > limit && cut > start {
                        let end = if soft > start { soft } else { cut };
                        lines.push(word[start..end].to_string());
                        start = end;
                        piece_w = self.em(style, &word[start..at]);
                    }
                    piece_w += w;
                    if matches!(c, '-' | '.' | '/' | '@' | '_' | ',' | ';') {
                        soft = at + c.len_utf8();
                    }
                }
                line.push_str(&word[start..]);
                used = self.em(style, &line);
            }
            lines.push(line);
        }
        lines
    }
}

/// Combining marks of the complex scripts (vowel signs, viramas, harakat, Thai tone marks):
/// a line is never broken before one.
fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{0591}'..='\u{05C7}' | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}'
        | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0900}'..='\u{0903}'
        | '\u{093A}'..='\u{094F}' | '\u{0951}'..='\u{0957}' | '\u{0962}' | '\u{0963}'
        | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

/// Shapes `text` with `face`: glyphs left to right, as the font's OpenType tables place them.
fn shape(face: &rustybuzz::Face<'static>, text: &str, rtl: bool) -> Rc<[Glyph]> {
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.set_direction(if rtl {
        rustybuzz::Direction::RightToLeft
    } else {
        rustybuzz::Direction::LeftToRight
    });
    let shaped = rustybuzz::shape(face, &[], buffer);
    let em = face.units_per_em().max(1) as f32;
    shaped
        .glyph_infos()
        .iter()
        .zip(shaped.glyph_positions())
        .map(|(info, pos)| Glyph {
            id: info.glyph_id as u16,
            advance: pos.x_advance as f32 / em,
            dx: pos.x_offset as f32 / em,
            dy: pos.y_offset as f32 / em,
            cluster: info.cluster,
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::binder(&mut PdfDocument::new("test")).expect("the fonts load")
    }

    /// The glyph ids the face's cmap gives each character, as an unshaped run would draw.
    fn cmap_ids(fonts: &Fonts, face: FaceIx, s: &str) -> Vec<u16> {
        s.chars()
            .map(|c| fonts.face(face).parsed.lookup_glyph_index(c as u32).unwrap_or(0))
            .collect()
    }

    fn shaped(fonts: &Fonts, s: &str) -> Vec<(FaceIx, Vec<u16>)> {
        fonts
            .runs(Style::Regular, s)
            .into_iter()
            .filter_map(|r| match r {
                Run::Shaped { face, glyphs, .. } => {
                    Some((face, glyphs.iter().map(|g| g.id).collect()))
                }
                Run::Chars { .. } => None,
            })
            .collect()
    }

    #[test]
    fn devanagari_vowel_sign_i_is_drawn_before_its_consonant() {
        let f = fonts();
        let runs = shaped(&f, "मि");
        assert_eq!(runs.len(), 1);
        let (face, ids) = &runs[0];
        assert_eq!(*face, DEVANAGARI);
        let cmap = cmap_ids(&f, DEVANAGARI, "मि");
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[1], cmap[0], "the consonant second");
        assert_ne!(ids[0], cmap[0], "the vowel sign (a form of it) first");
    }

    #[test]
    fn a_devanagari_conjunct_is_one_glyph_not_a_virama_and_two_letters() {
        let f = fonts();
        let (_, ids) = &shaped(&f, "क्ष")[0];
        assert!(ids.len() < 3, "क्ष is shaped into a conjunct: {ids:?}");
    }

    #[test]
    fn arabic_letters_take_their_joining_forms_and_run_right_to_left() {
        let f = fonts();
        let runs = shaped(&f, "محمد");
        assert_eq!(runs.len(), 1);
        let (face, ids) = &runs[0];
        let isolated = cmap_ids(&f, *face, "محمد");
        assert_eq!(ids.len(), 4);
        // Right to left: the last letter typed is drawn first (leftmost).
        let reversed: Vec<u16> = isolated.iter().rev().copied().collect();
        assert_ne!(ids, &reversed, "joined forms, not isolated ones");
        assert_ne!(ids[3], isolated[0], "the first letter takes its initial form");
    }

    #[test]
    fn thai_marks_sit_over_their_consonant() {
        let f = fonts();
        let glyphs: Vec<Glyph> = match f.runs(Style::Regular, "สุข").into_iter().next() {
            Some(Run::Shaped { glyphs, .. }) => glyphs.to_vec(),
            _ => panic!("Thai is shaped"),
        };
        assert_eq!(glyphs.len(), 3);
        assert_eq!(glyphs[1].advance, 0.0, "the vowel mark takes no room of its own");
    }

    #[test]
    fn latin_text_is_not_shaped_and_measures_as_before() {
        let f = fonts();
        let runs = f.runs(Style::Regular, "José Müller");
        assert!(matches!(runs.as_slice(), [Run::Chars { text: Cow::Borrowed(_), .. }]));
        let sum: f32 = "José Müller".chars().map(|c| f.pick(Style::Regular, c).1).sum();
        assert_eq!(f.width(Style::Regular, "José Müller", 10.0), sum * 10.0);
    }

    #[test]
    fn wrapping_never_drops_text() {
        let f = fonts();
        let s = format!("{} अमित सिंह {}", "a".repeat(300), "word ".repeat(50));
        let lines = f.wrap(Style::Regular, &s, 8.0, 100.0);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(f.width(Style::Regular, line, 8.0) <= 100.0 + 0.01, "{line}");
        }
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let typed: String = s.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, typed);
    }
}
