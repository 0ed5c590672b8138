//! The web application: routes, extractors, middleware and pages.
//!
//! Handlers parse input, call `domain` and `store`, and render a template; they hold no
//! SQL and no business rules.

mod admin;
mod assets;
mod auth;
mod body;
mod client;
mod csrf;
mod dashboard;
mod error;
pub(crate) mod exports;
mod filing;
mod findings;
mod form_ticket;
mod form_view;
mod forms;
mod headers;
mod home;
mod language;
mod member;
mod my_reports;
mod observer;
mod offline;
mod password_workers;
mod review;
mod session;
mod strict_form;
mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::domain::sign_in::{SessionPolicy, ThrottleLimits};
use crate::store::{Store, StoreError};

pub use error::AppError;

/// How the web application behaves; set from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    pub sessions: SessionPolicy,
    /// Mark cookies `Secure` and send HSTS: set when served over HTTPS (behind a proxy).
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` entry, for the sign-in
    /// throttle. Only behind a reverse proxy that sets it.
    pub trust_forwarded_for: bool,
    /// How many failed sign-ins lock an account from one address, lock an address for
    /// every account, and put an account under attack.
    pub sign_in_limits: ThrottleLimits,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Longest time a client may take to send a request body.
    pub body_timeout: Duration,
    /// Password checks (argon2) at once, waiting or running; beyond them a sign-in waits
    /// `password_wait` for a place, then is told the server is busy.
    pub password_checks: PasswordChecks,
    /// Matches of a free-text search the review queue counts at most; a broader search
    /// is counted over its newest this many and says so.
    pub counted_matches: usize,
}

/// How many password checks run or wait at once, and how long one waits for a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordChecks {
    /// 0: twice the cores. Each check takes 19 MiB and a core for tens of milliseconds,
    /// and a flood of sign-ins must not take the server's memory with it.
    pub at_once: usize,
    pub wait: Duration,
}

impl Config {
    /// The session cookie's name. Over HTTPS the `__Host-` prefix makes browsers refuse
    /// the cookie from a sibling domain or over plain HTTP.
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-fr_session"
        } else {
            "fr_session"
        }
    }

    /// The sign-in form's cookie name, prefixed likewise.
    pub fn sign_in_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-fr_sign_in"
        } else {
            "fr_sign_in"
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sessions: SessionPolicy::DEFAULT,
            secure_cookies: false,
            trust_forwarded_for: false,
            sign_in_limits: ThrottleLimits::DEFAULT,
            // Reports are text: 256 KiB holds the longest incident account many times over.
            body_limit: 256 * 1024,
            body_timeout: Duration::from_secs(60),
            password_checks: PasswordChecks {
                at_once: 0,
                wait: Duration::from_secs(10),
            },
            counted_matches: crate::store::review::COUNTED_MATCHES,
        }
    }
}

/// Threads that hash and check passwords: half the cores, at least one. Each keeps
/// argon2's 19 MiB for good (see `credentials`), and a rush of sign-ins on polling morning
/// must leave the other cores to the observers filing reports.
fn hashing_threads(cores: usize) -> usize {
    (cores / 2).max(1)
}

/// What every handler can reach. Behind one `Arc`: axum clones the state for every
/// middleware a request passes through, and one count to change is cheaper than nine.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: Store,
    pub config: Arc<Config>,
    /// The key the sign-in form's token is made with.
    sign_in_key: Arc<[u8]>,
    /// The key report forms' tickets are made with (`form_ticket`).
    form_key: Arc<[u8]>,
    /// Places for password checks (see [`PasswordChecks`]).
    password_work: Arc<Semaphore>,
    /// Memory for strangers' request bodies (`body`).
    strangers_budget: Arc<Semaphore>,
    password_workers: password_workers::PasswordWorkers,
    /// A whole offline copy costs the server every page in it: one is made at a time,
    /// observers served in turn (the semaphore is fair), so a stolen account asking in a
    /// loop holds up other phones' copies by one copy each, never the pages themselves.
    /// One per server, not per process: servers sharing a process (tests) do not queue
    /// behind each other's phones.
    copies_made: Arc<Semaphore>,
}

impl AppState {
    /// Reads the server's keys from the database: call at start, before serving.
    pub fn new(store: Store, config: Config) -> Result<Self, StoreError> {
        let (sign_in_key, form_key) = store.read_blocking(|conn| {
            Ok((
                crate::store::server_key(conn, "sign_in_form")?,
                crate::store::server_key(conn, "report_form")?,
            ))
        })?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let password_workers = password_workers::PasswordWorkers::start(hashing_threads(cores))
            .map_err(|e| StoreError::Task(format!("cannot start the password threads: {e}")))?;
        let at_once = match config.password_checks.at_once {
            0 => cores * 2,
            n => n,
        };
        Ok(AppState(Arc::new(Shared {
            store,
            config: Arc::new(config),
            sign_in_key: sign_in_key.into(),
            form_key: form_key.into(),
            password_work: Arc::new(Semaphore::new(at_once)),
            strangers_budget: body::strangers_budget(),
            password_workers,
            copies_made: Arc::new(Semaphore::new(1)),
        })))
    }

    /// Runs password hashing or verification on a password thread, a bounded number
    /// waiting at a time; if none is free for a while the server is overloaded and says so.
    pub async fn password_work<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(
            self.config.password_checks.wait,
            Arc::clone(&self.password_work).acquire_owned(),
        )
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(|_| AppError::Busy)?;
        let result = self.password_workers.run(work).await;
        drop(permit);
        result.ok_or_else(|| AppError::Internal("the password threads have stopped".into()))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The whole application, exactly as served: tests build this same Router.
pub fn app(state: AppState) -> Router {
    around(pages(), state)
}

/// Every page of the application, without the layers that every response goes through.
fn pages() -> Router<AppState> {
    // Every route under /m/{mission} is for members of that mission only: checked here
    // once for all, and each handler's `Member<Area>` checks the role.
    let mission = Router::new()
        .merge(observer::routes())
        .merge(offline::routes())
        .merge(filing::routes())
        .merge(my_reports::routes())
        .merge(forms::routes())
        .merge(review::routes())
        .merge(findings::routes())
        .merge(dashboard::routes())
        .merge(exports::routes())
        .merge(admin::routes())
        .route_layer(from_fn(member::require_membership));
    Router::new()
        .merge(auth::routes())
        .merge(home::routes())
        .merge(language::routes())
        .nest("/m/{mission}", mission)
        .fallback(error::not_found)
}

/// `routes` inside the layers that every response of the application goes through:
/// sessions, CSRF, limits on request bodies, error pages, security headers, compression
/// and request logs. Tests put routes of their own in it to try the layers.
pub fn around(routes: Router<AppState>, state: AppState) -> Router {
    // A layer wraps the routes present when it is added; the last added runs first.
    // Sessions and CSRF apply to pages, not to static assets; every response gets the
    // security headers, and error statuses from any layer get a proper page.
    routes
        // Observer pages say which version of their offline copy a phone should keep.
        .layer(from_fn_with_state(
            state.clone(),
            offline::mark_kept_version,
        ))
        .layer(from_fn_with_state(state.clone(), csrf::check))
        .layer(from_fn_with_state(state.clone(), body::read_whole))
        // Refuses, before their bodies are read, the posts that can prove nothing: from
        // another site, or without a session to anything but the sign-in and report forms.
        .layer(from_fn(csrf::screen))
        .layer(from_fn_with_state(state.clone(), session::load))
        .merge(assets::routes())
        // A handler that panics fails its own request with a 500 page, logged; the
        // connection and the server go on.
        .layer(CatchPanicLayer::custom(error::panicked))
        .layer(from_fn(error::render_pages))
        .layer(from_fn_with_state(state.clone(), headers::secure))
        // gzip for every client that asks: pages shrink to a fifth over 2G. Tokens in pages
        // are masked afresh for each response (csrf::masked), which keeps compression from
        // leaking them.
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// How often expired sessions and old sign-in failures are deleted.
pub const CLEANUP_EVERY: Duration = Duration::from_secs(15 * 60);
