//! One error type for every handler, and the pages (or JSON, under `/api/` or for a
//! client that asks only for JSON) it becomes.

use askama::Template;
use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::view::{self, Layout};
use crate::domain::message::Message;
use crate::i18n::Tr;
use crate::store::StoreError;

/// Something a request could not do, in terms a user understands.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed; the message says how.
    #[error("{0}")]
    BadRequest(Message),
    /// Signed in, but this role may not open this page.
    #[error("forbidden")]
    Forbidden,
    /// Not there, or not theirs to know about.
    #[error("not found")]
    NotFound,
    /// The request is well formed but cannot be done; the message says why.
    #[error("{0}")]
    Unprocessable(Message),
    /// A form came without its CSRF token or with a stale one.
    #[error("form token missing or wrong")]
    FormExpired,
    /// A form that fieldreport did not give to this user: sent from another site, or
    /// without a ticket that proves whose it is.
    #[error("a form from elsewhere")]
    ForeignForm,
    /// A form was posted without a live session.
    #[error("signed out")]
    SignedOut,
    /// The server is overloaded; try again shortly.
    #[error("busy")]
    Busy,
    /// The client took too long to send its request.
    #[error("request sent too slowly")]
    SlowRequest,
    /// A fault on our side. The detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Busy => AppError::Busy,
            StoreError::Conflict(message) | StoreError::Rejected(message) => {
                AppError::Unprocessable(message)
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// The title and message of an error page, attached to the response so that the
/// `render_pages` middleware can draw it as HTML or JSON in the request's language. The
/// title is a catalogue key; the message a key too, or a handler's own text (which the
/// catalogue, not knowing it as a key, gives back as it is).
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: Message,
    /// Offer a sign-in link.
    pub sign_in: bool,
}

impl ErrorPage {
    fn new(title: &'static str, message: impl Into<Message>) -> Self {
        ErrorPage {
            title,
            message: message.into(),
            sign_in: false,
        }
    }

    /// The page for a status that no handler described (a router 404 or 405, a body
    /// over the limit, an extractor that refused the input).
    fn for_status(status: StatusCode, detail: Option<String>) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::new("error.not_found", "error.not_found_text"),
            StatusCode::FORBIDDEN => Self::new("error.forbidden", "error.forbidden_text"),
            StatusCode::PAYLOAD_TOO_LARGE => Self::new("error.too_large", "error.too_large_text"),
            StatusCode::METHOD_NOT_ALLOWED => Self::new("error.method", "error.method_text"),
            StatusCode::TOO_MANY_REQUESTS => Self::new("error.too_many", "error.too_many_text"),
            s if s.is_client_error() => Self::new(
                "error.bad_request",
                detail.unwrap_or_else(|| "error.bad_request_text".to_owned()),
            ),
            _ => Self::new("error.internal", "error.internal_text"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, page) = match self {
            AppError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                ErrorPage::new("error.bad_request", message),
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                ErrorPage::for_status(StatusCode::FORBIDDEN, None),
            ),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorPage::for_status(StatusCode::NOT_FOUND, None),
            ),
            AppError::Unprocessable(message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorPage::new("error.cannot", message),
            ),
            AppError::FormExpired => (
                StatusCode::FORBIDDEN,
                ErrorPage::new("error.expired", "error.expired_text"),
            ),
            AppError::ForeignForm => (
                StatusCode::FORBIDDEN,
                ErrorPage::new("error.foreign_form", "error.foreign_form_text"),
            ),
            AppError::SignedOut => (
                StatusCode::FORBIDDEN,
                ErrorPage {
                    sign_in: true,
                    ..ErrorPage::new("error.signed_out", "error.signed_out_text")
                },
            ),
            AppError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorPage::new("error.busy", "error.busy_text"),
            ),
            AppError::SlowRequest => (
                StatusCode::REQUEST_TIMEOUT,
                ErrorPage::new("error.slow", "error.slow_text"),
            ),
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorPage::for_status(StatusCode::INTERNAL_SERVER_ERROR, None),
                )
            }
        };
        page.respond(status)
    }
}

impl ErrorPage {
    /// An empty response with this page attached, for `render_pages` to draw.
    fn respond(self, status: StatusCode) -> Response {
        let mut response = status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The response for a handler that panicked: the panic is a bug, logged with what it said;
/// the user gets the usual 500 page.
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let said = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    AppError::Internal(format!("a handler panicked: {said}")).into_response()
}

/// The router's fallback: a proper 404.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    layout: Layout,
    status: u16,
    title: String,
    message: String,
    sign_in: bool,
}

/// Turns every error status into a page: HTML for people, JSON under `/api/` and for
/// clients that ask only for JSON. Responses
/// that already carry a page of their own (a form shown again with its errors) pass.
pub async fn render_pages(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/")
        || super::client::Reply::of(request.headers()) == super::client::Reply::Json;
    let tr = Tr::new(super::language::of(request.headers()));
    let response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let described = response.extensions().get::<ErrorPage>().cloned();
    if described.is_none() && has_own_page(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let page = match described {
        Some(page) => page,
        None => {
            // Text from axum's extractors says what was wrong with the input; it is safe
            // to show for client errors and is never shown for server errors.
            let detail = axum::body::to_bytes(body, 4096)
                .await
                .ok()
                .and_then(|b| String::from_utf8(b.to_vec()).ok())
                .filter(|text| !text.trim().is_empty() && status.is_client_error());
            ErrorPage::for_status(status, detail)
        }
    };
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let rendered = if api {
        let json = serde_json::json!({
            "error": { "status": status.as_u16(), "title": tr.t(page.title), "message": page.message.in_language(tr) }
        });
        Json(json).into_response()
    } else {
        let template = ErrorTemplate {
            layout: Layout::public(tr.t(page.title), tr.lang),
            status: status.as_u16(),
            title: tr.t(page.title).to_owned(),
            message: page.message.in_language(tr),
            sign_in: page.sign_in,
        };
        view::page(status, &template)
    };
    let (rendered_parts, rendered_body) = rendered.into_parts();
    parts.headers.extend(rendered_parts.headers);
    Response::from_parts(parts, rendered_body)
}

fn has_own_page(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::middleware::from_fn;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn fails() -> Result<(), AppError> {
        Err(AppError::Internal(
            "disk I/O error at /var/secret.db".into(),
        ))
    }

    async fn fetch(path: &str) -> (StatusCode, String, String) {
        let app = Router::new()
            .route("/broken", get(fails))
            .route("/api/broken", get(fails))
            .layer(from_fn(render_pages));
        let request = Request::get(path).body(Body::empty()).expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    #[tokio::test]
    async fn internal_errors_are_a_friendly_page_that_leaks_nothing() {
        let (status, content_type, body) = fetch("/broken").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(content_type.starts_with("text/html"));
        assert!(body.contains("Something went wrong") && body.contains("try again"));
        assert!(
            !body.contains("secret") && !body.contains("disk I/O"),
            "{body}"
        );

        let (status, content_type, body) = fetch("/api/broken").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(content_type.starts_with("application/json"));
        assert!(
            body.contains("\"status\":500") && !body.contains("secret"),
            "{body}"
        );
    }
}
