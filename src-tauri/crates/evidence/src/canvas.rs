//! One page's drawing, kept lean, and the page content streams written straight as PDF bytes.
//!
//! A 100,000-item binder has millions of table cells. Holding each as printpdf operations and
//! letting printpdf convert them cost most of the time and a gigabyte of memory, so a page is
//! kept here as finished bytes for its shapes plus a compact list of text pieces. Once every
//! page is laid out, printpdf builds the document around them: it embeds and subsets the fonts
//! (see `Encoding::calibrate` for how the subset's glyph codes are learnt) and writes the file
//! structure; the page content streams are ours.
//!
//! A content stream draws the shapes first, then all text in one text object. Text that
//! continues on the same baseline (a table row, cell after cell) is one `TJ` array whose
//! numbers move the pen to the next cell, with the font and colour set only when they change.

use std::collections::HashMap;
use std::io::Write;

use printpdf::{
    Codepoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, PdfWarnMsg, Pt,
    TextItem,
};

use crate::EvidenceError;
use crate::fonts::{FaceIx, Fonts, Glyph, Run, Style};
use crate::pdf::DocumentId;

/// An sRGB colour as 0–255 components.
pub(crate) type Rgb8 = [u8; 3];

pub(crate) const INK: Rgb8 = [0x1f, 0x23, 0x28];
pub(crate) const MUTED: Rgb8 = [0x5f, 0x66, 0x6d];

/// Characters below this are encoded from a table rather than a map (see `Encoding::dense`).
const DENSE: usize = 0x0800;

/// Ends one text piece's list of runs in `Canvas::text`.
const END_OF_PIECE: u8 = 0xff;
/// Marks a shaped run in `Canvas::text` (or'd with the face).
const SHAPED: u8 = 0x40;

pub(crate) struct Canvas {
    pub(crate) width: f32,
    pub(crate) height: f32,
    /// The shapes as content-stream bytes: they need no glyph codes.
    shapes: Vec<u8>,
    shape_fill: Option<Rgb8>,
    /// The text pieces, each a flags byte, `x` (f32, little-endian), then `y size` (f32) unless
    /// `SAME_LINE` says they are the previous piece's, its colour unless `SAME_INK` says the
    /// same, then runs of `face, byte length (u16), UTF-8`, closed by `END_OF_PIECE`. A table
    /// row is a dozen pieces on one baseline in one colour: millions of cells in a large
    /// binder, held until every page is laid out.
    text: Vec<u8>,
    /// The previous piece's `y size` and colour.
    last: Option<([u8; 8], Rgb8)>,
    /// What `pack` deflated: the shapes, then the text pieces, drawn before `shapes` and
    /// `text` (which hold only what was drawn since). A large binder's thousands of pages wait
    /// for the last to be laid out; packed, they take a fraction of the memory.
    packed: Option<(Vec<u8>, Vec<u8>)>,
}

/// A text piece's `y size` are the previous piece's.
const SAME_LINE: u8 = 1;
/// A text piece's colour is the previous piece's.
const SAME_INK: u8 = 2;

impl Canvas {
    pub(crate) fn new(width: f32, height: f32) -> Canvas {
        Canvas {
            width,
            height,
            shapes: Vec::new(),
            shape_fill: None,
            text: Vec::new(),
            last: None,
            packed: None,
        }
    }

    /// Gives back the memory reserved for drawing more.
    pub(crate) fn shrink(&mut self) {
        self.shapes.shrink_to_fit();
        self.text.shrink_to_fit();
    }

    /// Deflates what the page holds so far (fast, for the time the page waits): drawing on it
    /// goes on as before, and `content` reads the packed part back first.
    pub(crate) fn pack(&mut self) {
        let (shapes, text) = self.unpacked();
        let fast = |bytes: &[u8]| {
            let mut encoder = flate2::write::DeflateEncoder::new(
                Vec::with_capacity(bytes.len() / 3),
                flate2::Compression::fast(),
            );
            // Writing into a Vec cannot fail.
            let _ = encoder.write_all(bytes);
            let mut out = encoder.finish().unwrap_or_default();
            out.shrink_to_fit();
            out
        };
        self.packed = Some((fast(&shapes), fast(&text)));
        (self.shapes, self.text) = (Vec::new(), Vec::new());
    }

