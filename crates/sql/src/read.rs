//! SQL for reads: the main statement that returns the body built by PostgreSQL, and the planned-count EXPLAIN.

use crate::builder::{array_literal, quote_ident, quote_qualified, Sql, Statement};
use restgres_plan::cast::CastType;
use restgres_plan::negotiate::CustomOutput;
use restgres_plan::{EmbedPlan, OutputFormat, PCondition, PField, POrder, PSelect, ReadPlan, ReadRequest};
use restgres_request::prefer::CountPref;
use restgres_request::{
    AggregateFn, Direction, FtsOperator, IsValue, JsonKey, LogicOp, Nulls, Operation, Operator, Quantifier,
};
use restgres_schema::{Cardinality, Relationship, RelationshipKind};

/// Columns of every main statement, in order: total_result_set (int8, null unless counted), page_total (int8),
/// body (json or text), response_headers (text), response_status (text).
pub const READ_COLUMNS: [&str; 5] = [
    "total_result_set",
    "page_total",
    "body",
    "response_headers",
    "response_status",
];

/// The main statement of a GET/HEAD.
pub fn read_statement(req: &ReadRequest) -> Statement {
    let mut sql = Sql::default();
    sql.push("WITH ");
    main_statement(sql, req, &body_expr(&req.format, req.head))
}

/// `pgrst_source AS (...) [, pgrst_source_count AS (...)] SELECT <standard columns>`, after `WITH ` (and any
/// CTE the caller wrote first), with the given body expression.
pub(crate) fn main_statement(mut sql: Sql, req: &ReadRequest, body: &str) -> Statement {
    let plan = &req.plan;
    sql.push("pgrst_source AS (");
    select_query(&mut sql, plan, true);
    sql.push(")");

    let total = match req.count {
        None | Some(CountPref::Planned) => "null::bigint",
        Some(CountPref::Exact) if plan.range == restgres_request::RowRange::all() => {
            // Nothing limits the page, so the page is the whole result: count it once.
            "pg_catalog.count(_postgrest_t)"
        }
        Some(CountPref::Exact) => {
            sql.push(", pgrst_source_count AS (");
            count_query(&mut sql, plan, None);
            sql.push(")");
            "(SELECT pg_catalog.count(*) FROM pgrst_source_count)"
        }
        Some(CountPref::Estimated) => {
            // Exact up to db-max-rows; one more row tells the caller to use the planner's estimate.
            sql.push(", pgrst_source_count AS (");
            count_query(&mut sql, plan, req.max_rows.map(|m| m.saturating_add(1)));
            sql.push(")");
            "(SELECT pg_catalog.count(*) FROM pgrst_source_count)"
        }
    };

    sql.push(" SELECT ")
        .push(total)
        .push(" AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, ");
    sql.push(body).push(" AS body, ");
    sql.push("nullif(current_setting('response.headers', true), '') AS response_headers, ");
    sql.push("nullif(current_setting('response.status', true), '') AS response_status ");
    sql.push("FROM (SELECT * FROM pgrst_source) _postgrest_t");
    sql.finish()
}

/// `EXPLAIN (FORMAT JSON)` of the count query; the caller reads `[0].Plan."Plan Rows"`.
pub fn count_plan_statement(plan: &ReadPlan) -> Statement {
    let mut sql = Sql::default();
    sql.push("EXPLAIN (FORMAT JSON) ");
    count_query(&mut sql, plan, None);
    sql.finish()
}

/// The body of a representation, aggregated over `_postgrest_t` (the page's rows).
pub(crate) fn body_expr(format: &OutputFormat, head: bool) -> String {
    if head {
        return "''::text".to_string();
    }
    match format {
        OutputFormat::GeoJson => "json_build_object('type', 'FeatureCollection', 'features', \
             coalesce(json_agg(ST_AsGeoJSON(_postgrest_t)::json), '[]'))"
            .to_string(),
        OutputFormat::Raw(raw) => {
            let col = format!("_postgrest_t.{}", quote_ident(&raw.column));
            if raw.binary {
                format!("coalesce(string_agg({col}, ''::bytea), ''::bytea)")
            } else {
                format!("coalesce(string_agg({col}::text, ''), '')")
            }
        }
        OutputFormat::Custom(c) => custom_body(c, "_postgrest_t.pgrst_scalar"),
        builtin => builtin_body(builtin).to_string(),
    }
}

