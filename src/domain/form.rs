//! Form definitions: a mission's checklists and incident forms as data.
//!
//! A definition is written in TOML (or JSON) by mission staff, checked here into a
//! [`FormDefinition`] that cannot be wrong, and stored as JSON. Reports keep the version they
//! were filed with, so a stored definition never changes; editing a form makes a new one.

mod translation;

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

pub use translation::{QuestionText, Translation};

/// A definition that cannot be used, with the reason in the author's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DefinitionError(pub String);

fn invalid(message: impl Into<String>) -> DefinitionError {
    DefinitionError(message.into())
}

/// How serious a problem is. Ordered: a report's severity is its worst problem's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The number stored in the database: 1 (low) to 4 (critical), so that SQL can sort
    /// and take the maximum.
    pub fn rank(self) -> i64 {
        match self {
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.rank() == rank)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checklists are filed at a polling station during a phase of the day; incident reports
/// at any time and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormKind {
    Checklist,
    Incident,
}

impl FormKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FormKind::Checklist => "checklist",
            FormKind::Incident => "incident",
        }
    }

    pub fn parse(text: &str) -> Option<FormKind> {
        [FormKind::Checklist, FormKind::Incident]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One choice of a `one_of` or `many_of` question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub key: String,
    pub label: String,
}

/// What an answer must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    YesNo,
    OneOf(Vec<Choice>),
    ManyOf(Vec<Choice>),
    Integer { min: i64, max: i64 },
    ShortText { max_length: usize },
    LongText { max_length: usize },
    DateTime,
    PollingStation,
}

/// Which answers to a question are a problem, and how serious.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemWhen {
    /// Any of these answers (`yes`/`no`, or option keys).
    Answers(Vec<String>),
    /// A number above this.
    Above(i64),
    /// A number below this.
    Below(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemRule {
    pub when: ProblemWhen,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub key: String,
    pub label: String,
    pub help: Option<String>,
    pub required: bool,
    pub kind: QuestionKind,
    pub problem: Option<ProblemRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: Option<String>,
    pub questions: Vec<Question>,
}

/// A checked form definition. Two definitions are equal when their canonical forms are:
/// the same questions, options and rules, however the file was laid out.
#[derive(Debug, Clone)]
pub struct FormDefinition {
    pub key: String,
    pub title: String,
    pub kind: FormKind,
    pub description: Option<String>,
    pub sections: Vec<Section>,
    /// A `one_of` question whose options are severities: an incident's stated severity.
    pub severity_from: Option<String>,
    /// A `one_of` question whose answer is the incident's category.
    pub category_from: Option<String>,
    /// The language its texts are written in (`en` unless the author says otherwise).
    pub language: String,
    /// Its texts in other languages, by language code (see `form::translation`).
    pub translations: BTreeMap<String, Translation>,
    /// The definition in its stored form: canonical JSON, the same for the same content.
    canonical: String,
}

/// Default and ceiling lengths of text answers, in characters.
const SHORT_TEXT_DEFAULT: usize = 200;
const LONG_TEXT_DEFAULT: usize = 4000;
const TEXT_CEILING: usize = 20_000;
/// More choices than anyone reads through on a phone.
const MAX_OPTIONS: usize = 60;
/// More questions than a phone user can answer at a polling station.
const MAX_QUESTIONS: usize = 200;

impl PartialEq for FormDefinition {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Eq for FormDefinition {}

impl FormDefinition {
    /// Reads a definition from TOML.
    pub fn from_toml(text: &str) -> Result<Self, DefinitionError> {
        let raw: RawForm = toml::from_str(text).map_err(|e| invalid(toml_message(&e)))?;
        raw.check()
    }

    /// Reads a definition from JSON (also the stored form).
    pub fn from_json(text: &str) -> Result<Self, DefinitionError> {
        let raw: RawForm = serde_json::from_str(text)
            .map_err(|e| invalid(format!("not a form definition: {e}")))?;
        raw.check()
    }

    /// The canonical JSON to store; equal definitions give equal text.
    pub fn canonical_json(&self) -> &str {
        &self.canonical
    }

    /// Every question, in order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions().find(|q| q.key == key)
    }
}

/// A TOML error as one line: where, then what (the source excerpt it also draws is left out).
fn toml_message(error: &toml::de::Error) -> String {
    let text = error.to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    let place = first.strip_prefix("TOML parse error at ").unwrap_or(first);
    let what = lines
        .next_back()
        .map(|l| l.trim_start_matches(['|', '^', ' ']))
        .unwrap_or_default();
    if what.is_empty() {
        place.to_owned()
    } else {
        format!("{place}: {what}")
    }
}

// ----- the shape authors write -----

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    key: String,
    title: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    severity_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category_from: Option<String>,
    /// Questions outside any section (a short form needs no sections).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    questions: Vec<RawQuestion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sections: Vec<RawSection>,
    /// The language of the texts above; English when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    translations: BTreeMap<String, translation::RawTranslation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    questions: Vec<RawQuestion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    key: String,
    label: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Vec<Choice>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    problem: Option<RawProblem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProblem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    above: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    below: Option<i64>,
    severity: String,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Keys of forms, questions and options: what exports and URLs use.
fn check_key(what: &str, key: &str) -> Result<(), DefinitionError> {
    let ok = !key.is_empty()
        && key.len() <= 60
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} key `{key}` must start with a letter and use only a-z, 0-9 and _ (at most 60)"
        )))
    }
}

