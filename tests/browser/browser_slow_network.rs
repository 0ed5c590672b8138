//! On a phone over an emulated slow 3G network (2 s round trips, 50 KB/s): an observer
//! files the Voting checklist and gets the receipt.

use crate::chromium;
use crate::common;

use chromium::Chromium;
use common::{MISSION, TestApp, password_of};
use fantoccini::Locator;

#[tokio::test]
async fn filing_completes_over_slow_3g() {
    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let base = app.base.clone();

    let browser = Chromium::phone().await;
    let c = &browser.client;
    browser.emulate_network(false, 2_000, 50_000).await;
    let started = std::time::Instant::now();
    browser
        .sign_in(&base, "observer", &password_of("observer"))
        .await;
    c.goto(&format!("{base}/m/{MISSION}/observer/file/voting"))
        .await
        .expect("the place picker");
    browser
        .wait_for(Locator::Css("ul.picks a"))
        .await
        .click()
        .await
        .expect("choose the station");
    browser.wait_for(Locator::Css("button.send")).await;
    browser
        .fill_form(
            &[("arrival_time", common::an_hour_ago())],
            &common::VOTING_FINE,
        )
        .await;
    browser.send_report().await;
    browser
        .wait_for_text(Locator::Css("main"), "Report received")
        .await;
    let took = started.elapsed();
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    // Each page costs at least a round trip: the emulation was in force.
    assert!(
        took.as_secs() >= 6,
        "filed in {took:?}: was the network slowed?"
    );
    browser.screenshot("observer-receipt-slow-3g").await;
    browser.quit().await;
}