    /// The shapes and the text pieces, packed or not, in the order drawn.
    fn unpacked(&self) -> (Vec<u8>, Vec<u8>) {
        let inflate = |bytes: &[u8], tail: &[u8]| {
            let mut out = Vec::new();
            // Inflating what `pack` deflated cannot fail.
            let _ =
                std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(bytes), &mut out);
            out.extend_from_slice(tail);
            out
        };
        match &self.packed {
            Some((shapes, text)) => (inflate(shapes, &self.shapes), inflate(text, &self.text)),
            None => (self.shapes.clone(), self.text.clone()),
        }
    }

    /// Draws `s` with its baseline starting at (`x`, `y`), as `Fonts::runs` lays it out: a
    /// run per face, complex scripts shaped. The caller has cleaned and wrapped `s`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(
        &mut self,
        fonts: &Fonts,
        style: Style,
        size: f32,
        x: f32,
        y: f32,
        s: &str,
        ink: Rgb8,
    ) {
        if s.is_empty() {
            return;
        }
        let mut line = [0u8; 8];
        line[..4].copy_from_slice(&y.to_le_bytes());
        line[4..].copy_from_slice(&size.to_le_bytes());
        let (same_line, same_ink) = match self.last {
            Some((l, i)) => (l == line, i == ink),
            None => (false, false),
        };
        let flags = if same_line { SAME_LINE } else { 0 } | if same_ink { SAME_INK } else { 0 };
        self.text.push(flags);
        self.text.extend_from_slice(&x.to_le_bytes());
        if !same_line {
            self.text.extend_from_slice(&line);
        }
        if !same_ink {
            self.text.extend_from_slice(&ink);
        }
        self.last = Some((line, ink));
        let runs = fonts.runs(style, s);
        let mut used = fonts.used();
        for run in &runs {
            match run {
                Run::Chars { face, text } => {
                    for c in text.chars() {
                        used.mark(*face, c);
                    }
                    self.run(*face, text);
                }
                Run::Shaped { face, text, glyphs, rtl } => {
                    for (i, g) in glyphs.iter().enumerate() {
                        let cluster = cluster_text(text, glyphs, i);
                        used.mark_glyph(*face, g.id, cluster);
                    }
                    // Text extraction puts a right-to-left line back into reading order
                    // itself, from the order the characters stand on the page: a
                    // right-to-left run's text is given in that (visual) order.
                    if *rtl {
                        let visual: String = text.chars().rev().collect();
                        self.shaped(*face, &visual, glyphs);
                    } else {
                        self.shaped(*face, text, glyphs);
                    }
                }
            }
        }
        self.text.push(END_OF_PIECE);
    }

    fn run(&mut self, face: FaceIx, s: &str) {
        // Cells are wrapped to a column long before this; a longer run is split, not dropped.
        let mut rest = s;
        while !rest.is_empty() {
            let mut cut = rest.len().min(u16::MAX as usize);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text.push(face as u8);
            self.text.extend_from_slice(&(cut as u16).to_le_bytes());
            self.text.extend_from_slice(&rest.as_bytes()[..cut]);
            rest = &rest[cut..];
        }
    }

    /// A shaped run: `SHAPED | face`, the text's length and UTF-8, the glyph count, then each
    /// glyph's id and advance, x and y offsets (em, f32).
    fn shaped(&mut self, face: FaceIx, text: &str, glyphs: &[Glyph]) {
        // A shaped run is one word or name; longer ones are not split mid-cluster, so cap
        // what the u16 lengths can say (never reached by a wrapped cell).
        let text = &text[..floor_boundary(text, u16::MAX as usize)];
        let glyphs = &glyphs[..glyphs.len().min(u16::MAX as usize)];
        self.text.push(SHAPED | face as u8);
        self.text.extend_from_slice(&(text.len() as u16).to_le_bytes());
        self.text.extend_from_slice(text.as_bytes());
        self.text.extend_from_slice(&(glyphs.len() as u16).to_le_bytes());
        for g in glyphs {
            self.text.extend_from_slice(&g.id.to_le_bytes());
            for v in [g.advance, g.dx, g.dy] {
                self.text.extend_from_slice(&v.to_le_bytes());
            }
        }
    }

    /// Text right-aligned on `right`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text_right(
        &mut self,
        fonts: &Fonts,
        style: Style,
        size: f32,
        right: f32,
        y: f32,
        s: &str,
        ink: Rgb8,
    ) {
        let x = right - fonts.width(style, s, size);
        self.text(fonts, style, size, x, y, s, ink);
    }

    /// A filled rectangle; (`x`, `y`) is its bottom-left corner.
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Rgb8) {
        let out = &mut self.shapes;
        if self.shape_fill != Some(fill) {
            color(out, fill);
            out.extend_from_slice(b"rg\n");
            self.shape_fill = Some(fill);
        }
        for v in [x, y, w, h] {
            num(out, v);
            out.push(b' ');
        }
        out.extend_from_slice(b"re f\n");
    }

    /// A straight line.
    pub(crate) fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, ink: Rgb8) {
        let out = &mut self.shapes;
        color(out, ink);
        out.extend_from_slice(b"RG ");
        num(out, width);
        out.extend_from_slice(b" w ");
        for v in [from.0, from.1] {
            num(out, v);
            out.push(b' ');
        }
        out.extend_from_slice(b"m ");
        for v in [to.0, to.1] {
            num(out, v);
            out.push(b' ');
        }
        out.extend_from_slice(b"l S\n");
    }

    /// The page's content stream.
    fn content(&self, enc: &Encoding, out: &mut Vec<u8>) {
        let unpacked;
        let (shapes, bytes) = match &self.packed {
            Some(_) => {
                unpacked = self.unpacked();
                (&unpacked.0, &unpacked.1)
            }
            None => (&self.shapes, &self.text),
        };
        out.extend_from_slice(shapes);
        if bytes.is_empty() {
            return;
        }
        out.extend_from_slice(b"BT\n");
        let mut t = TextState::default();
        let mut at = 0;
        let f32_at = |at: usize| {
            f32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let (mut y, mut size, mut ink) = (0.0, 0.0, [0u8; 3]);
        while at < bytes.len() {
            let flags = bytes[at];
            let x = f32_at(at + 1);
            at += 5;
            if flags & SAME_LINE == 0 {
                (y, size) = (f32_at(at), f32_at(at + 4));
                at += 8;
            }
            if flags & SAME_INK == 0 {
                ink = [bytes[at], bytes[at + 1], bytes[at + 2]];
                at += 3;
            }
            if t.ink != Some(ink) {
                t.close(out);
                color(out, ink);
                out.extend_from_slice(b"rg\n");
                t.ink = Some(ink);
            }
            // On the same baseline and to the right of the pen: move the pen inside the TJ
            // array; anywhere else: a new text matrix.
            match t.line {
                Some((ly, ls)) if ly == y && ls == size && x >= t.pen - 0.01 => {
                    let shift = ((t.pen - x) * 1000.0 / size).round();
                    if shift != 0.0 {
                        t.open(out);
                        int(out, shift as i64);
                        t.pen -= shift * size / 1000.0;
                    }
                }
                _ => {
                    t.close(out);
                    out.extend_from_slice(b"1 0 0 1 ");
                    num(out, x);
                    out.push(b' ');
                    num(out, y);
                    out.extend_from_slice(b" Tm\n");
                    t.line = Some((y, size));
                    t.pen = x;
                }
            }
            while bytes[at] != END_OF_PIECE {
                let shaped = bytes[at] & SHAPED != 0;
                let face = (bytes[at] & !SHAPED) as FaceIx;
                let len = u16::from_le_bytes([bytes[at + 1], bytes[at + 2]]) as usize;
                let run = std::str::from_utf8(&bytes[at + 3..at + 3 + len]).unwrap_or("");
                at += 3 + len;
                t.font(out, enc, face, size);
                if shaped {
                    let count = u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
                    at += 2;
                    let glyphs = (0..count).map(|i| {
                        let g = at + i * 14;
                        let id = u16::from_le_bytes([bytes[g], bytes[g + 1]]);
                        (id, f32_at(g + 2), f32_at(g + 6), f32_at(g + 10))
                    });
                    t.shaped(out, enc, face, size, run, glyphs);
                    at += count * 14;
                    continue;
                }
                t.open(out);
                out.push(b'(');
                let mut advance = 0i64;
                for c in run.chars() {
                    let (code, width) = enc.code(face, c);
                    advance += width;
                    for b in code.to_be_bytes() {
                        escaped(out, b);
                    }
                }
                out.push(b')');
                t.pen += advance as f32 * size / 1000.0;
            }
            at += 1;
        }
        t.close(out);
        out.extend_from_slice(b"ET\n");
    }
}

