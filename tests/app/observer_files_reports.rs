//! Observers file the demo mission's forms: validation, receipts, idempotent resends,
//! privacy between observers, amendments and form versions.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{Browser, MISSION, Page, TestApp};

/// Answers by question key, as a form sends them.
type Answers = Vec<(&'static str, &'static str)>;
/// Fields of a submission by name.
type Fields<'a> = [(&'a str, &'a str)];

/// A valid Voting checklist with no problem.
fn voting_ok() -> Answers {
    common::voting_fine()
}

fn with(
    base: &[(&'static str, &'static str)],
    extra: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<_> = base
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    all.extend_from_slice(extra);
    all
}

async fn station(app: &TestApp) -> i64 {
    app.region_id(4, "0001001").await
}

/// Follows a filing response to its receipt page.
async fn receipt_of(browser: &mut Browser, response: &Page) -> Page {
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "filed: {}",
        response.body
    );
    assert!(
        response.location().ends_with("/receipt"),
        "{}",
        response.location()
    );
    browser.get(response.location()).await
}

fn reference_on(receipt: &Page) -> String {
    let start = receipt
        .body
        .find("class=\"reference\">")
        .expect("reference")
        + "class=\"reference\">".len();
    receipt.body[start..start + 9].to_owned()
}

#[tokio::test]
async fn each_demo_form_is_filed_with_its_derived_fields() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let station = station(&app).await;
    let ward = app.region_id(3, "0001").await;
    let cases: [(&str, i64, Answers); 4] = [
        (
            "opening",
            station,
            vec![
                ("arrival_time", common::an_hour_ago()),
                ("opened_on_time", "no"),
                ("opening_delay_minutes", "90"),
                ("observers_admitted", "yes"),
                ("materials_missing", "seals"),
                ("materials_missing", "kiems_kit"),
                ("boxes_shown_empty_sealed", "yes"),
                ("kit_working", "no"),
                ("layout_secrecy", "yes"),
                ("opening_assessment", "bad"),
            ],
        ),
        ("voting", station, voting_ok()),
        (
            "closing",
            station,
            vec![
                ("closed_on_time", "yes"),
                ("count_in_station", "yes"),
                ("unused_ballots_cancelled", "yes"),
                ("procedures_followed", "yes"),
                ("registered_voters", "512"),
                ("votes_cast", "431"),
                ("rejected_ballots", "3"),
                ("form_signed_by_agents", "all"),
                ("form_posted", "yes"),
                ("results_transmitted", "yes"),
                ("count_assessment", "very_good"),
            ],
        ),
        (
            "incident",
            ward,
            vec![
                ("category", "vote_buying"),
                ("severity", "medium"),
                ("occurred_at", common::an_hour_ago()),
                ("polling_station", "0001002"),
                ("injuries", "0"),
                ("witnessed", "yes"),
                ("summary", "Cash handed out in the queue"),
                (
                    "account",
                    "Two men gave 200 shillings to voters in the queue.",
                ),
            ],
        ),
    ];
    for (form, region, answers) in cases {
        let (_, response) = observer.file(form, region, &answers).await;
        let receipt = receipt_of(&mut observer, &response).await;
        assert_eq!(receipt.status, StatusCode::OK, "{form}");
        assert!(receipt.contains("Report received"), "{form}");
        assert!(
            reference_on(&receipt).starts_with("TE-"),
            "{form}: the mission's prefix"
        );
    }
    let derived = app
        .text(
            "SELECT group_concat(f.key || ':' || r.region_path || ':' || coalesce(r.severity, '-') || ':' || r.problem_count || ':' || coalesce(r.category, '-'), ' ')
             FROM (SELECT * FROM reports ORDER BY seq) r JOIN forms f ON f.id = r.form_id",
        )
        .await;
    assert_eq!(
        derived,
        // Opening: opened late (medium), over an hour late (high), the identification kit
        // missing (high; missing seals are not a listed problem), the kit not working
        // (high), assessed bad (high): five problems, the worst high (3).
        "opening:/001/001/0001/0001001/:3:5:- voting:/001/001/0001/0001001/:-:0:- \
         closing:/001/001/0001/0001001/:-:0:- incident:/001/001/0001/:2:0:vote_buying"
    );
}

