//! The side panels (filters, histogram, details, layers), each driven alone
//! in an egui_kittest harness with its state.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Weekday};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use lagesbild::analysis::Stats;
use lagesbild::gui::i18n::Language;
use lagesbild::gui::panels::{
    DetailsAction, DetailsPanel, FilterPanel, HistogramPanel, LayerChange, LayerEntry, LayerId,
    LayersPanel, Legend, selection_summary_ui,
};
use lagesbild::model::IncidentPoint;
use lagesbild::model::{
    Category, Filter, HourRange, Incident, LonLat, Precision, Source, Weekdays, time,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The filter panel, its filter and how many frames reported a change.
struct FilterState {
    panel: FilterPanel,
    filter: Filter,
    today: NaiveDate,
    lang: Language,
    changes: usize,
}

fn filter_harness(lang: Language) -> Harness<'static, FilterState> {
    let colors = |c: Category| egui::Color32::from_gray(20 * c as u8);
    Harness::builder()
        .with_size(egui::vec2(420.0, 1400.0))
        .build_ui_state(
            move |ui, s: &mut FilterState| {
                if s.panel
                    .ui(ui, s.lang, &mut s.filter, s.today, Some(&colors))
                {
                    s.changes += 1;
                }
            },
            FilterState {
                panel: FilterPanel::default(),
                filter: Filter::default(),
                today: date(2026, 11, 25),
                lang,
                changes: 0,
            },
        )
}

#[test]
fn evenings_and_nights_in_one_click() {
    let mut h = filter_harness(Language::Swedish);
    h.run();
    h.get_by_label("00–24, hela dygnet");
    h.get_by_label("Kvällar och nätter 18–06").click();
    h.run();
    assert_eq!(h.state().filter.hours, Some(HourRange::EVENINGS_AND_NIGHTS));
    assert_eq!(h.state().changes, 1);
    h.get_by_label("18–06, över midnatt");
    h.get_by_label("Hela dygnet").click();
    h.run();
    assert_eq!(h.state().filter.hours, None);
    assert_eq!(h.state().changes, 2);
}

#[test]
fn categories_stay_none_when_all_are_checked() {
    let mut h = filter_harness(Language::Swedish);
    h.run();
    h.get_by_label("Våld").click();
    h.run();
    let expected: BTreeSet<Category> = Category::ALL
        .into_iter()
        .filter(|c| *c != Category::Vald)
        .collect();
    assert_eq!(h.state().filter.categories, Some(expected));
    h.get_by_label("Våld").click();
    h.run();
    assert_eq!(h.state().filter.categories, None);

    h.get_by_label("Inga kategorier").click();
    h.run();
    assert_eq!(h.state().filter.categories, Some(BTreeSet::new()));
    h.get_by_label("Inget valt – inga händelser visas");
    h.get_by_label("Brand").click();
    h.run();
    assert_eq!(
        h.state().filter.categories,
        Some(BTreeSet::from([Category::Brand]))
    );
    h.get_by_label("Alla kategorier").click();
    h.run();
    assert_eq!(h.state().filter.categories, None);
    assert!(
        h.query_by_label("Inget valt – inga händelser visas")
            .is_none()
    );
}

#[test]
fn sources_are_checkboxes_too() {
    let mut h = filter_harness(Language::Swedish);
    h.run();
    h.get_by_label("Skola").click();
    h.run();
    let sources = h.state().filter.sources.clone().unwrap();
    assert_eq!(sources.len(), Source::ALL.len() - 1);
    assert!(!sources.contains(&Source::Skola));
    h.get_by_label("Alla källor").click();
    h.run();
    assert_eq!(h.state().filter.sources, None);
}

#[test]
fn quick_date_choices_use_the_pinned_today() {
    let mut h = filter_harness(Language::Swedish);
    h.run();
    h.get_by_label("Senaste 30 dagarna").click();
    h.run();
    assert_eq!(h.state().filter.from, Some(date(2026, 10, 27)));
    assert_eq!(h.state().filter.to, Some(date(2026, 11, 25)));
    // The date fields show the new range.
    assert_eq!(
        h.get_by_label("Från").value().as_deref(),
        Some("2026-10-27")
    );
    assert_eq!(
        h.get_by_label("Till").value().as_deref(),
        Some("2026-11-25")
    );

    h.get_by_label("Senaste 12 månaderna").click();
    h.run();
    assert_eq!(h.state().filter.from, Some(date(2025, 11, 26)));
    h.get_by_label("I år").click();
    h.run();
    assert_eq!(h.state().filter.from, Some(date(2026, 1, 1)));
    assert_eq!(h.state().filter.to, Some(date(2026, 11, 25)));
    h.get_by_label("Allt").click();
    h.run();
    assert_eq!((h.state().filter.from, h.state().filter.to), (None, None));
}

