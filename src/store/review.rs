//! The review queue and review actions on reports.

mod bulk;
mod queue_page;
mod report_page;
mod text_search;

pub use bulk::{Verified, verify_all};
pub use queue_page::{
    ChosenObserver, MATCHES_LISTED, QueuePage, QueueRequest, Settled, queue_page, resolve,
};
pub use report_page::{ReportPage, ReportRequest, report_page};
pub use text_search::COUNTED_MATCHES;

use crate::domain::message::Message;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::audit::Actor;
use super::facts::Facts;
use super::{StoreError, found, now};
use crate::domain::facts::Selection;
use crate::domain::form::Severity;
use crate::domain::queue::{Cursor, Sort};
use crate::domain::region_path::RegionPath;
use crate::domain::report::EventKind;
use crate::domain::review::{Action, Status, transition};
use crate::domain::role::Role;

/// A queue query, resolved: every filter the store applies.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    pub mission_id: i64,
    /// Reports in this subtree (a materialized path)...
    pub region_path: Option<RegionPath>,
    /// ...of this region, by which the report facts count them.
    pub region_id: Option<i64>,
    pub form_keys: Vec<String>,
    pub categories: Vec<String>,
    pub severities: Vec<Severity>,
    pub statuses: Vec<Status>,
    pub problems_only: bool,
    /// Only reports flagging a problem on this question.
    pub problem: Option<String>,
    pub observer_id: Option<i64>,
    pub received_from: Option<i64>,
    pub received_to: Option<i64>,
    /// An FTS5 query over what observers wrote.
    pub text: Option<String>,
}

/// A line of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueLine {
    pub id: String,
    pub reference: String,
    pub received_at: i64,
    /// The form version it was filed with, which words its category.
    pub form_id: i64,
    pub form_title: String,
    pub region_name: String,
    pub region_code: String,
    pub observer: String,
    pub status: Status,
    pub severity: Option<Severity>,
    pub problem_count: i64,
    pub category: Option<String>,
    pub cursor: Cursor,
}

/// Adds `column IN (items)` unless `items` is empty (no filter).
fn any_of(column: &str, items: Vec<Sql>, clauses: &mut Vec<String>, values: &mut Vec<Sql>) {
    if !items.is_empty() {
        clauses.push(format!(
            "{column} IN ({})",
            vec!["?"; items.len()].join(", ")
        ));
        values.extend(items);
    }
}

/// The WHERE clause and its parameters for a query; `r` is `reports`, `f` its form.
pub(super) fn conditions(query: &QueueQuery, with_status: bool) -> (String, Vec<Sql>) {
    // An observer files a few dozen reports of a million: their index finds them at
    // once, where an index led by the mission walks every report to keep theirs (1.2 s
    // at 30,000 observers), so the mission's indexes are kept (`+`) from that choice.
    let mission = if query.observer_id.is_some() {
        "+r.mission_id = ?"
    } else {
        "r.mission_id = ?"
    };
    let mut clauses = vec![mission.to_owned()];
    let mut values = vec![Sql::Integer(query.mission_id)];
    if let Some(path) = &query.region_path {
        // A county or constituency holds many reports: walking the newest first and
        // keeping those inside finds a page sooner than sorting all of them, so the path
        // index is kept (`+`) for the smaller regions below, where it pays.
        let column = if !small_region(path) {
            "+r.region_path"
        } else {
            "r.region_path"
        };
        clauses.push(format!("{column} >= ? AND {column} < ?"));
        values.push(Sql::Text(path.to_string()));
        values.push(Sql::Text(path.subtree_end()));
    }
    if !query.form_keys.is_empty() {
        // A subquery, not a join: an unfiltered count then reads an index alone.
        let marks = vec!["?"; query.form_keys.len()].join(", ");
        clauses.push(format!(
            "r.form_id IN (SELECT id FROM forms WHERE mission_id = ? AND key IN ({marks}))"
        ));
        values.push(Sql::Integer(query.mission_id));
        values.extend(query.form_keys.iter().cloned().map(Sql::Text));
    }
    any_of(
        "r.category",
        query.categories.iter().cloned().map(Sql::Text).collect(),
        &mut clauses,
        &mut values,
    );
    any_of(
        "r.severity",
        query
            .severities
            .iter()
            .map(|s| Sql::Integer(s.rank()))
            .collect(),
        &mut clauses,
        &mut values,
    );
    if with_status {
        let statuses = query
            .statuses
            .iter()
            .map(|s| Sql::Text(s.as_str().to_owned()))
            .collect();
        any_of("r.status", statuses, &mut clauses, &mut values);
    }
    if query.problems_only {
        clauses.push("r.problem_count > 0".to_owned());
    }
    if let Some(question) = &query.problem {
        clauses.push(
            "r.seq IN (SELECT report_seq FROM report_problems WHERE question = ?)".to_owned(),
        );
        values.push(Sql::Text(question.clone()));
    }
    if let Some(observer) = query.observer_id {
        clauses.push("r.observer_id = ?".to_owned());
        values.push(Sql::Integer(observer));
    }
    if let Some(from) = query.received_from {
        clauses.push("r.received_at >= ?".to_owned());
        values.push(Sql::Integer(from));
    }
    if let Some(to) = query.received_to {
        clauses.push("r.received_at < ?".to_owned());
        values.push(Sql::Integer(to));
    }
    if let Some(text) = &query.text {
        clauses
            .push("r.seq IN (SELECT rowid FROM report_text WHERE report_text MATCH ?)".to_owned());
        values.push(Sql::Text(text.clone()));
    }
    (clauses.join(" AND "), values)
}

