//! Golden SQL for reads: query string in, SQL text and parameters out, through the real parser and planner.

use restgres_plan::{plan_read, OutputFormat, ReadInput};
use restgres_request::prefer::CountPref;
use restgres_request::query::parse_query_string;
use restgres_schema::testing::{column, table};
use restgres_schema::SchemaCache;

fn cache() -> SchemaCache {
    let mut cache = SchemaCache::default();
    let t = table(
        "api",
        "items",
        &["id"],
        vec![
            column("id", "int4", true),
            column("name", "text", true),
            column("data", "jsonb", true),
            column("tags", "_text", true),
            column("doc", "tsvector", true),
            column("amount", "numeric", true),
        ],
    );
    cache.tables.insert(t.qualified_name(), t);
    cache
}

struct Opts {
    format: OutputFormat,
    count: Option<CountPref>,
    max_rows: Option<i64>,
    head: bool,
}

const DEFAULT: Opts = Opts {
    format: OutputFormat::Json,
    count: None,
    max_rows: None,
    head: false,
};

fn plan(query: &str, o: Opts) -> restgres_plan::ReadRequest {
    let params = parse_query_string(query).expect("query parses");
    // The format is asked for as the Accept header would.
    let accept = [restgres_request::MediaRange {
        media: o.format.media_type(),
        quality: 1000,
    }];
    plan_read(
        &cache(),
        &ReadInput {
            schema: "api",
            relation: "items",
            query: &params,
            range_header: None,
            accept: &accept,
            count: o.count,
            head: o.head,
            max_rows: o.max_rows,
            aggregates_enabled: true,
            legacy_target_names: true,
        },
    )
    .expect("plans")
}

fn sql_with(query: &str, o: Opts) -> (String, Vec<Option<String>>) {
    let s = restgres_sql::read_statement(&plan(query, o));
    (s.sql, s.params)
}

/// The part of the main statement inside `WITH pgrst_source AS (...)`.
fn source(query: &str) -> (String, Vec<Option<String>>) {
    let (sql, params) = sql_with(query, DEFAULT);
    let start = "WITH pgrst_source AS (".len();
    let end = sql.find(") SELECT ").expect("shape");
    (sql[start..end].to_string(), params)
}

fn check(query: &str, expect_sql: &str, expect_params: &[&str]) {
    let (sql, params) = source(query);
    assert_eq!(sql, expect_sql, "query: {query}");
    let params: Vec<String> = params.into_iter().map(|p| p.unwrap_or_default()).collect();
    assert_eq!(params, expect_params, "params of: {query}");
}

const FROM: &str = "SELECT \"api\".\"items\".* FROM \"api\".\"items\"";

#[test]
fn select_lists() {
    check("", FROM, &[]);
    check(
        "select=id,name",
        "SELECT \"api\".\"items\".\"id\", \"api\".\"items\".\"name\" FROM \"api\".\"items\"",
        &[],
    );
    check(
        "select=n:name",
        "SELECT \"api\".\"items\".\"name\" AS \"n\" FROM \"api\".\"items\"",
        &[],
    );
    check(
        "select=id::text",
        "SELECT CAST(\"api\".\"items\".\"id\" AS \"text\") FROM \"api\".\"items\"",
        &[],
    );
    check(
        "select=data->a->>b",
        "SELECT \"api\".\"items\".\"data\"->$1->>$2 AS \"b\" FROM \"api\".\"items\"",
        &["a", "b"],
    );
    check(
        "select=data->0",
        "SELECT \"api\".\"items\".\"data\"->$1::int AS \"data\" FROM \"api\".\"items\"",
        &["0"],
    );
    check(
        "select=tags->0",
        "SELECT to_jsonb(\"api\".\"items\".\"tags\")->$1::int AS \"tags\" FROM \"api\".\"items\"",
        &["0"],
    );
    check(
        "select=name,amount.sum()",
        "SELECT \"api\".\"items\".\"name\", SUM(\"api\".\"items\".\"amount\") FROM \"api\".\"items\" GROUP BY \"api\".\"items\".\"name\"",
        &[],
    );
    check(
        "select=count()",
        "SELECT COUNT(*) AS \"count\" FROM \"api\".\"items\"",
        &[],
    );
}

