//! What an observer's own report pages show, each read in one transaction.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rusqlite::Connection;

use super::StoreError;
use super::forms::{self, StoredForm};
use super::regions::{self, Region};
use super::reports::{self, Event, ReportLine, StoredReport};
use crate::i18n::Lang;

/// A page of the observer's reports, newest first.
pub struct ListPage {
    /// Up to `limit` lines.
    pub lines: Vec<ReportLine>,
    /// Each listed form's title in the page's language, by form id.
    pub titles: HashMap<i64, String>,
}

pub fn list_page(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
    before: Option<(i64, i64)>,
    limit: u32,
    lang: Lang,
) -> Result<ListPage, StoreError> {
    let lines = reports::of_observer(conn, mission_id, observer_id, before, limit)?;
    let mut titles = HashMap::new();
    for line in &lines {
        if let Entry::Vacant(title) = titles.entry(line.form_id) {
            let form = forms::by_id(conn, mission_id, line.form_id)?;
            title.insert(form.definition.in_language(lang).title.clone());
        }
    }
    Ok(ListPage { lines, titles })
}

/// One of the observer's reports, as filed, with its history as they may see it.
pub struct ReportPage {
    pub report: StoredReport,
    pub form: StoredForm,
    pub trail: Vec<Region>,
    pub events: Vec<Event>,
}

pub fn report_page(
    conn: &Connection,
    mission_id: i64,
    observer_id: i64,
    report_id: &str,
) -> Result<ReportPage, StoreError> {
    let report = reports::own(conn, mission_id, observer_id, report_id)?;
    Ok(ReportPage {
        form: forms::by_id(conn, mission_id, report.form_id)?,
        trail: regions::trail(conn, report.region_id)?,
        events: reports::history_for_observer(conn, &report.id)?,
        report,
    })
}
