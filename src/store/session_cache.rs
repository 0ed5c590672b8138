//! Live sessions kept in memory, so that a signed-in request does not wait for a read.
//!
//! Every request of a signed-in user starts by finding their session. Read from the file,
//! that is a trip to a reader thread whose page cache starts empty after each commit of
//! the writer: under a polling-day peak it cost as much as checking the report itself.
//!
//! An entry is dropped whenever what it was read from changes, by the writer thread,
//! after the commit and before it answers whoever wrote:
//! - a user's row (disabled, password changed, deleted): that user's entries;
//! - a session used (its time recorded) or ended (sign-out, password reset, expiry
//!   purge): that user's entries, as triggers on `sessions` tell (see `store::writer`);
//! - any membership or mission: every entry (roles, names and time zones are in them);
//! - a write by another process (a command run beside the server): every entry, once the
//!   writer sees it (when it next writes, or within a second when idle).
//!
//! A read that raced such a change must not put back what the change removed: each
//! change moves the generation on, and a read's result is kept only if the generation
//! is still the one seen before the read began.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::sessions::SessionUser;

/// Sessions held at most: about 400 bytes each. Past it the cache starts again empty
/// rather than grow with the number of people signed in.
const MAX_ENTRIES: usize = 20_000;

/// The sessions read from the file since the last change to them.
#[derive(Debug, Default)]
pub struct SessionCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    generation: u64,
    by_token: HashMap<Vec<u8>, SessionUser>,
}

/// Where a lookup stands: found in memory, or to be read, with the generation to keep
/// the result under.
pub enum Cached {
    Found(SessionUser),
    Missing(u64),
}

impl SessionCache {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, token_hash: &[u8]) -> Cached {
        let state = self.state();
        match state.by_token.get(token_hash) {
            Some(user) => Cached::Found(user.clone()),
            None => Cached::Missing(state.generation),
        }
    }

    /// Keeps a session read under `generation`, unless something changed since.
    pub fn keep(&self, generation: u64, token_hash: Vec<u8>, user: SessionUser) {
        let mut state = self.state();
        if state.generation != generation {
            return;
        }
        if state.by_token.len() >= MAX_ENTRIES {
            state.by_token.clear();
        }
        state.by_token.insert(token_hash, user);
    }

    /// Drops the sessions of these users.
    pub fn forget_users(&self, users: &[i64]) {
        if users.is_empty() {
            return;
        }
        let mut state = self.state();
        state.generation += 1;
        state
            .by_token
            .retain(|_, user| !users.contains(&user.user_id));
    }

    /// Drops every session.
    pub fn forget_all(&self) {
        let mut state = self.state();
        state.generation += 1;
        state.by_token.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(user_id: i64) -> SessionUser {
        SessionUser {
            user_id,
            username: format!("user{user_id}"),
            display_name: String::new(),
            csrf_token: String::new(),
            created_at: 0,
            last_seen_at: 0,
            memberships: Vec::new(),
        }
    }

    fn found(cache: &SessionCache, token: &[u8]) -> Option<i64> {
        match cache.get(token) {
            Cached::Found(user) => Some(user.user_id),
            Cached::Missing(_) => None,
        }
    }

    fn generation(cache: &SessionCache, token: &[u8]) -> u64 {
        match cache.get(token) {
            Cached::Found(_) => panic!("expected a miss"),
            Cached::Missing(generation) => generation,
        }
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let cache = SessionCache::default();
        let before = generation(&cache, b"a");
        // The session ends while its read is under way: what the read saw is stale.
        cache.forget_users(&[1]);
        cache.keep(before, b"a".to_vec(), user(1));
        assert_eq!(found(&cache, b"a"), None);
        let after = generation(&cache, b"a");
        cache.keep(after, b"a".to_vec(), user(1));
        assert_eq!(found(&cache, b"a"), Some(1));
    }

    #[test]
    fn forgetting_a_user_keeps_the_others() {
        let cache = SessionCache::default();
        for (token, id) in [(b"a", 1), (b"b", 2), (b"c", 1)] {
            let generation = generation(&cache, token);
            cache.keep(generation, token.to_vec(), user(id));
        }
        cache.forget_users(&[1]);
        assert_eq!(found(&cache, b"a"), None);
        assert_eq!(found(&cache, b"c"), None);
        assert_eq!(found(&cache, b"b"), Some(2));
        cache.forget_all();
        assert_eq!(found(&cache, b"b"), None);
    }

    #[test]
    fn a_full_cache_starts_again_rather_than_grow() {
        let cache = SessionCache::default();
        for n in 0..=MAX_ENTRIES {
            let token = n.to_le_bytes();
            let generation = generation(&cache, &token);
            cache.keep(generation, token.to_vec(), user(1));
        }
        assert_eq!(cache.state().by_token.len(), 1);
    }
}
