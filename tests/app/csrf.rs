//! Every state-changing request needs the right CSRF token; without it nothing changes.

use crate::common;

use axum::http::StatusCode;
use common::{MISSION, TestApp, password_of};
use fieldreport::store::audit::Actor;
use fieldreport::store::users;

#[tokio::test]
async fn admin_forms_without_or_with_a_wrong_token_change_nothing() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in("admin").await;
    let observer = app.user_id("observer").await;
    let region = app.region_id(3, "0001").await;
    // observer2 is disabled and assigned, so that enabling and unassigning would show.
    let observer2 = app.user_id("observer2").await;
    let mission = app.mission_id;
    app.store
        .write(move |conn| {
            let actor = Actor::command_line();
            users::assign(conn, mission, observer2, region, &actor)?;
            users::set_disabled(conn, mission, observer2, true, &actor)
        })
        .await
        .expect("setup");
    let users_before = app.count("SELECT count(*) FROM users").await;
    let region_text = region.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/m/{MISSION}/admin/users"),
            vec![
                ("username", "newbie"),
                ("display_name", "New Bie"),
                ("role", "observer"),
                ("password", "a long password"),
            ],
        ),
        (
            format!("/m/{MISSION}/admin/users/{observer}/password"),
            vec![("password", "another long password")],
        ),
        (
            format!("/m/{MISSION}/admin/users/{observer}/disable"),
            vec![],
        ),
        (
            format!("/m/{MISSION}/admin/users/{observer}/assignments"),
            vec![("region_id", region_text.as_str())],
        ),
        (
            format!("/m/{MISSION}/admin/users/{observer2}/enable"),
            vec![],
        ),
        (
            format!("/m/{MISSION}/admin/users/{observer2}/assignments/{region}/remove"),
            vec![],
        ),
    ];
    let real_token = admin.get(&format!("/m/{MISSION}/admin")).await.csrf();
    for (path, fields) in &posts {
        let missing = admin.post_raw(path, fields).await;
        assert_eq!(
            missing.status,
            StatusCode::FORBIDDEN,
            "{path} without token"
        );
        assert!(
            missing.contains("This form has expired"),
            "{path}: a clear message"
        );
        let wrong_token = "f".repeat(64);
        let mut wrong = vec![("_csrf", wrong_token.as_str())];
        wrong.extend_from_slice(fields);
        assert_eq!(
            admin.post_raw(path, &wrong).await.status,
            StatusCode::FORBIDDEN,
            "{path} wrong token"
        );
        // Another user's token is as wrong as a made-up one.
        let other_token = app
            .signed_in("lead")
            .await
            .get(&format!("/m/{MISSION}/overview"))
            .await
            .csrf();
        assert_ne!(other_token, real_token);
        let mut foreign = vec![("_csrf", other_token.as_str())];
        foreign.extend_from_slice(fields);
        assert_eq!(
            admin.post_raw(path, &foreign).await.status,
            StatusCode::FORBIDDEN,
            "{path} foreign token"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM users").await,
        users_before,
        "no user added"
    );
    let disabled = app
        .count("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL")
        .await;
    assert_eq!(
        disabled, 1,
        "observer disabled by no one, observer2 still disabled"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM assignments").await,
        1,
        "observer2's only"
    );
    let mut observer_browser = app.browser();
    let still = observer_browser
        .sign_in("observer", &password_of("observer"))
        .await;
    assert_eq!(still.status, StatusCode::SEE_OTHER, "password unchanged");
}

#[tokio::test]
async fn logout_without_token_keeps_the_session() {
    let app = TestApp::new().await;
    let mut lead = app.signed_in("lead").await;
    assert_eq!(
        lead.post_raw("/logout", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        lead.get(&format!("/m/{MISSION}/overview")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn sign_in_needs_the_form_token() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let response = browser
        .post_raw(
            "/login",
            &[("username", "lead"), ("password", &password_of("lead"))],
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(browser.session_cookie().is_none());
    // The cookie's token with a different form token is refused too.
    browser.get("/login").await;
    let response = browser
        .post_raw(
            "/login",
            &[
                ("_csrf", &"a".repeat(64)),
                ("username", "lead"),
                ("password", &password_of("lead")),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn a_post_after_the_session_ended_says_so() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in("admin").await;
    let token = admin.get(&format!("/m/{MISSION}/admin")).await.csrf();
    app.execute("DELETE FROM sessions").await;
    let response = admin
        .post_raw(
            &format!("/m/{MISSION}/admin/users"),
            &[("_csrf", &token), ("username", "x")],
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.contains("You are signed out"), "{}", response.body);
    assert!(response.contains("href=\"/login\""));
}

#[tokio::test]
async fn a_planted_sign_in_cookie_is_useless_without_the_server_key() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let nonce = "ab".repeat(32);
    browser.cookies.insert("fr_sign_in".into(), nonce.clone());
    let response = browser
        .post_raw(
            "/login",
            &[
                ("_csrf", &nonce),
                ("username", "lead"),
                ("password", &password_of("lead")),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
}