fn check_text(what: &str, text: &str, max: usize) -> Result<String, DefinitionError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(invalid(format!("{what} must have 1 to {max} characters")));
    }
    Ok(text.to_owned())
}

impl RawForm {
    fn check(self) -> Result<FormDefinition, DefinitionError> {
        check_key("form", &self.key)?;
        let title = check_text("the form title", &self.title, 120)?;
        let kind = match self.kind.as_str() {
            "checklist" => FormKind::Checklist,
            "incident" => FormKind::Incident,
            other => {
                return Err(invalid(format!(
                    "form kind `{other}` is not checklist or incident"
                )));
            }
        };
        let language = match &self.language {
            Some(code) => translation::language_code("the form's language", code)?,
            None => "en",
        };
        let mut sections = Vec::new();
        if !self.questions.is_empty() {
            sections.push(RawSection {
                title: None,
                questions: self.questions.clone(),
            });
        }
        sections.extend(self.sections.iter().cloned());
        let mut seen = HashSet::new();
        let mut checked_sections = Vec::new();
        for section in sections {
            let title = section
                .title
                .as_deref()
                .map(|t| check_text("a section title", t, 120))
                .transpose()?;
            if section.questions.is_empty() {
                return Err(invalid(format!(
                    "section `{}` has no questions",
                    title.unwrap_or_default()
                )));
            }
            let mut questions = Vec::new();
            for raw in section.questions {
                if !seen.insert(raw.key.clone()) {
                    return Err(invalid(format!("question key `{}` is used twice", raw.key)));
                }
                questions.push(raw.check()?);
            }
            checked_sections.push(Section { title, questions });
        }
        let count = seen.len();
        if count == 0 {
            return Err(invalid("the form has no questions"));
        }
        if count > MAX_QUESTIONS {
            return Err(invalid(format!(
                "the form has {count} questions; at most {MAX_QUESTIONS}"
            )));
        }
        let definition = FormDefinition {
            key: self.key.clone(),
            title,
            kind,
            description: self
                .description
                .as_deref()
                .map(|d| check_text("the description", d, 2000))
                .transpose()?,
            sections: checked_sections,
            severity_from: self.severity_from.clone(),
            category_from: self.category_from.clone(),
            language: language.to_owned(),
            translations: BTreeMap::new(),
            canonical: String::new(),
        };
        check_source(
            &definition,
            definition.severity_from.as_deref(),
            "severity_from",
            |options| options.iter().all(|o| Severity::parse(&o.key).is_some()),
        )?;
        check_source(
            &definition,
            definition.category_from.as_deref(),
            "category_from",
            |_| true,
        )?;
        check_form_rules(&definition)?;
        let mut definition = definition;
        let leading_untitled = usize::from(!self.questions.is_empty());
        definition.translations =
            translation::check_all(&self.translations, &definition, leading_untitled)?;
        definition.canonical =
            serde_json::to_string(&definition.normalized()).map_err(|e| invalid(e.to_string()))?;
        Ok(definition)
    }
}

