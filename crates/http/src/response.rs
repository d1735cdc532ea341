//! Builds HTTP responses: errors, reads with Content-Range, and the `response.*` overrides set in SQL.

use crate::ApiError;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Response, StatusCode};
use restgres_config::ErrorVerbosity;
use restgres_db::DbOutcome;
use restgres_plan::{OutputFormat, ReadRequest};
use restgres_request::prefer::CountPref;
use serde_json::Value;

pub use crate::body::Body;

/// A response before it becomes hyper's: status, headers in order, body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// A streamed body's rest, after `body`.
    pub tail: Option<restgres_db::BodyTail>,
}

impl Reply {
    pub fn new(status: StatusCode, headers: Vec<(String, String)>, body: Bytes) -> Reply {
        Reply {
            status,
            headers,
            body,
            tail: None,
        }
    }

    /// Into a hyper response; headers that are not valid HTTP are dropped rather than failing the request.
    pub fn into_response(self, head: bool) -> Response<Body> {
        let body = Body::new(self.body, self.tail);
        let len = body.len();
        // HEAD: the size a GET would send, and no body (a streamed rest is dropped, which ends its query).
        let body = if head { Body::empty() } else { body };
        let mut resp = Response::new(body);
        *resp.status_mut() = self.status;
        let headers = resp.headers_mut();
        for (k, v) in self.headers {
            if let (Ok(k), Ok(v)) = (
                HeaderName::try_from(k.as_str()),
                HeaderValue::try_from(v.as_str()),
            ) {
                headers.append(k, v);
            }
        }
        if !head && !headers.contains_key(CONTENT_LENGTH) {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
        }
        resp
    }
}

/// The error response: PostgREST's JSON body, `Proxy-Status`, and the error's own headers.
pub fn error_reply(err: &ApiError, verbosity: ErrorVerbosity) -> Reply {
    let parts = err.parts();
    let body = Bytes::from(parts.body(verbosity).to_string());
    let mut headers = vec![
        (
            CONTENT_TYPE.to_string(),
            "application/json; charset=utf-8".to_string(),
        ),
        (
            "Proxy-Status".to_string(),
            format!("PostgREST; error={}", parts.code),
        ),
    ];
    headers.extend(parts.headers);
    Reply::new(parts.status, headers, body)
}

/// `Content-Range` and the status it implies (200, 206 or 416), as PostgREST computes them.
pub fn range_status(lower: i64, page_total: i64, total: Option<i64>) -> (StatusCode, String) {
    let upper = lower + page_total - 1;
    let total_str = total.map_or_else(|| "*".to_string(), |t| t.to_string());
    let header = if total != Some(0) && lower <= upper {
        format!("{lower}-{upper}/{total_str}")
    } else {
        format!("*/{total_str}")
    };
    let status = match total {
        None => StatusCode::OK,
        Some(t) if lower > t => StatusCode::RANGE_NOT_SATISFIABLE,
        Some(t) if (1 + upper - lower) < t => StatusCode::PARTIAL_CONTENT,
        Some(_) => StatusCode::OK,
    };
    (status, header)
}

/// Extra headers of a read besides Content-Range and Content-Type.
pub struct ReadHeaders {
    pub content_location: String,
    pub content_profile: Option<String>,
    pub preference_applied: Option<String>,
}

/// The total a read reports for its `count=` preference: exact, the planner's estimate, or (estimated) exact
/// up to `db-max-rows` and the estimate beyond.
fn resolved_total(req: &ReadRequest, outcome: &DbOutcome) -> Option<i64> {
    match req.count {
        None => None,
        Some(CountPref::Exact) => outcome.total,
        Some(CountPref::Planned) => outcome.plan_rows,
        Some(CountPref::Estimated) => match (req.max_rows, outcome.total) {
            (Some(max), Some(t)) if t > max => outcome.plan_rows.or(Some(t)),
            (_, t) => t,
        },
    }
}

/// The response of a read: a GET/HEAD on a table or view, or a function's result.
pub fn read_reply(
    req: &ReadRequest,
    mut outcome: DbOutcome,
    extra: ReadHeaders,
    verbosity: ErrorVerbosity,
) -> Result<Reply, ApiError> {
    let total = resolved_total(req, &outcome);
    if let OutputFormat::Object { .. } = req.format {
        if outcome.page_total != 1 {
            return Err(ApiError::Singularity {
                rows: outcome.page_total,
            });
        }
    }
    let lower = req.requested_range.offset;
    let (status, content_range) = range_status(lower, outcome.page_total, total);
    let mut headers = vec![
        ("Content-Range".to_string(), content_range),
        ("Content-Location".to_string(), extra.content_location),
        (CONTENT_TYPE.to_string(), req.format.media_type().content_type()),
    ];
    if let Some(p) = extra.content_profile {
        headers.push(("Content-Profile".to_string(), p));
    }
    if let Some(p) = extra.preference_applied {
        headers.push(("Preference-Applied".to_string(), p));
    }
    let (body, tail) = if status == StatusCode::RANGE_NOT_SATISFIABLE {
        let err = ApiError::RangeOutOfBounds {
            lower,
            total: total.unwrap_or(0),
        };
        let parts = err.parts();
        (Bytes::from(parts.body(verbosity).to_string()), None)
    } else {
        (
            Bytes::from(std::mem::take(&mut outcome.body)),
            outcome.tail.take(),
        )
    };
    let mut reply = reply_with_overrides(&outcome, status, headers, body)?;
    reply.tail = tail;
    Ok(reply)
}

