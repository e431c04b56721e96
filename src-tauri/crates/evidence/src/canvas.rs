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
    Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, PdfWarnMsg, Pt, TextItem,
};

use crate::EvidenceError;
use crate::fonts::{FaceIx, Fonts, Style};
use crate::pdf::fix_document_id;
use std::borrow::Cow;
use unicode_bidi::{BidiClass, BidiInfo, Level, bidi_class};

/// An sRGB colour as 0–255 components.
pub(crate) type Rgb8 = [u8; 3];

pub(crate) const INK: Rgb8 = [0x1f, 0x23, 0x28];
pub(crate) const MUTED: Rgb8 = [0x5f, 0x66, 0x6d];

/// Ends one text piece's list of runs in `Canvas::text`.
const END_OF_PIECE: u8 = 0xff;

pub(crate) struct Canvas {
    pub(crate) width: f32,
    pub(crate) height: f32,
    /// The shapes as content-stream bytes: they need no glyph codes.
    shapes: Vec<u8>,
    shape_fill: Option<Rgb8>,
    /// The text pieces, each `x y size` (f32, little-endian), its colour, then runs of
    /// `face, byte length (u16), UTF-8`, closed by `END_OF_PIECE`.
    text: Vec<u8>,
}

impl Canvas {
    pub(crate) fn new(width: f32, height: f32) -> Canvas {
        Canvas { width, height, shapes: Vec::new(), shape_fill: None, text: Vec::new() }
    }

    /// Gives back the memory reserved for drawing more.
    pub(crate) fn shrink(&mut self) {
        self.shapes.shrink_to_fit();
        self.text.shrink_to_fit();
    }

    /// Draws `s` with its baseline starting at (`x`, `y`), splitting it into runs by the face
    /// that has each glyph. The caller has cleaned and fitted `s`.
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
        for v in [x, y, size] {
            self.text.extend_from_slice(&v.to_le_bytes());
        }
        self.text.extend_from_slice(&ink);
        let s = drawn(fonts, style, s);
        let s = s.as_ref();
        let mut used = fonts.used();
        let mut run: Option<(FaceIx, usize)> = None;
        for (at, c) in s.char_indices() {
            let face = fonts.pick(style, c).0;
            used.mark(face, c);
            match run {
                Some((f, _)) if f == face => {}
                Some((f, start)) => {
                    self.run(f, &s[start..at]);
                    run = Some((face, at));
                }
                None => run = Some((face, at)),
            }
        }
        if let Some((f, start)) = run {
            self.run(f, &s[start..]);
        }
        self.text.push(END_OF_PIECE);
    }

    fn run(&mut self, face: FaceIx, s: &str) {
        // Cells are cut to a column long before this; a longer run is split, not dropped.
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
        out.extend_from_slice(&self.shapes);
        if self.text.is_empty() {
            return;
        }
        out.extend_from_slice(b"BT\n");
        let mut t = TextState::default();
        let mut at = 0;
        let bytes = &self.text;
        let f32_at = |at: usize| {
            f32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        while at < bytes.len() {
            let (x, y, size) = (f32_at(at), f32_at(at + 4), f32_at(at + 8));
            let ink = [bytes[at + 12], bytes[at + 13], bytes[at + 14]];
            at += 15;
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
                let face = bytes[at] as FaceIx;
                let len = u16::from_le_bytes([bytes[at + 1], bytes[at + 2]]) as usize;
                let run = std::str::from_utf8(&bytes[at + 3..at + 3 + len]).unwrap_or("");
                at += 3 + len;
                if t.font != Some((face, size)) {
                    t.close(out);
                    out.push(b'/');
                    out.extend_from_slice(enc.names.get(face).map_or(&b""[..], Vec::as_slice));
                    out.push(b' ');
                    num(out, size);
                    out.extend_from_slice(b" Tf\n");
                    t.font = Some((face, size));
                }
                t.open(out);
                out.push(b'(');
                let mut advance = 0i64;
                for c in run.chars() {
                    let (code, width) = enc.code(face, c);
                    advance += width;
                    for b in code.to_be_bytes() {
                        match b {
                            b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                            b'\r' => out.extend_from_slice(b"\\r"),
                            b'\n' => out.extend_from_slice(b"\\n"),
                            _ => out.push(b),
                        }
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

/// `s` as it is drawn, left to right: right-to-left runs (Arabic, Hebrew) reversed into visual
/// order by the Unicode bidirectional algorithm in a left-to-right line, so they read right and
/// extract in typing order; characters no face has become U+FFFD. Most cells need neither and
/// are borrowed as they are.
fn drawn<'a>(fonts: &Fonts, style: Style, s: &'a str) -> Cow<'a, str> {
    let rtl = s.chars().any(|c| matches!(bidi_class(c), BidiClass::R | BidiClass::AL));
    let missing = s.chars().any(|c| fonts.drawable(style, c) != c);
    if !rtl && !missing {
        return Cow::Borrowed(s);
    }
    let mut visual = String::with_capacity(s.len());
    if rtl {
        let info = BidiInfo::new(s, Some(Level::ltr()));
        for para in &info.paragraphs {
            visual.push_str(&info.reorder_line(para, para.range.clone()));
        }
    } else {
        visual.push_str(s);
    }
    Cow::Owned(visual.chars().map(|c| fonts.drawable(style, c)).collect())
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
    /// Each face's resource name.
    names: Vec<Vec<u8>>,
}

impl Encoding {
    fn code(&self, face: FaceIx, c: char) -> (u16, i64) {
        self.faces.get(face).and_then(|m| m.get(&c)).copied().unwrap_or((0, 0))
    }

    /// printpdf numbers glyphs afresh when it subsets a font, and the numbering is internal to
    /// it. So the document's first page is handed to printpdf with one string per face holding
    /// every character that face draws anywhere; printpdf subsets the fonts for exactly those
    /// glyphs and encodes the strings, and the codes read back from that page's content are
    /// the ones the real pages use. (That page's content is then replaced by the real one.)
    fn calibration(fonts: &Fonts) -> (Vec<Op>, Vec<Vec<char>>) {
        let used = fonts.used().chars();
        let mut ops = vec![Op::StartTextSection];
        for (face, chars) in used.iter().enumerate() {
            if chars.is_empty() {
                continue;
            }
            let font = PdfFontHandle::External(fonts.face(face).id.clone());
            ops.push(Op::SetFont { font, size: Pt(1.0) });
            ops.push(Op::ShowText { items: vec![TextItem::Text(chars.iter().collect())] });
        }
        ops.push(Op::EndTextSection);
        (ops, used)
    }

    /// Reads the codes back from the calibration page's content (`/Id 1 Tf <hex> Tj` per face).
    fn read(fonts: &Fonts, used: &[Vec<char>], content: &[u8]) -> Result<Encoding, EvidenceError> {
        let wrong = |what: &str| EvidenceError::Write(format!("font encoding: {what}"));
        let mut faces: Vec<HashMap<char, (u16, i64)>> = vec![HashMap::new(); used.len()];
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
                    face = (0..used.len()).find(|&f| fonts.face(f).id.0.as_bytes() == name);
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
                    let codes = hex::decode(&hex).map_err(|e| wrong(&e.to_string()))?;
                    let f = face.ok_or_else(|| wrong("text before a font"))?;
                    let chars = &used[f];
                    if codes.len() != chars.len() * 2 {
                        return Err(wrong("a code per character"));
                    }
                    for (c, code) in chars.iter().zip(codes.chunks(2)) {
                        let code = u16::from_be_bytes([code[0], code[1]]);
                        faces[f].insert(*c, (code, fonts.face(f).pdf_width(*c)));
                    }
                    at = end + 1;
                }
                _ => at += 1,
            }
        }
        let names = (0..used.len()).map(|f| fonts.face(f).id.0.clone().into_bytes()).collect();
        Ok(Encoding { faces, names })
    }
}

