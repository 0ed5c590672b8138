//! The writer thread: the only connection that writes, with group commit.
//!
//! Each job runs inside its own savepoint, so a job that fails is undone alone; then the
//! whole batch commits at once. One `fsync` per batch instead of per job is what lets many
//! observers file at the same moment on a small server. A job's caller hears back only
//! after the commit, so an answer of "saved" means saved on disk, and after the report
//! facts have taken the transaction in, so that the writer's own figures show it.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::hooks::Action;
use tokio::sync::oneshot;

use super::facts::{Facts, Touched};
use super::kept::{FormsRead, Places, Sessions};
use super::{StoreError, reports};

/// Most jobs committed together; bounds how long the first job of a batch waits.
const MAX_BATCH: usize = 512;

/// How long the writer waits idle before it looks for writes by another process.
const IDLE_LOOK: Duration = Duration::from_secs(1);

/// A unit of work for the writer, type-erased so that jobs returning different types
/// share one queue.
trait Job: Send {
    /// Runs the job's statements inside the open transaction.
    fn run(&mut self, conn: &mut Connection);
    /// Tells the caller the outcome, once the batch's commit is known.
    fn finish(self: Box<Self>, commit: Result<(), &str>);
}

struct TypedJob<T, F> {
    work: Option<F>,
    outcome: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
    T: Send,
{
    fn run(&mut self, conn: &mut Connection) {
        if let Some(work) = self.work.take() {
            self.outcome = Some(run_in_savepoint(conn, work));
        }
    }

    fn finish(self: Box<Self>, commit: Result<(), &str>) {
        let result = match (commit, self.outcome) {
            (Err(reason), _) => Err(StoreError::Task(format!(
                "the write was not saved: {reason}"
            ))),
            (Ok(()), Some(outcome)) => outcome,
            (Ok(()), None) => Err(StoreError::Task("the write never ran".to_owned())),
        };
        // The caller may have gone (a closed connection); the write stands regardless.
        let _ = self.reply.send(result);
    }
}

// The savepoint statements are prepared once and kept: `Connection::savepoint` parses its
// SQL again for every job, which at thousands of reports a second is measurable.
fn run_in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    // A panicking job must not take the writer, and every later write, down with it.
    let outcome = match catch_unwind(AssertUnwindSafe(|| work(conn))) {
        Ok(outcome) => outcome,
        Err(_) => Err(StoreError::Task("a write job panicked".to_owned())),
    };
    let released = match outcome {
        Ok(value) => conn
            .prepare_cached("RELEASE job")
            .and_then(|mut release| release.execute([]))
            .map(|_| value)
            .map_err(StoreError::from),
        Err(error) => Err(error),
    };
    if released.is_err() {
        undo_savepoint(conn);
    }
    released
}

/// Undoes the open job's changes alone. When SQLite has already aborted the whole
/// transaction the savepoint is gone with it and there is nothing left to undo here:
/// `run_transaction` notices and tells the batch.
fn undo_savepoint(conn: &Connection) {
    if conn.is_autocommit() {
        return;
    }
    for sql in ["ROLLBACK TO job", "RELEASE job"] {
        if let Err(e) = conn
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute([]))
        {
            tracing::error!(error = %e, "cannot undo a failed write job");
            return;
        }
    }
}

/// Handle to the writer thread. The thread ends when the last handle is dropped, after
/// finishing the jobs already queued.
pub struct Writer {
    sender: mpsc::Sender<Box<dyn Job>>,
    stats: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    jobs: AtomicU64,
}

/// How much group commit is saving: jobs run and transactions committed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    pub batches: u64,
    pub jobs: u64,
}

/// What the writer keeps told of its writes: the report facts (the reports, regions and
/// forms each transaction touched) and the cached sessions (the users, sessions,
/// memberships and missions it touched), as SQLite's update hook names them.
struct Feeds {
    facts: Arc<Facts>,
    sessions: Arc<Sessions>,
    forms: Arc<FormsRead>,
    places: Arc<Places>,
    touched: Arc<Mutex<Seen>>,
}

/// What the update hook saw of one transaction.
#[derive(Default)]
struct Seen {
    facts: Touched,
    /// Users whose row changed or one of whose sessions changed or ended.
    users: Vec<i64>,
    /// A membership or mission changed: every cached session may be wrong.
    everyone: bool,
}

