//! The pure request pipeline (query string and headers parsed, planned against a schema cache, SQL built)
//! per request kind, with no I/O: no HTTP, no authentication, no database.
//!
//! Each iteration is one request, so criterion's time is the time per request. The schema cache is built in
//! code (authors, books, tags, book_tags and `books_by_author`); the configuration is PostgREST's defaults.
//! The chains mirror `crates/http/src/{handler,write,call}.rs` up to the main statement; the transaction's
//! settings statement and `EXPLAIN` media types are left out.
//!
//!     cargo bench -p restgres-bench --bench pipeline

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use restgres_config::AppConfig;
use restgres_plan::call::{plan_call, CallInput};
use restgres_plan::mutate::{plan_insert, plan_update, WriteInput};
use restgres_plan::negotiate::{is_default_select, negotiate, single_column, Offer};
use restgres_plan::{plan_read, plan_returning, OutputFormat, ReadInput, ReadRequest};
use restgres_request::payload::{parse_payload, BodyFormat, Payload};
use restgres_request::prefer::ReturnPref;
use restgres_request::range::resolve_top_level_range;
use restgres_request::{media, query, Preferences};
use restgres_schema::testing::{column, foreign_key, serial_id, table};
use restgres_schema::{QualifiedName, Routine, RoutineParam, RoutineReturn, SchemaCache, Volatility};
use restgres_sql::Statement;
use std::hint::black_box;

/// One HTTP request as the pipeline sees it.
struct Request {
    name: &'static str,
    kind: Kind,
    /// Table or function name (the path without `/` or `/rpc/`).
    target: &'static str,
    query: &'static str,
    prefer: &'static [&'static str],
    accept: &'static [&'static str],
    content_type: &'static str,
    body: &'static [u8],
}

#[derive(Clone, Copy)]
enum Kind {
    Get,
    Post,
    Patch,
    RpcPost,
}

const REQUESTS: &[Request] = &[
    Request {
        name: "single_row_by_pk",
        kind: Kind::Get,
        target: "books",
        query: "id=eq.42",
        prefer: &[],
        accept: &["application/json"],
        content_type: "",
        body: b"",
    },
    Request {
        name: "filtered_ordered_100",
        kind: Kind::Get,
        target: "books",
        query: "select=id,title,published,price&pages=gt.100&order=published.desc,id&limit=100",
        prefer: &[],
        accept: &["application/json"],
        content_type: "",
        body: b"",
    },
    Request {
        name: "books_with_author_25",
        kind: Kind::Get,
        target: "books",
        query: "select=*,authors(*)&order=id&limit=25",
        prefer: &[],
        accept: &["application/json"],
        content_type: "",
        body: b"",
    },
    Request {
        name: "authors_with_books",
        kind: Kind::Get,
        target: "authors",
        query: "select=id,name,books(id,title,published)&books.order=published.desc&order=name&limit=25",
        prefer: &[],
        accept: &["application/json"],
        content_type: "",
        body: b"",
    },
    Request {
        name: "complex_logic",
        kind: Kind::Get,
        target: "books",
        query: "select=id,title,price,published\
                &or=(and(pages.gte.100,pages.lte.500),title.ilike.*rust*,price.lt.20)\
                &published=gte.2000-01-01&author_id=in.(1,2,3,5,8)&title=not.is.null&price=not.eq.0\
                &order=price.desc.nullslast,id&limit=50&offset=10",
        prefer: &[],
        accept: &["application/json"],
        content_type: "",
        body: b"",
    },
    Request {
        name: "count_exact",
        kind: Kind::Get,
        target: "books",
        query: "select=id,title&order=id&limit=25",
        prefer: &["count=exact"],
        accept: &["application/json"],
        content_type: "",
        body: b"",
    },
    Request {
        name: "rpc_books_by_author",
        kind: Kind::RpcPost,
        target: "books_by_author",
        query: "select=id,title&order=published.desc&limit=10",
        prefer: &[],
        accept: &["application/json"],
        content_type: "application/json",
        body: br#"{"author": 7}"#,
    },
    Request {
        name: "insert_one_representation",
        kind: Kind::Post,
        target: "books",
        query: "",
        prefer: &["return=representation"],
        accept: &["application/json"],
        content_type: "application/json",
        body: br#"{"title": "Programming Rust", "author_id": 7, "published": "2021-06-01", "pages": 735, "price": 49.99}"#,
    },
    Request {
        name: "patch_one",
        kind: Kind::Patch,
        target: "books",
        query: "id=eq.42",
        prefer: &["return=minimal"],
        accept: &["application/json"],
        content_type: "application/json",
        body: br#"{"price": 24.99}"#,
    },
];

