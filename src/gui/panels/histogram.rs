//! Two small bar charts of the filtered incidents: per local hour of the day
//! (evening and night hours 18–06 drawn darker) and per weekday, Monday
//! first. Drawn with the painter; every bar is an accessible node whose name
//! says its count (the same text as its hover tooltip), so screen readers and
//! tests can read the figures.

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, Ui, WidgetInfo, pos2, vec2};

use super::{WEEK, weekday_short};
use crate::analysis::Stats;
use crate::gui::i18n::{self, Key, Language, tr};
use crate::model::HourRange;

/// Bars outside the highlighted hours.
const BAR: Color32 = Color32::from_rgb(150, 175, 210);
/// Bars in the evening and night hours.
const BAR_HIGHLIGHT: Color32 = Color32::from_rgb(35, 70, 140);

/// The histogram panel. It has no state of its own; it is a struct so that
/// it is placed like the other panels.
#[derive(Debug, Clone, Default)]
pub struct HistogramPanel;

impl HistogramPanel {
    /// Draws both charts from `stats` (the counts for the current filter).
    pub fn ui(&mut self, ui: &mut Ui, lang: Language, stats: &Stats) {
        ui.strong(tr(lang, Key::HistogramTitle));
        ui.label(tr(lang, Key::ByHour));
        let hour_names: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
        bar_chart_ui(
            ui,
            lang,
            "histogram_hours",
            &stats.by_hour,
            &BarLabels {
                names: &hour_names,
                tooltip_names: &(0..24)
                    .map(|h| format!("{h:02}–{:02}", h + 1))
                    .collect::<Vec<_>>(),
                axis_every: 3,
            },
            &|i| HourRange::EVENINGS_AND_NIGHTS.contains(i as u8),
        );
        ui.label(
            egui::RichText::new(tr(lang, Key::EveningsHighlighted))
                .small()
                .color(ui.visuals().weak_text_color()),
        );
        ui.add_space(4.0);
        ui.label(tr(lang, Key::ByWeekday));
        let day_names: Vec<String> = WEEK
            .iter()
            .map(|d| weekday_short(lang, *d).to_owned())
            .collect();
        bar_chart_ui(
            ui,
            lang,
            "histogram_weekdays",
            &stats.by_weekday,
            &BarLabels {
                names: &day_names,
                tooltip_names: &day_names,
                axis_every: 1,
            },
            &|_| false,
        );
    }
}

struct BarLabels<'a> {
    /// Short names under the bars.
    names: &'a [String],
    /// Names in the tooltip and accessible name of each bar.
    tooltip_names: &'a [String],
    /// Print every n-th name under the axis.
    axis_every: usize,
}

/// The tooltip and accessible name of one bar: "18–19: 42 händelser".
fn bar_text(lang: Language, name: &str, count: u64) -> String {
    let noun = if count == 1 {
        Key::IncidentLower
    } else {
        Key::IncidentsLower
    };
    format!("{name}: {} {}", i18n::count(lang, count), tr(lang, noun))
}

fn bar_chart_ui(
    ui: &mut Ui,
    lang: Language,
    id_salt: &str,
    counts: &[u64],
    labels: &BarLabels<'_>,
    highlighted: &dyn Fn(usize) -> bool,
) {
    let n = counts.len().max(1);
    let font = FontId::proportional(10.0);
    let axis_w = 32.0;
    let plot_h = 70.0;
    let label_h = 14.0;
    let width = ui.available_width().clamp(160.0, 360.0);
    let (rect, _) = ui.allocate_exact_size(vec2(width, plot_h + label_h), Sense::hover());
    let plot = Rect::from_min_max(
        pos2(rect.left() + axis_w, rect.top()),
        pos2(rect.right(), rect.top() + plot_h),
    );
    let max = counts.iter().copied().max().unwrap_or(0);
    let text_color = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    let painter = ui.painter_at(rect);

    // Y axis: the largest count at the top, zero at the bottom.
    painter.text(
        pos2(plot.left() - 4.0, plot.top()),
        Align2::RIGHT_TOP,
        i18n::count(lang, max),
        font.clone(),
        weak,
    );
    painter.text(
        pos2(plot.left() - 4.0, plot.bottom()),
        Align2::RIGHT_BOTTOM,
        "0",
        font.clone(),
        weak,
    );
    painter.line_segment(
        [plot.left_bottom(), plot.right_bottom()],
        Stroke::new(1.0, weak),
    );

    let slot_w = plot.width() / n as f32;
    let id = ui.make_persistent_id(id_salt);
    for (i, &count) in counts.iter().enumerate() {
        let slot = Rect::from_min_size(
            pos2(plot.left() + slot_w * i as f32, plot.top()),
            vec2(slot_w, plot_h),
        );
        let frac = if max == 0 {
            0.0
        } else {
            count as f32 / max as f32
        };
        let bar_h = (plot_h * frac).max(if count > 0 { 1.0 } else { 0.0 });
        let bar = Rect::from_min_max(
            pos2(slot.left() + slot_w * 0.1, plot.bottom() - bar_h),
            pos2(slot.right() - slot_w * 0.1, plot.bottom()),
        );
        let color = if highlighted(i) { BAR_HIGHLIGHT } else { BAR };
        painter.rect_filled(bar, 1.0, color);

        if i % labels.axis_every.max(1) == 0
            && let Some(name) = labels.names.get(i)
        {
            painter.text(
                pos2(slot.center().x, plot.bottom() + 1.0),
                Align2::CENTER_TOP,
                name,
                font.clone(),
                text_color,
            );
        }

        let name = labels.tooltip_names.get(i).map_or("", String::as_str);
        let text = bar_text(lang, name, count);
        let response = ui.interact(slot, id.with(i), Sense::hover());
        response.widget_info(|| WidgetInfo::labeled(egui::Role::Label, true, &text));
        if response.hovered() {
            painter.rect_stroke(
                bar.expand(1.0),
                1.0,
                Stroke::new(1.0, text_color),
                egui::StrokeKind::Outside,
            );
        }
        response.on_hover_text(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_texts() {
        assert_eq!(
            bar_text(Language::Swedish, "18–19", 1234),
            "18–19: 1\u{202f}234 händelser"
        );
        assert_eq!(bar_text(Language::English, "Fri", 0), "Fri: 0 incidents");
        assert_eq!(bar_text(Language::Swedish, "Mån", 1), "Mån: 1 händelse");
    }
}
