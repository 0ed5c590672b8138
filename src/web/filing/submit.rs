//! Sending a report: the answers checked, the report filed once (a resend gets the same
//! receipt, a repeat of the report just filed asks first), the receipt after the commit.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::Serialize;

use super::form::render_form;
use super::sender;
use crate::domain::answers::{FieldErrors, Refusal, assess};
use crate::domain::message::Message;
use crate::domain::report::{parse_observed_at, reference_prefix};
use crate::domain::submission::{AGAIN, Submission};
use crate::store::filing::{self, Arrival, Filing, FormContext};
use crate::store::now;
use crate::store::reports::{NewReport, Receipt};
use crate::web::client::Reply;
use crate::web::csrf::StaleForm;
use crate::web::member::{Member, ObserverArea};
use crate::web::strict_form::StrictForm;
use crate::web::view::{Layout, local_date_time, ok};
use crate::web::{AppError, AppState};

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
    receipt: &Receipt,
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
    let fields = submission.fields_to_send_again();
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
        csrf_token: crate::web::csrf::masked(&member.user.csrf_token),
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
fn filed_reply(reply: Reply, slug: &str, receipt: &Receipt, same: bool) -> Response {
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

pub(super) async fn submit(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    stale: Option<Extension<StaleForm>>,
    reply: Reply,
    StrictForm(fields): StrictForm,
) -> Result<Response, AppError> {
    let submission = match Submission::read(fields) {
        Ok(submission) => submission,
        Err(_) if stale.is_some() => return Err(AppError::FormExpired),
        Err(message) => return Err(AppError::BadRequest(message)),
    };
    let (mission_id, observer_id) = (member.mission_id(), member.user.user_id);
    let slug = member.mission.slug.clone();

    // When it was observed, read once: what it says is compared with reports on file
    // below, and it is filed with it after.
    let observed = parse_observed_at(
        &submission.typed.observed_at,
        &member.mission.time_zone,
        now(),
    );
    let observed_at = observed.as_ref().ok().copied();
    let arrival = filing::arrival(
        &state.store,
        sender(&member),
        submission.clone(),
        observed_at,
        stale.is_some(),
    )
    .await?;
    let (context, checked) = match arrival {
        // A resend of a report already on disk (double tap, retry, outbox) gets its
        // receipt; if it says something else, the receipt says those changes were not saved.
        Arrival::Filed { receipt, same } => return Ok(filed_reply(reply, &slug, &receipt, same)),
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
                Message::new("observer.refused.no_question").with("key", key),
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
        id: submission.typed.submission_id.clone(),
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
    let receipt = match filing::file(&state.store, report, submission.deliberate).await? {
        Filing::Filed(receipt) => receipt,
        Filing::Twin(receipt) => {
            return Ok(twin_reply(&member, reply, &context, &receipt, &submission));
        }
    };
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
