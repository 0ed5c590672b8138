//! Threads of their own for password hashing and checking.
//!
//! Argon2 takes 19 MiB for each hash. Run on tokio's blocking pool, every new thread of
//! that pool kept its own 19 MiB in its malloc arena after a sign-in, and 200 sign-ins
//! left the server at 130 MB. A fixed set of threads (`hashing_threads`: hashing is all
//! CPU) keeps that memory at one hash's worth per thread.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

type Work = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct PasswordWorkers {
    queue: Arc<Mutex<mpsc::Sender<Work>>>,
}

impl PasswordWorkers {
    pub fn start(threads: usize) -> std::io::Result<PasswordWorkers> {
        let (sender, receiver) = mpsc::channel::<Work>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            thread::Builder::new()
                .name(format!("fieldreport-passwords-{n}"))
                .spawn(move || {
                    loop {
                        let work = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match work {
                            // A panic fails that sign-in alone (its reply is dropped).
                            Ok(work) => {
                                let _ =
                                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
                            }
                            // The queue closed: the server is shutting down.
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(PasswordWorkers {
            queue: Arc::new(Mutex::new(sender)),
        })
    }

    /// Runs `work` on a password thread and waits for its result without blocking the
    /// runtime. `None` if the threads are gone.
    pub async fn run<T, F>(&self, work: F) -> Option<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Work = Box::new(move || {
            let _ = reply.send(work());
        });
        self.queue.lock().ok()?.send(job).ok()?;
        answer.await.ok()
    }
}
