//! The one test binary of restgres-auth: key configuration, token decoding, claims, robustness.
//!
//! Keys and tokens are fixtures under `data/`, made by `data/generate.py` with PyJWT (an independent
//! implementation); the case tables are exempt from rustfmt, one case per line.

#[path = "suite/common.rs"]
mod common;
#[rustfmt::skip]
#[path = "suite/claims.rs"]
mod claims;
#[rustfmt::skip]
#[path = "suite/decode.rs"]
mod decode;
#[rustfmt::skip]
#[path = "suite/keys.rs"]
mod keys;
#[path = "suite/robustness.rs"]
mod robustness;