/// A region below the constituencies: few enough reports that reading them all by the
/// path index and sorting them beats walking an index in the page's order.
fn small_region(path: &RegionPath) -> bool {
    path.depth() > 2
}

const LINE_SELECT: &str = "
    SELECT r.id, r.reference, r.received_at, f.title, g.name, g.code, u.display_name,
           r.status, r.severity, r.problem_count, r.category, r.seq, r.form_id
    FROM reports r
    JOIN forms f ON f.id = r.form_id
    JOIN regions g ON g.id = r.region_id
    JOIN users u ON u.id = r.observer_id";

fn line_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<QueueLine> {
    let severity: Option<Severity> = row.get(8)?;
    Ok(QueueLine {
        id: row.get(0)?,
        reference: row.get(1)?,
        received_at: row.get(2)?,
        form_id: row.get(12)?,
        form_title: row.get(3)?,
        region_name: row.get(4)?,
        region_code: row.get(5)?,
        observer: row.get(6)?,
        status: row.get(7)?,
        severity,
        problem_count: row.get(9)?,
        category: row.get(10)?,
        cursor: Cursor {
            severity: severity.map_or(0, Severity::rank),
            seq: row.get(11)?,
        },
    })
}

/// One page of the queue: `limit` lines after `after`, in `sort` order. Paging by arrival
/// number (not by time, not by offset) means reports arriving meanwhile never shift a page:
/// nothing is skipped or shown twice.
pub fn page(
    conn: &Connection,
    query: &QueueQuery,
    sort: Sort,
    after: Option<Cursor>,
    limit: u32,
) -> Result<Vec<QueueLine>, StoreError> {
    let (mut clause, mut values) = conditions(query, true);
    let order = match sort {
        Sort::Newest => {
            if let Some(cursor) = after {
                clause.push_str(" AND r.seq < ?");
                values.push(Sql::Integer(cursor.seq));
            }
            "r.seq DESC"
        }
        Sort::Severity => {
            // Spelled out (not a row value) so that SQLite walks the severity index.
            if let Some(cursor) = after {
                clause.push_str(" AND (coalesce(r.severity, 0) < ? OR (coalesce(r.severity, 0) = ? AND r.seq < ?))");
                values.push(Sql::Integer(cursor.severity));
                values.push(Sql::Integer(cursor.severity));
                values.push(Sql::Integer(cursor.seq));
            }
            "coalesce(r.severity, 0) DESC, r.seq DESC"
        }
    };
    values.push(Sql::Integer(i64::from(limit)));
    let sql = format!("{LINE_SELECT} WHERE {clause} ORDER BY {order} LIMIT ?");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), line_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The lines of these reports of the mission, in the order given.
