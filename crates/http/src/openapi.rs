//! `GET /`: the OpenAPI document of the exposed schema, limited to what the request's role may use
//! (`openapi-mode = follow-privileges`, the default) or complete (`ignore-privileges`).

use crate::handler::{run, tx_base, Prelude};
use crate::response::Reply;
use crate::{ApiError, AppState};
use bytes::Bytes;
use http::StatusCode;
use restgres_config::{AppConfig, OpenApiMode};
use restgres_db::TxRequest;
use restgres_request::MediaType;
use restgres_schema::SchemaCache;
use std::collections::HashSet;

/// The relations and functions of a schema the current role has any privilege on, as one JSON array
/// (`name` and `rpc/name`), in the standard result shape.
const PRIVILEGES_SQL: &str = "WITH pgrst_source AS (\
    SELECT c.relname::text AS name FROM pg_catalog.pg_class c \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'f', 'p') \
    AND (pg_catalog.has_table_privilege(c.oid, 'SELECT') OR pg_catalog.has_table_privilege(c.oid, 'INSERT') \
    OR pg_catalog.has_table_privilege(c.oid, 'UPDATE') OR pg_catalog.has_table_privilege(c.oid, 'DELETE')) \
    UNION ALL SELECT 'rpc/' || p.proname FROM pg_catalog.pg_proc p \
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
    WHERE n.nspname = $1 AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE')) \
    SELECT null::bigint AS total_result_set, pg_catalog.count(*) AS page_total, \
    coalesce(json_agg(pgrst_source.name), '[]') AS body, \
    nullif(current_setting('response.headers', true), '') AS response_headers, \
    nullif(current_setting('response.status', true), '') AS response_status FROM pgrst_source";

pub(crate) async fn root(
    state: &AppState,
    config: &AppConfig,
    parts: &http::request::Parts,
    pre: &Prelude,
) -> Result<Reply, ApiError> {
    // PostgREST serves the document for application/openapi+json, application/json and */* (also when no
    // Accept is given); anything else is 406 PGRST107.
    let accept = crate::handler::header_values(&parts.headers, "accept")
        .collect::<Vec<_>>()
        .join(",");
    let ranges = restgres_request::media::parse_accept(&accept);
    let acceptable = ranges.is_empty()
        || ranges
            .iter()
            .any(|r| matches!(r.media, MediaType::OpenApi | MediaType::Json | MediaType::Any));
    if !acceptable {
        return Err(restgres_plan::PlanError::NotAcceptable {
            requested: ranges.iter().map(|r| r.media.mime()).collect(),
        }
        .into());
    }
    if config.openapi_mode == OpenApiMode::Disabled {
        return Err(ApiError::OpenApiDisabled);
    }
    let cache: std::borrow::Cow<'_, SchemaCache> = match config.openapi_mode {
        OpenApiMode::IgnorePrivileges => std::borrow::Cow::Borrowed(pre.cache.as_ref()),
        _ => {
            let base = tx_base(state, config, parts, pre);
            let tx = TxRequest {
                read_only: true,
                isolation: base.isolation,
                settings: base.settings,
                pre_request: base.pre_request,
                count_plan: None,
                main: restgres_sql::Statement {
                    sql: PRIVILEGES_SQL.to_string(),
                    params: vec![Some(pre.schema.clone())],
                },
                end: base.end,
                explain: false,
                verify: None,
                chunked: false,
            };
            let outcome = run(state, config, tx, pre).await?;
            let names: Vec<String> = serde_json::from_slice(&outcome.body)
                .map_err(|e| ApiError::BadBody(format!("privileges: {e}")))?;
            let allowed: HashSet<String> = names.into_iter().collect();
            let mut filtered = (*pre.cache).clone();
            filtered
                .tables
                .retain(|k, _| k.schema != pre.schema || allowed.contains(&k.name));
            filtered
                .routines
                .retain(|k, _| k.schema != pre.schema || allowed.contains(&format!("rpc/{}", k.name)));
            std::borrow::Cow::Owned(filtered)
        }
    };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let doc = restgres_openapi::openapi(
        &cache,
        &restgres_openapi::OpenApiSettings {
            schema: &pre.schema,
            server_proxy_uri: config.openapi_server_proxy_uri.as_deref(),
            security_active: config.openapi_security_active,
            host,
            schema_description: None,
            version: env!("CARGO_PKG_VERSION"),
        },
    );
    Ok(Reply {
        status: StatusCode::OK,
        headers: vec![(
            http::header::CONTENT_TYPE.to_string(),
            "application/openapi+json; charset=utf-8".to_string(),
        )],
        body: Bytes::from(doc.to_string()),
        tail: None,
    })
}
