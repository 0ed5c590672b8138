//! Each mission's team as the dashboard counts it (`domain::roster`), held in memory and
//! read again from `memberships`, `users` and `assignments` only when `team_changes`
//! (migration 0013) has moved.
//!
//! A national network has tens of thousands of observers, and reading them all cost a
//! dashboard page more than counting a million reports did. The counter is moved by
//! triggers in the transaction that changes the team, whichever process runs it, so a
//! read transaction that finds the counter it holds a roster for is reading the very rows
//! that roster was read from: the figures stay those of the page's own snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

use super::{Store, StoreError};
use crate::domain::roster::{Member, Roster};

/// The rosters read so far, all at one value of the counter.
#[derive(Debug, Default)]
pub struct Rosters {
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    changes: i64,
    missions: HashMap<i64, Arc<Roster>>,
}

impl Rosters {
    /// The roster of a mission as the read transaction on `conn` sees it.
    pub fn of(&self, conn: &Connection, mission_id: i64) -> Result<Arc<Roster>, StoreError> {
        let changes: i64 = conn
            .prepare_cached("SELECT changes FROM team_changes")?
            .query_row([], |r| r.get(0))?;
        {
            let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            if held.changes == changes {
                if let Some(roster) = held.missions.get(&mission_id) {
                    return Ok(Arc::clone(roster));
                }
            }
        }
        let roster = Arc::new(read(conn, mission_id)?);
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        // The counter only grows: a snapshot older than what is held reads its own roster
        // and keeps it to itself.
        if changes > held.changes {
            held.changes = changes;
            held.missions.clear();
        }
        if changes == held.changes {
            held.missions.insert(mission_id, Arc::clone(&roster));
        }
        Ok(roster)
    }
}

impl Store {
    /// Reads every mission's roster now: the server does at start, beside the report
    /// facts' load, so that its first dashboard finds both ready.
    pub fn preload_rosters(&self) -> Result<(), StoreError> {
        let rosters = self.rosters();
        let started = std::time::Instant::now();
        let (members, bytes) = self.read_blocking(|conn| {
            let (mut members, mut bytes) = (0, 0);
            for mission in super::missions::all(conn)? {
                let roster = rosters.of(conn, mission.id)?;
                members += roster.len();
                bytes += roster.bytes();
            }
            Ok((members, bytes))
        })?;
        tracing::info!(
            members,
            bytes,
            ms = started.elapsed().as_millis(),
            "mission teams read"
        );
        Ok(())
    }
}

/// The mission's enabled members in the order of their names, and their assignments.
pub fn read(conn: &Connection, mission_id: i64) -> Result<Roster, StoreError> {
    // SQLite's BINARY order of names is the byte order Rust compares strings in: the
    // rank given here is the order the dashboard listed names in when it sorted them.
    let mut stmt = conn.prepare_cached(
        "SELECT m.user_id, m.role FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.mission_id = ?1 AND u.disabled_at IS NULL
         ORDER BY u.display_name, u.id",
    )?;
    let members = stmt
        .query_map([mission_id], |r| {
            Ok(Member {
                user_id: r.get(0)?,
                role: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt =
        conn.prepare_cached("SELECT user_id, region_id FROM assignments WHERE mission_id = ?1")?;
    let assignments = stmt
        .query_map([mission_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Roster::new(members, &assignments))
}
