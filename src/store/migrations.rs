//! Schema migrations, embedded in the binary and applied in order at start.
//!
//! The schema version is SQLite's `user_version`. Each migration runs in its own
//! transaction with the version bump, so a crash mid-way leaves the previous version.

use rusqlite::Connection;

use super::StoreError;

/// Migrations in order; never edit one that has shipped, add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_foundation.sql"),
    include_str!("migrations/0002_server_keys.sql"),
    include_str!("migrations/0003_forms_and_reports.sql"),
    include_str!("migrations/0004_review_and_findings.sql"),
    include_str!("migrations/0005_tallies.sql"),
    include_str!("migrations/0006_station_problem_hours.sql"),
    include_str!("migrations/0007_narrow_tallies.sql"),
    include_str!("migrations/0008_demo_marker.sql"),
    include_str!("migrations/0009_parked_forms_have_owners.sql"),
    include_str!("migrations/0010_report_facts.sql"),
];

/// Brings the database up to the newest schema. Refuses a database made by a newer
/// fieldreport rather than guess at its shape.
pub fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > MIGRATIONS.len() {
        return Err(StoreError::Rejected(
            format!(
                "the database has schema version {current}, newer than this fieldreport knows ({}); use a newer fieldreport",
                MIGRATIONS.len()
            )
            .into(),
        ));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied database migration");
    }
    Ok(())
}

/// The schema version this binary writes.
pub fn latest_version() -> usize {
    MIGRATIONS.len()
}
