//! POST, PATCH and DELETE on tables and views: body, plan, one transaction, PostgREST's write responses.

use crate::handler::{content_profile, preference_applied, run, tx_base, Applied, Prelude};
use crate::response::Reply;
use crate::{ApiError, AppState};
use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use restgres_config::AppConfig;
use restgres_db::{TxRequest, Verify, Violation};
use restgres_plan::mutate::{plan_delete, plan_insert, plan_put, plan_update, WriteInput};
use restgres_plan::negotiate::{is_default_select, negotiate, single_column, Offer};
use restgres_plan::{plan_returning, OutputFormat, ReadInput};
use restgres_request::payload::{parse_payload, BodyFormat, Payload};
use restgres_request::prefer::{CountPref, Handling, Resolution, ReturnPref, TxPref};
use restgres_request::{media, Preferences};

/// Bodies larger than this are refused with 413 before anything is parsed.
pub const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Reads the whole body, refusing one over `MAX_BODY_BYTES`.
pub(crate) async fn read_body<B>(body: B) -> Result<Bytes, ApiError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    read_limited(body, MAX_BODY_BYTES).await
}

async fn read_limited<B>(body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            Err(ApiError::PayloadTooLarge { limit })
        }
        Err(e) => Err(ApiError::BadBody(format!("could not read the request body: {e}"))),
    }
}

/// The body's format from `Content-Type` (JSON when absent, as PostgREST assumes).
fn body_format(parts: &http::request::Parts) -> Result<BodyFormat, ApiError> {
    let ct = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.trim().is_empty() {
        return Ok(BodyFormat::Json);
    }
    Ok(BodyFormat::from_media_type(&media::parse_media_type(ct))?)
}

