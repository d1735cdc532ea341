//! PostgREST-compatible configuration: keys, file syntax, environment overrides and the validated AppConfig.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod app;

pub use app::*;
