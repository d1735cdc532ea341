//! Every error a request can end in, and its one mapping to PostgREST's status, code and JSON body.

use http::StatusCode;
use restgres_auth::JwtError;
use restgres_config::ErrorVerbosity;
use restgres_db::{DbError, PgError};
use restgres_plan::PlanError;
use restgres_request::RequestError;
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A database error; `authenticated` decides 401 or 403 for insufficient privilege.
    #[error("{err}")]
    Db { err: DbError, authenticated: bool },
    /// PGRST002, 503
    #[error("Could not query the database for the schema cache. Retrying.")]
    NoSchemaCache,
    /// PGRST103, 416: the offset is past the counted total.
    #[error("Requested range not satisfiable")]
    RangeOutOfBounds { lower: i64, total: i64 },
    /// PGRST111, 500
    #[error(
        "response.headers guc must be a JSON array composed of objects with a single key and a string value"
    )]
    GucHeaders,
    /// PGRST112, 500
    #[error("response.status guc must be a valid status code")]
    GucStatus,
    /// PGRST116, 406
    #[error("Cannot coerce the result to a single JSON object")]
    Singularity { rows: i64 },
    /// PGRST117, 405
    #[error("Unsupported HTTP method: {0}")]
    UnsupportedMethod(String),
    /// PGRST125, 404
    #[error("Invalid path specified in request URL")]
    InvalidPath,
    /// PGRST127, 400
    #[error("Feature not implemented")]
    NotImplemented(String),
    /// 413: the body is larger than the server accepts.
    #[error("The request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// PGRST102, 400
    #[error("{0}")]
    BadBody(String),
    /// PGRST115, 400
    #[error("Payload values do not match URL in primary key column(s)")]
    PutMismatch,
    /// PGRST126, 404
    #[error("Root endpoint metadata is disabled")]
    OpenApiDisabled,
    /// PGRST101, 405
    #[error("Cannot use the {0} method on RPC")]
    InvalidRpcMethod(String),
    /// PGRST124, 400
    #[error("Query result exceeds max-affected preference constraint")]
    MaxAffected { affected: i64 },
    /// PGRST102, 400
    #[error(transparent)]
    Payload(#[from] restgres_request::payload::PayloadError),
    /// PGRST300, PGRST301, PGRST302, PGRST303
    #[error(transparent)]
    Jwt(#[from] JwtError),
}

/// The response parts of an error.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorParts {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub details: Value,
    pub hint: Value,
    pub headers: Vec<(String, String)>,
}

impl ErrorParts {
    fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ErrorParts {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: code.to_string(),
            message: message.into(),
            details: Value::Null,
            hint: Value::Null,
            headers: Vec::new(),
        }
    }

    fn details(mut self, d: impl Into<String>) -> Self {
        self.details = Value::String(d.into());
        self
    }

    fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Value::String(h.into());
        self
    }

    /// The JSON body under `client-error-verbosity`.
    pub fn body(&self, verbosity: ErrorVerbosity) -> Value {
        match verbosity {
            ErrorVerbosity::Verbose => {
                json!({"code": self.code, "message": self.message, "details": self.details, "hint": self.hint})
            }
            ErrorVerbosity::Minimal => json!({"code": self.code, "message": self.message}),
        }
    }
}

/// `Retry-After` on 503 answers.
const RETRY_AFTER_SECONDS: &str = "1";

impl ApiError {
    pub fn db(err: DbError, authenticated: bool) -> Self {
        ApiError::Db { err, authenticated }
    }

    pub fn parts(&self) -> ErrorParts {
        let mut parts = self.parts_without_retry();
        // The database is away (or the cache not loaded yet): tell clients when to try again. PostgREST sends
        // no Retry-After; restgres reconnects within about a second once the database is back.
        if parts.status == StatusCode::SERVICE_UNAVAILABLE
            && !parts
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        {
            parts
                .headers
                .push(("Retry-After".into(), RETRY_AFTER_SECONDS.into()));
        }
        parts
    }

