//! Page flow for the binder: sections that start on a new page, paragraphs, label/value blocks,
//! tables whose header repeats on every page, bar charts, and the running header and footer
//! ("Page N of M", known only once everything is laid out, so they are drawn last).
//!
//! Coordinates are PDF points from the bottom-left corner; `y` is the top of the free space.

use crate::canvas::{Canvas, INK, MUTED, Rgb8};
use crate::fonts::{Fonts, Style, clean, clean_multiline};

/// A4 landscape: the decision table needs the width.
pub(crate) const PAGE_W: f32 = 841.89;
pub(crate) const PAGE_H: f32 = 595.28;
pub(crate) const LEFT: f32 = 36.0;
pub(crate) const RIGHT: f32 = PAGE_W - 36.0;
pub(crate) const CONTENT_W: f32 = RIGHT - LEFT;
const TOP: f32 = PAGE_H - 58.0;
const BOTTOM: f32 = 50.0;
const HEADER_RULE: f32 = PAGE_H - 42.0;
const FOOTER_RULE: f32 = 38.0;

pub(crate) const ACCENT: Rgb8 = [0x1d, 0x4e, 0x89];
const RULE: Rgb8 = [0xc5, 0xcc, 0xd3];
const HEAD_FILL: Rgb8 = [0xdd, 0xe5, 0xee];
const ZEBRA: Rgb8 = [0xf3, 0xf5, 0xf8];
const BAND_FILL: Rgb8 = [0xec, 0xf0, 0xf5];
pub(crate) const WARN: Rgb8 = [0x9a, 0x2a, 0x1b];

pub(crate) const TABLE_SIZE: f32 = 8.0;
const ROW_H: f32 = 11.5;
const LINE_H: f32 = 9.6;
const PAD: f32 = 3.0;
/// The smallest size a cell is set in to keep to its column's lines.
const MIN_CELL_SIZE: f32 = 6.0;
/// The smallest size a running header is set in before it wraps.
const MIN_HEADER_SIZE: f32 = 5.5;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// One table column.
#[derive(Clone)]
pub(crate) struct Col {
    pub(crate) title: &'static str,
    pub(crate) width: f32,
    pub(crate) align: Align,
    pub(crate) style: Style,
    /// How many lines a cell is expected to take: a cell that needs more at the table's size
    /// is set smaller (down to `MIN_CELL_SIZE`) if that fits it in as many; otherwise it wraps
    /// on at the table's size. Nothing is ever cut.
    pub(crate) lines: usize,
}

impl Col {
    pub(crate) fn text(title: &'static str, width: f32) -> Col {
        Col { title, width, align: Align::Left, style: Style::Regular, lines: 1 }
    }
    pub(crate) fn num(title: &'static str, width: f32) -> Col {
        Col { title, width, align: Align::Right, style: Style::Regular, lines: 1 }
    }
    pub(crate) fn mono(title: &'static str, width: f32) -> Col {
        Col { title, width, align: Align::Left, style: Style::Mono, lines: 1 }
    }
    pub(crate) fn wrap(title: &'static str, width: f32, lines: usize) -> Col {
        Col { title, width, align: Align::Left, style: Style::Regular, lines }
    }
}

struct Table {
    cols: Vec<Col>,
    /// Rows drawn since the header, for the zebra stripes.
    row: usize,
    /// The group band in force, repeated with "(continued)" after a page break.
    band: Option<String>,
}

/// One bar of a chart.
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: u64,
    pub(crate) color: Rgb8,
}

pub(crate) struct Writer<'a> {
    pub(crate) fonts: &'a Fonts,
    pub(crate) pages: Vec<Canvas>,
    /// The section each page belongs to, for the running header.
    page_sections: Vec<String>,
    section: String,
    /// Section titles and the page index each starts on, for the contents list.
    pub(crate) toc: Vec<(String, usize)>,
    pub(crate) y: f32,
    table: Option<Table>,
    /// The last table row drawn: its page, top and height (for a link over it).
    pub(crate) last_row: (usize, f32, f32),
    /// Links to sections, resolved once every section's first page is known.
    pub(crate) links: Vec<SectionLink>,
    /// The page drawn on instead of the last, while `on_page` runs.
    fixed: Option<usize>,
}