#[test]
fn typed_dates_apply_only_when_valid() {
    let mut h = filter_harness(Language::Swedish);
    h.run();
    h.get_by_label("Från").focus();
    h.run();
    h.get_by_label("Från").type_text("2025-01-01");
    h.run();
    assert_eq!(h.state().filter.from, Some(date(2025, 1, 1)));
    assert!(h.query_by_label("Skriv datumet som ÅÅÅÅ-MM-DD").is_none());

    // One more character makes it invalid: red hint, filter unchanged.
    let changes = h.state().changes;
    h.get_by_label("Från").type_text("7");
    h.run();
    h.get_by_label("Skriv datumet som ÅÅÅÅ-MM-DD");
    assert_eq!(h.state().filter.from, Some(date(2025, 1, 1)));
    assert_eq!(h.state().changes, changes);
    // The text the user is typing is kept, not overwritten.
    assert_eq!(
        h.get_by_label("Från").value().as_deref(),
        Some("2025-01-017")
    );
}

#[test]
fn to_date_before_from_date_is_refused() {
    let mut h = filter_harness(Language::Swedish);
    h.state_mut().filter.from = Some(date(2025, 6, 1));
    h.run();
    h.get_by_label("Till").focus();
    h.run();
    h.get_by_label("Till").type_text("2025-05-31");
    h.run();
    assert_eq!(h.state().filter.to, None);
    h.get_by_label("Från-datumet ligger efter till-datumet");
}

#[test]
fn weekday_toggles_and_weekend() {
    let mut h = filter_harness(Language::Swedish);
    h.run();
    h.get_by_label("Lör").click();
    h.run();
    let days = h.state().filter.weekdays.unwrap();
    assert!(!days.contains(Weekday::Sat));
    assert_eq!(days.days().count(), 6);
    h.get_by_label("Lör").click();
    h.run();
    assert_eq!(h.state().filter.weekdays, None);

    h.get_by_label("Helg (fre–lör)").click();
    h.run();
    assert_eq!(
        h.state().filter.weekdays,
        Some("fri,sat".parse::<Weekdays>().unwrap())
    );
    h.get_by_label("Fre").click();
    h.get_by_label("Lör").click();
    h.run();
    h.run();
    assert_eq!(h.state().filter.weekdays, Some(Weekdays::NONE));
    h.get_by_label("Alla dagar").click();
    h.run();
    assert_eq!(h.state().filter.weekdays, None);
}

#[test]
fn reset_gives_the_default_filter() {
    let mut h = filter_harness(Language::Swedish);
    h.run();
    h.get_by_label("I år").click();
    h.run();
    h.get_by_label("Kvällar och nätter 18–06").click();
    h.run();
    h.get_by_label("Narkotika").click();
    h.run();
    h.get_by_label("Polis").click();
    h.run();
    h.get_by_label("Sön").click();
    h.run();
    assert!(!h.state().filter.is_empty());
    h.get_by_label("Återställ filter").click();
    h.run();
    assert_eq!(h.state().filter, Filter::default());
    assert_eq!(h.get_by_label("Från").value().as_deref(), Some(""));
    h.get_by_label("00–24, hela dygnet");
}

#[test]
fn filter_panel_in_english() {
    let mut h = filter_harness(Language::English);
    h.run();
    h.get_by_label("Evenings and nights 18–06").click();
    h.run();
    h.get_by_label("18–06, past midnight");
    h.get_by_label("Violence");
    h.get_by_label("Reset filter");
}

fn point(day: u32, hour: u32, category: Category) -> IncidentPoint {
    // July 2025: the 4th is a Friday.
    let t = time::utc_from_local(date(2025, 7, day).and_hms_opt(hour, 10, 0).unwrap()).unwrap();
    IncidentPoint {
        fid: 1,
        occurred_at: t,
        category,
        source: Source::Polis,
        position: LonLat::new(14.58, 56.05),
        precision_m: 10.0,
    }
}

#[test]
fn histogram_shows_counts_per_hour_and_weekday() {
    let stats = Stats::compute(&[
        point(4, 18, Category::Vald),
        point(4, 18, Category::Vald),
        point(5, 18, Category::Stold),
        point(5, 2, Category::Brand),
        point(7, 9, Category::Brand),
    ]);
    let mut h = Harness::builder()
        .with_size(egui::vec2(400.0, 400.0))
        .build_ui_state(
            |ui, s: &mut (HistogramPanel, Stats)| s.0.ui(ui, Language::Swedish, &s.1),
            (HistogramPanel, stats),
        );
    h.run();
    h.get_by_label("Händelser per timme och veckodag");
    h.get_by_label("Per timme (lokal tid)");
    h.get_by_label("Per veckodag (lokal tid)");
    h.get_by_label("18–19: 3 händelser");
    h.get_by_label("02–03: 1 händelse");
    h.get_by_label("09–10: 1 händelse");
    h.get_by_label("12–13: 0 händelser");
    h.get_by_label("Fre: 2 händelser");
    h.get_by_label("Lör: 2 händelser");
    h.get_by_label("Mån: 1 händelse");
    h.get_by_label("Sön: 0 händelser");
    // The tooltip appears on hover.
    h.get_by_label("18–19: 3 händelser").hover();
    h.run();
    assert!(h.get_all_by_label("18–19: 3 händelser").count() >= 2);
}

