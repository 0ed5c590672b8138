//! Interface text in the user's language: a small catalogue per language (the TOML files
//! in a folder per language next to this module, embedded in the binary), numbers and dates as that language writes
//! them, and the choice of a language from what the user picked or their browser asks for.
//!
//! English is complete and is the fallback. French covers the whole interface; Swahili
//! covers what observers see (sign-in, their pages, errors), and the rest falls back to
//! English. `tests/app/languages.rs` fails when a key is missing from a language that must
//! have it, or when code or a template uses a key the catalogue does not have.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// A language the interface is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
    Sw,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Sw];

    /// The BCP 47 code, as in `lang` attributes and `Accept-Language`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Sw => "sw",
        }
    }

    /// The language's name in itself, for the language picker.
    pub fn autonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Sw => "Kiswahili",
        }
    }

    /// A language from its code (`fr`, `fr-CA`, `SW`); `None` when not one of ours.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best of our languages for an `Accept-Language` header, by its quality values
    /// (the first listed wins a tie); `None` when it names none of them.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, f32)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
                best = Some((lang, quality));
            }
        }
        best.map(|(lang, _)| lang)
    }

    fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::Fr => 1,
            Lang::Sw => 2,
        }
    }
}

/// The keys observers read (by prefix): Swahili, the language of national observer
/// networks here, must have every one of them; the rest of the interface is for the core
/// team and the leads, in English or French.
pub const OBSERVER_PREFIXES: [&str; 13] = [
    "language.",
    "levels.",
    "answer.",
    "auth.",
    "error.",
    "status.",
    "severity.",
    "months.",
    "observer.",
    "outbox.",
    "nav.home",
    "nav.sign_out",
    "nav.label",
];

/// A catalogue: dotted keys (`observer.home.title`) to text.
pub type Catalogue = HashMap<String, String>;

/// The files of each language's catalogue, in the order of [`Lang::ALL`]: one per area of
/// the interface (`common` holds what observers read), so that each area's texts sit
/// together. A key is in one file only.
pub const SOURCES: [&[&str]; 3] = [
    &[
        include_str!("en/common.toml"),
        include_str!("en/review.toml"),
        include_str!("en/dashboard.toml"),
        include_str!("en/findings.toml"),
    ],
    &[
        include_str!("fr/common.toml"),
        include_str!("fr/review.toml"),
        include_str!("fr/dashboard.toml"),
        include_str!("fr/findings.toml"),
    ],
    &[include_str!("sw/common.toml")],
];

static CATALOGUES: LazyLock<Vec<Catalogue>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|files| catalogue(files).unwrap_or_default())
        .collect()
});

/// A language's catalogue from its files; refused when a key is in two of them.
pub fn catalogue(files: &[&str]) -> Result<Catalogue, String> {
    let mut all = Catalogue::new();
    for source in files {
        for (key, text) in parse(source)? {
            if all.insert(key.clone(), text).is_some() {
                return Err(format!("`{key}` is in two files"));
            }
        }
    }
    Ok(all)
}

/// Reads a catalogue: nested TOML tables flattened into dotted keys. Refuses anything but
/// tables and strings, so that a typo in a catalogue shows up in the tests.
pub fn parse(source: &str) -> Result<Catalogue, String> {
    let table: toml::Table = source.parse().map_err(|e| format!("{e}"))?;
    let mut catalogue = Catalogue::new();
    flatten("", &table, &mut catalogue)?;
    Ok(catalogue)
}

fn flatten(prefix: &str, table: &toml::Table, into: &mut Catalogue) -> Result<(), String> {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(text) => {
                into.insert(path, text.clone());
            }
            toml::Value::Table(inner) => flatten(&path, inner, into)?,
            other => return Err(format!("{path}: a {} is not text", other.type_str())),
        }
    }
    Ok(())
}

