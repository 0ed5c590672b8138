//! Findings (leads): drafting, evidence, publication, and the preliminary statement.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::member::{FindingsArea, Member};
use super::strict_form::StrictForm;
use super::view::{Layout, local_time, ok, page};
use super::{AppError, AppState};
use crate::domain::finding::{Assessment, FindingErrors, FindingText, Stage, basis};
use crate::domain::geography::{level_label, level_plural};
use crate::domain::review::Status;
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

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
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
    evidence: i64,
    verified: i64,
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
    let findings = lines
        .into_iter()
        .map(|f| FindingLineView {
            href: format!("/m/{slug}/findings/{}", f.id),
            title: f.title,
            topic: f.topic,
            assessment: f.assessment.label(),
            stage: f.stage.label(),
            evidence: f.evidence,
            verified: f.verified,
        })
        .collect();
    Ok(ok(&ListTemplate {
        layout: member.layout("Findings"),
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
    errors: FindingErrors,
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
    fn from_fields(fields: &[(String, String)]) -> Result<Draft, AppError> {
        let regions = fields
            .iter()
            .filter(|(n, _)| n == "region")
            .map(|(_, v)| {
                v.parse::<i64>()
                    .map_err(|_| AppError::BadRequest("A region in the form is malformed.".into()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Draft {
            title: field(fields, "title"),
            statement: field(fields, "statement"),
            assessment: field(fields, "assessment"),
            topic: field(fields, "topic"),
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
    let (heading, action, cancel_href) = match existing {
        Some(id) => (
            "Edit finding".to_owned(),
            format!("/m/{slug}/findings/{id}/edit"),
            format!("/m/{slug}/findings/{id}"),
        ),
        None => (
            "New finding".to_owned(),
            format!("/m/{slug}/findings"),
            format!("/m/{slug}/findings"),
        ),
    };
    let template = EditTemplate {
        layout: member.layout(&heading),
        heading,
        action,
        csrf_token: member.user.csrf_token.clone(),
        assessments: Assessment::ALL
            .iter()
            .map(|a| (a.as_str(), a.label(), draft.assessment == a.as_str()))
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

async fn create(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
    StrictForm(fields): StrictForm,
) -> Result<Response, AppError> {
    let draft = Draft::from_fields(&fields)?;
    let text = match FindingText::parse(
        &draft.title,
        &draft.statement,
        &draft.assessment,
        &draft.topic,
    ) {
        Ok(text) => text,
        Err(errors) => {
            return edit_page(
                &state,
                &member,
                None,
                draft,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (mission_id, actor) = (member.mission_id(), actor(&member));
    let regions = draft.regions;
    let id = state
        .store
        .write(move |conn| findings::create(conn, mission_id, &text, &regions, &actor))
        .await?;
    Ok(Redirect::to(&format!("/m/{}/findings/{id}", member.mission.slug)).into_response())
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
    StrictForm(fields): StrictForm,
) -> Result<Response, AppError> {
    let draft = Draft::from_fields(&fields)?;
    let text = match FindingText::parse(
        &draft.title,
        &draft.statement,
        &draft.assessment,
        &draft.topic,
    ) {
        Ok(text) => text,
        Err(errors) => {
            return edit_page(
                &state,
                &member,
                Some(id),
                draft,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (mission_id, actor) = (member.mission_id(), actor(&member));
    let regions = draft.regions;
    state
        .store
        .write(move |conn| findings::update(conn, mission_id, id, &text, &regions, &actor))
        .await?;
    Ok(Redirect::to(&format!("/m/{}/findings/{id}", member.mission.slug)).into_response())
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
    by_severity: Vec<(String, usize)>,
    by_region: Vec<(String, usize)>,
    evidence: Vec<EvidenceView>,
    moves: Vec<(&'static str, &'static str)>,
    history: Vec<HistoryView>,
    error: Option<String>,
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
    who: String,
    event: String,
    stage: &'static str,
    title: String,
    statement: String,
    published: bool,
}

/// The evidence counted by status, severity and place, and the warnings a lead must see
/// before publishing.
struct EvidenceSummary {
    by_status: Vec<(&'static str, usize)>,
    by_severity: Vec<(String, usize)>,
    by_region: Vec<(String, usize)>,
    warnings: Vec<String>,
}

fn evidence_summary(
    evidence: &[Evidence],
    top_names: &BTreeMap<String, String>,
) -> EvidenceSummary {
    let by_status = Status::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                evidence.iter().filter(|e| e.status == *s).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut severities: BTreeMap<i64, usize> = BTreeMap::new();
    let mut places: BTreeMap<String, usize> = BTreeMap::new();
    for e in evidence {
        *severities
            .entry(e.severity.map_or(0, |s| s.rank()))
            .or_default() += 1;
        let top = e.region_path.split('/').nth(1).unwrap_or_default();
        *places
            .entry(
                top_names
                    .get(top)
                    .cloned()
                    .unwrap_or_else(|| top.to_owned()),
            )
            .or_default() += 1;
    }
    let by_severity = severities
        .into_iter()
        .rev()
        .map(|(rank, n)| {
            (
                crate::domain::form::Severity::from_rank(rank)
                    .map_or("none".to_owned(), |s| s.as_str().to_owned()),
                n,
            )
        })
        .collect();
    let by_region = places.into_iter().collect();
    let mut warnings = Vec::new();
    let dismissed = evidence
        .iter()
        .filter(|e| matches!(e.status, Status::Dismissed | Status::Duplicate))
        .count();
    if dismissed > 0 {
        warnings.push(format!(
            "{dismissed} report{} of the evidence {} been dismissed or marked duplicate.",
            if dismissed == 1 { "" } else { "s" },
            if dismissed == 1 { "has" } else { "have" }
        ));
    }
    let unverified = evidence.iter().filter(|e| e.status.is_open()).count();
    if unverified > 0 {
        warnings.push(format!(
            "{unverified} report{} of the evidence {} not verified yet.",
            if unverified == 1 { "" } else { "s" },
            if unverified == 1 { "is" } else { "are" }
        ));
    }
    if evidence.is_empty() {
        warnings.push("This finding has no evidence yet.".to_owned());
    }
    EvidenceSummary {
        by_status,
        by_severity,
        by_region,
        warnings,
    }
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
    let top_names: BTreeMap<String, String> = top
        .iter()
        .map(|r| (r.code.clone(), r.name.clone()))
        .collect();
    let EvidenceSummary {
        by_status,
        by_severity,
        by_region,
        warnings,
    } = evidence_summary(&evidence, &top_names);
    let verified: Vec<&Evidence> = evidence
        .iter()
        .filter(|e| e.status == Status::Verified)
        .collect();
    let mut verified_tops: Vec<&str> = verified
        .iter()
        .filter_map(|e| e.region_path.split('/').nth(1))
        .collect();
    verified_tops.sort_unstable();
    verified_tops.dedup();
    let top_level = levels.first().map_or("region", String::as_str);
    let moves = Stage::ALL
        .iter()
        .filter(|to| crate::domain::finding::move_to(finding.stage, **to, usize::MAX).is_ok())
        .map(|to| {
            (
                to.as_str(),
                match to {
                    Stage::Draft => "Back to draft",
                    Stage::ReadyForReview => "Mark ready for review",
                    Stage::Published => "Publish",
                },
            )
        })
        .collect();
    let base_href = format!("/m/{slug}/findings/{id}");
    Ok(FindingTemplate {
        layout: member.layout(&finding.text.title),
        list_href: format!("/m/{slug}/findings"),
        queue_href: format!("/m/{slug}/review"),
        csrf_token: member.user.csrf_token.clone(),
        title: finding.text.title.clone(),
        statement: finding.text.statement.clone(),
        topic: finding.text.topic.clone(),
        assessment: finding.text.assessment.label(),
        stage: finding.stage.label(),
        regions: if finding.regions.is_empty() {
            "the whole country".to_owned()
        } else {
            finding
                .regions
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        basis: basis(
            verified.len(),
            verified_tops.len(),
            &level_label(top_level),
            &level_plural(top_level),
        ),
        warnings,
        by_status,
        by_severity,
        by_region,
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
                received_at: local_time(e.received_at, zone),
                note: e.note.clone(),
            })
            .collect(),
        moves,
        history: history
            .into_iter()
            .map(|h: HistoryEntry| HistoryView {
                at: local_time(h.at, zone),
                who: h.actor.unwrap_or_else(|| "someone".to_owned()),
                event: if h.detail.is_empty() {
                    h.event
                } else {
                    format!("{}: {}", h.event, h.detail)
                },
                stage: h.stage.label(),
                published: h.stage == Stage::Published,
                title: h.text.title,
                statement: h.text.statement,
            })
            .collect(),
        error,
        base_href,
    })
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
    StrictForm(fields): StrictForm,
) -> Result<Response, AppError> {
    let references: Vec<String> = field(&fields, "references")
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    if references.is_empty() {
        return refused(
            &state,
            &member,
            id,
            "Give the reference of at least one report.".into(),
        )
        .await;
    }
    let note = field(&fields, "note")
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
        Err(StoreError::Rejected(message)) => refused(&state, &member, id, message).await,
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
    StrictForm(fields): StrictForm,
) -> Result<Response, AppError> {
    let to = Stage::parse(&field(&fields, "to"))
        .ok_or_else(|| AppError::BadRequest("Choose where the finding goes.".into()))?;
    let (mission_id, actor) = (member.mission_id(), actor(&member));
    match state
        .store
        .write(move |conn| findings::set_stage(conn, mission_id, id, to, &actor))
        .await
    {
        Ok(_) => Ok(back_to(&member, id, "stage")),
        Err(StoreError::Rejected(message)) => refused(&state, &member, id, message).await,
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
            title: p.finding.text.title.clone(),
            assessment: p.finding.text.assessment.label(),
            statement: p.finding.text.statement.clone(),
            basis: basis(
                p.verified_reports,
                p.regions,
                &level_label(top_level),
                &level_plural(top_level),
            ),
            regions: p
                .finding
                .regions
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        match topics.iter_mut().find(|t| t.topic == p.finding.text.topic) {
            Some(topic) => topic.findings.push(view),
            None => topics.push(TopicView {
                topic: p.finding.text.topic.clone(),
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
        layout: member.layout("Preliminary statement"),
        markdown_href: format!("/m/{}/statement.md", member.mission.slug),
        mission_name: mission.name,
        country: mission.country,
        election_date: mission.election_date,
        topics,
    }))
}

/// Escapes what Markdown would read as markup at the start of a line or inline.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>#|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

async fn statement_markdown(
    State(state): State<AppState>,
    member: Member<FindingsArea>,
) -> Result<Response, AppError> {
    let (mission, topics) = statement_topics(&state, &member).await?;
    let mut md = format!(
        "# {} — preliminary statement\n\n{}, election day {}.\n",
        markdown_text(&mission.name),
        markdown_text(&mission.country),
        mission.election_date
    );
    if topics.is_empty() {
        md.push_str("\nNo finding has been published yet.\n");
    }
    for topic in &topics {
        md.push_str(&format!("\n## {}\n", markdown_text(&topic.topic)));
        for f in &topic.findings {
            md.push_str(&format!(
                "\n### {}\n\n*{}* — {}",
                markdown_text(&f.title),
                f.assessment,
                f.basis
            ));
            if !f.regions.is_empty() {
                md.push_str(&format!(" ({})", markdown_text(&f.regions)));
            }
            md.push_str(".\n\n");
            md.push_str(&markdown_text(&f.statement));
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
