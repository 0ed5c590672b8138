//! Free-text search over reports as the writer indexes it: once per transaction, after the
//! jobs (`store::reports::index_search_text`).

use crate::common;

use axum::http::StatusCode;
use common::{MISSION, TestApp};
use fieldreport::domain::region_path::RegionPath;
use fieldreport::domain::report::AmendmentKind;
use fieldreport::store::StoreError;
use fieldreport::store::reports::{self, NewReport};
use serde_json::json;

async fn report(app: &TestApp, id: &'static str, words: &str) -> NewReport {
    let observer = app.user_id("observer").await;
    let station = app.region_id(4, "0001001").await;
    let mission = app.mission_id;
    let (form_id, region_path) = app
        .store
        .read(move |conn| {
            let form: i64 = conn.query_row(
                "SELECT id FROM forms WHERE mission_id = ?1 AND key = 'incident' ORDER BY version DESC LIMIT 1",
                [mission],
                |r| r.get(0),
            )?;
            let path: RegionPath =
                conn.query_row("SELECT path FROM regions WHERE id = ?1", [station], |r| r.get(0))?;
            Ok((form, path))
        })
        .await
        .expect("form and place");
    NewReport {
        id: id.to_owned(),
        mission_id: mission,
        reference_prefix: "TE".into(),
        form_id,
        observer_id: observer,
        region_id: station,
        region_path,
        observed_at: fieldreport::store::now() - 600,
        channel: "web",
        severity: None,
        problems: Vec::new(),
        category: None,
        answers: json!({ "comments": words }),
    }
}

async fn found(app: &TestApp, words: &str) -> bool {
    let mut coordinator = app.signed_in_once("coordinator").await;
    let page = coordinator
        .get(&format!("/m/{MISSION}/review?q={words}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    !page.contains("No report matches these filters.")
}

/// A report amended in the very transaction that files it (an outbox sending both at
/// once) is found by the words of both; a report whose job failed leaves no words behind.
#[tokio::test]
async fn words_of_a_report_and_its_amendment_in_one_transaction_are_both_found() {
    let app = TestApp::new().await;
    let amended = report(
        &app,
        "00000000-0000-4000-8000-000000000001",
        "ballots soaked",
    )
    .await;
    let undone = report(&app, "00000000-0000-4000-8000-000000000002", "ghostly").await;
    let (mission, observer) = (app.mission_id, amended.observer_id);
    let store = app.store.clone();
    // Both jobs queued before either is answered: the writer runs them in one batch.
    let first = store.write(move |conn| {
        let receipt = reports::file(conn, &amended)?;
        reports::amend(
            conn,
            mission,
            observer,
            &receipt.id,
            "00000000-0000-4000-8000-00000000000a",
            AmendmentKind::Addition,
            "turnout inflated",
        )
    });
    let second = app.store.write(move |conn| {
        reports::file(conn, &undone)?;
        Err::<(), _>(StoreError::Task("undone on purpose".into()))
    });
    let (first, second) = tokio::join!(first, second);
    first.expect("filed and amended");
    assert!(second.is_err());
    assert!(found(&app, "soaked").await, "the report's own words");
    assert!(found(&app, "inflated").await, "the amendment's words");
    assert!(!found(&app, "ghostly").await, "nothing of the undone job");
    assert_eq!(
        app.count("SELECT count(*) FROM report_text").await,
        1,
        "one report indexed"
    );
}
