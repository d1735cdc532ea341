//! The request's identity: token from `Authorization`, verified (or cached) claims, validation, role.

use crate::cache::JwtCache;
use crate::jwk::{JwtKeys, KeyConfigError};
use crate::role_path::{RolePath, RolePathError};
use crate::{claims, jwt, JwtError};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Verified claims (always a JSON object), shared between the cache and requests.
pub type Claims = Arc<Value>;

/// What authentication settles for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthResult {
    /// The role the transaction runs as.
    pub role: String,
    /// The claims for `request.jwt.claims`, the role included (as PostgREST adds it).
    pub claims: Map<String, Value>,
    /// Whether the role differs from `db-anon-role` (insufficient privilege is then 403, not 401).
    pub authenticated: bool,
}

/// The authentication settings, from the configuration.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings<'a> {
    pub jwt_secret: Option<&'a str>,
    pub jwt_secret_is_base64: bool,
    pub jwt_aud: Option<&'a str>,
    pub jwt_role_claim_key: &'a str,
    pub db_anon_role: Option<&'a str>,
    pub jwt_cache_max_entries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    #[error("jwt-secret: {0}")]
    Secret(#[from] KeyConfigError),
    #[error("jwt-role-claim-key: {0}")]
    RoleClaimKey(#[from] RolePathError),
}

/// Built once per configuration; shared by all requests.
pub struct Authenticator {
    keys: Option<JwtKeys>,
    aud: Option<String>,
    role_path: RolePath,
    anon_role: Option<String>,
    cache: JwtCache<Claims>,
}

impl Authenticator {
    pub fn new(settings: &AuthSettings<'_>) -> Result<Self, AuthConfigError> {
        let keys = match settings.jwt_secret {
            Some(s) if !s.is_empty() => Some(JwtKeys::from_secret(s, settings.jwt_secret_is_base64)?),
            _ => None,
        };
        Ok(Authenticator {
            keys,
            aud: settings.jwt_aud.map(str::to_string),
            role_path: RolePath::parse(settings.jwt_role_claim_key)?,
            anon_role: settings.db_anon_role.map(str::to_string),
            cache: JwtCache::new(settings.jwt_cache_max_entries),
        })
    }

    /// Authenticates a request from its `Authorization` header at `now` (seconds since the epoch).
    pub fn authenticate(&self, authorization: Option<&str>, now: i64) -> Result<AuthResult, JwtError> {
        let claims = match bearer_token(authorization) {
            None => Arc::new(Value::Object(Map::new())),
            Some(token) => self.verified_claims(token, now)?,
        };
        let object = claims.as_object().ok_or(JwtError::ParsingClaimsFailed)?;
        claims::validate(object, now, self.aud.as_deref())?;
        let role = match self.role_path.first_match(&claims) {
            Some(Value::String(s)) => s.clone(),
            // PostgREST uses the JSON text of a non-string role value.
            Some(other) => other.to_string(),
            None => self.anon_role.clone().ok_or(JwtError::TokenRequired)?,
        };
        let mut claims = object.clone();
        claims.insert("role".to_string(), Value::String(role.clone()));
        let authenticated = self.anon_role.as_deref() != Some(role.as_str());
        Ok(AuthResult {
            role,
            claims,
            authenticated,
        })
    }

    /// The token's claims, verified now or earlier (the cache never serves a token past its `exp`).
    fn verified_claims(&self, token: &str, now: i64) -> Result<Claims, JwtError> {
        if token.is_empty() {
            return Err(JwtError::EmptyAuthHeader);
        }
        let keys = self.keys.as_ref().ok_or(JwtError::SecretMissing)?;
        if let Some(hit) = self.cache.get(token, now) {
            return Ok(hit);
        }
        let decoded = jwt::decode(keys, token)?;
        let expires_at = claims::expires_at(&decoded);
        let claims = Arc::new(Value::Object(decoded));
        self.cache.insert(token, claims.clone(), expires_at);
        Ok(claims)
    }

    /// Hits, misses and evictions of the JWT cache.
    pub fn cache_stats(&self) -> crate::cache::CacheStats {
        self.cache.stats()
    }
}

/// The token of `Authorization: Bearer <token>`, the scheme in any capitalisation; `None` for no header or
/// another scheme (the request is then anonymous), `Some("")` for a bearer header without a token.
pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let header = authorization?.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer_token(None), None);
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("BEARER  abc ")), Some("abc"));
        assert_eq!(bearer_token(Some("Bearer")), Some(""));
        assert_eq!(bearer_token(Some("Bearer ")), Some(""));
        assert_eq!(bearer_token(Some("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer_token(Some("")), None);
    }
}
