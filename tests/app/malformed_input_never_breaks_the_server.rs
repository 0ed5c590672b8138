//! Malformed input never breaks the server: whatever a broken phone, a stale page or a
//! hostile client sends to the filing, amendment, review and finding forms, or puts in the
//! addresses of the queue, the overview and the exports, the answer is a page or a refusal,
//! never a server error or a panic; and a receipt means the report is on disk.
//!
//! Property tests with a fixed, small number of cases each, so that the file stays fast
//! in CI. Inputs are drawn afresh on every run: a failure prints the smallest input found,
//! which then becomes a plain test beside the fix.

use crate::common;

use std::collections::HashMap;
use std::sync::LazyLock;

use fieldreport::domain::region_path::RegionPath;

use axum::http::{Method, StatusCode};
use common::{Browser, MISSION, Page, TestApp, hidden_value};
use fieldreport::demo::generate::{Dice, random_answers};
use fieldreport::domain::answers::{Answer, Answers, Bounds, RawAnswers, Refusal, assess, display};
use fieldreport::domain::dashboard::DashboardFilter;
use fieldreport::domain::finding::{Assessment, FindingErrors, FindingText};
use fieldreport::domain::form::{FormDefinition, FormKind, QuestionKind};
use fieldreport::domain::queue::{Filter, text_query};
use fieldreport::domain::report::{
    AMENDMENT_MAX, amendment_text, answer_window, local_input_value, parse_observed_at,
};
use fieldreport::domain::review::{Action, NOTE_MAX, note_for};
use fieldreport::i18n::{Lang, Tr};
use fieldreport::store::now;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rusqlite::OptionalExtension;
use uuid::Uuid;

/// The test mission's time zone.
const ZONE: &str = "Africa/Nairobi";

