//! The analysis panel: parameters of the heatmap, hotspots and strategic
//! places, each layer's visibility, opacity and legend, the ranked list of
//! places with the incidents each covers, and the coverage summary.
//!
//! It edits the parameters and styles in place and returns what else the
//! user asked for (a place clicked in the list, cancelling the run). Without
//! styles (the app's layer panel owns visibility and opacity) it shows no
//! checkbox or opacity slider of its own.

use egui::{Color32, Ui, WidgetInfo};

use super::task::{HEAT_CLASSES, PlacesView, heat_position, heat_rgba};
use super::{AnalysisOutput, AnalysisParams, AnalysisStyles, AreaRequest, AreaStatus, PanelStatus};
use crate::analysis::{AnalysisError, HotspotClass, Kernel};
use crate::gui::i18n::{self, Key, Language, tr};
use crate::gui::map::analysis_layers::{AnalysisLayerStyle, hotspot_fill, percent};
use crate::gui::panels::named_button;
use crate::gui::present::text::{self as ptext, T};
use crate::model::HourRange;

/// What the user asked for besides editing parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelRequest {
    /// A place in the list was clicked (index = rank − 1).
    FocusPlace(usize),
    /// Stop the running analysis.
    Cancel,
}

/// The analysis panel (stateless apart from egui's own collapsing state).
#[derive(Debug, Default)]
pub struct AnalysisPanel;

/// A number as the language writes it: no decimals from 10 up, one below
/// (decimal comma in Swedish).
pub fn number(lang: Language, v: f64) -> String {
    let s = if v.abs() >= 10.0 {
        i18n::count(lang, v.round().max(0.0) as u64)
    } else {
        format!("{v:.1}")
    };
    match lang {
        Language::Swedish => s.replace('.', ","),
        Language::English => s,
    }
}

/// A slider whose accessible name is `name` (its visible text is `text`).
fn slider(
    ui: &mut Ui,
    value: &mut f64,
    range: std::ops::RangeInclusive<f64>,
    text: &str,
    name: &str,
    suffix: &str,
) -> egui::Response {
    let response = ui.add(
        egui::Slider::new(value, range)
            .text(text)
            .suffix(suffix)
            .step_by(10.0)
            .integer(),
    );
    let enabled = response.enabled();
    let v = *value;
    let name = name.to_owned();
    response.widget_info(|| WidgetInfo::slider(enabled, v, &name));
    response
}

fn style_ui(ui: &mut Ui, lang: Language, style: &mut AnalysisLayerStyle, layer: &str) {
    ui.horizontal(|ui| {
        let show = format!("{} {}", tr(lang, Key::AnShow), layer.to_lowercase());
        ui.checkbox(&mut style.visible, show);
    });
    ui.add_enabled_ui(style.visible, |ui| {
        let response = ui.add(
            egui::Slider::new(&mut style.opacity, 0.0..=1.0)
                .text(tr(lang, Key::Opacity))
                .custom_formatter(|v, _| format!("{:.0} %", v * 100.0)),
        );
        let enabled = response.enabled();
        let v = f64::from(style.opacity);
        let name = format!("{}: {layer}", tr(lang, Key::Opacity));
        response.widget_info(|| WidgetInfo::slider(enabled, v, &name));
    });
}

fn swatch(ui: &mut Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
    ui.painter().rect_stroke(
        rect,
        2.0,
        egui::Stroke::new(0.5, Color32::GRAY),
        egui::StrokeKind::Inside,
    );
}

fn error_text(lang: Language, e: &AnalysisError) -> String {
    match e {
        AnalysisError::NoIncidents => tr(lang, Key::AnNoIncidents).to_owned(),
        other => other.to_string(),
    }
}

