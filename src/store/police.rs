//! Police events in a project: the Polisen API's events stored by their id,
//! updated in place when the police edit them, their earlier versions kept,
//! and the summaries ("Sammanfattning natt", "Information", …) kept apart
//! from the incidents.
//!
//! The Police edit events after publication (a type changed from Övrigt to
//! Våldtäkt, a time corrected, a summary extended). An event whose id is
//! stored takes the new version; the stored version goes to the history
//! table first, so nothing is lost. Events are never deleted because they
//! left the API's window of the latest 500.
//!
//! Summaries and notices are not incidents: they name a county or town
//! centre and would make false hot spots and spike the hour histogram. They
//! are stored in their own table, for the report's other information, and
//! never appear among the incidents or in statistics.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Incident, LonLat, Source};

/// A police summary or notice (not an incident).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoliceSummary {
    /// The event id in the Police API.
    pub external_id: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// The event's name ("2 januari 08.00, Sammanfattning natt, Blekinge län").
    pub title: String,
    /// The event's type ("Sammanfattning natt", "Information", …).
    pub kind: String,
    /// The location name ("Blekinge län").
    pub location: Option<String>,
    pub position: Option<LonLat>,
    /// The summary text (public, but kept like every description: never in
    /// errors or logs).
    pub summary: Option<String>,
    /// The event's page, relative to polisen.se.
    pub url: Option<String>,
    pub import_file: Option<String>,
}

impl PoliceSummary {
    /// An incident with this summary's event id, as the duplicate key of a
    /// police event sees it: both stores look up with it whether an earlier
    /// importer stored the summary as an incident.
    pub(crate) fn event_probe(&self) -> Incident {
        Incident {
            external_id: Some(self.external_id.clone()),
            ..Incident::new(
                self.published_at,
                crate::model::Category::Ovrigt,
                Source::Polis,
                LonLat::new(0.0, 0.0),
                0.0,
            )
        }
    }
}

/// What storing a batch of police events did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PoliceUpsert {
    /// New events stored as incidents.
    pub inserted: u64,
    /// Stored events that changed and were updated in place (their earlier
    /// version kept in the history).
    pub updated: u64,
    /// Stored events that had not changed.
    pub unchanged: u64,
    /// Summaries stored for the first time.
    pub summaries_new: u64,
    /// Summaries whose text changed.
    pub summaries_updated: u64,
    /// Incidents stored by an earlier version as incidents that are
    /// summaries: taken out of the incidents (kept in the history) and
    /// stored as summaries.
    pub moved_to_summaries: u64,
}

impl PoliceUpsert {
    /// True when the batch changed nothing.
    pub fn is_empty(&self) -> bool {
        self.inserted
            + self.updated
            + self.summaries_new
            + self.summaries_updated
            + self.moved_to_summaries
            == 0
    }
}

/// An earlier version of a police event, as it was before an update.
#[derive(Debug, Clone, PartialEq)]
pub struct PoliceVersion {
    /// When it was replaced.
    pub replaced_at: DateTime<Utc>,
    /// "updated" or "summary" (taken out of the incidents as a summary).
    pub reason: String,
    /// The incident as it was (fid of the incident it belonged to).
    pub incident: Incident,
}

/// True when `a` and `b` are the same earlier version of an event: replaced
/// at the same millisecond (what every store keeps) for the same reason,
/// with the same uid and the same published content. A copy's history is
/// matched against the target's with it, so a round trip adds nothing.
pub fn same_version(a: &PoliceVersion, b: &PoliceVersion) -> bool {
    a.replaced_at.timestamp_millis() == b.replaced_at.timestamp_millis()
        && a.reason == b.reason
        && a.incident.uid == b.incident.uid
        && a.incident.external_id == b.incident.external_id
        && !version_differs(&a.incident, &b.incident)
}

/// True for an event of the Police's open API as the harvest and the
/// Polisen importer store it: source `polis` and a numeric event id (the
/// API's ids are numbers; a police case number from a CSV export, such as
/// `5000-K123456-25`, is not one and follows the import rules instead).
pub fn is_api_event(incident: &Incident) -> bool {
    incident.source == Source::Polis
        && incident
            .external_id
            .as_deref()
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// True when what the Police publish about an event differs between two
/// versions (time, type, position, precision, place, text; the file it came
/// from does not count).
pub fn version_differs(before: &Incident, after: &Incident) -> bool {
    before.occurred_at != after.occurred_at
        || before.category != after.category
        || before.category_text != after.category_text
        || before.position != after.position
        || before.precision_m.to_bits() != after.precision_m.to_bits()
        || before.place != after.place
        || before.description != after.description
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Category;

    #[test]
    fn api_events_have_numeric_ids_and_versions_differ_in_what_the_police_publish() {
        let mut e = Incident::new(
            chrono::Utc::now(),
            Category::Vald,
            Source::Polis,
            LonLat::new(14.58, 56.05),
            500.0,
        );
        assert!(!is_api_event(&e));
        e.external_id = Some("478801".into());
        assert!(is_api_event(&e));
        let mut case = e.clone();
        case.external_id = Some("5000-K123456-25".into());
        assert!(!is_api_event(&case));
        let mut other = e.clone();
        other.source = Source::Skola;
        assert!(!is_api_event(&other));
        let mut moved = e.clone();
        moved.import_file = Some("b.json".into());
        assert!(!version_differs(&e, &moved));
        moved.description = Some("ny text".into());
        assert!(version_differs(&e, &moved));
    }
}