/// The update hook is not called for `sessions` (a WITHOUT ROWID table): triggers of the
/// writer's connection alone note the user of each session changed or ended in a row of
/// their own, and take the row away again, so that the hook sees the user id go by and
/// nothing stays.
const CHANGED_SESSIONS: &str = "
    CREATE TEMP TABLE changed_sessions (user_id INTEGER PRIMARY KEY);
    CREATE TEMP TRIGGER session_changed AFTER UPDATE ON main.sessions BEGIN
        INSERT INTO changed_sessions (user_id) VALUES (old.user_id);
        DELETE FROM changed_sessions;
    END;
    CREATE TEMP TRIGGER session_ended AFTER DELETE ON main.sessions BEGIN
        INSERT INTO changed_sessions (user_id) VALUES (old.user_id);
        DELETE FROM changed_sessions;
    END;";

impl Feeds {
    fn attach(
        conn: &mut Connection,
        facts: Arc<Facts>,
        sessions: Arc<Sessions>,
        forms: Arc<FormsRead>,
        places: Arc<Places>,
    ) -> Result<Feeds, StoreError> {
        conn.execute_batch(CHANGED_SESSIONS)?;
        let touched = Arc::new(Mutex::new(Seen::default()));
        let seen = Arc::clone(&touched);
        conn.update_hook(Some(
            move |action: Action, db: &str, table: &str, rowid: i64| {
                let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
                match (db, table) {
                    ("main", "reports") => seen.facts.reports.push(rowid),
                    ("main", "regions" | "region_levels") => seen.facts.geography = true,
                    ("main", "forms") => seen.facts.forms = true,
                    ("main", "users") => seen.users.push(rowid),
                    ("main", "memberships" | "missions") => seen.everyone = true,
                    ("temp", "changed_sessions") if action == Action::SQLITE_INSERT => {
                        seen.users.push(rowid);
                    }
                    _ => {}
                }
            },
        ))?;
        Ok(Feeds {
            facts,
            sessions,
            forms,
            places,
            touched,
        })
    }

    /// Tells the facts and the cached sessions what the transaction just ended touched
    /// (committed or not: what is dropped from the cache is read again).
    fn pass_on(&self, conn: &Connection) {
        let seen =
            std::mem::take(&mut *self.touched.lock().unwrap_or_else(PoisonError::into_inner));
        if seen.everyone {
            self.sessions.forget_all();
        } else {
            self.sessions.forget_users(&seen.users);
        }
        if seen.facts.forms {
            self.forms.forget_all();
        }
        if seen.facts.geography {
            self.places.forget_all();
        }
        if let Err(e) = self.facts.apply(conn, seen.facts) {
            tracing::error!(error = %e, "the report facts could not take a write in");
        }
    }

    fn look_for_other_writers(&self, conn: &Connection) {
        match self.facts.notice_other_writers(conn) {
            Ok(false) => {}
            Ok(true) => {
                self.sessions.forget_all();
                self.forms.forget_all();
                self.places.forget_all();
            }
            Err(e) => {
                // Whatever another process changed, nothing kept is taken on trust.
                self.sessions.forget_all();
                self.forms.forget_all();
                self.places.forget_all();
                tracing::error!(error = %e, "the report facts could not read another process's writes");
            }
        }
    }
}

impl Writer {
    /// A writer that keeps no report facts (tests of the writer alone).
    #[cfg(test)]
    pub fn start(conn: Connection) -> Result<Writer, StoreError> {
        Writer::spawn(conn, None)
    }

    /// A writer that tells `facts` and the caches in `store::kept` of every write.
    pub fn start_with_feeds(
        mut conn: Connection,
        facts: Arc<Facts>,
        sessions: Arc<Sessions>,
        forms: Arc<FormsRead>,
        places: Arc<Places>,
    ) -> Result<Writer, StoreError> {
        let feed = Feeds::attach(&mut conn, facts, sessions, forms, places)?;
        Writer::spawn(conn, Some(feed))
    }