/// A handler's body: its aggregate over the rows (cast to its row type), or the function's own result
/// (`scalar`), as bytes or text.
pub(crate) fn custom_body(c: &CustomOutput, scalar: &str) -> String {
    let (cast, empty) = if c.binary {
        ("bytea", "''::bytea")
    } else {
        ("text", "''")
    };
    let value = match (&c.aggregate, &c.target) {
        (Some(agg), Some(target)) => format!(
            "{}(_postgrest_t::{})",
            quote_qualified(agg),
            quote_qualified(target)
        ),
        (Some(agg), None) => format!("{}(_postgrest_t)", quote_qualified(agg)),
        (None, _) => format!("(array_agg({scalar}))[1]"),
    };
    format!("coalesce(({value})::{cast}, {empty})")
}

fn builtin_body(format: &OutputFormat) -> &'static str {
    match format {
        OutputFormat::Json
        | OutputFormat::Array {
            nulls_stripped: false,
        } => "coalesce(json_agg(_postgrest_t), '[]')",
        OutputFormat::Array { nulls_stripped: true } => {
            "coalesce(json_strip_nulls(json_agg(_postgrest_t)), '[]')"
        }
        OutputFormat::Object {
            nulls_stripped: false,
        } => "coalesce(json_agg(_postgrest_t)->0, 'null')",
        OutputFormat::Object { nulls_stripped: true } => {
            "coalesce(json_strip_nulls(json_agg(_postgrest_t)->0), 'null')"
        }
        OutputFormat::Csv => {
            "(SELECT coalesce(string_agg(a.k, ','), '') FROM (SELECT json_object_keys(r)::text AS k FROM \
             (SELECT row_to_json(hh) AS r FROM pgrst_source AS hh LIMIT 1) s) a) || '\n' || \
             coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), '\n'), '')"
        }
        // Handled by body_expr.
        OutputFormat::GeoJson | OutputFormat::Raw(_) | OutputFormat::Custom(_) => "''::text",
    }
}

/// How a level names its relation: by its qualified name at the top, by its alias below.
struct Names {
    /// Prefix for columns: `"api"."books"` or `"authors_1"`.
    qual: String,
    /// The whole-row reference passed to computed relationships: `"books"` or `"authors_1"`.
    row: String,
}

impl Names {
    fn of(plan: &ReadPlan) -> Names {
        match &plan.alias {
            Some(a) => Names {
                qual: quote_ident(a),
                row: quote_ident(a),
            },
            None => Names {
                qual: quote_qualified(&plan.from),
                row: quote_ident(&plan.from.name),
            },
        }
    }
}

/// What a level's query is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The rows themselves, ordered and paged.
    Rows,
    /// Only to count them: no output columns, no order or range, only the joins that filter.
    Count,
}

pub(crate) fn select_query(sql: &mut Sql, plan: &ReadPlan, with_range: bool) {
    level(sql, plan, None, if with_range { Mode::Rows } else { Mode::Count });
}

pub(crate) fn count_query(sql: &mut Sql, plan: &ReadPlan, limit: Option<i64>) {
    level(sql, plan, None, Mode::Count);
    if let Some(l) = limit {
        sql.push(" LIMIT ").param(l.to_string());
    }
}

