//! The verification keys configured by `jwt-secret`: an HMAC secret (text or base64), a JWK or a JWK Set.
//!
//! PostgREST (`Config.hs`, `parseSecret`) reads `jwt-secret` in this order: a JWK Set (`{"keys": [...]}`), a
//! single JWK, else the bytes as an HMAC secret that must be at least 32 bytes long and is bound to HS256.
//! With `jwt-secret-is-base64` the value is base64-decoded first (URL-safe characters and `.` padding
//! accepted), and the decoded bytes go through the same three readings.
//!
//! Key parsing follows the `jose-jwt` library PostgREST uses (`Jose/Jwk.hs`): a key whose `kty` or `alg` it
//! does not know is kept but never used, so here it is skipped; a key of a known type with bad material
//! fails. Two deliberate differences, both about misconfiguration: a JSON object that is plainly meant as a
//! JWK (it has `kty`) or a JWK Set (it has `keys`) but does not parse is reported here instead of being
//! used as an HMAC passphrase, and a set with no key able to verify a signature is refused at configuration
//! instead of rejecting every token later.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde_json::{Map, Value};

/// PostgREST's minimum length of a text (or base64-decoded) HMAC secret, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// Base64url as JWK members use it: padding optional, non-zero trailing bits tolerated (as `memory` does).
const B64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Standard base64 for `jwt-secret-is-base64`, after URL-safe characters have been mapped to standard ones.
const B64_SECRET: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A JWS signature algorithm this crate verifies.
///
/// `jose-jwt` knows every one of these but the PS family, which is an extension here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    Hs256,
    Hs384,
    Hs512,
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    Es512,
    EdDsa,
}

impl Alg {
    /// Every algorithm, in the order of the JWA registry.
    pub const ALL: [Alg; 13] = [
        Alg::Hs256,
        Alg::Hs384,
        Alg::Hs512,
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
        Alg::Es256,
        Alg::Es384,
        Alg::Es512,
        Alg::EdDsa,
    ];

    /// The algorithm named by a JOSE `alg` value (case-sensitive, as the registry is).
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Alg::Hs256 => "HS256",
            Alg::Hs384 => "HS384",
            Alg::Hs512 => "HS512",
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
            Alg::Es512 => "ES512",
            Alg::EdDsa => "EdDSA",
        }
    }
}

/// Why `jwt-secret` cannot be turned into verification keys (a configuration error, reported at startup).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyConfigError {
    /// PostgREST's own message (`Config.hs`, `validateSecret`); the length counts bytes.
    #[error("The JWT secret must be at least 32 characters long.")]
    SecretTooShort,
    #[error("jwt-secret is not valid base64 (jwt-secret-is-base64 is set): {0}")]
    InvalidBase64(String),
    #[error("jwt-secret is not a valid JWK Set: {0}")]
    InvalidJwkSet(String),
    /// A key of a known type whose members are missing, mistyped or do not make a valid key.
    #[error("jwt-secret has an invalid JWK ({at}): {reason}")]
    InvalidJwk { at: String, reason: String },
    /// Every key was skipped; `reasons` says why, one entry per key.
    #[error("jwt-secret has no key usable to verify JWT signatures: {}", reasons.join("; "))]
    NoUsableKey { reasons: Vec<String> },
}

/// The keys `decode` tries, built once from `jwt-secret`.
#[derive(Clone)]
pub struct JwtKeys {
    keys: Vec<Jwk>,
}

/// One usable verification key with the `kid` and `alg` restrictions of its JWK.
#[derive(Clone)]
pub(crate) struct Jwk {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Option<Alg>,
    pub(crate) key: Key,
}

