//! A small pool of read-only connections, used on blocking threads.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::{StoreError, connection};

/// Idle read connections, and a limit on how many reads run at once. Connections are
/// opened on first need and kept; a read that finds none idle opens one.
#[derive(Clone)]
pub struct Readers {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    size: usize,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Readers {
    pub fn new(path: PathBuf, size: usize) -> Readers {
        Readers {
            shared: Arc::new(Shared {
                path,
                size,
                idle: Mutex::new(Vec::with_capacity(size)),
                permits: Semaphore::new(size),
            }),
        }
    }

    /// Waits for a free slot without blocking the runtime, then reads on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .shared
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Task("the reader pool is closed".to_owned()))?;
        let readers = self.clone();
        tokio::task::spawn_blocking(move || readers.run_blocking(f))
            .await
            .map_err(|e| StoreError::Task(format!("a read task failed: {e}")))?
    }

    /// Reads on the current thread (command-line code, or inside `spawn_blocking`).
    pub fn run_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = match self.take_idle() {
            Some(conn) => conn,
            None => connection::open_reader(&self.shared.path)?,
        };
        let result = f(&conn);
        self.give_back(conn);
        result
    }

    fn take_idle(&self) -> Option<Connection> {
        self.shared.idle.lock().ok()?.pop()
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.shared.idle.lock() {
            if idle.len() < self.shared.size {
                idle.push(conn);
            }
        }
    }
}
