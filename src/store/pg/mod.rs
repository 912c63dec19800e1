//! The shared store: a project in a PostgreSQL/PostGIS database.
//!
//! The same [`Store`] as the GeoPackage, so the analyses, exports and the
//! app need no code of their own for it. Every table lives in the schema
//! `lagesbild` ([`schema`]); incidents are a PostGIS layer
//! (`geometry(Point, 4326)` with a GiST index, times as `timestamptz`) that
//! QGIS lists as it is.
//!
//! | file | what it holds |
//! |------|---------------|
//! | `connect.rs` | URLs, `service=NAME`, pgpass, PG* variables, TLS |
//! | `schema.rs` | migrations, `db init`: roles, grants, row-level security |
//! | `copy.rs` | the binary COPY format both ways |
//! | `session.rs` | the import: binary COPY, the GeoPackage's duplicate rules |
//! | `points.rs` | bulk reads for the analyses, the point cache (per connection and stored) |
//! | `edit.rs` | single-incident edits and the edit log |
//! | `layers.rs` | map layers as PostGIS tables |
//! | `views.rs` | saved views |
//! | `plan.rs` | the patrol plan, the week plan's fixed cells |
//! | `measures.rs` | measures (insatser) |
//! | `police.rs` | police events by id, their history, summaries |
//! | `tracks.rs` | the hosts' tracks and check-ins (only `lagesbild_write`) |
//! | `retention.rs` | deleting what is past its time, the retention log |
//!
//! Who may do what is PostgreSQL's business (roles, grants, policies); this
//! module only turns its refusals into clear [`StoreError::PermissionDenied`]s
//! and refuses writes up front for a login that may not write at all, so that
//! nothing is half changed.

pub mod compact;
pub mod connect;
pub mod copy;
mod edit;
mod export_log;
mod layers;
mod measures;
mod plan;
mod points;
pub use points::{PointsRead, StoredVariant};
mod police;
mod retention;
pub mod schema;
mod session;
mod tracks;
mod views;

use std::cell::RefCell;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use postgres::error::SqlState;

use super::{ImportSession, IncidentPoint, ProjectInfo, Store, StoreError};
use crate::jobs::CancelToken;
use crate::model::{Category, Filter, Incident, LonLat, Precision, Source, time};

/// SRID of every geometry the store writes (WGS 84).
pub const SRID: u32 = 4326;

/// An open project in a PostgreSQL/PostGIS database.
pub struct PgStore {
    client: RefCell<postgres::Client>,
    /// `postgresql://user@host:port/db` (never a password).
    location: String,
    user: String,
    can_write: bool,
    /// Every incident this login sees as analysis points ([`points`]).
    points_cache: RefCell<Option<points::PointCache>>,
    /// Where the last analysis points came from ([`points::PointsRead`]).
    points_read: std::cell::Cell<Option<points::PointsRead>>,
}

/// Why the database refused, in words a user can act on.
fn denied(location: &str, user: &str, e: &postgres::Error) -> Option<StoreError> {
    let db = e.as_db_error()?;
    if *db.code() != SqlState::INSUFFICIENT_PRIVILEGE {
        return None;
    }
    let reason = if db.message().contains("row-level security") {
        format!(
            "the login {user:?} may not store incidents from socialtjänst or skola: \
             that needs the role {}",
            schema::SENSITIVE_ROLE
        )
    } else {
        format!(
            "the login {user:?} may not change the project: that needs the role {}",
            schema::WRITE_ROLE
        )
    };
    Some(StoreError::PermissionDenied {
        location: location.to_owned(),
        reason,
    })
}

/// A database error as a [`StoreError`] (privilege errors made clear).
pub(crate) fn db_err(location: &str, user: &str, e: postgres::Error) -> StoreError {
    denied(location, user, &e).unwrap_or_else(|| StoreError::Backend {
        location: location.to_owned(),
        source: Box::new(e),
    })
}

/// Connects to `location` (URL or `service=…`).
fn connect(location: &str) -> Result<(postgres::Client, String, String), StoreError> {
    let shown = super::Location::Postgres(location.to_owned()).display();
    let target = connect::parse(location).map_err(|e| StoreError::BadLocation {
        location: shown.clone(),
        reason: e.to_string(),
    })?;
    let described = connect::describe(&target.config);
    let user = target.config.get_user().unwrap_or("").to_owned();
    let mut client = connect::connect(&target).map_err(|source| StoreError::Backend {
        location: described.clone(),
        source,
    })?;
    client
        .batch_execute("SET search_path = lagesbild, public")
        .map_err(|e| db_err(&described, &user, e))?;
    Ok((client, described, user))
}

