//! The tests' client keeps cookies as a browser does: every test that signs in, signs out or
//! lets a session lapse relies on it, so its own rules are checked here, against a server
//! that sets the cookies the app never does.

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::AppendHeaders;
use axum::routing::get;
use fieldreport::server::Limits;

use crate::common::{self, Browser};

/// What the request carried in its Cookie header.
async fn echo(headers: HeaderMap) -> String {
    headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn cookie_server() -> Browser {
    let router = Router::new()
        .route(
            "/set",
            get(|| async {
                AppendHeaders([
                    (header::SET_COOKIE, "scoped=1; Path=/a"),
                    (header::SET_COOKIE, "whole=1; Path=/; Max-Age=60; HttpOnly"),
                    (header::SET_COOKIE, "secure=1; Path=/; Secure"),
                    (
                        header::SET_COOKIE,
                        "stale=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                    ),
                ])
            }),
        )
        .route(
            "/clear",
            get(|| async {
                AppendHeaders([
                    (header::SET_COOKIE, "whole=; Path=/; Max-Age=0"),
                    (
                        header::SET_COOKIE,
                        "secure=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                    ),
                ])
            }),
        )
        .route("/a/echo", get(echo))
        .route("/b/echo", get(echo));
    let address = common::serve(router, Limits::default()).await;
    Browser::new(&format!("http://{address}"), None)
}

fn names(sent: &str) -> Vec<&str> {
    let mut names: Vec<&str> = sent
        .split("; ")
        .filter_map(|pair| pair.split_once('=').map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    names
}

#[tokio::test]
async fn cookies_go_only_where_their_path_allows_and_only_until_they_expire() {
    let mut browser = cookie_server().await;
    assert_eq!(browser.get("/set").await.status, StatusCode::OK);
    // A Secure cookie goes back over loopback, which browsers take for a secure origin.
    assert_eq!(
        names(&browser.get("/a/echo").await.body),
        ["scoped", "secure", "whole"]
    );
    assert_eq!(
        names(&browser.get("/b/echo").await.body),
        ["secure", "whole"]
    );
    assert_eq!(browser.cookies.get("whole").as_deref(), Some("1"));
    assert_eq!(browser.cookies.get("stale"), None);

    browser.get("/clear").await;
    assert_eq!(names(&browser.get("/a/echo").await.body), ["scoped"]);
    assert_eq!(browser.cookies.get("whole"), None);
}

#[tokio::test]
async fn a_copied_browser_keeps_its_own_cookies() {
    let mut browser = cookie_server().await;
    browser.get("/set").await;
    let mut copy = browser.clone();
    copy.cookies.insert("planted".into(), "x".into());
    copy.get("/clear").await;
    assert_eq!(
        names(&copy.get("/b/echo").await.body),
        ["planted"],
        "the copy has what it was given and what it was told since"
    );
    assert_eq!(
        names(&browser.get("/b/echo").await.body),
        ["secure", "whole"],
        "the original is untouched by the copy"
    );
    assert_eq!(
        browser
            .cookies
            .insert("whole".into(), "2".into())
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        browser.get("/b/echo").await.body.matches("whole=2").count(),
        1
    );
}
