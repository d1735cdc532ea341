//! The JWT cache (`jwt-cache-max-entries`): verified claims by token, bounded, never past the token's `exp`.
