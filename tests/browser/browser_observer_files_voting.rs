//! In a real browser at phone size: an observer signs in, files the Voting checklist with
//! one problem, gets the receipt and finds the report in "My reports".

use crate::chromium;
use crate::common;

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

/// An observer assigned to a ward, signed in on a phone, on the Voting form of its first
/// station; with the address of their pages and the station's id.
async fn on_the_voting_form() -> (TestApp, Chromium, String, i64) {
    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let station = app.region_id(4, "0001001").await;
    let base = format!("{}/m/{MISSION}/observer", app.base);
    let browser = Chromium::phone().await;
    browser
        .sign_in(&app.base, "observer", &password_of("observer"))
        .await;
    browser
        .client
        .goto(&format!("{base}/file/voting/{station}"))
        .await
        .expect("form");
    browser.wait_for(Locator::Css("button.send")).await;
    (app, browser, base, station)
}

/// Every link and button of the page that is drawn, narrower or lower than a thumb (44 CSS
/// pixels), as `text (width x height)`.
async fn too_small_to_tap(browser: &Chromium) -> Vec<String> {
    let small = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('a, button, summary, input[type=submit]'))
               .filter(e => e.getClientRects().length > 0)
               .map(e => [e, e.getBoundingClientRect()])
               .filter(([e, r]) => r.width < 44 || r.height < 44)
               .map(([e, r]) => (e.textContent.trim() || e.outerHTML).slice(0, 60)
                 + ' (' + Math.round(r.width) + ' x ' + Math.round(r.height) + ')');",
            vec![],
        )
        .await
        .expect("measure");
    serde_json::from_value(small).expect("a list")
}

/// On every observer page, with reports in the outbox's lists too, each link and button is
/// at least 44 x 44 CSS pixels.
#[tokio::test]
async fn every_link_and_button_on_observer_pages_is_big_enough_for_a_thumb() {
    let (app, browser, base, station) = on_the_voting_form().await;
    let c = &browser.client;
    let ward = app.region_id(3, "0001").await;
    // A report filed (the home page lists it as sent from this phone) and one refused.
    browser
        .fill_form(
            &[("arrival_time", common::an_hour_ago())],
            &common::VOTING_FINE,
        )
        .await;
    browser.send_report().await;
    browser.wait_for(Locator::Css(".receipt")).await;
    let receipt = c.current_url().await.expect("url").to_string();
    let report = app.text("SELECT id FROM reports").await;
    c.goto(&format!("{base}/file/voting/{station}"))
        .await
        .expect("form");
    browser.wait_for(Locator::Css("button.send")).await;
    browser.send_report().await;
    browser.wait_for(Locator::Css("#error-summary")).await;

    let mut failures = Vec::new();
    for page in [
        base.clone(),
        format!("{base}/file/voting"),
        format!("{base}/file/voting?q=port"),
        format!("{base}/file/incident?at={ward}"),
        format!("{base}/file/voting/{station}"),
        receipt,
        format!("{base}/reports"),
        format!("{base}/reports/{report}"),
    ] {
        c.goto(&page).await.expect("page");
        browser.wait_for(Locator::Css("footer")).await;
        // The outbox draws its lists once it has read the phone's store.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        if page == base {
            browser.wait_for(Locator::Css("#outbox-fix summary")).await;
            browser.wait_for(Locator::Css("#outbox ul.sent a")).await;
            c.find(Locator::Css("#outbox-fix summary"))
                .await
                .expect("the line of reports to fix")
                .click()
                .await
                .expect("open it");
        }
        for small in too_small_to_tap(&browser).await {
            failures.push(format!("{page}: {small}"));
        }
    }
    browser.quit().await;
    assert!(
        failures.is_empty(),
        "too small to tap:\n{}",
        failures.join("\n")
    );
}

