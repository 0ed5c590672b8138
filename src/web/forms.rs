//! The mission's forms, for leads and admins: the list, and a preview of each version.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;

use super::form_view::{SectionView, sections};
use super::member::{FormsArea, Member};
use super::view::{Layout, ok};
use super::{AppError, AppState};
use crate::domain::answers::{FieldErrors, RawAnswers};
use crate::domain::form::FormKind;
use crate::i18n::Tr;
use crate::store::forms;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/forms", get(list))
        .route("/forms/{form_id}", get(preview))
}

#[derive(Template)]
#[template(path = "forms/list.html")]
struct FormsTemplate {
    layout: Layout,
    forms: Vec<FormLine>,
}

struct FormLine {
    href: String,
    key: String,
    title: String,
    kind: String,
    version: i64,
    reports: i64,
}

/// The word for a kind of form; a kind the code does not know is shown as stored.
fn kind_label(tr: Tr, kind: &str) -> String {
    match FormKind::parse(kind) {
        Some(FormKind::Checklist) => tr.t("forms.kind.checklist").to_owned(),
        Some(FormKind::Incident) => tr.t("forms.kind.incident").to_owned(),
        None => kind.to_owned(),
    }
}

async fn list(
    State(state): State<AppState>,
    member: Member<FormsArea>,
) -> Result<Response, AppError> {
    let tr = member.user.tr();
    let mission_id = member.mission_id();
    let current = state
        .store
        .read(move |conn| forms::current(conn, mission_id, true))
        .await?;
    let slug = &member.mission.slug;
    let forms = current
        .into_iter()
        .map(|f| FormLine {
            href: format!("/m/{slug}/forms/{}", f.id),
            key: f.key,
            title: f.title,
            kind: kind_label(tr, &f.kind),
            version: f.version,
            reports: f.reports,
        })
        .collect();
    Ok(ok(&FormsTemplate {
        layout: member.layout(tr.t("nav.forms")),
        forms,
    }))
}

#[derive(Template)]
#[template(path = "forms/preview.html")]
struct PreviewTemplate {
    layout: Layout,
    forms_href: String,
    form_title: String,
    form_key: String,
    version: i64,
    kind: String,
    description: Option<String>,
    sections: Vec<SectionView>,
    preview: bool,
    versions: Vec<VersionLine>,
}

struct VersionLine {
    version: i64,
    reports: i64,
    href: String,
    current: bool,
}

async fn preview(
    State(state): State<AppState>,
    member: Member<FormsArea>,
    Path((_, form_id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let mission_id = member.mission_id();
    let (form, versions) = state
        .store
        .read(move |conn| forms::with_versions(conn, mission_id, form_id))
        .await?;
    let slug = &member.mission.slug;
    let tr = member.user.tr();
    let definition = &form.definition.in_language(tr.lang);
    let template = PreviewTemplate {
        layout: member.layout(&definition.title),
        forms_href: format!("/m/{slug}/forms"),
        form_title: definition.title.clone(),
        form_key: form.key.clone(),
        version: form.version,
        kind: kind_label(tr, definition.kind.as_str()),
        description: definition.description.clone(),
        sections: sections(
            tr,
            definition,
            &RawAnswers::default(),
            &FieldErrors::default(),
        ),
        preview: true,
        versions: versions
            .into_iter()
            .map(|(id, version, reports)| VersionLine {
                version,
                reports,
                href: format!("/m/{slug}/forms/{id}"),
                current: id == form.id,
            })
            .collect(),
    };
    Ok(ok(&template))
}