pub(super) fn lines_by_seq(
    conn: &Connection,
    mission_id: i64,
    seqs: &[i64],
) -> Result<Vec<QueueLine>, StoreError> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; seqs.len()].join(", ");
    let sql = format!("{LINE_SELECT} WHERE r.mission_id = ? AND r.seq IN ({marks})");
    let values = std::iter::once(mission_id).chain(seqs.iter().copied());
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut lines: Vec<QueueLine> = stmt
        .query_map(params_from_iter(values), line_from_row)?
        .collect::<Result<_, _>>()?;
    lines.sort_by_key(|line| seqs.iter().position(|s| *s == line.cursor.seq));
    Ok(lines)
}

/// The report that follows `report_id` in the queue the query and order select: the next
/// one a reviewer working through that queue opens. The report itself need not match any
/// more (verifying it takes it out of a queue of received reports).
pub fn next_after(
    conn: &Connection,
    facts: &Facts,
    query: &QueueQuery,
    sort: Sort,
    report_id: &str,
) -> Result<Option<String>, StoreError> {
    let cursor = conn
        .prepare_cached(
            "SELECT coalesce(severity, 0), seq FROM reports WHERE id = ?1 AND mission_id = ?2",
        )?
        .query_row(params![report_id, query.mission_id], |r| {
            Ok(Cursor {
                severity: r.get(0)?,
                seq: r.get(1)?,
            })
        })
        .optional()?;
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    if let (Some(text), Some(selection)) = (&query.text, facts_selection(query)) {
        let next = text_search::next_in_search(conn, facts, query, text, &selection, sort, cursor)?;
        let seqs: Vec<i64> = next.into_iter().collect();
        return Ok(lines_by_seq(conn, query.mission_id, &seqs)?
            .into_iter()
            .next()
            .map(|line| line.id));
    }
    Ok(page(conn, query, sort, Some(cursor), 1)?
        .into_iter()
        .next()
        .map(|line| line.id))
}

/// The open critical and high reports matching the other filters, most severe and newest
/// first: what must not wait.
pub fn urgent(
    conn: &Connection,
    query: &QueueQuery,
    limit: u32,
) -> Result<Vec<QueueLine>, StoreError> {
    let (clause, mut values) = conditions(query, false);
    values.push(Sql::Integer(i64::from(limit)));
    // Under a ward, or for one observer, the urgent index (every open critical and high
    // report of the mission, walked until enough are inside) loses to the filter's own
    // index and a sort of what it finds: 160 ms against 0.3 ms for a polling station.
    let selective =
        query.observer_id.is_some() || query.region_path.as_ref().is_some_and(small_region);
    let severity = if selective {
        "+r.severity"
    } else {
        "r.severity"
    };
    let sql = format!(
        "{LINE_SELECT} WHERE {clause} AND r.status IN ('received', 'escalated') AND {severity} >= {high}
         ORDER BY r.severity DESC, r.seq DESC LIMIT ?",
        high = Severity::High.rank()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), line_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many reports match the filters (ignoring the status filter), by status. Counted
/// from the report facts when they hold every filter asked for (place, form, category,
/// severity, problems, a time window); else over the matching reports.
pub fn counts_by_status(
    conn: &Connection,
    facts: &Facts,
    query: &QueueQuery,
) -> Result<Vec<(Status, i64)>, StoreError> {
    if let Some(selection) = facts_selection(query).filter(|_| query.text.is_none()) {
        let counted = facts.with_mission(query.mission_id, |m| m.by_status(&selection))?;
        return Ok(counted.into_iter().map(|(s, n, _)| (s, n)).collect());
    }
    let (clause, values) = conditions(query, false);
    let sql = format!("SELECT r.status, count(*) FROM reports r WHERE {clause} GROUP BY r.status");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows: Vec<(String, i64)> = stmt
        .query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Status::ALL
        .into_iter()
        .map(|status| {
            (
                status,
                rows.iter()
                    .find(|(s, _)| s == status.as_str())
                    .map_or(0, |(_, n)| *n),
            )
        })
        .collect())
}

