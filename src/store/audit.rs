//! The audit log: what admins did, append-only.

use rusqlite::{Connection, params};

use super::{StoreError, now};

/// Who did something: a signed-in user or the command line.
pub const COMMAND_LINE: &str = "command line";

/// Appends one entry.
pub fn record(
    conn: &Connection,
    mission_id: Option<i64>,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, mission_id, actor, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![now(), mission_id, actor, action, detail])?;
    Ok(())
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// The newest entries of a mission, newest first.
pub fn recent(conn: &Connection, mission_id: i64, limit: u32) -> Result<Vec<Entry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, action, detail FROM audit_log
         WHERE mission_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![mission_id, limit], |row| {
        Ok(Entry {
            at: row.get(0)?,
            actor: row.get(1)?,
            action: row.get(2)?,
            detail: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
