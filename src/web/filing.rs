//! Filing a report: choose the place, fill in the form, send it, get a receipt.

use std::cell::RefCell;
use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::client::Reply;
use super::csrf::StaleForm;
use super::form_ticket;
use super::form_view::{ANSWER_PREFIX, SectionView, sections, shown};
use super::member::{Member, ObserverArea};
use super::strict_form::StrictForm;
use super::view::{Layout, level_name_in, level_word, local_date_time, ok, page, within};
use super::{AppError, AppState};
use crate::domain::answers::{Answers, Bounds, FieldErrors, RawAnswers, Refusal, assess};
use crate::domain::form::{FormKind, Severity};
use crate::domain::region_path::RegionPath;
use crate::domain::report::{
    ResendWindow, answer_window, local_input_value, parse_observed_at, place_fits, reference_prefix,
};
use crate::i18n::{Lang, Tr};
use crate::store::forms::{self, StoredForm};
use crate::store::regions::{self, Region};
use crate::store::reports::{self, NewReport};
use crate::store::{StoreError, now, users};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/observer/file", post(submit))
        .route("/observer/file/{form_key}", get(pick_place))
        .route("/observer/file/{form_key}/{region_id}", get(blank_form))
        .route("/observer/file/resume/{id}", get(resume))
        .route("/observer/reports/{id}/receipt", get(receipt))
}

fn form_href(slug: &str, form_key: &str, region_id: i64) -> String {
    format!("/m/{slug}/observer/file/{form_key}/{region_id}")
}

// ----- choosing the place -----

#[derive(Template)]
#[template(path = "observer/pick_place.html")]
struct PickPlaceTemplate {
    layout: Layout,
    form_title: String,
    stations_label: String,
    base_href: String,
    mine: Vec<Pick>,
    mine_truncated: bool,
    query: String,
    searched: bool,
    results: Vec<Pick>,
    trail: Vec<Pick>,
    report_here: Option<Pick>,
    children: Vec<Pick>,
    children_truncated: bool,
}

struct Pick {
    name: String,
    code: String,
    within: String,
    href: String,
}

#[derive(Deserialize)]
struct PickQuery {
    #[serde(default)]
    q: String,
    /// The region being browsed; 0 or absent for the top level.
    at: Option<i64>,
}

/// Stations offered from the observer's assignment, search results, and children shown
/// when browsing: enough to choose from on a phone, few enough to keep the page small.
const MINE_LISTED: usize = 40;
const RESULTS_LISTED: u32 = 25;
const CHILDREN_LISTED: u32 = 120;

/// What the place picker needs from the database.
struct PlaceChoices {
    form: StoredForm,
    levels: Vec<String>,
    deepest: i64,
    mine: Vec<(Region, Vec<Region>)>,
    mine_truncated: bool,
    results: Vec<(Region, Vec<Region>)>,
    at: Option<(Region, Vec<Region>)>,
    children: Vec<Region>,
}

fn with_trail(conn: &Connection, region: Region) -> Result<(Region, Vec<Region>), StoreError> {
    let trail = regions::trail(conn, region.id)?;
    Ok((region, trail))
}

/// [`with_trail`] for many regions of one area: regions with the same parent share the
/// trail above them, which is looked up once.
struct Trails(HashMap<Option<RegionPath>, Vec<Region>>);

