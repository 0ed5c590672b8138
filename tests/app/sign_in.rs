//! Signing in and out, sessions and where people land.

use crate::common;

use axum::http::StatusCode;
use common::{MISSION, TestApp, password_of};

#[tokio::test]
async fn each_role_lands_on_its_home_after_sign_in() {
    let app = TestApp::new().await;
    for (username, home) in [
        ("observer", format!("/m/{MISSION}/observer")),
        ("coordinator", format!("/m/{MISSION}/overview")),
        ("lead", format!("/m/{MISSION}/overview")),
        ("admin", format!("/m/{MISSION}/admin")),
    ] {
        let mut browser = app.browser();
        let response = browser.sign_in(username, &password_of(username)).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{username}");
        assert_eq!(response.location(), home, "{username}");
        let page = browser.get(&home).await;
        assert_eq!(page.status, StatusCode::OK, "{username}: {}", page.body);
        assert!(
            page.contains(&format!("{username} name")),
            "the page names who is signed in"
        );
    }
}

#[tokio::test]
async fn session_cookie_is_http_only_and_lax() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let response = browser.sign_in("lead", &password_of("lead")).await;
    let cookie = response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fr_session="))
        .expect("session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP by default");
    let token = cookie
        .trim_start_matches("fr_session=")
        .split(';')
        .next()
        .expect("value");
    assert_eq!(token.len(), 64, "256 bits as hex");
    let stored = app
        .count("SELECT count(*) FROM sessions WHERE length(token_hash) = 32")
        .await;
    assert_eq!(stored, 1, "only the digest is stored");
}

#[tokio::test]
async fn secure_flag_when_configured() {
    let app = TestApp::with_config(fieldreport::Config {
        secure_cookies: true,
        ..Default::default()
    })
    .await;
    let mut browser = app.browser();
    let response = browser.sign_in("lead", &password_of("lead")).await;
    let secure = response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("__Host-fr_session=") && v.contains("; Secure"));
    assert!(secure);
    assert!(
        response
            .header("strict-transport-security")
            .contains("max-age")
    );
}

