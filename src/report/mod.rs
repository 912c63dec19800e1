//! The PDF lägesbild: one document in Swedish, in the order lag (2023:196)
//! om kommuners ansvar för brottsförebyggande arbete, 4 §, asks for —
//! kartläggning, övrig information, analys, åtgärder, uppföljning — after a
//! title page with the municipality, the period, the data sources and the
//! date.
//!
//! Everything is aggregated: tables give counts per category, source,
//! locality, month, hour and weekday, with counts below
//! [`ReportOptions::small_count`] (default 3) shown as "<3", and a second
//! count hidden ("x") where a total or another table would give one back
//! ([`shown`]); no free-text
//! description of an incident or of a measure's note is ever read into the
//! report. A synthetic project says so on every page.
//!
//! The maps are the app's own map ([`crate::render`]) with its legend.

pub mod pdf;
pub mod shown;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};

use crate::analysis::engine::{self, AreaChoice, Loaded, Selection};
use crate::analysis::time_patterns::{self, PeriodKind, TimePatterns};
use crate::analysis::{HotspotClass, coverage, evaluate, inputs};
use crate::crs::sweref_from_wgs84;
use crate::export::privacy::Shown;
use crate::gui::i18n::{self, Language};
use crate::jobs::{CancelToken, Progress};
use crate::model::{Category, Filter, Source};
use crate::render::{self, PictureSpec, Scene};
use crate::store::{self, SwerefPoint};
use pdf::{Table, Writer};

const SV: Language = Language::Swedish;

/// What report to make.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// First and last local date of the period; default: the twelve months
    /// ending on the last incident's date.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A study area file (GeoJSON): kept in the project, as the analysis
    /// commands do, and used for every table and map.
    pub area: Option<PathBuf>,
    /// Counts from 1 up to below this are shown as "<N".
    pub small_count: u64,
    /// The report's date (the title page's "Upprättad").
    pub today: NaiveDate,
}

