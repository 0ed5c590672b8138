//! Findings: what the mission concludes, with the reports it rests on, and how a finding
//! goes from draft to the published statement.

use std::fmt;

/// How the mission judges what a finding describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assessment {
    Positive,
    Mixed,
    Negative,
    SeriousConcern,
}

impl Assessment {
    pub const ALL: [Assessment; 4] = [
        Assessment::Positive,
        Assessment::Mixed,
        Assessment::Negative,
        Assessment::SeriousConcern,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Assessment::Positive => "positive",
            Assessment::Mixed => "mixed",
            Assessment::Negative => "negative",
            Assessment::SeriousConcern => "serious_concern",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Assessment::Positive => "Positive",
            Assessment::Mixed => "Mixed",
            Assessment::Negative => "Negative",
            Assessment::SeriousConcern => "Serious concern",
        }
    }

    pub fn parse(text: &str) -> Option<Assessment> {
        Assessment::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

impl fmt::Display for Assessment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Draft,
    /// Written, waiting for the leads' reading before publication.
    ReadyForReview,
    /// Part of the mission's statement.
    Published,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Draft, Stage::ReadyForReview, Stage::Published];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::ReadyForReview => "ready",
            Stage::Published => "published",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Draft => "Draft",
            Stage::ReadyForReview => "Ready for review",
            Stage::Published => "Published",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Why a finding cannot move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StageRefused(pub String);

/// Moves a finding from `from` to `to`. Publication needs at least one verified report
/// among the evidence: the statement never says what the mission cannot show.
pub fn move_to(from: Stage, to: Stage, verified_evidence: usize) -> Result<Stage, StageRefused> {
    use Stage::*;
    match (from, to) {
        (Draft, ReadyForReview) | (ReadyForReview, Draft) | (Published, Draft) => Ok(to),
        (ReadyForReview, Published) if verified_evidence == 0 => Err(StageRefused(
            "A finding is published only with at least one verified report among its evidence."
                .to_owned(),
        )),
        (ReadyForReview, Published) => Ok(to),
        (Draft, Published) => Err(StageRefused(
            "A draft is marked ready for review before it is published.".to_owned(),
        )),
        (a, b) if a == b => Err(StageRefused(format!(
            "The finding is already {}.",
            a.label().to_lowercase()
        ))),
        (a, b) => Err(StageRefused(format!(
            "A finding goes from {} to {} only through review.",
            a.label(),
            b.label()
        ))),
    }
}

/// A finding's text as written by a lead, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingText {
    pub title: String,
    pub statement: String,
    pub assessment: Assessment,
    pub topic: String,
}

/// Messages beside each wrong field of the finding form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingErrors {
    pub title: Option<String>,
    pub statement: Option<String>,
    pub assessment: Option<String>,
    pub topic: Option<String>,
}

fn bounded(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let text = raw.trim().replace("\r\n", "\n");
    match text.chars().count() {
        0 => Err(format!("Write the {what}.")),
        n if n > max => Err(format!(
            "Shorten the {what} to {max} characters (it has {n})."
        )),
        _ => Ok(text),
    }
}

impl FindingText {
    pub fn parse(
        title: &str,
        statement: &str,
        assessment: &str,
        topic: &str,
    ) -> Result<Self, FindingErrors> {
        let title = bounded(title, "title", 200);
        let statement = bounded(statement, "statement", 10_000);
        let topic = bounded(topic, "topic", 80);
        let assessment = Assessment::parse(assessment).ok_or("Choose an assessment.".to_owned());
        match (title, statement, assessment, topic) {
            (Ok(title), Ok(statement), Ok(assessment), Ok(topic)) => Ok(FindingText {
                title,
                statement,
                assessment,
                topic,
            }),
            (title, statement, assessment, topic) => Err(FindingErrors {
                title: title.err(),
                statement: statement.err(),
                assessment: assessment.err(),
                topic: topic.err(),
            }),
        }
    }
}

/// "based on 1 verified report from 1 county" / "based on 34 verified reports from 12
/// counties": the basis line under each finding in the statement.
pub fn basis(
    verified_reports: usize,
    regions: usize,
    region_singular: &str,
    region_plural: &str,
) -> String {
    let reports = if verified_reports == 1 {
        "report"
    } else {
        "reports"
    };
    let places = if regions == 1 {
        region_singular
    } else {
        region_plural
    };
    format!("based on {verified_reports} verified {reports} from {regions} {places}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stage::*;

    #[test]
    fn every_stage_move() {
        let table = [
            (Draft, ReadyForReview, 0, true),
            (Draft, Published, 5, false),
            (Draft, Draft, 0, false),
            (ReadyForReview, Draft, 0, true),
            (ReadyForReview, Published, 1, true),
            (ReadyForReview, Published, 0, false),
            (ReadyForReview, ReadyForReview, 0, false),
            (Published, Draft, 0, true),
            (Published, ReadyForReview, 3, false),
            (Published, Published, 3, false),
        ];
        for (from, to, verified, allowed) in table {
            assert_eq!(
                move_to(from, to, verified).is_ok(),
                allowed,
                "{from:?} -> {to:?} with {verified}"
            );
        }
        let unbacked = move_to(ReadyForReview, Published, 0).expect_err("refused");
        assert!(unbacked.0.contains("at least one verified report"));
    }

    #[test]
    fn finding_text_is_checked_field_by_field() {
        let ok = FindingText::parse(
            " Late openings ",
            "Many stations opened late.",
            "negative",
            "Opening",
        );
        assert_eq!(
            ok.map(|t| (t.title, t.assessment)),
            Ok(("Late openings".into(), Assessment::Negative))
        );
        let errors =
            FindingText::parse("", &"x".repeat(10_001), "awful", "  ").expect_err("invalid");
        assert_eq!(errors.title.as_deref(), Some("Write the title."));
        assert!(errors.statement.is_some_and(|e| e.contains("10000")));
        assert_eq!(errors.assessment.as_deref(), Some("Choose an assessment."));
        assert_eq!(errors.topic.as_deref(), Some("Write the topic."));
    }

    #[test]
    fn basis_lines() {
        assert_eq!(
            basis(1, 1, "county", "counties"),
            "based on 1 verified report from 1 county"
        );
        assert_eq!(
            basis(34, 12, "county", "counties"),
            "based on 34 verified reports from 12 counties"
        );
    }

    #[test]
    fn names_round_trip() {
        for a in Assessment::ALL {
            assert_eq!(Assessment::parse(a.as_str()), Some(a));
        }
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
    }
}
