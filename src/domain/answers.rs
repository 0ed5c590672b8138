//! Answers to a form: checked against its definition, stored as JSON, and assessed for
//! problems and severity.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::DateTime;
use serde_json::{Map, Value};

use super::form::{
    Choice, FormDefinition, FormKind, ProblemWhen, Question, QuestionKind, Severity,
};
use super::geography::check_region_code;
use super::message::Message;
use super::region_path::RegionPath;

/// What was typed, by question key: every value of each field (checkboxes repeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawAnswers {
    values: HashMap<String, Vec<String>>,
}

impl RawAnswers {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (key, value) in pairs {
            values.entry(key).or_default().push(value);
        }
        RawAnswers { values }
    }

    /// The values given for a question, blank ones left out.
    pub fn get(&self, key: &str) -> Vec<&str> {
        self.values
            .get(key)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first value as typed, for showing the form again.
    pub fn first(&self, key: &str) -> &str {
        self.values
            .get(key)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    /// Whether `value` was among those sent for `key` (a ticked box, a chosen radio).
    pub fn has(&self, key: &str, value: &str) -> bool {
        self.values
            .get(key)
            .is_some_and(|v| v.iter().any(|s| s == value))
    }

    /// The codes the polling-station questions are answered with, as the store looks them
    /// up for [`Bounds::stations`]; only well-formed codes, so nothing else reaches a query.
    pub fn station_codes<'a>(&'a self, definition: &FormDefinition) -> Vec<&'a str> {
        let mut codes: Vec<&str> = definition
            .questions()
            .filter(|q| matches!(q.kind, QuestionKind::PollingStation))
            .flat_map(|q| self.get(&q.key))
            .filter(|code| check_region_code(code).is_ok())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    fn keys(&self) -> impl Iterator<Item = &String> {
        self.values.keys()
    }

    /// These answers with each polling-station question left blank answered by `code`: a
    /// form opened for a polling station shows it filled in, to check rather than type.
    pub fn at_station(mut self, definition: &FormDefinition, code: &str) -> RawAnswers {
        for question in definition.questions() {
            if matches!(question.kind, QuestionKind::PollingStation)
                && self.get(&question.key).is_empty()
            {
                self.values
                    .insert(question.key.clone(), vec![code.to_owned()]);
            }
        }
        self
    }
}

/// One checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    YesNo(bool),
    Choice(String),
    Choices(Vec<String>),
    Integer(i64),
    Text(String),
    /// As entered, in the mission's time zone: `2017-08-08T14:30`.
    DateTime(String),
    /// A polling station's code.
    PollingStation(String),
}

/// The answers of one report, in the form's order; unanswered optional questions are absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers(Vec<(String, Answer)>);

/// A message beside each wrong field, by question key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldErrors(pub BTreeMap<String, Message>);

impl FieldErrors {
    pub fn get(&self, key: &str) -> Option<&Message> {
        self.0.get(key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn add(&mut self, key: &str, message: Message) {
        self.0.entry(key.to_owned()).or_insert(message);
    }
}

/// Why answers were refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Some answers are wrong: show the form again with these messages.
    Fields(FieldErrors),
    /// The submission answers a question the form does not have: not this form's page.
    UnknownQuestion(String),
}

/// What answers are checked against besides the form: the mission's places and times.
pub struct Bounds<'a> {
    /// The region paths of the mission's polling stations among those the answers name
    /// ([`RawAnswers::station_codes`]), looked up before checking: a code missing here is
    /// no station of the mission.
    pub stations: &'a HashMap<String, RegionPath>,
    /// The place the report is filed for: a polling station named in an answer must lie
    /// inside it.
    pub place_path: &'a RegionPath,
    /// Date-time answers fall between these, in the mission's time zone.
    pub earliest: DateTime,
    pub latest: DateTime,
}

impl Answers {
    /// Checks every answer against the definition and the bounds.
    pub fn validate(
        definition: &FormDefinition,
        raw: &RawAnswers,
        bounds: &Bounds<'_>,
    ) -> Result<Answers, Refusal> {
        if let Some(unknown) = raw.keys().find(|k| definition.question(k).is_none()) {
            return Err(Refusal::UnknownQuestion(unknown.clone()));
        }
        let mut answers = Vec::new();
        let mut errors = FieldErrors::default();
        for question in definition.questions() {
            let values = raw.get(&question.key);
            if values.is_empty() {
                if question.required {
                    errors.add(&question.key, Message::new("answer.required"));
                }
                continue;
            }
            match check_answer(question, &values, bounds) {
                Ok(answer) => answers.push((question.key.clone(), answer)),
                Err(message) => errors.add(&question.key, message),
            }
        }
        if errors.is_empty() {
            Ok(Answers(answers))
        } else {
            Err(Refusal::Fields(errors))
        }
    }

