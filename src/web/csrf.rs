//! CSRF protection for every state-changing request.
//!
//! A signed-in form carries the session's token in a hidden `_csrf` field (scripts may
//! send it as `X-CSRF-Token`). The sign-in form, posted before any session exists, carries
//! an HMAC of a random nonce held in a cookie of its own: a nonce planted by someone else
//! (from a sibling domain, say) is useless without the server's key.

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::client::Reply;
use super::session::{CurrentUser, cookie};
use super::{AppError, AppState};
use crate::credentials::tokens_match;

/// The form field holding the token.
pub const FIELD: &str = "_csrf";
/// The only path that accepts the sign-in form's token.
const LOGIN_PATH: &str = "/login";

/// The length of a token in hex: sessions' (32 random bytes) and the sign-in form's
/// (an HMAC-SHA256).
const TOKEN_HEX: usize = 64;

/// A token as a page carries it: XORed with a fresh random mask sent beside it, so that no
/// two pages hold the same string. Compressed pages that also echo what a visitor typed
/// could otherwise let an eavesdropper guess a constant token from response sizes (BREACH).
pub fn masked(token: &str) -> String {
    let Ok(mask) = crate::credentials::random_bytes::<TOKEN_HEX>() else {
        // Without randomness, the plain token still works; only the masking is lost.
        return token.to_owned();
    };
    if token.len() != TOKEN_HEX {
        return token.to_owned();
    }
    let mut out = String::with_capacity(4 * TOKEN_HEX);
    for byte in mask {
        out.push_str(&format!("{byte:02x}"));
    }
    for (byte, m) in token.bytes().zip(mask) {
        out.push_str(&format!("{:02x}", byte ^ m));
    }
    out
}

/// The token inside a masked one; anything else is returned as given (a plain token from
/// a script's header, or a wrong one, which then fails the comparison).
fn unmasked(given: &str) -> String {
    let decode = |hex: &str| -> Option<Vec<u8>> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect()
    };
    if given.len() != 4 * TOKEN_HEX {
        return given.to_owned();
    }
    let (mask, body) = given.split_at(2 * TOKEN_HEX);
    match (decode(mask), decode(body)) {
        (Some(mask), Some(body)) => {
            let bytes: Vec<u8> = body.iter().zip(mask).map(|(b, m)| b ^ m).collect();
            String::from_utf8(bytes).unwrap_or_default()
        }
        _ => given.to_owned(),
    }
}

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
    // `body::read_whole` has read the body already, within its limits of size and time.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return AppError::BadRequest("error.unreadable_body".into()).into_response();
    };
    let provided = header_token
        .or_else(|| form_token(&bytes))
        .map(|token| unmasked(&token));
    let expected = [signed_in.as_deref(), login_token.as_deref()];
    let valid = provided.as_deref().is_some_and(|given| {
        expected
            .iter()
            .flatten()
            .any(|want| tokens_match(given, want))
    });
    if !valid {
        // A report form is never thrown away for a stale token: the observer gets every
        // answer back, to check and send again (nothing is filed without a valid token).
        if let Some(slug) = filing_mission(parts.uri.path()) {
            if signed_in.is_none() && Reply::of(&parts.headers) == Reply::Json {
                // The outbox keeps the report on the phone and asks the observer to sign
                // in again: nothing to park on the server.
                return (
                    StatusCode::UNAUTHORIZED,
                    Json(serde_json::json!({ "outcome": "signed_out",
                        "message": "Sign in again to send the reports waiting on this phone." })),
                )
                    .into_response();
            }
            if signed_in.is_some() {
                let mut request = Request::from_parts(parts, Body::from(bytes));
                request.extensions_mut().insert(StaleForm);
                return next.run(request).await;
            }
            if let Some(response) = park_until_signed_in(&state, slug, &bytes).await {
                return response;
            }
        }
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

/// Marks a report form that arrived with a stale token: shown again, not filed.
#[derive(Clone, Copy, Debug)]
pub struct StaleForm;

/// The mission slug when `path` is where report forms are sent (`/m/{slug}/observer/file`).
fn filing_mission(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/m/")?;
    let (slug, tail) = rest.split_once('/')?;
    (tail == "observer/file").then_some(slug)
}

/// Keeps a report form posted without a session and sends the observer to sign in; after
/// sign-in they land on the same form, filled in as they left it.
async fn park_until_signed_in(state: &AppState, slug: &str, body: &[u8]) -> Option<Response> {
    let fields = super::strict_form::parse(body).ok()?;
    let id = fields
        .iter()
        .find(|(n, _)| n == "submission_id")
        .map(|(_, v)| v.trim())?;
    let id = uuid::Uuid::parse_str(id).ok()?.hyphenated().to_string();
    let (slug_owned, body, key) = (slug.to_owned(), body.to_vec(), id.clone());
    let parked = state
        .store
        .write(move |conn| crate::store::parked::park(conn, &key, &slug_owned, &body))
        .await
        .ok()?;
    if !parked {
        return None;
    }
    let next = format!("/m/{slug}/observer/file/resume/{id}");
    let location = format!("/login?next={}", super::session::query_component(&next));
    Some(axum::response::Redirect::to(&location).into_response())
}

fn form_token(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == FIELD)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_tokens_differ_each_time_and_unmask_to_the_token() {
        let token = "a".repeat(32) + &"0123456789abcdef".repeat(2);
        let (one, two) = (masked(&token), masked(&token));
        assert_ne!(one, two);
        assert_eq!(one.len(), 256);
        assert_eq!(unmasked(&one), token);
        assert_eq!(unmasked(&two), token);
        assert_eq!(unmasked(&token), token, "a plain token passes through");
        assert_ne!(unmasked(&"zz".repeat(128)), token);
    }
}
