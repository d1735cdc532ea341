//! SQL for writes: the mutation as a CTE, then the same read machinery over the rows it returned.

use crate::builder::{array_literal, quote_ident, quote_qualified, Sql, Statement};
use crate::read::{body_expr, condition, select_query};
use restgres_plan::mutate::{MutatePlan, MutationKind, WriteColumn};
use restgres_plan::{OutputFormat, ReadPlan};
use restgres_request::prefer::Resolution;

/// Everything a write statement is built from.
pub struct WriteStatement<'a> {
    pub mutation: &'a MutatePlan,
    /// The read over the returned rows (`select`, embeds, `order`).
    pub read: &'a ReadPlan,
    pub format: OutputFormat,
    /// `return=representation`: build the body.
    pub representation: bool,
    /// POST with `return=headers-only`: the inserted row's primary key for `Location`.
    pub location: bool,
    /// The request body (JSON text), bound as one parameter.
    pub body: &'a str,
}

/// `WITH pgrst_written AS (<mutation> RETURNING ...), pgrst_source AS (<read>) SELECT <standard columns>,
/// location, inserted FROM pgrst_source`.
pub fn write_statement(w: &WriteStatement<'_>) -> Statement {
    let m = w.mutation;
    let mut sql = Sql::default();
    let table = quote_qualified(&m.table);
    // Upserts on tables tell inserted rows from updated ones by `xmax = 0` on the returned row.
    let count_inserted = matches!(m.kind, MutationKind::Insert { on_conflict: Some(_) }) && m.is_table;
    // The written rows are `pgrst_written`; the read over them is `pgrst_source`, as for a GET.
    sql.push("WITH ")
        .push(if count_inserted {
            "pgrst_mutation"
        } else {
            "pgrst_written"
        })
        .push(" AS (");
    let returning = match &m.kind {
        MutationKind::Insert { on_conflict } => {
            insert(&mut sql, m, on_conflict.as_ref(), w.body);
            true
        }
        MutationKind::Update => update(&mut sql, m, w.body),
        MutationKind::Delete => {
            delete(&mut sql, m);
            true
        }
    };
    if returning {
        sql.push(" RETURNING ").push(&table).push(".*");
    }
    if count_inserted {
        sql.push(", (xmax = 0) AS \"pgrst_inserted\"), pgrst_written AS (SELECT ");
        let cols: Vec<String> = m.table_columns.iter().map(|c| quote_ident(c)).collect();
        sql.push(&cols.join(", ")).push(" FROM pgrst_mutation");
    }
    sql.push("), pgrst_source AS (");
    select_query(&mut sql, w.read, true);
    sql.push(") SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, ");
    let body = if w.representation {
        body_expr(&w.format, false)
    } else {
        "''::text".to_string()
    };
    sql.push(&body).push(" AS body, ");
    sql.push("nullif(current_setting('response.headers', true), '') AS response_headers, ");
    sql.push("nullif(current_setting('response.status', true), '') AS response_status, ");
    if w.location && !m.primary_key.is_empty() {
        sql.push(
            "CASE WHEN pg_catalog.count(_postgrest_t) = 1 THEN (SELECT array_agg(j.key || '=' || \
             coalesce('eq.' || j.value, 'is.null')) FROM (SELECT row_to_json(s) AS r FROM pgrst_written s LIMIT 1) d \
             CROSS JOIN json_each_text(d.r) AS j WHERE j.key = ANY(",
        );
        sql.param(array_literal(&m.primary_key))
            .push("::text[])) END AS location, ");
    } else {
        sql.push("NULL::text[] AS location, ");
    }
    match (&m.kind, count_inserted) {
        (_, true) => {
            sql.push("(SELECT pg_catalog.count(*) FROM pgrst_mutation WHERE \"pgrst_inserted\") AS inserted")
        }
        (MutationKind::Insert { .. }, false) => sql.push("pg_catalog.count(_postgrest_t) AS inserted"),
        _ => sql.push("NULL::bigint AS inserted"),
    };
    sql.push(" FROM (SELECT * FROM pgrst_source) _postgrest_t");
    sql.finish()
}

/// `FROM json_to_record[set]($n) AS "pgrst_body"(col type, ...)`, with column defaults merged in first
/// under `Prefer: missing=default`.
fn body_source(sql: &mut Sql, m: &MutatePlan, body: &str, single: bool) {
    let with_defaults = m.columns.iter().any(|c| c.default.is_some());
    let typed = |sql: &mut Sql| {
        sql.push(" AS \"pgrst_body\"(");
        for (i, c) in m.columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            // The type is catalog text (format_type), never request text; a domain representation reads the
            // JSON value and converts it below.
            let ty = if c.input_fn.is_some() { "json" } else { &c.sql_type };
            sql.ident(&c.name).push(" ").push(ty);
        }
        sql.push(")");
    };
    let object = m.body_is_object || single;
    if with_defaults {
        let defaults = defaults_object(&m.columns);
        if m.body_is_object {
            sql.push("jsonb_to_record(")
                .push(&defaults)
                .push(" || ")
                .param(body)
                .push("::jsonb)");
        } else {
            sql.push("jsonb_to_recordset((SELECT jsonb_agg(")
                .push(&defaults)
                .push(" || pgrst_elem) FROM jsonb_array_elements(");
            sql.param(body).push("::jsonb) AS pgrst_elem))");
        }
    } else if object && m.body_is_object {
        sql.push("json_to_record(").param(body).push("::json)");
    } else {
        sql.push("json_to_recordset(").param(body).push("::json)");
    }
    typed(sql);
}