/// A bounded run: `cases` inputs, a short search for a smaller failing one, and no
/// regression files (a failure found becomes a plain test beside its fix).
fn config(cases: u32) -> Config {
    Config {
        cases,
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The demo forms, as every test app has them.
static FORMS: LazyLock<Vec<FormDefinition>> = LazyLock::new(|| {
    fieldreport::demo::FORMS
        .iter()
        .map(|text| FormDefinition::from_toml(text).expect("demo form"))
        .collect()
});

// ----- what gets typed -----

/// Values at the edges of what the parsers take: numbers past i64, times at the ends of
/// the calendar or inside a clock change, control characters, escapes, markup, SQL.
const ODD: &[&str] = &[
    "",
    " ",
    "yes",
    "no",
    "YES",
    "0",
    "-0",
    "+5",
    "-1",
    "1e3",
    "0x10",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999",
    "2017-08-08T14:30",
    "2017-08-08 14:30",
    "2017-02-30T10:00",
    "9999-12-31T23:59",
    "9999-12-31T23:00",
    "-009999-01-01T00:00",
    "0000-01-01T00:00",
    "2024-03-31T02:30",
    "2024-10-27T02:30",
    "T",
    "\u{0}",
    "\r\n",
    "\r",
    "\n",
    "\t",
    "a\u{7}b",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "%",
    "%00",
    "%FF",
    "&",
    "=",
    "+",
    "{key}",
    "{",
    "0001001",
    "1427001",
    "0001",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "'; DROP TABLE reports; --",
    "\"OR NEAR(",
    "police",
    "violence",
    "critical",
    "verify",
    "dismiss",
    "duplicate",
    "received",
    "severity",
    "newest",
    "3.1200",
    "1.",
    ".",
    "00000000-0000-0000-0000-000000000000",
];

/// Characters repeated into very long values.
const LONG_OF: &[char] = &['x', 'é', ' ', '\n', '\u{0}', '𝄞'];

/// Text as a person, a broken phone or a hostile client might send it.
fn text() -> BoxedStrategy<String> {
    text_up_to(25_000)
}

/// [`text`] no longer than `longest` characters: an address holds 64 KiB at most, and a
/// server in front would refuse a longer one before the app sees it.
fn text_up_to(longest: usize) -> BoxedStrategy<String> {
    prop_oneof![
        4 => vec(any::<char>(), 0..24).prop_map(String::from_iter),
        3 => select(ODD).prop_map(str::to_owned),
        1 => any::<i128>().prop_map(|n| n.to_string()),
        1 => (-40_000_000_i64..2_000_000).prop_map(|s| local_input_value(now() + s, ZONE)),
        1 => (select(LONG_OF), 0..longest).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
    .boxed()
}

/// One of the words a page knows (a question key, an option, an id), or anything.
#[derive(Debug, Clone)]
enum Pick {
    Known(Index),
    Any(String),
}

impl Pick {
    fn among<'a>(&'a self, known: &'a [String]) -> &'a str {
        match self {
            Pick::Known(_) if known.is_empty() => "",
            Pick::Known(index) => index.get(known).as_str(),
            Pick::Any(text) => text,
        }
    }
}

/// The first of `known` (the page's own report or finding) for `None`, else the pick.
fn first_or<'a>(pick: &'a Option<Pick>, known: &'a [String]) -> &'a str {
    pick.as_ref()
        .map_or(known.first().map_or("", String::as_str), |p| p.among(known))
}

fn pick() -> BoxedStrategy<Pick> {
    pick_known(3, 2)
}

/// A known word `known` times in `known + other`: for fields where anything else is refused
/// at once, so that most cases get past them to what lies behind.
fn pick_known(known: u32, other: u32) -> BoxedStrategy<Pick> {
    prop_oneof![
        known => any::<Index>().prop_map(Pick::Known),
        other => text().prop_map(Pick::Any),
    ]
    .boxed()
}

/// Text a person would write, mostly; sometimes anything.
fn written() -> BoxedStrategy<String> {
    prop_oneof![
        2 => "[A-Za-z][A-Za-z0-9 ,.'()-]{0,60}",
        1 => text(),
    ]
    .boxed()
}

/// Other fields a client might add to a form: repeats of the real ones, or anything.
fn extra_fields(names: &'static [&'static str]) -> BoxedStrategy<Vec<(String, String)>> {
    let name = prop_oneof![
        2 => select(names).prop_map(str::to_owned),
        1 => text(),
    ];
    vec((name, text()), 0..4).boxed()
}

/// What a path segment keeps as it is: RFC 3986's unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path segment: as typed (up to a length an address holds), percent-encoded so that
/// any text makes an address.
fn segment(text: &str) -> String {
    let head: String = text.chars().take(200).collect();
    utf8_percent_encode(&head, UNRESERVED).to_string()
}

// ----- answers -----

/// What a form's answers are made of: its question keys, and the words its answers use.
struct Vocabulary {
    keys: Vec<String>,
    words: Vec<String>,
}

impl Vocabulary {
    fn of(form: &FormDefinition) -> Vocabulary {
        let mut words: Vec<String> = ["yes", "no", "0001001", "1427001"]
            .map(str::to_owned)
            .to_vec();
        for question in form.questions() {
            match &question.kind {
                QuestionKind::OneOf(options) | QuestionKind::ManyOf(options) => {
                    words.extend(options.iter().map(|o| o.key.clone()));
                }
                QuestionKind::Integer { min, max } => {
                    for n in [*min, *max, min.saturating_sub(1), max.saturating_add(1)] {
                        words.push(n.to_string());
                    }
                }
                _ => {}
            }
        }
        Vocabulary {
            keys: form.questions().map(|q| q.key.clone()).collect(),
            words,
        }
    }
}

/// A change to a valid set of answers.
#[derive(Debug, Clone)]
enum Change {
    /// Every value of a question replaced by this one.
    Set(Pick, Pick),
    /// One more value (a repeated field).
    Add(Pick, Pick),
    /// The question left unanswered.
    Remove(Pick),
}

fn change() -> BoxedStrategy<Change> {
    prop_oneof![
        3 => (pick_known(12, 1), pick()).prop_map(|(k, v)| Change::Set(k, v)),
        2 => (pick_known(12, 1), pick()).prop_map(|(k, v)| Change::Add(k, v)),
        1 => pick_known(12, 1).prop_map(Change::Remove),
    ]
    .boxed()
}

fn apply(pairs: &mut Vec<(String, String)>, changes: &[Change], vocabulary: &Vocabulary) {
    for change in changes {
        match change {
            Change::Set(key, value) => {
                let key = key.among(&vocabulary.keys);
                pairs.retain(|(k, _)| k != key);
                pairs.push((key.to_owned(), value.among(&vocabulary.words).to_owned()));
            }
            Change::Add(key, value) => pairs.push((
                key.among(&vocabulary.keys).to_owned(),
                value.among(&vocabulary.words).to_owned(),
            )),
            Change::Remove(key) => {
                let key = key.among(&vocabulary.keys);
                pairs.retain(|(k, _)| k != key);
            }
        }
    }
}

/// Answers as the form shows them again, field by field.
fn as_typed(answers: &Answers) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (key, answer) in answers.iter() {
        let values = match answer {
            Answer::YesNo(true) => vec!["yes".to_owned()],
            Answer::YesNo(false) => vec!["no".to_owned()],
            Answer::Integer(n) => vec![n.to_string()],
            Answer::Choices(keys) => keys.clone(),
            Answer::Choice(s)
            | Answer::Text(s)
            | Answer::DateTime(s)
            | Answer::PollingStation(s) => {
                vec![s.clone()]
            }
        };
        pairs.extend(values.into_iter().map(|v| (key.clone(), v)));
    }
    pairs
}

/// The harness's polling stations by code, as the store finds their region paths.
static STATIONS: LazyLock<HashMap<String, RegionPath>> = LazyLock::new(|| {
    [
        ("0001001", "/001/001/0001/0001001/"),
        ("0001002", "/001/001/0001/0001002/"),
        ("0006001", "/001/002/0006/0006001/"),
        ("1427001", "/047/285/1427/1427001/"),
        ("1428001", "/047/285/1428/1428001/"),
    ]
    .into_iter()
    .map(|(code, path)| (code.to_owned(), RegionPath::parse(path).expect("a path")))
    .collect()
});

proptest! {
    #![proptest_config(config(1024))]

    /// Answers::validate refuses or accepts whatever comes; what it accepts is stored and
    /// read back unchanged, and shown again it is accepted again as it was.
    #[test]
    fn answers_are_checked_without_panicking_and_accepted_ones_read_back_the_same(
        form in 0..fieldreport::demo::FORMS.len(),
        seed in any::<u64>(),
        from_scratch in prop::bool::weighted(0.2),
        changes in vec(change(), 0..6),
        age in 0_i64..360 * 24 * 3600,
    ) {
        let definition = &FORMS[form];
        let vocabulary = Vocabulary::of(definition);
        let now = now();
        let observed = local_input_value(now - age, ZONE);
        let mut pairs = if from_scratch {
            Vec::new()
        } else {
            random_answers(definition, Some("0001001"), &observed, &mut Dice::new(seed))
        };
        let untouched = !from_scratch && changes.is_empty();
        apply(&mut pairs, &changes, &vocabulary);
        let (earliest, latest) = answer_window(now, ZONE);
        let place = RegionPath::parse(match definition.kind {
            FormKind::Checklist => "/001/001/0001/0001001/",
            FormKind::Incident => "/001/001/0001/",
        }).expect("a path");
        let bounds = Bounds { stations: &STATIONS, place_path: &place, earliest, latest };
        let checked = Answers::validate(definition, &RawAnswers::from_pairs(pairs), &bounds);
        if untouched {
            prop_assert!(checked.is_ok(), "generated answers refused: {:?}", checked);
        }
        match checked {
            Ok(answers) => {
                let stored = serde_json::to_string(&answers.to_json())?;
                let reread = Answers::from_json(definition, &serde_json::from_str(&stored)?);
                prop_assert_eq!(&reread, &answers);
                let again = RawAnswers::from_pairs(as_typed(&answers));
                prop_assert_eq!(Answers::validate(definition, &again, &bounds), Ok(answers.clone()));
                assess(definition, &answers);
                for (key, answer) in answers.iter() {
                    let question = definition.question(key);
                    prop_assert!(question.is_some(), "an answer to no question: {}", key);
                    if let Some(question) = question {
                        display(question, answer);
                    }
                }
            }
            Err(Refusal::Fields(errors)) => {
                prop_assert!(!errors.is_empty());
                for (key, message) in &errors.0 {
                    prop_assert!(definition.question(key).is_some(), "an error beside no question: {}", key);
                    for lang in Lang::ALL {
                        message.in_language(Tr::new(lang));
                    }
                }
            }
            Err(Refusal::UnknownQuestion(key)) => {
                prop_assert!(definition.question(&key).is_none(), "{} is a question", key);
            }
        }
    }

    /// When a report was observed: any text, any zone; an accepted time lies in the window
    /// and reads back from the form's own default value.
    #[test]
    fn observation_times_never_panic_and_accepted_ones_lie_in_the_window(
        typed in prop::option::weighted(0.5, text()),
        offset in -2_000_000_i64..40_000_000,
        zone in prop_oneof![
            3 => select(ZONES).prop_map(str::to_owned),
            1 => text(),
        ],
        now in 0_i64..4_102_444_800,
    ) {
        let raw = typed.unwrap_or_else(|| local_input_value(now - offset, &zone));
        match parse_observed_at(&raw, &zone, now) {
            Ok(at) => {
                prop_assert!(at <= now + 10 * 60 && at >= now - 366 * 24 * 3600, "{} at {}", raw, at);
                prop_assert_eq!(parse_observed_at(&local_input_value(at, &zone), &zone, now), Ok(at));
            }
            Err(message) => {
                message.in_language(Tr::new(Lang::Fr));
            }
        }
        let (earliest, latest) = answer_window(now, &zone);
        prop_assert!(earliest < latest);
    }

    /// The queue's and the overview's filters read any query; a filter read is written
    /// into links that read back as the same view.
    #[test]
    fn queue_and_overview_filters_read_any_query_and_their_links_read_back(
        pairs in filter_pairs(filter_values(), 25_000),
        zone in prop_oneof![Just(ZONE.to_owned()), Just("UTC".to_owned()), text()],
    ) {
        if let Ok(filter) = Filter::from_pairs(&pairs) {
            let link: Vec<(String, String)> = serde_urlencoded::from_str(&filter.query_string())?;
            let reread = Filter::from_pairs(&link);
            prop_assert!(reread.is_ok(), "its own link refused: {:?}", reread);
            if let Ok(reread) = reread {
                // The search text is cut at 200 characters, perhaps after a space the
                // link then trims: the same words, the same view.
                prop_assert_eq!(text_query(&reread.text), text_query(&filter.text));
                prop_assert_eq!(
                    Filter { text: String::new(), ..reread },
                    Filter { text: String::new(), after: None, ..filter }
                );
            }
        }
        match DashboardFilter::from_pairs(&pairs, &zone) {
            Ok(filter) => {
                let link: Vec<(String, String)> = serde_urlencoded::from_str(&filter.query_string())?;
                let reread = DashboardFilter::from_pairs(&link, &zone);
                let expected = DashboardFilter {
                    queue: Filter { region: None, ..filter.queue.clone() },
                    ..filter
                };
                prop_assert_eq!(reread.map_err(|e| e.to_string()), Ok(expected));
            }
            Err(refused) => {
                refused.in_language(Tr::new(Lang::Sw));
            }
        }
    }

    /// A finding's text, an amendment, a review note: refused or accepted, and what is
    /// accepted is accepted again unchanged (a form saved without edits saves the same).
    #[test]
    fn finding_amendment_and_note_texts_are_checked_without_panicking(
        title in text(),
        statement in text(),
        assessment in prop_oneof![
            select(ASSESSMENTS).prop_map(str::to_owned),
            text(),
        ],
        topic in text(),
        action in select(ACTIONS),
    ) {
        match FindingText::parse(&title, &statement, &assessment, &topic) {
            Ok(finding) => {
                prop_assert!(!finding.title.is_empty() && finding.title.chars().count() <= 200);
                prop_assert!(!finding.topic.is_empty() && finding.topic.chars().count() <= 80);
                prop_assert_eq!(Assessment::parse(&assessment), Some(finding.assessment));
                let again = FindingText::parse(
                    &finding.title,
                    &finding.statement,
                    finding.assessment.as_str(),
                    &finding.topic,
                );
                prop_assert_eq!(again, Ok(finding));
            }
            Err(errors) => prop_assert_ne!(*errors, FindingErrors::default()),
        }
        if let Ok(amendment) = amendment_text(&statement) {
            prop_assert!(!amendment.is_empty() && amendment.chars().count() <= AMENDMENT_MAX);
            prop_assert_eq!(amendment_text(&amendment), Ok(amendment.clone()));
        }
        let action = Action::parse(action).expect("an action");
        match note_for(action, &statement) {
            Ok(note) => {
                prop_assert!(note.chars().count() <= NOTE_MAX);
                prop_assert_eq!(note_for(action, &note).map_err(|e| e.to_string()), Ok(note.clone()));
            }
            Err(refused) => {
                refused.0.in_language(Tr::new(Lang::Fr));
            }
        }
    }
}

/// The names the queue, the overview, the bulk form and the observer's pages read from a
/// query string.
const FILTER_NAMES: &[&str] = &[
    "region",
    "form",
    "category",
    "severity",
    "status",
    "problems",
    "problem",
    "observer",
    "from",
    "to",
    "q",
    "sort",
    "after",
    "silent",
    "verified",
    "not_verified",
    "at",
    "before",
    "unsaved",
    "chart",
];

/// Values those names take, right and nearly right.
const FILTER_VALUES: &[&str] = &[
    "election",
    "week",
    "all",
    "1",
    "0",
    "-1",
    "9223372036854775807",
    "voting",
    "incident",
    "violence",
    "low",
    "critical",
    "received",
    "verified",
    "duplicate",
    "on",
    "newest",
    "severity",
    "3.1200",
    "-9223372036854775808.9223372036854775807",
    "1.",
    "x.y",
    "2017-08-08T06:00",
    "2017-08-08T06:30",
    "2017-08-08 18:00",
    "9999-12-31T23:00",
    "-009999-01-01T00:00",
    "2024-03-31T02:00",
    "24",
    "168",
    "169",
    "boxes_sealed",
];

/// [`FILTER_VALUES`], to add the ids of a test app to.
fn filter_values() -> Vec<String> {
    FILTER_VALUES.iter().map(|v| (*v).to_owned()).collect()
}

/// Query-string pairs of filters, their values among `values` or anything up to
/// `longest` characters.
fn filter_pairs(values: Vec<String>, longest: usize) -> BoxedStrategy<Vec<(String, String)>> {
    let name = prop_oneof![
        4 => select(FILTER_NAMES).prop_map(str::to_owned),
        1 => text_up_to(longest),
    ];
    let value = prop_oneof![
        3 => select(values),
        2 => text_up_to(longest),
    ];
    vec((name, value), 0..8).boxed()
}

/// Time zones real, odd and made up.
const ZONES: &[&str] = &[
    "Africa/Nairobi",
    "UTC",
    "Europe/Berlin",
    "America/St_Johns",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "",
    "Mars/Olympus",
    "../../etc/passwd",
    "+03:00",
    "utc",
];

const ASSESSMENTS: &[&str] = &["positive", "mixed", "negative", "serious_concern"];

const ACTIONS: &[&str] = &[
    "verify",
    "dismiss",
    "escalate",
    "duplicate",
    "reopen",
    "comment",
];

// ----- through HTTP -----

/// Statuses a request may get: a page, a redirect, or a refusal a user can read.
/// (405: an address a client normalises, such as a report id of `.`, can land on a route
/// that takes no POST.)
const ANSWERED: [u16; 9] = [200, 303, 400, 403, 404, 405, 409, 413, 422];

/// One app and one runtime for a whole property: an app takes a tenth of a second to
/// make, a case a few milliseconds.
struct Harness {
    app: TestApp,
    runtime: tokio::runtime::Runtime,
}

fn harness() -> Harness {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let app = runtime.block_on(TestApp::new());
    Harness { app, runtime }
}

/// A region of the other mission: it exists, but not here.
const ELSEWHERE: &str = "SELECT max(id) FROM regions
    WHERE mission_id <> (SELECT id FROM missions WHERE slug = 'test-2017')";

/// A form of the other mission.
const FORM_ELSEWHERE: &str = "SELECT max(id) FROM forms
    WHERE mission_id <> (SELECT id FROM missions WHERE slug = 'test-2017')";

/// Runs `test` on `cases` inputs drawn from `strategy`, each with a page language (see
/// [`speaking`]); panics with the smallest failing one.
fn check<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn((Index, S::Value)) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(config(cases));
    if let Err(failure) = runner.run(&(any::<Index>(), strategy), test) {
        panic!("{failure}");
    }
}

