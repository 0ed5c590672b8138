//! Request bodies, read whole, within limits of size and time, before any handler sees
//! them.
//!
//! A client that sends its body a byte at a time would otherwise hold its request, and a
//! handler, for as long as it likes. Reports are small: 256 KiB at 2G's 40 kbit/s is under
//! a minute. Bodies from clients who are not signed in (the sign-in form, a report form
//! kept after its session lapsed) share a budget of memory too, so that strangers sending
//! large bodies slowly over thousands of connections cannot take the server's memory.

use crate::domain::message::Message;
use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::session::CurrentUser;
use super::{AppError, AppState};

/// Memory for the bodies of requests without a session being read at once, in KiB.
pub const STRANGERS_BUDGET_KIB: usize = 32 * 1024;

/// The budget of [`STRANGERS_BUDGET_KIB`], shared by every request.
pub fn strangers_budget() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(STRANGERS_BUDGET_KIB))
}

/// Reads the body, at most `body_limit` bytes within `body_timeout`, and hands the request
/// on with the body in memory. An answer given before the body was read whole closes the
/// connection (`server::connection`).
pub async fn read_whole(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let limit = state.config.body_limit;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    // A stranger's body takes its size (or the limit, if it does not say) from the budget
    // while it is read; none left, and the server is busy for strangers only.
    let _share = if parts.extensions.get::<CurrentUser>().is_none() {
        let size = declared.map_or(limit, |n| usize::try_from(n).unwrap_or(limit));
        let kib = u32::try_from(size.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
        match Arc::clone(&state.strangers_budget).try_acquire_many_owned(kib) {
            Ok(share) => Some(share),
            Err(_) => return AppError::Busy.into_response(),
        }
    } else {
        None
    };
    let read =
        tokio::time::timeout(state.config.body_timeout, axum::body::to_bytes(body, limit)).await;
    match read {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) if is_length_limit(&e) => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        Ok(Err(_)) => AppError::BadRequest(Message::new("error.unreadable_body")).into_response(),
        Err(_) => AppError::SlowRequest.into_response(),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}
