//! The Tidsmönster window's contents. Every table cell is an accessible
//! label whose name says what it counts ("fre 22: 108"), so screen readers
//! and tests can read the figures.

use egui::{Color32, RichText, Ui, WidgetInfo};
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints};

use super::layers::{change_color, change_label};
use super::text::{T, month_short, tr};
use super::{TimeOutput, TimeState};
use crate::analysis::change::ChangeClass;
use crate::analysis::time_patterns::PeriodKind;
use crate::gui::i18n::Language;
use crate::gui::panels::{WEEK, weekday_short};
use crate::model::{Category, Source};

/// Classes of the table colours.
const CLASSES: usize = 5;

/// Light to dark blue, one per class.
const RAMP: [Color32; CLASSES] = [
    Color32::from_rgb(239, 243, 255),
    Color32::from_rgb(189, 215, 231),
    Color32::from_rgb(107, 174, 214),
    Color32::from_rgb(49, 130, 189),
    Color32::from_rgb(8, 81, 156),
];

/// Upper limits of [`CLASSES`] equal classes of 1..=max (at least 1 each).
pub fn class_limits(max: u64) -> [u64; CLASSES] {
    let mut out = [0; CLASSES];
    for (k, o) in out.iter_mut().enumerate() {
        *o = (max * (k as u64 + 1))
            .div_ceil(CLASSES as u64)
            .max(k as u64 + 1);
    }
    out
}

/// The class (0-based) of `n` under `limits`; `None` for 0.
fn class_of(n: u64, limits: &[u64; CLASSES]) -> Option<usize> {
    (n > 0).then(|| limits.iter().position(|l| n <= *l).unwrap_or(CLASSES - 1))
}

fn cell_ui(ui: &mut Ui, n: u64, limits: &[u64; CLASSES], name: String) {
    let (bg, fg) = match class_of(n, limits) {
        None => (Color32::TRANSPARENT, ui.visuals().weak_text_color()),
        Some(k) => (
            RAMP[k],
            if k >= 3 {
                Color32::WHITE
            } else {
                Color32::BLACK
            },
        ),
    };
    let text = RichText::new(format!("{n:>4}"))
        .monospace()
        .background_color(bg)
        .color(fg);
    let r = ui.label(text);
    r.widget_info(|| WidgetInfo::labeled(egui::Role::Label, true, &name));
}

fn legend_ui(ui: &mut Ui, lang: Language, limits: &[u64; CLASSES]) {
    ui.horizontal_wrapped(|ui| {
        ui.label(tr(lang, T::Legend));
        let mut lo = 1;
        for (k, hi) in limits.iter().enumerate() {
            if *hi < lo {
                continue;
            }
            let text = if *hi == lo {
                format!("{lo}")
            } else {
                format!("{lo}–{hi}")
            };
            let fg = if k >= 3 {
                Color32::WHITE
            } else {
                Color32::BLACK
            };
            ui.label(
                RichText::new(format!(" {text} "))
                    .background_color(RAMP[k])
                    .color(fg),
            );
            lo = hi + 1;
        }
    });
}

impl TimeState {
    /// The window (when open).
    pub fn window_ui(&mut self, ctx: &egui::Context, lang: Language) {
        let mut open = self.open;
        egui::Window::new(tr(lang, T::Title))
            .open(&mut open)
            .default_size([720.0, 640.0])
            .vscroll(true)
            .show(ctx, |ui| self.contents_ui(ui, lang));
        self.open = open;
    }

    /// The window's contents.
    pub fn contents_ui(&mut self, ui: &mut Ui, lang: Language) {
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        ui.horizontal(|ui| {
            for (kind, key) in [
                (PeriodKind::Month, T::PerMonth),
                (PeriodKind::Week, T::PerWeek),
            ] {
                if ui
                    .selectable_label(self.by == kind, tr(lang, key))
                    .clicked()
                {
                    self.by = kind;
                }
            }
            if self.task.is_some() {
                ui.spinner();
                ui.label(tr(lang, T::Computing));
            }
        });
        let Some(out) = self.output.clone() else {
            return;
        };
        summary_ui(ui, lang, &out);
        ui.separator();
        // The map controls first, so they stay in reach while the map plays.
        self.slider_ui(ui, lang, &out);
        ui.separator();
        self.change_ui(ui, lang);
        ui.separator();
        hour_weekday_ui(ui, lang, &out);
        ui.separator();
        series_ui(ui, lang, &out);
        ui.separator();
        arshjul_ui(ui, lang, &out);
        ui.separator();
        by_key_ui(ui, lang, &out);
    }