/// One level: `SELECT ... FROM relation [embeds as lateral joins] WHERE ... GROUP BY ... ORDER BY ... LIMIT`.
/// `parent` is the relationship from the parent level and the parent's names, for embedded levels.
fn level(sql: &mut Sql, plan: &ReadPlan, parent: Option<(&Relationship, &Names)>, mode: Mode) {
    if parent.is_none() && mode == Mode::Rows && page_before_embeds(plan) {
        return paged_level(sql, plan);
    }
    let names = Names::of(plan);
    let jsonb = plan.has_aggregates();
    sql.push("SELECT ");
    if mode == Mode::Count {
        sql.push("1");
    } else {
        let mut first = true;
        let mut sep = |sql: &mut Sql| {
            if !first {
                sql.push(", ");
            }
            first = false;
        };
        for item in &plan.select {
            sep(sql);
            select_item(sql, &names.qual, item);
        }
        for e in plan.embeds.iter().filter(|e| e.outputs()) {
            sep(sql);
            embed_output(sql, e);
        }
        if first {
            // Nothing selected (`embed()`): the rows still decide the embed's presence.
            sql.push("1");
        }
    }
    sql.push(" FROM ");
    match parent {
        None => {
            sql.push(&names.qual);
        }
        Some((rel, parent_names)) => {
            from_related(sql, plan, rel, &names, parent_names);
        }
    }
    for e in &plan.embeds {
        // Counting needs only the joins that can drop rows (or that grouping refers to).
        if mode == Mode::Rows || e.inner || jsonb || filters_on(&plan.conditions, &e.lateral) {
            lateral(sql, e, &names, jsonb && mode == Mode::Rows);
        }
    }
    let mut first = true;
    if let Some((rel, parent_names)) = parent {
        for cond in join_conditions(rel, &names.qual, &junction_alias(plan), &parent_names.qual) {
            sql.push(if first { " WHERE " } else { " AND " }).push(&cond);
            first = false;
        }
    }
    for c in &plan.conditions {
        sql.push(if first { " WHERE " } else { " AND " });
        first = false;
        condition(sql, &names.qual, c);
    }
    group_by(sql, &names.qual, plan);
    if mode == Mode::Rows {
        order_by(sql, &names, &plan.order);
        range(sql, plan);
    }
}

/// Whether the top level's rows (filters, order, range) do not depend on its embeds, so the page can be
/// chosen before they are joined: then rows skipped by OFFSET cost no embed lookups.
fn page_before_embeds(plan: &ReadPlan) -> bool {
    !plan.embeds.is_empty()
        && !plan.has_aggregates()
        && plan
            .embeds
            .iter()
            .all(|e| !e.inner && !filters_on(&plan.conditions, &e.lateral))
}

/// The top level as `SELECT ... FROM (the page) LEFT JOIN LATERAL ... ORDER BY ...`. With computed fields or
/// relationships the page keeps whole typed rows (`"pgrst_page"."pgrst_row"`), which they need.
fn paged_level(sql: &mut Sql, plan: &ReadPlan) {
    let table = Names::of(plan);
    let names = if plan.columns_only {
        let page = "\"pgrst_page\"".to_string();
        Names {
            qual: page.clone(),
            row: page,
        }
    } else {
        let row = "(\"pgrst_page\".\"pgrst_row\")".to_string();
        Names {
            qual: row.clone(),
            row,
        }
    };
    sql.push("SELECT ");
    for (i, item) in plan.select.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        select_item(sql, &names.qual, item);
    }
    for (i, e) in plan.embeds.iter().filter(|e| e.outputs()).enumerate() {
        if i > 0 || !plan.select.is_empty() {
            sql.push(", ");
        }
        if e.spread {
            embed_output(sql, e);
        } else {
            scalar_embed(sql, e, &names);
        }
    }
    sql.push(" FROM (SELECT ");
    if plan.columns_only {
        sql.push(&table.qual).push(".*");
    } else {
        sql.push(&table.row).push(" AS \"pgrst_row\"");
    }
    sql.push(" FROM ").push(&table.qual);
    for (i, c) in plan.conditions.iter().enumerate() {
        sql.push(if i == 0 { " WHERE " } else { " AND " });
        condition(sql, &table.qual, c);
    }
    order_by(sql, &table, &plan.order);
    range(sql, plan);
    sql.push(") AS \"pgrst_page\"");
    for e in plan.embeds.iter().filter(|e| e.spread) {
        lateral(sql, e, &names, false);
    }
    order_by(sql, &names, &plan.order);
}

/// An embed as a scalar subquery in the select list: evaluated only for the rows of the page, and cheaper
/// to plan than a lateral join.
fn scalar_embed(sql: &mut Sql, e: &EmbedPlan, parent: &Names) {
    let rows = quote_ident(&format!("{}_r", e.lateral));
    let child = |sql: &mut Sql| level(sql, &e.plan, Some((&e.relationship, parent)), Mode::Rows);
    if e.to_one() {
        sql.push("(SELECT row_to_json(").push(&rows).push(".*) FROM (");
        child(sql);
        sql.push(") AS ").push(&rows).push(" LIMIT 1) AS ").ident(&e.key);
    } else {
        sql.push("COALESCE((SELECT json_agg(")
            .push(&rows)
            .push(".*) FROM (");
        child(sql);
        sql.push(") AS ").push(&rows).push("), '[]') AS ").ident(&e.key);
    }
}

