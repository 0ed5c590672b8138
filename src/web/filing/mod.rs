//! Filing a report: choose the place ([`pick`]), fill in the form ([`form`]), send it
//! ([`submit`]), get a receipt ([`receipt`]). Each page is one store call
//! (`store::filing`), and filing itself one write (`store::filing::file`).

mod form;
mod pick;
mod receipt;
mod submit;

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::AppState;
use super::member::{Member, ObserverArea};
use crate::store::filing::Sender;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/observer/file", post(submit::submit))
        .route("/observer/file/{form_key}", get(pick::pick_place))
        .route(
            "/observer/file/{form_key}/{region_id}",
            get(form::blank_form),
        )
        .route("/observer/file/resume/{id}", get(form::resume))
        .route("/observer/reports/{id}/receipt", get(receipt::receipt))
}

/// The blank form of `form_key` for the place `region_id`.
fn form_href(slug: &str, form_key: &str, region_id: i64) -> String {
    format!("/m/{slug}/observer/file/{form_key}/{region_id}")
}

fn receipt_redirect(slug: &str, id: &str) -> Response {
    Redirect::to(&format!("/m/{slug}/observer/reports/{id}/receipt")).into_response()
}

/// The observer sending a form, as the store checks it.
fn sender(member: &Member<ObserverArea>) -> Sender {
    Sender {
        mission_id: member.mission_id(),
        observer_id: member.user.user_id,
        time_zone: member.mission.time_zone.clone(),
        lang: member.user.lang(),
    }
}