    fn slider_ui(&mut self, ui: &mut Ui, lang: Language, out: &TimeOutput) {
        ui.strong(tr(lang, T::Slider));
        let Some(frames) = &out.frames else {
            ui.label(tr(lang, T::NoFrames));
            return;
        };
        let n = frames.heatmaps.len();
        ui.checkbox(&mut self.slider_on, tr(lang, T::ShowOnMap));
        ui.horizontal(|ui| {
            if ui.button(tr(lang, T::StepBack)).clicked() {
                self.slider_on = true;
                self.step(-1);
            }
            let play = if self.playing { T::Pause } else { T::Play };
            if ui.button(tr(lang, play)).clicked() {
                self.playing = !self.playing;
                self.slider_on = true;
            }
            if ui.button(tr(lang, T::StepForward)).clicked() {
                self.slider_on = true;
                self.step(1);
            }
        });
        let mut i = self.frame;
        ui.spacing_mut().slider_width = (ui.available_width() - 16.0).clamp(120.0, 420.0);
        if ui
            .add(
                egui::Slider::new(&mut i, 0..=n.saturating_sub(1))
                    .show_value(false)
                    .trailing_fill(true),
            )
            .changed()
        {
            self.slider_on = true;
            self.set_frame(i);
        }
        let i = self.frame.min(n.saturating_sub(1));
        if let (Some(label), Some(count)) = (frames.labels.get(i), frames.counts.get(i)) {
            ui.label(format!(
                "{label}: {count} {} ({} {} {n})",
                tr(lang, T::Incidents),
                i + 1,
                tr(lang, T::FrameOf)
            ));
        }
    }

    fn change_ui(&mut self, ui: &mut Ui, lang: Language) {
        ui.strong(tr(lang, T::Change));
        for (key, text) in [
            (T::Before, &mut self.before_text),
            (T::After, &mut self.after_text),
        ] {
            ui.horizontal(|ui| {
                ui.add_sized([44.0, 18.0], egui::Label::new(tr(lang, key)));
                ui.add(
                    egui::TextEdit::singleline(text)
                        .hint_text(tr(lang, T::PeriodFormat))
                        .desired_width(200.0),
                );
            });
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    self.change_task.is_none(),
                    egui::Button::new(tr(lang, T::Compute)),
                )
                .clicked()
            {
                self.request_change();
            }
            if self.change_task.is_some() {
                ui.spinner();
            }
            if self.change.is_some() {
                ui.checkbox(&mut self.change_on, tr(lang, T::ShowOnMap));
            }
        });
        self.change_test_ui(ui, lang);
        if let Some(e) = &self.change_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(view) = &self.change {
            let m = &view.map;
            ui.label(format!(
                "{} {}: {} {}, {} {}: {} {}",
                tr(lang, T::Before),
                m.before,
                m.before_total,
                tr(lang, T::Incidents),
                tr(lang, T::After),
                m.after,
                m.after_total,
                tr(lang, T::Incidents),
            ));
            let untested = m.cells.len() - m.tested;
            for (class, n) in ChangeClass::ALL.iter().zip(m.class_counts()) {
                let n = if *class == ChangeClass::NoClearChange {
                    n - untested
                } else {
                    n
                };
                ui.horizontal(|ui| {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(14.0, 12.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 2.0, change_color(*class));
                    ui.label(format!("{}: {n}", change_label(lang, *class)));
                });
            }
            ui.label(
                RichText::new(format!(
                    "{untested} {} {} {}",
                    tr(lang, T::TooFewBefore),
                    m.min_count,
                    tr(lang, T::TooFewAfter)
                ))
                .small(),
            );
            ui.label(RichText::new(super::text::change_test_line(lang, m)).small());
        }
    }

    /// The change map's test parameters: cell side, least count, level, FDR.
    fn change_test_ui(&mut self, ui: &mut Ui, lang: Language) {
        let t = &mut self.change_test;
        egui::Grid::new("change_test")
            .num_columns(2)
            .show(ui, |ui| {
                let l = ui.label(tr(lang, T::CellSize));
                ui.add(
                    egui::DragValue::new(&mut t.cell_m)
                        .range(50.0..=2000.0)
                        .speed(10.0)
                        .suffix(" m"),
                )
                .labelled_by(l.id)
                .on_hover_text(tr(lang, T::CellSizeHint));
                ui.end_row();
                let l = ui.label(tr(lang, T::MinCount));
                ui.add(egui::DragValue::new(&mut t.min_count).range(1..=100))
                    .labelled_by(l.id)
                    .on_hover_text(tr(lang, T::MinCountHint));
                ui.end_row();
                let l = ui.label(tr(lang, T::Level));
                ui.horizontal(|ui| {
                    for a in [0.01, 0.05, 0.10] {
                        ui.radio_value(&mut t.alpha, a, super::text::percent(lang, a))
                            .on_hover_text(tr(lang, T::LevelHint));
                    }
                })
                .response
                .labelled_by(l.id);
                ui.end_row();
            });
        ui.checkbox(&mut t.fdr, tr(lang, T::Fdr))
            .on_hover_text(tr(lang, T::FdrHint));
    }
}

