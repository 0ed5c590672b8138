//! The review queue under a free-text search. Joining the search to the reports made
//! SQLite read every match and every report of the mission (265 ms at a million reports
//! for a phrase in one report of 13); instead the matches are read newest first from
//! the text index alone, the other filters are the report facts', and only the lines
//! shown are read from the reports.

use rusqlite::{Connection, params};

use super::{QueueLine, QueueQuery, lines_by_seq};
use crate::domain::facts::Selection;
use crate::domain::queue::{Cursor, Sort};
use crate::domain::queue_search::{Pick, Tally};
use crate::domain::review::Status;
use crate::store::StoreError;
use crate::store::facts::Facts;

/// Matches of a search the queue counts at most, in service. Reading a match from the
/// text index and looking it up in the facts costs about 0.15 µs, so this many take some
/// 15 ms (BENCHMARKS.md); a search matching more (a word in most reports) is counted over
/// its newest this many, and says so.
pub const COUNTED_MATCHES: usize = 100_000;

/// Matches looked up in the facts at a time: memory for a search stays this small
/// however many reports it matches.
const CHUNK: usize = 4_096;

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
    let mut tally = Tally::default();
    let mut urgent = Pick::urgent(wanted.urgent);
    let mut page = Pick::page(wanted.sort, wanted.after, &query.statuses, wanted.lines);
    // One match past the counted ones says whether there are more; the lists take it.
    let mut seen = 0;
    let (read, oldest) = each_chunk(conn, text, i64::MAX, counted.saturating_add(1), |seqs| {
        let hits = hits_of(seqs)?;
        let counting = counted.saturating_sub(seen).min(seqs.len());
        seen += seqs.len();
        match seqs.get(counting) {
            Some(&uncounted) => tally.add(hits.iter().take_while(|h| h.seq > uncounted)),
            None => tally.add(&hits),
        }
        urgent.take(&hits);
        page.take(&hits);
        Ok(true)
    })?;
    let more = read > counted;
    if let (true, Some(oldest)) = (more, oldest) {
        let read_on = |pick: &mut Pick, before: i64| -> Result<(), StoreError> {
            if !pick.settled() {
                each_chunk(conn, text, before, usize::MAX, |seqs| {
                    pick.take(&hits_of(seqs)?);
                    Ok(!pick.settled())
                })?;
            }
            Ok(())
        };
        read_on(&mut urgent, oldest)?;
        // Newest first, nothing newer than the cursor belongs on the page.
        let from = match (wanted.sort, wanted.after) {
            (Sort::Newest, Some(cursor)) => oldest.min(cursor.seq),
            _ => oldest,
        };
        read_on(&mut page, from)?;
    }
    Ok(Searched {
        counts: tally.finish(),
        counted_to: more.then_some(counted),
        urgent: lines_by_seq(conn, mission_id, &urgent.finish())?,
        lines: lines_by_seq(conn, mission_id, &page.finish())?,
    })
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
    let mut next = Pick::page(sort, Some(cursor), &query.statuses, 1);
    let from = match sort {
        Sort::Newest => cursor.seq,
        Sort::Severity => i64::MAX,
    };
    each_chunk(conn, text, from, usize::MAX, |seqs| {
        next.take(&facts.with_mission(query.mission_id, |m| m.hits(selection, seqs))?);
        Ok(!next.settled())
    })?;
    Ok(next.finish().first().copied())
}

/// Reads up to `limit` reports (seqs) whose text matches, older than `before`, newest
/// first, and hands them to `each` a chunk at a time while it asks for more. The text
/// index keeps its matches in seq order, so only the matches read are read. Returns how
/// many were read and the oldest of them.
fn each_chunk(
    conn: &Connection,
    text: &str,
    before: i64,
    limit: usize,
    mut each: impl FnMut(&[i64]) -> Result<bool, StoreError>,
) -> Result<(usize, Option<i64>), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid FROM report_text WHERE report_text MATCH ?1 AND rowid < ?2
         ORDER BY rowid DESC LIMIT ?3",
    )?;
    // A negative LIMIT is none.
    let sql_limit = i64::try_from(limit).unwrap_or(-1);
    let mut rows = stmt.query(params![text, before, sql_limit])?;
    let mut chunk = Vec::with_capacity(CHUNK.min(limit));
    let (mut read, mut oldest) = (0, None);
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        chunk.push(seq);
        (read, oldest) = (read + 1, Some(seq));
        if chunk.len() == CHUNK {
            if !each(&chunk)? {
                return Ok((read, oldest));
            }
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        each(&chunk)?;
    }
    Ok((read, oldest))
}
