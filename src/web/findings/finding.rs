//! One finding: its text, its evidence and their summary, its history, and moving it
//! between stages.

use crate::domain::message::Message;
use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::domain::finding::{EvidenceSummary, FindingEvent, Stage, move_to, summarize};
use crate::domain::form::Severity;
use crate::domain::review::Status;
use crate::i18n::Tr;
use crate::store::StoreError;
use crate::store::findings::{self, Evidence, HistoryEntry};
use crate::web::member::{FindingsArea, Member};
use crate::web::strict_form::StrictForm;
use crate::web::view::{Layout, around, local_date_time, ok, page};
use crate::web::{AppError, AppState};

use super::{actor, assessment_word, basis_line, stage_word};

#[derive(Template)]
#[template(path = "findings/finding.html")]
struct FindingTemplate {
    layout: Layout,
    base_href: String,
    list_href: String,
    queue_href: String,
    csrf_token: String,
    title: String,
    statement: String,
    topic: String,
    assessment: &'static str,
    stage: &'static str,
    regions: String,
    basis: String,
    warnings: Vec<String>,
    by_status: Vec<(&'static str, usize)>,
    /// The severity's name (for its colour), its word and how many.
    by_severity: Vec<(&'static str, &'static str, usize)>,
    by_region: Vec<(String, usize)>,
    evidence: Vec<EvidenceView>,
    moves: Vec<(&'static str, &'static str)>,
    history: Vec<HistoryView>,
    error: Option<String>,
    /// The sentence around the link to the review queue.
    from_queue: (String, String),
}

struct EvidenceView {
    href: String,
    remove_href: String,
    reference: String,
    status: &'static str,
    settled_against: bool,
    severity: String,
    form_title: String,
    place: String,
    received_at: String,
    note: String,
}

struct HistoryView {
    at: String,
    /// Who did what: "lead: evidence added: TE-ABC123".
    line: String,
    stage: &'static str,
    title: String,
    statement: String,
    published: bool,
}

async fn finding_template(
    state: &AppState,
    member: &Member<FindingsArea>,
    id: i64,
    error: Option<String>,
) -> Result<FindingTemplate, AppError> {
    let mission_id = member.mission_id();
    let findings::FindingPage {
        finding,
        evidence,
        history,
        top_regions: top,
        levels,
    } = state
        .store
        .read(move |conn| findings::finding_page(conn, mission_id, id))
        .await?;
    let slug = &member.mission.slug;
    let zone = &member.mission.time_zone;
    let tr = member.user.tr();
    let top_names: BTreeMap<String, String> = top
        .iter()
        .map(|r| (r.code.clone(), r.name.clone()))
        .collect();
    let summary = summarize(&evidence.iter().map(Evidence::item).collect::<Vec<_>>());
    let top_level = levels.first().map_or("region", String::as_str);
    let moves = Stage::ALL
        .iter()
        .filter(|to| move_to(finding.stage, **to, summary.verified).is_ok())
        .filter(|to| {
            **to != Stage::Published
                || finding.stage != Stage::Published
                || finding.has_unpublished_changes()
        })
        .map(|to| {
            let label = match (finding.stage, to) {
                (Stage::Published, Stage::Published) => tr.t("findings.finding.publish_changes"),
                (_, Stage::Draft) => tr.t("findings.finding.back_to_draft"),
                (_, Stage::ReadyForReview) => tr.t("findings.finding.mark_ready"),
                (_, Stage::Published) => tr.t("findings.finding.publish"),
            };
            (to.as_str(), label)
        })
        .collect();
    let mut warnings = evidence_warnings(tr, &summary, evidence.is_empty());
    if finding.stage == Stage::Published && summary.verified == 0 {
        warnings.push(tr.t("findings.finding.no_backing").to_owned());
    }
    if finding.has_unpublished_changes() {
        warnings.push(tr.t("findings.finding.changed").to_owned());
    }
    let base_href = format!("/m/{slug}/findings/{id}");
    Ok(FindingTemplate {
        layout: member.layout(&finding.text.title),
        from_queue: around(tr.t("findings.finding.from_queue"), "{queue}"),
        list_href: format!("/m/{slug}/findings"),
        queue_href: format!("/m/{slug}/review"),
        csrf_token: crate::web::csrf::masked(&member.user.csrf_token),
        title: finding.text.title.clone(),
        statement: finding.text.statement.clone(),
        topic: finding.text.topic.clone(),
        assessment: assessment_word(tr, finding.text.assessment),
        stage: stage_word(tr, finding.stage),
        regions: if finding.regions.is_empty() {
            tr.t("findings.finding.whole_country").to_owned()
        } else {
            finding
                .regions
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        basis: basis_line(tr, summary.verified, summary.verified_regions, top_level),
        warnings,
        by_status: summary
            .by_status
            .iter()
            .map(|(s, n)| (s.as_str(), *n))
            .collect(),
        by_severity: summary
            .by_severity
            .iter()
            .map(|(s, n)| match s {
                Some(s) => (s.as_str(), severity_word(tr, *s), *n),
                None => ("none", tr.t("findings.finding.no_severity"), *n),
            })
            .collect(),
        by_region: summary
            .by_region
            .iter()
            .map(|(code, n)| {
                (
                    top_names.get(code).cloned().unwrap_or_else(|| code.clone()),
                    *n,
                )
            })
            .collect(),
        evidence: evidence
            .iter()
            .map(|e| EvidenceView {
                href: format!("/m/{slug}/review/reports/{}", e.report_id),
                remove_href: format!("{base_href}/evidence/{}/remove", e.report_id),
                reference: e.reference.clone(),
                status: e.status.as_str(),
                settled_against: matches!(e.status, Status::Dismissed | Status::Duplicate),
                severity: e
                    .severity
                    .map_or_else(String::new, |s| s.as_str().to_owned()),
                form_title: e.form_title.clone(),
                place: e.region_name.clone(),
                received_at: local_date_time(tr, e.received_at, zone),
                note: e.note.clone(),
            })
            .collect(),
        moves,
        history: history
            .into_iter()
            .map(|h: HistoryEntry| HistoryView {
                at: local_date_time(tr, h.at, zone),
                line: history_line(tr, &h),
                stage: stage_word(tr, h.stage),
                published: h.stage == Stage::Published,
                title: h.text.title,
                statement: h.text.statement,
            })
            .collect(),
        error,
        base_href,
    })
}

/// What the page warns about a finding's evidence: none yet, some set aside, some not
/// verified yet (counted from the summary, worded in the page's language).
fn evidence_warnings(tr: Tr, summary: &EvidenceSummary, no_evidence: bool) -> Vec<String> {
    let count = |pred: fn(Status) -> bool| -> usize {
        summary
            .by_status
            .iter()
            .filter(|(s, _)| pred(*s))
            .map(|(_, n)| n)
            .sum()
    };
    let mut warnings = Vec::new();
    if no_evidence {
        warnings.push(tr.t("findings.finding.no_evidence").to_owned());
    }
    let set_aside = count(|s| matches!(s, Status::Dismissed | Status::Duplicate));
    if set_aside > 0 {
        warnings.push(tr.n("findings.finding.set_aside", set_aside));
    }
    let open = count(Status::is_open);
    if open > 0 {
        warnings.push(tr.n("findings.finding.not_verified", open));
    }
    warnings
}

/// A severity in the page's language.
fn severity_word(tr: Tr, severity: Severity) -> &'static str {
    match severity {
        Severity::Low => tr.t("severity.low"),
        Severity::Medium => tr.t("severity.medium"),
        Severity::High => tr.t("severity.high"),
        Severity::Critical => tr.t("severity.critical"),
    }
}

/// One line of a finding's history: who, and what happened in the page's language (an
/// event the code does not know is shown as stored).
fn history_line(tr: Tr, entry: &HistoryEntry) -> String {
    let event = match entry.event {
        FindingEvent::Created => tr.t("findings.event.created"),
        FindingEvent::Edited => tr.t("findings.event.edited"),
        FindingEvent::EvidenceAdded => tr.t("findings.event.evidence_added"),
        FindingEvent::EvidenceRemoved => tr.t("findings.event.evidence_removed"),
        FindingEvent::Stage => tr.t("findings.event.stage"),
    };
    // A stage move says where it went; evidence events list the references.
    let detail = match entry.event {
        FindingEvent::Stage => stage_word(tr, entry.stage),
        _ => entry.detail.as_str(),
    };
    let what = if detail.is_empty() {
        event.to_owned()
    } else {
        tr.fill(
            "findings.finding.event_detail",
            &[("event", event), ("detail", detail)],
        )
    };
    let who = entry
        .actor
        .as_deref()
        .unwrap_or_else(|| tr.t("findings.finding.someone"));
    tr.fill("findings.finding.by", &[("who", who), ("event", &what)])
}

pub(super) async fn finding_page(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let template = finding_template(&state, &member, id, None).await?;
    Ok(ok(&template))
}

/// Shows the finding again with the reason an action was refused.
async fn refused(
    state: &AppState,
    member: &Member<FindingsArea>,
    id: i64,
    message: String,
) -> Result<Response, AppError> {
    let template = finding_template(state, member, id, Some(message)).await?;
    Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &template))
}