fn not_a_project(location: &str, reason: &str) -> StoreError {
    StoreError::NotAProject {
        path: PathBuf::from(location),
        reason: reason.to_owned(),
    }
}

impl PgStore {
    /// Opens the project in the database at `location`, migrating an older
    /// schema when the login may.
    pub fn open(location: &str) -> Result<PgStore, StoreError> {
        let (mut client, location, user) = connect(location)?;
        let e = |err| db_err(&location, &user, err);
        let postgis: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')",
                &[],
            )
            .map_err(e)?
            .get(0);
        let Some(found) = schema::current_version(&mut client).map_err(e)? else {
            return Err(not_a_project(
                &location,
                if postgis {
                    "no Lägesbild project in this database (no schema lagesbild): \
                     run `lagesbild db init URL` first"
                } else {
                    "no Lägesbild project in this database, and PostGIS is not installed \
                     (CREATE EXTENSION postgis), then run `lagesbild db init URL`"
                },
            ));
        };
        if found > schema::LATEST_VERSION {
            return Err(StoreError::TooNew {
                path: PathBuf::from(&location),
                found,
                supported: schema::LATEST_VERSION,
            });
        }
        if found < schema::LATEST_VERSION {
            let mut tx = client.transaction().map_err(e)?;
            schema::migrate(&mut tx, found).map_err(e)?;
            tx.commit().map_err(e)?;
        }
        let can_write: bool = client
            .query_one(
                "SELECT has_table_privilege('lagesbild.incidents', 'INSERT')
                    AND has_table_privilege('lagesbild.lagesbild_meta', 'INSERT')",
                &[],
            )
            .map_err(e)?
            .get(0);
        Ok(PgStore {
            client: RefCell::new(client),
            location,
            user,
            can_write,
            points_cache: RefCell::new(None),
            points_read: std::cell::Cell::new(None),
        })
    }

    /// Makes a new project in the (PostGIS) database at `location`: the
    /// schema, the roles, grants and row-level security ([`init`]). Fails
    /// when a project is there already.
    pub fn create(location: &str, name: &str) -> Result<PgStore, StoreError> {
        {
            let (mut client, described, user) = connect(location)?;
            let e = |err| db_err(&described, &user, err);
            if schema::current_version(&mut client).map_err(e)?.is_some() {
                return Err(StoreError::AlreadyExists {
                    path: PathBuf::from(&described),
                });
            }
            schema::init(&mut client).map_err(e)?;
            let mut tx = client.transaction().map_err(e)?;
            for (key, value) in [
                ("name", name.to_owned()),
                ("created_at", time::gpkg_datetime(Utc::now())),
                ("app_version", crate::APP_NAME_VERSION.to_owned()),
            ] {
                tx.execute(
                    "INSERT INTO lagesbild_meta (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO NOTHING",
                    &[&key, &value],
                )
                .map_err(e)?;
            }
            tx.commit().map_err(e)?;
        }
        PgStore::open(location)
    }

    /// Where the project is (`postgresql://user@host:port/db`).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// May this login change the project at all?
    pub fn can_write(&self) -> bool {
        self.can_write
    }

    pub(crate) fn err(&self, e: postgres::Error) -> StoreError {
        db_err(&self.location, &self.user, e)
    }

    /// Refuses a change up front when the login may not write.
    pub(crate) fn writable(&self) -> Result<(), StoreError> {
        if self.can_write {
            Ok(())
        } else {
            Err(StoreError::PermissionDenied {
                location: self.location.clone(),
                reason: format!(
                    "the login {:?} may only read this project (writing needs the role {})",
                    self.user,
                    schema::WRITE_ROLE
                ),
            })
        }
    }

    fn corrupt(&self, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            path: PathBuf::from(&self.location),
            reason: reason.to_string(),
        }
    }

    /// `WHERE …` for the filter's local date range and an optional bbox
    /// (literals: every value is a number or a time this code formats).
    fn where_clause(filter: &Filter, bbox: Option<geo::Rect<f64>>) -> String {
        let mut parts = Vec::new();
        let (start, end) = filter.utc_bounds();
        if let Some(t) = start {
            parts.push(format!(
                "occurred_at >= '{}'::timestamptz",
                time::gpkg_datetime(t)
            ));
        }
        if let Some(t) = end {
            parts.push(format!(
                "occurred_at < '{}'::timestamptz",
                time::gpkg_datetime(t)
            ));
        }
        if let Some(b) = bbox {
            let (lo, hi) = (b.min(), b.max());
            let n = |v: f64| {
                if v.is_finite() {
                    format!("{v:?}")
                } else {
                    "0".to_owned()
                }
            };
            parts.push(format!(
                "geom && ST_MakeEnvelope({}, {}, {}, {}, {SRID})",
                n(lo.x),
                n(lo.y),
                n(hi.x),
                n(hi.y)
            ));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        }
    }

    fn incident_rows(
        &self,
        sql_tail: &str,
        args: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Incident>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!("SELECT {INCIDENT_COLUMNS} FROM incidents{sql_tail}"),
                args,
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(incident_of_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt("SELECT value FROM lagesbild_meta WHERE key = $1", &[&key])
            .map_err(|e| self.err(e))?;
        Ok(row.map(|r| r.get(0)))
    }
}

