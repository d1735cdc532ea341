//! Logic trees: `or`/`and`/`not.`, nesting, quoting inside trees, embed prefixes, and errors.

use crate::render::{check_all, logic, path, result};
use restgres_request::query::parse_logic;

/// `key=value`, split at the first `=`.
fn check(cases: &[(&str, &str)]) {
    check_all(cases, |input| {
        let (key, value) = input.split_once('=').unwrap_or((input, ""));
        result(parse_logic(key, value), |(p, t)| {
            format!("{}{}", path(&p), logic(&t))
        })
    });
}

#[test]
fn operators_and_nesting() {
    check(&[
        (r#"or=(a.eq.1,b.gt.2)"#, r#"or(a eq "1", b gt "2")"#),
        (r#"and=(a.eq.1,b.gt.2)"#, r#"and(a eq "1", b gt "2")"#),
        (r#"not.or=(a.eq.1,b.gt.2)"#, r#"not.or(a eq "1", b gt "2")"#),
        (r#"not.and=(a.eq.1,b.gt.2)"#, r#"not.and(a eq "1", b gt "2")"#),
        (
            r#"or=(a.eq.1,and(b.gt.2,not.or(c.is.null,d.eq.x)))"#,
            r#"or(a eq "1", and(b gt "2", not.or(c is null, d eq "x")))"#,
        ),
        (
            r#"or=(a.eq.1,not.and(b.gt.2,c.lt.3))"#,
            r#"or(a eq "1", not.and(b gt "2", c lt "3"))"#,
        ),
        (
            r#"or=(and(a.eq.1,b.eq.2),and(c.eq.3,or(d.eq.4,e.eq.5)))"#,
            r#"or(and(a eq "1", b eq "2"), and(c eq "3", or(d eq "4", e eq "5")))"#,
        ),
        (
            r#"or=(a.not.eq.1,b.not.in.(1,2))"#,
            r#"or(a not.eq "1", b not.in ["1", "2"])"#,
        ),
        (
            r#"or=(not.and(a.eq.1),not.or(b.eq.2))"#,
            r#"or(not.and(a eq "1"), not.or(b eq "2"))"#,
        ),
        (r#"or=(a.not.is.null)"#, r#"or(a not.is null)"#),
    ]);
}

/// Inside a tree a value ends at `,` or `)` unless double-quoted (quotes removed, `\` escapes) or
/// a `{...}` array; unbalanced parentheses end the tree early, as in PostgREST.
#[test]
fn values_inside_trees() {
    check(&[
        (
            r#"or=(a.in.(1,2,3),b.in.("x,y",z))"#,
            r#"or(a in ["1", "2", "3"], b in ["x,y", "z"])"#,
        ),
        (
            r#"or=(a.eq."hello, world",b.eq."a.b:c(d)")"#,
            r#"or(a eq "hello, world", b eq "a.b:c(d)")"#,
        ),
        (
            r#"or=(a.eq."with \"quote\"",b.eq."back\\slash")"#,
            r#"or(a eq "with \"quote\"", b eq "back\\slash")"#,
        ),
        (
            r#"or=(a.eq."quoted"junk,b.eq.1)"#,
            r#"or(a eq "\"quoted\"junk", b eq "1")"#,
        ),
        (
            r#"or=(a.cs.{1,2},b.ov.{x,y})"#,
            r#"or(a cs "{1,2}", b ov "{x,y}")"#,
        ),
        (
            r#"or=(a.eq(any).{1,2},b.like(all).{a*,*b})"#,
            r#"or(a eq(any) "{1,2}", b like(all) "{a%,%b}")"#,
        ),
        (
            r#"or=(a.like.*x*,b.ilike.X*)"#,
            r#"or(a like "%x%", b ilike "X%")"#,
        ),
        (
            r#"or=(data->a.eq.1,data->>b.eq.2,arr->0.eq.3)"#,
            r#"or(data->a eq "1", data->>b eq "2", arr->[0] eq "3")"#,
        ),
        (
            r#"or=(a.is.null,b.is.not_null,c.is.true)"#,
            r#"or(a is null, b is not_null, c is true)"#,
        ),
        (
            r#"or=(a.fts(english).cat,b.plfts.dog)"#,
            r#"or(a fts(english) "cat", b plfts "dog")"#,
        ),
        (r#"or=(a.isdistinct.1)"#, r#"or(a isdistinct "1")"#),
        (r#"or=(a.eq.1.5,b.eq.x.y)"#, r#"or(a eq "1.5", b eq "x.y")"#),
        (r#"or=(a.eq.,b.eq.)"#, r#"or(a eq "", b eq "")"#),
        (r#"or=( a.eq.1 , b.eq.2 )"#, r#"or(a eq "1 ", b eq "2 ")"#),
        (
            r#"or=(a.eq.with space,b.eq.x)"#,
            r#"or(a eq "with space", b eq "x")"#,
        ),
        (r#"or=(a.eq.f(x),b.eq.1)"#, r#"or(a eq "f(x")"#),
        (r#"or=(a.match.^(a|b)$)"#, r#"or(a match "^(a|b")"#),
        (r#"or=(a.eq.{x,b.eq.1)"#, r#"or(a eq "{x", b eq "1")"#),
        (r#"or=(a.eq."unterminated)"#, r#"or(a eq "\"unterminated")"#),
    ]);
}

/// `not` anywhere in the key negates; the rest is the embed path. The tree is parsed from the
/// operator name followed by the value, as a prefix: `or=a.eq.1` is a filter on a column `ora`.
#[test]
fn keys_and_prefix_quirks() {
    check(&[
        (r#"actors.or=(a.eq.1,b.eq.2)"#, r#"actors.or(a eq "1", b eq "2")"#),
        (r#"actors.roles.and=(a.eq.1)"#, r#"actors.roles.and(a eq "1")"#),
        (r#"a.not.or=(x.eq.1)"#, r#"a.not.or(x eq "1")"#),
        (r#"not.a.or=(x.eq.1)"#, r#"a.not.or(x eq "1")"#),
        (r#"or=a.eq.1"#, r#"ora eq "1""#),
        (r#"or=(a.eq.1)junk"#, r#"or(a eq "1")"#),
    ]);
}

/// The first five are PostgREST's doctests (their columns count the `or`/`and` prefix).
#[test]
fn errors() {
    check(&[
        (
            r#"or=()"#,
            r#"ERR "failed to parse logic tree (())" (line 1, column 4) | unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)"#,
        ),
        (
            r#"or=(id.in.1,2,id.eq.3)"#,
            r#"ERR "failed to parse logic tree ((id.in.1,2,id.eq.3))" (line 1, column 10) | unexpected "1" expecting "(""#,
        ),
        (
            r#"or=)("#,
            r#"ERR "failed to parse logic tree ()()" (line 1, column 3) | unexpected ")" expecting "(""#,
        ),
        (
            r#"and=(ord(id.eq.1,id.eq.1),id.eq.2)"#,
            r#"ERR "failed to parse logic tree ((ord(id.eq.1,id.eq.1),id.eq.2))" (line 1, column 7) | unexpected "d" expecting "(""#,
        ),
        (
            r#"or=(id.eq.1,not.xor(id.eq.2,id.eq.3))"#,
            r#"ERR "failed to parse logic tree ((id.eq.1,not.xor(id.eq.2,id.eq.3)))" (line 1, column 16) | unexpected "x" expecting logic operator (and, or)"#,
        ),
        (
            r#"or=(a.eq.1"#,
            r#"ERR "failed to parse logic tree ((a.eq.1)" (line 1, column 10) | unexpected end of input expecting "," or ")""#,
        ),
        (
            r#"or=(a.eq.1,"#,
            r#"ERR "failed to parse logic tree ((a.eq.1,)" (line 1, column 11) | unexpected end of input expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)"#,
        ),
        (
            r#"or=(a.foo.1)"#,
            r#"ERR "failed to parse logic tree ((a.foo.1))" (line 1, column 6) | unexpected "f" expecting "not" or operator (eq, gt, ...)"#,
        ),
        (
            r#"or=(a)"#,
            r#"ERR "failed to parse logic tree ((a))" (line 1, column 5) | unexpected ")" expecting letter, digit, "-", "->>", "->" or delimiter (.)"#,
        ),
        (
            r#"or=(a.b.eq.1)"#,
            r#"ERR "failed to parse logic tree ((a.b.eq.1))" (line 1, column 6) | unexpected "b" expecting "not" or operator (eq, gt, ...)"#,
        ),
        (
            r#"or="#,
            r#"ERR "failed to parse logic tree ()" (line 1, column 3) | unexpected end of input expecting "(""#,
        ),
        (
            r#"and="#,
            r#"ERR "failed to parse logic tree ()" (line 1, column 4) | unexpected end of input expecting "(""#,
        ),
        (
            r#"or=(and())"#,
            r#"ERR "failed to parse logic tree ((and()))" (line 1, column 8) | unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)"#,
        ),
        (
            r#""unterminated.or=(a.eq.1)"#,
            r#"ERR "failed to parse logic path ("unterminated.or)" (line 1, column 17) | unexpected end of input expecting "\\" or "\"""#,
        ),
        (
            r#"or=(,a.eq.1)"#,
            r#"ERR "failed to parse logic tree ((,a.eq.1))" (line 1, column 4) | unexpected "," expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)"#,
        ),
        (
            r#"or=(a.eq.1,,b.eq.2)"#,
            r#"ERR "failed to parse logic tree ((a.eq.1,,b.eq.2))" (line 1, column 11) | unexpected "," expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)"#,
        ),
        (
            r#"or=(a.eq(any).{1,2}x)"#,
            r#"ERR "failed to parse logic tree ((a.eq(any).{1,2}x))" (line 1, column 19) | unexpected "x" expecting "," or ")""#,
        ),
    ]);
}
