//! A small flowing-layout writer over krilla: A4 portrait pages with
//! headings, wrapped paragraphs, tables, bar charts and pictures, a footer on
//! every page (with "Syntetiska data" when the project is synthetic). The
//! font (egui's bundled Ubuntu Light) is embedded as a subset, so Swedish
//! characters render in every reader and `pdftotext` gets the text back.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size};
use krilla::image::Image;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

/// A4 portrait, PDF points.
pub const PAGE_W: f32 = 595.0;
pub const PAGE_H: f32 = 842.0;
pub const MARGIN: f32 = 50.0;
const FOOTER_H: f32 = 30.0;
/// Space between a table cell's text and its column's edges, points.
const CELL_PAD: f32 = 3.0;
/// Distance between the lines of a wrapped cell, in font sizes.
const LINE_STEP: f32 = 1.2;

/// The report's font (egui's bundled Ubuntu Light).
fn font_data() -> &'static [u8] {
    epaint_default_fonts::UBUNTU_LIGHT
}

/// The font as the shaper sees it, parsed once.
fn face() -> Option<&'static rustybuzz::Face<'static>> {
    static FACE: std::sync::OnceLock<Option<rustybuzz::Face<'static>>> = std::sync::OnceLock::new();
    FACE.get_or_init(|| rustybuzz::Face::from_slice(font_data(), 0))
        .as_ref()
}

/// One drawing operation, kept until the page is written.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        color: [u8; 3],
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: [u8; 3],
    },
    Line {
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        color: [u8; 3],
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        png: Vec<u8>,
    },
}

/// A table: header row, rows, relative column widths; a column of numbers
/// (every cell starts with a digit, "<" or a minus, e.g. "12", "<3", "8 %")
/// is right-aligned, other columns left-aligned.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub widths: Vec<f32>,
    pub font_size: f32,
}

/// The report being laid out.
pub struct Writer {
    pages: Vec<Vec<Op>>,
    y: f32,
    footer: String,
    synthetic: bool,
}

/// Why the PDF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the report font cannot be read")]
    Font,
    #[error("a map picture cannot be embedded: {0}")]
    Image(String),
    #[error("writing the PDF: {0}")]
    Write(String),
}

/// The width of `text` at `size` points as the PDF draws it: shaped with
/// the embedded font (rustybuzz, as krilla does), advances and kerning
/// summed. (Without the font, which is compiled in, a wide 0.6 em per
/// character.)
pub fn text_width(text: &str, size: f32) -> f32 {
    let Some(face) = face() else {
        return text.chars().count() as f32 * size * 0.6;
    };
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    let shaped = rustybuzz::shape(face, &[], buffer);
    let units: i64 = shaped
        .glyph_positions()
        .iter()
        .map(|p| i64::from(p.x_advance))
        .sum();
    units as f32 / face.units_per_em().max(1) as f32 * size
}