impl Trails {
    fn of(
        &mut self,
        conn: &Connection,
        region: Region,
    ) -> Result<(Region, Vec<Region>), StoreError> {
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

async fn pick_place(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, form_key)): Path<(String, String)>,
    Query(query): Query<PickQuery>,
) -> Result<Response, AppError> {
    let (mission_id, user_id) = (member.mission_id(), member.user.user_id);
    let search = query.q.trim().to_owned();
    let at = query.at.filter(|id| *id > 0);
    let choices = state
        .store
        .read(move |conn| {
            let form = forms::newest(conn, mission_id, &form_key)?;
            let levels = regions::levels(conn, mission_id)?;
            let deepest = regions::deepest_level(conn, mission_id)?;
            let mut mine = Vec::new();
            let mut trails = Trails(HashMap::new());
            'assignments: for assigned in users::assignments(conn, mission_id, user_id)? {
                for station in regions::deepest_under(
                    conn,
                    mission_id,
                    &assigned.path,
                    MINE_LISTED as u32 + 1,
                )? {
                    if mine.len() > MINE_LISTED {
                        break 'assignments;
                    }
                    if !mine
                        .iter()
                        .any(|(r, _): &(Region, Vec<Region>)| r.id == station.id)
                    {
                        mine.push(trails.of(conn, station)?);
                    }
                }
            }
            let mine_truncated = mine.len() > MINE_LISTED;
            mine.truncate(MINE_LISTED);
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
                CHILDREN_LISTED + 1,
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
        .await?;

    let slug = member.mission.slug.clone();
    let tr = member.user.tr();
    let key = choices.form.key.clone();
    let base_href = format!("/m/{slug}/observer/file/{key}");
    let to_form = |(region, trail): (Region, Vec<Region>)| Pick {
        within: within(&trail, region.id),
        href: form_href(&slug, &key, region.id),
        name: region.name,
        code: region.code,
    };
    let children_truncated = choices.children.len() > CHILDREN_LISTED as usize;
    let children = choices
        .children
        .into_iter()
        .take(CHILDREN_LISTED as usize)
        .map(|r| Pick {
            href: if r.depth == choices.deepest {
                form_href(&slug, &key, r.id)
            } else {
                format!("{base_href}?at={}", r.id)
            },
            within: level_name_in(tr, &choices.levels, r.depth),
            name: r.name,
            code: r.code,
        })
        .collect();
    let (trail, report_here) = match choices.at {
        None => (Vec::new(), None),
        Some((region, trail)) => {
            let crumbs = trail
                .iter()
                .map(|r| Pick {
                    name: r.name.clone(),
                    code: r.code.clone(),
                    within: String::new(),
                    href: format!("{base_href}?at={}", r.id),
                })
                .collect();
            let here = place_fits(choices.form.definition.kind, region.depth, choices.deepest)
                .then(|| Pick {
                    href: form_href(&slug, &key, region.id),
                    name: region.name.clone(),
                    code: region.code.clone(),
                    within: String::new(),
                });
            (crumbs, here)
        }
    };
    let stations_label = level_word(
        tr,
        choices
            .levels
            .last()
            .map_or("polling_station", String::as_str),
        true,
    );
    let title = choices
        .form
        .definition
        .in_language(member.user.lang())
        .title
        .clone();
    let template = PickPlaceTemplate {
        layout: member.layout(&title),
        form_title: title.clone(),
        stations_label,
        base_href,
        mine: choices.mine.into_iter().map(to_form).collect(),
        mine_truncated: choices.mine_truncated,
        searched: !query.q.trim().is_empty(),
        query: query.q,
        results: choices.results.into_iter().map(to_form).collect(),
        trail,
        report_here,
        children,
        children_truncated,
    };
    Ok(ok(&template))
}

// ----- the form -----

#[derive(Template)]
#[template(path = "observer/form.html")]
struct FormTemplate {
    layout: Layout,
    form_title: String,
    description: Option<String>,
    place_name: String,
    place_code: String,
    place_within: String,
    change_place_href: String,
    action: String,
    csrf_token: String,
    submission_id: String,
    /// Proof that fieldreport gave this form to this observer (`form_ticket`).
    ticket: String,
    form_id: i64,
    region_id: i64,
    observed_at: String,
    observed_at_error: Option<String>,
    error_count: usize,
    notice: Option<String>,
    sections: Vec<SectionView>,
    preview: bool,
    /// A blank form: the outbox gives each report sent from it an id of its own (the page
    /// may be the phone's copy). A form shown again keeps the id of the report it holds.
    fresh: bool,
    time_zone: String,
}

/// A form and the place it is filed for, checked to go together.
struct FormContext {
    form: StoredForm,
    region: Region,
    trail: Vec<Region>,
    /// The place is a polling station: the blank form's polling-station questions are
    /// filled in with it.
    at_station: bool,
}

impl FormContext {
    fn load(
        conn: &Connection,
        mission_id: i64,
        form: StoredForm,
        region_id: i64,
        lang: Lang,
    ) -> Result<FormContext, StoreError> {
        let region = regions::by_id(conn, mission_id, region_id)?;
        let deepest = regions::deepest_level(conn, mission_id)?;
        if !place_fits(form.definition.kind, region.depth, deepest) {
            let message = Tr::new(lang).fill(
                "observer.refused.station_only",
                &[
                    ("form", &form.definition.in_language(lang).title),
                    ("place", &region.name),
                ],
            );
            return Err(StoreError::Rejected(message.into()));
        }
        let trail = regions::trail(conn, region.id)?;
        Ok(FormContext {
            form,
            at_station: region.depth == deepest,
            region,
            trail,
        })
    }
}

/// What the observer typed, to show the form again.
#[derive(Clone)]
struct Typed {
    submission_id: String,
    observed_at: String,
    answers: RawAnswers,
}

#[allow(clippy::too_many_arguments)]
fn render_form(
    state: &AppState,
    member: &Member<ObserverArea>,
    context: &FormContext,
    typed: &Typed,
    errors: &FieldErrors,
    observed_at_error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let slug = &member.mission.slug;
    let tr = member.user.tr();
    let definition = &context.form.definition.in_language(tr.lang);
    let fresh = errors.is_empty() && observed_at_error.is_none() && notice.is_none();
    let template = FormTemplate {
        layout: member.layout(&definition.title),
        form_title: definition.title.clone(),
        description: definition.description.clone(),
        place_name: context.region.name.clone(),
        place_code: context.region.code.clone(),
        place_within: within(&context.trail, context.region.id),
        change_place_href: format!("/m/{slug}/observer/file/{}", context.form.key),
        action: format!("/m/{slug}/observer/file"),
        csrf_token: member.user.masked_csrf_token().to_owned(),
        submission_id: typed.submission_id.clone(),
        ticket: form_ticket::issue(
            &state.form_key,
            slug,
            member.user.user_id,
            &typed.submission_id,
            now(),
        ),
        form_id: context.form.id,
        region_id: context.region.id,
        observed_at: typed.observed_at.clone(),
        error_count: errors.len() + usize::from(observed_at_error.is_some()),
        observed_at_error,
        notice: notice.map(str::to_owned),
        sections: sections(tr, definition, &typed.answers, errors),
        preview: false,
        fresh,
        time_zone: member.mission.time_zone.clone(),
    };
    page(status, &template)
}

async fn blank_form(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, form_key, region_id)): Path<(String, String, i64)>,
) -> Result<Response, AppError> {
    let mission_id = member.mission_id();
    let lang = member.user.lang();
    let context = state
        .store
        .read(move |conn| {
            let form = forms::newest(conn, mission_id, &form_key)?;
            FormContext::load(conn, mission_id, form, region_id, lang)
        })
        .await?;
    // A form for a polling station has its polling-station questions answered with it,
    // which the observer has just picked: they check it rather than type it again.
    let answers = if context.at_station {
        let definition = context.form.definition.in_language(lang);
        RawAnswers::default().at_station(&definition, &context.region.code)
    } else {
        RawAnswers::default()
    };
    let typed = Typed {
        // Made now, with the page: sending the page twice then files one report.
        submission_id: Uuid::new_v4().hyphenated().to_string(),
        observed_at: local_input_value(now(), &member.mission.time_zone),
        answers,
    };
    Ok(render_form(
        &state,
        &member,
        &context,
        &typed,
        &FieldErrors::default(),
        None,
        None,
        StatusCode::OK,
    ))
}