impl AnalysisPanel {
    /// The study area section: which area the analyses use (with a warning
    /// for the coarse default boundary), and buttons to set one from a file,
    /// draw one on the map, or remove it.
    pub fn area_ui(
        &mut self,
        ui: &mut Ui,
        lang: Language,
        path: &mut String,
        status: &AreaStatus,
    ) -> Option<AreaRequest> {
        let mut request = None;
        egui::CollapsingHeader::new(tr(lang, Key::AnStudyArea))
            .id_salt("an_area")
            .default_open(true)
            .show(ui, |ui| {
                match &status.area {
                    Some(a) => {
                        ui.label(format!("{} ({} km²)", a.source, number(lang, a.area_km2())));
                        if a.source == crate::analysis::inputs::DEFAULT_BOUNDARY_SOURCE {
                            ui.colored_label(
                                ui.visuals().warn_fg_color,
                                tr(lang, Key::AnAreaCoarse),
                            );
                        }
                    }
                    None => {
                        ui.weak(tr(lang, Key::AnNoArea));
                    }
                }
                ui.weak(tr(lang, Key::AnAreaNote));
                ui.horizontal(|ui| {
                    let l = ui.label(tr(lang, Key::AnAreaFile));
                    ui.add(egui::TextEdit::singleline(path).desired_width(160.0))
                        .labelled_by(l.id);
                    let ok = !path.trim().is_empty() && !status.busy;
                    if ui
                        .add_enabled(ok, egui::Button::new(tr(lang, Key::AnAreaUseFile)))
                        .clicked()
                    {
                        request = Some(AreaRequest::FromFile(path.trim().into()));
                    }
                });
                if ui
                    .add_enabled(!status.busy, egui::Button::new(tr(lang, Key::AnAreaBrowse)))
                    .clicked()
                {
                    request = Some(AreaRequest::Browse);
                }
                ui.horizontal(|ui| {
                    if status.drawing {
                        ui.label(tr(lang, Key::AnAreaDrawHint));
                        if ui.button(tr(lang, Key::Cancel)).clicked() {
                            request = Some(AreaRequest::StopDrawing);
                        }
                    } else {
                        if ui
                            .add_enabled(!status.busy, egui::Button::new(tr(lang, Key::AnAreaDraw)))
                            .clicked()
                        {
                            request = Some(AreaRequest::Draw);
                        }
                        if ui
                            .add_enabled(
                                !status.busy && status.area.is_some(),
                                egui::Button::new(tr(lang, Key::AnAreaRemove)),
                            )
                            .clicked()
                        {
                            request = Some(AreaRequest::Remove);
                        }
                    }
                });
                if let Some(e) = &status.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
            });
        request
    }

