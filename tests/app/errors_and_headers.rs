//! Friendly error pages (JSON under /api/), security headers, body limits and assets.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{MISSION, TestApp};
use fieldreport::Config;

#[tokio::test]
async fn unknown_pages_are_a_friendly_404() {
    let app = TestApp::new().await;
    let page = app.browser().get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.contains("Page not found") && page.contains("href=\"/\""));
    assert!(
        page.contains("/static/style."),
        "the error page uses the site's layout"
    );
}

#[tokio::test]
async fn api_errors_are_json() {
    let app = TestApp::new().await;
    let page = app.browser().get("/api/nothing-here").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.header("content-type").starts_with("application/json"));
    let json: serde_json::Value = serde_json::from_str(&page.body).expect("json");
    assert_eq!(json["error"]["status"], 404);
    assert_eq!(json["error"]["title"], "Page not found");
    let health: serde_json::Value =
        serde_json::from_str(&app.browser().get("/api/health").await.body).expect("json");
    assert_eq!(
        health["schema_version"],
        fieldreport::store::latest_version()
    );
}

#[tokio::test]
async fn wrong_method_and_forbidden_pages_explain_themselves() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let page = observer.send(Method::GET, "/logout", None).await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        page.contains("does not accept that kind of request"),
        "{}",
        page.body
    );
    let page = observer.get(&format!("/m/{MISSION}/admin")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.contains("Your role in this mission does not give access"));
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_and_change_nothing() {
    let app = TestApp::with_config(Config {
        body_limit: 4096,
        ..Default::default()
    })
    .await;
    let mut admin = app.signed_in("admin").await;
    let token = admin.get(&format!("/m/{MISSION}/admin")).await.csrf();
    let huge = "x".repeat(10_000);
    let page = admin
        .post_raw(
            &format!("/m/{MISSION}/admin/users"),
            &[
                ("_csrf", &token),
                ("username", "big"),
                ("display_name", &huge),
                ("role", "observer"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("Too much data"));
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'big'")
            .await,
        0
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    let mut lead = app.signed_in("lead").await;
    let overview = lead.get(&format!("/m/{MISSION}/overview")).await;
    let login = app.browser().get("/login").await;
    let missing = app.browser().get("/nope").await;
    let stylesheet_url = {
        let start = login.body.find("/static/style.").expect("stylesheet link");
        let end = start + login.body[start..].find('"').expect("end");
        login.body[start..end].to_owned()
    };
    let css = app.browser().get(&stylesheet_url).await;
    for page in [&overview, &login, &missing, &css] {
        let csp = page.header("content-security-policy");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(page.header("x-content-type-options"), "nosniff");
        assert_eq!(page.header("referrer-policy"), "same-origin");
    }
    assert_eq!(
        overview.header("cache-control"),
        "no-store",
        "pages with personal data are not cached"
    );
    assert!(
        !overview.body.contains("<script>") && !overview.body.contains("style=\""),
        "no inline script or style"
    );

    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").starts_with("text/css"));
    assert_eq!(
        css.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(
        css.body.len() < 12_000,
        "one small stylesheet: {} bytes",
        css.body.len()
    );
    assert_eq!(
        app.browser().get("/static/style.css").await.status,
        StatusCode::NOT_FOUND,
        "only hashed names"
    );
}

/// Log lines, kept for a test to read.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut kept) = self.0.lock() {
            kept.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A handler that panics fails its own request with the usual 500 page, logged with what
/// it said; the connection and the server go on serving.
#[tokio::test]
async fn a_panicking_handler_gets_a_logged_500_and_the_connection_goes_on() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // This test's runtime runs on this thread only, the server's tasks included.
    let _logging = tracing::subscriber::set_default(subscriber);

    let app = TestApp::new().await;
    async fn panics() -> &'static str {
        panic!("a bug in a handler")
    }
    let routes = axum::Router::new()
        .route("/panics", axum::routing::get(panics))
        .route("/fine", axum::routing::get(|| async { "fine" }));
    let router = fieldreport::web::around(routes, app.state.clone());
    let address = common::serve(router, fieldreport::server::Limits::default()).await;
    let mut browser = common::Browser::new(&format!("http://{address}"), None);

    let page = browser.get("/panics").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.contains("Something went wrong"), "{}", page.body);
    assert!(
        !page.contains("a bug in a handler"),
        "nothing of the panic is shown"
    );
    let logged = String::from_utf8_lossy(&log.0.lock().expect("log")).into_owned();
    assert!(
        logged.contains("a handler panicked: a bug in a handler"),
        "{logged}"
    );
    // The same client (and its kept-alive connection) is served on.
    assert_eq!(browser.get("/fine").await.body, "fine");
    assert_eq!(
        browser.get("/panics").await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}
