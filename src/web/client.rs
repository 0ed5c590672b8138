//! Who is on the other end of a request: their address, for the sign-in throttle, and
//! whether they read pages or JSON.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::{AppState, Config};

/// The client's network as an extractor; see [`address`].
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
/// IPv6 addresses are cut to their /64, which one subscriber usually holds whole: counting
/// single addresses would let one phone rotate through millions of them.
pub fn address(parts: &Parts, config: &Config) -> String {
    let forwarded = config
        .trust_forwarded_for
        .then(|| {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty())
                .and_then(|v| v.parse::<IpAddr>().ok())
        })
        .flatten();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    forwarded
        .or(peer)
        .map_or_else(|| "unknown".to_owned(), network)
}

fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_is_counted_by_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        assert_eq!(network(a), network(b));
        assert_eq!(network(a), "2001:db8:1:2::/64");
        assert_eq!(
            network("::ffff:192.0.2.1".parse().expect("ip")),
            "192.0.2.1"
        );
        assert_eq!(network("192.0.2.1".parse().expect("ip")), "192.0.2.1");
    }
}

/// What a client wants back: pages for a person's browser, JSON for a script such as the
/// observer's outbox, which asks for nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Page,
    Json,
}

impl Reply {
    pub fn of(headers: &HeaderMap) -> Reply {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if accept.contains("application/json") && !accept.contains("text/html") {
            Reply::Json
        } else {
            Reply::Page
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Reply {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Reply::of(&parts.headers))
    }
}