/// The largest total of text an observer could type into one form, in bytes: kept well
/// under the server's 256 KiB request limit, so a full form is never refused for size.
const MAX_FORM_TEXT_BYTES: usize = 160 * 1024;

/// Rules about the form as a whole, once every question is checked.
fn check_form_rules(definition: &FormDefinition) -> Result<(), DefinitionError> {
    if definition.category_from.is_some() && definition.kind != FormKind::Incident {
        return Err(invalid("category_from is for incident forms only"));
    }
    if definition.category_from.is_some() && definition.category_from == definition.severity_from {
        return Err(invalid(
            "severity_from and category_from name the same question",
        ));
    }
    // A character can take 4 bytes in UTF-8, and up to 3 times that once percent-encoded.
    let text_bytes: usize = definition
        .questions()
        .map(|q| match q.kind {
            QuestionKind::ShortText { max_length } | QuestionKind::LongText { max_length } => {
                max_length * 12
            }
            _ => 0,
        })
        .sum();
    if text_bytes > MAX_FORM_TEXT_BYTES {
        return Err(invalid(format!(
            "the text answers of this form could reach {} KiB, more than a report may hold ({} KiB): lower some max_length",
            text_bytes / 1024,
            MAX_FORM_TEXT_BYTES / 1024
        )));
    }
    Ok(())
}

impl FormDefinition {
    /// The definition in one normal shape: trimmed, defaults written out, every question in
    /// a section. Its JSON is the canonical form, stored and compared.
    fn normalized(&self) -> RawForm {
        RawForm {
            key: self.key.clone(),
            title: self.title.clone(),
            kind: self.kind.as_str().to_owned(),
            description: self.description.clone(),
            severity_from: self.severity_from.clone(),
            category_from: self.category_from.clone(),
            questions: Vec::new(),
            sections: self
                .sections
                .iter()
                .map(|section| RawSection {
                    title: section.title.clone(),
                    questions: section.questions.iter().map(Question::normalized).collect(),
                })
                .collect(),
            // Written out only when it is not the default, so that forms stored before
            // translations existed keep their canonical text.
            language: (self.language != "en").then(|| self.language.clone()),
            translations: translation::normalized(&self.translations),
        }
    }
}

impl Question {
    fn normalized(&self) -> RawQuestion {
        let (kind, options, min, max, max_length) = match &self.kind {
            QuestionKind::YesNo => ("yes_no", None, None, None, None),
            QuestionKind::OneOf(options) => ("one_of", Some(options.clone()), None, None, None),
            QuestionKind::ManyOf(options) => ("many_of", Some(options.clone()), None, None, None),
            QuestionKind::Integer { min, max } => ("integer", None, Some(*min), Some(*max), None),
            QuestionKind::ShortText { max_length } => {
                ("short_text", None, None, None, Some(*max_length))
            }
            QuestionKind::LongText { max_length } => {
                ("long_text", None, None, None, Some(*max_length))
            }
            QuestionKind::DateTime => ("date_time", None, None, None, None),
            QuestionKind::PollingStation => ("polling_station", None, None, None, None),
        };
        let problem = self.problem.as_ref().map(|rule| {
            let (answers, above, below) = match &rule.when {
                ProblemWhen::Answers(answers) => (Some(answers.clone()), None, None),
                ProblemWhen::Above(n) => (None, Some(*n), None),
                ProblemWhen::Below(n) => (None, None, Some(*n)),
            };
            RawProblem {
                answers,
                above,
                below,
                severity: rule.severity.as_str().to_owned(),
            }
        });
        RawQuestion {
            key: self.key.clone(),
            label: self.label.clone(),
            kind: kind.to_owned(),
            help: self.help.clone(),
            required: self.required,
            options,
            min,
            max,
            max_length,
            problem,
        }
    }
}

