//! Everything the review queue's page shows, read in one transaction: the typed searches
//! looked up, the counts, the urgent reports, one page of the queue, and the words its
//! filter controls offer.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use rusqlite::Connection;

use super::text_search::{Wanted, searched};
use super::{QueueLine, QueueQuery, counts_by_status, facts_selection, page, urgent};
use crate::domain::finding::Stage;
use crate::domain::form::FormDefinition;
use crate::domain::lookup::{Found, Lookup};
use crate::domain::message::Message;
use crate::domain::queue::{Filter, text_query};
use crate::domain::report::local_to_unix;
use crate::domain::review::Status;
use crate::i18n::Lang;
use crate::store::facts::Facts;
use crate::store::regions::{self, Region};
use crate::store::users::{self, ObserverMatch};
use crate::store::{StoreError, findings, forms};

/// Matches of a search listed for the reviewer to choose from: enough to see the one
/// meant, few enough that a search matching thousands stays a small page.
pub const MATCHES_LISTED: usize = 20;

/// A filter with its typed searches looked up.
pub struct Settled {
    /// The filter with each search that found its one observer or place replaced by it,
    /// so that links carry the choice and not the words.
    pub filter: Filter,
    pub observer: Option<Found<ObserverMatch>>,
    pub place: Option<Found<Region>>,
}

impl Settled {
    /// Whether a search found no one or several: the reviewer chooses before any report
    /// is shown, rather than see reports the search did not ask for.
    pub fn pending(&self) -> bool {
        let unsettled = |found: Option<bool>| found == Some(false);
        unsettled(self.observer.as_ref().map(|f| f.one().is_some()))
            || unsettled(self.place.as_ref().map(|f| f.one().is_some()))
    }
}

/// Looks up the observer and the place typed into the filter.
fn settle(conn: &Connection, mission_id: i64, filter: &Filter) -> Result<Settled, StoreError> {
    let listed = u32::try_from(MATCHES_LISTED + 1).unwrap_or(u32::MAX);
    let mut settled = filter.clone();
    let observer = match Lookup::new(&filter.who) {
        Some(lookup) => {
            let found = Found::settle(
                users::find_observers(conn, mission_id, &lookup, listed)?,
                MATCHES_LISTED,
            );
            if let Some(one) = found.one() {
                settled = settled.with_observer(one.user_id);
            }
            Some(found)
        }
        None => None,
    };
    let place = match Lookup::new(&filter.place) {
        Some(lookup) => {
            let found = Found::settle(
                regions::lookup(conn, mission_id, &lookup, listed)?,
                MATCHES_LISTED,
            );
            if let Some(one) = found.one() {
                settled = settled.with_region(one.id);
            }
            Some(found)
        }
        None => None,
    };
    Ok(Settled {
        filter: settled,
        observer,
        place,
    })
}

/// Turns the typed filter into what the store queries. A search that found no one or
/// several is refused: an export or a link never stands for reports nobody chose.
pub fn resolve(
    conn: &Connection,
    mission_id: i64,
    time_zone: &str,
    filter: &Filter,
) -> Result<QueueQuery, StoreError> {
    let settled = settle(conn, mission_id, filter)?;
    if settled.pending() {
        return Err(StoreError::Rejected(Message::new(
            "review.queue.search_unsettled",
        )));
    }
    query_of(conn, mission_id, time_zone, &settled.filter)
}

/// The store's query for a filter whose searches are settled.
fn query_of(
    conn: &Connection,
    mission_id: i64,
    time_zone: &str,
    filter: &Filter,
) -> Result<QueueQuery, StoreError> {
    let region_path = match filter.region {
        Some(id) => Some(place_in_mission(conn, mission_id, id)?.path),
        None => None,
    };
    Ok(QueueQuery {
        mission_id,
        region_path,
        region_id: filter.region,
        form_keys: filter.forms.clone(),
        categories: filter.categories.clone(),
        severities: filter.severities.clone(),
        statuses: filter.statuses.clone(),
        problems_only: filter.problems_only,
        problem: (!filter.problem.is_empty()).then(|| filter.problem.clone()),
        observer_id: filter.observer,
        received_from: local_to_unix(&filter.from, time_zone),
        received_to: local_to_unix(&filter.to, time_zone),
        text: text_query(&filter.text),
    })
}

/// A region of the filter; one of another mission (an edited link) is refused.
fn place_in_mission(conn: &Connection, mission_id: i64, id: i64) -> Result<Region, StoreError> {
    regions::by_id(conn, mission_id, id).map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::Rejected(Message::new("review.queue.place_outside")),
        other => other,
    })
}

/// The queue a report page was opened from, and the store's query for it. The filter
/// came in a link: one that no longer reads (a place since removed, an edited address)
/// falls back to the whole queue.
pub(super) fn carried_queue(
    conn: &Connection,
    mission_id: i64,
    time_zone: &str,
    carried: &Filter,
) -> Result<(Filter, QueueQuery), StoreError> {
    let settled = settle(conn, mission_id, carried)?;
    if !settled.pending() {
        match query_of(conn, mission_id, time_zone, &settled.filter) {
            Ok(query) => return Ok((settled.filter, query)),
            Err(StoreError::Rejected(_)) => {}
            Err(other) => return Err(other),
        }
    }
    let whole = Filter::default();
    let query = query_of(conn, mission_id, time_zone, &whole)?;
    Ok((whole, query))
}

