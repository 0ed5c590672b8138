//! What the findings pages show, each read in one transaction.

use rusqlite::Connection;

use super::{
    Evidence, Finding, HistoryEntry, Published, evidence, get, history, published, topics,
};
use crate::store::StoreError;
use crate::store::audit::Actor;
use crate::store::missions::{self, Mission};
use crate::store::regions::{self, Region};

/// Top-level regions offered to a finding: a country has a few dozen.
const TOP_REGIONS: u32 = 500;

/// The finding form's choices: the regions a finding can concern and the topics in use.
pub struct EditChoices {
    pub top_regions: Vec<Region>,
    pub topics: Vec<String>,
}

pub fn edit_choices(conn: &Connection, mission_id: i64) -> Result<EditChoices, StoreError> {
    Ok(EditChoices {
        top_regions: regions::children(conn, mission_id, None, TOP_REGIONS)?,
        topics: topics(conn, mission_id)?,
    })
}

/// One finding with its evidence and history.
pub struct FindingPage {
    pub finding: Finding,
    pub evidence: Vec<Evidence>,
    pub history: Vec<HistoryEntry>,
    pub top_regions: Vec<Region>,
    pub levels: Vec<String>,
}

pub fn finding_page(
    conn: &Connection,
    mission_id: i64,
    finding_id: i64,
) -> Result<FindingPage, StoreError> {
    Ok(FindingPage {
        finding: get(conn, mission_id, finding_id)?,
        evidence: evidence(conn, finding_id)?,
        history: history(conn, finding_id)?,
        top_regions: regions::children(conn, mission_id, None, TOP_REGIONS)?,
        levels: regions::levels(conn, mission_id)?,
    })
}

/// The preliminary statement: the mission and its published findings.
pub struct StatementPage {
    pub mission: Mission,
    pub published: Vec<Published>,
    pub levels: Vec<String>,
}

pub fn statement_page(
    conn: &Connection,
    mission_slug: &str,
    mission_id: i64,
) -> Result<StatementPage, StoreError> {
    Ok(StatementPage {
        mission: missions::by_slug(conn, mission_slug)?,
        published: published(conn, mission_id)?,
        levels: regions::levels(conn, mission_id)?,
    })
}

/// Adds the reports named by `references` to a finding's evidence, all or none: a
/// reference that names no report of the mission refuses the whole list. Returns how many
/// were new to the finding.
pub fn add_evidence_by_references(
    conn: &Connection,
    mission_id: i64,
    finding_id: i64,
    references: &[String],
    note: &str,
    actor: &Actor,
) -> Result<usize, StoreError> {
    let mut added = 0;
    for reference in references {
        added +=
            super::add_evidence_by_reference(conn, mission_id, finding_id, reference, note, actor)?;
    }
    Ok(added)
}
