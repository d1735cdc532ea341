//! One request from start to end: route, parse, plan, build SQL, run the transaction, build the response.

use crate::context::{parse_cookies, tx_settings, RequestContext};
use crate::response::{error_reply, read_reply, Body, ReadHeaders, Reply};
use crate::{ApiError, AppState};
use http::{HeaderMap, Method, Request, Response};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use restgres_config::{AppConfig, TxEnd as TxEndConfig};
use restgres_db::{Isolation, TxEnd, TxRequest};
use restgres_plan::{plan_read, PlanError, ReadInput};
use restgres_request::prefer::{CountPref, Handling, Resolution, ReturnPref, TxPref};
use restgres_request::{media, query, range, Preferences};
use restgres_schema::QualifiedName;

/// What a request's path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Root,
    Relation(String),
    Routine(String),
}

/// PostgREST's flat routes: `/`, `/name`, `/rpc/name`; anything else is PGRST125.
pub fn resource(path: &str) -> Result<Resource, ApiError> {
    let segments: Vec<String> = path
        .strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    match segments.as_slice() {
        [s] if s.is_empty() => Ok(Resource::Root),
        [s] => Ok(Resource::Relation(s.clone())),
        [rpc, name] if rpc == "rpc" && !name.is_empty() => Ok(Resource::Routine(name.clone())),
        _ => Err(ApiError::InvalidPath),
    }
}

/// Serves one request; never fails: errors become PostgREST error responses.
pub async fn handle<B>(state: &AppState, mut req: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = bytes::Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let head = req.method() == Method::HEAD;
    // Travels with the request, then with the response to the access log.
    let note = match req
        .extensions()
        .get::<std::sync::Arc<crate::access::AccessNote>>()
    {
        Some(n) => n.clone(),
        None => {
            let n = crate::access::AccessNote::new();
            req.extensions_mut().insert(n.clone());
            n
        }
    };
    let config = state.config.load_full();
    let origins = config.server_cors_allowed_origins.as_deref();
    if let Some(reply) = crate::cors::preflight(req.method(), req.headers(), origins) {
        return reply.into_response(false);
    }
    let origin = crate::cors::origin(req.headers()).map(str::to_string);
    // `server-trace-header`: the request's value is echoed on the response (empty when absent).
    let trace = config.server_trace_header.as_ref().map(|name| {
        let value = req
            .headers()
            .get(name.as_str())
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        (name.clone(), value.unwrap_or_default())
    });
    let mut reply = match serve(state, &config, req).await {
        Ok(mut r) => {
            // PostgREST's default Vary on every response it builds (errors excepted), unless SQL set one.
            if !r.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("vary")) {
                r.headers
                    .push(("Vary".to_string(), "Accept, Prefer, Range".to_string()));
            }
            r
        }
        Err(e) => error_reply(&e, config.client_error_verbosity),
    };
    if let Some(t) = trace {
        reply.headers.push(t);
    }
    crate::cors::decorate(&mut reply, origin.as_deref(), origins);
    let mut response = reply.into_response(head);
    response.extensions_mut().insert(note);
    response
}

/// What every request to a relation settles before reading or writing.
pub(crate) struct Prelude {
    pub relation: String,
    pub schema: String,
    pub cache: std::sync::Arc<restgres_schema::SchemaCache>,
    pub params: restgres_request::QueryParams,
    pub prefs: Preferences,
    pub auth: restgres_auth::AuthResult,
    pub path: String,
    pub raw_query: String,
    pub timings: std::sync::Arc<Timings>,
    /// The access log's record of this request.
    pub note: Option<std::sync::Arc<crate::access::AccessNote>>,
}

/// When each stage of a request ended, for `Server-Timing` (`server-timing-enabled`).
pub(crate) struct Timings {
    start: std::time::Instant,
    /// Microseconds from `start`: auth done, request read, transaction started, transaction done.
    marks: [std::sync::atomic::AtomicU64; 4],
}

impl Timings {
    fn new(start: std::time::Instant) -> Self {
        Timings {
            start,
            marks: Default::default(),
        }
    }

