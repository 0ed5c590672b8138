//! In a real browser on a laptop: a lead clicks the queue's CSV export of the Voting
//! checklist and gets the whole file, every report of the database in it. Browsers ask for
//! gzip, so the export goes through the compression layer exactly as it does in the field.

use crate::chromium;
use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromium::Chromium;
use common::{MISSION, TestApp, password_of};
use fantoccini::Locator;

/// Enough reports that the export is sent in many chunks (16 KiB each), not one.
const REPORTS: usize = 3_000;

/// Waits (up to 30 seconds) until the browser has finished a `.csv` download in `dir`:
/// the file is there and no `.crdownload` (a download under way) is left.
async fn downloaded_csv(dir: &Path) -> PathBuf {
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = std::fs::read_dir(dir)
            .expect("the download directory")
            .map(|entry| entry.expect("an entry").path())
            .collect::<Vec<_>>();
        let under_way = seen
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "crdownload"));
        let done = seen
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "csv"));
        if let (Some(file), false) = (done, under_way) {
            return file.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no whole CSV download in 30 s; the directory holds {seen:?}")
}

#[tokio::test]
async fn a_lead_downloads_the_whole_voting_export_from_the_queue() {
    let app = TestApp::new().await;
    app.generate_reports(REPORTS, 11).await;
    let base = app.base.clone();
    let downloads = tempfile::tempdir().expect("download dir");

    let browser = Chromium::laptop().await;
    let c = &browser.client;
    browser.download_to(downloads.path()).await;
    browser.sign_in(&base, "lead", &password_of("lead")).await;
    c.goto(&format!("{base}/m/{MISSION}/review"))
        .await
        .expect("queue");
    // The link's text is review.exports.csv with the form's title, as the lead reads it.
    browser
        .wait_for(Locator::LinkText("CSV: Voting"))
        .await
        .click()
        .await
        .expect("click the export");
    let file = downloaded_csv(downloads.path()).await;
    assert_eq!(
        file.file_name().and_then(|n| n.to_str()),
        Some("test-2017-reports-voting.csv")
    );

    let bytes = std::fs::read(&file).expect("the downloaded file");
    let text = std::str::from_utf8(&bytes).expect("UTF-8");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(String::from)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let (id, reference, status) = (column("id"), column("reference"), column("status"));
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("a whole record"))
        .collect();
    let cells = |i: usize| -> Vec<String> { rows.iter().map(|r| r[i].to_owned()).collect() };

    let voting = format!(
        "FROM reports r JOIN forms f ON f.id = r.form_id \
         WHERE f.key = 'voting' AND r.mission_id = {} ORDER BY r.seq",
        app.mission_id
    );
    let ids = app.texts(&format!("SELECT r.id {voting}")).await;
    assert!(
        ids.len() > 500,
        "the generated mission has many Voting reports: {}",
        ids.len()
    );
    assert_eq!(
        cells(id),
        ids,
        "every Voting report, in order, and no other"
    );
    assert_eq!(
        cells(reference),
        app.texts(&format!("SELECT r.reference {voting}")).await
    );
    assert_eq!(
        cells(status),
        app.texts(&format!("SELECT r.status {voting}")).await
    );

    let shot = browser.screenshot("lead-downloaded-voting-export").await;
    assert!(std::fs::metadata(shot).expect("saved").len() > 1000);
    browser.quit().await;
}
