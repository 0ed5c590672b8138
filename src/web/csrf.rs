//! CSRF protection for every state-changing request.
//!
//! A signed-in form carries the session's token in a hidden `_csrf` field (scripts may
//! send it as `X-CSRF-Token`). The sign-in form, posted before any session exists, carries
//! an HMAC of a random nonce held in a cookie of its own: a nonce planted by someone else
//! (from a sibling domain, say) is useless without the server's key.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::session::{CurrentUser, cookie};
use super::{AppError, AppState};
use crate::credentials::tokens_match;

/// The form field holding the token.
pub const FIELD: &str = "_csrf";
/// The only path that accepts the sign-in form's token.
const LOGIN_PATH: &str = "/login";

/// The sign-in form's token for the nonce in its cookie: HMAC-SHA256 under the server's
/// key, as hex.
pub fn sign_in_token(key: &[u8], nonce: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(nonce.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let signed_in = request
        .extensions()
        .get::<CurrentUser>()
        .map(|u| u.csrf_token.clone());
    let is_login = request.uri().path() == LOGIN_PATH;
    let login_token = is_login
        .then(|| cookie(request.headers(), state.config.sign_in_cookie()))
        .flatten()
        .map(|nonce| sign_in_token(&state.sign_in_key, nonce));
    let header_token = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.body_limit).await {
        Ok(bytes) => bytes,
        Err(e) if is_length_limit(&e) => return too_large(),
        Err(_) => {
            return AppError::BadRequest("The request body could not be read.".into())
                .into_response();
        }
    };
    let provided = header_token.or_else(|| form_token(&bytes));
    let expected = [signed_in.as_deref(), login_token.as_deref()];
    let valid = provided.as_deref().is_some_and(|given| {
        expected
            .iter()
            .flatten()
            .any(|want| tokens_match(given, want))
    });
    if !valid {
        let error = if signed_in.is_none() && !is_login {
            AppError::SignedOut
        } else {
            AppError::FormExpired
        };
        return error.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn form_token(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == FIELD)
        .map(|(_, value)| value)
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

fn too_large() -> Response {
    axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response()
}