/// `severity_from` and `category_from` must name a `one_of` question (with severities as
/// option keys, for the former).
fn check_source(
    definition: &FormDefinition,
    key: Option<&str>,
    field: &str,
    options_ok: impl Fn(&[Choice]) -> bool,
) -> Result<(), DefinitionError> {
    let Some(key) = key else { return Ok(()) };
    match definition.question(key).map(|q| &q.kind) {
        Some(QuestionKind::OneOf(options)) if options_ok(options) => Ok(()),
        Some(QuestionKind::OneOf(_)) => Err(invalid(format!(
            "{field} names `{key}`, whose option keys must be low, medium, high or critical"
        ))),
        Some(_) => Err(invalid(format!(
            "{field} names `{key}`, which is not a one_of question"
        ))),
        None => Err(invalid(format!(
            "{field} names `{key}`, which is not a question of this form"
        ))),
    }
}

const TYPES: &str =
    "yes_no, one_of, many_of, integer, short_text, long_text, date_time, polling_station";

impl RawQuestion {
    fn check(self) -> Result<Question, DefinitionError> {
        check_key("question", &self.key)?;
        let at = |message: String| invalid(format!("question `{}`: {message}", self.key));
        let label = check_text("the label", &self.label, 300).map_err(|e| at(e.0))?;
        let help = self
            .help
            .as_deref()
            .map(|h| check_text("the help", h, 1000))
            .transpose()
            .map_err(|e| at(e.0))?;
        let takes_options = matches!(self.kind.as_str(), "one_of" | "many_of");
        if self.options.is_some() && !takes_options {
            return Err(at(format!("a {} question has no options", self.kind)));
        }
        if (self.min.is_some() || self.max.is_some()) && self.kind != "integer" {
            return Err(at("only integer questions have min and max".into()));
        }
        let is_text = matches!(self.kind.as_str(), "short_text" | "long_text");
        if self.max_length.is_some() && !is_text {
            return Err(at("only text questions have max_length".into()));
        }
        let text_length = |default: usize| match self.max_length {
            None => Ok(default),
            Some(n) if (1..=TEXT_CEILING).contains(&n) => Ok(n),
            Some(n) => Err(at(format!(
                "max_length {n} is not between 1 and {TEXT_CEILING}"
            ))),
        };
        let kind = match self.kind.as_str() {
            "yes_no" => QuestionKind::YesNo,
            "one_of" => QuestionKind::OneOf(check_options(self.options.clone(), &at)?),
            "many_of" => QuestionKind::ManyOf(check_options(self.options.clone(), &at)?),
            "integer" => {
                let (min, max) = (self.min.unwrap_or(0), self.max.unwrap_or(1_000_000));
                if min > max {
                    return Err(at(format!("min {min} is above max {max}")));
                }
                QuestionKind::Integer { min, max }
            }
            "short_text" => QuestionKind::ShortText {
                max_length: text_length(SHORT_TEXT_DEFAULT)?,
            },
            "long_text" => QuestionKind::LongText {
                max_length: text_length(LONG_TEXT_DEFAULT)?,
            },
            "date_time" => QuestionKind::DateTime,
            "polling_station" => QuestionKind::PollingStation,
            other => {
                return Err(at(format!(
                    "unknown type `{other}` (expected one of {TYPES})"
                )));
            }
        };
        let problem = self
            .problem
            .as_ref()
            .map(|p| check_problem(p, &kind, &at))
            .transpose()?;
        Ok(Question {
            key: self.key.clone(),
            label,
            help,
            required: self.required,
            kind,
            problem,
        })
    }
}

