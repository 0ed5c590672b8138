//! What the observer's phone needs to keep working without a network: the copy of their
//! pages its service worker keeps (static/sw.js), the version that tells the phone when
//! that copy is out of date, and a fresh form token for the reports that waited in its
//! outbox (static/outbox.js) while the session may have been renewed.
//!
//! The copy comes in one response, every page in it rendered as a GET would render it:
//! the blank forms of one form differ only by their place, so compressed together they
//! cost little more than one of them.

use std::sync::LazyLock;
use std::time::Duration;

use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use super::member::{Member, ObserverArea};
use super::session::CurrentUser;
use super::view::{Layout, area_path};
use super::{AppError, AppState, assets};
use crate::domain::offline::{KeptSet, pages_to_keep};
use crate::domain::role::Area;
use crate::store::offline::{self, KeptPlan};
use crate::store::sessions::Membership;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/observer/offline.json", get(offline_pages))
        .route("/observer/outbox/token", get(token))
}

/// The header of every observer page giving the version of the copy the phone should
/// keep: the service worker compares it with its own, at no cost in data.
pub const VERSION_HEADER: HeaderName = HeaderName::from_static("x-offline-version");

/// Polling stations of the observer's assignments whose blank forms are kept: enough for
/// a short-term observer's round, few enough to fetch over 2G.
const STATIONS_KEPT: u32 = 10;

/// What goes into the pages besides the data: a new build of fieldreport may show them
/// differently, and its phones must then keep them again.
static BUILD: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for part in [
        env!("CARGO_PKG_VERSION"),
        assets::stylesheet_url(),
        assets::outbox_script_url(),
        include_str!("../../templates/base.html"),
        include_str!("../../templates/observer/home.html"),
        include_str!("../../templates/observer/reports.html"),
        include_str!("../../templates/observer/pick_place.html"),
        include_str!("../../templates/observer/form.html"),
        include_str!("../../templates/observer/offline.html"),
        include_str!("../../templates/partials/questions.html"),
        include_str!("../i18n/en/common.toml"),
        include_str!("../i18n/fr/common.toml"),
        include_str!("../i18n/sw/common.toml"),
    ] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
});

async fn plan(state: &AppState, mission_id: i64, user_id: i64) -> Result<KeptPlan, AppError> {
    let plan = state
        .store
        .read(move |conn| offline::plan(conn, mission_id, user_id, STATIONS_KEPT))
        .await?;
    Ok(plan)
}

fn version(user: &CurrentUser, mission: &Membership, plan: &KeptPlan) -> String {
    KeptSet {
        build: &BUILD,
        session: user.token_hash(),
        lang: user.lang().code(),
        observer_name: &user.display_name,
        mission_slug: &mission.slug,
        mission_name: &mission.name,
        time_zone: &mission.time_zone,
        forms: &plan.forms,
        assignments: &plan.assignments,
        stations: &plan.stations,
    }
    .version()
}

/// The mission of an observer page's path (`/m/{slug}/observer...`).
fn observer_page_mission(path: &str) -> Option<&str> {
    let (slug, rest) = path.strip_prefix("/m/")?.split_once('/')?;
    (rest == "observer" || rest.starts_with("observer/")).then_some(slug)
}

/// Marks each observer page with the version of the copy to keep (`VERSION_HEADER`).
pub async fn mark_kept_version(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let page_of = (request.method() == Method::GET)
        .then(|| observer_page_mission(request.uri().path()).map(str::to_owned))
        .flatten()
        .zip(request.extensions().get::<CurrentUser>().cloned());
    let mut response = next.run(request).await;
    let Some((slug, user)) = page_of else {
        return response;
    };
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let mission = user
        .memberships
        .iter()
        .find(|m| m.slug == slug && m.role.may_enter(Area::Observer));
    let (Some(mission), true, true) = (mission, html, response.status() == StatusCode::OK) else {
        return response;
    };
    match plan(&state, mission.mission_id, user.user_id).await {
        Ok(plan) => {
            if let Ok(value) = HeaderValue::from_str(&version(&user, mission, &plan)) {
                response.headers_mut().insert(VERSION_HEADER, value);
            }
        }
        // The page is whole without it; the phone keeps its copy a while longer.
        Err(e) => tracing::warn!(error = ?e, "no version for the kept pages"),
    }
    response
}

