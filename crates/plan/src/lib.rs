//! Resolves a parsed request against the schema cache into an executable plan (pure).
