//! What the admin pages show, each read in one transaction.

use rusqlite::Connection;

use super::StoreError;
use super::audit::{self, Entry};
use super::missions::{self, Mission};
use super::regions::{self, Region};
use super::users::{self, Member};

/// Audit entries shown on the admin home page.
const RECENT_ENTRIES: u32 = 20;

/// The admin home page: the mission, its geography by level, its members, its log.
pub struct HomePage {
    pub mission: Mission,
    pub regions_by_level: Vec<(String, i64)>,
    pub members: Vec<users::Member>,
    pub recent: Vec<Entry>,
}

pub fn home_page(conn: &Connection, slug: &str, mission_id: i64) -> Result<HomePage, StoreError> {
    Ok(HomePage {
        mission: missions::by_slug(conn, slug)?,
        regions_by_level: regions::counts_by_level(conn, mission_id)?,
        members: users::members(conn, mission_id)?,
        recent: audit::recent(conn, mission_id, RECENT_ENTRIES)?,
    })
}

/// A region with the regions above it, top first.
pub type Placed = (Region, Vec<Region>);

/// A member's page: who they are, what they are assigned, and the regions a search found.
pub struct UserPage {
    pub member: Member,
    pub levels: Vec<String>,
    pub assigned: Vec<Placed>,
    pub found: Vec<Placed>,
}

pub fn user_page(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
    search: &str,
    results: u32,
) -> Result<UserPage, StoreError> {
    let with_trails = |list: Vec<Region>| -> Result<Vec<Placed>, StoreError> {
        list.into_iter()
            .map(|r| regions::trail(conn, r.id).map(|t| (r, t)))
            .collect()
    };
    Ok(UserPage {
        member: users::member(conn, mission_id, user_id)?,
        levels: regions::levels(conn, mission_id)?,
        assigned: with_trails(users::assignments(conn, mission_id, user_id)?)?,
        found: with_trails(regions::search(conn, mission_id, search, results)?)?,
    })
}

/// Sets a member's new password (ending their sessions) and returns who they are.
pub fn reset_password(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
    password_hash: &str,
    actor: &audit::Actor,
) -> Result<Member, StoreError> {
    users::set_password(conn, mission_id, user_id, password_hash, actor)?;
    users::member(conn, mission_id, user_id)
}