/// Which queue page to read, and for whom.
pub struct QueueRequest {
    pub mission_id: i64,
    pub time_zone: String,
    pub lang: Lang,
    pub filter: Filter,
    /// Lines of the page; one more is read to know whether a next page exists.
    pub lines: u32,
    /// Urgent reports shown above the page.
    pub urgent: u32,
    /// Leads add reports to findings from the queue: list the open ones.
    pub open_findings: bool,
    /// Matches of a free-text search counted at most (`COUNTED_MATCHES` in service).
    pub counted_matches: usize,
}

/// A chosen observer as the filter names them.
pub struct ChosenObserver {
    pub name: String,
    pub username: String,
    pub phone: Option<String>,
}

/// What the queue page shows.
pub struct QueuePage {
    pub settled: Settled,
    pub counts: Vec<(Status, i64)>,
    /// `None` when the counts are exact; for a search matching more reports than the
    /// queue counts, how many of its newest matches were counted: each count is then a
    /// lower bound.
    pub counted_to: Option<usize>,
    pub urgent: Vec<QueueLine>,
    /// Up to `lines + 1` lines: one past the page says there is a next one.
    pub lines: Vec<QueueLine>,
    /// The definitions of the forms the listed reports were filed with.
    pub definitions: HashMap<i64, Arc<FormDefinition>>,
    pub forms: Vec<forms::FormSummary>,
    pub categories: Vec<(String, String)>,
    pub levels: Vec<String>,
    pub observer: Option<ChosenObserver>,
    /// The chosen place and its trail.
    pub place: Option<(Region, Vec<Region>)>,
    /// The trails of the places a search listed, by region id.
    pub place_trails: HashMap<i64, Vec<Region>>,
    /// Findings not yet published: (id, title).
    pub open_findings: Vec<(i64, String)>,
}

/// The queue page.
pub fn queue_page(
    conn: &Connection,
    facts: &Facts,
    request: &QueueRequest,
) -> Result<QueuePage, StoreError> {
    let mission_id = request.mission_id;
    let settled = settle(conn, mission_id, &request.filter)?;
    let chosen = &settled.filter;
    let (counts, counted_to, urgent_lines, lines) = if settled.pending() {
        (Vec::new(), None, Vec::new(), Vec::new())
    } else {
        let query = query_of(conn, mission_id, &request.time_zone, chosen)?;
        match (&query.text, facts_selection(&query)) {
            (Some(text), Some(selection)) => {
                let wanted = Wanted {
                    sort: chosen.sort,
                    after: chosen.after,
                    lines: request.lines + 1,
                    urgent: request.urgent,
                    counted: request.counted_matches,
                };
                let found = searched(conn, facts, &query, text, &selection, &wanted)?;
                (found.counts, found.counted_to, found.urgent, found.lines)
            }
            _ => (
                counts_by_status(conn, facts, &query)?,
                None,
                urgent(conn, &query, request.urgent)?,
                page(conn, &query, chosen.sort, chosen.after, request.lines + 1)?,
            ),
        }
    };
    let mut definitions = HashMap::new();
    for line in urgent_lines.iter().chain(&lines) {
        if let Entry::Vacant(entry) = definitions.entry(line.form_id) {
            entry.insert(forms::by_id(conn, mission_id, line.form_id)?.definition);
        }
    }
    let observer = match chosen.observer {
        Some(id) => {
            let m = users::member(conn, mission_id, id).map_err(|e| match e {
                StoreError::NotFound(_) => {
                    StoreError::Rejected(Message::new("review.queue.observer_outside"))
                }
                other => other,
            })?;
            Some(ChosenObserver {
                name: m.display_name,
                username: m.username,
                phone: m.phone,
            })
        }
        None => None,
    };
    let place = match chosen.region {
        Some(id) => {
            let region = place_in_mission(conn, mission_id, id)?;
            Some((region, regions::trail(conn, id)?))
        }
        None => None,
    };
    let mut place_trails = HashMap::new();
    if let Some(Found::Several { shown, .. }) = &settled.place {
        for region in shown {
            place_trails.insert(region.id, regions::trail(conn, region.id)?);
        }
    }
    let open_findings = if request.open_findings {
        findings::list(conn, mission_id)?
            .into_iter()
            .filter(|f| f.stage != Stage::Published)
            .map(|f| (f.id, f.title))
            .collect()
    } else {
        Vec::new()
    };
    Ok(QueuePage {
        counts,
        counted_to,
        urgent: urgent_lines,
        lines,
        definitions,
        forms: forms::current(conn, mission_id, false)?,
        categories: forms::incident_categories(conn, mission_id, request.lang)?,
        levels: regions::levels(conn, mission_id)?,
        observer,
        place,
        place_trails,
        open_findings,
        settled,
    })
}