/// With the outbox script, a refused report comes back with the list of what to fix first
/// and focused, each input marked and described by its error; the report being fixed is
/// not also shown as waiting, and once abandoned it is one line on other pages.
#[tokio::test]
async fn a_refused_report_puts_what_to_fix_first_and_then_keeps_out_of_the_way() {
    let (app, browser, base, _) = on_the_voting_form().await;
    let c = &browser.client;
    // Everything but the arrival time and the overall assessment.
    let mut choices = common::VOTING_FINE.to_vec();
    choices.retain(|(k, _)| *k != "voting_assessment");
    browser.fill_form(&[], &choices).await;
    browser.send_report().await;
    browser.wait_for(Locator::Css("#error-summary")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let seen: serde_json::Value = c
        .execute(
            "const s = document.getElementById('error-summary');
             const links = Array.from(s.querySelectorAll('a'));
             const box = document.getElementById('outbox');
             return {
               focused: document.activeElement === s,
               top: s.getBoundingClientRect().top,
               bottom: s.getBoundingClientRect().bottom,
               first: document.querySelector('main').firstElementChild === s,
               links: links.map(a => {
                 const target = document.getElementById(a.getAttribute('href').slice(1));
                 const described = target && document.getElementById(target.getAttribute('aria-describedby'));
                 return { text: a.textContent, target: !!target,
                          invalid: target && target.getAttribute('aria-invalid'),
                          error: described ? described.textContent : null };
               }),
               waiting: !!box && !box.hidden && box.textContent.includes('waiting'),
             };",
            vec![],
        )
        .await
        .expect("the page");
    browser.screenshot("observer-form-with-errors").await;
    assert_eq!(seen["focused"], true, "{seen}");
    assert_eq!(seen["first"], true, "{seen}");
    assert!(
        seen["bottom"].as_f64().expect("px") < 640.0,
        "in view: {seen}"
    );
    let links = seen["links"].as_array().expect("links");
    assert_eq!(links.len(), 2, "{seen}");
    for link in links {
        assert_eq!(link["target"], true, "{link}");
        assert_eq!(link["invalid"], "true", "{link}");
        let error = link["error"].as_str().expect("described by its error");
        assert!(
            link["text"].as_str().expect("text").contains(error),
            "{link}"
        );
    }
    assert_eq!(seen["waiting"], false, "not also shown as waiting: {seen}");
    // A link leads to its question.
    c.find(Locator::Css("#error-summary a"))
        .await
        .expect("a link")
        .click()
        .await
        .expect("tap");
    let focused: serde_json::Value = c
        .execute("return document.activeElement.id", vec![])
        .await
        .expect("focus");
    assert_eq!(focused, "q-arrival_time-input");

    // Abandoned: elsewhere it is one closed line after the form buttons, not a box above.
    c.goto(&base).await.expect("home");
    let line = browser
        .wait_for_text(Locator::Css("#outbox-fix summary"), "1 report was not sent")
        .await;
    let layout: serde_json::Value = c
        .execute(
            "const fix = document.getElementById('outbox-fix');
             const buttons = document.querySelector('ul.home-forms');
             const box = document.getElementById('outbox');
             return { open: fix.open, height: fix.getBoundingClientRect().height,
                      below: fix.getBoundingClientRect().top >= buttons.getBoundingClientRect().bottom,
                      box: !!box && !box.hidden };",
            vec![],
        )
        .await
        .expect("layout");
    browser.screenshot("observer-home-report-to-fix").await;
    assert_eq!(layout["open"], false, "{line}: {layout}");
    assert_eq!(layout["below"], true, "{layout}");
    assert_eq!(layout["box"], false, "{layout}");
    assert!(layout["height"].as_f64().expect("px") < 80.0, "{layout}");
    c.goto(&format!("{base}/reports"))
        .await
        .expect("my reports");
    browser
        .wait_for_text(Locator::Css("#outbox-fix summary"), "1 report was not sent")
        .await;

    // Opened and fixed, it is filed and leaves the line.
    c.goto(&base).await.expect("home");
    browser.wait_for(Locator::Css("#outbox-fix summary")).await;
    // The outbox draws the line again once it has tried to send: tap the one drawn last.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    browser
        .wait_for(Locator::Css("#outbox-fix summary"))
        .await
        .click()
        .await
        .expect("open");
    browser
        .wait_for(Locator::Css("#outbox-fix button.secondary"))
        .await
        .click()
        .await
        .expect("open to fix");
    browser.wait_for(Locator::Css("#error-summary")).await;
    browser
        .fill_form(
            &[("arrival_time", common::an_hour_ago())],
            &[("voting_assessment", "good")],
        )
        .await;
    browser.send_report().await;
    browser
        .wait_for_text(Locator::Css("main"), "Report received")
        .await;
    browser.screenshot("observer-receipt").await;
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    c.goto(&base).await.expect("home");
    browser.wait_for(Locator::Css("#outbox ul.sent a")).await;
    let fix_left: serde_json::Value = c
        .execute(
            "const f = document.getElementById('outbox-fix'); return !!f && !f.hidden;",
            vec![],
        )
        .await
        .expect("line");
    assert_eq!(fix_left, false);
    browser.screenshot("observer-home-after-sending").await;
    browser.quit().await;
}