pub(crate) async fn write(
    state: &AppState,
    config: &AppConfig,
    parts: &http::request::Parts,
    pre: &Prelude,
    body: Bytes,
) -> Result<Reply, ApiError> {
    let method = &parts.method;
    let prefs = &pre.prefs;
    let ret = prefs.return_.unwrap_or(ReturnPref::Minimal);
    let representation = ret == ReturnPref::Representation;
    let (plan_media, accept) = crate::handler::accept_and_plan(config, &parts.headers);

    // The body: its keys decide the columns, unless `columns=` names them.
    let payload = if *method == Method::DELETE {
        None
    } else {
        let format = body_format(parts)?;
        Some(match &pre.params.columns {
            Some(_) if format == BodyFormat::Json => Payload::passthrough(&body)?,
            _ => parse_payload(format, &body)?,
        })
    };
    // Large bodies exist in several copies on their way to PostgreSQL; free each as soon as it is consumed.
    drop(body);
    let keys: Vec<String> = match (&pre.params.columns, &payload) {
        (Some(cols), _) => cols.clone(),
        (None, Some(p)) => p.keys.clone(),
        (None, None) => Vec::new(),
    };
    let input = WriteInput {
        schema: &pre.schema,
        relation: &pre.relation,
        query: &pre.params,
        keys: &keys,
        body_is_object: payload.as_ref().is_some_and(|p| !p.is_array),
        missing_default: prefs.missing_default,
        resolution: prefs.resolution,
    };
    let mutation = match *method {
        Method::POST => plan_insert(&pre.cache, &input)?,
        Method::PUT => plan_put(&pre.cache, &input)?,
        Method::PATCH => plan_update(&pre.cache, &input)?,
        _ => plan_delete(&pre.cache, &input)?,
    };
    let (mut read, legacy) = plan_returning(
        &pre.cache,
        &ReadInput {
            schema: &pre.schema,
            relation: &pre.relation,
            query: &pre.params,
            range_header: None,
            accept: &accept,
            count: prefs.count,
            head: false,
            max_rows: None,
            aggregates_enabled: config.db_aggregates_enabled,
            legacy_target_names: config.url_use_legacy_target_names,
        },
    )?;
    let _ = legacy;
    // As PostgREST, the Accept header is checked on every write; its representation only matters for
    // return=representation.
    let table = pre.cache.table(&pre.schema, &pre.relation);
    let relation = table.map(|t| t.qualified_name());
    let raw = single_column(&read, table);
    let offer = Offer {
        handlers: &pre.cache.media_handlers,
        relation: relation.as_ref(),
        function_media: None,
        default_select: is_default_select(&read),
        raw_column: raw.as_ref().map(|(c, b)| (c.as_str(), *b)),
    };
    let negotiated = negotiate(&accept, &offer)?;
    if let Some(t) = table {
        restgres_plan::apply_representations(&pre.cache, &mut read, t, negotiated.is_json());
    }
    let format = if representation {
        negotiated
    } else {
        OutputFormat::Json
    };

    let is_insert = *method == Method::POST;
    let strict = prefs.handling == Some(Handling::Strict);
    let max_affected = if strict && !is_insert {
        prefs.max_affected
    } else {
        None
    };
    let singular = representation && matches!(format, OutputFormat::Object { .. });
    let put = *method == Method::PUT;
    let base = tx_base(state, config, parts, pre);
    let body_text = payload.as_ref().map(|p| p.json.as_str()).unwrap_or("");
    let main = restgres_sql::write::write_statement(&restgres_sql::write::WriteStatement {
        mutation: &mutation,
        read: &read,
        format: format.clone(),
        representation,
        location: is_insert && ret == ReturnPref::HeadersOnly,
        body: body_text,
    });
    drop(payload);
    let tx = TxRequest {
        read_only: false,
        isolation: base.isolation,
        settings: base.settings,
        pre_request: base.pre_request,
        count_plan: None,
        main: match &plan_media {
            Some(m) => crate::handler::explain(main, m),
            None => main,
        },
        end: base.end,
        explain: plan_media.is_some(),
        verify: (plan_media.is_none() && (max_affected.is_some() || singular || put)).then_some(Verify {
            max_affected,
            singular,
            put,
        }),
        chunked: false,
    };
    let mut outcome = run(state, config, tx, pre).await?;
    if let Some(m) = plan_media {
        return Ok(crate::handler::plan_reply(outcome, &m));
    }
    match outcome.violation {
        Some(Violation::MaxAffected { affected }) => return Err(ApiError::MaxAffected { affected }),
        Some(Violation::Singular { rows }) => return Err(ApiError::Singularity { rows }),
        Some(Violation::PutMismatch) => return Err(ApiError::PutMismatch),
        None => {}
    }

    let counted = matches!(
        prefs.count,
        Some(CountPref::Exact | CountPref::Estimated | CountPref::Planned)
    );
    let n = outcome.page_total;
    let mut headers: Vec<(String, String)> = Vec::new();
    let (status, range) = match *method {
        Method::POST => {
            if let Some(pairs) = &outcome.location {
                headers.push(("Location".into(), location(&pre.relation, pairs)));
            }
            let merge_without_inserts =
                prefs.resolution == Some(Resolution::MergeDuplicates) && outcome.inserted.unwrap_or(n) <= 0;
            (
                if merge_without_inserts {
                    StatusCode::OK
                } else {
                    StatusCode::CREATED
                },
                star_range(counted, n),
            )
        }
        Method::PUT => {
            let status = match (representation, outcome.inserted.unwrap_or(0) > 0) {
                (false, _) => StatusCode::NO_CONTENT,
                (true, true) => StatusCode::CREATED,
                (true, false) => StatusCode::OK,
            };
            (status, star_range(counted, n))
        }
        Method::PATCH => {
            // PATCH reports the updated rows as a range from 0.
            let (_, range) = crate::response::range_status(0, n, counted.then_some(n));
            (
                if representation {
                    StatusCode::OK
                } else {
                    StatusCode::NO_CONTENT
                },
                range,
            )
        }
        _ => (
            if representation {
                StatusCode::OK
            } else {
                StatusCode::NO_CONTENT
            },
            star_range(counted, n),
        ),
    };
    // PostgREST's single-row upsert (PUT) answers without Content-Range.
    if *method != Method::PUT {
        headers.push(("Content-Range".into(), range));
    }
    if let Some(p) = write_preference_applied(prefs, base.tx_applied, &mutation, &pre.params, strict) {
        headers.push(("Preference-Applied".into(), p));
    }
    let body = if representation {
        headers.push((
            http::header::CONTENT_TYPE.to_string(),
            format.media_type().content_type(),
        ));
        if let Some(p) = content_profile(config, &parts.headers, method, &pre.schema) {
            headers.push(("Content-Profile".into(), p));
        }
        Bytes::from(std::mem::take(&mut outcome.body))
    } else {
        Bytes::new()
    };
    crate::response::reply_with_overrides(&outcome, status, headers, body)
}