/// Where the text pen is while a content stream is written.
#[derive(Default)]
struct TextState {
    ink: Option<Rgb8>,
    font: Option<(FaceIx, f32)>,
    /// Baseline and size of the line the pen is on.
    line: Option<(f32, f32)>,
    /// The pen's x, in points, as the viewer computes it from the fonts' widths.
    pen: f32,
    /// A `TJ` array is open.
    tj: bool,
}

impl TextState {
    fn font(&mut self, out: &mut Vec<u8>, enc: &Encoding, face: FaceIx, size: f32) {
        if self.font != Some((face, size)) {
            self.close(out);
            out.push(b'/');
            out.extend_from_slice(enc.names.get(face).map_or(&b""[..], Vec::as_slice));
            out.push(b' ');
            num(out, size);
            out.extend_from_slice(b" Tf\n");
            self.font = Some((face, size));
        }
    }

    /// A shaped run: its glyphs each where the shaper put it (a `TJ` number moves the pen to
    /// each glyph's x, a text rise lifts a mark), inside a marked-content span whose
    /// `ActualText` is the text as typed, so a reader extracts the words, not the glyphs.
    fn shaped(
        &mut self,
        out: &mut Vec<u8>,
        enc: &Encoding,
        face: FaceIx,
        size: f32,
        text: &str,
        glyphs: impl Iterator<Item = (u16, f32, f32, f32)>,
    ) {
        self.close(out);
        out.extend_from_slice(b"/Span<</ActualText<FEFF");
        for unit in text.encode_utf16() {
            let _ = write!(out, "{unit:04X}");
        }
        out.extend_from_slice(b">>>BDC\n");
        // Where the shaper's pen is, in points; the viewer's is `self.pen`.
        let mut logical = self.pen;
        let mut rise = 0.0f32;
        for (id, advance, dx, dy) in glyphs {
            let (code, width) = enc.glyph(face, id);
            let want_rise = (dy * size * 100.0).round() / 100.0;
            if want_rise != rise {
                self.close(out);
                num(out, want_rise);
                out.extend_from_slice(b" Ts\n");
                rise = want_rise;
            }
            self.open(out);
            let shift = ((self.pen - (logical + dx * size)) * 1000.0 / size).round();
            if shift != 0.0 {
                int(out, shift as i64);
                self.pen -= shift * size / 1000.0;
            }
            out.push(b'(');
            for b in code.to_be_bytes() {
                escaped(out, b);
            }
            out.push(b')');
            self.pen += width as f32 * size / 1000.0;
            logical += advance * size;
        }
        // Leave the pen where the shaper's is, for whatever follows on the line.
        let shift = ((self.pen - logical) * 1000.0 / size).round();
        if shift != 0.0 {
            self.open(out);
            int(out, shift as i64);
            self.pen -= shift * size / 1000.0;
        }
        self.close(out);
        if rise != 0.0 {
            out.extend_from_slice(b"0 Ts\n");
        }
        out.extend_from_slice(b"EMC\n");
    }