#[tokio::test]
async fn the_receipt_summarises_the_problems_flagged() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let answers = with(
        &voting_ok(),
        &[("boxes_sealed", "no"), ("turned_away", "12")],
    );
    let (_, response) = observer.file("voting", station(&app).await, &answers).await;
    let receipt = receipt_of(&mut observer, &response).await;
    assert!(receipt.contains("2 problems flagged"), "{}", receipt.body);
    assert!(receipt.contains("Were all ballot boxes properly sealed? — <strong>No</strong>"));
    assert!(receipt.contains(
        "How many voters were turned away while you were present? — <strong>12</strong>"
    ));
    assert!(receipt.contains("sev-high") && receipt.contains("sev-medium"));
    assert!(receipt.contains("Port Reitz Primary"));
}

#[tokio::test]
async fn wrong_answers_come_back_with_messages_and_every_value_kept() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let answers = [
        ("arrival_time", "not a time"),
        ("queue_length", "-4"),
        ("observers_access", "maybe"),
        ("boxes_sealed", "yes"),
        ("kit_fallback", "printed_register"),
        ("turned_away", "abc"),
        ("turned_away_reason", "no_id"),
        ("turned_away_reason", "kit_failure"),
        ("comments", "Queue was calm."),
    ];
    let (form, response) = observer.file("voting", station(&app).await, &answers).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Enter a date and time like 2017-08-08 14:30.",
        "Enter a number from 0 to 5000.",
        "Answer yes or no.",
        "Enter a whole number.",
        "This question needs an answer.",
    ] {
        assert!(response.contains(message), "missing {message:?}");
    }
    assert!(response.contains("answers need attention. Nothing was saved yet."));
    // Everything typed is still there, wrong or right.
    for kept in [
        "value=\"not a time\"",
        "value=\"-4\"",
        "value=\"abc\"",
        "id=\"q-boxes_sealed-yes\" name=\"q.boxes_sealed\" value=\"yes\" checked",
        "id=\"q-kit_fallback-printed_register\" name=\"q.kit_fallback\" value=\"printed_register\" checked",
        "value=\"no_id\" checked",
        "value=\"kit_failure\" checked",
        ">Queue was calm.</textarea>",
    ] {
        assert!(response.contains(kept), "lost {kept:?}");
    }
    let same_id = common::hidden_value(&response.body, "submission_id");
    assert_eq!(
        same_id,
        common::hidden_value(&form.body, "submission_id"),
        "the same submission continues"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM reports").await,
        0,
        "nothing saved"
    );
}

#[tokio::test]
async fn limits_and_options_are_enforced() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let long = "x".repeat(2001);
    let cases: [(&str, &str, &str); 4] = [
        (
            "voting_assessment",
            "superb",
            "Choose one of: Very good, Good, Bad, Very bad.",
        ),
        ("turned_away_reason", "aliens", "Choose among:"),
        ("turned_away", "5001", "Enter a number from 0 to 5000."),
        (
            "comments",
            long.as_str(),
            "Shorten this to 2000 characters (it has 2001).",
        ),
    ];
    for (key, value, message) in cases {
        let answers = with(&voting_ok(), &[]);
        let mut answers: Vec<(&str, &str)> =
            answers.into_iter().filter(|(k, _)| *k != key).collect();
        answers.push((key, value));
        let (_, response) = observer.file("voting", station(&app).await, &answers).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{key}");
        assert!(response.contains(message), "{key}: {message:?}");
    }
    let (_, future) = {
        let form = observer
            .get(&format!(
                "/m/{MISSION}/observer/file/voting/{}",
                station(&app).await
            ))
            .await;
        let response = observer
            .send_form(&form, &voting_ok(), &[("observed_at", "2099-01-01T10:00")])
            .await;
        (form, response)
    };
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.contains("This time is in the future."));
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);
}

