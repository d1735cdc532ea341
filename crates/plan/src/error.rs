//! Errors found while resolving a request against the schema cache.

/// Each variant is one PostgREST error; the HTTP layer maps them to codes and statuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// An error of the request itself found while planning (e.g. an empty range).
    #[error(transparent)]
    Request(#[from] restgres_request::RequestError),
    /// PGRST205, 404
    #[error("Could not find the table '{schema}.{name}' in the schema cache")]
    TableNotFound {
        schema: String,
        name: String,
        suggestion: Option<String>,
    },
    /// PGRST106, 406
    #[error("Invalid schema: {schema}")]
    UnacceptableSchema { schema: String, allowed: Vec<String> },
    /// PGRST107, 406
    #[error("None of these media types are available: {}", .requested.join(", "))]
    NotAcceptable { requested: Vec<String> },
    /// PGRST200, 400: a relationship's target is not in the schema cache.
    #[error("Could not find a relationship between '{parent}' and '{child}' in the schema cache")]
    NoRelationship {
        parent: String,
        child: String,
        schema: String,
    },
    /// PGRST200 / PGRST201: no relationship or several for an embed.
    #[error(transparent)]
    Relationship(#[from] restgres_schema::RelationshipError),
    /// PGRST118, 400
    #[error("A related order on '{target}' is not possible")]
    RelatedOrderNotToOne { origin: String, target: String },
    /// PGRST108, 400: a filter, order or range on an embed that is not in `select`.
    #[error("'{name}' is not an embedded resource in this request")]
    NotEmbedded { name: String },
    /// PGRST108, 400: an aliased embed named by its relation while `url-use-legacy-target-names` is off.
    #[error("'{name}' is not an embedded resource in this request")]
    NotEmbeddedAliased { name: String, alias: String },
    /// PGRST204, 400: a body key (or `columns=` entry) that is not a column.
    #[error("Could not find the '{column}' column of '{relation}' in the schema cache")]
    ColumnNotFound { relation: String, column: String },
    /// PGRST105, 405
    #[error("Filters must include all and only primary key columns with 'eq' operators")]
    InvalidPutFilters,
    /// PGRST114, 400
    #[error("limit/offset querystring parameters are not allowed for PUT")]
    PutLimitNotAllowed,
    /// PGRST202, 404
    #[error("Could not find the function {schema}.{name}{} in the schema cache", fmt_args(.args))]
    FunctionNotFound {
        schema: String,
        name: String,
        args: Vec<String>,
        json_fallback: bool,
        hint: Option<String>,
    },
    /// PGRST203, 300
    #[error("Could not choose the best candidate function between: {}", .candidates.join(", "))]
    AmbiguousFunction { candidates: Vec<String> },
    /// PGRST123, 400
    #[error("Use of aggregate functions is not allowed")]
    AggregatesDisabled,
    /// PGRST100, 400: a cast type that is not a plain type name.
    #[error("failed to parse select parameter ({select})")]
    InvalidCast { select: String, cast: String },
    /// PGRST117, 405
    #[error("Unsupported HTTP method: {method}")]
    UnsupportedMethod { method: String },
    /// PGRST127, 400
    #[error("Feature not implemented")]
    NotImplemented { details: String },
}

/// ` without parameters` or `(a, b)`, as PostgREST writes the arguments of a missing function.
fn fmt_args(args: &[String]) -> String {
    if args.is_empty() {
        " without parameters".to_string()
    } else {
        format!("({})", args.join(", "))
    }
}