fn range(sql: &mut Sql, plan: &ReadPlan) {
    if plan.range != restgres_request::RowRange::all() {
        sql.push(" LIMIT ");
        match plan.range.limit {
            Some(l) => sql.param(l.to_string()),
            None => sql.push("ALL"),
        };
        sql.push(" OFFSET ").param(plan.range.offset.to_string());
    }
}

/// Whether a condition (at any depth) tests the presence of this embed.
fn filters_on(conditions: &[PCondition], lateral: &str) -> bool {
    conditions.iter().any(|c| match c {
        PCondition::EmbedNull { lateral: l, .. } => l == lateral,
        PCondition::Tree { children, .. } => filters_on(children, lateral),
        PCondition::Filter { .. } => false,
    })
}

fn junction_alias(plan: &ReadPlan) -> String {
    format!("{}_j", plan.alias.as_deref().unwrap_or(&plan.from.name))
}

/// `FROM` of an embedded level: the target relation, through the junction or the function.
fn from_related(sql: &mut Sql, plan: &ReadPlan, rel: &Relationship, names: &Names, parent: &Names) {
    match &rel.kind {
        RelationshipKind::Computed { function, .. } => {
            sql.push(&quote_qualified(function))
                .push("(")
                .push(&parent.row)
                .push(") AS ")
                .push(&names.qual);
        }
        RelationshipKind::ForeignKey { .. } => {
            sql.push(&quote_qualified(&plan.from))
                .push(" AS ")
                .push(&names.qual);
            if let Cardinality::ManyToMany(j) = &rel.cardinality {
                let ja = quote_ident(&junction_alias(plan));
                sql.push(" INNER JOIN ")
                    .push(&quote_qualified(&j.table))
                    .push(" AS ")
                    .push(&ja)
                    .push(" ON ");
                for (i, (jc, tc)) in j.target_columns.iter().enumerate() {
                    if i > 0 {
                        sql.push(" AND ");
                    }
                    sql.push(&format!(
                        "{ja}.{} = {}.{}",
                        quote_ident(jc),
                        names.qual,
                        quote_ident(tc)
                    ));
                }
            }
        }
    }
}

/// The conditions tying an embedded level's rows to the parent row.
fn join_conditions(rel: &Relationship, child: &str, junction: &str, parent: &str) -> Vec<String> {
    match (&rel.kind, &rel.cardinality) {
        (RelationshipKind::Computed { .. }, _) => Vec::new(),
        (RelationshipKind::ForeignKey { .. }, Cardinality::ManyToMany(j)) => {
            let ja = quote_ident(junction);
            j.source_columns
                .iter()
                .map(|(sc, jc)| format!("{ja}.{} = {parent}.{}", quote_ident(jc), quote_ident(sc)))
                .collect()
        }
        (RelationshipKind::ForeignKey { columns, .. }, _) => columns
            .iter()
            .map(|(sc, tc)| format!("{child}.{} = {parent}.{}", quote_ident(tc), quote_ident(sc)))
            .collect(),
    }
}

/// What an embed adds to its parent's select list.
fn embed_output(sql: &mut Sql, e: &EmbedPlan) {
    let lat = quote_ident(&e.lateral);
    if e.spread && e.to_one() {
        for (i, c) in e.spread_columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let col = format!("{lat}.{}", quote_ident(&c.key));
            match c.aggregate {
                None => {
                    sql.push(&col);
                }
                Some(agg) => {
                    // Hoisted: the parent aggregates the spread column (count() counts the parent's rows).
                    with_cast(sql, c.aggregate_cast.as_ref(), |sql| {
                        sql.push(aggregate_name(agg)).push("(");
                        sql.push(if c.from_child { &col } else { "*" });
                        sql.push(")");
                    });
                    sql.push(" AS ").ident(&c.key);
                }
            }
        }
    } else if e.spread {
        // Each spread column is an array; `[]` when there are no children.
        for (i, k) in e.spread_keys.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let col = quote_ident(k);
            sql.push(&format!("COALESCE({lat}.{col}, '[]') AS {col}"));
        }
    } else if e.to_one() {
        sql.push(&format!("{lat}.\"pgrst_json\" AS ")).ident(&e.key);
    } else {
        sql.push(&format!("COALESCE({lat}.\"pgrst_json\", '[]') AS "))
            .ident(&e.key);
    }
}

