//! In a real browser on a phone: a page elsewhere that auto-submits a filled Voting
//! checklist to fieldreport plants nothing. Whether the observer is signed in or not, and
//! whether the page is on another site or on another port of the same host, Chromium marks
//! the post as coming from elsewhere, fieldreport answers "Form not accepted", and no
//! report is filed, none is kept for later, and no "check your answers and send" page
//! comes back to the observer after they sign in.

use crate::chromium;
use crate::common;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use chromium::Chromium;
use common::{MISSION, TestApp, password_of, voting_fine};
use fantoccini::Locator;

/// What the planted report says, to look for wherever it could come back.
const PLANTED: &str = "PLANTED BY ANOTHER SITE";

/// The app with the observer deployed, and the attacker's page: a Voting checklist for a
/// real station of that observer, filled in, sent to the app as soon as it loads. It has
/// everything a report form has but the session's CSRF token and the ticket, which only
/// fieldreport can give.
async fn app_and_planted_form() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let station = app.region_id(4, "0001001").await;
    let sql = format!(
        "SELECT id FROM forms WHERE key = 'voting' AND mission_id = {} ORDER BY version DESC",
        app.mission_id
    );
    let form_id = app.count(common::leak(sql)).await;
    let mut fields = vec![
        ("submission_id".to_owned(), uuid::Uuid::new_v4().to_string()),
        ("form_id".to_owned(), form_id.to_string()),
        ("region_id".to_owned(), station.to_string()),
        ("observed_at".to_owned(), common::an_hour_ago().to_owned()),
    ];
    fields.extend(
        voting_fine()
            .into_iter()
            .map(|(key, value)| (format!("q.{key}"), value.to_owned())),
    );
    fields.push(("q.comments".to_owned(), PLANTED.to_owned()));
    let inputs: String = fields
        .iter()
        .map(|(name, value)| format!("<input type=\"hidden\" name=\"{name}\" value=\"{value}\">"))
        .collect();
    let page = format!(
        "<!doctype html><title>Win a phone</title>\
         <form method=\"post\" action=\"{}/m/{MISSION}/observer/file\">{inputs}</form>\
         <script>document.forms[0].submit()</script>",
        app.base
    );
    (app, page)
}

/// Serves `page` at `/` of a server of its own on `host` (any free port), and says where.
async fn serve_page(host: &str, page: String) -> String {
    let router = Router::new().route("/", get(move || async move { Html(page) }));
    let listener = tokio::net::TcpListener::bind((host, 0))
        .await
        .expect("bind the other site");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}/")
}

/// Another site: 127.0.0.2 is another host than the app's 127.0.0.1 (Linux answers all of
/// 127.0.0.0/8 on loopback), hence another site to the browser. Chromium (156) sends the
/// post, marked `Sec-Fetch-Site: cross-site` with the page's `Origin`, and withholds the
/// SameSite=Lax session cookie. Both addresses are loopback, so Local (Private) Network
/// Access, which stops public pages from reaching loopback, does not apply.
async fn another_site(page: String) -> String {
    serve_page("127.0.0.2", page).await
}

/// The same site (the app's host), another origin (another port): Chromium marks the post
/// `Sec-Fetch-Site: same-site` and sends the session cookie with it, since cookies do not
/// tell ports apart.
async fn another_port(page: String) -> String {
    serve_page("127.0.0.1", page).await
}

/// Opens the attacker's page, lets it send itself, and waits for fieldreport's refusal.
async fn refused(browser: &Chromium, attacker: &str, screenshot: &str) {
    browser.client.goto(attacker).await.expect("the other page");
    browser
        .wait_for_text(Locator::Css("h1"), "Form not accepted")
        .await;
    let source = browser.client.source().await.expect("source");
    assert!(
        source.contains("nothing was saved") && !source.contains(PLANTED),
        "{source}"
    );
    browser.screenshot(screenshot).await;
}

async fn nothing_written(app: &TestApp) {
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM parked_submissions").await,
        0
    );
}

/// The observer's own pages show nothing of the planted report.
async fn nothing_for_the_observer(browser: &Chromium, base: &str) {
    let c = &browser.client;
    c.goto(&format!("{base}/m/{MISSION}/observer"))
        .await
        .expect("home");
    let home = browser
        .wait_for_text(Locator::Css("main"), "My reports")
        .await;
    assert!(!home.contains("My reports ("), "no report counted: {home}");
    c.goto(&format!("{base}/m/{MISSION}/observer/reports"))
        .await
        .expect("my reports");
    browser
        .wait_for_text(Locator::Css("main"), "You have not filed a report yet.")
        .await;
    assert!(!c.source().await.expect("source").contains(PLANTED));
}

#[tokio::test]
async fn a_page_on_another_site_plants_no_report_for_a_signed_in_observer() {
    let (app, page) = app_and_planted_form().await;
    let attacker = another_site(page).await;
    let browser = Chromium::phone().await;
    browser
        .sign_in(&app.base, "observer", &password_of("observer"))
        .await;

    refused(&browser, &attacker, "planted-report-from-another-site").await;
    // The browser stays where the post went: no redirect to a page that shows it back.
    let url = browser.client.current_url().await.expect("url");
    assert_eq!(
        url.as_str(),
        format!("{}/m/{MISSION}/observer/file", app.base)
    );
    nothing_written(&app).await;
    nothing_for_the_observer(&browser, &app.base).await;
    browser.quit().await;
}

#[tokio::test]
async fn a_page_on_another_site_plants_no_report_for_an_observer_who_signs_in_after() {
    let (app, page) = app_and_planted_form().await;
    let attacker = another_site(page).await;
    // A fresh browser: no cookie of the app at all.
    let browser = Chromium::phone().await;

    refused(&browser, &attacker, "planted-report-before-sign-in").await;
    nothing_written(&app).await;
    browser
        .sign_in(&app.base, "observer", &password_of("observer"))
        .await;
    // Signing in leads home, not to a "you were signed out, check and send" page.
    browser
        .wait_for_text(Locator::Css("main"), "My reports")
        .await;
    let url = browser.client.current_url().await.expect("url");
    assert_eq!(url.as_str(), format!("{}/m/{MISSION}/observer", app.base));
    nothing_written(&app).await;
    nothing_for_the_observer(&browser, &app.base).await;
    browser.quit().await;
}

#[tokio::test]
async fn a_page_on_another_port_of_the_same_host_plants_no_report() {
    let (app, page) = app_and_planted_form().await;
    let attacker = another_port(page).await;
    let browser = Chromium::phone().await;
    browser
        .sign_in(&app.base, "observer", &password_of("observer"))
        .await;

    refused(&browser, &attacker, "planted-report-from-another-port").await;
    let url = browser.client.current_url().await.expect("url");
    assert_eq!(
        url.as_str(),
        format!("{}/m/{MISSION}/observer/file", app.base)
    );
    nothing_written(&app).await;
    nothing_for_the_observer(&browser, &app.base).await;
    browser.quit().await;
}
