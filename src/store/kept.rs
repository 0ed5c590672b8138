//! What requests read again and again, kept in memory until what it was read from
//! changes: the live sessions, and the forms and places reports are filed on.
//!
//! Every request of a signed-in user starts by finding their session, and every report
//! sent names a form, whose definition is parsed from JSON to check it. Read from the
//! file, each is a trip to a reader thread whose page cache starts empty after each
//! commit of the writer: under a polling-day peak the session cost as much as checking
//! the report itself.
//!
//! Entries are dropped by the writer thread, after the commit and before it answers
//! whoever wrote, when what they were read from changes:
//! - sessions: a user's row (disabled, password changed, deleted) drops that user's; a
//!   session used (its time recorded) or ended (sign-out, password reset, expiry purge)
//!   drops that user's, as triggers on `sessions` tell (see `store::writer`); any
//!   membership or mission drops every one (roles, names and time zones are in them);
//! - forms: any change to forms drops every one;
//! - places: any change to regions or levels drops every one;
//! - a write by another process (a command run beside the server) drops everything, once
//!   the writer sees it (when it next writes, or within a second when idle).
//!
//! A read that raced such a change must not put back what the change removed: each
//! change moves the generation on, and a read's result is kept only if the generation
//! is still the one seen before the read began.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::filing::Place;
use super::forms::StoredForm;
use super::sessions::SessionUser;

/// Entries held at most in each: past it a cache starts again empty rather than grow
/// with the number of people signed in (a session is about 400 bytes). A mission has a
/// handful of forms, each parsed once and shared by every report filed on it.
const MAX_ENTRIES: usize = 20_000;

/// The live sessions, by the digest of their token.
pub type Sessions = Kept<Vec<u8>, SessionUser>;

/// Parsed forms, by mission and form id.
pub type FormsRead = Kept<(i64, i64), Arc<StoredForm>>;

/// Places reports are filed for, by mission and region id.
pub type Places = Kept<(i64, i64), Arc<Place>>;

/// Places held at most: a national mission has 40,000 polling stations, and a place with
/// the regions above it is about a kilobyte.
pub const PLACES_KEPT: usize = 4_096;

/// Values read from the file since the last change to them.
pub struct Kept<K, V> {
    state: Mutex<State<K, V>>,
    most: usize,
}

struct State<K, V> {
    generation: u64,
    entries: HashMap<K, V>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept::holding(MAX_ENTRIES)
    }
}

impl<K, V> Kept<K, V> {
    /// A cache of at most `most` entries.
    pub fn holding(most: usize) -> Self {
        Kept {
            state: Mutex::new(State {
                generation: 0,
                entries: HashMap::new(),
            }),
            most,
        }
    }
}

/// Where a lookup stands: found in memory, or to be read, with the generation to keep
/// the result under.
pub enum Cached<V> {
    Found(V),
    Missing(u64),
}

impl<K: Eq + Hash, V: Clone> Kept<K, V> {
    fn state(&self) -> MutexGuard<'_, State<K, V>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, key: &K) -> Cached<V> {
        let state = self.state();
        match state.entries.get(key) {
            Some(value) => Cached::Found(value.clone()),
            None => Cached::Missing(state.generation),
        }
    }

    /// Keeps a value read under `generation`, unless something changed since.
    pub fn keep(&self, generation: u64, key: K, value: V) {
        let mut state = self.state();
        if state.generation != generation {
            return;
        }
        if state.entries.len() >= self.most {
            state.entries.clear();
        }
        state.entries.insert(key, value);
    }

    /// The value `cached` found, or else the one `read` gives, kept under the generation
    /// the lookup saw.
    pub fn or_read<E>(
        &self,
        cached: &Cached<V>,
        key: K,
        read: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        match cached {
            Cached::Found(value) => Ok(value.clone()),
            Cached::Missing(generation) => {
                let value = read()?;
                self.keep(*generation, key, value.clone());
                Ok(value)
            }
        }
    }

    /// Drops the values `stale` says were read from what changed.
    pub fn forget(&self, stale: impl Fn(&V) -> bool) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.retain(|_, value| !stale(value));
    }

    /// Drops every value.
    pub fn forget_all(&self) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.clear();
    }
}

impl Sessions {
    /// Drops the sessions of these users. The ids are gathered into a set before the lock
    /// is taken: a batch names a user once per session row it touched, and every request
    /// waits on this lock.
    pub fn forget_users(&self, users: &[i64]) {
        if users.is_empty() {
            return;
        }
        let users: HashSet<i64> = users.iter().copied().collect();
        self.forget(|user| users.contains(&user.user_id));
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

    fn found(cache: &Sessions, token: &[u8]) -> Option<i64> {
        match cache.get(&token.to_vec()) {
            Cached::Found(user) => Some(user.user_id),
            Cached::Missing(_) => None,
        }
    }

    fn generation(cache: &Sessions, token: &[u8]) -> u64 {
        match cache.get(&token.to_vec()) {
            Cached::Found(_) => panic!("expected a miss"),
            Cached::Missing(generation) => generation,
        }
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let cache = Sessions::default();
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
        let cache = Sessions::default();
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
        let cache = Sessions::default();
        for n in 0..=MAX_ENTRIES {
            let token = n.to_le_bytes();
            let generation = generation(&cache, &token);
            cache.keep(generation, token.to_vec(), user(1));
        }
        assert_eq!(cache.state().entries.len(), 1);
    }
}
