//! In a real browser on a laptop: a coordinator verifies a report, a lead builds a finding
//! on it, publishes it, and the preliminary statement shows it.

use crate::chromium;
use crate::common;

use chromium::Chromium;
use common::{MISSION, TestApp, password_of};
use fantoccini::Locator;

/// Clicks an element once it is there. A page that is being replaced can hand over an
/// element that goes stale before the click: look it up again then.
async fn click(browser: &Chromium, locator: Locator<'_>) {
    for _ in 0..20 {
        match browser.wait_for(locator).await.click().await {
            Ok(()) => return,
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("click {locator:?}: {e}"),
        }
    }
    panic!("{locator:?} kept going stale");
}

#[tokio::test]
async fn a_report_becomes_a_published_finding_in_the_statement() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let station = app.region_id(4, "0001001").await;
    let answers = [
        ("arrival_time", common::an_hour_ago()),
        ("observers_access", "yes"),
        ("boxes_sealed", "no"),
        ("kit_working", "yes"),
        ("ink_checked", "yes"),
        ("ink_applied", "yes"),
        ("secrecy_respected", "yes"),
        ("intimidation", "no"),
        ("voting_assessment", "bad"),
    ];
    observer.file("voting", station, &answers).await;
    let reference = app.text("SELECT reference FROM reports").await;

    let base = app.base.clone();

    // The coordinator finds the report in the queue (it stands out as high) and verifies it.
    let browser = Chromium::laptop().await;
    let c = &browser.client;
    browser
        .sign_in(&base, "coordinator", &password_of("coordinator"))
        .await;
    c.goto(&format!("{base}/m/{MISSION}/review"))
        .await
        .expect("queue");
    let urgent = browser
        .wait_for(Locator::Css("section.urgent"))
        .await
        .text()
        .await
        .expect("text");
    assert!(urgent.contains(&reference), "{urgent}");
    click(&browser, Locator::LinkText(&reference)).await;
    click(
        &browser,
        Locator::Css("form.review-actions button[value='verify']"),
    )
    .await;
    browser
        .wait_for_text(Locator::Css("ul.history"), "verify: received → verified")
        .await;
    browser.screenshot("coordinator-verified-report").await;
    c.clone().close().await.ok();
    drop(browser);

    // The lead writes a finding, links the report, and publishes.
    let browser = Chromium::laptop().await;
    let c = &browser.client;
    browser.sign_in(&base, "lead", &password_of("lead")).await;
    c.goto(&format!("{base}/m/{MISSION}/findings/new"))
        .await
        .expect("new finding");
    browser
        .wait_for(Locator::Id("title"))
        .await
        .send_keys("Ballot boxes left unsealed")
        .await
        .expect("type");
    c.find(Locator::Id("topic"))
        .await
        .expect("topic")
        .send_keys("Voting procedures")
        .await
        .expect("type");
    c.find(Locator::Css("input[name='assessment'][value='negative']"))
        .await
        .expect("assessment")
        .click()
        .await
        .expect("choose");
    c.find(Locator::Id("statement"))
        .await
        .expect("statement")
        .send_keys("Observers found ballot boxes that were not sealed before voting began.")
        .await
        .expect("type");
    c.find(Locator::Css("form.stack button[type='submit']"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save");
    browser
        .wait_for(Locator::Id("references"))
        .await
        .send_keys(&reference)
        .await
        .expect("type");
    c.find(Locator::Css("#evidence form.stack button"))
        .await
        .expect("add")
        .click()
        .await
        .expect("add evidence");
    // Each click below loads the page again: wait for the new one before the next click.
    browser
        .wait_for_text(Locator::Css("#evidence"), "1 verified")
        .await;
    click(&browser, Locator::Css("button[value='ready']")).await;
    browser
        .wait_for_text(Locator::Css(".tag.status"), "Ready for review")
        .await;
    click(&browser, Locator::Css("button[value='published']")).await;
    browser
        .wait_for_text(Locator::Css(".tag.status"), "Published")
        .await;

    c.goto(&format!("{base}/m/{MISSION}/statement"))
        .await
        .expect("statement");
    let statement = browser
        .wait_for_text(
            Locator::Css("article.statement-page"),
            "Ballot boxes left unsealed",
        )
        .await;
    assert!(
        statement.contains("Voting procedures") && statement.contains("Ballot boxes left unsealed"),
        "{statement}"
    );
    assert!(
        statement.contains("based on 1 verified report from 1 county"),
        "{statement}"
    );
    let shot = browser.screenshot("lead-preliminary-statement").await;
    assert!(std::fs::metadata(shot).expect("saved").len() > 1000);

    // On paper: the statement, without the navigation, the language picker or the
    // download button around it.
    let chrome = [
        "header.top",
        "header.top nav",
        "form.signout",
        "form.languages",
        "form.languages button",
        ".no-print",
    ];
    for part in chrome {
        let drawn = browser.drawn(part).await;
        assert!(
            !drawn.is_empty() && drawn.iter().all(|d| *d),
            "{part} on screen: {drawn:?}"
        );
    }
    browser.emulate_media("print").await;
    for part in chrome {
        let drawn = browser.drawn(part).await;
        assert!(drawn.iter().all(|d| !d), "{part} printed: {drawn:?}");
    }
    for part in [
        "article.statement-page",
        "article h1",
        ".topic h2",
        ".finding h3",
        ".statement-text",
    ] {
        let drawn = browser.drawn(part).await;
        assert!(
            !drawn.is_empty() && drawn.iter().all(|d| *d),
            "{part} not printed: {drawn:?}"
        );
    }
    let printed = c
        .execute("return document.body.innerText", vec![])
        .await
        .expect("text")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        printed.contains("Observers found ballot boxes"),
        "{printed}"
    );
    for gone in ["Sign out", "English", "Français", "Language"] {
        assert!(!printed.contains(gone), "{gone} printed:\n{printed}");
    }
    browser
        .screenshot("lead-preliminary-statement-printed")
        .await;
    browser.emulate_media("").await;
    browser.quit().await;
}

