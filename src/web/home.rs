//! The start page: straight to the user's home, or a choice of missions.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::auth::home_path;
use super::session::CurrentUser;
use super::view::{Layout, area_path, ok};
use super::{AppError, AppState};
use crate::domain::role::Role;
use crate::i18n::Tr;
use crate::store::sessions::Membership;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(start))
        .route("/m/{mission}", get(mission_home))
        .route("/api/health", get(health))
}

#[derive(Template)]
#[template(path = "missions.html")]
struct MissionsTemplate {
    layout: Layout,
    missions: Vec<MissionChoice>,
}

struct MissionChoice {
    name: String,
    role: &'static str,
    href: String,
}

/// A role's name, for the list of missions.
fn role_name(tr: Tr, role: Role) -> &'static str {
    match role {
        Role::Observer => tr.t("home.role.observer"),
        Role::Coordinator => tr.t("home.role.coordinator"),
        Role::Lead => tr.t("home.role.lead"),
        Role::Admin => tr.t("home.role.admin"),
    }
}

async fn start(user: CurrentUser) -> Response {
    if user.memberships.len() == 1 {
        return Redirect::to(&home_path(&user.memberships)).into_response();
    }
    let tr = user.tr();
    let missions = user
        .memberships
        .iter()
        .map(|m: &Membership| MissionChoice {
            name: m.name.clone(),
            role: role_name(tr, m.role),
            href: area_path(&m.slug, m.role.home_area()),
        })
        .collect();
    ok(&MissionsTemplate {
        layout: Layout::signed_in(tr.t("home.missions.title"), &user),
        missions,
    })
}

async fn mission_home(user: CurrentUser, Path(slug): Path<String>) -> Result<Redirect, AppError> {
    let membership = user
        .memberships
        .iter()
        .find(|m| m.slug == slug)
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&area_path(
        &membership.slug,
        membership.role.home_area(),
    )))
}

/// For monitoring: answers once the database can be read and the writer commits.
async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    let version: i64 = state.store.read(crate::store::schema_version).await?;
    state.store.write(|_| Ok(())).await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "schema_version": version }),
    ))
}
