//! Failed sign-ins, counted per account and per address for the throttle.

use rusqlite::{Connection, params};

use super::StoreError;
use crate::domain::sign_in::{Gate, THROTTLE_WINDOW_SECS, ThrottleLimits, sign_in_gate, stricter};

/// The subject under which failures for a username are counted.
pub fn account_subject(username: &str) -> String {
    format!("user:{username}")
}

/// The subject under which failures from a network address are counted.
pub fn address_subject(address: &str) -> String {
    format!("addr:{address}")
}

/// The newest `limit` failure times of a subject within the throttle window.
fn recent(
    conn: &Connection,
    subject: &str,
    now: i64,
    limit: usize,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT failed_at FROM login_failures WHERE subject = ?1 AND failed_at > ?2
         ORDER BY failed_at DESC LIMIT ?3",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![subject, now - THROTTLE_WINDOW_SECS, limit], |r| {
        r.get(0)
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A sign-in attempt already counted as a failure, to withdraw if the password is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    rows: Vec<i64>,
}

/// Checks the throttle for an account and an address and, if open, counts the attempt as
/// a failure at once. Counting before the (slow) password check, in the writer, means
/// that many attempts sent together are all counted: none slips through an open gate.
pub fn claim_attempt(
    conn: &Connection,
    account: &str,
    address: &str,
    limits: ThrottleLimits,
    now: i64,
) -> Result<Result<Attempt, Gate>, StoreError> {
    let by_account = sign_in_gate(
        &recent(conn, account, now, limits.per_account)?,
        now,
        limits.per_account,
    );
    let by_address = sign_in_gate(
        &recent(conn, address, now, limits.per_address)?,
        now,
        limits.per_address,
    );
    let gate = stricter(by_account, by_address);
    if gate != Gate::Open {
        return Ok(Err(gate));
    }
    let mut insert =
        conn.prepare_cached("INSERT INTO login_failures (subject, failed_at) VALUES (?1, ?2)")?;
    let mut rows = Vec::with_capacity(2);
    for subject in [account, address] {
        insert.execute(params![subject, now])?;
        rows.push(conn.last_insert_rowid());
    }
    Ok(Ok(Attempt { rows }))
}

/// The password was right: the attempt was no failure, and the account's earlier
/// failures are forgiven.
pub fn succeeded(conn: &Connection, attempt: &Attempt, account: &str) -> Result<(), StoreError> {
    let mut delete = conn.prepare_cached("DELETE FROM login_failures WHERE id = ?1")?;
    for id in &attempt.rows {
        delete.execute([id])?;
    }
    conn.prepare_cached("DELETE FROM login_failures WHERE subject = ?1")?
        .execute([account])?;
    Ok(())
}

/// Deletes failures too old to count; returns how many.
pub fn purge(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM login_failures WHERE failed_at <= ?1",
        [now - THROTTLE_WINDOW_SECS],
    )?)
}
