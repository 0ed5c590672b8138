//! Failed sign-ins lock one account from one address, and one address for every account;
//! a flood against one account slows guessing but never keeps its owner out. Unknown
//! usernames are throttled exactly like known ones.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, Page, TestApp, password_of};
use fieldreport::Config;
use fieldreport::domain::sign_in::ThrottleLimits;

const LIMITS: ThrottleLimits = ThrottleLimits::DEFAULT;

/// An app that takes the client address from X-Forwarded-For, as behind a proxy.
async fn behind_a_proxy() -> TestApp {
    TestApp::with_config(Config {
        trust_forwarded_for: true,
        ..Default::default()
    })
    .await
}

/// A browser with no cookies at `address`.
fn browser_at(app: &TestApp, address: &str) -> Browser {
    let mut browser = app.browser();
    browser.address = Some(address.to_owned());
    browser
}

/// One sign-in from a fresh browser at `address`.
async fn sign_in_from(app: &TestApp, address: &str, username: &str, password: &str) -> Page {
    browser_at(app, address).sign_in(username, password).await
}

/// Sends the sign-ins all at once, each from its own browser; their statuses in order.
async fn all_at_once(attempts: Vec<(Browser, String, String)>) -> Vec<StatusCode> {
    let tasks: Vec<_> = attempts
        .into_iter()
        .map(|(mut browser, username, password)| {
            tokio::spawn(async move { browser.sign_in(&username, &password).await.status })
        })
        .collect();
    let mut statuses = Vec::with_capacity(tasks.len());
    for task in tasks {
        statuses.push(task.await.expect("sign-in task"));
    }
    statuses
}

