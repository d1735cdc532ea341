//! Function calls (`/rpc/name`): choosing the overload by argument names, and the read over its result.

use crate::negotiate::{is_default_select, negotiate, single_column, Offer, OutputFormat};
use crate::read::{plan_tree_on, ReadInput, ReadPlan};
use crate::PlanError;
use restgres_schema::{QualifiedName, Routine, RoutineParam, SchemaCache, Table, Volatility};

/// What a function returns, which decides how its result becomes the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallShape {
    /// `SETOF` a row type or `RETURNS TABLE`: an array of objects, filterable like a table.
    Rows,
    /// One row: an object.
    SingleComposite,
    /// A scalar: the bare JSON value.
    Scalar,
    /// `SETOF` a scalar: an array of values.
    SetOfScalar,
    /// `void`: 204 without a body.
    Void,
}

/// A resolved call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPlan {
    pub function: QualifiedName,
    /// The parameters given, in declaration order: (name, type to read the argument as, variadic).
    pub args: Vec<(String, String, bool)>,
    /// The whole body goes to the function's one `json`/`jsonb` parameter (unnamed, or any name under
    /// `Prefer: params=single-object`): that parameter's type.
    pub single_json: Option<String>,
    /// The function takes one unnamed `text`, `xml` or `bytea` parameter that receives the raw body (sent
    /// as `text/plain`, `text/xml` or `application/octet-stream`): that type.
    pub single_raw: Option<String>,
    pub shape: CallShape,
    pub volatility: Volatility,
    /// `SET` clauses declared on the function.
    pub settings: Vec<(String, String)>,
    /// The read over the call's result (`select`, filters, `order`, range).
    pub read: ReadPlan,
    /// The negotiated representation (builtin, the function's own media type, or an aggregate handler).
    pub format: OutputFormat,
    pub legacy_names: Vec<(String, String)>,
}

/// How the call was made, beyond its argument names.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallInput<'a> {
    /// POST: the body may go to a single json parameter.
    pub is_post: bool,
    /// The raw body's parameter type (`text`, `xml`, `bytea`) chosen by Content-Type.
    pub raw_type: Option<&'a str>,
    /// `Prefer: params=single-object`.
    pub single_object: bool,
}

/// The CTE holding a call's result rows; the read over it names it as its relation.
pub const CALL_SOURCE: &str = "pgrst_call_rows";

/// Resolves `/rpc/name` with the given argument names (`is_post`: the body may go to a single unnamed
/// json parameter; `single_object`: `Prefer: params=single-object`, the body goes to the one json/jsonb
/// parameter whatever its name).
pub fn plan_call(
    cache: &SchemaCache,
    name: &str,
    given: &[String],
    call_input: CallInput<'_>,
    input: &ReadInput<'_>,
) -> Result<CallPlan, PlanError> {
    let CallInput {
        is_post,
        raw_type,
        single_object,
    } = call_input;
    let schema = input.schema;
    let overloads = cache.routine(schema, name).unwrap_or(&[]);
    if is_post && single_object {
        let routine = overloads
            .iter()
            .find(|r| matches!(r.params.as_slice(), [p] if is_json_type(&p.data_type)))
            .ok_or_else(|| not_found(cache, schema, name, given, true))?;
        let ty = routine.params[0].data_type.clone();
        return finish(cache, routine, Vec::new(), Some(ty), None, name, input);
    }
    if let Some(ty) = raw_type {
        // A raw body goes to the overload with a single unnamed parameter of its type.
        let routine = overloads
            .iter()
            .find(|r| matches!(r.params.as_slice(), [p] if p.name.is_empty() && p.data_type == ty))
            .ok_or_else(|| not_found(cache, schema, name, &[], false))?;
        return finish(
            cache,
            routine,
            Vec::new(),
            None,
            Some(ty.to_string()),
            name,
            input,
        );
    }
    let matches: Vec<&Routine> = overloads.iter().filter(|r| accepts(r, given)).collect();
    let (routine, single_json) = match matches.as_slice() {
        [one] => (*one, None),
        [] => match overloads.iter().find(|r| is_post && single_json_param(r)) {
            Some(r) => (r, r.params.first().map(|p| p.data_type.clone())),
            None => return Err(not_found(cache, schema, name, given, is_post)),
        },
        many => {
            return Err(PlanError::AmbiguousFunction {
                candidates: many.iter().map(|r| signature(r)).collect(),
            })
        }
    };
    let args = if single_json.is_some() {
        Vec::new()
    } else {
        routine
            .params
            .iter()
            .filter(|p| given.contains(&p.name))
            .map(|p| (p.name.clone(), p.lenient_type().to_string(), p.variadic))
            .collect()
    };
    finish(cache, routine, args, single_json, None, name, input)
}