    fn mark(&self, i: usize) {
        let us = self.start.elapsed().as_micros() as u64;
        if let Some(m) = self.marks.get(i) {
            m.store(us, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// `jwt;dur=…, parse;dur=…, plan;dur=…, transaction;dur=…, response;dur=…` in milliseconds.
    fn header(&self) -> String {
        let now = self.start.elapsed().as_micros() as u64;
        let m: Vec<u64> = self
            .marks
            .iter()
            .map(|a| a.load(std::sync::atomic::Ordering::Relaxed))
            .collect();
        let (auth, read, tx_start, tx_end) = (m[0], m[1].max(m[0]), m[2], m[3]);
        // Without a transaction (OPTIONS) everything after reading the request counts as planning.
        let (tx_start, tx_end) = if tx_start == 0 {
            (now, now)
        } else {
            (tx_start, tx_end)
        };
        let ms = |us: u64| us as f64 / 1000.0;
        format!(
            "jwt;dur={:.1}, parse;dur={:.1}, plan;dur={:.1}, transaction;dur={:.1}, response;dur={:.1}",
            ms(auth),
            ms(read.saturating_sub(auth)),
            ms(tx_start.saturating_sub(read)),
            ms(tx_end.saturating_sub(tx_start)),
            ms(now.saturating_sub(tx_end))
        )
    }
}

async fn serve<B>(state: &AppState, config: &AppConfig, req: Request<B>) -> Result<Reply, ApiError>
where
    B: hyper::body::Body<Data = bytes::Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let timings = std::sync::Arc::new(Timings::new(std::time::Instant::now()));
    let mut reply = serve_timed(state, config, req, timings.clone()).await?;
    if config.server_timing_enabled {
        reply
            .headers
            .push(("Server-Timing".to_string(), timings.header()));
    }
    Ok(reply)
}

async fn serve_timed<B>(
    state: &AppState,
    config: &AppConfig,
    req: Request<B>,
    timings: std::sync::Arc<Timings>,
) -> Result<Reply, ApiError>
where
    B: hyper::body::Body<Data = bytes::Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = req.into_parts();
    // Authentication comes first, as in PostgREST: a bad token fails whatever else the request asks.
    let authorization = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    let auth = state
        .auth
        .load()
        .authenticate(authorization.as_deref(), unix_now())?;
    timings.mark(0);
    let note = parts
        .extensions
        .get::<std::sync::Arc<crate::access::AccessNote>>()
        .cloned();
    if let Some(n) = &note {
        n.set_role(&auth.role);
    }
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let resource = resource(&path)?;
    let writes = matches!(
        method,
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    match method {
        Method::GET | Method::HEAD | Method::POST | Method::PATCH | Method::PUT | Method::DELETE => {}
        Method::OPTIONS => return options(state, config, &parts.headers, resource),
        other => return Err(ApiError::UnsupportedMethod(other.to_string())),
    }
    let mut root = false;
    let (relation, routine) = match resource {
        Resource::Relation(r) => (r, false),
        // `db-root-spec` serves a function's result at the root instead of the OpenAPI document.
        Resource::Root => match &config.db_root_spec {
            Some(f) if matches!(method, Method::GET | Method::HEAD) => (f.clone(), true),
            _ if matches!(method, Method::GET | Method::HEAD) => {
                root = true;
                (String::new(), false)
            }
            _ => return Err(ApiError::UnsupportedMethod(method.to_string())),
        },
        Resource::Routine(name) => {
            if !matches!(method, Method::GET | Method::HEAD | Method::POST) {
                return Err(ApiError::InvalidRpcMethod(method.to_string()));
            }
            (name, true)
        }
    };

    let headers = &parts.headers;
    let schema = select_schema(config, headers, &method)?;
    let cache = state.schema.load_full().ok_or(ApiError::NoSchemaCache)?;
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    // On a function read (GET/HEAD), a parameter without an operator is an argument, not a filter.
    let params = if routine && method != Method::POST {
        query::parse_rpc_read_query_string(&raw_query)?
    } else {
        query::parse_query_string(&raw_query)?
    };
    let prefs = Preferences::parse(header_values(headers, "prefer"));
    if prefs.handling == Some(Handling::Strict) && !prefs.invalid.is_empty() {
        return Err(restgres_request::RequestError::InvalidPreferences {
            invalid: prefs.invalid.clone(),
        }
        .into());
    }
    let pre = Prelude {
        relation,
        schema,
        cache,
        params,
        prefs,
        auth,
        path,
        raw_query,
        timings,
        note,
    };
    pre.timings.mark(1);
    let reply = if root {
        crate::openapi::root(state, config, &parts, &pre).await
    } else if routine {
        let body = crate::write::read_body(body).await?;
        crate::call::call(state, config, &parts, &pre, body).await
    } else if writes {
        let body = crate::write::read_body(body).await?;
        crate::write::write(state, config, &parts, &pre, body).await
    } else {
        read(state, config, &parts, &pre).await
    };
    reply
}

/// OPTIONS: the methods a resource supports, from the schema cache alone (no transaction), as PostgREST
/// computes them: by the relation's kind and INSTEAD OF triggers, or by the function's volatility.
fn options(
    state: &AppState,
    config: &AppConfig,
    headers: &HeaderMap,
    resource: Resource,
) -> Result<Reply, ApiError> {
    let allow = match resource {
        Resource::Root => "OPTIONS,GET,HEAD".to_string(),
        Resource::Relation(name) => {
            let schema = select_schema(config, headers, &Method::OPTIONS)?;
            let cache = state.schema.load_full().ok_or(ApiError::NoSchemaCache)?;
            let t = restgres_plan::find_table(&cache, &schema, &name)?;
            let mut allow = vec!["OPTIONS", "GET", "HEAD"];
            if t.insertable {
                allow.push("POST");
            }
            if t.insertable && t.updatable && !t.primary_key.is_empty() {
                allow.push("PUT");
            }
            if t.updatable {
                allow.push("PATCH");
            }
            if t.deletable {
                allow.push("DELETE");
            }
            allow.join(",")
        }
        Resource::Routine(name) => {
            let schema = select_schema(config, headers, &Method::OPTIONS)?;
            let cache = state.schema.load_full().ok_or(ApiError::NoSchemaCache)?;
            let overloads = cache.routine(&schema, &name).unwrap_or(&[]);
            if overloads.is_empty() {
                let hint = cache
                    .closest_routine(&schema, &name)
                    .map(|f| format!("Perhaps you meant to call the function {schema}.{f}"));
                return Err(PlanError::FunctionNotFound {
                    schema,
                    name,
                    args: Vec::new(),
                    json_fallback: false,
                    hint,
                }
                .into());
            }
            if overloads
                .iter()
                .any(|r| r.volatility == restgres_schema::Volatility::Volatile)
            {
                "OPTIONS,POST".to_string()
            } else {
                "OPTIONS,GET,HEAD,POST".to_string()
            }
        }
    };
    Ok(Reply {
        status: http::StatusCode::OK,
        headers: vec![
            ("Access-Control-Allow-Origin".into(), "*".into()),
            ("Allow".into(), allow),
        ],
        body: bytes::Bytes::new(),
        tail: None,
    })
}

/// GET and HEAD on a table or view.
async fn read(
    state: &AppState,
    config: &AppConfig,
    parts: &http::request::Parts,
    pre: &Prelude,
) -> Result<Reply, ApiError> {
    let method = &parts.method;
    let headers = &parts.headers;
    let prefs = &pre.prefs;
    let (plan_media, accept) = accept_and_plan(config, headers);
    let range_header = if *method == Method::GET {
        items_range(headers)
    } else {
        None
    };

    let read = plan_read(
        &pre.cache,
        &ReadInput {
            schema: &pre.schema,
            relation: &pre.relation,
            query: &pre.params,
            range_header,
            accept: &accept,
            count: prefs.count,
            head: *method == Method::HEAD,
            max_rows: config.db_max_rows,
            aggregates_enabled: config.db_aggregates_enabled,
            legacy_target_names: config.url_use_legacy_target_names,
        },
    )?;

    let base = tx_base(state, config, parts, pre);
    let count_plan = matches!(read.count, Some(CountPref::Planned | CountPref::Estimated))
        .then(|| restgres_sql::count_plan_statement(&read.plan));
    // A GET's body comes in pieces, so a large one streams (HEAD has none; a plan is small).
    let chunked = plan_media.is_none() && !read.head;
    let tx = TxRequest {
        read_only: true,
        isolation: base.isolation,
        settings: base.settings,
        pre_request: base.pre_request,
        count_plan,
        main: match &plan_media {
            Some(m) => explain(restgres_sql::read_statement(&read), m),
            None if chunked => restgres_sql::chunked_statement(
                restgres_sql::read_statement(&read),
                read.format.binary_body(),
            ),
            None => restgres_sql::read_statement(&read),
        },
        end: base.end,
        explain: plan_media.is_some(),
        verify: None,
        chunked,
    };
    let outcome = run(state, config, tx, pre).await?;
    if let Some(m) = plan_media {
        return Ok(plan_reply(outcome, &m));
    }

    let extra = ReadHeaders {
        content_location: content_location(&pre.relation, &pre.raw_query),
        content_profile: content_profile(config, headers, method, &pre.schema),
        preference_applied: preference_applied(&Applied {
            count: prefs.count,
            tx: base.tx_applied,
            handling: prefs.handling,
            timezone: prefs.timezone.as_deref(),
            ..Applied::default()
        }),
    };
    let mut reply = read_reply(&read, outcome, extra, config.client_error_verbosity)?;
    if let Some(w) = legacy_warning(&read.legacy_names) {
        reply.headers.push(("Warning".to_string(), w));
    }
    Ok(reply)
}

/// `EXPLAIN (FORMAT JSON|TEXT, <options>) <statement>`; the options are the known ones PostgREST accepts,
/// written from constants.
/// The `Accept` ranges to negotiate, and the `application/vnd.pgrst.plan` media type when the client asks
/// for the statement's EXPLAIN (db-plan-enabled): then the plan's `for=` type is negotiated as if it were
/// the Accept header.
pub(crate) fn accept_and_plan(
    config: &AppConfig,
    headers: &HeaderMap,
) -> (Option<restgres_request::MediaType>, Vec<media::MediaRange>) {
    let accept = header_values(headers, "accept").collect::<Vec<_>>().join(",");
    let ranges = media::parse_accept(&accept);
    let plan_media = match ranges.iter().find(|r| r.quality > 0) {
        Some(media::MediaRange {
            media: plan @ restgres_request::MediaType::Plan { .. },
            ..
        }) if config.db_plan_enabled => Some(plan.clone()),
        _ => None,
    };
    let accept = match &plan_media {
        Some(restgres_request::MediaType::Plan { for_media, .. }) => vec![media::MediaRange {
            media: for_media
                .as_deref()
                .cloned()
                .unwrap_or(restgres_request::MediaType::Json),
            quality: 1000,
        }],
        _ => ranges,
    };
    (plan_media, accept)
}

/// The response carrying an EXPLAIN's output.
pub(crate) fn plan_reply(outcome: restgres_db::DbOutcome, media: &restgres_request::MediaType) -> Reply {
    Reply {
        status: http::StatusCode::OK,
        headers: vec![(http::header::CONTENT_TYPE.to_string(), media.content_type())],
        body: bytes::Bytes::from(outcome.body),
        tail: None,
    }
}

/// The statement wrapped in `EXPLAIN` with the plan media type's format and options.
pub(crate) fn explain(
    statement: restgres_sql::Statement,
    media: &restgres_request::MediaType,
) -> restgres_sql::Statement {
    let restgres_request::MediaType::Plan {
        format_json, options, ..
    } = media
    else {
        return statement;
    };
    let mut parts = vec![if *format_json {
        "FORMAT JSON"
    } else {
        "FORMAT TEXT"
    }];
    for o in options {
        parts.push(match o.as_str() {
            "analyze" => "ANALYZE",
            "verbose" => "VERBOSE",
            "settings" => "SETTINGS",
            "buffers" => "BUFFERS",
            "wal" => "WAL",
            _ => continue,
        });
    }
    restgres_sql::Statement {
        sql: format!("EXPLAIN ({}) {}", parts.join(", "), statement.sql),
        params: statement.params,
    }
}

/// The parts of a request's transaction that do not depend on what it reads or writes.
pub(crate) struct TxBase {
    pub settings: restgres_sql::Statement,
    pub pre_request: Option<restgres_sql::Statement>,
    pub isolation: Option<Isolation>,
    pub end: TxEnd,
    /// The `tx=` preference when it was honoured.
    pub tx_applied: Option<TxPref>,
}

pub(crate) fn tx_base(
    state: &AppState,
    config: &AppConfig,
    parts: &http::request::Parts,
    pre: &Prelude,
) -> TxBase {
    tx_base_with(state, config, parts, pre, &[])
}

/// `tx_base` with a function's hoisted settings (`SET` clauses named in `db-hoisted-tx-settings`).
pub(crate) fn tx_base_with(
    state: &AppState,
    config: &AppConfig,
    parts: &http::request::Parts,
    pre: &Prelude,
    function_settings: &[(String, String)],
) -> TxBase {
    let (plain_headers, cookies) = split_headers(&parts.headers);
    let role_settings = state.role_settings.load();
    let ctx = RequestContext {
        method: parts.method.as_str(),
        path: &pre.path,
        headers: &plain_headers,
        cookies: &cookies,
        role: &pre.auth.role,
        claims: &pre.auth.claims,
        schema: &pre.schema,
        timezone: pre.prefs.timezone.as_deref(),
    };
    let mut settings = tx_settings(config, &role_settings, &ctx);
    settings.extend(
        function_settings
            .iter()
            .filter(|(k, _)| config.db_hoisted_tx_settings.iter().any(|h| h == k))
            .cloned(),
    );
    let isolation = role_settings
        .get(&pre.auth.role)
        .and_then(|s| s.iter().find(|(k, _)| k == "default_transaction_isolation"))
        .and_then(|(_, v)| Isolation::from_setting(v));
    let (end, tx_applied) = tx_end(config.db_tx_end, pre.prefs.tx);
    TxBase {
        settings: restgres_sql::settings_statement(&settings),
        pre_request: config
            .db_pre_request
            .as_deref()
            .map(|f| restgres_sql::pre_request_statement(&function_name(f))),
        isolation,
        end,
        tx_applied,
    }
}

/// Runs a transaction, logging its main statement under `log-query`.
pub(crate) async fn run(
    state: &AppState,
    config: &AppConfig,
    tx: TxRequest,
    pre: &Prelude,
) -> Result<restgres_db::DbOutcome, ApiError> {
    // `log-query`: the access log shows it when the response is an error (status 400 and up), as PostgREST.
    if let Some(n) = &pre.note {
        if config.log_query {
            n.set_query(&tx.main.sql);
        }
        n.set_transaction(&tx);
    }
    pre.timings.mark(2);
    let outcome = state
        .pool
        .run(tx)
        .await
        .map_err(|e| ApiError::db(e, pre.auth.authenticated));
    pre.timings.mark(3);
    outcome
}

/// PostgREST names the profile when it negotiated one: several schemas, or a profile header sent.
pub(crate) fn content_profile(
    config: &AppConfig,
    headers: &HeaderMap,
    method: &Method,
    schema: &str,
) -> Option<String> {
    (config.db_schemas.len() > 1 || headers.contains_key(profile_header(method))).then(|| schema.to_string())
}

/// PostgREST's deprecation warning for aliased embeds named by their relation.
fn legacy_warning(names: &[(String, String)]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let updates: Vec<String> = names
        .iter()
        .map(|(name, alias)| format!("`{name}` to `{alias}`"))
        .collect();
    Some(format!(
        "299 restgres/{} \"Embedded resource was referenced by relation name even though it has an alias. \
         This is deprecated and will stop working in a future release. Update {} in query string filters, \
         orders or limits.\"",
        env!("CARGO_PKG_VERSION"),
        updates.join(", ")
    ))
}

/// Seconds since the Unix epoch, for token expiry checks.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The schema of this request: `Accept-Profile` (reads) or `Content-Profile` (writes), else the first one.
fn select_schema(config: &AppConfig, headers: &HeaderMap, method: &Method) -> Result<String, ApiError> {
    let name = if matches!(*method, Method::GET | Method::HEAD) {
        "accept-profile"
    } else {
        "content-profile"
    };
    let default = config
        .db_schemas
        .first()
        .cloned()
        .unwrap_or_else(|| "public".to_string());
    match headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
    {
        None => Ok(default),
        Some(s) if config.db_schemas.contains(&s) => Ok(s),
        Some(s) => Err(PlanError::UnacceptableSchema {
            schema: s,
            allowed: config.db_schemas.clone(),
        }
        .into()),
    }
}

/// `Accept-Profile` for reads, `Content-Profile` for writes.
fn profile_header(method: &Method) -> &'static str {
    if matches!(*method, Method::GET | Method::HEAD) {
        "accept-profile"
    } else {
        "content-profile"
    }
}

pub(crate) fn header_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers.get_all(name).iter().filter_map(|v| v.to_str().ok())
}

