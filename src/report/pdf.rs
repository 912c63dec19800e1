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

/// Mean advance of Ubuntu Light per em (measured over Swedish text); used
/// to wrap lines and size table columns.
const EM_ADVANCE: f32 = 0.50;

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

/// A table: header row, rows, relative column widths; the first column is
/// left-aligned, the others right-aligned (numbers).
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

/// Estimated width of `text` at `size` points.
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars().count() as f32 * size * EM_ADVANCE
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
        let max = ((PAGE_W - 2.0 * MARGIN) / (size * EM_ADVANCE)).floor() as usize;
        for line in wrap(text, max.max(10)) {
            self.line(&line, size, [30, 30, 30]);
        }
        self.space(size * 0.5);
    }

    /// A table; its header repeats on every page it spans.
    pub fn table(&mut self, table: &Table) {
        let size = table.font_size;
        let row_h = size * 1.6;
        let total: f32 = table.widths.iter().sum();
        let width = PAGE_W - 2.0 * MARGIN;
        let cols: Vec<f32> = table.widths.iter().map(|w| w / total * width).collect();
        let header = |w: &mut Writer| {
            w.ensure(row_h * 2.0);
            let y = w.y;
            w.ops().push(Op::Rect {
                x: MARGIN,
                y,
                w: width,
                h: row_h,
                color: [225, 230, 240],
            });
            w.cells(&table.header, &cols, y, size, [10, 10, 10]);
            w.y += row_h;
        };
        header(self);
        for (i, row) in table.rows.iter().enumerate() {
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
            self.cells(row, &cols, y, size, [30, 30, 30]);
            self.y += row_h;
        }
        self.space(size);
    }

    fn cells(&mut self, cells: &[String], cols: &[f32], y: f32, size: f32, color: [u8; 3]) {
        let mut x = MARGIN;
        for (k, (text, w)) in cells.iter().zip(cols).enumerate() {
            let tx = if k == 0 {
                x + 3.0
            } else {
                x + w - 3.0 - text_width(text, size)
            };
            self.ops().push(Op::Text {
                x: tx,
                y: y + size * 1.2,
                size,
                text: text.clone(),
                color,
            });
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

/// Splits `text` into lines of at most `max` characters at spaces.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_lines_short() {
        let lines = wrap(
            "Kartläggning av brott och ordningsstörningar i kommunen",
            20,
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(
            lines.join(" "),
            "Kartläggning av brott och ordningsstörningar i kommunen"
        );
        assert!(wrap("", 10).is_empty());
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
