//! Filters: every operator, `not.`, quantifiers, `in` lists, `is`, full-text search, keys with
//! embed paths and JSON paths, and their errors.

use crate::render::{check_all, filter, path, result};
use restgres_request::query::parse_filter;

/// `key=value`, split at the first `=`.
fn check(cases: &[(&str, &str)]) {
    check_all(cases, |input| {
        let (key, value) = input.split_once('=').unwrap_or((input, ""));
        result(parse_filter(key, value), |(p, f)| {
            format!("{}{}", path(&p), filter(&f))
        })
    });
}

#[test]
fn every_operator() {
    check(&[
        (r#"id=eq.1"#, r#"id eq "1""#),
        (r#"id=neq.1"#, r#"id neq "1""#),
        (r#"id=gt.1"#, r#"id gt "1""#),
        (r#"id=gte.1"#, r#"id gte "1""#),
        (r#"id=lt.1"#, r#"id lt "1""#),
        (r#"id=lte.1"#, r#"id lte "1""#),
        (r#"name=like.*john*"#, r#"name like "%john%""#),
        (r#"name=ilike.*JOHN*"#, r#"name ilike "%JOHN%""#),
        (r#"name=match.^j.*n$"#, r#"name match "^j.*n$""#),
        (r#"name=imatch.^J"#, r#"name imatch "^J""#),
        (r#"id=isdistinct.5"#, r#"id isdistinct "5""#),
        (r#"tags=cs.{a,b}"#, r#"tags cs "{a,b}""#),
        (r#"tags=cd.{a,b}"#, r#"tags cd "{a,b}""#),
        (r#"tags=ov.{a,b}"#, r#"tags ov "{a,b}""#),
        (r#"r=sl.[1,5)"#, r#"r sl "[1,5)""#),
        (r#"r=sr.[1,5)"#, r#"r sr "[1,5)""#),
        (r#"r=nxr.[1,5)"#, r#"r nxr "[1,5)""#),
        (r#"r=nxl.[1,5)"#, r#"r nxl "[1,5)""#),
        (r#"r=adj.[1,5)"#, r#"r adj "[1,5)""#),
    ]);
}

/// Quoted elements are unquoted and unescaped; unquoted ones keep their spaces; `in.()` and
/// `in.("")` are the empty list (PostgREST turns a lone empty element into `= ANY('{}')`).
#[test]
fn in_lists() {
    check(&[
        (r#"id=in.(1,2,3)"#, r#"id in ["1", "2", "3"]"#),
        (r#"id=in.()"#, r#"id in []"#),
        (r#"id=in.("")"#, r#"id in []"#),
        (r#"id=in.(a,"b,c",d)"#, r#"id in ["a", "b,c", "d"]"#),
        (r#"id=in.("a\"b","c\\d")"#, r#"id in ["a\"b", "c\\d"]"#),
        (r#"id=in.( a , b )"#, r#"id in ["a ", " b "]"#),
        (r#"id=in.("a" ,b)"#, r#"id in ["\"a\" ", "b"]"#),
        (r#"id=in.(a,)"#, r#"id in ["a", ""]"#),
        (r#"id=in.(,)"#, r#"id in ["", ""]"#),
        (r#"id=in.("a"b)"#, r#"id in ["\"a\"b"]"#),
        (
            r#"id=in.(a"#,
            r#"ERR "failed to parse filter (in.(a)" (line 1, column 6) | unexpected end of input expecting "," or ")""#,
        ),
        (
            r#"id=in.a"#,
            r#"ERR "failed to parse filter (in.a)" (line 1, column 4) | unexpected "a" expecting "(""#,
        ),
        (
            r#"id=in."#,
            r#"ERR "failed to parse filter (in.)" (line 1, column 4) | unexpected end of input expecting "(""#,
        ),
        (r#"id=in.(1,2)junk"#, r#"id in ["1", "2"]"#),
    ]);
}

/// Case-insensitive, and like every filter value parsed as a prefix: `is.nullx` is `is.null`.
#[test]
fn is_values() {
    check(&[
        (r#"a=is.null"#, r#"a is null"#),
        (r#"a=is.NULL"#, r#"a is null"#),
        (r#"a=is.NuLl"#, r#"a is null"#),
        (r#"a=is.not_null"#, r#"a is not_null"#),
        (r#"a=is.NOT_NULL"#, r#"a is not_null"#),
        (r#"a=is.true"#, r#"a is true"#),
        (r#"a=is.TRUE"#, r#"a is true"#),
        (r#"a=is.false"#, r#"a is false"#),
        (r#"a=is.unknown"#, r#"a is unknown"#),
        (r#"a=is.nullx"#, r#"a is null"#),
        (
            r#"a=is.foo"#,
            r#"ERR "failed to parse filter (is.foo)" (line 1, column 5) | unexpected "o" expecting isVal: (null, not_null, true, false, unknown)"#,
        ),
        (
            r#"a=is."#,
            r#"ERR "failed to parse filter (is.)" (line 1, column 4) | unexpected end of input expecting isVal: (null, not_null, true, false, unknown)"#,
        ),
        (
            r#"a=is.tru"#,
            r#"ERR "failed to parse filter (is.tru)" (line 1, column 7) | unexpected end of input expecting isVal: (null, not_null, true, false, unknown)"#,
        ),
    ]);
}

#[test]
fn full_text_search() {
    check(&[
        (r#"t=fts.cat"#, r#"t fts "cat""#),
        (r#"t=fts(english).cat & dog"#, r#"t fts(english) "cat & dog""#),
        (r#"t=plfts.cat dog"#, r#"t plfts "cat dog""#),
        (r#"t=phfts(french).le chat"#, r#"t phfts(french) "le chat""#),
        (r#"t=wfts."cat" -dog"#, r#"t wfts "\"cat\" -dog""#),
        (r#"t=fts(simple config).x"#, r#"t fts("simple config") "x""#),
        (
            r#"t=fts().x"#,
            r#"ERR "failed to parse filter (fts().x)" (line 1, column 5) | unexpected ")" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"t=fts(a.b).x"#,
            r#"ERR "failed to parse filter (fts(a.b).x)" (line 1, column 6) | unexpected "." expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"t=fts(english.x"#,
            r#"ERR "failed to parse filter (fts(english.x)" (line 1, column 12) | unexpected "." expecting operator (eq, gt, ...)"#,
        ),
    ]);
}

#[test]
fn negation() {
    check(&[
        (r#"id=not.eq.1"#, r#"id not.eq "1""#),
        (r#"id=not.in.(1,2)"#, r#"id not.in ["1", "2"]"#),
        (r#"id=not.is.null"#, r#"id not.is null"#),
        (r#"id=not.like.a*"#, r#"id not.like "a%""#),
        (r#"id=not.fts.x"#, r#"id not.fts "x""#),
        (
            r#"id=not.not.eq.1"#,
            r#"ERR "failed to parse filter (not.not.eq.1)" (line 1, column 5) | unexpected "n" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=not."#,
            r#"ERR "failed to parse filter (not.)" (line 1, column 5) | unexpected end of input expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=not"#,
            r#"ERR "failed to parse filter (not)" (line 1, column 4) | unexpected end of input expecting delimiter (.)"#,
        ),
        (
            r#"id=noteq.1"#,
            r#"ERR "failed to parse filter (noteq.1)" (line 1, column 4) | unexpected "e" expecting delimiter (.)"#,
        ),
    ]);
}

/// `(any)`/`(all)` only after eq, gt, gte, lt, lte, like, ilike, match, imatch.
#[test]
fn quantifiers() {
    check(&[
        (r#"id=eq(any).{1,2}"#, r#"id eq(any) "{1,2}""#),
        (r#"id=eq(all).{1,2}"#, r#"id eq(all) "{1,2}""#),
        (r#"name=like(any).{a*,*b}"#, r#"name like(any) "{a%,%b}""#),
        (r#"name=ilike(all).{*a*}"#, r#"name ilike(all) "{%a%}""#),
        (r#"id=gt(any).{1}"#, r#"id gt(any) "{1}""#),
        (r#"id=gte(all).{1}"#, r#"id gte(all) "{1}""#),
        (r#"id=lt(any).{1}"#, r#"id lt(any) "{1}""#),
        (r#"id=lte(all).{1}"#, r#"id lte(all) "{1}""#),
        (r#"n=match(any).{a,b}"#, r#"n match(any) "{a,b}""#),
        (r#"n=imatch(all).{a}"#, r#"n imatch(all) "{a}""#),
        (r#"id=not.eq(any).{1,2}"#, r#"id not.eq(any) "{1,2}""#),
        (
            r#"id=neq(any).{1}"#,
            r#"ERR "failed to parse filter (neq(any).{1})" (line 1, column 4) | unexpected "(" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=cs(any).{1}"#,
            r#"ERR "failed to parse filter (cs(any).{1})" (line 1, column 3) | unexpected "(" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=eq().x"#,
            r#"ERR "failed to parse filter (eq().x)" (line 1, column 4) | unexpected ")" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=eq(some).x"#,
            r#"ERR "failed to parse filter (eq(some).x)" (line 1, column 4) | unexpected "s" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=eq(any.x"#,
            r#"ERR "failed to parse filter (eq(any.x)" (line 1, column 7) | unexpected "." expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=eq(any)x"#,
            r#"ERR "failed to parse filter (eq(any)x)" (line 1, column 8) | unexpected "x" expecting operator (eq, gt, ...)"#,
        ),
    ]);
}

/// The value is everything after the operator's dot, dots, commas and quotes included.
#[test]
fn values() {
    check(&[
        (r#"id=eq.1.5"#, r#"id eq "1.5""#),
        (r#"id=eq.a.b.c"#, r#"id eq "a.b.c""#),
        (r#"id=eq."#, r#"id eq """#),
        (
            r#"id=eq"#,
            r#"ERR "failed to parse filter (eq)" (line 1, column 3) | unexpected end of input expecting operator (eq, gt, ...)"#,
        ),
        (r#"id=eq.with spaces"#, r#"id eq "with spaces""#),
        (r#"id=eq."quoted""#, r#"id eq "\"quoted\"""#),
        (r#"id=eq.a,b)c"#, r#"id eq "a,b)c""#),
        (r#"id=eq.é"#, r#"id eq "é""#),
    ]);
}

#[test]
fn operator_errors() {
    check(&[
        (
            r#"id=val"#,
            r#"ERR "failed to parse filter (val)" (line 1, column 1) | unexpected "v" expecting "not" or operator (eq, gt, ...)"#,
        ),
        (
            r#"id=0"#,
            r#"ERR "failed to parse filter (0)" (line 1, column 1) | unexpected "0" expecting "not" or operator (eq, gt, ...)"#,
        ),
        (
            r#"id="#,
            r#"ERR "failed to parse filter ()" (line 1, column 1) | unexpected end of input expecting "not" or operator (eq, gt, ...)"#,
        ),
        (
            r#"id=noop.0"#,
            r#"ERR "failed to parse filter (noop.0)" (line 1, column 1) | unexpected "o" expecting "not" or operator (eq, gt, ...)"#,
        ),
        (
            r#"id=foo.bar"#,
            r#"ERR "failed to parse filter (foo.bar)" (line 1, column 1) | unexpected "f" expecting "not" or operator (eq, gt, ...)"#,
        ),
        (
            r#"id=isdistinct"#,
            r#"ERR "failed to parse filter (isdistinct)" (line 1, column 11) | unexpected end of input expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=like*.x"#,
            r#"ERR "failed to parse filter (like*.x)" (line 1, column 5) | unexpected "*" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=likes.x"#,
            r#"ERR "failed to parse filter (likes.x)" (line 1, column 5) | unexpected "s" expecting operator (eq, gt, ...)"#,
        ),
        (
            r#"id=gtx.1"#,
            r#"ERR "failed to parse filter (gtx.1)" (line 1, column 3) | unexpected "x" expecting operator (eq, gt, ...)"#,
        ),
    ]);
}

/// Keys: embed path, column (quoted or not, trimmed), JSON path; parsed as a prefix too.
#[test]
fn keys() {
    check(&[
        (r#"data->a=eq.1"#, r#"data->a eq "1""#),
        (r#"data->>a=eq.1"#, r#"data->>a eq "1""#),
        (r#"data->a->>b=eq.1"#, r#"data->a->>b eq "1""#),
        (r#"data->0=eq.1"#, r#"data->[0] eq "1""#),
        (r#"data->>-1=eq.1"#, r#"data->>[-1] eq "1""#),
        (r#"actors.name=eq.x"#, r#"actors.name eq "x""#),
        (r#"actors.roles.name=eq.x"#, r#"actors.roles.name eq "x""#),
        (r#"a.b.c->>d=eq.x"#, r#"a.b.c->>d eq "x""#),
        (r#""my col"=eq.1"#, r#""my col" eq "1""#),
        (r#""a.b"=eq.1"#, r#""a.b" eq "1""#),
        (r#""a.b".c=eq.1"#, r#""a.b".c eq "1""#),
        (r#"my col=eq.1"#, r#""my col" eq "1""#),
        (r#" col =eq.1"#, r#"col eq "1""#),
        (
            r#"=eq.1"#,
            r#"ERR "failed to parse tree path ()" (line 1, column 1) | unexpected end of input expecting field name (* or [a..z0..9_$])"#,
        ),
        (
            r#"a..b=eq.1"#,
            r#"ERR "failed to parse tree path (a..b)" (line 1, column 3) | unexpected "." expecting field name (* or [a..z0..9_$])"#,
        ),
        (
            r#"a.=eq.1"#,
            r#"ERR "failed to parse tree path (a.)" (line 1, column 3) | unexpected end of input expecting field name (* or [a..z0..9_$])"#,
        ),
        (
            r#"a->=eq.1"#,
            r#"ERR "failed to parse tree path (a->)" (line 1, column 4) | unexpected end of input expecting "-", digit or any non reserved character different from: .,>()"#,
        ),
        (
            r#""unterminated=eq.1"#,
            r#"ERR "failed to parse tree path ("unterminated)" (line 1, column 14) | unexpected end of input expecting "\\" or "\"""#,
        ),
        (r#"a(b=eq.1"#, r#"a eq "1""#),
    ]);
}
