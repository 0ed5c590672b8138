//! What the observer's outbox (static/outbox.js) relies on from the server: a fresh form
//! token, the list of pages to keep, and JSON replies to a report sent from the phone:
//! filed (once, however often it is sent), answers to fix, a stale token, no session.

mod common;

use axum::http::StatusCode;
use common::{Browser, MISSION, Page, TestApp};
use serde_json::Value;

fn json(page: &Page) -> Value {
    assert!(
        page.header("content-type").starts_with("application/json"),
        "{} {}",
        page.status,
        page.body
    );
    serde_json::from_str(&page.body).expect("JSON")
}

/// The browser as the outbox's fetch: JSON asked for, the token in a header.
async fn as_outbox(browser: &mut Browser) -> i64 {
    browser.headers = vec![("accept", "application/json".to_owned())];
    let token = json(
        &browser
            .get(&format!("/m/{MISSION}/observer/outbox/token"))
            .await,
    );
    let csrf = token["token"].as_str().expect("a token").to_owned();
    browser.headers.push(("x-csrf-token", csrf));
    token["user"].as_i64().expect("whose token")
}

/// An observer signed in, and the blank Voting form of a polling station.
async fn voting_form(app: &TestApp) -> (Browser, Page) {
    let mut observer = app.signed_in("observer").await;
    let station = app.region_id(4, "0001001").await;
    let form = observer
        .get(&format!("/m/{MISSION}/observer/file/voting/{station}"))
        .await;
    (observer, form)
}

#[tokio::test]
async fn a_report_sent_from_the_outbox_is_filed_once_with_its_receipt() {
    let app = TestApp::new().await;
    let (mut observer, form) = voting_form(&app).await;
    assert!(
        form.body.contains("data-outbox"),
        "the form is the outbox's"
    );
    assert!(
        form.body.contains("data-new"),
        "a blank form gets fresh ids"
    );
    assert_eq!(
        as_outbox(&mut observer).await,
        app.user_id("observer").await
    );

    // The form's own token is left out, as the outbox leaves it: the header carries one.
    let reply = observer
        .send_form(&form, &common::voting_fine(), &[("_csrf", "")])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let filed = json(&reply);
    assert_eq!(filed["outcome"], "filed");
    let reference = filed["reference"].as_str().expect("reference").to_owned();
    assert_eq!(
        app.text("SELECT reference FROM reports").await,
        reference,
        "the reference on the phone is the one on file"
    );
    let receipt = filed["receipt"].as_str().expect("receipt").to_owned();
    observer.headers.clear();
    assert!(observer.get(&receipt).await.body.contains(&reference));

    // Sent again (the reply was lost, or a second tab sent it too): the same receipt.
    as_outbox(&mut observer).await;
    let again = json(
        &observer
            .send_form(&form, &common::voting_fine(), &[("_csrf", "")])
            .await,
    );
    assert_eq!(again["reference"], reference.as_str());
    assert_eq!(again["unsaved"], false);
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
}

#[tokio::test]
async fn the_outbox_learns_what_to_fix_and_when_to_renew_or_sign_in() {
    let app = TestApp::new().await;
    let (mut observer, form) = voting_form(&app).await;
    as_outbox(&mut observer).await;

    // Answers that do not pass: kept on the phone to fix, nothing filed.
    let mut incomplete = common::voting_fine();
    incomplete.retain(|(k, _)| *k != "arrival_time");
    let reply = observer
        .send_form(&form, &incomplete, &[("_csrf", "")])
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let invalid = json(&reply);
    assert_eq!(invalid["outcome"], "invalid");
    assert!(
        invalid["message"]
            .as_str()
            .is_some_and(|m| m.contains("1 answer needs attention")),
        "{invalid}"
    );

    // A token from before the session was renewed: told to renew it.
    observer.headers.pop();
    observer.headers.push(("x-csrf-token", "0".repeat(256)));
    let stale = observer
        .send_form(&form, &common::voting_fine(), &[("_csrf", "")])
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert_eq!(json(&stale)["outcome"], "stale");

    // No session: told to sign in; the report is neither filed nor parked on the server.
    app.execute("DELETE FROM sessions").await;
    let signed_out = observer
        .send_form(&form, &common::voting_fine(), &[("_csrf", "")])
        .await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(json(&signed_out)["outcome"], "signed_out");
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM parked_submissions").await,
        0
    );

    // An error of another kind comes as JSON too, with its message.
    observer.headers.clear();
    observer
        .sign_in("observer", &common::password_of("observer"))
        .await;
    as_outbox(&mut observer).await;
    let refused = observer
        .send_form(
            &form,
            &common::voting_fine(),
            &[("_csrf", ""), ("form_id", "999999")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(json(&refused)["error"]["message"].is_string());
}

#[tokio::test]
async fn the_phone_keeps_home_forms_and_the_stations_of_the_assignment() {
    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let mut observer = app.signed_in("observer").await;
    observer.headers = vec![("accept", "application/json".to_owned())];
    let list = json(
        &observer
            .get(&format!("/m/{MISSION}/observer/offline.json"))
            .await,
    );
    let pages: Vec<&str> = list["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let station = app.region_id(4, "0001001").await;
    for page in [
        format!("/m/{MISSION}/observer"),
        format!("/m/{MISSION}/observer/file/voting"),
        format!("/m/{MISSION}/observer/file/voting/{station}"),
        format!("/m/{MISSION}/observer/file/incident/{station}"),
    ] {
        assert!(pages.contains(&page.as_str()), "{page} in {pages:?}");
    }
    observer.headers.clear();
    for page in &pages {
        assert_eq!(observer.get(page).await.status, StatusCode::OK, "{page}");
    }
    for asset in list["assets"].as_array().expect("assets") {
        let asset = asset.as_str().expect("an address");
        let file = observer.get(asset).await;
        assert_eq!(file.status, StatusCode::OK, "{asset}");
        assert!(file.header("cache-control").contains("immutable"));
    }

    // The service worker: a fixed address, checked for updates (a phone's cache answers
    // for an hour), allowed the mission's pages.
    let worker = observer.get("/sw.js").await;
    assert_eq!(worker.status, StatusCode::OK);
    assert_eq!(worker.header("cache-control"), "max-age=3600");
    assert_eq!(worker.header("service-worker-allowed"), "/m/");
    // Browsers check it after page views: a phone that has it gets a 304, not the script.
    let etag = worker.header("etag").to_owned();
    assert!(
        etag.starts_with("\"sw.") && etag.ends_with(".js\""),
        "{etag:?}"
    );
    observer.headers = vec![("if-none-match", etag.clone())];
    let unchanged = observer.get("/sw.js").await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.bytes.is_empty());
    assert_eq!(unchanged.header("etag"), etag);
    observer.headers = vec![("if-none-match", "\"sw.0000000000.js\"".to_owned())];
    let changed = observer.get("/sw.js").await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.bytes, worker.bytes);
    observer.headers.clear();

    // Reviewers' pages do not load the outbox.
    let mut lead = app.signed_in("lead").await;
    let overview = lead.get(&format!("/m/{MISSION}/overview")).await;
    assert!(!overview.body.contains("/static/outbox."));
}
