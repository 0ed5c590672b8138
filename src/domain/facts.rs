//! The facts of a mission's reports, held compactly in memory, and every count the
//! dashboard, the map and the review queue show, made by one scan of them.
//!
//! A report's facts are what the figures filter and count on: where (its region), which
//! form, its incident category, severity, status, the hour it arrived and the checklist
//! questions it flags. A million of them take about 20 MB and scan in a few
//! milliseconds, under any combination of filters: no aggregate is kept, so none can
//! drift from the reports, and a new view needs no new table.

use crate::domain::region_path::RegionPath;
use std::collections::HashMap;

use super::dashboard::{Count, RegionFigures};
use super::form::FormKind;
use super::queue_search::Hit;
use super::review::Status;

/// One report as the store reads it, before it is packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub seq: i64,
    pub region_id: i64,
    pub form_id: i64,
    pub category: Option<String>,
    /// 0 for none, 1 low .. 4 critical.
    pub severity: i64,
    pub status: Status,
    pub received_at: i64,
    pub observer_id: i64,
    /// The keys of the questions whose answers are a problem.
    pub problems: Vec<String>,
}

/// A form version as the facts know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    pub id: i64,
    pub key: String,
    pub kind: FormKind,
}

/// A region as the facts know it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow {
    pub id: i64,
    pub depth: i64,
    pub path: RegionPath,
    /// Latitude and longitude, when known.
    pub location: Option<(f64, f64)>,
}

/// A report packed for scanning: 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fact {
    /// The report's region as a position in the tree (`NONE` for a region it does not
    /// hold yet): a region filter is then a comparison, with no lookup per report.
    place: u32,
    /// Unix seconds of arrival.
    received: u32,
    observer: u32,
    /// Where its problem questions start in `MissionFacts::problem_pool`.
    problems_at: u32,
    problems: u16,
    form: u16,
    /// 0 for none; else an index into `categories`.
    category: u16,
    severity: u8,
    /// An index into `Status::ALL`, or `GONE`.
    status: u8,
}

/// The status of a report that is no longer in the file: never counted.
const GONE: u8 = u8::MAX;
const NONE: u32 = u32::MAX;

fn status_index(status: Status) -> u8 {
    Status::ALL
        .iter()
        .position(|s| *s == status)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(GONE)
}

/// Statuses whose reports stand: polling-station figures count only these.
fn standing_mask() -> u8 {
    Status::ALL
        .iter()
        .enumerate()
        .filter(|(_, s)| !matches!(s, Status::Dismissed | Status::Duplicate))
        .fold(0, |mask, (i, _)| mask | 1 << i)
}

/// The mission's geography in path order: every subtree is a run of positions, so "in
/// this region" is a comparison, and so are its polling stations (the deepest level).
#[derive(Debug, Clone, Default)]
pub struct RegionTree {
    ids: Vec<i64>,
    /// One past the last position of each region's subtree.
    end: Vec<u32>,
    station: Vec<bool>,
    location: Vec<Option<(f64, f64)>>,
    /// Polling stations before each position (one more entry than positions).
    stations_before: Vec<u32>,
    /// Position of each region id, from `first_id` on.
    first_id: i64,
    position: Vec<u32>,
}

impl RegionTree {
    /// The tree of these regions; the deepest level is the polling stations.
    pub fn new(mut rows: Vec<RegionRow>, deepest: i64) -> RegionTree {
        rows.sort_by(|a, b| a.path.cmp(&b.path));
        let n = rows.len();
        let mut end = vec![0u32; n];
        let mut open: Vec<usize> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            while let Some(&top) = open.last() {
                if rows[top].path.contains(&row.path) {
                    break;
                }
                end[top] = pos(i);
                open.pop();
            }
            open.push(i);
        }
        for top in open {
            end[top] = pos(n);
        }
        let first_id = rows.iter().map(|r| r.id).min().unwrap_or(0);
        let last_id = rows.iter().map(|r| r.id).max().unwrap_or(-1);
        let span = usize::try_from(last_id - first_id + 1).unwrap_or(0);
        let mut position = vec![NONE; span];
        let mut stations_before = Vec::with_capacity(n + 1);
        let mut stations = 0;
        for (i, row) in rows.iter().enumerate() {
            if let Ok(at) = usize::try_from(row.id - first_id) {
                position[at] = pos(i);
            }
            stations_before.push(stations);
            stations += u32::from(row.depth == deepest);
        }
        stations_before.push(stations);
        RegionTree {
            ids: rows.iter().map(|r| r.id).collect(),
            end,
            station: rows.iter().map(|r| r.depth == deepest).collect(),
            location: rows.iter().map(|r| r.location).collect(),
            stations_before,
            first_id,
            position,
        }
    }

    fn position_of(&self, id: i64) -> u32 {
        usize::try_from(id - self.first_id)
            .ok()
            .and_then(|at| self.position.get(at).copied())
            .unwrap_or(NONE)
    }

    /// The run of positions of a region's subtree; the whole tree for `None`, and
    /// nothing for a region the tree does not hold.
    fn range(&self, region_id: Option<i64>) -> (u32, u32) {
        match region_id {
            None => (0, pos(self.ids.len())),
            Some(id) => match self.position_of(id) {
                NONE => (0, 0),
                at => (at, self.end[at as usize]),
            },
        }
    }

    /// The positions of the regions directly under the run (the top level for the whole
    /// tree): each child's subtree follows the one before.
    fn children(&self, region_id: Option<i64>) -> Vec<u32> {
        let (low, high) = self.range(region_id);
        let mut next = if region_id.is_some() { low + 1 } else { low };
        let mut children = Vec::new();
        while next < high {
            children.push(next);
            next = self.end[next as usize];
        }
        children
    }

    fn stations_in(&self, (low, high): (u32, u32)) -> i64 {
        i64::from(self.stations_before[high as usize] - self.stations_before[low as usize])
    }

    /// Whether the region is a polling station.
    pub fn is_station(&self, region_id: i64) -> bool {
        match self.position_of(region_id) {
            NONE => false,
            at => self.station[at as usize],
        }
    }

    /// How many regions the tree holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the tree holds no region.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A position as stored: trees hold far fewer than 2^32 regions.
