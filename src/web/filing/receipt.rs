//! The receipt of a filed report: its reference, when it arrived, and the problems it
//! reports, as the observer keeps them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::form_href;
use crate::domain::answers::{Answers, assess};
use crate::domain::form::Severity;
use crate::store::filing::{self, ReceiptPage};
use crate::web::form_view::shown;
use crate::web::member::{Member, ObserverArea};
use crate::web::view::{Layout, local_date_time, ok};
use crate::web::{AppError, AppState};

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
pub(super) struct ReceiptQuery {
    unsaved: Option<String>,
    already: Option<String>,
}

pub(super) async fn receipt(
    State(state): State<AppState>,
    member: Member<ObserverArea>,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ReceiptQuery>,
) -> Result<Response, AppError> {
    let (mission_id, observer_id) = (member.mission_id(), member.user.user_id);
    let ReceiptPage {
        report,
        form,
        region,
    } = filing::receipt_page(&state.store, mission_id, observer_id, id).await?;
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