/// Public key material (private members of a JWK are ignored: only verification happens here).
#[derive(Clone)]
pub(crate) enum Key {
    Hmac(Vec<u8>),
    Rsa(rsa::RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl Key {
    fn kind(&self) -> &'static str {
        match self {
            Key::Hmac(_) => "oct",
            Key::Rsa(_) => "RSA",
            Key::P256(_) => "EC P-256",
            Key::P384(_) => "EC P-384",
            Key::P521(_) => "EC P-521",
            Key::Ed25519(_) => "OKP Ed25519",
        }
    }

    /// Whether this kind of key can verify `alg` at all (`canDecodeJws` in `jose-jwt`: by key type only,
    /// so an ES256 token is tried against an EC key of any curve and fails verification on the wrong one).
    fn fits(&self, alg: Alg) -> bool {
        use Alg::*;
        match self {
            Key::Hmac(_) => matches!(alg, Hs256 | Hs384 | Hs512),
            Key::Rsa(_) => matches!(alg, Rs256 | Rs384 | Rs512 | Ps256 | Ps384 | Ps512),
            Key::P256(_) | Key::P384(_) | Key::P521(_) => matches!(alg, Es256 | Es384 | Es512),
            Key::Ed25519(_) => alg == EdDsa,
        }
    }

    /// Whether a JWK's declared `alg` belongs to this key (a P-256 key declared ES384 is a mistake).
    fn matches_declared(&self, alg: Alg) -> bool {
        match self {
            Key::P256(_) => alg == Alg::Es256,
            Key::P384(_) => alg == Alg::Es384,
            Key::P521(_) => alg == Alg::Es512,
            _ => self.fits(alg),
        }
    }
}

impl std::fmt::Debug for JwtKeys {
    /// Lists key types, `kid`s and `alg`s only: secrets never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for jwk in &self.keys {
            list.entry(&format_args!(
                "{} kid={:?} alg={:?}",
                jwk.key.kind(),
                jwk.kid,
                jwk.alg.map(Alg::name)
            ));
        }
        list.finish()
    }
}

impl JwtKeys {
    /// Reads `jwt-secret` (after `@file` indirection, which is the caller's) as PostgREST does.
    pub fn from_secret(secret: &str, is_base64: bool) -> Result<JwtKeys, KeyConfigError> {
        if is_base64 {
            JwtKeys::from_bytes(&decode_base64_secret(secret)?)
        } else {
            JwtKeys::from_bytes(secret.as_bytes())
        }
    }

    /// Reads raw secret bytes: a JWK Set, a JWK, or an HMAC secret.
    pub fn from_bytes(bytes: &[u8]) -> Result<JwtKeys, KeyConfigError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(set)) if set.contains_key("keys") => from_jwk_set(&set),
            Ok(Value::Object(jwk)) if jwk.contains_key("kty") => {
                collect(vec![parse_jwk(&jwk).map_err(|reason| invalid("JWK", reason))?])
            }
            _ if bytes.len() < MIN_SECRET_LEN => Err(KeyConfigError::SecretTooShort),
            _ => Ok(JwtKeys {
                keys: vec![Jwk {
                    kid: None,
                    // PostgREST binds a passphrase to HS256 (`SymmetricJwk bytes Nothing (Just Sig) (Just HS256)`).
                    alg: Some(Alg::Hs256),
                    key: Key::Hmac(bytes.to_vec()),
                }],
            }),
        }
    }

    /// How many keys can verify signatures.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Never true for keys built by `from_secret`/`from_bytes`.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys `jose-jwt` would try for a token, in configuration order: not bound to another `alg`, of a
    /// type that can verify `alg`, and when the header has a `kid`, only keys with exactly that `kid`.
    pub(crate) fn candidates<'a>(
        &'a self,
        alg: Alg,
        kid: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Jwk> + 'a {
        self.keys.iter().filter(move |jwk| {
            (kid.is_none() || jwk.kid.as_deref() == kid)
                && jwk.alg.is_none_or(|bound| bound == alg)
                && jwk.key.fits(alg)
        })
    }
}

fn invalid(at: &str, reason: String) -> KeyConfigError {
    KeyConfigError::InvalidJwk {
        at: at.to_owned(),
        reason,
    }
}

fn decode_base64_secret(secret: &str) -> Result<Vec<u8>, KeyConfigError> {
    // PostgREST maps the URL-safe alphabet (and `.` as padding) to the standard one, then strips whitespace.
    let standard: String = secret
        .chars()
        .map(|c| match c {
            '_' => '/',
            '-' => '+',
            '.' => '=',
            c => c,
        })
        .collect();
    B64_SECRET
        .decode(standard.trim())
        .map_err(|e| KeyConfigError::InvalidBase64(e.to_string()))
}

fn from_jwk_set(set: &Map<String, Value>) -> Result<JwtKeys, KeyConfigError> {
    let Some(Value::Array(entries)) = set.get("keys") else {
        return Err(KeyConfigError::InvalidJwkSet(
            "\"keys\" must be an array of JWKs".to_owned(),
        ));
    };
    let mut parsed = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("keys[{i}]");
        let Value::Object(jwk) = entry else {
            return Err(invalid(&at, "a JWK must be a JSON object".to_owned()));
        };
        parsed.push(
            parse_jwk(jwk)
                .map(|usable| usable.map_err(|why| format!("{at}: {why}")))
                .map_err(|reason| invalid(&at, reason))?,
        );
    }
    if parsed.is_empty() {
        return Err(KeyConfigError::NoUsableKey {
            reasons: vec!["\"keys\" is empty".to_owned()],
        });
    }
    collect(parsed)
}

