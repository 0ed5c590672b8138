//! Schema migrations, embedded in the binary and applied in order at start.
//!
//! The schema version is SQLite's `user_version`. Each migration runs in its own
//! transaction with the version bump, so a crash mid-way leaves the previous version.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, params};
use serde_json::Value;

use super::StoreError;
use crate::domain::answers::{Answers, assess};
use crate::domain::form::FormDefinition;

/// One schema change.
struct Migration {
    sql: &'static str,
    /// It rebuilds tables (create, copy, drop, rename), which can leave rows pointing at
    /// nothing: foreign keys are checked before it commits. The others add or rewrite rows
    /// of their own tables, and checking a million reports takes seconds.
    rebuilds_tables: bool,
}

const fn adds(sql: &'static str) -> Migration {
    Migration {
        sql,
        rebuilds_tables: false,
    }
}

const fn rebuilds(sql: &'static str) -> Migration {
    Migration {
        sql,
        rebuilds_tables: true,
    }
}

/// Migrations in order; never edit one that has shipped, add a new one.
const MIGRATIONS: &[Migration] = &[
    adds(include_str!("migrations/0001_foundation.sql")),
    adds(include_str!("migrations/0002_server_keys.sql")),
    adds(include_str!("migrations/0003_forms_and_reports.sql")),
    adds(include_str!("migrations/0004_review_and_findings.sql")),
    adds(include_str!("migrations/0005_tallies.sql")),
    adds(include_str!("migrations/0006_station_problem_hours.sql")),
    adds(include_str!("migrations/0007_narrow_tallies.sql")),
    adds(include_str!("migrations/0008_demo_marker.sql")),
    adds(include_str!("migrations/0009_parked_forms_have_owners.sql")),
    adds(include_str!("migrations/0010_report_facts.sql")),
    adds(include_str!("migrations/0011_history_in_keys.sql")),
    rebuilds(include_str!("migrations/0012_typed_columns.sql")),
    adds(include_str!("migrations/0013_team_changes.sql")),
];

/// The version that made `report_problems`: reports filed before it get theirs from their
/// answers (which takes Rust) when a file reaches it.
const PROBLEMS_VERSION: usize = 5;

/// Records the problems each report's answers flag, derived from the stored answers and
/// the form version the report was filed with, as filing records them.
fn record_problems_of_earlier_reports(conn: &Connection) -> Result<(), StoreError> {
    let mut forms: HashMap<i64, Arc<FormDefinition>> = HashMap::new();
    for row in conn
        .prepare("SELECT id, definition FROM forms")?
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
    {
        let (id, json) = row?;
        let definition = FormDefinition::from_json(&json)
            .map_err(|e| StoreError::Task(format!("form {id} no longer reads: {e}")))?;
        forms.insert(id, Arc::new(definition));
    }
    let mut insert = conn
        .prepare("INSERT OR IGNORE INTO report_problems (report_seq, question) VALUES (?1, ?2)")?;
    let mut stmt = conn.prepare("SELECT seq, form_id, answers FROM reports")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (seq, form_id, answers): (i64, i64, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        let definition = forms
            .get(&form_id)
            .ok_or_else(|| StoreError::Task(format!("report {seq} names no known form")))?;
        let stored: Value = serde_json::from_str(&answers)
            .map_err(|e| StoreError::Task(format!("answers of report {seq} unreadable: {e}")))?;
        let answers = Answers::from_json(definition, &stored);
        for problem in assess(definition, &answers).problems {
            insert.execute(params![seq, problem.question_key])?;
        }
    }
    Ok(())
}

/// Brings the database up to the newest schema. Refuses a database made by a newer
/// fieldreport rather than guess at its shape.
pub fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    apply_to(conn, MIGRATIONS.len())
}

/// Brings the database up to schema version `target` (tests stop earlier, to write rows
/// in an older shape).
fn apply_to(conn: &mut Connection, target: usize) -> Result<(), StoreError> {
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
    // A migration that rebuilds a table drops it while other tables still point at it;
    // SQLite's way is to switch foreign keys off around it (it cannot be done inside a
    // transaction) and check every one of them before committing.
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let applied = apply_each(conn, current, target);
    conn.pragma_update(None, "foreign_keys", enforced)?;
    applied
}

