//! The restgres library: CLI, wiring of config, pool, schema cache and HTTP server, and the demo.