#[derive(Serialize)]
struct KeptPages {
    version: String,
    pages: Vec<KeptPage>,
    /// What the phone shows for a page it did not keep, when there is no network.
    fallback: String,
    assets: Vec<&'static str>,
    /// The headers each kept page is served with (its security policy), as the server
    /// would serve it.
    headers: std::collections::BTreeMap<&'static str, &'static str>,
}

#[derive(Serialize)]
struct KeptPage {
    url: String,
    html: String,
}

#[derive(Template)]
#[template(path = "observer/offline.html")]
struct OfflineTemplate {
    layout: Layout,
    home_href: String,
}

/// A phone that waits this long for its turn to have a copy made (see
/// `AppState::copies_made`) keeps the copy it has and asks again later.
const COPY_WAIT: Duration = Duration::from_secs(5);

/// Whether the phone's `If-None-Match` names this version: its copy is the server's.
fn still_current(request: &Request, version: &str) -> bool {
    request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim().trim_start_matches("W/").trim_matches('"') == version)
}

/// The pages an observer opens without a network, each as a GET of it gives it, with the
/// version of the whole; 304 when the phone's copy is of that version already.
async fn offline_pages(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    request: Request,
) -> Result<Response, AppError> {
    let plan = plan(&state, member.mission_id(), member.user.user_id).await?;
    let version = version(&member.user, &member.mission, &plan);
    let etag = HeaderValue::from_str(&format!("\"{version}\""))
        .map_err(|e| AppError::Internal(format!("offline version: {e}")))?;
    if still_current(&request, &version) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, etag);
        return Ok(response);
    }
    let Ok(Ok(_permit)) = tokio::time::timeout(COPY_WAIT, state.copies_made.acquire()).await else {
        return Err(AppError::Busy);
    };
    let base = area_path(&member.mission.slug, Area::Observer);
    let keys: Vec<String> = plan.forms.iter().map(|(key, _)| key.clone()).collect();
    // The pages themselves, without the layers around them: this request went through
    // those already, and its session stands for each page's.
    let pages_router = super::pages().with_state(state.clone());
    let mut pages = Vec::new();
    for url in pages_to_keep(&base, &keys, &plan.stations) {
        let mut page = Request::builder()
            .method(Method::GET)
            .uri(&url)
            .body(Body::empty())
            .map_err(|e| AppError::Internal(format!("kept page request: {e}")))?;
        *page.headers_mut() = request.headers().clone();
        page.headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("text/html"));
        page.extensions_mut().insert(member.user.clone());
        let response = pages_router
            .clone()
            .oneshot(page)
            .await
            .map_err(|e| AppError::Internal(format!("kept page: {e}")))?;
        // A page that cannot be shown now (a form just withdrawn) is simply not kept.
        if response.status() != StatusCode::OK {
            continue;
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| AppError::Internal(format!("kept page body: {e}")))?;
        pages.push(KeptPage {
            url,
            html: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    let tr = member.user.tr();
    let fallback = OfflineTemplate {
        layout: member.layout(tr.t("observer.offline.title")),
        home_href: base,
    }
    .render()
    .map_err(|e| AppError::Internal(format!("template failed: {e}")))?;
    let mut response = Json(KeptPages {
        version,
        pages,
        fallback,
        assets: vec![assets::stylesheet_url(), assets::outbox_script_url()],
        headers: super::headers::PAGE_HEADERS
            .iter()
            .map(|(name, value)| (name.as_str(), *value))
            .collect(),
    })
    .into_response();
    response.headers_mut().insert(header::ETAG, etag);
    Ok(response)
}

#[derive(Serialize)]
struct Token {
    token: String,
    user: i64,
}

/// The session's form token, masked afresh, and whose session it is: the outbox sends
/// only the reports its observer filed.
async fn token(member: Member<ObserverArea>) -> Json<Token> {
    Json(Token {
        token: super::csrf::masked(&member.user.csrf_token),
        user: member.user.user_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_observer_pages_carry_the_version() {
        assert_eq!(observer_page_mission("/m/ke/observer"), Some("ke"));
        assert_eq!(
            observer_page_mission("/m/ke/observer/file/voting"),
            Some("ke")
        );
        assert_eq!(observer_page_mission("/m/ke/observers"), None);
        assert_eq!(observer_page_mission("/m/ke/overview"), None);
        assert_eq!(observer_page_mission("/login"), None);
    }
}
