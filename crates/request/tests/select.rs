//! `select=`: columns, aliases, casts, JSON paths, aggregates, embeds, spreads, and their errors.
//!
//! Expected errors are PostgREST's texts: `message` with Parsec's position, `details` with Parsec's
//! merged `unexpected ... expecting ...` (the first cases of `errors` are PostgREST's own doctests).

use crate::render::{check_all, result, select};
use restgres_request::query::parse_select;

fn check(cases: &[(&str, &str)]) {
    check_all(cases, |input| result(parse_select(input), |items| select(&items)));
}

#[test]
fn columns_aliases_and_names() {
    check(&[
        (r#"*"#, r#"*"#),
        (r#"id"#, r#"id"#),
        (r#"id,name"#, r#"id,name"#),
        (r#" id , name "#, r#"id,name"#),
        (r#"a:b"#, r#"a:b"#),
        (r#"alias:col"#, r#"alias:col"#),
        (r#" a:b "#, r#"a:b"#),
        (r#"my col"#, r#""my col""#),
        (r#""my col""#, r#""my col""#),
        (r#""a,b""#, r#""a,b""#),
        (r#""a\"b""#, r#""a\"b""#),
        (r#""a\\b""#, r#""a\\b""#),
        (r#""*""#, r#"*"#),
        (r#"$col"#, r#"$col"#),
        (r#"_x"#, r#"_x"#),
        (r#"123"#, r#"123"#),
        (r#"a-b"#, r#"a-b"#),
        (r#"a-b-c"#, r#"a-b-c"#),
        (r#"col$"#, r#"col$"#),
        (r#"café"#, r#"café"#),
        (r#"日本語"#, r#"日本語"#),
        (r#"*,*"#, r#"*,*"#),
        (r#"count"#, r#"count"#),
        (r#"count,id"#, r#"count,id"#),
        (r#"a:count"#, r#"a:count"#),
    ]);
}

#[test]
fn casts_and_json_paths() {
    check(&[
        (r#"col::text"#, r#"col::text"#),
        (r#"col::_int4"#, r#"col::_int4"#),
        (r#"col::character varying"#, r#"col::"character varying""#),
        (r#"col::int4 "#, r#"col::int4"#),
        (r#"data->a"#, r#"data->a"#),
        (r#"data->>a"#, r#"data->>a"#),
        (r#"data->a->>b"#, r#"data->a->>b"#),
        (r#"data->0"#, r#"data->[0]"#),
        (r#"data->>-1"#, r#"data->>[-1]"#),
        (r#"data->-12->>key"#, r#"data->[-12]->>key"#),
        (r#"data->a::int"#, r#"data->a::int"#),
        (r#"alias:data->a->>b::numeric"#, r#"alias:data->a->>b::numeric"#),
        (r#"x:data->0->>1"#, r#"x:data->[0]->>[1]"#),
        (r#"data->"quoted.key""#, r#"data->"quoted.key""#),
        (r#"data->!@#$%^&*_a"#, r#"data->"!@#$%^&*_a""#),
        (r#"data-> spaced key "#, r#"data->"spaced key""#),
        (r#"a::int::text"#, r#"a::int::text"#),
        (r#""*"::text"#, r#""*"::text"#),
    ]);
}

/// `count` alone is a column named `count`; only `count()` is the aggregate.
#[test]
fn aggregates() {
    check(&[
        (r#"json->>k::numeric.sum()"#, r#"json->>k::numeric.sum()"#),
        (r#"col.sum()"#, r#"col.sum()"#),
        (r#"col.avg()::int"#, r#"col.avg()::int"#),
        (r#"col.max()"#, r#"col.max()"#),
        (r#"col.min()"#, r#"col.min()"#),
        (r#"col.count()"#, r#"col.count()"#),
        (r#"col::text.count()::int"#, r#"col::text.count()::int"#),
        (r#"count()"#, r#"count()"#),
        (r#"alias:count()"#, r#"alias:count()"#),
        (r#"count()::text"#, r#"count()::text"#),
        (r#"a.sum()"#, r#"a.sum()"#),
        (r#"a.count()"#, r#"a.count()"#),
    ]);
}

/// Of `!a!b`, the first hint and the first join type count; `!"left"` is a hint named `left`.
#[test]
fn embeds_and_spreads() {
    check(&[
        (r#"clients(*)"#, r#"clients(*)"#),
        (r#"clients()"#, r#"clients()"#),
        (r#"alias:clients(*)"#, r#"alias:clients(*)"#),
        (r#"clients!hint(*)"#, r#"clients!hint(*)"#),
        (r#"clients!inner(*)"#, r#"clients!INNER(*)"#),
        (r#"clients!left(*)"#, r#"clients!LEFT(*)"#),
        (r#"clients!hint!inner(*)"#, r#"clients!hint!INNER(*)"#),
        (r#"clients!inner!hint(*)"#, r#"clients!hint!INNER(*)"#),
        (r#"clients!hint!left(*)"#, r#"clients!hint!LEFT(*)"#),
        (r#"clients!fk_name(id,name)"#, r#"clients!fk_name(id,name)"#),
        (
            r#"alias:clients!hint!inner(id)"#,
            r#"alias:clients!hint!INNER(id)"#,
        ),
        (r#"a(b(c(d(e))))"#, r#"a(b(c(d(e))))"#),
        (r#"...clients(*)"#, r#"...clients(*)"#),
        (r#"...clients!inner(name)"#, r#"...clients!INNER(name)"#),
        (r#"...clients!hint!left(a,b)"#, r#"...clients!hint!LEFT(a,b)"#),
        (r#"*,...clients(*),other(*)"#, r#"*,...clients(*),other(*)"#),
        (r#"clients!left!inner(*)"#, r#"clients!LEFT(*)"#),
        (r#"clients!"left"(*)"#, r#"clients!left(*)"#),
        (r#"clients!a!b(*)"#, r#"clients!a(*)"#),
    ]);
}

#[test]
fn errors() {
    check(&[
        (
            r#"a,,b"#,
            r#"ERR "failed to parse select parameter (a,,b)" (line 1, column 3) | unexpected "," expecting "...", field name (* or [a..z0..9_$]), "*" or "count()""#,
        ),
        (
            r#"a,"#,
            r#"ERR "failed to parse select parameter (a,)" (line 1, column 3) | unexpected end of input expecting "...", field name (* or [a..z0..9_$]), "*" or "count()""#,
        ),
        (
            r#"a("#,
            r#"ERR "failed to parse select parameter (a()" (line 1, column 3) | unexpected end of input expecting "...", field name (* or [a..z0..9_$]), "*", "count()" or ")""#,
        ),
        (
            r#"a(b"#,
            r#"ERR "failed to parse select parameter (a(b)" (line 1, column 4) | unexpected end of input expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input"#,
        ),
        (
            r#"a(b,"#,
            r#"ERR "failed to parse select parameter (a(b,)" (line 1, column 5) | unexpected end of input expecting "...", field name (* or [a..z0..9_$]), "*" or "count()""#,
        ),
        (
            r#"a!"#,
            r#"ERR "failed to parse select parameter (a!)" (line 1, column 2) | unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input"#,
        ),
        (
            r#"a!!b(c)"#,
            r#"ERR "failed to parse select parameter (a!!b(c))" (line 1, column 2) | unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input"#,
        ),
        (
            r#"a!hint"#,
            r#"ERR "failed to parse select parameter (a!hint)" (line 1, column 2) | unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input"#,
        ),
        (
            r#"clients!leftist(*)"#,
            r#"ERR "failed to parse select parameter (clients!leftist(*))" (line 1, column 8) | unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input"#,
        ),
        (
            r#"clients!a!b!c(*)"#,
            r#"ERR "failed to parse select parameter (clients!a!b!c(*))" (line 1, column 8) | unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input"#,
        ),
        (
            r#"a->"#,
            r#"ERR "failed to parse select parameter (a->)" (line 1, column 4) | unexpected end of input expecting "-", digit or any non reserved character different from: .,>()"#,
        ),
        (
            r#"a->>"#,
            r#"ERR "failed to parse select parameter (a->>)" (line 1, column 5) | unexpected end of input expecting "-", digit or any non reserved character different from: .,>()"#,
        ),
        (
            r#"a->b-"#,
            r#"ERR "failed to parse select parameter (a->b-)" (line 1, column 6) | unexpected end of input expecting ">""#,
        ),
        (
            r#"a-"#,
            r#"ERR "failed to parse select parameter (a-)" (line 1, column 3) | unexpected end of input expecting ">", letter or digit"#,
        ),
        (
            r#"a--b"#,
            r#"ERR "failed to parse select parameter (a--b)" (line 1, column 3) | unexpected "-" expecting ">", letter or digit"#,
        ),
        (
            r#"a::"#,
            r#"ERR "failed to parse select parameter (a::)" (line 1, column 4) | unexpected end of input expecting letter or digit"#,
        ),
        (
            r#"a.sum"#,
            r#"ERR "failed to parse select parameter (a.sum)" (line 1, column 6) | unexpected end of input expecting "()""#,
        ),
        (
            r#"a.foo()"#,
            r#"ERR "failed to parse select parameter (a.foo())" (line 1, column 3) | unexpected "f" expecting "sum", "avg", "count", "max" or "min""#,
        ),
        (
            r#"a.sum()::"#,
            r#"ERR "failed to parse select parameter (a.sum()::)" (line 1, column 10) | unexpected end of input expecting letter or digit"#,
        ),
        (
            r#"a->b->"#,
            r#"ERR "failed to parse select parameter (a->b->)" (line 1, column 7) | unexpected end of input expecting "-", digit or any non reserved character different from: .,>()"#,
        ),
        (
            r#"a:b:c"#,
            r#"ERR "failed to parse select parameter (a:b:c)" (line 1, column 4) | unexpected "c" expecting "::""#,
        ),
        (
            r#"a::b:c"#,
            r#"ERR "failed to parse select parameter (a::b:c)" (line 1, column 5) | unexpected "c" expecting "::""#,
        ),
        (
            r#"a:"#,
            r#"ERR "failed to parse select parameter (a:)" (line 1, column 3) | unexpected end of input expecting ":" or field name (* or [a..z0..9_$])"#,
        ),
        (
            r#""unterminated"#,
            r#"ERR "failed to parse select parameter ("unterminated)" (line 1, column 14) | unexpected end of input expecting "\\" or "\"""#,
        ),
        (
            r#"data->"unterminated"#,
            r#"ERR "failed to parse select parameter (data->"unterminated)" (line 1, column 20) | unexpected end of input expecting "\\" or "\"""#,
        ),
    ]);
}

/// PostgREST parses `select` as a prefix: what cannot start an item ends the list, silently.
#[test]
fn prefix_quirks() {
    check(&[
        (r#",a"#, r#""#),
        (r#"()"#, r#""#),
        (r#"a(b))"#, r#"a(b)"#),
        (r#":a"#, r#""#),
        (r#"*.count()"#, r#""#),
        (r#"a)junk"#, r#"a"#),
    ]);
}

/// PostgREST's array-index parser needs `->`, `::`, `.`, `,` or the end after the digits, so an
/// index right before `)` is read as an object key, and a negative one there is an error.
#[test]
fn json_index_before_paren() {
    check(&[
        (r#"a(b->0)"#, r#"a(b->0)"#),
        (r#"a(b->0,c)"#, r#"a(b->[0],c)"#),
        (r#"a(b->0::int)"#, r#"a(b->[0]::int)"#),
        (r#"a(b->>12)"#, r#"a(b->>12)"#),
        (
            r#"a(b->-1)"#,
            r#"ERR "failed to parse select parameter (a(b->-1))" (line 1, column 8) | unexpected ')' expecting digit, "->", "::", ".", "," or end of input"#,
        ),
    ]);
}