    fn spawn(conn: Connection, feed: Option<Feeds>) -> Result<Writer, StoreError> {
        conn.execute_batch(reports::PENDING_SEARCH_TEXT)?;
        let (sender, receiver) = mpsc::channel();
        let stats = Arc::new(Counters::default());
        let counters = Arc::clone(&stats);
        thread::Builder::new()
            .name("fieldreport-writer".to_owned())
            .spawn(move || write_loop(conn, receiver, &counters, feed.as_ref()))
            .map_err(|e| StoreError::Task(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { sender, stats })
    }

    /// Committed batches and the jobs they held.
    pub fn stats(&self) -> WriteStats {
        WriteStats {
            batches: self.stats.batches.load(Ordering::Relaxed),
            jobs: self.stats.jobs.load(Ordering::Relaxed),
        }
    }

    /// Queues `work`; the receiver resolves after the batch holding it has committed.
    pub fn submit<T, F>(
        &self,
        work: F,
    ) -> Result<oneshot::Receiver<Result<T, StoreError>>, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        let job = TypedJob {
            work: Some(work),
            outcome: None,
            reply,
        };
        self.sender
            .send(Box::new(job))
            .map_err(|_| StoreError::WriterGone)?;
        Ok(receiver)
    }
}

fn write_loop(
    mut conn: Connection,
    receiver: mpsc::Receiver<Box<dyn Job>>,
    counters: &Counters,
    feed: Option<&Feeds>,
) {
    if let Some(feed) = feed {
        feed.look_for_other_writers(&conn);
    }
    loop {
        let first = match receiver.recv_timeout(IDLE_LOOK) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                if let Some(feed) = feed {
                    feed.look_for_other_writers(&conn);
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut waiting = VecDeque::from([first]);
        while waiting.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => waiting.push_back(job),
                Err(_) => break,
            }
        }
        while !waiting.is_empty() {
            run_transaction(&mut conn, &mut waiting, counters, feed);
        }
    }
}

