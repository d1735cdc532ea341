//! Fuzzes the URL grammar and the header parsers with arbitrary UTF-8: they must never panic, and
//! every parse error must carry PostgREST's message shape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use restgres_request::media::{parse_accept, parse_media_type};
use restgres_request::query::*;
use restgres_request::range::parse_range_header;
use restgres_request::{Preferences, RequestError};

fn check_error<T>(r: Result<T, RequestError>) {
    if let Err(RequestError::Parse { message, details }) = r {
        assert!(message.starts_with('"') && message.ends_with(')'), "{message}");
        assert!(!details.contains('\n'), "{details}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    check_error(parse_query_string(input));
    check_error(parse_rpc_read_query_string(input));
    check_error(parse_select(input));
    check_error(parse_order(input));
    check_error(parse_columns(input));
    check_error(parse_logic("or", input));
    // Split once so that keys and values both get arbitrary text.
    let (key, value) = input.split_once('=').unwrap_or((input, ""));
    check_error(parse_filter(key, value));
    check_error(parse_logic(key, value));
    let _ = Preferences::parse(input.split('\n'));
    let _ = parse_range_header(input);
    let _ = parse_media_type(input);
    let _ = parse_accept(input);
});
