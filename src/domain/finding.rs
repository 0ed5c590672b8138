//! Findings: what the mission concludes, with the reports it rests on, and how a finding
//! goes from draft to the published statement.

use super::message::Message;
use std::fmt;

use super::form::Severity;
use super::region_path::RegionPath;
use super::review::Status;
use crate::i18n::Tr;

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
pub struct StageRefused(pub Message);

/// Moves a finding from `from` to `to`. Publication needs at least one verified report
/// among the evidence: the statement never says what the mission cannot show.
pub fn move_to(from: Stage, to: Stage, verified_evidence: usize) -> Result<Stage, StageRefused> {
    use Stage::*;
    match (from, to) {
        (Draft, ReadyForReview) | (ReadyForReview, Draft) | (Published, Draft) => Ok(to),
        (ReadyForReview, Published) if verified_evidence == 0 => Err(StageRefused(Message::new(
            "findings.refused.needs_verified",
        ))),
        (ReadyForReview, Published) => Ok(to),
        // Publishing again puts an edited text into the statement.
        (Published, Published) if verified_evidence == 0 => Err(StageRefused(Message::new(
            "findings.refused.needs_verified",
        ))),
        (Published, Published) => Ok(to),
        (Draft, Published) => Err(StageRefused(Message::new("findings.refused.draft_first"))),
        (a, b) if a == b => Err(StageRefused(
            Message::new("findings.refused.already")
                .with_word("stage", format!("findings.refused.stage.{}", a.as_str())),
        )),
        (a, b) => Err(StageRefused(
            Message::new("findings.refused.through_review")
                .with_word("from", format!("findings.stage.{}", a.as_str()))
                .with_word("to", format!("findings.stage.{}", b.as_str())),
        )),
    }
}

/// What happened to a finding, as its history records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingEvent {
    Created,
    Edited,
    /// Moved to another stage (the history row holds which).
    Stage,
    /// Reports added as evidence (the row's detail lists their references).
    EvidenceAdded,
    EvidenceRemoved,
}

impl FindingEvent {
    pub const ALL: [FindingEvent; 5] = [
        FindingEvent::Created,
        FindingEvent::Edited,
        FindingEvent::Stage,
        FindingEvent::EvidenceAdded,
        FindingEvent::EvidenceRemoved,
    ];

    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingEvent::Created => "created",
            FindingEvent::Edited => "edited",
            FindingEvent::Stage => "stage",
            FindingEvent::EvidenceAdded => "evidence_added",
            FindingEvent::EvidenceRemoved => "evidence_removed",
        }
    }

    pub fn parse(text: &str) -> Option<FindingEvent> {
        FindingEvent::ALL.into_iter().find(|e| e.as_str() == text)
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

/// Messages beside each wrong field of the finding form: `T` is a [`Message`] as the
/// domain says it, or its text once written in the page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingErrors<T = Message> {
    pub title: Option<T>,
    pub statement: Option<T>,
    pub assessment: Option<T>,
    pub topic: Option<T>,
}

impl<T> Default for FindingErrors<T> {
    fn default() -> Self {
        FindingErrors {
            title: None,
            statement: None,
            assessment: None,
            topic: None,
        }
    }
}

impl FindingErrors {
    /// The messages in a language.
    pub fn in_language(&self, tr: Tr) -> FindingErrors<String> {
        let write = |m: &Option<Message>| m.as_ref().map(|m| m.in_language(tr));
        FindingErrors {
            title: write(&self.title),
            statement: write(&self.statement),
            assessment: write(&self.assessment),
            topic: write(&self.topic),
        }
    }
}

/// Longest title, statement and topic of a finding, in characters.
pub const TITLE_MAX: usize = 200;
pub const STATEMENT_MAX: usize = 10_000;
pub const TOPIC_MAX: usize = 80;

/// A text field of at most `max` characters: `empty` says to write it, `long` to shorten it.
fn bounded(
    raw: &str,
    max: usize,
    empty: &'static str,
    long: &'static str,
) -> Result<String, Message> {
    let text = super::text::unix_newlines(raw.trim());
    match text.chars().count() {
        0 => Err(Message::new(empty)),
        n if n > max => Err(Message::new(long).with("max", max).with("count", n)),
        _ => Ok(text),
    }
}

impl FindingText {
    pub fn parse(
        title: &str,
        statement: &str,
        assessment: &str,
        topic: &str,
    ) -> Result<Self, Box<FindingErrors>> {
        let title = bounded(
            title,
            TITLE_MAX,
            "findings.edit.write_title",
            "findings.edit.shorten_title",
        );
        let statement = bounded(
            statement,
            STATEMENT_MAX,
            "findings.edit.write_statement",
            "findings.edit.shorten_statement",
        );
        let topic = bounded(
            topic,
            TOPIC_MAX,
            "findings.edit.write_topic",
            "findings.edit.shorten_topic",
        );
        let assessment = Assessment::parse(assessment)
            .ok_or_else(|| Message::new("findings.edit.choose_assessment"));
        match (title, statement, assessment, topic) {
            (Ok(title), Ok(statement), Ok(assessment), Ok(topic)) => Ok(FindingText {
                title,
                statement,
                assessment,
                topic,
            }),
            (title, statement, assessment, topic) => Err(Box::new(FindingErrors {
                title: title.err(),
                statement: statement.err(),
                assessment: assessment.err(),
                topic: topic.err(),
            })),
        }
    }
}

