//! The mission dashboard, home of coordinators and leads: what, where, how serious and how
//! widespread, for the whole mission or a region, every figure a link to its reports; and
//! its map of polling stations.

mod chart;
mod map;
mod page;

use axum::Router;
use axum::routing::get;

use super::{AppError, AppState};
use crate::domain::dashboard::{BadFilter, DashboardFilter};
use crate::domain::facts::Selection;
use crate::domain::message::Message;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/overview", get(page::page))
        .route("/overview/map.svg", get(map::map))
}

/// The page's filters, or what is wrong with them in the reader's language.
fn read_filter(raw: Option<&str>, time_zone: &str) -> Result<DashboardFilter, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| AppError::BadRequest(Message::new("dashboard.filters.malformed")))?;
    DashboardFilter::from_pairs(&pairs, time_zone).map_err(|e| match e {
        BadFilter::Queue(error) => AppError::BadRequest(error.0),
        BadFilter::Dashboard(message) => AppError::BadRequest(message),
    })
}

/// The reports the filters count, as the report facts select them.
fn selection(filter: &DashboardFilter) -> Selection {
    Selection {
        region_id: filter.queue.region,
        form_keys: filter.queue.forms.clone(),
        categories: filter.queue.categories.clone(),
        severities: filter.queue.severities.iter().map(|s| s.rank()).collect(),
        statuses: filter.queue.statuses.clone(),
        received: filter
            .hours
            .map(|(from, to)| (from.saturating_mul(3600), to.saturating_mul(3600))),
        problems_only: false,
    }
}

/// The dashboard of a region (the whole mission for `None`) with the same filters.
fn region_href(base: &str, region: Option<i64>, query: &str) -> String {
    let mut parts: Vec<String> = region
        .map(|id| format!("region={id}"))
        .into_iter()
        .collect();
    if !query.is_empty() {
        parts.push(query.to_owned());
    }
    if parts.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}