// ----- sending it -----

/// The fields of a submitted form, read strictly: anything malformed is a 400 with a
/// message, never a guess.
#[derive(Clone)]
struct Submission {
    typed: Typed,
    form_id: i64,
    region_id: i64,
    /// The observer confirmed that a report saying the same as one they filed just before
    /// is a new report, not that one sent again.
    deliberate: bool,
    /// Every field as sent, to send the same report again deliberately.
    fields: Vec<(String, String)>,
}

fn parse_submission(fields: Vec<(String, String)>) -> Result<Submission, AppError> {
    let incomplete = || {
        AppError::BadRequest(crate::domain::message::Message::new(
            "observer.refused.incomplete",
        ))
    };
    let mut submission_id = None;
    let (mut form_id, mut region_id, mut observed_at) = (None, None, String::new());
    let mut answers = Vec::new();
    let mut deliberate = false;
    let sent = fields.clone();
    for (name, value) in fields {
        if let Some(key) = name.strip_prefix(ANSWER_PREFIX) {
            answers.push((key.to_owned(), value));
            continue;
        }
        match name.as_str() {
            AGAIN => deliberate = value == "1",
            "submission_id" => {
                submission_id = Some(Uuid::parse_str(value.trim()).map_err(|_| incomplete())?)
            }
            "form_id" => form_id = Some(value.trim().parse::<i64>().map_err(|_| incomplete())?),
            "region_id" => region_id = Some(value.trim().parse::<i64>().map_err(|_| incomplete())?),
            "observed_at" => observed_at = value,
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
        fields: sent,
    })
}