/// Languages a device may have chosen, known and not.
const LANGUAGES: [&str; 5] = ["en", "fr", "sw", "de", ""];

/// A copy of a browser whose device chose one of [`LANGUAGES`]: refusals are worded in
/// each, with whatever values they name.
fn speaking(browser: &Browser, lang: Index) -> Browser {
    let mut browser = browser.clone();
    browser
        .cookies
        .insert("fr_lang".to_owned(), lang.get(&LANGUAGES).to_string());
    browser
}

/// Posts `fields` to `path`: the answer must be one a user can read, and a refusal must
/// leave `state` (a query of all the post could change) as it was. The response, if the
/// post was taken (303).
async fn post_changing(
    app: &TestApp,
    browser: &mut Browser,
    path: &str,
    fields: &[(String, String)],
    state: &'static str,
) -> Result<Option<Page>, TestCaseError> {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let before = app.text(state).await;
    let response = browser.post_raw(path, &pairs).await;
    let after = app.text(state).await;
    prop_assert!(
        ANSWERED.contains(&response.status.as_u16()),
        "{}",
        brief(&response)
    );
    if response.status != StatusCode::SEE_OTHER {
        prop_assert_eq!(
            after,
            before,
            "changed though refused: {}",
            brief(&response)
        );
        return Ok(None);
    }
    Ok(Some(response))
}

/// A response in a line, for failure messages.
fn brief(page: &Page) -> String {
    let body: String = page.body.chars().take(400).collect();
    format!("{} -> {:?}: {body}", page.status, page.location())
}

/// An address without its fragment, as a browser asks for it.
fn without_fragment(location: &str) -> &str {
    location.split('#').next().unwrap_or(location)
}

