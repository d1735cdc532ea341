//! SQL for function calls: the call as a CTE, then the read machinery over its rows.

use crate::builder::{quote_ident, quote_qualified, Sql, Statement};
use crate::read::{body_expr, count_query, main_statement};
use restgres_plan::call::{CallPlan, CallShape, CALL_SOURCE};
use restgres_plan::{OutputFormat, ReadRequest};

/// `WITH pgrst_call_rows AS (<call>), pgrst_source AS (<read>) SELECT ...`; `args` is the JSON object of
/// arguments (or, for a single unnamed json parameter, the whole body), bound as one parameter.
pub fn call_statement(call: &CallPlan, req: &ReadRequest, args: &str) -> Statement {
    let mut sql = Sql::default();
    call_cte(&mut sql, call, args);
    sql.push(", ");
    let body = if req.head {
        "''::text".to_string()
    } else {
        match (call.shape, &req.format) {
            (CallShape::Void, _) => "''::text".to_string(),
            // Raw and custom outputs of scalars are built by body_expr from pgrst_scalar.
            (_, OutputFormat::Raw(_) | OutputFormat::Custom(_)) => body_expr(&req.format, false),
            (CallShape::Scalar, _) | (CallShape::SetOfScalar, OutputFormat::Object { .. }) => {
                "coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')".to_string()
            }
            (CallShape::SetOfScalar, _) => "coalesce(json_agg(_postgrest_t.pgrst_scalar), '[]')".to_string(),
            (CallShape::SingleComposite, OutputFormat::Json | OutputFormat::Array { .. }) => {
                "coalesce(json_agg(_postgrest_t)->0, 'null')".to_string()
            }
            _ => body_expr(&req.format, false),
        }
    };
    main_statement(sql, req, &body)
}

/// `EXPLAIN (FORMAT JSON)` of counting the call's rows after the request's filters (`count=planned`); the
/// estimate comes from the function's `ROWS`.
pub fn call_count_plan_statement(call: &CallPlan, args: &str) -> Statement {
    let mut sql = Sql::default();
    sql.push("EXPLAIN (FORMAT JSON) ");
    call_cte(&mut sql, call, args);
    sql.push(" ");
    count_query(&mut sql, &call.read, None);
    sql.finish()
}

/// `WITH pgrst_call_rows AS (SELECT pgrst_call.* FROM <the call>)`.
fn call_cte(sql: &mut Sql, call: &CallPlan, args: &str) {
    let f = quote_qualified(&call.function);
    let scalar = matches!(
        call.shape,
        CallShape::Scalar | CallShape::SetOfScalar | CallShape::Void
    );
    sql.push("WITH ")
        .push(CALL_SOURCE)
        .push(" AS (SELECT pgrst_call.* FROM ");
    let invoke = |sql: &mut Sql| {
        sql.push(&f).push("(");
        if let Some(ty) = &call.single_json {
            // Catalog type name (json or jsonb).
            sql.param(args).push("::").push(ty);
        } else if let Some(ty) = &call.single_raw {
            // Catalog type name (text, xml or bytea); the value is the raw body.
            sql.param(args).push("::").push(ty);
        } else {
            for (i, (name, _, variadic)) in call.args.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                if *variadic {
                    sql.push("VARIADIC ");
                }
                sql.ident(name).push(" := \"pgrst_body\".").ident(name);
            }
        }
        sql.push(")");
    };
    if !call.args.is_empty() {
        sql.push("json_to_record(")
            .param(args)
            .push("::json) AS \"pgrst_body\"(");
        for (i, (name, ty, _)) in call.args.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            // The type is catalog text, never request text.
            sql.push(&quote_ident(name)).push(" ").push(ty);
        }
        sql.push("), LATERAL ");
    }
    if scalar {
        sql.push("(SELECT ");
        invoke(sql);
        sql.push(" AS pgrst_scalar) pgrst_call");
    } else {
        invoke(sql);
        sql.push(" pgrst_call");
    }
    sql.push(")");
}
