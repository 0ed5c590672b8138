//! Storage: one SQLite file, every SQL statement of fieldreport, and the threads that run them.
//!
//! Writes go to one writer thread that owns the only write connection and commits every
//! job waiting at that moment in one transaction (group commit). Reads use a small pool
//! of read-only connections on blocking threads. Nothing here runs on a tokio worker.

mod connection;
mod kept;
mod long_reads;
mod migrations;
mod readers;
mod writer;

pub mod admin_pages;
pub mod audit;
mod codec;
pub mod dashboard;
pub mod demo_marker;
pub mod exports;
pub mod facts;
pub mod filing;
pub mod findings;
pub mod forms;
pub mod missions;
pub mod my_reports;
pub mod observer_home;
pub mod offline;
pub mod parked;
pub mod recount;
pub mod regions;
pub mod reports;
pub mod review;
pub mod roster;
pub mod sessions;
pub mod sign_in_failures;
pub mod users;

use crate::domain::message::Message;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

pub use long_reads::{LongReadLimits, LongReadSlot, Requester};
pub use migrations::latest_version;
use readers::Readers;
pub use writer::WriteStats;
use writer::Writer;

/// A storage failure, worded for the person who will read it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request names something that is not there.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with what is stored (a taken username, a region code in use).
    #[error("{0}")]
    Conflict(Message),
    /// The request or the file is refused as a whole, with the reason (written in the
    /// reader's language by the web layer, in English elsewhere).
    #[error("{0}")]
    Rejected(Message),
    #[error("cannot open database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Too many others are doing the same at once; try again shortly.
    #[error("the database is busy with other long reads")]
    Busy,
    /// The writer thread is gone: the server is shutting down or crashed.
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("a database task failed: {0}")]
    Task(String),
}

/// A long read that writes what it reads into `S` as it goes (an export streaming to its
/// client): the web layer says what to write, the store functions it calls say how to read.
pub trait Streamed<S>:
    FnOnce(&Connection, &mut S) -> Result<(), StoreError> + Send + 'static
{
}

impl<S, F> Streamed<S> for F where
    F: FnOnce(&Connection, &mut S) -> Result<(), StoreError> + Send + 'static
{
}

/// Whether `Store::open` may create a new database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the file if it does not exist (demo, `mission add`).
    CreateIfMissing,
    /// The file must exist: a typo in a path must not start an empty mission.
    MustExist,
}

/// The handle every part of fieldreport uses to reach the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    facts: Arc<facts::Facts>,
    rosters: Arc<roster::Rosters>,
    writer: Writer,
    readers: Readers,
    sessions: Arc<kept::Sessions>,
    forms_read: Arc<kept::FormsRead>,
    places: Arc<kept::Places>,
    long_reads: Arc<long_reads::LongReads>,
}

/// How long a long read waits for a place before the asker is told the server is busy.
const LONG_READ_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Read connections kept open. Reads are short; two cores gain nothing from more.
const READERS: usize = 4;

