//! The observer's outbox in a real browser at phone size: reports filed with no network
//! wait on the phone (through a reload), and arrive exactly once each when it returns; a
//! report the server refuses waits to be fixed; a session that ends while reports wait
//! costs nothing but a sign-in.

mod chromium;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chromium::Chromium;
use common::{MISSION, TestApp, password_of};
use fantoccini::Locator;

/// The app on loopback behind a switch: the requests that reach the app are counted, and
/// `Network::set(false)` cuts every connection to it and refuses new ones, as a phone
/// without a signal sees it. DevTools' emulation takes the page offline but not its
/// service worker, which would still reach the server.
struct Network {
    base: String,
    requests: Arc<AtomicUsize>,
    online: tokio::sync::watch::Sender<bool>,
}

impl Network {
    async fn serve(app: &TestApp) -> Network {
        let requests = Arc::clone(&app.requests);
        let server: std::net::SocketAddr = app
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("the app's address");

        let front = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", front.local_addr().expect("address"));
        let (online, watch) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = front.accept().await {
                let mut watch = watch.clone();
                if !*watch.borrow() {
                    continue; // dropped: the connection is refused
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(server).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.wait_for(|on| !*on) => {}
                    }
                });
            }
        });
        Network {
            base,
            requests,
            online,
        }
    }

    /// Switches the signal on or off, for the page (DevTools) and for everything else.
    async fn set(&self, browser: &Chromium, online: bool) {
        self.online.send_replace(online);
        browser.emulate_network(!online, 0, 0).await;
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Opens the observer's home and waits until the service worker controls the page and has
/// kept the observer's pages.
async fn wait_for_service_worker(browser: &Chromium, base: &str) {
    browser
        .client
        .goto(&format!("{base}/m/{MISSION}/observer"))
        .await
        .expect("home");
    for _ in 0..100 {
        let ready = browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 if (!navigator.serviceWorker.controller) { done(false); return; }
                 caches.open('fieldreport-pages-1')
                   .then(c => c.keys()).then(k => done(k.length > 3), () => done(false));",
                vec![],
            )
            .await
            .expect("service worker state");
        if ready.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.getRegistration().then(r => done(JSON.stringify({
               registered: !!r, active: !!(r && r.active),
               controller: !!navigator.serviceWorker.controller })), e => done(String(e)));",
            vec![],
        )
        .await
        .expect("service worker state");
    panic!("the service worker never took the page: {state}");
}

/// The demo Voting checklist with nothing wrong, voting judged very good: another report
/// than [`common::VOTING_FINE`].
fn very_good() -> Vec<(&'static str, &'static str)> {
    common::VOTING_FINE
        .iter()
        .map(|&(key, value)| match key {
            "voting_assessment" => (key, "very_good"),
            _ => (key, value),
        })
        .collect()
}

/// An observer assigned to a ward, signed in on a phone whose service worker has kept their
/// pages (online); and the address of the Voting form of their first station.
async fn on_a_phone() -> (TestApp, Network, Chromium, String) {
    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let network = Network::serve(&app).await;
    let station = app.region_id(4, "0001001").await;
    let form = format!(
        "{}/m/{MISSION}/observer/file/voting/{station}",
        network.base
    );
    let browser = Chromium::phone().await;
    browser
        .sign_in(&network.base, "observer", &password_of("observer"))
        .await;
    wait_for_service_worker(&browser, &network.base).await;
    (app, network, browser, form)
}

