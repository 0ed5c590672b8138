//! The mission overview: the home of coordinators and leads.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::member::{Member, OverviewArea};
use super::view::{Layout, ok, thousands};
use super::{AppError, AppState};
use crate::domain::geography::level_plural;
use crate::store::missions::{self, Mission, Team};
use crate::store::regions;

pub fn routes() -> Router<AppState> {
    Router::new().route("/overview", get(home))
}

#[derive(Template)]
#[template(path = "overview/home.html")]
struct OverviewTemplate {
    layout: Layout,
    mission: Mission,
    geography: Vec<(String, String)>,
    team: Vec<(&'static str, String)>,
    observers_assigned: String,
    observers_total: String,
}

async fn home(
    State(state): State<AppState>,
    member: Member<OverviewArea>,
) -> Result<Response, AppError> {
    let slug = member.mission.slug.clone();
    let mission_id = member.mission_id();
    let (mission, counts, team): (Mission, Vec<(String, i64)>, Team) = state
        .store
        .read(move |conn| {
            Ok((
                missions::by_slug(conn, &slug)?,
                regions::counts_by_level(conn, mission_id)?,
                missions::team(conn, mission_id)?,
            ))
        })
        .await?;
    let observers_total = team
        .by_role
        .iter()
        .find(|(role, _)| *role == crate::domain::role::Role::Observer)
        .map_or(0, |(_, n)| *n);
    let layout = member.layout("Overview");
    Ok(ok(&OverviewTemplate {
        layout,
        geography: counts
            .into_iter()
            .map(|(level, n)| (level_plural(&level), thousands(n)))
            .collect(),
        team: team
            .by_role
            .iter()
            .map(|(role, n)| (role.as_str(), thousands(*n)))
            .collect(),
        observers_assigned: thousands(team.observers_assigned),
        observers_total: thousands(observers_total),
        mission,
    }))
}
