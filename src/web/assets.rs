//! Static files, embedded in the binary and served under content-hashed names, so that
//! a phone keeps them for a year and still picks up a new version at once.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, header};
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

/// The service worker that keeps the observer's pages. Served under a fixed name, never
/// cached by HTTP, as browsers expect of a service worker: they check it for updates.
const SERVICE_WORKER: &[u8] = include_bytes!("../../static/sw.js");

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

async fn service_worker() -> Response {
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        // Served from the root, it may take the scope of one mission's observer pages.
        (
            HeaderName::from_static("service-worker-allowed"),
            HeaderValue::from_static("/m/"),
        ),
    ];
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
