//! The SQL that reads the catalogs, and the decoding of its result into a `SchemaCache`.
