//! Missions.

use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, now};
use crate::domain::mission::NewMission;
use crate::domain::role::Role;

/// A mission as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mission {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub country: String,
    pub election_date: String,
    pub time_zone: String,
}

const COLUMNS: &str = "id, slug, name, country, election_date, time_zone";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Mission> {
    Ok(Mission {
        id: row.get(0)?,
        slug: row.get(1)?,
        name: row.get(2)?,
        country: row.get(3)?,
        election_date: row.get(4)?,
        time_zone: row.get(5)?,
    })
}

/// Creates a mission; its slug must be free.
pub fn create(conn: &Connection, mission: &NewMission) -> Result<Mission, StoreError> {
    let slug = mission.slug.as_str();
    if find(conn, slug)?.is_some() {
        return Err(StoreError::Conflict(
            format!("a mission `{slug}` already exists").into(),
        ));
    }
    conn.execute(
        "INSERT INTO missions (slug, name, country, election_date, time_zone, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            slug,
            mission.name,
            mission.country,
            mission.election_date.to_string(),
            mission.time_zone,
            now()
        ],
    )?;
    by_slug(conn, slug)
}

/// The mission with this slug, if any.
pub fn find(conn: &Connection, slug: &str) -> Result<Option<Mission>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM missions WHERE slug = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([slug], from_row)
        .optional()?)
}

/// The mission with this slug, or a `NotFound` that says so.
pub fn by_slug(conn: &Connection, slug: &str) -> Result<Mission, StoreError> {
    find(conn, slug)?
        .ok_or_else(|| StoreError::NotFound(format!("no mission `{slug}` in this database")))
}

/// Every mission, by slug.
pub fn all(conn: &Connection) -> Result<Vec<Mission>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM missions ORDER BY slug");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub use crate::domain::roster::Team;

/// Who works on the mission, counted in SQL (the dashboard counts it from
/// `store::roster`; this count checks that one).
pub fn team(conn: &Connection, mission_id: i64) -> Result<Team, StoreError> {
    let mut by_role = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.mission_id = ?1 AND m.role = ?2 AND u.disabled_at IS NULL",
    )?;
    for role in Role::ALL {
        let n: i64 = stmt.query_row(params![mission_id, role.as_str()], |r| r.get(0))?;
        by_role.push((role, n));
    }
    let observers_assigned = conn.query_row(
        "SELECT count(DISTINCT a.user_id) FROM assignments a
         JOIN memberships m ON m.user_id = a.user_id AND m.mission_id = a.mission_id
         JOIN users u ON u.id = a.user_id
         WHERE a.mission_id = ?1 AND m.role = 'observer' AND u.disabled_at IS NULL",
        [mission_id],
        |r| r.get(0),
    )?;
    Ok(Team {
        by_role,
        observers_assigned,
    })
}