fn check_options(
    options: Option<Vec<Choice>>,
    at: &dyn Fn(String) -> DefinitionError,
) -> Result<Vec<Choice>, DefinitionError> {
    let options = options.unwrap_or_default();
    if options.is_empty() {
        return Err(at("the option list is empty".into()));
    }
    if options.len() > MAX_OPTIONS {
        return Err(at(format!(
            "{} options are more than a phone screen can offer (at most {MAX_OPTIONS})",
            options.len()
        )));
    }
    let mut keys = HashSet::new();
    let mut checked = Vec::new();
    for option in options {
        check_key("option", &option.key).map_err(|e| at(e.0))?;
        if !keys.insert(option.key.clone()) {
            return Err(at(format!("option `{}` is listed twice", option.key)));
        }
        let label = check_text("an option label", &option.label, 200).map_err(|e| at(e.0))?;
        checked.push(Choice {
            key: option.key,
            label,
        });
    }
    Ok(checked)
}

fn check_problem(
    raw: &RawProblem,
    kind: &QuestionKind,
    at: &dyn Fn(String) -> DefinitionError,
) -> Result<ProblemRule, DefinitionError> {
    let severity = Severity::parse(&raw.severity).ok_or_else(|| {
        at(format!(
            "problem severity `{}` is not low, medium, high or critical",
            raw.severity
        ))
    })?;
    let when = match (kind, &raw.answers, raw.above, raw.below) {
        (QuestionKind::YesNo, Some(answers), None, None) => {
            if let Some(bad) = answers.iter().find(|a| *a != "yes" && *a != "no") {
                return Err(at(format!("problem answer `{bad}` is not yes or no")));
            }
            ProblemWhen::Answers(answers.clone())
        }
        (
            QuestionKind::OneOf(options) | QuestionKind::ManyOf(options),
            Some(answers),
            None,
            None,
        ) => {
            if let Some(bad) = answers
                .iter()
                .find(|a| !options.iter().any(|o| &o.key == *a))
            {
                let keys: Vec<&str> = options.iter().map(|o| o.key.as_str()).collect();
                return Err(at(format!(
                    "problem answer `{bad}` is not among its options ({})",
                    keys.join(", ")
                )));
            }
            ProblemWhen::Answers(answers.clone())
        }
        (QuestionKind::Integer { max, .. }, None, Some(above), None) if above >= *max => {
            return Err(at(format!(
                "a problem above {above} can never happen: answers go up to {max}"
            )));
        }
        (QuestionKind::Integer { min, .. }, None, None, Some(below)) if below <= *min => {
            return Err(at(format!(
                "a problem below {below} can never happen: answers start at {min}"
            )));
        }
        (QuestionKind::Integer { .. }, None, Some(above), None) => ProblemWhen::Above(above),
        (QuestionKind::Integer { .. }, None, None, Some(below)) => ProblemWhen::Below(below),
        (QuestionKind::Integer { .. }, _, _, _) => {
            return Err(at("an integer problem is `above = N` or `below = N`".into()));
        }
        (QuestionKind::YesNo | QuestionKind::OneOf(_) | QuestionKind::ManyOf(_), _, _, _) => {
            return Err(at("a problem here lists `answers = [...]`".into()));
        }
        _ => return Err(at("this type of question cannot flag a problem".into())),
    };
    if let ProblemWhen::Answers(answers) = &when {
        if answers.is_empty() {
            return Err(at("the problem lists no answers".into()));
        }
        let distinct: HashSet<&String> = answers.iter().collect();
        if distinct.len() != answers.len() {
            return Err(at("the problem lists an answer twice".into()));
        }
        let possible = match kind {
            QuestionKind::YesNo => 2,
            QuestionKind::OneOf(options) => options.len(),
            _ => usize::MAX,
        };
        if distinct.len() >= possible {
            return Err(at(
                "every answer would be a problem: list only the answers that are".into(),
            ));
        }
    }
    Ok(ProblemRule { when, severity })
}

/// The incident categories of these forms, (option key, label), each key once and in
/// the order met: the options of each incident form's `category_from` question.
pub fn categories_of<'a>(
    definitions: impl IntoIterator<Item = &'a FormDefinition>,
) -> Vec<(String, String)> {
    let mut categories: Vec<(String, String)> = Vec::new();
    for definition in definitions
        .into_iter()
        .filter(|d| d.kind == FormKind::Incident)
    {
        let source = definition
            .category_from
            .as_deref()
            .and_then(|key| definition.question(key));
        if let Some(QuestionKind::OneOf(options)) = source.map(|q| &q.kind) {
            for option in options {
                if !categories.iter().any(|(key, _)| key == &option.key) {
                    categories.push((option.key.clone(), option.label.clone()));
                }
            }
        }
    }
    categories
}

