//! The `fieldreport` binary as an admin uses it in a shell.

use crate::common;

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
fn verify_finds_a_changed_report_and_figures_that_differ_from_the_reports() {
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
    assert!(stdout(&verified).contains("the dashboard's figures equal a count of the reports"));

    // A problem recorded at filing removed by hand: the figures held in memory (which
    // count recorded problems) no longer equal a count of the reports' problem answers.
    let conn = rusqlite::Connection::open(&db).expect("open");
    let seq: i64 = conn
        .query_row("SELECT min(report_seq) FROM report_problems", [], |r| {
            r.get(0)
        })
        .expect("a report with a problem");
    let questions: Vec<String> = conn
        .prepare("SELECT question FROM report_problems WHERE report_seq = ?1")
        .expect("prepare")
        .query_map([seq], |r| r.get(0))
        .expect("problems")
        .collect::<Result<_, _>>()
        .expect("problems");
    conn.execute("DELETE FROM report_problems WHERE report_seq = ?1", [seq])
        .expect("tamper");
    let found = fieldreport(&["verify", "--db", path], None);
    assert_fails_with(&found, "verification failed");
    assert!(
        stdout(&found).contains("kenya-2017: reports by status differ: counted over the reports"),
        "{}",
        stdout(&found)
    );
    // Put back, the figures agree again: nothing else was kept to drift.
    for question in &questions {
        conn.execute(
            "INSERT INTO report_problems (report_seq, question) VALUES (?1, ?2)",
            rusqlite::params![seq, question],
        )
        .expect("restore");
    }
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

/// Everything a demo run could change in a mission's database, as text: accounts with
/// their password hashes, memberships, forms, reports, the audit trail, the schema version.
fn mission_contents(db: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
    let mut contents = Vec::new();
    for sql in [
        "SELECT username || ' ' || password_hash || ' ' || coalesce(disabled_at, '-') FROM users ORDER BY id",
        "SELECT user_id || ' ' || mission_id || ' ' || role FROM memberships ORDER BY user_id, mission_id",
        "SELECT mission_id || ' ' || key || ' v' || version FROM forms ORDER BY id",
        "SELECT 'missions ' || count(*) FROM missions",
        "SELECT 'regions ' || count(*) FROM regions",
        "SELECT 'reports ' || count(*) FROM reports",
        "SELECT 'audit ' || count(*) || ' ' || coalesce(max(id), 0) FROM audit_log",
        "SELECT 'schema ' || user_version FROM pragma_user_version",
    ] {
        let mut statement = conn.prepare(sql).expect(sql);
        let rows = statement
            .query_map([], |r| r.get::<_, String>(0))
            .expect(sql)
            .collect::<Result<Vec<_>, _>>()
            .expect(sql);
        contents.extend(rows);
    }
    contents
}

/// The bytes of a database file and of its write-ahead log, if it has one.
fn file_bytes(db: &Path) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    (
        std::fs::read(db).expect("read the database"),
        std::fs::read(PathBuf::from(wal)).ok(),
    )
}

fn demo_no_serve(db: &Path) -> Output {
    fieldreport(
        &[
            "demo",
            "--db",
            db.to_str().expect("utf-8 path"),
            "--stations",
            "2896",
            "--reports",
            "20",
            "--no-serve",
        ],
        None,
    )
}

#[test]
fn the_demo_refuses_a_real_missions_database_and_changes_nothing_in_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A real mission that happens to share the demo's slug, with an `admin` of its own.
    let db = new_mission(dir.path());
    let db_arg = db.to_str().expect("utf-8 path");
    let admin = fieldreport(
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
            "admin",
            "--name",
            "The mission's own admin",
        ],
        Some("the real admin's passphrase\n"),
    );
    assert!(admin.status.success(), "{}", stderr(&admin));
    let form = dir.path().join("voting.toml");
    std::fs::write(&form, fieldreport::demo::FORMS[1]).expect("write form");
    let imported = fieldreport(
        &[
            "import",
            "form",
            "--db",
            db_arg,
            "--mission",
            "kenya-2017",
            form.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(imported.status.success(), "{}", stderr(&imported));
    let contents = mission_contents(&db);
    assert!(contents.iter().any(|row| row.starts_with("admin $argon2")));
    let bytes = file_bytes(&db);

    let refused = demo_no_serve(&db);
    assert_eq!(refused.status.code(), Some(1));
    assert_fails_with(
        &refused,
        &format!(
            "fieldreport: {db_arg} is not a demo database (it was not made by `fieldreport demo`); refusing to change it"
        ),
    );
    assert_eq!(stdout(&refused), "", "no accounts are printed");
    assert_eq!(mission_contents(&db), contents);
    assert!(
        file_bytes(&db) == bytes,
        "the file is byte for byte as it was"
    );
    let store = Store::open(&db, OpenMode::MustExist).expect("open");
    let admin = store
        .read_blocking(|c| users::credentials(c, "admin"))
        .expect("read")
        .expect("the real admin");
    assert!(verify_password(
        "the real admin's passphrase",
        &admin.password_hash
    ));
    drop(store);

    // A fieldreport database that holds no mission at all was not made by the demo either.
    let empty = dir.path().join("no-mission.db");
    drop(Store::open(&empty, OpenMode::CreateIfMissing).expect("create"));
    let contents = mission_contents(&empty);
    assert_fails_with(&demo_no_serve(&empty), "is not a demo database");
    assert_eq!(mission_contents(&empty), contents);
}

#[test]
fn the_demo_makes_a_new_file_and_finds_it_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An empty file (as a temporary-file tool makes one) holds nothing: the demo may use it.
    let db = dir.path().join("demo.db");
    std::fs::write(&db, b"").expect("an empty file");
    let made = demo_no_serve(&db);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stdout(&made).contains("created in"), "{}", stdout(&made));
    let accounts = mission_contents(&db)
        .iter()
        .filter(|row| row.contains("$argon2"))
        .count();
    assert_eq!(
        accounts,
        9 + 289,
        "the demo accounts and one observer per ten stations"
    );

    let found = demo_no_serve(&db);
    assert!(found.status.success(), "{}", stderr(&found));
    assert!(stdout(&found).contains("found in"), "{}", stdout(&found));
    let again = mission_contents(&db);
    assert_eq!(
        again.iter().filter(|row| row.contains("$argon2")).count(),
        accounts,
        "no account is added the second time"
    );
    assert!(again.contains(&"reports 20".to_owned()), "{again:?}");
}
