//! The dashboard's aggregates, kept at write time, always equal a direct count over the
//! reports: after a random mix of filings, amendments, reviews and duplicates, a recount
//! from scratch gives the same tables.

mod common;

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
           UNION ALL SELECT 'O ' || observer_id || ' ' || reports || ' ' || last_at FROM observer_activity
           UNION ALL SELECT 'N ' || region_id || ' ' || stations FROM region_stations
           ORDER BY 1)",
    )
    .await
}