fn pos(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE)
}

/// An observer's filing, for "active" and "silent".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Activity {
    pub reports: i64,
    /// When they last filed (unix seconds).
    pub last_at: i64,
}

/// Every report of one mission, packed, with the tables its packed values index.
#[derive(Debug, Clone, Default)]
pub struct MissionFacts {
    seqs: Vec<i64>,
    facts: Vec<Fact>,
    /// Problem questions of every report, as indexes into `questions`.
    problem_pool: Vec<u16>,
    /// Form versions by id: (index into `form_keys`, kind).
    forms: Vec<(i64, u16, FormKind)>,
    form_keys: Vec<String>,
    /// Category names; index 0 stands for none.
    categories: Vec<String>,
    /// (form key index, question key) of each problem question seen, and their indexes.
    questions: Vec<(u16, String)>,
    /// The earliest hour a report arrived in: the chart's counts start there.
    first_hour: u32,
    /// (reports, last arrival) by observer (user) id: ids are dense over the users of
    /// the file, and a vector is one cache line away where a hash map was a probe per
    /// report loaded (half the load's own time at 30,000 observers).
    observers: Vec<(u32, u32)>,
    tree: RegionTree,
    /// Region ids of reports whose region the tree did not hold when they came, by seq,
    /// placed once a tree holds it.
    unplaced: HashMap<i64, i64>,
}

/// Why a report cannot be packed: a value outside what the packed form holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpackable(pub String);

fn small<T: TryFrom<usize>>(n: usize, what: &str) -> Result<T, Unpackable> {
    T::try_from(n).map_err(|_| Unpackable(format!("too many {what}")))
}

fn intern(table: &mut Vec<String>, value: &str) -> usize {
    match table.iter().position(|v| v == value) {
        Some(i) => i,
        None => {
            table.push(value.to_owned());
            table.len() - 1
        }
    }
}

impl MissionFacts {
    /// Empty facts over a geography and forms.
    pub fn new(tree: RegionTree, forms: Vec<FormRow>) -> MissionFacts {
        let mut facts = MissionFacts {
            categories: vec![String::new()],
            tree,
            ..MissionFacts::default()
        };
        facts.learn_forms(forms);
        facts
    }

    /// Takes in form versions not known yet; those known keep their place, since packed
    /// reports refer to it.
    pub fn learn_forms(&mut self, forms: Vec<FormRow>) {
        for form in forms {
            if self.forms.iter().any(|(id, _, _)| *id == form.id) {
                continue;
            }
            let key = intern(&mut self.form_keys, &form.key);
            if let Ok(key) = u16::try_from(key) {
                self.forms.push((form.id, key, form.kind));
            }
        }
    }

    /// Replaces the geography (regions were imported); reports keep their region ids,
    /// at their positions in the new tree.
    pub fn set_tree(&mut self, tree: RegionTree) {
        let old = std::mem::replace(&mut self.tree, tree);
        if old.ids == self.tree.ids && self.unplaced.is_empty() {
            return;
        }
        let mut unplaced = std::mem::take(&mut self.unplaced);
        for (seq, fact) in self.seqs.iter().zip(&mut self.facts) {
            let id = match old.ids.get(fact.place as usize) {
                Some(id) => Some(*id),
                None => unplaced.remove(seq),
            };
            let Some(id) = id else { continue };
            fact.place = self.tree.position_of(id);
            if fact.place == NONE {
                self.unplaced.insert(*seq, id);
            }
        }
    }

    /// Room for this many more reports, so that a load grows no vector by doubling.
    pub fn reserve(&mut self, reports: usize) {
        self.seqs.reserve_exact(reports);
        self.facts.reserve_exact(reports);
    }

    /// Gives back room reserved and not used.
    pub fn shrink_to_fit(&mut self) {
        self.seqs.shrink_to_fit();
        self.facts.shrink_to_fit();
        self.problem_pool.shrink_to_fit();
    }