    fn open(&mut self, out: &mut Vec<u8>) {
        if !self.tj {
            out.push(b'[');
            self.tj = true;
        }
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if self.tj {
            out.extend_from_slice(b"]TJ\n");
            self.tj = false;
        }
    }
}

/// The text of the cluster glyph `i` of a shaped run belongs to.
fn cluster_text<'a>(text: &'a str, glyphs: &[Glyph], i: usize) -> &'a str {
    let start = glyphs[i].cluster as usize;
    // Clusters ascend left to right, or descend for right to left: the cluster ends at the
    // next larger cluster start of any glyph.
    let end = glyphs
        .iter()
        .map(|g| g.cluster as usize)
        .filter(|&c| c > start)
        .min()
        .unwrap_or(text.len());
    text.get(start..end).unwrap_or(text)
}

/// The largest char boundary of `s` at or below `at`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Writes `v` with at most two decimals, the precision every coordinate here needs.
fn num(out: &mut Vec<u8>, v: f32) {
    let hundredths = (f64::from(v) * 100.0).round() as i64;
    let (whole, frac) = (hundredths / 100, (hundredths % 100).abs());
    if hundredths < 0 && whole == 0 {
        out.push(b'-');
    }
    int(out, whole);
    if frac != 0 {
        out.push(b'.');
        out.push(b'0' + (frac / 10) as u8);
        if frac % 10 != 0 {
            out.push(b'0' + (frac % 10) as u8);
        }
    }
}

/// One byte of a literal string, escaped where the syntax needs it.
fn escaped(out: &mut Vec<u8>, b: u8) {
    match b {
        b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\n' => out.extend_from_slice(b"\\n"),
        _ => out.push(b),
    }
}

fn int(out: &mut Vec<u8>, v: i64) {
    let _ = write!(out, "{v}");
}

