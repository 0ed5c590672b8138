//! Serving: the accept loop with its connection caps and timeouts, background upkeep and
//! graceful shutdown.

mod connection;
mod gate;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use connection::Activity;
pub use connection::Timeouts;
use gate::{Gate, Refused, Ticket};

use crate::store::{now, parked, sessions, sign_in_failures};
use crate::web::{self, AppState, CLEANUP_EVERY};

/// What one server holds open at once, and how long it waits on a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub timeouts: Timeouts,
    /// Connections open at once; past it, new ones are refused at once.
    pub max_connections: usize,
    /// Connections open at once from one address (an IPv4 address, an IPv6 /64); 0 for
    /// no cap, behind a reverse proxy (every connection then comes from the proxy, which
    /// should cap its clients itself).
    pub max_connections_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeouts: Timeouts {
                // A phone on 2G sends a request head (under 2 KB) in well under a second.
                header: Duration::from_secs(10),
                // Long enough for a browser to reuse the connection for the next page.
                idle: Duration::from_secs(30),
                // A slow link still takes something every few seconds; nothing for half
                // a minute is a client that has stopped reading.
                send: Duration::from_secs(30),
            },
            max_connections: 10_000,
            // Carrier NAT puts many phones behind one address: this is a cap on one
            // attacker, not on a busy mobile network's share.
            max_connections_per_address: 1_000,
        }
    }
}

/// Connections refused at once, each with a short answer, or waiting for the room another
/// makes; past this many, a connection is simply closed.
const REFUSALS_AT_ONCE: usize = 256;
/// How long a new connection waits for the one closed to make room for it.
const MAKING_ROOM: Duration = Duration::from_millis(500);
/// Files kept for everything but connections: the database, its journal and readers,
/// refusals in progress, the terminal.
const RESERVED_FILES: u64 = 512;
/// How long requests in flight may take to finish once shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves the application on `listener` until Ctrl-C or SIGTERM, then finishes the
/// requests in flight.
pub async fn serve(listener: TcpListener, state: AppState, limits: Limits) -> std::io::Result<()> {
    let limits = within_open_files(limits, raise_open_files_limit());
    tokio::spawn(clean_up_periodically(state.clone()));
    serve_app(listener, web::app(state), limits, shutdown_signal()).await
}

/// Serves `app` on `listener` (as [`serve`] does with the whole application) until
/// `shutdown` completes.
pub async fn serve_app(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let gate = Gate::new(limits.max_connections, limits.max_connections_per_address);
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                accept_failed(&e).await;
                continue;
            }
        };
        // Pages are small and many: send each as soon as it is written.
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let serving = Serving {
            app: app.clone(),
            timeouts: limits.timeouts,
            stopping: stopping.clone(),
        };
        match gate.admit(peer.ip(), Arc::clone(&activity)) {
            Ok(ticket) => {
                tokio::spawn(serving.run(stream, peer, activity, ticket));
            }
            // Full: the connection that has waited longest for a request makes room, so
            // that holding connections open does not keep observers out.
            Err(Refused::Full) => {
                let Ok(permit) = Arc::clone(&refusals).try_acquire_owned() else {
                    continue;
                };
                if !gate.evict_one() {
                    tokio::spawn(refuse(stream, permit));
                    continue;
                }
                let gate = gate.clone();
                tokio::spawn(async move {
                    match gate
                        .admit_freed(peer.ip(), Arc::clone(&activity), MAKING_ROOM)
                        .await
                    {
                        Some(ticket) => {
                            drop(permit);
                            serving.run(stream, peer, activity, ticket).await;
                        }
                        None => refuse(stream, permit).await,
                    }
                });
            }
            // Refused here, not queued: someone holding thousands of connections from
            // one address must not make the next observer wait behind them.
            Err(Refused::Address) => {
                tracing::debug!(%peer, "connection refused: too many open");
                if let Ok(permit) = Arc::clone(&refusals).try_acquire_owned() {
                    tokio::spawn(refuse(stream, permit));
                }
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    while gate.open() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// What each connection is served with.
struct Serving {
    app: Router,
    timeouts: Timeouts,
    stopping: watch::Receiver<bool>,
}

impl Serving {
    async fn run(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        activity: Arc<Activity>,
        ticket: Ticket,
    ) {
        connection::serve(
            stream,
            peer,
            self.app,
            self.timeouts,
            activity,
            self.stopping,
        )
        .await;
        drop(ticket);
    }
}

/// A failed accept: a client that left before it was accepted is nothing; anything else
/// (no file descriptors left) is logged, and the loop waits a moment rather than spin.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Tells a refused client why, briefly, and closes. No request has been read, so its
/// language is not known: the answer says it in each of the interface's.
async fn refuse(mut stream: TcpStream, _permit: OwnedSemaphorePermit) {
    const BODY: &str = "fieldreport is busy: try again in a few seconds.\n\
        fieldreport est occupé : réessayez dans quelques secondes.\n\
        fieldreport ina shughuli nyingi: jaribu tena baada ya sekunde chache.\n";
    let busy = format!(
        "HTTP/1.1 503 Service Unavailable\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Retry-After: 5\r\n\
         Connection: close\r\n\
         Content-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        stream.write_all(busy.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sends meanwhile (its request): closing with it unread
        // would reset the connection, and the client might never see the answer.
        let mut scratch = [0u8; 4096];
        while stream.read(&mut scratch).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// Raises this process's soft limit on open files to its hard limit, and returns the
/// limit now in force. Every connection takes a file: the usual soft limit of 1,024
/// would turn away observers long before the machine is busy.
pub fn raise_open_files_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

/// `limits` with the connection cap lowered to what the open-files limit allows.
fn within_open_files(limits: Limits, open_files: u64) -> Limits {
    let allowed = usize::try_from(open_files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
    if limits.max_connections <= allowed {
        return limits;
    }
    tracing::warn!(
        open_files,
        connections = allowed,
        "the open-files limit caps connections below the configured maximum"
    );
    Limits {
        max_connections: allowed.max(1),
        ..limits
    }
}

/// Deletes expired sessions, sign-in failures too old to count and parked forms no one
/// came back for.
async fn clean_up_periodically(state: AppState) {
    let mut every = tokio::time::interval(CLEANUP_EVERY);
    loop {
        every.tick().await;
        let policy = state.config.sessions;
        let result = state
            .store
            .write(move |conn| {
                let at = now();
                Ok((
                    sessions::purge_expired(conn, policy, at)?,
                    sign_in_failures::purge(conn, at)?,
                    parked::purge(conn, at)?,
                ))
            })
            .await;
        match result {
            Ok((sessions, failures, parked)) => {
                tracing::debug!(sessions, failures, parked, "cleaned up")
            }
            Err(e) => tracing::warn!(error = %e, "clean-up failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_leaves_room_for_the_database() {
        let limits = Limits::default();
        assert_eq!(within_open_files(limits, 1_000_000), limits);
        let lowered = within_open_files(limits, 1024);
        assert_eq!(lowered.max_connections, 512);
        assert_eq!(within_open_files(limits, 10).max_connections, 1);
    }
}
