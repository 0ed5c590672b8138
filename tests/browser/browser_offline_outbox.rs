//! The observer's outbox in a real browser at phone size: reports filed with no network
//! wait on the phone (through a reload), and arrive exactly once each when it returns; a
//! report the server refuses waits to be fixed; a session that ends while reports wait
//! costs nothing but a sign-in.

use crate::chromium;
use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chromium::Chromium;
use common::{MISSION, TestApp, password_of};
use fantoccini::Locator;

/// The app on loopback behind a switch: the requests that reach the app and the bytes on
/// the socket each way are counted, and `Network::set(false)` cuts every connection to it
/// and refuses new ones, as a phone without a signal sees it. DevTools' emulation takes
/// the page offline but not its service worker, which would still reach the server.
struct Network {
    base: String,
    requests: Arc<AtomicUsize>,
    /// Bytes the browser sent and received, its service worker's included.
    sent: Arc<AtomicUsize>,
    received: Arc<AtomicUsize>,
    online: tokio::sync::watch::Sender<bool>,
}

/// Copies one direction of a connection, counting what goes through.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counted: Arc<AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        counted.fetch_add(n, Ordering::SeqCst);
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
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
        let (sent, received) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (up, down) = (Arc::clone(&sent), Arc::clone(&received));
        tokio::spawn(async move {
            while let Ok((inbound, _)) = front.accept().await {
                let mut watch = watch.clone();
                if !*watch.borrow() {
                    continue; // dropped: the connection is refused
                }
                let (up, down) = (Arc::clone(&up), Arc::clone(&down));
                tokio::spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(server).await else {
                        return;
                    };
                    let (from_browser, to_browser) = inbound.into_split();
                    let (from_server, to_server) = outbound.into_split();
                    tokio::select! {
                        _ = async {
                            tokio::join!(
                                pipe(from_browser, to_server, up),
                                pipe(from_server, to_browser, down),
                            )
                        } => {}
                        _ = watch.wait_for(|on| !*on) => {}
                    }
                });
            }
        });
        Network {
            base,
            requests,
            sent,
            received,
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

    /// Bytes on the socket so far, both ways.
    fn bytes(&self) -> usize {
        self.sent.load(Ordering::SeqCst) + self.received.load(Ordering::SeqCst)
    }

    /// Waits until nothing has crossed the network for a second (at most a minute): what
    /// the browser does in the background is over, as it would be while an observer
    /// reads the page.
    async fn settle(&self) {
        let mut last = (self.bytes(), std::time::Instant::now());
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.bytes();
            if now != last.0 {
                last = (now, std::time::Instant::now());
            } else if last.1.elapsed() >= Duration::from_secs(1) {
                return;
            }
        }
        panic!("the browser never stopped using the network");
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

/// Fills in the Voting form open on the page with these choices and sends it without a
/// network: it waits on the phone, the `waiting`th to.
async fn send_offline(browser: &Chromium, choices: &[(&str, &str)], waiting: usize) {
    browser
        .fill_form(&[("arrival_time", common::an_hour_ago())], choices)
        .await;
    browser.send_report().await;
    let text = if waiting == 1 {
        "1 report waiting to send".to_owned()
    } else {
        format!("{waiting} reports waiting to send")
    };
    browser.wait_for_text(Locator::Css("#outbox"), &text).await;
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
        send_offline(&browser, &choices, filed).await;
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
    // The home page's count of the observer's reports follows.
    browser
        .wait_for_text(Locator::Css("#report-count"), "(2)")
        .await;
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
    // The sign-in page says that reports wait on this phone.
    c.goto(&format!("{base}/login"))
        .await
        .expect("sign-in page");
    browser
        .wait_for_text(
            Locator::Id("waiting-here"),
            "2 reports wait on this phone. They are sent once their observer signs in.",
        )
        .await;
    browser.screenshot("sign-in-with-reports-waiting").await;
    browser
        .sign_in(&base, "observer", &password_of("observer"))
        .await;
    // Back on the home page: the complete report goes, the other waits to be fixed.
    browser
        .wait_for_text(Locator::Css("#outbox-fix summary"), "1 report was not sent")
        .await;
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    browser
        .wait_for(Locator::Css("#outbox-fix summary"))
        .await
        .click()
        .await
        .expect("open the line");
    let text = browser
        .wait_for_text(Locator::Css("#outbox-fix"), "needs attention")
        .await;
    assert!(text.contains("Open to fix"), "{text}");
    browser.screenshot("outbox-one-to-fix").await;

    browser
        .wait_for(Locator::Css("#outbox-fix button.secondary"))
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

/// Adds polling stations to ward 0001 until it has `stations`: an observer assigned the
/// ward then has that many.
async fn stations_in_ward_0001(app: &TestApp, stations: usize) {
    use fieldreport::domain::geography::{ImportScheme, StationColumns, plan_import};
    let mut csv = String::from(
        "county,county_name,constituency,constituency_name,ward,ward_name,code,name\n",
    );
    for i in 3..=stations {
        csv.push_str(&format!(
            "001,Mombasa,001,Changamwe,0001,Port Reitz,0001{i:03},Port Reitz Station {i}\n"
        ));
    }
    let scheme = ImportScheme::parse(
        "county:county:county_name,constituency:constituency:constituency_name,ward:ward:ward_name,polling_station:code:name",
        StationColumns::default(),
    )
    .expect("scheme");
    let plan = plan_import(&scheme, csv.as_bytes()).expect("plan");
    let mission = app.mission_id;
    app.store
        .write(move |conn| fieldreport::store::regions::import(conn, mission, &plan))
        .await
        .expect("stations");
}

/// Taps the link `css` and waits until the page it leads to has loaded.
async fn tap(browser: &Chromium, css: &str) {
    let link = browser.wait_for(Locator::Css(css)).await;
    let href = link
        .prop("href")
        .await
        .expect("href")
        .unwrap_or_else(|| panic!("{css} is not a link"));
    link.click()
        .await
        .unwrap_or_else(|e| panic!("tap {css}: {e}"));
    for _ in 0..100 {
        let url = browser.client.current_url().await.expect("address");
        let ready = browser
            .client
            .execute("return document.readyState", vec![])
            .await
            .expect("state");
        if url.as_str() == href && ready.as_str() == Some("complete") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tapping {css} never led to {href}");
}

/// Fills in and sends the Voting checklist open on the page, and waits for its receipt.
/// Each report of a journey says something else (`choices`): the same answers again
/// would be the same report sent again.
async fn send_voting(browser: &Chromium, choices: &[(&str, &str)]) {
    browser.wait_for(Locator::Css("button.send")).await;
    browser
        .fill_form(&[("arrival_time", common::an_hour_ago())], choices)
        .await;
    browser.send_report().await;
    browser
        .wait_for_text(Locator::Css("main"), "Report received")
        .await;
}

/// Entries of the phone's copy of the observer's pages.
async fn kept_entries(browser: &Chromium) -> u64 {
    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             caches.open('fieldreport-pages-1').then(c => c.keys())
               .then(k => done(k.length), () => done(0));",
            vec![],
        )
        .await
        .expect("caches")
        .as_u64()
        .expect("a count")
}

/// The text of the phone's copy of `path`, if it keeps one.
async fn kept_text(browser: &Chromium, path: &str) -> Option<String> {
    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             caches.open('fieldreport-pages-1').then(c => c.match(arguments[0]))
               .then(r => r ? r.text() : null).then(done, () => done(null));",
            vec![path.into()],
        )
        .await
        .expect("caches")
        .as_str()
        .map(str::to_owned)
}

/// Waits (up to ten seconds) until the phone's copy of `path` contains `needle`.
async fn wait_until_kept(browser: &Chromium, path: &str, needle: &str) -> String {
    let mut last = None;
    for _ in 0..100 {
        last = kept_text(browser, path).await;
        if let Some(text) = &last {
            if text.contains(needle) {
                return text.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the copy of {path} never showed {needle:?}: {last:?}");
}

/// What a journey cost on the network.
struct Cost {
    bytes: usize,
    requests: usize,
    /// What was asked of the app, in order.
    log: Vec<String>,
}

/// An observer's morning on a phone, 13 page views: signing in (the sign-in page, then
/// home), the Voting checklist at their first station filed twice, the second report
/// looked at, their reports, and the Opening checklist at a second station opened. With
/// `offline_copy` false the browser has no service workers, so the phone keeps nothing:
/// the cost of the pages alone.
async fn observer_morning(offline_copy: bool) -> Cost {
    let app = TestApp::new().await;
    stations_in_ward_0001(&app, 15).await;
    app.assign("observer", 3, "0001").await;
    let network = Network::serve(&app).await;
    let browser = Chromium::phone().await;
    if !offline_copy {
        browser.without_service_workers().await;
    }
    let (bytes, requests) = (network.bytes(), network.requests());
    // Each page is read before the next: whatever the phone does meanwhile, it finishes.
    let read = || network.settle();
    browser
        .sign_in(&network.base, "observer", &password_of("observer"))
        .await;
    read().await;
    tap(&browser, "ul.buttons a[href$='/file/voting']").await;
    read().await;
    tap(&browser, "ul.picks li:first-child a").await;
    read().await;
    send_voting(&browser, &common::VOTING_FINE).await;
    read().await;
    tap(&browser, "ul.buttons a.button:not(.secondary)").await;
    read().await;
    send_voting(&browser, &very_good()).await;
    read().await;
    tap(&browser, "ul.buttons a.secondary").await;
    read().await;
    tap(&browser, "nav a[aria-current]").await;
    read().await;
    tap(&browser, "main a[href$='/observer/reports']").await;
    read().await;
    tap(&browser, "nav a[aria-current]").await;
    read().await;
    tap(&browser, "ul.buttons a[href$='/file/opening']").await;
    read().await;
    tap(&browser, "ul.picks li:nth-child(2) a").await;
    browser.wait_for(Locator::Css("button.send")).await;
    read().await;
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 2);
    let kept = kept_entries(&browser).await;
    if offline_copy {
        // Home, reports, 4 pickers and 4 forms at 10 stations: the phone did keep them.
        assert!(kept >= 46, "the phone keeps the observer's pages: {kept}");
    } else {
        assert_eq!(kept, 0, "without a service worker the phone keeps nothing");
    }
    browser.quit().await;
    let log = app.request_log.lock().expect("the log").clone();
    Cost {
        bytes: network.bytes() - bytes,
        requests: network.requests() - requests,
        log,
    }
}

/// Issue 12: the offline copy cost 11 times the pages themselves. Run with `--nocapture`
/// for the figures (BENCHMARKS.md, "Observer data cost").
#[tokio::test]
async fn an_observers_morning_with_the_offline_copy_costs_at_most_half_again_its_pages() {
    let pages = observer_morning(false).await;
    let with_copy = observer_morning(true).await;
    let ratio = with_copy.bytes as f64 / pages.bytes as f64;
    println!(
        "observer data cost, 13 page views, 15 stations: pages alone {} bytes in {} requests; \
         with the offline copy {} bytes in {} requests: {ratio:.2}x",
        pages.bytes, pages.requests, with_copy.bytes, with_copy.requests
    );
    // What the offline copy added: the requests of the second journey the first lacks.
    let general = |line: &String| {
        line.split('/')
            .map(|part| {
                if part.len() == 36 && part.contains('-') {
                    "{id}"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut background: Vec<String> = with_copy.log.iter().map(general).collect();
    for line in pages.log.iter().map(general) {
        if let Some(i) = background.iter().position(|b| *b == line) {
            background.remove(i);
        }
    }
    println!("requests for the offline copy: {background:?}");
    assert!(
        ratio <= 1.5,
        "{} bytes with the offline copy, {} for the pages: {ratio:.2}x",
        with_copy.bytes,
        pages.bytes
    );
}

#[tokio::test]
async fn the_observer_refreshes_the_copy_with_a_button_a_thumb_can_hit() {
    let (app, network, browser, form) = on_a_phone().await;
    let c = &browser.client;
    // Something the version does not follow: only a fresh copy shows it.
    app.execute("UPDATE regions SET name = 'Port Reitz Renamed' WHERE code = '0001001'")
        .await;
    let station_form = form.trim_start_matches(&network.base).to_owned();
    let before = kept_text(&browser, &station_form).await.expect("kept");
    assert!(!before.contains("Port Reitz Renamed"));

    let button = browser
        .wait_for(Locator::Css("form.keep-copy button"))
        .await;
    let size = c
        .execute(
            "arguments[0].scrollIntoView();
             const r = arguments[0].getBoundingClientRect();
             return [r.width, r.height, arguments[0].form.method, arguments[0].type];",
            vec![serde_json::to_value(&button).expect("element")],
        )
        .await
        .expect("size");
    let width = size[0].as_f64().expect("a width");
    let height = size[1].as_f64().expect("a height");
    assert!(width >= 44.0 && height >= 44.0, "{width} x {height} CSS px");
    assert_eq!(
        (size[2].as_str(), size[3].as_str()),
        (Some("get"), Some("submit"))
    );
    browser.screenshot("observer-refresh-copy").await;

    button.click().await.expect("tap refresh");
    // Home, reports, and the 4 forms' pickers and blank forms at 2 stations.
    browser
        .wait_for_text(Locator::Css("main .notice"), "14 pages kept on this phone")
        .await;
    browser.screenshot("observer-copy-refreshed").await;
    wait_until_kept(&browser, &station_form, "Port Reitz Renamed").await;
    browser.quit().await;
}

#[tokio::test]
async fn the_copy_follows_a_new_assignment_and_language_and_says_what_it_lacks_in_it() {
    let (app, network, browser, _) = on_a_phone().await;
    let (base, c) = (network.base.clone(), &browser.client);
    let home = format!("{base}/m/{MISSION}/observer");

    app.assign("observer", 3, "0006").await;
    let jomvu = app.region_id(4, "0006001").await;
    let jomvu_form = format!("/m/{MISSION}/observer/file/voting/{jomvu}");
    assert!(kept_text(&browser, &jomvu_form).await.is_none());
    c.goto(&home).await.expect("home");
    wait_until_kept(&browser, &jomvu_form, "Jomvu Kuu School").await;

    // French picked in the footer: the page comes back in French, and so does the copy.
    browser
        .wait_for(Locator::Css("form.languages button[value='fr']"))
        .await
        .click()
        .await
        .expect("Français");
    browser
        .wait_for_text(Locator::Css("main"), "Envoyer un rapport")
        .await;
    wait_until_kept(&browser, &jomvu_form, "<html lang=\"fr\">").await;

    network.set(&browser, false).await;
    c.goto(&format!(
        "{home}/reports/00000000-0000-4000-8000-000000000000"
    ))
    .await
    .expect("a page not kept");
    let text = browser
        .wait_for_text(Locator::Css("main h1"), "Pas de réseau")
        .await;
    assert_eq!(text, "Pas de réseau");
    let main = browser
        .wait_for_text(Locator::Css("main"), "gardée sur ce téléphone")
        .await;
    assert!(!main.contains("No network"), "{main}");
    let label = c
        .find(Locator::Css("nav"))
        .await
        .expect("the menu")
        .attr("aria-label")
        .await
        .expect("label");
    assert_eq!(label.as_deref(), Some("Menu principal"));
    browser.screenshot("offline-not-kept-french").await;
    browser.quit().await;
}

/// How many times the phone has fetched its copy so far.
fn copies_fetched(app: &TestApp) -> usize {
    let log = app.request_log.lock().expect("the log");
    log.iter()
        .filter(|line| line.ends_with("/observer/offline.json"))
        .count()
}

/// Waits (up to ten seconds) until the phone has fetched its copy `n` times.
async fn wait_for_copies(app: &TestApp, n: usize) {
    for _ in 0..100 {
        if copies_fetched(app) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the copy was fetched {} times, not {n}",
        copies_fetched(app)
    );
}

#[tokio::test]
async fn the_copy_is_fetched_again_only_once_it_is_hours_old() {
    let (app, network, browser, form) = on_a_phone().await;
    let c = &browser.client;
    let home = format!("{}/m/{MISSION}/observer", network.base);
    let fetched = copies_fetched(&app);
    assert_eq!(fetched, 1, "once, when the worker was installed");
    for page in [&form, &home, &form] {
        c.goto(page).await.expect("a page");
        browser.wait_for(Locator::Css("main")).await;
    }
    network.settle().await;
    assert_eq!(
        copies_fetched(&app),
        fetched,
        "the same copy is not fetched again"
    );

    // Five hours later (the record of when it was kept, set back).
    c.execute_async(
        "const done = arguments[arguments.length - 1];
         const key = arguments[0] + '/offline.json';
         caches.open('fieldreport-pages-1').then(c => c.match(key).then(r => r.json())
           .then(k => { k.keptAt -= 5 * 3600 * 1000; return c.put(key, new Response(JSON.stringify(k))); }))
           .then(() => done(true), e => done(String(e)));",
        vec![format!("/m/{MISSION}/observer").into()],
    )
    .await
    .expect("set back");
    network.settle().await;
    let before = network.bytes();
    c.goto(&home).await.expect("home");
    wait_for_copies(&app, fetched + 1).await;
    network.settle().await;
    assert_eq!(copies_fetched(&app), fetched + 1);
    // The copy had not changed: the phone asked with its version and got a 304, so the
    // check cost the home page and a few hundred bytes, not the copy again (16 KB).
    let home_alone = {
        let start = network.bytes();
        c.goto(&home).await.expect("home again");
        network.settle().await;
        network.bytes() - start
    };
    let checked = network.bytes() - before - home_alone;
    assert!(
        checked < home_alone + 2_000,
        "the check cost {checked} bytes, the home page {home_alone}"
    );
    // And it counts as kept now: the next page views fetch nothing.
    c.goto(&form).await.expect("a page");
    network.settle().await;
    assert_eq!(copies_fetched(&app), fetched + 1);
    browser.quit().await;
}

/// Two reports with the same answers, filed offline a moment apart, look like one report
/// sent twice. When the outbox sends them with nobody watching, the second is neither filed
/// nor dropped: it waits for the observer to say whether it is a new report.
#[tokio::test]
async fn a_second_identical_report_from_the_outbox_waits_for_the_observer_to_decide() {
    let (app, network, browser, form) = on_a_phone().await;
    let c = &browser.client;
    // The phone's copy of a page is served with the page's security policy.
    let policy = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             caches.open('fieldreport-pages-1').then(c => c.match(new URL(arguments[0]).pathname))
               .then(r => done(r ? r.headers.get('content-security-policy') : 'not kept'), e => done(String(e)));",
            vec![form.clone().into()],
        )
        .await
        .expect("the kept form");
    assert!(
        policy
            .as_str()
            .is_some_and(|p| p.contains("script-src 'self'")),
        "{policy}"
    );
    network.set(&browser, false).await;
    for filed in 1..=2 {
        c.goto(&form)
            .await
            .expect("the form, from the phone's copy");
        browser.wait_for(Locator::Css("button.send")).await;
        send_offline(&browser, &common::VOTING_FINE, filed).await;
    }
    network.set(&browser, true).await;
    browser
        .wait_for_text(Locator::Css("#outbox-fix summary"), "1 report was not sent")
        .await;
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    let reference = app.text("SELECT reference FROM reports").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser
        .wait_for(Locator::Css("#outbox-fix summary"))
        .await
        .click()
        .await
        .expect("open the line");
    let text = browser
        .wait_for_text(Locator::Css("#outbox-fix"), &reference)
        .await;
    assert!(text.contains("Is this one a new report?"), "{text}");
    browser.screenshot("outbox-same-answers-twice").await;
    browser
        .wait_for(Locator::Css("#outbox-fix button.secondary"))
        .await
        .click()
        .await
        .expect("send it as a new report");
    for _ in 0..100 {
        if app.count("SELECT count(*) FROM reports").await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 2);
    browser
        .wait_for_text(Locator::Css("#outbox"), "Sent from this phone")
        .await;
    let left: serde_json::Value = c
        .execute(
            "const f = document.getElementById('outbox-fix'); return !!f && !f.hidden;",
            vec![],
        )
        .await
        .expect("line");
    assert_eq!(left, false, "nothing left to decide");
    browser.quit().await;
}
