//! The reviewers' page of one report: what was filed, its history, and the actions the
//! reviewer's role allows from its status.

use crate::domain::message::Message;
use askama::Template;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{carrying, category_text};
use crate::domain::answers::Answers;
use crate::domain::finding::Stage;
use crate::domain::form::Severity;
use crate::domain::queue::Filter;
use crate::domain::report::{AmendmentKind, EventKind};
use crate::domain::review::{Action, note_for, transition};
use crate::domain::role::Role;
use crate::i18n::Tr;
use crate::store::StoreError;
use crate::store::audit::Actor;
use crate::store::reports::Event;
use crate::store::review::{self, ReportPage, ReportRequest, Review};
use crate::web::form_view::{AnswerSection, answer_sections};
use crate::web::member::{Member, ReviewArea};
use crate::web::strict_form::StrictForm;
use crate::web::view::{Layout, action_label, local_date_time, ok, page, within};
use crate::web::{AppError, AppState};

// ----- one report -----

#[derive(Template)]
#[template(path = "review/report.html")]
struct ReviewReportTemplate {
    layout: Layout,
    /// The queue the report was opened from, with its filters.
    queue_href: String,
    /// The next report of that queue, if there is one.
    next_href: Option<String>,
    /// The queue's filters, carried through the actions.
    back: String,
    action_href: String,
    csrf_token: String,
    reference: String,
    status: &'static str,
    severity: Option<Severity>,
    problem_count: i64,
    category: String,
    duplicate_of: Option<String>,
    form_title: String,
    form_version: String,
    place_name: String,
    place_code: String,
    place_within: String,
    observed_at: String,
    received_at: String,
    observer: ObserverView,
    answers: Vec<AnswerSection>,
    history: Vec<EventView>,
    actions: Vec<ActionButton>,
    may_mark_duplicate: bool,
    cited_by: Vec<Citation>,
    action_error: Option<String>,
    typed_note: String,
}

struct ActionButton {
    value: &'static str,
    label: &'static str,
    class: &'static str,
}

/// A finding that cites the report; only leads, who work on findings, get the link.
struct Citation {
    href: Option<String>,
    title: String,
    stage: &'static str,
}

/// Where a finding citing the report stands.
fn stage_label(tr: Tr, stage: Stage) -> &'static str {
    match stage {
        Stage::Draft => tr.t("review.report.stage.draft"),
        Stage::ReadyForReview => tr.t("review.report.stage.ready"),
        Stage::Published => tr.t("review.report.stage.published"),
    }
}

struct ObserverView {
    name: String,
    username: String,
    phone: String,
    team: String,
    href: String,
}

struct EventView {
    at: String,
    who: String,
    what: String,
    text: String,
}

fn describe(tr: Tr, event: &Event) -> String {
    match (event.kind, event.from_status, event.to_status) {
        (EventKind::Filed, _, _) => tr.t("review.report.event.filed").to_owned(),
        (EventKind::Amended(AmendmentKind::Correction), _, _) => {
            tr.t("review.report.event.correction").to_owned()
        }
        (EventKind::Amended(AmendmentKind::Addition), _, _) => {
            tr.t("review.report.event.addition").to_owned()
        }
        (EventKind::Reviewed(Action::Comment), _, _) => {
            tr.t("review.report.event.comment").to_owned()
        }
        (EventKind::Reviewed(action), Some(from), Some(to)) => {
            let (from, to) = (tr.word("status", from), tr.word("status", to));
            let mut values = vec![
                ("action", action_label(tr, action)),
                ("from", from.as_str()),
                ("to", to.as_str()),
            ];
            match &event.duplicate_of {
                Some(reference) => {
                    values.push(("reference", reference));
                    tr.fill("review.report.event.duplicate_change", &values)
                }
                None => tr.fill("review.report.event.change", &values),
            }
        }
        (EventKind::Reviewed(action), _, _) => action_label(tr, action).to_owned(),
    }
}

/// What the reviewer typed, shown again with the reason an action was refused.
struct ActionDraft {
    error: Option<String>,
    note: String,
}