#[tokio::test]
async fn malformed_submissions_are_clear_4xx_and_save_nothing() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let station = station(&app).await;
    let ward = app.region_id(3, "0001").await;
    let form = observer
        .get(&format!("/m/{MISSION}/observer/file/voting/{station}"))
        .await;
    let other_region = 999_999.to_string();
    let ward_text = ward.to_string();
    let cases: [(&Fields, StatusCode, &str); 6] = [
        (
            &[("submission_id", "not-a-uuid")],
            StatusCode::BAD_REQUEST,
            "arrived incomplete",
        ),
        (
            &[("form_id", "")],
            StatusCode::BAD_REQUEST,
            "arrived incomplete",
        ),
        (
            &[("form_id", "424242")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "is not one of the mission",
        ),
        (
            &[("region_id", other_region.as_str())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "not part of the mission",
        ),
        (
            &[("region_id", ward_text.as_str())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "filed for one polling station",
        ),
        (
            &[("q.bribe_amount", "100")],
            StatusCode::BAD_REQUEST,
            "has no question `bribe_amount`",
        ),
    ];
    for (overrides, status, message) in cases {
        let (answers, overrides): (Vec<_>, Vec<_>) =
            overrides.iter().partition(|(k, _)| k.starts_with("q."));
        let mut all: Vec<(&str, &str)> = voting_ok();
        all.extend(answers.iter().map(|(k, v)| (&k[2..], *v)));
        let response = observer.send_form(&form, &all, &overrides).await;
        assert_eq!(
            response.status, status,
            "{overrides:?} {answers:?}: {}",
            response.body
        );
        assert!(
            response.contains(message),
            "{message:?} in {}",
            response.body
        );
    }
    let token = form.csrf();
    let mut garbage = format!("_csrf={token}&").into_bytes();
    garbage.extend_from_slice(&[0xff, 0xfe, b'=', 0x00, b'&', b'%', b'z']);
    let response = observer
        .send(
            Method::POST,
            &format!("/m/{MISSION}/observer/file"),
            Some(garbage),
        )
        .await;
    assert!(response.status.is_client_error(), "{}", response.status);
    assert_eq!(
        app.count("SELECT count(*) FROM reports").await,
        0,
        "never a partial report"
    );
}

#[tokio::test]
async fn the_same_submission_sent_again_is_one_report_with_one_receipt() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let (form, first) = observer
        .file("voting", station(&app).await, &voting_ok())
        .await;
    // A double tap, or a retry after a timeout, resends the very same page.
    let again = observer.send_form(&form, &voting_ok(), &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        again.location(),
        format!("{}?already=1", first.location()),
        "the same receipt, saying so"
    );
    let told = observer.get(again.location()).await;
    assert!(
        told.contains("it was not filed a second time"),
        "{}",
        told.body
    );
    // Even with different answers, a resend never overwrites what was filed.
    let changed = observer
        .send_form(&form, &with(&voting_ok(), &[("intimidation", "yes")]), &[])
        .await;
    assert_eq!(
        changed.location(),
        format!("{}?unsaved=1", first.location())
    );
    let notice = observer.get(changed.location()).await;
    assert!(
        notice.contains("what you just sent was not saved again"),
        "the observer is told"
    );
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    assert_eq!(
        app.text("SELECT CAST(answers ->> 'intimidation' AS TEXT) FROM reports")
            .await,
        "0",
        "as first filed: no"
    );
}

/// Back after a receipt shows the form again with a new submission id (the page is made
/// afresh); sending it again must not file the report a second time.
#[tokio::test]
async fn back_then_send_again_is_told_already_filed_and_files_nothing() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let station = station(&app).await;
    let (_, first) = observer.file("voting", station, &voting_ok()).await;
    let receipt = receipt_of(&mut observer, &first).await;
    let reference = reference_on(&receipt);

    // Back: a new form page, a new id, the same answers.
    let (again_form, again) = observer.file("voting", station, &voting_ok()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.contains("Already filed"), "{}", again.body);
    assert!(again.contains(&reference), "the earlier reference is given");
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    // The outbox is told the same: the copy on the phone is on file.
    let mut outbox = observer.clone();
    outbox.headers = vec![("accept", "application/json".to_owned())];
    let json = outbox.send_form(&again_form, &voting_ok(), &[]).await;
    let reply: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    assert_eq!(reply["outcome"], "filed");
    assert_eq!(reply["already"], true);
    assert_eq!(reply["reference"], reference.as_str());
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);

    // The page offers to send it as a new report after all: its form carries every field.
    let resend = common::form_fields(&again.body, "again");
    assert!(resend.iter().any(|(k, v)| k == "again" && v == "1"));
    assert!(resend.iter().any(|(k, _)| k == "q.kit_working"));
    let pairs: Vec<(&str, &str)> = resend
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let deliberate = observer
        .post_raw(&format!("/m/{MISSION}/observer/file"), &pairs)
        .await;
    let second = receipt_of(&mut observer, &deliberate).await;
    assert_ne!(reference_on(&second), reference, "a new report");
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 2);

    // Another answer is another report.
    let (_, other) = observer
        .file(
            "voting",
            station,
            &with(&voting_ok(), &[("intimidation", "yes")]),
        )
        .await;
    receipt_of(&mut observer, &other).await;
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 3);
    // So is the same checklist observed again, on a later visit.
    let later = fieldreport::domain::report::local_input_value(
        fieldreport::store::now() - 40 * 60,
        "Africa/Nairobi",
    );
    let form = observer
        .get(&format!("/m/{MISSION}/observer/file/voting/{station}"))
        .await;
    let visit = observer
        .send_form(&form, &voting_ok(), &[("observed_at", later.as_str())])
        .await;
    receipt_of(&mut observer, &visit).await;
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 4);
}

