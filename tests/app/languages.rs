//! Every text in every shipped language: a key missing from a language that must have it,
//! a key used in code or a template that no catalogue has, or a translation that drops a
//! `{placeholder}` fails here. And pages come in the language chosen on the device, else
//! the browser's.

use crate::common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use axum::http::StatusCode;
use common::{MISSION, TestApp};
use fieldreport::domain::form::Severity;
use fieldreport::domain::review::Status;
use fieldreport::i18n::{Lang, OBSERVER_PREFIXES, SOURCES, catalogue};

fn catalogues() -> HashMap<Lang, HashMap<String, String>> {
    Lang::ALL
        .into_iter()
        .zip(SOURCES)
        .map(|(lang, files)| {
            let texts = catalogue(files).unwrap_or_else(|e| panic!("{}: {e}", lang.code()));
            (lang, texts)
        })
        .collect()
}

fn for_observers(key: &str) -> bool {
    OBSERVER_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// `{name}` placeholders of a text.
fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

#[test]
fn every_shipped_language_has_the_keys_it_must() {
    let all = catalogues();
    let english = &all[&Lang::En];
    let mut missing = Vec::new();
    for (key, text) in english {
        for lang in [Lang::Fr, Lang::Sw] {
            let required = lang == Lang::Fr || for_observers(key);
            match all[&lang].get(key) {
                None if required => missing.push(format!("{}: {key}", lang.code())),
                Some(other) if placeholders(other) != placeholders(text) => missing.push(format!(
                    "{}: {key} has {:?}, English {:?}",
                    lang.code(),
                    placeholders(other),
                    placeholders(text)
                )),
                _ => {}
            }
        }
    }
    for lang in [Lang::Fr, Lang::Sw] {
        for key in all[&lang].keys() {
            if !english.contains_key(key) {
                missing.push(format!("{}: {key} is not an English key", lang.code()));
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "missing or mismatched:\n{}",
        missing.join("\n")
    );
}

/// Every file under `dir` whose name ends with `extension`.
fn files(dir: &Path, extension: &str, into: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, extension, into);
        } else if path.to_string_lossy().ends_with(extension) {
            into.push(path);
        }
    }
}

/// The keys code and templates use: the first argument of `t(`, `n(` and `fill(` when it
/// is a literal, and any string literal shaped like a key of ours.
fn keys_used() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("src"), ".rs", &mut paths);
    // The catalogue's own module tests its fallback with a key that does not exist.
    paths.retain(|p| !p.ends_with("src/i18n/mod.rs"));
    files(&root.join("templates"), ".html", &mut paths);
    let mut keys = BTreeSet::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read");
        for (i, _) in text.match_indices('"') {
            let rest = &text[i + 1..];
            let Some(end) = rest.find('"') else { continue };
            let literal = &rest[..end];
            let keyish = literal
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
                && literal.contains('.')
                && !literal.ends_with('.')
                && ![".html", ".svg", ".css", ".js"]
                    .iter()
                    .any(|e| literal.ends_with(e));
            let before = &text[..i];
            let called = [".t(", ".n(", ".fill(", "Message::new("]
                .iter()
                .any(|c| before.ends_with(c));
            let ours = OBSERVER_PREFIXES
                .iter()
                .chain(&[
                    "nav.",
                    "language.",
                    "review.",
                    "dashboard.",
                    "findings.",
                    "admin.",
                    "forms.",
                    "home.",
                ])
                .any(|p| literal.starts_with(p));
            if keyish && (called || ours) {
                if before.ends_with(".n(") {
                    keys.insert(format!("{literal}.one"));
                    keys.insert(format!("{literal}.other"));
                } else {
                    keys.insert(literal.to_owned());
                }
            }
        }
    }
    keys
}

#[test]
fn every_key_in_use_is_in_the_catalogue() {
    let english = &catalogues()[&Lang::En];
    let mut used = keys_used();
    assert!(used.len() > 100, "the scan found only {} keys", used.len());
    // Words looked up by name: every status and severity there is.
    used.extend(Status::ALL.iter().map(|s| format!("status.{}", s.as_str())));
    used.extend(Severity::ALL.iter().map(|s| format!("severity.{s}")));
    used.extend((1..=12).map(|m| format!("months.{m}")));
    let missing: Vec<&String> = used.iter().filter(|k| !english.contains_key(*k)).collect();
    assert!(missing.is_empty(), "used but not in en.toml: {missing:?}");
}

