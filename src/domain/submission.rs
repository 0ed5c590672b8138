//! A report form as sent, read strictly into what filing needs: which form, which place,
//! when, the answers, and whether the observer chose to send a repeat. Anything malformed
//! is refused with a message, never guessed at.

use uuid::Uuid;

use super::answers::RawAnswers;
use super::message::Message;

/// The prefix of answer fields' names (`q.turnout`), keeping answers apart from the form's
/// own fields whatever a form's question keys are.
pub const ANSWER_PREFIX: &str = "q.";

/// The field that sends a report deliberately although it says the same as one just filed.
pub const AGAIN: &str = "again";

/// What the observer typed, as the form shows it again.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    /// The report's id, made with the blank form: sending the page twice files one report.
    pub submission_id: String,
    pub observed_at: String,
    pub answers: RawAnswers,
}

/// The fields of a submitted report form.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub typed: Typed,
    pub form_id: i64,
    pub region_id: i64,
    /// The observer confirmed that a report saying the same as one they filed just before
    /// is a new report, not that one sent again.
    pub deliberate: bool,
    /// Every field as sent, to send the same report again deliberately.
    pub fields: Vec<(String, String)>,
}

impl Submission {
    /// Reads the fields of a form body; a missing or malformed id is a form from
    /// elsewhere, refused as incomplete.
    pub fn read(fields: Vec<(String, String)>) -> Result<Submission, Message> {
        let incomplete = || Message::new("observer.refused.incomplete");
        let mut submission_id = None;
        let (mut form_id, mut region_id, mut observed_at) = (None, None, String::new());
        let mut answers = Vec::new();
        let mut deliberate = false;
        for (name, value) in &fields {
            if let Some(key) = name.strip_prefix(ANSWER_PREFIX) {
                answers.push((key.to_owned(), value.clone()));
                continue;
            }
            let number = || value.trim().parse::<i64>().map_err(|_| incomplete());
            match name.as_str() {
                AGAIN => deliberate = value == "1",
                "submission_id" => {
                    submission_id = Some(Uuid::parse_str(value.trim()).map_err(|_| incomplete())?)
                }
                "form_id" => form_id = Some(number()?),
                "region_id" => region_id = Some(number()?),
                "observed_at" => observed_at.clone_from(value),
                _ => {}
            }
        }
        Ok(Submission {
            typed: Typed {
                submission_id: submission_id
                    .ok_or_else(incomplete)?
                    .hyphenated()
                    .to_string(),
                observed_at,
                answers: RawAnswers::from_pairs(answers),
            },
            form_id: form_id.ok_or_else(incomplete)?,
            region_id: region_id.ok_or_else(incomplete)?,
            deliberate,
            fields,
        })
    }

    /// The fields to send this report again as a new one: the observer's answers and ids,
    /// without the token of the page they came from or an earlier choice.
    pub fn fields_to_send_again(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|(name, _)| name != "_csrf" && name != AGAIN)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "6f1c2a9e-6b0d-4c55-9a51-3f1d7d1e2b40";

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_whole_form_reads_as_its_ids_time_and_answers() {
        let sent = fields(&[
            ("_csrf", "token"),
            ("submission_id", &ID.to_uppercase()),
            ("form_id", " 7 "),
            ("region_id", "42"),
            ("observed_at", "2017-08-08T06:00"),
            ("q.opened", "yes"),
            ("q.seals", "a"),
            ("q.seals", "b"),
            (AGAIN, "1"),
        ]);
        let submission = Submission::read(sent).expect("a submission");
        assert_eq!(
            submission.typed.submission_id, ID,
            "ids are kept in one spelling"
        );
        assert_eq!((submission.form_id, submission.region_id), (7, 42));
        assert_eq!(submission.typed.observed_at, "2017-08-08T06:00");
        assert_eq!(submission.typed.answers.get("seals"), ["a", "b"]);
        assert!(submission.deliberate);
        let again = submission.fields_to_send_again();
        assert!(again.iter().all(|(n, _)| n != "_csrf" && n != AGAIN));
        assert_eq!(again.len(), 7);
    }

    #[test]
    fn a_form_missing_or_mangling_an_id_is_incomplete() {
        let whole = [("submission_id", ID), ("form_id", "7"), ("region_id", "42")];
        for left_out in 0..whole.len() {
            let mut sent: Vec<_> = whole.to_vec();
            sent.remove(left_out);
            let refused = Submission::read(fields(&sent)).expect_err("incomplete");
            assert_eq!(refused, Message::new("observer.refused.incomplete"));
        }
        for (name, bad) in [
            ("submission_id", "42"),
            ("form_id", "seven"),
            ("region_id", ""),
        ] {
            let mut sent: Vec<_> = whole.to_vec();
            sent.retain(|(n, _)| *n != name);
            sent.push((name, bad));
            assert!(Submission::read(fields(&sent)).is_err(), "{name}={bad}");
        }
    }
}
