//! Serving: binding, background upkeep and graceful shutdown.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::store::{now, parked, sessions, sign_in_failures};
use crate::web::{self, AppState, CLEANUP_EVERY};

/// Serves the application on `listener` until Ctrl-C or SIGTERM, then finishes the
/// requests in flight.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    tokio::spawn(clean_up_periodically(state.clone()));
    let app = web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
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
