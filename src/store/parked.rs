//! Report forms posted after their session ended, kept until the observer signs in again.

use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, now};

/// How many forms may wait at once: the table is written before anyone signs in, so it
/// is bounded against someone posting junk.
const MAX_PARKED: i64 = 10_000;
/// How long a parked form is kept.
pub const KEEP_SECS: i64 = 48 * 3600;

/// Keeps a form body under its submission id. Returns false when the table is full.
pub fn park(
    conn: &Connection,
    submission_id: &str,
    mission_slug: &str,
    body: &[u8],
) -> Result<bool, StoreError> {
    let waiting: i64 = conn
        .prepare_cached("SELECT count(*) FROM parked_submissions")?
        .query_row([], |r| r.get(0))?;
    if waiting >= MAX_PARKED {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO parked_submissions (submission_id, mission_slug, body, parked_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (submission_id) DO UPDATE SET body = excluded.body, parked_at = excluded.parked_at",
    )?
    .execute(params![submission_id, mission_slug, body, now()])?;
    Ok(true)
}

/// The body parked under a submission id for a mission, if still kept.
pub fn body(
    conn: &Connection,
    submission_id: &str,
    mission_slug: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT body FROM parked_submissions WHERE submission_id = ?1 AND mission_slug = ?2 AND parked_at > ?3",
        )?
        .query_row(params![submission_id, mission_slug, now() - KEEP_SECS], |r| r.get(0))
        .optional()?)
}

/// Forgets a parked form (it has been filed).
pub fn forget(conn: &Connection, submission_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM parked_submissions WHERE submission_id = ?1")?
        .execute([submission_id])?;
    Ok(())
}

/// Deletes parked forms older than [`KEEP_SECS`]; returns how many.
pub fn purge(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM parked_submissions WHERE parked_at <= ?1",
        [now - KEEP_SECS],
    )?)
}
