//! The one test binary of restgres-config: file syntax, loading and validation, generated output, fuzzing.
//!
//! The case tables are exempt from rustfmt: one case per line reads better than wrapped arguments.

#[path = "suite/common.rs"]
mod common;
#[path = "suite/fuzz.rs"]
mod fuzz;
#[rustfmt::skip]
#[path = "suite/keys.rs"]
mod keys;
#[rustfmt::skip]
#[path = "suite/load.rs"]
mod load;
#[rustfmt::skip]
#[path = "suite/output.rs"]
mod output;
#[rustfmt::skip]
#[path = "suite/syntax.rs"]
mod syntax;