/// Parse -> plan -> SQL for one request; the main statement of its transaction.
fn pipeline(cache: &SchemaCache, config: &AppConfig, schema: &str, r: &Request) -> Result<Statement, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let params = query::parse_query_string(r.query).map_err(|x| e(&x))?;
    let prefs = Preferences::parse(r.prefer.iter().copied());
    prefs.check_strict().map_err(|x| e(&x))?;
    let accept = media::parse_accept(&r.accept.join(","));
    let input = ReadInput {
        schema,
        relation: r.target,
        query: &params,
        range_header: None,
        accept: &accept,
        count: prefs.count,
        head: false,
        max_rows: config.db_max_rows,
        aggregates_enabled: config.db_aggregates_enabled,
        legacy_target_names: config.url_use_legacy_target_names,
    };
    match r.kind {
        Kind::Get => {
            let read = plan_read(cache, &input).map_err(|x| e(&x))?;
            Ok(restgres_sql::read_statement(&read))
        }
        Kind::RpcPost => {
            // As `call::arguments` for POST: the body's object keys are the argument names.
            let text = std::str::from_utf8(r.body).map_err(|x| e(&x))?;
            let value: serde_json::Value = serde_json::from_str(text).map_err(|x| e(&x))?;
            let given: Vec<String> = match &value {
                serde_json::Value::Object(m) => m.keys().cloned().collect(),
                _ => Vec::new(),
            };
            let call_input = CallInput {
                is_post: true,
                raw_type: None,
                single_object: prefs.params_single_object,
            };
            let call = plan_call(cache, r.target, &given, call_input, &input).map_err(|x| e(&x))?;
            let top = params
                .ranges
                .iter()
                .rev()
                .find(|(p, _)| p.is_empty())
                .map(|(_, r)| *r);
            let requested = resolve_top_level_range(top, None).map_err(|x| e(&x))?;
            let mut plan = call.read.clone();
            plan.range = requested.with_max_rows(config.db_max_rows);
            let req = ReadRequest {
                plan,
                format: call.format.clone(),
                count: prefs.count,
                head: false,
                requested_range: requested,
                max_rows: config.db_max_rows,
                legacy_names: call.legacy_names.clone(),
            };
            Ok(restgres_sql::call::call_statement(&call, &req, text))
        }
        Kind::Post | Kind::Patch => write(cache, r, &params, &prefs, input),
    }
}

/// POST and PATCH as `write::write` builds them.
fn write(
    cache: &SchemaCache,
    r: &Request,
    params: &restgres_request::QueryParams,
    prefs: &Preferences,
    input: ReadInput<'_>,
) -> Result<Statement, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let ret = prefs.return_.unwrap_or(ReturnPref::Minimal);
    let representation = ret == ReturnPref::Representation;
    let format = if r.content_type.trim().is_empty() {
        BodyFormat::Json
    } else {
        BodyFormat::from_media_type(&media::parse_media_type(r.content_type)).map_err(|x| e(&x))?
    };
    let payload = match &params.columns {
        Some(_) if format == BodyFormat::Json => Payload::passthrough(r.body),
        _ => parse_payload(format, r.body),
    }
    .map_err(|x| e(&x))?;
    let keys = match &params.columns {
        Some(cols) => cols.clone(),
        None => payload.keys.clone(),
    };
    let write_input = WriteInput {
        schema: input.schema,
        relation: input.relation,
        query: params,
        keys: &keys,
        body_is_object: !payload.is_array,
        missing_default: prefs.missing_default,
        resolution: prefs.resolution,
    };
    let mutation = match r.kind {
        Kind::Post => plan_insert(cache, &write_input),
        _ => plan_update(cache, &write_input),
    }
    .map_err(|x| e(&x))?;
    // The read over the written rows: no range, no count, as the server plans it.
    let returning = ReadInput {
        max_rows: None,
        ..input
    };
    let (mut read, _legacy) = plan_returning(cache, &returning).map_err(|x| e(&x))?;
    let table = cache.table(returning.schema, returning.relation);
    let relation = table.map(|t| t.qualified_name());
    let raw = single_column(&read, table);
    let offer = Offer {
        handlers: &cache.media_handlers,
        relation: relation.as_ref(),
        function_media: None,
        default_select: is_default_select(&read),
        raw_column: raw.as_ref().map(|(c, b)| (c.as_str(), *b)),
    };
    let negotiated = negotiate(returning.accept, &offer).map_err(|x| e(&x))?;
    if let Some(t) = table {
        restgres_plan::apply_representations(cache, &mut read, t, negotiated.is_json());
    }
    let format = if representation {
        negotiated
    } else {
        OutputFormat::Json
    };
    Ok(restgres_sql::write::write_statement(
        &restgres_sql::write::WriteStatement {
            mutation: &mutation,
            read: &read,
            format,
            representation,
            location: matches!(r.kind, Kind::Post) && ret == ReturnPref::HeadersOnly,
            body: &payload.json,
        },
    ))
}

