//! Failed sign-ins, counted per account, per address and per pair of the two for the
//! throttle.

use rusqlite::{Connection, params};

use super::StoreError;
use crate::domain::sign_in::{
    Gate, RecentFailures, THROTTLE_WINDOW_SECS, ThrottleLimits, sign_in_gate,
};

/// The subject under which failures for a username are counted.
fn account_subject(username: &str) -> String {
    format!("user:{username}")
}

/// The subject under which failures from a network address are counted.
fn address_subject(address: &str) -> String {
    format!("addr:{address}")
}

/// The subject under which failures for a username from one address are counted. An
/// address never holds `|` (it is an IP address or a /64), so the last `|` separates the
/// two even when a typed username holds one.
fn pair_subject(username: &str, address: &str) -> String {
    format!("pair:{username}|{address}")
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
    pair: String,
}

/// Checks the throttle for a username typed at an address and, if open, counts the
/// attempt as a failure of the account, the address and the pair at once. Counting
/// before the (slow) password check, in the writer, means that many attempts sent
/// together are all counted: none slips through an open gate.
pub fn claim_attempt(
    conn: &Connection,
    username: &str,
    address: &str,
    limits: ThrottleLimits,
    now: i64,
) -> Result<Result<Attempt, Gate>, StoreError> {
    let account = account_subject(username);
    let origin = address_subject(address);
    let pair = pair_subject(username, address);
    // Whether the address failed at all matters even when its own limit is off.
    let by_pair = recent(conn, &pair, now, limits.per_pair)?;
    let by_address = recent(conn, &origin, now, limits.per_address.max(1))?;
    let by_account = recent(conn, &account, now, limits.per_account)?;
    let failures = RecentFailures {
        pair: &by_pair,
        address: &by_address,
        account: &by_account,
    };
    let gate = sign_in_gate(failures, limits, now);
    if gate != Gate::Open {
        return Ok(Err(gate));
    }
    let mut insert =
        conn.prepare_cached("INSERT INTO login_failures (subject, failed_at) VALUES (?1, ?2)")?;
    let mut rows = Vec::with_capacity(3);
    for subject in [&account, &origin, &pair] {
        insert.execute(params![subject, now])?;
        rows.push(conn.last_insert_rowid());
    }
    Ok(Ok(Attempt { rows, pair }))
}

/// The password was never checked (the server was too busy, or failed): the attempt
/// counts for nothing, so that a flood that keeps the password checks busy cannot turn the
/// owner's own tries into failures.
pub fn withdraw(conn: &Connection, attempt: &Attempt) -> Result<(), StoreError> {
    let mut delete = conn.prepare_cached("DELETE FROM login_failures WHERE id = ?1")?;
    for id in &attempt.rows {
        delete.execute([id])?;
    }
    Ok(())
}

/// The password was right: the attempt was no failure, and the earlier failures of the
/// same account from the same address are forgiven. The account's failures from elsewhere
/// stay: the owner signing in must not reset an attacker's count.
pub fn succeeded(conn: &Connection, attempt: &Attempt) -> Result<(), StoreError> {
    withdraw(conn, attempt)?;
    conn.prepare_cached("DELETE FROM login_failures WHERE subject = ?1")?
        .execute([&attempt.pair])?;
    Ok(())
}

/// Deletes failures too old to count; returns how many.
pub fn purge(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM login_failures WHERE failed_at <= ?1",
        [now - THROTTLE_WINDOW_SECS],
    )?)
}
