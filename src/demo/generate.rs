//! Generated reports for the demo and for benchmarks: a mission's election day as the
//! dashboard would see it, through the same validation, assessment and filing as an
//! observer's report (only the clock is set to polling day).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::domain::answers::{Answers, Bounds, RawAnswers, assess};
use crate::domain::form::{FormDefinition, FormKind, ProblemWhen, Question, QuestionKind};
use crate::domain::region_path::RegionPath;
use crate::domain::report::{local_input_value, reference_prefix};
use crate::domain::review::Action;
use crate::domain::role::Role;
use crate::store::audit::Actor;
use crate::store::reports::{self, NewReport};
use crate::store::review::{self, Review};
use crate::store::{Store, StoreError, forms, missions, regions};
use rusqlite::Connection;

/// A small, seedable random source (SplitMix64): the same seed makes the same mission.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An index in 0..n.
    pub fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.below(n as u64)).unwrap_or(0)
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn seconds(&mut self, max: i64) -> i64 {
        i64::try_from(self.below(u64::try_from(max.max(1)).unwrap_or(1))).unwrap_or(0)
    }
}

/// How likely an answer is to be a problem, per thousand: most polling stations run well.
const PROBLEM_PER_MILLE: u64 = 20;

/// Answers to a form, valid by construction and mostly unremarkable, as the form's fields
/// would send them: (question key, value), a key repeated for several boxes. A polling
/// station question is answered with `station_code`, or left out without one.
pub fn random_answers(
    definition: &FormDefinition,
    station_code: Option<&str>,
    observed_local: &str,
    dice: &mut Dice,
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for question in definition.questions() {
        let stated_severity = definition.severity_from.as_deref() == Some(&question.key);
        for value in answer_for(
            question,
            stated_severity,
            station_code,
            observed_local,
            dice,
        ) {
            pairs.push((question.key.clone(), value));
        }
    }
    pairs
}

fn problem_answers(question: &Question) -> &[String] {
    match question.problem.as_ref().map(|p| &p.when) {
        Some(ProblemWhen::Answers(keys)) => keys,
        _ => &[],
    }
}

fn answer_for(
    question: &Question,
    stated_severity: bool,
    station_code: Option<&str>,
    observed_local: &str,
    dice: &mut Dice,
) -> Vec<String> {
    let problem = dice.chance(PROBLEM_PER_MILLE);
    let flagged = problem_answers(question);
    match &question.kind {
        QuestionKind::YesNo => {
            let bad = flagged.first().map_or("no", String::as_str);
            let good = if bad == "yes" { "no" } else { "yes" };
            vec![
                if problem && question.problem.is_some() {
                    bad
                } else {
                    good
                }
                .to_owned(),
            ]
        }
        QuestionKind::OneOf(choices) if stated_severity => {
            // Incidents: most are minor, a few critical.
            let weights = [
                ("low", 400),
                ("medium", 350),
                ("high", 180),
                ("critical", 70),
            ];
            let roll = dice.below(1000);
            let mut total = 0;
            let wanted = weights
                .iter()
                .find(|(_, w)| {
                    total += w;
                    roll < total
                })
                .map_or("low", |(k, _)| *k);
            let choice = choices
                .iter()
                .find(|c| c.key == wanted)
                .unwrap_or(&choices[0]);
            vec![choice.key.clone()]
        }
        QuestionKind::OneOf(choices) => {
            let fine: Vec<_> = choices
                .iter()
                .filter(|c| !flagged.contains(&c.key))
                .collect();
            let bad: Vec<_> = choices
                .iter()
                .filter(|c| flagged.contains(&c.key))
                .collect();
            let pool = if (problem && !bad.is_empty()) || fine.is_empty() {
                bad
            } else {
                fine
            };
            vec![pool[dice.index(pool.len())].key.clone()]
        }
        QuestionKind::ManyOf(choices) => {
            let mut picked: Vec<String> = choices
                .iter()
                .filter(|c| {
                    let odds = if flagged.contains(&c.key) { 30 } else { 250 };
                    dice.chance(odds)
                })
                .map(|c| c.key.clone())
                .collect();
            if picked.is_empty() && question.required {
                picked.push(choices[dice.index(choices.len())].key.clone());
            }
            picked
        }
        QuestionKind::Integer { min, max } => {
            let (low, high) = match question.problem.as_ref().map(|p| &p.when) {
                Some(ProblemWhen::Above(limit)) if problem => (limit + 1, *max),
                Some(ProblemWhen::Above(limit)) => (*min, *limit),
                Some(ProblemWhen::Below(limit)) if problem => (*min, limit - 1),
                Some(ProblemWhen::Below(limit)) => (*limit, *max),
                _ => (*min, *max),
            };
            let (low, high) = (low.max(*min), high.min(*max).min(low.max(*min) + 700));
            let value = low + dice.seconds(high - low + 1);
            vec![value.clamp(*min, *max).to_string()]
        }
        QuestionKind::ShortText { max_length } | QuestionKind::LongText { max_length } => {
            if !question.required && !dice.chance(150) {
                return Vec::new();
            }
            const NOTES: [&str; 5] = [
                "Queue orderly, agents of three parties present.",
                "Presiding officer explained the procedure to voters.",
                "Late arrival of materials, resolved within the hour.",
                "Crowd gathered outside, police kept order.",
                "Voters turned away for lack of identification.",
            ];
            let note: String = NOTES[dice.index(NOTES.len())]
                .chars()
                .take(*max_length)
                .collect();
            vec![note]
        }
        QuestionKind::DateTime => vec![observed_local.to_owned()],
        QuestionKind::PollingStation => station_code.map(str::to_owned).into_iter().collect(),
    }
}

