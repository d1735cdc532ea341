//! The crate's one integration test binary: data-driven cases per grammar, snapshots, properties.

mod render;

mod filter;
mod headers;
mod logic;
mod order;
mod payload;
mod props;
mod query_string;
mod robustness;
mod select;
mod snapshots;