/// The masked CSRF token of a page a signed-in browser opens.
async fn token(browser: &mut Browser, path: &str) -> String {
    browser.get(path).await.csrf()
}

/// The username of the observer who filed a report, if it is stored.
async fn filed_by(app: &TestApp, id: &str) -> Option<String> {
    let id = id.to_owned();
    app.store
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT u.username FROM reports r JOIN users u ON u.id = r.observer_id
                     WHERE r.id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
        .expect("read")
}

/// The ids and references of the test mission's reports, oldest first.
async fn reports(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let mission = app.mission_id;
    let rows: Vec<(String, String)> = app
        .store
        .read(move |conn| {
            let mut statement = conn
                .prepare("SELECT id, reference FROM reports WHERE mission_id = ?1 ORDER BY seq")?;
            let rows = statement
                .query_map([mission], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
        .expect("reports");
    rows.into_iter().unzip()
}

/// Files a report of each demo form as `observer`: a checklist at a station, an incident
/// for a ward.
async fn file_one_of_each(app: &TestApp, observer: &mut Browser, seed: u64) {
    let station = app.region_id(4, "0001001").await;
    let ward = app.region_id(3, "0001").await;
    let mut dice = Dice::new(seed);
    for form in FORMS.iter() {
        let place = match form.kind {
            FormKind::Checklist => station,
            FormKind::Incident => ward,
        };
        let answers = random_answers(form, Some("0001001"), common::an_hour_ago(), &mut dice);
        let pairs: Vec<(&str, &str)> = answers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (_, response) = observer.file(&form.key, place, &pairs).await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "{}",
            brief(&response)
        );
    }
}

// ----- (a) filing -----

/// The hidden fields of a report form.
const HIDDEN: [&str; 5] = [
    "_csrf",
    "submission_id",
    "form_id",
    "region_id",
    "observed_at",
];

/// Damage done to an encoded form body on its way.
#[derive(Debug, Clone)]
enum Damage {
    None,
    /// Bytes overwritten at these places.
    Overwrite(Vec<(Index, u8)>),
    /// Bytes inserted at a place.
    Insert(Index, Vec<u8>),
    /// The body cut short.
    Cut(Index),
    /// One answer field sent this many times over, past the body limit at the top.
    Flood(Pick, String, usize),
    /// No form at all, just bytes.
    Noise(Vec<u8>),
}

impl Damage {
    fn apply(&self, body: &mut Vec<u8>, keys: &[String]) {
        match self {
            Damage::None => {}
            Damage::Overwrite(bytes) => {
                for (at, byte) in bytes {
                    if !body.is_empty() {
                        let at = at.index(body.len());
                        body[at] = *byte;
                    }
                }
            }
            Damage::Insert(at, bytes) => {
                let at = at.index(body.len() + 1);
                body.splice(at..at, bytes.iter().copied());
            }
            Damage::Cut(at) => body.truncate(at.index(body.len() + 1)),
            Damage::Flood(key, value, count) => {
                let field = serde_urlencoded::to_string([(
                    format!("q.{}", key.among(keys)),
                    value.as_str(),
                )])
                .expect("encode");
                for _ in 0..*count {
                    body.push(b'&');
                    body.extend_from_slice(field.as_bytes());
                }
            }
            Damage::Noise(bytes) => body.clone_from(bytes),
        }
    }
}

/// Bytes that mean something in a form body, or in none.
const ODD_BYTES: &[u8] = b"%&=+\xff\xfe\xc3\x80\x00 ;";

/// Values repeated in a flooded body.
const FLOOD_VALUES: &[&str] = &["yes", "police", "1", "", "x"];

fn byte() -> BoxedStrategy<u8> {
    prop_oneof![
        2 => select(ODD_BYTES),
        1 => any::<u8>(),
    ]
    .boxed()
}

fn damage() -> BoxedStrategy<Damage> {
    prop_oneof![
        16 => Just(Damage::None),
        1 => vec((any::<Index>(), byte()), 1..6).prop_map(Damage::Overwrite),
        1 => (any::<Index>(), vec(byte(), 1..8)).prop_map(|(at, b)| Damage::Insert(at, b)),
        1 => any::<Index>().prop_map(Damage::Cut),
        1 => (
            pick(),
            select(FLOOD_VALUES).prop_map(str::to_owned),
            0_usize..24_000,
        )
            .prop_map(|(k, v, n)| Damage::Flood(k, v, n)),
        1 => vec(any::<u8>(), 0..200).prop_map(Damage::Noise),
    ]
    .boxed()
}

/// One submission of a report form.
#[derive(Debug, Clone)]
struct Filing {
    /// Which form page it was sent from.
    form: Index,
    /// Sent as the outbox sends it, asking for JSON.
    json: bool,
    /// Sent after the session ended: kept until the observer signs in again.
    signed_out: bool,
    /// The submission id, fresh unless a hidden field below replaces it.
    fresh: u128,
    /// Hidden fields replaced (or, for `None`, left out).
    hidden: Vec<(Index, Option<String>)>,
    /// Valid answers drawn from this seed, then changed; or none to begin with.
    seed: u64,
    from_scratch: bool,
    changes: Vec<Change>,
    fields: Vec<(String, String)>,
    damage: Damage,
}

/// A hidden field's value: ids that exist elsewhere, ids in other spellings, anything.
fn hidden_field(ids: Vec<String>) -> BoxedStrategy<String> {
    prop_oneof![
        3 => text(),
        2 => select(ids),
        1 => (any::<u128>(), 0..5_u8).prop_map(|(n, style)| {
            let id = Uuid::from_u128(n);
            match style {
                0 => id.simple().to_string(),
                1 => id.urn().to_string(),
                2 => id.braced().to_string(),
                3 => format!(" {} ", id.hyphenated()).to_uppercase(),
                _ => id.hyphenated().to_string(),
            }
        }),
    ]
    .boxed()
}

fn filing(ids: Vec<String>) -> impl Strategy<Value = Filing> {
    let hidden = vec(
        (
            any::<Index>(),
            prop::option::weighted(0.8, hidden_field(ids)),
        ),
        0..3,
    );
    (
        (
            any::<Index>(),
            prop::bool::weighted(0.25),
            prop::bool::weighted(0.1),
        ),
        any::<u128>(),
        // Most cases keep the page's fields and change a few answers, so that many get
        // past the checks to the filing itself.
        prop_oneof![5 => Just(Vec::new()), 1 => hidden],
        any::<u64>(),
        prop::bool::weighted(0.1),
        prop_oneof![2 => Just(Vec::new()), 3 => vec(change(), 1..5)],
        prop_oneof![5 => Just(Vec::new()), 1 => extra_fields(&HIDDEN)],
        damage(),
    )
        .prop_map(
            |(
                (form, json, signed_out),
                fresh,
                hidden,
                seed,
                from_scratch,
                changes,
                fields,
                damage,
            )| Filing {
                form,
                json,
                signed_out,
                fresh,
                hidden,
                seed,
                from_scratch,
                changes,
                fields,
                damage,
            },
        )
}

/// The body a form page sends for this submission.
fn filing_body(case: &Filing, form: &FormDefinition, page: &Page) -> Vec<u8> {
    let mut fields: Vec<(String, String)> = HIDDEN
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                hidden_value(&page.body, name).unwrap_or_default(),
            )
        })
        .collect();
    fields[1].1 = Uuid::from_u128(case.fresh).hyphenated().to_string();
    for (which, value) in &case.hidden {
        let name = *which.get(&HIDDEN);
        fields.retain(|(n, _)| n != name);
        if let Some(value) = value {
            fields.push((name.to_owned(), value.clone()));
        }
    }
    let vocabulary = Vocabulary::of(form);
    let observed = hidden_value(&page.body, "observed_at").unwrap_or_default();
    let mut answers = if case.from_scratch {
        Vec::new()
    } else {
        random_answers(form, Some("0001001"), &observed, &mut Dice::new(case.seed))
    };
    apply(&mut answers, &case.changes, &vocabulary);
    fields.extend(answers.into_iter().map(|(k, v)| (format!("q.{k}"), v)));
    fields.extend(case.fields.iter().cloned());
    let mut body = serde_urlencoded::to_string(&fields)
        .expect("encode")
        .into_bytes();
    case.damage.apply(&mut body, &vocabulary.keys);
    body
}

