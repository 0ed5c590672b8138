//! Who is on the other end of a request, for the sign-in throttle.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::{AppState, Config};

/// The client's network address as an extractor; see [`address`].
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(address(parts, &state.config)))
    }
}

/// The client's address: the socket's peer, or behind a trusted proxy the address the
/// proxy appended last to `X-Forwarded-For` (earlier entries are the client's to forge).
pub fn address(parts: &Parts, config: &Config) -> String {
    if config.trust_forwarded_for {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(address) = forwarded {
            return address.to_owned();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(
            || "unknown".to_owned(),
            |ConnectInfo(peer)| peer.ip().to_string(),
        )
}
