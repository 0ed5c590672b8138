//! The geography: levels, regions as a tree with materialized paths, and imports.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, found};
use crate::domain::geography::{Location, PlannedRegion, RegionPlan, level_label};
use crate::domain::lookup::Lookup;
use crate::domain::region_path::RegionPath;

/// A region as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub id: i64,
    pub depth: i64,
    pub code: String,
    pub name: String,
    pub path: RegionPath,
    pub registered_voters: Option<i64>,
}

const COLUMNS: &str = "id, depth, code, name, path, registered_voters";

/// Reads a region from a row holding the columns of [`COLUMNS`], in order.
pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Region> {
    Ok(Region {
        id: row.get(0)?,
        depth: row.get(1)?,
        code: row.get(2)?,
        name: row.get(3)?,
        path: row.get(4)?,
        registered_voters: row.get(5)?,
    })
}

/// The level keys of a mission, top first.
pub fn levels(conn: &Connection, mission_id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT name FROM region_levels WHERE mission_id = ?1 ORDER BY depth")?;
    let rows = stmt.query_map([mission_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many regions of each level a mission has, top first.
pub fn counts_by_level(
    conn: &Connection,
    mission_id: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.name, (SELECT count(*) FROM regions r WHERE r.mission_id = l.mission_id AND r.depth = l.depth)
         FROM region_levels l WHERE l.mission_id = ?1 ORDER BY l.depth",
    )?;
    let rows = stmt.query_map([mission_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What an import did at one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LevelOutcome {
    pub level: String,
    pub added: usize,
    /// Already present with the same name and parent.
    pub unchanged: usize,
    /// Present, with registered voters or coordinates changed.
    pub updated: usize,
}

/// Applies a checked plan. Regions already present with the same name and parent are left
/// alone, so a file can be imported again; a code present with another name or parent is
/// refused with the line, and (the caller's transaction rolling back) nothing is imported.
pub fn import(
    conn: &Connection,
    mission_id: i64,
    plan: &RegionPlan,
) -> Result<Vec<LevelOutcome>, StoreError> {
    extend_levels(conn, mission_id, &plan.levels)?;
    let mut outcomes: Vec<LevelOutcome> = plan
        .levels
        .iter()
        .map(|level| LevelOutcome {
            level: level.clone(),
            ..Default::default()
        })
        .collect();
    // (depth, code) -> (id, path) of regions met so far, to find parents without a query.
    let mut placed: HashMap<(usize, &str), (i64, String)> = HashMap::new();
    let mut existing = conn.prepare_cached(
        "SELECT id, name, parent_id, path, registered_voters, latitude, longitude
         FROM regions WHERE mission_id = ?1 AND depth = ?2 AND code = ?3",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO regions (mission_id, parent_id, depth, code, name, path, registered_voters, latitude, longitude)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut update_extras = conn.prepare_cached(
        "UPDATE regions SET registered_voters = coalesce(?2, registered_voters),
             latitude = coalesce(?3, latitude), longitude = coalesce(?4, longitude)
         WHERE id = ?1",
    )?;
    for region in &plan.regions {
        let level = level_label(&plan.levels[region.depth - 1]);
        let parent = match &region.parent_code {
            None => None,
            Some(code) => Some(
                placed
                    .get(&(region.depth - 1, code.as_str()))
                    .cloned()
                    .ok_or_else(|| {
                        StoreError::Rejected(
                            format!(
                                "line {}: the parent of {level} `{}` is missing",
                                region.line, region.code
                            )
                            .into(),
                        )
                    })?,
            ),
        };
        let depth = i64::try_from(region.depth)
            .map_err(|_| StoreError::Rejected("too many levels".into()))?;
        let found: Option<StoredRegion> = existing
            .query_row(
                params![mission_id, depth, region.code],
                StoredRegion::from_row,
            )
            .optional()?;
        let outcome = &mut outcomes[region.depth - 1];
        let (id, path) = match found {
            Some(stored) => {
                stored.check_matches(region, parent.as_ref().map(|p| p.0), &level)?;
                if region_extras_differ(&stored, region) {
                    let (lat, lon) = split_location(region.location);
                    update_extras.execute(params![
                        stored.id,
                        region.registered_voters,
                        lat,
                        lon
                    ])?;
                    outcome.updated += 1;
                } else {
                    outcome.unchanged += 1;
                }
                (stored.id, stored.path)
            }
            None => {
                let path = format!(
                    "{}{}/",
                    parent.as_ref().map_or("/", |p| p.1.as_str()),
                    region.code
                );
                let (lat, lon) = split_location(region.location);
                insert.execute(params![
                    mission_id,
                    parent.as_ref().map(|p| p.0),
                    depth,
                    region.code,
                    region.name,
                    path,
                    region.registered_voters,
                    lat,
                    lon
                ])?;
                outcome.added += 1;
                (conn.last_insert_rowid(), path)
            }
        };
        placed.insert((region.depth, region.code.as_str()), (id, path));
    }
    Ok(outcomes)
}

fn split_location(location: Option<Location>) -> (Option<f64>, Option<f64>) {
    location.map_or((None, None), |l| (Some(l.latitude), Some(l.longitude)))
}

/// Extras given in the file that differ from the stored ones. Columns the file leaves
/// empty never erase stored values.
fn region_extras_differ(stored: &StoredRegion, planned: &PlannedRegion) -> bool {
    let voters_differ = planned.registered_voters.is_some()
        && planned.registered_voters != stored.registered_voters;
    let location_differs = planned.location.is_some() && planned.location != stored.location;
    voters_differ || location_differs
}

struct StoredRegion {
    id: i64,
    name: String,
    parent_id: Option<i64>,
    path: String,
    registered_voters: Option<i64>,
    location: Option<Location>,
}

impl StoredRegion {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRegion> {
        let lat: Option<f64> = row.get(5)?;
        let lon: Option<f64> = row.get(6)?;
        Ok(StoredRegion {
            id: row.get(0)?,
            name: row.get(1)?,
            parent_id: row.get(2)?,
            path: row.get(3)?,
            registered_voters: row.get(4)?,
            location: lat.zip(lon).map(|(latitude, longitude)| Location {
                latitude,
                longitude,
            }),
        })
    }

    fn check_matches(
        &self,
        planned: &PlannedRegion,
        parent_id: Option<i64>,
        level: &str,
    ) -> Result<(), StoreError> {
        if self.name != planned.name {
            return Err(StoreError::Rejected(
                format!(
                    "line {}: {level} code `{}` is already in the mission as `{}`, not `{}`",
                    planned.line, planned.code, self.name, planned.name
                )
                .into(),
            ));
        }
        if self.parent_id != parent_id {
            return Err(StoreError::Rejected(
                format!(
                    "line {}: {level} `{}` is already in the mission under another parent",
                    planned.line, planned.code
                )
                .into(),
            ));
        }
        Ok(())
    }
}

/// Checks the file's levels against the mission's: they must agree where both have a
/// level, and deeper levels in the file are added (e.g. polling stations after wards).
fn extend_levels(
    conn: &Connection,
    mission_id: i64,
    file_levels: &[String],
) -> Result<(), StoreError> {
    let known = levels(conn, mission_id)?;
    for (depth, (have, given)) in known.iter().zip(file_levels).enumerate() {
        if have != given {
            return Err(StoreError::Rejected(
                format!(
                "level {} of this mission is `{have}` but the import names it `{given}`; levels go from the top: {}",
                depth + 1,
                known.join(" > ")
                        )
                .into(),
            ));
        }
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO region_levels (mission_id, depth, name) VALUES (?1, ?2, ?3)",
    )?;
    for (depth, name) in (1_i64..).zip(file_levels).skip(known.len()) {
        insert.execute(params![mission_id, depth, name])?;
    }
    Ok(())
}

/// Inserts a plan's regions with no lookups and no checks: the floor the import is
/// measured against by the benchmark. Paths are made up; never use it for real data.
#[doc(hidden)]
pub fn insert_unchecked(
    conn: &Connection,
    mission_id: i64,
    plan: &RegionPlan,
) -> Result<(), StoreError> {
    for (depth, name) in (1_i64..).zip(&plan.levels) {
        conn.execute(
            "INSERT INTO region_levels (mission_id, depth, name) VALUES (?1, ?2, ?3)",
            params![mission_id, depth, name],
        )?;
    }
    let mut ids: HashMap<(usize, &str), i64> = HashMap::new();
    let mut insert = conn.prepare(
        "INSERT INTO regions (mission_id, parent_id, depth, code, name, path, registered_voters)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for region in &plan.regions {
        let parent = region
            .parent_code
            .as_deref()
            .and_then(|code| ids.get(&(region.depth - 1, code)).copied());
        let depth = i64::try_from(region.depth)
            .map_err(|_| StoreError::Rejected("too many levels".into()))?;
        let path = format!("/{depth}/{}/", region.code);
        insert.execute(params![
            mission_id,
            parent,
            depth,
            region.code,
            region.name,
            path,
            region.registered_voters
        ])?;
        ids.insert(
            (region.depth, region.code.as_str()),
            conn.last_insert_rowid(),
        );
    }
    Ok(())
}

/// A region of the mission by id.
pub fn by_id(conn: &Connection, mission_id: i64, region_id: i64) -> Result<Region, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM regions WHERE mission_id = ?1 AND id = ?2");
    found(
        conn.prepare_cached(&sql)?
            .query_row(params![mission_id, region_id], from_row),
        || format!("no region {region_id} in this mission"),
    )
}

/// A region of the mission by level and code.
pub fn by_code(
    conn: &Connection,
    mission_id: i64,
    depth: i64,
    code: &str,
) -> Result<Region, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM regions WHERE mission_id = ?1 AND depth = ?2 AND code = ?3");
    found(
        conn.prepare_cached(&sql)?
            .query_row(params![mission_id, depth, code], from_row),
        || format!("no region with code `{code}` at level {depth}"),
    )
}

/// The region and its ancestors, top first: what a breadcrumb shows.
pub fn trail(conn: &Connection, region_id: i64) -> Result<Vec<Region>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE up(id, parent_id) AS (
             SELECT id, parent_id FROM regions WHERE id = ?1
             UNION ALL
             SELECT r.id, r.parent_id FROM regions r JOIN up ON r.id = up.parent_id
         )
         SELECT r.id, r.depth, r.code, r.name, r.path, r.registered_voters
         FROM up JOIN regions r ON r.id = up.id ORDER BY r.depth",
    )?;
    let rows = stmt.query_map([region_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The condition on `regions` (`?1` the mission, `?2` the returned value) for the regions
/// directly under `parent`, the top level for `None`. Written so that SQLite walks an index
/// either way: `parent_id IS NULL` would read every region of the mission, and with
/// `mission_id` indexable SQLite may prefer that index to the parent's (hence the `+`).
pub(crate) fn children_condition(parent: Option<i64>) -> (&'static str, i64) {
    match parent {
        None => ("mission_id = ?1 AND depth = ?2", 1),
        Some(id) => ("+mission_id = ?1 AND parent_id = ?2", id),
    }
}

/// The regions directly under `parent` (the top level when `None`), by name.
pub fn children(
    conn: &Connection,
    mission_id: i64,
    parent: Option<i64>,
    limit: u32,
) -> Result<Vec<Region>, StoreError> {
    let (condition, value) = children_condition(parent);
    let sql = format!("SELECT {COLUMNS} FROM regions WHERE {condition} ORDER BY name LIMIT ?3");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![mission_id, value, limit], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The depth of the mission's deepest level (its polling stations), 0 without geography.
pub fn deepest_level(conn: &Connection, mission_id: i64) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(depth), 0) FROM region_levels WHERE mission_id = ?1")?
        .query_row([mission_id], |r| r.get(0))?)
}

/// Polling stations (regions of the deepest level) whose code is `query` or whose name
/// contains it.
pub fn search_stations(
    conn: &Connection,
    mission_id: i64,
    query: &str,
    limit: u32,
) -> Result<Vec<Region>, StoreError> {
    search_at(
        conn,
        mission_id,
        query,
        Some(deepest_level(conn, mission_id)?),
        limit,
    )
}

/// The region path of the mission's polling station with this code, if there is one.
pub fn station_path(
    conn: &Connection,
    mission_id: i64,
    code: &str,
) -> Result<Option<RegionPath>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT path FROM regions WHERE mission_id = ?1 AND code = ?2
                AND depth = (SELECT max(depth) FROM region_levels WHERE mission_id = ?1)",
        )?
        .query_row(params![mission_id, code], |r| r.get(0))
        .optional()?)
}

