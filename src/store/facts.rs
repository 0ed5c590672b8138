//! The report facts of every mission in memory (see `domain::facts`): loaded from the
//! file once, then kept current by the writer thread, which reads each report its
//! transaction touched right after the commit and before it answers the callers. The
//! facts follow commit order, and whoever wrote sees their write in every figure at once.
//!
//! Writes by another process (`fieldreport import regions` while the server runs, a
//! generator on the same file) change SQLite's `data_version` on the writer's connection:
//! the writer looks at it when it starts a transaction and when it has been idle for a
//! second, and then reads the geography and forms again and every report newer than
//! those it holds. No command of fieldreport changes a report's status from outside the
//! server; one that did would show after a restart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use crate::domain::facts::{FormRow, MissionFacts, RegionRow, RegionTree, ReportRow, Unpackable};
use crate::domain::form::FormKind;
use crate::domain::review::Status;

/// Every mission's facts, and the newest report among them.
#[derive(Debug, Default)]
pub struct Loaded {
    missions: HashMap<i64, MissionFacts>,
    last_seq: i64,
}

impl Loaded {
    /// The facts of a mission (empty for a mission with nothing yet).
    pub fn mission(&self, mission_id: i64) -> &MissionFacts {
        static EMPTY: std::sync::OnceLock<MissionFacts> = std::sync::OnceLock::new();
        self.missions.get(&mission_id).unwrap_or_else(|| {
            EMPTY.get_or_init(|| MissionFacts::new(RegionTree::default(), Vec::new()))
        })
    }
}

/// What one write transaction touched, as SQLite's update hook saw it.
#[derive(Debug, Default)]
pub(super) struct Touched {
    pub reports: Vec<i64>,
    /// Regions or levels changed: the geography is read again.
    pub geography: bool,
    pub forms: bool,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty() && !self.geography && !self.forms
    }
}

/// The facts, loaded when first asked for (a command that never reads the dashboard never
/// loads them).
#[derive(Debug)]
pub struct Facts {
    path: PathBuf,
    state: RwLock<Option<Loaded>>,
    /// The writer connection's `data_version` when last looked at.
    data_version: AtomicI64,
}

const UNSEEN: i64 = i64::MIN;

impl Facts {
    pub(super) fn new(path: &Path) -> Facts {
        Facts {
            path: path.to_owned(),
            state: RwLock::new(None),
            data_version: AtomicI64::new(UNSEEN),
        }
    }