/// An RGB colour's three operands, each with three decimals, and a trailing space.
fn color(out: &mut Vec<u8>, c: Rgb8) {
    for v in c {
        let thousandths = (u32::from(v) * 1000 + 127) / 255;
        match thousandths {
            0 => out.push(b'0'),
            1000 => out.push(b'1'),
            t => {
                let _ = write!(out, "0.{t:03}");
                while out.last() == Some(&b'0') {
                    out.pop();
                }
            }
        }
        out.push(b' ');
    }
}

/// Each face's glyph code (as the embedded subset numbers it) and width in thousandths of an
/// em (as the font's `/W` array gives it, so our pen matches the viewer's) for every character
/// the pages use.
struct Encoding {
    faces: Vec<HashMap<char, (u16, i64)>>,
    /// `faces` again for the characters below `DENSE` (nearly all a binder draws), indexed by
    /// the character: millions of cells are encoded character by character.
    dense: Vec<Vec<Option<(u16, i64)>>>,
    /// The same for the glyphs the shaper chose, by the font's own glyph id.
    glyphs: Vec<HashMap<u16, (u16, i64)>>,
    /// Each face's resource name.
    names: Vec<Vec<u8>>,
}

impl Encoding {
    fn code(&self, face: FaceIx, c: char) -> (u16, i64) {
        if let Some(Some(hit)) = self.dense.get(face).and_then(|d| d.get(c as usize)) {
            return *hit;
        }
        self.faces.get(face).and_then(|m| m.get(&c)).copied().unwrap_or((0, 0))
    }

    fn glyph(&self, face: FaceIx, id: u16) -> (u16, i64) {
        self.glyphs.get(face).and_then(|m| m.get(&id)).copied().unwrap_or((0, 0))
    }

    /// printpdf numbers glyphs afresh when it subsets a font, and the numbering is internal to
    /// it. So the document's first page is handed to printpdf with one string per face holding
    /// every character that face draws anywhere; printpdf subsets the fonts for exactly those
    /// glyphs and encodes the strings, and the codes read back from that page's content are
    /// the ones the real pages use. (That page's content is then replaced by the real one.)
    /// Shaped glyphs follow each face's characters, as glyph ids with the text each stands for.
    fn calibration(fonts: &Fonts) -> (Vec<Op>, Calibrated) {
        let used = fonts.used();
        let chars = used.chars();
        let glyphs: Vec<Vec<u16>> =
            used.glyphs.iter().map(|m| m.keys().copied().collect()).collect();
        let mut ops = vec![Op::StartTextSection];
        for (face, chars) in chars.iter().enumerate() {
            let shaped = &used.glyphs[face];
            if chars.is_empty() && shaped.is_empty() {
                continue;
            }
            let font = PdfFontHandle::External(fonts.face(face).id.clone());
            ops.push(Op::SetFont { font, size: Pt(1.0) });
            if !chars.is_empty() {
                ops.push(Op::ShowText { items: vec![TextItem::Text(chars.iter().collect())] });
            }
            if !shaped.is_empty() {
                let ids = shaped
                    .iter()
                    .map(|(&id, text)| Codepoint::with_cid(id, 0.0, text.clone()))
                    .collect();
                ops.push(Op::ShowText { items: vec![TextItem::GlyphIds(ids)] });
            }
        }
        ops.push(Op::EndTextSection);
        (ops, Calibrated { chars, glyphs })
    }