fn count_of(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn five_failures_lock_the_account_from_that_address_only() {
    let app = behind_a_proxy().await;
    for attempt in 1..=LIMITS.per_pair {
        let page = sign_in_from(&app, "192.0.2.1", "lead", "wrong password").await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let mut browser = browser_at(&app, "192.0.2.1");
    let page = browser.sign_in("lead", &password_of("lead")).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Try again in 15 minutes."), "{}", page.body);
    assert_eq!(page.header("retry-after"), "900");
    assert!(browser.session_cookie().is_none());
    // The address itself is not locked: someone else signs in from it.
    let other = sign_in_from(
        &app,
        "192.0.2.1",
        "coordinator",
        &password_of("coordinator"),
    )
    .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
    // Nor is the account: the lead signs in from elsewhere.
    let lead = sign_in_from(&app, "192.0.2.2", "lead", &password_of("lead")).await;
    assert_eq!(lead.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn without_a_trusted_proxy_x_forwarded_for_is_ignored() {
    let app = TestApp::new().await;
    for attempt in 1..=LIMITS.per_pair {
        let address = format!("192.0.2.{attempt}");
        let page = sign_in_from(&app, &address, "lead", "wrong password").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // All the failures came from the harness's one socket address, whatever the header
    // claimed: that address is locked out of this account.
    let page = sign_in_from(&app, "192.0.2.200", "lead", &password_of("lead")).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn one_address_that_fails_fifty_times_is_locked_for_every_account() {
    let app = behind_a_proxy().await;
    let guesses = (1..=LIMITS.per_address)
        .map(|n| {
            let browser = browser_at(&app, "192.0.2.77");
            (
                browser,
                format!("observer-{n:05}"),
                "guess guess".to_owned(),
            )
        })
        .collect();
    let statuses = all_at_once(guesses).await;
    assert_eq!(
        count_of(&statuses, StatusCode::UNPROCESSABLE_ENTITY),
        LIMITS.per_address,
        "{statuses:?}"
    );
    for username in ["lead", "coordinator"] {
        let page = sign_in_from(&app, "192.0.2.77", username, &password_of(username)).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{username}");
    }
    let lead = sign_in_from(&app, "192.0.2.78", "lead", &password_of("lead")).await;
    assert_eq!(lead.status, StatusCode::SEE_OTHER);
}

/// Issue 11: a thousand wrong passwords against one observer from fifty addresses must
/// not keep the observer from signing in from an address of their own.
#[tokio::test]
async fn a_flood_from_fifty_addresses_never_keeps_the_observer_out() {
    let app = behind_a_proxy().await;
    let attackers: Vec<String> = (1..=50).map(|n| format!("198.18.0.{n}")).collect();
    let floods: Vec<_> = attackers
        .iter()
        .map(|address| {
            let mut browser = browser_at(&app, address);
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for guess in 0..20 {
                    let password = format!("guess number {guess}");
                    statuses.push(browser.sign_in("observer", &password).await.status);
                }
                statuses
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for flood in floods {
        statuses.extend(flood.await.expect("flood task"));
    }
    assert_eq!(statuses.len(), 1_000);
    let checked = count_of(&statuses, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = count_of(&statuses, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(checked + refused, 1_000, "{statuses:?}");
    // The README's bound: the account limit, plus one for each address that had not failed.
    assert!(
        (LIMITS.per_account..=LIMITS.per_account + attackers.len()).contains(&checked),
        "{checked} passwords checked"
    );
    let counted = app
        .count("SELECT count(*) FROM login_failures WHERE subject = 'user:observer'")
        .await;
    assert_eq!(
        counted, checked as i64,
        "every checked password was counted"
    );

    // Each attacking address has spent its budget: not even the right password is checked.
    for address in &attackers {
        let page = sign_in_from(&app, address, "observer", &password_of("observer")).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{address}");
    }
    let mut observer = browser_at(&app, "192.0.2.10");
    let page = observer.sign_in("observer", &password_of("observer")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(observer.session_cookie().is_some());
    assert_eq!(
        app.count("SELECT count(*) FROM login_failures WHERE subject = 'user:observer'")
            .await,
        counted,
        "the observer signing in does not reset the attacker's count"
    );
}

#[tokio::test]
async fn wrong_passwords_sent_all_at_once_from_one_address_are_all_counted() {
    let app = behind_a_proxy().await;
    let attempts = (0..30)
        .map(|_| {
            let browser = browser_at(&app, "192.0.2.9");
            (browser, "lead".to_owned(), "wrong password".to_owned())
        })
        .collect();
    let statuses = all_at_once(attempts).await;
    assert_eq!(
        (
            count_of(&statuses, StatusCode::UNPROCESSABLE_ENTITY),
            count_of(&statuses, StatusCode::TOO_MANY_REQUESTS)
        ),
        (LIMITS.per_pair, 30 - LIMITS.per_pair),
        "only the pair limit's worth of passwords were tried: {statuses:?}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM login_failures WHERE subject = 'pair:lead|192.0.2.9'")
            .await,
        LIMITS.per_pair as i64
    );
}

#[tokio::test]
async fn the_lock_lifts_when_failures_age_out() {
    let app = behind_a_proxy().await;
    for _ in 0..LIMITS.per_pair {
        sign_in_from(&app, "192.0.2.1", "lead", "wrong password").await;
    }
    let mut browser = browser_at(&app, "192.0.2.1");
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
}

#[tokio::test]
async fn signing_in_forgives_that_address_but_not_the_account() {
    let app = behind_a_proxy().await;
    for _ in 1..LIMITS.per_pair {
        let page = sign_in_from(&app, "192.0.2.1", "lead", "wrong password").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let page = sign_in_from(&app, "192.0.2.1", "lead", &password_of("lead")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // Four more typos from the same address are each checked: the four before were
    // forgiven there, though they still count against the account.
    for typo in 1..LIMITS.per_pair {
        let page = sign_in_from(&app, "192.0.2.1", "lead", "wrong password").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "typo {typo}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM login_failures WHERE subject = 'pair:lead|192.0.2.1'")
            .await,
        4
    );
    assert_eq!(
        app.count("SELECT count(*) FROM login_failures WHERE subject = 'user:lead'")
            .await,
        8
    );
}

#[tokio::test]
async fn unknown_usernames_are_throttled_the_same_way() {
    let app = behind_a_proxy().await;
    // Five failures from one address, then a sixth attempt: the pair is locked. Five more
    // from five addresses put the account under attack (ten failures); a clean address
    // is still checked once, and then refused.
    let mut pattern = vec!["a"; LIMITS.per_pair + 1];
    pattern.extend(["b", "c", "d", "e", "f", "g", "g"]);
    let mut expected = vec![StatusCode::UNPROCESSABLE_ENTITY; LIMITS.per_pair];
    expected.push(StatusCode::TOO_MANY_REQUESTS);
    expected.extend([StatusCode::UNPROCESSABLE_ENTITY; 6]);
    expected.push(StatusCode::TOO_MANY_REQUESTS);

    let mut pages = Vec::new();
    for (username, network) in [("lead", "198.51.100"), ("no-such-user", "203.0.113")] {
        let mut these = Vec::new();
        for (n, address) in pattern.iter().enumerate() {
            let octet = u32::from(address.as_bytes()[0] - b'a') + 1;
            let address = format!("{network}.{octet}");
            let page = sign_in_from(&app, &address, username, "wrong password").await;
            assert_eq!(page.status, expected[n], "{username}, attempt {}", n + 1);
            these.push(page);
        }
        pages.push(these);
    }
    let same = |body: &str| {
        body.replace("no-such-user", "USER")
            .replace("lead", "USER")
            .split("value=\"")
            .map(|p| p.split_once('"').map_or(p, |x| x.1))
            .collect::<String>()
    };
    for (known, unknown) in pages[0].iter().zip(&pages[1]) {
        assert_eq!(
            same(&known.body),
            same(&unknown.body),
            "same page whether the account exists"
        );
    }
}

/// A sign-in whose password was never checked (every check busy) is no failure: a flood
/// that keeps the checks busy cannot turn the owner's own tries into a lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_the_server_was_too_busy_to_check_counts_for_nothing() {
    let app = TestApp::with_config(Config {
        trust_forwarded_for: true,
        password_checks: fieldreport::web::PasswordChecks {
            at_once: 1,
            wait: std::time::Duration::from_millis(1),
        },
        ..Default::default()
    })
    .await;
    // The right password, four at a time from one address (fewer than the pair limit, so
    // counting attempts in flight refuses none): most find no free check and are told the
    // server is busy. Were those kept as failures, the owner would soon be locked out.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let attempts = (0..4)
            .map(|_| {
                let browser = browser_at(&app, "192.0.2.10");
                (browser, "lead".to_owned(), password_of("lead"))
            })
            .collect();
        statuses.extend(all_at_once(attempts).await);
    }
    let busy = count_of(&statuses, StatusCode::SERVICE_UNAVAILABLE);
    assert!(busy > LIMITS.per_pair, "{statuses:?}");
    assert_eq!(
        count_of(&statuses, StatusCode::TOO_MANY_REQUESTS),
        0,
        "{statuses:?}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM login_failures").await,
        0,
        "no unchecked attempt was kept as a failure"
    );
    let page = sign_in_from(&app, "192.0.2.10", "lead", &password_of("lead")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

/// Behind a carrier's NAT thousands share an address: while an account is under attack,
/// someone's typo on another account from that address does not shut its owner out.
#[tokio::test]
async fn a_typo_on_another_account_from_a_shared_address_leaves_an_attacked_account_open() {
    let app = behind_a_proxy().await;
    for n in 0..LIMITS.per_account {
        let page = sign_in_from(&app, &format!("198.51.100.{n}"), "lead", "guess").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let shared = "203.0.113.7";
    let typo = sign_in_from(&app, shared, "coordinator", "a typo").await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    let owner = sign_in_from(&app, shared, "lead", &password_of("lead")).await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER, "{}", owner.body);
}