    pub fn get(&self, key: &str) -> Option<&Answer> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, a)| a)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(String, Answer)> {
        self.0.iter()
    }

    /// The stored form: a JSON object of plain values by question key.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (key, answer) in &self.0 {
            let value = match answer {
                Answer::YesNo(b) => Value::Bool(*b),
                Answer::Integer(n) => Value::from(*n),
                Answer::Choices(keys) => Value::from(keys.clone()),
                Answer::Choice(s)
                | Answer::Text(s)
                | Answer::DateTime(s)
                | Answer::PollingStation(s) => Value::String(s.clone()),
            };
            map.insert(key.clone(), value);
        }
        Value::Object(map)
    }

    /// Reads stored answers back with the definition they were filed under. Values that
    /// no longer fit are skipped: what is stored was checked when it was filed.
    pub fn from_json(definition: &FormDefinition, stored: &Value) -> Answers {
        let mut answers = Vec::new();
        for question in definition.questions() {
            let Some(value) = stored.get(&question.key) else {
                continue;
            };
            let answer = match (&question.kind, value) {
                (QuestionKind::YesNo, Value::Bool(b)) => Answer::YesNo(*b),
                (QuestionKind::Integer { .. }, Value::Number(n)) => match n.as_i64() {
                    Some(n) => Answer::Integer(n),
                    None => continue,
                },
                (QuestionKind::ManyOf(_), Value::Array(items)) => Answer::Choices(
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                ),
                (QuestionKind::OneOf(_), Value::String(s)) => Answer::Choice(s.clone()),
                (
                    QuestionKind::ShortText { .. } | QuestionKind::LongText { .. },
                    Value::String(s),
                ) => Answer::Text(s.clone()),
                (QuestionKind::DateTime, Value::String(s)) => Answer::DateTime(s.clone()),
                (QuestionKind::PollingStation, Value::String(s)) => {
                    Answer::PollingStation(s.clone())
                }
                _ => continue,
            };
            answers.push((question.key.clone(), answer));
        }
        Answers(answers)
    }
}

fn option_labels(options: &[Choice]) -> String {
    options
        .iter()
        .map(|o| o.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_answer(
    question: &Question,
    values: &[&str],
    bounds: &Bounds<'_>,
) -> Result<Answer, Message> {
    let single = || match values {
        [one] => Ok(*one),
        _ => Err(Message::new("answer.one_only")),
    };
    match &question.kind {
        QuestionKind::YesNo => match single()? {
            "yes" => Ok(Answer::YesNo(true)),
            "no" => Ok(Answer::YesNo(false)),
            _ => Err(Message::new("answer.yes_no")),
        },
        QuestionKind::OneOf(options) => {
            let value = single()?;
            if options.iter().any(|o| o.key == value) {
                Ok(Answer::Choice(value.to_owned()))
            } else {
                Err(Message::new("answer.one_of").with("options", option_labels(options)))
            }
        }
        QuestionKind::ManyOf(options) => {
            let mut chosen: Vec<String> = Vec::new();
            for value in values {
                if !options.iter().any(|o| o.key == *value) {
                    return Err(
                        Message::new("answer.among").with("options", option_labels(options))
                    );
                }
                if !chosen.iter().any(|c| c == value) {
                    chosen.push((*value).to_owned());
                }
            }
            // Stored in the form's order, whatever order the browser sent them in.
            chosen.sort_by_key(|c| options.iter().position(|o| &o.key == c));
            Ok(Answer::Choices(chosen))
        }
        QuestionKind::Integer { min, max } => {
            let value = single()?;
            let number: i64 = value
                .parse()
                .map_err(|_| Message::new("answer.whole_number"))?;
            if number < *min || number > *max {
                return Err(Message::new("answer.range")
                    .with("min", min)
                    .with("max", max));
            }
            Ok(Answer::Integer(number))
        }
        QuestionKind::ShortText { max_length } => {
            let text = single()?;
            if text.contains(['\n', '\r']) {
                return Err(Message::new("answer.one_line"));
            }
            check_length(text, *max_length).map(|t| Answer::Text(t.to_owned()))
        }
        QuestionKind::LongText { max_length } => {
            let text = super::text::unix_newlines(single()?);
            check_length(&text, *max_length)?;
            Ok(Answer::Text(text))
        }
        QuestionKind::DateTime => {
            let value = single()?;
            let at = parse_local_minute(value).ok_or_else(|| Message::new("answer.date_time"))?;
            if at > bounds.latest {
                return Err(Message::new("answer.future"));
            }
            if at < bounds.earliest {
                return Err(Message::new("answer.too_old"));
            }
            Ok(Answer::DateTime(at.strftime("%Y-%m-%dT%H:%M").to_string()))
        }
        QuestionKind::PollingStation => {
            let code = single()?;
            let path = check_region_code(code)
                .ok()
                .and_then(|()| bounds.stations.get(code));
            let Some(path) = path else {
                return Err(Message::new("answer.no_station").with("code", code));
            };
            if !bounds.place_path.contains(path) {
                return Err(Message::new("answer.station_outside").with("code", code));
            }
            Ok(Answer::PollingStation(code.to_owned()))
        }
    }
}

fn check_length(text: &str, max: usize) -> Result<&str, Message> {
    let count = text.chars().count();
    if count > max {
        return Err(Message::new("answer.too_long")
            .with("max", max)
            .with("count", count));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Message::new("answer.bad_chars"));
    }
    Ok(text)
}

/// Reads `2017-08-08T14:30` (what a `datetime-local` input sends) or `2017-08-08 14:30`,
/// to the minute.
pub fn parse_local_minute(text: &str) -> Option<DateTime> {
    let at: DateTime = text.trim().replace(' ', "T").parse().ok()?;
    at.with().second(0).subsec_nanosecond(0).build().ok()
}

/// A problem found in the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub question_key: String,
    pub label: String,
    /// The answer as a person reads it.
    pub answer: String,
    pub severity: Severity,
}