/// The field that sends a report deliberately although it says the same as one just filed.
const AGAIN: &str = "again";

fn receipt_redirect(slug: &str, id: &str) -> Response {
    Redirect::to(&format!("/m/{slug}/observer/reports/{id}/receipt")).into_response()
}

/// What the database says about a submission.
enum Arrival {
    /// Filed before under this id; `same` when the resend says the same thing.
    Filed {
        receipt: reports::Receipt,
        same: bool,
    },
    /// New, but saying what a report this observer filed just before says: most likely
    /// that report sent again (Back, then Send), so it is not filed unless they confirm.
    Twin {
        receipt: reports::Receipt,
        context: FormContext,
    },
    /// New: the form and place it was filled in for, and the checked answers.
    New {
        context: FormContext,
        checked: Result<Answers, Refusal>,
    },
}

impl Submission {
    fn content<'a>(
        &self,
        answers: &'a serde_json::Value,
        observed_at: i64,
    ) -> reports::Content<'a> {
        reports::Content {
            form_id: self.form_id,
            region_id: self.region_id,
            observed_at,
            answers,
        }
    }
}

/// Loads the form and place a submission names and checks its answers.
fn check_submission(
    conn: &Connection,
    mission_id: i64,
    time_zone: &str,
    lang: Lang,
    submission: &Submission,
) -> Result<(FormContext, Result<Answers, Refusal>), StoreError> {
    // The ids come from the page the observer was given: one that does not exist means a
    // page from elsewhere or a form since removed, not a missing page.
    let form = forms::by_id(conn, mission_id, submission.form_id).map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::Rejected("observer.refused.no_form".into()),
        other => other,
    })?;
    let context = FormContext::load(conn, mission_id, form, submission.region_id, lang).map_err(
        |e| match e {
            StoreError::NotFound(_) => StoreError::Rejected("observer.refused.no_place".into()),
            other => other,
        },
    )?;
    let failure = RefCell::new(None);
    let station_path = |code: &str| {
        regions::station_path(conn, mission_id, code).unwrap_or_else(|e| {
            failure.replace(Some(e));
            None
        })
    };
    let (earliest, latest) = answer_window(now(), time_zone);
    let bounds = Bounds {
        station_path: &station_path,
        place_path: context.region.path.as_str(),
        earliest,
        latest,
    };
    // Checked against the form in the observer's language: what a message names (the
    // options to choose from) reads as the form they see. Keys and rules are the same.
    let definition = context.form.definition.in_language(lang);
    let checked = Answers::validate(&definition, &submission.typed.answers, &bounds);
    match failure.into_inner() {
        Some(error) => Err(error),
        None => Ok((context, checked)),
    }
}

/// A report filed (or found filed before) under its submission id, as the outbox reads it.
#[derive(Serialize)]
struct FiledReply<'a> {
    outcome: &'static str,
    id: &'a str,
    reference: &'a str,
    receipt: String,
    /// A resend said something else than the report on file: those changes were not saved.
    unsaved: bool,
}

