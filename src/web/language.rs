//! Which language a page is written in, and the picker that changes it.
//!
//! The choice is kept in a cookie on the device (an observer's phone is theirs for the
//! mission); without one, the browser's `Accept-Language` decides, and English otherwise.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, extract::State};
use serde::Deserialize;

use super::AppState;
use super::session::{cookie, set_cookie};
use crate::i18n::Lang;

/// The cookie holding the language chosen on this device.
pub const COOKIE: &str = "fr_lang";
/// A year: the choice outlives any session.
const COOKIE_SECS: i64 = 365 * 24 * 3600;

pub fn routes() -> Router<AppState> {
    Router::new().route("/language", get(choose))
}

/// The language of a request: the one chosen on this device, else the browser's.
pub fn of(headers: &HeaderMap) -> Lang {
    cookie(headers, COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(of(&parts.headers))
    }
}

#[derive(Deserialize)]
struct Choice {
    /// Missing or unknown: nothing changes, and the reader goes back where they were.
    #[serde(default)]
    lang: String,
}

/// Keeps the language picked and goes back to the page it was picked on (a GET that only
/// sets a preference: nothing for a forged link to abuse).
async fn choose(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(choice): Query<Choice>,
) -> Response {
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(same_site_path)
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Some(lang) = Lang::parse(&choice.lang) {
        let value = set_cookie(COOKIE, lang.code(), COOKIE_SECS, &state.config);
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The path and query of a referring page of this site (`Referrer-Policy: same-origin`
/// sends only those): a path starting with one slash, never another site.
fn same_site_path(referer: &str) -> Option<String> {
    let after_scheme = referer.split_once("://").map_or(referer, |(_, rest)| rest);
    let path = &after_scheme[after_scheme.find('/')?..];
    (path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\"))
        .then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_device_choice_wins_over_the_browser() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr-FR,fr;q=0.9"),
        );
        assert_eq!(of(&headers), Lang::Fr);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; fr_lang=sw"));
        assert_eq!(of(&headers), Lang::Sw);
        headers.insert(header::COOKIE, HeaderValue::from_static("fr_lang=xx"));
        assert_eq!(of(&headers), Lang::Fr, "an unknown choice is ignored");
        assert_eq!(of(&HeaderMap::new()), Lang::En);
    }

    #[test]
    fn only_paths_of_this_site_are_gone_back_to() {
        assert_eq!(
            same_site_path("http://127.0.0.1:8080/m/ke/observer?x=1").as_deref(),
            Some("/m/ke/observer?x=1")
        );
        assert_eq!(same_site_path("https://example.org").as_deref(), None);
        assert_eq!(same_site_path("http://a//evil.example/x").as_deref(), None);
    }
}
