//! What the dashboard and its map read: one call each, in one read transaction, every
//! figure counted from the report facts (`store::facts`), never from kept aggregates.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params_from_iter};

use super::facts::Facts;
use super::forms::{self, FormSummary};
use super::missions::{self, Mission, Team};
use super::regions::{self, Region};
use super::{Store, StoreError};
use crate::domain::facts::{MapStation, MissionFacts, Selection, Tallied};
use crate::domain::form::FormDefinition;
use crate::domain::message::Message;

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
    let facts = store.facts();
    store
        .read(move |conn| read_page(conn, &facts, &request))
        .await
}

fn read_page(
    conn: &Connection,
    facts: &Facts,
    request: &PageRequest,
) -> Result<DashboardPage, StoreError> {
    let mission_id = request.mission_id;
    let region = region_of(conn, mission_id, request.selection.region_id)?;
    let mut forms = Vec::new();
    for summary in forms::current(conn, mission_id, false)? {
        let definition = forms::by_id(conn, mission_id, summary.id)?.definition;
        forms.push((summary, definition));
    }
    let observers = observers_under(conn, mission_id, region.as_ref())?;
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
    let (tallied, (active, silent, silent_total)) = facts.with_mission(mission_id, |m| {
        (
            m.tally(&request.selection),
            activity(m, &observers, request),
        )
    })?;
    let silent = named(conn, mission_id, silent, request.silent_listed)?;
    Ok(DashboardPage {
        mission: missions::by_slug(conn, &request.slug)?,
        region,
        trail,
        levels: regions::levels(conn, mission_id)?,
        forms,
        children,
        tallied,
        active,
        silent,
        silent_total,
        geography: regions::counts_by_level(conn, mission_id)?,
        team: missions::team(conn, mission_id)?,
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

/// The mission's observers deployed under a region (all of them for the mission), by
/// id. An observer without an assignment counts for the mission only. Ids alone: a
/// national mission has tens of thousands, and only the few listed silent need a name.
fn observers_under(
    conn: &Connection,
    mission_id: i64,
    region: Option<&Region>,
) -> Result<Vec<i64>, StoreError> {
    let mut sql = "SELECT m.user_id
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.mission_id = ? AND m.role = 'observer' AND u.disabled_at IS NULL"
        .to_owned();
    let mut values = vec![Sql::Integer(mission_id)];
    if let Some(region) = region {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM assignments a JOIN regions g ON g.id = a.region_id
                          WHERE a.user_id = m.user_id AND a.mission_id = m.mission_id
                            AND g.path >= ? AND g.path < ?)",
        );
        values.push(Sql::Text(region.path.to_string()));
        values.push(Sql::Text(region.path.subtree_end()));
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An observer silent since before the dashboard's threshold: (user id, reports, when
/// they last filed).
type Silent = (i64, i64, Option<i64>);

/// How many observers are active, and those silent longest first with how many are
/// silent in all. Of the silent, those listed are kept, and every other who last filed
/// at the same time as the last listed: their names decide between them.
fn activity(
    facts: &MissionFacts,
    observers: &[i64],
    request: &PageRequest,
) -> (i64, Vec<Silent>, i64) {
    let mut active = 0;
    let mut silent = Vec::new();
    for &user_id in observers {
        let activity = facts.activity(user_id);
        let last = activity.map_or(0, |a| a.last_at);
        if last >= request.active_since {
            active += 1;
        }
        if last < request.silent_since {
            silent.push((
                user_id,
                activity.map_or(0, |a| a.reports),
                activity.map(|a| a.last_at),
            ));
        }
    }
    let total = i64::try_from(silent.len()).unwrap_or(i64::MAX);
    silent.sort_unstable_by_key(|(_, _, last)| last.unwrap_or(0));
    if let Some(&(_, _, boundary)) = silent.get(request.silent_listed.saturating_sub(1)) {
        let boundary = boundary.unwrap_or(0);
        let kept = silent.partition_point(|(_, _, last)| last.unwrap_or(0) <= boundary);
        silent.truncate(kept.max(request.silent_listed));
    }
    if request.silent_listed == 0 {
        silent.clear();
    }
    (active, silent, total)
}

/// Above this many silent observers to name (a tie among many who never filed), one
/// read of every observer of the mission costs less than a read of each.
const NAMED_ONE_BY_ONE: usize = 256;

/// The silent observers listed, with their names, longest silent first and by name.
fn named(
    conn: &Connection,
    mission_id: i64,
    silent: Vec<Silent>,
    listed: usize,
) -> Result<Vec<ObserverActivity>, StoreError> {
    let details =
        |r: &rusqlite::Row<'_>| -> rusqlite::Result<(String, Option<String>, Option<String>)> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        };
    let mut named = Vec::with_capacity(silent.len());
    let mut add = |(user_id, reports, last_at): Silent, (name, phone, team)| {
        named.push(ObserverActivity {
            user_id,
            name,
            phone,
            team,
            reports,
            last_at,
        });
    };
    if silent.len() <= NAMED_ONE_BY_ONE {
        let mut stmt = conn.prepare_cached(
            "SELECT u.display_name, u.phone, m.team FROM users u
             JOIN memberships m ON m.user_id = u.id WHERE u.id = ?1 AND m.mission_id = ?2",
        )?;
        for one in silent {
            add(one, stmt.query_row([one.0, mission_id], details)?);
        }
    } else {
        let mut wanted: HashMap<i64, Silent> = silent.into_iter().map(|s| (s.0, s)).collect();
        let mut stmt = conn.prepare_cached(
            "SELECT u.display_name, u.phone, m.team, u.id FROM memberships m
             JOIN users u ON u.id = m.user_id WHERE m.mission_id = ?1 AND m.role = 'observer'",
        )?;
        let mut rows = stmt.query([mission_id])?;
        while let Some(row) = rows.next()? {
            if let Some(one) = wanted.remove(&row.get::<_, i64>(3)?) {
                add(one, details(row)?);
            }
        }
    }
    named.sort_by(|a, b| {
        a.last_at
            .unwrap_or(0)
            .cmp(&b.last_at.unwrap_or(0))
            .then_with(|| a.name.cmp(&b.name))
    });
    named.truncate(listed);
    Ok(named)
}
