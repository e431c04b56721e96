//! One page's drawing operations, kept lean: shapes first, then every piece of text in a single
//! text object, with the font and colour set only when they change.
//!
//! A 100,000-item binder has millions of cells, and printpdf holds every page's operations in
//! memory until it saves, so each cell costs one text-matrix op plus one show op per font run.

use printpdf::{
    Color, Line, LinePoint, Mm, Op, PaintMode, PdfFontHandle, PdfPage, Point, Pt, Rect, Rgb,
    TextItem, TextMatrix,
};

use crate::fonts::{FaceIx, Fonts, Style};

/// An sRGB colour as 0–255 components.
pub(crate) type Rgb8 = [u8; 3];

pub(crate) const INK: Rgb8 = [0x1f, 0x23, 0x28];
pub(crate) const MUTED: Rgb8 = [0x5f, 0x66, 0x6d];

fn color(c: Rgb8) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(c[0]) / 255.0,
        g: f32::from(c[1]) / 255.0,
        b: f32::from(c[2]) / 255.0,
        icc_profile: None,
    })
}

pub(crate) struct Canvas {
    pub(crate) width: f32,
    pub(crate) height: f32,
    shapes: Vec<Op>,
    text: Vec<Op>,
    font: Option<(FaceIx, f32)>,
    fill: Option<Rgb8>,
}

impl Canvas {
    pub(crate) fn new(width: f32, height: f32) -> Canvas {
        Canvas { width, height, shapes: Vec::new(), text: Vec::new(), font: None, fill: None }
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
        if self.fill != Some(ink) {
            self.text.push(Op::SetFillColor { col: color(ink) });
            self.fill = Some(ink);
        }
        self.text.push(Op::SetTextMatrix { matrix: TextMatrix::Translate(Pt(x), Pt(y)) });
        // Each run continues where the previous one left the pen, so only font changes cut it.
        let mut run_face = None;
        let mut run_start = 0;
        for (at, c) in s.char_indices() {
            let face = fonts.pick(style, c).0;
            match run_face {
                Some(f) if f == face => {}
                Some(f) => {
                    self.show(fonts, f, size, &s[run_start..at]);
                    run_face = Some(face);
                    run_start = at;
                }
                None => run_face = Some(face),
            }
        }
        if let Some(f) = run_face {
            self.show(fonts, f, size, &s[run_start..]);
        }
    }

    fn show(&mut self, fonts: &Fonts, face: FaceIx, size: f32, s: &str) {
        if self.font != Some((face, size)) {
            let font = PdfFontHandle::External(fonts.face(face).id.clone());
            self.text.push(Op::SetFont { font, size: Pt(size) });
            self.font = Some((face, size));
        }
        self.text.push(Op::ShowText { items: vec![TextItem::Text(s.to_string())] });
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
        self.shapes.push(Op::SetFillColor { col: color(fill) });
        self.shapes.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(w),
                height: Pt(h),
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        });
    }

    /// A straight line.
    pub(crate) fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, ink: Rgb8) {
        self.shapes.push(Op::SetOutlineColor { col: color(ink) });
        self.shapes.push(Op::SetOutlineThickness { pt: Pt(width) });
        let point =
            |(x, y): (f32, f32)| LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false };
        self.shapes.push(Op::DrawLine {
            line: Line { points: vec![point(from), point(to)], is_closed: false },
        });
    }

    pub(crate) fn into_page(self) -> PdfPage {
        let mut ops = self.shapes;
        if !self.text.is_empty() {
            ops.reserve(self.text.len() + 2);
            ops.push(Op::StartTextSection);
            ops.extend(self.text);
            ops.push(Op::EndTextSection);
        }
        PdfPage::new(Mm::from(Pt(self.width)), Mm::from(Pt(self.height)), ops)
    }
}
