//! The web application: routes, extractors, middleware and pages.
//!
//! Handlers parse input, call `domain` and `store`, and render a template; they hold no
//! SQL and no business rules.

mod admin;
mod assets;
mod auth;
mod client;
mod csrf;
mod error;
mod headers;
mod home;
mod member;
mod observer;
mod overview;
mod session;
mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::domain::sign_in::SessionPolicy;
use crate::store::Store;

pub use error::AppError;
pub use session::SESSION_COOKIE;

/// How the web application behaves; set from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    pub sessions: SessionPolicy,
    /// Mark cookies `Secure` and send HSTS: set when served over HTTPS (behind a proxy).
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` entry, for the sign-in
    /// throttle. Only behind a reverse proxy that sets it.
    pub trust_forwarded_for: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sessions: SessionPolicy::DEFAULT,
            secure_cookies: false,
            trust_forwarded_for: false,
            // Reports are text: 256 KiB holds the longest incident account many times over.
            body_limit: 256 * 1024,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Self {
        AppState {
            store,
            config: Arc::new(config),
        }
    }
}

/// The whole application, exactly as served: tests build this same Router.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .merge(auth::routes())
        .merge(home::routes())
        .merge(observer::routes())
        .merge(overview::routes())
        .merge(admin::routes())
        .fallback(error::not_found);

    // A layer wraps the routes present when it is added; the last added runs first.
    // Sessions and CSRF apply to pages, not to static assets; every response gets the
    // security headers, and error statuses from any layer get a proper page.
    routes
        .layer(from_fn_with_state(state.clone(), csrf::check))
        .layer(from_fn_with_state(state.clone(), session::load))
        .merge(assets::routes())
        .layer(RequestBodyLimitLayer::new(state.config.body_limit))
        .layer(from_fn(error::render_pages))
        .layer(from_fn_with_state(state.clone(), headers::secure))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// How often expired sessions and old sign-in failures are deleted.
pub const CLEANUP_EVERY: Duration = Duration::from_secs(15 * 60);
