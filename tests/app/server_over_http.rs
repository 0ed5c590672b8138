//! The real binary, serving the demo mission on a loopback port, signed in over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `fieldreport demo` on a free port; returns the server, its base URL and the
/// printed (role, username, password) lines.
fn start_demo(db: &std::path::Path) -> (Server, String, Vec<(String, String, String)>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldreport"))
        .args([
            "demo",
            "--db",
            db.to_str().expect("utf-8 path"),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start demo");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut accounts = Vec::new();
    loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("demo output");
        if let Some(rest) = line.strip_prefix("fieldreport is listening on ") {
            let url = rest
                .split_whitespace()
                .next()
                .expect("url")
                .trim_end_matches('/')
                .to_owned();
            return (server, url, accounts);
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [role, username, password, ..] = fields[..] {
            if ["admin", "lead", "coordinator", "observer"].contains(&role) {
                accounts.push((role.to_owned(), username.to_owned(), password.to_owned()));
            }
        }
    }
}

fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field") + marker.len();
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

/// Opens the sign-in form and sends it, as a browser would.
async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let form = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page");
    assert_eq!(form.status(), 200);
    let nonce = cookie_value(&form, "fr_sign_in").expect("form cookie");
    let csrf = hidden(&form.text().await.expect("html"), "_csrf");
    let body = serde_urlencoded::to_string([
        ("_csrf", csrf.as_str()),
        ("username", username),
        ("password", password),
    ])
    .expect("encode");
    client
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("fr_sign_in={nonce}"))
        .body(body)
        .send()
        .await
        .expect("sign in")
}

#[tokio::test]
async fn demo_serves_on_loopback_and_every_printed_account_signs_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let (server, base, accounts) = start_demo(&db);
    assert_eq!(
        accounts.len(),
        9,
        "admin, lead, coordinator and six observers"
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    for (role, username, password) in &accounts {
        let response = sign_in(&client, &base, username, password).await;
        assert_eq!(response.status(), 303, "{username}");
        let home = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let expected = match role.as_str() {
            "observer" => "/m/kenya-2017/observer",
            "admin" => "/m/kenya-2017/admin",
            _ => "/m/kenya-2017/overview",
        };
        assert_eq!(home, expected, "{username}");
        let session = cookie_value(&response, "fr_session").expect("session cookie");
        let page = client
            .get(format!("{base}{home}"))
            .header("cookie", format!("fr_session={session}"))
            .send()
            .await
            .expect("home");
        assert_eq!(page.status(), 200, "{username}");
        let html = page.text().await.expect("html");
        assert!(html.contains("Kenya 2017 General Election"), "{username}");
        if username == "observer1" {
            assert!(
                html.contains("Port reitz") && html.contains("3 polling stations"),
                "{html}"
            );
        }
    }
    drop(server);

    // Started again on the same file, the demo is found, not duplicated, and the
    // passwords printed the first time no longer work.
    let (_server, base, again) = start_demo(&db);
    assert_eq!(again.len(), 9);
    assert_ne!(again[0].2, accounts[0].2, "fresh passwords");
    let (_, username, old_password) = &accounts[0];
    let refused = sign_in(&client, &base, username, old_password).await;
    assert_eq!(refused.status(), 422, "old passwords are gone");
    let (_, username, new_password) = &again[0];
    assert_eq!(
        sign_in(&client, &base, username, new_password)
            .await
            .status(),
        303
    );
    let health: serde_json::Value = client
        .get(format!("{base}/api/health"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
}
