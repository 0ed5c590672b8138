//! CSRF protection for every state-changing request.
//!
//! A signed-in form carries the session's token in a hidden `_csrf` field (scripts may
//! send it as `X-CSRF-Token`). The sign-in form, posted before any session exists, carries
//! an HMAC of a random nonce held in a cookie of its own: a nonce planted by someone else
//! (from a sibling domain, say) is useless without the server's key.

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::client::Reply;
use super::form_ticket;
use super::session::{CurrentUser, cookie};
use super::{AppError, AppState};
use crate::credentials::tokens_match;
use crate::domain::message::Message;
use crate::store::now;
use crate::store::parked::{self, Parked};

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

/// Whether a request of this method may change anything (and so must prove itself).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !changes_state(request.method()) {
        return next.run(request).await;
    }
    let signed_in = request.extensions().get::<CurrentUser>().cloned();
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
        return AppError::BadRequest(Message::new("error.unreadable_body")).into_response();
    };
    let provided = header_token
        .or_else(|| form_token(&bytes))
        .map(|token| unmasked(&token));
    let expected = [
        signed_in.as_ref().map(|u| u.csrf_token.as_str()),
        login_token.as_deref(),
    ];
    let valid = provided.as_deref().is_some_and(|given| {
        expected
            .iter()
            .flatten()
            .any(|want| tokens_match(given, want))
    });
    if valid {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    if let Some(slug) = filing_mission(parts.uri.path()) {
        let slug = slug.to_owned();
        return report_form_without_token(&state, &slug, signed_in, parts, bytes, next).await;
    }
    let error = if signed_in.is_none() && !is_login {
        AppError::SignedOut
    } else {
        AppError::FormExpired
    };
    error.into_response()
}

/// Refuses, before a byte of its body is read, a post that cannot prove anything: one the
/// browser says comes from another site, and one without a session to anywhere but the
/// sign-in form and the report form (kept for its observer with its ticket). The outbox
/// signed out is told so at once: it keeps its reports on the phone.
pub async fn screen(request: Request, next: Next) -> Response {
    if !changes_state(request.method()) {
        return next.run(request).await;
    }
    if from_another_site(request.headers()) {
        return AppError::ForeignForm.into_response();
    }
    if request.extensions().get::<CurrentUser>().is_some() {
        return next.run(request).await;
    }
    let path = request.uri().path();
    if path == LOGIN_PATH {
        return next.run(request).await;
    }
    if filing_mission(path).is_none() {
        return AppError::SignedOut.into_response();
    }
    if Reply::of(request.headers()) == Reply::Json {
        let tr = crate::i18n::Tr::new(super::language::of(request.headers()));
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "outcome": "signed_out",
                "message": tr.t("outbox.signed_out") })),
        )
            .into_response();
    }
    next.run(request).await
}

/// Whether the browser says the request comes from a page of another site (or another
/// origin of this one), as a form planted on an attacker's page would: every current
/// browser sends `Sec-Fetch-Site`; older ones `Origin`, which must then name this host.
/// Clients that send neither are not browsers riding someone's cookies.
fn from_another_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    origin_host.is_none() || origin_host != host
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

/// A report form whose CSRF token is not this session's: the observer's session lapsed,
/// or was replaced by a sign-in elsewhere, while they filled it in. It is never thrown
/// away for that, but it comes back to them (shown again now, or kept until they sign
/// in) only if its ticket proves that fieldreport gave it to them. Anything else, such as
/// a form planted by another site, is refused, and nothing is written.
async fn report_form_without_token(
    state: &AppState,
    slug: &str,
    signed_in: Option<CurrentUser>,
    parts: axum::http::request::Parts,
    bytes: axum::body::Bytes,
    next: Next,
) -> Response {
    let shown_again = |parts, bytes| {
        let mut request = Request::from_parts(parts, Body::from(bytes));
        request.extensions_mut().insert(StaleForm);
        next.run(request)
    };
    // The outbox renews its token: the answer says "stale" and shows nothing. (Signed
    // out, it was answered by `screen`.)
    if signed_in.is_some() && Reply::of(&parts.headers) == Reply::Json {
        return shown_again(parts, bytes).await;
    }
    let Some((submission_id, ticket)) = ticket_of(state, slug, &bytes) else {
        return AppError::ForeignForm.into_response();
    };
    match signed_in {
        Some(user) if user.user_id == ticket.observer_id => shown_again(parts, bytes).await,
        Some(_) => AppError::ForeignForm.into_response(),
        None => park_until_signed_in(state, slug, ticket, submission_id, bytes).await,
    }
}

/// The submission id of a report form and its valid ticket, if it has both.
fn ticket_of(state: &AppState, slug: &str, body: &[u8]) -> Option<(String, form_ticket::Ticket)> {
    let fields = super::strict_form::parse(body).ok()?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
    };
    let id = uuid::Uuid::parse_str(field("submission_id")?)
        .ok()?
        .hyphenated()
        .to_string();
    let ticket = form_ticket::verify(
        &state.form_key,
        slug,
        &id,
        field(form_ticket::FIELD)?,
        now(),
        state.config.sessions.absolute_secs,
    )?;
    Some((id, ticket))
}

/// Keeps a report form posted without a session for the observer its ticket names, and
/// sends them to sign in; after sign-in they land on the same form, filled in as they
/// left it.
async fn park_until_signed_in(
    state: &AppState,
    slug: &str,
    ticket: form_ticket::Ticket,
    submission_id: String,
    body: axum::body::Bytes,
) -> Response {
    let (slug_owned, key) = (slug.to_owned(), submission_id.clone());
    let parked = state
        .store
        .write(move |conn| parked::park(conn, &slug_owned, ticket.observer_id, &key, &body))
        .await;
    match parked {
        Ok(Parked::Kept) => {
            let next = format!("/m/{slug}/observer/file/resume/{submission_id}");
            let location = format!("/login?next={}", super::session::query_component(&next));
            axum::response::Redirect::to(&location).into_response()
        }
        Ok(Parked::NotTheirs) => AppError::ForeignForm.into_response(),
        Ok(Parked::Full) => AppError::Unprocessable(
            Message::new("observer.refused.too_many_parked").with("count", parked::PER_OBSERVER),
        )
        .into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
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