/// A body column's value, through its domain representation when there is one.
fn body_value(c: &WriteColumn) -> String {
    let col = format!("\"pgrst_body\".{}", quote_ident(&c.name));
    match &c.input_fn {
        Some(f) => format!("{}({col})", quote_qualified(f)),
        None => col,
    }
}

/// `jsonb_build_object('col', <default>, ...)` of the columns that have defaults.
fn defaults_object(columns: &[WriteColumn]) -> String {
    let pairs: Vec<String> = columns
        .iter()
        .filter_map(|c| {
            c.default
                .as_ref()
                .map(|d| format!("{}, {d}", string_literal(&c.name)))
        })
        .collect();
    format!("jsonb_build_object({})", pairs.join(", "))
}

/// A SQL string literal of catalog text (a column name).
fn string_literal(s: &str) -> String {
    format!(
        "'{}'",
        s.split('\0').next().unwrap_or_default().replace('\'', "''")
    )
}

fn insert(sql: &mut Sql, m: &MutatePlan, on_conflict: Option<&(Resolution, Vec<String>)>, body: &str) {
    let table = quote_qualified(&m.table);
    sql.push("INSERT INTO ").push(&table);
    if m.columns.is_empty() {
        // `{}` or `[{}, ...]`: one row of defaults per object.
        sql.push(" SELECT FROM json_array_elements(CASE WHEN json_typeof(");
        sql.param(body)
            .push("::json) = 'array' THEN ")
            .param(body)
            .push("::json ELSE json_build_array(");
        sql.param(body).push("::json) END)");
    } else {
        let cols: Vec<String> = m.columns.iter().map(|c| quote_ident(&c.name)).collect();
        sql.push("(").push(&cols.join(", ")).push(") SELECT ");
        let body_cols: Vec<String> = m.columns.iter().map(body_value).collect();
        sql.push(&body_cols.join(", ")).push(" FROM ");
        body_source(sql, m, body, false);
        // PUT: the body's row must be the one the URL names.
        for (i, c) in m.conditions.iter().enumerate() {
            sql.push(if i == 0 { " WHERE " } else { " AND " });
            condition(sql, "\"pgrst_body\"", c);
        }
    }
    if let Some((resolution, target)) = on_conflict {
        let target: Vec<String> = target.iter().map(|c| quote_ident(c)).collect();
        sql.push(" ON CONFLICT(").push(&target.join(", ")).push(") ");
        match resolution {
            Resolution::MergeDuplicates if !m.columns.is_empty() => {
                sql.push("DO UPDATE SET ");
                let sets: Vec<String> = m
                    .columns
                    .iter()
                    .map(|c| format!("{0} = EXCLUDED.{0}", quote_ident(&c.name)))
                    .collect();
                sql.push(&sets.join(", "));
            }
            _ => {
                sql.push("DO NOTHING");
            }
        }
    }
}

/// Returns whether the statement needs a RETURNING clause.
fn update(sql: &mut Sql, m: &MutatePlan, body: &str) -> bool {
    let table = quote_qualified(&m.table);
    if m.columns.is_empty() {
        // Nothing to set (`{}`): no row changes, but the result keeps the table's shape.
        sql.push("SELECT ")
            .push(&table)
            .push(".* FROM ")
            .push(&table)
            .push(" WHERE false");
        return false;
    }
    sql.push("UPDATE ").push(&table).push(" SET ");
    let sets: Vec<String> = m
        .columns
        .iter()
        .map(|c| format!("{} = {}", quote_ident(&c.name), body_value(c)))
        .collect();
    sql.push(&sets.join(", ")).push(" FROM (SELECT * FROM ");
    body_source(sql, m, body, true);
    sql.push(" LIMIT 1) AS \"pgrst_body\"");
    for (i, c) in m.conditions.iter().enumerate() {
        sql.push(if i == 0 { " WHERE " } else { " AND " });
        condition(sql, &table, c);
    }
    true
}

fn delete(sql: &mut Sql, m: &MutatePlan) {
    let table = quote_qualified(&m.table);
    sql.push("DELETE FROM ").push(&table);
    for (i, c) in m.conditions.iter().enumerate() {
        sql.push(if i == 0 { " WHERE " } else { " AND " });
        condition(sql, &table, c);
    }
}
