//! Form definitions imported from files, listed and previewed by leads and admins.

use crate::common;

use axum::http::StatusCode;
use common::{MISSION, TestApp};

#[tokio::test]
async fn leads_and_admins_list_and_preview_the_forms() {
    let app = TestApp::new().await;
    for who in ["lead", "admin"] {
        let mut browser = app.signed_in(who).await;
        let list = browser.get(&format!("/m/{MISSION}/forms")).await;
        assert_eq!(list.status, StatusCode::OK);
        for title in [
            "Opening",
            "Voting",
            "Closing and counting",
            "Incident report",
        ] {
            assert!(list.contains(&format!(">{title}</a>")), "{who}: {title}");
        }
        let voting = common::hidden_href(&list.body, "Voting").expect("link");
        let preview = browser.get(&voting).await;
        assert!(preview.contains("Were all ballot boxes properly sealed?"));
        assert!(preview.contains("A preview: this is what observers see."));
        assert!(
            preview.contains("name=\"q.boxes_sealed\" value=\"no\" disabled"),
            "inputs are disabled"
        );
        assert!(
            !preview.contains("Send report") && !preview.contains("method=\"post\" action=\"/m/"),
            "a preview cannot be sent"
        );
    }
}

fn fieldreport(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    common::run_fieldreport(args, stdin)
}

#[test]
fn forms_import_from_the_command_line_with_versions_and_precise_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("m.db");
    let db = db.to_str().expect("utf-8");
    let made = fieldreport(
        &[
            "mission",
            "add",
            "--db",
            db,
            "--slug",
            "ke",
            "--name",
            "K",
            "--country",
            "Kenya",
            "--election-date",
            "2017-08-08",
            "--time-zone",
            "Africa/Nairobi",
        ],
        None,
    );
    assert!(made.status.success());
    let file = dir.path().join("voting.toml");
    std::fs::write(&file, fieldreport::demo::FORMS[1]).expect("write");
    let import = |path: &std::path::Path| {
        let out = fieldreport(
            &[
                "import",
                "form",
                "--db",
                db,
                "--mission",
                "ke",
                path.to_str().expect("utf-8"),
            ],
            None,
        );
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(import(&file).1, "voting: created (version 1)\n");
    assert_eq!(import(&file).1, "voting: unchanged (version 1)\n");
    std::fs::write(
        &file,
        fieldreport::demo::FORMS[1]
            .replace("Why were voters turned away?", "Why were voters sent away?"),
    )
    .expect("write");
    let changed = import(&file).1;
    assert!(changed.starts_with("voting: new version 2"), "{changed}");

    let broken = [
        (
            "type = \"yes_no\"\nrequired = true\nproblem = { answers = [\"no\"], severity = \"high\" }",
            "type = \"slider\"",
            "question `boxes_sealed`: unknown type `slider`",
        ),
        (
            "key = \"queue_length\"",
            "key = \"arrival_time\"",
            "question key `arrival_time` is used twice",
        ),
        (
            "problem = { answers = [\"not_identified\", \"voting_stopped\"]",
            "problem = { answers = [\"not_identified\", \"riot\"]",
            "problem answer `riot` is not among its options",
        ),
    ];
    for (from, to, message) in broken {
        assert!(
            fieldreport::demo::FORMS[1].contains(from),
            "fixture: {from}"
        );
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, fieldreport::demo::FORMS[1].replacen(from, to, 1)).expect("write");
        let (ok, _, err) = import(&bad);
        assert!(!ok);
        assert!(
            err.contains(message) && err.contains("nothing was imported"),
            "{message:?} in {err:?}"
        );
        assert_eq!(err.lines().count(), 1);
    }
    let empty_options = dir.path().join("empty.json");
    std::fs::write(&empty_options, r#"{"key":"x","title":"X","kind":"incident","questions":[{"key":"q","label":"Q","type":"one_of","options":[]}]}"#)
        .expect("write");
    let (ok, _, err) = import(&empty_options);
    assert!(
        !ok && err.contains("question `q`: the option list is empty"),
        "{err}"
    );
}
