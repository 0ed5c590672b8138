//! Findings (leads): drafting, evidence, publication, and the preliminary statement.

use crate::domain::message::Message;
use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::member::{FindingsArea, Member};
use super::strict_form::StrictForm;
use super::view::{Layout, around, level_word, local_date_time, ok, page};
use super::{AppError, AppState};
use crate::domain::finding::{
    Assessment, EvidenceSummary, FindingErrors, FindingEvent, FindingText, Stage, move_to,
    summarize,
};
use crate::domain::form::Severity;
use crate::domain::markdown;
use crate::domain::review::Status;
use crate::i18n::Tr;
use crate::store::audit::Actor;
use crate::store::findings::{self, Evidence, Finding, HistoryEntry};
use crate::store::regions::{self, Region};
use crate::store::{StoreError, missions};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/findings", get(list).post(create))
        .route("/findings/new", get(new_finding))
        .route("/findings/{id}", get(finding_page))
        .route("/findings/{id}/edit", get(edit_form).post(edit))
        .route("/findings/{id}/evidence", post(add_evidence))
        .route(
            "/findings/{id}/evidence/{report_id}/remove",
            post(remove_evidence),
        )
        .route("/findings/{id}/stage", post(stage))
        .route("/statement", get(statement))
        .route("/statement.md", get(statement_markdown))
}

fn actor(member: &Member<FindingsArea>) -> Actor {
    Actor::user(member.user.user_id, &member.user.username)
}

/// An assessment in the page's language.
fn assessment_word(tr: Tr, assessment: Assessment) -> &'static str {
    match assessment {
        Assessment::Positive => tr.t("findings.assessment.positive"),
        Assessment::Mixed => tr.t("findings.assessment.mixed"),
        Assessment::Negative => tr.t("findings.assessment.negative"),
        Assessment::SeriousConcern => tr.t("findings.assessment.serious_concern"),
    }
}

/// A stage in the page's language.
fn stage_word(tr: Tr, stage: Stage) -> &'static str {
    match stage {
        Stage::Draft => tr.t("findings.stage.draft"),
        Stage::ReadyForReview => tr.t("findings.stage.ready"),
        Stage::Published => tr.t("findings.stage.published"),
    }
}

/// "based on 34 verified reports from 12 counties", in the page's language; the level
/// (`county`) is the mission's own name for its top level of regions.
fn basis_line(tr: Tr, verified_reports: usize, regions: usize, top_level: &str) -> String {
    let places = tr
        .n("findings.basis.places", regions)
        .replace("{level}", &level_word(tr, top_level, false))
        .replace("{levels}", &level_word(tr, top_level, true));
    tr.fill(
        "findings.basis.line",
        &[
            ("reports", &tr.n("findings.basis.reports", verified_reports)),
            ("places", &places),
        ],
    )
}

// ----- the list -----

#[derive(Template)]
#[template(path = "findings/list.html")]
struct ListTemplate {
    layout: Layout,
    new_href: String,
    statement_href: String,
    findings: Vec<FindingLineView>,
}

struct FindingLineView {
    href: String,
    title: String,
    topic: String,
    assessment: &'static str,
    stage: &'static str,
    /// "2 verified of 3".
    evidence: String,
}

async fn list(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
) -> Result<Response, AppError> {
    let mission_id = member.mission_id();
    let lines = state
        .store
        .read(move |conn| findings::list(conn, mission_id))
        .await?;
    let slug = &member.mission.slug;
    let tr = member.user.tr();
    let findings = lines
        .into_iter()
        .map(|f| FindingLineView {
            href: format!("/m/{slug}/findings/{}", f.id),
            title: f.title,
            topic: f.topic,
            assessment: assessment_word(tr, f.assessment),
            stage: stage_word(tr, f.stage),
            evidence: tr.fill(
                "findings.list.verified_of",
                &[
                    ("verified", &tr.n("findings.list.verified", f.verified)),
                    ("total", &tr.number(f.evidence)),
                ],
            ),
        })
        .collect();
    Ok(ok(&ListTemplate {
        layout: member.layout(tr.t("nav.findings")),
        new_href: format!("/m/{slug}/findings/new"),
        statement_href: format!("/m/{slug}/statement"),
        findings,
    }))
}

// ----- writing a finding -----

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
    let (top, topics) = state
        .store
        .read(move |conn| {
            Ok((
                regions::children(conn, mission_id, None, 500)?,
                findings::topics(conn, mission_id)?,
            ))
        })
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
        csrf_token: super::csrf::masked(&member.user.csrf_token),
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

