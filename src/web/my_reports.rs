//! "My reports": an observer's own reports, each with its answers and history, and
//! amendments.

use crate::domain::message::Message;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use super::form_view::{AnswerSection, answer_sections};
use super::member::{Member, ObserverArea};
use super::strict_form::StrictForm;
use super::view::{Layout, action_label, local_date_time, ok, page, within};
use super::{AppError, AppState};
use crate::domain::answers::Answers;
use crate::domain::form::Severity;
use crate::domain::report::{AmendmentKind, EventKind, amendment_text};
use crate::domain::review::Status;
use crate::store::my_reports;
use crate::store::reports;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/observer/reports", get(list))
        .route("/observer/reports/{id}", get(report_page))
        .route("/observer/reports/{id}/amendments", post(amend))
}

// ----- the list -----

#[derive(Template)]
#[template(path = "observer/reports.html")]
struct ReportsTemplate {
    layout: Layout,
    reports: Vec<ReportLine>,
    paged: bool,
    older_href: Option<String>,
}

struct ReportLine {
    href: String,
    reference: String,
    form_title: String,
    place: String,
    received_at: String,
    status: Status,
    severity: Option<Severity>,
    problem_count: i64,
    amendments: i64,
}

#[derive(Deserialize)]
struct ListQuery {
    /// `received_at.seq` of the last report of the previous page.
    before: Option<String>,
}

/// Reports per page: a day of a busy observer's work.
const PAGE: u32 = 30;

fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (at, seq) = text.split_once('.')?;
    Some((at.parse().ok()?, seq.parse().ok()?))
}

async fn list(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let before = match query.before.as_deref() {
        None => None,
        Some(text) => Some(
            parse_cursor(text)
                .ok_or_else(|| AppError::BadRequest(Message::new("observer.refused.bad_link")))?,
        ),
    };
    let (mission_id, observer_id) = (member.mission_id(), member.user.user_id);
    let lang = member.user.lang();
    let my_reports::ListPage { lines, titles } = state
        .store
        .read(move |conn| {
            my_reports::list_page(conn, mission_id, observer_id, before, PAGE + 1, lang)
        })
        .await?;
    let slug = &member.mission.slug;
    let zone = &member.mission.time_zone;
    let tr = member.user.tr();
    let older_href = (lines.len() > PAGE as usize)
        .then(|| lines.get(PAGE as usize - 1))
        .flatten()
        .map(|last| {
            format!(
                "/m/{slug}/observer/reports?before={}.{}",
                last.cursor.0, last.cursor.1
            )
        });
    let reports = lines
        .into_iter()
        .take(PAGE as usize)
        .map(|r| ReportLine {
            href: format!("/m/{slug}/observer/reports/{}", r.id),
            reference: r.reference,
            form_title: titles.get(&r.form_id).cloned().unwrap_or(r.form_title),
            place: format!("{} ({})", r.region_name, r.region_code),
            received_at: local_date_time(tr, r.received_at, zone),
            status: r.status,
            severity: r.severity,
            problem_count: r.problem_count,
            amendments: r.amendments,
        })
        .collect();
    Ok(ok(&ReportsTemplate {
        layout: member.layout(tr.t("observer.reports.title")),
        reports,
        paged: before.is_some(),
        older_href,
    }))
}

// ----- one report -----

#[derive(Template)]
#[template(path = "observer/report.html")]
struct ReportTemplate {
    layout: Layout,
    reports_href: String,
    amend_href: String,
    csrf_token: String,
    reference: String,
    form_title: String,
    form_version: i64,
    place_name: String,
    place_code: String,
    place_within: String,
    observed_at: String,
    received_at: String,
    status: Status,
    severity: Option<Severity>,
    answers: Vec<AnswerSection>,
    history: Vec<HistoryLine>,
    amend_error: Option<String>,
    amend_kind: String,
    amend_text: String,
    amendment_id: String,
    /// Said once an amendment was added: what was added.
    added: Option<String>,
}

struct HistoryLine {
    at: String,
    what: String,
    text: String,
}

/// What the observer typed in the amendment form, to show it again with its error.
struct AmendDraft {
    kind: String,
    text: String,
    error: Option<String>,
    /// Made with the form: a double tap adds the amendment once.
    amendment_id: String,
}

impl AmendDraft {
    fn blank() -> AmendDraft {
        AmendDraft {
            kind: String::new(),
            text: String::new(),
            error: None,
            amendment_id: Uuid::new_v4().hyphenated().to_string(),
        }
    }
}

