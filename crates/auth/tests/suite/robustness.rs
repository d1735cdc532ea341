//! Properties: no input makes decoding, key configuration or claims validation panic.

use proptest::prelude::*;
use restgres_auth::claims::validate;
use restgres_auth::jwk::JwtKeys;
use restgres_auth::jwt::decode;

use crate::common::{keys, token};

/// Strings shaped like tokens: base64url-ish parts around dots, so parsing gets past the first step.
fn token_like() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-z0-9_=+/-]{0,120}", 1..6).prop_map(|parts| parts.join("."))
}

/// A real token with one byte changed, inserted or removed.
fn mutated() -> impl Strategy<Value = String> {
    let names = [
        "HS256",
        "RS256",
        "PS512",
        "ES256",
        "ES512",
        "EdDSA",
        "kid_rsa_2",
        "none",
    ];
    (
        prop::sample::select(names.to_vec()),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0..3u8,
    )
        .prop_map(|(name, at, byte, how)| {
            let mut bytes = token(name).as_bytes().to_vec();
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

/// JSON-encoded header and payload built from arbitrary JSON, unsigned.
fn json_parts() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "[a-zA-Z0-9]{0,8}".prop_map(serde_json::Value::from),
        prop::sample::select(vec!["none", "HS256", "RS256", "ES512", "EdDSA", "PS256"])
            .prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec!["alg", "kid", "typ", "enc", "exp", "aud"]).prop_map(str::to_owned),
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    (value.clone(), value, "[A-Za-z0-9_-]{0,90}").prop_map(|(h, p, s)| {
        use base64::Engine;
        let enc =
            |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.{s}", enc(&h), enc(&p))
    })
}

fn claims() -> impl Strategy<Value = serde_json::Map<String, serde_json::Value>> {
    let value = prop_oneof![
        Just(serde_json::Value::Null),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "[a-z]{0,3}".prop_map(serde_json::Value::from),
        prop::collection::vec("[a-z]{0,3}".prop_map(serde_json::Value::from), 0..3)
            .prop_map(serde_json::Value::from),
    ];
    prop::collection::btree_map(
        prop::sample::select(vec!["exp", "nbf", "iat", "aud", "role"]).prop_map(str::to_owned),
        value,
        0..5,
    )
    .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn decode_never_panics(input in prop_oneof![any::<String>(), token_like(), mutated(), json_parts()]) {
        for source in ["text", "jwks.json", "rsa.jwk.json", "p521.jwk.json", "ed25519.jwk.json"] {
            let _ = decode(&keys(source), &input);
        }
    }

    #[test]
    fn key_configuration_never_panics(input in prop_oneof![any::<String>(), "[A-Za-z0-9+/=_.-]{0,80}", json_parts()], is_base64 in any::<bool>()) {
        let _ = JwtKeys::from_secret(&input, is_base64);
        let _ = JwtKeys::from_secret(&format!(r#"{{"kty":"EC","crv":"P-256","x":"{input}","y":"{input}"}}"#), is_base64);
        let _ = JwtKeys::from_secret(&format!(r#"{{"keys":[{{"kty":"RSA","n":"{input}","e":"AQAB"}}]}}"#), is_base64);
    }

    #[test]
    fn validate_never_panics(claims in claims(), now in any::<i64>(), aud in prop::option::of("[a-z]{0,3}")) {
        let _ = validate(&claims, now, aud.as_deref());
    }
}
