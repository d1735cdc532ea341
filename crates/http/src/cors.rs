//! CORS as PostgREST applies it (wai-cors with PostgREST's policy): permissive by default, restricted by
//! `server-cors-allowed-origins`, preflights answered without touching the database.

use crate::response::Reply;
use http::{HeaderMap, Method, StatusCode};

const METHODS: &str = "GET, POST, PATCH, PUT, DELETE, OPTIONS";
const EXPOSED: &str =
    "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit";
/// One day, as PostgREST sets it.
const MAX_AGE: &str = "86400";

/// The CORS headers for a request with an `Origin`, or `None` (no Origin, or an origin not allowed: the
/// request then proceeds without CORS headers).
fn origin_headers(origin: Option<&str>, allowed: Option<&[String]>) -> Option<Vec<(String, String)>> {
    let origin = origin?;
    match allowed {
        None => Some(vec![("Access-Control-Allow-Origin".into(), "*".into())]),
        Some(list) if list.iter().any(|o| o == origin) => Some(vec![
            ("Access-Control-Allow-Origin".into(), origin.to_string()),
            ("Access-Control-Allow-Credentials".into(), "true".into()),
        ]),
        Some(_) => None,
    }
}

/// A preflight (`OPTIONS` with `Access-Control-Request-Method` and an allowed `Origin`) is answered here.
pub fn preflight(method: &Method, headers: &HeaderMap, allowed: Option<&[String]>) -> Option<Reply> {
    if *method != Method::OPTIONS || !headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let mut out = origin_headers(origin(headers), allowed)?;
    let requested: Vec<String> = headers
        .get(http::header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let allow_headers = std::iter::once("Authorization".to_string())
        .chain(requested)
        .collect::<Vec<_>>()
        .join(", ");
    out.push(("Access-Control-Allow-Methods".into(), METHODS.into()));
    out.push(("Access-Control-Allow-Headers".into(), allow_headers));
    out.push(("Access-Control-Max-Age".into(), MAX_AGE.into()));
    Some(Reply {
        status: StatusCode::OK,
        headers: out,
        body: bytes::Bytes::new(),
        tail: None,
    })
}

/// The request's `Origin`, if readable.
pub fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(http::header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// Adds the CORS headers of an actual (non-preflight) request to its response.
pub fn decorate(reply: &mut Reply, origin: Option<&str>, allowed: Option<&[String]>) {
    if let Some(mut h) = origin_headers(origin, allowed) {
        h.push(("Access-Control-Expose-Headers".into(), EXPOSED.into()));
        // An Allow-Origin set by the response (e.g. OPTIONS) is replaced, not duplicated.
        reply
            .headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("Access-Control-Allow-Origin"));
        reply.headers.extend(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn preflight_answers_allowed_origins() {
        let h = headers(&[
            ("origin", "http://a.test"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "Content-Type, Prefer"),
        ]);
        let r = preflight(&Method::OPTIONS, &h, None).unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert!(r
            .headers
            .contains(&("Access-Control-Allow-Origin".into(), "*".into())));
        assert!(r.headers.contains(&(
            "Access-Control-Allow-Headers".into(),
            "Authorization, Content-Type, Prefer".into()
        )));
        assert!(r
            .headers
            .contains(&("Access-Control-Max-Age".into(), "86400".into())));
        let list = vec!["http://b.test".to_string()];
        assert!(preflight(&Method::OPTIONS, &h, Some(&list)).is_none());
        assert!(preflight(&Method::GET, &h, None).is_none());
    }

    #[test]
    fn actual_requests_get_origin_and_exposed_headers() {
        let list = vec!["http://a.test".to_string()];
        let mut r = Reply {
            status: StatusCode::OK,
            headers: vec![],
            body: bytes::Bytes::new(),
            tail: None,
        };
        decorate(&mut r, Some("http://a.test"), Some(&list));
        assert!(r
            .headers
            .contains(&("Access-Control-Allow-Origin".into(), "http://a.test".into())));
        assert!(r
            .headers
            .contains(&("Access-Control-Allow-Credentials".into(), "true".into())));
        let mut r = Reply {
            status: StatusCode::OK,
            headers: vec![],
            body: bytes::Bytes::new(),
            tail: None,
        };
        decorate(&mut r, None, None);
        assert!(r.headers.is_empty());
    }
}
