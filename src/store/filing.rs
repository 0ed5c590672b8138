//! Filing a report, one read per page: the place picker, the blank form, what the
//! database says about a form that arrives (filed before, or new with its checked
//! answers), a kept form resumed, and the receipt. Filing itself is one write, [`file`],
//! which also finds a report that repeats one filed just before.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Connection;

use super::forms::{self, StoredForm};
use super::kept::{Cached, FormsRead, Places};
use super::regions::{self, Region};
use super::reports::{self, Content, NewReport, Receipt, StoredReport};
use super::{Store, StoreError, now, parked, users};
use crate::domain::answers::{Answers, Bounds, Refusal};
use crate::domain::form::FormKind;
use crate::domain::form_body;
use crate::domain::message::Message;
use crate::domain::region_path::RegionPath;
use crate::domain::report::{ResendWindow, answer_window, place_fits};
use crate::domain::submission::Submission;
use crate::i18n::Lang;

/// A region and the regions above it, top first, itself last.
pub type Placed = (Region, Vec<Region>);

/// Stations offered from the observer's assignment, search results, and children shown
/// when browsing: enough to choose from on a phone, few enough to keep the page small.
pub const MINE_LISTED: usize = 40;
const RESULTS_LISTED: u32 = 25;
pub const CHILDREN_LISTED: usize = 120;

/// What the place picker shows.
pub struct PlaceChoices {
    pub form: StoredForm,
    pub levels: Vec<String>,
    pub deepest: i64,
    /// Stations of the observer's assignments, at most [`MINE_LISTED`]...
    pub mine: Vec<Placed>,
    /// ...and whether there were more.
    pub mine_truncated: bool,
    pub results: Vec<Placed>,
    /// The region being browsed, if any.
    pub at: Option<Placed>,
    /// Its children (the top level when browsing nowhere), one more than
    /// [`CHILDREN_LISTED`] when there are more.
    pub children: Vec<Region>,
}

/// The place picker for a form: `search` typed (may be empty), `at` the region browsed.
pub async fn pick_page(
    store: &Store,
    mission_id: i64,
    user_id: i64,
    form_key: String,
    search: String,
    at: Option<i64>,
) -> Result<PlaceChoices, StoreError> {
    store
        .read(move |conn| {
            let form = forms::newest(conn, mission_id, &form_key)?;
            let levels = regions::levels(conn, mission_id)?;
            let deepest = regions::deepest_level(conn, mission_id)?;
            let (mine, mine_truncated) = assigned_stations(conn, mission_id, user_id)?;
            let found = match (search.is_empty(), form.definition.kind) {
                (true, _) => Vec::new(),
                (false, FormKind::Checklist) => {
                    regions::search_stations(conn, mission_id, &search, RESULTS_LISTED)?
                }
                (false, FormKind::Incident) => {
                    regions::search(conn, mission_id, &search, RESULTS_LISTED)?
                }
            };
            let results = found
                .into_iter()
                .map(|r| with_trail(conn, r))
                .collect::<Result<_, _>>()?;
            let at = at
                .map(|id| regions::by_id(conn, mission_id, id).and_then(|r| with_trail(conn, r)))
                .transpose()?;
            let children = regions::children(
                conn,
                mission_id,
                at.as_ref().map(|(r, _)| r.id),
                CHILDREN_LISTED as u32 + 1,
            )?;
            Ok(PlaceChoices {
                form,
                levels,
                deepest,
                mine,
                mine_truncated,
                results,
                at,
                children,
            })
        })
        .await
}

/// The polling stations of the observer's assignments, each once, at most
/// [`MINE_LISTED`], and whether there were more.
fn assigned_stations(
    conn: &Connection,
    mission_id: i64,
    user_id: i64,
) -> Result<(Vec<Placed>, bool), StoreError> {
    let mut mine: Vec<Placed> = Vec::new();
    let mut trails = Trails(HashMap::new());
    'assignments: for assigned in users::assignments(conn, mission_id, user_id)? {
        let stations =
            regions::deepest_under(conn, mission_id, &assigned.path, MINE_LISTED as u32 + 1)?;
        for station in stations {
            if mine.len() > MINE_LISTED {
                break 'assignments;
            }
            if !mine.iter().any(|(r, _)| r.id == station.id) {
                mine.push(trails.of(conn, station)?);
            }
        }
    }
    let truncated = mine.len() > MINE_LISTED;
    mine.truncate(MINE_LISTED);
    Ok((mine, truncated))
}