/// The `Range` header when its unit is items (the only unit PostgREST knows).
pub(crate) fn items_range(headers: &HeaderMap) -> Option<range::RangeBounds> {
    let unit_ok = headers
        .get("range-unit")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|u| u.trim().eq_ignore_ascii_case("items"));
    match headers.get(http::header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) if unit_ok => range::parse_range_header_bounds(r.trim()),
        _ => None,
    }
}

/// Name/value pairs in request order.
type Pairs = Vec<(String, String)>;

/// Request headers for `request.headers` (names lower-cased) and the cookies for `request.cookies`.
fn split_headers(headers: &HeaderMap) -> (Pairs, Pairs) {
    let mut plain = Vec::with_capacity(headers.len());
    let mut cookies = Vec::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(parse_cookies(&value));
        } else {
            plain.push((name.as_str().to_string(), value));
        }
    }
    (plain, cookies)
}

/// `db-pre-request` as `schema.function` or a bare name resolved through the search path.
fn function_name(name: &str) -> QualifiedName {
    match name.split_once('.') {
        Some((schema, f)) => QualifiedName::new(schema, f),
        None => QualifiedName::new("", name),
    }
}

/// How the transaction ends, and the `tx=` preference when it was honoured.
fn tx_end(config: TxEndConfig, pref: Option<TxPref>) -> (TxEnd, Option<TxPref>) {
    match (config, pref) {
        (TxEndConfig::Commit, _) => (TxEnd::Commit, None),
        (TxEndConfig::Rollback, _) => (TxEnd::Rollback, None),
        (TxEndConfig::CommitAllowOverride, Some(TxPref::Rollback))
        | (TxEndConfig::RollbackAllowOverride, Some(TxPref::Rollback)) => {
            (TxEnd::Rollback, Some(TxPref::Rollback))
        }
        (TxEndConfig::CommitAllowOverride | TxEndConfig::RollbackAllowOverride, Some(TxPref::Commit)) => {
            (TxEnd::Commit, Some(TxPref::Commit))
        }
        (TxEndConfig::CommitAllowOverride, None) => (TxEnd::Commit, None),
        (TxEndConfig::RollbackAllowOverride, None) => (TxEnd::Rollback, None),
    }
}

