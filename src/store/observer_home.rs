//! The observer's home in one read: where they are deployed, the forms to file, how many
//! reports they have filed and the forms kept for them while they were signed out.

use rusqlite::Connection;

use super::forms::{self, FormSummary};
use super::regions::{self, Region};
use super::{Store, StoreError, parked, reports, users};
use crate::domain::form_body;
use crate::i18n::Lang;

/// One place the observer is assigned to.
pub struct Assignment {
    pub region: Region,
    /// The regions above it, top first.
    pub trail: Vec<Region>,
    /// Polling stations (the deepest level) under it.
    pub station_count: i64,
    /// Those stations, when there are at most `stations_listed` of them; else none.
    pub stations: Vec<Region>,
}

/// A form kept for the observer, with the title (in the page's language) and place it names.
pub struct KeptForm {
    pub kept: parked::Kept,
    pub title: String,
    pub place: String,
}

/// Everything the observer's home shows.
pub struct HomePage {
    /// The mission's level names, top first.
    pub levels: Vec<String>,
    pub assignments: Vec<Assignment>,
    /// The current forms, titles in the page's language.
    pub forms: Vec<FormSummary>,
    pub report_count: i64,
    /// Kept forms whose form and place are still in the mission.
    pub kept: Vec<KeptForm>,
}

/// Reads the observer's home; stations are listed under an assignment only when there are
/// at most `stations_listed` of them.
pub async fn page(
    store: &Store,
    mission_id: i64,
    observer_id: i64,
    lang: Lang,
    stations_listed: u32,
) -> Result<HomePage, StoreError> {
    store
        .read(move |conn| read_page(conn, mission_id, observer_id, lang, stations_listed))
        .await
}

fn read_page(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
    lang: Lang,
    stations_listed: u32,
) -> Result<HomePage, StoreError> {
    let levels = regions::levels(conn, mission_id)?;
    let mut assignments = Vec::new();
    for region in users::assignments(conn, mission_id, observer_id)? {
        let trail = regions::trail(conn, region.id)?;
        let station_count = regions::count_deepest_under(conn, mission_id, &region.path)?;
        let stations = if station_count <= i64::from(stations_listed) {
            regions::deepest_under(conn, mission_id, &region.path, stations_listed)?
        } else {
            Vec::new()
        };
        assignments.push(Assignment {
            region,
            trail,
            station_count,
            stations,
        });
    }
    let mut current = forms::current(conn, mission_id, false)?;
    for summary in &mut current {
        let form = forms::by_id(conn, mission_id, summary.id)?;
        summary.title = form.definition.in_language(lang).title.clone();
    }
    let report_count = reports::count_of_observer(conn, mission_id, observer_id)?;
    let mut kept = Vec::new();
    for form in parked::waiting(conn, mission_id, observer_id)? {
        if let Some((title, place)) = kept_form_and_place(conn, mission_id, &form.body, lang)? {
            kept.push(KeptForm {
                kept: form,
                title,
                place,
            });
        }
    }
    Ok(HomePage {
        levels,
        assignments,
        forms: current,
        report_count,
        kept,
    })
}

/// The title and place of a kept form, read from what was sent; None for a form or place
/// no longer in the mission, or a body that names neither.
fn kept_form_and_place(
    conn: &Connection,
    mission_id: i64,
    body: &[u8],
    lang: Lang,
) -> Result<Option<(String, String)>, StoreError> {
    let Some((form_id, region_id)) = form_body::form_and_place(body) else {
        return Ok(None);
    };
    let found = forms::by_id(conn, mission_id, form_id).and_then(|form| {
        let region = regions::by_id(conn, mission_id, region_id)?;
        Ok((form.definition.in_language(lang).title.clone(), region.name))
    });
    match found {
        Ok(found) => Ok(Some(found)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
