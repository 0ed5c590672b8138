//! Shared test harness: the real Router on a fresh SQLite file, and a small browser that
//! keeps cookies and reads CSRF tokens from pages.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{Next, from_fn};
use fieldreport::credentials::hash_password;
use fieldreport::domain::account::{NewPassword, Username};
use fieldreport::domain::form::FormDefinition;
use fieldreport::domain::geography::{ImportScheme, StationColumns, plan_import};
use fieldreport::domain::mission::NewMission;
use fieldreport::domain::role::Role;
use fieldreport::server::Limits;
use fieldreport::store::audit::Actor;
use fieldreport::store::users::NewMember;
use fieldreport::store::{OpenMode, Store, forms, missions, regions, users};
use fieldreport::{AppState, Config};
use tempfile::TempDir;

pub const MISSION: &str = "test-2017";
pub const OTHER_MISSION: &str = "other-2019";

/// A small geography: two counties, three constituencies, four wards, five stations.
pub const GEOGRAPHY: &str = "\
county_code,county,constituency_code,constituency,ward_code,ward,ps_code,ps_name,voters
001,Mombasa,001,Changamwe,0001,Port Reitz,0001001,Port Reitz Primary,512
001,Mombasa,001,Changamwe,0001,Port Reitz,0001002,Bomu Hall,300
001,Mombasa,002,Jomvu,0006,Jomvu Kuu,0006001,Jomvu Kuu School,
047,Nairobi,285,Westlands,1427,Parklands,1427001,Parklands Baptist,650
047,Nairobi,285,Westlands,1428,Kangemi,1428001,Kangemi Hall,420
";

/// The password every test user gets: `password-<username>`.
pub fn password_of(username: &str) -> String {
    format!("password-{username}")
}

/// A fresh database with two missions and one user per role in the first, served on a
/// loopback port exactly as `fieldreport serve` serves it: the same layers (compression
/// included), the same connection handling, a real socket.
pub struct TestApp {
    pub dir: TempDir,
    pub store: Store,
    pub state: AppState,
    /// Where the app listens: `http://127.0.0.1:PORT`.
    pub base: String,
    /// Requests that have reached the app.
    pub requests: Arc<AtomicUsize>,
    /// Their methods and paths, in the order they came.
    pub request_log: Arc<std::sync::Mutex<Vec<String>>>,
    pub mission_id: i64,
    pub other_mission_id: i64,
    /// The browsers of [`TestApp::signed_in_once`], by username.
    sessions: tokio::sync::Mutex<HashMap<String, Browser>>,
}

