//! In a real browser at phone size: an observer signs in, files the Voting checklist with
//! one problem, gets the receipt and finds the report in "My reports".

mod chromium;
mod common;

use chromium::Chromium;
use common::{MISSION, TestApp, password_of};
use fantoccini::Locator;

#[tokio::test]
async fn an_observer_files_the_voting_checklist_on_a_phone() {
    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let base = app.base.clone();

    let browser = Chromium::phone().await;
    let c = &browser.client;
    browser
        .sign_in(&base, "observer", &password_of("observer"))
        .await;

    browser
        .wait_for(Locator::LinkText("Voting"))
        .await
        .click()
        .await
        .expect("open voting");
    let station = browser.wait_for(Locator::Css("ul.picks a")).await;
    assert!(
        station
            .text()
            .await
            .expect("text")
            .contains("Port Reitz Primary")
    );
    station.click().await.expect("choose station");

    browser.wait_for(Locator::Css("button.send")).await;
    assert!(
        browser.scroll_width().await <= 360,
        "the form fits a 360 px screen"
    );
    // The browser's date-and-time picker is not typed into; set it as the picker would.
    browser
        .fill_form(
            &[("arrival_time", common::an_hour_ago())],
            &[
                ("observers_access", "yes"),
                ("boxes_sealed", "no"),
                ("kit_working", "yes"),
                ("ink_checked", "yes"),
                ("ink_applied", "yes"),
                ("secrecy_respected", "yes"),
                ("intimidation", "no"),
                ("voting_assessment", "good"),
            ],
        )
        .await;
    browser.send_report().await;

    let reference = browser
        .wait_for(Locator::Css(".reference"))
        .await
        .text()
        .await
        .expect("text");
    assert!(
        reference.starts_with("TE-") && reference.len() == 9,
        "{reference}"
    );
    let receipt = c.source().await.expect("source");
    assert!(receipt.contains("Report received") && receipt.contains("1 problem flagged"));
    assert!(receipt.contains("Were all ballot boxes properly sealed?"));
    let shot = browser.screenshot("observer-voting-receipt").await;
    assert!(std::fs::metadata(&shot).expect("screenshot saved").len() > 1000);

    c.goto(&format!("{base}/m/{MISSION}/observer/reports"))
        .await
        .expect("my reports");
    let mine = c
        .find(Locator::Css("ul.reports"))
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert!(
        mine.contains(&reference) && mine.contains("Voting") && mine.contains("1 problem"),
        "{mine}"
    );
    browser.screenshot("observer-my-reports").await;
    browser.quit().await;

    assert_eq!(
        app.count("SELECT count(*) FROM reports WHERE problem_count = 1 AND severity = 3")
            .await,
        1
    );
}
