//! Chunked bodies: a read's main statement rewritten to return its body in bounded pieces, one row each.
//!
//! PostgreSQL builds a response body as one value; sent as one column it would arrive (and be held) whole.
//! Split on the server into rows of at most [`BODY_CHUNK`] bytes, a large body can be passed on to the
//! client while it is still arriving, with memory bounded by a few chunks rather than by the body.

use crate::builder::Statement;

/// The largest piece of a body one row carries.
pub const BODY_CHUNK: usize = 128 * 1024;

/// Columns of a chunked statement, in order: the first two, the fourth and fifth as in
/// [`crate::READ_COLUMNS`] (repeated on every row), `body` (bytea, one piece) and `body_size` (int4, the
/// whole body's size in bytes). Rows come in body order; there is always at least one.
pub const CHUNKED_COLUMNS: [&str; 6] = [
    "total_result_set",
    "page_total",
    "body",
    "response_headers",
    "response_status",
    "body_size",
];

/// Wraps a statement returning [`crate::READ_COLUMNS`] (one row) so that its body comes in pieces.
/// `binary`: the body is `bytea`; otherwise it is text or json, sent as its UTF-8 text.
pub fn chunked_statement(main: Statement, binary: bool) -> Statement {
    let bytes = if binary {
        "body"
    } else {
        "convert_to(body::text, 'UTF8')"
    };
    // OFFSET 0 keeps the inner row from being pulled up, so the body is converted once, not once per piece.
    let sql = format!(
        "SELECT pgrst_main.total_result_set, pgrst_main.page_total, \
         substring(pgrst_main.body FROM pgrst_part * {chunk} + 1 FOR {chunk}) AS body, \
         pgrst_main.response_headers, pgrst_main.response_status, \
         octet_length(pgrst_main.body) AS body_size \
         FROM (SELECT total_result_set, page_total, {bytes} AS body, response_headers, response_status \
         FROM ({inner}) pgrst_inner OFFSET 0) pgrst_main, \
         generate_series(0, greatest(octet_length(pgrst_main.body) - 1, 0) / {chunk}) AS pgrst_part",
        chunk = BODY_CHUNK,
        inner = main.sql,
    );
    Statement {
        sql,
        params: main.params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_keeps_parameters() {
        let main = Statement {
            sql: "WITH pgrst_source AS (SELECT $1) SELECT 1".into(),
            params: vec![Some("x".into())],
        };
        let s = chunked_statement(main.clone(), false);
        assert!(s
            .sql
            .contains("FROM (WITH pgrst_source AS (SELECT $1) SELECT 1) pgrst_inner OFFSET 0"));
        assert!(s.sql.contains("convert_to(body::text, 'UTF8') AS body"));
        assert_eq!(s.params, main.params);
        let b = chunked_statement(main, true);
        assert!(b
            .sql
            .contains("SELECT total_result_set, page_total, body AS body"));
        assert!(!b.sql.contains("convert_to"));
    }
}
