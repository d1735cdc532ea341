//! `/rpc/name`: calling a function with arguments from the body (POST) or the query string (GET, HEAD).

use crate::handler::{
    accept_and_plan, content_location_for, content_profile, explain, items_range, preference_applied, run,
    tx_base_with, Applied, Prelude,
};
use crate::response::{read_reply, ReadHeaders, Reply};
use crate::{ApiError, AppState};
use bytes::Bytes;
use http::{Method, StatusCode};
use restgres_config::AppConfig;
use restgres_db::TxRequest;
use restgres_plan::call::{plan_call, CallInput, CallShape};
use restgres_plan::{ReadInput, ReadRequest};
use restgres_request::media;
use restgres_request::prefer::CountPref;
use restgres_request::range::resolve_top_level_range;
use restgres_schema::Volatility;
use serde_json::{Map, Value};

pub(crate) async fn call(
    state: &AppState,
    config: &AppConfig,
    parts: &http::request::Parts,
    pre: &Prelude,
    body: Bytes,
) -> Result<Reply, ApiError> {
    let method = &parts.method;
    let is_post = *method == Method::POST;
    let raw_type = if is_post { raw_body_type(parts) } else { None };
    let (given, args) = match raw_type {
        Some("bytea") => (Vec::new(), hex_bytea(&body)),
        Some(_) => (
            Vec::new(),
            String::from_utf8(body.to_vec())
                .map_err(|_| ApiError::BadBody("the body is not valid UTF-8".into()))?,
        ),
        None => arguments(is_post, &body, &pre.params.params)?,
    };
    let (plan_media, accept) = accept_and_plan(config, &parts.headers);
    let range_header = if *method == Method::GET {
        items_range(&parts.headers)
    } else {
        None
    };
    let prefs = &pre.prefs;
    let head = *method == Method::HEAD;
    let input = ReadInput {
        schema: &pre.schema,
        relation: &pre.relation,
        query: &pre.params,
        range_header,
        accept: &accept,
        count: prefs.count,
        head,
        max_rows: config.db_max_rows,
        aggregates_enabled: config.db_aggregates_enabled,
        legacy_target_names: config.url_use_legacy_target_names,
    };
    let call_input = CallInput {
        is_post,
        raw_type,
        single_object: prefs.params_single_object,
    };
    let call = plan_call(&pre.cache, &pre.relation, &given, call_input, &input)?;
    let top = pre
        .params
        .ranges
        .iter()
        .rev()
        .find(|(p, _)| p.is_empty())
        .map(|(_, r)| *r);
    let requested = resolve_top_level_range(top, range_header)?;
    let mut plan = call.read.clone();
    plan.range = requested.with_max_rows(config.db_max_rows);
    let count = prefs.count;
    let req = ReadRequest {
        plan,
        format: call.format.clone(),
        count,
        head,
        requested_range: requested,
        max_rows: config.db_max_rows,
        legacy_names: call.legacy_names.clone(),
    };

    let base = tx_base_with(state, config, parts, pre, &call.settings);
    // Reads, and calls of functions that cannot write, run read-only (PostgREST's access mode).
    let read_only = !is_post || call.volatility != Volatility::Volatile;
    // Their bodies come in pieces, so a large one streams; a write's response waits for its COMMIT.
    let chunked = read_only && plan_media.is_none() && !head;
    let tx = TxRequest {
        read_only,
        isolation: base.isolation,
        settings: base.settings,
        pre_request: base.pre_request,
        count_plan: matches!(count, Some(CountPref::Planned | CountPref::Estimated))
            .then(|| restgres_sql::call::call_count_plan_statement(&call, &args)),
        main: match &plan_media {
            Some(m) => explain(restgres_sql::call::call_statement(&call, &req, &args), m),
            None if chunked => restgres_sql::chunked_statement(
                restgres_sql::call::call_statement(&call, &req, &args),
                req.format.binary_body(),
            ),
            None => restgres_sql::call::call_statement(&call, &req, &args),
        },
        end: base.end,
        explain: plan_media.is_some(),
        verify: None,
        chunked,
    };
    let outcome = run(state, config, tx, pre).await?;
    if let Some(m) = plan_media {
        return Ok(crate::handler::plan_reply(outcome, &m));
    }
    let applied = preference_applied(&Applied {
        count: prefs.count,
        tx: base.tx_applied,
        handling: prefs.handling,
        timezone: prefs.timezone.as_deref(),
        ..Applied::default()
    });
    if call.shape == CallShape::Void {
        let mut headers = Vec::new();
        if let Some(p) = applied {
            headers.push(("Preference-Applied".to_string(), p));
        }
        return crate::response::reply_with_overrides(
            &outcome,
            StatusCode::NO_CONTENT,
            headers,
            Bytes::new(),
        );
    }
    let extra = ReadHeaders {
        content_location: content_location_for(&format!("rpc/{}", pre.relation), &pre.raw_query),
        content_profile: content_profile(config, &parts.headers, method, &pre.schema),
        preference_applied: applied,
    };
    read_reply(&req, outcome, extra, config.client_error_verbosity)
}

/// The argument names and the JSON object of arguments. POST: the body (an empty body is `{}`; a body that
/// is not an object can only go to a single unnamed json parameter). GET: the query's arguments, a
/// repeated name becoming an array (for variadic parameters).
fn arguments(
    is_post: bool,
    body: &[u8],
    params: &[(String, String)],
) -> Result<(Vec<String>, String), ApiError> {
    if is_post {
        let text =
            std::str::from_utf8(body).map_err(|_| ApiError::BadBody("Empty or invalid json".into()))?;
        if text.trim().is_empty() {
            return Ok((Vec::new(), "{}".to_string()));
        }
        let value: Value =
            serde_json::from_str(text).map_err(|_| ApiError::BadBody("Empty or invalid json".into()))?;
        let keys = match &value {
            Value::Object(m) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        return Ok((keys, text.to_string()));
    }
    let mut map = Map::new();
    let mut order = Vec::new();
    for (k, v) in params {
        match map.get_mut(k) {
            Some(Value::Array(items)) => items.push(Value::String(v.clone())),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v.clone())]);
            }
            None => {
                order.push(k.clone());
                map.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Ok((order, Value::Object(map).to_string()))
}

/// The parameter type a raw body goes to, by `Content-Type`: `text/plain` → text, `text/xml` → xml,
/// `application/octet-stream` → bytea.
fn raw_body_type(parts: &http::request::Parts) -> Option<&'static str> {
    let ct = parts.headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    match media::parse_media_type(ct) {
        restgres_request::MediaType::TextPlain => Some("text"),
        restgres_request::MediaType::TextXml => Some("xml"),
        restgres_request::MediaType::OctetStream => Some("bytea"),
        _ => None,
    }
}

/// A bytea value in PostgreSQL's hex text format (parameters travel as text).
fn hex_bytea(body: &[u8]) -> String {
    let mut out = String::with_capacity(2 + body.len() * 2);
    out.push_str("\\x");
    for b in body {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