#[test]
fn filters() {
    let w = |cond: &str| format!("{FROM} WHERE {cond}");
    check("id=eq.1", &w("(\"api\".\"items\".\"id\" = $1)"), &["1"]);
    check("id=neq.1", &w("(\"api\".\"items\".\"id\" <> $1)"), &["1"]);
    check("id=gt.1", &w("(\"api\".\"items\".\"id\" > $1)"), &["1"]);
    check("id=gte.1", &w("(\"api\".\"items\".\"id\" >= $1)"), &["1"]);
    check("id=lt.1", &w("(\"api\".\"items\".\"id\" < $1)"), &["1"]);
    check("id=lte.1", &w("(\"api\".\"items\".\"id\" <= $1)"), &["1"]);
    check(
        "name=like.a*",
        &w("(\"api\".\"items\".\"name\" LIKE $1)"),
        &["a%"],
    );
    check(
        "name=ilike.*a*",
        &w("(\"api\".\"items\".\"name\" ILIKE $1)"),
        &["%a%"],
    );
    check("name=match.^a", &w("(\"api\".\"items\".\"name\" ~ $1)"), &["^a"]);
    check(
        "name=imatch.^a",
        &w("(\"api\".\"items\".\"name\" ~* $1)"),
        &["^a"],
    );
    check(
        "id=in.(1,2)",
        &w("(\"api\".\"items\".\"id\" = ANY($1))"),
        &["{\"1\",\"2\"}"],
    );
    check("id=in.()", &w("(\"api\".\"items\".\"id\" = ANY('{}'))"), &[]);
    check("name=is.null", &w("(\"api\".\"items\".\"name\" IS NULL)"), &[]);
    check(
        "name=is.not_null",
        &w("(\"api\".\"items\".\"name\" IS NOT NULL)"),
        &[],
    );
    check(
        "name=not.is.null",
        &w("NOT (\"api\".\"items\".\"name\" IS NULL)"),
        &[],
    );
    check(
        "id=isdistinct.1",
        &w("(\"api\".\"items\".\"id\" IS DISTINCT FROM $1)"),
        &["1"],
    );
    check(
        "doc=fts.cat",
        &w("(\"api\".\"items\".\"doc\" @@ to_tsquery($1))"),
        &["cat"],
    );
    check(
        "name=fts(english).cat",
        &w("(to_tsvector($1, \"api\".\"items\".\"name\") @@ to_tsquery($2, $3))"),
        &["english", "english", "cat"],
    );
    check(
        "doc=plfts.a b",
        &w("(\"api\".\"items\".\"doc\" @@ plainto_tsquery($1))"),
        &["a b"],
    );
    check(
        "doc=phfts.a b",
        &w("(\"api\".\"items\".\"doc\" @@ phraseto_tsquery($1))"),
        &["a b"],
    );
    check(
        "doc=wfts.a b",
        &w("(\"api\".\"items\".\"doc\" @@ websearch_to_tsquery($1))"),
        &["a b"],
    );
    check("tags=cs.{a}", &w("(\"api\".\"items\".\"tags\" @> $1)"), &["{a}"]);
    check("tags=cd.{a}", &w("(\"api\".\"items\".\"tags\" <@ $1)"), &["{a}"]);
    check("tags=ov.{a}", &w("(\"api\".\"items\".\"tags\" && $1)"), &["{a}"]);
    check("id=sl.[1,2]", &w("(\"api\".\"items\".\"id\" << $1)"), &["[1,2]"]);
    check("id=sr.[1,2]", &w("(\"api\".\"items\".\"id\" >> $1)"), &["[1,2]"]);
    check("id=nxr.[1,2]", &w("(\"api\".\"items\".\"id\" &< $1)"), &["[1,2]"]);
    check("id=nxl.[1,2]", &w("(\"api\".\"items\".\"id\" &> $1)"), &["[1,2]"]);
    check(
        "id=adj.[1,2]",
        &w("(\"api\".\"items\".\"id\" -|- $1)"),
        &["[1,2]"],
    );
    check(
        "id=eq(any).{1,2}",
        &w("(\"api\".\"items\".\"id\" = ANY($1))"),
        &["{1,2}"],
    );
    check(
        "name=like(all).{a*,*b}",
        &w("(\"api\".\"items\".\"name\" LIKE ALL($1))"),
        &["{a%,%b}"],
    );
    check(
        "data->>a=eq.x",
        &w("(\"api\".\"items\".\"data\"->>$1 = $2)"),
        &["a", "x"],
    );
    check(
        "id=eq.1&name=eq.a",
        &w("(\"api\".\"items\".\"id\" = $1) AND (\"api\".\"items\".\"name\" = $2)"),
        &["1", "a"],
    );
}