    fn parts_without_retry(&self) -> ErrorParts {
        match self {
            ApiError::Request(e) => request_parts(e),
            ApiError::Plan(e) => plan_parts(e),
            ApiError::Db { err, authenticated } => db_parts(err, *authenticated),
            ApiError::NoSchemaCache => ErrorParts::new(503, "PGRST002", self.to_string()),
            ApiError::RangeOutOfBounds { lower, total } => ErrorParts::new(416, "PGRST103", self.to_string())
                .details(format!(
                    "An offset of {lower} was requested, but there are only {total} rows."
                )),
            ApiError::GucHeaders => ErrorParts::new(500, "PGRST111", self.to_string()),
            ApiError::GucStatus => ErrorParts::new(500, "PGRST112", self.to_string()),
            ApiError::Singularity { rows } => ErrorParts::new(406, "PGRST116", self.to_string())
                .details(format!("The result contains {rows} rows")),
            ApiError::UnsupportedMethod(_) => ErrorParts::new(405, "PGRST117", self.to_string()),
            ApiError::InvalidPath => ErrorParts::new(404, "PGRST125", self.to_string()),
            ApiError::NotImplemented(d) => {
                ErrorParts::new(400, "PGRST127", self.to_string()).details(d.clone())
            }
            ApiError::Jwt(e) => jwt_parts(e),
            ApiError::PayloadTooLarge { .. } => ErrorParts::new(413, "PGRST102", self.to_string()),
            ApiError::BadBody(_) | ApiError::Payload(_) => ErrorParts::new(400, "PGRST102", self.to_string()),
            ApiError::OpenApiDisabled => ErrorParts::new(404, "PGRST126", self.to_string()),
            ApiError::InvalidRpcMethod(_) => ErrorParts::new(405, "PGRST101", self.to_string()),
            ApiError::PutMismatch => ErrorParts::new(400, "PGRST115", self.to_string()),
            ApiError::MaxAffected { affected } => ErrorParts::new(400, "PGRST124", self.to_string())
                .details(format!("The query affects {affected} rows")),
        }
    }
}

fn jwt_parts(e: &JwtError) -> ErrorParts {
    let message = e.to_string();
    let status = if matches!(e, JwtError::SecretMissing) {
        500
    } else {
        401
    };
    let mut p = ErrorParts::new(status, e.code(), message.clone());
    if let Some(d) = e.details() {
        p.details = Value::String(d.to_string());
    }
    match e {
        JwtError::SecretMissing => {}
        JwtError::TokenRequired => p.headers.push(("WWW-Authenticate".into(), "Bearer".into())),
        // RFC 6750: the description is a quoted string (PostgREST writes Haskell's `show` of the message).
        _ => p.headers.push((
            "WWW-Authenticate".into(),
            format!(
                "Bearer error=\"invalid_token\", error_description={}",
                quoted(&message)
            ),
        )),
    }
    p
}

/// A double-quoted string with `"` and `\\` escaped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn request_parts(e: &RequestError) -> ErrorParts {
    match e {
        RequestError::Parse { message, details } => {
            ErrorParts::new(400, "PGRST100", message.clone()).details(details.clone())
        }
        RequestError::InvalidRange { details } => {
            ErrorParts::new(416, "PGRST103", e.to_string()).details(details.clone())
        }
        RequestError::InvalidPreferences { invalid } => ErrorParts::new(400, "PGRST122", e.to_string())
            .details(format!("Invalid preferences: {}", invalid.join(", "))),
    }
}

fn plan_parts(e: &PlanError) -> ErrorParts {
    let msg = e.to_string();
    match e {
        PlanError::Request(r) => request_parts(r),
        PlanError::TableNotFound { schema, suggestion, .. } => {
            let p = ErrorParts::new(404, "PGRST205", msg);
            match suggestion {
                Some(s) => p.hint(format!("Perhaps you meant the table '{schema}.{s}'")),
                None => p,
            }
        }
        PlanError::UnacceptableSchema { allowed, .. } => ErrorParts::new(406, "PGRST106", msg)
            .hint(format!("Only the following schemas are exposed: {}", allowed.join(", "))),
        PlanError::NotAcceptable { .. } => ErrorParts::new(406, "PGRST107", msg),
        PlanError::NoRelationship { parent, child, schema } => ErrorParts::new(400, "PGRST200", msg).details(format!(
            "Searched for a foreign key relationship between '{parent}' and '{child}' in the schema '{schema}', but no matches were found."
        )),
        PlanError::Relationship(r) => {
            let (status, code) = match r {
                restgres_schema::RelationshipError::NotFound { .. } => (400, "PGRST200"),
                restgres_schema::RelationshipError::Ambiguous { .. } => (300, "PGRST201"),
            };
            let mut p = ErrorParts::new(status, code, msg);
            p.details = r.details();
            p.hint = r.hint().map_or(Value::Null, Value::String);
            p
        }
        PlanError::RelatedOrderNotToOne { origin, target } => ErrorParts::new(400, "PGRST118", msg)
            .details(format!("'{origin}' and '{target}' do not form a many-to-one or one-to-one relationship")),
        PlanError::NotEmbeddedAliased { name, alias } => ErrorParts::new(400, "PGRST108", msg)
            .details("Target names are not allowed in filters if they have an alias")
            .hint(format!("Change '{name}' to '{alias}' in filters, orders or limits.")),
        PlanError::ColumnNotFound { .. } => ErrorParts::new(400, "PGRST204", msg),
        PlanError::FunctionNotFound { schema, name, args, json_fallback, hint } => {
            let params = match args.len() {
                0 => " without parameters".to_string(),
                1 => format!(" with parameter {}", args.join(", ")),
                _ => format!(" with parameters {}", args.join(", ")),
            };
            let json = if *json_fallback { " or with a single unnamed json/jsonb parameter" } else { "" };
            let p = ErrorParts::new(404, "PGRST202", msg).details(format!(
                "Searched for the function {schema}.{name}{params}{json}, but no matches were found in the schema cache."
            ));
            match hint {
                Some(h) => p.hint(h.clone()),
                None => p,
            }
        }
        PlanError::AmbiguousFunction { .. } => ErrorParts::new(300, "PGRST203", msg).hint(
            "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
        ),
        PlanError::InvalidPutFilters => ErrorParts::new(405, "PGRST105", msg),
        PlanError::PutLimitNotAllowed => ErrorParts::new(400, "PGRST114", msg),
        PlanError::NotEmbedded { name } => ErrorParts::new(400, "PGRST108", msg)
            .hint(format!("Verify that '{name}' is included in the 'select' query parameter.")),
        PlanError::AggregatesDisabled => ErrorParts::new(400, "PGRST123", msg),
        PlanError::InvalidCast { cast, .. } => {
            ErrorParts::new(400, "PGRST100", msg).details(format!("invalid cast type \"{cast}\""))
        }
        PlanError::UnsupportedMethod { .. } => ErrorParts::new(405, "PGRST117", msg),
        PlanError::NotImplemented { details } => ErrorParts::new(400, "PGRST127", msg).details(details.clone()),
    }
}