fn back_to(member: &Member<FindingsArea>, id: i64, anchor: &str) -> Response {
    Redirect::to(&format!(
        "/m/{}/findings/{id}#{anchor}",
        member.mission.slug
    ))
    .into_response()
}

pub(super) async fn add_evidence(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    Path((_, id)): Path<(String, i64)>,
    form: StrictForm,
) -> Result<Response, AppError> {
    let references: Vec<String> = form
        .value("references")
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    if references.is_empty() {
        return refused(
            &state,
            &member,
            id,
            member
                .user
                .tr()
                .t("findings.finding.give_reference")
                .to_owned(),
        )
        .await;
    }
    let note = form
        .value("note")
        .trim()
        .chars()
        .take(1000)
        .collect::<String>();
    let (mission_id, actor) = (member.mission_id(), actor(&member));
    let outcome = state
        .store
        .write(move |conn| {
            findings::add_evidence_by_references(conn, mission_id, id, &references, &note, &actor)
        })
        .await;
    match outcome {
        Ok(_) => Ok(back_to(&member, id, "evidence")),
        Err(StoreError::Rejected(message)) => {
            let message = message.in_language(member.user.tr());
            refused(&state, &member, id, message).await
        }
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn remove_evidence(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    Path((_, id, report_id)): Path<(String, i64, String)>,
) -> Result<Response, AppError> {
    let (mission_id, actor) = (member.mission_id(), actor(&member));
    state
        .store
        .write(move |conn| findings::remove_evidence(conn, mission_id, id, &report_id, &actor))
        .await?;
    Ok(back_to(&member, id, "evidence"))
}

pub(super) async fn stage(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    Path((_, id)): Path<(String, i64)>,
    form: StrictForm,
) -> Result<Response, AppError> {
    let to = Stage::parse(&form.value("to"))
        .ok_or_else(|| AppError::BadRequest(Message::new("findings.finding.choose_stage")))?;
    let (mission_id, actor) = (member.mission_id(), actor(&member));
    match state
        .store
        .write(move |conn| findings::set_stage(conn, mission_id, id, to, &actor))
        .await
    {
        Ok(_) => Ok(back_to(&member, id, "stage")),
        Err(StoreError::Rejected(message)) => {
            let message = message.in_language(member.user.tr());
            refused(&state, &member, id, message).await
        }
        Err(other) => Err(other.into()),
    }
}
