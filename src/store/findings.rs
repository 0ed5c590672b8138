//! Findings, their evidence and their history.

mod pages;

pub use pages::{
    EditChoices, FindingPage, StatementPage, add_evidence_by_references, edit_choices,
    finding_page, statement_page,
};

use crate::domain::message::Message;
use crate::domain::region_path::RegionPath;
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::Actor;
use super::regions::{self, Region};
use super::review;
use super::{StoreError, found, now};
use crate::domain::finding::{
    Assessment, EvidenceItem, FindingEvent, FindingText, Stage, move_to, summarize,
};
use crate::domain::form::Severity;
use crate::domain::review::Status;

/// A finding as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub id: i64,
    pub text: FindingText,
    pub stage: Stage,
    pub regions: Vec<Region>,
    pub published_at: Option<i64>,
    /// The text as last published, which the statement shows.
    pub published: Option<FindingText>,
}

impl Finding {
    /// Published, and edited since: the statement still shows the earlier text.
    pub fn has_unpublished_changes(&self) -> bool {
        self.published.as_ref().is_some_and(|p| *p != self.text)
    }
}

fn text_from(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<FindingText> {
    Ok(FindingText {
        title: row.get(at)?,
        statement: row.get(at + 1)?,
        assessment: row.get(at + 2)?,
        topic: row.get(at + 3)?,
    })
}

fn stage_at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Stage> {
    row.get(at)
}

/// The published text, when the row has one (columns title, statement, assessment, topic).
fn published_from(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<FindingText>> {
    let title: Option<String> = row.get(at)?;
    if title.is_none() {
        return Ok(None);
    }
    text_from(row, at).map(Some)
}

/// Records the finding as it now is in its history.
fn snapshot(
    conn: &Connection,
    finding_id: i64,
    actor: &Actor,
    event: FindingEvent,
    detail: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO finding_history (finding_id, at, actor_id, event, stage, title, statement, assessment, topic, detail)
         SELECT id, ?2, ?3, ?4, stage, title, statement, assessment, topic, ?5 FROM findings WHERE id = ?1",
    )?
    .execute(params![finding_id, now(), actor.user_id, event, detail])?;
    Ok(())
}

fn set_regions(
    conn: &Connection,
    mission_id: i64,
    finding_id: i64,
    region_ids: &[i64],
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM finding_regions WHERE finding_id = ?1")?
        .execute([finding_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO finding_regions (finding_id, region_id) VALUES (?1, ?2)",
    )?;
    for region_id in region_ids {
        regions::by_id(conn, mission_id, *region_id)?;
        insert.execute(params![finding_id, region_id])?;
    }
    Ok(())
}

/// A new draft finding.
pub fn create(
    conn: &Connection,
    mission_id: i64,
    text: &FindingText,
    region_ids: &[i64],
    actor: &Actor,
) -> Result<i64, StoreError> {
    let at = now();
    conn.prepare_cached(
        "INSERT INTO findings (mission_id, title, statement, assessment, topic, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![mission_id, text.title, text.statement, text.assessment, text.topic, at])?;
    let id = conn.last_insert_rowid();
    set_regions(conn, mission_id, id, region_ids)?;
    snapshot(conn, id, actor, FindingEvent::Created, "")?;
    Ok(id)
}

/// Replaces a finding's text and regions. Its history keeps every earlier version,
/// including the text that was published.
pub fn update(
    conn: &Connection,
    mission_id: i64,
    id: i64,
    text: &FindingText,
    region_ids: &[i64],
    actor: &Actor,
) -> Result<(), StoreError> {
    get(conn, mission_id, id)?;
    conn.prepare_cached(
        "UPDATE findings SET title = ?2, statement = ?3, assessment = ?4, topic = ?5, updated_at = ?6 WHERE id = ?1",
    )?
    .execute(params![id, text.title, text.statement, text.assessment, text.topic, now()])?;
    set_regions(conn, mission_id, id, region_ids)?;
    snapshot(conn, id, actor, FindingEvent::Edited, "")
}

/// A finding of the mission.
pub fn get(conn: &Connection, mission_id: i64, id: i64) -> Result<Finding, StoreError> {
    let (text, stage, published_at, published) = found(
        conn.prepare_cached(
            "SELECT title, statement, assessment, topic, stage, published_at,
                    published_title, published_statement, published_assessment, published_topic
             FROM findings WHERE id = ?1 AND mission_id = ?2",
        )?
        .query_row(params![id, mission_id], |r| {
            Ok((
                text_from(r, 0)?,
                stage_at(r, 4)?,
                r.get(5)?,
                published_from(r, 6)?,
            ))
        }),
        || format!("no finding {id}"),
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, g.depth, g.code, g.name, g.path, g.registered_voters
         FROM finding_regions fr JOIN regions g ON g.id = fr.region_id WHERE fr.finding_id = ?1 ORDER BY g.path",
    )?;
    let regions = stmt
        .query_map([id], regions::from_row)?
        .collect::<Result<_, _>>()?;
    Ok(Finding {
        id,
        text,
        stage,
        regions,
        published_at,
        published,
    })
}

/// A line of the findings list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingLine {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub assessment: Assessment,
    pub stage: Stage,
    pub evidence: i64,
    pub verified: i64,
}

/// The mission's findings by stage, topic and title.
pub fn list(conn: &Connection, mission_id: i64) -> Result<Vec<FindingLine>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.title, f.topic, f.assessment, f.stage,
                (SELECT count(*) FROM finding_evidence e WHERE e.finding_id = f.id),
                (SELECT count(*) FROM finding_evidence e JOIN reports r ON r.id = e.report_id
                 WHERE e.finding_id = f.id AND r.status = 'verified')
         FROM findings f WHERE f.mission_id = ?1
         ORDER BY CASE f.stage WHEN 'ready' THEN 0 WHEN 'draft' THEN 1 ELSE 2 END, f.topic, f.title",
    )?;
    let rows = stmt.query_map([mission_id], |r| {
        Ok(FindingLine {
            id: r.get(0)?,
            title: r.get(1)?,
            topic: r.get(2)?,
            assessment: r.get(3)?,
            stage: stage_at(r, 4)?,
            evidence: r.get(5)?,
            verified: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The topics already used in the mission, to keep them consistent.
pub fn topics(conn: &Connection, mission_id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT topic FROM findings WHERE mission_id = ?1 ORDER BY topic",
    )?;
    let rows = stmt.query_map([mission_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A report linked to a finding, with what the finding page shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub report_id: String,
    pub reference: String,
    pub status: Status,
    pub severity: Option<Severity>,
    pub form_title: String,
    pub region_name: String,
    pub region_path: RegionPath,
    pub received_at: i64,
    pub note: String,
}

impl Evidence {
    /// What the evidence summary counts of this report.
    pub fn item(&self) -> EvidenceItem {
        EvidenceItem {
            status: self.status,
            severity: self.severity,
            region_path: self.region_path.clone(),
        }
    }
}

/// A finding's evidence, in the order it was added.
pub fn evidence(conn: &Connection, finding_id: i64) -> Result<Vec<Evidence>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.reference, r.status, r.severity, f.title, g.name, r.region_path, r.received_at, e.note
         FROM finding_evidence e JOIN reports r ON r.id = e.report_id
         JOIN forms f ON f.id = r.form_id JOIN regions g ON g.id = r.region_id
         WHERE e.finding_id = ?1 ORDER BY e.added_at, r.seq",
    )?;
    let rows = stmt.query_map([finding_id], |r| {
        Ok(Evidence {
            report_id: r.get(0)?,
            reference: r.get(1)?,
            status: r.get(2)?,
            severity: r.get(3)?,
            form_title: r.get(4)?,
            region_name: r.get(5)?,
            region_path: r.get(6)?,
            received_at: r.get(7)?,
            note: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Links reports (by id, of the same mission) to a finding; already linked ones stay as
/// they are. Returns how many were added.
pub fn add_evidence(
    conn: &Connection,
    mission_id: i64,
    finding_id: i64,
    report_ids: &[String],
    note: &str,
    actor: &Actor,
) -> Result<usize, StoreError> {
    get(conn, mission_id, finding_id)?;
    let mut added = 0;
    let mut references = Vec::new();
    for report_id in report_ids {
        let reference: String = found(
            conn.prepare_cached("SELECT reference FROM reports WHERE id = ?1 AND mission_id = ?2")?
                .query_row(params![report_id, mission_id], |r| r.get(0)),
            || "no such report".to_owned(),
        )?;
        let inserted = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO finding_evidence (finding_id, report_id, note, added_at, added_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![finding_id, report_id, note, now(), actor.user_id])?;
        if inserted > 0 {
            added += 1;
            references.push(reference);
        }
    }
    if added > 0 {
        snapshot(
            conn,
            finding_id,
            actor,
            FindingEvent::EvidenceAdded,
            &references.join(", "),
        )?;
    }
    Ok(added)
}

/// Links a report given by its reference.
pub fn add_evidence_by_reference(
    conn: &Connection,
    mission_id: i64,
    finding_id: i64,
    reference: &str,
    note: &str,
    actor: &Actor,
) -> Result<usize, StoreError> {
    let id = review::id_by_reference(conn, mission_id, reference)?.ok_or_else(|| {
        StoreError::Rejected(
            Message::new("review.refused.no_report").with("reference", reference.trim()),
        )
    })?;
    add_evidence(conn, mission_id, finding_id, &[id], note, actor)
}

/// Unlinks a report from a finding.
pub fn remove_evidence(
    conn: &Connection,
    mission_id: i64,
    finding_id: i64,
    report_id: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    get(conn, mission_id, finding_id)?;
    let reference: Option<String> = conn
        .prepare_cached(
            "SELECT r.reference FROM finding_evidence e JOIN reports r ON r.id = e.report_id
             WHERE e.finding_id = ?1 AND e.report_id = ?2",
        )?
        .query_row(params![finding_id, report_id], |r| r.get(0))
        .optional()?;
    let Some(reference) = reference else {
        return Err(StoreError::NotFound("not evidence of this finding".into()));
    };
    let finding = get(conn, mission_id, finding_id)?;
    let verified = verified_count(conn, finding_id)?;
    let this_verified: bool = conn
        .prepare_cached("SELECT status = 'verified' FROM reports WHERE id = ?1")?
        .query_row([report_id], |r| r.get(0))?;
    if finding.stage == Stage::Published && this_verified && verified <= 1 {
        return Err(StoreError::Rejected(
            "This is the last verified report of a published finding: add another, or take the finding back to draft, first.".into(),
        ));
    }
    conn.prepare_cached("DELETE FROM finding_evidence WHERE finding_id = ?1 AND report_id = ?2")?
        .execute(params![finding_id, report_id])?;
    snapshot(
        conn,
        finding_id,
        actor,
        FindingEvent::EvidenceRemoved,
        &reference,
    )
}

/// How many of a finding's reports are verified.
pub fn verified_count(conn: &Connection, finding_id: i64) -> Result<usize, StoreError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM finding_evidence e JOIN reports r ON r.id = e.report_id
             WHERE e.finding_id = ?1 AND r.status = 'verified'",
        )?
        .query_row([finding_id], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Moves a finding to another stage, by the rules of `domain::finding::move_to`.
pub fn set_stage(
    conn: &Connection,
    mission_id: i64,
    id: i64,
    to: Stage,
    actor: &Actor,
) -> Result<Stage, StoreError> {
    let finding = get(conn, mission_id, id)?;
    if finding.stage == Stage::Published
        && to == Stage::Published
        && !finding.has_unpublished_changes()
    {
        return Err(StoreError::Rejected(
            "The finding is already published as it stands.".into(),
        ));
    }
    let stage = move_to(finding.stage, to, verified_count(conn, id)?)
        .map_err(|e| StoreError::Rejected(e.0))?;
    // Publishing copies the text into the published columns, which the statement reads:
    // later edits reach the statement only when published again.
    conn.prepare_cached(
        "UPDATE findings SET stage = ?2, updated_at = ?3,
             published_at = CASE WHEN ?2 = 'published' THEN ?3 ELSE published_at END,
             published_title = CASE WHEN ?2 = 'published' THEN title ELSE published_title END,
             published_statement = CASE WHEN ?2 = 'published' THEN statement ELSE published_statement END,
             published_assessment = CASE WHEN ?2 = 'published' THEN assessment ELSE published_assessment END,
             published_topic = CASE WHEN ?2 = 'published' THEN topic ELSE published_topic END
         WHERE id = ?1",
    )?
    .execute(params![id, stage, now()])?;
    snapshot(conn, id, actor, FindingEvent::Stage, "")?;
    Ok(stage)
}

/// One entry of a finding's history: the finding as it was after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: i64,
    pub actor: Option<String>,
    pub event: FindingEvent,
    pub stage: Stage,
    pub text: FindingText,
    pub detail: String,
}

/// A finding's history, newest first.
pub fn history(conn: &Connection, finding_id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT h.title, h.statement, h.assessment, h.topic, h.at, u.display_name, h.event, h.stage, h.detail
         FROM finding_history h LEFT JOIN users u ON u.id = h.actor_id WHERE h.finding_id = ?1 ORDER BY h.id DESC",
    )?;
    let rows = stmt.query_map([finding_id], |r| {
        Ok(HistoryEntry {
            text: text_from(r, 0)?,
            at: r.get(4)?,
            actor: r.get(5)?,
            event: r.get(6)?,
            stage: r.get(7)?,
            detail: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A published finding as the statement shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub finding: Finding,
    /// The text as published (not any later edit).
    pub text: FindingText,
    pub verified_reports: usize,
    /// Distinct top-level regions (counties) among the verified reports.
    pub regions: usize,
}

/// The published findings that still rest on at least one verified report (one whose
/// evidence has all been set aside since is left out, and its page says so), by topic
/// then title.
pub fn published(conn: &Connection, mission_id: i64) -> Result<Vec<Published>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM findings WHERE mission_id = ?1 AND stage = 'published'
         ORDER BY lower(published_topic), lower(published_title)",
    )?;
    let ids: Vec<i64> = stmt
        .query_map([mission_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let finding = get(conn, mission_id, id)?;
        let items: Vec<EvidenceItem> = evidence(conn, id)?.into_iter().map(|e| e.item()).collect();
        let summary = summarize(&items);
        let Some(text) = finding.published.clone() else {
            continue;
        };
        if summary.verified == 0 {
            continue;
        }
        out.push(Published {
            text,
            verified_reports: summary.verified,
            regions: summary.verified_regions,
            finding,
        });
    }
    Ok(out)
}

/// The findings that cite a report as evidence: (id, title, stage).
pub fn citing(conn: &Connection, report_id: &str) -> Result<Vec<(i64, String, Stage)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.title, f.stage FROM finding_evidence e JOIN findings f ON f.id = e.finding_id
         WHERE e.report_id = ?1 ORDER BY f.title",
    )?;
    let rows = stmt.query_map([report_id], |r| Ok((r.get(0)?, r.get(1)?, stage_at(r, 2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