/// Runs one statement of transaction control, prepared once for the writer's life.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Runs waiting jobs in one transaction and tells each its outcome. Usually that takes
/// every job; if SQLite aborts the whole transaction part-way (disk full, I/O error), the
/// jobs run so far are reported lost and the rest are left for a fresh transaction,
/// because running them outside a transaction would save each one alone.
fn run_transaction(
    conn: &mut Connection,
    waiting: &mut VecDeque<Box<dyn Job>>,
    counters: &Counters,
    feed: Option<&Feeds>,
) {
    // IMMEDIATE takes the write lock up front, so a command-line import running at the
    // same time makes the batch wait (busy timeout) instead of failing half-way.
    if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
        let reason = e.to_string();
        tracing::error!(%reason, jobs = waiting.len(), "cannot start a write transaction");
        for job in waiting.drain(..) {
            job.finish(Err(&reason));
        }
        return;
    }
    // Holding the write lock, no other process can commit until this transaction ends:
    // what it wrote before is read now, so reports reach the facts in order of arrival.
    if let Some(feed) = feed {
        feed.look_for_other_writers(conn);
    }
    let mut ran = Vec::with_capacity(waiting.len());
    while let Some(mut job) = waiting.pop_front() {
        job.run(conn);
        ran.push(job);
        if conn.is_autocommit() {
            let reason = "the database aborted the transaction";
            tracing::error!(jobs = ran.len(), "{reason}");
            if let Some(feed) = feed {
                feed.pass_on(conn);
            }
            for job in ran {
                job.finish(Err(reason));
            }
            return;
        }
    }
    // A batch whose search text cannot be indexed is not committed: no report is on file
    // without the words it is found by.
    let commit = reports::index_search_text(conn)
        .map_err(|e| e.to_string())
        .and_then(|()| run_cached(conn, "COMMIT").map_err(|e| e.to_string()));
    match &commit {
        Ok(()) => {
            counters.batches.fetch_add(1, Ordering::Relaxed);
            counters.jobs.fetch_add(ran.len() as u64, Ordering::Relaxed);
        }
        Err(reason) => {
            tracing::error!(%reason, jobs = ran.len(), "write batch failed");
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
        }
    }
    if let Some(feed) = feed {
        feed.pass_on(conn);
    }
    let commit = commit.as_ref().map(|_| ()).map_err(String::as_str);
    for job in ran {
        job.finish(commit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> (tempfile::TempDir, Writer) {
        let dir = tempfile::tempdir().expect("temp dir");
        let conn = super::super::connection::open_writer(&dir.path().join("w.db")).expect("open");
        conn.execute_batch("CREATE TABLE t (v INTEGER UNIQUE)")
            .expect("schema");
        (dir, Writer::start(conn).expect("start"))
    }

    fn count(writer: &Writer) -> i64 {
        writer
            .submit(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .expect("submit")
            .blocking_recv()
            .expect("reply")
            .expect("count")
    }

    #[test]
    fn a_failing_job_is_undone_alone() {
        let (_dir, writer) = writer();
        let ok1 = writer
            .submit(|c| Ok(c.execute("INSERT INTO t VALUES (1)", [])?))
            .expect("submit");
        let bad = writer
            .submit(|c| {
                c.execute("INSERT INTO t VALUES (2)", [])?;
                c.execute("INSERT INTO t VALUES (1)", [])?; // violates UNIQUE
                Ok(())
            })
            .expect("submit");
        let ok2 = writer
            .submit(|c| Ok(c.execute("INSERT INTO t VALUES (3)", [])?))
            .expect("submit");
        assert!(ok1.blocking_recv().expect("reply").is_ok());
        assert!(bad.blocking_recv().expect("reply").is_err());
        assert!(ok2.blocking_recv().expect("reply").is_ok());
        assert_eq!(count(&writer), 2, "rows 1 and 3, not 2");
    }

    #[test]
    fn jobs_waiting_together_commit_in_one_transaction() {
        let (_dir, writer) = writer();
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let first = writer
            .submit(move |c| {
                started_tx.send(()).expect("test is waiting");
                release_rx.recv().expect("test releases");
                Ok(c.execute("INSERT INTO t VALUES (0)", [])?)
            })
            .expect("submit");
        started_rx.recv().expect("first job started");
        // These queue up while the writer is busy with the first job.
        let rest: Vec<_> = (1..=50)
            .map(|i| {
                writer
                    .submit(move |c| Ok(c.execute("INSERT INTO t VALUES (?1)", [i])?))
                    .expect("submit")
            })
            .collect();
        release_tx.send(()).expect("writer waits");
        assert!(first.blocking_recv().expect("reply").is_ok());
        for reply in rest {
            assert!(reply.blocking_recv().expect("reply").is_ok());
        }
        assert_eq!(
            writer.stats(),
            WriteStats {
                batches: 2,
                jobs: 51
            }
        );
        assert_eq!(count(&writer), 51);
    }

    #[test]
    fn a_job_that_aborts_the_transaction_loses_only_what_ran_with_it() {
        let (_dir, writer) = writer();
        writer
            .submit(|c| {
                c.execute_batch("CREATE TABLE blobs (b BLOB)")?;
                let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
                // Cap the file a few pages above its size, so a big insert fills the disk.
                c.execute_batch(&format!("PRAGMA max_page_count = {}", pages + 8))?;
                Ok(())
            })
            .expect("submit")
            .blocking_recv()
            .expect("reply")
            .expect("setup");
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let hold = writer
            .submit(move |_| {
                started_tx.send(()).expect("test waits");
                release_rx.recv().expect("test releases");
                Ok(())
            })
            .expect("submit");
        started_rx.recv().expect("writer busy");
        let before = writer
            .submit(|c| Ok(c.execute("INSERT INTO t VALUES (1)", [])?))
            .expect("submit");
        let full = writer
            .submit(|c| Ok(c.execute("INSERT INTO blobs VALUES (zeroblob(1000000))", [])?))
            .expect("submit");
        let after = writer
            .submit(|c| Ok(c.execute("INSERT INTO t VALUES (3)", [])?))
            .expect("submit");
        release_tx.send(()).expect("release");
        let _ = hold.blocking_recv();
        let before = before.blocking_recv().expect("reply");
        let full = full.blocking_recv().expect("reply");
        let after = after.blocking_recv().expect("reply");
        assert!(full.is_err(), "the disk is full");
        let stored = |v: i64| {
            writer
                .submit(move |c| {
                    Ok(
                        c.query_row("SELECT count(*) FROM t WHERE v = ?1", [v], |r| {
                            r.get::<_, i64>(0)
                        })?,
                    )
                })
                .expect("submit")
                .blocking_recv()
                .expect("reply")
                .expect("count")
        };
        // Whatever SQLite did, every caller was told the truth.
        assert_eq!(before.is_ok(), stored(1) == 1, "row 1: {before:?}");
        assert_eq!(after.is_ok(), stored(3) == 1, "row 3: {after:?}");
        assert!(
            after.is_ok(),
            "a job after the failure runs in a transaction of its own"
        );
    }

    #[test]
    fn a_panicking_job_does_not_stop_the_writer() {
        let (_dir, writer) = writer();
        let boom = writer
            .submit(|c| -> Result<(), StoreError> {
                c.execute("INSERT INTO t VALUES (9)", [])?;
                panic!("job bug")
            })
            .expect("submit");
        assert!(boom.blocking_recv().expect("reply").is_err());
        assert_eq!(count(&writer), 0);
    }
}
