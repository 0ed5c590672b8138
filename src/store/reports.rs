//! Reports: filing (idempotent by submission id, hash-chained), reading, amending.

use crate::domain::region_path::RegionPath;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{StoreError, found, now};
use crate::credentials::random_bytes;
use crate::domain::form::Severity;
use crate::domain::report::{AmendmentKind, EventKind, REFERENCE_LENGTH, ResendWindow, reference};
use crate::domain::review::Status;

/// A report about to be filed: checked and assessed already.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// The submission UUID the form page carried.
    pub id: String,
    pub mission_id: i64,
    pub reference_prefix: String,
    pub form_id: i64,
    pub observer_id: i64,
    pub region_id: i64,
    pub region_path: RegionPath,
    pub observed_at: i64,
    pub channel: &'static str,
    pub severity: Option<Severity>,
    /// The keys of the questions whose answers are a problem.
    pub problems: Vec<String>,
    pub category: Option<String>,
    pub answers: Value,
}

impl NewReport {
    fn problem_count(&self) -> i64 {
        i64::try_from(self.problems.len()).unwrap_or(i64::MAX)
    }
}

/// What the observer is told once a report is on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: String,
    pub reference: String,
    pub received_at: i64,
    /// False when this submission id had been filed before: a resend, not a new report.
    pub new: bool,
    /// False when a report filed before under this id says something else than the one
    /// sent now (another place, time or answer): what was sent now is not stored.
    pub same: bool,
}

/// Files a report once. Sending the same submission id again (a double tap, a retry, an
/// outbox resend) gets the first receipt and changes nothing; the same id from another
/// observer or mission is `NotFound`, so nobody can read or overwrite a report through it.
pub fn file(conn: &Connection, report: &NewReport) -> Result<Receipt, StoreError> {
    file_received(conn, report, now())
}

/// Files a report as received at a given time: generated missions are set on polling day.
pub fn file_received(
    conn: &Connection,
    report: &NewReport,
    received_at: i64,
) -> Result<Receipt, StoreError> {
    // Decided here, in the write, against what is stored: two sends of one id that race
    // each other are each told whether theirs is the version on disk.
    if let Some(existing) = filed_receipt(conn, &report.id, report.mission_id, report.observer_id)?
    {
        let same = says_the_same(conn, &report.id, &report.content())?;
        return Ok(Receipt { same, ..existing });
    }
    let answers = report.answers.to_string();
    let previous: Vec<u8> = conn
        .prepare_cached(
            "SELECT content_hash FROM reports WHERE mission_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([report.mission_id], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| vec![0; 32]);
    let reference = free_reference(conn, report)?;
    let content_hash = chain_hash(&previous, report, &reference, received_at, &answers);
    conn.prepare_cached(
        "INSERT INTO reports (id, mission_id, reference, form_id, observer_id, region_id, region_path,
                              observed_at, received_at, channel, severity, problem_count, category,
                              answers, content_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        report.id,
        report.mission_id,
        reference,
        report.form_id,
        report.observer_id,
        report.region_id,
        report.region_path,
        report.observed_at,
        received_at,
        report.channel,
        report.severity.map(Severity::rank),
        report.problem_count(),
        report.category,
        answers,
        content_hash,
    ])?;
    let seq = conn.last_insert_rowid();
    super::facts::record_problems(conn, seq, &report.problems)?;
    super::parked::forget(conn, report.observer_id, &report.id)?;
    conn.prepare_cached("INSERT INTO temp.pending_search_text (rowid, text) VALUES (?1, ?2)")?
        .execute(params![seq, searchable_text(&reference, &report.answers)])?;
    record_event(
        conn,
        &report.id,
        received_at,
        Some(report.observer_id),
        "filed",
        "",
    )?;
    Ok(Receipt {
        id: report.id.clone(),
        reference,
        received_at,
        new: true,
        same: true,
    })
}

/// What a report says, as a resend is compared with it.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub form_id: i64,
    pub region_id: i64,
    pub observed_at: i64,
    pub answers: &'a Value,
}

