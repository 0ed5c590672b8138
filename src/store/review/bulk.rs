//! Actions on many reports of the queue at once.

use rusqlite::Connection;

use super::{Review, act};
use crate::domain::review::Action;
use crate::domain::role::Role;
use crate::store::StoreError;
use crate::store::audit::Actor;

/// How a bulk verification went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub verified: u32,
    /// Reports the state machine would not verify (settled already, escalated to leads).
    pub refused: u32,
}

/// Verifies each of `ids` that this role may verify, in one transaction: a report that
/// may not be verified is counted and left as it is, and does not undo the others.
pub fn verify_all(
    conn: &Connection,
    mission_id: i64,
    ids: &[String],
    actor: &Actor,
    role: Role,
) -> Result<Verified, StoreError> {
    let review = Review {
        action: Action::Verify,
        note: String::new(),
        duplicate_of: None,
    };
    let mut outcome = Verified {
        verified: 0,
        refused: 0,
    };
    for id in ids {
        match act(conn, mission_id, id, actor, role, &review) {
            Ok(_) => outcome.verified += 1,
            Err(StoreError::Rejected(_)) => outcome.refused += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(outcome)
}
