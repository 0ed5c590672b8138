//! Nobody can plant a report under an observer's name, and a request that proves nothing
//! writes nothing: a report form posted without a live session is kept only when its
//! ticket proves that fieldreport gave it to that observer, only that observer can see or
//! resume it, and each observer's kept forms are bounded on their own.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, MISSION, OTHER_MISSION, Page, TestApp, hidden_value, voting_fine};

async fn voting_form(app: &TestApp, observer: &mut Browser) -> Page {
    let station = app.region_id(4, "0001001").await;
    let form = observer
        .get(&format!("/m/{MISSION}/observer/file/voting/{station}"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    form
}

/// Ends one user's sessions, as a lapse in the field would.
async fn sign_out_behind_their_back(app: &TestApp, username: &'static str) {
    let user = app.user_id(username).await;
    let sql: &'static str = common::leak(format!("DELETE FROM sessions WHERE user_id = {user}"));
    app.execute(sql).await;
}

/// The fields a form from elsewhere carries: well formed, with no ticket.
fn planted(form: &Page, comment: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> =
        ["submission_id", "form_id", "region_id", "observed_at"]
            .iter()
            .map(|name| {
                (
                    (*name).to_owned(),
                    hidden_value(&form.body, name).unwrap_or_default(),
                )
            })
            .collect();
    fields.extend(
        voting_fine()
            .into_iter()
            .map(|(k, v)| (format!("q.{k}"), v.to_owned())),
    );
    fields.push(("q.comments".to_owned(), comment.to_owned()));
    fields
}

async fn post_fields(browser: &mut Browser, path: &str, fields: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browser.post_raw(path, &pairs).await
}

fn file_path(slug: &str) -> String {
    format!("/m/{slug}/observer/file")
}

#[tokio::test]
async fn a_form_without_a_ticket_is_refused_signed_out_or_in_and_nothing_is_kept() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = voting_form(&app, &mut observer).await;
    let fields = planted(&form, "Planted by someone else.");

    // Signed out: once, this was parked and came back after sign-in to be sent.
    let mut stranger = app.browser();
    for slug in [MISSION, OTHER_MISSION, "no-such-mission"] {
        let refused = post_fields(&mut stranger, &file_path(slug), &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{slug}");
        assert!(refused.contains("Form not accepted"), "{}", refused.body);
        assert!(!refused.contains("Planted by someone else."));
    }
    // Signed in with a token that is not the session's: once, shown back ready to send.
    let mut with_stale = fields.clone();
    with_stale.push(("_csrf".to_owned(), "0".repeat(64)));
    let refused = post_fields(&mut observer, &file_path(MISSION), &with_stale).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.contains("Form not accepted"), "{}", refused.body);
    assert!(
        !refused.contains("Planted by someone else."),
        "the planted answers are not shown back"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM parked_submissions").await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);
}

#[tokio::test]
async fn another_observers_ticket_is_refused_and_a_parked_form_is_only_its_observers() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = voting_form(&app, &mut observer).await;
    let mut other = app.signed_in("observer2").await;

    // observer2 sends observer's form, ticket and all, with a stale token: not theirs.
    let refused = other
        .send_form(&form, &voting_fine(), &[("_csrf", &"0".repeat(64))])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.contains("Form not accepted"));

    // The observer's session lapses; their form is kept for them alone.
    sign_out_behind_their_back(&app, "observer").await;
    let parked = observer.send_form(&form, &voting_fine(), &[]).await;
    assert_eq!(parked.status, StatusCode::SEE_OTHER, "{}", parked.body);
    let id = hidden_value(&form.body, "submission_id").expect("id");
    let resume = format!("/m/{MISSION}/observer/file/resume/{id}");
    assert_eq!(other.get(&resume).await.status, StatusCode::NOT_FOUND);
    let mut lead = app.signed_in("lead").await;
    assert_eq!(lead.get(&resume).await.status, StatusCode::FORBIDDEN);

    let mut again = app.signed_in("observer").await;
    let resumed = again.get(&resume).await;
    assert_eq!(resumed.status, StatusCode::OK);
    assert!(resumed.contains("You were signed out before this report was sent."));
}