async fn new_finding(
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

async fn create(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    form: StrictForm,
) -> Result<Response, AppError> {
    save(&state, &member, None, &form).await
}

async fn edit_form(
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

async fn edit(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    Path((_, id)): Path<(String, i64)>,
    form: StrictForm,
) -> Result<Response, AppError> {
    save(&state, &member, Some(id), &form).await
}

// ----- one finding -----

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
    let (finding, evidence, history, top, levels) = state
        .store
        .read(move |conn| {
            Ok((
                findings::get(conn, mission_id, id)?,
                findings::evidence(conn, id)?,
                findings::history(conn, id)?,
                regions::children(conn, mission_id, None, 500)?,
                regions::levels(conn, mission_id)?,
            ))
        })
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
        csrf_token: super::csrf::masked(&member.user.csrf_token),
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

async fn finding_page(
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

async fn add_evidence(
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
            let mut added = 0;
            for reference in &references {
                added += findings::add_evidence_by_reference(
                    conn, mission_id, id, reference, &note, &actor,
                )?;
            }
            Ok(added)
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

async fn remove_evidence(
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

async fn stage(
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

// ----- the preliminary statement -----

#[derive(Template)]
#[template(path = "findings/statement.html")]
struct StatementTemplate {
    layout: Layout,
    mission_name: String,
    country: String,
    election_date: String,
    markdown_href: String,
    topics: Vec<TopicView>,
}

struct TopicView {
    topic: String,
    findings: Vec<PublishedView>,
}

struct PublishedView {
    title: String,
    assessment: &'static str,
    statement: String,
    basis: String,
    regions: String,
}

/// The published findings grouped by topic, with their basis lines.
async fn statement_topics(
    state: &AppState,
    member: &Member<FindingsArea>,
) -> Result<(missions::Mission, Vec<TopicView>), AppError> {
    let tr = member.user.tr();
    let (mission_id, slug) = (member.mission_id(), member.mission.slug.clone());
    let (mission, published, levels) = state
        .store
        .read(move |conn| {
            Ok((
                missions::by_slug(conn, &slug)?,
                findings::published(conn, mission_id)?,
                regions::levels(conn, mission_id)?,
            ))
        })
        .await?;
    let top_level = levels.first().map_or("region", String::as_str);
    let mut topics: Vec<TopicView> = Vec::new();
    for p in published {
        let view = PublishedView {
            title: p.text.title.clone(),
            assessment: assessment_word(tr, p.text.assessment),
            statement: p.text.statement.clone(),
            basis: basis_line(tr, p.verified_reports, p.regions, top_level),
            regions: p
                .finding
                .regions
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        // "Opening" and "opening" are one topic: the first spelling met names it.
        let topic = p.text.topic.to_lowercase();
        match topics.iter_mut().find(|t| t.topic.to_lowercase() == topic) {
            Some(existing) => existing.findings.push(view),
            None => topics.push(TopicView {
                topic: p.text.topic.clone(),
                findings: vec![view],
            }),
        }
    }
    Ok((mission, topics))
}

async fn statement(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
) -> Result<Response, AppError> {
    let (mission, topics) = statement_topics(&state, &member).await?;
    Ok(ok(&StatementTemplate {
        layout: member.layout(member.user.tr().t("findings.statement.title")),
        markdown_href: format!("/m/{}/statement.md", member.mission.slug),
        mission_name: mission.name,
        country: mission.country,
        election_date: mission.election_date,
        topics,
    }))
}

async fn statement_markdown(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
) -> Result<Response, AppError> {
    let (mission, topics) = statement_topics(&state, &member).await?;
    let tr = member.user.tr();
    let mut md = format!(
        "# {}\n\n{}\n",
        tr.fill(
            "findings.statement.md_title",
            &[("name", &markdown::escape(&mission.name))]
        ),
        tr.fill(
            "findings.statement.md_intro",
            &[
                ("country", &markdown::escape(&mission.country)),
                ("date", &mission.election_date)
            ]
        ),
    );
    if topics.is_empty() {
        md.push_str(&format!("\n{}\n", tr.t("findings.statement.none")));
    }
    for topic in &topics {
        md.push_str(&format!("\n## {}\n", markdown::escape(&topic.topic)));
        for f in &topic.findings {
            md.push_str(&format!(
                "\n### {}\n\n*{}* — {}",
                markdown::escape(&f.title),
                f.assessment,
                f.basis
            ));
            if !f.regions.is_empty() {
                md.push_str(&format!(" ({})", markdown::escape(&f.regions)));
            }
            md.push_str(".\n\n");
            md.push_str(&markdown::escape(&f.statement));
            md.push('\n');
        }
    }
    let file = format!(
        "attachment; filename=\"{}-statement.md\"",
        member.mission.slug
    );
    let mut response = (StatusCode::OK, md).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
