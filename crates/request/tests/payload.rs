//! Write bodies: JSON, CSV and form cases as data, big bodies, and properties of the conversions.

use std::collections::HashMap;

use proptest::prelude::*;
use restgres_request::media::{parse_media_type, MediaType};
use restgres_request::payload::{parse_payload, BodyFormat, Payload, PayloadError};
use serde::de::IgnoredAny;

use crate::render::check_all;

/// `array rows=N keys=[..] <json>`, `object ...`, or `ERR <message>`.
fn show(r: Result<Payload, PayloadError>) -> String {
    match r {
        Ok(p) => {
            let rows = p.rows.map_or_else(|| "?".to_owned(), |n| n.to_string());
            let shape = if p.is_array { "array" } else { "object" };
            format!("{shape} rows={rows} keys={:?} {}", p.keys, p.json)
        }
        Err(e) => format!("ERR {e}"),
    }
}

fn check(format: BodyFormat, cases: &[(&str, &str)]) {
    check_all(cases, |input| show(parse_payload(format, input.as_bytes())));
}

/// An object, or an array of objects with one set of keys; JSON text is kept as sent.
#[test]
fn json_objects_and_arrays() {
    check(
        BodyFormat::Json,
        &[
            (
                r#"{"a":1,"b":2}"#,
                r#"object rows=1 keys=["a", "b"] {"a":1,"b":2}"#,
            ),
            (" \n{\"a\":1}\t ", "object rows=1 keys=[\"a\"]  \n{\"a\":1}\t "),
            (
                r#"[{"a":1},{"a":2}]"#,
                r#"array rows=2 keys=["a"] [{"a":1},{"a":2}]"#,
            ),
            (r#"{}"#, r#"object rows=1 keys=[] {}"#),
            (r#"[{}]"#, r#"array rows=1 keys=[] [{}]"#),
            (r#"[{},{}]"#, r#"array rows=2 keys=[] [{},{}]"#),
            // Values of any depth and type are kept verbatim and never looked into.
            (
                r#"{"a":{"b":[1,{"c":2.50}]},"d":"x","e":null,"f":[],"g":1e999}"#,
                r#"object rows=1 keys=["a", "d", "e", "f", "g"] {"a":{"b":[1,{"c":2.50}]},"d":"x","e":null,"f":[],"g":1e999}"#,
            ),
            // The same keys in another order are the same set.
            (
                r#"[{"a":1,"b":2},{"b":3,"a":4}]"#,
                r#"array rows=2 keys=["a", "b"] [{"a":1,"b":2},{"b":3,"a":4}]"#,
            ),
            (r#"["#, r#"ERR Empty or invalid json"#),
        ],
    );
}

/// Keys of nested objects are values, not columns.
#[test]
fn json_nested_keys_are_not_columns() {
    let p = parse_payload(BodyFormat::Json, br#"{"a":{"b":1},"c":[{"d":2}]}"#);
    assert_eq!(p.map(|p| p.keys), Ok(vec!["a".to_owned(), "c".to_owned()]));
}

/// A repeated key counts once, here and when comparing objects (aeson keeps the last value).
#[test]
fn json_duplicate_keys() {
    check(
        BodyFormat::Json,
        &[
            (r#"{"a":1,"a":2}"#, r#"object rows=1 keys=["a"] {"a":1,"a":2}"#),
            (
                r#"[{"a":1,"a":2},{"a":3}]"#,
                r#"array rows=2 keys=["a"] [{"a":1,"a":2},{"a":3}]"#,
            ),
            (
                r#"[{"a":3},{"a":1,"a":2}]"#,
                r#"array rows=2 keys=["a"] [{"a":3},{"a":1,"a":2}]"#,
            ),
            (
                r#"[{"a":1,"b":1},{"a":1,"a":2}]"#,
                r#"ERR All object keys must match"#,
            ),
        ],
    );
}

/// PostgREST requires the same keys in every object (its docs: "a JSON array of objects having
/// uniform keys"); clients that send differing keys add `columns=` with the union themselves.
#[test]
fn json_differing_keys_are_refused() {
    check(
        BodyFormat::Json,
        &[
            (r#"[{"a":1},{"b":2}]"#, r#"ERR All object keys must match"#),
            (r#"[{"a":1},{"a":1,"b":2}]"#, r#"ERR All object keys must match"#),
            (r#"[{"a":1,"b":2},{"a":1}]"#, r#"ERR All object keys must match"#),
            (r#"[{},{"a":1}]"#, r#"ERR All object keys must match"#),
            (r#"[{"a":1},{}]"#, r#"ERR All object keys must match"#),
        ],
    );
}

/// Keys are decoded: escapes resolved, any Unicode kept.
#[test]
fn json_unicode_and_escaped_keys() {
    check(
        BodyFormat::Json,
        &[
            (
                r#"{"名前":1,"café":2}"#,
                r#"object rows=1 keys=["名前", "café"] {"名前":1,"café":2}"#,
            ),
            (r#"{"a\u0062":1}"#, r#"object rows=1 keys=["ab"] {"a\u0062":1}"#),
            (
                r#"[{"ab":1},{"a\u0062":2}]"#,
                r#"array rows=2 keys=["ab"] [{"ab":1},{"a\u0062":2}]"#,
            ),
            (
                r#"{"\"q\"":1,"":2}"#,
                r#"object rows=1 keys=["\"q\"", ""] {"\"q\"":1,"":2}"#,
            ),
            (
                r#"{"\ud83d\ude00":1}"#,
                r#"object rows=1 keys=["😀"] {"\ud83d\ude00":1}"#,
            ),
        ],
    );
}

/// aeson decodes any JSON value; PostgREST reads everything but an object or an array of objects
/// as an empty array (nothing to write), and an empty array stays one.
#[test]
fn json_empty_arrays_and_scalars() {
    check(
        BodyFormat::Json,
        &[
            (r#"[]"#, r#"array rows=0 keys=[] []"#),
            (" [ \n ] ", r#"array rows=0 keys=[] []"#),
            (r#"1"#, r#"array rows=0 keys=[] []"#),
            (r#" -0.5e3 "#, r#"array rows=0 keys=[] []"#),
            (r#"1e999"#, r#"array rows=0 keys=[] []"#),
            (r#""{\"a\":1}""#, r#"array rows=0 keys=[] []"#),
            (r#"null"#, r#"array rows=0 keys=[] []"#),
            (r#"true"#, r#"array rows=0 keys=[] []"#),
        ],
    );
}

/// An array whose first element is not an object, or that holds any non-object, is refused.
#[test]
fn json_arrays_of_non_objects() {
    check(
        BodyFormat::Json,
        &[
            (r#"[1,2]"#, r#"ERR All object keys must match"#),
            (r#"[null]"#, r#"ERR All object keys must match"#),
            (r#"[[{"a":1}]]"#, r#"ERR All object keys must match"#),
            (r#"[{"a":1},1]"#, r#"ERR All object keys must match"#),
            (r#"[{"a":1},[]]"#, r#"ERR All object keys must match"#),
            (r#"[1e999]"#, r#"ERR All object keys must match"#),
            (r#"[{"a":1},"x"]"#, r#"ERR All object keys must match"#),
        ],
    );
}

/// Invalid JSON anywhere wins over mismatched keys, as aeson decodes before PostgREST compares.
#[test]
fn json_invalid() {
    check(
        BodyFormat::Json,
        &[
            ("", "ERR Empty or invalid json"),
            ("  \n ", "ERR Empty or invalid json"),
            ("{", "ERR Empty or invalid json"),
            (r#"{"a":1"#, "ERR Empty or invalid json"),
            (r#"{"a":1}x"#, "ERR Empty or invalid json"),
            (r#"{"a":1},"#, "ERR Empty or invalid json"),
            (r#"{"a":1}{"a":1}"#, "ERR Empty or invalid json"),
            (r#"{'a':1}"#, "ERR Empty or invalid json"),
            (r#"{a:1}"#, "ERR Empty or invalid json"),
            (r#"{"a":1,}"#, "ERR Empty or invalid json"),
            (r#"[{"a":1},]"#, "ERR Empty or invalid json"),
            (r#"[{"a":1}"#, "ERR Empty or invalid json"),
            (r#"[1,2"#, "ERR Empty or invalid json"),
            (r#"[{"a":1},{"b":1}"#, "ERR Empty or invalid json"),
            (r#"[1, {"#, "ERR Empty or invalid json"),
            (r#"[{"a":1},{"b":2},{"c":}]"#, "ERR Empty or invalid json"),
            (r#"nul"#, "ERR Empty or invalid json"),
            (r#"NaN"#, "ERR Empty or invalid json"),
            (r#"01"#, "ERR Empty or invalid json"),
            (r#"{"a":01}"#, "ERR Empty or invalid json"),
            (r#"{"a":.5}"#, "ERR Empty or invalid json"),
            (r#"{"a":"\x"}"#, "ERR Empty or invalid json"),
            ("{\"a\":\"tab\there\"}", "ERR Empty or invalid json"),
            ("{\"a\u{1}\":1}", "ERR Empty or invalid json"),
            ("\u{feff}{\"a\":1}", "ERR Empty or invalid json"),
            ("{\"a\":1} // comment", "ERR Empty or invalid json"),
        ],
    );
}

#[test]
fn json_that_is_not_utf8_is_invalid() {
    for body in [
        &b"{\"a\":\"\xff\"}"[..],
        b"{\"\xc3\":1}",
        b"\xff",
        b"[{\"a\":1},\xfe]",
    ] {
        assert_eq!(
            parse_payload(BodyFormat::Json, body),
            Err(PayloadError::InvalidJson),
            "{body:?}"
        );
    }
}

/// Nesting is skipped without recursion: any depth parses, and its keys are the top level's.
#[test]
fn json_deep_nesting_in_values() {
    for depth in [200, 100_000] {
        let body = format!(
            r#"[{{"a":{}1{}}},{{"a":{}{{}}{}}}]"#,
            "[".repeat(depth),
            "]".repeat(depth),
            r#"{"x":"#.repeat(depth),
            "}".repeat(depth)
        );
        let p = parse_payload(BodyFormat::Json, body.as_bytes());
        assert_eq!(p.map(|p| (p.keys, p.rows)), Ok((vec!["a".to_owned()], Some(2))));
        let unclosed = format!(r#"{{"a":{}"#, "[".repeat(depth));
        assert_eq!(
            parse_payload(BodyFormat::Json, unclosed.as_bytes()),
            Err(PayloadError::InvalidJson)
        );
    }
}

/// Bulk inserts of 100,000 rows: the keys are read from every object without building a tree, and
/// the body comes back as it was sent.
#[test]
fn json_hundred_thousand_objects() {
    let mut body = String::from("[");
    for i in 0..100_000 {
        if i > 0 {
            body.push(',');
        }
        // The key order varies and one key is written with an escape: still the same set.
        if i % 2 == 0 {
            body.push_str(&format!(r#"{{"id":{i},"name":"n{i}","tags":["x",{{"y":{i}}}]}}"#));
        } else {
            body.push_str(&format!(r#"{{"tags":null,"id":{i},"n\u0061me":"n{i}"}}"#));
        }
    }
    body.push(']');
    let p = parse_payload(BodyFormat::Json, body.as_bytes());
    let Ok(p) = p else { panic!("{p:?}") };
    assert_eq!(p.keys, ["id", "name", "tags"]);
    assert_eq!(p.rows, Some(100_000));
    assert!(p.is_array);
    assert!(p.json == body);

    // One differing object at the very end is found.
    let spoiled = format!("{},{{\"id\":1}}]", body.trim_end_matches(']'));
    assert_eq!(
        parse_payload(BodyFormat::Json, spoiled.as_bytes()),
        Err(PayloadError::KeysMustMatch)
    );
}

/// cassava's `decodeByName`: a header, RFC 4180 fields, values as strings, `NULL` as null.
#[test]
fn csv_basics() {
    check(
        BodyFormat::Csv,
        &[
            (
                "a,b\n1,2\n3,4\n",
                r#"array rows=2 keys=["a", "b"] [{"a":"1","b":"2"},{"a":"3","b":"4"}]"#,
            ),
            // The docs' example.
            (
                "name,age,height\nJ Doe,62,70\nJonas,10,55\n",
                r#"array rows=2 keys=["name", "age", "height"] [{"name":"J Doe","age":"62","height":"70"},{"name":"Jonas","age":"10","height":"55"}]"#,
            ),
            // PostgREST's own test body: no line break after the last record.
            (
                "id,name,client_id\n8,Xenix,1\n9,Windows NT,1",
                r#"array rows=2 keys=["id", "name", "client_id"] [{"id":"8","name":"Xenix","client_id":"1"},{"id":"9","name":"Windows NT","client_id":"1"}]"#,
            ),
            (
                "a,b\r\n1,2\r\n",
                r#"array rows=1 keys=["a", "b"] [{"a":"1","b":"2"}]"#,
            ),
            (
                "a,b\r1,2\r3,4",
                r#"array rows=2 keys=["a", "b"] [{"a":"1","b":"2"},{"a":"3","b":"4"}]"#,
            ),
            (
                "a,b\n1,2\r\n3,4\r",
                r#"array rows=2 keys=["a", "b"] [{"a":"1","b":"2"},{"a":"3","b":"4"}]"#,
            ),
            // Spaces belong to the field, names included.
            (
                "a, b\n1 , 2",
                r#"array rows=1 keys=["a", " b"] [{"a":"1 "," b":" 2"}]"#,
            ),
            (
                "名前,café\n値,ü",
                r#"array rows=1 keys=["名前", "café"] [{"名前":"値","café":"ü"}]"#,
            ),
            // The last of repeated names wins, as in the object PostgREST builds.
            (
                "a,b,a\n1,2,3",
                r#"array rows=1 keys=["a", "b"] [{"a":"3","b":"2"}]"#,
            ),
            // A trailing comma is one more (empty) column.
            (
                "a,b,\n1,2,\n",
                r#"array rows=1 keys=["a", "b", ""] [{"a":"1","b":"2","":""}]"#,
            ),
        ],
    );
}

/// The word `NULL` (quoted or not, exactly) is SQL null; an empty field is the empty string.
#[test]
fn csv_null_and_empty() {
    check(
        BodyFormat::Csv,
        &[
            (
                "a,b\nNULL,\n",
                r#"array rows=1 keys=["a", "b"] [{"a":null,"b":""}]"#,
            ),
            (
                "a,b\n,NULL",
                r#"array rows=1 keys=["a", "b"] [{"a":"","b":null}]"#,
            ),
            (
                "a,b\n\"NULL\",\"\"",
                r#"array rows=1 keys=["a", "b"] [{"a":null,"b":""}]"#,
            ),
            (
                "a,b,c\nnull, NULL,NULL ",
                r#"array rows=1 keys=["a", "b", "c"] [{"a":"null","b":" NULL","c":"NULL "}]"#,
            ),
            ("a,b\n,", r#"array rows=1 keys=["a", "b"] [{"a":"","b":""}]"#),
        ],
    );
}

/// Quoted fields hold commas, doubled quotes and line breaks; the result is escaped as JSON.
#[test]
fn csv_quoting() {
    check(
        BodyFormat::Csv,
        &[
            (
                "a,b\n\"x,y\",\"he said \"\"hi\"\"\"\n",
                r#"array rows=1 keys=["a", "b"] [{"a":"x,y","b":"he said \"hi\""}]"#,
            ),
            (
                "a\n\"line1\nline2\"\n",
                r#"array rows=1 keys=["a"] [{"a":"line1\nline2"}]"#,
            ),
            ("a\n\"cr\r\nlf\"", r#"array rows=1 keys=["a"] [{"a":"cr\r\nlf"}]"#),
            ("a\n\"\"\"\"", r#"array rows=1 keys=["a"] [{"a":"\""}]"#),
            ("a\n\"\"\"x\"\"\"", r#"array rows=1 keys=["a"] [{"a":"\"x\""}]"#),
            (
                "\"a,b\",\"c\"\"\"\n1,2",
                r#"array rows=1 keys=["a,b", "c\""] [{"a,b":"1","c\"":"2"}]"#,
            ),
            (
                "a\n\"tab\there\\back\"",
                r#"array rows=1 keys=["a"] [{"a":"tab\there\\back"}]"#,
            ),
            (
                "a\n\u{1}\u{1f}",
                r#"array rows=1 keys=["a"] [{"a":"\u0001\u001f"}]"#,
            ),
        ],
    );
}

/// Lines holding one empty field are skipped (cassava's `blankLine`), so are a lone `""`; a header
/// without records is an empty array, with no keys (PostgREST reads `[]` that way).
#[test]
fn csv_blank_lines_and_header_only() {
    check(
        BodyFormat::Csv,
        &[
            (
                "a\n1\n\n2\n\n",
                r#"array rows=2 keys=["a"] [{"a":"1"},{"a":"2"}]"#,
            ),
            (
                "a,b\n1,2\n\r\n3,4",
                r#"array rows=2 keys=["a", "b"] [{"a":"1","b":"2"},{"a":"3","b":"4"}]"#,
            ),
            ("a\n\"\"\n1", r#"array rows=1 keys=["a"] [{"a":"1"}]"#),
            ("a,b\n", r#"array rows=0 keys=[] []"#),
            ("a,b\r\n\r\n\n", r#"array rows=0 keys=[] []"#),
            ("a\n\n", r#"array rows=0 keys=[] []"#),
            // An empty first line is a header with one empty name.
            ("\n1", r#"array rows=1 keys=[""] [{"":"1"}]"#),
        ],
    );
}

/// Every record has as many fields as the header. (PostgREST pairs fields with names up to the
/// shorter of the two, so it also accepts extra fields, or every record short alike, and drops the
/// data; restgres refuses both.)
#[test]
fn csv_ragged_rows() {
    check(
        BodyFormat::Csv,
        &[
            // PostgREST's test "fails for too few".
            (
                "a,b\nfoo,bar\nbaz",
                "ERR All lines must have same number of fields",
            ),
            ("a,b\n1,2,3", "ERR All lines must have same number of fields"),
            ("a,b\n1\n2", "ERR All lines must have same number of fields"),
            ("a\n1,\n", "ERR All lines must have same number of fields"),
            // A syntax error anywhere comes first.
            (
                "a,b\n1\n\"x",
                r#"ERR parse error (Failed reading: trailing double quote) at """#,
            ),
        ],
    );
}

/// cassava's messages: what it failed on, and the rest of the input from there.
#[test]
fn csv_syntax_errors() {
    check(
        BodyFormat::Csv,
        &[
            ("", r#"ERR parse error (not enough input) at """#),
            ("a,b", r#"ERR parse error (not enough input) at """#),
            ("a,\"b\"", r#"ERR parse error (not enough input) at """#),
            (
                "a,b\n1,x\"y\n",
                r#"ERR parse error (Failed reading: satisfy) at "\"y\n""#,
            ),
            ("a\n\"x\"y", r#"ERR parse error (Failed reading: satisfy) at "y""#),
            (
                "a\"\n1",
                r#"ERR parse error (Failed reading: satisfy) at "\"\n1""#,
            ),
            (
                "a\n\"xyz",
                r#"ERR parse error (Failed reading: trailing double quote) at """#,
            ),
            (
                "a\n\"",
                r#"ERR parse error (Failed reading: trailing double quote) at """#,
            ),
            (
                "a\n\"x\"\"",
                r#"ERR parse error (Failed reading: trailing double quote) at """#,
            ),
            (
                "\"a",
                r#"ERR parse error (Failed reading: trailing double quote) at """#,
            ),
            (
                "a\n1\"é",
                r#"ERR parse error (Failed reading: satisfy) at "\"\195\169""#,
            ),
        ],
    );
    let long = format!("a\n1\"{}", "x".repeat(200));
    assert_eq!(
        show(parse_payload(BodyFormat::Csv, long.as_bytes())),
        format!(
            "ERR parse error (Failed reading: satisfy) at \"{} (truncated)",
            "x".repeat(99)
        )
    );
}

#[test]
fn csv_that_is_not_utf8() {
    for body in [&b"a\n\xff"[..], b"\xff\n1", b"a,b\n1,\"\xc3\""] {
        assert_eq!(
            parse_payload(BodyFormat::Csv, body),
            Err(PayloadError::InvalidUtf8),
            "{body:?}"
        );
    }
    // Syntax errors come first.
    assert!(matches!(
        parse_payload(BodyFormat::Csv, b"a\n\xff\n\"x"),
        Err(PayloadError::CsvParse(_))
    ));
}

#[test]
fn csv_hundred_thousand_rows() {
    let mut body = String::from("id,name,note\r\n");
    for i in 0..100_000 {
        body.push_str(&format!("{i},\"n,{i}\",NULL\r\n"));
    }
    let p = parse_payload(BodyFormat::Csv, body.as_bytes());
    let Ok(p) = p else { panic!("{p:?}") };
    assert_eq!(p.keys, ["id", "name", "note"]);
    assert_eq!(p.rows, Some(100_000));
    let again = parse_payload(BodyFormat::Json, p.json.as_bytes());
    assert_eq!(again.map(|q| (q.keys, q.rows)), Ok((p.keys, p.rows)));
}

/// http-types' `parseSimpleQuery`, then one JSON object of strings.
#[test]
fn form_bodies() {
    check(
        BodyFormat::FormUrlEncoded,
        &[
            // The docs' example.
            (
                "name=John+Doe&age=50&weight=80",
                r#"object rows=1 keys=["name", "age", "weight"] {"name":"John Doe","age":"50","weight":"80"}"#,
            ),
            (
                "a=caf%C3%A9&b=100%25&c=%2B&d=a%20b",
                r#"object rows=1 keys=["a", "b", "c", "d"] {"a":"café","b":"100%","c":"+","d":"a b"}"#,
            ),
            (
                "a=%zz&b=100%&c=%4",
                r#"object rows=1 keys=["a", "b", "c"] {"a":"%zz","b":"100%","c":"%4"}"#,
            ),
            (
                "first+name=x&last%20name=y",
                r#"object rows=1 keys=["first name", "last name"] {"first name":"x","last name":"y"}"#,
            ),
            ("a=1;b=2", r#"object rows=1 keys=["a", "b"] {"a":"1","b":"2"}"#),
            ("?a=1", r#"object rows=1 keys=["a"] {"a":"1"}"#),
            ("??a=1", r#"object rows=1 keys=["?a"] {"?a":"1"}"#),
            ("a&b=", r#"object rows=1 keys=["a", "b"] {"a":"","b":""}"#),
            ("a=b=c", r#"object rows=1 keys=["a"] {"a":"b=c"}"#),
            ("=x", r#"object rows=1 keys=[""] {"":"x"}"#),
            // The last of repeated keys wins (a HashMap built from the pairs).
            (
                "a=1&b=2&a=3",
                r#"object rows=1 keys=["a", "b"] {"a":"3","b":"2"}"#,
            ),
            // A trailing separator adds nothing; an empty pair in between is the empty key.
            ("a=1&", r#"object rows=1 keys=["a"] {"a":"1"}"#),
            (
                "a=1&&b=2",
                r#"object rows=1 keys=["a", "", "b"] {"a":"1","":"","b":"2"}"#,
            ),
            ("&", r#"object rows=1 keys=[""] {"":""}"#),
            ("", r#"object rows=1 keys=[] {}"#),
            ("?", r#"object rows=1 keys=[] {}"#),
            (
                "q=%22quoted%22%0A%5C&u=%E2%82%AC",
                r#"object rows=1 keys=["q", "u"] {"q":"\"quoted\"\n\\","u":"€"}"#,
            ),
            // DEL needs no escape in JSON.
            (
                "c=%01%1F%7F",
                "object rows=1 keys=[\"c\"] {\"c\":\"\\u0001\\u001f\u{7f}\"}",
            ),
        ],
    );
}

#[test]
fn form_that_is_not_utf8() {
    for body in [&b"a=%FF"[..], b"%C3=1", b"a=\xff"] {
        assert_eq!(
            parse_payload(BodyFormat::FormUrlEncoded, body),
            Err(PayloadError::InvalidUtf8),
            "{body:?}"
        );
    }
}

/// With `columns=` PostgREST sends the JSON body on unread; restgres only checks its first character.
#[test]
fn passthrough_bodies() {
    check_all(
        &[
            (r#"{"a":1,"b":2}"#, r#"object rows=? keys=[] {"a":1,"b":2}"#),
            (
                "\n [{\"a\":1},{\"b\":2}]",
                "array rows=? keys=[] \n [{\"a\":1},{\"b\":2}]",
            ),
            // Not read: PostgreSQL reports what is wrong with it.
            (r#"[{"#, r#"array rows=? keys=[] [{"#),
            ("1", "ERR Empty or invalid json"),
            (r#""x""#, "ERR Empty or invalid json"),
            ("", "ERR Empty or invalid json"),
            (" \t", "ERR Empty or invalid json"),
        ],
        |input| show(Payload::passthrough(input.as_bytes())),
    );
    assert_eq!(Payload::passthrough(b"{\xff}"), Err(PayloadError::InvalidJson));
}

#[test]
fn empty_object_for_functions() {
    assert_eq!(show(Ok(Payload::empty_object())), "object rows=1 keys=[] {}");
}

/// Which `Content-Type`s are write bodies, and PostgREST's message for the rest.
#[test]
fn body_formats_by_content_type() {
    check_all(
        &[
            ("application/json", "Json"),
            ("application/json; charset=utf-8", "Json"),
            ("APPLICATION/JSON", "Json"),
            ("text/csv", "Csv"),
            ("application/x-www-form-urlencoded", "FormUrlEncoded"),
            ("application/vnd.pgrst.array+json", "Json"),
            ("text/plain", "ERR Content-Type not acceptable: text/plain"),
            (
                "application/octet-stream",
                "ERR Content-Type not acceptable: application/octet-stream",
            ),
            (
                "application/xml",
                "ERR Content-Type not acceptable: application/xml",
            ),
            (
                "application/geo+json",
                "ERR Content-Type not acceptable: application/geo+json",
            ),
            (
                "application/vnd.pgrst.object+json",
                "ERR Content-Type not acceptable: application/vnd.pgrst.object+json",
            ),
            ("*/*", "ERR Content-Type not acceptable: */*"),
        ],
        |input| match BodyFormat::from_media_type(&parse_media_type(input)) {
            Ok(format) => format!("{format:?}"),
            Err(e) => format!("ERR {e}"),
        },
    );
    assert_eq!(
        BodyFormat::from_media_type(&MediaType::Other("foo/bar; x=1".into())).map_err(|e| e.to_string()),
        Err("Content-Type not acceptable: foo/bar; x=1".to_owned())
    );
}

// ---------------------------------------------------------------------------------------------------
// Properties

const FORMATS: [BodyFormat; 3] = [BodyFormat::Json, BodyFormat::Csv, BodyFormat::FormUrlEncoded];

/// Text over the three grammars' punctuation, so that generated bodies reach deep into the parsers.
const BODYISH: &str = r#"[\[\]{}",:ab0-9 \n\r\t=&;%+\\NUL.eé-]{0,60}"#;

/// Field and key text that needs quoting or escaping somewhere.
const TRICKY: &str = r#"[a-c ,"\n\r\t\\é😀%+&;=]{0,6}|NULL"#;

fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("1e999".to_owned()),
        TRICKY.prop_map(|s| serde_json::Value::String(s).to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((TRICKY, inner), 0..4).prop_map(|kv| {
                let members: Vec<String> = kv
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::Value::String(k)))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// One object as written, possibly with repeated keys, and its keys in order.
fn json_object() -> impl Strategy<Value = (String, Vec<String>)> {
    prop::collection::vec(("[a-c]{0,2}|é|\"|\\\\", json_value()), 0..4).prop_map(|members| {
        let keys: Vec<String> = members.iter().map(|(k, _)| k.clone()).collect();
        let text: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::String(k.clone())))
            .collect();
        (format!("{{{}}}", text.join(",")), keys)
    })
}

fn distinct(keys: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in keys {
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}

/// CSV text for one field: quoted when it must be (and sometimes when it need not be).
fn csv_field(s: &str, quote_anyway: bool) -> String {
    if quote_anyway || s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn payload_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), text in BODYISH) {
        for body in [bytes.as_slice(), text.as_bytes()] {
            for format in FORMATS {
                if let Ok(p) = parse_payload(format, body) {
                    // Whatever is accepted is JSON whose shape matches what the payload says.
                    // (Read without number types: JSON input may hold numbers like 1e999.)
                    let rows = if p.is_array {
                        serde_json::from_str::<Vec<IgnoredAny>>(&p.json).map(|v| v.len())
                    } else {
                        serde_json::from_str::<HashMap<String, IgnoredAny>>(&p.json).map(|_| 1)
                    };
                    let rows = rows.map_err(|e| TestCaseError::fail(format!("{e}: {}", p.json)))?;
                    prop_assert_eq!(Some(rows), p.rows);
                }
            }
            let _ = Payload::passthrough(body);
        }
    }

    #[test]
    fn json_keys_follow_postgrest(objects in prop::collection::vec(json_object(), 0..5), wrap in any::<bool>()) {
        let texts: Vec<&str> = objects.iter().map(|(t, _)| t.as_str()).collect();
        let (body, expected) = if !wrap && objects.len() == 1 {
            let keys = distinct(&objects[0].1);
            (texts[0].to_owned(), Ok((keys, false, Some(1))))
        } else {
            let body = format!("[{}]", texts.join(" , "));
            let sets: Vec<std::collections::BTreeSet<&String>> =
                objects.iter().map(|(_, ks)| ks.iter().collect()).collect();
            let expected = match objects.first() {
                None => Ok((vec![], true, Some(0))),
                Some((_, first)) if sets.iter().all(|s| *s == sets[0]) => {
                    Ok((distinct(first), true, Some(objects.len())))
                }
                Some(_) => Err(PayloadError::KeysMustMatch),
            };
            (body, expected)
        };
        let got = parse_payload(BodyFormat::Json, body.as_bytes()).map(|p| (p.keys, p.is_array, p.rows));
        prop_assert_eq!(got, expected, "{}", body);
    }

    #[test]
    fn csv_round_trips(
        names in prop::collection::vec(TRICKY, 1..4),
        rows in prop::collection::vec(prop::collection::vec(TRICKY, 4), 0..5),
        quote_anyway in any::<bool>(),
        crlf in any::<bool>(),
        final_break in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let line = |fields: &[String]| {
            fields.iter().map(|f| csv_field(f, quote_anyway)).collect::<Vec<_>>().join(",")
        };
        let width = names.len();
        let mut body = line(&names) + eol;
        let rows: Vec<&[String]> = rows.iter().map(|r| &r[..width]).collect();
        let lines: Vec<String> = rows.iter().map(|r| line(r)).collect();
        body.push_str(&lines.join(eol));
        if final_break {
            body.push_str(eol);
        }
        // A record of one empty field is a blank line, which cassava skips.
        let kept: Vec<&&[String]> = rows.iter().filter(|r| !(r.len() == 1 && r[0].is_empty())).collect();

        let got = parse_payload(BodyFormat::Csv, body.as_bytes());
        let p = got.map_err(|e| TestCaseError::fail(format!("{e}: {body:?}")))?;
        prop_assert_eq!(p.rows, Some(kept.len()));
        let value: serde_json::Value = serde_json::from_str(&p.json)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let objects = value.as_array().cloned().unwrap_or_default();
        prop_assert_eq!(objects.len(), kept.len());
        for (object, row) in objects.iter().zip(&kept) {
            for (i, name) in names.iter().enumerate() {
                // The last column carrying a name gives its value.
                if names[i + 1..].contains(name) {
                    continue;
                }
                let expected = if row[i] == "NULL" {
                    serde_json::Value::Null
                } else {
                    serde_json::Value::String(row[i].clone())
                };
                prop_assert_eq!(object.get(name), Some(&expected), "{:?}", body);
            }
        }
        if !kept.is_empty() {
            prop_assert_eq!(&p.keys, &distinct(&names));
            let again = parse_payload(BodyFormat::Json, p.json.as_bytes()).map(|q| q.keys);
            prop_assert_eq!(again, Ok(p.keys.clone()));
        }
    }

    #[test]
    fn form_round_trips(pairs in prop::collection::vec((TRICKY, TRICKY), 0..5), plus in any::<bool>()) {
        let encode = |s: &str| {
            let encoded = percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
            if plus { encoded.replace("%20", "+") } else { encoded }
        };
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let body = body.join("&");
        let p = parse_payload(BodyFormat::FormUrlEncoded, body.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}: {body:?}")))?;
        let keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
        prop_assert_eq!(&p.keys, &distinct(&keys));
        let value: serde_json::Value = serde_json::from_str(&p.json)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (k, _) in &pairs {
            let last = pairs.iter().rev().find(|(k2, _)| k2 == k).map(|(_, v)| v.clone());
            prop_assert_eq!(value.get(k).and_then(|v| v.as_str()).map(str::to_owned), last);
        }
    }
}