fn summary_ui(ui: &mut Ui, lang: Language, out: &TimeOutput) {
    let t = &out.patterns;
    let range = t
        .range
        .map_or_else(String::new, |[a, b]| format!(", {a} – {b}"));
    ui.label(format!("{} {}{range}", t.incidents, tr(lang, T::Incidents)));
    if out.synthetic {
        ui.colored_label(Color32::from_rgb(180, 90, 0), tr(lang, T::Synthetic));
    }
    let e = &t.evening_night;
    ui.label(format!(
        "{}: {} ({:.0} %) — {} {} ({:.0} %), {} {} ({:.0} %)",
        tr(lang, T::EveningNight),
        e.count,
        e.share * 100.0,
        tr(lang, T::Evening),
        e.evening,
        e.evening_share * 100.0,
        tr(lang, T::Night),
        e.night,
        e.night_share * 100.0
    ));
}

fn hour_weekday_ui(ui: &mut Ui, lang: Language, out: &TimeOutput) {
    let t = &out.patterns;
    ui.strong(tr(lang, T::HourWeekday));
    let max = t.hour_weekday.iter().flatten().copied().max().unwrap_or(0);
    let limits = class_limits(max);
    legend_ui(ui, lang, &limits);
    egui::Grid::new("hour_weekday")
        .spacing([2.0, 1.0])
        .show(ui, |ui| {
            ui.label(tr(lang, T::Hour));
            for d in WEEK {
                ui.label(weekday_short(lang, d));
            }
            ui.label(tr(lang, T::All));
            ui.end_row();
            for h in 0..24 {
                ui.label(format!("{h:02}"));
                for (k, d) in WEEK.iter().enumerate() {
                    let n = t.hour_weekday[k][h];
                    cell_ui(
                        ui,
                        n,
                        &limits,
                        format!("{} {h:02}: {n}", weekday_short(lang, *d)),
                    );
                }
                ui.label(RichText::new(format!("{:>5}", t.by_hour[h])).monospace());
                ui.end_row();
            }
            ui.label(tr(lang, T::All));
            for n in t.by_weekday {
                ui.label(RichText::new(format!("{n:>4}")).monospace());
            }
            ui.label(RichText::new(format!("{:>5}", t.incidents)).monospace());
            ui.end_row();
        });
}