fn with_trail(conn: &Connection, region: Region) -> Result<Placed, StoreError> {
    let trail = regions::trail(conn, region.id)?;
    Ok((region, trail))
}

/// [`with_trail`] for many regions of one area: regions with the same parent share the
/// trail above them, which is looked up once.
struct Trails(HashMap<Option<RegionPath>, Vec<Region>>);

impl Trails {
    fn of(&mut self, conn: &Connection, region: Region) -> Result<Placed, StoreError> {
        let parent = region.path.parent();
        let above = match self.0.get(&parent) {
            Some(above) => above.clone(),
            None => {
                let mut trail = regions::trail(conn, region.id)?;
                trail.pop();
                self.0.insert(parent, trail.clone());
                trail
            }
        };
        let mut trail = above;
        trail.push(region.clone());
        Ok((region, trail))
    }
}

/// A form and the place it is filed for, checked to go together.
pub struct FormContext {
    pub form: Arc<StoredForm>,
    pub region: Region,
    pub trail: Vec<Region>,
    /// The place is a polling station: the blank form's polling-station questions are
    /// filled in with it.
    pub at_station: bool,
}

/// A place as filing needs it: the region, the regions above it, and the deepest level
/// of the mission's geography.
pub struct Place {
    region: Region,
    trail: Vec<Region>,
    deepest: i64,
}

impl Place {
    fn read(conn: &Connection, mission_id: i64, region_id: i64) -> Result<Place, StoreError> {
        let region = regions::by_id(conn, mission_id, region_id)?;
        let deepest = regions::deepest_level(conn, mission_id)?;
        let trail = regions::trail(conn, region.id)?;
        Ok(Place {
            region,
            trail,
            deepest,
        })
    }
}

impl FormContext {
    fn load(
        conn: &Connection,
        mission_id: i64,
        form: Arc<StoredForm>,
        region_id: i64,
        lang: Lang,
    ) -> Result<FormContext, StoreError> {
        FormContext::of(form, &Place::read(conn, mission_id, region_id)?, lang)
    }

    /// The form at the place, if it may be filed there.
    fn of(form: Arc<StoredForm>, place: &Place, lang: Lang) -> Result<FormContext, StoreError> {
        let region = &place.region;
        if !place_fits(form.definition.kind, region.depth, place.deepest) {
            return Err(StoreError::Rejected(
                Message::new("observer.refused.station_only")
                    .with("form", &form.definition.in_language(lang).title)
                    .with("place", &region.name),
            ));
        }
        Ok(FormContext {
            form,
            at_station: region.depth == place.deepest,
            region: region.clone(),
            trail: place.trail.clone(),
        })
    }
}

/// The blank form: the newest version of `form_key`, for the place `region_id`.
pub async fn form_page(
    store: &Store,
    mission_id: i64,
    form_key: String,
    region_id: i64,
    lang: Lang,
) -> Result<FormContext, StoreError> {
    store
        .read(move |conn| {
            let form = forms::newest(conn, mission_id, &form_key)?;
            FormContext::load(conn, mission_id, Arc::new(form), region_id, lang)
        })
        .await
}

/// What the database says about a report form that arrives.
pub enum Arrival {
    /// Filed before under this id; `same` when the resend says the same thing.
    Filed { receipt: Receipt, same: bool },
    /// New: the form and place it was filled in for, and the checked answers.
    New {
        context: FormContext,
        checked: Result<Answers, Refusal>,
    },
}

/// Who sends a form, and where and when they are.
#[derive(Clone)]
pub struct Sender {
    pub mission_id: i64,
    pub observer_id: i64,
    /// The mission's time zone, which date-time answers are read in.
    pub time_zone: String,
    /// The observer's language: what a refusal names reads as the form they see.
    pub lang: Lang,
}

