//! Server-side sessions. The cookie holds a random token; the table holds its SHA-256.

use rusqlite::{Connection, OptionalExtension, params};

use super::kept::Cached;
use super::users::role_at;
use super::{Store, StoreError, now};
use crate::domain::role::Role;
use crate::domain::sign_in::SessionPolicy;

/// A mission the signed-in user belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub mission_id: i64,
    pub slug: String,
    pub name: String,
    pub role: Role,
    /// The mission's time zone: every time shown to its members is in it.
    pub time_zone: String,
}

/// The signed-in user behind a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub memberships: Vec<Membership>,
}

/// Starts a session for `user_id` and ends `replaced`, the session (if any) the browser
/// held before: a sign-in always gets a new token, so a token planted before sign-in is
/// worth nothing after it.
pub fn start(
    conn: &Connection,
    token_hash: &[u8],
    csrf_token: &str,
    user_id: i64,
    replaced: Option<&[u8]>,
) -> Result<(), StoreError> {
    if let Some(old) = replaced {
        end(conn, old)?;
    }
    let at = now();
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![token_hash, user_id, csrf_token, at])?;
    conn.prepare_cached("UPDATE users SET last_sign_in_at = ?2 WHERE id = ?1")?
        .execute(params![user_id, at])?;
    Ok(())
}

/// The user of a session that is live under `policy` at `now`, from memory when it was
/// read since its last change (`store::kept`), else from the file.
pub async fn signed_in(
    store: &Store,
    token_hash: Vec<u8>,
    policy: SessionPolicy,
    now: i64,
) -> Result<Option<SessionUser>, StoreError> {
    let cache = store.session_cache();
    let generation = match cache.get(&token_hash) {
        Cached::Found(user) if policy.is_live(user.created_at, user.last_seen_at, now) => {
            return Ok(Some(user));
        }
        // Past its limits as last seen here: the file has the last word.
        Cached::Found(_) => None,
        Cached::Missing(generation) => Some(generation),
    };
    let hash = token_hash.clone();
    let found = store
        .read(move |conn| lookup(conn, &hash, policy, now))
        .await?;
    if let (Some(generation), Some(user)) = (generation, &found) {
        cache.keep(generation, token_hash, user.clone());
    }
    Ok(found)
}

/// Records that the session was used now (which drops it from memory, to be read again
/// with its new time).
pub async fn touch_now(store: &Store, token_hash: Vec<u8>) -> Result<(), StoreError> {
    store.write(move |conn| touch(conn, &token_hash)).await
}

/// The user of a session that is live under `policy` at `now`. Expired sessions and
/// sessions of disabled accounts give `None`.
pub fn lookup(
    conn: &Connection,
    token_hash: &[u8],
    policy: SessionPolicy,
    now: i64,
) -> Result<Option<SessionUser>, StoreError> {
    let session = conn
        .prepare_cached(
            "SELECT s.user_id, u.username, u.display_name, s.csrf_token, s.created_at, s.last_seen_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND u.disabled_at IS NULL",
        )?
        .query_row([token_hash], |row| {
            Ok(SessionUser {
                user_id: row.get(0)?,
                username: row.get(1)?,
                display_name: row.get(2)?,
                csrf_token: row.get(3)?,
                created_at: row.get(4)?,
                last_seen_at: row.get(5)?,
                memberships: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut session) = session else {
        return Ok(None);
    };
    if !policy.is_live(session.created_at, session.last_seen_at, now) {
        return Ok(None);
    }
    session.memberships = memberships(conn, session.user_id)?;
    Ok(Some(session))
}

/// The missions a user belongs to, by name.
pub fn memberships(conn: &Connection, user_id: i64) -> Result<Vec<Membership>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT mi.id, mi.slug, mi.name, m.role, mi.time_zone FROM memberships m JOIN missions mi ON mi.id = m.mission_id
         WHERE m.user_id = ?1 ORDER BY mi.name",
    )?;
    let rows = stmt.query_map([user_id], |row| {
        Ok(Membership {
            mission_id: row.get(0)?,
            slug: row.get(1)?,
            name: row.get(2)?,
            role: role_at(row, 3)?,
            time_zone: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records that the session was used now.
fn touch(conn: &Connection, token_hash: &[u8]) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1")?
        .execute(params![token_hash, now()])?;
    Ok(())
}

/// Ends one session (sign-out).
pub fn end(conn: &Connection, token_hash: &[u8]) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

/// Ends every session of a user (password reset, account disabled).
pub fn end_all_for(conn: &Connection, user_id: i64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user_id])?)
}

/// Deletes sessions that can no longer be used; returns how many.
pub fn purge_expired(
    conn: &Connection,
    policy: SessionPolicy,
    now: i64,
) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE created_at <= ?1 OR last_seen_at <= ?2",
        params![now - policy.absolute_secs, now - policy.idle_secs],
    )?)
}