/// What the answers say about how things went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assessment {
    /// The worst problem's severity, or the stated severity of an incident if worse.
    pub severity: Option<Severity>,
    pub problems: Vec<Problem>,
    /// An incident's category (an option key).
    pub category: Option<String>,
}

/// Finds the problems in a report and derives its severity and category.
pub fn assess(definition: &FormDefinition, answers: &Answers) -> Assessment {
    let mut problems = Vec::new();
    for question in definition.questions() {
        let (Some(rule), Some(answer)) = (&question.problem, answers.get(&question.key)) else {
            continue;
        };
        let flagged = match (&rule.when, answer) {
            (ProblemWhen::Answers(keys), Answer::YesNo(b)) => {
                keys.iter().any(|k| k == if *b { "yes" } else { "no" })
            }
            (ProblemWhen::Answers(keys), Answer::Choice(c)) => keys.contains(c),
            (ProblemWhen::Answers(keys), Answer::Choices(cs)) => {
                cs.iter().any(|c| keys.contains(c))
            }
            (ProblemWhen::Above(limit), Answer::Integer(n)) => n > limit,
            (ProblemWhen::Below(limit), Answer::Integer(n)) => n < limit,
            _ => false,
        };
        if flagged {
            problems.push(Problem {
                question_key: question.key.clone(),
                label: question.label.clone(),
                answer: display(question, answer),
                severity: rule.severity,
            });
        }
    }
    let stated = definition
        .severity_from
        .as_deref()
        .and_then(|key| match answers.get(key) {
            Some(Answer::Choice(c)) => Severity::parse(c),
            _ => None,
        });
    let severity = problems.iter().map(|p| p.severity).chain(stated).max();
    let category = match (
        definition.kind,
        definition
            .category_from
            .as_deref()
            .and_then(|k| answers.get(k)),
    ) {
        (FormKind::Incident, Some(Answer::Choice(c))) => Some(c.clone()),
        _ => None,
    };
    Assessment {
        severity,
        problems,
        category,
    }
}

