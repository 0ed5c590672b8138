//! Accounts, their membership of missions, and observers' assignments.

use crate::domain::audit::AuditEvent;
use crate::domain::message::Message;
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{self, Actor};
use super::regions::{self, Region};
use super::{StoreError, found, now};
use crate::domain::account::Username;
use crate::domain::lookup::Lookup;
use crate::domain::role::Role;

/// Reads a role column; a value outside the four is a corrupt row.
pub(crate) fn role_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Role> {
    let text: String = row.get(index)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A new member of a mission, with a password already hashed.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub mission_id: i64,
    pub username: Username,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub password_hash: String,
}

/// Creates an account and its membership. A taken username is a `Conflict`.
pub fn create(conn: &Connection, member: &NewMember, actor: &Actor) -> Result<i64, StoreError> {
    let username = member.username.as_str();
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)",
        [username],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Conflict(
            Message::new("admin.refused.username_taken").with("username", username),
        ));
    }
    let at = now();
    conn.execute(
        "INSERT INTO users (username, display_name, phone, password_hash, created_at, password_changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![username, member.display_name, member.phone, member.password_hash, at],
    )?;
    let user_id = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO memberships (user_id, mission_id, role) VALUES (?1, ?2, ?3)",
        params![user_id, member.mission_id, member.role],
    )?;
    let event = AuditEvent::user_added(username, member.role);
    audit::record(conn, Some(member.mission_id), actor, &event)?;
    Ok(user_id)
}

/// What sign-in needs to know about a username.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: i64,
    pub password_hash: String,
    pub disabled: bool,
}

/// The stored credentials of a username, if it exists.
pub fn credentials(conn: &Connection, username: &str) -> Result<Option<Credentials>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, password_hash, disabled_at IS NOT NULL FROM users WHERE username = ?1",
        )?
        .query_row([username], |row| {
            Ok(Credentials {
                user_id: row.get(0)?,
                password_hash: row.get(1)?,
                disabled: row.get(2)?,
            })
        })
        .optional()?)
}

/// A member of a mission as the admin pages list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub last_sign_in_at: Option<i64>,
    pub assignments: i64,
    /// The team the member works in, if set.
    pub team: Option<String>,
}

const MEMBER_SELECT: &str = "
    SELECT u.id, u.username, u.display_name, u.phone, m.role, u.disabled_at IS NOT NULL, u.last_sign_in_at,
           (SELECT count(*) FROM assignments a WHERE a.user_id = u.id AND a.mission_id = m.mission_id),
           m.team
    FROM memberships m JOIN users u ON u.id = m.user_id";

fn member_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        user_id: row.get(0)?,
        username: row.get(1)?,
        display_name: row.get(2)?,
        phone: row.get(3)?,
        role: role_at(row, 4)?,
        disabled: row.get(5)?,
        last_sign_in_at: row.get(6)?,
        assignments: row.get(7)?,
        team: row.get(8)?,
    })
}

/// Puts a member in a team (or in none), as reviewers see it.
pub fn set_team(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
    team: Option<&str>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let member = member(conn, mission_id, user_id)?;
    conn.prepare_cached("UPDATE memberships SET team = ?3 WHERE user_id = ?1 AND mission_id = ?2")?
        .execute(params![user_id, mission_id, team])?;
    let event = AuditEvent::TeamSet {
        username: member.username,
        team: team.map(str::to_owned),
    };
    audit::record(conn, Some(mission_id), actor, &event)
}

/// Every member of a mission: by role, then username.
pub fn members(conn: &Connection, mission_id: i64) -> Result<Vec<Member>, StoreError> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.mission_id = ?1
         ORDER BY CASE m.role WHEN 'admin' THEN 0 WHEN 'lead' THEN 1 WHEN 'coordinator' THEN 2 ELSE 3 END, u.username"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([mission_id], member_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An observer found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObserverMatch {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
}

/// A phone column with only its digits, as a lookup's `phone_digits` compares them.
const PHONE_DIGITS: &str = "replace(replace(replace(replace(replace(replace(u.phone, ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), '.', '')";

