//! Token decoding: split, header, signature verification against the configured keys, payload as JSON.
//!
//! The steps and their errors are PostgREST's `parseToken` (`Auth/Jwt.hs`) over `jose-jwt`'s `decode`
//! (`Jose/Jwt.hs`, `Jose/Internal/Parser.hs`):
//! 1. an empty token is `EmptyAuthHeader`; anything but 3 `.`-separated parts is `UnexpectedParts(n)`;
//! 2. the header, payload and signature are parsed before any key is looked at, and every failure there is
//!    `BadCrypto`: base64url (unpadded) or JSON errors, an `alg` jose-jwt does not know, an `enc` member
//!    (a JWE header), a non-string `kid`/`typ`/`cty`;
//! 3. `alg: none` is `BadAlgorithm` (after its payload was base64-decoded);
//! 4. no configured key fits the `alg` (and `kid`) is `KeyError` "No suitable key was found to decode the
//!    JWT" — this is how an RS256 token meets an HMAC secret, the algorithm-confusion attack;
//! 5. no fitting key verifies the signature is `KeyError` "None of the keys was able to decode the JWT"
//!    (jose-jwt turns each key's failure into "try the next one", so a bad signature is a `KeyError`);
//! 6. a payload that is not a JSON object is `ParsingClaimsFailed`.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use crate::jwk::{Alg, Jwk, JwtKeys, Key};
use crate::JwtError;

/// `details` of `BadAlgorithm` for `alg: none` (jose-jwt's words).
pub const DETAILS_UNSECURED: &str = "JWT is unsecured but expected 'alg' was not 'none'";
/// `details` of `KeyError` when no configured key fits the token's `alg` and `kid` (jose-jwt's words).
pub const DETAILS_NO_SUITABLE_KEY: &str = "No suitable key was found to decode the JWT";
/// `details` of `KeyError` when the fitting keys all fail to verify the signature (jose-jwt's words).
pub const DETAILS_NO_KEY_DECODED: &str = "None of the keys was able to decode the JWT";

/// Base64url as jose-jwt reads token parts (`memory`'s `Base64URLUnpadded`): `=` is not part of the
/// alphabet, a length of 4n+1 is an error, non-zero trailing bits are ignored.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Verifies `token` with `keys` and returns its claims (validate them with `claims::validate`).
pub fn decode(keys: &JwtKeys, token: &str) -> Result<Map<String, Value>, JwtError> {
    if token.is_empty() {
        return Err(JwtError::EmptyAuthHeader);
    }
    let mut parts = token.split('.');
    let (Some(header64), Some(payload64), Some(signature64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::UnexpectedParts(token.split('.').count()));
    };

    let header = match serde_json::from_slice::<Value>(&base64url(header64)?) {
        Ok(Value::Object(header)) => header,
        _ => return Err(JwtError::BadCrypto),
    };
    if matches!(header.get("alg"), Some(Value::String(alg)) if alg == "none") {
        base64url(payload64)?;
        return Err(JwtError::BadAlgorithm(DETAILS_UNSECURED.to_owned()));
    }
    let (alg, kid) = jws_header(&header)?;
    let payload = base64url(payload64)?;
    let signature = base64url(signature64)?;

    // The signing input is the token's own text up to the second dot, as received.
    let signed = token
        .get(..header64.len() + 1 + payload64.len())
        .ok_or(JwtError::BadCrypto)?
        .as_bytes();
    let mut candidates = keys.candidates(alg, kid).peekable();
    if candidates.peek().is_none() {
        return Err(JwtError::KeyError(DETAILS_NO_SUITABLE_KEY.to_owned()));
    }
    if !candidates.any(|jwk| verifies(jwk, alg, signed, &signature)) {
        return Err(JwtError::KeyError(DETAILS_NO_KEY_DECODED.to_owned()));
    }
    serde_json::from_slice::<Map<String, Value>>(&payload).map_err(|_| JwtError::ParsingClaimsFailed)
}

fn base64url(part: &str) -> Result<Vec<u8>, JwtError> {
    B64URL.decode(part).map_err(|_| JwtError::BadCrypto)
}

