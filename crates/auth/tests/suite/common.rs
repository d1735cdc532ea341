//! Fixture access shared by the test modules.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use restgres_auth::jwk::JwtKeys;
use sha2::Sha256;

/// A "now" in 2025: fixture tokens expire in 2100, the expired one in 2001.
pub const NOW: i64 = 1_750_000_000;

pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn data(name: &str) -> String {
    std::fs::read_to_string(data_path(name)).unwrap_or_else(|e| panic!("tests/data/{name}: {e}"))
}

fn json_table(
    name: &str,
    cell: &'static OnceLock<BTreeMap<String, String>>,
) -> &'static BTreeMap<String, String> {
    cell.get_or_init(|| serde_json::from_str(&data(name)).unwrap())
}

/// A fixture token by name (`tokens.json`).
pub fn token(name: &str) -> &'static str {
    static TOKENS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    json_table("tokens.json", &TOKENS)
        .get(name)
        .unwrap_or_else(|| panic!("no token {name}"))
}

/// A fixture HMAC secret by name (`secrets.json`).
pub fn secret(name: &str) -> &'static str {
    static SECRETS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    json_table("secrets.json", &SECRETS)
        .get(name)
        .unwrap_or_else(|| panic!("no secret {name}"))
}

/// Keys from a fixture: a `*.json` key file, or `text`/`base64*` for the HMAC secrets of `secrets.json`.
pub fn keys(source: &str) -> JwtKeys {
    let built = if source.ends_with(".json") {
        JwtKeys::from_secret(&data(source), false)
    } else {
        JwtKeys::from_secret(secret(source), source.starts_with("base64"))
    };
    built.unwrap_or_else(|e| panic!("keys {source}: {e}"))
}

/// An HS256 token over raw header and payload text, for cases no fixture covers.
pub fn hs256(secret: &[u8], header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}