    /// Bytes held for the reports (not the tree, the forms or the observers): what the
    /// facts add to the server's memory per report.
    pub fn report_bytes(&self) -> usize {
        self.seqs.capacity() * std::mem::size_of::<i64>()
            + self.facts.capacity() * std::mem::size_of::<Fact>()
            + self.problem_pool.capacity() * std::mem::size_of::<u16>()
    }

    /// The geography the facts count by.
    pub fn tree(&self) -> &RegionTree {
        &self.tree
    }

    /// Whether the form version is known.
    pub fn knows_form(&self, form_id: i64) -> bool {
        self.forms.iter().any(|(id, _, _)| *id == form_id)
    }

    /// The newest report held.
    pub fn last_seq(&self) -> Option<i64> {
        self.seqs.last().copied()
    }

    /// Reports held (a report gone from the file aside).
    pub fn len(&self) -> usize {
        self.facts.iter().filter(|f| f.status != GONE).count()
    }

    /// Whether no report is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// When each observer last filed, and how many reports.
    pub fn activity(&self, observer_id: i64) -> Option<Activity> {
        let at = usize::try_from(observer_id).ok()?;
        match self.observers.get(at) {
            Some(&(reports, last_at)) if reports > 0 => Some(Activity {
                reports: i64::from(reports),
                last_at: i64::from(last_at),
            }),
            _ => None,
        }
    }

    fn observer_slot(&mut self, observer: u32) -> &mut (u32, u32) {
        let at = observer as usize;
        if at >= self.observers.len() {
            self.observers.resize(at + 1, (0, 0));
        }
        &mut self.observers[at]
    }

    fn pack(&mut self, row: &ReportRow) -> Result<Fact, Unpackable> {
        let form = self
            .forms
            .iter()
            .position(|(id, _, _)| *id == row.form_id)
            .ok_or_else(|| Unpackable(format!("report {} names an unknown form", row.seq)))?;
        let category = match &row.category {
            None => 0,
            Some(c) => intern(&mut self.categories, c),
        };
        Ok(Fact {
            place: self.tree.position_of(row.region_id),
            received: u32::try_from(row.received_at)
                .map_err(|_| Unpackable(format!("report {} arrived out of range", row.seq)))?,
            observer: u32::try_from(row.observer_id)
                .map_err(|_| Unpackable(format!("observer id {} too large", row.observer_id)))?,
            problems_at: 0,
            problems: 0,
            form: small(form, "form versions")?,
            category: small(category, "categories")?,
            severity: u8::try_from(row.severity.clamp(0, 4)).unwrap_or(0),
            status: status_index(row.status),
        })
    }

    fn pack_problems(&mut self, fact: &mut Fact, row: &ReportRow) -> Result<(), Unpackable> {
        let key = self.forms[fact.form as usize].1;
        fact.problems_at = small(self.problem_pool.len(), "problem answers")?;
        fact.problems = small(row.problems.len(), "problems in one report")?;
        for question in &row.problems {
            // A mission's forms flag a few dozen questions at most: a look along them
            // costs less than hashing a key made for each answer.
            let found = self
                .questions
                .iter()
                .position(|(k, q)| *k == key && q == question);
            let at = match found {
                Some(at) => small(at, "problem questions")?,
                None => {
                    let at = small(self.questions.len(), "problem questions")?;
                    self.questions.push((key, question.clone()));
                    at
                }
            };
            self.problem_pool.push(at);
        }
        Ok(())
    }

    /// Takes a report in as it now stands in the file: a new one, or one whose status
    /// changed (what a report says once filed never changes; its status does).
    pub fn put(&mut self, row: &ReportRow) -> Result<(), Unpackable> {
        let mut fact = self.pack(row)?;
        if fact.place == NONE {
            self.unplaced.insert(row.seq, row.region_id);
        } else if !self.unplaced.is_empty() {
            self.unplaced.remove(&row.seq);
        }
        // Reports come in order of seq: the next one belongs at the end.
        let at = match self.seqs.last() {
            Some(last) if *last < row.seq => self.seqs.len(),
            None => 0,
            Some(_) => self.seqs.partition_point(|s| *s < row.seq),
        };
        if self.seqs.get(at) == Some(&row.seq) {
            let held = self.facts[at];
            if held.status == GONE {
                self.pack_problems(&mut fact, row)?;
            } else {
                fact.problems_at = held.problems_at;
                fact.problems = held.problems;
            }
            self.facts[at] = fact;
            if (held.observer, held.received, held.status == GONE)
                != (fact.observer, fact.received, false)
            {
                self.recount_activity(held.observer);
                self.recount_activity(fact.observer);
            }
            return Ok(());
        }
        self.pack_problems(&mut fact, row)?;
        let hour = fact.received / 3600;
        self.first_hour = if self.facts.is_empty() {
            hour
        } else {
            self.first_hour.min(hour)
        };
        // Reports arrive in order of seq; one committed out of order by another process
        // is placed where it belongs.
        self.seqs.insert(at, row.seq);
        self.facts.insert(at, fact);
        let (reports, last_at) = self.observer_slot(fact.observer);
        *reports += 1;
        *last_at = (*last_at).max(fact.received);
        Ok(())
    }

