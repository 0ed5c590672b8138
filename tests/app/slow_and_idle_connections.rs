//! Slow, idle and greedy clients cannot keep observers out: connections are capped in all
//! and per address, each is cut when its client keeps it waiting (before a request, in
//! its head, in its body, or by not reading the answer), and a stalled download gives
//! back its place for other users' and missions' exports.

use crate::common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{MISSION, TestApp, password_of, voting_fine};
use fieldreport::Config;
use fieldreport::domain::role::Role;
use fieldreport::server::{Limits, Timeouts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A connection to `server` from the loopback address `local` (127.0.0.2 and so on are
/// other clients as the server sees them).
async fn connect_from(local: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{local}:0").parse().expect("a local address"))
        .expect("bind");
    socket.connect(server).await.expect("connect")
}

/// The observer, signed in from the loopback address `local` of the app at `base`.
async fn observer_signed_in_from(base: &str, local: &str) -> common::Browser {
    let mut observer = common::Browser::new(base, Some(local.parse().expect("an address")));
    let signed_in = observer.sign_in("observer", &password_of("observer")).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    observer
}

fn address_of(base: &str) -> SocketAddr {
    base.trim_start_matches("http://")
        .parse()
        .expect("the app's address")
}

/// Reads until the server closes the connection, and says how long that took; None if it
/// is still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((started.elapsed(), got)),
            Ok(Ok(n)) => got.extend_from_slice(&buffer[..n]),
        }
    }
}

/// `fieldreport serve` as a process of its own, started with the open-files limit most
/// systems give a program (1,024), as it is on a server nobody tuned.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_binary(db: &Path, extra: &[&str]) -> Served {
    use std::io::BufRead;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -Sn 1024 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_fieldreport"))
        .args(["serve", "--db"])
        .arg(db)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fieldreport serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("fieldreport says where it listens")
            .expect("a line");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .expect("an address")
                .trim_end_matches('/')
                .to_owned();
        }
    };
    Served { child, base }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_slow_connections_do_not_keep_an_observer_out() {
    // This test holds 2,000 connections itself.
    let files = fieldreport::server::raise_open_files_limit();
    assert!(
        files >= 4_096,
        "the test needs 4,096 open files, it may have {files}"
    );
    let app = TestApp::new().await;
    let station = app.region_id(4, "0001001").await;
    let served = serve_binary(&app.db_path(), &["--header-timeout-secs", "3"]);
    let server = address_of(&served.base);

    // Each sends the start of a request head and then nothing, from eight addresses.
    let mut slow = Vec::with_capacity(2_000);
    for n in 0..2_000 {
        let mut stream = connect_from(&format!("127.0.0.{}", 2 + n % 8), server).await;
        stream
            .write_all(b"POST /login HTTP/1.1\r\nHost: fieldreport\r\n")
            .await
            .expect("a slow start");
        slow.push(stream);
    }
    let held_at = Instant::now();

    let started = Instant::now();
    let mut observer = observer_signed_in_from(&served.base, "127.0.0.10").await;
    let (_, filed) = observer.file("voting", station, &voting_fine()).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "signing in and filing took {took:?} beside 2,000 slow connections"
    );
    assert!(
        held_at.elapsed() < Duration::from_secs(3),
        "the slow connections were still held while the observer filed"
    );
    assert_eq!(app.count("SELECT count(*) FROM reports").await, 1);

    // None of them finished its head: each is cut once the header timeout passes.
    for stream in &mut slow {
        let closed = closed_within(stream, Duration::from_secs(6)).await;
        assert!(closed.is_some(), "a slow connection was still open");
    }
}

/// Limits small enough for a test to watch them work.
fn quick() -> (Config, Limits) {
    let config = Config {
        body_timeout: Duration::from_secs(1),
        ..Config::default()
    };
    let limits = Limits {
        timeouts: Timeouts {
            header: Duration::from_secs(1),
            idle: Duration::from_secs(1),
            send: Duration::from_secs(1),
        },
        ..Limits::default()
    };
    (config, limits)
}