/// The outbox's answer to a report that repeats one filed just before: `filed`, as far as
/// the copy on the phone goes (it is on file), with `already` set so that a form just sent
/// shows the observer the page that asks whether it is a new report.
#[derive(Serialize)]
struct TwinReply<'a> {
    outcome: &'static str,
    id: &'a str,
    reference: &'a str,
    receipt: String,
    unsaved: bool,
    already: bool,
}

#[derive(Template)]
#[template(path = "observer/already.html")]
struct AlreadyTemplate {
    layout: Layout,
    reference: String,
    received_at: String,
    form_title: String,
    place_name: String,
    place_code: String,
    receipt_href: String,
    home_href: String,
    action: String,
    csrf_token: String,
    /// The report's fields as sent, to send it again as a new report.
    fields: Vec<(String, String)>,
    again: &'static str,
    time_zone: String,
}

/// Answers a report that says what one filed just before says: the earlier receipt, and
/// the choice to file it as a new report after all.
fn twin_reply(
    member: &Member<ObserverArea>,
    reply: Reply,
    context: &FormContext,
    receipt: &reports::Receipt,
    submission: &Submission,
) -> Response {
    let slug = &member.mission.slug;
    let receipt_href = format!("/m/{slug}/observer/reports/{}/receipt", receipt.id);
    if reply == Reply::Json {
        return Json(TwinReply {
            outcome: "filed",
            id: &receipt.id,
            reference: &receipt.reference,
            receipt: receipt_href,
            unsaved: false,
            already: true,
        })
        .into_response();
    }
    let tr = member.user.tr();
    let definition = context.form.definition.in_language(tr.lang);
    let fields = submission
        .fields
        .iter()
        .filter(|(name, _)| name != "_csrf" && name != AGAIN)
        .cloned()
        .collect();
    let template = AlreadyTemplate {
        layout: member.layout(tr.t("observer.already.title")),
        reference: receipt.reference.clone(),
        received_at: local_date_time(tr, receipt.received_at, &member.mission.time_zone),
        form_title: definition.title.clone(),
        place_name: context.region.name.clone(),
        place_code: context.region.code.clone(),
        receipt_href,
        home_href: format!("/m/{slug}/observer"),
        action: format!("/m/{slug}/observer/file"),
        csrf_token: super::csrf::masked(&member.user.csrf_token),
        fields,
        again: AGAIN,
        time_zone: member.mission.time_zone.clone(),
    };
    ok(&template)
}

/// A report not filed, and why: `invalid` answers to fix, or a `stale` token to renew.
#[derive(Serialize)]
struct NotFiledReply {
    outcome: &'static str,
    message: String,
}

/// The receipt of a filed report: the receipt page for a browser's form, JSON for the
/// outbox, which keeps the reference on the phone.
fn filed_reply(reply: Reply, slug: &str, receipt: &reports::Receipt, same: bool) -> Response {
    // A resend that says the same is a receipt shown again: the observer is told so.
    let unsaved = match (same, receipt.new) {
        (false, _) => "?unsaved=1",
        (true, false) => "?already=1",
        (true, true) => "",
    };
    let href = format!("/m/{slug}/observer/reports/{}/receipt{unsaved}", receipt.id);
    match reply {
        Reply::Page => Redirect::to(&href).into_response(),
        Reply::Json => Json(FiledReply {
            outcome: "filed",
            id: &receipt.id,
            reference: &receipt.reference,
            receipt: href,
            unsaved: !same,
        })
        .into_response(),
    }
}

