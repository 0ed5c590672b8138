//! Report forms posted after their session ended, kept until their observer signs in again.
//!
//! Each is kept under the observer its ticket names (the web layer has checked the ticket),
//! only while that observer belongs to the mission, and at most [`PER_OBSERVER`] at once
//! for each observer: nobody can fill the table and so push out another's forms.

use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, now};
use crate::domain::role::Role;

/// How many forms may wait for one observer at once. An observer who files this many
/// without signing in again has something else to fix first.
pub const PER_OBSERVER: i64 = 30;
/// How long a parked form is kept.
pub const KEEP_SECS: i64 = 48 * 3600;

/// What became of a form to park.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parked {
    Kept,
    /// The ticket's observer is not an observer of this mission (any more).
    NotTheirs,
    /// [`PER_OBSERVER`] forms already wait for this observer.
    Full,
}

/// Keeps a form body for `observer_id` under its submission id, if they are an active
/// observer of the mission `mission_slug`. Sending the same form again replaces it.
pub fn park(
    conn: &Connection,
    mission_slug: &str,
    observer_id: i64,
    submission_id: &str,
    body: &[u8],
) -> Result<Parked, StoreError> {
    let mission: Option<i64> = conn
        .prepare_cached(
            "SELECT m.id FROM missions m
             JOIN memberships ms ON ms.mission_id = m.id AND ms.user_id = ?2 AND ms.role = ?3
             JOIN users u ON u.id = ms.user_id AND u.disabled_at IS NULL
             WHERE m.slug = ?1",
        )?
        .query_row(
            params![mission_slug, observer_id, Role::Observer.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(mission_id) = mission else {
        return Ok(Parked::NotTheirs);
    };
    // Filed already (sent twice, the second time signed out): nothing to keep, and the
    // way back after sign-in leads to its receipt.
    let filed: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM reports WHERE id = ?1 AND observer_id = ?2)")?
        .query_row(params![submission_id, observer_id], |r| r.get(0))?;
    if filed {
        return Ok(Parked::Kept);
    }
    let (waiting, this_one): (i64, bool) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(max(submission_id = ?2), 0) FROM parked_submissions
             WHERE observer_id = ?1 AND parked_at > ?3",
        )?
        .query_row(
            params![observer_id, submission_id, now() - KEEP_SECS],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    if waiting >= PER_OBSERVER && !this_one {
        return Ok(Parked::Full);
    }
    conn.prepare_cached(
        "INSERT INTO parked_submissions (observer_id, submission_id, mission_id, body, parked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (observer_id, submission_id)
         DO UPDATE SET mission_id = excluded.mission_id, body = excluded.body, parked_at = excluded.parked_at",
    )?
    .execute(params![observer_id, submission_id, mission_id, body, now()])?;
    Ok(Parked::Kept)
}

/// The body parked by this observer under a submission id for a mission, if still kept.
pub fn body(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
    submission_id: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT body FROM parked_submissions
             WHERE observer_id = ?1 AND submission_id = ?2 AND mission_id = ?3 AND parked_at > ?4",
        )?
        .query_row(
            params![observer_id, submission_id, mission_id, now() - KEEP_SECS],
            |r| r.get(0),
        )
        .optional()?)
}

/// A form kept for its observer: its submission id, when it was kept, and what was sent.
#[derive(Debug, Clone)]
pub struct Kept {
    pub submission_id: String,
    pub parked_at: i64,
    pub body: Vec<u8>,
}

/// The forms kept for this observer in this mission, newest first.
pub fn waiting(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
) -> Result<Vec<Kept>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT submission_id, parked_at, body FROM parked_submissions
         WHERE observer_id = ?1 AND mission_id = ?2 AND parked_at > ?3
         ORDER BY parked_at DESC",
    )?;
    let rows = statement.query_map(params![observer_id, mission_id, now() - KEEP_SECS], |r| {
        Ok(Kept {
            submission_id: r.get(0)?,
            parked_at: r.get(1)?,
            body: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Forgets a parked form (it has been filed).
pub fn forget(conn: &Connection, observer_id: i64, submission_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM parked_submissions WHERE observer_id = ?1 AND submission_id = ?2",
    )?
    .execute(params![observer_id, submission_id])?;
    Ok(())
}

/// Deletes parked forms older than [`KEEP_SECS`]; returns how many.
pub fn purge(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM parked_submissions WHERE parked_at <= ?1",
        [now - KEEP_SECS],
    )?)
}
