//! The schema cache: what restgres knows of the exposed schemas, and the SQL that loads it.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod fuzzy;
pub mod introspect;
pub mod model;
pub mod relationships;
#[cfg(feature = "testing")]
pub mod testing;
mod views;

pub use model::*;
pub use relationships::{Cardinality, Junction, Relationship, RelationshipError, RelationshipKind};
