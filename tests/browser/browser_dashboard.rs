//! In a real browser on a laptop: a lead opens the dashboard of a generated mission,
//! drills down from a county to a polling station and back up, and the map is drawn.

use crate::chromium;
use crate::common;

use chromium::Chromium;
use fantoccini::Locator;
use fieldreport::demo::{self, DemoSize};
use fieldreport::server::Limits;
use fieldreport::store::{OpenMode, Store};
use fieldreport::{AppState, Config};

/// The level names shown above the region table, top to bottom.
const LEVELS: [&str; 3] = ["constituency", "ward", "polling station"];

#[tokio::test]
async fn a_lead_drills_from_a_county_to_a_polling_station() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        Store::open(&dir.path().join("demo.db"), OpenMode::CreateIfMissing).expect("open store");
    let size = DemoSize {
        stations: 2_900,
        reports: 3_000,
        observers: 100,
    };
    let setup = store.clone();
    let made = tokio::task::spawn_blocking(move || demo::ensure(&setup, size, &|_| {}))
        .await
        .expect("join")
        .expect("demo mission");
    let lead = made
        .accounts
        .iter()
        .find(|a| a.username == "lead")
        .expect("a lead account");
    let router = fieldreport::app(AppState::new(store, Config::default()).expect("state"));
    let base = format!("http://{}", common::serve(router, Limits::default()).await);

    let browser = Chromium::laptop().await;
    let c = &browser.client;
    browser.sign_in(&base, "lead", &lead.password).await;
    c.goto(&format!("{base}/m/{}/overview", demo::SLUG))
        .await
        .expect("dashboard");
    let headline = browser
        .wait_for_text(Locator::Css("ul.headline"), "reports received")
        .await;
    assert!(
        headline.contains("of 2,900 polling stations visited"),
        "{headline}"
    );
    browser
        .wait_for_text(Locator::Css("table.regions"), "Nairobi")
        .await;
    // The map is an image of its own: it must arrive and be drawn.
    let mut map_width = 0;
    for _ in 0..50 {
        map_width = c
            .execute(
                "const m = document.querySelector('img.map'); return m.complete ? m.naturalWidth : 0",
                vec![],
            )
            .await
            .expect("map")
            .as_u64()
            .unwrap_or(0);
        if map_width > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(map_width > 100, "the map was not drawn ({map_width} px)");
    browser.screenshot("dashboard-mission").await;

    // The chart shows the election period; a plain link shows the whole mission instead.
    let caption = browser
        .wait_for_text(Locator::Css("#chart figcaption"), "Election period: ")
        .await;
    assert!(caption.contains("reports in this window"), "{caption}");
    c.execute("document.getElementById('chart').scrollIntoView()", vec![])
        .await
        .expect("scroll to the chart");
    browser.screenshot("dashboard-chart-election-period").await;
    c.find(Locator::Css("#chart .chart-windows a[href*='chart=all']"))
        .await
        .expect("the whole mission's link")
        .click()
        .await
        .expect("show the whole mission");
    browser
        .wait_for_text(Locator::Css("#chart figcaption"), "Whole mission: ")
        .await;
    let bars = c
        .execute(
            "return document.querySelectorAll('#chart rect').length",
            vec![],
        )
        .await
        .expect("bars")
        .as_u64()
        .unwrap_or(0);
    assert!(bars > 0, "the chart has bars");
    browser.screenshot("dashboard-chart-whole-mission").await;
    c.back().await.expect("back to the election period");
    browser
        .wait_for_text(Locator::Css("#chart figcaption"), "Election period: ")
        .await;

    // Down: Nairobi, then the first region listed at each level, to a polling station.
    c.find(Locator::LinkText("Nairobi"))
        .await
        .expect("Nairobi")
        .click()
        .await
        .expect("open Nairobi");
    browser.wait_for_text(Locator::Css("h1"), "Nairobi").await;
    browser.screenshot("dashboard-county").await;
    let mut trail = vec!["Nairobi".to_owned()];
    for level in LEVELS {
        browser
            .wait_for_text(Locator::Css("main"), &format!("By {level}"))
            .await;
        let first = browser
            .wait_for(Locator::Css("table.regions tbody tr th a"))
            .await;
        let name = first.text().await.expect("name");
        first.click().await.expect("drill down");
        browser.wait_for_text(Locator::Css("h1"), &name).await;
        // The breadcrumb names every region above, each a link back up.
        let crumbs = browser
            .wait_for_text(Locator::Css("nav.breadcrumb"), "Whole mission")
            .await;
        for above in &trail {
            assert!(crumbs.contains(above.as_str()), "{above} in {crumbs}");
        }
        trail.push(name);
    }
    // A polling station has nothing below it, and its figures are its own.
    let text = browser
        .wait_for_text(Locator::Css("ul.headline"), "polling station visited")
        .await;
    assert!(text.contains("of 1 polling station visited"), "{text}");
    assert!(c.find(Locator::Css("table.regions")).await.is_err());
    browser.screenshot("dashboard-polling-station").await;

    // Up again through the breadcrumb.
    c.find(Locator::LinkText("Nairobi"))
        .await
        .expect("breadcrumb to Nairobi")
        .click()
        .await
        .expect("up");
    browser
        .wait_for_text(Locator::Css("main"), "By constituency")
        .await;
    browser.quit().await;
}
