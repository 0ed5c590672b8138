//! What the observer's outbox (static/outbox.js) relies on from the server: a fresh form
//! token, the list of pages to keep, and JSON replies to a report sent from the phone:
//! filed (once, however often it is sent), answers to fix, a stale token, no session.

use crate::common;

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
    let home = observer.get(&format!("/m/{MISSION}/observer")).await;
    observer.headers = vec![("accept", "application/json".to_owned())];
    let copy = json(
        &observer
            .get(&format!("/m/{MISSION}/observer/offline.json"))
            .await,
    );
    assert_eq!(
        copy["version"].as_str(),
        Some(home.header("x-offline-version")),
        "the copy is of the version the pages name"
    );
    let kept: Vec<(&str, &str)> = copy["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|p| {
            (
                p["url"].as_str().expect("url"),
                p["html"].as_str().expect("html"),
            )
        })
        .collect();
    let pages: Vec<&str> = kept.iter().map(|(url, _)| *url).collect();
    let station = app.region_id(4, "0001001").await;
    for page in [
        format!("/m/{MISSION}/observer"),
        format!("/m/{MISSION}/observer/file/voting"),
        format!("/m/{MISSION}/observer/file/voting/{station}"),
        format!("/m/{MISSION}/observer/file/incident/{station}"),
    ] {
        assert!(pages.contains(&page.as_str()), "{page} in {pages:?}");
    }
    // Each kept page is the page as it is served, with the session's token masked once
    // for the whole copy: the copies of a form at each station then compress together.
    observer.headers.clear();
    let token = |html: &str| common::hidden_value(html, "_csrf").expect("a form token");
    let masked = token(kept[0].1);
    for (url, html) in &kept {
        let served = observer.get(url).await;
        assert_eq!(served.status, StatusCode::OK, "{url}");
        let title = |page: &str| page[page.find("<title>").expect("title")..][..60].to_owned();
        assert_eq!(title(html), title(&served.body), "{url}");
        assert!(html.trim_end().ends_with("</html>"), "{url}: a whole page");
        assert_eq!(token(html), masked, "{url}");
        assert_ne!(
            token(&served.body),
            masked,
            "each response masks the token afresh"
        );
    }
    let blank = kept
        .iter()
        .find(|(url, _)| url.ends_with(&format!("/file/voting/{station}")))
        .expect("the blank Voting form")
        .1;
    assert!(
        blank.contains("data-new"),
        "a kept form gets fresh ids on the phone"
    );
    let fallback = copy["fallback"]
        .as_str()
        .expect("the page for pages not kept");
    assert!(fallback.contains("<h1>No network</h1>"), "{fallback}");
    for asset in copy["assets"].as_array().expect("assets") {
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

/// The version of the kept copy each observer page carries (`X-Offline-Version`).
async fn version_at(browser: &mut Browser, path: &str) -> String {
    let page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}");
    page.header("x-offline-version").to_owned()
}

#[tokio::test]
async fn the_kept_copy_changes_version_with_the_pages_it_holds_and_only_then() {
    use fieldreport::domain::form::FormDefinition;
    use fieldreport::store::audit::Actor;

    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let mut observer = app.signed_in("observer").await;
    let home = format!("/m/{MISSION}/observer");
    let first = version_at(&mut observer, &home).await;
    assert_eq!(first.len(), 16, "{first:?}");
    // Every page says the same, view after view: the phone fetches nothing.
    assert_eq!(version_at(&mut observer, &home).await, first);
    assert_eq!(
        version_at(&mut observer, &format!("{home}/reports")).await,
        first
    );
    assert_eq!(
        version_at(&mut observer, &format!("{home}/file/voting")).await,
        first
    );
    let station = app.region_id(4, "0001001").await;
    let (_, filed) = observer
        .file("voting", station, &common::voting_fine())
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    assert_eq!(version_at(&mut observer, filed.location()).await, first);

    // A new assignment: new stations' forms to keep.
    app.assign("observer", 3, "0006").await;
    let assigned = version_at(&mut observer, &home).await;
    assert_ne!(assigned, first);

    // A new version of a form.
    let voting = fieldreport::demo::FORMS
        .iter()
        .find(|t| t.contains("key = \"voting\""))
        .expect("the demo Voting form")
        .replace("title = \"Voting\"", "title = \"Voting, second version\"");
    let definition = FormDefinition::from_toml(&voting).expect("a form");
    let mission = app.mission_id;
    app.store
        .write(move |conn| {
            fieldreport::store::forms::import(conn, mission, &definition, &Actor::command_line())
        })
        .await
        .expect("new version");
    let new_form = version_at(&mut observer, &home).await;
    assert_ne!(new_form, assigned);

    // Another language.
    observer.cookies.insert("fr_lang".into(), "fr".into());
    let french = version_at(&mut observer, &home).await;
    assert_ne!(french, new_form);

    // Another session: its token is in every page.
    let mut again = app.signed_in("observer").await;
    again.cookies.insert("fr_lang".into(), "fr".into());
    assert_ne!(version_at(&mut again, &home).await, french);

    // Pages that are not the observer's carry none.
    let mut lead = app.signed_in("lead").await;
    let overview = lead.get(&format!("/m/{MISSION}/overview")).await;
    assert_eq!(overview.header("x-offline-version"), "");
}

/// The copy is sent again only when it changed: asked with the version the phone keeps, the
/// server answers 304 without making it. Kept pages carry the pages' security headers.
#[tokio::test]
async fn the_copy_is_not_made_again_for_a_phone_that_has_it() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let path = format!("/m/{MISSION}/observer/offline.json");
    let first = observer.get(&path).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header("etag").to_owned();
    let copy: serde_json::Value = serde_json::from_str(&first.body).expect("JSON");
    assert_eq!(
        etag,
        format!("\"{}\"", copy["version"].as_str().expect("version"))
    );
    assert!(
        copy["headers"]["content-security-policy"]
            .as_str()
            .is_some_and(|p| p.contains("frame-ancestors 'none'"))
    );

    observer.headers = vec![("if-none-match", etag.clone())];
    let same = observer.get(&path).await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    assert!(same.body.is_empty());
    // A version the server no longer has gets the copy.
    observer.headers = vec![("if-none-match", "\"0123456789abcdef\"".to_owned())];
    assert_eq!(observer.get(&path).await.status, StatusCode::OK);
}
