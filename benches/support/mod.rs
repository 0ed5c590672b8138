//! What the benchmarks share: fieldreport started as a child process (its memory is its
//! own), an HTTP client, and signing in.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    pub address: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Peak resident memory of the server process, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        memory_mib(self.child.id(), "VmHWM:")
    }

    /// Samples the server's resident memory every 50 ms until the returned guard is
    /// finished, and gives the highest figure seen: memory during one phase only.
    pub fn watch_rss(&self) -> RssWatch {
        let pid = self.child.id();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let sampler = std::thread::spawn(move || {
            let mut highest = memory_mib(pid, "VmRSS:");
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(50));
                highest = highest.max(memory_mib(pid, "VmRSS:"));
            }
            highest
        });
        RssWatch { stop, sampler }
    }
}

/// A running sample of a process's resident memory.
pub struct RssWatch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sampler: std::thread::JoinHandle<f64>,
}

impl RssWatch {
    /// The highest resident memory seen, in MiB.
    pub fn finish(self) -> f64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.sampler.join().unwrap_or(f64::NAN)
    }
}

fn memory_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Starts a server and waits for the line that says where it listens.
pub fn start(mut command: Command, marker: &str) -> Server {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    // Owned by the guard at once, so that it is killed and reaped however this ends.
    let mut server = Server {
        child,
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let stdout = server.child.stdout.take().expect("stdout");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    loop {
        let line = lines.next().expect("server output").expect("line");
        if let Some(rest) = line.strip_prefix(marker) {
            let address = rest
                .trim()
                .trim_start_matches("http://")
                .split(['/', ' '])
                .next()
                .expect("address");
            let address = address.parse().expect("socket address");
            // Keep draining the pipe so the server never blocks on a full one.
            std::thread::spawn(move || lines.for_each(drop));
            server.address = address;
            return server;
        }
    }
}

/// The `fieldreport` binary cargo built beside the benchmark.
pub fn fieldreport_binary() -> PathBuf {
    // cargo builds the main binary next to this bench's target directory.
    let here = std::env::current_exe().expect("exe");
    here.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("fieldreport")
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).expect("field");
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Signs in through the sign-in page and returns the session cookie (`fr_session=...`).
pub async fn sign_in(http: &reqwest::Client, base: &str, username: &str, password: &str) -> String {
    let form = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page");
    let nonce = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("fr_sign_in="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .expect("nonce");
    let token = hidden(&form.text().await.expect("html"), "_csrf");
    let body = serde_urlencoded::to_string([
        ("_csrf", token.as_str()),
        ("username", username),
        ("password", password),
    ])
    .expect("form");
    let signed_in = http
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("fr_sign_in={nonce}"))
        .body(body)
        .send()
        .await
        .expect("sign in");
    signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fr_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .expect("session")
}
