//! Resolves a parsed request against the schema cache into an executable plan (pure code, no I/O).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod call;
pub mod cast;
pub mod error;
pub mod mutate;
pub mod negotiate;
pub mod read;

pub use error::PlanError;
pub use negotiate::OutputFormat;
pub use read::*;