    /// The facts, loaded first if they are not yet: on a connection of their own, opened
    /// once the lock is held, so that no commit falls between the load and the writer's
    /// next change (see `apply`).
    fn loaded(&self) -> Result<RwLockReadGuard<'_, Option<Loaded>>, StoreError> {
        {
            let state = self.state.read().unwrap_or_else(|e| e.into_inner());
            if state.is_some() {
                return Ok(state);
            }
        }
        {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            if state.is_none() {
                let conn = super::connection::open_reader(&self.path)?;
                let started = std::time::Instant::now();
                let loaded = super::in_one_snapshot(&conn, load)?;
                tracing::info!(
                    reports = loaded.last_seq,
                    ms = started.elapsed().as_millis(),
                    "report facts loaded"
                );
                *state = Some(loaded);
            }
        }
        Ok(self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Runs `f` on the facts of a mission.
    pub fn with_mission<T>(
        &self,
        mission_id: i64,
        f: impl FnOnce(&MissionFacts) -> T,
    ) -> Result<T, StoreError> {
        let state = self.loaded()?;
        let loaded = state
            .as_ref()
            .ok_or_else(|| StoreError::Task("the report facts are not loaded".to_owned()))?;
        Ok(f(loaded.mission(mission_id)))
    }

    /// Loads the facts now (the server does at start, so its first dashboard need not).
    pub fn preload(&self) -> Result<(), StoreError> {
        self.loaded().map(|_| ())
    }

    /// Brings the facts up to what the writer's transaction left in the file, once it has
    /// ended (committed or not: each touched report is read as it now stands).
    pub(super) fn apply(&self, conn: &Connection, touched: Touched) -> Result<(), StoreError> {
        if touched.is_empty() {
            return Ok(());
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let Some(loaded) = state.as_mut() else {
            return Ok(());
        };
        if touched.forms || touched.geography {
            refresh_shape(conn, loaded)?;
        }
        let mut seqs = touched.reports;
        seqs.sort_unstable();
        seqs.dedup();
        for seq in seqs {
            match report_by_seq(conn, seq)? {
                Some((mission_id, row)) => put(conn, loaded, mission_id, &row)?,
                None => loaded.missions.values_mut().for_each(|m| m.remove(seq)),
            }
        }
        Ok(())
    }

    /// Catches up with writes by other processes, if any committed since the last look,
    /// and says whether there were any.
    pub(super) fn notice_other_writers(&self, conn: &Connection) -> Result<bool, StoreError> {
        let version: i64 = conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        let seen = self.data_version.swap(version, Ordering::Relaxed);
        if seen == UNSEEN || seen == version {
            return Ok(false);
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let Some(loaded) = state.as_mut() else {
            return Ok(true);
        };
        tracing::info!("another process wrote to the database: reading its changes");
        refresh_shape(conn, loaded)?;
        let after = loaded.last_seq;
        each_report(conn, after, |mission_id, row| {
            put(conn, loaded, mission_id, row)
        })?;
        Ok(true)
    }
}

/// A shared handle on the facts, for reads on any thread.
pub type SharedFacts = Arc<Facts>;

fn unpackable(e: Unpackable) -> StoreError {
    StoreError::Task(format!("a report cannot be held in memory: {}", e.0))
}

fn put(
    conn: &Connection,
    loaded: &mut Loaded,
    mission_id: i64,
    row: &ReportRow,
) -> Result<(), StoreError> {
    let known = loaded
        .missions
        .get(&mission_id)
        .is_some_and(|m| m.knows_form(row.form_id));
    if !known {
        refresh_shape(conn, loaded)?;
    }
    let mission = loaded
        .missions
        .entry(mission_id)
        .or_insert_with(|| MissionFacts::new(RegionTree::default(), Vec::new()));
    mission.put(row).map_err(unpackable)?;
    loaded.last_seq = loaded.last_seq.max(row.seq);
    Ok(())
}

/// Reports handed from the thread reading the file to the thread packing them, at a time.
const BATCH: usize = 512;

/// Reports read, on their way to be packed: `rows[..len]` (the rest are buffers kept to
/// be written over, so that the strings of a report are not allocated anew each time).
struct Batch {
    rows: Vec<(i64, ReportRow)>,
    len: usize,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            rows: Vec::with_capacity(BATCH),
            len: 0,
        }
    }

    fn push(&mut self, mission_id: i64, row: &ReportRow) {
        match self.rows.get_mut(self.len) {
            Some((mission, slot)) => {
                *mission = mission_id;
                slot.clone_from(row);
            }
            None => self.rows.push((mission_id, row.clone())),
        }
        self.len += 1;
    }
}

/// Reads every mission's facts from the file.
///
/// The rows are read from SQLite on this thread and packed on another, each batch packed
/// while the next is read: reading is about two thirds of the work and packing the rest,
/// so the server's cold start on two cores is about the reading alone.
pub fn load(conn: &Connection) -> Result<Loaded, StoreError> {
    let mut loaded = Loaded::default();
    refresh_shape(conn, &mut loaded)?;
    // Seqs are dense, so the last one bounds the reports of any mission: the first
    // mission met (most files hold one) is given room for all of them at once, rather
    // than grow by doubling and hold both copies at the peak.
    let last: Option<i64> = conn.query_row("SELECT max(seq) FROM reports", [], |r| r.get(0))?;
    let mut room = last.and_then(|l| usize::try_from(l).ok()).unwrap_or(0);
    let (full, to_pack) = mpsc::sync_channel::<Batch>(2);
    let (emptied, to_fill) = mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        let packer = scope.spawn(move || -> Result<Loaded, StoreError> {
            for batch in to_pack {
                for (mission_id, row) in &batch.rows[..batch.len] {
                    let mission = loaded
                        .missions
                        .entry(*mission_id)
                        .or_insert_with(|| MissionFacts::new(RegionTree::default(), Vec::new()));
                    if room > 0 {
                        mission.reserve(std::mem::take(&mut room));
                    }
                    mission.put(row).map_err(unpackable)?;
                    loaded.last_seq = loaded.last_seq.max(row.seq);
                }
                // The reader may have finished: then the buffers are simply dropped.
                let _ = emptied.send(batch);
            }
            for mission in loaded.missions.values_mut() {
                mission.shrink_to_fit();
            }
            Ok(loaded)
        });
        let mut batch = Batch::new();
        let read = each_report(conn, 0, |mission_id, row| {
            batch.push(mission_id, row);
            if batch.len == BATCH {
                let mut next = to_fill.try_recv().unwrap_or_else(|_| Batch::new());
                next.len = 0;
                let ready = std::mem::replace(&mut batch, next);
                full.send(ready).map_err(|_| packer_stopped())?;
            }
            Ok(())
        });
        if read.is_ok() && batch.len > 0 {
            let _ = full.send(batch);
        }
        drop(full);
        let packed = packer
            .join()
            .map_err(|_| StoreError::Task("the report facts' packer panicked".to_owned()))?;
        match (read, packed) {
            // A packer that failed stopped the read: its error is the cause.
            (_, Err(e)) => Err(e),
            (Err(e), Ok(_)) => Err(e),
            (Ok(()), Ok(loaded)) => Ok(loaded),
        }
    })
}

