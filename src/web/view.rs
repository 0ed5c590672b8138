//! What every page shares: the layout data, rendering, and how values are shown.

use std::sync::LazyLock;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::AppError;
use super::assets;
use super::session::CurrentUser;
use crate::domain::geography::{level_label, level_plural};
use crate::domain::review::Action;
use crate::domain::role::{Area, Role};
use crate::i18n::{Lang, Tr};
use crate::store::regions::Region;

/// The frame around a page: title, stylesheet and, for signed-in users, the navigation.
pub struct Layout {
    pub title: String,
    pub stylesheet: &'static str,
    /// The page's language: every text of the page goes through it.
    pub tr: Tr,
    pub nav: Option<Nav>,
    /// The outbox script, on the observer's pages only.
    pub outbox: Option<Outbox>,
}

/// The observer's outbox script and what it needs to know: where the observer's pages
/// live, and whose reports it keeps.
pub struct Outbox {
    pub script: &'static str,
    pub base: String,
    pub user: i64,
    /// The script's texts in the page's language, as JSON.
    pub text: &'static str,
}

/// The header of a signed-in page.
pub struct Nav {
    pub display_name: String,
    pub csrf_token: String,
    pub mission_name: Option<String>,
    pub links: Vec<NavLink>,
}

pub struct NavLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

impl Layout {
    /// The languages a page may be read in, for the picker.
    pub fn languages(&self) -> [Lang; 3] {
        Lang::ALL
    }

    /// A page for someone not signed in (sign-in, errors).
    pub fn public(title: impl Into<String>, lang: Lang) -> Layout {
        Layout {
            title: title.into(),
            stylesheet: assets::stylesheet_url(),
            tr: Tr::new(lang),
            nav: None,
            outbox: None,
        }
    }

    /// A page for a signed-in user outside any mission.
    pub fn signed_in(title: impl Into<String>, user: &CurrentUser) -> Layout {
        Layout {
            title: title.into(),
            stylesheet: assets::stylesheet_url(),
            tr: Tr::new(user.lang()),
            nav: Some(Nav {
                display_name: user.display_name.clone(),
                csrf_token: user.masked_csrf_token().to_owned(),
                mission_name: None,
                links: Vec::new(),
            }),
            outbox: None,
        }
    }

    /// A page inside a mission, with links to the areas the member's role may enter.
    pub fn in_mission(
        title: impl Into<String>,
        user: &CurrentUser,
        mission_slug: &str,
        mission_name: &str,
        role: Role,
        here: Area,
    ) -> Layout {
        let tr = Tr::new(user.lang());
        let links = [
            (Area::Observer, "nav.home"),
            (Area::Overview, "nav.overview"),
            (Area::Review, "nav.review"),
            (Area::Findings, "nav.findings"),
            (Area::Forms, "nav.forms"),
            (Area::Admin, "nav.setup"),
        ]
        .into_iter()
        .filter(|(area, _)| role.may_enter(*area))
        .map(|(area, key)| NavLink {
            label: tr.t(key).to_owned(),
            href: area_path(mission_slug, area),
            current: area == here,
        })
        .collect();
        let mut layout = Layout::signed_in(title, user);
        if let Some(nav) = layout.nav.as_mut() {
            nav.mission_name = Some(mission_name.to_owned());
            nav.links = links;
        }
        if here == Area::Observer {
            layout.outbox = Some(Outbox {
                script: assets::outbox_script_url(),
                base: area_path(mission_slug, Area::Observer),
                user: user.user_id,
                text: outbox_text(tr),
            });
        }
        layout
    }
}

/// The outbox script's texts, by key without the `outbox.` prefix, and the language's
/// code (for its plurals and times), as JSON: made once per language, not per page.
fn outbox_text(tr: Tr) -> &'static str {
    static TEXTS: LazyLock<Vec<(Lang, String)>> = LazyLock::new(|| {
        Lang::ALL
            .into_iter()
            .map(|lang| {
                let tr = Tr::new(lang);
                let mut text: std::collections::BTreeMap<&str, &str> = OUTBOX_KEYS
                    .iter()
                    .map(|key| (&key["outbox.".len()..], tr.t(key)))
                    .collect();
                text.insert("lang", lang.code());
                (lang, serde_json::to_string(&text).unwrap_or_default())
            })
            .collect()
    });
    TEXTS
        .iter()
        .find(|(lang, _)| *lang == tr.lang)
        .map_or("{}", |(_, text)| text.as_str())
}