    /// Draws the panel. `output` is the last finished result (if any).
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        lang: Language,
        params: &mut AnalysisParams,
        mut styles: Option<&mut AnalysisStyles>,
        output: Option<&AnalysisOutput>,
        status: &PanelStatus,
    ) -> Option<PanelRequest> {
        let mut request = None;
        if status.computing {
            ui.horizontal(|ui| {
                ui.spinner();
                match &status.progress {
                    Some((stage, done, total)) if *total > 0 => {
                        ui.add(
                            egui::ProgressBar::new(*done as f32 / *total as f32)
                                .desired_width(150.0)
                                .text(stage.as_str()),
                        );
                    }
                    _ => {
                        ui.label(tr(lang, Key::AnComputing));
                    }
                }
                if named_button(ui, tr(lang, Key::Cancel), tr(lang, Key::AnCancelAnalysis))
                    .clicked()
                {
                    request = Some(PanelRequest::Cancel);
                }
            });
        }
        if let Some(e) = &status.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(out) = output {
            ui.label(format!(
                "{} {}",
                i18n::count(lang, out.incidents as u64),
                tr(lang, Key::AnIncidentsUsed)
            ));
            if out.coarse_excluded > 0 {
                ui.weak(format!(
                    "{} {}",
                    i18n::count(lang, out.coarse_excluded as u64),
                    tr(lang, Key::AnCoarseNote)
                ));
            }
        }

        let heat_name = tr(lang, Key::LayerHeatmap);
        egui::CollapsingHeader::new(heat_name)
            .id_salt("an_heat")
            .default_open(true)
            .show(ui, |ui| {
                if let Some(s) = styles.as_deref_mut() {
                    style_ui(ui, lang, &mut s.heatmap, heat_name);
                }
                slider(
                    ui,
                    &mut params.bandwidth_m,
                    50.0..=1000.0,
                    tr(lang, Key::AnBandwidth),
                    tr(lang, Key::AnBandwidth),
                    " m",
                )
                .on_hover_text(ptext::tr(lang, T::BandwidthHint));
                let mut auto = params.heat_cell_m.is_none();
                if ui.checkbox(&mut auto, tr(lang, Key::AnAutoCell)).changed() {
                    params.heat_cell_m = if auto {
                        None
                    } else {
                        Some((params.bandwidth_m / 10.0).clamp(10.0, 200.0).round())
                    };
                }
                if let Some(cell) = &mut params.heat_cell_m {
                    let name = format!("{}: {heat_name}", tr(lang, Key::AnCellSize));
                    slider(
                        ui,
                        cell,
                        10.0..=200.0,
                        tr(lang, Key::AnCellSize),
                        &name,
                        " m",
                    );
                } else if let Some(Ok(h)) = output.map(|o| &o.heatmap) {
                    ui.weak(format!(
                        "{}: {} m",
                        tr(lang, Key::AnCellSize),
                        number(lang, h.heatmap.params.effective_cell_m())
                    ));
                }
                ui.horizontal(|ui| {
                    egui::ComboBox::from_label(tr(lang, Key::AnKernel))
                        .selected_text(kernel_name(lang, params.kernel))
                        .show_ui(ui, |ui| {
                            for k in [Kernel::Quartic, Kernel::Gaussian] {
                                ui.selectable_value(&mut params.kernel, k, kernel_name(lang, k))
                                    .on_hover_text(kernel_hint(lang, k));
                            }
                        })
                        .response
                        .on_hover_text(ptext::tr(lang, T::KernelHint));
                });
                match output.map(|o| &o.heatmap) {
                    Some(Ok(h)) => heat_legend_ui(ui, lang, &h.edges),
                    Some(Err(e)) => {
                        ui.colored_label(ui.visuals().warn_fg_color, error_text(lang, e));
                    }
                    None => {}
                }
            });

        let hot_name = tr(lang, Key::LayerHotspots);
        egui::CollapsingHeader::new(hot_name)
            .id_salt("an_hot")
            .default_open(true)
            .show(ui, |ui| {
                if let Some(s) = styles.as_deref_mut() {
                    style_ui(ui, lang, &mut s.hotspots, hot_name);
                }
                let name = format!("{}: {hot_name}", tr(lang, Key::AnCellSize));
                slider(
                    ui,
                    &mut params.hotspot_cell_m,
                    50.0..=500.0,
                    tr(lang, Key::AnCellSize),
                    &name,
                    " m",
                );
                slider(
                    ui,
                    &mut params.band_m,
                    100.0..=1500.0,
                    tr(lang, Key::AnBand),
                    tr(lang, Key::AnBand),
                    " m",
                )
                .on_hover_text(ptext::tr(lang, T::BandHint));
                match output.map(|o| &o.hotspots) {
                    Some(Ok(h)) => {
                        ui.weak(tr(lang, Key::AnHotspotsNote));
                        for (k, class) in HotspotClass::ALL.iter().enumerate() {
                            if !class.is_significant() {
                                continue;
                            }
                            ui.horizontal(|ui| {
                                swatch(ui, hotspot_fill(*class));
                                let label = match lang {
                                    Language::Swedish => class.label_sv(),
                                    Language::English => class.label_en(),
                                };
                                ui.label(format!(
                                    "{label} ({} {})",
                                    i18n::count(lang, h.class_counts[k] as u64),
                                    tr(lang, Key::AnCells)
                                ));
                            });
                        }
                    }
                    Some(Err(e)) => {
                        ui.colored_label(ui.visuals().warn_fg_color, error_text(lang, e));
                    }
                    None => {}
                }
            });

        let places_name = tr(lang, Key::LayerStrategicPlaces);
        egui::CollapsingHeader::new(places_name)
            .id_salt("an_places")
            .default_open(true)
            .show(ui, |ui| {
                if let Some(s) = styles {
                    style_ui(ui, lang, &mut s.places, places_name);
                }
                slider(
                    ui,
                    &mut params.radius_m,
                    100.0..=1000.0,
                    tr(lang, Key::AnRadius),
                    tr(lang, Key::AnRadius),
                    " m",
                );
                let response =
                    ui.add(egui::Slider::new(&mut params.k, 1..=30).text(tr(lang, Key::AnPlacesK)));
                let enabled = response.enabled();
                let k = params.k as f64;
                response.widget_info(|| WidgetInfo::slider(enabled, k, tr(lang, Key::AnPlacesK)));
                hours_ui(ui, lang, &mut params.places_hours);
                match output.map(|o| &o.places) {
                    Some(Ok(p)) => {
                        if let Some(i) = places_list_ui(ui, lang, p) {
                            request = Some(PanelRequest::FocusPlace(i));
                        }
                    }
                    Some(Err(e)) => {
                        ui.colored_label(ui.visuals().warn_fg_color, error_text(lang, e));
                    }
                    None => {}
                }
            });
        request
    }
}