impl NewReport {
    /// What this report says.
    pub fn content(&self) -> Content<'_> {
        Content {
            form_id: self.form_id,
            region_id: self.region_id,
            observed_at: self.observed_at,
            answers: &self.answers,
        }
    }
}

/// Whether the report filed under `id` says exactly `content`.
pub fn says_the_same(conn: &Connection, id: &str, content: &Content) -> Result<bool, StoreError> {
    let (form_id, region_id, observed_at, answers): (i64, i64, i64, String) = found(
        conn.prepare_cached(
            "SELECT form_id, region_id, observed_at, answers FROM reports WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))),
        || "no such report".to_owned(),
    )?;
    Ok(form_id == content.form_id
        && region_id == content.region_id
        && observed_at == content.observed_at
        && serde_json::from_str::<Value>(&answers).ok().as_ref() == Some(content.answers))
}

/// The newest report this observer filed in `window` for the same form and place, with
/// the same answers as `content`: the report a form sent again after its receipt repeats.
pub fn recent_twin(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
    content: &Content,
    window: ResendWindow,
) -> Result<Option<Receipt>, StoreError> {
    // A report sent again follows the one it repeats closely: only this observer's last
    // few reports are looked at (walking their index back, newest first), so an observer
    // with hundreds of reports files as fast as one with none. Answers are stored as
    // `file` writes them (`Value::to_string`, keys in order): the same answers are the
    // same text. Rows are taken in the index's order and counted here: a LIMIT inside a
    // subquery would have SQLite sort the few rows again in a temporary B-tree.
    let answers = content.answers.to_string();
    let mut statement = conn.prepare_cached(
        "SELECT id, reference, received_at, form_id, region_id, observed_at, answers
         FROM reports
         WHERE observer_id = ?1 AND mission_id = ?2 AND received_at >= ?3
         ORDER BY received_at DESC, seq DESC",
    )?;
    let mut rows = statement.query(params![observer_id, mission_id, window.received_since])?;
    let mut looked = 0;
    while looked < window.latest {
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        looked += 1;
        let (form_id, region_id, observed_at): (i64, i64, i64) =
            (row.get(3)?, row.get(4)?, row.get(5)?);
        let same_report = form_id == content.form_id
            && region_id == content.region_id
            && (observed_at - content.observed_at).abs() <= window.observed_within
            && row.get_ref(6)?.as_str().map_err(rusqlite::Error::from)? == answers;
        if same_report {
            return Ok(Some(Receipt {
                id: row.get(0)?,
                reference: row.get(1)?,
                received_at: row.get(2)?,
                new: false,
                same: true,
            }));
        }
    }
    Ok(None)
}

/// Where the search text of reports filed in the writer's transaction waits (a table of
/// the writer's connection alone). FTS5 writes what it holds as a new segment of its index
/// whenever a savepoint opens, and every write job runs in one: indexed as each report is
/// filed, every report made a segment of its own, an eighth of the writer's time in
/// merging them. The writer indexes the batch's text at once, before it commits
/// ([`index_search_text`]); a job undone takes its waiting row with it.
pub(super) const PENDING_SEARCH_TEXT: &str =
    "CREATE TEMP TABLE pending_search_text (rowid INTEGER PRIMARY KEY, text TEXT NOT NULL)";

/// Indexes the search text waiting since the transaction began: the writer calls it once,
/// outside any job's savepoint, just before it commits.
pub(super) fn index_search_text(conn: &Connection) -> Result<(), StoreError> {
    let waiting: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM temp.pending_search_text)")?
        .query_row([], |r| r.get(0))?;
    if waiting {
        conn.prepare_cached(
            "INSERT INTO report_text (rowid, text) SELECT rowid, text FROM temp.pending_search_text",
        )?
        .execute([])?;
        conn.prepare_cached("DELETE FROM temp.pending_search_text")?
            .execute([])?;
    }
    Ok(())
}

