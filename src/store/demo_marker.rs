//! The mark `fieldreport demo` leaves in a database it made (migration 0008), so that it
//! never changes one it did not make.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::{StoreError, connection, now};

/// What a database file holds, as far as the demo is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No file, or a file without a single table (an empty file): the demo may make its
    /// database there.
    Nothing,
    /// A database the demo made.
    Demo,
    /// Anything else: a real mission's database (even one that holds no mission), or a
    /// file of another program.
    Other,
}

/// What the file at `path` holds, read through a read-only connection before anything
/// opens it for writing (no migration, no switch to WAL), so that a file the demo refuses
/// is left exactly as it was.
pub fn look(path: &Path) -> Result<Found, StoreError> {
    if !path.exists() {
        return Ok(Found::Nothing);
    }
    let conn = connection::open_reader(path)?;
    // A file that is not SQLite fails on the first query, not on opening.
    let unreadable = |e: rusqlite::Error| StoreError::Open {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(unreadable)?;
    if tables == 0 {
        return Ok(Found::Nothing);
    }
    Ok(match demo_mission(&conn)? {
        Some(_) => Found::Demo,
        None => Found::Other,
    })
}

/// The mission the demo made in this database, if the demo made it. Also answers for a
/// database of a schema from before the mark existed (it has none).
pub fn demo_mission(conn: &Connection) -> Result<Option<i64>, StoreError> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'demo_marker')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT mission_id FROM demo_marker ORDER BY mission_id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

/// Marks the database as made by the demo, in the transaction that creates `mission_id`.
pub fn mark(conn: &Connection, mission_id: i64) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO demo_marker (mission_id, made_at) VALUES (?1, ?2)",
        rusqlite::params![mission_id, now()],
    )?;
    Ok(())
}
