//! Failed sign-ins are throttled per account and per address, for known and unknown
//! usernames alike.

mod common;

use axum::http::StatusCode;
use common::{TestApp, password_of};
use fieldreport::Config;

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let app = TestApp::new().await;
    for attempt in 1..=5 {
        let mut browser = app.browser();
        browser.address = Some(format!("192.0.2.{attempt}"));
        let page = browser.sign_in("lead", "wrong password").await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let mut browser = app.browser();
    let page = browser.sign_in("lead", &password_of("lead")).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Try again in 15 minutes."), "{}", page.body);
    assert_eq!(page.header("retry-after"), "900");
    assert!(browser.session_cookie().is_none());
    // Without a trusted proxy, X-Forwarded-For is ignored: all five failures came from
    // the one socket address of this harness, which is now locked for every account.
    let other = app
        .browser()
        .sign_in("coordinator", &password_of("coordinator"))
        .await;
    assert_eq!(other.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn unknown_usernames_are_throttled_the_same_way() {
    let app = TestApp::with_config(Config {
        trust_forwarded_for: true,
        ..Default::default()
    })
    .await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for attempt in 1..=6 {
        let mut a = app.browser();
        a.address = Some(format!("198.51.100.{attempt}"));
        known.push(a.sign_in("lead", "wrong password").await);
        let mut b = app.browser();
        b.address = Some(format!("203.0.113.{attempt}"));
        unknown.push(b.sign_in("no-such-user", "wrong password").await);
    }
    for (k, u) in known.iter().zip(&unknown) {
        assert_eq!(k.status, u.status, "same status whether the account exists");
    }
    assert_eq!(known[5].status, StatusCode::TOO_MANY_REQUESTS);
    let strip = |body: &str| body.replace("no-such-user", "USER").replace("lead", "USER");
    let (a, b) = (strip(&known[5].body), strip(&unknown[5].body));
    let without_tokens = |s: &str| {
        s.split("value=\"")
            .map(|p| p.split_once('"').map_or(p, |x| x.1))
            .collect::<String>()
    };
    assert_eq!(
        without_tokens(&a),
        without_tokens(&b),
        "same page whether the account exists"
    );
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_locked() {
    let app = TestApp::with_config(Config {
        trust_forwarded_for: true,
        ..Default::default()
    })
    .await;
    for name in ["a1", "a2", "a3", "a4", "a5"] {
        let mut browser = app.browser();
        browser.address = Some("192.0.2.77".into());
        assert_eq!(
            browser.sign_in(name, "guess guess").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let mut attacker = app.browser();
    attacker.address = Some("192.0.2.77".into());
    let page = attacker.sign_in("lead", &password_of("lead")).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    // The account itself is not locked: the lead signs in from elsewhere.
    let mut lead = app.browser();
    lead.address = Some("192.0.2.78".into());
    assert_eq!(
        lead.sign_in("lead", &password_of("lead")).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_lock_lifts_when_failures_age_out_and_success_clears_the_account() {
    let app = TestApp::with_config(Config {
        trust_forwarded_for: true,
        ..Default::default()
    })
    .await;
    for attempt in 0..5 {
        let mut browser = app.browser();
        browser.address = Some(format!("192.0.2.{attempt}"));
        browser.sign_in("lead", "wrong password").await;
    }
    let mut browser = app.browser();
    browser.address = Some("192.0.2.200".into());
    assert_eq!(
        browser.sign_in("lead", &password_of("lead")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    app.execute("UPDATE login_failures SET failed_at = failed_at - 15 * 60")
        .await;
    assert_eq!(
        browser.sign_in("lead", &password_of("lead")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.count("SELECT count(*) FROM login_failures WHERE subject = 'user:lead'")
            .await,
        0
    );
}

#[tokio::test]
async fn wrong_passwords_sent_all_at_once_are_all_counted() {
    let app = TestApp::new().await;
    let attempts = (0..30).map(|_| {
        let mut browser = app.browser();
        async move { browser.sign_in("lead", "wrong password").await.status }
    });
    let statuses = futures_join_all(attempts).await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (refused, throttled),
        (5, 25),
        "only five passwords were tried: {statuses:?}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM login_failures WHERE subject = 'user:lead'")
            .await,
        5
    );
}

/// Runs futures concurrently on the test's runtime.
async fn futures_join_all<F: std::future::Future<Output = StatusCode> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<StatusCode> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}