fn db_parts(e: &DbError, authenticated: bool) -> ErrorParts {
    match e {
        DbError::Pg(pg) => pg_parts(pg, authenticated),
        DbError::PoolTimeout => ErrorParts::new(504, "PGRST003", e.to_string()),
        DbError::Connection(d) => ErrorParts::new(
            503,
            "PGRST000",
            "Database connection error. Retrying the connection.",
        )
        .details(d.clone()),
        DbError::Protocol(d) => {
            ErrorParts::new(500, "PGRSTX00", "Internal database library error").details(d.clone())
        }
    }
}

fn pg_parts(pg: &PgError, authenticated: bool) -> ErrorParts {
    if pg.code == "PGRST" {
        return raise_pgrst(pg);
    }
    let status = sqlstate_status(&pg.code, &pg.message, authenticated);
    let mut p = ErrorParts::new(status, &pg.code, pg.message.clone());
    p.details = pg.detail.clone().map_or(Value::Null, Value::String);
    p.hint = pg.hint.clone().map_or(Value::Null, Value::String);
    if status == 401 {
        p.headers.push(("WWW-Authenticate".into(), "Bearer".into()));
    }
    p
}

/// PostgREST's mapping from SQLSTATE to HTTP status.
pub fn sqlstate_status(code: &str, message: &str, authenticated: bool) -> u16 {
    let prefix = code.get(..2).unwrap_or("");
    match code {
        "23503" | "23505" => return 409,
        "25006" => return 405,
        "21000" => {
            return if message.ends_with("requires a WHERE clause") {
                400
            } else {
                500
            }
        }
        "22023" => {
            return if message.starts_with("role") && message.ends_with("does not exist") {
                401
            } else {
                400
            }
        }
        "53400" => return 500,
        "57P01" => return 503,
        "P0001" => return 400,
        "42883" => {
            return if message.starts_with("function xmlagg(") {
                406
            } else {
                404
            }
        }
        "42P01" => return 404,
        "42P17" => return 500,
        "42501" => return if authenticated { 403 } else { 401 },
        _ => {}
    }
    if prefix == "PT" {
        return code
            .get(2..)
            .and_then(|n| n.parse::<u16>().ok())
            .filter(|n| (100..=599).contains(n))
            .unwrap_or(500);
    }
    match prefix {
        "08" => 503,
        "09" => 500,
        "0L" | "0P" => 403,
        "25" => 500,
        "28" => 403,
        "2D" | "38" | "39" | "3B" | "40" => 500,
        "53" => 503,
        "54" | "55" | "57" | "58" | "F0" | "HV" | "P0" | "XX" => 500,
        _ => 400,
    }
}

