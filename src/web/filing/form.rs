//! The report form: blank for a place, or filled in again (refused answers to fix, a
//! form kept while the observer was signed out).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::{receipt_redirect, sender};
use crate::domain::answers::{FieldErrors, RawAnswers};
use crate::domain::report::local_input_value;
use crate::domain::submission::Typed;
use crate::store::filing::{self, FormContext, Resumed};
use crate::store::now;
use crate::web::form_ticket;
use crate::web::form_view::{SectionView, sections};
use crate::web::member::{Member, ObserverArea};
use crate::web::view::{Layout, page, within};
use crate::web::{AppError, AppState};

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

#[allow(clippy::too_many_arguments)]
pub(super) fn render_form(
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

pub(super) async fn blank_form(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, form_key, region_id)): Path<(String, String, i64)>,
) -> Result<Response, AppError> {
    let mission_id = member.mission_id();
    let lang = member.user.lang();
    let context = filing::form_page(&state.store, mission_id, form_key, region_id, lang).await?;
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

/// A report form kept while its observer was signed out, filled in again for them.
pub(super) async fn resume(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (submission, context) = match filing::resume_page(&state.store, sender(&member), id).await?
    {
        Resumed::Filed(receipt) => {
            return Ok(receipt_redirect(&member.mission.slug, &receipt.id));
        }
        Resumed::Gone => return Err(AppError::NotFound),
        Resumed::Unreadable(message) => return Err(AppError::BadRequest(message)),
        Resumed::Form(kept) => *kept,
    };
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
