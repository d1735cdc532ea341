//! SQL for reads: the main statement that returns the body built by PostgreSQL, and the planned-count EXPLAIN.

use crate::builder::{array_literal, quote_qualified, Sql, Statement};
use restgres_plan::cast::CastType;
use restgres_plan::{OutputFormat, PCondition, PField, POrder, PSelect, ReadPlan, ReadRequest};
use restgres_request::prefer::CountPref;
use restgres_request::{
    AggregateFn, Direction, FtsOperator, IsValue, JsonKey, LogicOp, Nulls, Operation, Operator, Quantifier,
};

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
    let plan = &req.plan;
    let mut sql = Sql::default();
    sql.push("WITH pgrst_source AS (");
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
    sql.push(body_expr(req.format, req.head)).push(" AS body, ");
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

fn body_expr(format: OutputFormat, head: bool) -> &'static str {
    if head {
        return "''::text";
    }
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
    }
}

fn select_query(sql: &mut Sql, plan: &ReadPlan, with_range: bool) {
    let from = quote_qualified(&plan.from);
    sql.push("SELECT ");
    for (i, item) in plan.select.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        select_item(sql, &from, item);
    }
    sql.push(" FROM ").push(&from);
    where_clause(sql, &from, &plan.conditions);
    group_by(sql, &from, plan);
    if with_range {
        order_by(sql, &from, &plan.order);
        if plan.range != restgres_request::RowRange::all() {
            sql.push(" LIMIT ");
            match plan.range.limit {
                Some(l) => sql.param(l.to_string()),
                None => sql.push("ALL"),
            };
            sql.push(" OFFSET ").param(plan.range.offset.to_string());
        }
    }
}

fn count_query(sql: &mut Sql, plan: &ReadPlan, limit: Option<i64>) {
    let from = quote_qualified(&plan.from);
    sql.push("SELECT 1 FROM ").push(&from);
    where_clause(sql, &from, &plan.conditions);
    group_by(sql, &from, plan);
    if let Some(l) = limit {
        sql.push(" LIMIT ").param(l.to_string());
    }
}

fn where_clause(sql: &mut Sql, from: &str, conditions: &[PCondition]) {
    for (i, c) in conditions.iter().enumerate() {
        sql.push(if i == 0 { " WHERE " } else { " AND " });
        condition(sql, from, c);
    }
}

fn group_by(sql: &mut Sql, from: &str, plan: &ReadPlan) {
    if !plan.has_aggregates() {
        return;
    }
    let mut first = true;
    for item in &plan.select {
        if let PSelect::Column {
            field,
            aggregate: None,
            alias,
            cast,
            ..
        } = item
        {
            sql.push(if first { " GROUP BY " } else { ", " });
            first = false;
            match alias {
                Some(a) => {
                    sql.ident(a);
                }
                None => with_cast(sql, cast.as_ref(), |sql| field_expr(sql, from, field)),
            }
        }
    }
}

fn order_by(sql: &mut Sql, from: &str, order: &[POrder]) {
    for (i, term) in order.iter().enumerate() {
        sql.push(if i == 0 { " ORDER BY " } else { ", " });
        field_expr(sql, from, &term.field);
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

fn condition(sql: &mut Sql, from: &str, c: &PCondition) {
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
                None => {
                    sql.param(value.as_str());
                }
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