/// A rectangle on one page that links to a section, and where to print the section's page
/// number inside it.
pub(crate) struct SectionLink {
    pub(crate) page: usize,
    /// x, y of the lower-left corner, width, height.
    pub(crate) rect: [f32; 4],
    pub(crate) section: String,
    /// Where the target's page number is printed, if anywhere.
    pub(crate) number_at: Option<(f32, f32)>,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(fonts: &'a Fonts) -> Writer<'a> {
        Writer {
            fonts,
            pages: Vec::new(),
            page_sections: Vec::new(),
            section: String::new(),
            toc: Vec::new(),
            y: TOP,
            table: None,
            last_row: (0, 0.0, 0.0),
            links: Vec::new(),
            fixed: None,
        }
    }

    pub(crate) fn page(&mut self) -> &mut Canvas {
        if self.pages.is_empty() {
            self.new_page();
        }
        let at = match self.fixed {
            Some(ix) if ix < self.pages.len() => ix,
            _ => self.pages.len() - 1,
        };
        &mut self.pages[at]
    }

    /// Runs `draw` on page `ix`, laid out earlier and kept for it (the cover, which waits for
    /// the evidence hash): what `draw` lays out stays on that page, whatever space it takes.
    pub(crate) fn on_page(&mut self, ix: usize, draw: impl FnOnce(&mut Writer<'a>)) {
        let (y, fixed) = (self.y, self.fixed.replace(ix));
        self.y = TOP;
        draw(self);
        (self.y, self.fixed) = (y, fixed);
    }

    pub(crate) fn new_page(&mut self) {
        // Thousands of pages wait for the running header and footer: each is packed as the
        // next begins (drawing on it later, the header, footer and cover, still works).
        if let Some(last) = self.pages.last_mut() {
            last.pack();
        }
        self.pages.push(Canvas::new(PAGE_W, PAGE_H));
        self.page_sections.push(self.section.clone());
        self.y = TOP;
    }

    /// Starts a section on a new page with its heading and an optional line saying what the
    /// section proves.
    pub(crate) fn section(&mut self, title: &str, purpose: &str) {
        self.table = None;
        self.section = title.to_string();
        self.new_page();
        self.toc.push((title.to_string(), self.pages.len() - 1));
        let (fonts, y) = (self.fonts, self.y);
        self.page().text(fonts, Style::Bold, 16.0, LEFT, y - 15.0, title, ACCENT);
        self.y -= 24.0;
        if !purpose.is_empty() {
            self.paragraph(purpose, 9.0, MUTED);
        }
        self.y -= 6.0;
    }

    /// Moves to a new page unless `height` points are still free.
    pub(crate) fn ensure(&mut self, height: f32) -> bool {
        if self.fixed.is_some() {
            return false;
        }
        if self.pages.is_empty() || self.y - height < BOTTOM {
            self.new_page();
            if self.table.is_some() {
                self.table_header();
            }
            return true;
        }
        false
    }

    pub(crate) fn heading(&mut self, text: &str) {
        self.table = None;
        self.ensure(60.0);
        self.y -= 6.0;
        let (fonts, y) = (self.fonts, self.y);
        self.page().text(fonts, Style::Bold, 11.0, LEFT, y - 10.0, text, INK);
        self.y -= 17.0;
    }

    /// Wrapped text across the content width.
    pub(crate) fn paragraph(&mut self, text: &str, size: f32, ink: Rgb8) {
        let text = clean_multiline(text);
        let lines = self.fonts.wrap(Style::Regular, &text, size, CONTENT_W);
        for line in lines {
            self.ensure(size * 1.4);
            let (fonts, y) = (self.fonts, self.y);
            self.page().text(fonts, Style::Regular, size, LEFT, y - size, &line, ink);
            self.y -= size * 1.4;
        }
    }

    /// A label and its value, the value wrapped beside the label.
    pub(crate) fn field(&mut self, label: &str, value: &str, style: Style) {
        self.field_lines(label, value, style, 40);
    }

    /// `field` for a value expected on at most `lines` lines: a longer one is set smaller if
    /// that keeps it to them, else it wraps on. The whole value is always printed.
    pub(crate) fn field_lines(&mut self, label: &str, value: &str, style: Style, lines: usize) {
        const LABEL_W: f32 = 170.0;
        const SIZE: f32 = 9.0;
        let fonts = self.fonts;
        let value = clean_multiline(value);
        let value = if value.trim().is_empty() { "—".into() } else { value };
        let (size, lines) = fit_lines(fonts, style, &value, SIZE, CONTENT_W - LABEL_W, lines);
        let label = fonts.wrap(Style::Bold, &clean(label), SIZE, LABEL_W - 8.0);
        self.ensure(SIZE * 1.45);
        let (top, start_page) = (self.y, self.pages.len());
        for (i, line) in label.iter().enumerate() {
            let y = top - SIZE - i as f32 * SIZE * 1.3;
            self.page().text(fonts, Style::Bold, SIZE, LEFT, y, line, MUTED);
        }
        let label_bottom = top - label.len() as f32 * SIZE * 1.3 - SIZE * 0.15;
        for line in lines {
            self.ensure(size * 1.45);
            let y = self.y;
            self.page().text(fonts, style, size, LEFT + LABEL_W, y - size, &line, INK);
            self.y -= size * 1.45;
        }
        if self.pages.len() == start_page {
            self.y = self.y.min(label_bottom);
        }
    }

    pub(crate) fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    // ---- tables -------------------------------------------------------------------------------

    pub(crate) fn table_start(&mut self, cols: Vec<Col>) {
        self.table = Some(Table { cols, row: 0, band: None });
        // Header plus two rows, so a header never sits alone at the foot of a page.
        if !self.ensure(ROW_H * 3.0 + 4.0) {
            self.table_header();
        }
    }

    fn table_header(&mut self) {
        let Some(table) = self.table.as_mut() else { return };
        table.row = 0;
        let cols = table.cols.clone();
        let band = table.band.clone();
        let (fonts, y) = (self.fonts, self.y);
        let width: f32 = cols.iter().map(|c| c.width).sum();
        let page = self.page();
        page.rect(LEFT, y - ROW_H - 2.0, width, ROW_H + 2.0, HEAD_FILL);
        let mut x = LEFT;
        for col in &cols {
            let inner = col.width - 2.0 * PAD;
            let size = fonts.shrink(Style::Bold, col.title, TABLE_SIZE, 4.0, inner);
            let base = y - 9.0;
            match col.align {
                Align::Left => page.text(fonts, Style::Bold, size, x + PAD, base, col.title, INK),
                Align::Right => page.text_right(
                    fonts,
                    Style::Bold,
                    size,
                    x + col.width - PAD,
                    base,
                    col.title,
                    INK,
                ),
            }
            x += col.width;
        }
        page.line((LEFT, y - ROW_H - 2.0), (LEFT + width, y - ROW_H - 2.0), 0.6, ACCENT);
        self.y -= ROW_H + 2.0;
        if let Some(band) = band {
            self.band_row(&format!("{band} (continued)"));
        }
    }

    /// A full-width row naming the group the following rows belong to.
    pub(crate) fn table_band(&mut self, text: &str) {
        // The band and at least two of its rows stay together.
        self.ensure(ROW_H * 3.0 + 2.0);
        let text = clean(text).into_owned();
        if let Some(table) = self.table.as_mut() {
            table.band = Some(text.clone());
        }
        self.band_row(&text);
    }

    fn band_row(&mut self, text: &str) {
        let Some(table) = self.table.as_mut() else { return };
        table.row = 0;
        let width: f32 = table.cols.iter().map(|c| c.width).sum();
        let (fonts, y) = (self.fonts, self.y);
        let size = TABLE_SIZE + 0.5;
        let lines = fonts.wrap(Style::Bold, text, size, width - 2.0 * PAD);
        let height = ROW_H + 1.0 + (lines.len().max(1) - 1) as f32 * LINE_H;
        let page = self.page();
        page.rect(LEFT, y - height, width, height, BAND_FILL);
        for (i, line) in lines.iter().enumerate() {
            let base = y - 9.0 - i as f32 * LINE_H;
            page.text(fonts, Style::Bold, size, LEFT + PAD, base, line, ACCENT);
        }
        self.y -= height;
    }

    /// One row; each cell is cleaned and cut or wrapped to its column.
    pub(crate) fn table_row(&mut self, cells: &[&str]) {
        self.table_row_styled(cells, None);
    }

    /// A row in bold with a rule above it, for totals.
    pub(crate) fn table_total(&mut self, cells: &[&str]) {
        self.table_row_styled(cells, Some(Style::Bold));
    }

    fn table_row_styled(&mut self, cells: &[&str], style: Option<Style>) {
        let Some(table) = self.table.as_ref() else { return };
        let fonts = self.fonts;
        // Every cell's lines first: the row's height follows from them.
        let mut laid: Vec<Cell> = table
            .cols
            .iter()
            .zip(cells)
            .map(|(col, cell)| Cell::lay(fonts, col, style.unwrap_or(col.style), cell))
            .collect();
        let height = laid.iter().map(Cell::height).fold(ROW_H, f32::max);
        // A row taller than a page (a justification of thousands of words) goes on over as
        // many pages as it needs; any other row starts on the page it fits on whole.
        let page_room = TOP - BOTTOM - 2.0 * (ROW_H + 2.0);
        if height <= page_room {
            self.ensure(height);
        } else {
            self.ensure(ROW_H * 3.0);
        }
        let first_page = self.pages.len() - 1;
        // The row's stripe follows it onto the next page.
        let zebra = match self.table.as_mut() {
            Some(table) => {
                table.row += 1;
                table.row % 2 == 0
            }
            None => false,
        };
        let first_top = self.y;
        let mut first_height = height;
        let mut first = true;
        // A row going on over a page repeats its first cell (the item number), so the part on
        // the next page says whose it is.
        let key = laid.first().and_then(|c| c.lines.first().cloned());
        loop {
            let room = self.y - BOTTOM;
            let mut chunk: Vec<Cell> = laid.iter_mut().map(|c| c.take(room)).collect();
            if let (false, Some(key), Some(cell)) = (first, &key, chunk.first_mut())
                && cell.lines.is_empty()
            {
                cell.lines.push(key.clone());
            }
            let h = chunk.iter().map(Cell::height).fold(ROW_H, f32::max);
            self.draw_row(&chunk, style, h, zebra);
            if first {
                first_height = h;
                first = false;
            }
            if laid.iter().all(|c| c.lines.is_empty()) {
                break;
            }
            self.ensure(f32::MAX);
        }
        self.last_row = (first_page, first_top, first_height);
    }

    /// Draws one row's cells (or the part of them on this page) `height` points tall.
    fn draw_row(&mut self, cells: &[Cell], style: Option<Style>, height: f32, zebra: bool) {
        let fonts = self.fonts;
        let Some(table) = self.table.as_mut() else { return };
        let cols = std::mem::take(&mut table.cols);
        let y = self.y;
        let width: f32 = cols.iter().map(|c| c.width).sum();
        let page = self.page();
        if zebra {
            page.rect(LEFT, y - height, width, height, ZEBRA);
        }
        if style.is_some() {
            page.line((LEFT, y), (LEFT + width, y), 0.6, INK);
        }
        let mut x = LEFT;
        for (col, cell) in cols.iter().zip(cells) {
            let style = style.unwrap_or(col.style);
            let base = y - 1.6 - cell.size * 0.85;
            for (i, line) in cell.lines.iter().enumerate() {
                let yy = base - i as f32 * cell.line_h();
                match col.align {
                    Align::Left => page.text(fonts, style, cell.size, x + PAD, yy, line, INK),
                    Align::Right => {
                        let right = x + col.width - PAD;
                        page.text_right(fonts, style, cell.size, right, yy, line, INK)
                    }
                }
            }
            x += col.width;
        }
        self.y -= height;
        if let Some(table) = self.table.as_mut() {
            table.cols = cols;
        }
    }

    /// Links the last table row's cells from `x` over `width` to `section`, printing the
    /// section's page number in the cell (left empty for it) that starts at `number_x`.
    pub(crate) fn link_last_row(&mut self, x: f32, width: f32, number_x: f32, section: &str) {
        let (page, top, height) = self.last_row;
        self.links.push(SectionLink {
            page,
            rect: [x, top - height, width, height],
            section: section.to_string(),
            number_at: Some((number_x + PAD, top - 8.4)),
        });
    }

    /// Prints each link's target page number and gives back the links as (page, rect, target
    /// page), once every section is laid out.
    pub(crate) fn resolve_links(&mut self) -> Vec<(usize, [f32; 4], usize)> {
        let fonts = self.fonts;
        let links = std::mem::take(&mut self.links);
        let mut out = Vec::new();
        for link in links {
            let Some(&(_, target)) = self.toc.iter().find(|(title, _)| *title == link.section)
            else {
                continue;
            };
            if let (Some((x, y)), Some(page)) = (link.number_at, self.pages.get_mut(link.page)) {
                let text = format!("p. {}", target + 1);
                page.text(fonts, Style::Regular, TABLE_SIZE, x, y, &text, ACCENT);
            }
            out.push((link.page, link.rect, target));
        }
        out
    }

    pub(crate) fn table_end(&mut self) {
        if let Some(table) = self.table.take() {
            let width: f32 = table.cols.iter().map(|c| c.width).sum();
            let y = self.y;
            self.page().line((LEFT, y), (LEFT + width, y), 0.4, RULE);
        }
        self.y -= 10.0;
    }

    // ---- charts -------------------------------------------------------------------------------

    /// A horizontal bar chart with its title, drawn at `x` in a box `width` wide starting at the
    /// current `y`; returns the height used. Bars are scaled to `scale` (e.g. the population),
    /// and each carries its count and share of `scale`.
    pub(crate) fn bar_chart(
        &mut self,
        x: f32,
        width: f32,
        title: &str,
        bars: &[Bar],
        scale: u64,
    ) -> f32 {
        const BAR_H: f32 = 10.0;
        const STEP: f32 = 15.0;
        let label_w = 120.0;
        let value_w = 82.0;
        let bar_w = (width - label_w - value_w).max(40.0);
        let (fonts, top) = (self.fonts, self.y);
        let page = self.page();
        page.text(fonts, Style::Bold, 10.0, x, top - 10.0, title, INK);
        let mut y = top - 18.0;
        let scale = scale.max(1);
        for bar in bars {
            let label = clean(&bar.label);
            let size = fonts.shrink(Style::Regular, &label, 8.5, 4.0, label_w - 6.0);
            page.text(fonts, Style::Regular, size, x, y - 9.0, &label, INK);
            // A faint track shows the full scale, so a short bar reads as a share, not a glitch.
            page.rect(x + label_w, y - BAR_H - 1.0, bar_w, BAR_H, ZEBRA);
            let share = bar.value as f32 / scale as f32;
            let w = (bar_w * share).clamp(0.0, bar_w);
            if w > 0.0 {
                page.rect(x + label_w, y - BAR_H - 1.0, w.max(1.0), BAR_H, bar.color);
            }
            let value = format!("{} ({})", bar.value, percent(bar.value, scale));
            page.text_right(fonts, Style::Regular, 8.5, x + width, y - 9.0, &value, INK);
            y -= STEP;
        }
        if bars.is_empty() {
            page.text(fonts, Style::Regular, 8.5, x, y - 9.0, "none", MUTED);
            y -= STEP;
        }
        top - y + 4.0
    }

    /// Key-figure tiles across the content width: a big number over a caption.
    pub(crate) fn tiles(&mut self, tiles: &[(String, String, Rgb8)]) {
        const TILE_H: f32 = 48.0;
        const GAP: f32 = 10.0;
        self.ensure(TILE_H + 8.0);
        let n = tiles.len().max(1) as f32;
        let w = (CONTENT_W - GAP * (n - 1.0)) / n;
        let (fonts, y) = (self.fonts, self.y);
        let page = self.page();
        for (i, (value, caption, color)) in tiles.iter().enumerate() {
            let x = LEFT + i as f32 * (w + GAP);
            page.rect(x, y - TILE_H, w, TILE_H, BAND_FILL);
            page.rect(x, y - TILE_H, 3.0, TILE_H, *color);
            page.text(fonts, Style::Bold, 17.0, x + 12.0, y - 22.0, value, *color);
            let size = fonts.shrink(Style::Regular, caption, 8.5, 4.0, w - 16.0);
            page.text(fonts, Style::Regular, size, x + 12.0, y - 37.0, caption, MUTED);
        }
        self.y -= TILE_H + 14.0;
    }

    // ---- running header and footer ------------------------------------------------------------

    /// Draws the running header (section, campaign) and footer (hash, `Page N of M`) on every
    /// page, the cover included; then hands the pages over.
    pub(crate) fn finish(mut self, left_header: &str, footer_note: &str) -> Vec<Canvas> {
        let total = self.pages.len();
        let fonts = self.fonts;
        let left_header = clean(left_header);
        let footer_note = clean(footer_note);
        for (i, page) in self.pages.iter_mut().enumerate() {
            let section = self.page_sections.get(i).map(String::as_str).unwrap_or("");
            if i > 0 {
                let section = clean(section);
                let (left_w, right_w) = (CONTENT_W * 0.5, CONTENT_W * 0.45);
                for (j, line) in header_lines(fonts, Style::Regular, &left_header, left_w) {
                    let y = HEADER_RULE + 6.0 + j as f32 * line.0 * 1.2;
                    page.text(fonts, Style::Regular, line.0, LEFT, y, &line.1, MUTED);
                }
                for (j, line) in header_lines(fonts, Style::Bold, &section, right_w) {
                    let y = HEADER_RULE + 6.0 + j as f32 * line.0 * 1.2;
                    page.text_right(fonts, Style::Bold, line.0, RIGHT, y, &line.1, MUTED);
                }
                page.line((LEFT, HEADER_RULE), (RIGHT, HEADER_RULE), 0.5, RULE);
            }
            page.line((LEFT, FOOTER_RULE), (RIGHT, FOOTER_RULE), 0.5, RULE);
            let size = fonts.shrink(Style::Regular, &footer_note, 7.5, 4.0, CONTENT_W * 0.75);
            page.text(fonts, Style::Regular, size, LEFT, FOOTER_RULE - 11.0, &footer_note, MUTED);
            let number = format!("Page {} of {}", i + 1, total);
            page.text_right(fonts, Style::Regular, 8.0, RIGHT, FOOTER_RULE - 11.0, &number, INK);
            page.shrink();
        }
        self.pages
    }
}

/// A running header's lines in reading order, each with how many lines sit below it (the last
/// sits on the rule) and its size: one line shrunk to fit, or, when even `MIN_HEADER_SIZE` is
/// too large, wrapped at that size.
fn header_lines(fonts: &Fonts, style: Style, text: &str, max: f32) -> Vec<(usize, (f32, String))> {
    let (size, lines) = shrink_or_wrap(fonts, style, text, 8.0, MIN_HEADER_SIZE, max);
    let n = lines.len();
    lines.into_iter().enumerate().map(|(i, l)| (n - 1 - i, (size, l))).collect()
}

/// `text` on one line at the largest size from `size` down to `min` that fits `max` points;
/// when even `min` is too large, wrapped at `min`.
pub(crate) fn shrink_or_wrap(
    fonts: &Fonts,
    style: Style,
    text: &str,
    size: f32,
    min: f32,
    max: f32,
) -> (f32, Vec<String>) {
    let size = fonts.shrink(style, text, size, min, max);
    if fonts.width(style, text, size) <= max {
        (size, vec![text.to_string()])
    } else {
        (size, fonts.wrap(style, text, size, max))
    }
}

/// `text` wrapped to `max` points at `size`, or, when that takes more than `lines` lines, at
/// the largest smaller size (down to `MIN_CELL_SIZE`) that keeps it to `lines`; failing that,
/// at `size` on as many lines as it needs.
pub(crate) fn fit_lines(
    fonts: &Fonts,
    style: Style,
    text: &str,
    size: f32,
    max: f32,
    lines: usize,
) -> (f32, Vec<String>) {
    if lines <= 1 && !text.contains('\n') && Fonts::is_plain(text) {
        return fit_one_line(fonts, style, text, size, max);
    }
    let wrapped = fonts.wrap(style, text, size, max);
    if wrapped.len() <= lines.max(1) {
        return (size, wrapped);
    }
    let mut smaller = size - 0.5;
    while smaller >= MIN_CELL_SIZE {
        let at = fonts.wrap(style, text, smaller, max);
        if at.len() <= lines.max(1) {
            return (smaller, at);
        }
        smaller -= 0.5;
    }
    (size, wrapped)
}

/// `fit_lines` for a one-line column and plain text, measured once rather than wrapped at every
/// size tried: the same lines and size. `wrap` keeps a paragraph whole exactly when its width in
/// em is at most `max / size`; only within rounding of that (where wrapping word by word might
/// still fit it, its widths summed in another order) is it asked.
fn fit_one_line(
    fonts: &Fonts,
    style: Style,
    text: &str,
    size: f32,
    max: f32,
) -> (f32, Vec<String>) {
    let em = fonts.em(style, text);
    let one_line = |at: f32| -> Option<Vec<String>> {
        let limit = max / at;
        if em <= limit {
            return Some(vec![text.to_string()]);
        }
        if em > limit * (1.0 + 1e-4) {
            return None;
        }
        Some(fonts.wrap(style, text, at, max)).filter(|l| l.len() <= 1)
    };
    if let Some(lines) = one_line(size) {
        return (size, lines);
    }
    let mut smaller = size - 0.5;
    while smaller >= MIN_CELL_SIZE {
        if let Some(lines) = one_line(smaller) {
            return (smaller, lines);
        }
        smaller -= 0.5;
    }
    (size, fonts.wrap(style, text, size, max))
}

/// One table cell laid out: its lines and the size they are set in.
struct Cell {
    size: f32,
    lines: Vec<String>,
}

impl Cell {
    fn lay(fonts: &Fonts, col: &Col, style: Style, text: &str) -> Cell {
        let inner = col.width - 2.0 * PAD;
        // Line breaks are kept where a cell wraps anyway (a justification's paragraphs); in a
        // one-line column (a name, a UPN) they are spaces, as a name has no paragraphs.
        let text = if col.lines > 1 { clean_multiline(text) } else { clean(text) };
        // Most cells fit on one line as they are.
        if !text.contains('\n') && fonts.width(style, &text, TABLE_SIZE) <= inner {
            return Cell { size: TABLE_SIZE, lines: vec![text.into_owned()] };
        }
        let (size, lines) = fit_lines(fonts, style, &text, TABLE_SIZE, inner, col.lines);
        Cell { size, lines }
    }

    fn line_h(&self) -> f32 {
        LINE_H * self.size / TABLE_SIZE
    }

    fn height(&self) -> f32 {
        ROW_H + (self.lines.len().max(1) - 1) as f32 * self.line_h()
    }

    /// The first lines that fit in `room` points, taken out of this cell.
    fn take(&mut self, room: f32) -> Cell {
        let fit =
            (((room - ROW_H) / self.line_h()).floor().max(0.0) as usize + 1).min(self.lines.len());
        let rest = self.lines.split_off(fit);
        Cell { size: self.size, lines: std::mem::replace(&mut self.lines, rest) }
    }
}

/// `part` as a percentage of `whole`, one decimal, "–" for an empty whole.
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}