/// The id of the report a filing response gives a receipt for, if it gives one.
fn receipted(json: bool, response: &Page) -> Result<Option<String>, TestCaseError> {
    if response.status == StatusCode::SEE_OTHER {
        let location = response.location();
        prop_assert!(
            location.contains("/receipt"),
            "a redirect elsewhere: {}",
            brief(response)
        );
        let id = location
            .split("/receipt")
            .next()
            .and_then(|l| l.rsplit('/').next())
            .unwrap_or_default();
        return Ok(Some(id.to_owned()));
    }
    if json && response.status == StatusCode::OK {
        let reply: serde_json::Value = serde_json::from_str(&response.body)?;
        prop_assert_eq!(&reply["outcome"], "filed", "{}", brief(response));
        return Ok(reply["id"].as_str().map(str::to_owned));
    }
    Ok(None)
}

/// A submission sent after the session ended: nothing is filed; the form is kept for the
/// observer, who finds it filled in again (or a refusal) once signed in.
async fn filed_signed_out(
    app: &TestApp,
    mut observer: Browser,
    path: &str,
    body: Vec<u8>,
) -> Result<(), TestCaseError> {
    let mut stranger = app.browser();
    stranger.headers = observer.headers.clone();
    if let Some(lang) = observer.cookies.get("fr_lang") {
        stranger.cookies.insert("fr_lang".to_owned(), lang.clone());
    }
    let before = app.count("SELECT count(*) FROM reports").await;
    let response = stranger.send(Method::POST, path, Some(body)).await;
    let after = app.count("SELECT count(*) FROM reports").await;
    // The outbox is told to sign in again.
    let signed_out = response.status == StatusCode::UNAUTHORIZED;
    prop_assert!(
        signed_out || ANSWERED.contains(&response.status.as_u16()),
        "{}",
        brief(&response)
    );
    prop_assert_eq!(
        after,
        before,
        "filed without a session: {}",
        brief(&response)
    );
    if response.status == StatusCode::SEE_OTHER {
        let next = response.location().strip_prefix("/login?next=");
        prop_assert!(next.is_some(), "{}", brief(&response));
        let next = percent_decode_str(next.unwrap_or_default()).decode_utf8()?;
        observer.headers.clear();
        let resumed = observer.get(&next).await;
        prop_assert!(
            ANSWERED.contains(&resumed.status.as_u16()),
            "{}",
            brief(&resumed)
        );
    }
    Ok(())
}

#[test]
fn the_filing_form_answers_any_submission_and_a_receipt_means_the_report_is_stored() {
    let Harness { app, runtime } = harness();
    let (observer, pages, ids) = runtime.block_on(async {
        let mut observer = app.signed_in("observer").await;
        let station = app.region_id(4, "0001001").await;
        let ward = app.region_id(3, "0001").await;
        let mut pages = Vec::new();
        for form in FORMS.iter() {
            let place = match form.kind {
                FormKind::Checklist => station,
                FormKind::Incident => ward,
            };
            let page = observer
                .get(&format!("/m/{MISSION}/observer/file/{}/{place}", form.key))
                .await;
            assert_eq!(page.status, StatusCode::OK, "{}", brief(&page));
            pages.push(page);
        }
        // Ids that exist, though not for this form, this kind of place or this mission;
        // and reports filed before, by this observer and by another.
        let mut ids = vec![station.to_string(), ward.to_string()];
        for sql in [FORM_ELSEWHERE, ELSEWHERE] {
            ids.push(app.count(sql).await.to_string());
        }
        file_one_of_each(&app, &mut observer, 9).await;
        file_one_of_each(&app, &mut app.signed_in("observer2").await, 10).await;
        let (filed, _) = reports(&app).await;
        ids.extend([filed[0].clone(), filed[FORMS.len()].clone()]);
        (observer, pages, ids)
    });
    let path = format!("/m/{MISSION}/observer/file");
    check(128, filing(ids), |(lang, case)| {
        let mut observer = speaking(&observer, lang);
        if case.json {
            observer.headers = vec![("accept", "application/json".to_owned())];
        }
        let form = case.form.index(FORMS.len());
        let body = filing_body(&case, &FORMS[form], &pages[form]);
        runtime.block_on(async {
            if case.signed_out {
                return filed_signed_out(&app, observer, &path, body).await;
            }
            let before = app.count("SELECT count(*) FROM reports").await;
            let response = observer.send(Method::POST, &path, Some(body)).await;
            let after = app.count("SELECT count(*) FROM reports").await;
            prop_assert!(
                ANSWERED.contains(&response.status.as_u16()),
                "{}",
                brief(&response)
            );
            match receipted(case.json, &response)? {
                Some(id) => {
                    prop_assert!(
                        after - before <= 1,
                        "one submission filed {} reports",
                        after - before
                    );
                    let stored_for = filed_by(&app, &id).await;
                    prop_assert_eq!(
                        stored_for.as_deref(),
                        Some("observer"),
                        "{}",
                        brief(&response)
                    );
                    observer.headers.clear();
                    let receipt = observer
                        .get(&format!("/m/{MISSION}/observer/reports/{id}/receipt"))
                        .await;
                    prop_assert_eq!(receipt.status, StatusCode::OK, "{}", brief(&receipt));
                }
                None => prop_assert_eq!(
                    after,
                    before,
                    "filed without a receipt: {}",
                    brief(&response)
                ),
            }
            Ok(())
        })
    });
}

// ----- (b) amendments -----

#[derive(Debug, Clone)]
struct Amending {
    /// The report: the observer's own, another observer's, one that does not exist, or
    /// any text in the address.
    report: Option<Pick>,
    kind: Pick,
    text: String,
    fields: Vec<(String, String)>,
    /// The hidden fields replaced (or, for `Some(None)`, left out).
    amendment_id: Option<Option<String>>,
    csrf: Option<Option<String>>,
}

fn amending() -> impl Strategy<Value = Amending> {
    let replaced = || prop::option::weighted(0.15, prop::option::weighted(0.7, text()));
    (
        prop::option::weighted(0.3, pick()),
        pick(),
        written(),
        prop_oneof![2 => Just(Vec::new()), 1 => extra_fields(&["kind", "text", "amendment_id", "_csrf"])],
        replaced(),
        replaced(),
    )
        .prop_map(|(report, kind, text, fields, amendment_id, csrf)| Amending {
            report,
            kind,
            text,
            fields,
            amendment_id,
            csrf,
        })
}