/// `RAISE SQLSTATE 'PGRST' USING MESSAGE = '{json}', DETAIL = '{json}'`: full control of the response.
fn raise_pgrst(pg: &PgError) -> ErrorParts {
    let parse_err = |details: String, hint: &str| {
        ErrorParts::new(
            500,
            "PGRST121",
            "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
        )
        .details(details)
        .hint(hint)
    };
    let msg_hint = "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.";
    let det_hint = "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.";
    let m: Value = match serde_json::from_str(&pg.message) {
        Ok(v @ Value::Object(_))
            if v.get("code").is_some_and(Value::is_string)
                && v.get("message").is_some_and(Value::is_string) =>
        {
            v
        }
        _ => {
            return parse_err(
                format!("Invalid JSON value for MESSAGE: '{}'", pg.message),
                msg_hint,
            )
        }
    };
    let Some(detail) = &pg.detail else {
        return parse_err("DETAIL is missing in the RAISE statement".into(), det_hint);
    };
    let d: Value = match serde_json::from_str(detail) {
        Ok(v @ Value::Object(_))
            if v.get("status").is_some_and(Value::is_u64)
                && v.get("headers").is_some_and(Value::is_object) =>
        {
            v
        }
        _ => return parse_err(format!("Invalid JSON value for DETAIL: '{detail}'"), det_hint),
    };
    let status = d.get("status").and_then(Value::as_u64).unwrap_or(500) as u16;
    let text = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let mut p = ErrorParts::new(status, &text("code"), text("message"));
    p.details = m.get("details").cloned().unwrap_or(Value::Null);
    p.hint = m.get("hint").cloned().unwrap_or(Value::Null);
    if let Some(Value::Object(h)) = d.get("headers") {
        for (k, v) in h {
            if let Some(v) = v.as_str() {
                p.headers.push((k.clone(), v.to_string()));
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates() {
        let cases = [
            ("08006", 503),
            ("09000", 500),
            ("0L000", 403),
            ("0P000", 403),
            ("23503", 409),
            ("23505", 409),
            ("25006", 405),
            ("25001", 500),
            ("28000", 403),
            ("2D000", 500),
            ("38000", 500),
            ("39000", 500),
            ("3B000", 500),
            ("40001", 500),
            ("53400", 500),
            ("53100", 503),
            ("54000", 500),
            ("55000", 500),
            ("57014", 500),
            ("57P01", 503),
            ("58000", 500),
            ("F0000", 500),
            ("HV000", 500),
            ("P0001", 400),
            ("P0002", 500),
            ("XX000", 500),
            ("42883", 404),
            ("42P01", 404),
            ("42P17", 500),
            ("23502", 400),
            ("23514", 400),
            ("42703", 400),
            ("22P02", 400),
            ("PT402", 402),
            ("PT999", 500),
            ("PTabc", 500),
        ];
        for (code, status) in cases {
            assert_eq!(sqlstate_status(code, "", true), status, "{code}");
        }
        assert_eq!(sqlstate_status("42501", "", false), 401);
        assert_eq!(sqlstate_status("42501", "", true), 403);
        assert_eq!(sqlstate_status("22023", "role \"x\" does not exist", true), 401);
        assert_eq!(sqlstate_status("22023", "other", true), 400);
        assert_eq!(
            sqlstate_status("21000", "UPDATE requires a WHERE clause", true),
            400
        );
        assert_eq!(sqlstate_status("21000", "more than one row", true), 500);
    }

    fn pg(code: &str, message: &str, detail: Option<&str>) -> PgError {
        PgError {
            code: code.into(),
            message: message.into(),
            detail: detail.map(str::to_string),
            hint: None,
        }
    }

    #[test]
    fn raise_pgrst_full_control() {
        let p = pg_parts(
            &pg(
                "PGRST",
                r#"{"code":"123","message":"Payment Required","details":"d","hint":"h"}"#,
                Some(r#"{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}"#),
            ),
            false,
        );
        assert_eq!(p.status.as_u16(), 402);
        assert_eq!(p.code, "123");
        assert_eq!(p.details, json!("d"));
        assert_eq!(
            p.headers,
            vec![("X-Powered-By".to_string(), "Nerd Rage".to_string())]
        );
    }

    #[test]
    fn raise_pgrst_bad_json() {
        assert_eq!(pg_parts(&pg("PGRST", "nope", Some("{}")), false).code, "PGRST121");
        assert_eq!(
            pg_parts(&pg("PGRST", r#"{"code":"1","message":"m"}"#, None), false).code,
            "PGRST121"
        );
        assert_eq!(
            pg_parts(&pg("PGRST", r#"{"code":"1","message":"m"}"#, Some("[]")), false)
                .status
                .as_u16(),
            500
        );
    }

    #[test]
    fn unauthorized_has_www_authenticate() {
        let p = pg_parts(&pg("42501", "permission denied for table x", None), false);
        assert_eq!(p.status.as_u16(), 401);
        assert!(p
            .headers
            .iter()
            .any(|(k, v)| k == "WWW-Authenticate" && v == "Bearer"));
    }
}