fn series_ui(ui: &mut Ui, lang: Language, out: &TimeOutput) {
    let t = &out.patterns;
    ui.strong(format!(
        "{} ({})",
        tr(lang, T::Series),
        tr(
            lang,
            if t.by == PeriodKind::Week {
                T::PerWeek
            } else {
                T::PerMonth
            }
        )
    ));
    let labels: Vec<String> = t.series.iter().map(|p| p.label.clone()).collect();
    let this: Vec<[f64; 2]> = t
        .series
        .iter()
        .enumerate()
        .map(|(i, p)| [i as f64, p.count as f64])
        .collect();
    let earlier: Vec<[f64; 2]> = t
        .series
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.year_earlier.map(|n| [i as f64, n as f64]))
        .collect();
    let trend: Vec<[f64; 2]> = t
        .series
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            // Per full period, so partial first/last periods do not dip.
            let full = (p.end - p.start).num_days() as f64 + 1.0;
            p.trend
                .map(|v| [i as f64, v * full / f64::from(p.days.max(1))])
        })
        .collect();
    Plot::new("time_series")
        .height(180.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .include_y(0.0)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            labels.get(i as usize).cloned().unwrap_or_default()
        })
        .show(ui, |plot| {
            plot.line(
                Line::new(tr(lang, T::ThisPeriod), PlotPoints::new(this))
                    .color(Color32::from_rgb(33, 113, 181))
                    .width(2.0),
            );
            plot.line(
                Line::new(tr(lang, T::YearEarlier), PlotPoints::new(earlier))
                    .color(Color32::GRAY)
                    .style(LineStyle::dashed_loose()),
            );
            plot.line(
                Line::new(tr(lang, T::TrendLine), PlotPoints::new(trend))
                    .color(Color32::from_rgb(215, 48, 31)),
            );
        });
    match &t.trend {
        Some(tr_) => {
            ui.label(format!(
                "{}: {:+.1} % (95 %: {:+.1} … {:+.1} %){}",
                tr(lang, T::TrendText),
                tr_.change_per_year_pct,
                tr_.ci95_pct[0],
                tr_.ci95_pct[1],
                if tr_.clear {
                    String::new()
                } else {
                    format!(", {}", tr(lang, T::NoClearTrend))
                }
            ));
        }
        None => {
            ui.label(tr(lang, T::NoTrend));
        }
    }
}

fn arshjul_ui(ui: &mut Ui, lang: Language, out: &TimeOutput) {
    let a = &out.patterns.arshjul;
    ui.strong(tr(lang, T::Arshjul));
    let max = a
        .categories
        .iter()
        .flat_map(|c| c.months)
        .max()
        .unwrap_or(0);
    let limits = class_limits(max);
    egui::Grid::new("arshjul")
        .spacing([2.0, 1.0])
        .show(ui, |ui| {
            ui.label(tr(lang, T::Category));
            for m in 0..12 {
                ui.label(month_short(lang, m));
            }
            ui.label(tr(lang, T::Peak));
            ui.end_row();
            for (c, cat) in a.categories.iter().zip(Category::ALL) {
                if c.count == 0 {
                    continue;
                }
                let name = if lang == Language::Swedish {
                    cat.label_sv()
                } else {
                    cat.label_en()
                };
                ui.label(name);
                for (m, n) in c.months.iter().enumerate() {
                    cell_ui(
                        ui,
                        *n,
                        &limits,
                        format!("{name} {}: {n}", month_short(lang, m)),
                    );
                }
                ui.label(
                    c.peak_month
                        .map_or("–", |m| month_short(lang, usize::from(m) - 1)),
                );
                ui.end_row();
            }
        });
}

fn by_key_ui(ui: &mut Ui, lang: Language, out: &TimeOutput) {
    let t = &out.patterns;
    let sv = lang == Language::Swedish;
    ui.columns(2, |cols| {
        cols[0].strong(tr(lang, T::ByCategory));
        egui::Grid::new("time_by_category").show(&mut cols[0], |ui| {
            for (k, c) in t.by_category.iter().zip(Category::ALL) {
                ui.label(if sv { c.label_sv() } else { c.label_en() });
                ui.label(format!("{}", k.count));
                ui.label(format!("{:.0} %", k.share * 100.0));
                ui.end_row();
            }
        });
        cols[1].strong(tr(lang, T::BySource));
        egui::Grid::new("time_by_source").show(&mut cols[1], |ui| {
            for (k, s) in t.by_source.iter().zip(Source::ALL) {
                ui.label(if sv { s.label_sv() } else { s.label_en() });
                ui.label(format!("{}", k.count));
                ui.label(format!("{:.0} %", k.share * 100.0));
                ui.end_row();
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_limits_split_the_counts() {
        assert_eq!(class_limits(100), [20, 40, 60, 80, 100]);
        assert_eq!(class_limits(7), [2, 3, 5, 6, 7]);
        assert_eq!(class_limits(2), [1, 2, 3, 4, 5]);
        let l = class_limits(100);
        assert_eq!(class_of(0, &l), None);
        assert_eq!(class_of(1, &l), Some(0));
        assert_eq!(class_of(20, &l), Some(0));
        assert_eq!(class_of(21, &l), Some(1));
        assert_eq!(class_of(100, &l), Some(4));
    }
}
