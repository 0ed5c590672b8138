//! A form definition turned into what a page shows: one view per question, with the
//! values typed so far and the message beside each wrong answer.

use crate::domain::answers::{Answer, Answers, FieldErrors, RawAnswers, assess, display};
use crate::domain::form::{FormDefinition, Question, QuestionKind};
use crate::i18n::Tr;

/// The prefix of answer fields in a submitted form, so that question keys never clash
/// with the form's own fields (`_csrf`, `observed_at`...).
pub use crate::domain::submission::ANSWER_PREFIX;

pub struct SectionView {
    pub title: Option<String>,
    pub questions: Vec<QuestionView>,
}

/// One question on the page. `widget` says which input to draw.
pub struct QuestionView {
    /// The input's name: `q.<key>`.
    pub name: String,
    /// The element id, for labels and error links.
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    pub required: bool,
    /// radio | checkbox | integer | short_text | long_text | date_time | station
    pub widget: &'static str,
    pub options: Vec<OptionView>,
    /// What the field holds now (text-like widgets).
    pub value: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub max_length: Option<usize>,
    pub error: Option<String>,
    /// The element a link to this question (from the list of answers to fix) focuses: its
    /// first option, or its input.
    pub target: String,
}

pub struct OptionView {
    pub value: String,
    pub label: String,
    pub id: String,
    pub checked: bool,
}

/// Builds the views of every question, filled with `typed` and marked with `errors`.
/// `definition` is the form in the page's language (`FormDefinition::in_language`), which
/// the caller has for the page's title too.
pub fn sections(
    tr: Tr,
    definition: &FormDefinition,
    typed: &RawAnswers,
    errors: &FieldErrors,
) -> Vec<SectionView> {
    definition
        .sections
        .iter()
        .map(|section| SectionView {
            title: section.title.clone(),
            questions: section
                .questions
                .iter()
                .map(|q| {
                    let id = format!("q-{}", q.key);
                    let option = |value: &str, label: &str| OptionView {
                        value: value.to_owned(),
                        label: label.to_owned(),
                        id: format!("{id}-{value}"),
                        checked: typed.has(&q.key, value),
                    };
                    let (widget, options, min, max, max_length) = match &q.kind {
                        QuestionKind::YesNo => (
                            "radio",
                            vec![
                                option("yes", tr.t("observer.report.yes")),
                                option("no", tr.t("observer.report.no")),
                            ],
                            None,
                            None,
                            None,
                        ),
                        QuestionKind::OneOf(choices) => (
                            "radio",
                            choices.iter().map(|c| option(&c.key, &c.label)).collect(),
                            None,
                            None,
                            None,
                        ),
                        QuestionKind::ManyOf(choices) => (
                            "checkbox",
                            choices.iter().map(|c| option(&c.key, &c.label)).collect(),
                            None,
                            None,
                            None,
                        ),
                        QuestionKind::Integer { min, max } => {
                            ("integer", Vec::new(), Some(*min), Some(*max), None)
                        }
                        QuestionKind::ShortText { max_length } => {
                            ("short_text", Vec::new(), None, None, Some(*max_length))
                        }
                        QuestionKind::LongText { max_length } => {
                            ("long_text", Vec::new(), None, None, Some(*max_length))
                        }
                        QuestionKind::DateTime => ("date_time", Vec::new(), None, None, None),
                        QuestionKind::PollingStation => ("station", Vec::new(), None, None, None),
                    };
                    let target = options
                        .first()
                        .map_or_else(|| format!("{id}-input"), |o: &OptionView| o.id.clone());
                    QuestionView {
                        name: format!("{ANSWER_PREFIX}{}", q.key),
                        target,
                        id,
                        label: q.label.clone(),
                        help: q.help.clone(),
                        required: q.required,
                        widget,
                        options,
                        value: typed.first(&q.key).to_owned(),
                        min,
                        max,
                        max_length,
                        error: errors.get(&q.key).map(|m| m.in_language(tr)),
                    }
                })
                .collect(),
        })
        .collect()
}

/// A section of a report's answers as filed.
pub struct AnswerSection {
    pub title: Option<String>,
    pub answers: Vec<AnswerLine>,
}

pub struct AnswerLine {
    pub label: String,
    /// The answer as a person reads it; "—" when not answered.
    pub answer: String,
    /// The answer counts as a problem.
    pub problem: bool,
}

/// Every question of a report with its answer, problems marked.
/// `definition` is the form in the page's language, as for [`sections`].
pub fn answer_sections(
    tr: Tr,
    definition: &FormDefinition,
    answers: &Answers,
) -> Vec<AnswerSection> {
    let flagged: Vec<String> = assess(definition, answers)
        .problems
        .into_iter()
        .map(|p| p.question_key)
        .collect();
    definition
        .sections
        .iter()
        .map(|section| AnswerSection {
            title: section.title.clone(),
            answers: section
                .questions
                .iter()
                .map(|q| AnswerLine {
                    label: q.label.clone(),
                    answer: answers
                        .get(&q.key)
                        .map_or_else(|| "—".to_owned(), |a| shown(tr, q, a)),
                    problem: flagged.contains(&q.key),
                })
                .collect(),
        })
        .collect()
}

/// An answer as a person reads it in the page's language: yes and no translated, option
/// labels as the (translated) form gives them, the rest as typed.
pub fn shown(tr: Tr, question: &Question, answer: &Answer) -> String {
    match answer {
        Answer::YesNo(yes) => {
            let key = if *yes {
                "observer.report.yes"
            } else {
                "observer.report.no"
            };
            tr.t(key).to_owned()
        }
        other => display(question, other),
    }
}
