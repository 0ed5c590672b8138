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

/// After a receipt, Back shows the form again, filled in; Send then must not file the
/// report a second time, with the outbox script or without it. The observer is told it was
/// filed already, and may still send it as a new report deliberately.
#[tokio::test]
async fn back_then_send_again_files_the_report_once() {
    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let station = app.region_id(4, "0001001").await;
    let form = format!("{}/m/{MISSION}/observer/file/voting/{station}", app.base);
    let mut filed = 0;
    for script in [true, false] {
        let browser = if script {
            Chromium::phone().await
        } else {
            Chromium::phone_without_script().await
        };
        let c = &browser.client;
        browser
            .sign_in(&app.base, "observer", &password_of("observer"))
            .await;
        c.goto(&form).await.expect("the form");
        browser.wait_for(Locator::Css("button.send")).await;
        // Each browser's report differs from the other's: each is filed once.
        let assessment = if script { "good" } else { "very_good" };
        let mut choices = common::VOTING_FINE.to_vec();
        choices.retain(|(k, _)| *k != "voting_assessment");
        choices.push(("voting_assessment", assessment));
        browser
            .fill_form(&[("arrival_time", common::an_hour_ago())], &choices)
            .await;
        browser.send_report().await;
        let reference = browser
            .wait_for(Locator::Css(".reference"))
            .await
            .text()
            .await
            .expect("text");
        filed += 1;
        assert_eq!(app.count("SELECT count(*) FROM reports").await, filed);

        c.back().await.expect("back");
        browser.wait_for(Locator::Css("button.send")).await;
        // Whatever the browser kept of the page, the answers are those sent.
        browser
            .fill_form(&[("arrival_time", common::an_hour_ago())], &choices)
            .await;
        browser.send_report().await;
        // The browser either makes the page afresh (a new id: the server sees the same
        // answers) or keeps the id it had (the server has that id on file).
        let told = browser
            .wait_for_text(Locator::Css("main"), &reference)
            .await;
        assert!(
            told.contains("Already filed") || told.contains("it was not filed a second time"),
            "script {script}: {told}"
        );
        assert_eq!(
            app.count("SELECT count(*) FROM reports").await,
            filed,
            "script {script}: not filed again"
        );
        browser
            .screenshot(if script {
                "observer-already-filed"
            } else {
                "observer-already-filed-no-script"
            })
            .await;
        if !told.contains("Already filed") {
            browser.quit().await;
            continue;
        }
        c.find(Locator::Css("form.again button"))
            .await
            .expect("send as a new report")
            .click()
            .await
            .expect("tap");
        browser
            .wait_for_text(Locator::Css("main"), "Report received")
            .await;
        let new_reference = browser
            .wait_for(Locator::Css(".receipt .reference"))
            .await
            .text()
            .await
            .expect("text");
        assert_ne!(new_reference, reference, "a new report");
        filed += 1;
        assert_eq!(app.count("SELECT count(*) FROM reports").await, filed);
        browser.quit().await;
    }
}
