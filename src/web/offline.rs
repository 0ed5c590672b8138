//! What the observer's phone needs to keep working without a network: the list of pages
//! its service worker keeps (static/sw.js), and a fresh form token for the reports that
//! waited in its outbox (static/outbox.js) while the session may have been renewed.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::member::{Member, ObserverArea};
use super::{AppError, AppState, assets};
use crate::store::{forms, regions, users};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/observer/offline.json", get(offline_pages))
        .route("/observer/outbox/token", get(token))
}

/// Polling stations of the observer's assignments whose blank forms are kept: enough for
/// a short-term observer's round, few enough to fetch over 2G.
const STATIONS_KEPT: u32 = 10;

#[derive(Serialize)]
struct OfflinePages {
    pages: Vec<String>,
    assets: Vec<&'static str>,
}

/// The pages an observer opens without a network: home, their reports, each form's place
/// picker, and each form blank for the first stations of their assignments.
/// Checklists and incidents alike may be filed for a polling station.
fn pages_to_keep(base: &str, form_keys: &[String], stations: &[i64]) -> Vec<String> {
    let mut pages = vec![base.to_owned(), format!("{base}/reports")];
    for key in form_keys {
        pages.push(format!("{base}/file/{key}"));
        pages.extend(stations.iter().map(|id| format!("{base}/file/{key}/{id}")));
    }
    pages
}

async fn offline_pages(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
) -> Result<Json<OfflinePages>, AppError> {
    let (mission_id, user_id) = (member.mission_id(), member.user.user_id);
    let (kept_forms, stations) = state
        .store
        .read(move |conn| {
            let kept: Vec<String> = forms::current(conn, mission_id, false)?
                .into_iter()
                .map(|f| f.key)
                .collect();
            let mut stations: Vec<i64> = Vec::new();
            for assigned in users::assignments(conn, mission_id, user_id)? {
                for station in
                    regions::deepest_under(conn, mission_id, &assigned.path, STATIONS_KEPT)?
                {
                    if stations.len() < STATIONS_KEPT as usize && !stations.contains(&station.id) {
                        stations.push(station.id);
                    }
                }
            }
            Ok((kept, stations))
        })
        .await?;
    let base = format!("/m/{}/observer", member.mission.slug);
    Ok(Json(OfflinePages {
        pages: pages_to_keep(&base, &kept_forms, &stations),
        assets: vec![assets::stylesheet_url(), assets::outbox_script_url()],
    }))
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
    fn keeps_home_reports_pickers_and_blank_forms_per_station() {
        let forms = ["voting".to_owned(), "incident".to_owned()];
        let pages = pages_to_keep("/m/ke/observer", &forms, &[7, 9]);
        assert_eq!(
            pages,
            [
                "/m/ke/observer",
                "/m/ke/observer/reports",
                "/m/ke/observer/file/voting",
                "/m/ke/observer/file/voting/7",
                "/m/ke/observer/file/voting/9",
                "/m/ke/observer/file/incident",
                "/m/ke/observer/file/incident/7",
                "/m/ke/observer/file/incident/9",
            ]
        );
    }
}
