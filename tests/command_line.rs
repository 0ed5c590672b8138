//! The `fieldreport` binary as an admin uses it in a shell.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use fieldreport::credentials::verify_password;
use fieldreport::store::{OpenMode, Store, users};

fn fieldreport(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    common::run_fieldreport(args, stdin)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A failure is exactly one line on stderr, and a non-zero exit.
fn assert_fails_with(output: &Output, message: &str) {
    let err = stderr(output);
    assert!(!output.status.success(), "should fail: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.contains(message), "expected {message:?} in {err:?}");
}

fn new_mission(dir: &Path) -> PathBuf {
    let db = dir.join("mission.db");
    let output = fieldreport(
        &[
            "mission",
            "add",
            "--db",
            db.to_str().expect("utf-8 path"),
            "--slug",
            "kenya-2017",
            "--name",
            "Kenya 2017 General Election",
            "--country",
            "Kenya",
            "--election-date",
            "2017-08-08",
            "--time-zone",
            "Africa/Nairobi",
        ],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    db
}

#[test]
fn help_is_available_for_every_command() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["mission", "add", "--help"],
        vec!["mission", "list", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "list", "--help"],
        vec!["user", "disable", "--help"],
        vec!["import", "regions", "--help"],
        vec!["verify", "--help"],
    ] {
        let output = fieldreport(&args, None);
        assert!(output.status.success(), "{args:?}");
        assert!(stdout(&output).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn add_list_and_disable_users() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = new_mission(dir.path());
    let db_arg = db.to_str().expect("utf-8 path");

    let added = fieldreport(
        &[
            "user",
            "add",
            "--db",
            db_arg,
            "--mission",
            "kenya-2017",
            "--role",
            "admin",
            "--username",
            "Amani",
            "--name",
            "Amani Odhiambo",
        ],
        Some("a long enough password\n"),
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(stdout(&added).trim(), "added amani to kenya-2017 as admin");

    let generated = fieldreport(
        &[
            "user",
            "add",
            "--db",
            db_arg,
            "--mission",
            "kenya-2017",
            "--role",
            "observer",
            "--username",
            "achieng",
            "--generate-password",
        ],
        None,
    );
    assert!(generated.status.success(), "{}", stderr(&generated));
    let out = stdout(&generated);
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("printed password")
        .to_owned();

    let store = Store::open(&db, OpenMode::MustExist).expect("open");
    let check = |username: &'static str, password: String| {
        let credentials = store
            .read_blocking(|conn| users::credentials(conn, username))
            .expect("read")
            .expect("exists");
        verify_password(&password, &credentials.password_hash)
    };
    assert!(
        check("amani", "a long enough password".into()),
        "the password from stdin is the one set"
    );
    assert!(
        check("achieng", password),
        "the printed password is the one set"
    );

    let list = fieldreport(&["user", "list", "--db", db_arg], None);
    assert!(list.status.success());
    let listing = stdout(&list);
    assert!(listing.lines().any(|l| l.contains("amani")
        && l.contains("admin")
        && l.contains("active")
        && l.contains("Amani Odhiambo")));
    assert!(
        listing
            .lines()
            .any(|l| l.contains("achieng") && l.contains("observer"))
    );

    let disabled = fieldreport(
        &["user", "disable", "--db", db_arg, "--username", "achieng"],
        None,
    );
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    let list = stdout(&fieldreport(
        &["user", "list", "--db", db_arg, "--mission", "kenya-2017"],
        None,
    ));
    assert!(
        list.lines()
            .any(|l| l.contains("achieng") && l.contains("disabled")),
        "{list}"
    );
}

#[test]
fn mistakes_are_one_clear_line_and_a_failure_exit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = new_mission(dir.path());
    let db_arg = db.to_str().expect("utf-8 path");
    let add = |mission: &str, role: &str, username: &str| {
        fieldreport(
            &[
                "user",
                "add",
                "--db",
                db_arg,
                "--mission",
                mission,
                "--role",
                role,
                "--username",
                username,
            ],
            Some("a long enough password\n"),
        )
    };
    assert!(add("kenya-2017", "lead", "grace").status.success());
    assert_fails_with(
        &add("kenya-2017", "lead", "Grace"),
        "the username `grace` is taken",
    );
    assert_fails_with(
        &add("nope", "lead", "other"),
        "no mission `nope` in this database",
    );
    assert_fails_with(&add("kenya-2017", "chief", "other"), "unknown role `chief`");
    assert_fails_with(
        &add("kenya-2017", "lead", "no spaces allowed"),
        "a username uses only",
    );

    let missing = dir.path().join("no-such.db");
    let output = fieldreport(
        &["user", "list", "--db", missing.to_str().expect("utf-8")],
        None,
    );
    assert_fails_with(&output, "cannot open database");
    assert!(
        !missing.exists(),
        "a wrong path does not create an empty database"
    );
    let output = fieldreport(
        &[
            "serve",
            "--db",
            missing.to_str().expect("utf-8"),
            "--listen",
            "127.0.0.1:0",
        ],
        None,
    );
    assert_fails_with(&output, "no such file");

    let short = fieldreport(
        &[
            "user",
            "add",
            "--db",
            db_arg,
            "--mission",
            "kenya-2017",
            "--role",
            "lead",
            "--username",
            "shorty",
        ],
        Some("short\n"),
    );
    assert_fails_with(&short, "at least 10 characters");
    let empty = fieldreport(
        &[
            "user",
            "add",
            "--db",
            db_arg,
            "--mission",
            "kenya-2017",
            "--role",
            "lead",
            "--username",
            "nobody",
        ],
        Some(""),
    );
    assert_fails_with(&empty, "no password on standard input");

    let again = fieldreport(
        &[
            "mission",
            "add",
            "--db",
            db_arg,
            "--slug",
            "kenya-2017",
            "--name",
            "x",
            "--country",
            "Kenya",
            "--election-date",
            "2017-08-08",
            "--time-zone",
            "UTC",
        ],
        None,
    );
    assert_fails_with(&again, "a mission `kenya-2017` already exists");
    let bad_zone = fieldreport(
        &[
            "mission",
            "add",
            "--db",
            db_arg,
            "--slug",
            "x2",
            "--name",
            "x",
            "--country",
            "Kenya",
            "--election-date",
            "2017-08-08",
            "--time-zone",
            "Mars/Olympus",
        ],
        None,
    );
    assert_fails_with(&bad_zone, "not a known time zone");
    let unknown_flag = fieldreport(&["user", "list", "--bogus"], None);
    assert_eq!(unknown_flag.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn import_regions_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = new_mission(dir.path());
    let db_arg = db.to_str().expect("utf-8 path");
    let kenya = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/demo/kenya-wards.csv");
    let levels =
        "county:county_code:county,constituency:constituency_code:constituency,ward:ward_code:ward";
    let run = |file: &Path| {
        fieldreport(
            &[
                "import",
                "regions",
                "--db",
                db_arg,
                "--mission",
                "kenya-2017",
                "--levels",
                levels,
                file.to_str().expect("utf-8"),
            ],
            None,
        )
    };
    let first = run(&kenya);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        stdout(&first),
        "county: 47 added, 0 already present\nconstituency: 290 added, 0 already present\nward: 1448 added, 0 already present\n"
    );
    let second = run(&kenya);
    assert!(stdout(&second).contains("ward: 0 added, 1448 already present"));

    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "county_code,county,constituency_code,constituency,ward_code,ward\n099,Atlantis,,,9999,Deep\n")
        .expect("write");
    let output = run(&broken);
    assert_fails_with(
        &output,
        "line 2: orphan row: the ward `9999` has no constituency code; nothing was imported",
    );
    assert_fails_with(&run(&dir.path().join("absent.csv")), "cannot open");
    let bad_levels = fieldreport(
        &[
            "import",
            "regions",
            "--db",
            db_arg,
            "--mission",
            "kenya-2017",
            "--levels",
            "county",
            kenya.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_fails_with(
        &bad_levels,
        "--levels: `county` is not level:code_column:name_column",
    );
}

#[test]
fn verify_finds_a_changed_report_and_repairs_tallies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let path = db.to_str().expect("utf-8 path");
    let made = fieldreport(
        &[
            "demo",
            "--db",
            path,
            "--stations",
            "2900",
            "--reports",
            "300",
            "--no-serve",
        ],
        None,
    );
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(
        stdout(&made).contains("lead"),
        "the accounts are printed: {}",
        stdout(&made)
    );

    let verified = fieldreport(&["verify", "--db", path], None);
    assert!(verified.status.success(), "{}", stdout(&verified));
    assert!(stdout(&verified).contains("kenya-2017: 300 reports, hash chain intact"));
    assert!(stdout(&verified).contains("dashboard tallies equal a recount of the reports"));

    // A tally changed by hand: found, and repaired on request.
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute(
        "UPDATE tally_totals SET reports = reports + 1 WHERE rowid IN (SELECT rowid FROM tally_totals LIMIT 1)",
        [],
    )
    .ok();
    conn.execute(
        "UPDATE region_coverage SET stations = stations + 1 WHERE region_id = 0 AND form_key = ''",
        [],
    )
    .expect("tamper");
    let found = fieldreport(&["verify", "--db", path], None);
    assert!(!found.status.success());
    assert!(
        stdout(&found).contains("tallies differ from a recount in region_coverage"),
        "{}",
        stdout(&found)
    );
    let repaired = fieldreport(&["verify", "--db", path, "--repair-tallies"], None);
    assert!(repaired.status.success(), "{}", stdout(&repaired));
    assert!(
        fieldreport(&["verify", "--db", path], None)
            .status
            .success()
    );

    // A report's answers changed after filing: the chain names it.
    let reference: String = conn
        .query_row(
            "SELECT reference FROM reports ORDER BY seq LIMIT 1 OFFSET 120",
            [],
            |r| r.get(0),
        )
        .expect("a report");
    conn.execute(
        "UPDATE reports SET answers = replace(answers, 'true', 'false') WHERE reference = ?1",
        [&reference],
    )
    .expect("tamper");
    let broken = fieldreport(&["verify", "--db", path], None);
    assert_fails_with(&broken, "verification failed");
    assert!(
        stdout(&broken).contains(&format!("breaks at report {reference} (number 121")),
        "{}",
        stdout(&broken)
    );
}
