//! Read-only connections, each owned by a reader thread of its own.
//!
//! Reads are queued to a fixed set of threads rather than run on tokio's blocking pool:
//! under load that pool keeps adding threads, and each new thread takes a fresh malloc
//! arena and a share of SQLite's caches, so that memory grew with the load (to 150 MB
//! filing 4,000 reports a second). A fixed set keeps threads, arenas and connections few.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{StoreError, connection};

/// A read to run, boxed for the queue.
type Job = Box<dyn FnOnce(Option<&Connection>) + Send>;

/// The queue to the reader threads, and idle connections for command-line reads.
#[derive(Clone)]
pub struct Readers {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    /// Connections for reads on the caller's own thread (command-line code).
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Starts `size` reader threads. Each opens its connection at its first read, so that
    /// a command that never reads opens none.
    pub fn new(path: PathBuf, size: usize) -> Result<Readers, StoreError> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..size {
            let receiver = Arc::clone(&receiver);
            let path = path.clone();
            thread::Builder::new()
                .name(format!("fieldreport-reader-{n}"))
                .spawn(move || read_loop(&path, &receiver))
                .map_err(|e| StoreError::Task(format!("cannot start a reader thread: {e}")))?;
        }
        Ok(Readers {
            shared: Arc::new(Shared {
                path,
                queue: Mutex::new(Some(sender)),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Queues a read for the next free reader thread and waits for it without blocking
    /// the runtime.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Some(conn) => super::in_one_snapshot(conn, f),
                None => Err(StoreError::Task(
                    "the reader thread has no database connection".to_owned(),
                )),
            };
            // The asker may have gone (a closed request): nothing to do then.
            let _ = reply.send(result);
        });
        let sent = self
            .shared
            .queue
            .lock()
            .ok()
            .and_then(|queue| queue.as_ref().map(|q| q.send(job).is_ok()))
            .unwrap_or(false);
        if !sent {
            return Err(StoreError::Task("the readers have stopped".to_owned()));
        }
        answer
            .await
            .map_err(|_| StoreError::Task("a read task failed".to_owned()))?
    }

    /// Reads on the current thread (command-line code, outside any runtime).
    pub fn run_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.shared.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => connection::open_reader(&self.shared.path)?,
        };
        let result = super::in_one_snapshot(&conn, f);
        if let Ok(mut idle) = self.shared.idle.lock() {
            idle.push(conn);
        }
        result
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Closing the queue ends the reader threads once they finish what they hold.
        if let Ok(mut queue) = self.queue.lock() {
            queue.take();
        }
    }
}

/// A reader thread: takes the next job, runs it on its connection, until the queue closes.
fn read_loop(path: &std::path::Path, receiver: &Mutex<mpsc::Receiver<Job>>) {
    let mut conn: Option<Connection> = None;
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if conn.is_none() {
            match connection::open_reader(path) {
                Ok(opened) => conn = Some(opened),
                Err(e) => tracing::error!(error = %e, "a reader cannot open the database"),
            }
        }
        // A read that panics fails its own request (its reply is dropped), not the thread:
        // the pool keeps its size, as tokio's blocking pool did.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn.as_ref())));
        if ran.is_err() {
            tracing::error!("a read panicked; its connection is opened again");
            conn = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_read_fails_alone_and_the_readers_keep_working() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("readers.db");
        connection::open_writer(&path).expect("create the file");
        let readers = Readers::new(path, 2).expect("readers");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            // More panics than threads: none of them may take a thread away.
            for _ in 0..5 {
                let failed = readers
                    .run(|_| -> Result<(), StoreError> { panic!("a bug in a read") })
                    .await;
                assert!(failed.is_err());
            }
            let answer = readers
                .run(|conn| Ok(conn.query_row("SELECT 40 + 2", [], |r| r.get::<_, i64>(0))?))
                .await
                .expect("a read after the panics");
            assert_eq!(answer, 42);
        });
    }
}
