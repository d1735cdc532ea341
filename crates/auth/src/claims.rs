//! Validation of the registered claims `exp`, `nbf`, `iat` (with PostgREST's 30 s skew) and `aud`.