/// Text in one language: what templates and handlers write with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text for `key`: in this language, else in English, else the key itself (which
    /// the tests make sure never reaches a page).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        CATALOGUES[self.lang.index()]
            .get(key)
            .or_else(|| CATALOGUES[Lang::En.index()].get(key))
            .map_or(key, String::as_str)
    }

    /// The text for `key` in this language or English, if the catalogue has it.
    pub fn get(&self, key: &str) -> Option<&'static str> {
        CATALOGUES[self.lang.index()]
            .get(key)
            .or_else(|| CATALOGUES[Lang::En.index()].get(key))
            .map(String::as_str)
    }

    /// The text for `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The word for a stable name in a group of them: `word("status", "verified")` is the
    /// text of `status.verified` (a severity, a status: what code stores as names).
    pub fn word(&self, group: &str, name: impl std::fmt::Display) -> String {
        let key = format!("{group}.{name}");
        self.t(&key).to_owned()
    }

    /// The plural form of `key` for `n` (`key.one` or `key.other`), with `{n}` written as
    /// this language writes numbers.
    pub fn n(&self, key: &str, n: impl Count) -> String {
        let n = n.count();
        let form = if self.is_one(n) { "one" } else { "other" };
        self.fill(&format!("{key}.{form}"), &[("n", &self.number(n))])
    }

    /// Whether `n` takes the singular: French counts 0 and 1 as one; English and Swahili
    /// only 1 (CLDR plural rules for cardinal numbers).
    fn is_one(&self, n: i64) -> bool {
        match self.lang {
            Lang::Fr => n == 0 || n == 1,
            Lang::En | Lang::Sw => n == 1,
        }
    }

    /// A whole number with thousands grouped as this language writes them: `40,883` in
    /// English and Swahili, `40 883` (a narrow no-break space) in French.
    pub fn number(&self, n: i64) -> String {
        let separator = match self.lang {
            Lang::Fr => '\u{202f}',
            Lang::En | Lang::Sw => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(separator);
            }
            out.push(c);
        }
        out
    }

    /// A date and time (already in the mission's time zone) as this language writes it:
    /// `8 August 2017, 17:05`, `8 août 2017, 17:05`, `8 Agosti 2017, 17:05`.
    pub fn date_time(&self, year: i16, month: i8, day: i8, hour: i8, minute: i8) -> String {
        let mut out = String::new();
        let month_name = self.t(MONTHS[usize::try_from(month - 1).unwrap_or(0) % 12]);
        let _ = write!(out, "{day} {month_name} {year}, {hour:02}:{minute:02}");
        out
    }
}

/// A number of things, as templates hold them (by value or by reference).
pub trait Count {
    fn count(&self) -> i64;
}

impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}

impl Count for usize {
    fn count(&self) -> i64 {
        i64::try_from(*self).unwrap_or(i64::MAX)
    }
}

impl<T: Count> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// The catalogue keys of the months, January first.
const MONTHS: [&str; 12] = [
    "months.1",
    "months.2",
    "months.3",
    "months.4",
    "months.5",
    "months.6",
    "months.7",
    "months.8",
    "months.9",
    "months.10",
    "months.11",
    "months.12",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_of_ours() {
        assert_eq!(
            Lang::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"),
            Some(Lang::Fr)
        );
        assert_eq!(
            Lang::from_accept_language("de-DE,sw;q=0.5,en;q=0.7"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("sw-KE"), Some(Lang::Sw));
        assert_eq!(Lang::from_accept_language("de, it;q=0.8"), None);
        assert_eq!(Lang::from_accept_language("fr;q=0, en"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::from_accept_language("en;q=oops, fr"), Some(Lang::En));
    }

    #[test]
    fn plurals_follow_each_language() {
        let (en, fr) = (Tr::new(Lang::En), Tr::new(Lang::Fr));
        assert!(en.is_one(1) && !en.is_one(0) && !en.is_one(2));
        assert!(fr.is_one(0) && fr.is_one(1) && !fr.is_one(2));
        assert!(Tr::new(Lang::Sw).is_one(1) && !Tr::new(Lang::Sw).is_one(0));
    }

    #[test]
    fn numbers_are_grouped_as_each_language_writes_them() {
        assert_eq!(Tr::new(Lang::En).number(40_883), "40,883");
        assert_eq!(
            Tr::new(Lang::Fr).number(1_000_000),
            "1\u{202f}000\u{202f}000"
        );
        assert_eq!(Tr::new(Lang::Sw).number(-1234), "-1,234");
        assert_eq!(Tr::new(Lang::En).number(999), "999");
    }

    #[test]
    fn a_missing_text_falls_back_to_english_then_to_its_key() {
        let sw = Tr::new(Lang::Sw);
        assert_eq!(sw.t("no.such.key"), "no.such.key");
        assert_eq!(Tr::new(Lang::En).t("months.8"), "August");
        assert_eq!(
            Tr::new(Lang::Fr).date_time(2017, 8, 8, 17, 5),
            "8 août 2017, 17:05"
        );
    }

    #[test]
    fn catalogues_are_tables_of_text() {
        assert!(parse("[a]\nb = 1").is_err());
        assert_eq!(
            parse("[a.b]\nc = \"x\"").expect("a catalogue").get("a.b.c"),
            Some(&"x".to_owned())
        );
        for files in SOURCES {
            catalogue(files).expect("each shipped catalogue reads");
        }
        assert!(catalogue(&["[a]\nb = \"x\"", "[a]\nb = \"y\""]).is_err());
    }
}