/// `LEFT|INNER JOIN LATERAL (...) AS "pgrst_n" ON TRUE`: the embedded rows as JSON (or as columns for a
/// spread). `jsonb` when the parent groups by the embed (json has no equality).
fn lateral(sql: &mut Sql, e: &EmbedPlan, parent: &Names, jsonb: bool) {
    let lat = quote_ident(&e.lateral);
    let rows = quote_ident(&format!("{}_r", e.lateral));
    sql.push(if e.inner {
        " INNER JOIN LATERAL ("
    } else {
        " LEFT JOIN LATERAL ("
    });
    let child = |sql: &mut Sql| level(sql, &e.plan, Some((&e.relationship, parent)), Mode::Rows);
    // A to-many aggregate always yields a row; with !inner, none when there are no children.
    let having = if e.inner {
        " HAVING pg_catalog.count(*) > 0"
    } else {
        ""
    };
    match (e.spread, e.to_one()) {
        (false, true) => {
            sql.push("SELECT row_to_json(").push(&rows).push(".*)");
            if jsonb {
                sql.push("::jsonb");
            }
            sql.push(" AS \"pgrst_json\" FROM (");
            child(sql);
            // LIMIT keeps the subquery correlated: the planner would otherwise pull it up and build the
            // JSON of every row of the target before joining (a hash join over the whole table).
            sql.push(") AS ").push(&rows).push(" LIMIT 1");
        }
        (false, false) => {
            sql.push(if jsonb {
                "SELECT jsonb_agg("
            } else {
                "SELECT json_agg("
            });
            sql.push(&rows).push(".*) AS \"pgrst_json\" FROM (");
            child(sql);
            sql.push(") AS ").push(&rows).push(having);
        }
        (true, true) => {
            sql.push("SELECT ").push(&rows).push(".* FROM (");
            child(sql);
            sql.push(") AS ").push(&rows).push(" LIMIT 1");
        }
        (true, false) => {
            sql.push("SELECT ");
            for (i, k) in e.spread_keys.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let col = quote_ident(k);
                sql.push(&format!("json_agg({rows}.{col}) AS {col}"));
            }
            if e.spread_keys.is_empty() {
                sql.push("1");
            }
            sql.push(" FROM (");
            child(sql);
            sql.push(") AS ").push(&rows).push(having);
        }
    }
    sql.push(") AS ").push(&lat).push(" ON TRUE");
}

fn group_by(sql: &mut Sql, from: &str, plan: &ReadPlan) {
    if !plan.has_aggregates() {
        return;
    }
    let mut first = true;
    let mut sep = |sql: &mut Sql| {
        sql.push(if first { " GROUP BY " } else { ", " });
        first = false;
    };
    for item in &plan.select {
        if let PSelect::Column {
            field,
            aggregate: None,
            alias,
            cast,
            ..
        } = item
        {
            sep(sql);
            match alias {
                Some(a) => {
                    sql.ident(a);
                }
                None => with_cast(sql, cast.as_ref(), |sql| field_expr(sql, from, field)),
            }
        }
    }
    for e in plan.embeds.iter().filter(|e| e.outputs()) {
        let lat = quote_ident(&e.lateral);
        if !e.spread {
            sep(sql);
            sql.push(&lat).push(".\"pgrst_json\"");
        } else if e.to_one() {
            for c in e.spread_columns.iter().filter(|c| c.aggregate.is_none()) {
                sep(sql);
                sql.push(&format!("{lat}.{}", quote_ident(&c.key)));
            }
        }
    }
}