fn incident(uid: &str, description: Option<&str>) -> Incident {
    let t = time::utc_from_local(date(2025, 7, 4).and_hms_opt(23, 30, 0).unwrap()).unwrap();
    let mut i = Incident::new(
        t,
        Category::Ovrigt,
        Source::Polis,
        LonLat::new(14.58, 56.05),
        Precision::MUNICIPALITY_M,
    );
    i.uid = uid.to_owned();
    i.fid = Some(7);
    i.category_text = Some("Rattfylleri".to_owned());
    i.place = Some("Stortorget".to_owned());
    i.external_id = Some("5000-K123-25".to_owned());
    i.import_file = Some("polisen.json".to_owned());
    i.description = description.map(str::to_owned);
    i
}

struct DetailsState {
    panel: DetailsPanel,
    incident: Incident,
    actions: Vec<DetailsAction>,
}

#[test]
fn details_hide_the_description_until_asked_and_per_incident() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(500.0, 600.0))
        .build_ui_state(
            |ui, s: &mut DetailsState| {
                if let Some(a) = s.panel.ui(ui, Language::Swedish, &s.incident) {
                    s.actions.push(a);
                }
            },
            DetailsState {
                panel: DetailsPanel::default(),
                incident: incident("a", Some("Man i röd jacka vid kiosken")),
                actions: Vec::new(),
            },
        );
    h.run();
    h.get_by_label("2025-07-04 23:30 (lokal tid)");
    h.get_by_label("Övrigt (ursprunglig text: Rattfylleri)");
    h.get_by_label("Polis");
    h.get_by_label("Stortorget");
    h.get_by_label("kommunnivå (15 km)");
    h.get_by_label("5000-K123-25");
    h.get_by_label("polisen.json");
    assert!(h.query_by_label("Man i röd jacka vid kiosken").is_none());
    h.get_by_label("Kan innehålla känsliga uppgifter");

    h.get_by_label("Visa beskrivning").click();
    h.run();
    h.get_by_label("Man i röd jacka vid kiosken");
    assert!(h.state().panel.is_description_shown("a"));

    // Another incident: hidden again.
    h.state_mut().incident = incident("b", Some("Annan text"));
    h.run();
    assert!(h.query_by_label("Annan text").is_none());
    h.get_by_label("Visa beskrivning");
    // Back to the first: still hidden, showing is per selection.
    h.state_mut().incident = incident("a", Some("Man i röd jacka vid kiosken"));
    h.run();
    assert!(h.query_by_label("Man i röd jacka vid kiosken").is_none());

    h.get_by_label("Redigera händelsen").click();
    h.run();
    h.get_by_label("Ta bort händelsen").click();
    h.run();
    assert_eq!(
        h.state().actions,
        vec![
            DetailsAction::Edit {
                fid: Some(7),
                uid: "a".to_owned()
            },
            DetailsAction::Delete {
                fid: Some(7),
                uid: "a".to_owned()
            },
        ]
    );
}

#[test]
fn details_without_description_offer_no_button() {
    let mut h = Harness::new_ui_state(
        |ui, s: &mut (DetailsPanel, Incident)| {
            let _ = s.0.ui(ui, Language::Swedish, &s.1);
        },
        (DetailsPanel::default(), incident("c", None)),
    );
    h.run();
    h.get_by_label("Ingen beskrivning");
    assert!(h.query_by_label("Visa beskrivning").is_none());
}

#[test]
fn selection_summary_counts_categories() {
    let mut h = Harness::new_ui(|ui| {
        selection_summary_ui(
            ui,
            Language::Swedish,
            &[
                (Category::Vald, 2),
                (Category::Brand, 0),
                (Category::Stold, 5),
            ],
            None,
        );
    });
    h.run();
    h.get_by_label("7 markerade händelser");
    h.get_by_label("Stöld");
    h.get_by_label("5");
    assert!(h.query_by_label("Brand").is_none());
}

struct LayersState {
    panel: LayersPanel,
    changes: Vec<LayerChange>,
}