/// The query's filters besides its text as a selection of the report facts, or `None`
/// when one is a filter they do not hold (an observer, one question's problem).
pub(super) fn facts_selection(query: &QueueQuery) -> Option<Selection> {
    let held = query.observer_id.is_none()
        && query.problem.is_none()
        && (query.region_path.is_none() || query.region_id.is_some());
    held.then(|| Selection {
        region_id: query.region_id,
        form_keys: query.form_keys.clone(),
        categories: query.categories.clone(),
        severities: query.severities.iter().map(|s| s.rank()).collect(),
        statuses: Vec::new(),
        received: match (query.received_from, query.received_to) {
            (None, None) => None,
            (from, to) => Some((from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX))),
        },
        problems_only: query.problems_only,
    })
}

/// A report's id by its reference, within the mission.
pub fn id_by_reference(
    conn: &Connection,
    mission_id: i64,
    reference: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM reports WHERE mission_id = ?1 AND reference = ?2")?
        .query_row(params![mission_id, reference.trim().to_uppercase()], |r| {
            r.get(0)
        })
        .optional()?)
}

/// A review action as a reviewer asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub action: Action,
    /// A checked note (required for a dismissal or a comment).
    pub note: String,
    /// For a duplicate: the reference of the report this one repeats.
    pub duplicate_of: Option<String>,
}

/// Takes a review action on a report of the mission, if the state machine allows it for
/// this role, and records it in the report's history with who and when. Returns the new
/// status.
pub fn act(
    conn: &Connection,
    mission_id: i64,
    report_id: &str,
    actor: &Actor,
    role: Role,
    review: &Review,
) -> Result<Status, StoreError> {
    let (action, note, duplicate_of) = (
        review.action,
        review.note.as_str(),
        review.duplicate_of.as_deref(),
    );
    let (current, reference): (Status, String) = found(
        conn.prepare_cached(
            "SELECT status, reference FROM reports WHERE id = ?1 AND mission_id = ?2",
        )?
        .query_row(params![report_id, mission_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        }),
        || "no such report".to_owned(),
    )?;
    let target = transition(current, action, role).map_err(|e| {
        StoreError::Rejected(
            Message::new("review.refused.transition")
                .with("reference", reference)
                .with_message("reason", e.0),
        )
    })?;
    let duplicate_id = match (action, duplicate_of) {
        (Action::MarkDuplicate, Some(other)) => {
            let other_id = id_by_reference(conn, mission_id, other)?.ok_or_else(|| {
                StoreError::Rejected(
                    Message::new("review.refused.no_report").with("reference", other.trim()),
                )
            })?;
            if other_id == report_id {
                return Err(StoreError::Rejected(Message::new(
                    "review.refused.not_itself",
                )));
            }
            // A duplicate points at the report that carries the event, never at another
            // duplicate: chains and cycles would leave no report carrying it.
            let (other_status, carrier): (Status, Option<String>) = conn
                .prepare_cached(
                    "SELECT r.status, d.reference FROM reports r LEFT JOIN reports d ON d.id = r.duplicate_of WHERE r.id = ?1",
                )?
                .query_row([&other_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if other_status == Status::Duplicate {
                let carrier = carrier.unwrap_or_default();
                return Err(StoreError::Rejected(
                    Message::new("review.refused.itself_duplicate")
                        .with("reference", other.trim().to_uppercase())
                        .with("carrier", carrier),
                ));
            }
            Some(other_id)
        }
        (Action::MarkDuplicate, None) => {
            return Err(StoreError::Rejected(Message::new(
                "review.refused.give_reference",
            )));
        }
        _ => None,
    };
    if action != Action::Comment {
        conn.prepare_cached(
            "UPDATE reports SET status = ?2,
                 duplicate_of = CASE WHEN ?2 = 'duplicate' THEN ?3 WHEN ?2 = 'received' THEN NULL ELSE duplicate_of END
             WHERE id = ?1",
        )?
        .execute(params![report_id, target, duplicate_id])?;
    }
    // The reference is kept apart from the reviewer's note, each page saying
    // "a duplicate of" in its own language.
    let duplicate_ref = match (action, duplicate_of) {
        (Action::MarkDuplicate, Some(other)) => Some(other.trim().to_uppercase()),
        _ => None,
    };
    conn.prepare_cached(
        "INSERT INTO report_events (report_id, at, actor_id, kind, text, from_status, to_status, duplicate_of)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        report_id,
        now(),
        actor.user_id,
        EventKind::Reviewed(action),
        note,
        current,
        target,
        duplicate_ref
    ])?;
    Ok(target)
}