#[test]
fn logic_trees() {
    let w = |cond: &str| format!("{FROM} WHERE {cond}");
    check(
        "or=(id.eq.1,name.eq.a)",
        &w("((\"api\".\"items\".\"id\" = $1) OR (\"api\".\"items\".\"name\" = $2))"),
        &["1", "a"],
    );
    check(
        "not.or=(id.eq.1,and(name.eq.a,id.gt.2))",
        &w("NOT ((\"api\".\"items\".\"id\" = $1) OR ((\"api\".\"items\".\"name\" = $2) AND (\"api\".\"items\".\"id\" > $3)))"),
        &["1", "a", "2"],
    );
}

#[test]
fn order_and_range() {
    check(
        "order=id.desc",
        &format!("{FROM} ORDER BY \"api\".\"items\".\"id\" DESC"),
        &[],
    );
    check(
        "order=name.asc.nullslast,id",
        &format!("{FROM} ORDER BY \"api\".\"items\".\"name\" ASC NULLS LAST, \"api\".\"items\".\"id\""),
        &[],
    );
    check(
        "order=data->>k.desc.nullsfirst",
        &format!("{FROM} ORDER BY \"api\".\"items\".\"data\"->>$1 DESC NULLS FIRST"),
        &["k"],
    );
    check("limit=10", &format!("{FROM} LIMIT $1 OFFSET $2"), &["10", "0"]);
    check(
        "limit=10&offset=5",
        &format!("{FROM} LIMIT $1 OFFSET $2"),
        &["10", "5"],
    );
    check("offset=5", &format!("{FROM} LIMIT ALL OFFSET $1"), &["5"]);
}