/// The reply a statement's result gives, after the `response.status`/`response.headers` it set in SQL.
pub fn reply_with_overrides(
    outcome: &DbOutcome,
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: Bytes,
) -> Result<Reply, ApiError> {
    let (status, headers) = override_status_headers(
        outcome.response_status.as_deref(),
        outcome.response_headers.as_deref(),
        status,
        headers,
    )?;
    Ok(Reply::new(status, headers, body))
}

/// Applies `response.status` and `response.headers` set in SQL; SQL's headers replace built-in ones.
pub fn override_status_headers(
    guc_status: Option<&str>,
    guc_headers: Option<&str>,
    status: StatusCode,
    mut headers: Vec<(String, String)>,
) -> Result<(StatusCode, Vec<(String, String)>), ApiError> {
    let status = match guc_status {
        None => status,
        Some(s) => {
            let digits: String = s.trim_start().chars().take_while(char::is_ascii_digit).collect();
            let code = digits.parse::<u16>().map_err(|_| ApiError::GucStatus)?;
            StatusCode::from_u16(code).map_err(|_| ApiError::GucStatus)?
        }
    };
    if let Some(raw) = guc_headers {
        let parsed: Value = serde_json::from_str(raw).map_err(|_| ApiError::GucHeaders)?;
        let Value::Array(items) = parsed else {
            return Err(ApiError::GucHeaders);
        };
        let mut extra = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::Object(map) if map.len() == 1 => {
                    for (k, v) in map {
                        let Value::String(v) = v else {
                            return Err(ApiError::GucHeaders);
                        };
                        extra.push((k, v));
                    }
                }
                _ => return Err(ApiError::GucHeaders),
            }
        }
        headers.retain(|(k, _)| !extra.iter().any(|(e, _)| e.eq_ignore_ascii_case(k)));
        headers.extend(extra);
    }
    Ok((status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(range_status(0, 3, None), (StatusCode::OK, "0-2/*".into()));
        assert_eq!(range_status(0, 3, Some(3)), (StatusCode::OK, "0-2/3".into()));
        assert_eq!(
            range_status(0, 2, Some(3)),
            (StatusCode::PARTIAL_CONTENT, "0-1/3".into())
        );
        assert_eq!(
            range_status(1, 2, Some(3)),
            (StatusCode::PARTIAL_CONTENT, "1-2/3".into())
        );
        assert_eq!(range_status(0, 0, None), (StatusCode::OK, "*/*".into()));
        assert_eq!(range_status(0, 0, Some(0)), (StatusCode::OK, "*/0".into()));
        assert_eq!(
            range_status(5, 0, Some(3)),
            (StatusCode::RANGE_NOT_SATISFIABLE, "*/3".into())
        );
        // An offset equal to the total is not past it: PostgREST answers 206 with an empty page.
        assert_eq!(
            range_status(3, 0, Some(3)),
            (StatusCode::PARTIAL_CONTENT, "*/3".into())
        );
    }

    #[test]
    fn guc_overrides() {
        let base = vec![("Content-Type".to_string(), "application/json".to_string())];
        let (s, h) = override_status_headers(
            Some("202"),
            Some(r#"[{"content-type":"text/plain"},{"Set-Cookie":"a=1"},{"Set-Cookie":"b=2"}]"#),
            StatusCode::OK,
            base.clone(),
        )
        .unwrap();
        assert_eq!(s, StatusCode::ACCEPTED);
        assert_eq!(
            h,
            vec![
                ("content-type".to_string(), "text/plain".to_string()),
                ("Set-Cookie".to_string(), "a=1".to_string()),
                ("Set-Cookie".to_string(), "b=2".to_string())
            ]
        );
        assert!(matches!(
            override_status_headers(Some("abc"), None, StatusCode::OK, base.clone()),
            Err(ApiError::GucStatus)
        ));
        assert!(matches!(
            override_status_headers(Some("42"), None, StatusCode::OK, base.clone()),
            Err(ApiError::GucStatus)
        ));
        for bad in [
            r#"{"a":"b"}"#,
            r#"[{"a":1}]"#,
            r#"[{"a":"b","c":"d"}]"#,
            "nope",
            "[1]",
        ] {
            assert!(
                matches!(
                    override_status_headers(None, Some(bad), StatusCode::OK, base.clone()),
                    Err(ApiError::GucHeaders)
                ),
                "{bad}"
            );
        }
    }
}
