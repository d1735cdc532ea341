//! JWT authentication as PostgREST does it: verify the token, validate its claims, pick the role (pure code).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod authenticator;
pub mod cache;
pub mod claims;
pub mod error;
pub mod jwk;
pub mod jwt;
pub mod role_path;

pub use authenticator::{AuthResult, AuthSettings, Authenticator};
pub use error::JwtError;
