//! The audit log: what admins did, append-only.

use rusqlite::{Connection, params};

use super::{StoreError, now};
use crate::domain::audit::AuditEvent;

/// Who does something: a signed-in user, or whoever runs the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(user_id: i64, username: &str) -> Actor {
        Actor {
            user_id: Some(user_id),
            name: username.to_owned(),
        }
    }

    /// The server's operator, at the command line: trusted with every mission.
    pub fn command_line() -> Actor {
        Actor {
            user_id: None,
            name: "command line".to_owned(),
        }
    }
}

/// Appends one entry: the event's name, and its values as JSON.
pub fn record(
    conn: &Connection,
    mission_id: Option<i64>,
    actor: &Actor,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    let detail = serde_json::to_string(event)
        .map_err(|e| StoreError::Task(format!("an audit entry could not be written: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO audit_log (at, mission_id, actor, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![now(), mission_id, actor.name, event.name(), detail])?;
    Ok(())
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: i64,
    pub actor: String,
    pub event: AuditEvent,
}

/// The newest entries of a mission, newest first.
pub fn recent(conn: &Connection, mission_id: i64, limit: u32) -> Result<Vec<Entry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, action, detail FROM audit_log
         WHERE mission_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![mission_id, limit], |row| {
        let (action, detail): (String, String) = (row.get(2)?, row.get(3)?);
        // Migration 0011 wrote every older entry in this shape; one that still does not
        // read is shown as stored rather than hidden.
        let event = serde_json::from_str(&detail).unwrap_or(AuditEvent::Noted { action, detail });
        Ok(Entry {
            at: row.get(0)?,
            actor: row.get(1)?,
            event,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
