//! `claims::validate` and `claims::expires_at`: PostgREST's `checkForErrors`, case by case.

use restgres_auth::claims::{expires_at, validate};
use restgres_auth::jwt::decode;
use restgres_auth::JwtError;

use crate::common::{keys, token, NOW};

const T: i64 = 1_000_000;

#[track_caller]
fn check(claims: &str, aud: Option<&str>, expect: Result<(), JwtError>) {
    let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_str(claims).unwrap();
    assert_eq!(validate(&claims, T, aud), expect, "claims {claims:?}, jwt-aud {aud:?}");
}

use JwtError::*;
const OK: Result<(), JwtError> = Ok(());

#[test]
fn exp() {
    check(r#"{}"#, None, OK);
    check(r#"{"exp": 1000100}"#, None, OK);
    check(r#"{"exp": 999970}"#, None, OK);
    check(r#"{"exp": 999969}"#, None, Err(Expired));
    check(r#"{"exp": -1}"#, None, Err(Expired));
    check(r#"{"exp": null}"#, None, OK);
    check(r#"{"exp": "1000100"}"#, None, Err(ExpNotNumber));
    check(r#"{"exp": true}"#, None, Err(ExpNotNumber));
    check(r#"{"exp": [1000100]}"#, None, Err(ExpNotNumber));
    check(r#"{"exp": {}}"#, None, Err(ExpNotNumber));
}

/// `Scientific.toBoundedInteger` gives nothing for a fraction or a number beyond `Int64`, and PostgREST
/// then uses 0: such an `exp` has long passed, such an `nbf` or `iat` is long past.
#[test]
fn numbers_that_are_not_int64_count_as_zero() {
    check(r#"{"exp": 1000100.5}"#, None, Err(Expired));
    check(r#"{"exp": 1000100.0}"#, None, OK);
    check(r#"{"exp": 1.0001e6}"#, None, OK);
    check(r#"{"exp": 1e30}"#, None, Err(Expired));
    check(r#"{"exp": 9223372036854775807}"#, None, OK);
    check(r#"{"exp": 9223372036854775808}"#, None, Err(Expired));
    check(r#"{"exp": 18446744073709551615}"#, None, Err(Expired));
    check(r#"{"nbf": 9999999999.5}"#, None, OK);
    check(r#"{"iat": 1e30}"#, None, OK);
    check(r#"{"nbf": -9223372036854775808}"#, None, OK);
}

#[test]
fn nbf_and_iat() {
    check(r#"{"nbf": 1000030}"#, None, OK);
    check(r#"{"nbf": 1000031}"#, None, Err(NotYetValid));
    check(r#"{"nbf": "soon"}"#, None, Err(NbfNotNumber));
    check(r#"{"nbf": null}"#, None, OK);
    check(r#"{"iat": 1000030}"#, None, OK);
    check(r#"{"iat": 1000031}"#, None, Err(IssuedAtFuture));
    check(r#"{"iat": 0}"#, None, OK);
    check(r#"{"iat": false}"#, None, Err(IatNotNumber));
    check(r#"{"iat": null}"#, None, OK);
}

#[test]
fn aud_with_jwt_aud_set() {
    let cfg = Some("postgrest");
    check(r#"{"aud": "postgrest"}"#, cfg, OK);
    check(r#"{"aud": "PostgREST"}"#, cfg, Err(NotInAudience));
    check(r#"{"aud": "other"}"#, cfg, Err(NotInAudience));
    check(r#"{"aud": ""}"#, cfg, Err(NotInAudience));
    check(r#"{"aud": ["other", "postgrest"]}"#, cfg, OK);
    check(r#"{"aud": ["other"]}"#, cfg, Err(NotInAudience));
    check(r#"{"aud": []}"#, cfg, OK);
    check(r#"{"aud": null}"#, cfg, OK);
    check(r#"{}"#, cfg, OK);
    check(r#"{"aud": 5}"#, cfg, Err(AudNotStringOrArray));
    check(r#"{"aud": ["postgrest", 5]}"#, cfg, Err(AudNotStringOrArray));
    check(r#"{"aud": [null]}"#, cfg, Err(AudNotStringOrArray));
    check(r#"{"aud": {"postgrest": true}}"#, cfg, Err(AudNotStringOrArray));
    check(r#"{"aud": true}"#, cfg, Err(AudNotStringOrArray));
}

/// With `jwt-aud` unset every audience passes, but the claim must still be a string or array of strings.
#[test]
fn aud_without_jwt_aud() {
    check(r#"{"aud": "anything"}"#, None, OK);
    check(r#"{"aud": ["a", "b"]}"#, None, OK);
    check(r#"{"aud": []}"#, None, OK);
    check(r#"{"aud": 5}"#, None, Err(AudNotStringOrArray));
    check(r#"{"aud": ["a", 1]}"#, None, Err(AudNotStringOrArray));
}

/// The checks run `exp`, `nbf`, `iat`, `aud`; the first failure wins, type errors included.
#[test]
fn first_failure_wins() {
    check(r#"{"aud": 5, "iat": 2000000, "nbf": 2000000, "exp": 1}"#, Some("x"), Err(Expired));
    check(r#"{"aud": 5, "iat": "x", "nbf": "x", "exp": "x"}"#, Some("x"), Err(ExpNotNumber));
    check(r#"{"aud": 5, "iat": "x", "nbf": "x", "exp": 2000000}"#, Some("x"), Err(NbfNotNumber));
    check(r#"{"aud": 5, "iat": 2000000, "nbf": 2000000}"#, Some("x"), Err(NotYetValid));
    check(r#"{"aud": "y", "iat": 2000000}"#, Some("x"), Err(IssuedAtFuture));
    check(r#"{"aud": 5, "iat": "x"}"#, Some("x"), Err(IatNotNumber));
    check(r#"{"aud": "y", "exp": 2000000, "nbf": 0, "iat": 0}"#, Some("x"), Err(NotInAudience));
}

#[test]
fn extreme_now_does_not_overflow() {
    let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_str(r#"{"exp": 0, "nbf": 0, "iat": 0}"#).unwrap();
    assert_eq!(validate(&claims, i64::MIN, None), Err(NotYetValid));
    assert_eq!(validate(&claims, i64::MAX, None), Err(Expired));
}

#[test]
fn expires_at_reads_exp_as_the_checks_do() {
    let at = |claims: &str| expires_at(&serde_json::from_str(claims).unwrap());
    assert_eq!(at(r#"{"exp": 4102444800}"#), Some(4102444800));
    assert_eq!(at(r#"{"exp": 4102444800.5}"#), Some(0));
    assert_eq!(at(r#"{"exp": "4102444800"}"#), None);
    assert_eq!(at(r#"{"exp": null}"#), None);
    assert_eq!(at(r#"{}"#), None);
}

/// The claims fixtures end to end: decode, then validate at a 2025 "now".
#[test]
fn fixture_tokens() {
    let run = |name: &str, aud: Option<&str>| decode(&keys("text"), token(name)).and_then(|c| validate(&c, NOW, aud));
    assert_eq!(run("text_HS256", None), OK);
    assert_eq!(run("expired", None), Err(Expired));
    assert_eq!(run("nbf_future", None), Err(NotYetValid));
    assert_eq!(run("iat_future", None), Err(IssuedAtFuture));
    assert_eq!(run("aud_string", Some("postgrest")), OK);
    assert_eq!(run("aud_string", Some("other")), Err(NotInAudience));
    assert_eq!(run("aud_array", Some("postgrest")), OK);
    assert_eq!(run("aud_array", Some("nope")), Err(NotInAudience));
    assert_eq!(run("aud_empty", Some("postgrest")), OK);
    assert_eq!(run("aud_number", None), Err(AudNotStringOrArray));
    assert_eq!(run("exp_string", None), Err(ExpNotNumber));
    assert_eq!(run("exp_fraction", None), Err(Expired));
    assert_eq!(run("all_null", Some("postgrest")), OK);
    let exp = decode(&keys("text"), token("text_HS256")).map(|c| expires_at(&c));
    assert_eq!(exp, Ok(Some(4102444800)));
}