/// The preferences a response honoured, for `Preference-Applied`.
#[derive(Default)]
pub(crate) struct Applied<'a> {
    pub resolution: Option<Resolution>,
    pub missing_default: bool,
    pub missing_null: bool,
    pub return_: Option<ReturnPref>,
    pub count: Option<CountPref>,
    pub tx: Option<TxPref>,
    pub handling: Option<Handling>,
    pub timezone: Option<&'a str>,
    pub max_affected: Option<i64>,
}

/// `Preference-Applied`, in PostgREST's order: resolution, missing, return, count, tx, handling, timezone,
/// max-affected.
pub(crate) fn preference_applied(a: &Applied<'_>) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(r) = a.resolution {
        out.push(match r {
            Resolution::MergeDuplicates => "resolution=merge-duplicates".into(),
            Resolution::IgnoreDuplicates => "resolution=ignore-duplicates".into(),
        });
    }
    if a.missing_default {
        out.push("missing=default".into());
    } else if a.missing_null {
        out.push("missing=null".into());
    }
    if let Some(r) = a.return_ {
        out.push(match r {
            ReturnPref::Minimal => "return=minimal".into(),
            ReturnPref::HeadersOnly => "return=headers-only".into(),
            ReturnPref::Representation => "return=representation".into(),
        });
    }
    if let Some(c) = a.count {
        out.push(match c {
            CountPref::Exact => "count=exact".into(),
            CountPref::Planned => "count=planned".into(),
            CountPref::Estimated => "count=estimated".into(),
        });
    }
    if let Some(t) = a.tx {
        out.push(match t {
            TxPref::Commit => "tx=commit".into(),
            TxPref::Rollback => "tx=rollback".into(),
        });
    }
    if let Some(h) = a.handling {
        out.push(match h {
            Handling::Strict => "handling=strict".into(),
            Handling::Lenient => "handling=lenient".into(),
        });
    }
    if let Some(tz) = a.timezone {
        out.push(format!("timezone={tz}"));
    }
    if let Some(m) = a.max_affected {
        out.push(format!("max-affected={m}"));
    }
    (!out.is_empty()).then(|| out.join(", "))
}