/// `*/N` with a count, `*/*` without (PostgREST's Content-Range for POST and DELETE).
fn star_range(counted: bool, n: i64) -> String {
    if counted {
        format!("*/{n}")
    } else {
        "*/*".to_string()
    }
}

/// `/relation?id=eq.1&...` from the inserted row's primary key.
fn location(relation: &str, pairs: &[String]) -> String {
    use percent_encoding::utf8_percent_encode;
    let set = crate::handler::QUERY_SAFE;
    let query: Vec<String> = pairs
        .iter()
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            format!("{}={}", utf8_percent_encode(k, set), utf8_percent_encode(v, set))
        })
        .collect();
    format!("/{}?{}", utf8_percent_encode(relation, set), query.join("&"))
}

/// `Preference-Applied` for writes: what PostgREST reports for each kind of mutation.
fn write_preference_applied(
    prefs: &Preferences,
    tx: Option<TxPref>,
    mutation: &restgres_plan::mutate::MutatePlan,
    params: &restgres_request::QueryParams,
    strict: bool,
) -> Option<String> {
    use restgres_plan::mutate::MutationKind;
    let insert = matches!(mutation.kind, MutationKind::Insert { .. });
    preference_applied(&Applied {
        resolution: prefs
            .resolution
            .filter(|_| insert && (!mutation.primary_key.is_empty() || params.on_conflict.is_some())),
        missing_default: prefs.missing_default && !matches!(mutation.kind, MutationKind::Delete),
        missing_null: prefs.missing_null && !matches!(mutation.kind, MutationKind::Delete),
        return_: prefs.return_,
        count: prefs.count,
        tx,
        handling: prefs.handling,
        timezone: prefs.timezone.as_deref(),
        max_affected: prefs.max_affected.filter(|_| strict && !insert),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn bodies_over_the_limit_are_413() {
        let err = block_on(read_limited(Full::new(Bytes::from(vec![b'x'; 11])), 10)).unwrap_err();
        let parts = err.parts();
        assert_eq!(parts.status.as_u16(), 413);
        assert_eq!(parts.code, "PGRST102");
        assert_eq!(parts.message, "The request body is larger than 10 bytes");
    }

    #[test]
    fn bodies_within_the_limit_are_read() {
        let body = block_on(read_limited(Full::new(Bytes::from_static(b"[1]")), 10)).unwrap();
        assert_eq!(&body[..], b"[1]");
    }

    #[test]
    fn locations_are_encoded() {
        assert_eq!(location("items", &["id=eq.1".into()]), "/items?id=eq.1");
        assert_eq!(
            location("my items", &["k=eq.a b".into(), "n=is.null".into()]),
            "/my%20items?k=eq.a%20b&n=is.null"
        );
    }

    #[test]
    fn star_ranges() {
        assert_eq!(star_range(false, 3), "*/*");
        assert_eq!(star_range(true, 3), "*/3");
    }
}
