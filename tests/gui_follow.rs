//! The follow-up window in the app (egui_kittest, no window or GPU): open
//! it from the menu, register a measure with an area drawn on the map, and
//! read its evaluation (counts, chart, summary) as the store and the core
//! compute it.

use egui_kittest::kittest::Queryable as _;
use lagesbild::analysis::evaluate;
use lagesbild::gui::follow::{AreaSource, ControlSource};
use lagesbild::jobs::CancelToken;
use lagesbild::model::LonLat;
use lagesbild::store::{Project, Store as _};

use crate::gui_util::{app_on, demo, settle};
use crate::util::Dir;

#[test]
fn a_measure_is_registered_in_the_app_and_its_evaluation_read() {
    let dir = Dir::new();
    let path = demo(&dir, "3000");
    let mut harness = app_on(path.clone());
    settle(&mut harness);

    harness.get_by_label("Uppföljning").click();
    harness.run_steps(2);
    harness.get_by_label("Insatser och närvaro …").click();
    settle(&mut harness);
    harness.get_by_label("Inga insatser ännu.");

    // A drawn area around the town centre, as finishing a drawing on the map gives it.
    let ring = [
        LonLat::new(14.570, 56.040),
        LonLat::new(14.600, 56.040),
        LonLat::new(14.600, 56.060),
        LonLat::new(14.570, 56.060),
    ];
    {
        let follow = harness.state_mut().follow_mut();
        follow.set_drawn_area(&ring);
        let form = follow.form_mut();
        form.name = "Belysning i parken".into();
        form.start = "2025-06-01".into();
        form.end = "2025-08-31".into();
        form.responsible = "Tekniska förvaltningen".into();
        form.note = "ny belysning i parken".into();
        form.area_source = AreaSource::Drawn;
    }
    harness.run_steps(1);
    harness.get_by_label("Område ritat");
    harness.get_by_label("Spara insats").click();
    settle(&mut harness);
    assert_eq!(
        harness.state().follow().measures().len(),
        1,
        "{:?}",
        harness.state().follow().message()
    );
    let stored = Project::open(&path)
        .unwrap()
        .measure("Belysning i parken")
        .unwrap()
        .unwrap();
    assert_eq!(stored.area.0[0].exterior().0.len(), 5, "a closed ring");

    harness.get_by_label("Utvärdera").click();
    settle(&mut harness);
    let e = harness
        .state()
        .follow()
        .evaluation()
        .expect("an evaluation")
        .clone()
        .expect("evaluated");
    // The window shows what the core computes for the stored measure.
    let project = Project::open(&path).unwrap();
    let req = evaluate::request_for_measure(&stored, evaluate::DEFAULT_BUFFER_M, None).unwrap();
    let want = evaluate::evaluate_in_store(&project, &req, &CancelToken::new()).unwrap();
    assert_eq!((e.area, e.buffer), (want.area, want.buffer));
    assert_eq!(e.periods.days, 92);
    harness.get_by_label("Utvärdering: Belysning i parken");
    harness.get_by_label("Händelser per månad i området");
    harness.get_by_label(&e.area.before.to_string());
    harness.get_by_label_contains("Insatsen ”Belysning i parken”");
    harness.get_by_label_contains("beräknas inte (inget kontrollområde)");

    // A second measure's area, a similar place further west, serves as the
    // control, with a narrower ring: chosen in the window, as a user would.
    // (It is stored directly: the form was tested above.)
    let mut west = stored.clone();
    west.name = "Kontroll väster".into();
    west.area = geo::MultiPolygon(vec![geo::Polygon::new(
        geo::LineString::from(vec![
            (14.520, 56.040),
            (14.550, 56.040),
            (14.550, 56.060),
            (14.520, 56.060),
            (14.520, 56.040),
        ]),
        vec![],
    )]);
    Project::open(&path).unwrap().add_measure(&west).unwrap();
    let ctx = harness.ctx.clone();
    harness.state_mut().follow_mut().refresh(&ctx);
    settle(&mut harness);
    assert_eq!(harness.state().follow().measures().len(), 2);
    harness.get_by_label("Kontrollområde").click();
    harness.run_steps(2);
    harness.get_by_label("Insats: Kontroll väster").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().follow().control(),
        &ControlSource::Measure("Kontroll väster".into())
    );
    harness.state_mut().follow_mut().set_ring_m(200.0);
    harness.run_steps(1);
    let first = harness
        .state()
        .follow()
        .measures()
        .iter()
        .position(|m| m.name == "Belysning i parken")
        .unwrap();
    harness
        .get_all_by_label("Utvärdera")
        .nth(first)
        .unwrap()
        .click();
    settle(&mut harness);
    let e = harness
        .state()
        .follow()
        .evaluation()
        .expect("an evaluation")
        .clone()
        .expect("evaluated");
    let control = project.measure("Kontroll väster").unwrap().unwrap();
    let control =
        lagesbild::analysis::area::StudyArea::from_wgs84(&control.area, "control").unwrap();
    let req = evaluate::request_for_measure(&stored, 200.0, Some(control)).unwrap();
    let want = evaluate::evaluate_in_store(&project, &req, &CancelToken::new()).unwrap();
    assert_eq!(e.buffer_m, 200.0);
    assert_eq!(
        (e.area, e.buffer, e.control),
        (want.area, want.buffer, want.control)
    );
    assert!(e.control.is_some());
    assert_eq!(e.wdq, want.wdq);
    harness.get_by_label("Utvärdering: Belysning i parken");
    harness.get_by_label_contains("Ringen runt 200 m");
}