#[tokio::test]
async fn a_ticket_of_an_observer_who_was_disabled_or_of_another_mission_keeps_nothing() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = voting_form(&app, &mut observer).await;
    sign_out_behind_their_back(&app, "observer").await;
    app.execute("UPDATE users SET disabled_at = 1 WHERE username = 'observer'")
        .await;
    let refused = observer.send_form(&form, &voting_fine(), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    app.execute("UPDATE users SET disabled_at = NULL WHERE username = 'observer'")
        .await;
    // The same ticket sent to another mission's address proves nothing there.
    let mut fields = planted(&form, "");
    fields.push((
        "ticket".to_owned(),
        hidden_value(&form.body, "ticket").expect("ticket"),
    ));
    let elsewhere = post_fields(&mut app.browser(), &file_path(OTHER_MISSION), &fields).await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM parked_submissions").await,
        0
    );
}

#[tokio::test]
async fn forms_sent_from_another_site_are_refused_before_anything_is_read() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = voting_form(&app, &mut observer).await;
    for header in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "http://attacker.example"),
        ("origin", "null"),
    ] {
        let mut browser = observer.clone();
        browser.headers = vec![(header.0, header.1.to_owned())];
        // A valid token and ticket: only where it came from is wrong.
        let refused = browser.send_form(&form, &voting_fine(), &[]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{header:?}");
        assert!(refused.contains("Form not accepted"), "{header:?}");
        let mut login = app.browser();
        login.headers = vec![(header.0, header.1.to_owned())];
        let page = login.get("/login").await;
        let csrf = page.csrf();
        let signed = login
            .post_raw(
                "/login",
                &[
                    ("_csrf", &csrf),
                    ("username", "lead"),
                    ("password", &common::password_of("lead")),
                ],
            )
            .await;
        assert_eq!(signed.status, StatusCode::FORBIDDEN, "sign-in {header:?}");
    }
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);
    // Refused on its headers alone: a post that says it carries a body and sends none is
    // answered at once, not after the body timeout.
    let server: std::net::SocketAddr = app
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    for head in [
        "POST /m/test-2017/observer/file HTTP/1.1\r\nHost: x\r\nSec-Fetch-Site: cross-site\r\n",
        "POST /m/test-2017/review/bulk HTTP/1.1\r\nHost: x\r\n",
    ] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(server)
            .await
            .expect("connect");
        let request = format!(
            "{head}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("head");
        let mut answer = [0u8; 12];
        tokio::time::timeout(
            std::time::Duration::from_secs(2),
            stream.read_exact(&mut answer),
        )
        .await
        .expect("answered before any body came")
        .expect("read");
        assert_eq!(&answer, b"HTTP/1.1 403", "{head}");
    }
    // Sent from fieldreport's own page, it goes through.
    let mut own = observer.clone();
    own.headers = vec![("sec-fetch-site", "same-origin".to_owned())];
    let filed = own.send_form(&form, &voting_fine(), &[]).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
}