async fn report_template(
    state: &AppState,
    member: &Member<ObserverArea>,
    id: String,
    draft: AmendDraft,
) -> Result<ReportTemplate, AppError> {
    let (mission_id, observer_id) = (member.mission_id(), member.user.user_id);
    let my_reports::ReportPage {
        report,
        form,
        trail,
        events,
    } = state
        .store
        .read(move |conn| my_reports::report_page(conn, mission_id, observer_id, &id))
        .await?;
    let zone = &member.mission.time_zone;
    let tr = member.user.tr();
    let slug = &member.mission.slug;
    let definition = &form.definition.in_language(tr.lang);
    let answers = Answers::from_json(definition, &report.answers);
    let sections = answer_sections(tr, definition, &answers);
    let history = events
        .into_iter()
        .map(|e| HistoryLine {
            at: local_date_time(tr, e.at, zone),
            what: match e.kind {
                EventKind::Filed => tr.t("observer.report.filed").to_owned(),
                EventKind::Amended(kind) => {
                    let who = e
                        .actor
                        .as_deref()
                        .unwrap_or_else(|| tr.t("observer.report.someone"));
                    let key = match kind {
                        AmendmentKind::Correction => "observer.report.correction",
                        AmendmentKind::Addition => "observer.report.addition",
                    };
                    tr.fill(key, &[("who", who)])
                }
                // The store gives observers their own events only; a review, were one
                // to come, is named by its action and never shows its note's author.
                EventKind::Reviewed(action) => action_label(tr, action).to_owned(),
            },
            text: e.text,
        })
        .collect();
    let region = trail.last().cloned();
    Ok(ReportTemplate {
        layout: member.layout(&report.reference),
        reports_href: format!("/m/{slug}/observer/reports"),
        amend_href: format!("/m/{slug}/observer/reports/{}/amendments", report.id),
        csrf_token: super::csrf::masked(&member.user.csrf_token),
        reference: report.reference,
        form_title: definition.title.clone(),
        form_version: form.version,
        place_within: within(&trail, report.region_id),
        place_name: region.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        place_code: region.map(|r| r.code).unwrap_or_default(),
        observed_at: local_date_time(tr, report.observed_at, zone),
        received_at: local_date_time(tr, report.received_at, zone),
        status: report.status,
        severity: report.severity,
        answers: sections,
        history,
        amend_error: draft.error,
        amend_kind: draft.kind,
        amend_text: draft.text,
        amendment_id: draft.amendment_id,
        added: None,
    })
}

#[derive(Deserialize)]
struct ReportQuery {
    /// The kind of amendment just added, to confirm it.
    added: Option<String>,
}

async fn report_page(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let mut template = report_template(&state, &member, id, AmendDraft::blank()).await?;
    template.added = query
        .added
        .as_deref()
        .and_then(AmendmentKind::parse)
        .map(|kind| {
            let key = match kind {
                AmendmentKind::Correction => "observer.report.correction_added",
                AmendmentKind::Addition => "observer.report.addition_added",
            };
            member.user.tr().t(key).to_owned()
        });
    Ok(ok(&template))
}

async fn amend(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, id)): Path<(String, String)>,
    form: StrictForm,
) -> Result<Response, AppError> {
    let (kind_text, typed) = (form.value("kind"), form.value("text"));
    let amendment_id = Uuid::parse_str(form.value("amendment_id").trim())
        .map_err(|_| AppError::BadRequest(Message::new("observer.refused.incomplete")))?
        .hyphenated()
        .to_string();
    let kind = AmendmentKind::parse(&kind_text);
    let text = amendment_text(&typed);
    let (kind, text) = match (kind, text) {
        (Some(kind), Ok(text)) => (kind, text),
        (kind, text) => {
            let error = match (kind, text) {
                (None, _) => member.user.tr().t("observer.report.say_which").to_owned(),
                (_, Err(message)) => message.in_language(member.user.tr()),
                _ => String::new(),
            };
            let draft = AmendDraft {
                kind: kind_text,
                text: typed,
                error: Some(error),
                amendment_id,
            };
            let template = report_template(&state, &member, id, draft).await?;
            return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &template));
        }
    };
    let (mission_id, observer_id) = (member.mission_id(), member.user.user_id);
    let report_id = id.clone();
    state
        .store
        .write(move |conn| {
            reports::amend(
                conn,
                mission_id,
                observer_id,
                &report_id,
                &amendment_id,
                kind,
                &text,
            )
        })
        .await?;
    let back = format!(
        "/m/{}/observer/reports/{id}?added={}",
        member.mission.slug,
        kind.as_str()
    );
    Ok(Redirect::to(&back).into_response())
}