impl ReportOptions {
    pub fn new(today: NaiveDate) -> ReportOptions {
        ReportOptions {
            from: None,
            to: None,
            area: None,
            small_count: 3,
            today,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Incidents in the period (in the study area).
    pub incidents: u64,
    pub pages: usize,
    pub measures: usize,
}

/// The periods a report compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Periods {
    pub current: [NaiveDate; 2],
    /// As long as the current one, just before it.
    pub previous: [NaiveDate; 2],
    /// The current period a year earlier.
    pub year_before: [NaiveDate; 2],
}

impl Periods {
    /// The periods for `from`..=`to` (local dates).
    pub fn new(from: NaiveDate, to: NaiveDate) -> Periods {
        let days = (to - from).num_days() + 1;
        let previous_to = from.pred_opt().unwrap_or(from);
        let previous_from = from - chrono::Duration::days(days);
        let year = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        Periods {
            current: [from, to],
            previous: [previous_from, previous_to],
            year_before: [year(from), year(to)],
        }
    }
}

/// `n` as the report shows it: "<3" for 1 and 2 (with the default limit),
/// else with spaces between thousands.
///
/// # Examples
/// ```
/// use lagesbild::report::shown_count;
/// assert_eq!(shown_count(0, 3), "0");
/// assert_eq!(shown_count(2, 3), "<3");
/// assert_eq!(shown_count(1234, 3), "1 234");
/// ```
pub fn shown_count(n: u64, limit: u64) -> String {
    if n > 0 && n < limit {
        return format!("<{limit}");
    }
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

/// The change from `before` to `now` in per cent, "–" when either count is
/// suppressed or zero (a percentage of a small count reveals it).
pub fn change_text(now: u64, before: u64, limit: u64) -> String {
    if now < limit || before < limit {
        return "–".to_owned();
    }
    let pct = ((now as f64 - before as f64) / before as f64 * 100.0).round();
    if pct == 0.0 {
        return "0 %".to_owned();
    }
    let sign = if pct > 0.0 { "+" } else { "−" };
    format!("{sign}{} %", pct.abs())
}

/// A count as [`shown`] protects it: the number (thousands spaced) or
/// "<3", "x", "..".
fn count_text(s: Shown, limit: u64) -> String {
    match s {
        Shown::Count(n) => shown_count(n, limit),
        other => other.text(limit.min(u64::from(u32::MAX)) as u32),
    }
}

/// [`change_text`] of two shown counts: "–" when either is suppressed.
fn change_shown(now: Shown, before: Shown, limit: u64) -> String {
    match (now, before) {
        (Shown::Count(a), Shown::Count(b)) => change_text(a, b, limit),
        _ => "–".to_owned(),
    }
}

fn date_range(p: [NaiveDate; 2]) -> String {
    format!("{} – {}", p[0], p[1])
}

/// Reads the project and writes the report to `out` (through a temporary
/// file renamed into place, so a failed run leaves no half-written PDF).
pub fn write_report(
    project: &Path,
    options: &ReportOptions,
    out: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> anyhow::Result<ReportSummary> {
    let (bytes, summary) = build_report(project, options, progress, cancel)?;
    let tmp = out.with_extension("pdf.part");
    std::fs::write(&tmp, &bytes)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", tmp.display()))?;
    std::fs::rename(&tmp, out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("{}: cannot write: {e}", out.display())
    })?;
    Ok(summary)
}

/// Counts of one period.
struct PeriodCounts {
    total: u64,
    by_category: BTreeMap<Category, u64>,
}

fn count_period(points: &[SwerefPoint]) -> PeriodCounts {
    let mut by_category = BTreeMap::new();
    for p in points {
        *by_category.entry(p.category).or_insert(0) += 1;
    }
    PeriodCounts {
        total: points.len() as u64,
        by_category,
    }
}

fn load_period(
    store: &dyn store::Store,
    period: [NaiveDate; 2],
    sources: Option<&[Source]>,
    name: &str,
    cancel: &CancelToken,
) -> anyhow::Result<Loaded> {
    let filter = Filter {
        from: Some(period[0]),
        to: Some(period[1]),
        sources: sources.map(|s| s.iter().copied().collect()),
        ..Filter::default()
    };
    let selection = Selection {
        filter,
        include_coarse: true,
        area: AreaChoice::Stored,
    };
    Ok(engine::load(store, &selection, name, cancel)?)
}

/// Builds the report's PDF in memory.
pub fn build_report(
    project: &Path,
    options: &ReportOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> anyhow::Result<(Vec<u8>, ReportSummary)> {
    let limit = options.small_count.max(1);
    progress.stage("Läser projektet", 0);
    let mut store = store::open(project)?;
    if let Some(path) = &options.area {
        let area = inputs::read_area(path)?;
        engine::keep_area(store.as_mut(), &area)?;
    }
    let info = store.info()?;
    let last_day = info
        .time_range
        .map(|(_, b)| crate::model::time::local(b).date_naive());
    let to = options
        .to
        .or(last_day)
        .ok_or_else(|| anyhow::anyhow!("{}: the project has no incidents", project.display()))?;
    let from = options.from.unwrap_or_else(|| {
        to.checked_sub_months(Months::new(12))
            .and_then(|d| d.succ_opt())
            .unwrap_or(to)
    });
    if from > to {
        anyhow::bail!("--from {from} is after --to {to}");
    }
    let periods = Periods::new(from, to);
    let name = info.name.clone();
    let current = load_period(store.as_ref(), periods.current, None, &name, cancel)?;
    let previous = load_period(store.as_ref(), periods.previous, None, &name, cancel)?;
    let year_before = load_period(store.as_ref(), periods.year_before, None, &name, cancel)?;
    let (cur_points, _) = time_patterns::points_in_area(&current);
    let (prev_points, _) = time_patterns::points_in_area(&previous);
    let (year_points, _) = time_patterns::points_in_area(&year_before);
    let patterns = time_patterns::time_patterns(&current, PeriodKind::Month);
    let area_source = current.area.as_ref().map(|a| a.source.clone());
    let measures = store.measures()?;
    // Each measure evaluated as `lagesbild evaluate --measure` does by
    // default: the same number of days before and after its start, its area
    // and a 300 m ring, no control area (so no WDQ).
    let evaluations: Vec<(String, Result<evaluate::Evaluation, String>)> = measures
        .iter()
        .map(|m| {
            let result = evaluate::request_for_measure(m, evaluate::DEFAULT_BUFFER_M, None)
                .map_err(|e| e.to_string())
                .and_then(|req| {
                    evaluate::evaluate_in_store(store.as_ref(), &req, cancel)
                        .map_err(|e| e.to_string())
                });
            (m.name.clone(), result)
        })
        .collect();
    // The patrol plan's coverage over the period (each item on its own
    // weekdays and hours; default 50 m route buffer and 4.5 km/h), as
    // `lagesbild coverage --from --to` gives it.
    let plan = store.patrol_plan()?;
    let coverage = if plan.areas.is_empty() && plan.routes.is_empty() {
        None
    } else {
        // Coarse positions left out, as `lagesbild coverage` does by default
        // (the maps show them; a patrol does not reach a municipality centre).
        let precise = engine::load(
            store.as_ref(),
            &Selection {
                filter: Filter {
                    from: Some(periods.current[0]),
                    to: Some(periods.current[1]),
                    ..Filter::default()
                },
                include_coarse: false,
                area: AreaChoice::Stored,
            },
            &name,
            cancel,
        )?;
        Some(coverage::coverage_of(
            &precise,
            &plan,
            &coverage::CoverageParams::default(),
            cancel,
        )?)
    };
    let overlay_names: Vec<String> = store.layers()?.into_iter().map(|l| l.name).collect();
    drop(store);
    cancel.check()?;

    progress.stage("Ritar kartorna", 0);
    let map_spec = |sources: Option<Vec<Source>>, analysis: bool| PictureSpec {
        filter: Filter {
            from: Some(from),
            to: Some(to),
            sources: sources.map(|s| s.into_iter().collect()),
            ..Filter::default()
        },
        analysis: analysis.then(Default::default),
        pixels_per_point: 1.5,
        ..PictureSpec::screen(1400, 900)
    };
    let main_spec = map_spec(None, true);
    let scene = Scene::prepare(project, &main_spec, progress, cancel)?;
    let main_map = render::draw(&scene, &main_spec)?;
    let hosts = vec![Source::Trygghetsvard, Source::Medborgare];
    let hosts_spec = PictureSpec {
        title: Some("Trygghetsvärdarnas och medborgarnas iakttagelser".to_owned()),
        view: Some(scene.default_view()),
        ..map_spec(Some(hosts.clone()), false)
    };
    let hosts_scene = Scene::prepare(project, &hosts_spec, progress, cancel)?;
    let hosts_map = render::draw(&hosts_scene, &hosts_spec)?;
    cancel.check()?;

    progress.stage("Skriver rapporten", 0);
    let mut w = Writer::new(
        format!("Lägesbild {} · {}", name, date_range(periods.current)),
        info.synthetic,
    );
    let cur = count_period(&cur_points);
    let prev = count_period(&prev_points);
    let year = count_period(&year_points);
    let year_earlier = year_earlier_counts(&patterns, &year_points);
    let localities = by_locality(&cur_points);
    let locality_counts: Vec<u64> = localities.iter().map(|(_, n)| *n).collect();
    let counts = shown::protect(
        &shown::ReportInputs {
            periods: [
                (&cur.by_category, cur.total),
                (&prev.by_category, prev.total),
                (&year.by_category, year.total),
            ],
            cur_points: &cur_points,
            localities: &locality_counts,
            patterns: &patterns,
            year_earlier: &year_earlier,
        },
        limit.min(u64::from(u32::MAX)) as u32,
    );
    title_page(
        &mut w,
        &name,
        info.synthetic,
        &periods,
        &counts,
        area_source.as_deref(),
        options.today,
        limit,
    );
    kartlaggning(
        &mut w,
        &periods,
        &counts,
        &localities,
        &patterns,
        [cur.total, prev.total, year.total],
        limit,
    );
    w.picture(
        render::png_bytes(&main_map),
        main_map.width() as u32,
        main_map.height() as u32,
    );
    w.paragraph(
        "Kartan: alla händelser i perioden inom studieområdet, som appen visar dem (punkter eller \
         rutor med antal, värmekarta och de strategiska platserna). Grova positioner (t.ex. polisens \
         händelser på kommunnivå) visas som cirklar. Kartans antal räknar som appen alla händelser \
         i perioden, även utanför studieområdet; tabellerna räknar inom det.",
        8.5,
    );
    ovrig_information(&mut w, &counts, &overlay_names, limit);
    w.picture(
        render::png_bytes(&hosts_map),
        hosts_map.width() as u32,
        hosts_map.height() as u32,
    );
    analys(&mut w, &scene, &patterns, &counts, limit);
    atgarder(&mut w, &measures, coverage.as_ref(), limit);
    uppfoljning(&mut w, &evaluations, limit);
    let pages = w_pages(&w);
    let bytes = w.finish()?;
    Ok((
        bytes,
        ReportSummary {
            from,
            to,
            incidents: cur.total,
            pages,
            measures: measures.len(),
        },
    ))
}

fn w_pages(w: &Writer) -> usize {
    w.page_count()
}

#[allow(clippy::too_many_arguments)]
fn title_page(
    w: &mut Writer,
    name: &str,
    synthetic: bool,
    periods: &Periods,
    counts: &shown::ReportShown,
    area_source: Option<&str>,
    today: NaiveDate,
    limit: u64,
) {
    w.space(120.0);
    w.line("Lägesbild", 34.0, [20, 40, 90]);
    w.line("Brottsförebyggande arbete", 16.0, [20, 40, 90]);
    w.space(16.0);
    w.line(name, 18.0, [30, 30, 30]);
    w.space(10.0);
    w.line(
        &format!("Period: {}", date_range(periods.current)),
        12.0,
        [30, 30, 30],
    );
    w.line(
        &format!(
            "Jämförs med föregående period {} och samma period föregående år {}",
            date_range(periods.previous),
            date_range(periods.year_before)
        ),
        9.5,
        [30, 30, 30],
    );
    w.line(&format!("Upprättad: {today}"), 12.0, [30, 30, 30]);
    if let Some(a) = area_source {
        w.line(&format!("Studieområde: {a}"), 9.5, [30, 30, 30]);
    }
    w.space(14.0);
    w.line("Datakällor (händelser i perioden)", 12.0, [20, 40, 90]);
    for (s, n) in Source::ALL.iter().zip(&counts.by_source) {
        if *n != Shown::Count(0) {
            w.line(
                &format!("{}: {}", i18n::source(SV, *s), count_text(*n, limit)),
                10.0,
                [30, 30, 30],
            );
        }
    }
    w.space(14.0);
    if synthetic {
        w.paragraph(
            "Syntetiska data: projektet är genererade demodata, inte verkliga händelser. \
             Siffror och kartor visar hur en lägesbild ser ut, inte läget i kommunen.",
            10.0,
        );
    }
    w.paragraph(
        "Upplägget följer lag (2023:196) om kommuners ansvar för brottsförebyggande arbete, 4 §: \
         kartläggning, övrig information, analys, åtgärder och uppföljning. Alla tabeller är \
         sammanställningar; antal under 3 visas som \"<3\", och där en summa eller en annan tabell \
         skulle avslöja ett sådant antal döljs ytterligare ett (\"x\": 0 eller minst 3; \"..\": \
         undanhållet). Inga fritextbeskrivningar ingår.",
        9.5,
    );
    w.space(6.0);
    w.line("Innehåll", 12.0, [20, 40, 90]);
    for (k, s) in [
        "Kartläggning",
        "Övrig information",
        "Analys",
        "Åtgärder",
        "Uppföljning",
    ]
    .iter()
    .enumerate()
    {
        w.line(&format!("{}. {s}", k + 1), 10.0, [30, 30, 30]);
    }
    w.page_break();
}

/// For each month of the series, the incidents of the same month a year
/// earlier (from the year-before period's points).
fn year_earlier_counts(patterns: &TimePatterns, year_points: &[SwerefPoint]) -> Vec<u64> {
    let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
    patterns
        .series
        .iter()
        .map(|p| {
            let (a, b) = (back(p.start), back(p.end));
            year_points
                .iter()
                .filter(|q| q.date().is_some_and(|d| a <= d && d <= b))
                .count() as u64
        })
        .collect()
}

fn kartlaggning(
    w: &mut Writer,
    periods: &Periods,
    counts: &shown::ReportShown,
    localities: &[(String, u64)],
    patterns: &TimePatterns,
    totals: [u64; 3],
    limit: u64,
) {
    let [cur, prev, year] = counts.totals;
    w.heading("1. Kartläggning", 18.0);
    w.paragraph(
        &format!(
            "Hur mycket: {} händelser i perioden {} ({} under föregående period {}, {} under samma \
             period föregående år). Förändring mot föregående period {}, mot samma period \
             föregående år {}.",
            count_text(cur, limit),
            date_range(periods.current),
            count_text(prev, limit),
            date_range(periods.previous),
            count_text(year, limit),
            change_shown(cur, prev, limit),
            change_shown(cur, year, limit),
        ),
        10.0,
    );
    w.line("Vad: händelser per kategori", 11.0, [20, 40, 90]);
    let mut rows = Vec::new();
    for (c, [n, p, y]) in Category::ALL.iter().zip(&counts.by_category) {
        rows.push(vec![
            i18n::category(SV, *c).to_owned(),
            count_text(*n, limit),
            count_text(*p, limit),
            change_shown(*n, *p, limit),
            count_text(*y, limit),
            change_shown(*n, *y, limit),
        ]);
    }
    rows.push(vec![
        "Totalt".to_owned(),
        count_text(cur, limit),
        count_text(prev, limit),
        change_shown(cur, prev, limit),
        count_text(year, limit),
        change_shown(cur, year, limit),
    ]);
    w.table(&Table {
        header: vec![
            "Kategori".into(),
            "Perioden".into(),
            "Föreg. period".into(),
            "Förändring".into(),
            "Året innan".into(),
            "Förändring".into(),
        ],
        rows,
        widths: vec![2.2, 1.0, 1.1, 1.0, 1.0, 1.0],
        font_size: 9.0,
    });
    w.line(
        "Var: händelser per ort (närmaste tätort inom 2,5 km)",
        11.0,
        [20, 40, 90],
    );
    // A share of a suppressed count would give it back.
    let share = |n: Shown, of: u64| match n {
        Shown::Count(k) if of > 0 && k >= limit => {
            format!("{:.0} %", k as f64 / of as f64 * 100.0)
        }
        _ => "–".into(),
    };
    w.table(&Table {
        header: vec!["Ort".into(), "Antal".into(), "Andel".into()],
        rows: localities
            .iter()
            .zip(&counts.localities)
            .map(|((name, _), n)| vec![name.clone(), count_text(*n, limit), share(*n, totals[0])])
            .collect(),
        widths: vec![3.0, 1.0, 1.0],
        font_size: 9.0,
    });
    w.line("När: händelser per månad", 11.0, [20, 40, 90]);
    let labels: Vec<String> = patterns.series.iter().map(|p| p.label.clone()).collect();
    // A bar's height would give a suppressed count back: such a month has none.
    let values: Vec<u64> = counts
        .series
        .iter()
        .map(|s| s.value().unwrap_or(0))
        .collect();
    let before: Vec<Option<u64>> = counts.year_earlier.iter().map(|n| n.value()).collect();
    w.bar_chart(
        &labels,
        &values,
        Some(&before),
        "Blå: perioden; grå: samma månad året innan; ingen stapel för ett antal som inte visas",
    );
    let trend = match &patterns.trend {
        Some(t) => format!(
            "Trend över perioden: {:+.0} % per år ({}; Poisson-regression över månaderna).",
            t.change_per_year_pct,
            if t.clear {
                "tydlig"
            } else {
                "inte tydlig: kan vara slump"
            },
        )
        .replace('-', "−"),
        None => "Trend: för få månader för att skatta en trend.".to_owned(),
    };
    w.paragraph(&trend, 9.5);
    w.table(&Table {
        header: vec!["Månad".into(), "Antal".into(), "Året innan".into()],
        rows: patterns
            .series
            .iter()
            .zip(counts.series.iter().zip(&counts.year_earlier))
            .map(|(p, (n, before))| {
                vec![
                    p.label.clone(),
                    count_text(*n, limit),
                    count_text(*before, limit),
                ]
            })
            .collect(),
        widths: vec![2.0, 1.0, 1.0],
        font_size: 8.5,
    });
    let en = &patterns.evening_night;
    let en_shown = counts.evening_night;
    w.paragraph(
        &match en_shown {
            Shown::Count(_) => format!(
                "Kväll och natt ({}): {} händelser, {:.0} % av alla.",
                en.hours,
                count_text(en_shown, limit),
                en.share * 100.0
            ),
            _ => format!(
                "Kväll och natt ({}): {} händelser (andelen visas inte: för få).",
                en.hours,
                count_text(en_shown, limit)
            ),
        },
        9.5,
    );
}

/// Incidents per nearest locality of the bundled gazetteer (within 2.5 km),
/// most first; the rest as "Övriga kommunen".
fn by_locality(points: &[SwerefPoint]) -> Vec<(String, u64)> {
    let places: Vec<(String, [f64; 2])> = crate::gazetteer::Gazetteer::bundled()
        .localities()
        .map(|p| {
            let s = sweref_from_wgs84(p.position);
            (p.name.clone(), [s.easting, s.northing])
        })
        .collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for p in points {
        let nearest = places
            .iter()
            .map(|(n, xy)| (n, (xy[0] - p.xy[0]).hypot(xy[1] - p.xy[1])))
            .filter(|(_, d)| *d <= 2_500.0)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let key = nearest.map_or_else(|| "Övriga kommunen".to_owned(), |(n, _)| n.clone());
        *counts.entry(key).or_insert(0) += 1;
    }
    let mut list: Vec<(String, u64)> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    list
}

fn ovrig_information(w: &mut Writer, counts: &shown::ReportShown, layers: &[String], limit: u64) {
    w.page_break();
    w.heading("2. Övrig information", 18.0);
    w.paragraph(
        "Andra källor än polisen: trygghetsvärdarnas iakttagelser, skolans, socialtjänstens och \
         räddningstjänstens rapporter och medborgarnas synpunkter (t.ex. från trygghetsvandringar). \
         Kartan visar trygghetsvärdarnas och medborgarnas punkter som ett eget lager.",
        10.0,
    );
    let others: Vec<Source> = Source::ALL
        .into_iter()
        .filter(|s| *s != Source::Polis)
        .collect();
    let mut header = vec!["Kategori".to_owned()];
    header.extend(others.iter().map(|s| short_source(*s).to_owned()));
    let mut rows = Vec::new();
    for (c, shown_row) in Category::ALL.iter().zip(&counts.other_sources) {
        let mut row = vec![i18n::category(SV, *c).to_owned()];
        row.extend(shown_row.iter().map(|n| count_text(*n, limit)));
        rows.push(row);
    }
    let mut widths = vec![2.0];
    widths.extend(others.iter().map(|_| 1.0));
    w.table(&Table {
        header,
        rows,
        widths,
        font_size: 8.5,
    });
    if !layers.is_empty() {
        w.paragraph(
            &format!("Kartlager i projektet: {}.", layers.join(", ")),
            9.5,
        );
    }
}

fn short_source(s: Source) -> &'static str {
    match s {
        Source::Polis => "Polis",
        Source::Trygghetsvard => "Tr.värd",
        Source::Skola => "Skola",
        Source::Socialtjanst => "Soc.tj.",
        Source::Raddningstjanst => "Rädd.tj.",
        Source::Medborgare => "Medborg.",
        Source::Ovrigt => "Övrigt",
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];

fn analys(
    w: &mut Writer,
    scene: &Scene,
    patterns: &TimePatterns,
    counts: &shown::ReportShown,
    limit: u64,
) {
    w.page_break();
    w.heading("3. Analys", 18.0);
    if let Some(a) = &scene.analysis {
        match &a.hotspots {
            Ok(h) => {
                let n = |c: HotspotClass| {
                    HotspotClass::ALL
                        .iter()
                        .position(|k| *k == c)
                        .map_or(0, |i| h.class_counts[i])
                };
                w.paragraph(
                    &format!(
                        "Brännpunkter (Getis–Ord Gi*, rutor om {:.0} m): {} rutor med signifikant \
                         fler händelser än omgivningen (99 %: {}, 95 %: {}, 90 %: {}) och {} med \
                         signifikant färre.",
                        h.hotspots.cell_m,
                        n(HotspotClass::Hot99) + n(HotspotClass::Hot95) + n(HotspotClass::Hot90),
                        n(HotspotClass::Hot99),
                        n(HotspotClass::Hot95),
                        n(HotspotClass::Hot90),
                        n(HotspotClass::Cold99) + n(HotspotClass::Cold95) + n(HotspotClass::Cold90),
                    ),
                    10.0,
                );
            }
            Err(e) => w.paragraph(&format!("Brännpunkter: kunde inte beräknas ({e})."), 10.0),
        }
        match &a.places {
            Ok(p) => {
                // As `lagesbild places` writes them: a place covering fewer
                // than the limit is left out, small gains are not shown.
                let (places, _) = crate::export::privacy::suppress_places(
                    &p.places,
                    limit.min(u64::from(u32::MAX)) as u32,
                );
                let places = &places;
                let share = if places.share.is_nan() {
                    "–".to_owned()
                } else {
                    format!("{:.0} %", places.share * 100.0)
                };
                w.paragraph(
                    &format!(
                        "Strategiska platser för trygghetsvärdarnas närvaro kväll och natt \
                         ({} platser, gångavstånd {:.0} m): tillsammans når de {share} av \
                         händelserna.",
                        places.places.len(),
                        places.params.radius_m,
                    ),
                    10.0,
                );
                let located = by_locality_xy(places.places.iter().map(|c| c.xy));
                w.table(&Table {
                    header: vec![
                        "Plats".into(),
                        "Närmaste ort".into(),
                        "Inom räckhåll".into(),
                        "Tillför".into(),
                    ],
                    rows: places
                        .places
                        .iter()
                        .zip(located)
                        .map(|(c, near)| {
                            // NaN: suppressed.
                            let n = |v: f64| {
                                if v.is_nan() {
                                    "–".to_owned()
                                } else {
                                    shown_count(v.round() as u64, limit)
                                }
                            };
                            vec![format!("{}", c.rank), near, n(c.covered), n(c.gain)]
                        })
                        .collect(),
                    widths: vec![0.8, 2.0, 1.2, 1.0],
                    font_size: 9.0,
                });
            }
            Err(e) => w.paragraph(
                &format!("Strategiska platser: kunde inte beräknas ({e})."),
                10.0,
            ),
        }
    }
    w.line("Tid på dygnet och veckodag", 11.0, [20, 40, 90]);
    let days = [
        "Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag", "Söndag",
    ];
    let mut header = vec!["Veckodag".to_owned()];
    header.extend((0..8).map(|b| format!("{:02}–{:02}", b * 3, b * 3 + 3)));
    header.push("Totalt".into());
    let rows = days
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let mut row = vec![(*name).to_owned()];
            row.extend(counts.hour_weekday[d].iter().map(|n| count_text(*n, limit)));
            row.push(count_text(counts.by_weekday[d], limit));
            row
        })
        .collect();
    w.table(&Table {
        header,
        rows,
        widths: vec![1.6, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1],
        font_size: 8.5,
    });
    w.line(
        "Årshjul: händelser per månad och kategori",
        11.0,
        [20, 40, 90],
    );
    let mut header = vec!["Kategori".to_owned()];
    header.extend(MONTHS.iter().map(|m| (*m).to_owned()));
    header.push("Topp".into());
    let rows = patterns
        .arshjul
        .categories
        .iter()
        .zip(counts.arshjul.iter().zip(&counts.arshjul_count))
        .map(|(c, (months, total))| {
            let name = Category::ALL
                .iter()
                .find(|k| k.key() == c.key)
                .map_or(c.key, |k| i18n::category(SV, *k));
            let mut row = vec![name.to_owned()];
            row.extend(months.iter().map(|n| count_text(*n, limit)));
            // The peak month of a suppressed category says when its few were.
            row.push(
                c.peak_month
                    .filter(|_| !total.is_suppressed())
                    .and_then(|m| MONTHS.get(usize::from(m).saturating_sub(1)))
                    .map_or("–".to_owned(), |m| (*m).to_owned()),
            );
            row
        })
        .collect();
    let mut widths = vec![2.6];
    widths.extend([1.0; 12]);
    widths.push(1.0);
    w.table(&Table {
        header,
        rows,
        widths,
        font_size: 7.5,
    });
    w.paragraph(
        "Topp: den månad då kategorin har flest händelser per dag. Rutor med färre än 3 \
         händelser visas som <3; x är dolt så att en summa inte avslöjar ett sådant antal.",
        8.5,
    );
}

/// The nearest locality name of each SWEREF position ("–" beyond 2.5 km).
fn by_locality_xy(xy: impl Iterator<Item = [f64; 2]>) -> Vec<String> {
    let places: Vec<(String, [f64; 2])> = crate::gazetteer::Gazetteer::bundled()
        .localities()
        .map(|p| {
            let s = sweref_from_wgs84(p.position);
            (p.name.clone(), [s.easting, s.northing])
        })
        .collect();
    xy.map(|q| {
        places
            .iter()
            .map(|(n, p)| (n, (p[0] - q[0]).hypot(p[1] - q[1])))
            .filter(|(_, d)| *d <= 2_500.0)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or_else(|| "–".to_owned(), |(n, _)| n.clone())
    })
    .collect()
}

fn atgarder(
    w: &mut Writer,
    measures: &[crate::model::measure::Measure],
    coverage: Option<&coverage::PlanCoverage>,
    limit: u64,
) {
    w.page_break();
    w.heading("4. Åtgärder", 18.0);
    measures_table(w, measures);
    w.space(8.0);
    w.heading("Patrullplanens täckning", 13.0);
    let Some(c) = coverage else {
        w.paragraph(
            "Projektet har ingen patrullplan (inga patrullområden eller rutter).",
            10.0,
        );
        return;
    };
    w.paragraph(
        &format!(
            "Händelser i perioden inom varje patrullområde eller inom {} m från varje rutt, på \
             områdets eller ruttens egna veckodagar och timmar; gångtid i {} km/h plus planerade \
             stopp. Hela planen räknar varje händelse en gång.",
            c.buffer_m,
            c.pace_kmh.to_string().replace('.', ",")
        ),
        9.0,
    );
    let shown = crate::export::coverage::protect(c, limit.min(u64::from(u32::MAX)) as u32);
    // A share of a suppressed count would give it back.
    let share = |n: Shown, share: f64| match n {
        Shown::Count(k) if k >= limit => {
            format!("{} %", format!("{:.1}", share * 100.0).replace('.', ","))
        }
        _ => "–".to_owned(),
    };
    let mut rows: Vec<Vec<String>> = c
        .items
        .iter()
        .zip(&shown.items)
        .map(|(i, n)| {
            vec![
                i.name.clone(),
                match i.kind {
                    coverage::ItemKind::Area => "område".into(),
                    coverage::ItemKind::Route => "rutt".into(),
                },
                i.team.clone(),
                count_text(*n, limit),
                share(*n, i.share),
                format!("{:.0}", i.length_m),
                format!("{:.0}", i.walk_min),
            ]
        })
        .collect();
    rows.push(vec![
        "Hela planen".into(),
        String::new(),
        String::new(),
        count_text(shown.total, limit),
        share(shown.total, c.total.share),
        format!("{:.0}", c.total.length_m),
        format!("{:.0}", c.total.walk_min),
    ]);
    w.table(&Table {
        header: vec![
            "Namn".into(),
            "Typ".into(),
            "Värdpar/lag".into(),
            "Händelser".into(),
            "Andel".into(),
            "Längd m".into(),
            "Gångtid min".into(),
        ],
        rows,
        widths: vec![2.2, 0.8, 1.4, 1.0, 0.9, 0.9, 1.0],
        font_size: 8.0,
    });
}

fn measures_table(w: &mut Writer, measures: &[crate::model::measure::Measure]) {
    if measures.is_empty() {
        w.paragraph("Inga åtgärder är registrerade i projektet.", 10.0);
        return;
    }
    w.paragraph(
        "Registrerade åtgärder och de problem var och en riktar sig mot (kategori, källa, tider).",
        10.0,
    );
    w.table(&Table {
        header: vec![
            "Åtgärd".into(),
            "Plats".into(),
            "Period".into(),
            "Problem".into(),
            "Ansvarig".into(),
        ],
        rows: measures
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.place.clone(),
                    match m.end {
                        Some(e) => format!("{} – {e}", m.start),
                        None => format!("från {}", m.start),
                    },
                    problem_text(&m.problem),
                    m.responsible.clone(),
                ]
            })
            .collect(),
        widths: vec![1.8, 1.4, 1.6, 2.4, 1.2],
        font_size: 8.0,
    });
}

