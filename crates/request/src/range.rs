//! The `Range` request header (`Range-Unit: items`).

use crate::ast::RowRange;

/// Parses `Range: 0-9` / `10-` into a row range. `None` when the header is not a valid items range
/// (PostgREST then ignores it); an error when the range is inverted.
pub fn parse_range_header(value: &str) -> Result<Option<RowRange>, crate::RequestError> {
    todo!("{value}")
}