/// Splits `text` into lines no wider than `max_w` points at `size`
/// (measured with [`text_width`]): at spaces, and inside a word only when
/// the word alone is wider than a line. Empty text gives no lines.
pub fn wrap_to_width(text: &str, size: f32, max_w: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let joined = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if text_width(&joined, size) <= max_w {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if text_width(word, size) <= max_w {
            line = word.to_owned();
            continue;
        }
        // A word wider than the line: break it between characters.
        for c in word.chars() {
            let mut longer = line.clone();
            longer.push(c);
            if !line.is_empty() && text_width(&longer, size) > max_w {
                lines.push(std::mem::replace(&mut line, c.to_string()));
            } else {
                line = longer;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl Writer {
    /// A report whose every page carries `footer` (and "Syntetiska data –
    /// inte verkliga händelser" when `synthetic`).
    pub fn new(footer: String, synthetic: bool) -> Writer {
        Writer {
            pages: vec![Vec::new()],
            y: MARGIN,
            footer,
            synthetic,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a writer always has a page")
    }

    /// Pages so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Starts a new page.
    pub fn page_break(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Breaks the page unless `h` points still fit.
    pub fn ensure(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN - FOOTER_H {
            self.page_break();
        }
    }

    pub fn space(&mut self, h: f32) {
        self.y += h;
    }

    /// One line of text at the current position (no wrapping).
    pub fn line(&mut self, text: &str, size: f32, color: [u8; 3]) {
        self.ensure(size * 1.4);
        let y = self.y + size;
        self.ops().push(Op::Text {
            x: MARGIN,
            y,
            size,
            text: text.to_owned(),
            color,
        });
        self.y += size * 1.4;
    }

    /// A section heading (starts a page when less than a quarter is left).
    pub fn heading(&mut self, text: &str, size: f32) {
        self.ensure(size * 2.0 + 120.0);
        self.space(size * 0.4);
        self.line(text, size, [20, 40, 90]);
        let y = self.y;
        self.ops().push(Op::Line {
            x0: MARGIN,
            y0: y,
            x1: PAGE_W - MARGIN,
            y1: y,
            color: [20, 40, 90],
        });
        self.space(size * 0.5);
    }

    /// A paragraph wrapped to the text width.
    pub fn paragraph(&mut self, text: &str, size: f32) {
        for line in wrap_to_width(text, size, PAGE_W - 2.0 * MARGIN) {
            self.line(&line, size, [30, 30, 30]);
        }
        self.space(size * 0.5);
    }

    /// A table; its header repeats on every page it spans. A cell wider
    /// than its column wraps onto more lines (the row grows), so no text
    /// leaves its cell.
    pub fn table(&mut self, table: &Table) {
        let size = table.font_size;
        let total: f32 = table.widths.iter().sum();
        let width = PAGE_W - 2.0 * MARGIN;
        let cols: Vec<f32> = table.widths.iter().map(|w| w / total * width).collect();
        let header_lines = cell_lines(&table.header, &cols, size);
        let right: Vec<bool> = (0..cols.len())
            .map(|k| k > 0 && numeric_column(table, k))
            .collect();
        let header = |w: &mut Writer| {
            let h = row_height(&header_lines, size);
            w.ensure(h + size * 1.6);
            let y = w.y;
            w.ops().push(Op::Rect {
                x: MARGIN,
                y,
                w: width,
                h,
                color: [225, 230, 240],
            });
            w.cells(&header_lines, &cols, &right, y, size, [10, 10, 10]);
            w.y += h;
        };
        header(self);
        for (i, row) in table.rows.iter().enumerate() {
            let lines = cell_lines(row, &cols, size);
            let row_h = row_height(&lines, size);
            if self.y + row_h > PAGE_H - MARGIN - FOOTER_H {
                self.page_break();
                header(self);
            }
            let y = self.y;
            if i % 2 == 1 {
                self.ops().push(Op::Rect {
                    x: MARGIN,
                    y,
                    w: width,
                    h: row_h,
                    color: [245, 246, 249],
                });
            }
            self.cells(&lines, &cols, &right, y, size, [30, 30, 30]);
            self.y += row_h;
        }
        self.space(size);
    }

    /// Draws a row's cells, each already wrapped to its column.
    fn cells(
        &mut self,
        cells: &[Vec<String>],
        cols: &[f32],
        right: &[bool],
        y: f32,
        size: f32,
        color: [u8; 3],
    ) {
        let mut x = MARGIN;
        for (k, (lines, w)) in cells.iter().zip(cols).enumerate() {
            for (n, text) in lines.iter().enumerate() {
                let tx = if right.get(k).copied().unwrap_or(false) {
                    x + w - CELL_PAD - text_width(text, size)
                } else {
                    x + CELL_PAD
                };
                self.ops().push(Op::Text {
                    x: tx,
                    y: y + size * 1.2 + n as f32 * size * LINE_STEP,
                    size,
                    text: text.clone(),
                    color,
                });
            }
            x += w;
        }
    }

    /// A bar chart of `values` with a label under every `label_every`-th bar
    /// and, if given, a second series drawn as thin dark bars beside them.
    pub fn bar_chart(
        &mut self,
        labels: &[String],
        values: &[u64],
        second: Option<&[Option<u64>]>,
        legend: &str,
    ) {
        let h = 150.0;
        self.ensure(h + 30.0);
        let top = self.y;
        let width = PAGE_W - 2.0 * MARGIN;
        let max = values
            .iter()
            .copied()
            .chain(second.into_iter().flatten().flatten().copied())
            .max()
            .unwrap_or(0)
            .max(1) as f32;
        let n = values.len().max(1) as f32;
        let slot = width / n;
        let base = top + h - 14.0;
        let scale = (h - 30.0) / max;
        self.ops().push(Op::Line {
            x0: MARGIN,
            y0: base,
            x1: MARGIN + width,
            y1: base,
            color: [80, 80, 80],
        });
        let label_every = (labels.len() / 12).max(1);
        for (i, v) in values.iter().enumerate() {
            let x = MARGIN + i as f32 * slot;
            let bh = *v as f32 * scale;
            self.ops().push(Op::Rect {
                x: x + slot * 0.1,
                y: base - bh,
                w: slot * 0.55,
                h: bh,
                color: [70, 110, 180],
            });
            if let Some(Some(prev)) = second.and_then(|s| s.get(i)) {
                let ph = *prev as f32 * scale;
                self.ops().push(Op::Rect {
                    x: x + slot * 0.65,
                    y: base - ph,
                    w: slot * 0.25,
                    h: ph,
                    color: [150, 150, 150],
                });
            }
            if i % label_every == 0
                && let Some(l) = labels.get(i)
            {
                self.ops().push(Op::Text {
                    x: x + 1.0,
                    y: base + 10.0,
                    size: 6.5,
                    text: l.clone(),
                    color: [60, 60, 60],
                });
            }
        }
        self.ops().push(Op::Text {
            x: MARGIN,
            y: top + 9.0,
            size: 8.0,
            text: format!("{legend} (högsta stapel: {})", max as u64),
            color: [60, 60, 60],
        });
        self.y = top + h + 8.0;
    }

    /// A picture (PNG bytes, `px_w` × `px_h` pixels) at the full text width.
    pub fn picture(&mut self, png: Vec<u8>, px_w: u32, px_h: u32) {
        let w = PAGE_W - 2.0 * MARGIN;
        let h = w * px_h as f32 / px_w.max(1) as f32;
        self.ensure(h + 6.0);
        let y = self.y;
        self.ops().push(Op::Image {
            x: MARGIN,
            y,
            w,
            h,
            png,
        });
        self.y += h + 6.0;
    }

    /// Writes every page (with its footer) and returns the PDF.
    pub fn finish(self) -> Result<Vec<u8>, PdfError> {
        let font = Font::new(epaint_default_fonts::UBUNTU_LIGHT.into(), 0).ok_or(PdfError::Font)?;
        let mut doc = Document::new();
        let n = self.pages.len();
        for (k, ops) in self.pages.into_iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or(PdfError::Font)?;
            let mut page = doc.start_page_with(settings);
            let mut s = page.surface();
            let mut footer = vec![Op::Line {
                x0: MARGIN,
                y0: PAGE_H - MARGIN + 2.0,
                x1: PAGE_W - MARGIN,
                y1: PAGE_H - MARGIN + 2.0,
                color: [150, 150, 150],
            }];
            let page_no = format!("Sida {} av {n}", k + 1);
            footer.push(Op::Text {
                x: MARGIN,
                y: PAGE_H - MARGIN + 14.0,
                size: 8.0,
                text: self.footer.clone(),
                color: [90, 90, 90],
            });
            footer.push(Op::Text {
                x: PAGE_W - MARGIN - text_width(&page_no, 8.0),
                y: PAGE_H - MARGIN + 14.0,
                size: 8.0,
                text: page_no,
                color: [90, 90, 90],
            });
            if self.synthetic {
                let text = "Syntetiska data – inte verkliga händelser".to_owned();
                footer.push(Op::Text {
                    x: MARGIN,
                    y: PAGE_H - MARGIN + 26.0,
                    size: 9.0,
                    text: text.clone(),
                    color: [170, 70, 0],
                });
                footer.push(Op::Text {
                    x: PAGE_W - MARGIN - text_width(&text, 9.0),
                    y: MARGIN - 16.0,
                    size: 9.0,
                    text,
                    color: [170, 70, 0],
                });
            }
            for op in ops.into_iter().chain(footer) {
                match op {
                    Op::Text {
                        x,
                        y,
                        size,
                        text,
                        color,
                    } => {
                        s.set_fill(Some(fill(color)));
                        s.draw_text(
                            Point::from_xy(x, y),
                            font.clone(),
                            size,
                            &text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Op::Rect { x, y, w, h, color } => {
                        if let Some(rect) = Rect::from_xywh(x, y, w.max(0.01), h.max(0.01)) {
                            let mut pb = PathBuilder::new();
                            pb.push_rect(rect);
                            if let Some(path) = pb.finish() {
                                s.set_stroke(None);
                                s.set_fill(Some(fill(color)));
                                s.draw_path(&path);
                            }
                        }
                    }
                    Op::Line {
                        x0,
                        y0,
                        x1,
                        y1,
                        color,
                    } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(x0, y0);
                        pb.line_to(x1, y1);
                        if let Some(path) = pb.finish() {
                            s.set_fill(None);
                            s.set_stroke(Some(Stroke {
                                paint: rgb::Color::new(color[0], color[1], color[2]).into(),
                                width: 0.7,
                                ..Default::default()
                            }));
                            s.draw_path(&path);
                            s.set_stroke(None);
                        }
                    }
                    Op::Image { x, y, w, h, png } => {
                        let image = Image::from_png(png.into(), true).map_err(PdfError::Image)?;
                        let Some(size) = Size::from_wh(w, h) else {
                            continue;
                        };
                        s.push_transform(&krilla::geom::Transform::from_translate(x, y));
                        s.draw_image(image, size);
                        s.pop();
                    }
                }
            }
            s.finish();
            page.finish();
        }
        doc.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
    }
}

fn fill(color: [u8; 3]) -> Fill {
    Fill {
        paint: rgb::Color::new(color[0], color[1], color[2]).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// True when every non-empty cell of column `k` holds a number.
fn numeric_column(table: &Table, k: usize) -> bool {
    let mut any = false;
    for row in &table.rows {
        let Some(cell) = row.get(k).map(|c| c.trim()) else {
            continue;
        };
        if cell.is_empty() || cell == "–" {
            continue;
        }
        any = true;
        let first = cell.chars().next().unwrap_or(' ');
        if !(first.is_ascii_digit() || matches!(first, '<' | '-' | '−' | '+' | '±')) {
            return false;
        }
    }
    any
}

/// Each cell of a row wrapped to its column's inner width.
fn cell_lines(cells: &[String], cols: &[f32], size: f32) -> Vec<Vec<String>> {
    cells
        .iter()
        .zip(cols)
        .map(|(text, w)| wrap_to_width(text, size, w - 2.0 * CELL_PAD))
        .collect()
}

/// A row's height for its most wrapped cell.
fn row_height(cells: &[Vec<String>], size: f32) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    size * 1.6 + (lines - 1) as f32 * size * LINE_STEP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_font() {
        // Proportional: "W" is wider than "i", "mmm" three times "m".
        assert!(text_width("W", 10.0) > 2.0 * text_width("i", 10.0));
        let m = text_width("m", 10.0);
        assert!((text_width("mmm", 10.0) - 3.0 * m).abs() < 0.01);
        assert!((text_width("m", 20.0) - 2.0 * m).abs() < 0.01);
        assert_eq!(text_width("", 10.0), 0.0);
        // Ubuntu Light's "m" is wider than half an em, its "i" narrower.
        assert!(m > 5.0 && text_width("i", 10.0) < 3.0, "{m}");
    }

    #[test]
    fn wrapping_keeps_words_whole_and_lines_within_the_width() {
        let text = "Kartläggning av brott och ordningsstörningar i kommunen";
        let lines = wrap_to_width(text, 10.0, 100.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(
            lines.iter().all(|l| text_width(l, 10.0) <= 100.0),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), text);
        assert!(wrap_to_width("", 10.0, 100.0).is_empty());
        // A word wider than the line is broken, every piece fits.
        let long = "Skadegörelseklotterrapporteringsområdet";
        let lines = wrap_to_width(long, 10.0, 60.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(
            lines.iter().all(|l| text_width(l, 10.0) <= 60.0),
            "{lines:?}"
        );
        assert_eq!(lines.concat(), long);
    }

    #[test]
    fn a_long_cell_grows_its_row_instead_of_leaving_the_column() {
        let cols = [60.0, 40.0];
        let row = vec![
            "Sölvesborgs centrum vid Stortorget".to_owned(),
            "12".to_owned(),
        ];
        let lines = cell_lines(&row, &cols, 9.0);
        assert!(lines[0].len() >= 2, "{lines:?}");
        for l in &lines[0] {
            assert!(text_width(l, 9.0) <= 60.0 - 2.0 * CELL_PAD, "{l:?}");
        }
        assert_eq!(lines[1], ["12"]);
        assert!(row_height(&lines, 9.0) > row_height(&[vec!["a".into()]], 9.0));
    }

    #[test]
    fn a_writer_makes_a_pdf_with_pages() {
        let mut w = Writer::new("Test".into(), true);
        w.heading("Åtgärder", 16.0);
        w.paragraph("Inga åtgärder är registrerade.", 10.0);
        w.page_break();
        w.table(&Table {
            header: vec!["Kategori".into(), "Antal".into()],
            rows: vec![vec!["Våld".into(), "<3".into()]],
            widths: vec![3.0, 1.0],
            font_size: 9.0,
        });
        let pdf = w.finish().unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    }
}