/// A measure's problem filter in Swedish.
fn problem_text(f: &Filter) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &f.categories {
        parts.push(
            c.iter()
                .map(|c| i18n::category(SV, *c))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(s) = &f.sources {
        parts.push(
            s.iter()
                .map(|s| i18n::source(SV, *s))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(h) = f.hours {
        parts.push(format!("kl. {h}"));
    }
    if parts.is_empty() {
        "alla händelser".into()
    } else {
        parts.join("; ")
    }
}

fn uppfoljning(
    w: &mut Writer,
    evaluations: &[(String, Result<evaluate::Evaluation, String>)],
    limit: u64,
) {
    w.space(10.0);
    w.heading("5. Uppföljning", 18.0);
    if evaluations.is_empty() {
        w.paragraph(
            "Inga åtgärder är registrerade i projektet, så det finns inget att följa upp.",
            10.0,
        );
        return;
    }
    w.paragraph(
        &format!(
            "Varje registrerad åtgärd jämförs före och efter sin start: lika många dagar före \
             starten som efter (till slutdatum eller sista dagen med data), i åtgärdens område och i \
             en ring på {} m runt det (förskjutning eller spridd nytta), för de problem åtgärden \
             riktar sig mot. Skillnaden prövas med ett exakt test för två Poissonantal (5 % nivå); \
             med färre än {} händelser i området sammanlagt säger siffrorna inget. Rapporten har \
             inget kontrollområde och beräknar därför inte den viktade förskjutningskvoten (WDQ): \
             gör det med lagesbild evaluate --measure NAMN --control FIL.",
            evaluate::DEFAULT_BUFFER_M,
            evaluate::MIN_EVENTS
        ),
        9.0,
    );
    let mut periods = Vec::new();
    w.table(&Table {
        header: vec![
            "Åtgärd".into(),
            "Dagar".into(),
            "Område före".into(),
            "Område efter".into(),
            "Ring före".into(),
            "Ring efter".into(),
            "Slutsats".into(),
        ],
        rows: evaluations
            .iter()
            .map(|(name, result)| match result {
                Ok(e) => {
                    let s = crate::export::evaluation::protect(
                        e,
                        limit.min(u64::from(u32::MAX)) as u32,
                    );
                    periods.push(format!(
                        "{name}: före {} – {}, efter {} – {}.",
                        e.periods.before[0],
                        e.periods.before[1],
                        e.periods.after[0],
                        e.periods.after[1]
                    ));
                    vec![
                        name.clone(),
                        e.periods.days.to_string(),
                        count_text(s.area[0], limit),
                        count_text(s.area[1], limit),
                        count_text(s.buffer[0], limit),
                        count_text(s.buffer[1], limit),
                        if s.test_withheld.is_some() {
                            "för få händelser för att visa".into()
                        } else {
                            conclusion(e)
                        },
                    ]
                }
                Err(why) => {
                    periods.push(format!("{name}: kan inte utvärderas: {why}"));
                    let mut row = vec![name.clone()];
                    row.extend(std::iter::repeat_n("–".to_owned(), 5));
                    row.push("kan inte utvärderas".into());
                    row
                }
            })
            .collect(),
        widths: vec![2.0, 0.7, 1.0, 1.0, 1.0, 1.0, 2.6],
        font_size: 8.0,
    });
    w.paragraph(
        &format!(
            "Perioderna (lokala datum, båda dagarna medräknade): {}",
            periods.join(" ")
        ),
        8.5,
    );
}

/// The evaluation's conclusion in a few words (no counts, so nothing small
/// is shown unsuppressed).
fn conclusion(e: &evaluate::Evaluation) -> String {
    if e.too_few {
        return "för få händelser för att säga något".into();
    }
    let p = e.test.p_value;
    let shown_p = if p < 0.001 {
        "p < 0,001".to_owned()
    } else {
        format!("p = {}", format!("{p:.3}").replace('.', ","))
    };
    if p >= evaluate::ALPHA {
        format!("ingen säker förändring ({shown_p})")
    } else if e.area.after < e.area.before {
        format!("säker minskning ({shown_p})")
    } else {
        format!("säker ökning ({shown_p})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_suppressed_and_their_changes_hidden() {
        assert_eq!(shown_count(1, 3), "<3");
        assert_eq!(shown_count(3, 3), "3");
        assert_eq!(shown_count(1_234_567, 3), "1 234 567");
        assert_eq!(change_text(2, 10, 3), "–");
        assert_eq!(change_text(15, 10, 3), "+50 %");
        assert_eq!(change_text(5, 10, 3), "−50 %");
    }

    #[test]
    fn periods_before_and_a_year_earlier() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let p = Periods::new(d(2025, 1, 1), d(2025, 3, 31));
        assert_eq!(p.previous, [d(2024, 10, 3), d(2024, 12, 31)]);
        assert_eq!(p.year_before, [d(2024, 1, 1), d(2024, 3, 31)]);
        assert_eq!(
            (p.previous[1] - p.previous[0]).num_days(),
            (p.current[1] - p.current[0]).num_days()
        );
    }
}