/// The columns [`incident_of_row`] reads, in its order.
pub(super) const INCIDENT_COLUMNS: &str = "fid, occurred_at, category, source, ST_X(geom), \
     ST_Y(geom), precision_m, uid, category_text, source_text, place, description, \
     import_file, external_id";

/// An incident from a row of [`INCIDENT_COLUMNS`].
pub(super) fn incident_of_row(r: &postgres::Row) -> Result<Incident, postgres::Error> {
    Ok(Incident {
        fid: Some(r.try_get(0)?),
        occurred_at: r.try_get(1)?,
        category: category_of(r.try_get(2)?),
        source: source_of(r.try_get(3)?),
        position: LonLat::new(r.try_get(4)?, r.try_get(5)?),
        precision_m: r.try_get(6)?,
        uid: r.try_get(7)?,
        category_text: r.try_get(8)?,
        source_text: r.try_get(9)?,
        place: r.try_get(10)?,
        description: r.try_get(11)?,
        import_file: r.try_get(12)?,
        external_id: r.try_get(13)?,
    })
}

/// A stored key; unknown keys (written by a newer app) read as Övrigt.
fn category_of(key: &str) -> Category {
    Category::from_key(key).unwrap_or(Category::Ovrigt)
}

fn source_of(key: &str) -> Source {
    Source::from_key(key).unwrap_or(Source::Ovrigt)
}