impl Store {
    /// Opens (or creates) the database, applies migrations and starts the writer thread.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        if mode == OpenMode::MustExist && !path.is_file() {
            return Err(StoreError::Open {
                path: path.to_owned(),
                reason: "no such file".to_owned(),
            });
        }
        let mut conn = connection::open_writer(path)?;
        migrations::apply(&mut conn)?;
        let facts = Arc::new(facts::Facts::new(path));
        let sessions = Arc::new(kept::Sessions::default());
        let forms_read = Arc::new(kept::FormsRead::default());
        let places = Arc::new(kept::Places::holding(kept::PLACES_KEPT));
        let writer = Writer::start_with_feeds(
            conn,
            Arc::clone(&facts),
            Arc::clone(&sessions),
            Arc::clone(&forms_read),
            Arc::clone(&places),
        )?;
        let readers = Readers::new(path.to_owned(), READERS)?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                facts,
                rosters: Arc::default(),
                writer,
                readers,
                sessions,
                forms_read,
                places,
                long_reads: long_reads::LongReads::new(LongReadLimits::DEFAULT),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The report facts every count of the dashboard, the map and the queue is made from;
    /// loaded from the file when first used.
    pub fn facts(&self) -> Arc<facts::Facts> {
        Arc::clone(&self.inner.facts)
    }

    /// The sessions read since they last changed.
    fn session_cache(&self) -> &kept::Sessions {
        &self.inner.sessions
    }

    /// The forms reports are filed on, parsed since they last changed.
    fn forms_read(&self) -> Arc<kept::FormsRead> {
        Arc::clone(&self.inner.forms_read)
    }

    /// The places reports are filed for, read since they last changed.
    fn places(&self) -> Arc<kept::Places> {
        Arc::clone(&self.inner.places)
    }

    /// Each mission's team as the dashboard counts it, read again when it changes.
    pub fn rosters(&self) -> Arc<roster::Rosters> {
        Arc::clone(&self.inner.rosters)
    }

    /// Runs `f` on a read connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.readers.run(f).await
    }

    /// Runs `f` in the writer's next transaction and returns once it is committed to disk.
    /// If `f` fails, its changes are rolled back and the rest of the batch is unaffected.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.inner
            .writer
            .submit(f)?
            .await
            .map_err(|_| StoreError::WriterGone)?
    }

    /// How many write jobs and commits the writer has done: with group commit, jobs
    /// outnumber commits under load.
    pub fn write_stats(&self) -> WriteStats {
        self.inner.writer.stats()
    }

    /// A place for a long read (an export of a million reports) by `who`: a few run at
    /// once, at most one per user and two per mission (see `long_reads`). Waits a few
    /// seconds for one to free up, then says the store is busy.
    pub async fn long_read_slot(&self, who: Requester) -> Result<LongReadSlot, StoreError> {
        self.inner
            .long_reads
            .admit(who, LONG_READ_WAIT)
            .await
            .ok_or(StoreError::Busy)
    }

    /// Runs a long read in its place, on a read-only connection of its own on a blocking
    /// thread, so that it never holds one of the pool's while the dashboard and queue are
    /// read. It reads one snapshot, as every read does.
    pub async fn read_long<T, F>(&self, slot: LongReadSlot, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let path = self.inner.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = connection::open_reader(&path)?;
            let result = in_one_snapshot(&conn, f);
            drop(slot);
            result
        })
        .await
        .map_err(|e| StoreError::Task(format!("a long read failed: {e}")))?
    }

    /// [`Store::read`] for command-line code outside any async runtime.
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.inner.readers.run_blocking(f)
    }

    /// Queues `f` for the writer without waiting: the receiver answers once the
    /// transaction holding it has committed. For code that sends many writes at once (a
    /// generator) and waits for them together.
    pub fn submit<T, F>(
        &self,
        f: F,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<T, StoreError>>, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.writer.submit(f)
    }

    /// [`Store::write`] for command-line code outside any async runtime.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.inner
            .writer
            .submit(f)?
            .blocking_recv()
            .map_err(|_| StoreError::WriterGone)?
    }
}

/// Runs the read `f` in one read transaction: every statement in it sees the database as
/// it was at the first, however many writes commit meanwhile (WAL). A page built from
/// several queries then never shows a total that its own rows contradict.
pub(crate) fn in_one_snapshot<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if !conn.is_autocommit() {
        // Only a read whose ROLLBACK failed leaves this: without ending it, this
        // connection would go on reading that old snapshot for ever.
        conn.execute_batch("ROLLBACK")?;
    }
    conn.prepare_cached("BEGIN")?.execute([])?;
    let result = f(conn);
    // A read changes nothing: rolling back only ends the snapshot.
    if let Err(e) = conn
        .prepare_cached("ROLLBACK")
        .and_then(|mut s| s.execute([]))
    {
        tracing::warn!(error = %e, "cannot end a read transaction");
    }
    result
}

/// The schema version of an open database.
pub fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// A secret key of this database, made by a migration (see `server_keys`).
pub fn server_key(conn: &Connection, name: &str) -> Result<Vec<u8>, StoreError> {
    found(
        conn.query_row(
            "SELECT key FROM server_keys WHERE name = ?1",
            [name],
            |row| row.get(0),
        ),
        || format!("no server key `{name}`"),
    )
}

/// The current time in unix seconds.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Maps "no row" to a `NotFound` with a message, leaving other errors as they are.
pub(crate) fn found<T>(
    result: rusqlite::Result<T>,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    match result {
        Err(rusqlite::Error::QueryReturnedNoRows) => Err(StoreError::NotFound(what())),
        other => Ok(other?),
    }
}
