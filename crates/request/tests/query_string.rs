//! Whole query strings: splitting, decoding, reserved keys, embed levels, ranges, RPC arguments.

use crate::render::{check_all, query, result};
use restgres_request::query::{parse_query_string, parse_rpc_read_query_string};

fn check(cases: &[(&str, &str)]) {
    check_all(cases, |input| result(parse_query_string(input), |q| query(&q)));
}

/// `GET /rpc/fn`: values without an operator are arguments (`param`), keyed by field name.
fn check_rpc(cases: &[(&str, &str)]) {
    check_all(cases, |input| {
        result(parse_rpc_read_query_string(input), |q| query(&q))
    });
}

/// `&` and `;` both separate pairs; `+` is a space; bad `%` escapes stay; a key without `=` is
/// ignored; repeated `select` keeps the first (even a valueless one, which means `*`).
#[test]
fn splitting_and_decoding() {
    check(&[
        (r#""#, r#"-"#),
        (r#"?"#, r#"-"#),
        (
            r#"select=id,name&id=eq.1"#,
            r#"select=id,name | filter=id eq "1" | param="id"="eq.1""#,
        ),
        (r#"?select=id&order=id.desc"#, r#"select=id | order=id.desc"#),
        (r#"select=a&select=b"#, r#"select=a"#),
        (r#"select&select=b"#, r#"-"#),
        (r#"select="#, r#"select="#),
        (
            r#"id=eq.1&name=like.*x*"#,
            r#"filter=id eq "1" | filter=name like "%x%" | param="id"="eq.1" | param="name"="like.*x*""#,
        ),
        (
            r#"name=eq.john+doe"#,
            r#"filter=name eq "john doe" | param="name"="eq.john doe""#,
        ),
        (
            r#"name=eq.john%20doe"#,
            r#"filter=name eq "john doe" | param="name"="eq.john doe""#,
        ),
        (
            r#"name=eq.a%2Bb"#,
            r#"filter=name eq "a+b" | param="name"="eq.a+b""#,
        ),
        (
            r#"name=eq.100%"#,
            r#"filter=name eq "100%" | param="name"="eq.100%""#,
        ),
        (
            r#"name=eq.%zz"#,
            r#"filter=name eq "%zz" | param="name"="eq.%zz""#,
        ),
        (
            r#"name=eq.caf%C3%A9"#,
            r#"filter=name eq "café" | param="name"="eq.café""#,
        ),
        (r#"name=eq.%FF"#, r#"filter=name eq "�" | param="name"="eq.�""#),
        (
            r#"%22my%20col%22=eq.1"#,
            r#"filter="my col" eq "1" | param="\"my col\""="eq.1""#,
        ),
        (
            r#"a=eq.1;b=eq.2"#,
            r#"filter=a eq "1" | filter=b eq "2" | param="a"="eq.1" | param="b"="eq.2""#,
        ),
        (r#"a=eq.x%3By"#, r#"filter=a eq "x;y" | param="a"="eq.x;y""#),
        (r#"a=eq.x%26y"#, r#"filter=a eq "x&y" | param="a"="eq.x&y""#),
        (
            r#"a=eq.1&&b=eq.2"#,
            r#"filter=a eq "1" | filter=b eq "2" | param="a"="eq.1" | param="b"="eq.2""#,
        ),
        (r#"a"#, r#"-"#),
        (r#"a=eq.x=y"#, r#"filter=a eq "x=y" | param="a"="eq.x=y""#),
    ]);
}

#[test]
fn reserved_keys_and_embed_levels() {
    check(&[
        (
            r#"or=(a.eq.1,b.eq.2)&and=(c.eq.3)"#,
            r#"logic=or(a eq "1", b eq "2") | logic=and(c eq "3")"#,
        ),
        (
            r#"not.or=(a.eq.1)&not.and=(b.eq.1)"#,
            r#"logic=not.or(a eq "1") | logic=not.and(b eq "1")"#,
        ),
        (
            r#"actors.or=(a.eq.1)&actors.roles.not.and=(b.eq.1)"#,
            r#"logic=actors.or(a eq "1") | logic=actors.roles.not.and(b eq "1")"#,
        ),
        (
            r#"order=id.desc&actors.order=name&actors.roles.order=x.asc"#,
            r#"order=id.desc | order=actors.name | order=actors.roles.x.asc"#,
        ),
        (
            r#"actors.select=eq.1"#,
            r#"filter=actors.select eq "1" | param="actors.select"="eq.1""#,
        ),
        (
            r#"actors.columns=eq.x"#,
            r#"filter=actors.columns eq "x" | param="actors.columns"="eq.x""#,
        ),
        (r#"xor=eq.1"#, r#"filter=xor eq "1" | param="xor"="eq.1""#),
        (r#"a.b.c=eq.1"#, r#"filter=a.b.c eq "1" | param="a.b.c"="eq.1""#),
        (
            r#"id=eq.1&id=gt.0"#,
            r#"filter=id eq "1" | filter=id gt "0" | param="id"="eq.1" | param="id"="gt.0""#,
        ),
    ]);
}

/// Non-integers are ignored (an unreadable limit next to an offset counts as 0, as in
/// PostgREST); an empty top-level range other than `limit=0` is PGRST103; embedded levels are not
/// validated (PostgreSQL rejects negative values there, as with PostgREST).
#[test]
fn limit_and_offset() {
    check(&[
        (r#"limit=10"#, r#"range=0+10"#),
        (r#"offset=5"#, r#"range=5+"#),
        (r#"limit=10&offset=20"#, r#"range=20+10"#),
        (r#"limit=0"#, r#"range=0+0"#),
        (
            r#"limit=-1"#,
            r#"416 Limit should be greater than or equal to zero."#,
        ),
        (r#"limit=1&limit=2"#, r#"range=0+2"#),
        (r#"limit=abc"#, r#"range=0+"#),
        (
            r#"limit=abc&offset=5"#,
            r#"416 Limit should be greater than or equal to zero."#,
        ),
        (
            r#"limit=&offset=5"#,
            r#"416 Limit should be greater than or equal to zero."#,
        ),
        (r#"limit= 5 "#, r#"range=0+5"#),
        (r#"limit=0x10"#, r#"range=0+16"#),
        (
            r#"limit=99999999999999999999999"#,
            r#"range=0+9223372036854775807"#,
        ),
        (r#"offset=-4"#, r#"range=0+"#),
        (
            r#"offset=-4&limit=3"#,
            r#"416 Limit should be greater than or equal to zero."#,
        ),
        (r#"offset=1&limit=-1"#, r#"range=0+0"#),
        (
            r#"limit=0&offset=5"#,
            r#"416 Limit should be greater than or equal to zero."#,
        ),
        (r#"actors.limit=2&actors.offset=1"#, r#"range=actors.1+2"#),
        (r#"actors.limit=-1"#, r#"range=actors.0+-1"#),
        (r#"actors.offset=-2"#, r#"range=actors.-2+"#),
        (r#"actors.roles.limit=5"#, r#"range=actors.roles.0+5"#),
        (
            r#"select=*&limit=-1"#,
            r#"416 Limit should be greater than or equal to zero."#,
        ),
    ]);
}

#[test]
fn columns_and_on_conflict() {
    check(&[
        (r#"columns=a,b,c"#, r#"columns=["a", "b", "c"]"#),
        (r#"columns=b,a,b"#, r#"columns=["b", "a"]"#),
        (r#"columns="my col",x"#, r#"columns=["my col", "x"]"#),
        (
            r#"columns="#,
            r#"ERR "failed to parse columns parameter ()" (line 1, column 1) | unexpected end of input expecting field name (* or [a..z0..9_$])"#,
        ),
        (r#"on_conflict=a,b"#, r#"on_conflict=["a", "b"]"#),
        (
            r#"on_conflict="#,
            r#"ERR "failed to parse on_conflict parameter ()" (line 1, column 1) | unexpected end of input expecting field name (* or [a..z0..9_$])"#,
        ),
    ]);
}

/// PostgREST reports order errors, then logic, columns, select, filters, on_conflict, ranges.
#[test]
fn error_order() {
    check(&[
        (
            r#"select=a(&id=eq.1"#,
            r#"ERR "failed to parse select parameter (a()" (line 1, column 3) | unexpected end of input expecting "...", field name (* or [a..z0..9_$]), "*", "count()" or ")""#,
        ),
        (
            r#"order=id.x&select=a("#,
            r#"ERR "failed to parse order (id.x)" (line 1, column 4) | unexpected "x" expecting "asc", "desc", "nullsfirst" or "nullslast""#,
        ),
        (
            r#"select=a(&order=id.x"#,
            r#"ERR "failed to parse order (id.x)" (line 1, column 4) | unexpected "x" expecting "asc", "desc", "nullsfirst" or "nullslast""#,
        ),
        (
            r#"id=eq.1&select=a("#,
            r#"ERR "failed to parse select parameter (a()" (line 1, column 3) | unexpected end of input expecting "...", field name (* or [a..z0..9_$]), "*", "count()" or ")""#,
        ),
        (
            r#"id=val&or=("#,
            r#"ERR "failed to parse logic tree (()" (line 1, column 4) | unexpected end of input expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)"#,
        ),
        (
            r#"limit=-1&select=a("#,
            r#"ERR "failed to parse select parameter (a()" (line 1, column 3) | unexpected end of input expecting "...", field name (* or [a..z0..9_$]), "*", "count()" or ")""#,
        ),
    ]);
}

/// A value that starts an operator and then fails (`in.x`, `not.x`) is an error even for RPC.
#[test]
fn rpc_read_arguments() {
    check_rpc(&[
        (r#"a=1&b=2"#, r#"param="a"="1" | param="b"="2""#),
        (r#"a=eq.1&b=x"#, r#"filter=a eq "1" | param="b"="x""#),
        (r#""my arg"=1"#, r#"param="my arg"="1""#),
        (
            r#"a=in.x"#,
            r#"ERR "failed to parse filter (in.x)" (line 1, column 4) | unexpected "x" expecting "(""#,
        ),
        (
            r#"a=not.x"#,
            r#"ERR "failed to parse filter (not.x)" (line 1, column 5) | unexpected "x" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"a=1&select=x&limit=1"#,
            r#"select=x | range=0+1 | param="a"="1""#,
        ),
        (r#"a.b=1"#, r#"param="b"="1""#),
        (r#"a->b=1"#, r#"param="a"="1""#),
        (r#"a="#, r#"param="a"="""#),
        (r#"a"#, r#"-"#),
    ]);
}
