//! The preliminary statement: the published findings by topic, as a page and as Markdown.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::markdown;
use crate::store::findings::{self};
use crate::store::missions;
use crate::web::member::{FindingsArea, Member};
use crate::web::view::{Layout, ok};
use crate::web::{AppError, AppState};

use super::{assessment_word, basis_line};

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
    let findings::StatementPage {
        mission,
        published,
        levels,
    } = state
        .store
        .read(move |conn| findings::statement_page(conn, &slug, mission_id))
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

pub(super) async fn statement(
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

pub(super) async fn statement_markdown(
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