async fn report_template(
    state: &AppState,
    member: &Member<ReviewArea>,
    id: String,
    carried: Filter,
    draft: ActionDraft,
) -> Result<ReviewReportTemplate, AppError> {
    let tr = member.user.tr();
    let request = ReportRequest {
        mission_id: member.mission_id(),
        time_zone: member.mission.time_zone.clone(),
        report_id: id,
        carried,
    };
    let ReportPage {
        report,
        form,
        trail,
        events,
        observer,
        cited,
        queue,
        next,
    } = {
        let facts = state.store.facts();
        state
            .store
            .read(move |conn| review::report_page(conn, &facts, &request))
            .await?
    };
    let slug = &member.mission.slug;
    let zone = &member.mission.time_zone;
    let status = report.status;
    let allowed: Vec<Action> = [
        Action::Verify,
        Action::Escalate,
        Action::Dismiss,
        Action::MarkDuplicate,
        Action::Reopen,
        Action::Comment,
    ]
    .into_iter()
    .filter(|a| transition(status, *a, member.role()).is_ok())
    .collect();
    let actions = allowed
        .iter()
        .map(|a| ActionButton {
            value: a.as_str(),
            label: action_label(tr, *a),
            class: match a {
                Action::Dismiss => "danger",
                Action::Comment => "secondary",
                _ => "",
            },
        })
        .collect();
    let lead = member.role() == Role::Lead;
    let region = trail.last().cloned();
    let definition = form.definition.in_language(tr.lang);
    let answers = Answers::from_json(&definition, &report.answers);
    let back = queue.query_string();
    let carried = carrying(&back);
    Ok(ReviewReportTemplate {
        layout: member.layout(&report.reference),
        queue_href: format!("/m/{slug}/review{carried}"),
        next_href: next.map(|next| format!("/m/{slug}/review/reports/{next}{carried}")),
        back,
        action_href: format!("/m/{slug}/review/reports/{}/actions", report.id),
        csrf_token: crate::web::csrf::masked(&member.user.csrf_token),
        status: status.as_str(),
        severity: report.severity,
        problem_count: report.problem_count,
        category: category_text(Some(&definition), report.category.clone()),
        duplicate_of: report.duplicate_of.clone(),
        form_title: definition.title.clone(),
        form_version: tr.number(form.version),
        place_within: within(&trail, report.region_id),
        place_name: region.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        place_code: region.map(|r| r.code).unwrap_or_default(),
        observed_at: local_date_time(tr, report.observed_at, zone),
        received_at: local_date_time(tr, report.received_at, zone),
        observer: ObserverView {
            href: format!("/m/{slug}/review?observer={}", observer.user_id),
            name: observer.display_name,
            username: observer.username,
            phone: observer.phone.unwrap_or_default(),
            team: observer.team.unwrap_or_default(),
        },
        answers: answer_sections(tr, &definition, &answers),
        history: events
            .into_iter()
            .map(|e| EventView {
                at: local_date_time(tr, e.at, zone),
                what: describe(tr, &e),
                who: e
                    .actor
                    .unwrap_or_else(|| tr.t("observer.report.someone").to_owned()),
                text: e.text,
            })
            .collect(),
        actions,
        may_mark_duplicate: allowed.contains(&Action::MarkDuplicate),
        cited_by: cited
            .into_iter()
            .map(|(id, title, stage)| Citation {
                href: lead.then(|| format!("/m/{slug}/findings/{id}")),
                title,
                stage: stage_label(tr, stage),
            })
            .collect(),
        reference: report.reference,
        action_error: draft.error,
        typed_note: draft.note,
    })
}

pub(super) async fn report_page(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    Path((_, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let carried = Filter::carried(raw.as_deref().unwrap_or_default());
    let template = report_template(
        &state,
        &member,
        id,
        carried,
        ActionDraft {
            error: None,
            note: String::new(),
        },
    )
    .await?;
    Ok(ok(&template))
}

pub(super) async fn act(
    State(state): State<AppState>,
    member: Member<ReviewArea>,
    Path((_, id)): Path<(String, String)>,
    form: StrictForm,
) -> Result<Response, AppError> {
    let tr = member.user.tr();
    let action = Action::parse(&form.value("action"))
        .ok_or_else(|| AppError::BadRequest(Message::new("review.report.choose_action")))?;
    let typed = form.value("note");
    let carried = Filter::carried(&form.value("back"));
    let duplicate_of = Some(form.value("duplicate_of")).filter(|v| !v.trim().is_empty());
    let refuse = |message: String| async {
        let draft = ActionDraft {
            error: Some(message),
            note: typed.clone(),
        };
        let template = report_template(&state, &member, id.clone(), carried.clone(), draft).await?;
        Ok::<Response, AppError>(page(StatusCode::UNPROCESSABLE_ENTITY, &template))
    };
    let note = match note_for(action, &typed) {
        Ok(note) => note,
        Err(refused) => return refuse(refused.0.in_language(tr)).await,
    };
    if action == Action::MarkDuplicate && duplicate_of.is_none() {
        return refuse(tr.t("review.report.give_reference").to_owned()).await;
    }
    let (mission_id, role) = (member.mission_id(), member.role());
    let actor = Actor::user(member.user.user_id, &member.user.username);
    let report_id = id.clone();
    let review = Review {
        action,
        note,
        duplicate_of,
    };
    let outcome = state
        .store
        .write(move |conn| review::act(conn, mission_id, &report_id, &actor, role, &review))
        .await;
    match outcome {
        // Back to the report, its actions and the way on to the next report in view: the
        // queue's filters come along, rebuilt, so the address stays within the mission.
        Ok(_) => Ok(Redirect::to(&format!(
            "/m/{}/review/reports/{id}{}#review",
            member.mission.slug,
            carrying(&carried.query_string())
        ))
        .into_response()),
        Err(StoreError::Rejected(message)) => refuse(message.in_language(member.user.tr())).await,
        Err(other) => Err(other.into()),
    }
}