/// The texts of every element the locator finds, in page order.
async fn texts(browser: &Chromium, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in browser
        .client
        .find_all(Locator::Css(css))
        .await
        .expect("elements")
    {
        out.push(element.text().await.expect("text"));
    }
    out
}

/// The reference of the report page shown, once it is not `previous` (the page before
/// the click that loads it).
async fn shown_reference(browser: &Chromium, previous: Option<&String>) -> String {
    for _ in 0..100 {
        if let Ok(element) = browser.client.find(Locator::Css("h1 .code")).await {
            if let Ok(text) = element.text().await {
                if Some(&text) != previous {
                    return text;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page still shows {previous:?}");
}

#[tokio::test]
async fn a_coordinator_finds_a_ward_by_name_and_works_through_its_queue() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    for station in ["0001001", "1428001", "0001002", "0001001"] {
        let id = app.region_id(4, station).await;
        let (_, sent) = observer
            .file_anew("voting", id, &common::voting_fine())
            .await;
        assert_eq!(
            sent.status,
            axum::http::StatusCode::SEE_OTHER,
            "{}",
            sent.body
        );
    }
    let outside = app
        .text("SELECT r.reference FROM reports r JOIN regions g ON g.id = r.region_id WHERE g.code = '1428001'")
        .await;
    let base = app.base.clone();

    let browser = Chromium::laptop().await;
    let c = &browser.client;
    browser
        .sign_in(&base, "coordinator", &password_of("coordinator"))
        .await;
    c.goto(&format!("{base}/m/{MISSION}/review"))
        .await
        .expect("queue");
    // The place is typed, not picked from a list of counties: the page needs no script.
    click(&browser, Locator::Css("details.filters summary")).await;
    browser
        .wait_for(Locator::Css("input[name='place']"))
        .await
        .send_keys("Port Reitz")
        .await
        .expect("type");
    click(
        &browser,
        Locator::Css("form.filter-form button[type='submit']"),
    )
    .await;
    browser
        .wait_for(Locator::Css("input[name='region'][checked]"))
        .await;
    let queue = texts(&browser, "table.queue tbody td:nth-child(2) a").await;
    assert_eq!(queue.len(), 3, "the ward's reports only: {queue:?}");
    assert!(!queue.contains(&outside));
    assert!(
        browser.scroll_width().await <= 1366,
        "the queue fits the screen"
    );
    browser.screenshot("coordinator-queue-by-ward").await;

    // Verify each and go on to the next, never back to the queue.
    click(&browser, Locator::LinkText(&queue[0])).await;
    let mut worked: Vec<String> = Vec::new();
    loop {
        let reference = shown_reference(&browser, worked.last()).await;
        assert!(!worked.contains(&reference), "{reference} twice");
        worked.push(reference);
        click(
            &browser,
            Locator::Css("form.review-actions button[value='verify']"),
        )
        .await;
        browser
            .wait_for_text(Locator::Css("ul.history"), "verify: received → verified")
            .await;
        let after = browser
            .wait_for(Locator::Css("p.next-report"))
            .await
            .text()
            .await
            .expect("text");
        if after.contains("No more reports in this queue.") {
            break;
        }
        click(&browser, Locator::LinkText("Next report in this queue ›")).await;
    }
    assert_eq!(worked, queue, "the queue's reports, in its order");
    browser.screenshot("coordinator-end-of-queue").await;
    click(&browser, Locator::LinkText("Back to the queue")).await;
    browser
        .wait_for(Locator::Css("input[name='region'][checked]"))
        .await;
    let statuses = texts(&browser, "table.queue tbody td:last-child").await;
    assert_eq!(statuses, ["verified"; 3], "back in the same queue");
    browser.quit().await;
}
