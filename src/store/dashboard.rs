//! What the dashboard reads: the tallies kept at write time, never the reports. Each
//! query's cost grows with the regions and dimensions on screen, not with the reports.

use std::collections::HashMap;

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params, params_from_iter};

use super::StoreError;
use super::regions::{self, Region};

/// The dashboard's filters, resolved for the store.
#[derive(Debug, Clone, Default)]
pub struct TallyQuery {
    pub mission_id: i64,
    /// The region looked at; 0 is the whole mission.
    pub region_id: i64,
    /// Form keys; empty means every form.
    pub form_keys: Vec<String>,
    pub categories: Vec<String>,
    /// Severity ranks (1 low .. 4 critical).
    pub severities: Vec<i64>,
    /// Never empty: the dashboard always says which statuses it counts.
    pub statuses: Vec<String>,
    /// Hours of arrival, [from, to) in unix hours; `None` for all time.
    pub hours: Option<(i64, i64)>,
}

/// A count of reports sharing these values; a dimension not asked for is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    pub region_id: i64,
    pub kind: String,
    pub form_key: String,
    pub category: String,
    pub severity: i64,
    pub status: String,
    pub reports: i64,
    pub problem_reports: i64,
}

/// The tally table to read and the WHERE clause for the query's filters (`t` the tally,
/// `f` its form); the caller adds the places.
fn filters(query: &TallyQuery) -> (&'static str, String, Vec<Sql>) {
    let mut clauses = vec!["t.mission_id = ?".to_owned()];
    let mut values = vec![Sql::Integer(query.mission_id)];
    let mut any_of = |column: &str, items: Vec<Sql>| {
        if !items.is_empty() {
            clauses.push(format!(
                "{column} IN ({})",
                vec!["?"; items.len()].join(", ")
            ));
            values.extend(items);
        }
    };
    any_of(
        "f.key",
        query.form_keys.iter().cloned().map(Sql::Text).collect(),
    );
    any_of(
        "t.category",
        query.categories.iter().cloned().map(Sql::Text).collect(),
    );
    any_of(
        "t.severity",
        query.severities.iter().copied().map(Sql::Integer).collect(),
    );
    any_of(
        "t.status",
        query.statuses.iter().cloned().map(Sql::Text).collect(),
    );
    let table = match query.hours {
        Some((from, to)) => {
            clauses.push("t.hour >= ? AND t.hour < ?".to_owned());
            values.push(Sql::Integer(from));
            values.push(Sql::Integer(to));
            "tally_hours"
        }
        None => "tally_totals",
    };
    (table, clauses.join(" AND "), values)
}

