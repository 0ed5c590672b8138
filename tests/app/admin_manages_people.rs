//! Admins add users, reset passwords, disable accounts and assign observers to regions.

use crate::common;

use axum::http::StatusCode;
use common::{MISSION, TestApp, hidden_value, password_of};

fn admin_home() -> String {
    format!("/m/{MISSION}/admin")
}

#[tokio::test]
async fn add_a_user_with_a_generated_password() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in("admin").await;
    let page = admin
        .post(
            &format!("/m/{MISSION}/admin/users"),
            &admin_home(),
            &[
                ("username", "Wafula"),
                ("display_name", "Wafula Chebukati"),
                ("phone", "+254 722 000 000"),
                ("role", "coordinator"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    assert!(page.contains("signs in as <strong>wafula</strong>"));
    let start = page.body.find("<code>").expect("password shown") + 6;
    let password = &page.body[start..start + 17];
    assert_eq!(password.matches('-').count(), 2, "{password}");

    let mut newcomer = app.browser();
    let response = newcomer.sign_in("wafula", password).await;
    assert_eq!(
        response.location(),
        format!("/m/{MISSION}/overview"),
        "a coordinator"
    );
    let listing = admin.get(&admin_home()).await;
    assert!(
        listing.contains("Wafula Chebukati")
            && listing.contains("admin added wafula as coordinator"),
        "{}",
        listing.body
    );
    // The log keeps names and values, not English: a French admin reads it in French.
    assert_eq!(
        app.texts("SELECT action || ' ' || detail FROM audit_log WHERE actor = 'admin'")
            .await,
        [r#"user_added {"event":"user_added","username":"wafula","role":"coordinator"}"#]
    );
    admin.headers = vec![("accept-language", "fr".to_owned())];
    let french = admin.get(&admin_home()).await;
    assert!(
        french.contains("admin a ajouté wafula comme coordinateur"),
        "{}",
        french.body
    );
}

#[tokio::test]
async fn a_wrong_field_comes_back_with_a_message_and_the_values_kept() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in("admin").await;
    let users_before = app.count("SELECT count(*) FROM users").await;
    let page = admin
        .post(
            &format!("/m/{MISSION}/admin/users"),
            &admin_home(),
            &[
                ("username", "a b"),
                ("display_name", "Jane Doe"),
                ("phone", "call me"),
                ("role", "chief"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "a username uses only",
        "a phone number has",
        "unknown role `chief`",
        "at least 10 characters",
    ] {
        assert!(page.contains(message), "missing {message:?}");
    }
    assert!(
        page.contains("value=\"Jane Doe\"")
            && page.contains("value=\"a b\"")
            && page.contains("value=\"call me\"")
    );
    assert!(
        !page.contains("value=\"short\""),
        "a password is never sent back"
    );
    let taken = admin
        .post(
            &format!("/m/{MISSION}/admin/users"),
            &admin_home(),
            &[
                ("username", "LEAD"),
                ("display_name", "Second Lead"),
                ("role", "lead"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.contains("the username `lead` is taken"));
    assert!(taken.contains("value=\"Second Lead\""));
    assert_eq!(app.count("SELECT count(*) FROM users").await, users_before);
}

#[tokio::test]
async fn garbage_form_bodies_get_a_clear_4xx() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in("admin").await;
    let token = admin.get(&admin_home()).await.csrf();
    let body = format!("_csrf={token}&username=%ZZ%ff&\u{0}=\u{7}").into_bytes();
    let response = admin
        .send(
            axum::http::Method::POST,
            &format!("/m/{MISSION}/admin/users"),
            Some(body),
        )
        .await;
    assert!(response.status.is_client_error(), "{}", response.status);
    assert!(response.header("content-type").starts_with("text/html"));
    let not_a_number = admin
        .post(
            &format!(
                "/m/{MISSION}/admin/users/{}/assignments",
                app.user_id("observer").await
            ),
            &admin_home(),
            &[("region_id", "x")],
        )
        .await;
    assert!(not_a_number.status.is_client_error());
    assert!(
        not_a_number.contains("Request not understood"),
        "{}",
        not_a_number.body
    );
}

#[tokio::test]
async fn reset_password_signs_the_user_out_everywhere() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let mut admin = app.signed_in("admin").await;
    let id = app.user_id("observer").await;
    let user_page = format!("/m/{MISSION}/admin/users/{id}");
    let page = admin
        .post(
            &format!("{user_page}/password"),
            &user_page,
            &[("password", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let start = page.body.find("<code>").expect("shown once") + 6;
    let new_password = page.body[start..start + 17].to_owned();

    assert_eq!(
        observer.get(&format!("/m/{MISSION}/observer")).await.status,
        StatusCode::SEE_OTHER,
        "signed out"
    );
    let old = app
        .browser()
        .sign_in("observer", &password_of("observer"))
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "old password gone"
    );
    let new = app.browser().sign_in("observer", &new_password).await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);

    let short = admin
        .post(
            &format!("{user_page}/password"),
            &user_page,
            &[("password", "tiny")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.contains("at least 10 characters"));
}

#[tokio::test]
async fn disable_and_enable_an_account() {
    let app = TestApp::new().await;
    let mut coordinator = app.signed_in("coordinator").await;
    let mut admin = app.signed_in("admin").await;
    let id = app.user_id("coordinator").await;
    let user_page = format!("/m/{MISSION}/admin/users/{id}");
    let response = admin
        .post(&format!("{user_page}/disable"), &user_page, &[])
        .await;
    assert_eq!(response.location(), user_page);
    assert_eq!(
        coordinator
            .get(&format!("/m/{MISSION}/overview"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let again = app
        .browser()
        .sign_in("coordinator", &password_of("coordinator"))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        admin
            .get(&user_page)
            .await
            .contains("This account is disabled")
    );

    admin
        .post(&format!("{user_page}/enable"), &user_page, &[])
        .await;
    let back = app
        .browser()
        .sign_in("coordinator", &password_of("coordinator"))
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);

    let own = format!("/m/{MISSION}/admin/users/{}", app.user_id("admin").await);
    let response = admin.post(&format!("{own}/disable"), &own, &[]).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.contains("cannot disable your own account"));
}

#[tokio::test]
async fn assign_an_observer_and_they_see_their_area() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in("admin").await;
    let id = app.user_id("observer").await;
    let user_page = format!("/m/{MISSION}/admin/users/{id}");

    let search = admin.get(&format!("{user_page}?q=Port")).await;
    assert!(search.contains("Port Reitz"), "found by name");
    assert!(
        search.contains("ward in Mombasa › Changamwe"),
        "{}",
        search.body
    );
    let by_code = admin.get(&format!("{user_page}?q=1427")).await;
    assert!(by_code.contains("Parklands"));
    let nothing = admin.get(&format!("{user_page}?q=Atlantis")).await;
    assert!(nothing.contains("No region matches"));

    let ward = app.region_id(3, "0001").await;
    let station = app.region_id(4, "1427001").await;
    for region in [ward, station] {
        let response = admin
            .post(
                &format!("{user_page}/assignments"),
                &user_page,
                &[("region_id", &region.to_string()), ("q", "Port")],
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(response.location(), format!("{user_page}?q=Port"));
    }
    // Assigning twice is harmless.
    admin
        .post(
            &format!("{user_page}/assignments"),
            &user_page,
            &[("region_id", &ward.to_string())],
        )
        .await;
    assert_eq!(app.count("SELECT count(*) FROM assignments").await, 2);

    let mut observer = app.signed_in("observer").await;
    let home = observer.get(&format!("/m/{MISSION}/observer")).await;
    assert!(
        home.contains("Port Reitz")
            && home.contains("Port Reitz Primary")
            && home.contains("Bomu Hall")
    );
    assert!(home.contains("2 polling stations"), "{}", home.body);
    assert!(home.contains("Parklands Baptist") && home.contains("650 voters"));

    let removed = admin
        .post(
            &format!("{user_page}/assignments/{ward}/remove"),
            &user_page,
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let home = observer.get(&format!("/m/{MISSION}/observer")).await;
    assert!(!home.contains("Bomu Hall"));
}

#[tokio::test]
async fn only_observers_get_regions_and_only_of_their_mission() {
    let app = TestApp::new().await;
    let mut admin = app.signed_in("admin").await;
    let lead = app.user_id("lead").await;
    let lead_page = format!("/m/{MISSION}/admin/users/{lead}");
    let ward = app.region_id(3, "0001").await;
    let refused = admin
        .post(
            &format!("{lead_page}/assignments"),
            &lead_page,
            &[("region_id", &ward.to_string())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("only observers have assignments"));

    let outsider = app.user_id("outsider").await;
    let page = admin
        .get(&format!("/m/{MISSION}/admin/users/{outsider}"))
        .await;
    assert_eq!(
        page.status,
        StatusCode::NOT_FOUND,
        "a user of another mission is not found"
    );
    let observer = app.user_id("observer").await;
    let page = format!("/m/{MISSION}/admin/users/{observer}");
    let foreign = admin
        .post(
            &format!("{page}/assignments"),
            &page,
            &[("region_id", "999999")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM assignments").await, 0);
    // The page still carries a form token: the session's, masked for this page.
    assert_eq!(
        hidden_value(&admin.get(&page).await.body, "_csrf").map(|t| t.len()),
        Some(256)
    );
}

#[tokio::test]
async fn an_admin_cannot_change_an_account_that_also_works_elsewhere() {
    let app = TestApp::new().await;
    let shared = app.user_id("observer2").await;
    let other = app.other_mission_id;
    app.store
        .write(move |conn| {
            conn.execute(
                "INSERT INTO memberships (user_id, mission_id, role) VALUES (?1, ?2, 'admin')",
                [shared, other],
            )?;
            Ok(())
        })
        .await
        .expect("second membership");
    let mut admin = app.signed_in("admin").await;
    let page = format!("/m/{MISSION}/admin/users/{shared}");
    for action in ["password", "disable"] {
        let response = admin
            .post(&format!("{page}/{action}"), &page, &[("password", "")])
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{action}"
        );
        assert!(
            response.contains("also works on another mission"),
            "{action}: {}",
            response.body
        );
    }
    let still = app
        .browser()
        .sign_in("observer2", &password_of("observer2"))
        .await;
    assert_eq!(
        still.status,
        StatusCode::SEE_OTHER,
        "password and access unchanged"
    );
}
