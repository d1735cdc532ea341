//! Token decoding: split, header, signature verification against the configured keys, payload as JSON.
