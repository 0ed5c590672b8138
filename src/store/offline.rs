//! What an observer's phone keeps for use offline, read in one transaction.

use rusqlite::Connection;

use super::{StoreError, forms, regions, users};

/// The forms (key and newest version's id), assigned regions and kept stations of an
/// observer: what decides which pages are kept.
pub struct KeptPlan {
    pub forms: Vec<(String, i64)>,
    pub assignments: Vec<i64>,
    pub stations: Vec<i64>,
}

/// The plan for an observer, with at most `stations_kept` polling stations.
pub fn plan(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
    stations_kept: u32,
) -> Result<KeptPlan, StoreError> {
    let forms = forms::current(conn, mission_id, false)?
        .into_iter()
        .map(|f| (f.key, f.id))
        .collect();
    let (mut assignments, mut stations) = (Vec::new(), Vec::new());
    for assigned in users::assignments(conn, mission_id, user_id)? {
        assignments.push(assigned.id);
        for station in regions::deepest_under(conn, mission_id, &assigned.path, stations_kept)? {
            if stations.len() < stations_kept as usize && !stations.contains(&station.id) {
                stations.push(station.id);
            }
        }
    }
    Ok(KeptPlan {
        forms,
        assignments,
        stations,
    })
}