async fn submit(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    stale: Option<Extension<StaleForm>>,
    reply: Reply,
    StrictForm(fields): StrictForm,
) -> Result<Response, AppError> {
    let submission = match parse_submission(fields) {
        Ok(submission) => submission,
        Err(_) if stale.is_some() => return Err(AppError::FormExpired),
        Err(e) => return Err(e),
    };
    let (mission_id, observer_id) = (member.mission_id(), member.user.user_id);
    let slug = member.mission.slug.clone();

    let submitted = submission.clone();
    let zone = member.mission.time_zone.clone();
    let lang = member.user.lang();
    // When it was observed, read once: what it says is compared with reports on file
    // below, and it is filed with it after.
    let observed = parse_observed_at(&submission.typed.observed_at, &zone, now());
    let observed_at = observed.as_ref().ok().copied();
    let arrival = state
        .store
        .read(move |conn| {
            let id = &submitted.typed.submission_id;
            if let Some(receipt) = reports::filed_receipt(conn, id, mission_id, observer_id)? {
                // A filed report never changes, so this answer holds: a resend that races
                // the first send is answered by the write instead (reports::file).
                let checked = check_submission(conn, mission_id, &zone, lang, &submitted);
                let same = match (checked, observed_at) {
                    (Ok((_, Ok(answers))), Some(at)) => {
                        let answers = answers.to_json();
                        reports::says_the_same(conn, id, &submitted.content(&answers, at))?
                    }
                    _ => false,
                };
                return Ok(Arrival::Filed { receipt, same });
            }
            let (context, checked) = check_submission(conn, mission_id, &zone, lang, &submitted)?;
            if let (false, Ok(answers), Some(at)) = (submitted.deliberate, &checked, observed_at) {
                let answers = answers.to_json();
                let content = submitted.content(&answers, at);
                let window = ResendWindow::at(now());
                if let Some(receipt) =
                    reports::recent_twin(conn, mission_id, observer_id, &content, window)?
                {
                    return Ok(Arrival::Twin { receipt, context });
                }
            }
            Ok(Arrival::New { context, checked })
        })
        .await?;
    let (context, checked) = match arrival {
        // A resend of a report already on disk (double tap, retry, outbox) gets its
        // receipt; if it says something else, the receipt says those changes were not saved.
        Arrival::Filed { receipt, same } => return Ok(filed_reply(reply, &slug, &receipt, same)),
        Arrival::Twin { receipt, context } => {
            return Ok(twin_reply(&member, reply, &context, &receipt, &submission));
        }
        Arrival::New { context, checked } => (context, checked),
    };
    if stale.is_some() {
        let notice = member.user.tr().t("observer.form.expired");
        if reply == Reply::Json {
            return Ok(not_filed(StatusCode::FORBIDDEN, "stale", notice));
        }
        let (errors, status) = (FieldErrors::default(), StatusCode::FORBIDDEN);
        return Ok(render_form(
            &state,
            &member,
            &context,
            &submission.typed,
            &errors,
            None,
            Some(notice),
            status,
        ));
    }
    let (answers, observed_at) = match (checked, observed) {
        (Err(Refusal::UnknownQuestion(key)), _) => {
            return Err(AppError::BadRequest(
                crate::domain::message::Message::new("observer.refused.no_question")
                    .with("key", key),
            ));
        }
        (Ok(answers), Ok(observed_at)) => (answers, observed_at),
        (checked, observed) => {
            let errors = match checked {
                Err(Refusal::Fields(errors)) => errors,
                _ => FieldErrors::default(),
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            if reply == Reply::Json {
                let count = errors.len() + usize::from(observed.is_err());
                let message = member.user.tr().n("observer.form.fix", count);
                return Ok(not_filed(status, "invalid", &message));
            }
            return Ok(render_form(
                &state,
                &member,
                &context,
                &submission.typed,
                &errors,
                observed.err().map(|m| m.in_language(member.user.tr())),
                None,
                status,
            ));
        }
    };
    let assessment = assess(&context.form.definition, &answers);
    let report = NewReport {
        id: submission.typed.submission_id,
        mission_id,
        reference_prefix: reference_prefix(&slug),
        form_id: context.form.id,
        observer_id,
        region_id: context.region.id,
        region_path: context.region.path.clone(),
        observed_at,
        channel: "web",
        severity: assessment.severity,
        problems: assessment
            .problems
            .into_iter()
            .map(|p| p.question_key)
            .collect(),
        category: assessment.category,
        answers: answers.to_json(),
    };
    // The receipt is sent only once the writer has committed the report to disk.
    let receipt = state
        .store
        .write(move |conn| reports::file(conn, &report))
        .await?;
    if receipt.new {
        tracing::info!(reference = %receipt.reference, form = %context.form.key, "report filed");
    }
    Ok(filed_reply(reply, &slug, &receipt, receipt.same))
}

fn not_filed(status: StatusCode, outcome: &'static str, message: &str) -> Response {
    let body = NotFiledReply {
        outcome,
        message: message.to_owned(),
    };
    (status, Json(body)).into_response()
}

/// A report form kept while its observer was signed out, filled in again for them.
async fn resume(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (mission_id, observer_id) = (member.mission_id(), member.user.user_id);
    let slug = member.mission.slug.clone();
    let key = id.clone();
    let body = state
        .store
        .read(move |conn| {
            if let Some(receipt) = reports::filed_receipt(conn, &key, mission_id, observer_id)? {
                return Ok(Err(receipt));
            }
            Ok(Ok(crate::store::parked::body(
                conn,
                mission_id,
                observer_id,
                &key,
            )?))
        })
        .await?;
    let body = match body {
        Err(receipt) => return Ok(receipt_redirect(&slug, &receipt.id)),
        Ok(None) => return Err(AppError::NotFound),
        Ok(Some(body)) => body,
    };
    let submission = parse_submission(crate::web::strict_form::parse(&body)?)?;
    let submitted = submission.clone();
    let zone = member.mission.time_zone.clone();
    let lang = member.user.lang();
    let (context, _) = state
        .store
        .read(move |conn| check_submission(conn, mission_id, &zone, lang, &submitted))
        .await?;
    let notice = member.user.tr().t("observer.form.resumed");
    Ok(render_form(
        &state,
        &member,
        &context,
        &submission.typed,
        &FieldErrors::default(),
        None,
        Some(notice),
        StatusCode::OK,
    ))
}

// ----- the receipt -----

#[derive(Template)]
#[template(path = "observer/receipt.html")]
struct ReceiptTemplate {
    layout: Layout,
    /// A resend said something else than the report on file: those changes were not saved.
    unsaved: bool,
    /// A resend said the same: the report is on file once.
    already: bool,
    reference: String,
    received_at: String,
    form_title: String,
    place_name: String,
    place_code: String,
    /// How serious the report is, as the observer said or its problems make it.
    severity: Option<Severity>,
    problems: Vec<ProblemLine>,
    again_href: String,
    report_href: String,
    home_href: String,
}

struct ProblemLine {
    severity: Severity,
    label: String,
    answer: String,
}

#[derive(Deserialize)]
struct ReceiptQuery {
    unsaved: Option<String>,
    already: Option<String>,
}

async fn receipt(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ReceiptQuery>,
) -> Result<Response, AppError> {
    let (mission_id, observer_id) = (member.mission_id(), member.user.user_id);
    let (report, form, region) = state
        .store
        .read(move |conn| {
            let report = reports::own(conn, mission_id, observer_id, &id)?;
            let form = forms::by_id(conn, mission_id, report.form_id)?;
            let region = regions::by_id(conn, mission_id, report.region_id)?;
            Ok((report, form, region))
        })
        .await?;
    let tr = member.user.tr();
    let definition = &form.definition.in_language(tr.lang);
    let answers = Answers::from_json(definition, &report.answers);
    let problems = assess(definition, &answers)
        .problems
        .into_iter()
        .map(|p| ProblemLine {
            severity: p.severity,
            label: p.label,
            answer: match (
                definition.question(&p.question_key),
                answers.get(&p.question_key),
            ) {
                (Some(q), Some(a)) => shown(tr, q, a),
                _ => p.answer,
            },
        })
        .collect();
    let slug = &member.mission.slug;
    let template = ReceiptTemplate {
        layout: member.layout(member.user.tr().t("observer.receipt.title")),
        unsaved: query.unsaved.is_some(),
        already: query.already.is_some() && query.unsaved.is_none(),
        received_at: local_date_time(
            member.user.tr(),
            report.received_at,
            &member.mission.time_zone,
        ),
        form_title: definition.title.clone(),
        again_href: form_href(slug, &form.key, region.id),
        place_name: region.name,
        place_code: region.code,
        severity: report.severity,
        problems,
        report_href: format!("/m/{slug}/observer/reports/{}", report.id),
        reference: report.reference,
        home_href: format!("/m/{slug}/observer"),
    };
    Ok(ok(&template))
}