    /// Reads the codes back from the calibration page's content (`/Id 1 Tf <hex> Tj` per face,
    /// then `[<hex> …]TJ` for its shaped glyphs): each face's codes in the order drawn.
    fn read(fonts: &Fonts, used: &Calibrated, content: &[u8]) -> Result<Encoding, EvidenceError> {
        let wrong = |what: &str| EvidenceError::Write(format!("font encoding: {what}"));
        let n = used.chars.len();
        let mut codes: Vec<Vec<u16>> = vec![Vec::new(); n];
        let mut face: Option<FaceIx> = None;
        let mut at = 0;
        while at < content.len() {
            match content[at] {
                b'/' => {
                    let end = content[at..]
                        .iter()
                        .position(|b| b.is_ascii_whitespace())
                        .map_or(content.len(), |n| at + n);
                    let name = &content[at + 1..end];
                    face = (0..n).find(|&f| fonts.face(f).id.0.as_bytes() == name);
                    at = end;
                }
                b'<' => {
                    let end = content[at..]
                        .iter()
                        .position(|&b| b == b'>')
                        .map(|n| at + n)
                        .ok_or_else(|| wrong("unterminated string"))?;
                    let hex: Vec<u8> = content[at + 1..end]
                        .iter()
                        .copied()
                        .filter(u8::is_ascii_hexdigit)
                        .collect();
                    let bytes = hex::decode(&hex).map_err(|e| wrong(&e.to_string()))?;
                    let f = face.ok_or_else(|| wrong("text before a font"))?;
                    codes[f].extend(bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])));
                    at = end + 1;
                }
                _ => at += 1,
            }
        }
        let mut faces: Vec<HashMap<char, (u16, i64)>> = vec![HashMap::new(); n];
        let mut glyphs: Vec<HashMap<u16, (u16, i64)>> = vec![HashMap::new(); n];
        for f in 0..n {
            let (chars, ids) = (&used.chars[f], &used.glyphs[f]);
            if codes[f].len() != chars.len() + ids.len() {
                return Err(wrong("a code per character and glyph"));
            }
            let face = fonts.face(f);
            for (c, code) in chars.iter().zip(&codes[f]) {
                faces[f].insert(*c, (*code, face.pdf_width(*c)));
            }
            for (id, code) in ids.iter().zip(&codes[f][chars.len()..]) {
                glyphs[f].insert(*id, (*code, face.pdf_glyph_width(*id)));
            }
        }
        let names = (0..n).map(|f| fonts.face(f).id.0.clone().into_bytes()).collect();
        let dense = faces
            .iter()
            .map(|m| {
                let mut d = vec![None; DENSE];
                for (&c, &hit) in m.iter().filter(|(c, _)| (**c as usize) < DENSE) {
                    d[c as usize] = Some(hit);
                }
                d
            })
            .collect();
        Ok(Encoding { faces, dense, glyphs, names })
    }
}

/// What the calibration page draws, per face: its characters, then its shaped glyph ids.
struct Calibrated {
    chars: Vec<Vec<char>>,
    glyphs: Vec<Vec<u16>>,
}

/// Builds the file: printpdf embeds the fonts and writes the structure, with the pages'
/// content streams written here, deflated on all cores. The same pages give the same bytes.
pub(crate) fn save(
    doc: PdfDocument,
    fonts: &Fonts,
    pages: Vec<Canvas>,
) -> Result<Vec<u8>, EvidenceError> {
    let mut pdf = assemble(doc, fonts, pages, &[], Vec::new(), |_| None)?;
    let mut bytes = Vec::new();
    write_pdf(&mut pdf, &mut bytes)?;
    Ok(bytes)
}

/// A file embedded in the PDF (an associated file, as PDF/A-3 calls it), already deflated.
pub(crate) struct Embedded {
    pub(crate) name: String,
    pub(crate) mime: &'static str,
    pub(crate) description: String,
    /// `Data` for what the binder shows, `Source` for what it was made from.
    pub(crate) relationship: &'static str,
    pub(crate) deflated: Vec<u8>,
    pub(crate) size: u64,
}

/// SHA-256 over the page content streams as written, each length-prefixed, in page order: what
/// the seal signs for the pages.
pub(crate) fn pages_sha256<'a>(streams: impl Iterator<Item = &'a [u8]>) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for s in streams {
        hasher.update((s.len() as u64).to_be_bytes());
        hasher.update(s);
    }
    hex::encode(hasher.finalize())
}