fn kernel_hint(lang: Language, k: Kernel) -> &'static str {
    match k {
        Kernel::Quartic => ptext::tr(lang, T::QuarticHint),
        Kernel::Gaussian => ptext::tr(lang, T::GaussianHint),
    }
}

/// A share as a percentage rounded down to one decimal ("99,9 %"), so
/// "covers … of that" never claims more than was reached.
pub fn share_floor(lang: Language, part: f64, whole: f64) -> String {
    let pct = if whole > 0.0 {
        (1000.0 * part / whole).floor() / 10.0
    } else {
        0.0
    };
    let text = if pct.fract() == 0.0 {
        format!("{pct:.0} %")
    } else {
        format!("{pct:.1} %")
    };
    match lang {
        Language::Swedish => text.replace('.', ","),
        Language::English => text,
    }
}

fn kernel_name(lang: Language, k: Kernel) -> &'static str {
    match k {
        Kernel::Quartic => tr(lang, Key::AnQuartic),
        Kernel::Gaussian => tr(lang, Key::AnGaussian),
    }
}

/// The places' time window: quick choices and start/end hours.
fn hours_ui(ui: &mut Ui, lang: Language, hours: &mut HourRange) {
    ui.label(tr(lang, Key::AnPlacesHours));
    ui.horizontal(|ui| {
        let evening = *hours == HourRange::EVENINGS_AND_NIGHTS;
        let whole = hours.is_whole_day();
        let b = ui.add(egui::Button::selectable(evening, "18–06"));
        let name = tr(lang, Key::AnHoursEvening);
        let en = b.enabled();
        b.widget_info(|| WidgetInfo::selected(egui::Role::Button, en, evening, name));
        if b.clicked() {
            *hours = HourRange::EVENINGS_AND_NIGHTS;
        }
        let b = ui.add(egui::Button::selectable(whole, tr(lang, Key::WholeDay)));
        let name = tr(lang, Key::AnHoursWholeDay);
        b.widget_info(|| WidgetInfo::selected(egui::Role::Button, en, whole, name));
        if b.clicked() {
            *hours = HourRange::WHOLE_DAY;
        }
    });
    ui.horizontal(|ui| {
        let mut start = hours.start();
        let mut end = hours.end();
        let l = ui.label(tr(lang, Key::HourStart));
        let a = ui
            .add(egui::DragValue::new(&mut start).range(0..=23))
            .labelled_by(l.id);
        let l = ui.label(tr(lang, Key::HourEnd));
        let b = ui
            .add(egui::DragValue::new(&mut end).range(1..=24))
            .labelled_by(l.id);
        if (a.changed() || b.changed())
            && let Some(h) = HourRange::new(start, end)
        {
            *hours = h;
        }
    });
}

