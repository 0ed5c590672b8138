//! Request bodies, read whole, within limits of size and time, before any handler sees
//! them.
//!
//! A client that sends its body a byte at a time would otherwise hold its request, and a
//! handler, for as long as it likes. Reports are small: 256 KiB at 2G's 40 kbit/s is under
//! a minute.

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppError, AppState};

/// Reads the body, at most `body_limit` bytes within `body_timeout`, and hands the request
/// on with the body in memory.
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
        return unread(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    }
    let read =
        tokio::time::timeout(state.config.body_timeout, axum::body::to_bytes(body, limit)).await;
    match read {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) if is_length_limit(&e) => unread(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
        Ok(Err(_)) => unread(AppError::BadRequest("error.unreadable_body".into()).into_response()),
        Err(_) => unread(AppError::SlowRequest.into_response()),
    }
}

/// A response sent before the request's body was read to its end: what is left of the
/// body will never be read, so the connection cannot carry another request, and the
/// client must be told not to send one on it.
fn unread(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
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