/// The label of an incident category (an option key) as this form words it, if the form
/// offers it: a report's category shown as its observer chose it.
pub fn category_label<'a>(definition: &'a FormDefinition, key: &str) -> Option<&'a str> {
    let question = definition.question(definition.category_from.as_deref()?)?;
    match &question.kind {
        QuestionKind::OneOf(options) => options
            .iter()
            .find(|o| o.key == key)
            .map(|o| o.label.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOTING: &str = r#"
key = "voting"
title = "Voting"
kind = "checklist"

[[sections]]
title = "Set-up"

[[sections.questions]]
key = "boxes_sealed"
label = "Were the ballot boxes shown empty and sealed?"
type = "yes_no"
required = true
problem = { answers = ["no"], severity = "high" }

[[sections.questions]]
key = "turned_away"
label = "Voters turned away"
type = "integer"
min = 0
max = 5000
problem = { above = 0, severity = "medium" }

[[sections.questions]]
key = "agents"
label = "Party agents present"
type = "many_of"
options = [{ key = "jubilee", label = "Jubilee" }, { key = "nasa", label = "NASA" }]

[[sections.questions]]
key = "notes"
label = "Notes"
type = "long_text"
max_length = 500
"#;

    fn with_question(question: &str) -> Result<FormDefinition, DefinitionError> {
        FormDefinition::from_toml(&format!(
            "key = \"f\"\ntitle = \"F\"\nkind = \"checklist\"\n[[questions]]\n{question}"
        ))
    }

    #[test]
    fn reads_a_checklist() {
        let form = FormDefinition::from_toml(VOTING).expect("valid");
        assert_eq!(form.kind, FormKind::Checklist);
        assert_eq!(form.questions().count(), 4);
        let sealed = form.question("boxes_sealed").expect("question");
        assert!(sealed.required);
        assert_eq!(
            sealed.problem,
            Some(ProblemRule {
                when: ProblemWhen::Answers(vec!["no".into()]),
                severity: Severity::High
            })
        );
        assert_eq!(
            form.question("notes").map(|q| &q.kind),
            Some(&QuestionKind::LongText { max_length: 500 })
        );
    }

    #[test]
    fn json_round_trip_is_canonical() {
        let form = FormDefinition::from_toml(VOTING).expect("valid");
        let again =
            FormDefinition::from_json(form.canonical_json()).expect("stored form reads back");
        assert_eq!(again, form);
        let reformatted = VOTING.replace("required = true", "required   =   true # must");
        assert_eq!(
            FormDefinition::from_toml(&reformatted)
                .expect("valid")
                .canonical_json(),
            form.canonical_json()
        );
    }

    #[test]
    fn every_type_is_accepted() {
        for (kind, extra) in [
            ("yes_no", ""),
            ("one_of", "options = [{ key = \"a\", label = \"A\" }]"),
            ("many_of", "options = [{ key = \"a\", label = \"A\" }]"),
            ("integer", "min = 0\nmax = 10"),
            ("short_text", "max_length = 20"),
            ("long_text", ""),
            ("date_time", ""),
            ("polling_station", ""),
        ] {
            let result = with_question(&format!(
                "key = \"q\"\nlabel = \"Q\"\ntype = \"{kind}\"\n{extra}"
            ));
            assert!(result.is_ok(), "{kind}: {result:?}");
        }
    }

    fn error_of(question: &str) -> String {
        with_question(question).expect_err("invalid").0
    }

    #[test]
    fn each_mistake_has_a_precise_message() {
        let cases = [
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"slider\"",
                "question `q`: unknown type `slider`",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"one_of\"\noptions = []",
                "question `q`: the option list is empty",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"one_of\"",
                "question `q`: the option list is empty",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"one_of\"\noptions = [{ key = \"a\", label = \"A\" }]\nproblem = { answers = [\"b\"], severity = \"high\" }",
                "question `q`: problem answer `b` is not among its options (a)",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"yes_no\"\nproblem = { answers = [\"maybe\"], severity = \"low\" }",
                "problem answer `maybe` is not yes or no",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"yes_no\"\nproblem = { answers = [\"no\"], severity = \"dire\" }",
                "problem severity `dire`",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"integer\"\nmin = 5\nmax = 1",
                "min 5 is above max 1",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"yes_no\"\nmin = 5",
                "only integer questions have min and max",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"yes_no\"\noptions = [{ key = \"a\", label = \"A\" }]",
                "a yes_no question has no options",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"short_text\"\nmax_length = 0",
                "max_length 0",
            ),
            (
                "key = \"Q\"\nlabel = \"Q\"\ntype = \"yes_no\"",
                "question key `Q`",
            ),
            (
                "key = \"q\"\nlabel = \" \"\ntype = \"yes_no\"",
                "the label must have",
            ),
            (
                "key = \"q\"\nlable = \"Q\"\ntype = \"yes_no\"",
                "unknown field `lable`",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"one_of\"\noptions = [{ key = \"a\", label = \"A\" }, { key = \"a\", label = \"B\" }]",
                "option `a` is listed twice",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"date_time\"\nproblem = { answers = [\"x\"], severity = \"low\" }",
                "cannot flag a problem",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"integer\"\nproblem = { answers = [\"1\"], severity = \"low\" }",
                "`above = N` or `below = N`",
            ),
        ];
        for (question, expected) in cases {
            let message = error_of(question);
            assert!(
                message.contains(expected),
                "{expected:?} not in {message:?}"
            );
        }
    }

    #[test]
    fn rules_that_could_never_or_always_fire_are_refused() {
        let cases = [
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"integer\"\nmax = 10\nproblem = { above = 10, severity = \"low\" }",
                "can never happen",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"integer\"\nmin = 0\nproblem = { below = 0, severity = \"low\" }",
                "can never happen",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"yes_no\"\nproblem = { answers = [\"yes\", \"no\"], severity = \"low\" }",
                "every answer would be a problem",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"yes_no\"\nproblem = { answers = [\"no\", \"no\"], severity = \"low\" }",
                "an answer twice",
            ),
            (
                "key = \"q\"\nlabel = \"Q\"\ntype = \"long_text\"\nmax_length = 20000",
                "lower some max_length",
            ),
        ];
        for (question, expected) in cases {
            let message = error_of(question);
            assert!(
                message.contains(expected),
                "{expected:?} not in {message:?}"
            );
        }
        let checklist_category = "key = \"f\"\ntitle = \"F\"\nkind = \"checklist\"\ncategory_from = \"q\"\n[[questions]]\nkey = \"q\"\nlabel = \"Q\"\ntype = \"one_of\"\noptions = [{ key = \"a\", label = \"A\" }]\n";
        assert!(
            FormDefinition::from_toml(checklist_category)
                .expect_err("refused")
                .0
                .contains("incident forms only")
        );
    }

    #[test]
    fn layout_and_defaults_do_not_make_a_new_version() {
        let short = "key = \"f\"\ntitle = \"F\"\nkind = \"checklist\"\n[[questions]]\nkey = \"q\"\nlabel = \"Q\"\ntype = \"short_text\"\n";
        let spelled_out = "key = \"f\"\ntitle = \"F \"\nkind = \"checklist\"\n[[sections]]\n[[sections.questions]]\nkey = \"q\"\nlabel = \" Q\"\ntype = \"short_text\"\nmax_length = 200\nrequired = false\n";
        let a = FormDefinition::from_toml(short).expect("valid");
        let b = FormDefinition::from_toml(spelled_out).expect("valid");
        assert_eq!(a.canonical_json(), b.canonical_json());
        assert_eq!(a, b);
        let changed = FormDefinition::from_toml(&short.replace("label = \"Q\"", "label = \"R\""))
            .expect("valid");
        assert_ne!(a, changed);
    }

    #[test]
    fn duplicate_question_keys_are_refused() {
        let text = "key = \"f\"\ntitle = \"F\"\nkind = \"incident\"\n[[questions]]\nkey = \"q\"\nlabel = \"A\"\ntype = \"yes_no\"\n[[questions]]\nkey = \"q\"\nlabel = \"B\"\ntype = \"yes_no\"\n";
        assert_eq!(
            FormDefinition::from_toml(text).expect_err("dup").0,
            "question key `q` is used twice"
        );
    }

    #[test]
    fn form_level_mistakes() {
        let base = "title = \"F\"\n[[questions]]\nkey = \"q\"\nlabel = \"Q\"\ntype = \"yes_no\"\n";
        let err = |head: &str| {
            FormDefinition::from_toml(&format!("{head}\n{base}"))
                .expect_err("invalid")
                .0
        };
        assert!(err("key = \"f\"\nkind = \"survey\"").contains("form kind `survey`"));
        assert!(
            err("key = \"f\"\nkind = \"incident\"\nseverity_from = \"q\"")
                .contains("not a one_of question")
        );
        assert!(
            err("key = \"f\"\nkind = \"incident\"\ncategory_from = \"zz\"")
                .contains("not a question of this form")
        );
        assert!(err("key = \"f g\"\nkind = \"incident\"").contains("form key"));
        let no_questions =
            FormDefinition::from_toml("key = \"f\"\ntitle = \"F\"\nkind = \"incident\"\n");
        assert_eq!(
            no_questions.expect_err("empty").0,
            "the form has no questions"
        );
        let broken = FormDefinition::from_toml("key = \"f\"\ntitle = ");
        let message = broken.expect_err("syntax").0;
        assert!(
            message.starts_with("line 2, column 9: "),
            "syntax errors say where: {message}"
        );
    }

    #[test]
    fn severity_source_must_offer_severities() {
        let text = "key = \"i\"\ntitle = \"I\"\nkind = \"incident\"\nseverity_from = \"sev\"\n[[questions]]\nkey = \"sev\"\nlabel = \"S\"\ntype = \"one_of\"\noptions = [{ key = \"low\", label = \"Low\" }, { key = \"bad\", label = \"Bad\" }]\n";
        assert!(
            FormDefinition::from_toml(text)
                .expect_err("bad")
                .0
                .contains("must be low, medium, high or critical")
        );
        let fixed = text.replace(
            "key = \"bad\", label = \"Bad\"",
            "key = \"critical\", label = \"Critical\"",
        );
        assert!(FormDefinition::from_toml(&fixed).is_ok());
    }

    #[test]
    fn severities_are_ordered_and_ranked() {
        assert!(Severity::Critical > Severity::High && Severity::Medium > Severity::Low);
        for s in Severity::ALL {
            assert_eq!(Severity::from_rank(s.rank()), Some(s));
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_category_reads_as_the_form_words_it_in_each_language() {
        let text = "key = \"i\"\ntitle = \"I\"\nkind = \"incident\"\ncategory_from = \"cat\"\n[[questions]]\nkey = \"cat\"\nlabel = \"C\"\ntype = \"one_of\"\noptions = [{ key = \"vote_buying\", label = \"Vote buying\" }]\n[translations.fr.questions.cat]\noptions = { vote_buying = \"Achat de voix\" }\n";
        let form = FormDefinition::from_toml(text).expect("valid");
        assert_eq!(category_label(&form, "vote_buying"), Some("Vote buying"));
        let french = form.in_language(crate::i18n::Lang::Fr);
        assert_eq!(
            category_label(&french, "vote_buying"),
            Some("Achat de voix")
        );
        assert_eq!(
            category_label(&form, "riot"),
            None,
            "a key the form does not offer"
        );
        let checklist = FormDefinition::from_toml(VOTING).expect("valid");
        assert_eq!(category_label(&checklist, "vote_buying"), None);
    }
}