fn order_by(sql: &mut Sql, names: &Names, order: &[POrder]) {
    for (i, term) in order.iter().enumerate() {
        sql.push(if i == 0 { " ORDER BY " } else { ", " });
        match &term.related {
            None => field_expr(sql, &names.qual, &term.field),
            Some(r) => {
                // The to-one row's column, looked up with the same join as the embed.
                let alias = quote_ident(&r.alias);
                sql.push("(SELECT ");
                field_expr(sql, &alias, &term.field);
                sql.push(" FROM ");
                match &r.relationship.kind {
                    RelationshipKind::Computed { function, .. } => {
                        sql.push(&quote_qualified(function))
                            .push("(")
                            .push(&names.row)
                            .push(")");
                    }
                    RelationshipKind::ForeignKey { .. } => {
                        sql.push(&quote_qualified(&r.relationship.target));
                    }
                }
                sql.push(" AS ").push(&alias);
                let conds = join_conditions(&r.relationship, &alias, "", &names.qual);
                for (i, c) in conds.iter().enumerate() {
                    sql.push(if i == 0 { " WHERE " } else { " AND " }).push(c);
                }
                sql.push(" LIMIT 1)");
            }
        }
        match term.direction {
            Some(Direction::Asc) => sql.push(" ASC"),
            Some(Direction::Desc) => sql.push(" DESC"),
            None => sql,
        };
        match term.nulls {
            Some(Nulls::First) => sql.push(" NULLS FIRST"),
            Some(Nulls::Last) => sql.push(" NULLS LAST"),
            None => sql,
        };
    }
}

fn select_item(sql: &mut Sql, from: &str, item: &PSelect) {
    match item {
        PSelect::Star => {
            sql.push(from).push(".*");
        }
        PSelect::Column {
            field,
            cast,
            aggregate,
            aggregate_cast,
            alias,
        } => {
            let inner = |sql: &mut Sql| with_cast(sql, cast.as_ref(), |sql| field_expr(sql, from, field));
            match aggregate {
                Some(agg) => with_cast(sql, aggregate_cast.as_ref(), |sql| {
                    sql.push(aggregate_name(*agg)).push("(");
                    inner(sql);
                    sql.push(")");
                }),
                None => inner(sql),
            }
            if let Some(a) = alias {
                sql.push(" AS ").ident(a);
            }
        }
        PSelect::CountAll { cast, alias } => {
            with_cast(sql, cast.as_ref(), |sql| {
                sql.push("COUNT(*)");
            });
            sql.push(" AS ").ident(alias.as_deref().unwrap_or("count"));
        }
    }
}

fn aggregate_name(agg: AggregateFn) -> &'static str {
    match agg {
        AggregateFn::Count => "COUNT",
        AggregateFn::Sum => "SUM",
        AggregateFn::Avg => "AVG",
        AggregateFn::Max => "MAX",
        AggregateFn::Min => "MIN",
    }
}

fn with_cast(sql: &mut Sql, cast: Option<&CastType>, inner: impl FnOnce(&mut Sql)) {
    match cast {
        Some(c) => {
            sql.push("CAST(");
            inner(sql);
            sql.push(" AS ").ident(&c.catalog_name()).push(")");
        }
        None => inner(sql),
    }
}

fn field_expr(sql: &mut Sql, from: &str, field: &PField) {
    if let Some(f) = &field.output_fn {
        // A domain representation: the function is catalog text.
        sql.push(&quote_qualified(f))
            .push("(")
            .push(from)
            .push(".")
            .ident(&field.column)
            .push(")");
        return;
    }
    if field.to_jsonb {
        sql.push("to_jsonb(")
            .push(from)
            .push(".")
            .ident(&field.column)
            .push(")");
    } else {
        sql.push(from).push(".").ident(&field.column);
    }
    for step in &field.json_path {
        sql.push(if step.as_text { "->>" } else { "->" });
        match &step.key {
            JsonKey::Key(k) => {
                sql.param(k.as_str());
            }
            JsonKey::Index(i) => {
                sql.param(i.to_string()).push("::int");
            }
        }
    }
}

