//! The dashboard's figures, counted from the report facts the server keeps in memory,
//! always equal an independent count in SQL over the reports: after a generated mission
//! with reviews, then a random mix of filings, amendments, reviews and duplicates through
//! the web, and for facts loaded afresh from the file.

use crate::common;

use common::{MISSION, TestApp, an_hour_ago};
use fieldreport::demo::generate::{Dice, random_answers};
use fieldreport::domain::facts::{Coverage, Selection, StationFigures};
use fieldreport::domain::form::FormDefinition;
use fieldreport::domain::review::Status;
use fieldreport::store::{OpenMode, Store, recount};

/// One of `items`, chosen by the dice.
fn pick<'a, T>(dice: &mut Dice, items: &'a [T]) -> &'a T {
    &items[dice.index(items.len())]
}

#[tokio::test]
async fn figures_equal_a_count_in_sql_after_a_generated_mission_and_a_random_mix_of_writes() {
    let seed = std::env::var("TALLY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::try_from(fieldreport::store::now()).unwrap_or(1) | 1);
    println!("TALLY_SEED={seed}");
    let mut dice = Dice::new(seed);
    let app = TestApp::new().await;
    let mission = app.mission_id;
    // Facts loaded before any report, then kept by the writer alone.
    app.store.facts().preload().expect("facts load");
    app.generate_reports(300, seed).await;
    assert_same_as_sql(&app.store, "after a generated mission with reviews").await;
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
    assert_same_as_sql(&app.store, "after the mix of writes").await;
    // Facts loaded afresh from the file, as a restarted server holds them.
    let restarted = Store::open(&app.db_path(), OpenMode::MustExist).expect("open again");
    assert_same_as_sql(&restarted, "loaded afresh").await;

    // The map under filters, against a direct count over the reports: per station, the
    // matching reports and the worst severity among them.
    app.execute("UPDATE regions SET latitude = id / 10.0, longitude = id / 10.0 WHERE depth = 4")
        .await;
    // Coordinates changed behind the server's back, as another process would.
    let restarted = Store::open(&app.db_path(), OpenMode::MustExist).expect("open again");
    let facts = restarted.facts();
    for (severities, statuses) in [
        (vec![], vec![Status::Verified]),
        (
            vec![3_i64, 4],
            vec![Status::Received, Status::Escalated, Status::Verified],
        ),
        (vec![2], vec![Status::Received]),
    ] {
        let mission = app.mission_id;
        let facts = std::sync::Arc::clone(&facts);
        let (drawn, direct) = restarted
            .read(move |conn| {
                let selection = Selection {
                    severities: severities.clone(),
                    statuses: statuses.clone(),
                    ..Selection::default()
                };
                let (stations, _) = facts.with_mission(mission, |m| m.map(&selection))?;
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
                    .map(|s| format!("'{}'", s.as_str()))
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
}

/// The facts a store holds equal the count over the reports in SQL, figure by figure.
async fn assert_same_as_sql(store: &Store, when: &str) {
    let facts = store.facts();
    let differences = store
        .read(move |conn| recount::compare(conn, &facts))
        .await
        .expect("compare");
    assert_eq!(differences, vec![], "{when}");
}

/// Polling-station figures counted under random filters (for the mission, a county, a ward
/// and a station) equal a count of distinct stations over the reports themselves.
async fn station_figures_equal_a_direct_count(app: &TestApp, dice: &mut Dice) {
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
    let statuses = [Status::Received, Status::Escalated, Status::Verified];
    for _ in 0..24 {
        let some = |dice: &mut Dice, items: &[&str]| -> Vec<String> {
            items
                .iter()
                .filter(|_| dice.below(2) == 0)
                .map(|s| (*s).to_owned())
                .collect()
        };
        let mut selection = Selection {
            region_id: places[dice.index(places.len())],
            form_keys: some(dice, &form_keys),
            categories: if dice.below(3) == 0 {
                some(dice, &categories)
            } else {
                Vec::new()
            },
            severities: (0..=4).filter(|_| dice.below(3) == 0).collect(),
            statuses: statuses
                .iter()
                .copied()
                .filter(|_| dice.below(2) == 0)
                .collect(),
            received: (dice.below(3) == 0).then(|| {
                (
                    (hour - i64::try_from(dice.below(2)).expect("small")) * 3600,
                    (hour + 1) * 3600,
                )
            }),
            problems_only: false,
        };
        if selection.statuses.is_empty() {
            selection.statuses.push(Status::Received);
        }
        let described = format!("{selection:?}");
        let facts = app.store.facts();
        let (counted, direct) = app
            .store
            .read(move |conn| {
                let region = selection
                    .region_id
                    .map(|id| fieldreport::store::regions::by_id(conn, mission, id))
                    .transpose()?;
                let counted = facts.with_mission(mission, |m| m.tally(&selection).stations)?;
                let direct = direct_station_count(conn, mission, &selection, region.as_ref())?;
                Ok((counted, direct))
            })
            .await
            .expect("station figures");
        let counted = StationFigures {
            mission: Coverage::default(),
            mission_problems: Vec::new(),
            ..counted
        };
        assert_eq!(normalized(counted), normalized(direct), "{described}");
    }
}

/// Figures in a canonical order, zero counts left out, for comparison.
fn normalized(mut figures: StationFigures) -> StationFigures {
    let tidy = |c: &mut Coverage| {
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
    mission: i64,
    query: &Selection,
    region: Option<&fieldreport::store::regions::Region>,
) -> Result<StationFigures, fieldreport::store::StoreError> {
    let quoted = |items: &[String]| {
        items
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut clauses = vec![
        format!("r.mission_id = {mission}"),
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
    let statuses: Vec<String> = query
        .statuses
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    clauses.push(format!("r.status IN ({})", quoted(&statuses)));
    if let Some((from, to)) = query.received {
        clauses.push(format!("r.received_at >= {from} AND r.received_at < {to}"));
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
    let here_path = region.map_or("/".to_owned(), |r| r.path.to_string());
    let stations = |path: &str| -> Result<i64, fieldreport::store::StoreError> {
        Ok(conn.query_row(
            &format!(
                "SELECT count(*) FROM regions WHERE mission_id = {mission} AND depth = 4 AND path LIKE '{path}%'"
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
                "SELECT id, path FROM regions WHERE mission_id = {mission} AND {parent}"
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
    Ok(StationFigures {
        here: Coverage {
            region_id,
            stations: stations(&here_path)?,
            reported: reported(&here_path)?,
        },
        children,
        problems,
        ..StationFigures::default()
    })
}

#[tokio::test]
async fn facts_loaded_in_many_batches_equal_a_count_in_sql() {
    // More reports than one batch of the load holds (512): the packer takes many,
    // each read into the buffers of one packed before, categories and problems included.
    let app = TestApp::new().await;
    app.generate_reports(9_000, 11).await;
    let restarted = Store::open(&app.db_path(), OpenMode::MustExist).expect("open again");
    assert_same_as_sql(&restarted, "loaded in many batches").await;
}