/// The mission's observers whose name or username contains the text, or whose phone number
/// holds its digits: at most `limit`, each with whether it matched exactly (the whole name
/// or username, a number ending with the digits typed), exact ones first. One scan of the
/// mission's observers, whatever their number, and only the matches leave the database.
pub fn find_observers(
    conn: &Connection,
    mission_id: i64,
    lookup: &Lookup,
    limit: u32,
) -> Result<Vec<(ObserverMatch, bool)>, StoreError> {
    let sql = format!(
        "SELECT u.id, u.username, u.display_name, u.phone,
                u.username = lower(?2) OR u.display_name = ?2 COLLATE NOCASE
                    OR (?4 IS NOT NULL AND length(?4) >= 7 AND {PHONE_DIGITS} LIKE '%' || ?4) AS exact
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.mission_id = ?1 AND m.role = 'observer'
           AND (u.display_name LIKE ?3 ESCAPE '\\' OR u.username LIKE ?3 ESCAPE '\\'
                OR (?4 IS NOT NULL AND {PHONE_DIGITS} LIKE '%' || ?4 || '%'))
         ORDER BY exact DESC, u.display_name, u.username
         LIMIT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            mission_id,
            lookup.text,
            lookup.pattern,
            lookup.phone_digits,
            limit
        ],
        |row| {
            Ok((
                ObserverMatch {
                    user_id: row.get(0)?,
                    username: row.get(1)?,
                    display_name: row.get(2)?,
                    phone: row.get(3)?,
                },
                row.get(4)?,
            ))
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One member of a mission; someone outside the mission is `NotFound`.
pub fn member(conn: &Connection, mission_id: i64, user_id: i64) -> Result<Member, StoreError> {
    let sql = format!("{MEMBER_SELECT} WHERE m.mission_id = ?1 AND u.id = ?2");
    found(
        conn.prepare_cached(&sql)?
            .query_row(params![mission_id, user_id], member_from_row),
        || "no such member of this mission".to_owned(),
    )
}

/// Replaces a member's password and ends all their sessions.
pub fn set_password(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
    password_hash: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let member = member(conn, mission_id, user_id)?;
    ensure_mission_may_change(conn, mission_id, &member, actor)?;
    conn.execute(
        "UPDATE users SET password_hash = ?2, password_changed_at = ?3 WHERE id = ?1",
        params![user_id, password_hash, now()],
    )?;
    super::sessions::end_all_for(conn, user_id)?;
    let event = AuditEvent::PasswordReset {
        username: member.username,
    };
    audit::record(conn, Some(mission_id), actor, &event)
}

/// Accounts are global but admins are admins of one mission: an admin may change the
/// password or access of an account only if it belongs to their mission alone, or an
/// admin of one mission could take over someone's account in another.
fn ensure_mission_may_change(
    conn: &Connection,
    mission_id: i64,
    member: &Member,
    actor: &Actor,
) -> Result<(), StoreError> {
    if actor.user_id.is_none() {
        return Ok(());
    }
    let elsewhere: i64 = conn
        .prepare_cached("SELECT count(*) FROM memberships WHERE user_id = ?1 AND mission_id <> ?2")?
        .query_row(params![member.user_id, mission_id], |r| r.get(0))?;
    if elsewhere > 0 {
        return Err(StoreError::Rejected(
            Message::new("admin.refused.elsewhere").with("username", &member.username),
        ));
    }
    Ok(())
}

/// Disables or re-enables a member. Disabling ends all their sessions at once.
pub fn set_disabled(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
    disabled: bool,
    actor: &Actor,
) -> Result<(), StoreError> {
    let member = member(conn, mission_id, user_id)?;
    if disabled && actor.user_id == Some(user_id) {
        return Err(StoreError::Rejected(Message::new(
            "admin.refused.own_account",
        )));
    }
    ensure_mission_may_change(conn, mission_id, &member, actor)?;
    let at = disabled.then(now);
    conn.execute(
        "UPDATE users SET disabled_at = ?2 WHERE id = ?1",
        params![user_id, at],
    )?;
    if disabled {
        super::sessions::end_all_for(conn, user_id)?;
    }
    let username = member.username;
    let event = if disabled {
        AuditEvent::UserDisabled { username }
    } else {
        AuditEvent::UserEnabled { username }
    };
    audit::record(conn, Some(mission_id), actor, &event)
}

/// Disables an account by username, across missions (the command line's `user disable`).
pub fn disable_by_username(
    conn: &Connection,
    username: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let user_id: i64 = found(
        conn.query_row(
            "SELECT id FROM users WHERE username = ?1",
            [username],
            |r| r.get(0),
        ),
        || format!("no user `{username}`"),
    )?;
    conn.execute(
        "UPDATE users SET disabled_at = coalesce(disabled_at, ?2) WHERE id = ?1",
        params![user_id, now()],
    )?;
    super::sessions::end_all_for(conn, user_id)?;
    let mut missions = conn.prepare("SELECT mission_id FROM memberships WHERE user_id = ?1")?;
    let mission_ids: Vec<i64> = missions
        .query_map([user_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for mission_id in mission_ids {
        let event = AuditEvent::UserDisabled {
            username: username.to_owned(),
        };
        audit::record(conn, Some(mission_id), actor, &event)?;
    }
    Ok(())
}

/// A row of `fieldreport user list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub username: String,
    pub display_name: String,
    pub mission: String,
    pub role: Role,
    pub disabled: bool,
}

/// Every membership, optionally of one mission, by mission then username.
pub fn list(conn: &Connection, mission_slug: Option<&str>) -> Result<Vec<Listing>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT u.username, u.display_name, mi.slug, m.role, u.disabled_at IS NOT NULL
         FROM memberships m JOIN users u ON u.id = m.user_id JOIN missions mi ON mi.id = m.mission_id
         WHERE ?1 IS NULL OR mi.slug = ?1
         ORDER BY mi.slug, u.username",
    )?;
    let rows = stmt.query_map([mission_slug], |row| {
        Ok(Listing {
            username: row.get(0)?,
            display_name: row.get(1)?,
            mission: row.get(2)?,
            role: role_at(row, 3)?,
            disabled: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Gives an observer a region (at any level) of the mission to cover.
pub fn assign(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
    region_id: i64,
    actor: &Actor,
) -> Result<(), StoreError> {
    let member = member(conn, mission_id, user_id)?;
    if member.role != Role::Observer {
        return Err(StoreError::Rejected(
            Message::new("admin.refused.only_observers")
                .with("username", &member.username)
                .with_word("role", format!("admin.role.{}", member.role.as_str())),
        ));
    }
    let region = regions::by_id(conn, mission_id, region_id)?;
    let added = conn.execute(
        "INSERT INTO assignments (user_id, mission_id, region_id, assigned_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, region_id) DO NOTHING",
        params![user_id, mission_id, region_id, now()],
    )?;
    if added > 0 {
        let event = AuditEvent::AssignmentAdded {
            username: member.username,
            region: region.name,
            code: region.code,
        };
        audit::record(conn, Some(mission_id), actor, &event)?;
    }
    Ok(())
}

/// Takes a region off an observer's assignment.
pub fn unassign(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
    region_id: i64,
    actor: &Actor,
) -> Result<(), StoreError> {
    let member = member(conn, mission_id, user_id)?;
    let region = regions::by_id(conn, mission_id, region_id)?;
    let removed = conn.execute(
        "DELETE FROM assignments WHERE user_id = ?1 AND mission_id = ?2 AND region_id = ?3",
        params![user_id, mission_id, region_id],
    )?;
    if removed > 0 {
        let event = AuditEvent::AssignmentRemoved {
            username: member.username,
            region: region.name,
            code: region.code,
        };
        audit::record(conn, Some(mission_id), actor, &event)?;
    }
    Ok(())
}

/// The regions assigned to a member, in tree order.
pub fn assignments(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
) -> Result<Vec<Region>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.depth, r.code, r.name, r.path, r.registered_voters
         FROM assignments a JOIN regions r ON r.id = a.region_id
         WHERE a.mission_id = ?1 AND a.user_id = ?2 ORDER BY r.path",
    )?;
    let rows = stmt.query_map(params![mission_id, user_id], regions::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
