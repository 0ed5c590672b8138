//! A form's texts in other languages: its title, description, section titles, and each
//! question's label, help and option labels. Keys, types and rules are the form's own; a
//! translation only says the same things in another language, and whatever it leaves out is
//! shown as written.
//!
//! Authors write, after the form:
//!
//! ```toml
//! [translations.fr]
//! title = "Vote"
//! sections = ["Votre visite", "Procédures"]
//!
//! [translations.fr.questions.boxes_sealed]
//! label = "Les urnes étaient-elles correctement scellées ?"
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DefinitionError, FormDefinition, QuestionKind, check_text, invalid};
use crate::i18n::Lang;

/// The form's texts in one other language, checked against the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translation {
    pub title: Option<String>,
    pub description: Option<String>,
    /// A title per section of the form, in order; `None` keeps the section's own.
    pub sections: Vec<Option<String>>,
    /// By question key.
    pub questions: BTreeMap<String, QuestionText>,
}

/// One question's texts in another language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionText {
    pub label: Option<String>,
    pub help: Option<String>,
    /// Option labels by option key.
    pub options: BTreeMap<String, String>,
}

// ----- the shape authors write -----

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTranslation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// One per section the author wrote; "" keeps a section's own title.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sections: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    questions: BTreeMap<String, RawQuestionText>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestionText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    options: BTreeMap<String, String>,
}

/// The language codes of the translations as checked: `fr`, `sw`.
pub(super) fn language_code(what: &str, code: &str) -> Result<&'static str, DefinitionError> {
    Lang::parse(code).map(Lang::code).ok_or_else(|| {
        let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
        invalid(format!(
            "{what} `{code}` is not one fieldreport speaks ({})",
            known.join(", ")
        ))
    })
}

/// Checks each translation against the checked form. `leading_untitled` is 1 when the
/// author wrote questions outside any section (they make a first, untitled section, which
/// the author's list of section titles does not count).
pub(super) fn check_all(
    raw: &BTreeMap<String, RawTranslation>,
    form: &FormDefinition,
    leading_untitled: usize,
) -> Result<BTreeMap<String, Translation>, DefinitionError> {
    let mut checked = BTreeMap::new();
    for (code, translation) in raw {
        let code = language_code("translation language", code)?;
        if code == form.language {
            return Err(invalid(format!(
                "the form is written in `{code}`: it needs no translation into it"
            )));
        }
        let what = |thing: &str| format!("the `{code}` translation's {thing}");
        let authored_sections = form.sections.len() - leading_untitled;
        if translation.sections.len() > authored_sections {
            return Err(invalid(format!(
                "{} has {} titles for {authored_sections} sections",
                what("sections"),
                translation.sections.len()
            )));
        }
        let mut sections = vec![None; leading_untitled];
        for title in &translation.sections {
            sections.push(if title.trim().is_empty() {
                None
            } else {
                Some(check_text(&what("section title"), title, 120)?)
            });
        }
        let mut questions = BTreeMap::new();
        for (key, text) in &translation.questions {
            let question = form.question(key).ok_or_else(|| {
                invalid(format!("{} names no question `{key}`", what("questions")))
            })?;
            let choices = match &question.kind {
                QuestionKind::OneOf(options) | QuestionKind::ManyOf(options) => options.as_slice(),
                _ => &[],
            };
            let mut options = BTreeMap::new();
            for (option, label) in &text.options {
                if !choices.iter().any(|c| &c.key == option) {
                    return Err(invalid(format!(
                        "{} gives a label to `{option}`, which is not an option of `{key}`",
                        what("questions")
                    )));
                }
                options.insert(
                    option.clone(),
                    check_text(&what("option label"), label, 200)?,
                );
            }
            questions.insert(
                key.clone(),
                QuestionText {
                    label: optional(&what("label"), text.label.as_deref(), 300)?,
                    help: optional(&what("help"), text.help.as_deref(), 1000)?,
                    options,
                },
            );
        }
        checked.insert(
            code.to_owned(),
            Translation {
                title: optional(&what("title"), translation.title.as_deref(), 120)?,
                description: optional(
                    &what("description"),
                    translation.description.as_deref(),
                    2000,
                )?,
                sections,
                questions,
            },
        );
    }
    Ok(checked)
}

fn optional(what: &str, text: Option<&str>, max: usize) -> Result<Option<String>, DefinitionError> {
    text.map(|t| check_text(what, t, max)).transpose()
}

/// The translations in the author's shape, every section counted: what the canonical JSON
/// holds (where no question stands outside a section).
pub(super) fn normalized(
    translations: &BTreeMap<String, Translation>,
) -> BTreeMap<String, RawTranslation> {
    translations
        .iter()
        .map(|(code, t)| {
            let mut sections: Vec<String> = t
                .sections
                .iter()
                .map(|s| s.clone().unwrap_or_default())
                .collect();
            while sections.last().is_some_and(String::is_empty) {
                sections.pop();
            }
            let questions = t
                .questions
                .iter()
                .map(|(key, q)| {
                    let text = RawQuestionText {
                        label: q.label.clone(),
                        help: q.help.clone(),
                        options: q.options.clone(),
                    };
                    (key.clone(), text)
                })
                .collect();
            let raw = RawTranslation {
                title: t.title.clone(),
                description: t.description.clone(),
                sections,
                questions,
            };
            (code.clone(), raw)
        })
        .collect()
}