/// One report of a finding's evidence, as the summary counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceItem {
    pub status: Status,
    pub severity: Option<Severity>,
    pub region_path: RegionPath,
}

/// What a finding's evidence amounts to: counts, and the warnings a lead must see.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EvidenceSummary {
    pub by_status: Vec<(Status, usize)>,
    /// Most severe first; `None` for reports with no severity.
    pub by_severity: Vec<(Option<Severity>, usize)>,
    /// By top-level region code.
    pub by_region: Vec<(String, usize)>,
    pub verified: usize,
    /// Distinct top-level regions among the verified reports.
    pub verified_regions: usize,
    pub warnings: Vec<String>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Counts a finding's evidence and says what is wrong with it.
pub fn summarize(evidence: &[EvidenceItem]) -> EvidenceSummary {
    let count = |pred: &dyn Fn(&EvidenceItem) -> bool| evidence.iter().filter(|e| pred(e)).count();
    let by_status = Status::ALL
        .into_iter()
        .map(|s| (s, count(&|e| e.status == s)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut severities: Vec<Option<Severity>> = Severity::ALL.into_iter().rev().map(Some).collect();
    severities.push(None);
    let by_severity = severities
        .into_iter()
        .map(|s| (s, count(&|e| e.severity == s)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut by_region: Vec<(String, usize)> = Vec::new();
    for e in evidence {
        let top = e.region_path.top_code();
        match by_region.iter_mut().find(|(code, _)| code == top) {
            Some((_, n)) => *n += 1,
            None => by_region.push((top.to_owned(), 1)),
        }
    }
    by_region.sort();
    let verified: Vec<&EvidenceItem> = evidence
        .iter()
        .filter(|e| e.status == Status::Verified)
        .collect();
    let mut tops: Vec<&str> = verified.iter().map(|e| e.region_path.top_code()).collect();
    tops.sort_unstable();
    tops.dedup();
    let mut warnings = Vec::new();
    if evidence.is_empty() {
        warnings.push("This finding has no evidence yet.".to_owned());
    }
    let set_aside = count(&|e| matches!(e.status, Status::Dismissed | Status::Duplicate));
    if set_aside > 0 {
        let verb = if set_aside == 1 { "has" } else { "have" };
        warnings.push(format!(
            "{} of the evidence {verb} been dismissed or marked duplicate.",
            plural(set_aside, "report", "reports")
        ));
    }
    let open = count(&|e| e.status.is_open());
    if open > 0 {
        let verb = if open == 1 { "is" } else { "are" };
        warnings.push(format!(
            "{} of the evidence {verb} not verified yet.",
            plural(open, "report", "reports")
        ));
    }
    EvidenceSummary {
        by_status,
        by_severity,
        by_region,
        verified: verified.len(),
        verified_regions: tops.len(),
        warnings,
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
            (Published, Published, 3, true),
            (Published, Published, 0, false),
        ];
        for (from, to, verified, allowed) in table {
            assert_eq!(
                move_to(from, to, verified).is_ok(),
                allowed,
                "{from:?} -> {to:?} with {verified}"
            );
        }
        let unbacked = move_to(ReadyForReview, Published, 0).expect_err("refused");
        assert!(
            unbacked
                .to_string()
                .contains("at least one verified report")
        );
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
        let errors = errors.in_language(Tr::new(crate::i18n::Lang::En));
        assert_eq!(errors.title.as_deref(), Some("Write the title."));
        assert!(errors.statement.is_some_and(|e| e.contains("10000")));
        assert_eq!(errors.assessment.as_deref(), Some("Choose an assessment."));
        assert_eq!(errors.topic.as_deref(), Some("Write the topic."));
    }

    #[test]
    fn evidence_is_counted_and_warned_about() {
        let item = |status, severity, path: &str| EvidenceItem {
            status,
            severity,
            region_path: RegionPath::parse(path).expect("a path"),
        };
        let summary = summarize(&[
            item(Status::Verified, Some(Severity::High), "/001/001/0001/"),
            item(Status::Verified, None, "/001/002/0007/"),
            item(Status::Verified, Some(Severity::Low), "/047/285/"),
            item(Status::Dismissed, Some(Severity::High), "/047/285/"),
            item(Status::Received, None, "/030/"),
        ]);
        assert_eq!((summary.verified, summary.verified_regions), (3, 2));
        assert_eq!(
            summary.by_status,
            [
                (Status::Received, 1),
                (Status::Verified, 3),
                (Status::Dismissed, 1)
            ]
        );
        assert_eq!(
            summary.by_severity,
            [
                (Some(Severity::High), 2),
                (Some(Severity::Low), 1),
                (None, 2)
            ]
        );
        assert_eq!(
            summary.by_region,
            [
                ("001".to_owned(), 2),
                ("030".to_owned(), 1),
                ("047".to_owned(), 2)
            ]
        );
        assert_eq!(
            summary.warnings,
            [
                "1 report of the evidence has been dismissed or marked duplicate.",
                "1 report of the evidence is not verified yet."
            ]
        );
        assert_eq!(
            summarize(&[]).warnings,
            ["This finding has no evidence yet."]
        );
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