/// The users of every `TestApp`: (username, role, mission slug).
pub const USERS: [(&str, Role, &str); 6] = [
    ("admin", Role::Admin, MISSION),
    ("lead", Role::Lead, MISSION),
    ("coordinator", Role::Coordinator, MISSION),
    ("observer", Role::Observer, MISSION),
    ("observer2", Role::Observer, MISSION),
    ("outsider", Role::Admin, OTHER_MISSION),
];

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> TestApp {
        TestApp::with_limits(config, Limits::default()).await
    }

    pub async fn with_limits(config: Config, limits: Limits) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("test.db"), OpenMode::CreateIfMissing)
            .expect("open store");
        let (mission_id, other_mission_id) = store
            .write(|conn| {
                let m = NewMission::parse(
                    MISSION,
                    "Test Election 2017",
                    "Kenya",
                    "2017-08-08",
                    "Africa/Nairobi",
                )
                .expect("valid mission");
                let o = NewMission::parse(
                    OTHER_MISSION,
                    "Other Election",
                    "Kenya",
                    "2019-01-01",
                    "UTC",
                )
                .expect("valid mission");
                Ok((
                    missions::create(conn, &m)?.id,
                    missions::create(conn, &o)?.id,
                ))
            })
            .await
            .expect("missions");
        let scheme = ImportScheme::parse(
            "county:county_code:county,constituency:constituency_code:constituency,ward:ward_code:ward,polling_station:ps_code:ps_name",
            StationColumns { registered_voters: Some("voters".into()), ..Default::default() },
        )
        .expect("scheme");
        let plan = plan_import(&scheme, GEOGRAPHY.as_bytes()).expect("plan");
        store
            .write(move |conn| regions::import(conn, mission_id, &plan))
            .await
            .expect("geography");
        // The other mission has forms and a county of its own: ids that exist, but not here.
        let other_forms: Vec<FormDefinition> = fieldreport::demo::FORMS
            .iter()
            .map(|t| FormDefinition::from_toml(t).expect("demo form"))
            .collect();
        let other_plan = plan_import(
            &ImportScheme::parse("county:c:n", StationColumns::default()).expect("scheme"),
            "c,n\n099,Elsewhere\n".as_bytes(),
        )
        .expect("plan");
        store
            .write(move |conn| {
                regions::import(conn, other_mission_id, &other_plan)?;
                for form in &other_forms {
                    forms::import(conn, other_mission_id, form, &Actor::command_line())?;
                }
                Ok(())
            })
            .await
            .expect("other mission");
        let demo_forms: Vec<FormDefinition> = fieldreport::demo::FORMS
            .iter()
            .map(|t| FormDefinition::from_toml(t).expect("demo form"))
            .collect();
        store
            .write(move |conn| {
                for form in &demo_forms {
                    forms::import(conn, mission_id, form, &Actor::command_line())?;
                }
                Ok(())
            })
            .await
            .expect("forms");
        for (username, role, slug) in USERS {
            let id = if slug == MISSION {
                mission_id
            } else {
                other_mission_id
            };
            add_user(&store, id, username, role).await;
        }
        let state = AppState::new(store.clone(), config).expect("app state");
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let request_log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&request_log);
        // Counting sits outside everything the server does: it watches, it changes nothing.
        let router = fieldreport::app(state.clone()).layer(from_fn(
            move |request: axum::extract::Request, next: Next| {
                counter.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut log) = log.lock() {
                    log.push(format!("{} {}", request.method(), request.uri().path()));
                }
                next.run(request)
            },
        ));
        let address = serve(router, limits).await;
        TestApp {
            dir,
            store,
            state,
            base: format!("http://{address}"),
            requests,
            request_log,
            mission_id,
            other_mission_id,
            sessions: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// A browser with no cookies.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base, None)
    }

    /// A browser with no cookies whose connections come from `local` (another loopback
    /// address, such as 127.0.0.2: another client as the server sees it).
    pub fn browser_from(&self, local: IpAddr) -> Browser {
        Browser::new(&self.base, Some(local))
    }

    /// The database file the app serves.
    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("test.db")
    }

    /// Files `reports` reports of polling day in the test mission, drawn by the demo's
    /// generator from `seed`: every form, station, severity and hour, some reviewed.
    pub async fn generate_reports(&self, reports: usize, seed: u64) {
        use fieldreport::demo::generate::{Scale, generate_reports};
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            generate_reports(&store, MISSION, Scale { reports, seed }, &|_| {})
        })
        .await
        .expect("join")
        .expect("generated");
    }

    /// Requests that have reached the app so far.
    pub fn requests_served(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// A browser signed in as `username` (with the standard test password).
    pub async fn signed_in(&self, username: &str) -> Browser {
        let mut browser = self.browser();
        let response = browser.sign_in(username, &password_of(username)).await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "sign-in of {username}: {}",
            response.body
        );
        browser
    }

    /// A browser signed in as `username` on the one session this app's first call for that
    /// user signed in: for tests that need someone signed in, not a sign-in (a password check
    /// costs tens of milliseconds). Each browser it gives has its own copy of the cookies;
    /// signing out with one ends the session for all.
    pub async fn signed_in_once(&self, username: &str) -> Browser {
        let mut sessions = self.sessions.lock().await;
        if let Some(browser) = sessions.get(username) {
            return browser.clone();
        }
        let browser = self.signed_in(username).await;
        sessions.insert(username.to_owned(), browser.clone());
        browser
    }

    /// The id of a user.
    pub async fn user_id(&self, username: &str) -> i64 {
        let name = username.to_owned();
        self.store
            .read(move |conn| {
                Ok(users::credentials(conn, &name)?
                    .expect("user exists")
                    .user_id)
            })
            .await
            .expect("read")
    }

    /// The id of a region of the test mission by level depth and code.
    pub async fn region_id(&self, depth: i64, code: &str) -> i64 {
        let (mission, code) = (self.mission_id, code.to_owned());
        self.store
            .read(move |conn| Ok(regions::by_code(conn, mission, depth, &code)?.id))
            .await
            .expect("region")
    }

    /// Changes the database behind the app's back: simulates time passing.
    pub async fn execute(&self, sql: &'static str) {
        self.store
            .write(move |conn| Ok(conn.execute_batch(sql)?))
            .await
            .expect("execute");
    }

    /// Assigns a region (by level depth and code) to an observer.
    pub async fn assign(&self, username: &str, depth: i64, code: &str) {
        let user = self.user_id(username).await;
        let region = self.region_id(depth, code).await;
        let mission = self.mission_id;
        self.store
            .write(move |conn| users::assign(conn, mission, user, region, &Actor::command_line()))
            .await
            .expect("assign");
    }

    /// Runs a query that returns one text value.
    pub async fn text(&self, sql: &'static str) -> String {
        self.store
            .read(move |conn| Ok(conn.query_row(sql, [], |r| r.get(0))?))
            .await
            .expect("text")
    }

    /// Runs a query that returns one integer, for checks on what is stored.
    pub async fn count(&self, sql: &'static str) -> i64 {
        self.store
            .read(move |conn| Ok(conn.query_row(sql, [], |r| r.get(0))?))
            .await
            .expect("count")
    }
}

