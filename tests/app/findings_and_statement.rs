//! Leads turn verified reports into findings, publish them, and compile the preliminary
//! statement.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, MISSION, TestApp};

/// Files a Voting checklist as `observer` at a station and returns its report path (for
/// reviewers) and reference.
async fn filed(
    app: &TestApp,
    observer: &str,
    station: &str,
    boxes_sealed: &str,
) -> (String, String) {
    let mut browser = app.signed_in(observer).await;
    let region = app.region_id(4, station).await;
    let answers = common::voting_but(&[("boxes_sealed", boxes_sealed)]);
    let (_, response) = browser.file("voting", region, &answers).await;
    let id = response
        .location()
        .trim_end_matches("/receipt")
        .rsplit('/')
        .next()
        .expect("id")
        .to_owned();
    let id_for_read = id.clone();
    let reference: String = app
        .store
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT reference FROM reports WHERE id = ?1",
                [id_for_read],
                |r| r.get(0),
            )?)
        })
        .await
        .expect("reference");
    (format!("/m/{MISSION}/review/reports/{id}"), reference)
}

async fn verify(browser: &mut Browser, report: &str) {
    let response = browser
        .post(
            &format!("{report}/actions"),
            report,
            &[("action", "verify")],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
}

async fn new_finding(lead: &mut Browser, fields: &[(&str, &str)]) -> common::Page {
    lead.post(
        &format!("/m/{MISSION}/findings"),
        &format!("/m/{MISSION}/findings/new"),
        fields,
    )
    .await
}

#[tokio::test]
async fn a_finding_from_draft_to_published_with_its_rules() {
    let app = TestApp::new().await;
    let (report_a, ref_a) = filed(&app, "observer", "0001001", "no").await;
    let (report_b, ref_b) = filed(&app, "observer2", "1427001", "no").await;
    let mut lead = app.signed_in("lead").await;

    let missing = new_finding(
        &mut lead,
        &[("title", " "), ("statement", "Text"), ("topic", "")],
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.contains("Write the title.")
            && missing.contains("Choose an assessment.")
            && missing.contains("Write the topic.")
    );
    assert!(missing.contains(">Text</textarea>"), "typed text kept");

    let county = app.region_id(1, "001").await.to_string();
    let created = new_finding(
        &mut lead,
        &[
            ("title", "Ballot boxes left unsealed"),
            (
                "statement",
                "In several polling stations ballot boxes were not sealed before voting.",
            ),
            ("assessment", "negative"),
            ("topic", "Voting procedures"),
            ("region", &county),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let finding = created.location().to_owned();
    let page = lead.get(&finding).await;
    assert!(
        page.contains("This finding has no evidence yet.") && page.contains("concerns Mombasa")
    );

    let unknown = lead
        .post(
            &format!("{finding}/evidence"),
            &finding,
            &[("references", "TE-ZZZZZZ")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.contains("There is no report TE-ZZZZZZ in this mission."));
    let added = lead
        .post(
            &format!("{finding}/evidence"),
            &finding,
            &[
                ("references", &format!("{ref_a} {}", ref_b.to_lowercase())),
                ("note", "seen by two teams"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = lead.get(&finding).await;
    assert!(
        page.contains("2 reports of the evidence are not verified yet."),
        "{}",
        page.body
    );
    assert!(page.contains("seen by two teams") && page.contains("2 received"));

    // Draft -> published directly is refused; ready -> published needs verified evidence.
    let direct = lead
        .post(
            &format!("{finding}/stage"),
            &finding,
            &[("to", "published")],
        )
        .await;
    assert_eq!(direct.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        lead.post(&format!("{finding}/stage"), &finding, &[("to", "ready")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let unbacked = lead
        .post(
            &format!("{finding}/stage"),
            &finding,
            &[("to", "published")],
        )
        .await;
    assert_eq!(unbacked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unbacked.contains("at least one verified report"));

    let mut coordinator = app.signed_in("coordinator").await;
    verify(&mut coordinator, &report_a).await;
    coordinator
        .post(
            &format!("{report_b}/actions"),
            &report_b,
            &[("action", "dismiss"), ("note", "Station misidentified.")],
        )
        .await;
    let page = lead.get(&finding).await;
    assert!(
        page.contains("1 report of the evidence has been dismissed or marked duplicate."),
        "{}",
        page.body
    );
    let published = lead
        .post(
            &format!("{finding}/stage"),
            &finding,
            &[("to", "published")],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    assert!(
        lead.get(&finding)
            .await
            .contains("based on 1 verified report from 1 county")
    );

    // Editing after publication keeps the published text in the history.
    let edited = lead
        .post(
            &format!("{finding}/edit"),
            &format!("{finding}/edit"),
            &[
                ("title", "Ballot boxes unsealed in Mombasa"),
                ("statement", "Revised text."),
                ("assessment", "serious_concern"),
                ("topic", "Voting procedures"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let page = lead.get(&finding).await;
    assert!(
        page.contains("Revised text.")
            && page.contains(
                "In several polling stations ballot boxes were not sealed before voting."
            )
    );
    let published_versions = app.count("SELECT count(*) FROM finding_history WHERE stage = 'published' AND statement LIKE 'In several%'").await;
    assert!(published_versions >= 1, "the published text is on record");
}

#[tokio::test]
async fn reports_are_added_to_a_finding_from_the_queue() {
    let app = TestApp::new().await;
    let (_, ref_a) = filed(&app, "observer", "0001001", "no").await;
    let (_, ref_b) = filed(&app, "observer", "0001002", "yes").await;
    let mut lead = app.signed_in("lead").await;
    let created = new_finding(
        &mut lead,
        &[
            ("title", "Sealing"),
            ("statement", "Boxes."),
            ("assessment", "mixed"),
            ("topic", "Voting procedures"),
        ],
    )
    .await;
    let finding_id = created
        .location()
        .rsplit('/')
        .next()
        .expect("id")
        .to_owned();
    let queue = lead.get(&format!("/m/{MISSION}/review")).await;
    let ids: Vec<String> = queue
        .body
        .split("name=\"report\" value=\"")
        .skip(1)
        .map(|s| s[..36].to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let fields = [
        ("_csrf", queue.csrf()),
        ("action", "add_to_finding".to_owned()),
        ("finding_id", finding_id.clone()),
        ("report", ids[0].clone()),
        ("report", ids[1].clone()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = lead
        .post_raw(&format!("/m/{MISSION}/review/bulk"), &pairs)
        .await;
    assert_eq!(
        response.location(),
        format!("/m/{MISSION}/findings/{finding_id}#evidence")
    );
    let page = lead
        .get(&format!("/m/{MISSION}/findings/{finding_id}"))
        .await;
    assert!(page.contains(&ref_a) && page.contains(&ref_b));
    // A coordinator reviews but does not build findings.
    let mut coordinator = app.signed_in("coordinator").await;
    let queue = coordinator.get(&format!("/m/{MISSION}/review")).await;
    let fields = [
        ("_csrf", queue.csrf()),
        ("action", "add_to_finding".to_owned()),
        ("finding_id", finding_id),
        ("report", ids[0].clone()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        coordinator
            .post_raw(&format!("/m/{MISSION}/review/bulk"), &pairs)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_statement_compiles_published_findings_by_topic() {
    let app = TestApp::new().await;
    let mut coordinator = app.signed_in("coordinator").await;
    let mut lead = app.signed_in("lead").await;
    let mut refs = Vec::new();
    for (observer, station) in [
        ("observer", "0001001"),
        ("observer", "0006001"),
        ("observer2", "1427001"),
    ] {
        let (report, reference) = filed(&app, observer, station, "no").await;
        verify(&mut coordinator, &report).await;
        refs.push(reference);
    }
    let empty = lead.get(&format!("/m/{MISSION}/statement")).await;
    assert!(empty.contains("No finding has been published yet."));
    for (title, topic, evidence) in [
        ("Unsealed ballot boxes", "Voting procedures", refs.join(" ")),
        ("Calm atmosphere", "Environment", refs[0].clone()),
        ("Draft only", "Environment", refs[1].clone()),
    ] {
        let created = new_finding(
            &mut lead,
            &[
                ("title", title),
                ("statement", &format!("{title}: the statement.")),
                ("assessment", "negative"),
                ("topic", topic),
            ],
        )
        .await;
        let finding = created.location().to_owned();
        lead.post(
            &format!("{finding}/evidence"),
            &finding,
            &[("references", &evidence)],
        )
        .await;
        if title != "Draft only" {
            lead.post(&format!("{finding}/stage"), &finding, &[("to", "ready")])
                .await;
            let published = lead
                .post(
                    &format!("{finding}/stage"),
                    &finding,
                    &[("to", "published")],
                )
                .await;
            assert_eq!(published.status, StatusCode::SEE_OTHER);
        }
    }
    let page = lead.get(&format!("/m/{MISSION}/statement")).await;
    assert!(page.contains("Preliminary statement") && page.contains("Test Election 2017"));
    assert!(
        page.contains("based on 3 verified reports from 2 counties"),
        "{}",
        page.body
    );
    assert!(page.contains("based on 1 verified report from 1 county"));
    assert!(
        !page.contains("Draft only"),
        "unpublished findings stay out"
    );
    let environment = page.body.find("<h2>Environment</h2>").expect("topic");
    let voting = page.body.find("<h2>Voting procedures</h2>").expect("topic");
    assert!(environment < voting, "topics in order");

    let md = lead.get(&format!("/m/{MISSION}/statement.md")).await;
    assert_eq!(md.status, StatusCode::OK);
    assert!(md.header("content-type").starts_with("text/markdown"));
    assert!(
        md.header("content-disposition")
            .contains("attachment; filename=\"test-2017-statement.md\"")
    );
    assert!(
        md.body
            .starts_with("# Test Election 2017 — preliminary statement")
    );
    assert!(md.body.contains("## Voting procedures\n\n### Unsealed ballot boxes\n\n*Negative* — based on 3 verified reports from 2 counties.\n\nUnsealed ballot boxes: the statement."), "{}", md.body);
    assert!(!md.body.contains("Draft only"));
    let css_start = page.body.find("/static/style.").expect("css");
    let css = lead
        .get(&page.body[css_start..css_start + page.body[css_start..].find('"').expect("end")])
        .await;
    assert!(
        css.body.contains("@media print")
            && css
                .body
                .contains(".top, form, .no-print { display: none; }"),
        "no navigation on paper"
    );
    // The language picker is in the footer, whose own `display` would win over `form`'s.
    assert!(
        page.contains("<footer class=\"no-print\">") && page.contains("<form class=\"languages\""),
        "no language picker on paper"
    );
}

#[tokio::test]
async fn the_markdown_statement_is_text_not_markup() {
    let app = TestApp::new().await;
    let (report, reference) = filed(&app, "observer", "0001001", "no").await;
    let mut coordinator = app.signed_in("coordinator").await;
    verify(&mut coordinator, &report).await;
    let mut lead = app.signed_in("lead").await;
    let hostile = "1. one\n- two\n---\n    code\n&amp; ~~x~~ https://e.x <b>\n[click](http://evil.example) ![i](x.png)\nMombasa, contrary to Nairobi: calm (mostly) - 3.5 million voted.";
    let created = new_finding(
        &mut lead,
        &[
            ("title", "# Not a heading"),
            ("statement", hostile),
            ("assessment", "mixed"),
            ("topic", "*Topic*"),
        ],
    )
    .await;
    let finding = created.location().to_owned();
    lead.post(
        &format!("{finding}/evidence"),
        &finding,
        &[("references", &reference)],
    )
    .await;
    lead.post(&format!("{finding}/stage"), &finding, &[("to", "ready")])
        .await;
    lead.post(
        &format!("{finding}/stage"),
        &finding,
        &[("to", "published")],
    )
    .await;
    let md = lead.get(&format!("/m/{MISSION}/statement.md")).await.body;
    for expected in [
        "## \\*Topic\\*",
        "### \\# Not a heading",
        "1\\. one\n\\- two\n\\---\ncode\n\\&amp; \\~\\~x\\~\\~ https://e.x \\<b>",
        "\\[click\\](http://evil.example) !\\[i\\](x.png)",
        // Ordinary punctuation is not markup: it stays as written.
        "\nMombasa, contrary to Nairobi: calm (mostly) - 3.5 million voted.\n",
    ] {
        assert!(md.contains(expected), "{expected:?} not in:\n{md}");
    }
}

#[tokio::test]
async fn a_published_finding_changes_in_the_statement_only_when_published_again() {
    let app = TestApp::new().await;
    let (report, reference) = filed(&app, "observer", "0001001", "no").await;
    let mut coordinator = app.signed_in("coordinator").await;
    verify(&mut coordinator, &report).await;
    let mut lead = app.signed_in("lead").await;
    let created = new_finding(
        &mut lead,
        &[
            ("title", "Late openings"),
            ("statement", "First text."),
            ("assessment", "negative"),
            ("topic", "Opening"),
        ],
    )
    .await;
    let finding = created.location().to_owned();
    lead.post(
        &format!("{finding}/evidence"),
        &finding,
        &[("references", &reference)],
    )
    .await;
    lead.post(&format!("{finding}/stage"), &finding, &[("to", "ready")])
        .await;
    lead.post(
        &format!("{finding}/stage"),
        &finding,
        &[("to", "published")],
    )
    .await;
    let edit = format!("{finding}/edit");
    let edited = lead
        .post(
            &edit,
            &edit,
            &[
                ("title", "Openings were on time"),
                ("statement", "Second text."),
                ("assessment", "positive"),
                ("topic", "Opening"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let statement = lead.get(&format!("/m/{MISSION}/statement")).await;
    assert!(
        statement.contains("First text.") && !statement.contains("Second text."),
        "the statement keeps the published text"
    );
    let page = lead.get(&finding).await;
    assert!(
        page.contains("has changed since it was published") && page.contains("Publish the changes")
    );
    let again = lead
        .post(
            &format!("{finding}/stage"),
            &finding,
            &[("to", "published")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let statement = lead.get(&format!("/m/{MISSION}/statement")).await;
    assert!(
        statement.contains("Second text.")
            && statement.contains("Openings were on time")
            && !statement.contains("First text.")
    );
    assert!(app.count("SELECT count(*) FROM finding_history WHERE statement = 'First text.' AND stage = 'published'").await >= 1);
}

#[tokio::test]
async fn a_published_finding_without_verified_evidence_leaves_the_statement() {
    let app = TestApp::new().await;
    let (report, reference) = filed(&app, "observer", "0001001", "no").await;
    let mut coordinator = app.signed_in("coordinator").await;
    verify(&mut coordinator, &report).await;
    let mut lead = app.signed_in("lead").await;
    let created = new_finding(
        &mut lead,
        &[
            ("title", "Unsealed boxes"),
            ("statement", "Text."),
            ("assessment", "negative"),
            ("topic", "Voting"),
        ],
    )
    .await;
    let finding = created.location().to_owned();
    lead.post(
        &format!("{finding}/evidence"),
        &finding,
        &[("references", &reference)],
    )
    .await;
    lead.post(&format!("{finding}/stage"), &finding, &[("to", "ready")])
        .await;
    lead.post(
        &format!("{finding}/stage"),
        &finding,
        &[("to", "published")],
    )
    .await;
    let report_id = report.rsplit('/').next().expect("id");
    let remove = lead
        .post(
            &format!("{finding}/evidence/{report_id}/remove"),
            &finding,
            &[],
        )
        .await;
    assert_eq!(
        remove.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the last verified report stays"
    );
    assert!(remove.contains("last verified report of a published finding"));
    lead.post(
        &format!("{report}/actions"),
        &report,
        &[("action", "reopen")],
    )
    .await;
    let statement = lead.get(&format!("/m/{MISSION}/statement")).await;
    assert!(
        !statement.contains("Unsealed boxes"),
        "no verified report, no place in the statement"
    );
    assert!(
        lead.get(&finding)
            .await
            .contains("No verified report backs this finding any more")
    );
}
