//! The review queue: filters alone and combined, pages that hold while reports arrive,
//! review actions and their history.

use crate::common;

use axum::http::StatusCode;
use common::{MISSION, Page, TestApp};
use fieldreport::domain::form::Severity;
use fieldreport::store::reports::{self, NewReport};
use serde_json::json;

/// What a seeded report looks like.
struct Seed {
    observer: &'static str,
    form: &'static str,
    station: &'static str,
    severity: Option<Severity>,
    problems: i64,
    category: Option<&'static str>,
    text: &'static str,
}

fn seed(
    observer: &'static str,
    form: &'static str,
    station: &'static str,
    severity: Option<Severity>,
) -> Seed {
    Seed {
        observer,
        form,
        station,
        severity,
        problems: i64::from(severity.is_some()),
        category: None,
        text: "",
    }
}

/// Files reports straight through the store (the filing pages have their own tests) and
/// returns their ids, in filing order.
async fn file_all(app: &TestApp, seeds: Vec<Seed>) -> Vec<String> {
    file_all_from(app, seeds, 0).await
}

/// Like `file_all`, with ids numbered from `start` so that they differ from earlier ones.
async fn file_all_from(app: &TestApp, seeds: Vec<Seed>, start: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for (n, s) in seeds.into_iter().enumerate() {
        ids.push(file_one(app, s, start + n).await);
    }
    ids
}

async fn file_one(app: &TestApp, s: Seed, n: usize) -> String {
    let observer = app.user_id(s.observer).await;
    let station = app
        .region_id(if s.station.len() == 4 { 3 } else { 4 }, s.station)
        .await;
    let mission = app.mission_id;
    let id = uuid_like(n, s.station);
    let report_id = id.clone();
    let form_key = s.form;
    app.store
        .write(move |conn| {
            let form: i64 = conn.query_row(
                "SELECT id FROM forms WHERE mission_id = ?1 AND key = ?2 ORDER BY version DESC LIMIT 1",
                rusqlite::params![mission, form_key],
                |r| r.get(0),
            )?;
            let path: fieldreport::domain::region_path::RegionPath = conn.query_row("SELECT path FROM regions WHERE id = ?1", [station], |r| r.get(0))?;
            reports::file(
                conn,
                &NewReport {
                    id: report_id,
                    mission_id: mission,
                    reference_prefix: "TE".into(),
                    form_id: form,
                    observer_id: observer,
                    region_id: station,
                    region_path: path,
                    observed_at: fieldreport::store::now() - 600,
                    channel: "web",
                    severity: s.severity,
                    problems: (0..s.problems).map(|i| format!("question_{i}")).collect(),
                    category: s.category.map(str::to_owned),
                    answers: json!({ "comments": s.text }),
                },
            )
        })
        .await
        .expect("file");
    id
}

fn uuid_like(n: usize, salt: &str) -> String {
    format!(
        "00000000-0000-4000-8000-{:06}{:06}",
        n,
        salt.len() * 1000 + n
    )
}

/// The references listed in the queue's table, in order.
fn listed(page: &Page) -> Vec<String> {
    let table = page.body.split("<tbody>").nth(1).unwrap_or_default();
    table
        .split("name=\"report\" value=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap_or(0)].to_owned())
        .collect()
}

async fn queue(app: &TestApp, query: &str) -> Page {
    let mut coordinator = app.signed_in("coordinator").await;
    let page = coordinator
        .get(&format!("/m/{MISSION}/review?{query}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
    page
}

#[tokio::test]
async fn each_filter_alone_and_combined() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        vec![
            seed("observer", "voting", "0001001", Some(Severity::High)), // 0 Mombasa
            seed("observer", "opening", "0001002", None),                // 1 Mombasa
            seed("observer2", "voting", "1427001", Some(Severity::Critical)), // 2 Nairobi
            Seed {
                category: Some("vote_buying"),
                text: "cash handed out in the queue",
                ..seed("observer2", "incident", "1428001", Some(Severity::Medium))
            }, // 3 Nairobi
            Seed {
                category: Some("violence"),
                text: "stones thrown",
                ..seed("observer", "incident", "0006001", Some(Severity::Critical))
            }, // 4 Mombasa/Jomvu
        ],
    )
    .await;
    let county = app.region_id(1, "001").await;
    let ward = app.region_id(3, "0001").await;
    let observer2 = app.user_id("observer2").await;
    let set = |idx: &[usize]| -> Vec<String> { idx.iter().map(|i| ids[*i].clone()).collect() };
    let cases: Vec<(String, Vec<String>)> = vec![
        (String::new(), set(&[4, 3, 2, 1, 0])),
        (format!("region={county}"), set(&[4, 1, 0])),
        (format!("region={ward}"), set(&[1, 0])),
        ("form=voting".into(), set(&[2, 0])),
        ("form=voting&form=opening".into(), set(&[2, 1, 0])),
        ("category=vote_buying".into(), set(&[3])),
        ("severity=critical".into(), set(&[4, 2])),
        ("severity=critical&severity=medium".into(), set(&[4, 3, 2])),
        ("problems=1".into(), set(&[4, 3, 2, 0])),
        (format!("observer={observer2}"), set(&[3, 2])),
        ("q=cash".into(), set(&[3])),
        ("q=ston".into(), set(&[4])),
        ("status=received".into(), set(&[4, 3, 2, 1, 0])),
        ("status=verified".into(), vec![]),
        (
            format!("region={county}&severity=critical&form=incident"),
            set(&[4]),
        ),
        (
            format!("observer={observer2}&form=voting&problems=1"),
            set(&[2]),
        ),
        ("sort=severity".into(), set(&[4, 2, 0, 3, 1])),
    ];
    for (query, expected) in cases {
        let page = queue(&app, &query).await;
        assert_eq!(listed(&page), expected, "filter {query:?}");
    }
    // Received between two times: move two reports back a day.
    let (a, b) = (ids[0].clone(), ids[1].clone());
    app.store
        .write(move |conn| {
            conn.execute(
                "UPDATE reports SET received_at = received_at - 86400 WHERE id IN (?1, ?2)",
                [&a, &b],
            )?;
            Ok(())
        })
        .await
        .expect("age");
    let now = fieldreport::store::now();
    let local = |t: i64| fieldreport::domain::report::local_input_value(t, "Africa/Nairobi");
    let window = format!("from={}&to={}", local(now - 2 * 86400), local(now - 3600));
    assert_eq!(listed(&queue(&app, &window).await), set(&[1, 0]));
    let recent = format!("from={}", local(now - 3600));
    assert_eq!(listed(&queue(&app, &recent).await), set(&[4, 3, 2]));

    let bad = app
        .signed_in("lead")
        .await
        .get(&format!("/m/{MISSION}/review?severity=dire"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("severity filter `dire`"));
}

#[tokio::test]
async fn counts_urgent_reports_and_links_that_share_the_view() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        vec![
            seed("observer", "voting", "0001001", Some(Severity::Critical)),
            seed("observer", "voting", "0001002", Some(Severity::Low)),
            seed("observer2", "voting", "1427001", Some(Severity::High)),
        ],
    )
    .await;
    let mut lead = app.signed_in("lead").await;
    let report = format!("/m/{MISSION}/review/reports/{}", ids[2]);
    lead.post(
        &format!("{report}/actions"),
        &report,
        &[("action", "verify")],
    )
    .await;
    let page = queue(&app, "").await;
    let text = page.body.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("<strong>2</strong> received")
            && text.contains("<strong>1</strong> verified"),
        "counts"
    );
    let urgent = page
        .body
        .split("Needs attention")
        .nth(1)
        .expect("urgent block");
    let urgent = &urgent[..urgent.find("</section>").unwrap_or(urgent.len())];
    assert!(
        urgent.contains(&ids_reference(&app, &ids[0]).await),
        "open critical report stands out"
    );
    assert!(
        !urgent.contains(&ids_reference(&app, &ids[2]).await),
        "a verified one does not"
    );
    // The status links keep the other filters.
    let filtered = queue(&app, "form=voting").await;
    assert!(
        filtered.contains("href=\"/m/test-2017/review?form=voting&#38;status=verified\""),
        "{}",
        filtered.body
    );
}