/// What free-text search finds a report by: its reference and every word observers wrote
/// or chose (option keys read well enough: `vote_buying`).
fn searchable_text(reference: &str, answers: &Value) -> String {
    let mut text = reference.to_owned();
    for value in answers.as_object().into_iter().flat_map(|o| o.values()) {
        let words = match value {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            _ => continue,
        };
        text.push(' ');
        text.push_str(&words);
    }
    text
}

/// The receipt of a report already filed with this id, if it is this observer's; an id
/// that belongs to someone else is `NotFound`.
pub fn filed_receipt(
    conn: &Connection,
    id: &str,
    mission_id: i64,
    observer_id: i64,
) -> Result<Option<Receipt>, StoreError> {
    let found: Option<(i64, i64, String, i64)> = conn
        .prepare_cached(
            "SELECT mission_id, observer_id, reference, received_at FROM reports WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    match found {
        None => Ok(None),
        Some((mission, observer, reference, received_at))
            if mission == mission_id && observer == observer_id =>
        {
            Ok(Some(Receipt {
                id: id.to_owned(),
                reference,
                received_at,
                new: false,
                same: true,
            }))
        }
        Some(_) => Err(StoreError::NotFound("no such report".to_owned())),
    }
}

/// A reference not yet used in the mission. Random, so references say nothing about how
/// many reports a mission has; with a billion codes a clash is rare, and retried.
fn free_reference(conn: &Connection, report: &NewReport) -> Result<String, StoreError> {
    let mut taken = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM reports WHERE mission_id = ?1 AND reference = ?2)",
    )?;
    for _ in 0..16 {
        let bytes =
            random_bytes::<REFERENCE_LENGTH>().map_err(|e| StoreError::Task(e.to_string()))?;
        let candidate = reference(&report.reference_prefix, bytes);
        if !taken.query_row(params![report.mission_id, candidate], |r| {
            r.get::<_, bool>(0)
        })? {
            return Ok(candidate);
        }
    }
    Err(StoreError::Task(
        "no free report reference after 16 tries".to_owned(),
    ))
}

/// SHA-256 over the previous report's hash and this report's content: altering or removing
/// a stored report breaks every hash after it.
fn chain_hash(
    previous: &[u8],
    report: &NewReport,
    reference: &str,
    received_at: i64,
    answers: &str,
) -> Vec<u8> {
    // Every column fixed at filing, derived ones included: the figures the mission counts
    // cannot be changed without breaking the chain.
    hash_fields(
        previous,
        &[
            report.id.as_str(),
            &report.mission_id.to_string(),
            reference,
            &report.form_id.to_string(),
            &report.observer_id.to_string(),
            &report.region_id.to_string(),
            report.region_path.as_str(),
            &report.observed_at.to_string(),
            &received_at.to_string(),
            report.channel,
            &report.severity.map_or(0, Severity::rank).to_string(),
            &report.problem_count().to_string(),
            report.category.as_deref().unwrap_or_default(),
            answers,
        ],
    )
}

fn hash_fields(previous: &[u8], fields: &[&str]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    for field in fields {
        hasher.update(field.as_bytes());
        hasher.update([0x1f]);
    }
    hasher.finalize().to_vec()
}

/// What checking a mission's hash chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    /// Reports checked: all of them, or up to the first broken one.
    pub reports: i64,
    /// The reference of the first report, in order of arrival, whose stored content no
    /// longer gives its stored hash: it or one before it was changed or removed.
    pub broken_at: Option<String>,
}

/// Recomputes every report's hash from its stored columns, oldest first, and compares.
pub fn verify_chain(conn: &Connection, mission_id: i64) -> Result<ChainCheck, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, mission_id, reference, form_id, observer_id, region_id, region_path,
                observed_at, received_at, channel, coalesce(severity, 0), problem_count,
                coalesce(category, ''), answers, content_hash
         FROM reports WHERE mission_id = ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query([mission_id])?;
    let mut previous = vec![0_u8; 32];
    let mut reports = 0;
    while let Some(row) = rows.next()? {
        reports += 1;
        let text = |i: usize| -> rusqlite::Result<String> {
            match row.get_ref(i)? {
                rusqlite::types::ValueRef::Integer(n) => Ok(n.to_string()),
                other => Ok(other.as_str()?.to_owned()),
            }
        };
        let fields: Vec<String> = (0..14).map(text).collect::<Result<_, _>>()?;
        let borrowed: Vec<&str> = fields.iter().map(String::as_str).collect();
        let stored: Vec<u8> = row.get(14)?;
        if hash_fields(&previous, &borrowed) != stored {
            return Ok(ChainCheck {
                reports,
                broken_at: Some(fields[2].clone()),
            });
        }
        previous = stored;
    }
    Ok(ChainCheck {
        reports,
        broken_at: None,
    })
}

