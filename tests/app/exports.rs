//! Exports, parsed back: CSV opens as a spreadsheet would read it (UTF-8, quoting,
//! formulas neutralised), JSON and GeoJSON carry the same reports as the database.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, Page, TestApp, an_hour_ago};
use serde_json::Value;

const REVIEW: &str = "/m/test-2017/review";

fn incident(summary: &'static str, account: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("category", "intimidation"),
        ("severity", "high"),
        ("occurred_at", an_hour_ago()),
        ("injuries", "0"),
        ("witnessed", "yes"),
        ("summary", summary),
        ("account", account),
    ]
}

async fn with_incidents() -> (TestApp, Browser) {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    for (code, summary, account) in [
        (
            "0001001",
            "=HYPERLINK(\"http://evil.example\")",
            "Ngʼambo – café, \"quoted\", two\nlines",
        ),
        ("1427001", "Crowd at the gate", "+254 700 000 000 called"),
    ] {
        let station = app.region_id(4, code).await;
        let (_, response) = observer
            .file("incident", station, &incident(summary, account))
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    }
    let lead = app.signed_in("lead").await;
    (app, lead)
}

fn csv_rows(page: &Page) -> (Vec<String>, Vec<Vec<String>>) {
    let body = page
        .body
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn csv_has_a_column_per_question_and_neutralises_formulas() {
    let (app, mut lead) = with_incidents().await;
    let page = lead
        .get(&format!("{REVIEW}/export.csv?form=incident"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        page.header("content-disposition")
            .contains("test-2017-reports-incident.csv")
    );
    let (header, rows) = csv_rows(&page);
    for column in [
        "reference",
        "status",
        "severity",
        "observed_at",
        "county_code",
        "constituency_code",
        "ward_code",
        "polling_station_code",
        "category",
        "summary",
        "account",
        "injuries",
    ] {
        assert!(header.iter().any(|h| h == column), "{column} in {header:?}");
    }
    assert_eq!(rows.len(), 2);
    let cell = |row: &Vec<String>, name: &str| {
        row[header.iter().position(|h| h == name).expect("column")].clone()
    };
    let first = &rows[0];
    assert_eq!(
        cell(first, "summary"),
        "'=HYPERLINK(\"http://evil.example\")"
    );
    assert_eq!(
        cell(first, "account"),
        "Ngʼambo – café, \"quoted\", two\nlines"
    );
    assert_eq!(cell(first, "county_code"), "001");
    assert_eq!(cell(first, "polling_station_code"), "0001001");
    assert_eq!(cell(first, "severity"), "high");
    assert_eq!(cell(first, "witnessed"), "yes");
    assert_eq!(cell(first, "injuries"), "0");
    assert!(cell(first, "observed_at").ends_with("+03:00"));
    assert_eq!(cell(&rows[1], "account"), "'+254 700 000 000 called");
    let references = app
        .text(
            "SELECT group_concat(reference, ' ') FROM (SELECT reference FROM reports ORDER BY seq)",
        )
        .await;
    let exported: Vec<String> = rows.iter().map(|r| cell(r, "reference")).collect();
    assert_eq!(exported.join(" "), references);

    let refused = lead.get(&format!("{REVIEW}/export.csv")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Choose one form"));
    let unknown = lead.get(&format!("{REVIEW}/export.csv?form=nope")).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );
}

/// A form, imported as data, whose question keys are also the names of fixed columns.
const CLASHING_FORM: &str = r#"
key = "clash"
title = "Clashing keys"
kind = "checklist"

[[questions]]
key = "reference"
label = "Reference of the polling station's own log"
type = "short_text"

[[questions]]
key = "county_code"
label = "County code as posted at the door"
type = "short_text"

[[questions]]
key = "status"
label = "Status of the queue"
type = "short_text"

[[questions]]
key = "temperature"
label = "Temperature outside"
type = "integer"
min = -50
max = 60
"#;

#[tokio::test]
async fn csv_columns_are_unique_and_spreadsheet_words_are_neutralised() {
    let app = TestApp::new().await;
    let form = fieldreport::domain::form::FormDefinition::from_toml(CLASHING_FORM).expect("form");
    let mission = app.mission_id;
    app.store
        .write(move |conn| {
            fieldreport::store::forms::import(
                conn,
                mission,
                &form,
                &fieldreport::store::audit::Actor::command_line(),
            )
        })
        .await
        .expect("import");
    let mut observer = app.signed_in("observer").await;
    let station = app.region_id(4, "0001001").await;
    let (_, filed) = observer
        .file(
            "clash",
            station,
            &[
                ("reference", "-inf"),
                ("county_code", "+nan"),
                ("status", "-infinity"),
                ("temperature", "-4"),
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let mut lead = app.signed_in("lead").await;

    let page = lead.get(&format!("{REVIEW}/export.csv?form=clash")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (header, rows) = csv_rows(&page);
    let mut names = header.clone();
    names.sort();
    names.dedup();
    assert_eq!(
        names.len(),
        header.len(),
        "a column named twice: {header:?}"
    );
    let cell = |name: &str| {
        rows[0][header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))]
        .clone()
    };
    assert_eq!(
        cell("reference"),
        app.text("SELECT reference FROM reports").await
    );
    assert_eq!(cell("county_code"), "001");
    assert_eq!(cell("status"), "received");
    assert_eq!(cell("q.reference"), "'-inf");
    assert_eq!(cell("q.county_code"), "'+nan");
    assert_eq!(cell("q.status"), "'-infinity");
    assert_eq!(
        cell("temperature"),
        "-4",
        "a negative number stays a number"
    );

    // The demo incident form's own `category` and `severity` questions.
    let incident = vec![
        ("category", "intimidation"),
        ("severity", "high"),
        ("occurred_at", an_hour_ago()),
        ("injuries", "0"),
        ("witnessed", "yes"),
        ("summary", "-nan"),
        ("account", "Seen at the gate."),
    ];
    observer.file("incident", station, &incident).await;
    let (header, rows) = csv_rows(
        &lead
            .get(&format!("{REVIEW}/export.csv?form=incident"))
            .await,
    );
    for name in ["category", "severity", "q.category", "q.severity"] {
        assert_eq!(
            header.iter().filter(|h| *h == name).count(),
            1,
            "{name} in {header:?}"
        );
    }
    let at = |name: &str| header.iter().position(|h| h == name).expect("column");
    assert_eq!(rows[0][at("q.severity")], "high");
    assert_eq!(rows[0][at("summary")], "'-nan");
}

#[tokio::test]
async fn amended_reports_export_their_answers_and_their_history() {
    let (app, mut lead) = with_incidents().await;
    let mut observer = app.signed_in("observer").await;
    let id = app
        .text("SELECT id FROM reports ORDER BY seq LIMIT 1")
        .await;
    let report = format!("/m/test-2017/observer/reports/{id}");
    for (kind, text) in [
        ("correction", "It was the side gate, not the main one."),
        ("addition", "=1+1 two more people arrived later"),
    ] {
        let amended = observer
            .amend(&report, &[("kind", kind), ("text", text)])
            .await;
        assert_eq!(amended.status, StatusCode::SEE_OTHER, "{}", amended.body);
    }

    // The reports' CSV: the answers (an amendment never rewrites them) and how many
    // amendments each report has, the last one when.
    let (header, rows) = csv_rows(
        &lead
            .get(&format!("{REVIEW}/export.csv?form=incident"))
            .await,
    );
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    assert_eq!(
        rows[0][at("summary")],
        "'=HYPERLINK(\"http://evil.example\")"
    );
    assert_eq!(rows[0][at("amendments")], "2");
    assert!(
        rows[0][at("last_amended_at")].ends_with("+03:00"),
        "{:?}",
        rows[0]
    );
    assert_eq!(rows[1][at("amendments")], "0");
    assert_eq!(rows[1][at("last_amended_at")], "");

    // The history: one row per amendment, oldest first, text neutralised.
    let page = lead.get(&format!("{REVIEW}/export-amendments.csv")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        page.header("content-disposition")
            .contains("test-2017-amendments.csv")
    );
    let (header, rows) = csv_rows(&page);
    assert_eq!(
        header,
        [
            "reference",
            "id",
            "form",
            "observer",
            "amended_at",
            "kind",
            "text"
        ]
    );
    let reference = app
        .text("SELECT reference FROM reports ORDER BY seq LIMIT 1")
        .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0][..4],
        [
            reference.clone(),
            id.clone(),
            "incident".into(),
            "observer".into()
        ]
    );
    assert_eq!(
        rows[0][5..],
        [
            "correction".to_owned(),
            "It was the side gate, not the main one.".into()
        ]
    );
    assert_eq!(
        rows[1][5..],
        [
            "addition".to_owned(),
            "'=1+1 two more people arrived later".into()
        ]
    );
    assert!(rows[0][4] <= rows[1][4] && rows[1][4].ends_with("+03:00"));
    // It follows the queue's filters like every export.
    let (_, none) = csv_rows(
        &lead
            .get(&format!("{REVIEW}/export-amendments.csv?status=verified"))
            .await,
    );
    assert!(none.is_empty(), "{none:?}");

    // JSON: the answers as stored, and the history nested in the report.
    let reports: Vec<Value> =
        serde_json::from_str(&lead.get(&format!("{REVIEW}/export.json")).await.body).expect("JSON");
    let stored: Value = serde_json::from_str(
        &app.text("SELECT answers FROM reports ORDER BY seq LIMIT 1")
            .await,
    )
    .expect("answers");
    assert_eq!(reports[0]["answers"], stored);
    assert_eq!(reports[0]["amendment_count"], 2);
    let history = reports[0]["amendments"].as_array().expect("a list");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["kind"], "correction");
    assert_eq!(
        history[0]["text"],
        "It was the side gate, not the main one."
    );
    assert_eq!(history[1]["kind"], "addition");
    assert_eq!(
        history[1]["text"], "=1+1 two more people arrived later",
        "JSON is not a spreadsheet"
    );
    assert!(
        history[0]["at"]
            .as_str()
            .expect("a time")
            .ends_with("+03:00")
    );
    assert_eq!(reports[1]["amendments"], Value::Array(Vec::new()));

    // The queue and the dashboard link to it.
    for page in [REVIEW, "/m/test-2017/overview"] {
        let body = lead.get(page).await.body;
        assert!(
            body.contains("/m/test-2017/review/export-amendments.csv?")
                && body.contains("CSV: corrections and additions"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn json_and_geojson_carry_the_stored_reports() {
    let (app, mut lead) = with_incidents().await;
    let page = lead.get(&format!("{REVIEW}/export.json")).await;
    assert_eq!(page.status, StatusCode::OK);
    let reports: Vec<Value> = serde_json::from_str(&page.body).expect("JSON");
    assert_eq!(reports.len(), 2);
    let stored: Value = serde_json::from_str(
        &app.text("SELECT answers FROM reports ORDER BY seq LIMIT 1")
            .await,
    )
    .expect("answers");
    assert_eq!(reports[0]["answers"], stored);
    assert_eq!(reports[0]["form"], "incident");
    assert_eq!(reports[0]["place"]["codes"]["ward"], "0001");
    assert_eq!(reports[1]["place"]["name"], "Parklands Baptist");

    // Only located reports are features: Parklands Baptist gets coordinates.
    app.execute("UPDATE regions SET latitude = -1.26, longitude = 36.81 WHERE code = '1427001'")
        .await;
    let page = lead.get(&format!("{REVIEW}/export.geojson")).await;
    assert_eq!(page.header("content-type"), "application/geo+json");
    let geo: Value = serde_json::from_str(&page.body).expect("GeoJSON");
    assert_eq!(geo["type"], "FeatureCollection");
    let features = geo["features"].as_array().expect("features");
    assert_eq!(features.len(), 1);
    assert_eq!(features[0]["geometry"]["coordinates"][0], 36.81);
    assert_eq!(features[0]["geometry"]["coordinates"][1], -1.26);
    assert_eq!(
        features[0]["properties"]["reference"],
        reports[1]["reference"]
    );
    assert!(features[0]["properties"].get("answers").is_none());
    assert!(features[0]["properties"].get("amendments").is_none());
    assert_eq!(features[0]["properties"]["amendment_count"], 0);
}

/// Every export, asked for as a browser asks (gzip accepted), arrives whole through the
/// stack `fieldreport serve` builds, and says what the database holds. The stream once
/// panicked after its end under compression, cutting every browser's download short.
#[tokio::test]
async fn every_export_downloads_whole_under_gzip_and_matches_the_database() {
    let app = TestApp::new().await;
    app.generate_reports(2_000, 11).await;
    app.execute("UPDATE regions SET latitude = -1.0 - id * 0.001, longitude = 36.0")
        .await;
    let mut lead = app.signed_in("lead").await;
    let ids = |form: &'static str| {
        let sql = common::leak(format!(
            "SELECT group_concat(id, ' ') FROM (SELECT r.id FROM reports r JOIN forms f ON f.id = r.form_id
             WHERE r.mission_id = {} AND f.key {form} ORDER BY r.seq)",
            app.mission_id
        ));
        let app = &app;
        async move {
            app.text(sql)
                .await
                .split(' ')
                .map(String::from)
                .collect::<Vec<_>>()
        }
    };

    for form in ["opening", "voting", "closing", "incident"] {
        let page = lead.get(&format!("{REVIEW}/export.csv?form={form}")).await;
        assert_eq!(page.status, StatusCode::OK, "{form}");
        assert_eq!(page.header("content-encoding"), "gzip", "{form}");
        let (header, rows) = csv_rows(&page);
        let id = header.iter().position(|h| h == "id").expect("an id column");
        let exported: Vec<String> = rows.iter().map(|r| r[id].clone()).collect();
        let stored = ids(common::leak(format!("= '{form}'"))).await;
        assert_eq!(exported, stored, "{form}: every report, in order");
    }

    let page = lead.get(&format!("{REVIEW}/export.json")).await;
    assert_eq!(page.header("content-encoding"), "gzip");
    let reports: Vec<Value> = serde_json::from_str(&page.body).expect("whole JSON");
    let exported: Vec<String> = reports
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(exported, ids("IS NOT NULL").await);
    let last = reports.last().expect("reports");
    let stored: Value = serde_json::from_str(
        &app.text("SELECT answers FROM reports ORDER BY seq DESC LIMIT 1")
            .await,
    )
    .expect("answers");
    assert_eq!(last["answers"], stored, "the last report arrived whole");

    let page = lead.get(&format!("{REVIEW}/export.geojson")).await;
    assert_eq!(page.header("content-encoding"), "gzip");
    let geo: Value = serde_json::from_str(&page.body).expect("whole GeoJSON");
    let features = geo["features"].as_array().expect("features");
    assert_eq!(features.len(), reports.len(), "every station is located");
    assert!(
        page.wire_bytes * 3 < page.bytes.len(),
        "compressed: {} of {}",
        page.wire_bytes,
        page.bytes.len()
    );
}

#[tokio::test]
async fn exports_follow_the_queue_filters_at_any_size() {
    let app = TestApp::new().await;
    app.generate_reports(3_000, 7).await;
    let mut lead = app.signed_in("lead").await;
    let all: Vec<Value> =
        serde_json::from_str(&lead.get(&format!("{REVIEW}/export.json")).await.body).expect("JSON");
    assert_eq!(all.len(), 3_000);

    for query in [
        "status=verified",
        "form=voting&severity=high",
        "region=1&problems=1",
    ] {
        let queue = lead.get(&format!("{REVIEW}?{query}")).await;
        let text = queue.body.clone();
        let matched: i64 = text[..text.find(" match.").expect("count")]
            .rsplit('>')
            .next()
            .and_then(|s| s.split_whitespace().next())
            .map(|s| s.replace(',', ""))
            .and_then(|s| s.parse().ok())
            .expect("a number");
        let exported: Vec<Value> = serde_json::from_str(
            &lead
                .get(&format!("{REVIEW}/export.json?{query}"))
                .await
                .body,
        )
        .expect("JSON");
        assert_eq!(exported.len() as i64, matched, "{query}");
    }
    let voting = app
        .count("SELECT count(*) FROM reports r JOIN forms f ON f.id = r.form_id WHERE f.key = 'voting' AND r.mission_id = 1")
        .await;
    let (_, rows) = csv_rows(&lead.get(&format!("{REVIEW}/export.csv?form=voting")).await);
    assert_eq!(rows.len() as i64, voting);

    // Observers never export.
    let mut observer = app.signed_in("observer").await;
    let refused = observer.get(&format!("{REVIEW}/export.json")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
