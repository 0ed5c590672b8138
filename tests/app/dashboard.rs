//! The dashboard against hand-counted reports: headline figures, categories, regions at
//! every level, indicators and coverage; every figure's link opens a queue of exactly as
//! many reports; filters; the map.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, MISSION, Page, TestApp, an_hour_ago};

const DASHBOARD: &str = "/m/test-2017/overview";

pub(super) fn voting(boxes_sealed: &'static str) -> Vec<(&'static str, &'static str)> {
    common::voting_but(&[("boxes_sealed", boxes_sealed)])
}

fn incident(category: &'static str, severity: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("category", category),
        ("severity", severity),
        ("occurred_at", an_hour_ago()),
        ("injuries", "0"),
        ("witnessed", "yes"),
        ("summary", "Seen at the gate"),
        ("account", "A group gathered at the gate of the station."),
    ]
}

fn opening_ok() -> Vec<(&'static str, &'static str)> {
    vec![
        ("arrival_time", an_hour_ago()),
        ("opened_on_time", "yes"),
        ("observers_admitted", "yes"),
        ("boxes_shown_empty_sealed", "yes"),
        ("kit_working", "yes"),
        ("layout_secrecy", "yes"),
        ("opening_assessment", "good"),
    ]
}

/// Files a report and returns its reference.
pub(super) async fn file(
    app: &TestApp,
    browser: &mut Browser,
    form: &str,
    place: i64,
    answers: &[(&str, &str)],
) -> String {
    let (_, response) = browser.file(form, place, answers).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{form}: {}",
        response.body
    );
    let _ = app;
    let receipt = browser.get(response.location()).await;
    let start = receipt
        .body
        .find("class=\"reference\">")
        .expect("reference")
        + "class=\"reference\">".len();
    receipt.body[start..start + 9].to_owned()
}

/// The reports of the hand-counted case: what each is, where, and what review did.
///
/// | | form | place | problem | review |
/// |---|---|---|---|---|
/// | A | voting | Port Reitz Primary (Mombasa) | none | |
/// | B | voting | Bomu Hall (Mombasa) | boxes not sealed (high) | verified |
/// | C | voting | Parklands Baptist (Nairobi) | boxes not sealed (high) | dismissed |
/// | D | incident: violence, critical | Parklands Baptist (Nairobi) | | |
/// | E | incident: vote buying, medium | Port Reitz ward (Mombasa) | | |
/// | F | opening | Jomvu Kuu School (Mombasa) | none | |
/// | G | voting | Port Reitz Primary (Mombasa) | none | duplicate of A |
async fn hand_counted() -> (TestApp, Browser) {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let mut observer2 = app.signed_in("observer2").await;
    let station = |code: &'static str| app.region_id(4, code);
    let a = file(
        &app,
        &mut observer,
        "voting",
        station("0001001").await,
        &voting("yes"),
    )
    .await;
    let b = file(
        &app,
        &mut observer,
        "voting",
        station("0001002").await,
        &voting("no"),
    )
    .await;
    let c = file(
        &app,
        &mut observer,
        "voting",
        station("1427001").await,
        &voting("no"),
    )
    .await;
    file(
        &app,
        &mut observer,
        "incident",
        station("1427001").await,
        &incident("violence", "critical"),
    )
    .await;
    let ward = app.region_id(3, "0001").await;
    file(
        &app,
        &mut observer,
        "incident",
        ward,
        &incident("vote_buying", "medium"),
    )
    .await;
    file(
        &app,
        &mut observer,
        "opening",
        station("0006001").await,
        &opening_ok(),
    )
    .await;
    let g = file(
        &app,
        &mut observer2,
        "voting",
        station("0001001").await,
        &voting("yes"),
    )
    .await;

    let mut coordinator = app.signed_in("coordinator").await;
    for (reference, fields) in [
        (b, vec![("action", "verify".to_owned())]),
        (
            c,
            vec![
                ("action", "dismiss".to_owned()),
                ("note", "Wrong station".to_owned()),
            ],
        ),
        (
            g,
            vec![
                ("action", "duplicate".to_owned()),
                ("duplicate_of", a.clone()),
            ],
        ),
    ] {
        let id = app
            .store
            .read(move |conn| {
                Ok(conn.query_row(
                    "SELECT id FROM reports WHERE reference = ?1",
                    [&reference],
                    |r| r.get::<_, String>(0),
                )?)
            })
            .await
            .expect("report");
        let page = format!("/m/{MISSION}/review/reports/{id}");
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = coordinator
            .post(&format!("{page}/actions"), &page, &pairs)
            .await;
        assert!(response.status.is_redirection(), "{}", response.body);
    }
    let lead = app.signed_in("lead").await;
    (app, lead)
}