/// Whether a polling station with this code is in the mission.
pub fn station_exists(conn: &Connection, mission_id: i64, code: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM regions WHERE mission_id = ?1 AND code = ?2
                AND depth = (SELECT max(depth) FROM region_levels WHERE mission_id = ?1))",
        )?
        .query_row(params![mission_id, code], |r| r.get(0))?)
}

/// Regions whose code is `query` or whose name contains it, shallow levels first.
pub fn search(
    conn: &Connection,
    mission_id: i64,
    query: &str,
    limit: u32,
) -> Result<Vec<Region>, StoreError> {
    search_at(conn, mission_id, query, None, limit)
}

/// [`search`], at one level only when `depth` is given.
fn search_at(
    conn: &Connection,
    mission_id: i64,
    query: &str,
    depth: Option<i64>,
    limit: u32,
) -> Result<Vec<Region>, StoreError> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!(
        "%{}%",
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM regions
         WHERE mission_id = ?1 AND (code = ?2 OR name LIKE ?3 ESCAPE '\\') AND (?5 IS NULL OR depth = ?5)
         ORDER BY code <> ?2, depth, name LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![mission_id, query, pattern, limit, depth], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Regions of any level whose code is the text or whose name contains it: at most `limit`,
/// each with whether it matched exactly (the code, or the whole name), exact ones first,
/// then the larger places.
pub fn lookup(
    conn: &Connection,
    mission_id: i64,
    lookup: &Lookup,
    limit: u32,
) -> Result<Vec<(Region, bool)>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS}, code = ?2 OR name = ?2 COLLATE NOCASE AS exact FROM regions
         WHERE mission_id = ?1 AND (code = ?2 OR name LIKE ?3 ESCAPE '\\')
         ORDER BY exact DESC, depth, name LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![mission_id, lookup.text, lookup.pattern, limit],
        |row| Ok((from_row(row)?, row.get(6)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The regions of the deepest level (polling stations) in the subtree at `path`.
pub fn deepest_under(
    conn: &Connection,
    mission_id: i64,
    path: &RegionPath,
    limit: u32,
) -> Result<Vec<Region>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM regions
         WHERE mission_id = ?1 AND path >= ?2 AND path < ?3
           AND depth = (SELECT max(depth) FROM region_levels WHERE mission_id = ?1)
         ORDER BY path LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![mission_id, path, path.subtree_end(), limit],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many regions of the deepest level lie in the subtree at `path`.
pub fn count_deepest_under(
    conn: &Connection,
    mission_id: i64,
    path: &RegionPath,
) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM regions
             WHERE mission_id = ?1 AND path >= ?2 AND path < ?3
               AND depth = (SELECT max(depth) FROM region_levels WHERE mission_id = ?1)",
        )?
        .query_row(params![mission_id, path, path.subtree_end()], |r| r.get(0))?)
}