/// Keeps the usable keys; fails when there are none, saying why each was skipped.
fn collect(parsed: Vec<Result<Jwk, String>>) -> Result<JwtKeys, KeyConfigError> {
    let mut keys = Vec::new();
    let mut reasons = Vec::new();
    for item in parsed {
        match item {
            Ok(jwk) => keys.push(jwk),
            Err(why) => reasons.push(why),
        }
    }
    if keys.is_empty() {
        Err(KeyConfigError::NoUsableKey { reasons })
    } else {
        Ok(JwtKeys { keys })
    }
}

/// `Err` is an invalid key (configuration fails); `Ok(Err)` is a key skipped as unusable, with the reason.
fn parse_jwk(obj: &Map<String, Value>) -> Result<Result<Jwk, String>, String> {
    let kty = match obj.get("kty") {
        None | Some(Value::Null) => return Err("'kty' is required".to_owned()),
        Some(Value::String(kty)) => kty.as_str(),
        // jose-jwt keeps a key whose `kty` or `alg` it cannot read as an unsupported key, never used.
        Some(other) => return Ok(Err(format!("unsupported kty {other}"))),
    };
    let alg = match obj.get("alg") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => match Alg::from_name(name) {
            Some(alg) => Some(alg),
            None => {
                return Ok(Err(format!(
                    "alg \"{name}\" is not a supported signature algorithm"
                )))
            }
        },
        Some(other) => return Ok(Err(format!("unsupported alg {other}"))),
    };
    if !matches!(kty, "RSA" | "EC" | "OKP" | "oct") {
        return Ok(Err(format!("unsupported kty \"{kty}\"")));
    }
    let signing = match obj.get("use") {
        None | Some(Value::Null) => true,
        Some(Value::String(u)) if u == "sig" => true,
        Some(Value::String(u)) if u == "enc" => false,
        Some(_) => return Err("'use' value must be either 'sig' or 'enc'".to_owned()),
    };
    let kid = match obj.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err("'kid' must be a string".to_owned()),
    };
    let key = match kty {
        "RSA" => rsa_key(obj)?,
        "EC" => ec_key(obj)?,
        "OKP" => match okp_key(obj)? {
            Some(key) => key,
            None => return Ok(Err("OKP curve Ed448 is not supported".to_owned())),
        },
        _ => oct_key(obj)?,
    };
    if !signing {
        return Ok(Err("'use' is \"enc\" (encryption), not \"sig\"".to_owned()));
    }
    if let Some(alg) = alg {
        if !key.matches_declared(alg) {
            return Ok(Err(format!(
                "alg \"{}\" does not fit a {} key",
                alg.name(),
                key.kind()
            )));
        }
    }
    Ok(Ok(Jwk { kid, alg, key }))
}

/// A base64url member: absent or null is `None`.
fn bytes_member(obj: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => B64URL_LENIENT
            .decode(text)
            .map(Some)
            .map_err(|_| format!("'{name}' could not be base64url-decoded")),
        Some(_) => Err(format!("'{name}' must be a base64url string")),
    }
}

fn required(obj: &Map<String, Value>, name: &str, what: &str) -> Result<Vec<u8>, String> {
    bytes_member(obj, name)?.ok_or_else(|| format!("{name} is required for {what}"))
}

fn present(obj: &Map<String, Value>, names: &[&str]) -> bool {
    names
        .iter()
        .any(|name| !matches!(obj.get(*name), None | Some(Value::Null)))
}

const RSA_PRIVATE: [&str; 5] = ["p", "q", "dp", "dq", "qi"];
const RSA_ALL: [&str; 8] = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
const EC_MEMBERS: [&str; 3] = ["crv", "x", "y"];