/// The reports of the region looked at, by kind, form, category, severity and status.
pub fn here(conn: &Connection, query: &TallyQuery) -> Result<Vec<Tally>, StoreError> {
    let (table, clause, mut values) = filters(query);
    values.push(Sql::Integer(query.region_id));
    let sql = format!(
        "SELECT f.kind, f.key, t.category, t.severity, t.status, sum(t.reports), sum(t.problem_reports)
         FROM {table} t JOIN forms f ON f.id = t.form_id
         WHERE {clause} AND t.region_id = ?
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(t.reports) <> 0"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok(Tally {
            region_id: query.region_id,
            kind: r.get(0)?,
            form_key: r.get(1)?,
            category: r.get(2)?,
            severity: r.get(3)?,
            status: r.get(4)?,
            reports: r.get(5)?,
            problem_reports: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The reports of the region looked at by status: (status, reports, with problems).
pub fn by_status(
    conn: &Connection,
    query: &TallyQuery,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let (table, clause, mut values) = filters(query);
    let table = without_categories(query).unwrap_or(table);
    values.push(Sql::Integer(query.region_id));
    let sql = format!(
        "SELECT t.status, sum(t.reports), sum(t.problem_reports)
         FROM {table} t JOIN forms f ON f.id = t.form_id
         WHERE {clause} AND t.region_id = ?
         GROUP BY 1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The reports of each region directly under the one looked at, by kind and severity.
pub fn by_child(conn: &Connection, query: &TallyQuery) -> Result<Vec<Tally>, StoreError> {
    let (table, clause, filter_values) = filters(query);
    let table = without_categories(query).unwrap_or(table);
    let (children, value) = regions::children_condition(parent(query));
    // The children's condition names its parameters ?1 and ?2 and comes first in the
    // text: SQLite numbers each plain `?` after it from 3 on, in the filters' order.
    let mut values = vec![Sql::Integer(query.mission_id), Sql::Integer(value)];
    values.extend(filter_values);
    let sql = format!(
        "SELECT t.region_id, f.kind, t.severity, sum(t.reports), sum(t.problem_reports)
         FROM {table} t JOIN forms f ON f.id = t.form_id
         WHERE t.region_id IN (SELECT id FROM regions WHERE {children}) AND {clause}
         GROUP BY 1, 2, 3 HAVING sum(t.reports) <> 0"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok(Tally {
            region_id: r.get(0)?,
            kind: r.get(1)?,
            severity: r.get(2)?,
            reports: r.get(3)?,
            problem_reports: r.get(4)?,
            ..Tally::default()
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The narrow tally without incident categories (a fraction of the rows) when the query
/// neither chooses categories nor a time window.
fn without_categories(query: &TallyQuery) -> Option<&'static str> {
    (query.categories.is_empty() && query.hours.is_none()).then_some("tally_severities")
}

/// The region whose children are listed: `None` for the top level.
fn parent(query: &TallyQuery) -> Option<i64> {
    (query.region_id != 0).then_some(query.region_id)
}

/// Reports by hour of arrival in the region looked at: (unix hour, reports).
pub fn hourly(conn: &Connection, query: &TallyQuery) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut query = query.clone();
    // The hourly table is read whatever the window; an open window is all time.
    let hours = query.hours.unwrap_or((i64::MIN, i64::MAX));
    query.hours = Some(hours);
    let (table, clause, mut values) = filters(&query);
    values.push(Sql::Integer(query.region_id));
    // With no form, category or severity chosen, hours by status are all it takes: a
    // row per hour and status rather than per every combination of them.
    let by_status_only =
        query.form_keys.is_empty() && query.categories.is_empty() && query.severities.is_empty();
    let from = if by_status_only {
        "tally_hour_statuses t".to_owned()
    } else {
        format!("{table} t JOIN forms f ON f.id = t.form_id")
    };
    let sql = format!(
        "SELECT t.hour, sum(t.reports) FROM {from}
         WHERE {clause} AND t.region_id = ?
         GROUP BY 1 HAVING sum(t.reports) <> 0 ORDER BY 1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Polling stations under a region, and how many have a standing report of each form
/// key ('' for any form): the region looked at (0 the mission) or its children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    pub region_id: i64,
    pub stations: i64,
    /// (form key, stations reported).
    pub reported: Vec<(String, i64)>,
}

impl Coverage {
    /// Stations with a standing report of this form key ('' for any).
    pub fn reported(&self, form_key: &str) -> i64 {
        self.reported
            .iter()
            .find(|(k, _)| k == form_key)
            .map_or(0, |(_, n)| *n)
    }
}

/// Coverage of the region looked at; a polling station covers itself, or not.
pub fn coverage_here(
    conn: &Connection,
    mission_id: i64,
    region_id: i64,
) -> Result<Coverage, StoreError> {
    let is_station: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM regions WHERE id = ?2 AND mission_id = ?1
                 AND depth = (SELECT max(depth) FROM region_levels WHERE mission_id = ?1))",
        )?
        .query_row(params![mission_id, region_id], |r| r.get(0))?;
    if is_station {
        let reported = conn
            .prepare_cached(
                "SELECT form_key, reports > 0 FROM station_tallies WHERE station_id = ?1",
            )?
            .query_map([region_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        return Ok(Coverage {
            region_id,
            stations: 1,
            reported,
        });
    }
    let stations = stations_under(conn, mission_id, region_id)?;
    let reported = conn
        .prepare_cached(
            "SELECT form_key, stations FROM region_coverage WHERE mission_id = ?1 AND region_id = ?2",
        )?
        .query_map(params![mission_id, region_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Coverage {
        region_id,
        stations,
        reported,
    })
}

/// The regions directly under the one looked at, each with its path and its polling
/// stations (a child that is itself a station counts as one), nothing yet reported.
fn children_totals(
    conn: &Connection,
    mission_id: i64,
    region_id: i64,
) -> Result<Vec<(String, Coverage)>, StoreError> {
    let (condition, parent) = regions::children_condition((region_id != 0).then_some(region_id));
    let deepest = regions::deepest_level(conn, mission_id)?;
    let mut totals = conn.prepare_cached(&format!(
        "SELECT g.id, g.path, CASE WHEN g.depth = ?3 THEN 1 ELSE coalesce(s.stations, 0) END
         FROM (SELECT id, path, depth, mission_id FROM regions WHERE {condition}) g
         LEFT JOIN region_stations s ON s.mission_id = g.mission_id AND s.region_id = g.id"
    ))?;
    let children = totals
        .query_map(params![mission_id, parent, deepest], |r| {
            Ok((
                r.get(1)?,
                Coverage {
                    region_id: r.get(0)?,
                    stations: r.get(2)?,
                    reported: Vec::new(),
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(children)
}

/// Polling stations under a region that is not itself one (0: the whole mission).
fn stations_under(conn: &Connection, mission_id: i64, region_id: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(max(stations), 0) FROM region_stations WHERE mission_id = ?1 AND region_id = ?2",
        )?
        .query_row(params![mission_id, region_id], |r| r.get(0))?)
}

/// Coverage of each region directly under the one looked at. A child that is itself a
/// polling station counts as one station, reported or not.
pub fn coverage_by_child(
    conn: &Connection,
    mission_id: i64,
    region_id: i64,
) -> Result<Vec<Coverage>, StoreError> {
    let (condition, parent) = regions::children_condition((region_id != 0).then_some(region_id));
    let mut children: Vec<Coverage> = children_totals(conn, mission_id, region_id)?
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let mut reported = conn.prepare_cached(&format!(
        "SELECT c.region_id, c.form_key, c.stations FROM region_coverage c
         WHERE c.mission_id = ?1 AND c.region_id IN (SELECT id FROM regions WHERE {condition})
         UNION ALL
         SELECT t.station_id, t.form_key, t.reports > 0 FROM station_tallies t
         WHERE t.station_id IN (SELECT id FROM regions WHERE {condition})"
    ))?;
    let rows = reported.query_map(params![mission_id, parent], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (id, key, stations) = row?;
        if let Some(child) = children.iter_mut().find(|c| c.region_id == id) {
            child.reported.push((key, stations));
        }
    }
    Ok(children)
}

/// Stations under the region looked at where each checklist question's problem was seen:
/// (form key, question key, stations).
pub fn problems_here(
    conn: &Connection,
    mission_id: i64,
    region_id: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT form_key, question, stations FROM region_problems
         WHERE mission_id = ?1 AND region_id = ?2 AND stations <> 0",
    )?;
    let rows = stmt.query_map(params![mission_id, region_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Problems seen at one polling station: (form key, question key, 1) for each.
pub fn problems_at_station(
    conn: &Connection,
    station_id: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT form_key, question, 1 FROM station_problems WHERE station_id = ?1 AND reports > 0",
    )?;
    let rows = stmt.query_map([station_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Polling-station figures counted under every filter, for a view the kept figures do
/// not answer (a category, a severity, some statuses only, a time window).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StationsCounted {
    /// The region looked at (the mission for `None`).
    pub here: Coverage,
    /// The regions directly under it.
    pub children: Vec<Coverage>,
    /// (form key, question key, stations where a matching report flags it).
    pub problems: Vec<(String, String, i64)>,
}

/// Counts, for the region looked at and each region under it, the polling stations with a
/// report matching every filter of `query` (`query.statuses` are those that count, never
/// empty), and per checklist question the stations where such a report flags the problem.
/// Reads the station rows of the tallies (each station's combinations of form, category,
/// severity, status and hour), never the reports: the cost grows with the stations in view
/// and the combinations they hold.
pub fn stations_counted(
    conn: &Connection,
    query: &TallyQuery,
    region: Option<&Region>,
) -> Result<StationsCounted, StoreError> {
    let mission_id = query.mission_id;
    let deepest = regions::deepest_level(conn, mission_id)?;
    let region_id = region.map_or(0, |r| r.id);
    let is_station = region.is_some_and(|r| r.depth == deepest);
    let mut counted = StationsCounted {
        here: Coverage {
            region_id,
            stations: if is_station {
                1
            } else {
                stations_under(conn, mission_id, region_id)?
            },
            reported: Vec::new(),
        },
        children: Vec::new(),
        problems: Vec::new(),
    };
    let mut children = if is_station {
        Vec::new()
    } else {
        children_totals(conn, mission_id, region_id)?
    };
    children.sort_by(|a, b| a.0.cmp(&b.0));
    if query.statuses.is_empty() {
        counted.children = children.into_iter().map(|(_, c)| c).collect();
        return Ok(counted);
    }
    let (low, high) = subtree(region);
    let (table, clause, filter_values) = filters(query);
    let mut values = vec![
        Sql::Integer(mission_id),
        Sql::Integer(deepest),
        Sql::Text(low),
        Sql::Text(high),
    ];
    values.extend(filter_values);
    // Station by station in path order, each station's rows in key order: grouping by
    // form id (named after) follows the keys and needs no sort of the whole mission.
    let stations_sql = format!(
        "SELECT g.path, t.form_id
         FROM regions g CROSS JOIN {table} t ON t.mission_id = g.mission_id AND t.region_id = g.id
         JOIN forms f ON f.id = t.form_id
         WHERE g.mission_id = ? AND g.depth = ? AND g.path >= ? AND g.path < ? AND {clause}
         GROUP BY g.path, t.form_id HAVING sum(t.reports) > 0 ORDER BY g.path, t.form_id"
    );
    // The problem rows have every dimension of the hourly tallies: the same filters apply.
    let problems_sql = format!(
        "SELECT g.path, t.form_id, t.question
         FROM regions g CROSS JOIN station_problem_hours t ON t.station_id = g.id
         JOIN forms f ON f.id = t.form_id
         WHERE g.mission_id = ? AND g.depth = ? AND g.path >= ? AND g.path < ? AND {clause}
         GROUP BY g.path, t.form_id, t.question HAVING sum(t.reports) > 0"
    );
    let form_keys: HashMap<i64, String> = conn
        .prepare_cached("SELECT id, key FROM forms WHERE mission_id = ?1")?
        .query_map([mission_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let key_of = |id: i64| form_keys.get(&id).cloned().unwrap_or_default();
    let mut here: HashMap<String, i64> = HashMap::new();
    let mut by_child: Vec<HashMap<String, i64>> = vec![HashMap::new(); children.len()];
    let mut last_station = String::new();
    let mut stmt = conn.prepare_cached(&stations_sql)?;
    let mut rows = stmt.query(params_from_iter(values.iter()))?;
    while let Some(row) = rows.next()? {
        let path: String = row.get(0)?;
        let form_key = key_of(row.get(1)?);
        // Rows come in station order: "any form" counts a station once.
        let first_of_station = path != last_station;
        let child = child_holding(&children, &path);
        for key in [Some(form_key), first_of_station.then(String::new)]
            .into_iter()
            .flatten()
        {
            if let Some(i) = child {
                *by_child[i].entry(key.clone()).or_default() += 1;
            }
            *here.entry(key).or_default() += 1;
        }
        last_station = path;
    }
    counted.here.reported = here.into_iter().collect();
    counted.children = children
        .into_iter()
        .zip(by_child)
        .map(|((_, mut c), reported)| {
            c.reported = reported.into_iter().collect();
            c
        })
        .collect();
    let mut problems: HashMap<(String, String), i64> = HashMap::new();
    let mut stmt = conn.prepare_cached(&problems_sql)?;
    let mut rows = stmt.query(params_from_iter(values.iter()))?;
    while let Some(row) = rows.next()? {
        *problems
            .entry((key_of(row.get(1)?), row.get(2)?))
            .or_default() += 1;
    }
    counted.problems = problems
        .into_iter()
        .map(|((form, question), n)| (form, question, n))
        .collect();
    counted.problems.sort();
    Ok(counted)
}

/// The child (sorted by path) whose subtree holds the station at `path`.
fn child_holding(children: &[(String, Coverage)], path: &str) -> Option<usize> {
    let i = children
        .partition_point(|(p, _)| p.as_str() <= path)
        .checked_sub(1)?;
    path.starts_with(children[i].0.as_str()).then_some(i)
}

/// A polling station on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapStation {
    pub latitude: f64,
    pub longitude: f64,
    /// Standing reports of the chosen forms.
    pub reports: i64,
    /// The worst severity among them (0 none).
    pub worst: i64,
}

/// The polling stations under a region that have coordinates, with their standing
/// reports of these forms (every form when empty); and how many stations have none.
pub fn map_stations(
    conn: &Connection,
    mission_id: i64,
    region: Option<&Region>,
    form_keys: &[String],
) -> Result<(Vec<MapStation>, i64), StoreError> {
    let deepest = regions::deepest_level(conn, mission_id)?;
    let (low, high) = subtree(region);
    let keys: Vec<String> = if form_keys.is_empty() {
        vec![String::new()]
    } else {
        form_keys.to_vec()
    };
    let marks = vec!["?"; keys.len()].join(", ");
    // From the stations under the region, each joined to its own tallies: the cost grows
    // with the stations drawn, not with the mission.
    let sql = format!(
        "SELECT g.latitude, g.longitude, coalesce(sum(t.reports), 0),
                CASE WHEN sum(t.critical) > 0 THEN 4 WHEN sum(t.high) > 0 THEN 3
                     WHEN sum(t.medium) > 0 THEN 2 WHEN sum(t.low) > 0 THEN 1 ELSE 0 END
         FROM regions g LEFT JOIN station_tallies t ON t.station_id = g.id AND t.form_key IN ({marks})
         WHERE g.mission_id = ? AND g.depth = ? AND g.path >= ? AND g.path < ?
           AND g.latitude IS NOT NULL AND g.longitude IS NOT NULL
         GROUP BY g.id"
    );
    let mut values: Vec<Sql> = keys.into_iter().map(Sql::Text).collect();
    values.extend([
        Sql::Integer(mission_id),
        Sql::Integer(deepest),
        Sql::Text(low.clone()),
        Sql::Text(high.clone()),
    ]);
    let mut stmt = conn.prepare_cached(&sql)?;
    let stations = stmt
        .query_map(params_from_iter(values), map_station)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((stations, unlocated(conn, mission_id, deepest, &low, &high)?))
}

/// The path range of the region's subtree (the whole mission for `None`).
fn subtree(region: Option<&Region>) -> (String, String) {
    match region {
        Some(r) => (r.path.clone(), regions::path_upper_bound(&r.path)),
        None => ("/".to_owned(), "0".to_owned()),
    }
}

/// A map row: latitude, longitude, reports, worst severity.
fn map_station(r: &rusqlite::Row<'_>) -> rusqlite::Result<MapStation> {
    Ok(MapStation {
        latitude: r.get(0)?,
        longitude: r.get(1)?,
        reports: r.get(2)?,
        worst: r.get(3)?,
    })
}

/// Polling stations in the path range without coordinates: on the tables, not the map.
fn unlocated(
    conn: &Connection,
    mission_id: i64,
    deepest: i64,
    low: &str,
    high: &str,
) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM regions WHERE mission_id = ?1 AND depth = ?2 AND path >= ?3 AND path < ?4
               AND (latitude IS NULL OR longitude IS NULL)",
        )?
        .query_row(params![mission_id, deepest, low, high], |r| r.get(0))?)
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

/// The mission's observers deployed under a region (all of them for the mission): the
/// clause and its values. An observer without an assignment counts for the mission only.
fn observers_under(mission_id: i64, region_id: i64) -> (String, Vec<Sql>) {
    let mut clause =
        "m.mission_id = ? AND m.role = 'observer' AND u.disabled_at IS NULL".to_owned();
    let mut values = vec![Sql::Integer(mission_id)];
    if region_id != 0 {
        clause.push_str(
            " AND EXISTS (SELECT 1 FROM assignments a JOIN region_ancestors x ON x.region_id = a.region_id
                          WHERE a.user_id = m.user_id AND a.mission_id = m.mission_id AND x.ancestor_id = ?)",
        );
        values.push(Sql::Integer(region_id));
    }
    (clause, values)
}

/// How many observers deployed under the region filed since `since`.
pub fn active_observers(
    conn: &Connection,
    mission_id: i64,
    region_id: i64,
    since: i64,
) -> Result<i64, StoreError> {
    let (clause, mut values) = observers_under(mission_id, region_id);
    values.push(Sql::Integer(since));
    let sql = format!(
        "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
         JOIN observer_activity o ON o.mission_id = m.mission_id AND o.observer_id = m.user_id
         WHERE {clause} AND o.last_at >= ?"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| r.get(0))?)
}

/// Observers deployed under the region who have not filed since `since` (or never),
/// longest silent first, at most `limit`; and how many there are in all.
pub fn silent_observers(
    conn: &Connection,
    mission_id: i64,
    region_id: i64,
    since: i64,
    limit: u32,
) -> Result<(Vec<ObserverActivity>, i64), StoreError> {
    let (clause, mut values) = observers_under(mission_id, region_id);
    values.push(Sql::Integer(since));
    let from = format!(
        "FROM memberships m JOIN users u ON u.id = m.user_id
         LEFT JOIN observer_activity o ON o.mission_id = m.mission_id AND o.observer_id = m.user_id
         WHERE {clause} AND coalesce(o.last_at, 0) < ?"
    );
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) {from}"))?
        .query_row(params_from_iter(values.clone()), |r| r.get(0))?;
    values.push(Sql::Integer(i64::from(limit)));
    let sql = format!(
        "SELECT u.id, u.display_name, u.phone, m.team, coalesce(o.reports, 0), o.last_at {from}
         ORDER BY coalesce(o.last_at, 0), u.display_name LIMIT ?"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok(ObserverActivity {
            user_id: r.get(0)?,
            name: r.get(1)?,
            phone: r.get(2)?,
            team: r.get(3)?,
            reports: r.get(4)?,
            last_at: r.get(5)?,
        })
    })?;
    Ok((rows.collect::<Result<_, _>>()?, total))
}

/// The map under filters the station tallies do not keep (category, severity, status,
/// time window): each located station under the region with its matching reports and the
/// worst severity among them, from the station rows of the report tallies, which hold
/// every dimension; and how many stations have no coordinates. Slower than the kept map
/// (it reads each station's combinations), and an image of its own, outside the page.
pub fn map_stations_filtered(
    conn: &Connection,
    query: &TallyQuery,
    region: Option<&Region>,
) -> Result<(Vec<MapStation>, i64), StoreError> {
    let (table, clause, values) = filters(query);
    let deepest = regions::deepest_level(conn, query.mission_id)?;
    let (low, high) = subtree(region);
    // The matching rows are found from the stations under the region (each station's rows
    // by key), then the located stations are listed with them.
    let sql = format!(
        "WITH matched AS (
             SELECT s.id AS station, sum(t.reports) AS reports, max(t.severity) AS worst
             FROM regions s JOIN {table} t ON t.mission_id = s.mission_id AND t.region_id = s.id
             JOIN forms f ON f.id = t.form_id
             WHERE s.mission_id = ? AND s.depth = ? AND s.path >= ? AND s.path < ?
               AND {clause} AND t.reports > 0
             GROUP BY s.id)
         SELECT g.latitude, g.longitude, coalesce(m.reports, 0), coalesce(m.worst, 0)
         FROM regions g LEFT JOIN matched m ON m.station = g.id
         WHERE g.mission_id = ? AND g.depth = ? AND g.path >= ? AND g.path < ?
           AND g.latitude IS NOT NULL AND g.longitude IS NOT NULL"
    );
    let place = [
        Sql::Integer(query.mission_id),
        Sql::Integer(deepest),
        Sql::Text(low.clone()),
        Sql::Text(high.clone()),
    ];
    let mut all: Vec<Sql> = place.to_vec();
    all.extend(values);
    all.extend(place);
    let stations = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(all), map_station)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        stations,
        unlocated(conn, query.mission_id, deepest, &low, &high)?,
    ))
}