/// The size of a generated mission.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub reports: usize,
    pub seed: u64,
}

/// A form as the generator files it.
struct Form {
    id: i64,
    definition: Arc<FormDefinition>,
    /// Share of reports per thousand.
    weight: u64,
}

/// A polling station: (region id, path, code).
type Station = (i64, RegionPath, String);

/// Reports generated before they are sent to the writer, and waited for.
const CHUNK: usize = 5_000;

/// Files `scale.reports` reports for the mission, spread over its polling stations,
/// forms, severities and the hours around polling day, and reviews some of them as a
/// core team would (verified, escalated, dismissed, duplicates). Reports are filed by
/// the mission's observers, each at the stations of their assignment.
pub fn generate_reports(
    store: &Store,
    slug: &str,
    scale: Scale,
    progress: &dyn Fn(usize),
) -> Result<(), StoreError> {
    let slug = slug.to_owned();
    let (mission, stations, forms, observers, coordinator) = store.read_blocking({
        let slug = slug.clone();
        move |conn| {
            let mission = missions::by_slug(conn, &slug)?;
            let deepest = regions::deepest_level(conn, mission.id)?;
            let stations: Vec<Station> = conn
                .prepare("SELECT id, path, code FROM regions WHERE mission_id = ?1 AND depth = ?2 ORDER BY path")?
                .query_map(rusqlite::params![mission.id, deepest], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<_, _>>()?;
            let mut generated = Vec::new();
            for summary in forms::current(conn, mission.id, false)? {
                let form = forms::by_id(conn, mission.id, summary.id)?;
                let weight = match (form.definition.kind, summary.key.as_str()) {
                    (FormKind::Incident, _) => 150,
                    (_, "voting") => 400,
                    _ => 225,
                };
                generated.push(Form {
                    id: form.id,
                    definition: form.definition,
                    weight,
                });
            }
            let observers: Vec<i64> = conn
                .prepare("SELECT user_id FROM memberships WHERE mission_id = ?1 AND role = 'observer' ORDER BY user_id")?
                .query_map([mission.id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let coordinator: (i64, String) = conn.query_row(
                "SELECT u.id, u.username FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.mission_id = ?1 AND m.role IN ('coordinator', 'lead') ORDER BY m.role = 'lead', u.id LIMIT 1",
                [mission.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((mission, stations, generated, observers, coordinator))
        }
    })?;
    if stations.is_empty() || forms.is_empty() || observers.is_empty() {
        return Err(StoreError::Rejected(
            "the mission needs polling stations, forms and observers before reports can be generated".into(),
        ));
    }
    let zone = TimeZone::get(&mission.time_zone).unwrap_or(TimeZone::UTC);
    let polling_day: DateTime = format!("{}T00:00", mission.election_date)
        .parse()
        .map_err(|e| StoreError::Task(format!("election date: {e}")))?;
    let midnight = zone
        .to_ambiguous_timestamp(polling_day)
        .compatible()
        .map_err(|e| StoreError::Task(e.to_string()))?
        .as_second();
    let actor = Actor::user(coordinator.0, &coordinator.1);
    let prefix = reference_prefix(&slug);
    let mut dice = Dice::new(scale.seed);
    // Each observer covers a run of neighbouring stations.
    let per_observer = stations.len().div_ceil(observers.len()).max(1);
    // The last report filed at each station, which a duplicate repeats.
    let last_at_station: Arc<Mutex<HashMap<i64, String>>> = Arc::default();
    let total_weight: u64 = forms.iter().map(|f| f.weight).sum();
    let mut filed = 0;
    let mut filing: Vec<Reply> = Vec::new();
    while filed < scale.reports {
        let batch = CHUNK.min(scale.reports - filed);
        let mut jobs = Vec::with_capacity(batch);
        for _ in 0..batch {
            let observer_no = dice.index(observers.len());
            let first = (observer_no * per_observer).min(stations.len() - 1);
            let last = ((observer_no + 1) * per_observer).min(stations.len());
            let station = &stations[first + dice.index((last - first).max(1))];
            let mut roll = dice.below(total_weight);
            let form = forms
                .iter()
                .find(|f| {
                    if roll < f.weight {
                        true
                    } else {
                        roll -= f.weight;
                        false
                    }
                })
                .unwrap_or(&forms[0]);
            let observed_at = midnight + observed_offset(&form.definition, &mut dice);
            let delay = match dice.below(100) {
                0..80 => dice.seconds(600),
                80..95 => 600 + dice.seconds(6_600),
                _ => 7_200 + dice.seconds(36_000),
            };
            let local = local_input_value(observed_at, &mission.time_zone);
            let raw = RawAnswers::from_pairs(random_answers(
                &form.definition,
                Some(&station.2),
                &local,
                &mut dice,
            ));
            let stations = HashMap::from([(station.2.clone(), station.1.clone())]);
            let day = |days: i64| polling_day.saturating_add(jiff::Span::new().days(days));
            let bounds = Bounds {
                stations: &stations,
                place_path: &station.1,
                earliest: day(-30),
                latest: day(30),
            };
            let answers = Answers::validate(&form.definition, &raw, &bounds).map_err(|e| {
                StoreError::Task(format!(
                    "generated answers to {} refused: {e:?}",
                    form.definition.key
                ))
            })?;
            let assessment = assess(&form.definition, &answers);
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&dice.next().to_le_bytes());
            bytes[8..].copy_from_slice(&dice.next().to_le_bytes());
            let id = uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string();
            jobs.push((
                NewReport {
                    id,
                    mission_id: mission.id,
                    reference_prefix: prefix.clone(),
                    form_id: form.id,
                    observer_id: observers[observer_no],
                    region_id: station.0,
                    region_path: station.1.clone(),
                    observed_at,
                    channel: "generated",
                    severity: assessment.severity,
                    problems: assessment
                        .problems
                        .into_iter()
                        .map(|p| p.question_key)
                        .collect(),
                    category: assessment.category,
                    answers: answers.to_json(),
                },
                observed_at + delay,
                dice.below(1000),
            ));
        }
        // One write job per report, all queued at once: the writer commits them in a few
        // transactions, each report in a savepoint of its own. One job for many reports
        // made each statement's savepoint cost grow with everything the job had written
        // (SQLite closes a statement's journal by walking the job's), so generation slowed
        // down as it went.
        // The next chunk is made while the writer files this one.
        let mut replies = Vec::with_capacity(jobs.len());
        for (report, received_at, review_roll) in jobs {
            let (actor, previous) = (actor.clone(), Arc::clone(&last_at_station));
            replies.push(store.submit(move |conn| {
                file_and_review(conn, &report, received_at, review_roll, &actor, &previous)
            })?);
        }
        wait_for(std::mem::replace(&mut filing, replies))?;
        if filed > 0 {
            progress(filed);
        }
        filed += batch;
    }
    wait_for(filing)?;
    progress(filed);
    Ok(())
}

/// Waits until every write has committed; the first that failed says why.
fn wait_for(replies: Vec<Reply>) -> Result<(), StoreError> {
    for reply in replies {
        reply
            .blocking_recv()
            .map_err(|_| StoreError::WriterGone)??;
    }
    Ok(())
}

type Reply = tokio::sync::oneshot::Receiver<Result<(), StoreError>>;

/// Files a generated report and reviews it as the roll says: verified, escalated,
/// dismissed, or marked a duplicate of the last report at its station.
fn file_and_review(
    conn: &Connection,
    report: &NewReport,
    received_at: i64,
    review_roll: u64,
    actor: &Actor,
    last_at_station: &Mutex<HashMap<i64, String>>,
) -> Result<(), StoreError> {
    let receipt = reports::file_received(conn, report, received_at)?;
    let action = match review_roll {
        0..300 => Some(Action::Verify),
        300..330 => Some(Action::Escalate),
        330..370 => Some(Action::Dismiss),
        370..390 => Some(Action::MarkDuplicate),
        _ => None,
    };
    let mut previous = last_at_station
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let duplicate_of = previous.get(&report.region_id).cloned();
    let review = match (action, duplicate_of) {
        (Some(Action::MarkDuplicate), Some(other)) => Some(Review {
            action: Action::MarkDuplicate,
            note: String::new(),
            duplicate_of: Some(other),
        }),
        (Some(Action::MarkDuplicate), None) | (None, _) => None,
        (Some(action), _) => Some(Review {
            action,
            note: if action == Action::Dismiss {
                "Could not be confirmed by phone.".to_owned()
            } else {
                String::new()
            },
            duplicate_of: None,
        }),
    };
    let duplicate = review
        .as_ref()
        .is_some_and(|r| r.action == Action::MarkDuplicate);
    let reviewed = match review {
        Some(review) => {
            match review::act(
                conn,
                report.mission_id,
                &report.id,
                actor,
                Role::Coordinator,
                &review,
            ) {
                // A review the state machine refuses is simply not taken.
                Err(StoreError::Rejected(_)) => false,
                other => other.map(|_| true)?,
            }
        }
        None => false,
    };
    if !(duplicate && reviewed) {
        previous.insert(report.region_id, receipt.reference);
    }
    Ok(())
}

/// When a report of this form is observed, in seconds after midnight of polling day:
/// opening at dawn, voting through the day, closing and counting into the night, and
/// incidents mostly on the day, some in the days before and after.
fn observed_offset(definition: &FormDefinition, dice: &mut Dice) -> i64 {
    const HOUR: i64 = 3_600;
    match (definition.kind, definition.key.as_str()) {
        (FormKind::Checklist, "opening") => 5 * HOUR + 30 * 60 + dice.seconds(2 * HOUR),
        (FormKind::Checklist, "closing") => 17 * HOUR + dice.seconds(6 * HOUR),
        (FormKind::Checklist, _) => 8 * HOUR + dice.seconds(9 * HOUR),
        (FormKind::Incident, _) => match dice.below(100) {
            0..70 => 5 * HOUR + dice.seconds(19 * HOUR),
            70..85 => -dice.seconds(72 * HOUR),
            _ => 24 * HOUR + dice.seconds(48 * HOUR),
        },
    }
}