#[tokio::test]
async fn twenty_concurrent_resends_make_exactly_one_report() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = observer
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let mut browser = observer.clone();
            let form = form.clone();
            tokio::spawn(async move { browser.send_form(&form, &voting_ok(), &[]).await })
        })
        .collect();
    let mut locations = Vec::new();
    for task in tasks {
        let response = task.await.expect("task");
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
        // The first to arrive is filed; the others are told it was already.
        locations.push(
            response
                .location()
                .trim_end_matches("?already=1")
                .to_owned(),
        );
    }
    locations.dedup();
    assert_eq!(locations.len(), 1, "every send got the same receipt");
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM report_events").await,
        1,
        "filed once"
    );
}

/// The same report from ten form pages (ten submission ids), sent at the same moment, as
/// when an observer taps Send on copies kept in several tabs: one is filed, and every
/// other send is told it is already on file, with that report's reference.
#[tokio::test]
async fn the_same_report_from_ten_pages_at_once_is_filed_once() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let path = format!("/m/{MISSION}/observer/file/voting/{}", station(&app).await);
    let mut forms = Vec::new();
    for _ in 0..10 {
        forms.push(observer.get(&path).await);
    }
    let tasks: Vec<_> = forms
        .into_iter()
        .map(|form| {
            let mut browser = observer.clone();
            tokio::spawn(async move { browser.send_form(&form, &voting_ok(), &[]).await })
        })
        .collect();
    let (mut filed, mut already) = (Vec::new(), Vec::new());
    for task in tasks {
        let response = task.await.expect("task");
        match response.status {
            StatusCode::SEE_OTHER => filed.push(response),
            StatusCode::OK => already.push(response),
            other => panic!("unexpected {other}: {}", response.body),
        }
    }
    assert_eq!(filed.len(), 1, "one send is filed");
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    let receipt = receipt_of(&mut observer, &filed[0]).await;
    let reference = reference_on(&receipt);
    for page in &already {
        assert!(page.contains("Already filed"), "{}", page.body);
        assert!(
            page.contains(&reference),
            "the filed report's reference is given"
        );
    }
}

/// What is kept in memory between reports (`store::kept`) never outlives a change to the
/// geography: it holds for the very next report. Here a level is added below the polling
/// stations, so what was a station is one no more.
#[tokio::test]
async fn a_place_that_stops_being_a_station_is_refused_from_the_next_report() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let path = format!("/m/{MISSION}/observer/file/voting/{}", station(&app).await);
    let first = observer.get(&path).await;
    let second = observer.get(&path).await;
    let filed = observer.send_form(&first, &voting_ok(), &[]).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    app.execute(
        "INSERT INTO region_levels (mission_id, depth, name)
         SELECT id, 5, 'Stream' FROM missions WHERE slug = 'test-2017'",
    )
    .await;
    let refused = observer
        .send_form(
            &second,
            &common::voting_but(&[("intimidation", "yes")]),
            &[],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.contains("is not one. Choose a polling station."),
        "{}",
        refused.body
    );
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
}

/// Fifty sends of one submission id, each saying something else, at the same moment: one
/// version is stored, and only the send that carried it is told "saved". Half ask as a
/// page does, half as the outbox does (JSON).
#[tokio::test]
async fn of_fifty_different_sends_of_one_id_only_the_stored_one_is_told_saved() {
    let app = TestApp::new().await;
    let observer = app.signed_in("observer").await;
    let form = observer
        .clone()
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let mut browser = observer.clone();
            if n % 2 == 1 {
                browser.headers = vec![("accept", "application/json".to_owned())];
            }
            let form = form.clone();
            tokio::spawn(async move {
                let queue = common::leak(n.to_string());
                let answers = with(&voting_ok(), &[("queue_length", queue)]);
                (n, browser.send_form(&form, &answers, &[]).await)
            })
        })
        .collect();
    let mut saved = Vec::new();
    for task in tasks {
        let (n, response) = task.await.expect("task");
        let told_saved = if n % 2 == 1 {
            assert_eq!(response.status, StatusCode::OK, "{}", response.body);
            let reply: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
            assert_eq!(reply["outcome"], "filed");
            reply["unsaved"] == false
        } else {
            assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
            !response.location().contains("unsaved=1")
        };
        if told_saved {
            saved.push(n);
        }
    }
    assert_eq!(saved.len(), 1, "told saved: {saved:?}");
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    let stored = app
        .count("SELECT json_extract(answers, '$.queue_length') FROM reports")
        .await;
    assert_eq!(stored, saved[0], "the one told saved is the one stored");
}