/// Builds the file: printpdf embeds the fonts and writes the structure, with the pages'
/// content streams written here, deflated on all cores. The same pages give the same bytes.
pub(crate) fn save(
    doc: PdfDocument,
    fonts: &Fonts,
    pages: Vec<Canvas>,
) -> Result<Vec<u8>, EvidenceError> {
    save_with(doc, fonts, pages, &[], Vec::new(), &|_| None)
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

/// `save`, with links: (page, [x, y, width, height], target page), each a link annotation that
/// jumps to its target page; embedded files; and a seal made from the pages' digest once the
/// content streams are written (embedded as one more file).
pub(crate) fn save_with(
    mut doc: PdfDocument,
    fonts: &Fonts,
    pages: Vec<Canvas>,
    links: &[(usize, [f32; 4], usize)],
    mut embedded: Vec<Embedded>,
    seal: &dyn Fn(&str) -> Option<Embedded>,
) -> Result<Vec<u8>, EvidenceError> {
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
    let mut lopdf = doc.with_pages(blank).to_lopdf_document(&options, &mut warnings);

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
        None => Encoding { faces: Vec::new(), names: Vec::new() },
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
    embed(&mut lopdf, embedded)?;
    for (id, content) in content_ids.into_iter().zip(streams) {
        let mut dict = lopdf::Dictionary::new();
        dict.set("Filter", "FlateDecode");
        let mut stream = lopdf::Stream::new(dict, content);
        stream.allows_compression = false;
        lopdf.objects.insert(id, lopdf::Object::Stream(stream));
    }
    compress_streams(&mut lopdf);
    let mut bytes = Vec::new();
    lopdf.save_to(&mut bytes).map_err(|e| EvidenceError::Write(e.to_string()))?;
    fix_document_id(&mut bytes);
    Ok(bytes)
}

/// Embeds the files: each an `EmbeddedFile` stream with a file specification naming its
/// relationship, listed in the catalog's `EmbeddedFiles` name tree (sorted by name) and `AF`.
fn embed(doc: &mut lopdf::Document, mut files: Vec<Embedded>) -> Result<(), EvidenceError> {
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
                lopdf::Object::from(dict(vec![("Size", lopdf::Object::from(f.size as i64))])),
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
