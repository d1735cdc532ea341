//! The verification keys configured by `jwt-secret`: an HMAC secret (text or base64), a JWK or a JWK Set.