impl Store for PgStore {
    fn info(&self) -> Result<ProjectInfo, StoreError> {
        let mut by_category: Vec<(Category, u64)> = Category::ALL.iter().map(|&c| (c, 0)).collect();
        let mut by_source: Vec<(Source, u64)> = Source::ALL.iter().map(|&s| (s, 0)).collect();
        let (mut incident_count, mut coarse_count) = (0u64, 0u64);
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT category, source, count(*), count(*) FILTER (WHERE precision_m > $1)
                 FROM incidents GROUP BY category, source",
                &[&Precision::COARSE_ABOVE_M],
            )
            .map_err(|e| self.err(e))?;
        for r in &rows {
            let (category, source) = (category_of(r.get(0)), source_of(r.get(1)));
            let (n, coarse): (i64, i64) = (r.get(2), r.get(3));
            incident_count += n as u64;
            coarse_count += coarse as u64;
            if let Some(e) = by_category.iter_mut().find(|(c, _)| *c == category) {
                e.1 += n as u64;
            }
            if let Some(e) = by_source.iter_mut().find(|(s, _)| *s == source) {
                e.1 += n as u64;
            }
        }
        let r = self
            .client
            .borrow_mut()
            .query_one(
                "SELECT min(occurred_at), max(occurred_at), min(ST_X(geom)), min(ST_Y(geom)),
                        max(ST_X(geom)), max(ST_Y(geom)) FROM incidents",
                &[],
            )
            .map_err(|e| self.err(e))?;
        let first: Option<DateTime<Utc>> = r.get(0);
        let last: Option<DateTime<Utc>> = r.get(1);
        let time_range = first.zip(last);
        let corners: [Option<f64>; 4] = [r.get(2), r.get(3), r.get(4), r.get(5)];
        let extent = match corners {
            [Some(a), Some(b), Some(c), Some(d)] => Some((LonLat::new(a, b), LonLat::new(c, d))),
            _ => None,
        };
        let name = self.meta("name")?.unwrap_or_default();
        let synthetic = self.meta("synthetic")?.is_some_and(|v| v.trim() == "true");
        let schema_version = schema::current_version(&mut *self.client.borrow_mut())
            .map_err(|e| self.err(e))?
            .unwrap_or(schema::LATEST_VERSION);
        Ok(ProjectInfo {
            location: self.location.clone(),
            name,
            synthetic,
            schema_version,
            incident_count,
            coarse_count,
            time_range,
            extent,
            by_category,
            by_source,
        })
    }

    fn incidents(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut out = self.incident_rows(
            &format!(
                "{} ORDER BY occurred_at, fid",
                Self::where_clause(filter, None)
            ),
            &[],
        )?;
        cancel.check()?;
        out.retain(|i| filter.matches(i));
        Ok(out)
    }

    fn incident_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError> {
        self.read_points(&mut *self.client.borrow_mut(), filter, None, cancel)
    }

    fn incident_points_in(
        &self,
        bbox: geo::Rect<f64>,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<IncidentPoint>, StoreError> {
        self.read_points(&mut *self.client.borrow_mut(), filter, Some(bbox), cancel)
    }

    fn analysis_points(
        &self,
        filter: &Filter,
        cancel: &CancelToken,
    ) -> Result<Vec<crate::store::points::SwerefPoint>, StoreError> {
        self.cached_analysis_points(filter, cancel)
    }

    fn refresh_point_cache(&self, cancel: &CancelToken) -> Result<(), StoreError> {
        self.refresh_stored_points(cancel).map(|_| ())
    }

    fn incident(&self, fid: i64) -> Result<Option<Incident>, StoreError> {
        Ok(self
            .incident_rows(" WHERE fid = $1", &[&fid])?
            .into_iter()
            .next())
    }

    fn begin_import<'a>(
        &'a mut self,
        file_name: &str,
    ) -> Result<Box<dyn ImportSession + 'a>, StoreError> {
        self.writable()?;
        Ok(Box::new(session::Session::begin(self, file_name)?))
    }

    fn metadata(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.meta(key)
    }

    fn set_metadata(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.client
            .get_mut()
            .execute(
                // The change is noted for the app's live refresh in the same
                // statement (the table has no trigger; see views.rs).
                "WITH set AS (INSERT INTO lagesbild_meta (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value RETURNING 1)
                 INSERT INTO lagesbild_changes (table_name) SELECT 'lagesbild_meta' FROM set",
                &[&key, &value],
            )
            .map_err(|e| db_err(&self.location, &self.user, e))?;
        Ok(())
    }

    fn add_incident(&mut self, incident: &Incident) -> Result<i64, StoreError> {
        self.add_one(incident)
    }

    fn update_incident(&mut self, fid: i64, incident: &Incident) -> Result<Incident, StoreError> {
        self.update_one(fid, incident)
    }

    fn delete_incident(&mut self, fid: i64) -> Result<Incident, StoreError> {
        self.delete_one(fid)
    }

    fn layers(&self) -> Result<Vec<crate::store::layers::LayerInfo>, StoreError> {
        self.layer_list()
    }

    fn layer_features(
        &self,
        name: &str,
    ) -> Result<Option<crate::model::shape::FeatureSet>, StoreError> {
        self.layer_features_of(name)
    }

    fn add_layers(
        &mut self,
        sets: &[crate::model::shape::FeatureSet],
        source: &str,
    ) -> Result<(), StoreError> {
        self.add_layer_sets(sets, source)
    }

    fn remove_layer(&mut self, name: &str) -> Result<bool, StoreError> {
        self.remove_layer_named(name)
    }

    fn set_layer_style(
        &mut self,
        name: &str,
        style: &crate::store::layers::LayerStyle,
    ) -> Result<bool, StoreError> {
        self.set_style_of(name, style)
    }

    fn views(&self) -> Result<Vec<crate::model::view::SavedView>, StoreError> {
        self.read_views()
    }

    fn put_views(&mut self, views: &[crate::model::view::SavedView]) -> Result<(), StoreError> {
        self.write_views(views)
    }

    fn remove_view(&mut self, title: &str) -> Result<bool, StoreError> {
        self.delete_view(title)
    }

    fn replace_views(&mut self, views: &[crate::model::view::SavedView]) -> Result<(), StoreError> {
        self.replace_all_views(views)
    }

    fn log_export(
        &mut self,
        record: &crate::store::export_log::ExportRecord,
    ) -> Result<(), StoreError> {
        self.append_export_record(record)
    }

    fn export_log(&self) -> Result<Vec<crate::store::export_log::ExportRecord>, StoreError> {
        self.read_export_log()
    }

    // --- patrol plan, week plan, measures (plan.rs, measures.rs) ---

    fn patrol_plan(&self) -> Result<crate::model::plan::PatrolPlan, StoreError> {
        self.read_patrol_plan()
    }

    fn save_patrol_area(
        &mut self,
        area: &crate::model::plan::PatrolArea,
    ) -> Result<i64, StoreError> {
        self.save_area(area)
    }

    fn save_patrol_route(
        &mut self,
        route: &crate::model::plan::PatrolRoute,
    ) -> Result<i64, StoreError> {
        self.save_route(route)
    }

    fn delete_plan_item(&mut self, item: crate::model::plan::PlanRef) -> Result<bool, StoreError> {
        self.delete_item(item)
    }

    fn add_patrol_plan(
        &mut self,
        plan: &crate::model::plan::PatrolPlan,
    ) -> Result<Vec<crate::model::plan::PlanRef>, StoreError> {
        self.add_plan(plan)
    }

    fn merge_patrol_plan(
        &mut self,
        plan: &crate::model::plan::PatrolPlan,
    ) -> Result<super::PlanMerge, StoreError> {
        self.merge_plan_items(plan)
    }

    fn week_fixed(&self) -> Result<Vec<super::WeekFixedCell>, StoreError> {
        self.read_week_fixed()
    }

    fn save_week_fixed(&mut self, cells: &[super::WeekFixedCell]) -> Result<(), StoreError> {
        self.write_week_fixed(cells)
    }

    fn measures(&self) -> Result<Vec<crate::model::measure::Measure>, StoreError> {
        self.measure_list()
    }

    fn measure(&self, name: &str) -> Result<Option<crate::model::measure::Measure>, StoreError> {
        self.measure_named(name)
    }

    fn add_measure(&mut self, measure: &crate::model::measure::Measure) -> Result<i64, StoreError> {
        self.put_measure(None, measure)
    }

    fn update_measure(
        &mut self,
        fid: i64,
        measure: &crate::model::measure::Measure,
    ) -> Result<(), StoreError> {
        self.put_measure(Some(fid), measure).map(|_| ())
    }

    fn remove_measure(&mut self, name: &str) -> Result<bool, StoreError> {
        self.remove_measure_named(name)
    }

    // --- police events, tracks, retention (police.rs, tracks.rs, retention.rs) ---

    fn upsert_police_events(
        &mut self,
        file_name: &str,
        events: &[Incident],
        summaries: &[crate::store::police::PoliceSummary],
        cancel: &CancelToken,
    ) -> Result<crate::store::police::PoliceUpsert, StoreError> {
        self.upsert_police(file_name, events, summaries, cancel)
    }

    fn police_summaries(&self) -> Result<Vec<crate::store::police::PoliceSummary>, StoreError> {
        self.stored_police_summaries()
    }

    fn police_history(
        &self,
        external_id: &str,
    ) -> Result<Vec<crate::store::police::PoliceVersion>, StoreError> {
        self.stored_police_history(external_id)
    }

    fn add_police_history(
        &mut self,
        versions: &[crate::store::police::PoliceVersion],
    ) -> Result<usize, StoreError> {
        self.add_history_versions(versions)
    }

    fn add_tracks(
        &mut self,
        tracks: &[crate::model::track::Track],
    ) -> Result<(usize, usize), StoreError> {
        self.store_tracks(tracks)
    }

    fn tracks(
        &self,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<Vec<crate::model::track::Track>, StoreError> {
        self.load_tracks(from, to)
    }

    fn track_summaries(&self) -> Result<Vec<crate::store::TrackSummary>, StoreError> {
        self.track_list()
    }

    fn add_checkins(
        &mut self,
        checkins: &[crate::model::track::CheckIn],
    ) -> Result<(usize, usize), StoreError> {
        self.store_checkins(checkins)
    }

    fn checkins(
        &self,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<Vec<crate::model::track::CheckIn>, StoreError> {
        self.load_checkins(from, to)
    }

    fn prune_tracks(&mut self, before: DateTime<Utc>) -> Result<(usize, usize), StoreError> {
        self.prune_before(before)
    }

    fn apply_retention(
        &mut self,
        incidents_before: Option<DateTime<Utc>>,
        tracks_before: Option<DateTime<Utc>>,
    ) -> Result<crate::store::retention::RetentionRun, StoreError> {
        self.run_retention(incidents_before, tracks_before)
    }

    fn retention_log(&self) -> Result<Vec<crate::store::retention::RetentionRun>, StoreError> {
        self.read_retention_log()
    }

    fn change_stamp(&self) -> Result<Option<i64>, StoreError> {
        // Rows of the change log are only visible once their writer
        // committed, so the count moves exactly when a change becomes
        // visible (a sequence would move before the commit).
        let n: i64 = self
            .client
            .borrow_mut()
            .query_one("SELECT count(*) FROM lagesbild_changes", &[])
            .map_err(|e| self.err(e))?
            .get(0);
        Ok(Some(n))
    }

    fn change_stamps(&self) -> Result<crate::store::changes::ChangeStamps, StoreError> {
        // The change log's rows per table (counted, not their last id, for
        // the reason `change_stamp` gives), folded into kinds.
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT table_name, count(*) FROM lagesbild_changes GROUP BY table_name \
                 ORDER BY table_name",
                &[],
            )
            .map_err(|e| self.err(e))?;
        let mut stamps = crate::store::changes::ChangeStamps::default();
        for row in rows {
            let table: String = row.get(0);
            if let Some(kind) = crate::store::changes::kind_of_table(&table) {
                stamps.add(kind, row.get(1));
            }
        }
        Ok(stamps)
    }
}

