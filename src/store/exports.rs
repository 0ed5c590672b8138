//! Reports read one at a time for exports, oldest first, so that a million of them are
//! never in memory together.

use crate::domain::region_path::RegionPath;
use rusqlite::{Connection, params_from_iter};
use serde_json::Value;

use super::review::{QueueQuery, conditions, resolve};
use super::{StoreError, regions};
use crate::domain::message::Message;
use crate::domain::queue::Filter;

/// A report as exports write it.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: String,
    pub reference: String,
    pub form_key: String,
    pub form_version: i64,
    pub observer: String,
    pub region_path: RegionPath,
    pub region_name: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub observed_at: i64,
    pub received_at: i64,
    pub status: String,
    pub severity: Option<i64>,
    pub category: Option<String>,
    pub problem_count: i64,
    /// As filed: an amendment never changes them, it joins the report's history.
    pub answers: Value,
    /// The observer's corrections and additions, oldest first.
    pub amendments: Vec<Amendment>,
}

/// A correction or an addition an observer made to their report after filing it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Amendment {
    pub at: i64,
    /// `correction` or `addition`.
    pub kind: String,
    pub text: String,
}

/// Calls `each` with every report matching the query, in order of arrival, until it
/// returns false (the reader went away). Run it in a long read (`Store::read_long`),
/// whose one snapshot makes the export a consistent picture while reports keep arriving.
pub fn each_report(
    conn: &Connection,
    query: &QueueQuery,
    located_only: bool,
    each: &mut dyn FnMut(ExportRow) -> bool,
) -> Result<(), StoreError> {
    let (clause, values) = conditions(query, true);
    let located = if located_only {
        " AND g.latitude IS NOT NULL AND g.longitude IS NOT NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT r.id, r.reference, f.key, f.version, u.username, r.region_path, g.name, g.latitude,
                g.longitude, r.observed_at, r.received_at, r.status, r.severity, r.category,
                r.problem_count, r.answers,
                (SELECT json_group_array(json_object('at', e.at, 'kind', e.kind, 'text', e.text) ORDER BY e.id)
                 FROM report_events e WHERE e.report_id = r.id AND e.kind IN ('correction', 'addition'))
         FROM reports r JOIN forms f ON f.id = r.form_id JOIN users u ON u.id = r.observer_id
         JOIN regions g ON g.id = r.region_id
         WHERE {clause}{located} ORDER BY r.seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    while let Some(row) = rows.next()? {
        let answers: String = row.get(15)?;
        let amendments: String = row.get(16)?;
        let report = ExportRow {
            id: row.get(0)?,
            reference: row.get(1)?,
            form_key: row.get(2)?,
            form_version: row.get(3)?,
            observer: row.get(4)?,
            region_path: row.get(5)?,
            region_name: row.get(6)?,
            latitude: row.get(7)?,
            longitude: row.get(8)?,
            observed_at: row.get(9)?,
            received_at: row.get(10)?,
            status: row.get(11)?,
            severity: row.get(12)?,
            category: row.get(13)?,
            problem_count: row.get(14)?,
            answers: serde_json::from_str(&answers)
                .map_err(|e| StoreError::Task(format!("stored answers are unreadable: {e}")))?,
            amendments: serde_json::from_str(&amendments)
                .map_err(|e| StoreError::Task(format!("amendments are unreadable: {e}")))?,
        };
        if !each(report) {
            break;
        }
    }
    Ok(())
}

/// An amendment with the report it belongs to, as the amendments export writes it.
#[derive(Debug, Clone)]
pub struct AmendmentRow {
    pub reference: String,
    pub report_id: String,
    pub form_key: String,
    pub observer: String,
    pub amendment: Amendment,
}

/// Calls `each` with every correction and addition to the reports matching the query,
/// report by report in order of arrival, each report's oldest first, until it returns
/// false (the reader went away). Run it in a long read, as `each_report`.
pub fn each_amendment(
    conn: &Connection,
    query: &QueueQuery,
    each: &mut dyn FnMut(AmendmentRow) -> bool,
) -> Result<(), StoreError> {
    let (clause, values) = conditions(query, true);
    let sql = format!(
        "SELECT r.reference, r.id, f.key, u.username, e.at, e.kind, e.text
         FROM reports r JOIN forms f ON f.id = r.form_id JOIN users u ON u.id = r.observer_id
         JOIN report_events e ON e.report_id = r.id
         WHERE {clause} AND e.kind IN ('correction', 'addition') ORDER BY r.seq, e.id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    while let Some(row) = rows.next()? {
        let amendment = AmendmentRow {
            reference: row.get(0)?,
            report_id: row.get(1)?,
            form_key: row.get(2)?,
            observer: row.get(3)?,
            amendment: Amendment {
                at: row.get(4)?,
                kind: row.get(5)?,
                text: row.get(6)?,
            },
        };
        if !each(amendment) {
            break;
        }
    }
    Ok(())
}

/// The question keys of every version of a form, newest version's order first, then keys
/// only older versions had: the columns of a CSV export.
pub fn question_keys(
    conn: &Connection,
    mission_id: i64,
    form_key: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut keys: Vec<(String, String)> = Vec::new();
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM forms WHERE mission_id = ?1 AND key = ?2 ORDER BY version DESC",
        )?
        .query_map(rusqlite::params![mission_id, form_key], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        let form = super::forms::by_id(conn, mission_id, id)?;
        for question in form.definition.questions() {
            if !keys.iter().any(|(k, _)| *k == question.key) {
                keys.push((question.key.clone(), question.label.clone()));
            }
        }
    }
    Ok(keys)
}

/// What an export of the queue's reports writes: the store's query for the filter, and
/// the mission's level names (a column per level).
pub struct Plan {
    pub query: QueueQuery,
    pub levels: Vec<String>,
}

pub fn plan(
    conn: &Connection,
    mission_id: i64,
    time_zone: &str,
    filter: &Filter,
) -> Result<Plan, StoreError> {
    Ok(Plan {
        query: resolve(conn, mission_id, time_zone, filter)?,
        levels: regions::levels(conn, mission_id)?,
    })
}

/// A CSV export of one form's reports: the plan, and the form's questions (a column
/// each). A form the mission does not have is refused.
pub fn form_plan(
    conn: &Connection,
    mission_id: i64,
    time_zone: &str,
    filter: &Filter,
    form_key: &str,
) -> Result<(Plan, Vec<(String, String)>), StoreError> {
    let questions = question_keys(conn, mission_id, form_key)?;
    if questions.is_empty() {
        return Err(StoreError::Rejected(
            Message::new("review.exports.no_form").with("key", form_key),
        ));
    }
    Ok((plan(conn, mission_id, time_zone, filter)?, questions))
}