#[test]
fn result_shapes() {
    let (sql, _) = sql_with("", DEFAULT);
    assert!(sql.ends_with(
        " SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, \
         coalesce(json_agg(_postgrest_t), '[]') AS body, \
         nullif(current_setting('response.headers', true), '') AS response_headers, \
         nullif(current_setting('response.status', true), '') AS response_status \
         FROM (SELECT * FROM pgrst_source) _postgrest_t"
    ));
    let (sql, _) = sql_with(
        "",
        Opts {
            count: Some(CountPref::Exact),
            ..DEFAULT
        },
    );
    assert!(
        sql.contains("SELECT pg_catalog.count(_postgrest_t) AS total_result_set"),
        "{sql}"
    );
    let (sql, _) = sql_with(
        "limit=1",
        Opts {
            count: Some(CountPref::Exact),
            ..DEFAULT
        },
    );
    assert!(
        sql.contains(", pgrst_source_count AS (SELECT 1 FROM \"api\".\"items\")"),
        "{sql}"
    );
    let (sql, p) = sql_with(
        "",
        Opts {
            count: Some(CountPref::Estimated),
            max_rows: Some(100),
            ..DEFAULT
        },
    );
    assert!(
        sql.contains("pgrst_source_count AS (SELECT 1 FROM \"api\".\"items\" LIMIT $3)"),
        "{sql}"
    );
    assert_eq!(p.last().cloned().flatten().as_deref(), Some("101"));
    let (sql, _) = sql_with(
        "",
        Opts {
            format: OutputFormat::Object {
                nulls_stripped: false,
            },
            ..DEFAULT
        },
    );
    assert!(
        sql.contains("coalesce(json_agg(_postgrest_t)->0, 'null') AS body"),
        "{sql}"
    );
    let (sql, _) = sql_with(
        "",
        Opts {
            format: OutputFormat::Array { nulls_stripped: true },
            ..DEFAULT
        },
    );
    assert!(sql.contains("json_strip_nulls(json_agg(_postgrest_t))"), "{sql}");
    let (sql, _) = sql_with(
        "",
        Opts {
            format: OutputFormat::Csv,
            ..DEFAULT
        },
    );
    assert!(sql.contains("string_agg(substring(_postgrest_t::text"), "{sql}");
    let (sql, _) = sql_with(
        "",
        Opts {
            head: true,
            ..DEFAULT
        },
    );
    assert!(sql.contains("''::text AS body"), "{sql}");
    let (sql, _) = sql_with(
        "",
        Opts {
            max_rows: Some(5),
            ..DEFAULT
        },
    );
    assert!(sql.contains("LIMIT $1 OFFSET $2"), "{sql}");
}

#[test]
fn count_plan() {
    let req = plan(
        "id=gt.1&limit=3",
        Opts {
            count: Some(CountPref::Planned),
            ..DEFAULT
        },
    );
    let s = restgres_sql::count_plan_statement(&req.plan);
    assert_eq!(
        s.sql,
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM \"api\".\"items\" WHERE (\"api\".\"items\".\"id\" > $1)"
    );
    assert_eq!(s.params, vec![Some("1".to_string())]);
}

#[test]
fn hostile_names_stay_quoted() {
    check(
        "select=x$y:name,\"a\\\"b\"",
        "SELECT \"api\".\"items\".\"name\" AS \"x$y\", \"api\".\"items\".\"a\"\"b\" FROM \"api\".\"items\"",
        &[],
    );
    check(
        "my%20col%C3%A9=eq.1",
        "SELECT \"api\".\"items\".* FROM \"api\".\"items\" WHERE (\"api\".\"items\".\"my colé\" = $1)",
        &["1"],
    );
}

/// Whole statements, reviewed as snapshots: a change to the SQL shape shows up as a diff to read.
#[test]
fn snapshots() {
    let cases = [
        ("read_filtered_ordered_paged", "select=id,n:name,data->>k&or=(id.lt.3,name.ilike.*x*)&order=id.desc.nullslast&limit=10&offset=20", DEFAULT),
        ("read_exact_count_csv", "select=id,name&tags=cs.{a,b}&limit=5", Opts { count: Some(CountPref::Exact), format: OutputFormat::Csv, ..DEFAULT }),
        ("read_single_object_stripped", "id=eq.1", Opts { format: OutputFormat::Object { nulls_stripped: true }, ..DEFAULT }),
        ("read_aggregates", "select=name,total:amount.sum()::int,count()&doc=wfts(english).cat", DEFAULT),
        ("read_estimated_count_max_rows", "name=not.is.null", Opts { count: Some(CountPref::Estimated), max_rows: Some(1000), ..DEFAULT }),
    ];
    for (name, query, opts) in cases {
        let (sql, params) = sql_with(query, opts);
        insta::assert_snapshot!(name, format!("{query}\n---\n{sql}\n---\n{params:?}"));
    }
}
