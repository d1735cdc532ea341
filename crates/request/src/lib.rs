//! PostgREST's URL grammar and request headers, parsed into typed values (pure code, no I/O).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod ast;
pub mod error;
mod haskell;
pub mod media;
mod parsec;
pub mod payload;
pub mod prefer;
pub mod query;
pub mod range;

pub use ast::*;
pub use error::RequestError;
pub use media::{MediaRange, MediaType};
pub use prefer::Preferences;