    /// Forgets a report that is not in the file (a write rolled back).
    pub fn remove(&mut self, seq: i64) {
        if let Ok(at) = self.seqs.binary_search(&seq) {
            self.facts[at].status = GONE;
            self.recount_activity(self.facts[at].observer);
        }
    }

    /// Counts an observer's reports again, after one of them changed hands or time (a
    /// file changed by hand): a scan, never on the way of filing or review.
    fn recount_activity(&mut self, observer: u32) {
        let mut activity = (0u32, 0u32);
        for fact in self
            .facts
            .iter()
            .filter(|f| f.observer == observer && f.status != GONE)
        {
            activity.0 += 1;
            activity.1 = activity.1.max(fact.received);
        }
        *self.observer_slot(observer) = activity;
    }

    fn kind(&self, fact: &Fact) -> FormKind {
        self.forms[fact.form as usize].2
    }

    fn key_of(&self, fact: &Fact) -> u16 {
        self.forms[fact.form as usize].1
    }

    fn problems_of(&self, fact: &Fact) -> &[u16] {
        let at = fact.problems_at as usize;
        &self.problem_pool[at..at + fact.problems as usize]
    }

    /// The selection as masks over the packed values.
    fn mask(&self, selection: &Selection) -> Mask {
        let forms = (!selection.form_keys.is_empty()).then(|| {
            self.forms
                .iter()
                .map(|(_, key, _)| selection.form_keys.contains(&self.form_keys[*key as usize]))
                .collect()
        });
        let categories = (!selection.categories.is_empty()).then(|| {
            self.categories
                .iter()
                .map(|c| selection.categories.contains(c))
                .collect()
        });
        let severities = if selection.severities.is_empty() {
            u8::MAX
        } else {
            selection
                .severities
                .iter()
                .filter(|s| (0..=4).contains(*s))
                .fold(0, |m, s| m | 1 << s)
        };
        let statuses = if selection.statuses.is_empty() {
            u8::MAX >> 3
        } else {
            selection
                .statuses
                .iter()
                .fold(0, |m, s| m | 1 << status_index(*s))
        };
        let received = selection.received.unwrap_or((i64::MIN, i64::MAX));
        Mask {
            forms,
            categories,
            severities,
            statuses,
            received,
            problems_only: selection.problems_only,
        }
    }

    /// Counts the figures of a region (the mission for `None`) under the selection:
    /// reports by kind, category, severity and status; each region directly under it; by
    /// hour of arrival; and its polling stations (each counted once, on the strength of
    /// the selected reports that stand).
    pub fn tally(&self, selection: &Selection) -> Tallied {
        let mask = self.mask(selection);
        let tree = &self.tree;
        let (low, high) = tree.range(selection.region_id);
        let children = tree.children(selection.region_id);
        // The child holding each position of the region's subtree.
        let mut child_of = vec![NONE; tree.len()];
        for (i, &child) in children.iter().enumerate() {
            let slot = pos(i);
            child_of[child as usize..tree.end[child as usize] as usize].fill(slot);
        }
        let n_categories = self.categories.len();
        let mut counts = vec![[0i64; 2]; 2 * n_categories * 5 * Status::ALL.len()];
        let mut by_child = vec![RegionFigures::default(); children.len()];
        let mut hours: HashMap<u32, i64> = HashMap::new();
        let mut hourly = Hourly::from(self.first_hour);
        let keys = self.form_keys.len();
        let mut visited = Stations::new(tree.len(), keys + 1);
        let mut problems = Stations::new(tree.len(), self.questions.len());
        let standing = mask.statuses & standing_mask();
        for fact in &self.facts {
            if !mask.admits(fact) {
                continue;
            }
            let at = fact.place;
            if at == NONE {
                continue;
            }
            if (low..high).contains(&at) {
                let kind = self.kind(fact);
                let with_problems = i64::from(fact.problems > 0);
                let cell = ((usize::from(kind == FormKind::Incident) * n_categories
                    + fact.category as usize)
                    * 5
                    + fact.severity as usize)
                    * Status::ALL.len()
                    + fact.status as usize;
                counts[cell][0] += 1;
                counts[cell][1] += with_problems;
                hourly.add(fact.received / 3600, &mut hours);
                if let Some(figures) = by_child.get_mut(child_of[at as usize] as usize) {
                    figures.add(kind, i64::from(fact.severity), 1, with_problems);
                }
            }
            if standing & 1 << fact.status != 0 && tree.station[at as usize] {
                visited.mark(at, self.key_of(fact) as usize);
                visited.mark(at, keys);
                for &question in self.problems_of(fact) {
                    problems.mark(at, question as usize);
                }
            }
        }
        let mut tallied_counts = Vec::new();
        for (cell, [reports, problem_reports]) in counts.into_iter().enumerate() {
            if reports == 0 {
                continue;
            }
            let status = cell % Status::ALL.len();
            let severity = cell / Status::ALL.len() % 5;
            let category = cell / Status::ALL.len() / 5 % n_categories;
            let incident = cell / Status::ALL.len() / 5 / n_categories == 1;
            tallied_counts.push(Count {
                kind: if incident {
                    FormKind::Incident
                } else {
                    FormKind::Checklist
                },
                category: self.categories[category].clone(),
                severity: i64::try_from(severity).unwrap_or(0),
                status: Status::ALL.get(status).copied(),
                reports,
                problem_reports,
            });
        }
        let coverage = |region_id: i64, range: (u32, u32)| Coverage {
            region_id,
            stations: tree.stations_in(range),
            reported: (0..=keys)
                .map(|k| {
                    let key = self.form_keys.get(k).cloned().unwrap_or_default();
                    (key, visited.count(k, range))
                })
                .filter(|(_, n)| *n > 0)
                .collect(),
        };
        let seen = |range: (u32, u32)| -> Vec<(String, String, i64)> {
            self.questions
                .iter()
                .enumerate()
                .map(|(q, (key, question))| {
                    (
                        self.form_keys[*key as usize].clone(),
                        question.clone(),
                        problems.count(q, range),
                    )
                })
                .filter(|(_, _, n)| *n > 0)
                .collect()
        };
        let whole = tree.range(None);
        Tallied {
            counts: tallied_counts,
            by_child: children
                .iter()
                .zip(by_child)
                .map(|(&child, figures)| (tree.ids[child as usize], figures))
                .collect(),
            hourly: hourly.finish(hours),
            stations: StationFigures {
                here: coverage(selection.region_id.unwrap_or(0), (low, high)),
                mission: coverage(0, whole),
                children: children
                    .iter()
                    .map(|&c| coverage(tree.ids[c as usize], (c, tree.end[c as usize])))
                    .collect(),
                problems: seen((low, high)),
                mission_problems: seen(whole),
            },
        }
    }

