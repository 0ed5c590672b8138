//! What an observer's phone downloads on a first visit: each page of theirs with its
//! stylesheet and its outbox script, gzipped as the server sends them to any browser,
//! stays under 15 KB.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, MISSION, TestApp};

/// The budget for a first visit: the page, the stylesheet and the script, compressed.
const BUDGET: usize = 15 * 1024;

/// The bytes sent for `path` to a browser accepting gzip, and the encoding used.
async fn sent(browser: &mut Browser, path: &str) -> (usize, String) {
    let page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}");
    (page.wire_bytes, page.header("content-encoding").to_owned())
}

#[tokio::test]
async fn observer_pages_with_their_stylesheet_fit_the_first_visit_budget() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    observer.headers = vec![("accept-encoding", "gzip, deflate, br".to_owned())];
    let home = observer.get(&format!("/m/{MISSION}/observer")).await;
    let linked = |prefix: &str| {
        let start = home.body.find(prefix).unwrap_or_else(|| panic!("{prefix}"));
        let end = start + home.body[start..].find('"').expect("end of the address");
        home.body[start..end].to_owned()
    };
    let (css, encoding) = sent(&mut observer, &linked("/static/style.")).await;
    assert_eq!(encoding, "gzip");
    let (script, encoding) = sent(&mut observer, &linked("/static/outbox.")).await;
    assert_eq!(encoding, "gzip");
    let files = css + script;

    let station = app.region_id(4, "0001001").await;
    let ward = app.region_id(3, "0001").await;
    let mut pages = vec![
        format!("/m/{MISSION}/observer"),
        format!("/m/{MISSION}/observer/reports"),
    ];
    for form in ["opening", "voting", "closing"] {
        pages.push(format!("/m/{MISSION}/observer/file/{form}/{station}"));
    }
    pages.push(format!("/m/{MISSION}/observer/file/incident/{ward}"));
    for page in pages {
        let (html, encoding) = sent(&mut observer, &page).await;
        assert_eq!(encoding, "gzip", "{page}");
        println!("{page}: {html} bytes + stylesheet {css} + script {script} bytes");
        assert!(
            html + files < BUDGET,
            "{page}: {html} + {files} bytes is over {BUDGET}"
        );
    }
}

#[tokio::test]
async fn clients_without_gzip_get_plain_pages() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    observer.headers = vec![("accept-encoding", "identity".to_owned())];
    let page = observer.get(&format!("/m/{MISSION}/observer")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-encoding"), "");
    assert!(page.body.contains("</html>"));
}
