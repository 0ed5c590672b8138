//! Findings (leads): drafting, evidence, publication, and the preliminary statement.

mod edit;
mod finding;
mod list;
mod statement;

use axum::Router;
use axum::routing::{get, post};

use crate::domain::finding::{Assessment, Stage};
use crate::i18n::Tr;
use crate::store::audit::Actor;
use crate::web::AppState;
use crate::web::member::{FindingsArea, Member};
use crate::web::view::level_word;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/findings", get(list::list).post(edit::create))
        .route("/findings/new", get(edit::new_finding))
        .route("/findings/{id}", get(finding::finding_page))
        .route("/findings/{id}/edit", get(edit::edit_form).post(edit::edit))
        .route("/findings/{id}/evidence", post(finding::add_evidence))
        .route(
            "/findings/{id}/evidence/{report_id}/remove",
            post(finding::remove_evidence),
        )
        .route("/findings/{id}/stage", post(finding::stage))
        .route("/statement", get(statement::statement))
        .route("/statement.md", get(statement::statement_markdown))
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