/// The document `save` writes, with links: (page, [x, y, width, height], target page), each a
/// link annotation that jumps to its target page; embedded files; and a seal made from the
/// pages' digest once the content streams are written (embedded as one more file). Each page's
/// canvas is dropped as soon as its content stream is written; `write_pdf` writes the file.
pub(crate) fn assemble(
    mut doc: PdfDocument,
    fonts: &Fonts,
    pages: Vec<Canvas>,
    links: &[(usize, [f32; 4], usize)],
    mut embedded: Vec<Embedded>,
    seal: impl FnOnce(&str) -> Option<Embedded>,
) -> Result<lopdf::Document, EvidenceError> {
    let (calibration, used) = Encoding::calibration(fonts);
    let blank: Vec<PdfPage> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let ops = if i == 0 { calibration.clone() } else { Vec::new() };
            PdfPage::new(Mm::from(Pt(p.width)), Mm::from(Pt(p.height)), ops)
        })
        .collect();
    let mut warnings: Vec<PdfWarnMsg> = Vec::new();
    let options = PdfSaveOptions { subset_fonts: true, ..Default::default() };
    let info = doc.metadata.info.clone();
    let mut lopdf = doc.with_pages(blank).to_lopdf_document(&options, &mut warnings);
    crate::pdfa::conform(&mut lopdf, &info)?;

    let content_ids: Vec<lopdf::ObjectId> = lopdf
        .get_pages()
        .values()
        .map(|&page| {
            lopdf
                .get_dictionary(page)
                .and_then(|d| d.get(b"Contents"))
                .and_then(lopdf::Object::as_reference)
                .map_err(|e| EvidenceError::Write(format!("page content: {e}")))
        })
        .collect::<Result<_, _>>()?;
    if content_ids.len() != pages.len() {
        return Err(EvidenceError::Write("page count".into()));
    }
    let encoding = match content_ids.first() {
        Some(&id) => {
            let stream = lopdf
                .get_object(id)
                .and_then(lopdf::Object::as_stream)
                .map_err(|e| EvidenceError::Write(format!("calibration page: {e}")))?;
            Encoding::read(fonts, &used, &stream.content)?
        }
        None => {
            Encoding { faces: Vec::new(), dense: Vec::new(), glyphs: Vec::new(), names: Vec::new() }
        }
    };

    let page_ids: Vec<lopdf::ObjectId> = lopdf.get_pages().values().copied().collect();
    for &(page, [x, y, w, h], target) in links {
        let (Some(&on), Some(&to)) = (page_ids.get(page), page_ids.get(target)) else { continue };
        let reals = |v: &[f32]| v.iter().map(|n| lopdf::Object::Real(*n)).collect::<Vec<_>>();
        let annot = dict(vec![
            ("Type", lopdf::Object::from("Annot")),
            ("Subtype", lopdf::Object::from("Link")),
            ("Rect", lopdf::Object::from(reals(&[x, y, x + w, y + h]))),
            ("Border", lopdf::Object::from(vec![lopdf::Object::Integer(0); 3])),
            ("F", lopdf::Object::from(4i64)),
            ("Dest", lopdf::Object::from(vec![lopdf::Object::Reference(to), "Fit".into()])),
        ]);
        let id = lopdf.add_object(annot);
        if let Ok(dict) = lopdf.get_dictionary_mut(on) {
            match dict.get_mut(b"Annots") {
                Ok(lopdf::Object::Array(list)) => list.push(lopdf::Object::Reference(id)),
                _ => dict.set("Annots", vec![lopdf::Object::Reference(id)]),
            }
        }
    }
    let streams = content_streams(&encoding, pages);
    if let Some(sealed) = seal(&pages_sha256(streams.iter().map(Vec::as_slice))) {
        embedded.push(sealed);
    }
    embed(&mut lopdf, embedded, &crate::pdfa::pdf_date(&info.creation_date))?;
    for (id, content) in content_ids.into_iter().zip(streams) {
        let mut dict = lopdf::Dictionary::new();
        dict.set("Filter", "FlateDecode");
        let mut stream = lopdf::Stream::new(dict, content);
        stream.allows_compression = false;
        lopdf.objects.insert(id, lopdf::Object::Stream(stream));
    }
    compress_streams(&mut lopdf);
    Ok(lopdf)
}

/// Writes `doc` to `out` as it is serialised, with the document id `fix_document_id` gives it:
/// the file is never held whole (a 100,000-item binder is tens of megabytes), only its tail.
pub(crate) fn write_pdf(
    doc: &mut lopdf::Document,
    out: &mut dyn Write,
) -> Result<(), EvidenceError> {
    // The id is in the trailer, after the cross-reference table's 20 bytes per object.
    let tail = 20 * (doc.max_id as usize + 1) + (1 << 20);
    let mut writer = DocumentId::new(out, tail);
    doc.save_to(&mut writer).map_err(|e| EvidenceError::Write(e.to_string()))?;
    writer.finish().map_err(|e| EvidenceError::Write(e.to_string()))
}