#[test]
fn the_amendment_form_answers_any_submission() {
    let Harness { app, runtime } = harness();
    let (observer, targets) = runtime.block_on(async {
        let mut observer = app.signed_in("observer").await;
        let mut other = app.signed_in("observer2").await;
        file_one_of_each(&app, &mut observer, 1).await;
        file_one_of_each(&app, &mut other, 2).await;
        let (ids, _) = reports(&app).await;
        // The first two are the observer's own; then another observer's, and one that
        // does not exist.
        let targets = vec![
            ids[0].clone(),
            ids[1].clone(),
            ids[FORMS.len()].clone(),
            Uuid::nil().hyphenated().to_string(),
        ];
        (observer, targets)
    });
    let kinds = ["correction", "addition"].map(str::to_owned);
    check(64, amending(), |(lang, case)| {
        let mut observer = speaking(&observer, lang);
        let own = format!("/m/{MISSION}/observer/reports/{}", targets[0]);
        let report = format!(
            "/m/{MISSION}/observer/reports/{}",
            segment(first_or(&case.report, &targets))
        );
        let mut fields = vec![
            ("kind".to_owned(), case.kind.among(&kinds).to_owned()),
            ("text".to_owned(), case.text.clone()),
        ];
        fields.extend(case.fields.iter().cloned());
        runtime.block_on(async {
            let before = app.count("SELECT count(*) FROM report_events").await;
            let response = if report == own && case.amendment_id.is_none() && case.csrf.is_none() {
                let pairs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                observer.amend(&report, &pairs).await
            } else {
                // The tokens of the observer's own report page, sent wherever the case says.
                let page = observer.get(&own).await;
                let mut all = vec![
                    ("_csrf".to_owned(), page.csrf()),
                    (
                        "amendment_id".to_owned(),
                        hidden_value(&page.body, "amendment_id").unwrap_or_default(),
                    ),
                ];
                for (name, replaced) in
                    [("_csrf", &case.csrf), ("amendment_id", &case.amendment_id)]
                {
                    if let Some(value) = replaced {
                        all.retain(|(n, _)| n != name);
                        all.extend(value.iter().map(|v| (name.to_owned(), v.clone())));
                    }
                }
                all.extend(fields);
                let pairs: Vec<(&str, &str)> =
                    all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                observer
                    .post_raw(&format!("{report}/amendments"), &pairs)
                    .await
            };
            let after = app.count("SELECT count(*) FROM report_events").await;
            prop_assert!(
                ANSWERED.contains(&response.status.as_u16()),
                "{}",
                brief(&response)
            );
            if response.status == StatusCode::SEE_OTHER {
                prop_assert!(
                    after - before <= 1,
                    "one amendment recorded {} events",
                    after - before
                );
                let theirs = targets[..2].iter().any(|id| report.ends_with(id.as_str()));
                prop_assert!(theirs, "amended a report not theirs: {}", brief(&response));
                let page = observer.get(without_fragment(response.location())).await;
                prop_assert_eq!(page.status, StatusCode::OK, "{}", brief(&page));
            } else {
                prop_assert_eq!(
                    after,
                    before,
                    "recorded though refused: {}",
                    brief(&response)
                );
            }
            Ok(())
        })
    });
}

// ----- (c) review -----

/// What a reviewer's forms are filled in with: the app's reports, actions and findings.
struct ReviewWords {
    ids: Vec<String>,
    references: Vec<String>,
    actions: Vec<String>,
    findings: Vec<String>,
}

#[derive(Debug, Clone)]
struct Reviewing {
    lead: bool,
    /// The queue's bulk form rather than one report's actions.
    bulk: bool,
    report: Pick,
    action: Pick,
    note: Option<String>,
    duplicate_of: Option<Pick>,
    /// The reports ticked in the queue.
    ticked: Vec<Pick>,
    back: Option<String>,
    finding_id: Option<Pick>,
    fields: Vec<(String, String)>,
    csrf: Option<String>,
}

const REVIEW_FIELDS: &[&str] = &["action", "note", "report", "duplicate_of", "back", "_csrf"];

fn reviewing() -> impl Strategy<Value = Reviewing> {
    let chosen = (
        any::<bool>(),
        prop::bool::weighted(0.25),
        pick_known(6, 1),
        pick_known(6, 1),
    );
    let filled = (
        prop::option::weighted(0.7, written()),
        prop::option::weighted(0.4, pick_known(4, 1)),
        vec(pick_known(4, 1), 0..4),
        prop::option::weighted(0.4, prop_oneof![filter_query(), text()]),
        prop::option::weighted(0.5, pick_known(4, 1)),
    );
    let added = prop_oneof![3 => Just(Vec::new()), 1 => extra_fields(REVIEW_FIELDS)];
    (chosen, filled, added, prop::option::weighted(0.05, text())).prop_map(
        |((lead, bulk, report, action), filled, fields, csrf)| {
            let (note, duplicate_of, ticked, back, finding_id) = filled;
            Reviewing {
                lead,
                bulk,
                report,
                action,
                note,
                duplicate_of,
                ticked,
                back,
                finding_id,
                fields,
                csrf,
            }
        },
    )
}

/// A query string of filters, as the queue's bulk form carries it back.
fn filter_query() -> BoxedStrategy<String> {
    filter_pairs(filter_values(), 25_000)
        .prop_map(|pairs| serde_urlencoded::to_string(pairs).expect("encode"))
        .boxed()
}

impl Reviewing {
    fn path(&self, words: &ReviewWords) -> String {
        if self.bulk {
            format!("/m/{MISSION}/review/bulk")
        } else {
            let report = segment(self.report.among(&words.ids));
            format!("/m/{MISSION}/review/reports/{report}/actions")
        }
    }

    fn fields(&self, words: &ReviewWords, csrf: &str) -> Vec<(String, String)> {
        let csrf = self.csrf.as_deref().unwrap_or(csrf);
        let mut fields = vec![
            ("_csrf".to_owned(), csrf.to_owned()),
            (
                "action".to_owned(),
                self.action.among(&words.actions).to_owned(),
            ),
        ];
        let duplicate_of = self.duplicate_of.as_ref();
        let finding_id = self.finding_id.as_ref();
        let optional = [
            ("note", self.note.clone()),
            (
                "duplicate_of",
                duplicate_of.map(|p| p.among(&words.references).to_owned()),
            ),
            ("back", self.back.clone()),
            (
                "finding_id",
                finding_id.map(|p| p.among(&words.findings).to_owned()),
            ),
        ];
        for (name, value) in optional {
            fields.extend(value.map(|v| (name.to_owned(), v)));
        }
        let ticked = self.ticked.iter().map(|p| p.among(&words.ids).to_owned());
        fields.extend(ticked.map(|id| ("report".to_owned(), id)));
        fields.extend(self.fields.iter().cloned());
        fields
    }
}

/// What the review and findings tables hold, to tell whether a request changed them.
const REVIEW_STATE: &str = "SELECT (SELECT count(*) FROM report_events) || '/' ||
    (SELECT count(*) FROM finding_evidence) || '/' ||
    (SELECT coalesce(group_concat(id || ':' || status), '') FROM reports)";

/// A finding made by `lead`, by its id.
async fn new_finding(lead: &mut Browser) -> String {
    let finding = lead
        .post(
            &format!("/m/{MISSION}/findings"),
            &format!("/m/{MISSION}/findings/new"),
            &[
                ("title", "Sealed boxes"),
                ("statement", "Boxes were sealed."),
                ("assessment", "positive"),
                ("topic", "Voting"),
            ],
        )
        .await;
    assert_eq!(finding.status, StatusCode::SEE_OTHER, "{}", brief(&finding));
    finding
        .location()
        .rsplit('/')
        .next()
        .expect("id")
        .to_owned()
}