/// What static/outbox.js writes.
const OUTBOX_KEYS: [&str; 18] = [
    "outbox.send_now",
    "outbox.no_network",
    "outbox.kept",
    "outbox.sign_in_again",
    "outbox.sent",
    "outbox.kept_at",
    "outbox.open_to_fix",
    "outbox.remove",
    "outbox.remove_confirm",
    "outbox.refused",
    "outbox.connect_to_open",
    "outbox.waiting.one",
    "outbox.waiting.other",
    "outbox.to_fix.one",
    "outbox.to_fix.other",
    "outbox.already",
    "outbox.send_as_new",
    "outbox.same_report",
];

/// Where an area of a mission lives.
pub fn area_path(mission_slug: &str, area: Area) -> String {
    format!("/m/{mission_slug}/{}", area.path_segment())
}

/// Renders a page with a status. A template that fails to render is a bug: logged, 500.
pub fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => AppError::Internal(format!("template failed: {e}")).into_response(),
    }
}

/// Renders a page with status 200.
pub fn ok(template: &impl Template) -> Response {
    page(StatusCode::OK, template)
}

/// A unix time in the mission's time zone as the page's language writes it: `8 August
/// 2017, 17:05`. An unknown zone falls back to UTC, marked as such.
pub fn local_date_time(tr: Tr, unix_seconds: i64, time_zone: &str) -> String {
    let Ok(at) = Timestamp::from_second(unix_seconds) else {
        return "unknown".to_owned();
    };
    let (zoned, suffix) = match TimeZone::get(time_zone) {
        Ok(zone) => (at.to_zoned_datetime(zone), ""),
        Err(_) => (at.to_zoned_datetime(TimeZone::UTC), " UTC"),
    };
    let text = tr.date_time(
        zoned.year(),
        zoned.month(),
        zoned.day(),
        zoned.hour(),
        zoned.minute(),
    );
    format!("{text}{suffix}")
}

/// A text split around a `{placeholder}`, for pages that put markup (a link, a name in
/// bold) where it stands: the template escapes each side and writes the markup between.
pub fn around(text: &str, placeholder: &str) -> (String, String) {
    match text.split_once(placeholder) {
        Some((before, after)) => (before.to_owned(), after.to_owned()),
        None => (text.to_owned(), String::new()),
    }
}

/// A level of the mission's geography named in the page's language: the usual level keys
/// (county, ward, polling_station...) from the catalogue, any other as the mission's key
/// reads. `plural` for a heading over several.
pub fn level_word(tr: Tr, key: &str, plural: bool) -> String {
    let entry = format!("levels.{key}.{}", if plural { "other" } else { "one" });
    match tr.get(&entry) {
        Some(word) => word.to_owned(),
        None if plural => level_plural(key),
        None => level_label(key),
    }
}

/// The name of the level at `depth` (1 = top) among a mission's level keys, in the
/// page's language.
pub fn level_name_in(tr: Tr, levels: &[String], depth: i64) -> String {
    usize::try_from(depth - 1)
        .ok()
        .and_then(|i| levels.get(i))
        .map_or_else(String::new, |key| level_word(tr, key, false))
}

/// The names above a region in its trail, top first: "Nairobi › Westlands".
pub fn within(trail: &[Region], region_id: i64) -> String {
    trail
        .iter()
        .filter(|r| r.id != region_id)
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(" › ")
}

/// The word on an action's button, and for it in the history.
pub fn action_label(tr: Tr, action: Action) -> &'static str {
    match action {
        Action::Verify => tr.t("review.report.action.verify"),
        Action::Dismiss => tr.t("review.report.action.dismiss"),
        Action::Escalate => tr.t("review.report.action.escalate"),
        Action::MarkDuplicate => tr.t("review.report.action.duplicate"),
        Action::Reopen => tr.t("review.report.action.reopen"),
        Action::Comment => tr.t("review.report.action.comment"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_the_mission_zone_and_the_page_language() {
        // 2017-08-08 14:00 UTC is 17:00 in Nairobi (UTC+3).
        let (en, fr) = (Tr::new(Lang::En), Tr::new(Lang::Fr));
        assert_eq!(
            local_date_time(en, 1_502_200_800, "Africa/Nairobi"),
            "8 August 2017, 17:00"
        );
        assert_eq!(
            local_date_time(fr, 1_502_200_800, "Africa/Nairobi"),
            "8 août 2017, 17:00"
        );
        assert_eq!(
            local_date_time(en, 1_502_200_800, "Nowhere/City"),
            "8 August 2017, 14:00 UTC"
        );
    }
}