    /// Reports of the region under the selection by status, (reports, with problems) for
    /// each of `Status::ALL`: the review queue's counts.
    pub fn by_status(&self, selection: &Selection) -> Vec<(Status, i64, i64)> {
        let mut mask = self.mask(selection);
        mask.statuses = u8::MAX >> 3;
        let tree = &self.tree;
        let (low, high) = tree.range(selection.region_id);
        let mut counts = [[0i64; 2]; Status::ALL.len()];
        for fact in &self.facts {
            if !mask.admits(fact) {
                continue;
            }
            if selection.region_id.is_some() && !(low..high).contains(&fact.place) {
                continue;
            }
            let cell = &mut counts[fact.status as usize];
            cell[0] += 1;
            cell[1] += i64::from(fact.problems > 0);
        }
        Status::ALL
            .into_iter()
            .zip(counts)
            .map(|(status, [reports, problems])| (status, reports, problems))
            .collect()
    }

    /// The reports among `seqs` (newest first, as a text search finds them) that are of
    /// this mission and that the selection admits, whatever their status: the queue
    /// orders, counts and pages a search by these.
    pub fn hits(&self, selection: &Selection, seqs: &[i64]) -> Vec<Hit> {
        let mut mask = self.mask(selection);
        mask.statuses = u8::MAX >> 3;
        let (low, high) = self.tree.range(selection.region_id);
        let mut hits = Vec::new();
        let mut below = self.seqs.len();
        let mut previous = i64::MAX;
        for &seq in seqs {
            if seq >= previous {
                // Not newest first after all: search the whole run again.
                below = self.seqs.len();
            }
            previous = seq;
            let (at, found) = self.position_below(seq, below);
            below = at;
            if !found {
                continue;
            }
            let fact = &self.facts[at];
            if !mask.admits(fact)
                || (selection.region_id.is_some() && !(low..high).contains(&fact.place))
            {
                continue;
            }
            if let Some(&status) = Status::ALL.get(fact.status as usize) {
                hits.push(Hit {
                    seq,
                    severity: i64::from(fact.severity),
                    status,
                });
            }
        }
        hits
    }

    /// Where `seq` stands (or would) among the first `below` seqs, and whether it is
    /// there. Matches of a search tend to lie close together, so the search gallops back
    /// from `below` before it halves: a search's matches then cost little more than a
    /// walk.
    fn position_below(&self, seq: i64, below: usize) -> (usize, bool) {
        let seqs = &self.seqs[..below.min(self.seqs.len())];
        let end = seqs.len();
        let mut step = 1;
        while step < end && seqs[end - step] > seq {
            step *= 2;
        }
        let low = end.saturating_sub(step);
        let at = low + seqs[low..].partition_point(|s| *s < seq);
        (at, seqs.get(at) == Some(&seq))
    }