fn record_event(
    conn: &Connection,
    report_id: &str,
    at: i64,
    actor: Option<i64>,
    kind: &str,
    text: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO report_events (report_id, at, actor_id, kind, text) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![report_id, at, actor, kind, text])?;
    Ok(())
}

/// How many reports an observer has filed in a mission.
pub fn count_of_observer(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM reports WHERE observer_id = ?1 AND mission_id = ?2")?
        .query_row(params![observer_id, mission_id], |r| r.get(0))?)
}

/// A line of "My reports".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    pub id: String,
    pub reference: String,
    pub form_id: i64,
    pub form_title: String,
    pub region_name: String,
    pub region_code: String,
    pub observed_at: i64,
    pub received_at: i64,
    pub status: Status,
    pub severity: Option<Severity>,
    pub problem_count: i64,
    pub amendments: i64,
    /// Where the next page starts: (received_at, seq).
    pub cursor: (i64, i64),
}

/// An observer's reports in a mission, newest first, `limit` at a time; `before` is the
/// cursor of the last line of the previous page.
pub fn of_observer(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
    before: Option<(i64, i64)>,
    limit: u32,
) -> Result<Vec<ReportLine>, StoreError> {
    let (before_at, before_seq) = before.unwrap_or((i64::MAX, i64::MAX));
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.reference, f.title, g.name, g.code, r.observed_at, r.received_at, r.status,
                r.severity, r.problem_count,
                (SELECT count(*) FROM report_events e WHERE e.report_id = r.id AND e.kind IN ('correction', 'addition')),
                r.seq, r.form_id
         FROM reports r JOIN forms f ON f.id = r.form_id JOIN regions g ON g.id = r.region_id
         WHERE r.observer_id = ?1 AND r.mission_id = ?2 AND (r.received_at, r.seq) < (?3, ?4)
         ORDER BY r.received_at DESC, r.seq DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(
        params![observer_id, mission_id, before_at, before_seq, limit],
        |row| {
            let received_at: i64 = row.get(6)?;
            Ok(ReportLine {
                id: row.get(0)?,
                reference: row.get(1)?,
                form_id: row.get(12)?,
                form_title: row.get(2)?,
                region_name: row.get(3)?,
                region_code: row.get(4)?,
                observed_at: row.get(5)?,
                received_at,
                status: row.get(7)?,
                severity: row.get(8)?,
                problem_count: row.get(9)?,
                amendments: row.get(10)?,
                cursor: (received_at, row.get(11)?),
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A report as filed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReport {
    pub id: String,
    pub reference: String,
    pub form_id: i64,
    pub observer_id: i64,
    pub region_id: i64,
    pub observed_at: i64,
    pub received_at: i64,
    pub status: Status,
    pub severity: Option<Severity>,
    pub problem_count: i64,
    pub category: Option<String>,
    pub answers: Value,
    /// For a duplicate: the reference of the report that carries the event.
    pub duplicate_of: Option<String>,
}

/// One of this observer's reports; anyone else's is `NotFound`, as if it did not exist.
pub fn own(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
    id: &str,
) -> Result<StoredReport, StoreError> {
    let report = in_mission(conn, mission_id, id)?;
    if report.observer_id != observer_id {
        return Err(StoreError::NotFound("no such report".to_owned()));
    }
    Ok(report)
}

/// A report of the mission, for the core team.
pub fn in_mission(
    conn: &Connection,
    mission_id: i64,
    id: &str,
) -> Result<StoredReport, StoreError> {
    let (mut report, answers) = found(
        conn.prepare_cached(
            "SELECT r.id, r.reference, r.form_id, r.observer_id, r.region_id, r.observed_at, r.received_at, r.status,
                    r.severity, r.problem_count, r.category, r.answers, d.reference
             FROM reports r LEFT JOIN reports d ON d.id = r.duplicate_of
             WHERE r.id = ?1 AND r.mission_id = ?2",
        )?
        .query_row(params![id, mission_id], |row| {
            let report = StoredReport {
                id: row.get(0)?,
                reference: row.get(1)?,
                form_id: row.get(2)?,
                observer_id: row.get(3)?,
                region_id: row.get(4)?,
                observed_at: row.get(5)?,
                received_at: row.get(6)?,
                status: row.get(7)?,
                severity: row.get(8)?,
                problem_count: row.get(9)?,
                category: row.get(10)?,
                answers: Value::Null,
                duplicate_of: row.get(12)?,
            };
            Ok((report, row.get::<_, String>(11)?))
        }),
        || "no such report".to_owned(),
    )?;
    report.answers = serde_json::from_str(&answers)
        .map_err(|e| StoreError::Task(format!("stored answers of {id} are unreadable: {e}")))?;
    Ok(report)
}

/// Something that happened to a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: i64,
    pub actor: Option<String>,
    pub kind: EventKind,
    pub text: String,
    /// For review actions: the status before and after.
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    /// For a duplicate mark: the reference of the report it repeats.
    pub duplicate_of: Option<String>,
}

/// A report's whole history, oldest first: what reviewers see.
pub fn history(conn: &Connection, report_id: &str) -> Result<Vec<Event>, StoreError> {
    events(conn, report_id, false)
}

/// What the observer sees of a report's history: the filing and their own amendments,
/// never the core team's review notes.
pub fn history_for_observer(conn: &Connection, report_id: &str) -> Result<Vec<Event>, StoreError> {
    events(conn, report_id, true)
}

fn events(
    conn: &Connection,
    report_id: &str,
    observer_view: bool,
) -> Result<Vec<Event>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.at, u.display_name, e.kind, e.text, e.from_status, e.to_status, e.duplicate_of
         FROM report_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.report_id = ?1 AND (NOT ?2 OR e.kind IN ('filed', 'correction', 'addition'))
         ORDER BY e.id",
    )?;
    let rows = stmt.query_map(params![report_id, observer_view], |r| {
        Ok(Event {
            at: r.get(0)?,
            actor: r.get(1)?,
            kind: r.get(2)?,
            text: r.get(3)?,
            from_status: r.get(4)?,
            to_status: r.get(5)?,
            duplicate_of: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Adds an observer's correction or addition to their own report. The report itself is
/// never changed: the amendment joins its history. Sent twice with the same
/// `submission_id` (a double tap), it is added once.
pub fn amend(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
    id: &str,
    submission_id: &str,
    kind: AmendmentKind,
    text: &str,
) -> Result<(), StoreError> {
    own(conn, mission_id, observer_id, id)?;
    let seen: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM report_events WHERE submission_id = ?1)")?
        .query_row([submission_id], |r| r.get(0))?;
    if seen {
        return Ok(());
    }
    // Filed in this same transaction, the report's text is still waiting to be indexed.
    let waiting = conn
        .prepare_cached(
            "UPDATE temp.pending_search_text SET text = text || ' ' || ?2
             WHERE rowid = (SELECT seq FROM reports WHERE id = ?1)",
        )?
        .execute(params![id, text])?;
    if waiting == 0 {
        conn.prepare_cached(
            "UPDATE report_text SET text = text || ' ' || ?2 WHERE rowid = (SELECT seq FROM reports WHERE id = ?1)",
        )?
        .execute(params![id, text])?;
    }
    conn.prepare_cached(
        "INSERT INTO report_events (report_id, at, actor_id, kind, text, submission_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id, now(), observer_id, EventKind::Amended(kind), text, submission_id])?;
    Ok(())
}
