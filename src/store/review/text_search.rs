//! The review queue under a free-text search. Joining the search to the reports made
//! SQLite read every match and every report of the mission (265 ms at a million reports
//! for a phrase in one report of twelve); instead the matches are read newest first from
//! the text index alone, the other filters are the report facts', and only the lines
//! shown are read from the reports.

use rusqlite::{Connection, params};

use super::{QueueLine, QueueQuery, lines_by_seq};
use crate::domain::facts::Selection;
use crate::domain::queue::{Cursor, Sort};
use crate::domain::queue_search::{Hit, Pick, by_status};
use crate::domain::review::Status;
use crate::store::StoreError;
use crate::store::facts::Facts;

/// Matches of a search the queue counts at most, in service. Reading a match costs about a tenth of a
/// microsecond, so this many stay within a few milliseconds; a search matching more (a
/// word in most reports) is counted over its newest this many, and says so.
pub const COUNTED_MATCHES: usize = 100_000;

/// Matches read at first past the counted ones, while a page or the urgent list is not
/// settled yet (a rare filter under a common word); each further read doubles.
const FIRST_WINDOW: usize = 10_000;

/// What the queue shows under a search.
pub(super) struct Searched {
    pub counts: Vec<(Status, i64)>,
    /// `None` when every match was counted; else the number counted, the newest.
    pub counted_to: Option<usize>,
    pub urgent: Vec<QueueLine>,
    pub lines: Vec<QueueLine>,
}

/// Which page of a searched queue, and how long its lists are.
pub(super) struct Wanted {
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub lines: u32,
    pub urgent: u32,
    /// Matches counted at most.
    pub counted: usize,
}

/// The counts, the urgent reports and one page of the queue for a query whose text is
/// `text` and whose other filters are the report facts' `selection`.
pub(super) fn searched(
    conn: &Connection,
    facts: &Facts,
    query: &QueueQuery,
    text: &str,
    selection: &Selection,
    wanted: &Wanted,
) -> Result<Searched, StoreError> {
    let mission_id = query.mission_id;
    let hits_of = |seqs: &[i64]| facts.with_mission(mission_id, |m| m.hits(selection, seqs));
    let counted = wanted.counted.max(1);
    let mut newest = matches(conn, text, i64::MAX, counted.saturating_add(1))?;
    let complete = newest.len() <= counted;
    newest.truncate(counted);
    let hits = hits_of(&newest)?;
    let mut urgent = Pick::urgent(wanted.urgent);
    urgent.take(&hits);
    let mut page = Pick::page(wanted.sort, wanted.after, &query.statuses, wanted.lines);
    page.take(&hits);
    if let (false, Some(&counted_to)) = (complete, newest.last()) {
        read_on(conn, &hits_of, text, counted_to, &mut urgent)?;
        // Newest first, nothing newer than the cursor belongs on the page.
        let from = match (wanted.sort, wanted.after) {
            (Sort::Newest, Some(cursor)) => counted_to.min(cursor.seq),
            _ => counted_to,
        };
        read_on(conn, &hits_of, text, from, &mut page)?;
    }
    Ok(Searched {
        counts: by_status(&hits),
        counted_to: (!complete).then_some(newest.len()),
        urgent: lines_by_seq(conn, mission_id, &urgent.finish())?,
        lines: lines_by_seq(conn, mission_id, &page.finish())?,
    })
}

/// Hands the list the matches older than `before`, newest first, until it is settled or
/// the matches end.
fn read_on(
    conn: &Connection,
    hits_of: &impl Fn(&[i64]) -> Result<Vec<Hit>, StoreError>,
    text: &str,
    before: i64,
    pick: &mut Pick,
) -> Result<(), StoreError> {
    let mut before = before;
    let mut window = FIRST_WINDOW;
    while !pick.settled() {
        let seqs = matches(conn, text, before, window)?;
        pick.take(&hits_of(&seqs)?);
        match seqs.last() {
            Some(&oldest) if seqs.len() == window => before = oldest,
            _ => break,
        }
        window = window.saturating_mul(2);
    }
    Ok(())
}

/// The report (seq) after `cursor` in the searched queue's `sort` order: the next one a
/// reviewer working through it opens. Nothing is counted, so newest first the matches
/// are read from the cursor on.
pub(super) fn next_in_search(
    conn: &Connection,
    facts: &Facts,
    query: &QueueQuery,
    text: &str,
    selection: &Selection,
    sort: Sort,
    cursor: Cursor,
) -> Result<Option<i64>, StoreError> {
    let hits_of = |seqs: &[i64]| facts.with_mission(query.mission_id, |m| m.hits(selection, seqs));
    let mut next = Pick::page(sort, Some(cursor), &query.statuses, 1);
    let from = match sort {
        Sort::Newest => cursor.seq,
        Sort::Severity => i64::MAX,
    };
    read_on(conn, &hits_of, text, from, &mut next)?;
    Ok(next.finish().first().copied())
}

/// Up to `limit` reports (seqs) whose text matches, older than `before`, newest first:
/// the text index keeps its matches in seq order, so this reads only those returned.
fn matches(
    conn: &Connection,
    text: &str,
    before: i64,
    limit: usize,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid FROM report_text WHERE report_text MATCH ?1 AND rowid < ?2
         ORDER BY rowid DESC LIMIT ?3",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![text, before, limit], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
