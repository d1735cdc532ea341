//! The HTTP edge: listeners, routing, request assembly, responses and the one error-to-HTTP mapping.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod access;
pub mod body;
pub mod call;
pub mod context;
pub mod cors;
pub mod error;
pub mod handler;
pub mod metrics;
pub mod openapi;
pub mod response;
pub mod server;
pub mod state;
pub mod write;

pub use error::ApiError;
pub use state::AppState;
