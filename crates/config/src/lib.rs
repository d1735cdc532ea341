//! PostgREST-compatible configuration: keys, file syntax, environment overrides and the validated AppConfig.
//!
//! Two stages, no I/O: [`RawConfig::read`] gathers raw values with their [`Origin`] (file < env < database),
//! then [`RawConfig::validate`] checks them into an [`AppConfig`]; [`load()`] and [`load_sources`] do both.
//! The caller passes the file's contents, the environment and a `read_file` function for `@file` values and
//! `import`. [`keys::KEYS`] is the one table of keys; [`example`], [`dump`] and [`help_table`] are made from it.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod app;
pub mod error;
pub mod keys;
pub mod load;
mod number;
pub mod output;
pub mod syntax;

pub use app::*;
pub use error::{ConfigError, Origin};
pub use keys::{Key, Kind, KEYS};
pub use load::{load, load_sources, Loaded, RawConfig, RawSetting, ReadFile, Sources};
pub use output::{dump, example, help_table};