#[tokio::test]
async fn reports_filed_offline_wait_through_a_reload_and_arrive_once_each() {
    let (app, network, browser, form) = on_a_phone().await;
    let c = &browser.client;
    c.goto(&form).await.expect("the form, online");
    browser.wait_for(Locator::Css("button.send")).await;

    network.set(&browser, false).await;
    let before = network.requests();
    for filed in 1..=2 {
        if filed == 2 {
            c.goto(&form)
                .await
                .expect("the form, from the phone's copy");
            browser.wait_for(Locator::Css("button.send")).await;
        }
        // Two different reports: the same answers twice would be one report sent again.
        let choices = if filed == 1 {
            common::VOTING_FINE.to_vec()
        } else {
            very_good()
        };
        browser
            .fill_form(&[("arrival_time", common::an_hour_ago())], &choices)
            .await;
        browser.send_report().await;
        let waiting = if filed == 1 {
            "1 report waiting to send".to_owned()
        } else {
            format!("{filed} reports waiting to send")
        };
        browser
            .wait_for_text(Locator::Css("#outbox"), &waiting)
            .await;
    }
    c.refresh().await.expect("reload while offline");
    browser
        .wait_for_text(Locator::Css("#outbox"), "2 reports waiting to send")
        .await;
    browser.screenshot("outbox-two-waiting-offline").await;
    assert_eq!(
        network.requests(),
        before,
        "nothing reached the server while offline"
    );
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);

    network.set(&browser, true).await;
    let text = browser
        .wait_for_text(Locator::Css("#outbox"), "Sent from this phone")
        .await;
    assert!(!text.contains("waiting"), "{text}");
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 2);
    let references = app
        .text("SELECT group_concat(reference, ' ') FROM reports")
        .await;
    for reference in references.split(' ') {
        assert!(text.contains(reference), "receipt {reference} in {text}");
    }
    browser.screenshot("outbox-sent").await;

    // Signing out forgets the copies of the observer's pages.
    c.find(Locator::Css("form.signout button"))
        .await
        .expect("sign out")
        .click()
        .await
        .expect("sign out");
    browser.wait_for(Locator::Id("username")).await;
    let kept = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             caches.has('fieldreport-pages-1').then(done, () => done(null));",
            vec![],
        )
        .await
        .expect("caches");
    assert_eq!(kept.as_bool(), Some(false), "the pages' copies are gone");
    browser.quit().await;
}

#[tokio::test]
async fn a_refused_report_waits_to_be_fixed_and_a_lapsed_session_only_asks_to_sign_in() {
    let (app, network, browser, form) = on_a_phone().await;
    let (base, c) = (network.base.clone(), &browser.client);
    c.goto(&form).await.expect("the form");
    browser.wait_for(Locator::Css("button.send")).await;

    // Offline: one complete report, and one without its arrival time.
    network.set(&browser, false).await;
    browser
        .fill_form(
            &[("arrival_time", common::an_hour_ago())],
            &common::VOTING_FINE,
        )
        .await;
    browser.send_report().await;
    browser
        .wait_for_text(Locator::Css("#outbox"), "1 report waiting to send")
        .await;
    c.goto(&form).await.expect("the form again");
    browser.wait_for(Locator::Css("button.send")).await;
    browser.fill_form(&[], &very_good()).await;
    browser.send_report().await;
    browser
        .wait_for_text(Locator::Css("#outbox"), "2 reports waiting to send")
        .await;

    // The session ends while they wait (expired, or signed out on another device).
    app.execute("DELETE FROM sessions").await;
    network.set(&browser, true).await;
    browser
        .wait_for_text(Locator::Css("#outbox"), "Sign in again to send them")
        .await;
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);
    browser
        .sign_in(&base, "observer", &password_of("observer"))
        .await;
    // Back on the home page: the complete report goes, the other waits to be fixed.
    let text = browser
        .wait_for_text(Locator::Css("#outbox"), "needs attention")
        .await;
    assert!(text.contains("1 report waiting to send"), "{text}");
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    browser.screenshot("outbox-one-to-fix").await;

    browser
        .wait_for(Locator::Css("#outbox button.secondary"))
        .await
        .click()
        .await
        .expect("open to fix");
    browser
        .wait_for_text(Locator::Css("main"), "needs attention")
        .await;
    browser
        .fill_form(&[("arrival_time", common::an_hour_ago())], &[])
        .await;
    browser.send_report().await;
    browser
        .wait_for_text(Locator::Css("main"), "Report received")
        .await;
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 2);
    c.goto(&format!("{base}/m/{MISSION}/observer"))
        .await
        .expect("home");
    let text = browser
        .wait_for_text(Locator::Css("#outbox"), "Sent from this phone")
        .await;
    assert!(!text.contains("waiting"), "{text}");
    browser.quit().await;
}