/// Embeds the files: each an `EmbeddedFile` stream with a file specification naming its
/// relationship, listed in the catalog's `EmbeddedFiles` name tree (sorted by name) and `AF`.
fn embed(
    doc: &mut lopdf::Document,
    mut files: Vec<Embedded>,
    date: &str,
) -> Result<(), EvidenceError> {
    use lopdf::{Object, StringFormat};
    if files.is_empty() {
        return Ok(());
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let mut names = Vec::new();
    let mut specs = Vec::new();
    for f in files {
        let mut file_dict = dict(vec![
            ("Type", lopdf::Object::from("EmbeddedFile")),
            ("Subtype", Object::Name(f.mime.as_bytes().to_vec())),
            ("Filter", lopdf::Object::from("FlateDecode")),
            (
                "Params",
                lopdf::Object::from(dict(vec![
                    ("Size", lopdf::Object::from(f.size as i64)),
                    ("ModDate", Object::String(date.as_bytes().to_vec(), StringFormat::Literal)),
                ])),
            ),
        ]);
        file_dict.set("Length", f.deflated.len() as i64);
        let mut stream = lopdf::Stream::new(file_dict, f.deflated);
        stream.allows_compression = false;
        let file_id = doc.add_object(stream);
        let text = |s: &str| Object::String(s.as_bytes().to_vec(), StringFormat::Literal);
        let spec = dict(vec![
            ("Type", lopdf::Object::from("Filespec")),
            ("F", text(&f.name)),
            ("UF", text(&f.name)),
            ("Desc", text(&f.description)),
            ("AFRelationship", Object::Name(f.relationship.as_bytes().to_vec())),
            (
                "EF",
                lopdf::Object::from(dict(vec![
                    ("F", lopdf::Object::from(file_id)),
                    ("UF", lopdf::Object::from(file_id)),
                ])),
            ),
        ]);
        let spec_id = doc.add_object(spec);
        names.push(text(&f.name));
        names.push(Object::Reference(spec_id));
        specs.push(Object::Reference(spec_id));
    }
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| EvidenceError::Write(format!("catalog: {e}")))?;
    let catalog =
        doc.get_dictionary_mut(root).map_err(|e| EvidenceError::Write(format!("catalog: {e}")))?;
    catalog.set(
        "Names",
        dict(vec![(
            "EmbeddedFiles",
            lopdf::Object::from(dict(vec![("Names", lopdf::Object::from(names))])),
        )]),
    );
    catalog.set("AF", specs);
    Ok(())
}

/// Every page's content stream, deflated, in page order; pages are handed out to one thread
/// per core in contiguous blocks and dropped as soon as they are written.
fn content_streams(enc: &Encoding, pages: Vec<Canvas>) -> Vec<Vec<u8>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
    let per = pages.len().div_ceil(threads).max(1);
    let mut blocks: Vec<Vec<Canvas>> = Vec::new();
    let mut pages = pages.into_iter();
    loop {
        let block: Vec<Canvas> = pages.by_ref().take(per).collect();
        if block.is_empty() {
            break;
        }
        blocks.push(block);
    }
    let work = |block: Vec<Canvas>| {
        let mut raw = Vec::new();
        block
            .into_iter()
            .map(|page| {
                raw.clear();
                page.content(enc, &mut raw);
                drop(page);
                deflate(&raw)
            })
            .collect::<Vec<_>>()
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            blocks.into_iter().map(|block| scope.spawn(move || work(block))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// zlib at level 6: as small as printpdf's level 9 within about 2%, and much faster.
pub(crate) fn deflater() -> flate2::write::ZlibEncoder<Vec<u8>> {
    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6))
}

/// `deflater`, for bytes in hand.
pub(crate) fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::new(6),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Deflates every other stream that allows it (fonts, their maps), as printpdf's save would.
fn compress_streams(doc: &mut lopdf::Document) {
    let mut streams: Vec<&mut lopdf::Stream> = doc
        .objects
        .values_mut()
        .filter_map(|o| match o {
            lopdf::Object::Stream(s) if s.allows_compression => Some(s),
            _ => None,
        })
        .collect();
    let half = streams.len() / 2;
    let (first, second) = streams.split_at_mut(half);
    std::thread::scope(|scope| {
        scope.spawn(|| first.iter_mut().for_each(|s| deflate_stream(s)));
        second.iter_mut().for_each(|s| deflate_stream(s));
    });
}

fn deflate_stream(stream: &mut lopdf::Stream) {
    if stream.dict.get(b"Filter").is_ok() {
        return;
    }
    let compressed = deflate(&stream.content);
    if !compressed.is_empty() && compressed.len() + 19 < stream.content.len() {
        stream.dict.set("Filter", "FlateDecode");
        stream.set_content(compressed);
    }
}

/// A PDF dictionary from its entries, in order.
fn dict(entries: Vec<(&str, lopdf::Object)>) -> lopdf::Dictionary {
    let mut d = lopdf::Dictionary::new();
    for (k, v) in entries {
        d.set(k, v);
    }
    d
}
