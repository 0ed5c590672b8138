//! Form definitions and their versions.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{self, Actor};
use super::{StoreError, found, now};
use crate::domain::audit::AuditEvent;
use crate::domain::form::{FormDefinition, FormKind, categories_of};
use crate::i18n::Lang;

/// One version of a form, as stored.
#[derive(Debug, Clone)]
pub struct StoredForm {
    pub id: i64,
    pub key: String,
    pub version: i64,
    pub definition: Arc<FormDefinition>,
}

/// A form's newest version, for lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSummary {
    pub id: i64,
    pub key: String,
    pub version: i64,
    pub kind: String,
    pub title: String,
    /// Reports filed with any version of this form.
    pub reports: i64,
}

/// What importing a definition did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A form new to the mission, at version 1.
    Created { version: i64 },
    /// The same definition as the newest version: nothing changed.
    Unchanged { version: i64 },
    /// A changed definition, stored as a new version; earlier reports keep theirs.
    NewVersion { version: i64 },
}

/// Stores a definition for the mission: a new form, a new version of a changed one, or
/// nothing when it is the same as the newest version.
pub fn import(
    conn: &Connection,
    mission_id: i64,
    definition: &FormDefinition,
    actor: &Actor,
) -> Result<Imported, StoreError> {
    let newest: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT version, definition FROM forms WHERE mission_id = ?1 AND key = ?2
             ORDER BY version DESC LIMIT 1",
        )?
        .query_row(params![mission_id, definition.key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (outcome, version) = match &newest {
        Some((version, stored)) if stored == definition.canonical_json() => {
            return Ok(Imported::Unchanged { version: *version });
        }
        Some((version, _)) => (
            Imported::NewVersion {
                version: version + 1,
            },
            version + 1,
        ),
        None => (Imported::Created { version: 1 }, 1),
    };
    conn.prepare_cached(
        "INSERT INTO forms (mission_id, key, version, kind, title, definition, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        mission_id,
        definition.key,
        version,
        definition.kind.as_str(),
        definition.title,
        definition.canonical_json(),
        now()
    ])?;
    let event = AuditEvent::FormImported {
        key: definition.key.clone(),
        version,
    };
    audit::record(conn, Some(mission_id), actor, &event)?;
    Ok(outcome)
}

fn stored_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, i64, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

/// Definitions already read, by their canonical JSON: a definition never changes once
/// stored, and reading it again for every report filed is most of a form's cost. Keyed by
/// content, so that it is right for any database; bounded, since versions are few.
static PARSED: LazyLock<Mutex<HashMap<String, Arc<FormDefinition>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
const PARSED_KEPT: usize = 256;

fn parse((id, key, version, json): (i64, String, i64, String)) -> Result<StoredForm, StoreError> {
    let known = PARSED.lock().ok().and_then(|p| p.get(&json).cloned());
    let definition = match known {
        Some(definition) => definition,
        None => {
            // Stored definitions were checked on import; one that no longer reads is corruption.
            let definition = Arc::new(FormDefinition::from_json(&json).map_err(|e| {
                StoreError::Task(format!("stored form {key} v{version} is unreadable: {e}"))
            })?);
            if let Ok(mut parsed) = PARSED.lock() {
                if parsed.len() >= PARSED_KEPT {
                    parsed.clear();
                }
                parsed.insert(json, Arc::clone(&definition));
            }
            definition
        }
    };
    Ok(StoredForm {
        id,
        key,
        version,
        definition,
    })
}

/// A form version of the mission by id (the id a form page and its reports carry).
pub fn by_id(conn: &Connection, mission_id: i64, form_id: i64) -> Result<StoredForm, StoreError> {
    let row = found(
        conn.prepare_cached(
            "SELECT id, key, version, definition FROM forms WHERE mission_id = ?1 AND id = ?2",
        )?
        .query_row(params![mission_id, form_id], stored_from_row),
        || format!("no form {form_id} in this mission"),
    )?;
    parse(row)
}

/// The newest version of a form by key.
pub fn newest(conn: &Connection, mission_id: i64, key: &str) -> Result<StoredForm, StoreError> {
    let row = found(
        conn.prepare_cached(
            "SELECT id, key, version, definition FROM forms WHERE mission_id = ?1 AND key = ?2
             ORDER BY version DESC LIMIT 1",
        )?
        .query_row(params![mission_id, key], stored_from_row),
        || format!("no form `{key}` in this mission"),
    )?;
    parse(row)
}

/// The newest version of each form of the mission: checklists first (in the order they
/// were added, which is the order of the day), then incident forms. Counting the reports
/// of each form reads an index range per form: ask for it only where it is shown.
pub fn current(
    conn: &Connection,
    mission_id: i64,
    with_counts: bool,
) -> Result<Vec<FormSummary>, StoreError> {
    let count = if with_counts {
        // Every version's reports, each an index range (reports_form).
        "(SELECT count(*) FROM forms v JOIN reports r ON r.form_id = v.id
          WHERE v.mission_id = f.mission_id AND v.key = f.key)"
    } else {
        "0"
    };
    let sql = format!(
        "SELECT f.id, f.key, f.version, f.kind, f.title, {count}
         FROM forms f
         WHERE f.mission_id = ?1
           AND f.version = (SELECT max(version) FROM forms g WHERE g.mission_id = f.mission_id AND g.key = f.key)
         ORDER BY f.kind = 'incident', (SELECT min(id) FROM forms g WHERE g.mission_id = f.mission_id AND g.key = f.key)"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([mission_id], |row| {
        Ok(FormSummary {
            id: row.get(0)?,
            key: row.get(1)?,
            version: row.get(2)?,
            kind: row.get(3)?,
            title: row.get(4)?,
            reports: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The versions of one form, newest first: (form id, version, reports filed with it).
pub fn versions(
    conn: &Connection,
    mission_id: i64,
    key: &str,
) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.version, (SELECT count(*) FROM reports r WHERE r.form_id = f.id)
         FROM forms f WHERE f.mission_id = ?1 AND f.key = ?2 ORDER BY f.version DESC",
    )?;
    let rows = stmt.query_map(params![mission_id, key], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The incident categories offered by the mission's current incident forms: (option key,
/// label in `lang`), each once.
pub fn incident_categories(
    conn: &Connection,
    mission_id: i64,
    lang: Lang,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut definitions = Vec::new();
    for summary in current(conn, mission_id, false)?
        .into_iter()
        .filter(|s| s.kind == FormKind::Incident.as_str())
    {
        definitions.push(by_id(conn, mission_id, summary.id)?.definition);
    }
    let worded: Vec<_> = definitions.iter().map(|d| d.in_language(lang)).collect();
    Ok(categories_of(worded.iter().map(|d| &**d)))
}

/// A version of a form: its id, its number, and how many reports were filed with it.
pub type VersionLine = (i64, i64, i64);

/// A form version and every version of its form, for its preview page.
pub fn with_versions(
    conn: &Connection,
    mission_id: i64,
    form_id: i64,
) -> Result<(StoredForm, Vec<VersionLine>), StoreError> {
    let form = by_id(conn, mission_id, form_id)?;
    let versions = versions(conn, mission_id, &form.key)?;
    Ok((form, versions))
}