/// Class swatches of the heatmap with their ranges in incidents per km².
fn heat_legend_ui(ui: &mut Ui, lang: Language, edges: &[f64]) {
    if edges.len() < 2 {
        return;
    }
    ui.weak(tr(lang, Key::AnDensityUnit));
    let classes = edges.len() - 1;
    for i in (0..classes).rev() {
        let lo = if i == 0 { 0.0 } else { edges[i] };
        // The colour the map gives the class's middle value, made opaque.
        let t = heat_position((lo + edges[i + 1]) / 2.0, edges).unwrap_or(0.0);
        let [r, g, b, _] = heat_rgba(t.max(0.1));
        ui.horizontal(|ui| {
            swatch(ui, Color32::from_rgb(r, g, b));
            ui.label(format!(
                "{}–{}",
                number(lang, lo),
                number(lang, edges[i + 1])
            ));
        });
    }
    debug_assert!(classes <= HEAT_CLASSES);
}

/// The ranked list and the coverage summary; returns a clicked place.
fn places_list_ui(ui: &mut Ui, lang: Language, view: &PlacesView) -> Option<usize> {
    let p = &view.places;
    let mut clicked = None;
    ui.strong(format!(
        "{}: {} {} {} ({})",
        tr(lang, Key::AnCoverage),
        i18n::count(lang, p.covered.round() as u64),
        tr(lang, Key::Of),
        i18n::count(lang, p.total.round() as u64),
        percent(p.covered, p.total)
    ));
    ui.weak(
        ptext::tr(lang, T::UpperBoundLine)
            .replace("{bound}", &i18n::count(lang, p.upper_bound.floor() as u64))
            .replace(
                "{share}",
                &share_floor(lang, p.covered, p.upper_bound.floor()),
            ),
    );
    if view.coarse_excluded > 0 {
        ui.weak(format!(
            "{} {}",
            i18n::count(lang, view.coarse_excluded as u64),
            tr(lang, Key::AnCoarseNote)
        ));
    }
    ui.weak(tr(lang, Key::AnListHint));
    ui.weak(tr(lang, Key::AnDemandNote));
    for (i, place) in p.places.iter().enumerate() {
        // The count the click selects (incidents within the radius), so
        // list and map agree; the model's grid count is in the tooltip.
        let selects = view.selected.get(i).copied().unwrap_or(0) as u64;
        let text = format!(
            "{} {}: {} {} ({} {})",
            tr(lang, Key::AnPlace),
            place.rank,
            i18n::count(lang, selects),
            tr(lang, Key::IncidentsLower),
            tr(lang, Key::AnGainShort),
            i18n::count(lang, place.gain.round() as u64)
        );
        let hint = ptext::tr(lang, T::PlaceCountHint)
            .replace("{cell}", &number(lang, p.params.cell_m))
            .replace("{model}", &i18n::count(lang, place.covered.round() as u64));
        if ui
            .selectable_label(false, text)
            .on_hover_text(hint)
            .clicked()
        {
            clicked = Some(i);
        }
    }
    clicked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_of_the_bound_never_rounds_up_to_a_contradiction() {
        assert_eq!(share_floor(Language::Swedish, 2108.0, 2109.0), "99,9 %");
        assert_eq!(share_floor(Language::English, 2109.0, 2109.0), "100 %");
        assert_eq!(share_floor(Language::English, 1.0, 3.0), "33.3 %");
        assert_eq!(share_floor(Language::Swedish, 5.0, 0.0), "0 %");
    }

    #[test]
    fn numbers_in_both_languages() {
        assert_eq!(number(Language::Swedish, 2.34), "2,3");
        assert_eq!(number(Language::English, 2.34), "2.3");
        assert_eq!(number(Language::English, 12_345.4), "12,345");
        assert_eq!(number(Language::Swedish, 0.0), "0,0");
    }
}