/// An answer as a person reads it: labels rather than keys.
pub fn display(question: &Question, answer: &Answer) -> String {
    let label_of = |options: &[Choice], key: &str| {
        options
            .iter()
            .find(|o| o.key == key)
            .map_or_else(|| key.to_owned(), |o| o.label.clone())
    };
    match (&question.kind, answer) {
        (_, Answer::YesNo(true)) => "Yes".to_owned(),
        (_, Answer::YesNo(false)) => "No".to_owned(),
        (QuestionKind::OneOf(options), Answer::Choice(key)) => label_of(options, key),
        (QuestionKind::ManyOf(options), Answer::Choices(keys)) => keys
            .iter()
            .map(|k| label_of(options, k))
            .collect::<Vec<_>>()
            .join(", "),
        (_, Answer::Integer(n)) => n.to_string(),
        (_, Answer::DateTime(at)) => at.replace('T', " "),
        (_, Answer::Choice(s) | Answer::Text(s) | Answer::PollingStation(s)) => s.clone(),
        (_, Answer::Choices(keys)) => keys.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    const FORM: &str = r#"
key = "incident"
title = "Incident"
kind = "incident"
severity_from = "severity"
category_from = "category"

[[questions]]
key = "category"
label = "Category"
type = "one_of"
required = true
options = [{ key = "violence", label = "Violence" }, { key = "vote_buying", label = "Vote buying" }]

[[questions]]
key = "severity"
label = "Severity"
type = "one_of"
required = true
options = [{ key = "low", label = "Low" }, { key = "high", label = "High" }, { key = "critical", label = "Critical" }]

[[questions]]
key = "police_present"
label = "Police present?"
type = "yes_no"
problem = { answers = ["no"], severity = "medium" }

[[questions]]
key = "injured"
label = "People injured"
type = "integer"
min = 0
max = 500
problem = { above = 0, severity = "critical" }

[[questions]]
key = "who"
label = "Who was involved"
type = "many_of"
options = [{ key = "police", label = "Police" }, { key = "agents", label = "Party agents" }, { key = "youths", label = "Youths" }]
problem = { answers = ["youths"], severity = "low" }

[[questions]]
key = "summary"
label = "Summary"
type = "short_text"
max_length = 10

[[questions]]
key = "account"
label = "What happened"
type = "long_text"
max_length = 20

[[questions]]
key = "when"
label = "When"
type = "date_time"

[[questions]]
key = "station"
label = "Polling station"
type = "polling_station"
"#;

    fn form() -> FormDefinition {
        FormDefinition::from_toml(FORM).expect("valid form")
    }

    #[test]
    fn a_report_for_a_station_answers_its_blank_station_question_with_it() {
        let blank = RawAnswers::from_pairs([("station".to_owned(), " ".to_owned())]);
        assert_eq!(
            blank.at_station(&form(), "0001001").get("station"),
            ["0001001"]
        );
        let given = RawAnswers::from_pairs([("station".to_owned(), "1427001".to_owned())]);
        assert_eq!(
            given.at_station(&form(), "0001001").get("station"),
            ["1427001"]
        );
        let other = RawAnswers::default().at_station(&form(), "0001001");
        assert_eq!(other.get("category"), Vec::<&str>::new());
    }

    fn raw(pairs: &[(&str, &str)]) -> RawAnswers {
        RawAnswers::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    static STATIONS: LazyLock<HashMap<String, RegionPath>> = LazyLock::new(|| {
        [
            ("0001001", "/001/001/0001/0001001/"),
            ("1427001", "/047/285/1427/1427001/"),
        ]
        .into_iter()
        .map(|(code, path)| (code.to_owned(), RegionPath::parse(path).expect("a path")))
        .collect()
    });
    static PLACE: LazyLock<RegionPath> = LazyLock::new(|| RegionPath::top("001"));

    fn bounds() -> Bounds<'static> {
        Bounds {
            stations: &STATIONS,
            place_path: &PLACE,
            earliest: parse_local_minute("2017-01-01T00:00").expect("time"),
            latest: parse_local_minute("2017-08-09T00:00").expect("time"),
        }
    }

    fn validate(pairs: &[(&str, &str)]) -> Result<Answers, Refusal> {
        Answers::validate(&form(), &raw(pairs), &bounds())
    }

    /// The message beside a field, in English.
    fn text(errors: &FieldErrors, key: &str) -> Option<String> {
        errors.get(key).map(ToString::to_string)
    }

    fn errors(pairs: &[(&str, &str)]) -> FieldErrors {
        match validate(pairs) {
            Err(Refusal::Fields(errors)) => errors,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    const MINIMAL: [(&str, &str); 2] = [("category", "violence"), ("severity", "low")];

    #[test]
    fn a_full_valid_report() {
        let answers = validate(&[
            ("category", "vote_buying"),
            ("severity", "high"),
            ("police_present", "no"),
            ("injured", "2"),
            ("who", "youths"),
            ("who", "police"),
            ("summary", " cash "),
            ("account", "Money\r\nhanded out"),
            ("when", "2017-08-08T14:30"),
            ("station", "0001001"),
        ])
        .expect("valid");
        assert_eq!(
            answers.get("who"),
            Some(&Answer::Choices(vec!["police".into(), "youths".into()])),
            "form order"
        );
        assert_eq!(answers.get("summary"), Some(&Answer::Text("cash".into())));
        assert_eq!(
            answers.get("account"),
            Some(&Answer::Text("Money\nhanded out".into()))
        );
        assert_eq!(
            answers.get("when"),
            Some(&Answer::DateTime("2017-08-08T14:30".into()))
        );

        let assessment = assess(&form(), &answers);
        assert_eq!(
            assessment.severity,
            Some(Severity::Critical),
            "the injured answer is the worst"
        );
        assert_eq!(assessment.category.as_deref(), Some("vote_buying"));
        let flagged: Vec<&str> = assessment
            .problems
            .iter()
            .map(|p| p.question_key.as_str())
            .collect();
        assert_eq!(flagged, ["police_present", "injured", "who"]);
        assert_eq!(assessment.problems[2].answer, "Police, Youths");

        let stored = answers.to_json();
        assert_eq!(stored["injured"], 2);
        assert_eq!(Answers::from_json(&form(), &stored), answers, "round trip");
    }

    #[test]
    fn stated_severity_counts_without_problems() {
        let answers = validate(&[("category", "violence"), ("severity", "high")]).expect("valid");
        let assessment = assess(&form(), &answers);
        assert_eq!(
            (assessment.severity, assessment.problems.len()),
            (Some(Severity::High), 0)
        );
    }

    #[test]
    fn required_questions_need_an_answer() {
        let errors = errors(&[("category", "  ")]);
        assert_eq!(
            text(&errors, "category").as_deref(),
            Some("This question needs an answer.")
        );
        assert_eq!(
            text(&errors, "severity").as_deref(),
            Some("This question needs an answer.")
        );
        assert_eq!(errors.len(), 2, "optional questions may stay empty");
    }

    #[test]
    fn each_type_refuses_what_does_not_fit() {
        let cases: [(&str, &str, &str); 11] = [
            ("police_present", "perhaps", "Answer yes or no."),
            ("category", "riot", "Choose one of: Violence, Vote buying."),
            (
                "who",
                "aliens",
                "Choose among: Police, Party agents, Youths.",
            ),
            ("injured", "two", "Enter a whole number."),
            ("injured", "501", "Enter a number from 0 to 500."),
            ("injured", "-1", "Enter a number from 0 to 500."),
            (
                "summary",
                "far too long here",
                "Shorten this to 10 characters (it has 17).",
            ),
            ("summary", "two\nlines", "Keep this to one line."),
            ("account", "x\u{0}y", "characters that cannot be stored"),
            ("when", "tomorrow", "Enter a date and time"),
            (
                "station",
                "9999999",
                "No polling station has the code `9999999`.",
            ),
        ];
        for (key, value, message) in cases {
            let mut pairs = MINIMAL.to_vec();
            if key == "category" {
                pairs.remove(0);
            }
            pairs.push((key, value));
            let errors = errors(&pairs);
            let got = text(&errors, key).unwrap_or_default();
            assert!(got.contains(message), "{key}={value:?}: {got:?}");
        }
    }

    #[test]
    fn times_and_stations_must_fit_the_report() {
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("when", "2017-08-10T10:00"));
        assert_eq!(
            text(&errors(&pairs), "when").as_deref(),
            Some("This time is in the future. Check the date and time.")
        );
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("when", "2016-08-10T10:00"));
        assert!(text(&errors(&pairs), "when").is_some_and(|e| e.contains("more than a year ago")));
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("station", "1427001"));
        assert_eq!(
            text(&errors(&pairs), "station").as_deref(),
            Some("Polling station `1427001` is not in the place you are reporting for.")
        );
    }

    #[test]
    fn one_answer_where_one_is_asked() {
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("police_present", "yes"));
        pairs.push(("police_present", "no"));
        assert_eq!(
            text(&errors(&pairs), "police_present").as_deref(),
            Some("Give one answer only.")
        );
    }

    #[test]
    fn long_text_limit_counts_characters_not_bytes() {
        let mut pairs = MINIMAL.to_vec();
        let swahili = "ghasia kubwa sana"; // 17 chars
        pairs.push(("account", swahili));
        assert!(validate(&pairs).is_ok());
        let accented = "é".repeat(20); // 40 bytes, 20 characters
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("account", &accented));
        assert!(validate(&pairs).is_ok());
    }

    #[test]
    fn answers_to_unknown_questions_refuse_the_whole_submission() {
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("bribe_amount", "100"));
        assert_eq!(
            validate(&pairs),
            Err(Refusal::UnknownQuestion("bribe_amount".into()))
        );
    }

    #[test]
    fn local_minutes() {
        assert_eq!(
            parse_local_minute("2017-08-08 06:05").map(|d| d.to_string()),
            Some("2017-08-08T06:05:00".into())
        );
        assert!(parse_local_minute("2017-02-30T10:00").is_none());
        assert!(parse_local_minute("").is_none());
    }
}
