//! An independent count of what the report facts say: plain SQL `GROUP BY` over the
//! reports and the regions, sharing nothing with `domain::facts` but the file. What the
//! dashboard, the map and the queue show is compared with it by `fieldreport verify` and
//! by the tests; a difference is a bug in one of the two, or a file changed by hand.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, params};

use super::StoreError;
use super::facts::Facts;
use crate::domain::dashboard::RegionFigures;
use crate::domain::facts::{MissionFacts, Selection};
use crate::domain::form::FormKind;
use crate::domain::review::Status;

/// A figure the facts give otherwise than the count over the reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub mission: String,
    /// Which figure, and where.
    pub figure: String,
    /// The count over the reports, then what the facts say.
    pub counted: String,
    pub held: String,
}

/// Every difference between the facts and a count over the reports, for every mission.
pub fn compare(conn: &Connection, facts: &Facts) -> Result<Vec<Difference>, StoreError> {
    let missions: Vec<(i64, String)> = conn
        .prepare("SELECT id, slug FROM missions ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut differences = Vec::new();
    for (mission_id, slug) in missions {
        let counted = Counted::read(conn, mission_id)?;
        let held = facts.with_mission(mission_id, |m| Counted::from_facts(m, &counted))?;
        for (figure, (want, have)) in counted.pairs(&held) {
            if want != have {
                differences.push(Difference {
                    mission: slug.clone(),
                    figure,
                    counted: want,
                    held: have,
                });
            }
        }
    }
    Ok(differences)
}

/// Each figure compared, by name, written out as text.
#[derive(Debug, Default)]
struct Counted {
    figures: BTreeMap<String, String>,
    /// Regions that have regions under them (the dashboard's table of each).
    parents: Vec<i64>,
}

/// Upper bound of a materialized path's subtree, in SQL: '/' + 1 is '0'.
const SUBTREE: &str =
    "r.region_path >= a.path AND r.region_path < substr(a.path, 1, length(a.path) - 1) || '0'";
const STANDING: &str = "r.status NOT IN ('dismissed', 'duplicate')";

fn rows<T>(
    conn: &Connection,
    sql: &str,
    mission_id: i64,
    f: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    Ok(conn
        .prepare(sql)?
        .query_map(params![mission_id], f)?
        .collect::<Result<_, _>>()?)
}

impl Counted {
    fn read(conn: &Connection, mission_id: i64) -> Result<Counted, StoreError> {
        let mut c = Counted::default();
        let deepest = format!(
            "(SELECT coalesce(max(depth), 0) FROM region_levels WHERE mission_id = {mission_id})"
        );
        let statuses = rows(
            conn,
            "SELECT status, count(*), sum(problem_count > 0) FROM reports WHERE mission_id = ?1
             GROUP BY 1 ORDER BY 1",
            mission_id,
            |r| {
                Ok(format!(
                    "{} {} {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?
                ))
            },
        )?;
        c.put("reports by status", statuses);
        let counts = rows(
            conn,
            "SELECT f.kind, coalesce(r.category, ''), coalesce(r.severity, 0), r.status, count(*),
                    sum(r.problem_count > 0)
             FROM reports r JOIN forms f ON f.id = r.form_id WHERE r.mission_id = ?1
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            mission_id,
            |r| {
                Ok(format!(
                    "{} {} {} {} {} {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?
                ))
            },
        )?;
        c.put("reports by kind, category, severity and status", counts);
        let hours = rows(
            conn,
            "SELECT received_at / 3600, count(*) FROM reports WHERE mission_id = ?1 GROUP BY 1 ORDER BY 1",
            mission_id,
            |r| Ok(format!("{} {}", r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        c.put("reports by hour", hours);
        // Reports in each region's subtree, by the path copied at filing.
        let mut figures: HashMap<i64, RegionFigures> = HashMap::new();
        for (region, kind, severity, n, problems) in rows(
            conn,
            &format!(
                "SELECT a.id, f.kind, coalesce(r.severity, 0), count(*), sum(r.problem_count > 0)
                 FROM regions a JOIN reports r ON r.mission_id = a.mission_id AND {SUBTREE}
                 JOIN forms f ON f.id = r.form_id
                 WHERE a.mission_id = ?1 GROUP BY 1, 2, 3"
            ),
            mission_id,
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        )? {
            let kind = FormKind::parse(&kind)
                .ok_or_else(|| StoreError::Task(format!("a form has an unknown kind `{kind}`")))?;
            figures
                .entry(region)
                .or_default()
                .add(kind, severity, n, problems);
        }
        // Polling stations under each region, and those with a standing report (any
        // form, '', and each form).
        let stations: HashMap<i64, i64> = rows(
            conn,
            &format!(
                "SELECT a.id, count(*) FROM regions a JOIN regions s ON s.mission_id = a.mission_id
                   AND s.path >= a.path AND s.path < substr(a.path, 1, length(a.path) - 1) || '0'
                 WHERE a.mission_id = ?1 AND s.depth = {deepest} GROUP BY 1"
            ),
            mission_id,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .into_iter()
        .collect();
        let mut visited: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
        for (region, key, n) in rows(
            conn,
            &format!(
                "SELECT a.id, f.key, count(DISTINCT r.region_id)
                 FROM regions a JOIN reports r ON r.mission_id = a.mission_id AND {SUBTREE}
                 JOIN forms f ON f.id = r.form_id JOIN regions s ON s.id = r.region_id
                 WHERE a.mission_id = ?1 AND {STANDING} AND s.depth = {deepest} GROUP BY 1, 2
                 UNION ALL
                 SELECT a.id, '', count(DISTINCT r.region_id)
                 FROM regions a JOIN reports r ON r.mission_id = a.mission_id AND {SUBTREE}
                 JOIN regions s ON s.id = r.region_id
                 WHERE a.mission_id = ?1 AND {STANDING} AND s.depth = {deepest} GROUP BY 1"
            ),
            mission_id,
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )? {
            visited.entry(region).or_default().push((key, n));
        }
        c.parents = rows(
            conn,
            "SELECT id FROM regions a WHERE mission_id = ?1
               AND EXISTS (SELECT 1 FROM regions c WHERE c.parent_id = a.id) ORDER BY id",
            mission_id,
            |r| r.get(0),
        )?;
        let children: Vec<(i64, i64)> = rows(
            conn,
            "SELECT coalesce(parent_id, 0), id FROM regions WHERE mission_id = ?1 ORDER BY 1, 2",
            mission_id,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (parent, child) in children {
            c.put(
                &format!("region {child} (under {parent}): reports"),
                vec![figures_text(&figures.remove(&child).unwrap_or_default())],
            );
            let mut seen = visited.remove(&child).unwrap_or_default();
            seen.sort();
            c.put(
                &format!("region {child} (under {parent}): polling stations"),
                vec![coverage_text(
                    stations.get(&child).copied().unwrap_or(0),
                    &seen,
                )],
            );
        }
        let problems = rows(
            conn,
            &format!(
                "SELECT f.key, p.question, count(DISTINCT r.region_id)
                 FROM reports r JOIN report_problems p ON p.report_seq = r.seq
                 JOIN forms f ON f.id = r.form_id JOIN regions s ON s.id = r.region_id
                 WHERE r.mission_id = ?1 AND {STANDING} AND s.depth = {deepest}
                 GROUP BY 1, 2 ORDER BY 1, 2"
            ),
            mission_id,
            |r| {
                Ok(format!(
                    "{} {} {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?
                ))
            },
        )?;
        c.put("polling stations where each problem was seen", problems);
        let observers = rows(
            conn,
            "SELECT observer_id, count(*), max(received_at) FROM reports WHERE mission_id = ?1
             GROUP BY 1 ORDER BY 1",
            mission_id,
            |r| {
                Ok(format!(
                    "{} {} {}",
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?
                ))
            },
        )?;
        c.put("reports and last report of each observer", observers);
        let map = rows(
            conn,
            &format!(
                "SELECT g.latitude, g.longitude, count(r.seq), coalesce(max(r.severity), 0)
                 FROM regions g LEFT JOIN reports r ON r.region_id = g.id AND {STANDING}
                 WHERE g.mission_id = ?1 AND g.depth = {deepest}
                   AND g.latitude IS NOT NULL AND g.longitude IS NOT NULL
                 GROUP BY g.id ORDER BY g.path"
            ),
            mission_id,
            |r| {
                Ok(format!(
                    "{} {} {} {}",
                    r.get::<_, f64>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?
                ))
            },
        )?;
        c.put("the map", map);
        let unlocated = rows(
            conn,
            &format!(
                "SELECT count(*) FROM regions WHERE mission_id = ?1 AND depth = {deepest}
                   AND (latitude IS NULL OR longitude IS NULL)"
            ),
            mission_id,
            |r| Ok(r.get::<_, i64>(0)?.to_string()),
        )?;
        c.put("polling stations off the map", unlocated);
        Ok(c)
    }

    /// The same figures from the facts, as the dashboard, the map and the queue count them.
    fn from_facts(m: &MissionFacts, counted: &Counted) -> Counted {
        let mut c = Counted::default();
        let everything = Selection::default();
        let mut statuses: Vec<(Status, i64, i64)> = m
            .by_status(&everything)
            .into_iter()
            .filter(|(_, n, _)| *n > 0)
            .collect();
        statuses.sort_by_key(|(s, _, _)| s.as_str());
        c.put(
            "reports by status",
            statuses
                .iter()
                .map(|(s, n, p)| format!("{} {n} {p}", s.as_str()))
                .collect(),
        );
        let whole = m.tally(&everything);
        let mut counts: Vec<String> = whole
            .counts
            .iter()
            .map(|k| {
                format!(
                    "{} {} {} {} {} {}",
                    k.kind.as_str(),
                    k.category,
                    k.severity,
                    k.status.map_or("?", |s| s.as_str()),
                    k.reports,
                    k.problem_reports
                )
            })
            .collect();
        counts.sort();
        c.put("reports by kind, category, severity and status", counts);
        c.put(
            "reports by hour",
            whole
                .hourly
                .iter()
                .map(|(h, n)| format!("{h} {n}"))
                .collect(),
        );
        let mut tables = vec![(0, whole.clone())];
        for &parent in &counted.parents {
            tables.push((
                parent,
                m.tally(&Selection {
                    region_id: Some(parent),
                    ..Selection::default()
                }),
            ));
        }
        for (parent, tallied) in &tables {
            for (child, figures) in &tallied.by_child {
                c.put(
                    &format!("region {child} (under {parent}): reports"),
                    vec![figures_text(figures)],
                );
            }
            for coverage in &tallied.stations.children {
                let mut seen = coverage.reported.clone();
                seen.sort();
                c.put(
                    &format!(
                        "region {} (under {parent}): polling stations",
                        coverage.region_id
                    ),
                    vec![coverage_text(coverage.stations, &seen)],
                );
            }
        }
        let mut problems: Vec<String> = whole
            .stations
            .mission_problems
            .iter()
            .map(|(k, q, n)| format!("{k} {q} {n}"))
            .collect();
        problems.sort();
        c.put("polling stations where each problem was seen", problems);
        let mut observers: Vec<(i64, i64, i64)> = Vec::new();
        for line in counted
            .figures
            .get("reports and last report of each observer")
            .map_or("", String::as_str)
            .lines()
        {
            if let Some(id) = line.split(' ').next().and_then(|id| id.parse().ok()) {
                let a = m.activity(id).unwrap_or_default();
                observers.push((id, a.reports, a.last_at));
            }
        }
        c.put(
            "reports and last report of each observer",
            observers
                .iter()
                .map(|(id, n, at)| format!("{id} {n} {at}"))
                .collect(),
        );
        let (stations, unlocated) = m.map(&everything);
        c.put(
            "the map",
            stations
                .iter()
                .map(|s| format!("{} {} {} {}", s.latitude, s.longitude, s.reports, s.worst))
                .collect(),
        );
        c.put("polling stations off the map", vec![unlocated.to_string()]);
        c
    }

    fn put(&mut self, figure: &str, lines: Vec<String>) {
        self.figures.insert(figure.to_owned(), lines.join("\n"));
    }

    /// Each figure of either side: (the count over the reports, what the facts say).
    fn pairs(&self, held: &Counted) -> BTreeMap<String, (String, String)> {
        let mut pairs: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (name, text) in &self.figures {
            pairs.entry(name.clone()).or_default().0 = text.clone();
        }
        for (name, text) in &held.figures {
            pairs.entry(name.clone()).or_default().1 = text.clone();
        }
        pairs.retain(|name, (want, have)| {
            // A region with nothing under it is as good as left out.
            !(name.starts_with("region ") && is_empty_region(want) && is_empty_region(have))
        });
        pairs
    }
}

fn figures_text(f: &RegionFigures) -> String {
    format!(
        "reports {}, checklists {} ({} with problems), incidents {} by severity {:?}",
        f.reports, f.checklists, f.checklists_with_problems, f.incidents, f.incidents_by_severity
    )
}

fn coverage_text(stations: i64, seen: &[(String, i64)]) -> String {
    let seen: Vec<String> = seen.iter().map(|(k, n)| format!("{k}:{n}")).collect();
    format!("{stations} stations; reported {}", seen.join(" "))
}

fn is_empty_region(text: &str) -> bool {
    text.is_empty()
        || text == figures_text(&RegionFigures::default())
        || text == coverage_text(0, &[])
}
