//! A form body read strictly: every name and value must be valid UTF-8 once
//! percent-decoded. Axum's `Form` replaces bad bytes with U+FFFD, which would store
//! garbage in a report instead of saying that the body was damaged.

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

fn decode(part: &[u8]) -> Result<String, AppError> {
    let spaced: Vec<u8> = part
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(decoded)
        .map_err(|_| AppError::BadRequest(Message::new("error.form_not_text")))
}

/// Parses `application/x-www-form-urlencoded` strictly.
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &b""[..]),
            };
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_refuses_broken_text() {
        let pairs = parse(b"a=1&q.who=police&q.who=youths&text=Hello+w%C3%B6rld%21&empty=&flag")
            .expect("valid");
        assert_eq!(pairs[3], ("text".to_owned(), "Hello wörld!".to_owned()));
        assert_eq!(pairs[2].1, "youths");
        assert_eq!(pairs[5], ("flag".to_owned(), String::new()));
        assert!(parse(b"q.comments=%FF%FEabc").is_err());
        assert!(parse(b"%C3=x").is_err());
        assert!(parse(&[b'a', b'=', 0xff]).is_err(), "raw bytes too");
    }
}
