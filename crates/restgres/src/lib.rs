//! The restgres library: CLI, wiring of config, pool, schema cache and HTTP server, and the demo.

pub mod admin;
pub mod cli;
pub mod demo;
pub mod listener;
pub mod reload;
pub mod server;
pub mod tempcluster;