pub async fn add_user(store: &Store, mission_id: i64, username: &str, role: Role) -> i64 {
    let password = NewPassword::parse(&password_of(username)).expect("valid password");
    let member = NewMember {
        mission_id,
        username: Username::parse(username).expect("valid username"),
        display_name: format!("{username} name"),
        phone: None,
        role,
        password_hash: hash_password(&password).expect("hash"),
    };
    store
        .write(move |conn| {
            users::create(
                conn,
                &member,
                &fieldreport::store::audit::Actor::command_line(),
            )
        })
        .await
        .expect("create user")
}

/// What a request got back.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as text, decompressed if it came gzipped.
    pub body: String,
    /// The body's bytes, decompressed.
    pub bytes: Vec<u8>,
    /// How many bytes of body came over the wire (compressed, if it was).
    pub wire_bytes: usize,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The first hidden `_csrf` value on the page.
    pub fn csrf(&self) -> String {
        hidden_value(&self.body, "_csrf")
            .unwrap_or_else(|| panic!("no CSRF token on page:\n{}", self.body))
    }

    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

/// The value of the first `<input ... name="NAME" value="...">` in some HTML.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The name and value of every `<input type="hidden">` of the first form with this class,
/// unescaped, as a browser would send them.
pub fn form_fields(html: &str, class: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("class=\"{class}\""))
        .unwrap_or_else(|| panic!("no form.{class} in {html}"));
    let form = &html[start..start + html[start..].find("</form>").expect("the form's end")];
    let unescape = |v: &str| {
        v.replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#38;", "&")
            .replace("&amp;", "&")
    };
    form.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.strip_prefix(" value=\"")?.split('"').next()?;
            Some((unescape(name), unescape(value)))
        })
        .collect()
}

/// A cookie-keeping HTTP client of the app, which accepts gzip as every browser does.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    local: Option<IpAddr>,
    /// What the client keeps and sends, as a browser's cookie store does.
    pub cookies: Cookies,
    /// Sent as X-Forwarded-For, for apps configured to trust it.
    pub address: Option<String>,
    /// Sent with every request, as a script's fetch would (Accept, X-CSRF-Token); an
    /// Accept-Encoding here replaces the default `gzip`.
    pub headers: Vec<(&'static str, String)>,
}

/// A copy is another device that has the same cookies: what either keeps afterwards, the
/// other does not see.
impl Clone for Browser {
    fn clone(&self) -> Browser {
        let mut copy = Browser::with_cookies(&self.base, self.local, self.cookies.copy());
        copy.address.clone_from(&self.address);
        copy.headers.clone_from(&self.headers);
        copy
    }
}

impl Browser {
    /// A browser of the app at `base`, connecting from `local` if given.
    pub fn new(base: &str, local: Option<IpAddr>) -> Browser {
        let site = url::Url::parse(base).expect("the app's address");
        Browser::with_cookies(base, local, Cookies::empty(site))
    }