#[tokio::test]
async fn another_observers_report_is_not_found_by_id_or_submission() {
    let app = TestApp::new().await;
    let mut first = app.signed_in("observer").await;
    let (form, response) = first
        .file("voting", station(&app).await, &voting_ok())
        .await;
    let receipt = response.location().to_owned();
    let report = receipt.trim_end_matches("/receipt").to_owned();
    let mut second = app.signed_in("observer2").await;
    for path in [&receipt, &report] {
        assert_eq!(
            second.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let amend = second
        .post(
            &format!("{report}/amendments"),
            &format!("/m/{MISSION}/observer"),
            &[
                ("amendment_id", "0b0e3f8e-4f9a-4c36-9d0c-3b7a4b6c2d10"),
                ("kind", "correction"),
                ("text", "mine now"),
            ],
        )
        .await;
    assert_eq!(amend.status, StatusCode::NOT_FOUND);
    // Reusing the first observer's submission id neither reads nor overwrites the report.
    let own_form = second
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    let id = common::hidden_value(&form.body, "submission_id").expect("id");
    let reuse = second
        .send_form(
            &own_form,
            &with(&voting_ok(), &[("intimidation", "yes")]),
            &[("submission_id", &id)],
        )
        .await;
    assert_eq!(reuse.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM report_events").await, 1);
    let mine = second.get(&format!("/m/{MISSION}/observer/reports")).await;
    assert!(mine.contains("You have not filed a report yet."));
}

#[tokio::test]
async fn an_amendment_joins_the_history_and_leaves_the_report_as_filed() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let (_, response) = observer
        .file(
            "voting",
            station(&app).await,
            &with(&voting_ok(), &[("turned_away", "3")]),
        )
        .await;
    let report = response.location().trim_end_matches("/receipt").to_owned();
    let before = app
        .text("SELECT answers || hex(content_hash) || observed_at FROM reports")
        .await;

    let empty = observer
        .amend(&report, &[("kind", "correction"), ("text", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("Write what you are correcting or adding."));
    let no_kind = observer.amend(&report, &[("text", "Something")]).await;
    assert_eq!(no_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_kind.contains("value=\"Something\"") || no_kind.contains(">Something</textarea>"),
        "text kept"
    );

    let added = observer
        .amend(
            &report,
            &[("kind", "correction"), ("text", "Turned away: 30, not 3.")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    // The observer is told it was added.
    let confirmed = observer.get(added.location()).await;
    assert!(
        confirmed.contains("Your correction was added to the report."),
        "{}",
        confirmed.body
    );
    let page = observer.get(&report).await;
    assert!(!page.contains("Your correction was added"), "said once");
    assert!(
        page.contains("Correction by observer name") && page.contains("Turned away: 30, not 3.")
    );
    assert!(
        page.contains("<dd class=\"problem\">3</dd>"),
        "the answer as filed: {}",
        page.body
    );
    assert_eq!(
        app.text("SELECT answers || hex(content_hash) || observed_at FROM reports")
            .await,
        before
    );
    let list = observer
        .get(&format!("/m/{MISSION}/observer/reports"))
        .await;
    assert!(list.contains("amended"));
}

#[tokio::test]
async fn my_reports_lists_the_newest_first_and_pages() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let station = station(&app).await;
    for _ in 0..32 {
        // The same answers each time: each one sent as a new report deliberately.
        observer.file_anew("voting", station, &voting_ok()).await;
    }
    let (_, last) = observer
        .file(
            "incident",
            station,
            &[
                ("category", "violence"),
                ("severity", "critical"),
                ("occurred_at", common::an_hour_ago()),
                ("witnessed", "yes"),
                ("summary", "Stones thrown"),
                ("account", "Youths threw stones at the queue."),
            ],
        )
        .await;
    assert_eq!(last.status, StatusCode::SEE_OTHER);
    let page = observer
        .get(&format!("/m/{MISSION}/observer/reports"))
        .await;
    let first_item = page.body.find("<li><a href=").expect("items");
    assert!(page.body[first_item..].starts_with(&format!(
        "<li><a href=\"{}\"",
        last.location().trim_end_matches("/receipt")
    )));
    assert_eq!(page.body.matches("<li><a href=").count(), 30);
    let older = common::hidden_href(&page.body, "Older reports").expect("older link");
    let rest = observer.get(&older).await;
    assert_eq!(
        rest.body.matches("<li><a href=").count(),
        3,
        "33 in all, none twice"
    );
}

#[tokio::test]
async fn a_changed_form_gets_a_new_version_and_old_reports_keep_theirs() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let station = station(&app).await;
    let old_page = observer
        .get(&format!("/m/{MISSION}/observer/file/voting/{station}"))
        .await;
    observer.file("voting", station, &voting_ok()).await;

    let changed = fieldreport::demo::FORMS[1].replace(
        "Was the secrecy of the vote respected?",
        "Could voters mark their ballots in secret?",
    );
    let definition = fieldreport::domain::form::FormDefinition::from_toml(&changed).expect("valid");
    let mission = app.mission_id;
    let outcome = app
        .store
        .write(move |conn| {
            fieldreport::store::forms::import(
                conn,
                mission,
                &definition,
                &fieldreport::store::audit::Actor::command_line(),
            )
        })
        .await
        .expect("import");
    assert_eq!(
        outcome,
        fieldreport::store::forms::Imported::NewVersion { version: 2 }
    );

    let new_page = observer
        .get(&format!("/m/{MISSION}/observer/file/voting/{station}"))
        .await;
    assert!(new_page.contains("Could voters mark their ballots in secret?"));
    assert_ne!(
        common::hidden_value(&new_page.body, "form_id"),
        common::hidden_value(&old_page.body, "form_id")
    );
    observer.send_form(&new_page, &voting_ok(), &[]).await;
    // A page opened before the change still files, with the version it showed.
    let late = observer
        .send_form(
            &old_page,
            &with(&voting_ok(), &[("intimidation", "yes")]),
            &[],
        )
        .await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    assert_eq!(app.text("SELECT group_concat(f.version, ',') FROM (SELECT * FROM reports ORDER BY seq) r JOIN forms f ON f.id = r.form_id").await, "1,2,1");
    let first_report = app
        .text("SELECT id FROM reports ORDER BY seq LIMIT 1")
        .await;
    let page = observer
        .get(&format!("/m/{MISSION}/observer/reports/{first_report}"))
        .await;
    assert!(
        page.contains("Was the secrecy of the vote respected?") && page.contains("form version 1")
    );
}

#[tokio::test]
async fn the_voting_page_fits_the_budget_and_files_without_script() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = observer
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    let css_start = form.body.find("/static/style.").expect("stylesheet");
    let css_url = &form.body[css_start..css_start + form.body[css_start..].find('"').expect("end")];
    let css = observer.get(css_url).await;
    let total = form.body.len() + css.body.len();
    assert!(
        total <= 30 * 1024,
        "voting page is {total} bytes with its stylesheet"
    );
    // Filing is a plain HTML form; the one script (the outbox) only adds to it, and every
    // other test here files without running it.
    assert!(form.contains("<form method=\"post\" action=\"/m/test-2017/observer/file\""));
    assert_eq!(form.body.matches("<script").count(), 1);
    assert!(form.contains("<script src=\"/static/outbox."));
    assert!(
        form.contains("inputmode=\"numeric\""),
        "numeric keyboard for numbers"
    );
    assert!(form.contains("type=\"datetime-local\" id=\"observed_at\""));
}

#[tokio::test]
async fn the_place_picker_offers_the_assignment_search_and_browsing() {
    let app = TestApp::new().await;
    app.assign("observer", 3, "0001").await;
    let mut observer = app.signed_in("observer").await;
    let picker = observer
        .get(&format!("/m/{MISSION}/observer/file/voting"))
        .await;
    assert!(picker.contains("Your polling stations"));
    assert!(picker.contains("Port Reitz Primary") && picker.contains("Bomu Hall"));
    let searched = observer
        .get(&format!("/m/{MISSION}/observer/file/voting?q=1427001"))
        .await;
    assert!(searched.contains("Parklands Baptist"));
    let browse_top = observer
        .get(&format!("/m/{MISSION}/observer/file/voting?at=0"))
        .await;
    assert!(browse_top.contains("Mombasa") && browse_top.contains("Nairobi"));
    let county = app.region_id(1, "047").await;
    let in_county = observer
        .get(&format!("/m/{MISSION}/observer/file/voting?at={county}"))
        .await;
    assert!(in_county.contains("Westlands"));
    assert!(
        !in_county.contains("Report for Nairobi"),
        "a checklist is for a polling station"
    );
    let incident = observer
        .get(&format!("/m/{MISSION}/observer/file/incident?at={county}"))
        .await;
    assert!(
        incident.contains("Report for Nairobi"),
        "an incident can be anywhere"
    );
    let home = observer.get(&format!("/m/{MISSION}/observer")).await;
    for form in [
        "Opening",
        "Voting",
        "Closing and counting",
        "Incident report",
    ] {
        assert!(home.contains(&format!(">{form}</a>")), "{form}");
    }
    let unknown = observer
        .get(&format!("/m/{MISSION}/observer/file/census"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stale_page_gives_every_answer_back_and_files_nothing() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = observer
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    let answers = with(&voting_ok(), &[("comments", "Long queue, calm.")]);
    let stale = observer
        .send_form(&form, &answers, &[("_csrf", &"0".repeat(64))])
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert!(stale.contains("This page had expired, so the report was not sent."));
    assert!(
        stale.contains(">Long queue, calm.</textarea>") && stale.contains("value=\"good\" checked")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM reports").await,
        0,
        "nothing filed without a valid token"
    );
    // The page it gave back carries a fresh token: sending it files the report.
    let sent = observer.send_form(&stale, &answers, &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
}

#[tokio::test]
async fn a_form_sent_after_the_session_ended_comes_back_after_sign_in() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = observer
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    app.execute("DELETE FROM sessions").await;
    let answers = with(
        &voting_ok(),
        &[("comments", "Sent after the session ended.")],
    );
    let parked = observer.send_form(&form, &answers, &[]).await;
    assert_eq!(parked.status, StatusCode::SEE_OTHER);
    assert!(
        parked.location().starts_with("/login?next="),
        "{}",
        parked.location()
    );
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);

    let login = observer.get(parked.location()).await;
    let next = common::hidden_value(&login.body, "next").expect("next");
    assert!(next.contains("/observer/file/resume/"), "{next}");
    let signed_in = observer
        .post_raw(
            "/login",
            &[
                ("_csrf", &login.csrf()),
                ("username", "observer"),
                ("password", &common::password_of("observer")),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(signed_in.location(), next);
    let resumed = observer.get(&next).await;
    assert_eq!(resumed.status, StatusCode::OK);
    assert!(resumed.contains("You were signed out before this report was sent."));
    assert!(resumed.contains(">Sent after the session ended.</textarea>"));
    assert_eq!(
        common::hidden_value(&resumed.body, "submission_id"),
        common::hidden_value(&form.body, "submission_id")
    );
    let sent = observer.send_form(&resumed, &answers, &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM parked_submissions").await,
        0,
        "forgotten once filed"
    );
    assert_eq!(
        observer.get(&next).await.location(),
        sent.location(),
        "the resume link now shows the receipt"
    );
}

#[tokio::test]
async fn broken_text_and_double_amendments_are_refused_or_counted_once() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = observer
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    let mut body = String::new();
    for name in [
        "_csrf",
        "submission_id",
        "form_id",
        "region_id",
        "observed_at",
    ] {
        body.push_str(&format!(
            "{name}={}&",
            common::hidden_value(&form.body, name).expect("field")
        ));
    }
    for (k, v) in voting_ok() {
        body.push_str(&format!("q.{k}={v}&"));
    }
    body.push_str("q.comments=%FF%FEabc");
    let broken = observer
        .send(
            Method::POST,
            &format!("/m/{MISSION}/observer/file"),
            Some(body.into_bytes()),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert!(broken.contains("not text"), "{}", broken.body);
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);

    let (_, filed) = observer
        .file("voting", station(&app).await, &voting_ok())
        .await;
    let report = filed.location().trim_end_matches("/receipt").to_owned();
    let page = observer.get(&report).await;
    let fields = [
        ("_csrf", page.csrf()),
        (
            "amendment_id",
            common::hidden_value(&page.body, "amendment_id").expect("id"),
        ),
        ("kind", "addition".to_owned()),
        ("text", "A second look: all calm.".to_owned()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        let response = observer
            .post_raw(&format!("{report}/amendments"), &pairs)
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM report_events WHERE kind = 'addition'")
            .await,
        1,
        "a double tap adds it once"
    );
}

#[tokio::test]
async fn forms_and_places_of_another_mission_are_not_reachable() {
    let app = TestApp::new().await;
    let other = app.other_mission_id;
    let (other_form, other_region): (i64, i64) = app
        .store
        .read(move |conn| {
            Ok((
                conn.query_row(
                    "SELECT id FROM forms WHERE mission_id = ?1 AND key = 'voting'",
                    [other],
                    |r| r.get(0),
                )?,
                conn.query_row(
                    "SELECT id FROM regions WHERE mission_id = ?1",
                    [other],
                    |r| r.get(0),
                )?,
            ))
        })
        .await
        .expect("ids");
    let mut observer = app.signed_in("observer").await;
    let form = observer
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    let foreign_form = observer
        .send_form(&form, &voting_ok(), &[("form_id", &other_form.to_string())])
        .await;
    assert_eq!(foreign_form.status, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign_region = observer
        .send_form(
            &form,
            &voting_ok(),
            &[("region_id", &other_region.to_string())],
        )
        .await;
    assert_eq!(foreign_region.status, StatusCode::UNPROCESSABLE_ENTITY);
    for path in [
        format!("/m/{MISSION}/observer/file/voting/{other_region}"),
        format!("/m/{MISSION}/observer/file/incident?at={other_region}"),
    ] {
        assert_eq!(
            observer.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 0);
    let mut lead = app.signed_in("lead").await;
    assert_eq!(
        lead.get(&format!("/m/{MISSION}/forms/{other_form}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn observed_at_defaults_to_now_in_the_mission_time_zone() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let form = observer
        .get(&format!(
            "/m/{MISSION}/observer/file/voting/{}",
            station(&app).await
        ))
        .await;
    let shown = common::hidden_value(&form.body, "observed_at").expect("observed_at");
    let now = fieldreport::store::now();
    let candidates = [now - 60, now, now + 60]
        .map(|t| fieldreport::domain::report::local_input_value(t, "Africa/Nairobi"));
    assert!(
        candidates.contains(&shown),
        "{shown} is not now in Nairobi ({candidates:?})"
    );
}

/// What an observer reads after filing: an incident's severity on its receipt, a list of
/// reports that does not say "received" twice, and a form for a polling station that does
/// not ask which polling station.
#[tokio::test]
async fn receipts_and_lists_say_what_was_filed_in_plain_words() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let station = station(&app).await;
    let ward = app.region_id(3, "0001").await;
    let incident = |at_station: bool| {
        let mut answers = vec![
            ("category", "vote_buying"),
            ("severity", "medium"),
            ("occurred_at", common::an_hour_ago()),
            ("injuries", "0"),
            ("witnessed", "yes"),
            ("summary", "Cash handed out in the queue"),
            ("account", "Two men gave 200 shillings to voters."),
        ];
        if !at_station {
            answers.push(("polling_station", "0001002"));
        }
        answers
    };
    // For a station, the form has it filled in already; the observer may change it.
    let form = observer
        .get(&format!("/m/{MISSION}/observer/file/incident/{station}"))
        .await;
    let station_field = |page: &Page| {
        let at = page
            .body
            .find("name=\"q.polling_station\"")
            .expect("the question");
        let value = page.body[at..].find("value=\"").expect("a value") + at + 7;
        page.body[value..value + page.body[value..].find('"').expect("end")].to_owned()
    };
    assert_eq!(station_field(&form), "0001001", "filled in");
    let mut answers = incident(true);
    answers.push(("polling_station", "0001001"));
    let (_, filed) = observer.file("incident", station, &answers).await;
    let receipt = receipt_of(&mut observer, &filed).await;
    assert_eq!(
        app.text("SELECT answers ->> 'polling_station' FROM reports")
            .await,
        "0001001"
    );
    // A medium incident says so, rather than "No problems flagged".
    assert!(receipt.contains("Severity:"), "{}", receipt.body);
    assert!(receipt.contains("sev-medium"));
    assert!(!receipt.contains("No problems flagged"));
    // For a ward, the question stays.
    let form = observer
        .get(&format!("/m/{MISSION}/observer/file/incident/{ward}"))
        .await;
    assert_eq!(station_field(&form), "", "asked");
    let (_, filed) = observer.file("incident", ward, &incident(false)).await;
    receipt_of(&mut observer, &filed).await;
    // A checklist with nothing wrong says so.
    let (_, filed) = observer.file("voting", station, &voting_ok()).await;
    let fine = receipt_of(&mut observer, &filed).await;
    assert!(fine.contains("No problems flagged") && !fine.contains("Severity:"));

    let list = observer
        .get(&format!("/m/{MISSION}/observer/reports"))
        .await;
    assert_eq!(list.body.matches("received ").count(), 3, "{}", list.body);
    assert!(
        !list.body.contains(" · received"),
        "said once: {}",
        list.body
    );
}