fn apply_each(conn: &mut Connection, current: usize, target: usize) -> Result<(), StoreError> {
    for (index, migration) in MIGRATIONS.iter().enumerate().take(target).skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration.sql)?;
        if index + 1 == PROBLEMS_VERSION {
            record_problems_of_earlier_reports(&tx)?;
        }
        let broken: i64 = if migration.rebuilds_tables {
            tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })?
        } else {
            0
        };
        if broken > 0 {
            return Err(StoreError::Rejected(
                format!(
                    "migration {} would leave {broken} rows pointing at nothing; nothing was changed",
                    index + 1
                )
                .into(),
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A migration that renames a table into place is a rebuild, and must say so, or its
    /// dangling rows would go unchecked.
    #[test]
    fn every_rebuild_is_marked_as_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let renames = migration.sql.to_uppercase().contains("RENAME TO");
            assert_eq!(
                renames,
                migration.rebuilds_tables,
                "migration {} renames a table: {renames}, marked as a rebuild: {}",
                index + 1,
                migration.rebuilds_tables
            );
        }
    }

    /// The dashboard's roster is read again only when `team_changes` moves: a later
    /// migration that rebuilt `users`, `memberships` or `assignments` would drop the
    /// triggers that move it along with the old table, and must make them again.
    #[test]
    fn every_change_to_the_team_moves_the_team_counter() -> Result<(), StoreError> {
        let mut conn = Connection::open_in_memory()?;
        apply(&mut conn)?;
        let changes = |conn: &Connection| -> rusqlite::Result<i64> {
            conn.query_row("SELECT changes FROM team_changes", [], |r| r.get(0))
        };
        conn.execute_batch(
            "INSERT INTO missions (slug, name, country, election_date, time_zone, created_at)
                 VALUES ('m', 'M', 'Kenya', '2017-08-08', 'UTC', 0);
             INSERT INTO region_levels (mission_id, depth, name) VALUES (1, 1, 'county');
             INSERT INTO regions (mission_id, parent_id, depth, code, name, path)
                 VALUES (1, NULL, 1, '001', 'Mombasa', '/001/');
             INSERT INTO users (username, display_name, password_hash, created_at, password_changed_at)
                 VALUES ('amani', 'Amani', 'x', 0, 0);",
        )?;
        let mut seen = changes(&conn)?;
        for (what, sql) in [
            (
                "a membership",
                "INSERT INTO memberships (user_id, mission_id, role) VALUES (1, 1, 'observer')",
            ),
            (
                "a role",
                "UPDATE memberships SET role = 'coordinator' WHERE user_id = 1",
            ),
            (
                "an assignment",
                "INSERT INTO assignments (user_id, mission_id, region_id, assigned_at) VALUES (1, 1, 1, 0)",
            ),
            ("an assignment removed", "DELETE FROM assignments"),
            (
                "a name",
                "UPDATE users SET display_name = 'Amani O.' WHERE id = 1",
            ),
            (
                "a disabled account",
                "UPDATE users SET disabled_at = 5 WHERE id = 1",
            ),
            ("a membership removed", "DELETE FROM memberships"),
        ] {
            conn.execute_batch(sql)?;
            let now = changes(&conn)?;
            assert!(now > seen, "{what} left the team counter at {now}");
            seen = now;
        }
        conn.execute_batch(
            "UPDATE users SET last_sign_in_at = 9, password_hash = 'y' WHERE id = 1",
        )?;
        assert_eq!(changes(&conn)?, seen, "a sign-in is no change to the team");
        Ok(())
    }

    /// A file written before the history was kept in names and values reads the same in
    /// every language after the migration: nothing is lost, no English stays behind.
    #[test]
    fn history_written_in_english_becomes_names_and_values() -> Result<(), StoreError> {
        let mut conn = Connection::open_in_memory()?;
        let keys = MIGRATIONS
            .iter()
            .position(|m| {
                m.sql
                    .contains("The database holds what happened as names and values")
            })
            .ok_or_else(|| StoreError::Task("no such migration".to_owned()))?;
        apply_to(&mut conn, keys)?;
        // Old rows only: no mission, report or finding behind them.
        conn.pragma_update(None, "foreign_keys", false)?;
        conn.execute_batch(
            "INSERT INTO audit_log (at, mission_id, actor, action, detail) VALUES
                 (1, 1, 'admin', 'user added', 'zwekesa as observer'),
                 (2, 1, 'admin', 'team set', 'zwekesa to no team'),
                 (3, 1, 'admin', 'assignment removed', 'zwekesa from Kangemi (Upper) (1428)'),
                 (4, 1, 'command line', 'form imported', 'voting version 2'),
                 (5, 1, 'admin', 'something else', 'as it was');
             INSERT INTO finding_history (finding_id, at, event, stage, title, statement, assessment, topic, detail)
             VALUES (1, 1, 'stage', 'ready', 't', 's', 'mixed', 'o', 'Ready for review'),
                    (1, 2, 'evidence added', 'ready', 't', 's', 'mixed', 'o', 'KE-1, KE-2');
             INSERT INTO report_events (report_id, at, kind, text, from_status, to_status) VALUES
                 ('a', 1, 'duplicate', 'Duplicate of KE-7Q4M9X: same queue', 'received', 'duplicate'),
                 ('b', 1, 'duplicate', 'Duplicate of KE-7Q4M9X', 'received', 'duplicate');",
        )?;
        apply_to(&mut conn, keys + 1)?;
        let rows = |sql: &str| -> Result<Vec<String>, StoreError> {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        assert_eq!(
            rows("SELECT detail FROM audit_log ORDER BY at")?,
            [
                r#"{"event":"user_added","username":"zwekesa","role":"observer"}"#,
                r#"{"event":"team_set","username":"zwekesa","team":null}"#,
                r#"{"event":"assignment_removed","username":"zwekesa","region":"Kangemi (Upper)","code":"1428"}"#,
                r#"{"event":"form_imported","key":"voting","version":2}"#,
                r#"{"event":"noted","action":"something else","detail":"as it was"}"#,
            ]
        );
        assert_eq!(
            rows("SELECT event || '|' || detail FROM finding_history ORDER BY at")?,
            ["stage|", "evidence_added|KE-1, KE-2"]
        );
        assert_eq!(
            rows("SELECT text || '|' || duplicate_of FROM report_events ORDER BY report_id")?,
            ["same queue|KE-7Q4M9X", "|KE-7Q4M9X"]
        );
        Ok(())
    }

    /// The names a column may hold are the schema's to enforce, whatever code writes.
    #[test]
    fn a_name_outside_its_set_is_refused_by_the_schema() -> Result<(), StoreError> {
        let mut conn = Connection::open_in_memory()?;
        apply(&mut conn)?;
        conn.pragma_update(None, "foreign_keys", false)?;
        let report = |status: &str| {
            conn.execute(
                "INSERT INTO reports (id, mission_id, reference, form_id, observer_id, region_id,
                     region_path, observed_at, received_at, channel, status, problem_count,
                     answers, content_hash)
                 VALUES (?1, 1, ?1, 1, 1, 1, '/1/', 0, 0, 'web', ?2, 0, '{}', x'00')",
                [status, status],
            )
        };
        assert!(report("escalated").is_ok());
        assert!(report("archived").is_err(), "no such status");
        let audit = |action: &str, detail: &str| {
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, detail) VALUES (0, 'x', ?1, ?2)",
                [action, detail],
            )
        };
        assert!(audit("noted", r#"{"event":"noted","action":"a","detail":"d"}"#).is_ok());
        assert!(
            audit("user added", r#"{"event":"user added"}"#).is_err(),
            "English"
        );
        assert!(audit("noted", "noted").is_err(), "values are JSON");
        Ok(())
    }
}
