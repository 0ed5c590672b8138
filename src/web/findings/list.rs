//! The list of a mission's findings.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::store::findings::{self};
use crate::web::member::{FindingsArea, Member};
use crate::web::view::{Layout, ok};
use crate::web::{AppError, AppState};

use super::{assessment_word, stage_word};

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

pub(super) async fn list(
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