impl FormDefinition {
    /// The languages the form can be read in: its own, then its translations'.
    pub fn languages(&self) -> Vec<&str> {
        let mut codes = vec![self.language.as_str()];
        codes.extend(self.translations.keys().map(String::as_str));
        codes
    }

    /// The form with its texts in `lang` where a translation gives them, as written
    /// elsewhere. Keys, types, rules and the stored form are unchanged: answers, exports
    /// and reports stay the same whatever the language they were read in.
    /// Borrowed as it is when it has no such translation (the common case, at no cost).
    pub fn in_language(&self, lang: Lang) -> Cow<'_, FormDefinition> {
        let Some(t) = self.translations.get(lang.code()) else {
            return Cow::Borrowed(self);
        };
        let mut form = self.clone();
        replace(&mut form.title, &t.title);
        if t.description.is_some() {
            form.description.clone_from(&t.description);
        }
        for (i, section) in form.sections.iter_mut().enumerate() {
            if let Some(Some(title)) = t.sections.get(i) {
                section.title = Some(title.clone());
            }
            for question in &mut section.questions {
                if let Some(text) = t.questions.get(&question.key) {
                    translate(question, text);
                }
            }
        }
        Cow::Owned(form)
    }
}

fn translate(question: &mut super::Question, text: &QuestionText) {
    replace(&mut question.label, &text.label);
    if text.help.is_some() {
        question.help.clone_from(&text.help);
    }
    if let QuestionKind::OneOf(options) | QuestionKind::ManyOf(options) = &mut question.kind {
        for option in options {
            if let Some(label) = text.options.get(&option.key) {
                option.label.clone_from(label);
            }
        }
    }
}

fn replace(text: &mut String, with: &Option<String>) {
    if let Some(with) = with {
        text.clone_from(with);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = r#"
key = "voting"
title = "Voting"
kind = "checklist"

[[questions]]
key = "arrival"
label = "When did you arrive?"
type = "date_time"

[[sections]]
title = "Procedures"

[[sections.questions]]
key = "sealed"
label = "Were the boxes sealed?"
help = "All of them."
type = "yes_no"

[[sections.questions]]
key = "agents"
label = "Which agents were there?"
type = "many_of"
options = [{ key = "jubilee", label = "Jubilee" }, { key = "nasa", label = "NASA coalition" }]

[translations.fr]
title = "Vote"
sections = ["Procédures"]

[translations.fr.questions.sealed]
label = "Les urnes étaient-elles scellées ?"

[translations.fr.questions.agents]
options = { nasa = "Coalition NASA" }
"#;

    fn form(extra: &str) -> Result<FormDefinition, DefinitionError> {
        FormDefinition::from_toml(&format!("{FORM}{extra}"))
    }

    #[test]
    fn a_translation_replaces_only_the_texts_it_gives() {
        let form = form("").expect("valid");
        assert_eq!(form.languages(), ["en", "fr"]);
        let fr = form.in_language(Lang::Fr);
        assert_eq!(fr.title, "Vote");
        // The questions outside any section make an untitled first section, which the
        // author's list of titles does not count.
        assert_eq!(fr.sections[0].title, None);
        assert_eq!(fr.sections[1].title.as_deref(), Some("Procédures"));
        let sealed = fr.question("sealed").expect("sealed");
        assert_eq!(sealed.label, "Les urnes étaient-elles scellées ?");
        assert_eq!(
            sealed.help.as_deref(),
            Some("All of them."),
            "no help given: as written"
        );
        let QuestionKind::ManyOf(options) = &fr.question("agents").expect("agents").kind else {
            panic!("many_of")
        };
        assert_eq!(options[0].label, "Jubilee");
        assert_eq!(options[1].label, "Coalition NASA");
        assert_eq!(
            fr.question("agents").expect("agents").label,
            "Which agents were there?"
        );
        // No Swahili: as written. The stored form is the same whatever the language.
        assert_eq!(form.in_language(Lang::Sw).title, "Voting");
        assert_eq!(fr.canonical_json(), form.canonical_json());
    }

    #[test]
    fn translations_survive_the_stored_form() {
        let form = form("").expect("valid");
        let stored = FormDefinition::from_json(form.canonical_json()).expect("reads back");
        assert_eq!(stored.translations, form.translations);
        assert_eq!(
            stored.in_language(Lang::Fr).sections[1].title.as_deref(),
            Some("Procédures")
        );
        assert_eq!(stored.canonical_json(), form.canonical_json());
    }

    #[test]
    fn a_translation_must_fit_the_form() {
        let refused = |extra: &str, needle: &str| {
            let error = form(extra).expect_err(extra).0;
            assert!(error.contains(needle), "{extra}: {error}");
        };
        refused(
            "\n[translations.fr.questions.nope]\nlabel = \"x\"\n",
            "names no question `nope`",
        );
        refused(
            "\n[translations.sw.questions.agents]\noptions = { kanu = \"KANU\" }\n",
            "`kanu`, which is not an option of `agents`",
        );
        refused(
            "\n[translations.de]\ntitle = \"Wahl\"\n",
            "`de` is not one fieldreport speaks",
        );
        refused(
            "\n[translations.en]\ntitle = \"Voting\"\n",
            "needs no translation into it",
        );
        refused(
            "\n[translations.sw]\nsections = [\"Taratibu\", \"Zaidi\"]\n",
            "has 2 titles for 1 sections",
        );
        refused(
            "\n[translations.sw.questions.sealed]\nlabel = \"\"\n",
            "label must have 1 to 300 characters",
        );
    }
}
