//! Everything the reviewers' page of one report shows, read in one transaction.

use rusqlite::Connection;

use super::next_after;
use super::queue_page::carried_queue;
use crate::domain::finding::Stage;
use crate::domain::queue::Filter;
use crate::store::facts::Facts;
use crate::store::forms::{self, StoredForm};
use crate::store::regions::{self, Region};
use crate::store::reports::{self, Event, StoredReport};
use crate::store::users::{self, Member};
use crate::store::{StoreError, findings};

/// Which report, and the queue it was opened from.
pub struct ReportRequest {
    pub mission_id: i64,
    pub time_zone: String,
    pub report_id: String,
    /// The queue's filter as the link carried it.
    pub carried: Filter,
}

pub struct ReportPage {
    pub report: StoredReport,
    pub form: StoredForm,
    /// The report's place, with the regions above it first.
    pub trail: Vec<Region>,
    pub events: Vec<Event>,
    pub observer: Member,
    /// Findings citing the report: (id, title, stage).
    pub cited: Vec<(i64, String, Stage)>,
    /// The queue the page leads back to (the carried one, or the whole queue when the
    /// carried one no longer reads), and the next report in it.
    pub queue: Filter,
    pub next: Option<String>,
}

pub fn report_page(
    conn: &Connection,
    facts: &Facts,
    request: &ReportRequest,
) -> Result<ReportPage, StoreError> {
    let mission_id = request.mission_id;
    let report = reports::in_mission(conn, mission_id, &request.report_id)?;
    let form = forms::by_id(conn, mission_id, report.form_id)?;
    let trail = regions::trail(conn, report.region_id)?;
    let events = reports::history(conn, &report.id)?;
    let observer = users::member(conn, mission_id, report.observer_id)?;
    let cited = findings::citing(conn, &report.id)?;
    let (queue, query) = carried_queue(conn, mission_id, &request.time_zone, &request.carried)?;
    let next = next_after(conn, facts, &query, queue.sort, &report.id)?;
    Ok(ReportPage {
        report,
        form,
        trail,
        events,
        observer,
        cited,
        queue,
        next,
    })
}
