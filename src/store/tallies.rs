//! The dashboard's aggregates: how they are recounted from the reports, and checked.
//!
//! Triggers (migrations 0005 to 0007) keep them up to date with every write. This module holds the
//! other way to the same numbers, a direct count over the reports, written independently
//! of the triggers: `check` compares the two and `rebuild` replaces the kept aggregates
//! with the direct count.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, params};
use serde_json::Value;

use super::StoreError;
use crate::domain::answers::{Answers, assess};
use crate::domain::form::FormDefinition;

/// The reports a region's figures count: a report counts in its own region, every region
/// above it, and region 0, the whole mission.
const PLACES: &str = "(SELECT region_id, ancestor_id AS place FROM region_ancestors
                       UNION ALL SELECT id, 0 FROM regions)";

/// Reports that stand (neither dismissed nor a duplicate) filed at a polling station, that
/// is a region of the mission's deepest level, with their form's key.
const STANDING_AT_STATIONS: &str = "(SELECT r.*, f.key AS form_key FROM reports r
        JOIN forms f ON f.id = r.form_id
        JOIN regions g ON g.id = r.region_id
        WHERE r.status NOT IN ('dismissed', 'duplicate')
          AND g.depth = (SELECT max(depth) FROM region_levels l WHERE l.mission_id = r.mission_id))";

/// Each aggregate table: its key columns, its count columns, and the direct count over
/// the reports that it must equal (rows whose counts are all zero aside).
struct Aggregate {
    table: &'static str,
    keys: &'static str,
    counts: &'static str,
    direct: String,
}

fn aggregates() -> Vec<Aggregate> {
    let station_rows = format!(
        "SELECT mission_id, region_id AS station_id, k AS form_key, count(*) AS reports,
                sum(problem_count > 0) AS problem_reports,
                sum(severity IS 1) AS low, sum(severity IS 2) AS medium,
                sum(severity IS 3) AS high, sum(severity IS 4) AS critical
         FROM (SELECT *, form_key AS k FROM {STANDING_AT_STATIONS}
               UNION ALL SELECT *, '' AS k FROM {STANDING_AT_STATIONS})
         GROUP BY 1, 2, 3"
    );
    let station_problem_rows = format!(
        "SELECT s.mission_id, s.region_id AS station_id, s.form_key, p.question, count(*) AS reports
         FROM {STANDING_AT_STATIONS} s JOIN report_problems p ON p.report_seq = s.seq
         GROUP BY 1, 2, 3, 4"
    );
    vec![
        Aggregate {
            table: "tally_totals",
            keys: "mission_id, region_id, form_id, category, severity, status",
            counts: "reports, problem_reports",
            direct: format!(
                "SELECT r.mission_id, p.place, r.form_id, coalesce(r.category, ''),
                        coalesce(r.severity, 0), r.status, count(*), sum(r.problem_count > 0)
                 FROM reports r JOIN {PLACES} p ON p.region_id = r.region_id
                 GROUP BY 1, 2, 3, 4, 5, 6"
            ),
        },
        Aggregate {
            table: "tally_hours",
            keys: "mission_id, region_id, hour, form_id, category, severity, status",
            counts: "reports, problem_reports",
            direct: format!(
                "SELECT r.mission_id, p.place, r.received_at / 3600, r.form_id,
                        coalesce(r.category, ''), coalesce(r.severity, 0), r.status,
                        count(*), sum(r.problem_count > 0)
                 FROM reports r JOIN {PLACES} p ON p.region_id = r.region_id
                 GROUP BY 1, 2, 3, 4, 5, 6, 7"
            ),
        },
        Aggregate {
            table: "tally_severities",
            keys: "mission_id, region_id, form_id, severity, status",
            counts: "reports, problem_reports",
            direct: format!(
                "SELECT r.mission_id, p.place, r.form_id, coalesce(r.severity, 0), r.status,
                        count(*), sum(r.problem_count > 0)
                 FROM reports r JOIN {PLACES} p ON p.region_id = r.region_id
                 GROUP BY 1, 2, 3, 4, 5"
            ),
        },
        Aggregate {
            table: "tally_hour_statuses",
            keys: "mission_id, region_id, hour, status",
            counts: "reports",
            direct: format!(
                "SELECT r.mission_id, p.place, r.received_at / 3600, r.status, count(*)
                 FROM reports r JOIN {PLACES} p ON p.region_id = r.region_id
                 GROUP BY 1, 2, 3, 4"
            ),
        },
        Aggregate {
            table: "station_tallies",
            keys: "mission_id, station_id, form_key",
            counts: "reports, problem_reports, low, medium, high, critical",
            direct: station_rows.clone(),
        },
        Aggregate {
            table: "region_coverage",
            keys: "mission_id, region_id, form_key",
            counts: "stations",
            direct: format!(
                "SELECT s.mission_id, p.place, s.form_key, count(*)
                 FROM ({station_rows}) s JOIN {PLACES} p ON p.region_id = s.station_id
                 WHERE p.place <> s.station_id
                 GROUP BY 1, 2, 3"
            ),
        },
        Aggregate {
            table: "station_problems",
            keys: "mission_id, station_id, form_key, question",
            counts: "reports",
            direct: station_problem_rows.clone(),
        },
        Aggregate {
            table: "region_problems",
            keys: "mission_id, region_id, form_key, question",
            counts: "stations",
            direct: format!(
                "SELECT s.mission_id, p.place, s.form_key, s.question, count(*)
                 FROM ({station_problem_rows}) s JOIN {PLACES} p ON p.region_id = s.station_id
                 WHERE p.place <> s.station_id
                 GROUP BY 1, 2, 3, 4"
            ),
        },
        Aggregate {
            table: "station_problem_hours",
            keys: "mission_id, station_id, form_id, question, hour, category, severity, status",
            counts: "reports",
            direct: "SELECT r.mission_id, r.region_id, r.form_id, p.question, r.received_at / 3600,
                            coalesce(r.category, ''), coalesce(r.severity, 0), r.status, count(*)
                     FROM reports r JOIN report_problems p ON p.report_seq = r.seq
                     JOIN regions g ON g.id = r.region_id
                     WHERE g.depth = (SELECT max(depth) FROM region_levels l WHERE l.mission_id = r.mission_id)
                     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
                .to_owned(),
        },
        Aggregate {
            table: "observer_activity",
            keys: "mission_id, observer_id",
            counts: "reports, last_at",
            direct: "SELECT mission_id, observer_id, count(*), max(received_at)
                     FROM reports GROUP BY 1, 2"
                .to_owned(),
        },
    ]
}