async fn ids_reference(app: &TestApp, id: &str) -> String {
    let id = id.to_owned();
    app.store
        .read(move |conn| {
            Ok(
                conn.query_row("SELECT reference FROM reports WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .expect("reference")
}

#[tokio::test]
async fn pages_have_no_gaps_or_repeats_while_reports_arrive() {
    let app = TestApp::new().await;
    let first: Vec<Seed> = (0..120)
        .map(|_| seed("observer", "voting", "0001001", None))
        .collect();
    let ids = file_all(&app, first).await;
    let mut coordinator = app.signed_in("coordinator").await;
    let mut seen = Vec::new();
    let mut page = coordinator
        .get(&format!("/m/{MISSION}/review?form=voting"))
        .await;
    let mut pages = 0;
    loop {
        seen.extend(listed(&page));
        pages += 1;
        assert!(pages <= 5, "the pages never end: {}", page.body);
        if pages == 1 {
            // New reports arrive between the first and second page.
            let later: Vec<Seed> = (0..10)
                .map(|_| seed("observer2", "voting", "1427001", None))
                .collect();
            let later_ids: Vec<String> = file_all_from(&app, later, 500).await;
            assert_eq!(later_ids.len(), 10);
        }
        let Some(next) = common::hidden_href(&page.body, "Next page") else {
            break;
        };
        page = coordinator.get(&next).await;
    }
    assert_eq!(pages, 3);
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(
        seen, expected,
        "every report once, newest first, none that arrived later"
    );
}

#[tokio::test]
async fn review_actions_follow_the_state_machine_and_are_recorded() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        vec![
            seed("observer", "voting", "0001001", Some(Severity::High)),
            seed("observer", "voting", "0001002", None),
            seed("observer", "voting", "0006001", None),
        ],
    )
    .await;
    let original = ids_reference(&app, &ids[0]).await;
    let mut coordinator = app.signed_in("coordinator").await;
    let page = |i: usize| format!("/m/{MISSION}/review/reports/{}", ids[i]);
    let act = |i: usize| format!("/m/{MISSION}/review/reports/{}/actions", ids[i]);

    let no_reason = coordinator
        .post(&act(1), &page(1), &[("action", "dismiss"), ("note", " ")])
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.contains("Give the reason for dismissing this report."));
    let unknown = coordinator
        .post(
            &act(1),
            &page(1),
            &[("action", "duplicate"), ("duplicate_of", "TE-NOPE00")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.contains("There is no report TE-NOPE00 in this mission."));
    assert_eq!(
        app.count("SELECT count(*) FROM report_events WHERE kind <> 'filed'")
            .await,
        0,
        "nothing recorded"
    );

    for (i, fields) in [
        (
            0,
            vec![
                ("action", "comment"),
                ("note", "Calling the observer to confirm."),
            ],
        ),
        (
            0,
            vec![
                ("action", "escalate"),
                ("note", "Ballot boxes unsealed: leads should see this."),
            ],
        ),
        (
            1,
            vec![
                ("action", "dismiss"),
                ("note", "Observer filed it for the wrong station."),
            ],
        ),
        (
            2,
            vec![("action", "duplicate"), ("duplicate_of", original.as_str())],
        ),
    ] {
        let response = coordinator.post(&act(i), &page(i), &fields).await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "{fields:?}: {}",
            response.body
        );
    }
    // Escalated: the coordinator may no longer verify it; a lead may.
    let refused = coordinator
        .post(&act(0), &page(0), &[("action", "verify")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("a lead decides"));
    let mut lead = app.signed_in("lead").await;
    assert_eq!(
        lead.post(&act(0), &page(0), &[("action", "verify")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let impossible = lead.post(&act(1), &page(1), &[("action", "verify")]).await;
    assert_eq!(
        impossible.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a dismissed report is reopened first"
    );
    assert_eq!(
        lead.post(&act(1), &page(1), &[("action", "reopen")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    let statuses = app
        .text("SELECT group_concat(status, ',') FROM (SELECT status FROM reports ORDER BY seq)")
        .await;
    assert_eq!(statuses, "verified,received,duplicate");
    let history = lead.get(&page(0)).await;
    for line in [
        "Peter Kiptoo",
        "commented",
        "Calling the observer to confirm.",
        "escalate: received → escalated",
        "verify: escalated → verified",
    ] {
        let who = if line == "Peter Kiptoo" {
            "coordinator name"
        } else {
            line
        };
        assert!(history.contains(who), "{who:?} missing from the history");
    }
    assert!(
        lead.get(&page(2))
            .await
            .contains(&format!("duplicate of <strong>{original}</strong>"))
    );
    // The history keeps the reference apart from any note, each page wording it.
    let marked = lead.get(&page(2)).await;
    assert!(
        marked.contains(&format!("received → duplicate, a duplicate of {original}")),
        "{}",
        marked.body
    );
    lead.headers = vec![("accept-language", "fr".to_owned())];
    let french = lead.get(&page(2)).await;
    assert!(
        french.contains(&format!("doublon de {original}")) && !french.contains("Duplicate of"),
        "{}",
        french.body
    );
    lead.headers.clear();
    assert_eq!(
        app.count("SELECT count(*) FROM report_events WHERE kind NOT IN ('filed')")
            .await,
        6
    );

    // The observer's own page shows none of the reviewers' notes.
    let mut observer = app.signed_in("observer").await;
    let own = observer
        .get(&format!("/m/{MISSION}/observer/reports/{}", ids[0]))
        .await;
    assert!(!own.contains("Calling the observer") && !own.contains("leads should see this"));
}

#[tokio::test]
async fn several_reports_are_verified_at_once() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        (0..3)
            .map(|_| seed("observer", "voting", "0001001", None))
            .collect(),
    )
    .await;
    let mut coordinator = app.signed_in("coordinator").await;
    let dismiss = format!("/m/{MISSION}/review/reports/{}/actions", ids[2]);
    coordinator
        .post(
            &dismiss,
            &format!("/m/{MISSION}/review"),
            &[("action", "dismiss"), ("note", "test")],
        )
        .await;
    let queue_page = coordinator
        .get(&format!("/m/{MISSION}/review?form=voting"))
        .await;
    let fields = [
        ("_csrf", queue_page.csrf()),
        ("back", "form=voting".to_owned()),
        ("action", "verify".to_owned()),
        ("report", ids[0].clone()),
        ("report", ids[1].clone()),
        ("report", ids[2].clone()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = coordinator
        .post_raw(&format!("/m/{MISSION}/review/bulk"), &pairs)
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert!(
        response.location().contains("form=voting"),
        "back to the same view"
    );
    let after = coordinator.get(response.location()).await;
    assert!(
        after.contains("2 verified; 1 could not be"),
        "{}",
        after.body
    );
    assert_eq!(
        app.count("SELECT count(*) FROM reports WHERE status = 'verified'")
            .await,
        2
    );
    let none = coordinator
        .post(
            &format!("/m/{MISSION}/review/bulk"),
            &format!("/m/{MISSION}/review"),
            &[("action", "verify")],
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn severity_order_pages_hold_too() {
    let app = TestApp::new().await;
    let severities = [
        None,
        Some(Severity::Low),
        Some(Severity::Critical),
        None,
        Some(Severity::High),
        Some(Severity::Medium),
    ];
    let seeds: Vec<Seed> = (0..130)
        .map(|i| {
            seed(
                "observer",
                "voting",
                "0001001",
                severities[i % severities.len()],
            )
        })
        .collect();
    let ids = file_all(&app, seeds).await;
    let mut coordinator = app.signed_in("coordinator").await;
    let mut page = coordinator
        .get(&format!("/m/{MISSION}/review?sort=severity"))
        .await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.extend(listed(&page));
        let Some(next) = common::hidden_href(&page.body, "Next page") else {
            break;
        };
        page = coordinator.get(&next).await;
    }
    let mut expected: Vec<(i64, usize)> = (0..ids.len())
        .map(|i| (severities[i % severities.len()].map_or(0, |s| s.rank()), i))
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    let expected: Vec<String> = expected.into_iter().map(|(_, i)| ids[i].clone()).collect();
    assert_eq!(
        seen, expected,
        "most severe first, newest first within, each once"
    );
}

#[tokio::test]
async fn duplicates_point_at_a_report_that_carries_the_event() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        (0..3)
            .map(|_| seed("observer", "voting", "0001001", None))
            .collect(),
    )
    .await;
    let refs = [
        ids_reference(&app, &ids[0]).await,
        ids_reference(&app, &ids[1]).await,
    ];
    let mut coordinator = app.signed_in("coordinator").await;
    let act = |i: usize| format!("/m/{MISSION}/review/reports/{}/actions", ids[i]);
    let page = format!("/m/{MISSION}/review");
    let itself = coordinator
        .post(
            &act(0),
            &page,
            &[("action", "duplicate"), ("duplicate_of", &refs[0])],
        )
        .await;
    assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(itself.contains("cannot be a duplicate of itself"));
    let first = coordinator
        .post(
            &act(1),
            &page,
            &[("action", "duplicate"), ("duplicate_of", &refs[0])],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let chain = coordinator
        .post(
            &act(2),
            &page,
            &[("action", "duplicate"), ("duplicate_of", &refs[1])],
        )
        .await;
    assert_eq!(chain.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        chain.contains(&format!("is itself a duplicate of {}", refs[0])),
        "{}",
        chain.body
    );
    let cycle = coordinator
        .post(
            &act(0),
            &page,
            &[("action", "duplicate"), ("duplicate_of", &refs[1])],
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY, "no cycle");
    assert_eq!(
        app.count("SELECT count(*) FROM reports WHERE status = 'duplicate'")
            .await,
        1
    );
}

#[tokio::test]
async fn another_missions_reports_are_out_of_reach() {
    let app = TestApp::new().await;
    let ids = file_all(&app, vec![seed("observer", "voting", "0001001", None)]).await;
    // An admin of the other mission made a lead there acts on this mission's report id
    // through their own mission's routes.
    let other = app.other_mission_id;
    let outsider_lead = common::add_user(
        &app.store,
        other,
        "otherlead",
        fieldreport::domain::role::Role::Lead,
    )
    .await;
    let _ = outsider_lead;
    let mut intruder = app.signed_in("otherlead").await;
    let base = format!("/m/{}", common::OTHER_MISSION);
    let token_page = format!("{base}/review");
    let action = intruder
        .post(
            &format!("{base}/review/reports/{}/actions", ids[0]),
            &token_page,
            &[("action", "verify")],
        )
        .await;
    assert_eq!(action.status, StatusCode::NOT_FOUND);
    let bulk = intruder
        .post(
            &format!("{base}/review/bulk"),
            &token_page,
            &[("action", "verify"), ("report", &ids[0])],
        )
        .await;
    assert_eq!(
        bulk.status,
        StatusCode::NOT_FOUND,
        "a report of another mission is not found"
    );
    let created = intruder
        .post(
            &format!("{base}/findings"),
            &format!("{base}/findings/new"),
            &[
                ("title", "T"),
                ("statement", "S"),
                ("assessment", "mixed"),
                ("topic", "X"),
            ],
        )
        .await;
    let finding = created
        .location()
        .rsplit('/')
        .next()
        .expect("id")
        .to_owned();
    let add = intruder
        .post(
            &format!("{base}/review/bulk"),
            &token_page,
            &[
                ("action", "add_to_finding"),
                ("finding_id", &finding),
                ("report", &ids[0]),
            ],
        )
        .await;
    assert_eq!(add.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM finding_evidence").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM reports WHERE status = 'received'")
            .await,
        1
    );
}

#[tokio::test]
async fn reviewer_notes_do_not_show_as_amendments_and_bulk_redirects_are_rebuilt() {
    let app = TestApp::new().await;
    let ids = file_all(&app, vec![seed("observer", "voting", "0001001", None)]).await;
    let mut coordinator = app.signed_in("coordinator").await;
    let report = format!("/m/{MISSION}/review/reports/{}", ids[0]);
    coordinator
        .post(
            &format!("{report}/actions"),
            &report,
            &[("action", "comment"), ("note", "Phoned the observer.")],
        )
        .await;
    let mut observer = app.signed_in("observer").await;
    let mine = observer
        .get(&format!("/m/{MISSION}/observer/reports"))
        .await;
    assert!(
        !mine.contains("amended"),
        "a reviewer's comment is no amendment"
    );

    let queue_page = coordinator.get(&format!("/m/{MISSION}/review")).await;
    let fields = [
        ("_csrf", queue_page.csrf()),
        (
            "back",
            "form=voting&done=You+have+been+hacked&x=1\r\nSet-Cookie:+a=b#frag".to_owned(),
        ),
        ("action", "verify".to_owned()),
        ("report", ids[0].clone()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = coordinator
        .post_raw(&format!("/m/{MISSION}/review/bulk"), &pairs)
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(
        response.location(),
        format!("/m/{MISSION}/review?form=voting&verified=1&not_verified=0")
    );
    let after = coordinator.get(response.location()).await;
    assert!(after.contains("1 verified.") && !after.contains("hacked"));
    let spoofed = coordinator
        .get(&format!("/m/{MISSION}/review?done=You+have+been+hacked"))
        .await;
    assert!(!spoofed.contains("hacked"));
}

/// Adds `n` observers to the test mission straight through SQL (creating them one by one
/// through the store would hash a password each): `obs00000`, "Observer 00000",
/// `+254 700 000000`, and so on.
async fn add_observers(app: &TestApp, n: usize) {
    let mission = app.mission_id;
    app.store
        .write(move |conn| {
            let mut user = conn.prepare(
                "INSERT INTO users (username, display_name, phone, password_hash, created_at, password_changed_at)
                 VALUES (?1, ?2, ?3, 'unusable', 0, 0)",
            )?;
            let mut member = conn.prepare(
                "INSERT INTO memberships (user_id, mission_id, role) VALUES (?1, ?2, 'observer')",
            )?;
            for i in 0..n {
                user.execute(rusqlite::params![
                    format!("obs{i:05}"),
                    format!("Observer {i:05}"),
                    format!("+254 700 {i:06}")
                ])?;
                member.execute(rusqlite::params![conn.last_insert_rowid(), mission])?;
            }
            Ok(())
        })
        .await
        .expect("observers");
}

/// Adds one observer with a name, a username and a phone number.
async fn add_named_observer(app: &TestApp, username: &str, name: &str, phone: &str) -> i64 {
    let id = common::add_user(
        &app.store,
        app.mission_id,
        username,
        fieldreport::domain::role::Role::Observer,
    )
    .await;
    let (name, phone) = (name.to_owned(), phone.to_owned());
    app.store
        .write(move |conn| {
            conn.execute(
                "UPDATE users SET display_name = ?2, phone = ?3 WHERE id = ?1",
                rusqlite::params![id, name, phone],
            )?;
            Ok(())
        })
        .await
        .expect("name");
    id
}

/// The choices a search listed: (label, link).
fn choices(page: &Page) -> Vec<(String, String)> {
    let Some(block) = page.body.split("<ul class=\"plain choices\">").nth(1) else {
        return Vec::new();
    };
    let block = &block[..block.find("</ul>").unwrap_or(block.len())];
    block
        .split("<a href=\"")
        .skip(1)
        .map(|item| {
            let (href, rest) = item.split_once("\">").unwrap_or_default();
            let label = &rest[..rest.find("</a>").unwrap_or(0)];
            (
                label.to_owned(),
                href.replace("&#38;", "&").replace("&amp;", "&"),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_observer_is_found_by_name_username_or_phone_among_thirty_thousand() {
    let app = TestApp::new().await;
    add_observers(&app, 30_000).await;
    let zawadi = add_named_observer(&app, "zwekesa", "Zawadi Wekesa", "+254 799 123 456").await;
    add_named_observer(&app, "zachieng", "Zawadi Achieng", "+254 722 555 010").await;
    let ids = file_all(
        &app,
        vec![
            seed("zwekesa", "voting", "0001001", None),
            seed("observer", "voting", "0001002", None),
            seed("zwekesa", "opening", "1427001", None),
            seed("zachieng", "voting", "1428001", None),
        ],
    )
    .await;
    let hers = vec![ids[2].clone(), ids[0].clone()];

    // The page lists no one it was not asked for: not the first few hundred observers.
    let everyone = queue(&app, "").await;
    assert_eq!(listed(&everyone).len(), 4);
    for absent in ["Observer 00000", "obs00299", "Observer 29999"] {
        assert!(!everyone.contains(absent), "{absent} listed unasked");
    }

    for typed in [
        "wekesa",
        "Zawadi Wekesa",
        "zwekesa",
        "0799 123 456",
        "+254799123456",
    ] {
        let query = serde_urlencoded::to_string([("who", typed)]).expect("encode");
        let page = queue(&app, &query).await;
        assert_eq!(listed(&page), hers, "found by {typed:?}");
        assert!(
            page.contains(&format!(
                "name=\"observer\" value=\"{zawadi}\" checked> Zawadi Wekesa (zwekesa · …456)"
            )),
            "the observer found is shown as chosen ({typed:?}): {}",
            page.body
        );
        assert!(
            page.contains(&format!("/review/reports/{}?observer={zawadi}\"", ids[0])),
            "links carry the observer found, not the words typed"
        );
    }

    // Lists never give phone numbers away, nor page through them by a few digits.
    assert!(!both_pages_leak(&app).await, "a phone number listed");

    // Two of that name: the reviewer chooses, and sees no report before choosing.
    let both = queue(&app, "who=zawadi").await;
    assert!(both.contains("Several observers match “zawadi”: choose one."));
    assert!(listed(&both).is_empty());
    let listed_choices = choices(&both);
    assert_eq!(
        listed_choices
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>(),
        [
            "Zawadi Achieng (zachieng · …010)",
            "Zawadi Wekesa (zwekesa · …456)"
        ]
    );
    let mut coordinator = app.signed_in("coordinator").await;
    let chosen = coordinator.get(&listed_choices[1].1).await;
    assert_eq!(listed(&chosen), hers);

    // Many of that name: a bounded list, and a word on narrowing it.
    let many = queue(&app, "who=Observer+1").await;
    assert_eq!(choices(&many).len(), 20);
    assert!(many.contains("Only the first 20 are listed"));
    assert!(listed(&many).is_empty());

    let nobody = queue(&app, "who=Nyambura").await;
    assert!(nobody.contains("No observer matches “Nyambura”."));
    assert!(listed(&nobody).is_empty());

    // Together with the other filters.
    let voting = queue(&app, "who=zwekesa&form=voting").await;
    assert_eq!(listed(&voting), vec![ids[0].clone()]);
    // An export asked for with words that find several is refused with the reason.
    let export = coordinator
        .get(&format!("/m/{MISSION}/review/export.json?who=zawadi"))
        .await;
    assert_eq!(
        export.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        export.body
    );
    assert!(export.contains("found no one or several"));
}

#[tokio::test]
async fn a_place_at_any_level_is_found_by_name_or_code() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        vec![
            seed("observer", "voting", "0001001", None), // 0 Port Reitz ward
            seed("observer", "voting", "0006001", None), // 1 Jomvu Kuu ward
            seed("observer2", "voting", "0001002", None), // 2 Port Reitz ward
            seed("observer2", "voting", "1428001", None), // 3 Kangemi ward
            seed("observer", "voting", "1427001", None), // 4 Parklands ward
        ],
    )
    .await;
    let set = |idx: &[usize]| -> Vec<String> { idx.iter().map(|i| ids[*i].clone()).collect() };
    let ward = app.region_id(3, "0001").await;
    for typed in ["Port Reitz", "port reitz", "0001"] {
        let query = serde_urlencoded::to_string([("place", typed)]).expect("encode");
        let page = queue(&app, &query).await;
        assert_eq!(listed(&page), set(&[2, 0]), "ward found by {typed:?}");
        assert!(
            page.contains(&format!(
                "name=\"region\" value=\"{ward}\" checked> Port Reitz ("
            )),
            "the ward found is shown as chosen: {}",
            page.body
        );
        assert!(page.contains("Mombasa › Changamwe"), "where it is");
        assert!(
            page.contains(&format!("?region={ward}\"")),
            "links carry it"
        );
    }
    // Any level: a constituency by name, a station by code.
    assert_eq!(listed(&queue(&app, "place=Westlands").await), set(&[4, 3]));
    assert_eq!(listed(&queue(&app, "place=1428001").await), set(&[3]));
    let mut coordinator = app.signed_in("coordinator").await;
    // Part of a name: the ward and its station both hold it; larger places come first.
    let part = queue(&app, "place=angem").await;
    let offered = choices(&part);
    assert_eq!(offered.len(), 2, "{offered:?}");
    assert!(offered[0].0.starts_with("Kangemi (") && offered[1].0.starts_with("Kangemi Hall ("));
    assert_eq!(listed(&coordinator.get(&offered[0].1).await), set(&[3]));

    // `001` is both Mombasa county and Changamwe constituency: the reviewer chooses.
    let two = queue(&app, "place=001").await;
    assert!(two.contains("Several places match “001”: choose one."));
    assert!(listed(&two).is_empty());
    let offered = choices(&two);
    assert_eq!(offered.len(), 2, "{offered:?}");
    assert!(offered[0].0.starts_with("Mombasa (") && offered[1].0.starts_with("Changamwe ("));
    let constituency = coordinator.get(&offered[1].1).await;
    assert_eq!(listed(&constituency), set(&[2, 0]));

    let nowhere = queue(&app, "place=Atlantis").await;
    assert!(nowhere.contains("No place matches “Atlantis”."));
    assert!(listed(&nowhere).is_empty());
    // Typed wildcards match themselves, not everything.
    assert!(listed(&queue(&app, "place=%25").await).is_empty());
}

#[tokio::test]
async fn categories_read_as_the_form_words_them() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        vec![Seed {
            category: Some("vote_buying"),
            ..seed("observer", "incident", "0001001", Some(Severity::Medium))
        }],
    )
    .await;
    for (language, label, form) in [
        ("en", "Vote buying", "Incident report"),
        ("fr", "Achat de voix", "Rapport d"),
    ] {
        let mut coordinator = app.signed_in("coordinator").await;
        coordinator.headers = vec![("accept-language", language.to_owned())];
        let page = coordinator.get(&format!("/m/{MISSION}/review")).await;
        let table = page.body.split("<tbody>").nth(1).unwrap_or_default();
        assert!(
            table.contains(&format!("<span class=\"muted\">{label}</span>"))
                && !table.contains("vote_buying"),
            "{language}: {table}"
        );
        assert!(table.contains(form), "{language}: the form's title too");
        assert!(
            page.contains(&format!("<option value=\"vote_buying\">{label}</option>")),
            "{language}: the category filter"
        );
        let report = coordinator
            .get(&format!("/m/{MISSION}/review/reports/{}", ids[0]))
            .await;
        assert!(
            report.contains(&format!(" · {label}</p>")) && !report.contains("vote_buying"),
            "{language}: {}",
            report.body
        );
    }
}

/// Follows a link on a page by its text.
async fn follow(browser: &mut common::Browser, page: &Page, text: &str) -> Page {
    let href = common::hidden_href(&page.body, text)
        .unwrap_or_else(|| panic!("no link {text:?} on the page:\n{}", page.body));
    browser.get(&href).await
}

#[tokio::test]
async fn next_report_walks_through_the_filtered_queue_in_its_order() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        vec![
            seed("observer", "voting", "0001001", Some(Severity::Low)), // 0 in
            seed("observer", "voting", "1427001", Some(Severity::High)), // 1 Nairobi
            seed("observer", "voting", "0001002", Some(Severity::Critical)), // 2 in
            seed("observer", "opening", "0001001", Some(Severity::High)), // 3 opening
            seed("observer", "voting", "0006001", None),                // 4 in
            seed("observer", "voting", "0001001", Some(Severity::High)), // 5 in
        ],
    )
    .await;
    let county = app.region_id(1, "001").await;
    let filters = format!("region={county}&form=voting&status=received&sort=severity");
    let expected = vec![
        ids[2].clone(),
        ids[5].clone(),
        ids[0].clone(),
        ids[4].clone(),
    ];
    let mut coordinator = app.signed_in("coordinator").await;
    let queue_page = coordinator
        .get(&format!("/m/{MISSION}/review?{filters}"))
        .await;
    assert_eq!(listed(&queue_page), expected);
    let first = ids_reference(&app, &ids[2]).await;
    let mut page = follow(&mut coordinator, &queue_page, &first).await;
    let mut seen = Vec::new();
    loop {
        let id = page
            .body
            .split("/review/reports/")
            .find_map(|s| s.strip_suffix_once_actions())
            .expect("the report's action form");
        seen.push(id.clone());
        assert!(
            seen.len() <= expected.len(),
            "the walk never ends: {seen:?}"
        );
        // Act on it: the answer comes back to the report with the queue's filters.
        let back = common::hidden_value(&page.body, "back")
            .expect("the filters, carried")
            .replace("&#38;", "&");
        let acted = coordinator
            .post_raw(
                &format!("/m/{MISSION}/review/reports/{id}/actions"),
                &[
                    ("_csrf", &page.csrf()),
                    ("back", &back),
                    ("action", "verify"),
                ],
            )
            .await;
        assert_eq!(acted.status, StatusCode::SEE_OTHER, "{}", acted.body);
        assert_eq!(
            acted.location(),
            format!("/m/{MISSION}/review/reports/{id}?{filters}#review")
        );
        page = coordinator.get(acted.location()).await;
        assert!(page.contains("verify: received → verified"));
        if common::hidden_href(&page.body, "Next report in this queue ›").is_none() {
            break;
        }
        page = follow(&mut coordinator, &page, "Next report in this queue ›").await;
    }
    assert_eq!(
        seen, expected,
        "exactly the filtered reports, in the queue's order"
    );
    assert!(page.contains("No more reports in this queue."));
    assert_eq!(
        common::hidden_href(&page.body, "Back to the queue").as_deref(),
        Some(format!("/m/{MISSION}/review?{filters}").as_str())
    );
    assert_eq!(
        app.count("SELECT count(*) FROM reports WHERE status = 'verified'")
            .await,
        4
    );
}

/// The report id in the action form's address that starts `rest`, if it does.
trait ActionTarget {
    fn strip_suffix_once_actions(&self) -> Option<String>;
}

impl ActionTarget for &str {
    fn strip_suffix_once_actions(&self) -> Option<String> {
        let (id, after) = self.split_once('/')?;
        after.starts_with("actions\"").then(|| id.to_owned())
    }
}

#[tokio::test]
async fn a_hostile_carried_queue_is_ignored() {
    let app = TestApp::new().await;
    let ids = file_all(
        &app,
        vec![
            seed("observer", "voting", "0001001", None),
            seed("observer", "voting", "0001002", None),
        ],
    )
    .await;
    let elsewhere: i64 = app.count("SELECT id FROM regions WHERE code = '099'").await;
    let mut coordinator = app.signed_in("coordinator").await;
    let report = format!("/m/{MISSION}/review/reports/{}", ids[1]);
    for carried in [
        "region=abc&next=//evil.example".to_owned(),
        format!("region={elsewhere}"),
        "form=voting&region=1%20OR%201=1".to_owned(),
        "who=nobody".to_owned(),
    ] {
        let page = coordinator.get(&format!("{report}?{carried}")).await;
        assert_eq!(page.status, StatusCode::OK, "{carried}: {}", page.body);
        assert!(!page.contains("evil"), "{carried}");
        assert_eq!(
            common::hidden_href(&page.body, "‹ Review queue").as_deref(),
            Some(format!("/m/{MISSION}/review").as_str()),
            "{carried}: the whole queue"
        );
        assert_eq!(
            common::hidden_href(&page.body, "Next report in this queue ›"),
            Some(format!("/m/{MISSION}/review/reports/{}", ids[0])),
            "{carried}"
        );
    }
    // Searches hold whatever is typed into them.
    let long = "z".repeat(5000);
    for typed in ["' OR 1=1 --", "\\", "%_%", "\u{0}", long.as_str(), "+-()"] {
        for name in ["who", "place"] {
            let query = serde_urlencoded::to_string([(name, typed)]).expect("encode");
            let page = coordinator
                .get(&format!("/m/{MISSION}/review?{query}"))
                .await;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "{name}={typed:?}: {}",
                page.body
            );
            assert!(listed(&page).is_empty(), "{name}={typed:?} matched reports");
            assert!(page.body.len() < 100_000, "{name}={typed:?}: a small page");
        }
    }
    for (back, location) in [
        ("https://evil.example/", String::new()),
        ("//evil.example", String::new()),
        (
            "form=voting&x=1\r\nLocation: https://evil.example",
            "?form=voting".to_owned(),
        ),
        (
            "form=voting&status=received&after=1.1&verified=99",
            "?form=voting&status=received".to_owned(),
        ),
    ] {
        let page = coordinator.get(&report).await;
        let acted = coordinator
            .post_raw(
                &format!("{report}/actions"),
                &[
                    ("_csrf", &page.csrf()),
                    ("back", back),
                    ("action", "comment"),
                    ("note", "Checked."),
                ],
            )
            .await;
        assert_eq!(acted.status, StatusCode::SEE_OTHER, "{back}");
        assert_eq!(
            acted.location(),
            format!("{report}{location}#review"),
            "{back:?}: only the queue's filters, rebuilt, and only in the mission"
        );
    }
}

/// Whether a few digits typed in the observer search list observers, or any page of
/// choices shows a whole phone number.
async fn both_pages_leak(app: &TestApp) -> bool {
    let short = queue(app, "who=%2B254+79").await;
    let named = queue(app, "who=zawadi").await;
    !choices(&short).is_empty() || named.contains("799 123 456") || named.contains("722 555 010")
}

/// A server that counts at most five matches of a search: a handful of reports then make
/// a search broader than is counted.
async fn counting_five() -> TestApp {
    TestApp::with_config(fieldreport::Config {
        counted_matches: 5,
        ..fieldreport::Config::default()
    })
    .await
}

fn words_of(page: &Page) -> String {
    page.body.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_search_broader_than_is_counted_says_its_counts_are_lower_bounds() {
    let app = counting_five().await;
    // Ten reports say "turned", five "calm": exactly as many as are counted.
    let seeds: Vec<Seed> = (0..15)
        .map(|i| Seed {
            text: if i % 3 == 2 {
                "all calm here"
            } else {
                "voters turned away at the gate"
            },
            ..seed("observer", "voting", "0001001", None)
        })
        .collect();
    file_all(&app, seeds).await;

    let broad = queue(&app, "q=turned").await;
    let text = words_of(&broad);
    assert!(text.contains("At least 5 reports match."), "{text}");
    assert!(
        text.contains("counted over its newest 5 matches only"),
        "{text}"
    );
    assert!(
        text.contains("<strong>at least 5</strong> received"),
        "{text}"
    );
    assert!(
        !text.contains("10 reports match"),
        "never a partial count as exact"
    );
    assert_eq!(
        listed(&broad).len(),
        10,
        "every match is listed all the same"
    );

    let narrow = queue(&app, "q=calm").await;
    let text = words_of(&narrow);
    assert!(text.contains("5 reports match."), "{text}");
    assert!(text.contains("<strong>5</strong> received"), "{text}");
    assert!(!text.contains("at least") && !text.contains("At least"));

    let mut french = app.signed_in("coordinator").await;
    french.get("/language?lang=fr").await;
    let page = french.get(&format!("/m/{MISSION}/review?q=turned")).await;
    let text = words_of(&page);
    assert!(
        text.contains("Au moins 5 rapports correspondent."),
        "{text}"
    );
    assert!(text.contains("<strong>au moins 5</strong> reçus"), "{text}");
}

/// The references of the urgent reports above the queue, in order.
fn urgent_listed(page: &Page) -> Vec<String> {
    let Some(block) = page.body.split("<section class=\"urgent\">").nth(1) else {
        return Vec::new();
    };
    let block = &block[..block.find("</section>").unwrap_or(block.len())];
    block
        .split("<a href=\"")
        .skip(1)
        .filter_map(|s| {
            let start = s.find("\">")? + 2;
            Some(s[start..start + s[start..].find("</a>")?].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn paging_a_search_broader_than_is_counted_reaches_its_last_match() {
    let app = counting_five().await;
    let severities = [
        None,
        Some(Severity::Low),
        Some(Severity::Critical),
        None,
        Some(Severity::High),
        Some(Severity::Medium),
    ];
    // 130 reports, every other one saying the words, one in five in Nairobi: the newest
    // five matches hold one Nairobi report, and its urgent ones are all older.
    let station = |i: usize| if i % 5 == 0 { "1427001" } else { "0001001" };
    let says = |i: usize| i % 2 == 0;
    let seeds: Vec<Seed> = (0..130)
        .map(|i| Seed {
            text: if says(i) { "turned away" } else { "all calm" },
            ..seed(
                "observer",
                "voting",
                station(i),
                severities[i % severities.len()],
            )
        })
        .collect();
    let ids = file_all(&app, seeds).await;
    let rank = |i: usize| severities[i % severities.len()].map_or(0, |s| s.rank());
    let nairobi = app.region_id(1, "047").await;
    let mut coordinator = app.signed_in("coordinator").await;
    for (query, in_nairobi) in [
        ("q=turned".to_owned(), false),
        ("q=turned&sort=severity".to_owned(), false),
        (format!("q=turned&region={nairobi}"), true),
        (format!("q=turned&region={nairobi}&sort=severity"), true),
    ] {
        let matching: Vec<usize> = (0..ids.len())
            .filter(|&i| says(i) && (!in_nairobi || station(i) == "1427001"))
            .collect();
        let mut order: Vec<(i64, usize)> = matching
            .iter()
            .map(|&i| {
                (
                    if query.contains("severity") {
                        rank(i)
                    } else {
                        0
                    },
                    i,
                )
            })
            .collect();
        order.sort_by(|a, b| b.cmp(a));
        let expected: Vec<String> = order.iter().map(|(_, i)| ids[*i].clone()).collect();

        let mut page = coordinator
            .get(&format!("/m/{MISSION}/review?{query}"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        let mut urgent: Vec<(i64, usize)> = matching
            .iter()
            .filter(|&&i| rank(i) >= Severity::High.rank())
            .map(|&i| (rank(i), i))
            .collect();
        urgent.sort_by(|a, b| b.cmp(a));
        let mut urgent_expected = Vec::new();
        for (_, i) in urgent.iter().take(10) {
            urgent_expected.push(ids_reference(&app, &ids[*i]).await);
        }
        assert_eq!(urgent_listed(&page), urgent_expected, "{query}: urgent");
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.extend(listed(&page));
            let Some(next) = common::hidden_href(&page.body, "Next page") else {
                break;
            };
            page = coordinator.get(&next).await;
        }
        assert_eq!(
            seen, expected,
            "{query}: every match once, in the queue's order"
        );
    }
}

#[tokio::test]
async fn next_report_walks_a_search_broader_than_is_counted() {
    let app = counting_five().await;
    let severities = [Some(Severity::High), None, Some(Severity::Low)];
    // Twelve reports say the words, three of them in Nairobi: more than are counted.
    let seeds: Vec<Seed> = (0..24)
        .map(|i| Seed {
            text: if i % 2 == 0 {
                "turned away"
            } else {
                "all calm"
            },
            ..seed(
                "observer",
                "voting",
                if i % 8 == 0 { "1427001" } else { "0001001" },
                severities[i % severities.len()],
            )
        })
        .collect();
    let ids = file_all(&app, seeds).await;
    let nairobi = app.region_id(1, "047").await;
    let mut coordinator = app.signed_in("coordinator").await;
    for (filters, expected) in [
        (format!("q=turned&region={nairobi}"), vec![16, 8, 0]),
        (
            "q=turned&sort=severity".to_owned(),
            vec![18, 12, 6, 0, 20, 14, 8, 2, 22, 16, 10, 4],
        ),
    ] {
        let expected: Vec<String> = expected.iter().map(|i| ids[*i].clone()).collect();
        let queue_page = coordinator
            .get(&format!("/m/{MISSION}/review?{filters}"))
            .await;
        assert_eq!(listed(&queue_page), expected, "{filters}");
        let first = ids_reference(&app, &expected[0]).await;
        let mut page = follow(&mut coordinator, &queue_page, &first).await;
        let mut seen = vec![expected[0].clone()];
        while common::hidden_href(&page.body, "Next report in this queue ›").is_some() {
            page = follow(&mut coordinator, &page, "Next report in this queue ›").await;
            let id = page
                .body
                .split("/review/reports/")
                .find_map(|s| s.strip_suffix_once_actions())
                .expect("the report's action form");
            seen.push(id);
            assert!(
                seen.len() <= expected.len(),
                "the walk never ends: {seen:?}"
            );
        }
        assert_eq!(seen, expected, "{filters}: every match once, in order");
    }
}