/// `lagesbild db init`: connects to `location` and creates or migrates the
/// schema, the group roles, grants and row-level security. Returns a line
/// for the user.
pub fn init(location: &str, name: &str) -> Result<String, StoreError> {
    let (mut client, described, user) = connect(location)?;
    let e = |err: postgres::Error| {
        if err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
            return StoreError::PermissionDenied {
                location: described.clone(),
                reason: format!(
                    "the login {user:?} may not set up the project: run `lagesbild db init` as \
                     the database's owner or an administrator (it creates the schema lagesbild \
                     and the roles {}, {} and {})",
                    schema::READ_ROLE,
                    schema::WRITE_ROLE,
                    schema::SENSITIVE_ROLE
                ),
            };
        }
        db_err(&described, &user, err)
    };
    let postgis: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')",
            &[],
        )
        .map_err(e)?
        .get(0);
    if !postgis {
        return Err(not_a_project(
            &described,
            "PostGIS is not available on this server (Debian: apt install postgresql-15-postgis-3)",
        ));
    }
    client
        .batch_execute("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public")
        .map_err(e)?;
    let found = schema::init(&mut client).map_err(e)?;
    client
        .execute(
            "INSERT INTO lagesbild.lagesbild_meta (key, value) VALUES ('name', $1),
                    ('created_at', $2), ('app_version', $3)
             ON CONFLICT (key) DO NOTHING",
            &[
                &name,
                &time::gpkg_datetime(Utc::now()),
                &crate::APP_NAME_VERSION,
            ],
        )
        .map_err(e)?;
    Ok(match found {
        None => format!(
            "{described}: created the project schema (version {}), the roles {}, {} and {}, \
             and row-level security",
            schema::LATEST_VERSION,
            schema::READ_ROLE,
            schema::WRITE_ROLE,
            schema::SENSITIVE_ROLE
        ),
        Some(v) if v < schema::LATEST_VERSION => format!(
            "{described}: migrated the project schema from version {v} to {}; roles, grants \
             and row-level security are in place",
            schema::LATEST_VERSION
        ),
        Some(v) => format!(
            "{described}: the project schema is up to date (version {v}); roles, grants and \
             row-level security are in place"
        ),
    })
}
