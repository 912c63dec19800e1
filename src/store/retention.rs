//! What a retention run deleted, as the store reports and logs it (the
//! policy itself and its ages live in [`crate::retention`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One retention run: the cut-offs used and what was deleted, all in one
/// transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionRun {
    /// When it ran (UTC).
    pub at: DateTime<Utc>,
    /// Incidents that happened before this were deleted (`None`: not applied).
    pub incidents_before: Option<DateTime<Utc>>,
    pub incidents_deleted: u64,
    /// Hosts' tracks that ended (and check-ins that closed) before this were deleted.
    pub tracks_before: Option<DateTime<Utc>>,
    pub tracks_deleted: u64,
    pub checkins_deleted: u64,
    /// Who ran it (OS login or database login).
    pub login: Option<String>,
}
