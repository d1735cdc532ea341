//! Validation of the registered claims `exp`, `nbf`, `iat` (with PostgREST's 30 s skew) and `aud`.
//!
//! This is PostgREST's `checkForErrors` (`Auth/Jwt.hs`): the checks run in the order `exp`, `nbf`, `iat`,
//! `aud` and the first failure is reported. Each claim is read with aeson's `.:?`, so an absent claim and
//! a `null` one are both skipped. Times are read as `Int64` with `Scientific.toBoundedInteger`, which
//! gives nothing, and so 0, for a number with a fractional part or one outside `Int64`: an `exp` of
//! `1.5e9 + 0.5` counts as 0 and the token has expired, it is not truncated.

use serde_json::{Map, Number, Value};

use crate::JwtError;

/// PostgREST's `allowedSkewSeconds`.
pub const ALLOWED_SKEW_SECONDS: i64 = 30;

/// Checks `claims` at `now` (Unix seconds) against `jwt-aud` (`None`: every audience is accepted).
pub fn validate(claims: &Map<String, Value>, now: i64, jwt_aud: Option<&str>) -> Result<(), JwtError> {
    if let Some(exp) = time_claim(claims, "exp", JwtError::ExpNotNumber)? {
        if now.saturating_sub(ALLOWED_SKEW_SECONDS) > exp {
            return Err(JwtError::Expired);
        }
    }
    if let Some(nbf) = time_claim(claims, "nbf", JwtError::NbfNotNumber)? {
        if now.saturating_add(ALLOWED_SKEW_SECONDS) < nbf {
            return Err(JwtError::NotYetValid);
        }
    }
    if let Some(iat) = time_claim(claims, "iat", JwtError::IatNotNumber)? {
        if now.saturating_add(ALLOWED_SKEW_SECONDS) < iat {
            return Err(JwtError::IssuedAtFuture);
        }
    }
    check_aud(claims.get("aud"), jwt_aud)
}

/// The `exp` claim as PostgREST's JWT cache reads it (`getTimeSpec`): a number, read like the checks
/// above (so a fractional `exp` is 0); `None` when absent or not a number.
pub fn expires_at(claims: &Map<String, Value>) -> Option<i64> {
    match claims.get("exp") {
        Some(Value::Number(n)) => Some(seconds(n)),
        _ => None,
    }
}

fn time_claim(
    claims: &Map<String, Value>,
    name: &str,
    not_number: JwtError,
) -> Result<Option<i64>, JwtError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(seconds(n))),
        Some(_) => Err(not_number),
    }
}

/// `fromMaybe 0 . Scientific.toBoundedInteger @Int64`: integral values in range, else 0.
fn seconds(n: &Number) -> i64 {
    if let Some(i) = n.as_i64() {
        return i;
    }
    match n.as_f64() {
        // A u64 above i64::MAX arrives here too, as a float at or above 2^63.
        Some(f)
            if f.fract() == 0.0
                && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) =>
        {
            f as i64
        }
        _ => 0,
    }
}

/// `aud`: a string or an array of strings (else `AudNotStringOrArray`, whatever `jwt-aud` is). With
/// `jwt-aud` set, a string must equal it and a non-empty array must contain it; an empty array passes.
fn check_aud(aud: Option<&Value>, jwt_aud: Option<&str>) -> Result<(), JwtError> {
    let matches = match aud {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::String(aud)) => jwt_aud.is_none_or(|cfg| aud == cfg),
        Some(Value::Array(auds)) => {
            let mut strings = Vec::with_capacity(auds.len());
            for aud in auds {
                match aud {
                    Value::String(aud) => strings.push(aud.as_str()),
                    _ => return Err(JwtError::AudNotStringOrArray),
                }
            }
            strings.is_empty() || jwt_aud.is_none_or(|cfg| strings.contains(&cfg))
        }
        Some(_) => return Err(JwtError::AudNotStringOrArray),
    };
    if matches {
        Ok(())
    } else {
        Err(JwtError::NotInAudience)
    }
}
