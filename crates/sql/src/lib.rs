//! Turns plans into SQL text with bound parameters (pure code, no I/O).
//!
//! Nothing from a request is ever spliced into the SQL text: identifiers are quoted with `quote_ident`, casts
//! are validated type names emitted as quoted identifiers, and every value is a `$n` parameter sent as text
//! of unknown type so PostgreSQL infers it, as PostgREST does.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod builder;
pub mod call;
pub mod read;
pub mod stream;
pub mod tx;
pub mod write;

pub use builder::{quote_ident, quote_qualified, Statement};
pub use read::{count_plan_statement, read_statement, READ_COLUMNS};
pub use stream::{chunked_statement, BODY_CHUNK};
pub use tx::{pre_request_statement, settings_statement};