/// The JWS header as jose-jwt's `JwsHeader` reads it: a known `alg`, optional string `typ`, `cty`, `kid`
/// (null counts as absent), other members ignored; a header with `enc` is a JWE header, which cannot
/// parse with three parts.
fn jws_header(header: &Map<String, Value>) -> Result<(Alg, Option<&str>), JwtError> {
    if header.contains_key("enc") {
        return Err(JwtError::BadCrypto);
    }
    let alg = match header.get("alg") {
        Some(Value::String(name)) => Alg::from_name(name).ok_or(JwtError::BadCrypto)?,
        _ => return Err(JwtError::BadCrypto),
    };
    for member in ["typ", "cty"] {
        if !matches!(header.get(member), None | Some(Value::Null | Value::String(_))) {
            return Err(JwtError::BadCrypto);
        }
    }
    let kid = match header.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.as_str()),
        Some(_) => return Err(JwtError::BadCrypto),
    };
    Ok((alg, kid))
}

/// Whether `jwk` verifies `signature` over `signed` with `alg`; every failure is just `false`.
fn verifies(jwk: &Jwk, alg: Alg, signed: &[u8], signature: &[u8]) -> bool {
    match (&jwk.key, alg) {
        (Key::Hmac(secret), Alg::Hs256) => {
            mac_matches(Hmac::<Sha256>::new_from_slice(secret), signed, signature)
        }
        (Key::Hmac(secret), Alg::Hs384) => {
            mac_matches(Hmac::<Sha384>::new_from_slice(secret), signed, signature)
        }
        (Key::Hmac(secret), Alg::Hs512) => {
            mac_matches(Hmac::<Sha512>::new_from_slice(secret), signed, signature)
        }
        (Key::Rsa(key), Alg::Rs256) => rsa_verify(
            key,
            rsa::Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signed),
            signature,
        ),
        (Key::Rsa(key), Alg::Rs384) => rsa_verify(
            key,
            rsa::Pkcs1v15Sign::new::<Sha384>(),
            &Sha384::digest(signed),
            signature,
        ),
        (Key::Rsa(key), Alg::Rs512) => rsa_verify(
            key,
            rsa::Pkcs1v15Sign::new::<Sha512>(),
            &Sha512::digest(signed),
            signature,
        ),
        // RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash.
        (Key::Rsa(key), Alg::Ps256) => {
            rsa_verify(key, rsa::Pss::new::<Sha256>(), &Sha256::digest(signed), signature)
        }
        (Key::Rsa(key), Alg::Ps384) => {
            rsa_verify(key, rsa::Pss::new::<Sha384>(), &Sha384::digest(signed), signature)
        }
        (Key::Rsa(key), Alg::Ps512) => {
            rsa_verify(key, rsa::Pss::new::<Sha512>(), &Sha512::digest(signed), signature)
        }
        // JOSE signatures are raw r || s, not DER; each curve goes with one hash (RFC 7518 3.4).
        (Key::P256(key), Alg::Es256) => {
            use p256::ecdsa::signature::Verifier;
            p256::ecdsa::Signature::from_slice(signature).is_ok_and(|sig| key.verify(signed, &sig).is_ok())
        }
        (Key::P384(key), Alg::Es384) => {
            use p384::ecdsa::signature::Verifier;
            p384::ecdsa::Signature::from_slice(signature).is_ok_and(|sig| key.verify(signed, &sig).is_ok())
        }
        (Key::P521(key), Alg::Es512) => {
            use p521::ecdsa::signature::Verifier;
            p521::ecdsa::Signature::from_slice(signature).is_ok_and(|sig| key.verify(signed, &sig).is_ok())
        }
        (Key::Ed25519(key), Alg::EdDsa) => {
            use ed25519_dalek::Verifier;
            ed25519_dalek::Signature::from_slice(signature).is_ok_and(|sig| key.verify(signed, &sig).is_ok())
        }
        _ => false,
    }
}

/// Constant-time comparison through `Mac::verify_slice`; a truncated MAC does not verify.
fn mac_matches<M: Mac>(mac: Result<M, hmac::digest::InvalidLength>, signed: &[u8], signature: &[u8]) -> bool {
    mac.is_ok_and(|mut mac| {
        mac.update(signed);
        mac.verify_slice(signature).is_ok()
    })
}

fn rsa_verify<S: rsa::traits::SignatureScheme>(
    key: &rsa::RsaPublicKey,
    scheme: S,
    hashed: &[u8],
    signature: &[u8],
) -> bool {
    key.verify(scheme, hashed, signature).is_ok()
}