#[tokio::test]
async fn a_client_that_keeps_the_server_waiting_is_cut() {
    let (config, limits) = quick();
    let app = TestApp::with_limits(config, limits).await;
    let server = address_of(&app.base);
    let second = Duration::from_secs(1);
    let margin = Duration::from_millis(900);

    // Connected, and never a byte: the idle timeout.
    let mut silent = connect_from("127.0.0.2", server).await;
    let (took, _) = closed_within(&mut silent, second + margin)
        .await
        .expect("a silent connection is closed");
    assert!(took >= Duration::from_millis(900), "{took:?}");

    // A request answered, then nothing: the same timeout ends the kept-alive connection.
    let mut kept = connect_from("127.0.0.2", server).await;
    kept.write_all(b"GET /login HTTP/1.1\r\nHost: fieldreport\r\n\r\n")
        .await
        .expect("request");
    let (_, answer) = closed_within(&mut kept, 2 * second + margin)
        .await
        .expect("closed after its idle time");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "answered first");

    // A head that trickles in, a header line at a time: bytes keep coming, so only the
    // header timeout can end it.
    let mut trickle = connect_from("127.0.0.3", server).await;
    trickle
        .write_all(b"GET /login HTTP/1.1\r\n")
        .await
        .expect("start");
    let started = Instant::now();
    let cut = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if trickle.write_all(b"X-Slow: yes\r\n").await.is_err() {
            break started.elapsed();
        }
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), trickle.read(&mut byte)).await
        {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < 3 * second,
            "a trickled head was never cut"
        );
    };
    assert!(cut >= Duration::from_millis(900), "{cut:?}");

    // A body that trickles in: refused as sent too slowly.
    let mut body = connect_from("127.0.0.4", server).await;
    body.write_all(
        b"POST /login HTTP/1.1\r\nHost: fieldreport\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=",
    )
    .await
    .expect("head");
    let started = Instant::now();
    let mut answer = Vec::new();
    while started.elapsed() < 3 * second {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = body.write_all(b"x").await;
        let mut buffer = [0u8; 4096];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), body.read(&mut buffer)).await
        {
            answer.extend_from_slice(&buffer[..n]);
            if n == 0 || answer.len() > 12 {
                break;
            }
        }
    }
    assert!(
        answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // Through it all, others are served at once.
    let page = app.browser().get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn past_its_share_an_address_is_refused_at_once_and_others_get_in() {
    let (config, _) = quick();
    let limits = Limits {
        max_connections: 60,
        max_connections_per_address: 50,
        ..Limits::default()
    };
    let app = TestApp::with_limits(config, limits).await;
    let server = address_of(&app.base);
    let mut held = Vec::new();
    for _ in 0..50 {
        held.push(connect_from("127.0.0.2", server).await);
    }
    // The 51st from the same address: a short 503, at once.
    let mut one_more = connect_from("127.0.0.2", server).await;
    let (took, answer) = closed_within(&mut one_more, Duration::from_secs(1))
        .await
        .expect("refused and closed");
    assert!(took < Duration::from_millis(500), "{took:?}");
    let answer = String::from_utf8(answer).expect("text");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .and_then(|n| n.parse().ok())
        .expect("a length");
    assert_eq!(body.len(), length, "the whole answer: {body}");
    assert!(
        body.contains("try again") && body.contains("réessayez") && body.contains("jaribu tena")
    );
    // Another address is served.
    let mut other = common::Browser::new(&app.base, Some("127.0.0.3".parse().expect("ip")));
    assert_eq!(other.get("/login").await.status, StatusCode::OK);
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(other.get("/login").await.status, StatusCode::OK);
}

/// With every place taken by connections that send nothing, a newcomer still gets in: the
/// connection that has waited longest for a request is closed to make room for it.
#[tokio::test]
async fn a_full_server_makes_room_for_an_observer_by_closing_a_silent_connection() {
    let (config, _) = quick();
    let limits = Limits {
        max_connections: 20,
        ..Limits::default()
    };
    let app = TestApp::with_limits(config, limits).await;
    let server = address_of(&app.base);
    let mut silent = Vec::new();
    for n in 0..20 {
        silent.push(connect_from(&format!("127.0.0.{}", 2 + n % 4), server).await);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    observer_signed_in_from(&app.base, "127.0.0.9").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let mut closed = 0;
    for stream in &mut silent {
        if closed_within(stream, Duration::from_millis(20))
            .await
            .is_some()
        {
            closed += 1;
        }
    }
    assert!(closed >= 1, "a silent connection made room");
}

/// Starts an export that its client never reads, with a receive buffer kept small so that
/// the export soon waits on it.
async fn stall_an_export(server: SocketAddr, session: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let mut stream = socket.connect(server).await.expect("connect");
    let request = format!(
        "GET /m/{MISSION}/review/export.json HTTP/1.1\r\nHost: fieldreport\r\nCookie: fr_session={session}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("request");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_download_blocks_no_other_users_or_missions_export() {
    let app = TestApp::new().await;
    app.generate_reports(10_000, 5).await;
    common::add_user(
        &app.store,
        app.other_mission_id,
        "coordinator-b",
        Role::Coordinator,
    )
    .await;
    let server = address_of(&app.base);
    let coordinator = app.signed_in("coordinator").await;
    let lead = app.signed_in("lead").await;
    // Both of this mission's reviewers stop reading their downloads.
    let mut stalled = [
        stall_an_export(server, &coordinator.session_cookie().expect("session")).await,
        stall_an_export(server, &lead.session_cookie().expect("session")).await,
    ];
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stalled_at = Instant::now();

    // Another mission's export goes through at once.
    let mut other = app.signed_in("coordinator-b").await;
    let started = Instant::now();
    let page = other.get("/m/other-2019/review/export.json").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let _: serde_json::Value = serde_json::from_str(&page.body).expect("a whole export");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // The stalled user's own next export waits for its place, then is told to retry...
    let mut again = coordinator.clone();
    let busy = again.get(&format!("/m/{MISSION}/review/export.json")).await;
    assert_eq!(
        busy.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the stalled export held its place"
    );
    // ...until the stalled download is abandoned and gives its place back.
    let page = loop {
        let page = again.get(&format!("/m/{MISSION}/review/export.json")).await;
        if page.status == StatusCode::OK || stalled_at.elapsed() > Duration::from_secs(30) {
            break page;
        }
    };
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the stalled download was never abandoned"
    );
    let reports: Vec<serde_json::Value> = serde_json::from_str(&page.body).expect("whole");
    assert_eq!(reports.len(), 10_000);
    assert!(
        stalled_at.elapsed() < Duration::from_secs(20),
        "abandoned after {:?}",
        stalled_at.elapsed()
    );
    // What the stalled client gets when it reads again is cut off, not a whole-looking
    // file: no last chunk ends it.
    let (_, got) = closed_within(&mut stalled[0], Duration::from_secs(40))
        .await
        .expect("the abandoned download ends");
    assert!(got.starts_with(b"HTTP/1.1 200"), "it had begun");
    assert!(
        !got.ends_with(b"0\r\n\r\n"),
        "an abandoned export ended like a whole one"
    );
}