#[test]
fn review_actions_answer_any_submission() {
    let Harness { app, runtime } = harness();
    let (coordinator, lead, tokens, words) = runtime.block_on(async {
        let mut observer = app.signed_in("observer").await;
        file_one_of_each(&app, &mut observer, 3).await;
        let mut other = app.signed_in("observer2").await;
        file_one_of_each(&app, &mut other, 4).await;
        let mut coordinator = app.signed_in("coordinator").await;
        let mut lead = app.signed_in("lead").await;
        let queue = format!("/m/{MISSION}/review");
        let tokens = [
            token(&mut coordinator, &queue).await,
            token(&mut lead, &queue).await,
        ];
        let finding = new_finding(&mut lead).await;
        let (mut ids, references) = reports(&app).await;
        ids.push(Uuid::nil().hyphenated().to_string());
        let actions = [
            "verify",
            "dismiss",
            "escalate",
            "duplicate",
            "reopen",
            "comment",
            "add_to_finding",
        ];
        let words = ReviewWords {
            ids,
            references,
            actions: actions.map(str::to_owned).to_vec(),
            findings: [finding.as_str(), "0", "-1"].map(str::to_owned).to_vec(),
        };
        (coordinator, lead, tokens, words)
    });
    check(128, reviewing(), |(lang, case)| {
        let mut reviewer = speaking(if case.lead { &lead } else { &coordinator }, lang);
        let path = case.path(&words);
        let fields = case.fields(&words, &tokens[usize::from(case.lead)]);
        runtime.block_on(async {
            let Some(response) =
                post_changing(&app, &mut reviewer, &path, &fields, REVIEW_STATE).await?
            else {
                return Ok(());
            };
            // The bulk form's way back holds the filters it was sent with, which may be
            // longer than an address can be (the queue's own links never are).
            let location = without_fragment(response.location()).to_owned();
            if location.len() <= 8 * 1024 {
                let page = reviewer.get(&location).await;
                prop_assert!(ANSWERED.contains(&page.status.as_u16()), "{}", brief(&page));
                if location.contains("/review/reports/") || location.contains("/findings/") {
                    prop_assert_eq!(page.status, StatusCode::OK, "{}", brief(&page));
                }
            }
            Ok(())
        })
    });
}

// ----- (d) findings -----

/// What the finding forms are filled in with: the app's findings, regions and reports.
struct FindingWords {
    /// The finding made for the test first.
    findings: Vec<String>,
    regions: Vec<String>,
    ids: Vec<String>,
    references: Vec<String>,
    assessments: Vec<String>,
    stages: Vec<String>,
}

#[derive(Debug, Clone)]
struct Drafting {
    /// Create, edit, add evidence, move the stage, remove evidence.
    target: Index,
    /// The finding made for the test, for `None`.
    finding: Option<Pick>,
    title: Option<String>,
    statement: Option<String>,
    assessment: Option<Pick>,
    topic: Option<String>,
    regions: Vec<Pick>,
    references: Option<Pick>,
    /// The report whose evidence is removed.
    report: Pick,
    note: Option<String>,
    to: Option<Pick>,
    fields: Vec<(String, String)>,
    csrf: Option<String>,
}

const FINDING_FIELDS: &[&str] = &[
    "title",
    "statement",
    "assessment",
    "topic",
    "region",
    "to",
    "_csrf",
];

fn drafting() -> impl Strategy<Value = Drafting> {
    let typed = || prop::option::weighted(0.9, written());
    let likely = || prop::option::weighted(0.8, pick_known(6, 1));
    let target = (
        any::<Index>(),
        prop::option::weighted(0.2, pick()),
        pick_known(6, 1),
    );
    let texts = (typed(), typed(), likely(), typed());
    let rest = (
        vec(pick_known(6, 1), 0..3),
        likely(),
        prop::option::weighted(0.5, written()),
        likely(),
    );
    let added = prop_oneof![3 => Just(Vec::new()), 1 => extra_fields(FINDING_FIELDS)];
    (
        target,
        texts,
        rest,
        added,
        prop::option::weighted(0.05, text()),
    )
        .prop_map(|((target, finding, report), texts, rest, fields, csrf)| {
            let (title, statement, assessment, topic) = texts;
            let (regions, references, note, to) = rest;
            Drafting {
                target,
                finding,
                title,
                statement,
                assessment,
                topic,
                regions,
                references,
                report,
                note,
                to,
                fields,
                csrf,
            }
        })
}

impl Drafting {
    fn path(&self, words: &FindingWords) -> String {
        let base = format!("/m/{MISSION}/findings");
        let finding = segment(first_or(&self.finding, &words.findings));
        let report = segment(self.report.among(&words.ids));
        let targets = [
            base.clone(),
            format!("{base}/{finding}/edit"),
            format!("{base}/{finding}/evidence"),
            format!("{base}/{finding}/stage"),
            format!("{base}/{finding}/evidence/{report}/remove"),
        ];
        self.target.get(&targets).clone()
    }

    fn fields(&self, words: &FindingWords, csrf: &str) -> Vec<(String, String)> {
        let csrf = self.csrf.as_deref().unwrap_or(csrf);
        let mut fields = vec![("_csrf".to_owned(), csrf.to_owned())];
        let among = |pick: &Option<Pick>, known: &[String]| {
            pick.as_ref().map(|p| p.among(known).to_owned())
        };
        let optional = [
            ("title", self.title.clone()),
            ("statement", self.statement.clone()),
            ("assessment", among(&self.assessment, &words.assessments)),
            ("topic", self.topic.clone()),
            ("references", among(&self.references, &words.references)),
            ("note", self.note.clone()),
            ("to", among(&self.to, &words.stages)),
        ];
        for (name, value) in optional {
            fields.extend(value.map(|v| (name.to_owned(), v)));
        }
        let regions = self.regions.iter().map(|p| p.among(&words.regions));
        fields.extend(regions.map(|r| ("region".to_owned(), r.to_owned())));
        fields.extend(self.fields.iter().cloned());
        fields
    }
}

/// What the findings tables hold, to tell whether a request changed them.
const FINDINGS_STATE: &str = "SELECT (SELECT count(*) FROM findings) || '/' ||
    (SELECT count(*) FROM finding_history) || '/' ||
    (SELECT count(*) FROM finding_evidence) || '/' ||
    (SELECT coalesce(group_concat(finding_id || ':' || region_id), '') FROM finding_regions)
    || '/' || (SELECT coalesce(group_concat(id || ':' || stage || ':' || length(title)
    || ':' || length(statement)), '') FROM findings)";

