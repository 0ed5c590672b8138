//! Static files, embedded in the binary and served under content-hashed names, so that
//! a phone keeps them for a year and still picks up a new version at once.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::{AppError, AppState};

struct Asset {
    /// The name served, with the content hash: `style.3f2a9c1d.css`.
    hashed_name: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

impl Asset {
    fn new(stem: &str, extension: &str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
        let digest = Sha256::digest(bytes);
        let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
        Asset {
            hashed_name: format!("{stem}.{hash}.{extension}"),
            content_type,
            bytes,
        }
    }
}

static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "style",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/style.css"),
    )
});

/// The dashboard's own styles (charts, wide tables): laptop pages only, so that the
/// observers' pages never download them.
static DASHBOARD_STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "dashboard",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/dashboard.css"),
    )
});

/// The observer's outbox (static/outbox.js): reports kept on the phone while offline.
static OUTBOX_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "outbox",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/outbox.js"),
    )
});

/// The service worker that keeps the observer's pages. Served under a fixed name, as
/// browsers expect of a service worker: they check it for updates after page views.
const SERVICE_WORKER: &[u8] = include_bytes!("../../static/sw.js");

/// How long a phone's HTTP cache answers those checks by itself (outbox.js registers the
/// worker with `updateViaCache: 'all'`): a new worker reaches phones within the hour,
/// and a day of page views costs a few checks instead of one each.
const SERVICE_WORKER_CACHE: &str = "max-age=3600";

/// The service worker's validator: a phone that has the current one is answered 304,
/// without the script again.
static SERVICE_WORKER_ETAG: LazyLock<String> = LazyLock::new(|| {
    format!(
        "\"{}\"",
        Asset::new("sw", "js", "", SERVICE_WORKER).hashed_name
    )
});

static STYLESHEET_URL: LazyLock<String> =
    LazyLock::new(|| format!("/static/{}", STYLESHEET.hashed_name));
static DASHBOARD_STYLESHEET_URL: LazyLock<String> =
    LazyLock::new(|| format!("/static/{}", DASHBOARD_STYLESHEET.hashed_name));

/// The URL of the stylesheet of every page.
pub fn stylesheet_url() -> &'static str {
    &STYLESHEET_URL
}

static OUTBOX_SCRIPT_URL: LazyLock<String> =
    LazyLock::new(|| format!("/static/{}", OUTBOX_SCRIPT.hashed_name));

/// The URL of the observer pages' script.
pub fn outbox_script_url() -> &'static str {
    &OUTBOX_SCRIPT_URL
}

/// The URL of the dashboard's additional stylesheet.
pub fn dashboard_stylesheet_url() -> &'static str {
    &DASHBOARD_STYLESHEET_URL
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{name}", get(serve))
        .route("/sw.js", get(service_worker))
}

/// Whether an `If-None-Match` header names `etag` (or any, `*`): compared weakly, as
/// for a GET.
fn names_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

async fn service_worker(request_headers: HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&SERVICE_WORKER_ETAG)
        .unwrap_or_else(|_| HeaderValue::from_static("\"sw\""));
    let unchanged = request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| names_etag(v, &SERVICE_WORKER_ETAG));
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(SERVICE_WORKER_CACHE),
        ),
        // Served from the root, it may take the scope of one mission's observer pages.
        (
            HeaderName::from_static("service-worker-allowed"),
            HeaderValue::from_static("/m/"),
        ),
        (header::ETAG, etag),
    ];
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, SERVICE_WORKER).into_response()
}

async fn serve(Path(name): Path<String>) -> Result<Response, AppError> {
    let asset = [&*STYLESHEET, &*DASHBOARD_STYLESHEET, &*OUTBOX_SCRIPT]
        .into_iter()
        .find(|asset| asset.hashed_name == name)
        .ok_or(AppError::NotFound)?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ),
    ];
    Ok((headers, asset.bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_names_the_etag_among_others_weak_or_any() {
        let etag = "\"sw.0123456789.js\"";
        assert!(names_etag(etag, etag));
        assert!(names_etag("\"old\", W/\"sw.0123456789.js\"", etag));
        assert!(names_etag("*", etag));
        assert!(!names_etag("\"sw.9999999999.js\"", etag));
        assert!(!names_etag("", etag));
    }
}
