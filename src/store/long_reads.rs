//! Long reads (exports of up to a million reports): a few at a time, shared out so that one
//! user, or one mission, cannot hold them all.
//!
//! Each long read holds a connection, a blocking thread and a read transaction for as long
//! as its client takes to download. A client that stops reading would hold its place until
//! its download is abandoned; so would a mission whose coordinators all export at once.
//! Places are therefore given per user and per mission as well as in all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// Who asks for a long read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requester {
    pub mission_id: i64,
    pub user_id: i64,
}

/// How many long reads may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongReadLimits {
    pub total: usize,
    pub per_mission: usize,
    pub per_user: usize,
}

impl LongReadLimits {
    /// Two cores gain nothing from more than a few exports at once; one user needs one.
    pub const DEFAULT: LongReadLimits = LongReadLimits {
        total: 4,
        per_mission: 2,
        per_user: 1,
    };
}

/// The long reads running now.
pub(super) struct LongReads {
    limits: LongReadLimits,
    running: Mutex<Running>,
    freed: Notify,
}

#[derive(Default)]
struct Running {
    total: usize,
    by_mission: HashMap<i64, usize>,
    by_user: HashMap<i64, usize>,
}

/// A place for one long read, given back when dropped.
pub struct LongReadSlot {
    reads: Arc<LongReads>,
    who: Requester,
}

impl LongReads {
    pub(super) fn new(limits: LongReadLimits) -> Arc<LongReads> {
        Arc::new(LongReads {
            limits,
            running: Mutex::new(Running::default()),
            freed: Notify::new(),
        })
    }

    /// A place for `who`, waiting at most `wait` for one to free up.
    pub(super) async fn admit(
        self: &Arc<Self>,
        who: Requester,
        wait: Duration,
    ) -> Option<LongReadSlot> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before the check, so that a place freed in between is not missed.
            let freed = self.freed.notified();
            let mut freed = std::pin::pin!(freed);
            freed.as_mut().enable();
            if let Some(slot) = self.try_admit(who) {
                return Some(slot);
            }
            tokio::time::timeout_at(deadline, freed).await.ok()?;
        }
    }

    fn try_admit(self: &Arc<Self>, who: Requester) -> Option<LongReadSlot> {
        let mut running = self.running.lock().ok()?;
        let mission = running
            .by_mission
            .get(&who.mission_id)
            .copied()
            .unwrap_or(0);
        let user = running.by_user.get(&who.user_id).copied().unwrap_or(0);
        if running.total >= self.limits.total
            || mission >= self.limits.per_mission
            || user >= self.limits.per_user
        {
            return None;
        }
        running.total += 1;
        *running.by_mission.entry(who.mission_id).or_insert(0) += 1;
        *running.by_user.entry(who.user_id).or_insert(0) += 1;
        Some(LongReadSlot {
            reads: Arc::clone(self),
            who,
        })
    }
}

impl Drop for LongReadSlot {
    fn drop(&mut self) {
        if let Ok(mut running) = self.reads.running.lock() {
            running.total -= 1;
            release(&mut running.by_mission, self.who.mission_id);
            release(&mut running.by_user, self.who.user_id);
        }
        self.reads.freed.notify_waiters();
    }
}

fn release(counts: &mut HashMap<i64, usize>, key: i64) {
    if let Some(count) = counts.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: LongReadLimits = LongReadLimits {
        total: 3,
        per_mission: 2,
        per_user: 1,
    };

    fn who(mission_id: i64, user_id: i64) -> Requester {
        Requester {
            mission_id,
            user_id,
        }
    }

    #[tokio::test]
    async fn places_are_shared_per_user_per_mission_and_in_all() {
        let reads = LongReads::new(LIMITS);
        let none = Duration::ZERO;
        let a = reads.admit(who(1, 10), none).await.expect("first");
        assert!(
            reads.admit(who(1, 10), none).await.is_none(),
            "one per user"
        );
        let _b = reads.admit(who(1, 11), none).await.expect("another user");
        assert!(
            reads.admit(who(1, 12), none).await.is_none(),
            "two per mission"
        );
        let _c = reads
            .admit(who(2, 20), none)
            .await
            .expect("another mission");
        assert!(
            reads.admit(who(3, 30), none).await.is_none(),
            "three in all"
        );
        drop(a);
        assert!(reads.admit(who(1, 12), none).await.is_some(), "freed");
    }

    #[tokio::test]
    async fn a_waiting_read_gets_the_place_freed_while_it_waits() {
        let reads = LongReads::new(LIMITS);
        let held = reads
            .admit(who(1, 10), Duration::ZERO)
            .await
            .expect("first");
        let waiting = {
            let reads = Arc::clone(&reads);
            tokio::spawn(async move { reads.admit(who(1, 10), Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        let slot = waiting.await.expect("task");
        assert!(slot.is_some(), "the freed place went to the waiting read");
    }
}
