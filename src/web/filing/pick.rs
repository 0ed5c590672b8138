//! Choosing the place a report is for: the observer's own stations, a search, or
//! browsing the geography down to a station.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::form_href;
use crate::domain::report::place_fits;
use crate::store::filing::{self, CHILDREN_LISTED, Placed};
use crate::web::member::{Member, ObserverArea};
use crate::web::view::{Layout, level_name_in, level_word, ok, within};
use crate::web::{AppError, AppState};

#[derive(Template)]
#[template(path = "observer/pick_place.html")]
struct PickPlaceTemplate {
    layout: Layout,
    form_title: String,
    stations_label: String,
    base_href: String,
    mine: Vec<Pick>,
    mine_truncated: bool,
    query: String,
    searched: bool,
    results: Vec<Pick>,
    trail: Vec<Pick>,
    report_here: Option<Pick>,
    children: Vec<Pick>,
    children_truncated: bool,
}

struct Pick {
    name: String,
    code: String,
    within: String,
    href: String,
}

#[derive(Deserialize)]
pub(super) struct PickQuery {
    #[serde(default)]
    q: String,
    /// The region being browsed; 0 or absent for the top level.
    at: Option<i64>,
}

pub(super) async fn pick_place(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, form_key)): Path<(String, String)>,
    Query(query): Query<PickQuery>,
) -> Result<Response, AppError> {
    let (mission_id, user_id) = (member.mission_id(), member.user.user_id);
    let search = query.q.trim().to_owned();
    let at = query.at.filter(|id| *id > 0);
    let choices =
        filing::pick_page(&state.store, mission_id, user_id, form_key, search, at).await?;

    let slug = member.mission.slug.clone();
    let tr = member.user.tr();
    let key = choices.form.key.clone();
    let base_href = format!("/m/{slug}/observer/file/{key}");
    let to_form = |(region, trail): Placed| Pick {
        within: within(&trail, region.id),
        href: form_href(&slug, &key, region.id),
        name: region.name,
        code: region.code,
    };
    let children_truncated = choices.children.len() > CHILDREN_LISTED;
    let children = choices
        .children
        .into_iter()
        .take(CHILDREN_LISTED)
        .map(|r| Pick {
            href: if r.depth == choices.deepest {
                form_href(&slug, &key, r.id)
            } else {
                format!("{base_href}?at={}", r.id)
            },
            within: level_name_in(tr, &choices.levels, r.depth),
            name: r.name,
            code: r.code,
        })
        .collect();
    let (trail, report_here) = match choices.at {
        None => (Vec::new(), None),
        Some((region, trail)) => {
            let crumbs = trail
                .iter()
                .map(|r| Pick {
                    name: r.name.clone(),
                    code: r.code.clone(),
                    within: String::new(),
                    href: format!("{base_href}?at={}", r.id),
                })
                .collect();
            let here = place_fits(choices.form.definition.kind, region.depth, choices.deepest)
                .then(|| Pick {
                    href: form_href(&slug, &key, region.id),
                    name: region.name.clone(),
                    code: region.code.clone(),
                    within: String::new(),
                });
            (crumbs, here)
        }
    };
    let stations_label = level_word(
        tr,
        choices
            .levels
            .last()
            .map_or("polling_station", String::as_str),
        true,
    );
    let title = choices
        .form
        .definition
        .in_language(member.user.lang())
        .title
        .clone();
    let template = PickPlaceTemplate {
        layout: member.layout(&title),
        form_title: title.clone(),
        stations_label,
        base_href,
        mine: choices.mine.into_iter().map(to_form).collect(),
        mine_truncated: choices.mine_truncated,
        searched: !query.q.trim().is_empty(),
        query: query.q,
        results: choices.results.into_iter().map(to_form).collect(),
        trail,
        report_here,
        children,
        children_truncated,
    };
    Ok(ok(&template))
}