/// Records the questions a newly filed report flags as a problem (the triggers count them).
pub fn record_problems(
    conn: &Connection,
    report_seq: i64,
    questions: &[String],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO report_problems (report_seq, question) VALUES (?1, ?2)",
    )?;
    for question in questions {
        insert.execute(params![report_seq, question])?;
    }
    Ok(())
}

/// Counts the polling stations under every region of the mission; run after regions change.
pub fn count_stations(conn: &Connection, mission_id: i64) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM region_stations WHERE mission_id = ?1",
        [mission_id],
    )?;
    // Only this mission's regions, by index: an import must not read every mission.
    conn.execute(
        "INSERT INTO region_stations (mission_id, region_id, stations)
         SELECT ?1, a.ancestor_id, count(*)
         FROM regions s JOIN region_ancestors a ON a.region_id = s.id
         WHERE s.mission_id = ?1 AND a.ancestor_id <> s.id
           AND s.depth = (SELECT max(depth) FROM region_levels WHERE mission_id = ?1)
         GROUP BY a.ancestor_id
         UNION ALL
         SELECT ?1, 0, count(*) FROM regions
         WHERE mission_id = ?1 AND depth = (SELECT max(depth) FROM region_levels WHERE mission_id = ?1)",
        [mission_id],
    )?;
    Ok(())
}

/// The problems each report's answers flag, derived again from the stored answers and the
/// form version the report was filed with: (report seq, question key).
fn derived_problems(conn: &Connection) -> Result<Vec<(i64, String)>, StoreError> {
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
    let mut problems = Vec::new();
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
            problems.push((seq, problem.question_key));
        }
    }
    Ok(problems)
}

/// Replaces every aggregate with a direct count over the reports. Used by the migration
/// that introduced them, and to repair a file changed by hand.
pub fn rebuild(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM report_problems", [])?;
    // Inserted before the aggregates are cleared: its trigger's work is replaced below.
    let mut insert = conn
        .prepare("INSERT OR IGNORE INTO report_problems (report_seq, question) VALUES (?1, ?2)")?;
    for (seq, question) in derived_problems(conn)? {
        insert.execute(params![seq, question])?;
    }
    for aggregate in aggregates() {
        let Aggregate {
            table,
            keys,
            counts,
            direct,
        } = aggregate;
        conn.execute(&format!("DELETE FROM {table}"), [])?;
        conn.execute(
            &format!("INSERT INTO {table} ({keys}, {counts}) {direct}"),
            [],
        )?;
    }
    let missions: Vec<i64> = conn
        .prepare("SELECT id FROM missions")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for mission in missions {
        count_stations(conn, mission)?;
    }
    Ok(())
}

/// A difference between a kept aggregate and the direct count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub table: &'static str,
    /// Rows kept that the direct count does not give, and the reverse.
    pub kept_only: i64,
    pub counted_only: i64,
}

/// Compares every kept aggregate (and the problems recorded at filing) with a direct count
/// over the reports. Empty when they all agree.
pub fn check(conn: &Connection) -> Result<Vec<Mismatch>, StoreError> {
    let mut mismatches = Vec::new();
    let recorded: Vec<(i64, String)> = conn
        .prepare("SELECT report_seq, question FROM report_problems ORDER BY 1, 2")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut derived = derived_problems(conn)?;
    derived.sort();
    derived.dedup();
    if recorded != derived {
        mismatches.push(Mismatch {
            table: "report_problems",
            kept_only: count_missing(&recorded, &derived),
            counted_only: count_missing(&derived, &recorded),
        });
    }
    for Aggregate {
        table,
        keys,
        counts,
        direct,
    } in aggregates()
    {
        let nonzero = counts
            .split(", ")
            .map(|c| format!("{c} <> 0"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let kept = format!("SELECT {keys}, {counts} FROM {table} WHERE {nonzero}");
        let difference = |a: &str, b: &str| -> Result<i64, StoreError> {
            Ok(
                conn.query_row(&format!("SELECT count(*) FROM ({a} EXCEPT {b})"), [], |r| {
                    r.get(0)
                })?,
            )
        };
        let (kept_only, counted_only) = (difference(&kept, &direct)?, difference(&direct, &kept)?);
        if kept_only + counted_only > 0 {
            mismatches.push(Mismatch {
                table,
                kept_only,
                counted_only,
            });
        }
    }
    Ok(mismatches)
}

fn count_missing(from: &[(i64, String)], other: &[(i64, String)]) -> i64 {
    let missing = from
        .iter()
        .filter(|x| other.binary_search(x).is_err())
        .count();
    i64::try_from(missing).unwrap_or(i64::MAX)
}
