//! Sessions on the web side: the cookie, the middleware that finds the signed-in user,
//! and the `CurrentUser` extractor.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequestParts, OptionalFromRequestParts, OriginalUri, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::{AppError, AppState, Config};
use crate::credentials::token_digest;
use crate::i18n::{Lang, Tr};
use crate::store::now;
use crate::store::sessions::{self, SessionUser};

/// The signed-in user of this request, with their missions and CSRF token.
#[derive(Clone, Debug)]
pub struct CurrentUser(Arc<SignedIn>);

#[derive(Debug)]
struct SignedIn {
    user: SessionUser,
    token_hash: Vec<u8>,
    lang: Lang,
    masked_token: OnceLock<String>,
}

impl CurrentUser {
    /// The language of this request's pages (see `web::language`).
    pub fn lang(&self) -> Lang {
        self.0.lang
    }

    /// Text in the language of this request's pages.
    pub fn tr(&self) -> Tr {
        Tr::new(self.0.lang)
    }

    /// The stored form of this session's token.
    pub fn token_hash(&self) -> &[u8] {
        &self.0.token_hash
    }

    /// The session's form token as this response's pages carry it: masked once per request
    /// (`csrf::masked`), so that the copies of several pages the phone keeps, sent in one
    /// response, do not each add a random mask to compress.
    pub fn masked_csrf_token(&self) -> &str {
        self.0
            .masked_token
            .get_or_init(|| super::csrf::masked(&self.0.user.csrf_token))
    }
}

impl Deref for CurrentUser {
    type Target = SessionUser;

    fn deref(&self) -> &SessionUser {
        &self.0.user
    }
}

/// The value of cookie `name` in the request, if present.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, for the whole site; `Secure` when served
/// over HTTPS; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, config: &Config) -> HeaderValue {
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Finds the session named by the cookie and puts its `CurrentUser` in the request.
/// An unknown or expired token simply means signed out.
pub async fn load(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if let Some(token) = cookie(request.headers(), state.config.session_cookie()) {
        let token_hash = token_digest(token);
        let policy = state.config.sessions;
        let found = sessions::signed_in(&state.store, token_hash.clone(), policy, now()).await;
        match found {
            Ok(Some(user)) => {
                if policy.needs_touch(user.last_seen_at, now()) {
                    // A failed touch only shortens the session's idle life; the page goes on.
                    if let Err(e) = sessions::touch_now(&state.store, token_hash.clone()).await {
                        tracing::warn!(error = %e, "could not record session use");
                    }
                }
                let lang = super::language::of(request.headers());
                let current = CurrentUser(Arc::new(SignedIn {
                    user,
                    token_hash,
                    lang,
                    masked_token: OnceLock::new(),
                }));
                request.extensions_mut().insert(current);
            }
            Ok(None) => {}
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Response;

    /// Signed-out visitors are sent to sign in, and come back here afterwards.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
        let here = uri.path_and_query().map_or("/", |pq| pq.as_str());
        Err(Redirect::to(&format!("/login?next={}", query_component(here))).into_response())
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;

    /// For pages that differ for signed-in users but are open to everyone.
    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentUser>().cloned())
    }
}

/// Percent-encodes a value for a query string.
pub fn query_component(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|pair| pair.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; fr_session=abc ; b=2"),
        );
        assert_eq!(cookie(&headers, "fr_session"), Some("abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn set_cookie_flags() {
        let mut config = Config::default();
        let plain = set_cookie("x", "v", 60, &config);
        assert_eq!(plain, "x=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
        config.secure_cookies = true;
        assert!(
            set_cookie("x", "v", 60, &config)
                .to_str()
                .is_ok_and(|v| v.ends_with("; Secure"))
        );
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(
            query_component("/m/ke/admin?q=a b&x=1"),
            "%2Fm%2Fke%2Fadmin%3Fq%3Da+b%26x%3D1"
        );
    }
}