pub(crate) fn condition(sql: &mut Sql, from: &str, c: &PCondition) {
    match c {
        PCondition::Tree {
            negated,
            op,
            children,
        } => {
            if *negated {
                sql.push("NOT ");
            }
            sql.push("(");
            for (i, child) in children.iter().enumerate() {
                if i > 0 {
                    sql.push(match op {
                        LogicOp::And => " AND ",
                        LogicOp::Or => " OR ",
                    });
                }
                condition(sql, from, child);
            }
            if children.is_empty() {
                // An empty group constrains nothing, whatever its operator.
                sql.push("TRUE");
            }
            sql.push(")");
        }
        PCondition::EmbedNull {
            lateral,
            is_null,
            probe,
        } => {
            sql.push(&quote_ident(lateral))
                .push(".")
                .push(&quote_ident(probe));
            sql.push(if *is_null { " IS NULL" } else { " IS NOT NULL" });
        }
        PCondition::Filter {
            field,
            negated,
            operation,
            to_tsvector,
        } => {
            if *negated {
                sql.push("NOT ");
            }
            sql.push("(");
            filter(sql, from, field, operation, *to_tsvector);
            sql.push(")");
        }
    }
}

fn operator_sql(op: Operator) -> &'static str {
    match op {
        Operator::Eq => "=",
        Operator::Neq => "<>",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
        Operator::Like => "LIKE",
        Operator::Ilike => "ILIKE",
        Operator::Match => "~",
        Operator::Imatch => "~*",
        Operator::IsDistinct => "IS DISTINCT FROM",
        Operator::Contains => "@>",
        Operator::ContainedIn => "<@",
        Operator::Overlap => "&&",
        Operator::StrictlyLeft => "<<",
        Operator::StrictlyRight => ">>",
        Operator::NotExtendRight => "&<",
        Operator::NotExtendLeft => "&>",
        Operator::Adjacent => "-|-",
    }
}

fn filter(sql: &mut Sql, from: &str, field: &PField, operation: &Operation, to_tsvector: bool) {
    match operation {
        Operation::Op {
            op,
            quantifier,
            value,
        } => {
            field_expr(sql, from, field);
            sql.push(" ").push(operator_sql(*op)).push(" ");
            match quantifier {
                None => match &field.input_fn {
                    // A domain representation reads the value as text.
                    Some(f) => {
                        sql.push(&quote_qualified(f)).push("(");
                        sql.param(value.as_str()).push("::text)");
                    }
                    None => {
                        sql.param(value.as_str());
                    }
                },
                Some(q) => {
                    sql.push(match q {
                        Quantifier::Any => "ANY(",
                        Quantifier::All => "ALL(",
                    });
                    sql.param(value.as_str()).push(")");
                }
            }
        }
        Operation::In(values) => {
            field_expr(sql, from, field);
            if values.is_empty() || (values.len() == 1 && values[0].is_empty()) {
                sql.push(" = ANY('{}')");
            } else if let Some(f) = &field.input_fn {
                sql.push(" = ANY(ARRAY(SELECT ")
                    .push(&quote_qualified(f))
                    .push("(pgrst_v) FROM unnest(");
                sql.param(array_literal(values)).push("::text[]) AS pgrst_v))");
            } else {
                sql.push(" = ANY(").param(array_literal(values)).push(")");
            }
        }
        Operation::Is(v) => {
            field_expr(sql, from, field);
            sql.push(match v {
                IsValue::Null => " IS NULL",
                IsValue::NotNull => " IS NOT NULL",
                IsValue::True => " IS TRUE",
                IsValue::False => " IS FALSE",
                IsValue::Unknown => " IS UNKNOWN",
            });
        }
        Operation::Fts { op, language, value } => {
            if to_tsvector {
                sql.push("to_tsvector(");
                if let Some(l) = language {
                    sql.param(l.as_str()).push(", ");
                }
                field_expr(sql, from, field);
                sql.push(")");
            } else {
                field_expr(sql, from, field);
            }
            sql.push(match op {
                FtsOperator::Fts => " @@ to_tsquery(",
                FtsOperator::Plain => " @@ plainto_tsquery(",
                FtsOperator::Phrase => " @@ phraseto_tsquery(",
                FtsOperator::Websearch => " @@ websearch_to_tsquery(",
            });
            if let Some(l) = language {
                sql.param(l.as_str()).push(", ");
            }
            sql.param(value.as_str()).push(")");
        }
    }
}