fn rsa_key(obj: &Map<String, Value>) -> Result<Key, String> {
    let n = required(obj, "n", "an RSA key")?;
    let e = required(obj, "e", "an RSA key")?;
    if present(obj, &EC_MEMBERS) {
        return Err("Elliptic curve members (crv, x, y) can't be set for an RSA key".to_owned());
    }
    if !present(obj, &["d"]) && present(obj, &RSA_PRIVATE) {
        return Err("RSA private parameters can't be set for a public key".to_owned());
    }
    // 16384 bits is far above any key in use; the bound keeps verification cost finite.
    rsa::RsaPublicKey::new_with_max_size(
        rsa::BigUint::from_bytes_be(&n),
        rsa::BigUint::from_bytes_be(&e),
        16384,
    )
    .map(Key::Rsa)
    .map_err(|err| format!("invalid RSA public key: {err}"))
}

fn ec_key(obj: &Map<String, Value>) -> Result<Key, String> {
    let crv = match obj.get("crv") {
        None | Some(Value::Null) => return Err("crv is required for an elliptic curve key".to_owned()),
        Some(Value::String(crv)) => crv.as_str(),
        Some(_) => return Err("crv must be a valid EC curve name".to_owned()),
    };
    let x = required(obj, "x", "an EC key")?;
    let y = required(obj, "y", "an EC key")?;
    if present(obj, &["n", "e", "p", "q", "dp", "dq", "qi"]) {
        return Err("RSA parameters can't be set for an elliptic curve key".to_owned());
    }
    let size = match crv {
        "P-256" => 32,
        "P-384" => 48,
        "P-521" => 66,
        _ => {
            return Err(format!(
                "crv \"{crv}\" must be a valid EC curve name (P-256, P-384 or P-521)"
            ))
        }
    };
    // SEC1 uncompressed point: 0x04 || x || y, each coordinate at the curve's full size.
    let mut sec1 = vec![0x04];
    sec1.extend(coordinate(&x, size, crv)?);
    sec1.extend(coordinate(&y, size, crv)?);
    let not_on_curve = |_| format!("x and y are not a point on {crv}");
    match size {
        32 => p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
            .map(Key::P256)
            .map_err(not_on_curve),
        48 => p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
            .map(Key::P384)
            .map_err(not_on_curve),
        _ => p521::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
            .map(Key::P521)
            .map_err(not_on_curve),
    }
}

/// A big-endian field element of exactly `size` bytes; shorter values are left-padded, longer ones may only
/// carry leading zeros (jose-jwt reads coordinates as integers, whatever their length).
fn coordinate(bytes: &[u8], size: usize, crv: &str) -> Result<Vec<u8>, String> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let significant = bytes.get(start..).unwrap_or_default();
    let padding = size
        .checked_sub(significant.len())
        .ok_or_else(|| format!("a {crv} coordinate is longer than {size} bytes"))?;
    let mut out = vec![0u8; padding];
    out.extend_from_slice(significant);
    Ok(out)
}

/// `Ok(None)` for an Ed448 key, which jose-jwt reads but nothing here can verify.
fn okp_key(obj: &Map<String, Value>) -> Result<Option<Key>, String> {
    let crv = match obj.get("crv") {
        None | Some(Value::Null) => return Err("crv is required for an OKP key".to_owned()),
        Some(Value::String(crv)) => crv.as_str(),
        Some(_) => return Err("Unknown or unsupported OKP type".to_owned()),
    };
    let x = required(obj, "x", "an OKP key")?;
    if present(obj, &["n", "e", "p", "q", "dp", "dq", "qi"]) {
        return Err("RSA parameters can't be set for an OKP key".to_owned());
    }
    match crv {
        "Ed25519" => {
            let bytes: [u8; 32] = x
                .as_slice()
                .try_into()
                .map_err(|_| "Invalid OKP key data".to_owned())?;
            let public = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map_err(|_| "Invalid OKP key data".to_owned())?;
            if let Some(d) = bytes_member(obj, "d")? {
                let secret: [u8; 32] = d
                    .as_slice()
                    .try_into()
                    .map_err(|_| "Invalid OKP key data".to_owned())?;
                if ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key() != public {
                    return Err("Public key x doesn't match private key d".to_owned());
                }
            }
            Ok(Some(Key::Ed25519(public)))
        }
        "Ed448" => Ok(None),
        _ => Err("Unknown or unsupported OKP type".to_owned()),
    }
}

fn oct_key(obj: &Map<String, Value>) -> Result<Key, String> {
    let k = required(obj, "k", "a symmetric key")?;
    if present(obj, &RSA_ALL) {
        return Err("RSA parameters can't be set for a symmetric key".to_owned());
    }
    if present(obj, &EC_MEMBERS) {
        return Err("Elliptic curve members (crv, x, y) can't be set for a symmetric key".to_owned());
    }
    Ok(Key::Hmac(k))
}
