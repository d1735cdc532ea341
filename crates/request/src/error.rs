//! Errors found while reading a request, before the schema is consulted.

/// Each variant is one PostgREST error; the HTTP layer maps them to codes and statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// PGRST100, 400: the query string does not follow the grammar.
    #[error("{message}")]
    Parse { message: String, details: String },
    /// PGRST103, 416: an invalid `Range`, `limit` or `offset`.
    #[error("Requested range not satisfiable")]
    InvalidRange { details: String },
    /// PGRST122, 400: unknown or invalid preferences under `Prefer: handling=strict`.
    #[error("Invalid preferences given with handling=strict")]
    InvalidPreferences { invalid: Vec<String> },
}