    /// The polling stations under the region that have coordinates, each with the
    /// selected reports that stand and the worst severity among them; and how many
    /// stations under it have no coordinates.
    pub fn map(&self, selection: &Selection) -> (Vec<MapStation>, i64) {
        let mut mask = self.mask(selection);
        mask.statuses &= standing_mask();
        let tree = &self.tree;
        let (low, high) = tree.range(selection.region_id);
        let mut reports = vec![0i64; tree.len()];
        let mut worst = vec![0u8; tree.len()];
        for fact in &self.facts {
            if !mask.admits(fact) {
                continue;
            }
            let at = fact.place;
            if (low..high).contains(&at) {
                reports[at as usize] += 1;
                worst[at as usize] = worst[at as usize].max(fact.severity);
            }
        }
        let mut stations = Vec::new();
        let mut unlocated = 0;
        for at in low as usize..high as usize {
            if !tree.station[at] {
                continue;
            }
            match tree.location[at] {
                Some((latitude, longitude)) => stations.push(MapStation {
                    latitude,
                    longitude,
                    reports: reports[at],
                    worst: i64::from(worst[at]),
                }),
                None => unlocated += 1,
            }
        }
        (stations, unlocated)
    }
}

/// Which reports count: empty lists choose every value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The region looked at; `None` for the whole mission.
    pub region_id: Option<i64>,
    pub form_keys: Vec<String>,
    /// Category keys; '' for reports without one.
    pub categories: Vec<String>,
    /// Severity ranks; 0 for none.
    pub severities: Vec<i64>,
    pub statuses: Vec<Status>,
    /// Times of arrival, [from, to) in unix seconds.
    pub received: Option<(i64, i64)>,
    /// Only reports with at least one problem answer.
    pub problems_only: bool,
}

struct Mask {
    forms: Option<Vec<bool>>,
    categories: Option<Vec<bool>>,
    severities: u8,
    statuses: u8,
    received: (i64, i64),
    problems_only: bool,
}

impl Mask {
    #[inline]
    fn admits(&self, fact: &Fact) -> bool {
        fact.status != GONE
            && self.statuses & 1 << fact.status != 0
            && self.severities & 1 << fact.severity != 0
            && (self.received.0..self.received.1).contains(&i64::from(fact.received))
            && (!self.problems_only || fact.problems > 0)
            && self.forms.as_ref().is_none_or(|f| f[fact.form as usize])
            && self
                .categories
                .as_ref()
                .is_none_or(|c| c.get(fact.category as usize) == Some(&true))
    }
}

/// Reports by hour: a dense run of hours from the mission's first while they stay close
/// together (polling day and the days around it), a map beyond.
struct Hourly {
    first: u32,
    counts: Vec<i64>,
}

/// Hours a dense count spans at most: four years.
const DENSE_HOURS: i64 = 35_064;

impl Hourly {
    fn from(first: u32) -> Hourly {
        Hourly {
            first,
            counts: Vec::new(),
        }
    }

    #[inline]
    fn add(&mut self, hour: u32, beyond: &mut HashMap<u32, i64>) {
        let offset = i64::from(hour) - i64::from(self.first);
        if (0..DENSE_HOURS).contains(&offset) {
            let at = offset as usize;
            if at >= self.counts.len() {
                self.counts.resize(at + 1, 0);
            }
            self.counts[at] += 1;
        } else {
            *beyond.entry(hour).or_default() += 1;
        }
    }

    fn finish(self, mut beyond: HashMap<u32, i64>) -> Vec<(i64, i64)> {
        for (offset, n) in self.counts.into_iter().enumerate() {
            if n != 0 {
                let offset = u32::try_from(offset).unwrap_or(0);
                *beyond.entry(self.first + offset).or_default() += n;
            }
        }
        let mut hours: Vec<(i64, i64)> =
            beyond.into_iter().map(|(h, n)| (i64::from(h), n)).collect();
        hours.sort_unstable();
        hours
    }
}

/// A set of tree positions for each of several things (form keys, questions): which
/// polling stations have one.
struct Stations {
    words: usize,
    bits: Vec<u64>,
}

impl Stations {
    fn new(positions: usize, things: usize) -> Stations {
        let words = positions.div_ceil(64);
        Stations {
            words,
            bits: vec![0; words * things],
        }
    }

    #[inline]
    fn mark(&mut self, at: u32, thing: usize) {
        let at = at as usize;
        self.bits[thing * self.words + at / 64] |= 1 << (at % 64);
    }

    /// Positions marked for the thing in [low, high).
    fn count(&self, thing: usize, (low, high): (u32, u32)) -> i64 {
        let row = &self.bits[thing * self.words..(thing + 1) * self.words];
        let (low, high) = (low as usize, high as usize);
        let mut n = 0;
        let mut at = low;
        while at < high {
            let word = row[at / 64] >> (at % 64);
            let take = (64 - at % 64).min(high - at);
            let kept = if take == 64 {
                word
            } else {
                word & ((1 << take) - 1)
            };
            n += kept.count_ones();
            at += take;
        }
        i64::from(n)
    }
}

/// Polling stations under a region and how many have a standing selected report of each
/// form key ('' for any form).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    pub region_id: i64,
    pub stations: i64,
    /// (form key, stations reported); keys with none are left out.
    pub reported: Vec<(String, i64)>,
}

