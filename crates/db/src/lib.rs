//! PostgreSQL access: the pool, pipelined request transactions and schema introspection.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod connect;
pub mod error;
pub mod exec;
pub mod introspect;
pub mod params;
pub mod pool;
pub mod stream;

pub use error::{DbError, PgError};
pub use exec::{DbOutcome, Isolation, TxEnd, TxRequest, Verify, Violation};
pub use pool::{Pool, PoolSettings};
pub use stream::{BodyTail, STREAM_THRESHOLD};