/// The library schema, as introspection would load it.
fn schema_cache(schema: &str) -> SchemaCache {
    let mut price = column("price", "numeric(10,2)", true);
    price.nominal_type = "numeric".into();
    price.base_type = "numeric".into();
    let tables = [
        table(
            schema,
            "authors",
            &["id"],
            vec![
                serial_id("authors"),
                column("name", "text", false),
                column("country", "text", true),
            ],
        ),
        table(
            schema,
            "books",
            &["id"],
            vec![
                serial_id("books"),
                column("title", "text", false),
                column("author_id", "integer", false),
                column("published", "date", true),
                column("pages", "integer", true),
                price,
            ],
        ),
        table(
            schema,
            "tags",
            &["id"],
            vec![serial_id("tags"), column("name", "text", false)],
        ),
        table(
            schema,
            "book_tags",
            &["book_id", "tag_id"],
            vec![
                column("book_id", "integer", false),
                column("tag_id", "integer", false),
            ],
        ),
    ];
    let mut cache = SchemaCache::default();
    for t in tables {
        cache.tables.insert(t.qualified_name(), t);
    }
    // Sorted by table and name, as introspection returns them.
    cache.foreign_keys = vec![
        foreign_key(
            schema,
            "book_tags_book_id_fkey",
            ("book_tags", "book_id"),
            ("books", "id"),
        ),
        foreign_key(
            schema,
            "book_tags_tag_id_fkey",
            ("book_tags", "tag_id"),
            ("tags", "id"),
        ),
        foreign_key(
            schema,
            "books_author_id_fkey",
            ("books", "author_id"),
            ("authors", "id"),
        ),
    ];
    let routine = Routine {
        schema: schema.into(),
        name: "books_by_author".into(),
        description: None,
        params: vec![RoutineParam {
            name: "author".into(),
            data_type: "integer".into(),
            required: true,
            variadic: false,
        }],
        returns: RoutineReturn {
            type_name: QualifiedName::new(schema, "books"),
            is_setof: true,
            is_composite: true,
            is_composite_alias: false,
            media_type: None,
            media_binary: false,
        },
        volatility: Volatility::Stable,
        settings: vec![],
    };
    cache.routines.insert(routine.qualified_name(), vec![routine]);
    // Built once per load in the server, not per request.
    cache.index_relationships();
    cache
}

fn pipeline_benches(c: &mut Criterion) {
    let config = AppConfig::default();
    let Some(schema) = config.db_schemas.first().cloned() else {
        eprintln!("pipeline: skipping: the default configuration has no schema");
        return;
    };
    let cache = schema_cache(&schema);
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    for r in REQUESTS {
        // A request the pipeline refuses would measure its error path: check each once first.
        if let Err(e) = pipeline(&cache, &config, &schema, r) {
            eprintln!("pipeline: skipping {}: {e}", r.name);
            continue;
        }
        group.bench_function(r.name, |b| {
            b.iter(|| black_box(pipeline(&cache, &config, &schema, black_box(r))))
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline_benches);
criterion_main!(benches);
