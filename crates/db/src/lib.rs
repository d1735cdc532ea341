//! PostgreSQL access: the pool, pipelined request transactions and schema introspection.