/// The page's text without tags, whitespace squeezed: what a reader sees.
pub(super) fn text(page: &Page) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#38;", "&")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn unescape(href: &str) -> String {
    href.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
}

/// Every link on the page to the queue, with the figure it shows.
fn queue_links(page: &Page) -> Vec<(String, i64)> {
    let mut links = Vec::new();
    let mut rest = page.body.as_str();
    let marker = "<a href=\"/m/test-2017/review?";
    while let Some(start) = rest.find(marker) {
        let after = &rest[start + "<a href=\"".len()..];
        let end = after.find('"').expect("end of href");
        let href = unescape(&after[..end]);
        let label_start = after.find('>').expect("tag end") + 1;
        let label_end = after[label_start..].find('<').expect("label end") + label_start;
        let label = after[label_start..label_end].replace(',', "");
        if let Ok(n) = label.trim().parse::<i64>() {
            links.push((href, n));
        }
        rest = &after[label_end..];
    }
    links
}

fn queue_total(page: &Page) -> i64 {
    let text = text(page);
    let end = text.find(" match.").expect("a count of matches");
    let words: Vec<&str> = text[..end].split(' ').collect();
    words[words.len() - 2]
        .replace(',', "")
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn the_mission_figures_match_a_hand_count() {
    let (_app, mut lead) = hand_counted().await;
    let page = lead.get(DASHBOARD).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let t = text(&page);
    for expected in [
        // A, B, C, D, E, F: the duplicate G is left out by default.
        "6 reports received",
        "4 checklists · 2 incidents",
        "1 verified",
        "1 critical, not yet reviewed",
        // Stations with a standing report: Port Reitz Primary (A), Bomu Hall (B),
        // Parklands Baptist (D; C was dismissed), Jomvu Kuu School (F).
        "4 of 5 polling stations visited (80%)",
        // Voting: A and B stand, C was dismissed. Opening: F.
        "Voting 2 of 5 3 40%",
        "Opening 1 of 5 4 20%",
        "Closing and counting 0 of 5 5 0%",
        // Boxes not sealed: seen at Bomu Hall among the two stations observed with voting.
        "Were all ballot boxes properly sealed? 50% 1 of 2 reports",
        "Violence 1 0 0 0 0 1",
        "Vote buying 0 0 1 0 0 1",
        // By county: reports, checklists with problems (rate), incidents by severity,
        // stations visited, stations without an opening / voting / closing report.
        "Mombasa 001 4 1 33% 0 0 1 0 3 / 3 2 1 3",
        "Nairobi 047 2 1 100% 1 0 0 0 1 / 2 2 2 2",
        // observer2 filed only the duplicate, an hour ago at most: not silent for 3 hours;
        // nobody is, so no observer is listed.
        "Observers with no report for 3 hours: 0",
        "2 observers active in the last hour",
    ] {
        assert!(t.contains(expected), "missing «{expected}» in: {t}");
    }
}

#[tokio::test]
async fn every_figure_links_to_a_queue_of_as_many_reports() {
    let (app, mut lead) = hand_counted().await;
    let regions = [
        None,
        Some(app.region_id(1, "001").await),
        Some(app.region_id(2, "001").await),
        Some(app.region_id(3, "0001").await),
        Some(app.region_id(4, "1427001").await),
    ];
    let mut checked = 0;
    for filters in [
        "",
        "&form=incident",
        "&status=dismissed&status=verified",
        "&severity=high",
    ] {
        for region in regions {
            let path = match region {
                Some(id) => format!("{DASHBOARD}?region={id}{filters}"),
                None => format!("{DASHBOARD}?{}", filters.trim_start_matches('&')),
            };
            let page = lead.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
            for (href, figure) in queue_links(&page) {
                let queue = lead.get(&href).await;
                assert_eq!(queue.status, StatusCode::OK, "{href}");
                assert_eq!(queue_total(&queue), figure, "{path} -> {href}");
                // The lines listed, not only the count above them (the count comes from
                // the same tallies as the dashboard; the lines from the reports).
                let lines = queue.body.matches("name=\"report\" value=").count();
                assert_eq!(lines as i64, figure, "lines of {href}");
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "only {checked} links checked");
}

#[tokio::test]
async fn drilling_down_reaches_every_level_with_a_way_back_up() {
    let (app, mut lead) = hand_counted().await;
    let page = lead.get(DASHBOARD).await;
    assert!(text(&page).contains("By county"));
    let mut path = DASHBOARD.to_owned();
    let trail = [
        ("Mombasa", "By constituency", "Changamwe"),
        ("Changamwe", "By ward", "Port Reitz"),
        ("Port Reitz", "By polling station", "Bomu Hall"),
    ];
    let mut above: Vec<&str> = Vec::new();
    for (name, next_level, child) in trail {
        let page = lead.get(&path).await;
        let href = common::hidden_href(&page.body, name).unwrap_or_else(|| panic!("{name} link"));
        let region = lead.get(&href).await;
        assert_eq!(region.status, StatusCode::OK);
        let t = text(&region);
        assert!(t.contains(&format!("Test Election 2017: {name}")), "{t}");
        assert!(t.contains(next_level), "{name}: {t}");
        assert!(t.contains(child), "{name}: {t}");
        // The breadcrumb leads back to the whole mission and every region above.
        assert!(common::hidden_href(&region.body, "Whole mission").is_some());
        for up in &above {
            assert!(
                common::hidden_href(&region.body, up).is_some(),
                "{up} above {name}"
            );
        }
        above.push(name);
        path = href;
    }
    // The polling station itself: its figures, no table below it.
    let ward = lead.get(&path).await;
    let station = lead
        .get(&common::hidden_href(&ward.body, "Bomu Hall").expect("station link"))
        .await;
    let t = text(&station);
    assert!(t.contains("Test Election 2017: Bomu Hall"), "{t}");
    assert!(t.contains("1 report received"), "{t}");
    assert!(t.contains("1 of 1 polling station visited (100%)"), "{t}");
    assert!(!t.contains("By polling station"));
    assert!(
        t.contains("Were all ballot boxes properly sealed? 100% 1 of 1 50% 1 of 2"),
        "{t}"
    );
    let ids = app.region_id(4, "0001002").await;
    assert!(station.body.contains(&format!("region={ids}")));
}

#[tokio::test]
async fn filters_apply_to_the_whole_dashboard_and_bad_ones_are_explained() {
    let (_app, mut lead) = hand_counted().await;
    let page = lead.get(&format!("{DASHBOARD}?form=incident")).await;
    let t = text(&page);
    assert!(t.contains("2 reports received"), "{t}");
    assert!(t.contains("0 checklists · 2 incidents"), "{t}");
    assert!(t.contains("Mombasa 001 1 0 – 0 0 1 0"), "{t}");

    let page = lead
        .get(&format!("{DASHBOARD}?status=duplicate&status=received"))
        .await;
    // A, D, E, F are still received; G is the duplicate.
    assert!(
        text(&page).contains("5 reports received"),
        "{}",
        text(&page)
    );

    let page = lead.get(&format!("{DASHBOARD}?severity=critical")).await;
    assert!(text(&page).contains("1 report received"));

    // A window on the hour that holds every report, and one long before them.
    let now_hour = fieldreport::store::now() / 3600 * 3600;
    let local = |at: i64| fieldreport::domain::report::local_input_value(at, "Africa/Nairobi");
    let window = format!(
        "{DASHBOARD}?from={}&to={}",
        local(now_hour - 3600),
        local(now_hour + 3600)
    );
    assert!(text(&lead.get(&window).await).contains("6 reports received"));
    let before = format!(
        "{DASHBOARD}?from={}&to={}",
        local(now_hour - 48 * 3600),
        local(now_hour - 47 * 3600)
    );
    let t = text(&lead.get(&before).await);
    assert!(t.contains("0 reports received"), "{t}");
    assert!(t.contains("No report matches these filters yet."), "{t}");

    for (query, message) in [
        ("from=2017-08-08T06:30", "on the hour"),
        ("severity=enormous", "severity filter"),
        ("silent=0", "number of hours"),
        ("region=999999", "not part of the mission"),
        (
            "from=2017-08-08T09:00&to=2017-08-08T08:00",
            "ends before it starts",
        ),
    ] {
        let page = lead.get(&format!("{DASHBOARD}?{query}")).await;
        assert!(
            page.status == StatusCode::BAD_REQUEST
                || page.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            page.status
        );
        assert!(page.body.contains(message), "{query}: {}", page.body);
    }
}

/// The reports the chart's bars say they hold, added up from their titles ("8 Aug 06:00:
/// 120 reports").
fn reports_in_bars(page: &Page) -> i64 {
    let chart = &page.body[page.body.find("<figure class=\"chart\">").expect("a chart")..];
    let chart = &chart[..chart.find("</figure>").expect("its end")];
    chart
        .split("<rect ")
        .skip(1)
        .map(|bar| {
            let title =
                &bar[bar.find("<title>").expect("a title") + 7..bar.find("</title>").expect("end")];
            let words: Vec<&str> = title.rsplit(' ').collect();
            words[1]
                .replace(',', "")
                .parse::<i64>()
                .expect("a number of reports")
        })
        .sum()
}

/// The href of the chart window link with this label.
fn window_link(page: &Page, label: &str) -> String {
    let windows = &page.body[page
        .body
        .find("class=\"chart-windows\"")
        .expect("the windows")..];
    let windows = &windows[..windows.find("</p>").expect("end")];
    unescape(&common::hidden_href(windows, label).unwrap_or_else(|| panic!("{label} in {windows}")))
}

#[tokio::test]
async fn the_chart_shows_the_election_period_whatever_comes_late_and_each_window_counts_right() {
    let app = TestApp::new().await;
    // Polling day, 8 Aug 2017, in the generator's reports; then one report today, years on.
    app.generate_reports(400, 5).await;
    let mut observer = app.signed_in("observer").await;
    let station = app.region_id(4, "0001001").await;
    let (_, late) = observer
        .file("voting", station, &common::voting_fine())
        .await;
    assert_eq!(late.status, StatusCode::SEE_OTHER, "{}", late.body);
    let counted = "status <> 'duplicate'";
    // 5 Aug 2017 00:00 to 12 Aug 2017 00:00 in Nairobi.
    let in_period = app
        .count(common::leak(format!(
            "SELECT count(*) FROM reports WHERE {counted} AND received_at >= 1501880400 AND received_at < 1502485200"
        )))
        .await;
    let all = app
        .count(common::leak(format!(
            "SELECT count(*) FROM reports WHERE {counted}"
        )))
        .await;
    // Incidents come in the days before polling day too, most of them within the period.
    let before = app
        .count(common::leak(format!(
            "SELECT count(*) FROM reports WHERE {counted} AND received_at < 1501880400"
        )))
        .await;
    assert!(
        in_period > 300 && all == before + in_period + 1,
        "{before}, {in_period} of {all}"
    );
    let n = |n: i64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let earlier = |k: i64| match k {
        0 => String::new(),
        1 => " 1 earlier report is outside it.".to_owned(),
        k => format!(" {} earlier reports are outside it.", n(k)),
    };
    let mut lead = app.signed_in("lead").await;

    let page = lead.get(DASHBOARD).await;
    assert_eq!(page.status, StatusCode::OK);
    let t = text(&page);
    for expected in [
        "Show: Election period · Last 7 days · Whole mission".to_owned(),
        "Election period: 5 Aug – 11 Aug.".to_owned(),
        format!(
            "{} reports in this window.{} 1 later report is outside it.",
            n(in_period),
            earlier(before)
        ),
    ] {
        assert!(t.contains(&expected), "{expected} in {t}");
    }
    assert!(page.contains("aria-current=\"true\">Election period</a>"));
    assert_eq!(reports_in_bars(&page), in_period);

    // The last seven days: the late report alone, everything else before it.
    let week = lead.get(&window_link(&page, "Last 7 days")).await;
    assert_eq!(week.status, StatusCode::OK);
    let t = text(&week);
    let expected = format!("1 report in this window.{}", earlier(all - 1));
    assert!(t.contains(&expected), "{expected} in {t}");
    assert!(t.contains("Last 7 days: "), "{t}");
    assert_eq!(reports_in_bars(&week), 1);
    // The choice is kept by the links that keep the filters, and by the filters' form.
    let nairobi = app.region_id(1, "047").await;
    assert!(
        week.body
            .contains(&format!("region={nairobi}&amp;chart=week"))
            || week
                .body
                .contains(&format!("region={nairobi}&#38;chart=week")),
        "region links keep the window"
    );

    // The whole mission: a bar a day, from polling day to today, every report in them.
    let whole = lead.get(&window_link(&page, "Whole mission")).await;
    let t = text(&whole);
    let shows = &t[t.find("Whole mission: ").expect("what the chart shows")..];
    let shows = &shows[..shows.find('.').expect("a sentence")];
    // From before polling day in 2017 to today: each day with its year.
    assert!(
        shows.contains(" Aug 2017 – ") && !shows.ends_with(" 2017"),
        "{shows}"
    );
    assert!(
        t.contains(&format!("{} reports in this window.", n(all))),
        "{t}"
    );
    assert!(!t.contains("outside it"), "{t}");
    assert!(t.contains("Reports received per day"), "{t}");
    assert_eq!(reports_in_bars(&whole), all);

    // Filtering by form counts the chart's reports under that filter too.
    let voting = app
        .count(common::leak(format!(
            "SELECT count(*) FROM reports r JOIN forms f ON f.id = r.form_id WHERE f.key = 'voting' AND r.{counted}
               AND r.received_at >= 1501880400 AND r.received_at < 1502485200"
        )))
        .await;
    let page = lead.get(&format!("{DASHBOARD}?form=voting")).await;
    assert_eq!(reports_in_bars(&page), voting);

    // The filters' own time window decides: no other window is offered.
    let page = lead
        .get(&format!(
            "{DASHBOARD}?from=2017-08-08T00:00&to=2017-08-09T00:00&chart=all"
        ))
        .await;
    let t = text(&page);
    assert!(
        t.contains("filters&#39; time window: 8 Aug – 8 Aug."),
        "{t}"
    );
    assert!(!page.contains("class=\"chart-windows\""));

    let refused = lead.get(&format!("{DASHBOARD}?chart=year")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.contains("is not a window of the chart"),
        "{}",
        refused.body
    );
    // Without JavaScript: plain links, the choice in the address.
    assert!(!page.body.contains("<script"));
}

#[tokio::test]
async fn silent_observers_are_listed_with_their_phone() {
    let (app, mut lead) = hand_counted().await;
    app.execute("UPDATE users SET phone = '+254 700 000 222' WHERE username = 'observer2'")
        .await;
    // Both observers filed within the hour; "silent for an hour" names nobody until their
    // last report is made older.
    app.execute("UPDATE reports SET received_at = received_at - 7200 WHERE observer_id = (SELECT id FROM users WHERE username = 'observer2')")
        .await;
    let t = text(&lead.get(&format!("{DASHBOARD}?silent=1")).await);
    assert!(t.contains("Observers with no report for 1 hour: 1"), "{t}");
    assert!(t.contains("+254 700 000 222"), "{t}");
    assert!(t.contains("1 observer active in the last hour"), "{t}");
}

#[tokio::test]
async fn the_map_draws_located_stations_by_worst_severity() {
    let (app, mut lead) = hand_counted().await;
    let page = lead.get(&format!("{DASHBOARD}/map.svg")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("No polling station here has coordinates (5 without)")
    );

    app.execute(
        "UPDATE regions SET latitude = -4.0 - id / 100.0, longitude = 39.6 + id / 100.0 WHERE depth = 4 AND code <> '1428001'",
    )
    .await;
    let page = lead.get(&format!("{DASHBOARD}/map.svg")).await;
    assert_eq!(page.header("content-type"), "image/svg+xml; charset=utf-8");
    let body = &page.body;
    // Kangemi Hall has no coordinates; of the others Parklands Baptist had a critical
    // incident, Bomu Hall a high problem, Port Reitz Primary and Jomvu Kuu reports with
    // no severity.
    assert!(
        body.contains("1 polling station has no coordinates"),
        "{body}"
    );
    for class in ["critical", "high", "reported"] {
        assert!(
            body.contains(&format!("class=\"{class}\"")),
            "{class}: {body}"
        );
    }
    assert_eq!(body.matches("h0").count(), 4, "{body}");
    assert!(
        !body.contains("class=\"none\""),
        "every located station has a report"
    );
}

#[tokio::test]
async fn station_figures_and_the_map_follow_every_filter() {
    let (app, mut lead) = hand_counted().await;
    // Verified only: B, voting at Bomu Hall with the boxes not sealed.
    let t = text(&lead.get(&format!("{DASHBOARD}?status=verified")).await);
    for expected in [
        "1 report received",
        "1 of 5 polling stations visited (20%)",
        "Voting 1 of 5 4 20%",
        "Opening 0 of 5 5 0%",
        "Were all ballot boxes properly sealed? 100% 1 of 1 reports",
        "Mombasa 001 1 1 100% 0 0 0 0 1 / 3 3 2 3",
        "Nairobi 047 0 0 – 0 0 0 0 0 / 2 2 2 2",
    ] {
        assert!(
            t.contains(expected),
            "verified: missing «{expected}» in: {t}"
        );
    }
    // Critical only: D, the violence at Parklands Baptist. A station visited, no checklist.
    let t = text(&lead.get(&format!("{DASHBOARD}?severity=critical")).await);
    for expected in [
        "1 of 5 polling stations visited (20%)",
        "Voting 0 of 5 5 0%",
        "Nairobi 047 1 0 – 1 0 0 0 1 / 2 2 2 2",
    ] {
        assert!(
            t.contains(expected),
            "critical: missing «{expected}» in: {t}"
        );
    }
    // Dismissed only: C stands no more, so it is no visit (nor is anything else).
    let t = text(&lead.get(&format!("{DASHBOARD}?status=dismissed")).await);
    assert!(t.contains("1 report received"), "{t}");
    assert!(t.contains("0 of 5 polling stations visited (0%)"), "{t}");
    // Drilled to Mombasa county under the voting form and the verified status: the county's
    // figures and the whole mission's, both counted.
    let mombasa = app.region_id(1, "001").await;
    let t = text(
        &lead
            .get(&format!(
                "{DASHBOARD}?region={mombasa}&form=voting&status=verified&status=received"
            ))
            .await,
    );
    for expected in [
        // A (received) and B (verified); C at Parklands is dismissed.
        "2 of 3 polling stations visited (66%)",
        "Were all ballot boxes properly sealed? 50% 1 of 2 50% 1 of 2 reports",
    ] {
        assert!(
            t.contains(expected),
            "Mombasa: missing «{expected}» in: {t}"
        );
    }

    app.execute("UPDATE regions SET latitude = -1.0 - id / 100.0, longitude = 36.0 + id / 100.0 WHERE depth = 4")
        .await;
    // Critical only: D, at Parklands Baptist.
    let map = lead
        .get(&format!("{DASHBOARD}/map.svg?severity=critical"))
        .await;
    assert!(map.body.contains("class=\"critical\""), "{}", map.body);
    assert_eq!(map.body.matches("h0").count(), 5, "every station is drawn");
    assert!(!map.body.contains("class=\"high\""), "{}", map.body);
    // Verified only: B at Bomu Hall (high); the others are drawn as without reports.
    let map = lead
        .get(&format!("{DASHBOARD}/map.svg?status=verified"))
        .await;
    assert!(map.body.contains("class=\"high\""), "{}", map.body);
    assert!(!map.body.contains("class=\"critical\""), "{}", map.body);
    // Dismissed only: no standing report, nothing coloured.
    let map = lead
        .get(&format!("{DASHBOARD}/map.svg?status=dismissed"))
        .await;
    assert!(!map.body.contains("class=\"high\"") && !map.body.contains("class=\"reported\""));
    assert_eq!(map.body.matches("h0").count(), 5);
}

#[tokio::test]
async fn the_dashboard_is_written_in_the_browsers_language() {
    let (app, mut lead) = hand_counted().await;
    // observer2 last filed on 8 August 2017 at 17:00 in Nairobi: silent since.
    app.execute("UPDATE reports SET received_at = 1502200800 WHERE observer_id = (SELECT id FROM users WHERE username = 'observer2')")
        .await;
    lead.headers = vec![("accept-language", "fr".to_owned())];
    let page = lead.get(DASHBOARD).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.contains("<html lang=\"fr\">"), "{}", page.body);
    // Percentages as French writes them, with a narrow no-break space (a space in the
    // text read, which squeezes every kind of space).
    assert!(page.contains("(80\u{202f}%)"), "{}", page.body);
    let t = text(&page);
    let percent = |n: &str| format!("{n} %");
    for expected in [
        "Tableau de bord".to_owned(),
        "6 rapports reçus".to_owned(),
        "4 listes de contrôle · 2 incidents".to_owned(),
        "1 vérifié".to_owned(),
        "1 critique, pas encore examiné".to_owned(),
        format!("Bureaux de vote visités : 4 sur 5 ({})", percent("80")),
        "1 observateur actif au cours de la dernière heure".to_owned(),
        "Incidents par catégorie et gravité".to_owned(),
        "Catégorie critique élevée moyenne faible aucune Tous".to_owned(),
        "Achat de voix 0 0 1 0 0 1".to_owned(),
        // Form titles and questions from the forms' French translations.
        format!("Vote 2 sur 5 3 {}", percent("40")),
        format!(
            "Toutes les urnes étaient-elles correctement scellées ? {} 1 sur 2 rapports",
            percent("50")
        ),
        "Observateurs sans rapport depuis 3 heures : 1".to_owned(),
        "8 août 2017, 17:00".to_owned(),
        "Filtres".to_owned(),
        "Reçus du".to_owned(),
        "Observateurs silencieux : aucun rapport depuis heures".to_owned(),
        "Statut reçu signalé vérifié écarté doublon".to_owned(),
    ] {
        assert!(t.contains(&expected), "missing «{expected}» in: {t}");
    }
    for english in ["reports received", "Whole mission", "Coverage", "never"] {
        assert!(!t.contains(english), "«{english}» in: {t}");
    }

    // Filters refused in French; the map too.
    let refused = lead.get(&format!("{DASHBOARD}?silent=0")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.contains("pas un nombre d&#39;heures de 1 à 168"),
        "{}",
        refused.body
    );
    let map = lead.get(&format!("{DASHBOARD}/map.svg")).await;
    assert!(
        map.contains("Bureaux de vote de toute la mission selon la gravité")
            && map.contains("(5 sans) : voyez les tableaux."),
        "{}",
        map.body
    );
}

/// The first number in some HTML once its tags are gone: `1,234` reads 1234.
fn first_number(html: &str) -> i64 {
    let mut plain = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(|c: char| !(c.is_ascii_digit() || c == ','))
        .find(|word| word.chars().any(|c| c.is_ascii_digit()))
        .map(|word| word.replace(',', ""))
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no number in {html}"))
}

/// The headline's reports, its checklists and incidents, and the reports of each region
/// row, as the page shows them.
fn headline_and_rows(page: &Page) -> ((i64, i64, i64), Vec<i64>) {
    let headline = page
        .body
        .split("<ul class=\"headline\">")
        .nth(1)
        .expect("a headline");
    let items: Vec<&str> = headline.split("<li").skip(1).collect();
    let reports = first_number(items[0]);
    let (checklists, incidents) = items[1].split_once(" · ").expect("checklists · incidents");
    let counts = (reports, first_number(checklists), first_number(incidents));
    let table = page
        .body
        .split("<table class=\"grid regions\">")
        .nth(1)
        .and_then(|t| t.split("<tbody>").nth(1))
        .and_then(|t| t.split("</tbody>").next())
        .expect("a region table");
    let rows = table
        .split("<tr>")
        .skip(1)
        .map(|row| first_number(row.split("<td>").nth(1).expect("a reports cell")))
        .collect();
    (counts, rows)
}

/// Each page reads one snapshot: however many reports arrive meanwhile, the headline's
/// total is the sum of the region rows drawn with it, and of its checklists and incidents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headline_and_the_region_rows_agree_while_reports_arrive() {
    let app = TestApp::new().await;
    let stations = [
        app.region_id(4, "0001001").await,
        app.region_id(4, "1427001").await,
        app.region_id(4, "1428001").await,
    ];
    let ward = app.region_id(3, "0006").await;
    let filing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut filers = Vec::new();
    for (n, name) in ["observer", "observer2"].into_iter().enumerate() {
        let mut observer = app.signed_in(name).await;
        let filing = std::sync::Arc::clone(&filing);
        filers.push(tokio::spawn(async move {
            let mut filed = 0;
            while filing.load(std::sync::atomic::Ordering::SeqCst) {
                let (form, place, answers) = if (filed + n) % 3 == 0 {
                    ("incident", ward, incident("violence", "high"))
                } else {
                    ("voting", stations[filed % 3], voting("no"))
                };
                let (_, response) = observer.file_anew(form, place, &answers).await;
                assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
                filed += 1;
            }
            filed
        }));
    }
    let mut lead = app.signed_in("lead").await;
    let mut seen = Vec::new();
    for read in 0..1_000 {
        let page = lead.get(DASHBOARD).await;
        assert_eq!(page.status, StatusCode::OK);
        let ((reports, checklists, incidents), rows) = headline_and_rows(&page);
        assert_eq!(
            rows.iter().sum::<i64>(),
            reports,
            "read {read}: the region rows {rows:?} against the headline"
        );
        assert_eq!(checklists + incidents, reports, "read {read}");
        seen.push(reports);
    }
    filing.store(false, std::sync::atomic::Ordering::SeqCst);
    let mut filed = 0;
    for filer in filers {
        filed += filer.await.expect("filer");
    }
    seen.dedup();
    assert!(
        seen.len() > 10,
        "reports arrived while the dashboard was read: {filed} filed, {} totals seen",
        seen.len()
    );
}

/// Two more polling stations under Port Reitz, as `fieldreport import regions` reads them.
fn two_more_stations() -> fieldreport::domain::geography::RegionPlan {
    use fieldreport::domain::geography::{ImportScheme, StationColumns, plan_import};
    let scheme = ImportScheme::parse(
        "county:county_code:county,constituency:constituency_code:constituency,ward:ward_code:ward,polling_station:ps_code:ps_name",
        StationColumns::default(),
    )
    .expect("scheme");
    let csv = "county_code,county,constituency_code,constituency,ward_code,ward,ps_code,ps_name
001,Mombasa,001,Changamwe,0001,Port Reitz,0001003,Port Reitz Hall
001,Mombasa,001,Changamwe,0001,Port Reitz,0001004,Port Reitz Market
";
    plan_import(&scheme, csv.as_bytes()).expect("plan")
}

#[tokio::test]
async fn imported_polling_stations_count_on_the_dashboard_at_once() {
    let (app, mut lead) = hand_counted().await;
    let t = text(&lead.get(DASHBOARD).await);
    assert!(t.contains("4 of 5 polling stations visited (80%)"), "{t}");
    // The import an admin runs goes through the server's writer, as every write does.
    let (mission, plan) = (app.mission_id, two_more_stations());
    app.store
        .write(move |conn| fieldreport::store::regions::import(conn, mission, &plan))
        .await
        .expect("import");
    let t = text(&lead.get(DASHBOARD).await);
    assert!(t.contains("4 of 7 polling stations visited (57%)"), "{t}");
    let map = lead.get(&format!("{DASHBOARD}/map.svg")).await;
    assert!(map.contains("(7 without)"), "{}", map.body);
}

#[tokio::test]
async fn writes_by_another_process_reach_the_dashboard() {
    use fieldreport::store::{OpenMode, Store};
    let (app, mut lead) = hand_counted().await;
    let every_status = format!(
        "{DASHBOARD}?status=received&status=escalated&status=verified&status=dismissed&status=duplicate"
    );
    let t = text(&lead.get(&every_status).await);
    assert!(t.contains("7 reports received"), "{t}");
    // Another writer on the same file, as `fieldreport import regions` or a generator
    // running beside the server: its commits are not the server's writer's.
    let other = Store::open(&app.db_path(), OpenMode::MustExist).expect("open");
    let (mission, plan) = (app.mission_id, two_more_stations());
    other
        .write(move |conn| fieldreport::store::regions::import(conn, mission, &plan))
        .await
        .expect("import");
    let generating = other.clone();
    tokio::task::spawn_blocking(move || {
        fieldreport::demo::generate::generate_reports(
            &generating,
            MISSION,
            fieldreport::demo::generate::Scale {
                reports: 5,
                seed: 7,
            },
            &|_| {},
        )
    })
    .await
    .expect("join")
    .expect("generated");
    // The server's writer looks for them within a second of being idle.
    let mut seen = String::new();
    for _ in 0..50 {
        seen = text(&lead.get(&every_status).await);
        if seen.contains("12 reports received") && seen.contains("of 7 polling stations") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the other writer's reports and stations never showed: {seen}");
}
