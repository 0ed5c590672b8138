//! A form body read strictly, as an extractor (the rule is `domain::form_body`).

use crate::domain::form_body;
use crate::domain::message::Message;
use axum::extract::{FromRequest, Request};

use super::AppError;

/// The fields of a form body, in order, repeated names kept (checkboxes).
pub struct StrictForm(pub Vec<(String, String)>);

impl StrictForm {
    /// The first value sent under `name`, or empty.
    pub fn value(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value sent under `name` (ticked boxes).
    pub fn values(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for StrictForm {
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_form = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(AppError::BadRequest(Message::new("error.not_a_form")));
        }
        // The body limit layer has bounded the size already.
        let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .map_err(|_| AppError::BadRequest(Message::new("error.unreadable_body")))?;
        parse(&bytes).map(StrictForm)
    }
}

/// Parses `application/x-www-form-urlencoded` strictly.
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    form_body::parse(body).map_err(AppError::BadRequest)
}
