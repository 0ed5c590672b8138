//! What the dashboard and its map read: one call each, in one read transaction, every
//! figure counted from the report facts (`store::facts`), never from kept aggregates.

use std::sync::Arc;

use rusqlite::{Connection, params};

use super::facts::Facts;
use super::forms::{self, FormSummary};
use super::missions::{self, Mission, Team};
use super::regions::{self, Region};
use super::roster::Rosters;
use super::{Store, StoreError};
use crate::domain::facts::{MapStation, Selection, Tallied};
use crate::domain::form::FormDefinition;
use crate::domain::message::Message;
use crate::domain::roster::{Silent, Thresholds};

/// What the dashboard asks for.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub slug: String,
    pub mission_id: i64,
    /// The reports counted; its region is the one looked at.
    pub selection: Selection,
    /// Observers who filed since then are active.
    pub active_since: i64,
    /// Observers who have not filed since then are silent.
    pub silent_since: i64,
    /// Silent observers listed by name; the rest are counted.
    pub silent_listed: usize,
    /// Regions listed under the one looked at.
    pub children_listed: u32,
}

/// Everything the dashboard shows, read at one moment: the figures agree with each other.
#[derive(Debug, Clone)]
pub struct DashboardPage {
    pub mission: Mission,
    pub region: Option<Region>,
    /// The region looked at and those above it, top first.
    pub trail: Vec<Region>,
    pub levels: Vec<String>,
    /// The newest version of each form, with its definition.
    pub forms: Vec<(FormSummary, Arc<FormDefinition>)>,
    /// The regions directly under the one looked at, by name.
    pub children: Vec<Region>,
    pub tallied: Tallied,
    pub active: i64,
    pub silent: Vec<ObserverActivity>,
    pub silent_total: i64,
    /// Regions at each level of the geography: (level, count).
    pub geography: Vec<(String, i64)>,
    pub team: Team,
}

/// An observer and when they last filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObserverActivity {
    pub user_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub team: Option<String>,
    pub reports: i64,
    pub last_at: Option<i64>,
}

/// The dashboard of a mission (or of one of its regions) under its filters.
pub async fn page(store: &Store, request: PageRequest) -> Result<DashboardPage, StoreError> {
    let (facts, rosters) = (store.facts(), store.rosters());
    store
        .read(move |conn| read_page(conn, &facts, &rosters, &request))
        .await
}

fn read_page(
    conn: &Connection,
    facts: &Facts,
    rosters: &Rosters,
    request: &PageRequest,
) -> Result<DashboardPage, StoreError> {
    let mission_id = request.mission_id;
    let region = region_of(conn, mission_id, request.selection.region_id)?;
    let mut forms = Vec::new();
    for summary in forms::current(conn, mission_id, false)? {
        let definition = forms::by_id(conn, mission_id, summary.id)?.definition;
        forms.push((summary, definition));
    }
    let roster = rosters.of(conn, mission_id)?;
    let subtree = region
        .as_ref()
        .map(|r| regions_under(conn, mission_id, r))
        .transpose()?;
    let children = regions::children(
        conn,
        mission_id,
        region.as_ref().map(|r| r.id),
        request.children_listed,
    )?;
    let trail = match &region {
        Some(r) => regions::trail(conn, r.id)?,
        None => Vec::new(),
    };
    let thresholds = Thresholds {
        active_since: request.active_since,
        silent_since: request.silent_since,
        silent_listed: request.silent_listed,
    };
    let (tallied, standing) = facts.with_mission(mission_id, |m| {
        (
            m.tally(&request.selection),
            roster.standing(subtree.as_deref(), |id| m.activity(id), thresholds),
        )
    })?;
    Ok(DashboardPage {
        mission: missions::by_slug(conn, &request.slug)?,
        region,
        trail,
        levels: regions::levels(conn, mission_id)?,
        forms,
        children,
        tallied,
        active: standing.active,
        silent: named(conn, mission_id, &standing.silent)?,
        silent_total: standing.silent_total,
        geography: regions::counts_by_level(conn, mission_id)?,
        team: roster.team(),
    })
}

/// The map's stations: those under the region looked at with coordinates, each with its
/// standing selected reports; how many have none; and the region.
#[derive(Debug, Clone)]
pub struct MapPage {
    pub region: Option<Region>,
    pub stations: Vec<MapStation>,
    pub unlocated: i64,
}

/// The map of a mission (or of one of its regions) under the dashboard's filters.
pub async fn map(
    store: &Store,
    mission_id: i64,
    selection: Selection,
) -> Result<MapPage, StoreError> {
    let facts = store.facts();
    store
        .read(move |conn| {
            let region = region_of(conn, mission_id, selection.region_id)?;
            let (stations, unlocated) = facts.with_mission(mission_id, |m| m.map(&selection))?;
            Ok(MapPage {
                region,
                stations,
                unlocated,
            })
        })
        .await
}

/// The region a filter names, refused with a clear message when it is not the mission's.
fn region_of(
    conn: &Connection,
    mission_id: i64,
    region_id: Option<i64>,
) -> Result<Option<Region>, StoreError> {
    region_id
        .map(|id| regions::by_id(conn, mission_id, id))
        .transpose()
        .map_err(|e| match e {
            StoreError::NotFound(_) => {
                StoreError::Rejected(Message::new("dashboard.filters.not_in_mission"))
            }
            other => other,
        })
}

/// The ids of a region and of every region under it: observers deployed in any of them
/// count for it.
fn regions_under(
    conn: &Connection,
    mission_id: i64,
    region: &Region,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM regions WHERE mission_id = ?1 AND path >= ?2 AND path < ?3",
    )?;
    let rows = stmt.query_map(
        params![mission_id, region.path.as_str(), region.path.subtree_end()],
        |r| r.get(0),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The silent observers listed, in the order given, with their names: a page lists a few
/// of the mission's thousands.
fn named(
    conn: &Connection,
    mission_id: i64,
    silent: &[Silent],
) -> Result<Vec<ObserverActivity>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.display_name, u.phone, m.team FROM users u
         JOIN memberships m ON m.user_id = u.id WHERE u.id = ?1 AND m.mission_id = ?2",
    )?;
    silent
        .iter()
        .map(|one| {
            let (name, phone, team) = stmt.query_row(params![one.user_id, mission_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            Ok(ObserverActivity {
                user_id: one.user_id,
                name,
                phone,
                team,
                reports: one.reports,
                last_at: one.last_at,
            })
        })
        .collect()
}