fn packer_stopped() -> StoreError {
    StoreError::Task("the report facts' packer stopped".to_owned())
}

/// Reads the geography and the forms of every mission again.
fn refresh_shape(conn: &Connection, loaded: &mut Loaded) -> Result<(), StoreError> {
    let mut forms: HashMap<i64, Vec<FormRow>> = HashMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT id, mission_id, key, kind FROM forms ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let kind: String = row.get(3)?;
        let kind = FormKind::parse(&kind)
            .ok_or_else(|| StoreError::Task(format!("a form has an unknown kind `{kind}`")))?;
        forms.entry(row.get(1)?).or_default().push(FormRow {
            id: row.get(0)?,
            key: row.get(2)?,
            kind,
        });
    }
    let mut regions: HashMap<i64, Vec<RegionRow>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT mission_id, id, depth, path, latitude, longitude FROM regions ORDER BY mission_id, path",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (latitude, longitude): (Option<f64>, Option<f64>) = (row.get(4)?, row.get(5)?);
        regions.entry(row.get(0)?).or_default().push(RegionRow {
            id: row.get(1)?,
            depth: row.get(2)?,
            path: row.get(3)?,
            location: latitude.zip(longitude),
        });
    }
    let deepest: HashMap<i64, i64> = conn
        .prepare_cached("SELECT mission_id, max(depth) FROM region_levels GROUP BY mission_id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut missions: Vec<i64> = forms.keys().chain(regions.keys()).copied().collect();
    missions.sort_unstable();
    missions.dedup();
    for mission_id in missions {
        let tree = RegionTree::new(
            regions.remove(&mission_id).unwrap_or_default(),
            deepest.get(&mission_id).copied().unwrap_or(0),
        );
        let forms = forms.remove(&mission_id).unwrap_or_default();
        match loaded.missions.get_mut(&mission_id) {
            Some(mission) => {
                mission.learn_forms(forms);
                mission.set_tree(tree);
            }
            None => {
                loaded
                    .missions
                    .insert(mission_id, MissionFacts::new(tree, forms));
            }
        }
    }
    Ok(())
}

/// The columns of a report the facts hold, for `report_from`.
const REPORT_COLUMNS: &str =
    "seq, mission_id, region_id, form_id, category, coalesce(severity, 0), status,
     received_at, observer_id, problem_count";

fn report_from(row: &rusqlite::Row<'_>) -> Result<(i64, ReportRow, i64), StoreError> {
    let mut report = blank_row();
    let (mission_id, problem_count) = read_into(row, &mut report)?;
    Ok((mission_id, report, problem_count))
}