impl Coverage {
    /// Stations with a standing report of this form key ('' for any).
    pub fn reported(&self, form_key: &str) -> i64 {
        self.reported
            .iter()
            .find(|(k, _)| k == form_key)
            .map_or(0, |(_, n)| *n)
    }
}

/// What the dashboard says about polling stations, each counted once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StationFigures {
    /// The region looked at (0 the mission).
    pub here: Coverage,
    pub mission: Coverage,
    /// The regions directly under the one looked at, in path order.
    pub children: Vec<Coverage>,
    /// (form key, question key, stations where a selected standing report flags it).
    pub problems: Vec<(String, String, i64)>,
    pub mission_problems: Vec<(String, String, i64)>,
}

/// Every count of a region under a selection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tallied {
    /// Reports by kind, category, severity and status.
    pub counts: Vec<Count>,
    /// (region id, figures) of each region directly under it, in path order.
    pub by_child: Vec<(i64, RegionFigures)>,
    /// (unix hour, reports), in order.
    pub hourly: Vec<(i64, i64)>,
    pub stations: StationFigures,
}

/// A polling station on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapStation {
    pub latitude: f64,
    pub longitude: f64,
    /// Standing selected reports.
    pub reports: i64,
    /// The worst severity among them (0 none).
    pub worst: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(id: i64, path: &str) -> RegionRow {
        let path = RegionPath::parse(path).expect("a path");
        RegionRow {
            id,
            depth: i64::try_from(path.depth()).expect("small"),
            path,
            location: Some((0.0, 0.0)),
        }
    }

    /// Two counties, the first with two stations, the second with one and one without
    /// coordinates.
    fn facts() -> MissionFacts {
        let mut rows = vec![
            region(1, "/a/"),
            region(2, "/a/x/"),
            region(3, "/a/y/"),
            region(4, "/b/"),
            region(5, "/b/z/"),
            region(6, "/b/w/"),
        ];
        rows[5].location = None;
        let forms = vec![
            FormRow {
                id: 10,
                key: "opening".to_owned(),
                kind: FormKind::Checklist,
            },
            FormRow {
                id: 11,
                key: "incident".to_owned(),
                kind: FormKind::Incident,
            },
        ];
        MissionFacts::new(RegionTree::new(rows, 2), forms)
    }

    fn report(seq: i64, region_id: i64, form_id: i64, status: Status) -> ReportRow {
        ReportRow {
            seq,
            region_id,
            form_id,
            category: None,
            severity: 0,
            status,
            received_at: 7200 + seq,
            observer_id: 100 + seq % 2,
            problems: Vec::new(),
        }
    }

    #[test]
    fn a_subtree_is_a_run_of_positions_and_its_children_follow_each_other() {
        let f = facts();
        assert_eq!(f.tree.range(Some(1)), (0, 3));
        assert_eq!(f.tree.range(Some(4)), (3, 6));
        assert_eq!(f.tree.range(Some(99)), (0, 0));
        assert_eq!(f.tree.children(None), vec![0, 3]);
        assert_eq!(f.tree.children(Some(4)), vec![4, 5]);
        assert_eq!(f.tree.stations_in(f.tree.range(None)), 4);
        assert!(f.tree.is_station(2) && !f.tree.is_station(1));
    }

    #[test]
    fn counts_follow_the_region_the_selection_and_the_status_changes() {
        let mut f = facts();
        let mut incident = report(3, 5, 11, Status::Received);
        incident.severity = 4;
        incident.category = Some("violence".to_owned());
        let mut problem = report(1, 2, 10, Status::Received);
        problem.problems = vec!["queue".to_owned()];
        for row in [
            problem,
            report(2, 3, 10, Status::Verified),
            incident.clone(),
        ] {
            f.put(&row).expect("packed");
        }
        let all = f.tally(&Selection::default());
        let total: i64 = all.counts.iter().map(|c| c.reports).sum();
        assert_eq!(total, 3);
        assert_eq!(all.by_child.len(), 2);
        assert_eq!(all.by_child[0].1.checklists, 2);
        assert_eq!(all.by_child[0].1.checklists_with_problems, 1);
        assert_eq!(all.by_child[1].1.incidents_by_severity[0], 1);
        assert_eq!(all.stations.here.reported("opening"), 2);
        assert_eq!(all.stations.here.reported(""), 3);
        assert_eq!(
            all.stations.problems,
            vec![("opening".to_owned(), "queue".to_owned(), 1)]
        );
        assert_eq!(all.hourly, vec![(2, 3)]);

        let county = f.tally(&Selection {
            region_id: Some(4),
            categories: vec!["violence".to_owned()],
            ..Selection::default()
        });
        assert_eq!(county.counts.len(), 1);
        assert_eq!(county.counts[0].severity, 4);
        assert_eq!(county.stations.here.stations, 2);
        assert_eq!(county.stations.mission.reported(""), 1);

        // Dismissed, the incident's station is no longer visited; the report still counts.
        incident.status = Status::Dismissed;
        f.put(&incident).expect("packed");
        let after = f.tally(&Selection::default());
        assert_eq!(after.stations.here.reported(""), 2);
        assert_eq!(after.counts.iter().map(|c| c.reports).sum::<i64>(), 3);
        let queue = f.by_status(&Selection {
            problems_only: true,
            ..Selection::default()
        });
        assert_eq!(queue[0], (Status::Received, 1, 1));
        assert_eq!(f.len(), 3, "a status change adds no report");
    }

    #[test]
    fn a_searchs_hits_are_the_reports_it_found_that_the_selection_admits() {
        let mut f = facts();
        // Odd seqs only, so that a search also names seqs the mission does not hold.
        for seq in (1..400).step_by(2) {
            let mut row = report(seq, if seq % 3 == 0 { 5 } else { 2 }, 11, Status::Received);
            row.severity = seq % 5;
            if seq % 7 == 0 {
                row.status = Status::Verified;
            }
            f.put(&row).expect("packed");
        }
        let selection = Selection {
            region_id: Some(4),
            severities: vec![2, 4],
            ..Selection::default()
        };
        let admitted =
            |seq: i64| seq % 2 == 1 && seq < 400 && seq % 3 == 0 && [2, 4].contains(&(seq % 5));
        for found in [
            (0..500).rev().collect::<Vec<i64>>(),
            (0..500).rev().step_by(37).collect(),
            vec![399, 5, 3, 250, 9, 1],
            Vec::new(),
        ] {
            let hits = f.hits(&selection, &found);
            let expected: Vec<i64> = found.iter().copied().filter(|s| admitted(*s)).collect();
            assert_eq!(hits.iter().map(|h| h.seq).collect::<Vec<_>>(), expected);
            for hit in hits {
                assert_eq!(hit.severity, hit.seq % 5);
                let status = if hit.seq % 7 == 0 {
                    Status::Verified
                } else {
                    Status::Received
                };
                assert_eq!(hit.status, status);
            }
        }
    }

    #[test]
    fn the_map_draws_located_stations_with_their_worst_standing_report() {
        let mut f = facts();
        let mut high = report(1, 5, 11, Status::Received);
        high.severity = 3;
        let mut critical = report(2, 5, 11, Status::Dismissed);
        critical.severity = 4;
        f.put(&high).expect("packed");
        f.put(&critical).expect("packed");
        let (stations, unlocated) = f.map(&Selection {
            region_id: Some(4),
            ..Selection::default()
        });
        assert_eq!(unlocated, 1);
        assert_eq!(
            stations
                .iter()
                .map(|s| (s.reports, s.worst))
                .collect::<Vec<_>>(),
            vec![(1, 3)]
        );
    }

    #[test]
    fn a_report_out_of_order_or_gone_is_placed_or_forgotten() {
        let mut f = facts();
        f.put(&report(5, 2, 10, Status::Received)).expect("packed");
        f.put(&report(3, 2, 10, Status::Received)).expect("packed");
        assert_eq!(f.seqs, vec![3, 5]);
        f.remove(5);
        assert_eq!(f.len(), 1);
        // The observer's count and last report follow what is left.
        assert_eq!(
            f.activity(101),
            Some(Activity {
                reports: 1,
                last_at: 7203
            })
        );
        let unknown = report(6, 2, 99, Status::Received);
        assert!(f.put(&unknown).is_err());
    }

    #[test]
    fn a_new_tree_keeps_each_report_in_its_region() {
        let mut f = facts();
        f.put(&report(1, 5, 10, Status::Received)).expect("packed");
        // Region 7 is not in the tree yet (imported by another process meanwhile).
        f.put(&report(2, 7, 10, Status::Received)).expect("packed");
        let in_b = |f: &MissionFacts| {
            let county = Selection {
                region_id: Some(4),
                ..Selection::default()
            };
            f.tally(&county)
                .counts
                .iter()
                .map(|c| c.reports)
                .sum::<i64>()
        };
        assert_eq!(in_b(&f), 1);
        // A county sorted before the others shifts every position; region 7 arrives.
        let mut rows = vec![
            region(8, "/0/"),
            region(1, "/a/"),
            region(2, "/a/x/"),
            region(3, "/a/y/"),
            region(4, "/b/"),
            region(5, "/b/z/"),
            region(6, "/b/w/"),
            region(7, "/b/v/"),
        ];
        rows[6].location = None;
        f.set_tree(RegionTree::new(rows, 2));
        assert_eq!(in_b(&f), 2);
        let (stations, _) = f.map(&Selection {
            region_id: Some(5),
            ..Selection::default()
        });
        assert_eq!(stations.iter().map(|s| s.reports).sum::<i64>(), 1);
        assert!(f.unplaced.is_empty());
    }

    #[test]
    fn station_sets_count_within_any_run_of_positions() {
        let mut s = Stations::new(200, 1);
        for at in [0, 63, 64, 65, 130, 199] {
            s.mark(at, 0);
        }
        assert_eq!(s.count(0, (0, 200)), 6);
        assert_eq!(s.count(0, (63, 65)), 2);
        assert_eq!(s.count(0, (66, 199)), 1);
        assert_eq!(s.count(0, (5, 5)), 0);
    }
}
