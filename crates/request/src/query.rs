//! The query string: `select`, filters, logic trees, `order`, `limit`/`offset` and the other reserved keys.

use crate::ast::*;
use crate::RequestError;

/// Parses a raw (still percent-encoded) query string, `+` meaning space, as PostgREST reads it.
pub fn parse_query_string(raw: &str) -> Result<QueryParams, RequestError> {
    todo!("{raw}")
}

/// Parses the value of `select=`.
pub fn parse_select(value: &str) -> Result<Vec<SelectItem>, RequestError> {
    todo!("{value}")
}

/// Parses a filter's key (`embed.col->a`) and value (`not.eq.1`).
pub fn parse_filter(key: &str, value: &str) -> Result<(EmbedPath, Filter), RequestError> {
    todo!("{key}{value}")
}

/// Parses a logic key (`or`, `not.and`, `embed.or`) and its value (`(a.eq.1,b.gt.2)`).
pub fn parse_logic(key: &str, value: &str) -> Result<(EmbedPath, LogicTree), RequestError> {
    todo!("{key}{value}")
}

/// Parses the value of `order=`.
pub fn parse_order(value: &str) -> Result<Vec<OrderTerm>, RequestError> {
    todo!("{value}")
}