#[tokio::test]
async fn pages_come_in_the_chosen_language_else_the_browsers() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let home = format!("/m/{MISSION}/observer");

    let english = observer.get(&home).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("File a report"));

    observer.headers = vec![("accept-language", "fr-FR,fr;q=0.9,en;q=0.5".to_owned())];
    let french = observer.get(&home).await;
    assert!(french.contains("<html lang=\"fr\">"), "{}", french.body);
    assert!(french.contains("Envoyer un rapport") && french.contains("Mes rapports"));
    assert!(
        french.contains(">Vote</a>"),
        "form titles in French: {}",
        french.body
    );

    // A report filed in French: what needs fixing is said in French, the receipt too,
    // and its answers are stored by key.
    let station = app.region_id(4, "0001001").await;
    let mut incomplete = common::voting_fine();
    incomplete.retain(|(k, _)| *k != "arrival_time");
    incomplete.push(("queue_length", "beaucoup"));
    let (_, refused) = observer.file("voting", station, &incomplete).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for expected in [
        "2 réponses demandent votre attention. Rien n&#39;a encore été enregistré.",
        "Cette question demande une réponse.",
        "Saisissez un nombre entier.",
    ] {
        assert!(refused.contains(expected), "{expected}: {}", refused.body);
    }
    let answers = common::voting_but(&[("boxes_sealed", "no")]);
    let (_, filed) = observer.file("voting", station, &answers).await;
    let receipt = observer.get(filed.location()).await;
    assert!(receipt.contains("Rapport reçu") && receipt.contains("1 problème signalé"));
    assert!(
        receipt.contains(
            "Toutes les urnes étaient-elles correctement scellées ? — <strong>Non</strong>"
        ),
        "{}",
        receipt.body
    );
    assert!(receipt.contains("<span class=\"tag sev-high\">élevée</span>"));
    assert_eq!(
        app.count(
            "SELECT count(*) FROM reports WHERE json_extract(answers, '$.boxes_sealed') = false"
        )
        .await,
        1,
        "stored as the answer, not as the words it was read in"
    );

    // Kiswahili picked on the device wins over the browser's French.
    observer
        .headers
        .push(("referer", format!("http://127.0.0.1{home}")));
    let picked = observer.get("/language?lang=sw").await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER);
    assert_eq!(picked.location(), home);
    assert!(picked.header("set-cookie").starts_with("fr_lang=sw"));
    let swahili = observer.get(&home).await;
    assert!(swahili.contains("<html lang=\"sw\">") && swahili.contains("Tuma ripoti"));
    let form = observer
        .get(&format!("/m/{MISSION}/observer/file/voting/{station}"))
        .await;
    assert!(form.contains("Uliona hili lini?") && form.contains("Tuma ripoti"));
    // The form's own texts come from its Swahili translation; keys stay as they are.
    assert!(form.contains("Je, masanduku yote ya kura yalikuwa yamefungwa ipasavyo kwa lakiri?"));
    assert!(form.contains("name=\"q.boxes_sealed\" value=\"no\""));
    assert!(
        form.contains("> Hapana</label>"),
        "yes and no in the page's language"
    );
    // The outbox script gets its texts in the page's language.
    assert!(
        form.contains("Ripoti {n} zinasubiri kutumwa"),
        "{}",
        form.body
    );

    // Signed out, the sign-in page and error pages follow the same choice.
    let mut visitor = app.browser();
    visitor.headers = vec![("cookie", "fr_lang=fr".to_owned())];
    let sign_in = visitor.get("/login").await;
    assert!(sign_in.contains("<h1>Connexion</h1>") && sign_in.contains("Mot de passe"));
    let missing = visitor.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Page introuvable"), "{}", missing.body);

    // An unknown language changes nothing and goes back home.
    let mut other = app.browser();
    let refused = other.get("/language?lang=xx").await;
    assert_eq!(refused.location(), "/");
    assert!(refused.header("set-cookie").is_empty());
    let nothing = other.get("/language").await;
    assert_eq!(nothing.status, StatusCode::SEE_OTHER, "{}", nothing.body);
    assert!(nothing.header("set-cookie").is_empty());
}

#[tokio::test]
async fn the_menu_is_named_for_screen_readers_in_the_page_language() {
    let app = TestApp::new().await;
    for (user, path) in [
        ("observer", format!("/m/{MISSION}/observer")),
        ("coordinator", format!("/m/{MISSION}/review")),
    ] {
        let mut browser = app.signed_in(user).await;
        for (lang, label) in [
            ("en", "Main menu"),
            ("fr", "Menu principal"),
            ("sw", "Menyu kuu"),
        ] {
            browser.cookies.insert("fr_lang".into(), lang.into());
            let page = browser.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(
                page.contains(&format!("<nav aria-label=\"{label}\">")),
                "{user} in {lang}: {}",
                page.body
            );
        }
    }
}

/// A refused correction is explained in the observer's language, as every other refusal
/// of their forms is: the domain says what is wrong, the page says it in French.
#[tokio::test]
async fn a_refused_amendment_is_explained_in_the_observers_language() {
    let app = TestApp::new().await;
    let mut observer = app.signed_in("observer").await;
    let station = app.region_id(4, "0001001").await;
    let (_, response) = observer
        .file("voting", station, &common::voting_fine())
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let report = response.location().trim_end_matches("/receipt").to_owned();
    observer.headers = vec![("accept-language", "fr".to_owned())];
    let empty = observer
        .amend(&report, &[("kind", "correction"), ("text", "   ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.contains("Écrivez ce que vous corrigez ou ajoutez."),
        "{}",
        empty.body
    );
    let long = "x".repeat(fieldreport::domain::report::AMENDMENT_MAX + 1);
    let too_long = observer
        .amend(&report, &[("kind", "addition"), ("text", &long)])
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !too_long.contains("Shorten this") && too_long.contains("4001"),
        "{}",
        too_long.body
    );
    assert_eq!(app.count("SELECT count(*) FROM report_events").await, 1);
}
