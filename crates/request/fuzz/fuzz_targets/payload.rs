//! Fuzzes the write-body readers (JSON, CSV, form) with arbitrary bytes: they must never panic, and
//! what they accept must read back as JSON with the same keys and row count.
#![no_main]

use libfuzzer_sys::fuzz_target;
use restgres_request::payload::{parse_payload, BodyFormat, Payload};

fuzz_target!(|data: &[u8]| {
    for format in [BodyFormat::Json, BodyFormat::Csv, BodyFormat::FormUrlEncoded] {
        let Ok(p) = parse_payload(format, data) else {
            continue;
        };
        // JSON output must be JSON of the announced shape, and (unless empty) read back the same way.
        let again = parse_payload(BodyFormat::Json, p.json.as_bytes());
        let Ok(q) = again else {
            panic!("{format:?} gave unreadable JSON {:?}: {again:?}", p.json)
        };
        assert_eq!(q.is_array, p.is_array, "{:?}", p.json);
        assert_eq!(q.rows, p.rows, "{:?}", p.json);
        assert_eq!(q.keys, p.keys, "{:?}", p.json);
        if format == BodyFormat::Json {
            assert!(
                p.json == "[]" || p.json.as_bytes() == data,
                "JSON bodies are kept as sent"
            );
        }
    }
    let _ = Payload::passthrough(data);
});
