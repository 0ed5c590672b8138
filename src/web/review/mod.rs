//! The review queue and the reviewers' report page: coordinators and leads verify,
//! dismiss, escalate, mark duplicates and comment.

mod queue;
mod report;

use crate::domain::message::Message;
use axum::Router;
use axum::routing::{get, post};

use super::{AppError, AppState};
use crate::domain::form::{FormDefinition, category_label};
use crate::domain::queue::Filter;
use crate::i18n::Tr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/review", get(queue::queue))
        .route("/review/bulk", post(queue::bulk))
        .route("/review/reports/{id}", get(report::report_page))
        .route("/review/reports/{id}/actions", post(report::act))
}

/// `?query` for a link that carries the queue's filters, or nothing without filters.
pub(super) fn carrying(query_string: &str) -> String {
    if query_string.is_empty() {
        String::new()
    } else {
        format!("?{query_string}")
    }
}

/// Reads the query string into a filter (malformed values are a 400 with the reason) and
/// the outcome of a bulk verification, if the page follows one.
pub(super) fn read_query(tr: Tr, raw: Option<&str>) -> Result<(Filter, Option<String>), AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|_| AppError::BadRequest(Message::new("review.queue.malformed")))?;
    let filter = Filter::from_pairs(&pairs).map_err(|e| AppError::BadRequest(e.0))?;
    let number = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<u32>().ok())
    };
    // Only numbers travel in the address: no text of anyone's choosing becomes a notice.
    let notice = number("verified").map(|verified| {
        let verified = tr.n("review.queue.verified", i64::from(verified));
        match number("not_verified").unwrap_or(0) {
            0 => tr.fill("review.queue.notice", &[("verified", &verified)]),
            n => tr.fill(
                "review.queue.notice_refused",
                &[
                    ("verified", &verified),
                    ("refused", &tr.n("review.queue.not_verified", i64::from(n))),
                ],
            ),
        }
    });
    Ok((filter, notice))
}

/// A report's category as its form words it, or the key when the form does not offer it
/// (a category written by an older fieldreport, a form since changed).
pub(super) fn category_text(definition: Option<&FormDefinition>, key: Option<String>) -> String {
    let key = key.unwrap_or_default();
    definition
        .and_then(|d| category_label(d, &key))
        .map_or(key.clone(), str::to_owned)
}
