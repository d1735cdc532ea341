//! PostgREST's URL grammar and request headers, parsed into typed values (pure code, no I/O).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod ast;
pub mod error;
pub mod media;
pub mod prefer;
pub mod query;
pub mod range;

pub use ast::*;
pub use error::RequestError;
pub use media::{MediaType, MediaRange};
pub use prefer::Preferences;