#[test]
fn layers_toggle_and_reorder() {
    let mut incidents = LayerEntry::new(LayerId::Incidents);
    incidents.legend = Legend::Swatches(vec![(egui::Color32::RED, "Våld".to_owned())]);
    let schools = LayerEntry::new(LayerId::GeoJson("Skolor".to_owned()));
    let heatmap = LayerEntry {
        available: false,
        visible: false,
        ..LayerEntry::new(LayerId::Heatmap)
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(400.0, 600.0))
        .build_ui_state(
            |ui, s: &mut LayersState| {
                let changes = s.panel.ui(ui, Language::Swedish);
                s.changes.extend(changes);
            },
            LayersState {
                panel: LayersPanel {
                    layers: vec![incidents, schools, heatmap],
                },
                changes: Vec::new(),
            },
        );
    h.run();
    h.get_by_label("Teckenförklaring");
    // A layer that cannot be drawn yet is not listed (no "(kommer)").
    assert!(h.query_by_label("(kommer)").is_none());
    assert!(h.query_by_label("Värmekarta").is_none());

    h.get_by_label("Händelser").click();
    h.run();
    assert!(!h.state().panel.is_shown(&LayerId::Incidents));
    assert_eq!(
        h.state().changes,
        vec![LayerChange::Visibility {
            id: LayerId::Incidents,
            visible: false
        }]
    );

    h.get_by_label("Flytta ned: Händelser").click();
    h.run();
    let order: Vec<LayerId> = h
        .state()
        .panel
        .layers
        .iter()
        .map(|l| l.id.clone())
        .collect();
    assert_eq!(
        order,
        vec![
            LayerId::GeoJson("Skolor".to_owned()),
            LayerId::Incidents,
            LayerId::Heatmap
        ]
    );
    assert_eq!(
        h.state().changes.last(),
        Some(&LayerChange::Moved {
            id: LayerId::Incidents,
            from: 0,
            to: 1
        })
    );

    // The heatmap is not available yet: not listed, nothing to click, and
    // Incidents, now last of the listed layers, cannot move further down.
    assert!(h.query_by_label("Värmekarta").is_none());
    assert!(!h.state().panel.is_shown(&LayerId::Heatmap));
    h.get_by_label("Flytta ned: Händelser").click();
    h.run();
    assert_eq!(h.state().changes.len(), 2);
    assert_eq!(h.state().panel.layers[1].id, LayerId::Incidents);

    h.get_by_label("Flytta upp: Händelser").click();
    h.run();
    assert_eq!(h.state().panel.layers[0].id, LayerId::Incidents);
    h.get_by_label("Händelser").click();
    h.run();
    assert!(h.state().panel.is_shown(&LayerId::Incidents));
}

#[test]
fn layer_opacity_slider_reports_changes() {
    let mut h = Harness::new_ui_state(
        |ui, s: &mut LayersState| {
            let changes = s.panel.ui(ui, Language::Swedish);
            s.changes.extend(changes);
        },
        LayersState {
            panel: LayersPanel {
                layers: vec![LayerEntry::new(LayerId::Incidents)],
            },
            changes: Vec::new(),
        },
    );
    h.run();
    h.get_by_label("Opacitet: Händelser")
        .set_value_accesskit(0.5);
    h.run();
    let opacity = h.state().panel.layers[0].opacity;
    assert!((opacity - 0.5).abs() < 1e-6, "opacity {opacity}");
    assert!(matches!(
        h.state().changes.as_slice(),
        [LayerChange::Opacity {
            id: LayerId::Incidents,
            ..
        }]
    ));
}

#[test]
fn hour_sliders_wrap_past_midnight() {
    let mut h = filter_harness(Language::Swedish);
    h.run();
    h.get_by_role_and_label(egui::Role::Slider, "Från kl.")
        .set_value_accesskit(22.0);
    h.run();
    // 22–24 so far.
    assert_eq!(h.state().filter.hours, HourRange::new(22, 24));
    h.get_by_role_and_label(egui::Role::Slider, "Till kl.")
        .set_value_accesskit(2.0);
    h.run();
    assert_eq!(h.state().filter.hours, HourRange::new(22, 2));
    h.get_by_label("22–02, över midnatt");

    // Start equal to end is ambiguous: a hint, and the filter keeps 22–02.
    h.get_by_role_and_label(egui::Role::Slider, "Till kl.")
        .set_value_accesskit(22.0);
    h.run();
    h.get_by_label("Start och slut kan inte vara samma timme");
    assert_eq!(h.state().filter.hours, HourRange::new(22, 2));

    // Back to 0–24 is the whole day: no limit.
    h.get_by_role_and_label(egui::Role::Slider, "Från kl.")
        .set_value_accesskit(0.0);
    h.get_by_role_and_label(egui::Role::Slider, "Till kl.")
        .set_value_accesskit(24.0);
    h.run();
    assert_eq!(h.state().filter.hours, None);
}
