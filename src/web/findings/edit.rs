//! Writing a finding: the form, its checks, and saving a new finding or an edit.

use crate::domain::message::Message;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::domain::finding::{Assessment, FindingErrors, FindingText};
use crate::store::findings::{self, Finding};
use crate::store::regions::Region;
use crate::web::member::{FindingsArea, Member};
use crate::web::strict_form::StrictForm;
use crate::web::view::{Layout, page};
use crate::web::{AppError, AppState};

use super::{actor, assessment_word};

#[derive(Template)]
#[template(path = "findings/edit.html")]
struct EditTemplate {
    layout: Layout,
    heading: String,
    action: String,
    csrf_token: String,
    title: String,
    statement: String,
    topic: String,
    assessments: Vec<(&'static str, &'static str, bool)>,
    topics: Vec<String>,
    regions: Vec<(i64, String, bool)>,
    errors: FindingErrors<String>,
    cancel_href: String,
}

/// The top-level regions a finding can be said to concern.
fn region_choices(all: &[Region], chosen: &[i64]) -> Vec<(i64, String, bool)> {
    all.iter()
        .map(|r| (r.id, r.name.clone(), chosen.contains(&r.id)))
        .collect()
}

struct Draft {
    title: String,
    statement: String,
    assessment: String,
    topic: String,
    regions: Vec<i64>,
}

impl Draft {
    fn from_form(form: &StrictForm) -> Result<Draft, AppError> {
        let regions = form
            .values("region")
            .iter()
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| AppError::BadRequest(Message::new("findings.edit.bad_region")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Draft {
            title: form.value("title"),
            statement: form.value("statement"),
            assessment: form.value("assessment"),
            topic: form.value("topic"),
            regions,
        })
    }

    fn of(finding: &Finding) -> Draft {
        Draft {
            title: finding.text.title.clone(),
            statement: finding.text.statement.clone(),
            assessment: finding.text.assessment.as_str().to_owned(),
            topic: finding.text.topic.clone(),
            regions: finding.regions.iter().map(|r| r.id).collect(),
        }
    }
}

async fn edit_page(
    state: &AppState,
    member: &Member<FindingsArea>,
    existing: Option<i64>,
    draft: Draft,
    errors: FindingErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mission_id = member.mission_id();
    let findings::EditChoices {
        top_regions: top,
        topics,
    } = state
        .store
        .read(move |conn| findings::edit_choices(conn, mission_id))
        .await?;
    let slug = &member.mission.slug;
    let tr = member.user.tr();
    let errors = errors.in_language(tr);
    let (heading, action, cancel_href) = match existing {
        Some(id) => (
            tr.t("findings.edit.edit").to_owned(),
            format!("/m/{slug}/findings/{id}/edit"),
            format!("/m/{slug}/findings/{id}"),
        ),
        None => (
            tr.t("findings.edit.new").to_owned(),
            format!("/m/{slug}/findings"),
            format!("/m/{slug}/findings"),
        ),
    };
    let template = EditTemplate {
        layout: member.layout(&heading),
        heading,
        action,
        csrf_token: crate::web::csrf::masked(&member.user.csrf_token),
        assessments: Assessment::ALL
            .iter()
            .map(|a| {
                (
                    a.as_str(),
                    assessment_word(tr, *a),
                    draft.assessment == a.as_str(),
                )
            })
            .collect(),
        regions: region_choices(&top, &draft.regions),
        title: draft.title,
        statement: draft.statement,
        topic: draft.topic,
        topics,
        errors,
        cancel_href,
    };
    Ok(page(status, &template))
}

pub(super) async fn new_finding(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
) -> Result<Response, AppError> {
    let draft = Draft {
        title: String::new(),
        statement: String::new(),
        assessment: String::new(),
        topic: String::new(),
        regions: Vec::new(),
    };
    edit_page(
        &state,
        &member,
        None,
        draft,
        FindingErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// Saves a new finding (`existing` None) or the edit of one; a wrong field shows the
/// form again with every value kept.
async fn save(
    state: &AppState,
    member: &Member<FindingsArea>,
    existing: Option<i64>,
    form: &StrictForm,
) -> Result<Response, AppError> {
    let draft = Draft::from_form(form)?;
    let text = match FindingText::parse(
        &draft.title,
        &draft.statement,
        &draft.assessment,
        &draft.topic,
    ) {
        Ok(text) => text,
        Err(errors) => {
            return edit_page(
                state,
                member,
                existing,
                draft,
                *errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (mission_id, actor) = (member.mission_id(), actor(member));
    let regions = draft.regions;
    let id = state
        .store
        .write(move |conn| match existing {
            Some(id) => {
                findings::update(conn, mission_id, id, &text, &regions, &actor).map(|()| id)
            }
            None => findings::create(conn, mission_id, &text, &regions, &actor),
        })
        .await?;
    Ok(Redirect::to(&format!("/m/{}/findings/{id}", member.mission.slug)).into_response())
}

pub(super) async fn create(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    form: StrictForm,
) -> Result<Response, AppError> {
    save(&state, &member, None, &form).await
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let mission_id = member.mission_id();
    let finding = state
        .store
        .read(move |conn| findings::get(conn, mission_id, id))
        .await?;
    edit_page(
        &state,
        &member,
        Some(id),
        Draft::of(&finding),
        FindingErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn edit(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    Path((_, id)): Path<(String, i64)>,
    form: StrictForm,
) -> Result<Response, AppError> {
    save(&state, &member, Some(id), &form).await
}