    fn with_cookies(base: &str, local: Option<IpAddr>, cookies: Cookies) -> Browser {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .local_address(local)
            .cookie_provider(Arc::clone(&cookies.jar))
            // A server that hangs fails the test instead of stopping it.
            .timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client");
        Browser {
            client,
            base: base.to_owned(),
            local,
            cookies,
            address: None,
            headers: Vec::new(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    /// Posts a form as given: no CSRF token is added.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).expect("encode form");
        self.send(Method::POST, path, Some(body.into_bytes())).await
    }

    /// Posts a form with the CSRF token a page would carry: the session's, found by
    /// opening `token_page` first.
    pub async fn post(&mut self, path: &str, token_page: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(token_page).await.csrf();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Fills in and sends the sign-in form.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post_raw(
            "/login",
            &[
                ("_csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Sends a request; a body goes as a web form.
    pub async fn send(&mut self, method: Method, path: &str, body: Option<Vec<u8>>) -> Page {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(address) = &self.address {
            request = request.header("x-forwarded-for", address);
        }
        if !self
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("accept-encoding"))
        {
            request = request.header(header::ACCEPT_ENCODING, "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        if let Some(bytes) = body {
            request = request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(bytes);
        }
        let response = request.send().await.expect("the request reached the app");
        let status = response.status();
        let headers = response.headers().clone();
        let wire = response.bytes().await.expect("the whole body").to_vec();
        let bytes = decoded(&headers, &wire);
        Page {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            wire_bytes: wire.len(),
            bytes,
            headers,
        }
    }

    /// Opens a form for a region and sends it with these answers (question keys without
    /// the `q.` prefix; repeat a key for several boxes). Returns the form page and the
    /// response to sending it.
    pub async fn file(
        &mut self,
        form_key: &str,
        region_id: i64,
        answers: &[(&str, &str)],
    ) -> (Page, Page) {
        self.open_and_send(form_key, region_id, answers, &[]).await
    }

    /// [`Browser::file`], confirming that the report is new even if it says what one filed
    /// just before says (which would otherwise be taken for that report sent again).
    pub async fn file_anew(
        &mut self,
        form_key: &str,
        region_id: i64,
        answers: &[(&str, &str)],
    ) -> (Page, Page) {
        self.open_and_send(form_key, region_id, answers, &[("again", "1")])
            .await
    }

    async fn open_and_send(
        &mut self,
        form_key: &str,
        region_id: i64,
        answers: &[(&str, &str)],
        overrides: &[(&str, &str)],
    ) -> (Page, Page) {
        let form = self
            .get(&format!(
                "/m/{MISSION}/observer/file/{form_key}/{region_id}"
            ))
            .await;
        assert_eq!(form.status, StatusCode::OK, "form page: {}", form.body);
        let response = self.send_form(&form, answers, overrides).await;
        (form, response)
    }

    /// Sends a form page's form with these answers; `overrides` replace hidden fields.
    pub async fn send_form(
        &mut self,
        form: &Page,
        answers: &[(&str, &str)],
        overrides: &[(&str, &str)],
    ) -> Page {
        let mut fields: Vec<(String, String)> = [
            "_csrf",
            "submission_id",
            "ticket",
            "form_id",
            "region_id",
            "observed_at",
        ]
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                hidden_value(&form.body, name).unwrap_or_default(),
            )
        })
        .collect();
        for (name, value) in overrides {
            fields.retain(|(n, _)| n != name);
            fields.push(((*name).to_owned(), (*value).to_owned()));
        }
        fields.extend(
            answers
                .iter()
                .map(|(k, v)| (format!("q.{k}"), (*v).to_owned())),
        );
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_raw(&format!("/m/{MISSION}/observer/file"), &pairs)
            .await
    }

    /// Sends the amendment form of a report page with these fields (a fresh form each time).
    pub async fn amend(&mut self, report: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(report).await;
        let id = hidden_value(&page.body, "amendment_id").expect("amendment form");
        let mut all = vec![("_csrf", page.csrf()), ("amendment_id", id)];
        all.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .map(|(k, v)| (leak(k), v)),
        );
        let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post_raw(&format!("{report}/amendments"), &pairs).await
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.get("fr_session")
    }
}

/// A browser's cookies, kept by a real cookie store (RFC 6265: Path, Expires and Max-Age,
/// Secure, HttpOnly) that the browser's client fills from responses and sends from.
pub struct Cookies {
    jar: Arc<Jar>,
    /// The app's root, for which a test reads and plants cookies.
    site: url::Url,
}

struct Jar(std::sync::Mutex<cookie_store::CookieStore>);

impl Jar {
    fn store(&self) -> std::sync::MutexGuard<'_, cookie_store::CookieStore> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl reqwest::cookie::CookieStore for Jar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &header::HeaderValue>, url: &url::Url) {
        let mut store = self.store();
        for value in headers.filter_map(|v| v.to_str().ok()) {
            // A cookie the store refuses (expired, or for another host) is one a browser
            // would not keep either.
            let _ = store.parse(value, url);
        }
    }

    fn cookies(&self, url: &url::Url) -> Option<header::HeaderValue> {
        let sent = self
            .store()
            .get_request_values(url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        (!sent.is_empty())
            .then(|| header::HeaderValue::from_str(&sent).ok())
            .flatten()
    }
}

impl Cookies {
    fn empty(site: url::Url) -> Cookies {
        Cookies {
            jar: Arc::new(Jar(std::sync::Mutex::new(
                cookie_store::CookieStore::default(),
            ))),
            site,
        }
    }

    /// Another store holding the same cookies.
    fn copy(&self) -> Cookies {
        Cookies {
            jar: Arc::new(Jar(std::sync::Mutex::new(self.jar.store().clone()))),
            site: self.site.clone(),
        }
    }

    /// The value of the cookie `name` that a request to the app would carry: none once it
    /// has expired or been cleared.
    pub fn get(&self, name: &str) -> Option<String> {
        self.jar
            .store()
            .get_request_values(&self.site)
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.to_owned())
    }

    /// Plants a cookie for the whole site, as a device that already held it (a stolen or
    /// forged one) would send it; gives the value it replaces.
    pub fn insert(&mut self, name: String, value: String) -> Option<String> {
        let before = self.get(&name);
        self.jar
            .store()
            .parse(&format!("{name}={value}; Path=/"), &self.site)
            .expect("a cookie the store keeps");
        before
    }
}

/// A body as sent, decompressed if it came gzipped.
pub fn decoded(headers: &HeaderMap, wire: &[u8]) -> Vec<u8> {
    let gzipped = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    if !gzipped {
        return wire.to_vec();
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(wire)
        .read_to_end(&mut out)
        .expect("a whole gzip stream");
    out
}

/// The href of the first link whose text is `text`.
pub fn hidden_href(html: &str, text: &str) -> Option<String> {
    let end = html.find(&format!("\">{text}</a>"))?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(html[start..end].replace("&amp;", "&").replace("&#38;", "&"))
}

pub fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The demo Voting checklist's answers with nothing wrong, but for the arrival time.
pub const VOTING_FINE: [(&str, &str); 8] = [
    ("observers_access", "yes"),
    ("boxes_sealed", "yes"),
    ("kit_working", "yes"),
    ("ink_checked", "yes"),
    ("ink_applied", "yes"),
    ("secrecy_respected", "yes"),
    ("intimidation", "no"),
    ("voting_assessment", "good"),
];

/// A whole Voting checklist with no problem, observed an hour ago.
pub fn voting_fine() -> Vec<(&'static str, &'static str)> {
    let mut answers = vec![("arrival_time", an_hour_ago())];
    answers.extend(VOTING_FINE);
    answers
}

/// [`voting_fine`] with some answers changed.
pub fn voting_but<'a>(changes: &[(&'static str, &'a str)]) -> Vec<(&'static str, &'a str)> {
    voting_fine()
        .into_iter()
        .map(|(key, value)| {
            let changed = changes.iter().find(|(k, _)| *k == key);
            changed.map_or((key, value), |&(_, v)| (key, v))
        })
        .collect()
}

/// Serves a router on a free loopback port as `fieldreport serve` does (its accept loop,
/// caps and timeouts), and says where.
pub async fn serve(router: Router, limits: Limits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(fieldreport::server::serve_app(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    address
}

/// A time an hour ago in the test mission's time zone, as a date-time field holds it:
/// answers must fall within a year before now.
pub fn an_hour_ago() -> &'static str {
    // Read once per test program: the same answer each time it is asked, as a report sent
    // again must say the same (read twice, it may fall either side of a minute).
    static AT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AT.get_or_init(|| {
        fieldreport::domain::report::local_input_value(
            fieldreport::store::now() - 3600,
            "Africa/Nairobi",
        )
    })
}

/// Runs the built `fieldreport` binary with `stdin` as its standard input.
pub fn run_fieldreport(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldreport"))
        .args(args)
        .env_remove("FIELDREPORT_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fieldreport");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        // A command that refuses before reading (an unknown mission) may have exited
        // already: its closed stdin is not the test's failure, its output says why.
        if let Err(e) = input.write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

impl TestApp {
    /// Runs a query that returns one text column, and gives its value in every row, in
    /// the query's order.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        let sql = sql.to_owned();
        self.store
            .read(move |conn| {
                let mut statement = conn.prepare(&sql)?;
                let rows = statement.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .expect("texts")
    }
}
