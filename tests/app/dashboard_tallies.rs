//! The dashboard's aggregates, kept at write time, always equal a direct count over the
//! reports: after a random mix of filings, amendments, reviews and duplicates, a recount
//! from scratch gives the same tables.

use crate::common;

use common::{MISSION, TestApp, an_hour_ago};
use fieldreport::demo::generate::{Dice, random_answers};
use fieldreport::domain::form::FormDefinition;
use fieldreport::store::tallies;

/// One of `items`, chosen by the dice.
fn pick<'a, T>(dice: &mut Dice, items: &'a [T]) -> &'a T {
    &items[dice.index(items.len())]
}

#[tokio::test]
async fn aggregates_equal_a_recount_after_a_random_mix_of_writes() {
    let seed = std::env::var("TALLY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::try_from(fieldreport::store::now()).unwrap_or(1) | 1);
    println!("TALLY_SEED={seed}");
    let mut dice = Dice::new(seed);
    let app = TestApp::new().await;
    let mission = app.mission_id;
    let places: Vec<i64> = app
        .store
        .read(move |conn| {
            // Stations, and a ward: incidents may be filed for a whole ward.
            let mut stmt = conn.prepare(
                "SELECT id FROM regions WHERE mission_id = ?1 AND (depth = 4 OR code = '0001') ORDER BY id",
            )?;
            let ids = stmt
                .query_map([mission], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(ids)
        })
        .await
        .expect("places");
    let ward = app.region_id(3, "0001").await;
    let forms: Vec<FormDefinition> = fieldreport::demo::FORMS
        .iter()
        .map(|t| FormDefinition::from_toml(t).expect("demo form"))
        .collect();
    let mut observers = [
        app.signed_in("observer").await,
        app.signed_in("observer2").await,
    ];
    let mut reviewers = [
        app.signed_in("coordinator").await,
        app.signed_in("lead").await,
    ];
    let actions = [
        "verify",
        "escalate",
        "dismiss",
        "duplicate",
        "reopen",
        "verify",
        "comment",
    ];
    let mut filed = 0;
    for _ in 0..160 {
        let reports: Vec<(String, String, String)> = app
            .store
            .read(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT r.id, r.reference, u.username FROM reports r JOIN users u ON u.id = r.observer_id
                     WHERE r.mission_id = ?1 ORDER BY r.seq",
                )?;
                let rows = stmt
                    .query_map([mission], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
            .expect("reports");
        let roll = dice.below(10);
        if roll < 5 || reports.len() < 3 {
            let form = pick(&mut dice, &forms);
            let place = *pick(&mut dice, &places);
            if form.kind.as_str() == "checklist" && place == ward {
                continue; // checklists are filed at stations, not for a ward
            }
            // Answers as the generator makes them; the optional polling-station question is
            // left out, since it must name a station inside the place filed for.
            let answers = random_answers(form, None, an_hour_ago(), &mut dice);
            let pairs: Vec<(&str, &str)> = answers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let observer = dice.index(2);
            let (_, response) = observers[observer].file(&form.key, place, &pairs).await;
            assert!(
                response.location().ends_with("/receipt"),
                "filing {} failed: {}",
                form.key,
                response.body
            );
            filed += 1;
        } else if roll < 6 {
            let (id, _, username) = pick(&mut dice, &reports).clone();
            let observer = usize::from(username == "observer2");
            let page = format!("/m/{MISSION}/observer/reports/{id}");
            let response = observers[observer]
                .amend(
                    &page,
                    &[("kind", "correction"), ("text", "the time was 7:10")],
                )
                .await;
            assert!(response.status.is_redirection(), "amend: {}", response.body);
        } else {
            let (id, _, _) = pick(&mut dice, &reports).clone();
            let action = *pick(&mut dice, &actions);
            let page = format!("/m/{MISSION}/review/reports/{id}");
            let mut fields = vec![("action", action.to_owned())];
            if action == "duplicate" {
                fields.push(("duplicate_of", pick(&mut dice, &reports).1.clone()));
            }
            if matches!(action, "dismiss" | "comment") {
                fields.push(("note", "checked by phone".to_owned()));
            }
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let reviewer = dice.index(2);
            // Refusals (the state machine, a duplicate of itself) change nothing; the
            // tallies must agree either way.
            reviewers[reviewer]
                .post(&format!("{page}/actions"), &page, &pairs)
                .await;
        }
    }
    assert!(filed > 40, "the mix filed {filed} reports");
    let statuses = app
        .text("SELECT group_concat(DISTINCT status) FROM reports")
        .await;
    assert!(
        statuses.contains("dismissed") && statuses.contains("duplicate"),
        "the mix reached dismissals and duplicates: {statuses}"
    );
    assert!(app.count("SELECT count(*) FROM report_problems").await > 0);
    assert!(app.count("SELECT count(*) FROM region_coverage").await > 0);

    let mismatches = app.store.read(tallies::check).await.expect("check");
    assert_eq!(mismatches, vec![], "kept aggregates differ from a recount");

    // The map under filters the station tallies do not keep, against a direct count over
    // the reports: per station, the matching reports and the worst severity among them.
    app.execute("UPDATE regions SET latitude = id / 10.0, longitude = id / 10.0 WHERE depth = 4")
        .await;
    for (severities, statuses) in [
        (vec![], vec!["verified"]),
        (vec![3_i64, 4], vec!["received", "escalated", "verified"]),
        (vec![2], vec!["received"]),
    ] {
        let mission = app.mission_id;
        let (drawn, direct) = app
            .store
            .read(move |conn| {
                let query = fieldreport::store::dashboard::TallyQuery {
                    mission_id: mission,
                    region_id: 0,
                    severities: severities.clone(),
                    statuses: statuses.iter().map(|s| (*s).to_owned()).collect(),
                    ..Default::default()
                };
                let (stations, _) =
                    fieldreport::store::dashboard::map_stations_filtered(conn, &query, None)?;
                let mut drawn: Vec<(i64, i64, i64)> = stations
                    .iter()
                    .map(|s| ((s.latitude * 10.0).round() as i64, s.reports, s.worst))
                    .collect();
                drawn.sort();
                let severity_list = if severities.is_empty() {
                    "1 = 1".to_owned()
                } else {
                    format!(
                        "coalesce(r.severity, 0) IN ({})",
                        severities
                            .iter()
                            .map(i64::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                };
                let status_list = statuses
                    .iter()
                    .map(|s| format!("'{s}'"))
                    .collect::<Vec<_>>()
                    .join(",");
                let mut direct: Vec<(i64, i64, i64)> = conn
                    .prepare(&format!(
                        "SELECT g.id, count(r.seq), coalesce(max(r.severity), 0)
                         FROM regions g LEFT JOIN reports r ON r.region_id = g.id
                           AND {severity_list} AND r.status IN ({status_list})
                         WHERE g.mission_id = {mission} AND g.depth = 4 GROUP BY g.id"
                    ))?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<_, _>>()?;
                direct.sort();
                Ok((drawn, direct))
            })
            .await
            .expect("map figures");
        assert_eq!(drawn, direct);
    }

    station_figures_equal_a_direct_count(&app, &mut dice).await;

    // A rebuild from scratch gives the same tables, zero rows aside.
    let before = aggregate_dump(&app).await;
    app.store.write(tallies::rebuild).await.expect("rebuild");
    assert_eq!(aggregate_dump(&app).await, before);
}

/// Every aggregate row with a count other than zero, as text.
async fn aggregate_dump(app: &TestApp) -> String {
    app.text(
        "SELECT group_concat(line, char(10)) FROM (
           SELECT 'T ' || mission_id || ' ' || region_id || ' ' || form_id || ' ' || category || ' ' || severity || ' ' || status || ' ' || reports || ' ' || problem_reports AS line
             FROM tally_totals WHERE reports <> 0
           UNION ALL SELECT 'H ' || region_id || ' ' || hour || ' ' || form_id || ' ' || category || ' ' || severity || ' ' || status || ' ' || reports || ' ' || problem_reports
             FROM tally_hours WHERE reports <> 0
           UNION ALL SELECT 'S ' || station_id || ' ' || form_key || ' ' || reports || ' ' || problem_reports || ' ' || low || medium || high || critical
             FROM station_tallies WHERE reports <> 0
           UNION ALL SELECT 'C ' || region_id || ' ' || form_key || ' ' || stations FROM region_coverage WHERE stations <> 0
           UNION ALL SELECT 'P ' || station_id || ' ' || form_key || ' ' || question || ' ' || reports FROM station_problems WHERE reports <> 0
           UNION ALL SELECT 'Q ' || region_id || ' ' || form_key || ' ' || question || ' ' || stations FROM region_problems WHERE stations <> 0
           UNION ALL SELECT 'V ' || region_id || ' ' || form_id || ' ' || severity || ' ' || status || ' ' || reports || ' ' || problem_reports
             FROM tally_severities WHERE reports <> 0
           UNION ALL SELECT 'W ' || region_id || ' ' || hour || ' ' || status || ' ' || reports
             FROM tally_hour_statuses WHERE reports <> 0
           UNION ALL SELECT 'X ' || station_id || ' ' || form_id || ' ' || question || ' ' || hour || ' ' || category || ' ' || severity || ' ' || status || ' ' || reports
             FROM station_problem_hours WHERE reports <> 0
           UNION ALL SELECT 'O ' || observer_id || ' ' || reports || ' ' || last_at FROM observer_activity
           UNION ALL SELECT 'N ' || region_id || ' ' || stations FROM region_stations
           ORDER BY 1)",
    )
    .await
}

/// Polling-station figures counted under random filters (for the mission, a county, a ward
/// and a station) equal a count of distinct stations over the reports themselves; under
/// the standing statuses alone they equal the figures kept at write time.
async fn station_figures_equal_a_direct_count(app: &TestApp, dice: &mut Dice) {
    use fieldreport::store::dashboard::{self as tallies, StationsCounted, TallyQuery};
    use fieldreport::store::regions;

    let mission = app.mission_id;
    let places = [
        None,
        Some(app.region_id(1, "001").await),
        Some(app.region_id(3, "0001").await),
        Some(app.region_id(4, "0001001").await),
    ];
    let hour: i64 = app
        .count("SELECT max(received_at) / 3600 FROM reports")
        .await;
    let form_keys = ["opening", "voting", "closing", "incident"];
    let categories = ["violence", "vote_buying", "intimidation", ""];
    let statuses = ["received", "escalated", "verified"];
    for round in 0..24 {
        let some = |dice: &mut Dice, items: &[&str]| -> Vec<String> {
            items
                .iter()
                .filter(|_| dice.below(2) == 0)
                .map(|s| (*s).to_owned())
                .collect()
        };
        let mut query = TallyQuery {
            mission_id: mission,
            form_keys: some(dice, &form_keys),
            categories: if dice.below(3) == 0 {
                some(dice, &categories)
            } else {
                Vec::new()
            },
            severities: (0..=4).filter(|_| dice.below(3) == 0).collect(),
            statuses: some(dice, &statuses),
            hours: (dice.below(3) == 0).then(|| {
                (
                    hour - i64::try_from(dice.below(2)).expect("small"),
                    hour + 1,
                )
            }),
            ..Default::default()
        };
        if round == 0 {
            // The kept figures' own definition: every standing report, nothing else chosen.
            query = TallyQuery {
                mission_id: mission,
                statuses: statuses.iter().map(|s| (*s).to_owned()).collect(),
                ..Default::default()
            };
        }
        if query.statuses.is_empty() {
            query.statuses.push("received".to_owned());
        }
        let place = places[dice.index(places.len())];
        let described = format!("{query:?} at {place:?}");
        let (counted, direct, kept) = app
            .store
            .read(move |conn| {
                let region = place
                    .map(|id| regions::by_id(conn, mission, id))
                    .transpose()?;
                let counted = tallies::stations_counted(conn, &query, region.as_ref())?;
                let direct = direct_station_count(conn, &query, region.as_ref())?;
                let kept = StationsCounted {
                    here: tallies::coverage_here(conn, mission, place.unwrap_or(0))?,
                    children: tallies::coverage_by_child(conn, mission, place.unwrap_or(0))?,
                    problems: match &region {
                        Some(r) if r.depth == 4 => tallies::problems_at_station(conn, r.id)?,
                        _ => tallies::problems_here(conn, mission, place.unwrap_or(0))?,
                    },
                };
                Ok((counted, direct, kept))
            })
            .await
            .expect("station figures");
        let counted = normalized(counted);
        assert_eq!(counted, normalized(direct), "{described}");
        if round == 0 {
            assert_eq!(
                counted,
                normalized(kept),
                "counted and kept differ: {described}"
            );
        }
    }
}

/// Figures in a canonical order, zero counts left out, for comparison.
fn normalized(
    mut figures: fieldreport::store::dashboard::StationsCounted,
) -> fieldreport::store::dashboard::StationsCounted {
    let tidy = |c: &mut fieldreport::store::dashboard::Coverage| {
        c.reported.retain(|(_, n)| *n != 0);
        c.reported.sort();
    };
    tidy(&mut figures.here);
    figures.children.iter_mut().for_each(tidy);
    figures.children.sort_by_key(|c| c.region_id);
    figures.problems.retain(|(_, _, n)| *n != 0);
    figures.problems.sort();
    figures
}

/// The station figures counted straight from the reports: distinct stations under the
/// region with a report matching every filter, per form key ('' any) and per problem.
fn direct_station_count(
    conn: &rusqlite::Connection,
    query: &fieldreport::store::dashboard::TallyQuery,
    region: Option<&fieldreport::store::regions::Region>,
) -> Result<fieldreport::store::dashboard::StationsCounted, fieldreport::store::StoreError> {
    use fieldreport::store::dashboard::{Coverage, StationsCounted};
    let quoted = |items: &[String]| {
        items
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut clauses = vec![
        format!("r.mission_id = {}", query.mission_id),
        "g.depth = 4".to_owned(),
    ];
    if let Some(r) = region {
        clauses.push(format!("g.path LIKE '{}%'", r.path));
    }
    if !query.form_keys.is_empty() {
        clauses.push(format!("f.key IN ({})", quoted(&query.form_keys)));
    }
    if !query.categories.is_empty() {
        clauses.push(format!(
            "coalesce(r.category, '') IN ({})",
            quoted(&query.categories)
        ));
    }
    if !query.severities.is_empty() {
        let ranks: Vec<String> = query.severities.iter().map(i64::to_string).collect();
        clauses.push(format!("coalesce(r.severity, 0) IN ({})", ranks.join(",")));
    }
    clauses.push(format!("r.status IN ({})", quoted(&query.statuses)));
    if let Some((from, to)) = query.hours {
        clauses.push(format!(
            "r.received_at / 3600 >= {from} AND r.received_at / 3600 < {to}"
        ));
    }
    let matching = format!(
        "SELECT r.seq, r.region_id AS station, g.path, f.key FROM reports r
         JOIN forms f ON f.id = r.form_id JOIN regions g ON g.id = r.region_id
         WHERE {}",
        clauses.join(" AND ")
    );
    let count = |sql: String| -> Result<Vec<(String, i64)>, fieldreport::store::StoreError> {
        Ok(conn
            .prepare(&sql)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?)
    };
    let reported = |path: &str| {
        count(format!(
            "SELECT key, count(DISTINCT station) FROM ({matching}) WHERE path LIKE '{path}%' GROUP BY key
             UNION ALL SELECT '', count(DISTINCT station) FROM ({matching}) WHERE path LIKE '{path}%'"
        ))
    };
    let region_id = region.map_or(0, |r| r.id);
    let here_path = region.map_or("/".to_owned(), |r| r.path.clone());
    let stations = |path: &str| -> Result<i64, fieldreport::store::StoreError> {
        Ok(conn.query_row(
            &format!(
                "SELECT count(*) FROM regions WHERE mission_id = {} AND depth = 4 AND path LIKE '{path}%'",
                query.mission_id
            ),
            [],
            |r| r.get(0),
        )?)
    };
    let mut children = Vec::new();
    if region.is_none_or(|r| r.depth < 4) {
        let parent = region.map_or("parent_id IS NULL".to_owned(), |r| {
            format!("parent_id = {}", r.id)
        });
        let rows: Vec<(i64, String)> = conn
            .prepare(&format!(
                "SELECT id, path FROM regions WHERE mission_id = {} AND {parent}",
                query.mission_id
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, path) in rows {
            children.push(Coverage {
                region_id: id,
                stations: stations(&path)?,
                reported: reported(&path)?,
            });
        }
    }
    let problems = conn
        .prepare(&format!(
            "SELECT m.key, p.question, count(DISTINCT m.station)
             FROM ({matching}) m JOIN report_problems p ON p.report_seq = m.seq
             GROUP BY 1, 2"
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(StationsCounted {
        here: Coverage {
            region_id,
            stations: stations(&here_path)?,
            reported: reported(&here_path)?,
        },
        children,
        problems,
    })
}
