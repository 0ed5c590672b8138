//! Failed sign-ins, counted per account and per address for the throttle.

use rusqlite::{Connection, params};

use super::StoreError;
use crate::domain::sign_in::{MAX_FAILURES, THROTTLE_WINDOW_SECS};

/// The subject under which failures for a username are counted.
pub fn account_subject(username: &str) -> String {
    format!("user:{username}")
}

/// The subject under which failures from a network address are counted.
pub fn address_subject(address: &str) -> String {
    format!("addr:{address}")
}

/// The newest failure times of a subject within the throttle window.
pub fn recent(conn: &Connection, subject: &str, now: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT failed_at FROM login_failures WHERE subject = ?1 AND failed_at > ?2
         ORDER BY failed_at DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![subject, now - THROTTLE_WINDOW_SECS, MAX_FAILURES as i64],
        |r| r.get(0),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records one failure against each subject.
pub fn record(conn: &Connection, subjects: &[&str], now: i64) -> Result<(), StoreError> {
    let mut stmt =
        conn.prepare_cached("INSERT INTO login_failures (subject, failed_at) VALUES (?1, ?2)")?;
    for subject in subjects {
        stmt.execute(params![subject, now])?;
    }
    Ok(())
}

/// Forgets the failures of a subject (an account after a successful sign-in).
pub fn clear(conn: &Connection, subject: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM login_failures WHERE subject = ?1")?
        .execute([subject])?;
    Ok(())
}

/// Deletes failures too old to count; returns how many.
pub fn purge(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM login_failures WHERE failed_at <= ?1",
        [now - THROTTLE_WINDOW_SECS],
    )?)
}