fn finish(
    cache: &SchemaCache,
    routine: &Routine,
    args: Vec<(String, String, bool)>,
    single_json: Option<String>,
    single_raw: Option<String>,
    name: &str,
    input: &ReadInput<'_>,
) -> Result<CallPlan, PlanError> {
    let schema = input.schema;
    let shape = shape(routine);
    let ret = &routine.returns.type_name;
    // The rows of a function returning a table's type can be filtered and embedded like the table.
    let synthetic;
    let table = match cache.tables.get(ret) {
        Some(t) => t,
        None => {
            synthetic = Table {
                schema: schema.to_string(),
                name: name.to_string(),
                kind: restgres_schema::RelationKind::View,
                description: None,
                insertable: false,
                updatable: false,
                deletable: false,
                primary_key: Vec::new(),
                columns: Vec::new(),
            };
            &synthetic
        }
    };
    let (mut read, legacy_names) = plan_tree_on(cache, table, input, true)?;
    read.from = QualifiedName::new("", CALL_SOURCE);
    read.columns_only = true;
    let relation = cache.tables.contains_key(ret).then_some(ret);
    let raw = if matches!(shape, CallShape::Scalar | CallShape::SetOfScalar) {
        let bytea = ret.name == "bytea" && (ret.schema == "pg_catalog" || ret.schema.is_empty());
        Some(("pgrst_scalar".to_string(), bytea))
    } else {
        single_column(&read, relation.and(Some(table)))
    };
    let offer = Offer {
        handlers: &cache.media_handlers,
        relation,
        function_media: routine
            .returns
            .media_type
            .as_deref()
            .map(|m| (m, routine.returns.media_binary)),
        default_select: is_default_select(&read),
        raw_column: raw.as_ref().map(|(c, b)| (c.as_str(), *b)),
    };
    let format = negotiate(input.accept, &offer)?;
    if relation.is_some() {
        crate::read::apply_representations(cache, &mut read, table, format.is_json());
    }
    Ok(CallPlan {
        function: routine.qualified_name(),
        args,
        single_json,
        single_raw,
        shape,
        volatility: routine.volatility,
        settings: routine.settings.clone(),
        read,
        format,
        legacy_names,
    })
}

/// PostgREST's rule: every given argument names a parameter, and every required parameter is given.
fn accepts(r: &Routine, given: &[String]) -> bool {
    let named = r.params.iter().all(|p| !p.name.is_empty());
    named
        && given.iter().all(|g| r.params.iter().any(|p| p.name == *g))
        && r.params
            .iter()
            .filter(|p| p.required)
            .all(|p| given.contains(&p.name))
}

fn single_json_param(r: &Routine) -> bool {
    matches!(r.params.as_slice(), [RoutineParam { name, data_type, .. }] if name.is_empty() && is_json_type(data_type))
}

fn is_json_type(ty: &str) -> bool {
    matches!(ty, "json" | "jsonb")
}

fn shape(r: &Routine) -> CallShape {
    let ret = &r.returns;
    if ret.type_name.name == "void"
        && (ret.type_name.schema == "pg_catalog" || ret.type_name.schema.is_empty())
    {
        return CallShape::Void;
    }
    match (ret.is_setof, ret.is_composite) {
        (true, true) => CallShape::Rows,
        (false, true) => CallShape::SingleComposite,
        (true, false) => CallShape::SetOfScalar,
        (false, false) => CallShape::Scalar,
    }
}

fn signature(r: &Routine) -> String {
    let params: Vec<String> = r
        .params
        .iter()
        .map(|p| format!("{} => {}", p.name, p.data_type))
        .collect();
    format!("{}.{}({})", r.schema, r.name, params.join(", "))
}

fn not_found(cache: &SchemaCache, schema: &str, name: &str, given: &[String], is_post: bool) -> PlanError {
    let mut sorted: Vec<&str> = given.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let hint = match cache.routine(schema, name) {
        Some(_) => cache
            .closest_routine_params(schema, name, &sorted)
            .map(|p| format!("Perhaps you meant to call the function {schema}.{name}{p}")),
        None => cache
            .closest_routine(schema, name)
            .map(|f| format!("Perhaps you meant to call the function {schema}.{f}")),
    };
    PlanError::FunctionNotFound {
        schema: schema.to_string(),
        name: name.to_string(),
        args: given.to_vec(),
        json_fallback: is_post,
        hint,
    }
}
