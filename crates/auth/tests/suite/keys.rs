//! `JwtKeys::from_secret`: how `jwt-secret` becomes keys, and every configuration error.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use restgres_auth::jwk::{JwtKeys, KeyConfigError};
use restgres_auth::jwt::decode;

use crate::common::{data, hs256, token};

/// Builds keys from `secret` and compares how many there are, or the error's message.
#[track_caller]
fn check(secret: &str, is_base64: bool, expect: Result<usize, &str>) {
    let got = JwtKeys::from_secret(secret, is_base64).map(|k| k.len()).map_err(|e| e.to_string());
    assert_eq!(got, expect.map_err(str::to_owned), "secret {secret}");
}

/// A JWK built from a fixture key file with members replaced or added (`null` removes one).
fn jwk(file: &str, changes: &str) -> String {
    let mut key: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&data(file)).unwrap();
    let changes: serde_json::Map<String, serde_json::Value> = serde_json::from_str(changes).unwrap();
    for (name, value) in changes {
        if value.is_null() { key.remove(&name); } else { key.insert(name, value); }
    }
    serde_json::Value::Object(key).to_string()
}

fn set(keys: &[String]) -> String {
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

const SHORT: &str = "The JWT secret must be at least 32 characters long.";

#[test]
fn text_secrets_need_32_bytes() {
    check("reallyreallyreallyreallyverysafe", false, Ok(1));
    check("reallyreallyreallyreallyverysaf", false, Err(SHORT));
    check("", false, Err(SHORT));
    // Bytes, not characters: 16 two-byte characters are enough.
    check(&"é".repeat(16), false, Ok(1));
    check(&"é".repeat(15), false, Err(SHORT));
    assert_eq!(KeyConfigError::SecretTooShort.to_string(), SHORT);
}

/// With `jwt-secret-is-base64` the length is checked after decoding.
#[test]
fn base64_secrets() {
    let b64 = |bytes: &[u8]| STANDARD.encode(bytes);
    check(&b64(&[7; 32]), true, Ok(1));
    check(&b64(&[7; 31]), true, Err(SHORT));
    check(&format!("  {}\n", b64(&[7; 40])), true, Ok(1));
    check(&b64(&[0xfb; 33]).replace('+', "-").replace('/', "_"), true, Ok(1));
    check("not base64 at all!", true, Err("jwt-secret is not valid base64 (jwt-secret-is-base64 is set): Invalid symbol 32, offset 3."));
    check("reallyreallyreallyreallyverysafe", true, Err(SHORT));
    // The base64 text of a JWK is read as that JWK.
    let keys = JwtKeys::from_secret(&STANDARD.encode(data("rsa.jwk.json")), true).unwrap();
    assert!(decode(&keys, token("RS256")).is_ok());
}

/// PostgREST only reads JSON as keys when it parses as a JWK Set or a JWK; other JSON is a passphrase.
#[test]
fn json_that_is_no_jwk_is_a_passphrase() {
    let secret = r#"{"secret":"reallyreallyreallyreallyverysafe"}"#;
    let keys = JwtKeys::from_secret(secret, false).unwrap();
    let t = hs256(secret.as_bytes(), r#"{"alg":"HS256"}"#, r#"{"role":"r"}"#);
    assert_eq!(decode(&keys, &t).unwrap()["role"], "r");
    check(r#"["reallyreallyreallyreallyverysafe"]"#, false, Ok(1));
    check(r#"{"a":1}"#, false, Err(SHORT));
}

#[test]
fn every_fixture_key_loads() {
    for file in ["rsa.jwk.json", "p256.jwk.json", "p384.jwk.json", "p521.jwk.json", "ed25519.jwk.json", "oct.jwk.json"] {
        check(&data(file), false, Ok(1));
    }
    check(&data("jwks.json"), false, Ok(4));
}

#[test]
fn debug_output_hides_secrets() {
    let secret = "reallyreallyreallyreallyverysafe";
    let shown = format!("{:?}", JwtKeys::from_secret(secret, false).unwrap());
    assert!(!shown.contains("really"), "{shown}");
    assert_eq!(shown, r#"[oct kid=None alg=Some("HS256")]"#);
    let shown = format!("{:?}", JwtKeys::from_secret(&data("jwks.json"), false).unwrap());
    assert!(shown.contains(r#"RSA kid=Some("rsa-2") alg=Some("RS256")"#), "{shown}");
}

/// Keys jose-jwt cannot use (unknown `kty` or `alg`) and keys for encryption are skipped; a set needs one
/// usable key.
#[test]
fn unusable_keys_are_skipped() {
    let rsa = jwk("rsa.jwk.json", "{}");
    check(&set(&[jwk("rsa.jwk.json", r#"{"use":"enc"}"#), rsa.clone()]), false, Ok(1));
    check(&set(&[r#"{"kty":"foo"}"#.to_owned(), rsa.clone()]), false, Ok(1));
    check(&set(&[jwk("rsa.jwk.json", r#"{"alg":"RSA-OAEP"}"#), rsa.clone()]), false, Ok(1));
    check(&set(&[jwk("rsa.jwk.json", r#"{"alg":"RS999"}"#), rsa.clone()]), false, Ok(1));
    check(&set(&[r#"{"kty":"OKP","crv":"Ed448","x":"AAAA"}"#.to_owned(), rsa.clone()]), false, Ok(1));
    check(&set(&[jwk("p256.jwk.json", r#"{"alg":"ES384"}"#), rsa.clone()]), false, Ok(1));
    check(&set(&[jwk("p256.jwk.json", r#"{"alg":"ES256"}"#), rsa.clone()]), false, Ok(2));
    check(&set(&[jwk("rsa.jwk.json", r#"{"alg":"PS384","use":"sig"}"#)]), false, Ok(1));
    check(&set(&[jwk("rsa.jwk.json", r#"{"alg":"HS256"}"#)]), false, Err(r#"jwt-secret has no key usable to verify JWT signatures: keys[0]: alg "HS256" does not fit a RSA key"#));
    check(&set(&[jwk("rsa.jwk.json", r#"{"use":"enc"}"#)]), false, Err(r#"jwt-secret has no key usable to verify JWT signatures: keys[0]: 'use' is "enc" (encryption), not "sig""#));
    check(&set(&[r#"{"kty":"foo"}"#.to_owned(), r#"{"kty":1}"#.to_owned()]), false, Err(r#"jwt-secret has no key usable to verify JWT signatures: keys[0]: unsupported kty "foo"; keys[1]: unsupported kty 1"#));
    check(r#"{"keys":[]}"#, false, Err(r#"jwt-secret has no key usable to verify JWT signatures: "keys" is empty"#));
    check(r#"{"kty":"foo","k":"AAAA"}"#, false, Err(r#"jwt-secret has no key usable to verify JWT signatures: unsupported kty "foo""#));
    check(r#"{"kty":"OKP","crv":"Ed448","x":"AAAA"}"#, false, Err("jwt-secret has no key usable to verify JWT signatures: OKP curve Ed448 is not supported"));
    check(&jwk("oct.jwk.json", r#"{"alg":"none"}"#), false, Err(r#"jwt-secret has no key usable to verify JWT signatures: alg "none" is not a supported signature algorithm"#));
}

#[test]
fn invalid_keys_fail() {
    check(r#"{"keys":5}"#, false, Err(r#"jwt-secret is not a valid JWK Set: "keys" must be an array of JWKs"#));
    check(r#"{"keys":[5]}"#, false, Err("jwt-secret has an invalid JWK (keys[0]): a JWK must be a JSON object"));
    check(&set(&[jwk("rsa.jwk.json", "{}"), jwk("rsa.jwk.json", r#"{"e":null}"#)]), false, Err("jwt-secret has an invalid JWK (keys[1]): e is required for an RSA key"));
    check(&jwk("rsa.jwk.json", r#"{"n":null}"#), false, Err("jwt-secret has an invalid JWK (JWK): n is required for an RSA key"));
    check(&jwk("rsa.jwk.json", r#"{"n":"!!"}"#), false, Err("jwt-secret has an invalid JWK (JWK): 'n' could not be base64url-decoded"));
    check(&jwk("rsa.jwk.json", r#"{"n":5}"#), false, Err("jwt-secret has an invalid JWK (JWK): 'n' must be a base64url string"));
    check(&jwk("rsa.jwk.json", r#"{"e":"AA"}"#), false, Err("jwt-secret has an invalid JWK (JWK): invalid RSA public key: invalid exponent"));
    check(&jwk("rsa.jwk.json", r#"{"p":"AQAB"}"#), false, Err("jwt-secret has an invalid JWK (JWK): RSA private parameters can't be set for a public key"));
    check(&jwk("rsa.jwk.json", r#"{"crv":"P-256"}"#), false, Err("jwt-secret has an invalid JWK (JWK): Elliptic curve members (crv, x, y) can't be set for an RSA key"));
    check(&jwk("rsa.jwk.json", r#"{"use":"verify"}"#), false, Err("jwt-secret has an invalid JWK (JWK): 'use' value must be either 'sig' or 'enc'"));
    check(&jwk("rsa.jwk.json", r#"{"kid":5}"#), false, Err("jwt-secret has an invalid JWK (JWK): 'kid' must be a string"));
    check(r#"{"kty":null,"k":"AAAA"}"#, false, Err("jwt-secret has an invalid JWK (JWK): 'kty' is required"));
    check(&jwk("p256.jwk.json", r#"{"crv":"P-192"}"#), false, Err(r#"jwt-secret has an invalid JWK (JWK): crv "P-192" must be a valid EC curve name (P-256, P-384 or P-521)"#));
    check(&jwk("p256.jwk.json", r#"{"crv":null}"#), false, Err("jwt-secret has an invalid JWK (JWK): crv is required for an elliptic curve key"));
    check(&jwk("p256.jwk.json", r#"{"y":null}"#), false, Err("jwt-secret has an invalid JWK (JWK): y is required for an EC key"));
    check(&jwk("p256.jwk.json", r#"{"y":"AQ"}"#), false, Err("jwt-secret has an invalid JWK (JWK): x and y are not a point on P-256"));
    check(&jwk("p256.jwk.json", &format!(r#"{{"x":"{}"}}"#, "B".repeat(46))), false, Err("jwt-secret has an invalid JWK (JWK): a P-256 coordinate is longer than 32 bytes"));
    check(&jwk("p256.jwk.json", r#"{"n":"AQAB"}"#), false, Err("jwt-secret has an invalid JWK (JWK): RSA parameters can't be set for an elliptic curve key"));
    check(&jwk("p384.jwk.json", r#"{"crv":"P-256"}"#), false, Err("jwt-secret has an invalid JWK (JWK): a P-256 coordinate is longer than 32 bytes"));
    check(&jwk("ed25519.jwk.json", r#"{"crv":"X25519"}"#), false, Err("jwt-secret has an invalid JWK (JWK): Unknown or unsupported OKP type"));
    check(&jwk("ed25519.jwk.json", r#"{"x":"AAAA"}"#), false, Err("jwt-secret has an invalid JWK (JWK): Invalid OKP key data"));
    check(&jwk("ed25519.jwk.json", r#"{"d":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#), false, Err("jwt-secret has an invalid JWK (JWK): Public key x doesn't match private key d"));
    check(&jwk("oct.jwk.json", r#"{"k":null}"#), false, Err("jwt-secret has an invalid JWK (JWK): k is required for a symmetric key"));
    check(&jwk("oct.jwk.json", r#"{"e":"AQAB"}"#), false, Err("jwt-secret has an invalid JWK (JWK): RSA parameters can't be set for a symmetric key"));
}

/// Leading zeros in EC coordinates and padded base64url in JWK members are accepted.
#[test]
fn lenient_key_encodings() {
    let p256: serde_json::Value = serde_json::from_str(&data("p256.jwk.json")).unwrap();
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p256["x"].as_str().unwrap()).unwrap();
    let padded = base64::engine::general_purpose::URL_SAFE.encode([&[0u8, 0][..], &x].concat());
    let keys = JwtKeys::from_secret(&jwk("p256.jwk.json", &format!(r#"{{"x":"{padded}"}}"#)), false).unwrap();
    assert!(decode(&keys, token("ES256")).is_ok());
}

/// A JWK with private members verifies with its public part (`d` and the CRT values are ignored).
#[test]
fn private_jwks_verify() {
    check(&jwk("rsa.jwk.json", r#"{"d":"AQAB","p":"AQAB","q":"AQAB"}"#), false, Ok(1));
    check(&jwk("p256.jwk.json", r#"{"d":"AQAB"}"#), false, Ok(1));
    let keys = JwtKeys::from_secret(&jwk("rsa.jwk.json", r#"{"d":"AQAB"}"#), false).unwrap();
    assert!(decode(&keys, token("RS256")).is_ok());
}
