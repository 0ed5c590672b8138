//! The observer's home: the forms to file, and where they are deployed.

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;

use super::member::{Member, ObserverArea};
use super::view::{Layout, level_name_in, level_word, local_date_time, ok, within};
use super::{AppError, AppState};
use crate::store::observer_home;
use crate::store::regions::Region;

pub fn routes() -> Router<AppState> {
    Router::new().route("/observer", get(home))
}

/// Stations are listed under an assignment only up to this many; a long-term observer
/// covering a whole county sees the count instead of a list of hundreds.
const STATIONS_LISTED: u32 = 40;

#[derive(Template)]
#[template(path = "observer/home.html")]
struct ObserverHomeTemplate {
    layout: Layout,
    /// Forms sent while the observer was signed out, kept for them to check and send.
    kept: Vec<KeptForm>,
    forms: Vec<FormButton>,
    home_href: String,
    reports_href: String,
    report_count: i64,
    assignments: Vec<AssignmentView>,
    stations_label: String,
    /// Pages the phone has just kept again, as its service worker says after the observer
    /// asked for a fresh copy (`?kept=N`).
    kept_now: Option<usize>,
}

struct KeptForm {
    title: String,
    place: String,
    kept_at: String,
    href: String,
}

struct FormButton {
    title: String,
    kind: String,
    href: String,
}

struct AssignmentView {
    level: String,
    name: String,
    code: String,
    /// The regions above, top first: "Nairobi › Westlands".
    within: String,
    /// "Ward in Nairobi › Westlands", in the page's language.
    level_within: String,
    station_count: String,
    stations: Vec<Region>,
}

/// The number of `?kept=N`, the service worker's answer to "refresh the copy": anything
/// else is no notice at all.
fn kept_now(query: Option<&str>) -> Option<usize> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    let (_, value) = pairs.iter().find(|(name, _)| name == "kept")?;
    // A handful of digits: a phone keeps tens of pages, not millions.
    if value.is_empty() || value.len() > 5 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

async fn home(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let (mission_id, user_id) = (member.mission_id(), member.user.user_id);
    let lang = member.user.lang();
    let home =
        observer_home::page(&state.store, mission_id, user_id, lang, STATIONS_LISTED).await?;
    let levels = home.levels;
    let tr = member.user.tr();
    let assignments = home
        .assignments
        .into_iter()
        .map(|assignment| {
            let observer_home::Assignment {
                region,
                trail,
                station_count,
                stations,
            } = assignment;
            let level = level_name_in(tr, &levels, region.depth);
            let within = within(&trail, region.id);
            AssignmentView {
                level_within: tr.fill(
                    "observer.home.in",
                    &[("level", &level), ("within", &within)],
                ),
                level,
                within,
                name: region.name,
                code: region.code,
                station_count: tr.number(station_count),
                stations,
            }
        })
        .collect();
    let slug = &member.mission.slug;
    let forms = home
        .forms
        .into_iter()
        .map(|f| FormButton {
            href: format!("/m/{slug}/observer/file/{}", f.key),
            title: f.title,
            kind: f.kind,
        })
        .collect();
    let stations_label = level_word(
        tr,
        levels.last().map_or("polling_station", String::as_str),
        true,
    );
    let kept = home
        .kept
        .into_iter()
        .map(|form| KeptForm {
            kept_at: local_date_time(tr, form.kept.parked_at, &member.mission.time_zone),
            href: format!("/m/{slug}/observer/file/resume/{}", form.kept.submission_id),
            title: form.title,
            place: form.place,
        })
        .collect();
    let layout = member.layout(tr.t("observer.home.title"));
    Ok(ok(&ObserverHomeTemplate {
        layout,
        kept,
        forms,
        home_href: format!("/m/{slug}/observer"),
        reports_href: format!("/m/{slug}/observer/reports"),
        report_count: home.report_count,
        assignments,
        stations_label,
        kept_now: kept_now(query.as_deref()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_count_of_kept_pages_makes_a_notice() {
        assert_eq!(kept_now(Some("kept=46")), Some(46));
        assert_eq!(kept_now(Some("keep=now&kept=3")), Some(3));
        assert_eq!(kept_now(None), None);
        for odd in [
            "kept=",
            "kept=-1",
            "kept=+4",
            "kept=4x",
            "kept=123456",
            "x=1",
        ] {
            assert_eq!(kept_now(Some(odd)), None, "{odd}");
        }
    }
}
