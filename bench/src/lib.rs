//! Benchmarks of restgres against a real PostgreSQL; the code is in `benches/` (see README.md).