/// Checks a form that arrives against the database: filed before, a repeat of a report
/// just filed, or new (with its answers checked). `observed_at` is the time it says it was
/// observed, when that reads.
pub async fn arrival(
    store: &Store,
    sender: Sender,
    submission: Submission,
    observed_at: Option<i64>,
    stale: bool,
) -> Result<Arrival, StoreError> {
    // Looked up before the read begins: a change that lands meanwhile keeps what the read
    // finds out of memory (see `store::kept`).
    let kept = Kept::look(store, &sender, &submission);
    // With the form and place in memory, answers that name no polling station and check
    // out need nothing from the file: whether the id was filed before is asked by the
    // write, which answers a resend with its receipt as this read would. Anything else
    // (a refusal, a stale form, which a resend must still get its receipt through) is
    // read as before.
    if let (false, Some(_), Cached::Found(form), Cached::Found(place)) =
        (stale, observed_at, &kept.form, &kept.place)
    {
        let definition = form.definition.in_language(sender.lang);
        if submission
            .typed
            .answers
            .station_codes(&definition)
            .is_empty()
            && let Ok(context) = FormContext::of(Arc::clone(form), place, sender.lang)
            && let Ok(answers) = validate(&context, &sender, &submission, &HashMap::new())
        {
            return Ok(Arrival::New {
                context,
                checked: Ok(answers),
            });
        }
    }
    store
        .read(move |conn| {
            let id = &submission.typed.submission_id;
            let (mission_id, observer_id) = (sender.mission_id, sender.observer_id);
            if let Some(receipt) = reports::filed_receipt(conn, id, mission_id, observer_id)? {
                // A filed report never changes, so this answer holds: a resend that races
                // the first send is answered by the write instead (reports::file).
                let same = match (check(conn, &sender, &submission, &kept), observed_at) {
                    (Ok((_, Ok(answers))), Some(at)) => {
                        let answers = answers.to_json();
                        reports::says_the_same(conn, id, &content(&submission, &answers, at))?
                    }
                    _ => false,
                };
                return Ok(Arrival::Filed { receipt, same });
            }
            let (context, checked) = check(conn, &sender, &submission, &kept)?;
            Ok(Arrival::New { context, checked })
        })
        .await
}

/// What filing a report did.
pub enum Filing {
    /// On file: new, or filed before under this id (the receipt says which).
    Filed(Receipt),
    /// Not filed: it says what a report this observer filed just before says, most likely
    /// that report sent again (Back, then Send), so it is filed only once they confirm.
    Twin(Receipt),
}

/// Files a checked report: the one write of filing. Unless the observer said the report
/// is meant as a new one (`deliberate`), a report repeating one of theirs from just before
/// is answered with that report's receipt instead. That is decided here, against what
/// the writer holds, so that two copies sent at once cannot both pass as new; and on the
/// writer's connection the observer's latest reports are in its cache already (it has
/// just written them), where a reader's cache starts empty after each commit.
pub async fn file(
    store: &Store,
    report: NewReport,
    deliberate: bool,
) -> Result<Filing, StoreError> {
    store
        .write(move |conn| {
            let (mission_id, observer_id) = (report.mission_id, report.observer_id);
            let filed_before = reports::filed_receipt(conn, &report.id, mission_id, observer_id)?;
            if !deliberate && filed_before.is_none() {
                let window = ResendWindow::at(now());
                let content = report.content();
                if let Some(twin) =
                    reports::recent_twin(conn, mission_id, observer_id, &content, window)?
                {
                    return Ok(Filing::Twin(twin));
                }
            }
            reports::file(conn, &report).map(Filing::Filed)
        })
        .await
}

/// What a submission says, to compare it with a report on file.
fn content<'a>(
    submission: &Submission,
    answers: &'a serde_json::Value,
    observed_at: i64,
) -> Content<'a> {
    Content {
        form_id: submission.form_id,
        region_id: submission.region_id,
        observed_at,
        answers,
    }
}

/// The form and place a submission names, as kept in memory when the submission came.
struct Kept {
    forms: Arc<FormsRead>,
    places: Arc<Places>,
    form_key: (i64, i64),
    place_key: (i64, i64),
    form: Cached<Arc<StoredForm>>,
    place: Cached<Arc<Place>>,
}

impl Kept {
    fn look(store: &Store, sender: &Sender, submission: &Submission) -> Kept {
        let (forms, places) = (store.forms_read(), store.places());
        let form_key = (sender.mission_id, submission.form_id);
        let place_key = (sender.mission_id, submission.region_id);
        let (form, place) = (forms.get(&form_key), places.get(&place_key));
        Kept {
            forms,
            places,
            form_key,
            place_key,
            form,
            place,
        }
    }
}