#[tokio::test]
async fn each_observer_has_a_bounded_share_of_parked_forms() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let mut forms = Vec::new();
    for _ in 0..31 {
        forms.push(voting_form(&app, &mut observer).await);
    }
    let mut other = app.signed_in("observer2").await;
    let other_form = voting_form(&app, &mut other).await;
    sign_out_behind_their_back(&app, "observer").await;
    sign_out_behind_their_back(&app, "observer2").await;
    for form in &forms[..30] {
        let parked = observer.send_form(form, &voting_fine(), &[]).await;
        assert_eq!(parked.status, StatusCode::SEE_OTHER, "{}", parked.body);
    }
    // The same form again replaces its copy; a 31st is refused, saying why.
    let again = observer.send_form(&forms[0], &voting_fine(), &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let full = observer.send_form(&forms[30], &voting_fine(), &[]).await;
    assert_eq!(full.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        full.contains("30 reports already wait for you"),
        "{}",
        full.body
    );
    // Someone else's share is their own.
    let kept = other.send_form(&other_form, &voting_fine(), &[]).await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT count(*) FROM parked_submissions").await,
        31
    );
    // Signed in again, the observer finds every kept form on their home page, each a way
    // back to it; nobody else's is there.
    let mut again = app.signed_in("observer").await;
    let home = again.get(&format!("/m/{MISSION}/observer")).await;
    assert!(
        home.contains("Sent while you were signed out"),
        "{}",
        home.body
    );
    assert_eq!(home.body.matches("/observer/file/resume/").count(), 30);
    for form in &forms[..30] {
        let id = hidden_value(&form.body, "submission_id").expect("id");
        assert!(
            home.contains(&format!("/observer/file/resume/{id}")),
            "{id}"
        );
    }
    let other_id = hidden_value(&other_form.body, "submission_id").expect("id");
    assert!(!home.contains(&other_id));
}

/// The size of the database and its write-ahead log.
fn file_sizes(app: &TestApp) -> (u64, u64) {
    let size = |path: std::path::PathBuf| std::fs::metadata(path).map_or(0, |m| m.len());
    let db = app.db_path();
    let wal = db.with_extension("db-wal");
    (size(db), size(wal))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_forged_posts_write_nothing_and_push_out_nobody() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = voting_form(&app, &mut observer).await;
    sign_out_behind_their_back(&app, "observer").await;
    let parked = observer.send_form(&form, &voting_fine(), &[]).await;
    assert_eq!(parked.status, StatusCode::SEE_OTHER);
    let id = hidden_value(&form.body, "submission_id").expect("id");
    let before = file_sizes(&app);

    // Forged posts of every kind: no ticket, a made-up one, another mission's address,
    // a mission that does not exist; each with a fresh submission id and a large body.
    let ticket = hidden_value(&form.body, "ticket").expect("ticket");
    let observer_id = ticket.split('.').next().expect("observer id").to_owned();
    let filler = "x".repeat(8 * 1024);
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let mut stranger = app.browser();
            let mut fields = planted(&form, &filler);
            let observer_id = observer_id.clone();
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for n in 0..313 {
                    let uuid = format!("{task:08x}-{n:04x}-4000-8000-000000000000");
                    fields.retain(|(k, _)| k != "submission_id" && k != "ticket");
                    fields.push(("submission_id".to_owned(), uuid));
                    if n % 2 == 0 {
                        // Of now, so that it fails on its MAC, not its age.
                        let at = fieldreport::store::now() - n as i64;
                        let forged = format!("{observer_id}.{at}.{}", "ab".repeat(32));
                        fields.push(("ticket".to_owned(), forged));
                    }
                    let slug = [MISSION, OTHER_MISSION, "no-such-mission"][n % 3];
                    statuses.push(
                        post_fields(&mut stranger, &file_path(slug), &fields)
                            .await
                            .status,
                    );
                }
                statuses
            })
        })
        .collect();
    let mut sent = 0;
    for task in tasks {
        for status in task.await.expect("task") {
            assert_eq!(status, StatusCode::FORBIDDEN);
            sent += 1;
        }
    }
    assert!(sent >= 10_000);
    assert_eq!(file_sizes(&app), before, "the database did not grow");
    assert_eq!(
        app.count("SELECT count(*) FROM parked_submissions").await,
        1
    );

    let mut again = app.signed_in("observer").await;
    let resumed = again
        .get(&format!("/m/{MISSION}/observer/file/resume/{id}"))
        .await;
    assert_eq!(resumed.status, StatusCode::OK);
    assert!(resumed.contains("You were signed out before this report was sent."));
}