/// Characters kept as they are when re-encoding the canonical query string.
pub(crate) const QUERY_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `/relation?<query sorted by key>`, as PostgREST's Content-Location.
fn content_location(relation: &str, raw_query: &str) -> String {
    content_location_for(&utf8_percent_encode(relation, QUERY_SAFE).to_string(), raw_query)
}

/// `/<path>?<query sorted by key>` for an already encoded path.
pub(crate) fn content_location_for(path: &str, raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let enc = |s: &str| utf8_percent_encode(s, QUERY_SAFE).to_string();
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    if query.is_empty() {
        format!("/{path}")
    } else {
        format!("/{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(resource("/").unwrap(), Resource::Root);
        assert_eq!(resource("").unwrap(), Resource::Root);
        assert_eq!(resource("/items").unwrap(), Resource::Relation("items".into()));
        assert_eq!(
            resource("/my%20table").unwrap(),
            Resource::Relation("my table".into())
        );
        assert_eq!(resource("/rpc/f").unwrap(), Resource::Routine("f".into()));
        assert!(resource("/items/1").is_err());
        assert!(resource("/items/").is_err());
        assert!(resource("/rpc/").is_err());
        assert!(resource("//").is_err());
    }

    #[test]
    fn tx_ends() {
        assert_eq!(
            tx_end(TxEndConfig::Commit, Some(TxPref::Rollback)),
            (TxEnd::Commit, None)
        );
        assert_eq!(
            tx_end(TxEndConfig::CommitAllowOverride, Some(TxPref::Rollback)),
            (TxEnd::Rollback, Some(TxPref::Rollback))
        );
        assert_eq!(
            tx_end(TxEndConfig::RollbackAllowOverride, None),
            (TxEnd::Rollback, None)
        );
        assert_eq!(
            tx_end(TxEndConfig::RollbackAllowOverride, Some(TxPref::Commit)),
            (TxEnd::Commit, Some(TxPref::Commit))
        );
        assert_eq!(
            tx_end(TxEndConfig::Rollback, Some(TxPref::Commit)),
            (TxEnd::Rollback, None)
        );
    }

    #[test]
    fn canonical_location() {
        assert_eq!(content_location("items", ""), "/items");
        assert_eq!(
            content_location("items", "select=id&id=eq.1"),
            "/items?id=eq.1&select=id"
        );
        assert_eq!(content_location("my table", "a=b+c"), "/my%20table?a=b%20c");
    }
}
