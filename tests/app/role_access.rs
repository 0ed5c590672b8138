//! Who may open what: every mission route against every role, signed out, and a member of
//! another mission.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{Browser, MISSION, TestApp};
use fieldreport::store::audit::Actor;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    SignedOut,
    Observer,
    Coordinator,
    Lead,
    Admin,
    /// An admin of another mission.
    Outsider,
}

const EVERYONE: [Who; 6] = [
    Who::SignedOut,
    Who::Observer,
    Who::Coordinator,
    Who::Lead,
    Who::Admin,
    Who::Outsider,
];

impl Who {
    fn username(self) -> Option<&'static str> {
        match self {
            Who::SignedOut => None,
            Who::Observer => Some("observer"),
            Who::Coordinator => Some("coordinator"),
            Who::Lead => Some("lead"),
            Who::Admin => Some("admin"),
            Who::Outsider => Some("outsider"),
        }
    }
}

struct Route {
    method: Method,
    path: String,
    fields: Vec<(&'static str, String)>,
    allowed: &'static [Who],
}

/// Field names for the table are static; the few built at run time live for the test.
fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

async fn routes(app: &TestApp) -> Vec<Route> {
    let m = MISSION;
    let observer2 = app.user_id("observer2").await;
    let ward = app.region_id(3, "0001").await;
    let get = |path: String, allowed| Route {
        method: Method::GET,
        path,
        fields: vec![],
        allowed,
    };
    let post = |path: String, fields: Vec<(&'static str, String)>, allowed| Route {
        method: Method::POST,
        path,
        fields,
        allowed,
    };
    const ADMIN: &[Who] = &[Who::Admin];
    const OBSERVER: &[Who] = &[Who::Observer];
    const FORMS: &[Who] = &[Who::Lead, Who::Admin];
    const REVIEW: &[Who] = &[Who::Coordinator, Who::Lead];
    const LEAD: &[Who] = &[Who::Lead];
    let station = app.region_id(4, "0001001").await;
    let voting = app.count("SELECT id FROM forms WHERE key = 'voting'").await;
    // A report of the observer's own, for the routes that show one.
    let mut observer = app.signed_in_once("observer").await;
    let answers = common::voting_fine();
    let (form, filed) = observer.file("voting", station, &answers).await;
    let report = filed.location().trim_end_matches("/receipt").to_owned();
    let report_id = report.rsplit('/').next().expect("id").to_owned();
    let reference = app.text("SELECT reference FROM reports").await;
    // A finding of the lead's, for the routes on one finding.
    let mut lead = app.signed_in_once("lead").await;
    let created = lead
        .post(
            &format!("/m/{m}/findings"),
            &format!("/m/{m}/findings/new"),
            &[
                ("title", "Existing"),
                ("statement", "S."),
                ("assessment", "mixed"),
                ("topic", "Opening"),
            ],
        )
        .await;
    let finding = created
        .location()
        .rsplit('/')
        .next()
        .expect("finding id")
        .to_owned();
    let mut filing: Vec<(&'static str, String)> = vec![
        (
            "submission_id",
            "6f1c1a52-7d5e-4d0e-9a53-0c2c8f1f0b11".into(),
        ),
        ("form_id", voting.to_string()),
        ("region_id", station.to_string()),
        (
            "observed_at",
            common::hidden_value(&form.body, "observed_at").expect("default time"),
        ),
    ];
    filing.extend(
        answers
            .iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .map(|(k, v)| (leak(format!("q.{k}")), v)),
    );
    vec![
        get(format!("/m/{m}/observer"), OBSERVER),
        get(format!("/m/{m}/observer/file/voting"), OBSERVER),
        get(format!("/m/{m}/observer/file/voting?q=Port&at=0"), OBSERVER),
        get(format!("/m/{m}/observer/file/voting/{station}"), OBSERVER),
        post(format!("/m/{m}/observer/file"), filing, OBSERVER),
        get(format!("{report}/receipt"), OBSERVER),
        get(format!("/m/{m}/observer/reports"), OBSERVER),
        get(format!("/m/{m}/observer/offline.json"), OBSERVER),
        get(format!("/m/{m}/observer/outbox/token"), OBSERVER),
        get(report.clone(), OBSERVER),
        post(
            format!("{report}/amendments"),
            vec![
                (
                    "amendment_id",
                    "9a7c8b64-2f1e-4d55-8a53-1c2d3e4f5a6b".into(),
                ),
                ("kind", "addition".into()),
                ("text", "More.".into()),
            ],
            OBSERVER,
        ),
        get(format!("/m/{m}/review"), REVIEW),
        get(format!("/m/{m}/review?severity=high&sort=severity"), REVIEW),
        get(format!("/m/{m}/review/reports/{report_id}"), REVIEW),
        post(
            format!("/m/{m}/review/reports/{report_id}/actions"),
            vec![
                ("action", "comment".into()),
                ("note", "Checked by phone.".into()),
            ],
            REVIEW,
        ),
        post(
            format!("/m/{m}/review/bulk"),
            vec![("action", "verify".into()), ("report", report_id.clone())],
            REVIEW,
        ),
        get(format!("/m/{m}/findings"), LEAD),
        get(format!("/m/{m}/findings/new"), LEAD),
        post(
            format!("/m/{m}/findings"),
            vec![
                ("title", "A finding".into()),
                ("statement", "Text.".into()),
                ("assessment", "mixed".into()),
                ("topic", "Opening".into()),
            ],
            LEAD,
        ),
        get(format!("/m/{m}/findings/{finding}"), LEAD),
        get(format!("/m/{m}/findings/{finding}/edit"), LEAD),
        post(
            format!("/m/{m}/findings/{finding}/edit"),
            vec![
                ("title", "A finding, edited".into()),
                ("statement", "Text.".into()),
                ("assessment", "mixed".into()),
                ("topic", "Opening".into()),
            ],
            LEAD,
        ),
        post(
            format!("/m/{m}/findings/{finding}/evidence"),
            vec![("references", reference.clone())],
            LEAD,
        ),
        post(
            format!("/m/{m}/findings/{finding}/evidence/{report_id}/remove"),
            vec![],
            LEAD,
        ),
        post(
            format!("/m/{m}/findings/{finding}/stage"),
            vec![("to", "ready".into())],
            LEAD,
        ),
        get(format!("/m/{m}/statement"), LEAD),
        get(format!("/m/{m}/statement.md"), LEAD),
        get(format!("/m/{m}/forms"), FORMS),
        get(format!("/m/{m}/forms/{voting}"), FORMS),
        get(
            format!("/m/{m}/overview"),
            &[Who::Coordinator, Who::Lead, Who::Admin],
        ),
        get(
            format!("/m/{m}/overview/map.svg"),
            &[Who::Coordinator, Who::Lead, Who::Admin],
        ),
        get(format!("/m/{m}/admin"), ADMIN),
        get(format!("/m/{m}/admin/users/{observer2}"), ADMIN),
        get(format!("/m/{m}/admin/users/{observer2}?q=Port"), ADMIN),
        post(
            format!("/m/{m}/admin/users"),
            vec![
                ("username", "added-by-test".into()),
                ("display_name", "Added".into()),
                ("role", "observer".into()),
                ("password", "a long password".into()),
            ],
            ADMIN,
        ),
        post(
            format!("/m/{m}/admin/users/{observer2}/assignments"),
            vec![("region_id", ward.to_string())],
            ADMIN,
        ),
        post(
            format!("/m/{m}/admin/users/{observer2}/assignments/{ward}/remove"),
            vec![],
            ADMIN,
        ),
        post(
            format!("/m/{m}/admin/users/{observer2}/password"),
            vec![("password", "a new long password".into())],
            ADMIN,
        ),
        post(
            format!("/m/{m}/admin/users/{observer2}/disable"),
            vec![],
            ADMIN,
        ),
        post(
            format!("/m/{m}/admin/users/{observer2}/enable"),
            vec![],
            ADMIN,
        ),
    ]
}

async fn browser_for(app: &TestApp, who: Who) -> Browser {
    match who.username() {
        None => app.browser(),
        Some(name) => app.signed_in_once(name).await,
    }
}

/// A page the user can open to read a CSRF token from.
fn token_page(who: Who) -> String {
    match who {
        Who::SignedOut => "/login".into(),
        Who::Observer => format!("/m/{MISSION}/observer"),
        Who::Outsider => format!("/m/{}/admin", common::OTHER_MISSION),
        _ => format!("/m/{MISSION}/overview"),
    }
}

#[tokio::test]
async fn every_route_checks_role_and_mission() {
    let app = TestApp::new().await;
    let mut checked = 0;
    for route in routes(&app).await {
        for who in EVERYONE {
            let mut browser = browser_for(&app, who).await;
            let response = if route.method == Method::GET {
                browser.get(&route.path).await
            } else {
                let fields: Vec<(&str, &str)> =
                    route.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                browser.post(&route.path, &token_page(who), &fields).await
            };
            let status = response.status;
            let context = format!(
                "{:?} {} as {who:?}: {status}\n{}",
                route.method, route.path, response.body
            );
            match who {
                // A page asked for without a session is shown after sign-in; a form sent
                // without one is refused (a report form is kept only with its ticket, which
                // these carry none of: tests/planted_reports_are_refused.rs).
                Who::SignedOut if route.method == Method::GET => {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{context}");
                    assert!(response.location().starts_with("/login?next="), "{context}");
                }
                Who::SignedOut => assert_eq!(status, StatusCode::FORBIDDEN, "{context}"),
                Who::Outsider => assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "missions are not advertised: {context}"
                ),
                _ if route.allowed.contains(&who) => {
                    assert!(status.is_success() || status.is_redirection(), "{context}");
                }
                _ => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{context}");
                    assert!(response.contains("Not allowed"), "{context}");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 40 * EVERYONE.len());
}

#[tokio::test]
async fn refused_admin_actions_change_nothing() {
    let app = TestApp::new().await;
    let observer2 = app.user_id("observer2").await;
    let before = app.count("SELECT count(*) FROM audit_log").await;
    for who in [Who::Observer, Who::Coordinator, Who::Lead, Who::Outsider] {
        let mut browser = browser_for(&app, who).await;
        let path = format!("/m/{MISSION}/admin/users/{observer2}/disable");
        let response = browser.post(&path, &token_page(who), &[]).await;
        assert!(
            matches!(
                response.status,
                StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ),
            "{who:?}"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL")
            .await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, before);
}

#[tokio::test]
async fn start_page_and_mission_link_lead_home() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    assert_eq!(
        observer.get("/").await.location(),
        format!("/m/{MISSION}/observer")
    );
    assert_eq!(
        observer.get(&format!("/m/{MISSION}")).await.location(),
        format!("/m/{MISSION}/observer")
    );
    assert_eq!(
        observer.get("/m/no-such-mission").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        observer.get("/m/no-such-mission/overview").await.status,
        StatusCode::NOT_FOUND
    );
    let mut outsider = app.signed_in("outsider").await;
    assert_eq!(
        outsider.get(&format!("/m/{MISSION}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn navigation_offers_only_what_the_role_may_open() {
    let app = TestApp::new().await;
    let admin_page = app
        .signed_in("admin")
        .await
        .get(&format!("/m/{MISSION}/admin"))
        .await;
    assert!(admin_page.contains("Mission setup") && admin_page.contains("Overview"));
    assert!(!admin_page.contains(">Home<") && admin_page.contains(">Forms<"));
    let lead_page = app
        .signed_in("lead")
        .await
        .get(&format!("/m/{MISSION}/overview"))
        .await;
    assert!(!lead_page.contains("Mission setup") && lead_page.contains(">Forms<"));
    let coordinator_page = app
        .signed_in("coordinator")
        .await
        .get(&format!("/m/{MISSION}/overview"))
        .await;
    assert!(!coordinator_page.contains(">Forms<"));
    let observer_page = app
        .signed_in("observer")
        .await
        .get(&format!("/m/{MISSION}/observer"))
        .await;
    assert!(!observer_page.contains(">Overview<") && !observer_page.contains("Mission setup"));
}

#[tokio::test]
async fn overview_and_setup_count_the_geography_and_the_team() {
    let app = TestApp::new().await;
    let observer2 = app.user_id("observer2").await;
    let ward = app.region_id(3, "0001").await;
    let mission = app.mission_id;
    app.store
        .write(move |conn| {
            fieldreport::store::users::assign(
                conn,
                mission,
                observer2,
                ward,
                &Actor::command_line(),
            )
        })
        .await
        .expect("assign");
    for (who, path) in [("lead", "overview"), ("admin", "admin")] {
        let page = app
            .signed_in(who)
            .await
            .get(&format!("/m/{MISSION}/{path}"))
            .await;
        let text = page.body.split_whitespace().collect::<Vec<_>>().join(" ");
        for row in [
            "<th scope=\"row\">counties</th><td>2</td>",
            "<th scope=\"row\">constituencies</th><td>3</td>",
            "<th scope=\"row\">wards</th><td>4</td>",
            "<th scope=\"row\">polling stations</th><td>5</td>",
        ] {
            assert!(text.contains(row), "{who}: {row}");
        }
    }
    let overview = app
        .signed_in("lead")
        .await
        .get(&format!("/m/{MISSION}/overview"))
        .await;
    assert!(overview.contains("1 of 2 observers have an assignment."));
    assert!(overview.contains("Africa/Nairobi"));
}
