//! How each connection is configured.

use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// How long a connection waits on a lock held by another process (a command-line import
/// while the server runs) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection. Filing alone runs a dozen statements (and the
/// dashboard two dozen); with rusqlite's default of 16 they would be compiled again and
/// again.
const STATEMENT_CACHE: usize = 256;

/// Plans made without looking at bound values. Otherwise SQLite marks a statement whose
/// plan might depend on one (a `LIMIT ?`, an equality whose value may be 0 or 1, a
/// comparison with a partial index's condition) to be compiled again whenever its
/// bindings are cleared, which rusqlite's statement cache does each time a statement goes
/// back to it: such statements were compiled afresh at every use (a tenth of the server's
/// time filing reports). fieldreport's LIKE patterns all start with `%`, so no index use
/// is lost.
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map(|_| ())
}

fn open_error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Open {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// The write connection: WAL so that readers never block the writer, FULL sync so that a
/// receipt shown to an observer survives a power cut, foreign keys enforced.
pub fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|e| open_error(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(open_error(
            path,
            format!("cannot use WAL journal (got {mode})"),
        ));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Each write job runs in a savepoint, whose undo pages go to a statement journal: in
    // memory, not a temporary file written for every report.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    stable_plans(&conn)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// A read connection: opened read-only so that no code path can write around the writer.
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    stable_plans(&conn)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::StatementStatus;

    /// How many times the cached statement `sql` was compiled again over ten uses, each
    /// with other values bound.
    fn recompiled(conn: &Connection, sql: &str) -> i32 {
        for n in 0..10_i64 {
            let mut statement = conn.prepare_cached(sql).expect("prepare");
            let _: Option<i64> = statement.query_row([n % 2, n], |r| r.get(0)).ok();
        }
        conn.prepare_cached(sql)
            .expect("prepare")
            .get_status(StatementStatus::RePrepare)
    }

    #[test]
    fn cached_statements_are_not_compiled_again_for_new_values() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("plans.db");
        let writer = open_writer(&path).expect("writer");
        writer
            .execute_batch(
                "CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER);
                 CREATE INDEX t_a ON t (a, b);
                 CREATE INDEX t_hot ON t (a) WHERE c >= 3;
                 INSERT INTO t VALUES (1, 2, 3);",
            )
            .expect("schema");
        let reader = open_reader(&path).expect("reader");
        for conn in [&writer, &reader] {
            assert_eq!(
                recompiled(conn, "SELECT b FROM t WHERE a = ?1 ORDER BY b LIMIT ?2"),
                0
            );
            assert_eq!(
                recompiled(conn, "SELECT b FROM t WHERE a = ?1 AND c >= ?2"),
                0
            );
        }
    }
}
