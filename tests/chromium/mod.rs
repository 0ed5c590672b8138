//! Headless Chromium driven through chromedriver, for browser tests. Uses Debian's
//! `chromium` and `chromium-driver` (installed by `.ci/run`); never downloads a browser.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session; call [`Chromium::quit`] at the end of the test.
pub struct Chromium {
    driver: Child,
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Chromium {
    /// A phone: 360 x 640 CSS pixels, touch, mobile user agent.
    pub async fn phone() -> Chromium {
        Chromium::start(360, 640, true, true).await
    }

    /// A phone whose browser runs no JavaScript (turned off, or too old for the script).
    pub async fn phone_without_script() -> Chromium {
        Chromium::start(360, 640, true, false).await
    }

    /// A laptop screen, as coordinators' and leads' are: 1366 x 768.
    pub async fn laptop() -> Chromium {
        Chromium::start(1366, 768, false, true).await
    }

    async fn start(width: u32, height: u32, mobile: bool, script: bool) -> Chromium {
        for program in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(program).exists(),
                "{program} is missing: install it with `apt-get install -y chromium chromium-driver` (bash .ci/run does)"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={width},{height}"),
        ];
        let mut options = json!({ "binary": CHROMIUM, "args": args });
        if mobile {
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": true, "mobile": true }
            });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        // chromedriver takes a moment to listen.
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    let browser = Chromium {
                        driver,
                        client,
                        _profile: profile,
                    };
                    if !script {
                        // The pages' one script never loads, so none of theirs runs; the
                        // driver's own scripts still do (turning JavaScript off would stop
                        // them, and with them every click).
                        for (cmd, params) in [
                            ("Network.enable", json!({})),
                            (
                                "Network.setBlockedURLs",
                                json!({ "urls": ["*/static/outbox*"] }),
                            ),
                        ] {
                            browser
                                .client
                                .issue_cmd(DevTools { cmd, params })
                                .await
                                .unwrap_or_else(|e| panic!("{cmd}: {e}"));
                        }
                    }
                    return browser;
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot start a browser session: {last_error}");
    }

    /// Signs in through the sign-in page and waits for the signed-in page that follows.
    pub async fn sign_in(&self, base: &str, username: &str, password: &str) {
        let c = &self.client;
        c.goto(&format!("{base}/login")).await.expect("login page");
        c.find(fantoccini::Locator::Id("username"))
            .await
            .expect("username")
            .send_keys(username)
            .await
            .expect("type");
        c.find(fantoccini::Locator::Id("password"))
            .await
            .expect("password")
            .send_keys(password)
            .await
            .expect("type");
        c.find(fantoccini::Locator::Css("form.stack button"))
            .await
            .expect("button")
            .click()
            .await
            .expect("sign in");
        self.wait_for(fantoccini::Locator::Css("nav")).await;
    }

    /// Waits (up to ten seconds, not for ever) for an element to appear.
    pub async fn wait_for(
        &self,
        locator: fantoccini::Locator<'_>,
    ) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(locator)
            .await
        {
            Ok(element) => element,
            Err(e) => {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                panic!("{locator:?} did not appear on {url}: {e}")
            }
        }
    }

    /// Waits (up to ten seconds) until an element's text contains `needle`, and returns the
    /// text. After a click that loads a new page, the old page's element may answer first
    /// or go stale: both are waited out.
    pub async fn wait_for_text(&self, locator: fantoccini::Locator<'_>, needle: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(element) = self.client.find(locator).await {
                if let Ok(text) = element.text().await {
                    if text.contains(needle) {
                        return text;
                    }
                    last = text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        panic!("{locator:?} on {url} never showed {needle:?}; last: {last:?}")
    }

    /// Saves a screenshot as `target/screenshots/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// The page's width in CSS pixels, including anything that overflows sideways.
    pub async fn scroll_width(&self) -> u64 {
        let width = self
            .client
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .expect("width");
        width.as_u64().expect("a number")
    }

    /// Fills a report form as an observer would: each date-time field set as its picker
    /// would set it (pickers are not typed into), then each choice tapped by its label, as a
    /// thumb would (the whole row is the target).
    pub async fn fill_form(&self, date_times: &[(&str, &str)], choices: &[(&str, &str)]) {
        for (question, value) in date_times {
            self.client
                .execute(
                    "document.getElementById(arguments[0]).value = arguments[1]",
                    vec![format!("q-{question}-input").into(), (*value).into()],
                )
                .await
                .expect("set a date and time");
        }
        for (question, answer) in choices {
            self.client
                .find(fantoccini::Locator::Css(&format!(
                    "label[for='q-{question}-{answer}']"
                )))
                .await
                .unwrap_or_else(|e| panic!("option {question}={answer}: {e}"))
                .click()
                .await
                .expect("tap");
        }
    }

    /// Taps the report form's send button.
    pub async fn send_report(&self) {
        self.client
            .find(fantoccini::Locator::Css("button.send"))
            .await
            .expect("the send button")
            .click()
            .await
            .expect("tap send");
    }

    /// Makes the page's network slow (latency in ms, throughput in bytes per second each
    /// way) or, with `offline`, absent, through the DevTools protocol.
    pub async fn emulate_network(&self, offline: bool, latency_ms: u32, bytes_per_second: u32) {
        for (cmd, params) in [
            ("Network.enable", json!({})),
            (
                "Network.emulateNetworkConditions",
                json!({
                    "offline": offline,
                    "latency": latency_ms,
                    "downloadThroughput": bytes_per_second,
                    "uploadThroughput": bytes_per_second,
                }),
            ),
        ] {
            self.client
                .issue_cmd(DevTools { cmd, params })
                .await
                .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        }
    }

    /// Makes the browser one without service workers for every page opened from now on,
    /// as some phones' browsers are: pages see no `navigator.serviceWorker`.
    pub async fn without_service_workers(&self) {
        self.client
            .issue_cmd(DevTools {
                cmd: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({ "source": "delete Navigator.prototype.serviceWorker;" }),
            })
            .await
            .unwrap_or_else(|e| panic!("Page.addScriptToEvaluateOnNewDocument: {e}"));
    }

    /// Saves the browser's downloads into `dir`, without asking, as a user who clicked
    /// "save" would. Without it, Chromium saves them in the user's `~/Downloads`, which a
    /// test neither owns nor cleans up.
    pub async fn download_to(&self, dir: &Path) {
        let dir = dir
            .to_str()
            .expect("a download directory with a UTF-8 path");
        self.client
            .issue_cmd(DevTools {
                cmd: "Browser.setDownloadBehavior",
                params: json!({ "behavior": "allow", "downloadPath": dir }),
            })
            .await
            .unwrap_or_else(|e| panic!("Browser.setDownloadBehavior: {e}"));
    }

    /// Lays the page out for another medium (`print`, `screen`) through the DevTools
    /// protocol, as the print preview does; an empty medium goes back to the screen's.
    pub async fn emulate_media(&self, media: &str) {
        self.client
            .issue_cmd(DevTools {
                cmd: "Emulation.setEmulatedMedia",
                params: json!({ "media": media }),
            })
            .await
            .unwrap_or_else(|e| panic!("Emulation.setEmulatedMedia: {e}"));
    }

    /// Whether each element a CSS selector picks is drawn (neither it nor a parent has
    /// `display: none`), in document order.
    pub async fn drawn(&self, selector: &str) -> Vec<bool> {
        let drawn = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.checkVisibility())",
                vec![selector.into()],
            )
            .await
            .unwrap_or_else(|e| panic!("visibility of {selector}: {e}"));
        serde_json::from_value(drawn).expect("a list of booleans")
    }

    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }
}

/// A DevTools protocol command, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}
