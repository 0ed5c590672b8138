//! Filing throughput over real HTTP on loopback: many observers sending checklists at
//! once through the whole filing path (session, CSRF, validation, durable commit, receipt),
//! beside a bare endpoint that only inserts a row, measured in the same run.
//!
//! `cargo bench --bench filing -- [--observers N] [--seconds S]`
//!
//! Both servers run as child processes, so that their memory is theirs alone: fieldreport
//! itself (`fieldreport serve`), and this program again as the bare server.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldreport::credentials::hash_password;
use fieldreport::domain::account::{NewPassword, Username};
use fieldreport::domain::role::Role;
use fieldreport::store::audit::Actor;
use fieldreport::store::users::NewMember;
use fieldreport::store::{OpenMode, Store, missions, users};
use support::{client, fieldreport_binary, hidden, sign_in, start};

/// Set in the environment of the copy of this program that serves the bare endpoint.
const BARE_SERVER: &str = "FIELDREPORT_BENCH_BARE_DB";

fn main() {
    if let Ok(db) = std::env::var(BARE_SERVER) {
        bare_server(Path::new(&db));
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let observers = usize::try_from(arg("--observers", 200)).unwrap_or(200);
    let seconds = arg("--seconds", 10);
    let dir = std::env::temp_dir().join(format!("fieldreport-filing-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // Accounts are made before the runtime starts: the store's blocking calls are for
    // code outside it.
    let credentials = prepare(&dir.join("mission.db"), observers);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(&dir, &credentials, Duration::from_secs(seconds)));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The bare baseline: one axum route that inserts a row through the same store (writer
/// thread, group commit, FULL sync), and answers once it is committed.
fn bare_server(db: &Path) {
    let store = Store::open(db, OpenMode::CreateIfMissing).expect("open");
    store
        .write_blocking(|c| {
            Ok(
                c.execute_batch(
                    "CREATE TABLE IF NOT EXISTS bare (id TEXT PRIMARY KEY, body TEXT)",
                )?,
            )
        })
        .expect("table");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let app = axum::Router::new().route(
            "/bare",
            axum::routing::post(move |body: String| {
                let store = store.clone();
                async move {
                    let id = uuid::Uuid::new_v4().to_string();
                    let stored = store
                        .write(move |c| {
                            Ok(c.execute(
                                "INSERT INTO bare (id, body) VALUES (?1, ?2)",
                                [id, body],
                            )?)
                        })
                        .await;
                    if stored.is_ok() { "stored" } else { "failed" }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!(
            "bare listening on {}",
            listener.local_addr().expect("address")
        );
        axum::serve(listener, app).await.expect("serve");
    });
}

async fn run(dir: &Path, credentials: &[(String, String)], duration: Duration) {
    let observers = credentials.len();
    let db = dir.join("mission.db");
    let binary = fieldreport_binary();
    assert!(
        binary.exists(),
        "build it first: cargo build --release ({})",
        binary.display()
    );

    let mut serve = Command::new(&binary);
    serve.args([
        "serve",
        "--db",
        db.to_str().expect("utf-8"),
        "--listen",
        "127.0.0.1:0",
    ]);
    serve
        .env("RUST_LOG", "warn")
        .env("FIELDREPORT_ADDRESS_FAILURE_LIMIT", "100000");
    if let Ok(arenas) = std::env::var("BENCH_MALLOC_ARENA_MAX") {
        serve.env("MALLOC_ARENA_MAX", arenas);
    }
    let server = start(serve, "fieldreport is listening on ");
    let sessions = sign_in_all(server.address, credentials).await;
    let after_sign_in = server.watch_rss().finish();
    let watch = server.watch_rss();
    let cpu_before = cpu_seconds(server.child.id());
    let filing = load(server.address, &sessions, duration).await;
    let filing_cpu = cpu_seconds(server.child.id()) - cpu_before;
    let filing_rss = watch.finish();
    let signing_in_peak = server.peak_rss_mib();
    drop(server);

    let mut bare = Command::new(std::env::current_exe().expect("exe"));
    bare.env(BARE_SERVER, dir.join("bare.db"));
    let bare_server = start(bare, "bare listening on ");
    let watch = bare_server.watch_rss();
    let cpu_before = cpu_seconds(bare_server.child.id());
    let baseline = load_bare(bare_server.address, observers, duration).await;
    let bare_cpu = cpu_seconds(bare_server.child.id()) - cpu_before;
    let bare_rss = watch.finish();
    drop(bare_server);

    println!(
        "{observers} concurrent observers, {} s each run, loopback HTTP/1.1",
        duration.as_secs()
    );
    println!(
        "{:<44} {:>10} {:>9} {:>9} {:>9} {:>13}",
        "", "reports/s", "p50 ms", "p99 ms", "max MiB", "server CPU µs"
    );
    filing.print(
        "filing (session, CSRF, validation, commit)",
        filing_rss,
        filing_cpu,
    );
    baseline.print("bare endpoint (insert a row, commit)", bare_rss, bare_cpu);
    let ratio = filing.per_second() / baseline.per_second();
    println!("ratio filing / bare: {ratio:.2}");
    println!(
        "max MiB: the server's highest resident memory sampled every 50 ms during the run; \
         fieldreport's peak including the {observers} sign-ins before it: {signing_in_peak:.1} MiB, \
         {after_sign_in:.1} MiB after them"
    );
    println!(
        "server CPU µs: the server process's user and system time during the run per report \
         answered (the load generator shares the cores, so throughput moves with the machine's \
         load more than this does)"
    );
    // Issue 13's targets, beside what this run measured.
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("targets (issue 13):");
    println!(
        "  filing >= {FILING_PER_SECOND} reports/s: {:.0} ({})",
        filing.per_second(),
        met(filing.per_second() >= FILING_PER_SECOND)
    );
    println!(
        "  filing / bare >= {RATIO_TO_BARE}: {ratio:.2} ({})",
        met(ratio >= RATIO_TO_BARE)
    );
    println!(
        "  filing p99 <= {P99_MS} ms: {:.1} ms ({})",
        filing.percentile(0.99),
        met(filing.percentile(0.99) <= P99_MS)
    );
    println!(
        "  filing max RSS <= {MAX_RSS_MIB} MiB: {filing_rss:.1} MiB ({})",
        met(filing_rss <= MAX_RSS_MIB)
    );
}

/// Issue 13's filing targets at 200 observers on a 2-core machine.
const FILING_PER_SECOND: f64 = 10_000.0;
const RATIO_TO_BARE: f64 = 0.5;
const P99_MS: f64 = 50.0;
const MAX_RSS_MIB: f64 = 64.0;

/// User plus system CPU time a process has used so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // The command name, in parentheses, may hold spaces: fields are counted after it.
    let Some(after_name) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return f64::NAN;
    };
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    // Linux reports these in USER_HZ, 100 on every architecture it runs on.
    ticks / 100.0
}

/// A mission with the demo geography and forms, and `observers` observer accounts.
fn prepare(db: &Path, observers: usize) -> Vec<(String, String)> {
    let store = Store::open(db, OpenMode::CreateIfMissing).expect("open");
    let size = fieldreport::demo::DemoSize {
        reports: 0,
        observers: 0,
        ..Default::default()
    };
    fieldreport::demo::ensure(&store, size, &|_| {}).expect("demo");
    let mission = store
        .read_blocking(|c| missions::by_slug(c, fieldreport::demo::SLUG))
        .expect("mission");
    let password = NewPassword::parse("bench password 1").expect("valid");
    let hash = hash_password(&password).expect("hash");
    let mut credentials = Vec::new();
    for n in 0..observers {
        let username = format!("bench{n:05}");
        let member = NewMember {
            mission_id: mission.id,
            username: Username::parse(&username).expect("valid"),
            display_name: username.clone(),
            phone: None,
            role: Role::Observer,
            password_hash: hash.clone(),
        };
        store
            .write_blocking(move |c| users::create(c, &member, &Actor::command_line()))
            .expect("user");
        credentials.push((username, password.expose().to_owned()));
    }
    credentials
}

/// A signed-in observer: their cookie and what a Voting page hands them.
struct Session {
    cookie: String,
    csrf: String,
    form_id: String,
    region_id: String,
    observed_at: String,
}

async fn sign_in_all(address: SocketAddr, credentials: &[(String, String)]) -> Vec<Session> {
    let http = client();
    let base = format!("http://{address}");
    let mut sessions = Vec::new();
    for (username, password) in credentials {
        let cookie = sign_in(&http, &base, username, password).await;
        // Any polling station will do: the first one of the demo.
        let page = http
            .get(format!(
                "{base}/m/kenya-2017/observer/file/voting/{}",
                first_station(&base, &http, &cookie).await
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("form")
            .text()
            .await
            .expect("html");
        sessions.push(Session {
            cookie,
            csrf: hidden(&page, "_csrf"),
            form_id: hidden(&page, "form_id"),
            region_id: hidden(&page, "region_id"),
            observed_at: hidden(&page, "observed_at"),
        });
    }
    sessions
}

async fn first_station(base: &str, http: &reqwest::Client, cookie: &str) -> String {
    let picker = http
        .get(format!(
            "{base}/m/kenya-2017/observer/file/voting?q=Primary"
        ))
        .header("cookie", cookie)
        .send()
        .await
        .expect("picker")
        .text()
        .await
        .expect("html");
    let start =
        picker.find("/observer/file/voting/").expect("a station") + "/observer/file/voting/".len();
    picker[start..start + picker[start..].find('"').expect("end")].to_owned()
}

/// Latencies of one run.
struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
    failures: usize,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted
            .get(index)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }

    fn print(&self, what: &str, rss: f64, cpu_seconds: f64) {
        let cpu_per_report = cpu_seconds * 1e6 / self.latencies.len().max(1) as f64;
        println!(
            "{what:<44} {:>10.0} {:>9.1} {:>9.1} {:>9.1} {:>13.0}{}",
            self.per_second(),
            self.percentile(0.5),
            self.percentile(0.99),
            rss,
            cpu_per_report,
            if self.failures > 0 {
                format!("  ({} failed)", self.failures)
            } else {
                String::new()
            }
        );
    }
}

const VOTING: [(&str, &str); 8] = [
    ("q.observers_access", "yes"),
    ("q.boxes_sealed", "no"),
    ("q.kit_working", "yes"),
    ("q.ink_checked", "yes"),
    ("q.ink_applied", "yes"),
    ("q.secrecy_respected", "yes"),
    ("q.intimidation", "no"),
    ("q.voting_assessment", "good"),
];

async fn load(address: SocketAddr, sessions: &[Session], duration: Duration) -> Run {
    let url = Arc::new(format!("http://{address}/m/kenya-2017/observer/file"));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for session in sessions {
        let http = client();
        let url = Arc::clone(&url);
        let (cookie, csrf, form_id, region_id, observed_at) = (
            session.cookie.clone(),
            session.csrf.clone(),
            session.form_id.clone(),
            session.region_id.clone(),
            session.observed_at.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut failures) = (Vec::new(), 0);
            let mut sent_before = 0_u32;
            while Instant::now() < deadline {
                let id = uuid::Uuid::new_v4().to_string();
                // Each report says something else: the same answers again, observed at the
                // same time, would be taken for the last report sent again.
                let turned_away = (sent_before % 5001).to_string();
                sent_before += 1;
                let mut fields = vec![
                    ("_csrf", csrf.as_str()),
                    ("submission_id", id.as_str()),
                    ("form_id", form_id.as_str()),
                    ("region_id", region_id.as_str()),
                    ("observed_at", observed_at.as_str()),
                    ("q.arrival_time", observed_at.as_str()),
                    ("q.turned_away", turned_away.as_str()),
                ];
                fields.extend_from_slice(&VOTING);
                let body = serde_urlencoded::to_string(&fields).expect("form");
                let sent = Instant::now();
                let response = http
                    .post(url.as_str())
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("cookie", &cookie)
                    .body(body)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status() == 303 => latencies.push(sent.elapsed()),
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    collect(tasks, started).await
}

async fn load_bare(address: SocketAddr, clients: usize, duration: Duration) -> Run {
    let url = Arc::new(format!("http://{address}/bare"));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let http = client();
        let url = Arc::clone(&url);
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut failures) = (Vec::new(), 0);
            while Instant::now() < deadline {
                let sent = Instant::now();
                match http
                    .post(url.as_str())
                    .body("observers_access=yes&boxes_sealed=no")
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => latencies.push(sent.elapsed()),
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    collect(tasks, started).await
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<(Vec<Duration>, usize)>>,
    started: Instant,
) -> Run {
    let mut run = Run {
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
        failures: 0,
    };
    for task in tasks {
        let (latencies, failures) = task.await.expect("task");
        run.latencies.extend(latencies);
        run.failures += failures;
    }
    run.elapsed = started.elapsed();
    run
}