#[tokio::test]
async fn wrong_password_unknown_user_and_disabled_account_fail_alike() {
    let app = TestApp::new().await;
    let admin = app.user_id("observer2").await;
    let mission = app.mission_id;
    app.store
        .write(move |conn| {
            fieldreport::store::users::set_disabled(
                conn,
                mission,
                admin,
                true,
                &fieldreport::store::audit::Actor::command_line(),
            )
        })
        .await
        .expect("disable");
    for (username, password) in [
        ("lead", "not the password"),
        ("nobody-here", "whatever password"),
        ("observer2", password_of("observer2").as_str()),
    ] {
        let mut browser = app.browser();
        let page = browser.sign_in(username, password).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{username}");
        assert!(page.contains("Wrong username or password."), "{username}");
        assert!(
            page.contains(&format!("value=\"{username}\"")),
            "the username is kept"
        );
        assert!(
            browser.session_cookie().is_none(),
            "{username} got no session"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn usernames_are_case_insensitive() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let page = browser.sign_in("  Lead ", &password_of("lead")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_rotates_the_session() {
    let app = TestApp::new().await;
    let home = format!("/m/{MISSION}/observer");
    let mut browser = app.signed_in("observer").await;
    let first = browser.session_cookie().expect("first session");

    // Signing in again from a browser that holds a session replaces that session.
    let response = browser
        .post(
            "/login",
            &home,
            &[
                ("username", "observer"),
                ("password", &password_of("observer")),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let second = browser.session_cookie().expect("second session");
    assert_ne!(first, second, "a new token at sign-in");
    assert_eq!(browser.get(&home).await.status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions").await,
        1,
        "the old session is deleted"
    );

    let mut old = app.browser();
    old.cookies.insert("fr_session".into(), first);
    let page = old.get(&home).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "the old token no longer works"
    );
    assert!(page.location().starts_with("/login"));

    // A token planted in the browser before sign-in (session fixation) is not adopted.
    let mut planted = app.browser();
    planted.cookies.insert("fr_session".into(), "0".repeat(64));
    planted.sign_in("lead", &password_of("lead")).await;
    let issued = planted.session_cookie().expect("session");
    assert_ne!(issued, "0".repeat(64));
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::new().await;
    let mut browser = app.signed_in("lead").await;
    let token = browser.session_cookie().expect("session");
    let home = format!("/m/{MISSION}/overview");
    let response = browser.post("/logout", &home, &[]).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), "/login?signed_out=1");
    assert!(browser.session_cookie().is_none(), "cookie cleared");
    assert!(
        browser
            .get(response.location())
            .await
            .contains("You are signed out.")
    );
    // Replaying the old cookie gets nothing: the session is gone from the database.
    let mut replay = app.browser();
    replay.cookies.insert("fr_session".into(), token);
    let page = replay.get(&home).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn idle_and_old_sessions_expire() {
    let app = TestApp::new().await;
    let home = format!("/m/{MISSION}/overview");

    let mut idle = app.signed_in("lead").await;
    assert_eq!(idle.get(&home).await.status, StatusCode::OK);
    app.execute("UPDATE sessions SET last_seen_at = last_seen_at - 25 * 3600")
        .await;
    let page = idle.get(&home).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "idle for over a day");

    let mut old = app.signed_in("coordinator").await;
    app.execute("UPDATE sessions SET created_at = created_at - 8 * 86400")
        .await;
    assert_eq!(
        old.get(&home).await.status,
        StatusCode::SEE_OTHER,
        "older than a week"
    );
}

#[tokio::test]
async fn a_session_in_use_stays_alive_past_the_idle_limit() {
    let app = TestApp::new().await;
    let home = format!("/m/{MISSION}/overview");
    let mut lead = app.signed_in("lead").await;
    // Used 23 hours after the last use: still alive, and the use is recorded...
    app.execute("UPDATE sessions SET last_seen_at = last_seen_at - 23 * 3600")
        .await;
    assert_eq!(lead.get(&home).await.status, StatusCode::OK);
    // ...so that two hours later (25 h after sign-in) it is only 2 h idle.
    app.execute("UPDATE sessions SET last_seen_at = last_seen_at - 2 * 3600, created_at = created_at - 25 * 3600")
        .await;
    assert_eq!(lead.get(&home).await.status, StatusCode::OK);
}

#[tokio::test]
async fn signed_out_visitors_come_back_where_they_were_going() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let target = format!("/m/{MISSION}/admin/users/1?q=Mombasa");
    let page = browser.get(&target).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let login = page.location().to_owned();
    assert!(login.starts_with("/login?next="), "{login}");
    let form = browser.get(&login).await;
    assert_eq!(
        common::hidden_value(&form.body, "next").as_deref(),
        Some(target.as_str())
    );
    let response = browser
        .post_raw(
            "/login",
            &[
                ("_csrf", &form.csrf()),
                ("username", "admin"),
                ("password", &password_of("admin")),
                ("next", &target),
            ],
        )
        .await;
    assert_eq!(response.location(), target);
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let form = browser.get("/login?next=https://evil.example/").await;
    assert_eq!(
        common::hidden_value(&form.body, "next").as_deref(),
        Some("")
    );
    let response = browser
        .post_raw(
            "/login",
            &[
                ("_csrf", &form.csrf()),
                ("username", "lead"),
                ("password", &password_of("lead")),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(response.location(), format!("/m/{MISSION}/overview"));
}

/// A session is found in memory once read (`store::session_cache`): a change of role
/// takes effect on the very next request all the same.
#[tokio::test]
async fn a_role_taken_away_holds_from_the_next_request() {
    let app = TestApp::new().await;
    let mut lead = app.signed_in_once("lead").await;
    let findings = format!("/m/{MISSION}/findings");
    assert_eq!(lead.get(&findings).await.status, StatusCode::OK);
    app.execute(
        "UPDATE memberships SET role = 'observer'
         WHERE user_id = (SELECT id FROM users WHERE username = 'lead')",
    )
    .await;
    let page = lead.get(&findings).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
}

/// An account disabled by a command run beside the server (another process, which the
/// server's writer does not see write) is signed out within moments, not at the session's
/// end.
#[tokio::test]
async fn an_account_disabled_from_the_command_line_is_signed_out_while_the_server_runs() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in_once("observer").await;
    let home = format!("/m/{MISSION}/observer");
    assert_eq!(observer.get(&home).await.status, StatusCode::OK);
    let db = app.db_path();
    let db = db.to_str().expect("utf-8").to_owned();
    let disabled = tokio::task::spawn_blocking(move || {
        common::run_fieldreport(
            &["user", "disable", "--db", &db, "--username", "observer"],
            None,
        )
    })
    .await
    .expect("command");
    assert!(
        disabled.status.success(),
        "{}",
        String::from_utf8_lossy(&disabled.stderr)
    );
    // The writer looks for other processes' writes at least once a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let page = observer.get(&home).await;
        if page.status == StatusCode::SEE_OTHER {
            assert!(page.location().starts_with("/login"), "{}", page.location());
            break;
        }
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            std::time::Instant::now() < deadline,
            "still signed in 5 s after the account was disabled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