/// A text column as borrowed from SQLite's row, `None` for NULL.
fn text_at<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>, StoreError> {
    row.get_ref(i)?.as_str_or_null().map_err(|e| {
        StoreError::from(rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            Box::new(e),
        ))
    })
}

/// A row to read reports into.
fn blank_row() -> ReportRow {
    ReportRow {
        seq: 0,
        region_id: 0,
        form_id: 0,
        category: None,
        severity: 0,
        status: Status::Received,
        received_at: 0,
        observer_id: 0,
        problems: Vec::new(),
    }
}

/// Reads a row of `REPORT_COLUMNS` into `report`, reusing its category's buffer: a load
/// reads a million of them, and text is read as borrowed bytes, not new strings.
/// Returns the mission and the count of problem answers; leaves `problems` alone.
fn read_into(row: &rusqlite::Row<'_>, report: &mut ReportRow) -> Result<(i64, i64), StoreError> {
    let status = text_at(row, 6)?.unwrap_or_default();
    report.status = Status::parse(status)
        .ok_or_else(|| StoreError::Task(format!("a report has an unknown status `{status}`")))?;
    match text_at(row, 4)? {
        None => report.category = None,
        Some(text) => {
            let buffer = report.category.get_or_insert_with(String::new);
            buffer.clear();
            buffer.push_str(text);
        }
    }
    report.seq = row.get(0)?;
    report.region_id = row.get(2)?;
    report.form_id = row.get(3)?;
    report.severity = row.get(5)?;
    report.received_at = row.get(7)?;
    report.observer_id = row.get(8)?;
    Ok((row.get(1)?, row.get(9)?))
}

/// Every report after `after` in order of arrival, with its problem questions. Reads the
/// index made for it (migration 0010), a twentieth of the table's pages.
fn each_report(
    conn: &Connection,
    after: i64,
    mut f: impl FnMut(i64, &ReportRow) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut problems = conn.prepare_cached(
        "SELECT report_seq, question FROM report_problems WHERE report_seq > ?1 ORDER BY report_seq",
    )?;
    let mut problems = problems.query([after])?;
    let mut next_problem: Option<(i64, String)> = match problems.next()? {
        Some(p) => Some((p.get(0)?, p.get(1)?)),
        None => None,
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REPORT_COLUMNS} FROM reports INDEXED BY reports_facts WHERE seq > ?1 ORDER BY seq"
    ))?;
    let mut rows = stmt.query([after])?;
    let mut report = blank_row();
    while let Some(row) = rows.next()? {
        let (mission_id, _) = read_into(row, &mut report)?;
        report.problems.clear();
        while let Some((seq, question)) = next_problem.take() {
            if seq > report.seq {
                next_problem = Some((seq, question));
                break;
            }
            if seq == report.seq {
                report.problems.push(question);
            }
            next_problem = match problems.next()? {
                Some(p) => Some((p.get(0)?, p.get(1)?)),
                None => None,
            };
        }
        f(mission_id, &report)?;
    }
    Ok(())
}

/// One report as it now stands, with its problem questions; `None` when it is not there.
fn report_by_seq(conn: &Connection, seq: i64) -> Result<Option<(i64, ReportRow)>, StoreError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE seq = ?1"
        ))?
        .query_row([seq], |row| Ok(report_from(row)))
        .optional()?
        .transpose()?;
    let Some((mission_id, mut report, problem_count)) = found else {
        return Ok(None);
    };
    if problem_count > 0 {
        report.problems = conn
            .prepare_cached("SELECT question FROM report_problems WHERE report_seq = ?1")?
            .query_map(params![seq], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
    }
    Ok(Some((mission_id, report)))
}

/// Records the questions a newly filed report flags as a problem: the review queue filters
/// on them, and the facts count them.
pub fn record_problems(
    conn: &Connection,
    report_seq: i64,
    questions: &[String],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO report_problems (report_seq, question) VALUES (?1, ?2)",
    )?;
    for question in questions {
        insert.execute(params![report_seq, question])?;
    }
    Ok(())
}