#[test]
fn finding_forms_answer_any_submission() {
    let Harness { app, runtime } = harness();
    let (lead, csrf, words) = runtime.block_on(async {
        let mut observer = app.signed_in("observer").await;
        file_one_of_each(&app, &mut observer, 5).await;
        let (ids, references) = reports(&app).await;
        let mut coordinator = app.signed_in("coordinator").await;
        let report = format!("/m/{MISSION}/review/reports/{}", ids[0]);
        let verified = coordinator
            .post(
                &format!("{report}/actions"),
                &report,
                &[("action", "verify")],
            )
            .await;
        assert_eq!(
            verified.status,
            StatusCode::SEE_OTHER,
            "{}",
            brief(&verified)
        );
        let mut lead = app.signed_in("lead").await;
        let finding = new_finding(&mut lead).await;
        // Evidence verified: the finding can be published.
        let evidence = lead
            .post(
                &format!("/m/{MISSION}/findings/{finding}/evidence"),
                &format!("/m/{MISSION}/findings/{finding}"),
                &[("references", &references[0])],
            )
            .await;
        assert_eq!(
            evidence.status,
            StatusCode::SEE_OTHER,
            "{}",
            brief(&evidence)
        );
        let csrf = token(&mut lead, &format!("/m/{MISSION}/findings")).await;
        let mut regions = Vec::new();
        for (depth, code) in [(1, "001"), (3, "0001"), (4, "0001001")] {
            regions.push(app.region_id(depth, code).await.to_string());
        }
        regions.push(app.count(ELSEWHERE).await.to_string());
        let words = FindingWords {
            findings: [finding.as_str(), "0", "-1"].map(str::to_owned).to_vec(),
            regions,
            ids,
            references,
            assessments: ASSESSMENTS.iter().map(|a| (*a).to_owned()).collect(),
            stages: ["draft", "ready", "published"].map(str::to_owned).to_vec(),
        };
        (lead, csrf, words)
    });
    check(96, drafting(), |(lang, case)| {
        let mut lead = speaking(&lead, lang);
        let path = case.path(&words);
        let fields = case.fields(&words, &csrf);
        runtime.block_on(async {
            let Some(response) =
                post_changing(&app, &mut lead, &path, &fields, FINDINGS_STATE).await?
            else {
                return Ok(());
            };
            // What was saved shows on the finding, and in the statement once published.
            for page in [
                without_fragment(response.location()).to_owned(),
                format!("/m/{MISSION}/statement"),
                format!("/m/{MISSION}/statement.md"),
            ] {
                let shown = lead.get(&page).await;
                prop_assert_eq!(shown.status, StatusCode::OK, "{}", brief(&shown));
            }
            Ok(())
        })
    });
}

// ----- (e) addresses: the queue, the overview, the exports and the observer's pages -----

#[derive(Debug, Clone)]
enum Query {
    /// Pairs, encoded as a page would.
    Pairs(Vec<(String, String)>),
    /// Pieces of a query string put together as they come: broken escapes and all.
    Raw(Vec<&'static str>),
}

/// Pieces of a raw query string: names, values and escapes, whole and broken.
const QUERY_PIECES: &[&str] = &[
    "region=",
    "form=",
    "severity=",
    "status=",
    "from=",
    "to=",
    "q=",
    "sort=",
    "after=",
    "silent=",
    "chart=",
    "verified=",
    "problem=",
    "observer=",
    "at=",
    "before=",
    "unsaved=",
    "&",
    "=",
    "+",
    "%",
    "%2",
    "%ZZ",
    "%FF",
    "%C3",
    "%C3%A9",
    "%00",
    "%26",
    "%3D",
    "1",
    "-1",
    "x",
    "voting",
    "high",
    "received",
    "2017-08-08T06:00",
    "9999-12-31T23:00",
    "3.1",
    ".",
    ";",
    "..",
    "/",
    "?",
    "'",
    "*",
];

/// Who opens a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// A coordinator or a lead.
    Reviewer,
    Observer,
}

/// The pages read with a query string, under the mission; `{}` takes a path segment.
const READ_PAGES: [(Reader, &str); 16] = [
    (Reader::Reviewer, "review"),
    (Reader::Reviewer, "review/reports/{}"),
    (Reader::Reviewer, "overview"),
    (Reader::Reviewer, "overview/map.svg"),
    (Reader::Reviewer, "review/export.csv"),
    (Reader::Reviewer, "review/export.json"),
    (Reader::Reviewer, "review/export.geojson"),
    (Reader::Reviewer, "review/export-amendments.csv"),
    (Reader::Observer, "observer/file/voting"),
    (Reader::Observer, "observer/file/incident"),
    (Reader::Observer, "observer/file/{}"),
    (Reader::Observer, "observer/file/voting/{}"),
    (Reader::Observer, "observer/file/resume/{}"),
    (Reader::Observer, "observer/reports"),
    (Reader::Observer, "observer/reports/{}"),
    (Reader::Observer, "observer/reports/{}/receipt"),
];

#[derive(Debug, Clone)]
struct Looking {
    lead: bool,
    /// Asking for JSON, as a script would: refusals come as JSON too.
    json: bool,
    page: Index,
    /// What goes in the page's path: an id of this app, or anything.
    segment: Pick,
    /// One form chosen first, as the CSV export needs.
    form: Option<Index>,
    query: Query,
}

fn looking(values: Vec<String>) -> impl Strategy<Value = Looking> {
    let query = prop_oneof![
        3 => filter_pairs(values, 500).prop_map(Query::Pairs),
        1 => vec(select(QUERY_PIECES), 0..16).prop_map(Query::Raw),
    ];
    (
        (any::<bool>(), prop::bool::weighted(0.2)),
        (any::<Index>(), pick_known(3, 1)),
        prop::option::weighted(0.5, any::<Index>()),
        query,
    )
        .prop_map(|((lead, json), (page, segment), form, query)| Looking {
            lead,
            json,
            page,
            segment,
            form,
            query,
        })
}

impl Looking {
    fn reader(&self) -> Reader {
        self.page.get(&READ_PAGES).0
    }

    fn address(&self, segments: &[String]) -> String {
        let page = self.page.get(&READ_PAGES).1;
        let page = page.replace("{}", &segment(self.segment.among(segments)));
        let form = self
            .form
            .map(|i| format!("form={}&", i.get(&FORMS).key))
            .unwrap_or_default();
        let query = match &self.query {
            Query::Pairs(pairs) => serde_urlencoded::to_string(pairs).expect("encode"),
            Query::Raw(pieces) => pieces.concat(),
        };
        format!("/m/{MISSION}/{page}?{form}{query}")
    }
}

#[test]
fn the_queue_the_overview_the_exports_and_the_observers_pages_answer_any_address() {
    let Harness { app, runtime } = harness();
    let (readers, values, segments) = runtime.block_on(async {
        let mut observer = app.signed_in("observer").await;
        for seed in 6..8 {
            file_one_of_each(&app, &mut observer, seed).await;
        }
        file_one_of_each(&app, &mut app.signed_in("observer2").await, 8).await;
        // The filters' values, with the ids of this app's places and observers; the
        // pages' ids: places, forms and reports, the observer's own and another's.
        let mut places = Vec::new();
        for (depth, code) in [(1, "001"), (2, "002"), (3, "0001"), (4, "0001001")] {
            places.push(app.region_id(depth, code).await.to_string());
        }
        places.push(app.count(ELSEWHERE).await.to_string());
        let mut values = filter_values();
        values.extend(places.iter().cloned());
        values.push(app.user_id("observer").await.to_string());
        values.extend(FORMS.iter().map(|f| f.key.clone()));
        let (ids, _) = reports(&app).await;
        let mut segments = places;
        segments.extend(FORMS.iter().map(|f| f.key.clone()));
        segments.extend(ids);
        let readers = [
            app.signed_in("coordinator").await,
            app.signed_in("lead").await,
            observer,
        ];
        (readers, values, segments)
    });
    check(128, looking(values), |(lang, case)| {
        let reader = match (case.reader(), case.lead) {
            (Reader::Observer, _) => &readers[2],
            (Reader::Reviewer, lead) => &readers[usize::from(lead)],
        };
        let mut reader = speaking(reader, lang);
        if case.json {
            reader.headers = vec![("accept", "application/json".to_owned())];
        }
        let address = case.address(&segments);
        runtime.block_on(async {
            let response = reader.get(&address).await;
            prop_assert!(
                ANSWERED.contains(&response.status.as_u16()),
                "{}",
                brief(&response)
            );
            if response.status == StatusCode::OK && address.contains("json?") {
                let parsed = serde_json::from_str::<serde_json::Value>(&response.body);
                prop_assert!(parsed.is_ok(), "an export cut short: {}", brief(&response));
            }
            Ok(())
        })
    });
}
