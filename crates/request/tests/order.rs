//! `order=`: directions, nulls placement, JSON paths, related columns, and errors.

use crate::render::{check_all, order, result};
use restgres_request::query::parse_order;

fn check(cases: &[(&str, &str)]) {
    check_all(cases, |input| result(parse_order(input), |o| order(&o)));
}

#[test]
fn terms() {
    check(&[
        (r#"id"#, r#"id"#),
        (r#"id.asc"#, r#"id.asc"#),
        (r#"id.desc"#, r#"id.desc"#),
        (r#"id.nullsfirst"#, r#"id.nullsfirst"#),
        (r#"id.nullslast"#, r#"id.nullslast"#),
        (r#"id.asc.nullsfirst"#, r#"id.asc.nullsfirst"#),
        (r#"id.desc.nullslast"#, r#"id.desc.nullslast"#),
        (
            r#"a.desc,b.asc.nullslast,c.nullsfirst"#,
            r#"a.desc, b.asc.nullslast, c.nullsfirst"#,
        ),
        (r#"name.desc.nullsfirst"#, r#"name.desc.nullsfirst"#),
        (r#"json_col->key.asc.nullslast"#, r#"json_col->key.asc.nullslast"#),
        (
            r#"json_col->!@#$%^&*_a.asc.nullslast"#,
            r#"json_col->"!@#$%^&*_a".asc.nullslast"#,
        ),
        (r#"data->>k.desc"#, r#"data->>k.desc"#),
        (r#"data->0.desc"#, r#"data->[0].desc"#),
        (r#"data->a->>b"#, r#"data->a->>b"#),
        (
            r#"clients(json_col->key).desc.nullsfirst"#,
            r#"clients(json_col->key).desc.nullsfirst"#,
        ),
        (r#"clients(name)"#, r#"clients(name)"#),
        (r#"name,clients(name),id"#, r#"name, clients(name), id"#),
        (r#"clients(name).asc,id.desc"#, r#"clients(name).asc, id.desc"#),
        (r#""my col".desc"#, r#""my col".desc"#),
        (r#"a ,b"#, r#"a, b"#),
    ]);
}

/// Most of these are PostgREST's doctests. Spaces may precede a term, not follow a direction.
#[test]
fn errors() {
    check(&[
        (
            r#" a , b.desc "#,
            r#"ERR "failed to parse order ( a , b.desc )" (line 1, column 12) | unexpected ' ' expecting delimiter (.), "," or end of input"#,
        ),
        (
            r#"clients(name,id)"#,
            r#"ERR "failed to parse order (clients(name,id))" (line 1, column 8) | unexpected '(' expecting letter, digit, "-", "->>", "->", delimiter (.), "," or end of input"#,
        ),
        (
            r#"id.ac"#,
            r#"ERR "failed to parse order (id.ac)" (line 1, column 4) | unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast""#,
        ),
        (
            r#"id.descc"#,
            r#"ERR "failed to parse order (id.descc)" (line 1, column 8) | unexpected 'c' expecting delimiter (.), "," or end of input"#,
        ),
        (
            r#"id.nulsfist"#,
            r#"ERR "failed to parse order (id.nulsfist)" (line 1, column 4) | unexpected "n" expecting "asc", "desc", "nullsfirst" or "nullslast""#,
        ),
        (
            r#"id.nullslasttt"#,
            r#"ERR "failed to parse order (id.nullslasttt)" (line 1, column 13) | unexpected 't' expecting "," or end of input"#,
        ),
        (
            r#"id.smth34"#,
            r#"ERR "failed to parse order (id.smth34)" (line 1, column 4) | unexpected "s" expecting "asc", "desc", "nullsfirst" or "nullslast""#,
        ),
        (
            r#"id.asc.nlsfst"#,
            r#"ERR "failed to parse order (id.asc.nlsfst)" (line 1, column 8) | unexpected "l" expecting "nullsfirst" or "nullslast""#,
        ),
        (
            r#"id.asc.nullslasttt"#,
            r#"ERR "failed to parse order (id.asc.nullslasttt)" (line 1, column 17) | unexpected 't' expecting "," or end of input"#,
        ),
        (
            r#"id.asc.smth34"#,
            r#"ERR "failed to parse order (id.asc.smth34)" (line 1, column 8) | unexpected "s" expecting "nullsfirst" or "nullslast""#,
        ),
        (
            r#"id.nullsfirst.asc"#,
            r#"ERR "failed to parse order (id.nullsfirst.asc)" (line 1, column 14) | unexpected '.' expecting "," or end of input"#,
        ),
        (
            r#"a,"#,
            r#"ERR "failed to parse order (a,)" (line 1, column 3) | unexpected end of input expecting field name (* or [a..z0..9_$])"#,
        ),
        (
            r#""#,
            r#"ERR "failed to parse order ()" (line 1, column 1) | unexpected end of input expecting field name (* or [a..z0..9_$])"#,
        ),
        (
            r#",a"#,
            r#"ERR "failed to parse order (,a)" (line 1, column 1) | unexpected "," expecting field name (* or [a..z0..9_$])"#,
        ),
        (
            r#"a,,b"#,
            r#"ERR "failed to parse order (a,,b)" (line 1, column 3) | unexpected "," expecting field name (* or [a..z0..9_$])"#,
        ),
        (
            r#".desc"#,
            r#"ERR "failed to parse order (.desc)" (line 1, column 1) | unexpected "." expecting field name (* or [a..z0..9_$])"#,
        ),
        (
            r#"id."#,
            r#"ERR "failed to parse order (id.)" (line 1, column 4) | unexpected end of input expecting "asc", "desc", "nullsfirst" or "nullslast""#,
        ),
        (
            r#"clients()"#,
            r#"ERR "failed to parse order (clients())" (line 1, column 8) | unexpected '(' expecting letter, digit, "-", "->>", "->", delimiter (.), "," or end of input"#,
        ),
        (
            r#"clients(a"#,
            r#"ERR "failed to parse order (clients(a)" (line 1, column 8) | unexpected '(' expecting letter, digit, "-", "->>", "->", delimiter (.), "," or end of input"#,
        ),
        (
            r#"clients(a).x"#,
            r#"ERR "failed to parse order (clients(a).x)" (line 1, column 8) | unexpected '(' expecting letter, digit, "-", "->>", "->", delimiter (.), "," or end of input"#,
        ),
        (
            r#"id.asc.desc"#,
            r#"ERR "failed to parse order (id.asc.desc)" (line 1, column 8) | unexpected "d" expecting "nullsfirst" or "nullslast""#,
        ),
    ]);
}