/// The form and place a submission names, from memory when `kept` has them.
fn load_context(
    conn: &Connection,
    sender: &Sender,
    submission: &Submission,
    kept: Option<&Kept>,
) -> Result<FormContext, StoreError> {
    let mission_id = sender.mission_id;
    let read_form = || {
        forms::by_id(conn, mission_id, submission.form_id)
            .map(Arc::new)
            .map_err(refused_if_missing("observer.refused.no_form"))
    };
    let read_place = || {
        Place::read(conn, mission_id, submission.region_id)
            .map(Arc::new)
            .map_err(refused_if_missing("observer.refused.no_place"))
    };
    let (form, place) = match kept {
        Some(kept) => (
            kept.forms.or_read(&kept.form, kept.form_key, read_form)?,
            kept.places
                .or_read(&kept.place, kept.place_key, read_place)?,
        ),
        None => (read_form()?, read_place()?),
    };
    FormContext::of(form, &place, sender.lang)
}

/// The ids come from the page the observer was given: one that does not exist means a
/// page from elsewhere or a form since removed, not a missing page.
fn refused_if_missing(key: &'static str) -> impl Fn(StoreError) -> StoreError {
    move |e| match e {
        StoreError::NotFound(_) => StoreError::Rejected(Message::new(key)),
        other => other,
    }
}

/// Loads the form and place a submission names (from memory when `kept` has them) and
/// checks its answers.
fn check(
    conn: &Connection,
    sender: &Sender,
    submission: &Submission,
    kept: &Kept,
) -> Result<(FormContext, Result<Answers, Refusal>), StoreError> {
    let mission_id = sender.mission_id;
    let context = load_context(conn, sender, submission, Some(kept))?;
    let definition = context.form.definition.in_language(sender.lang);
    let mut stations = HashMap::new();
    for code in submission.typed.answers.station_codes(&definition) {
        if let Some(path) = regions::station_path(conn, mission_id, code)? {
            stations.insert(code.to_owned(), path);
        }
    }
    let checked = validate(&context, sender, submission, &stations);
    Ok((context, checked))
}

/// Checks a submission's answers against its form, in the observer's language: what a
/// message names (the options to choose from) reads as the form they see. Keys and rules
/// are the same. `stations` are the polling stations the answers name, where they are.
fn validate(
    context: &FormContext,
    sender: &Sender,
    submission: &Submission,
    stations: &HashMap<String, RegionPath>,
) -> Result<Answers, Refusal> {
    let definition = context.form.definition.in_language(sender.lang);
    let (earliest, latest) = answer_window(now(), &sender.time_zone);
    let bounds = Bounds {
        stations,
        place_path: &context.region.path,
        earliest,
        latest,
    };
    Answers::validate(&definition, &submission.typed.answers, &bounds)
}

/// A form kept while its observer was signed out, as it comes back to them.
pub enum Resumed {
    /// It was filed after all (the outbox sent it again once they signed in).
    Filed(Receipt),
    /// Its fields, and the form and place they name.
    Form(Box<(Submission, FormContext)>),
    /// What was kept does not read as a report form (a body kept while the observer was
    /// signed out is whatever was sent): a refusal that says why, with nothing filed.
    Unreadable(Message),
    /// Nothing is kept under this id for this observer.
    Gone,
}

/// The form kept under `id` for this observer, to fill in again.
pub async fn resume_page(store: &Store, sender: Sender, id: String) -> Result<Resumed, StoreError> {
    store
        .read(move |conn| {
            let (mission_id, observer_id) = (sender.mission_id, sender.observer_id);
            if let Some(receipt) = reports::filed_receipt(conn, &id, mission_id, observer_id)? {
                return Ok(Resumed::Filed(receipt));
            }
            let Some(body) = parked::body(conn, mission_id, observer_id, &id)? else {
                return Ok(Resumed::Gone);
            };
            let submission = match form_body::parse(&body).and_then(Submission::read) {
                Ok(submission) => submission,
                Err(message) => return Ok(Resumed::Unreadable(message)),
            };
            let context = load_context(conn, &sender, &submission, None)?;
            Ok(Resumed::Form(Box::new((submission, context))))
        })
        .await
}

/// A filed report of this observer's, with its form and place, for its receipt.
pub struct ReceiptPage {
    pub report: StoredReport,
    pub form: StoredForm,
    pub region: Region,
}

pub async fn receipt_page(
    store: &Store,
    mission_id: i64,
    observer_id: i64,
    id: String,
) -> Result<ReceiptPage, StoreError> {
    store
        .read(move |conn| {
            let report = reports::own(conn, mission_id, observer_id, &id)?;
            let form = forms::by_id(conn, mission_id, report.form_id)?;
            let region = regions::by_id(conn, mission_id, report.region_id)?;
            Ok(ReceiptPage {
                report,
                form,
                region,
            })
        })
        .await
}
