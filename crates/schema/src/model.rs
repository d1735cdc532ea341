//! The schema cache model: relations, columns, keys and routines of the exposed schemas.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// `schema.name`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName { schema: schema.into(), name: name.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    Table,
    View,
    MaterializedView,
    ForeignTable,
    PartitionedTable,
}

/// A table-like object exposed as `/name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub kind: RelationKind,
    pub description: Option<String>,
    /// Whether INSERT/UPDATE/DELETE are possible on the object (views: auto-updatable or INSTEAD OF triggers).
    pub insertable: bool,
    pub updatable: bool,
    pub deletable: bool,
    /// Primary-key column names in key order (empty when none).
    pub primary_key: Vec<String>,
    /// Columns in ordinal order.
    pub columns: Vec<Column>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn qualified_name(&self) -> QualifiedName {
        QualifiedName::new(self.schema.clone(), self.name.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub description: Option<String>,
    pub nullable: bool,
    /// The type as `format_type` shows it (`integer`, `character varying(20)`, `text[]`, `my_enum`).
    pub data_type: String,
    /// The type's name without modifiers, schema-qualified when not in pg_catalog (`int4`, `public.my_enum`).
    pub nominal_type: String,
    /// The base type's name when the column's type is a domain, otherwise equal to `nominal_type`.
    pub base_type: String,
    pub max_length: Option<i32>,
    /// The column default as SQL text.
    pub default: Option<String>,
    /// Labels when the type (or the domain's base type) is an enum.
    pub enum_values: Vec<String>,
    /// Whether the column is a generated or identity-always column (not writable).
    pub generated: bool,
}

/// A foreign key from `table(columns)` to `referenced(referenced_columns)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub table: QualifiedName,
    pub columns: Vec<String>,
    pub referenced: QualifiedName,
    pub referenced_columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutineParam {
    /// Empty for an unnamed parameter.
    pub name: String,
    /// `format_type` of the parameter's type.
    pub data_type: String,
    /// False when the parameter has a default.
    pub required: bool,
    pub variadic: bool,
}

/// What a routine returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutineReturn {
    /// The return type's name, schema-qualified (`pg_catalog.int4`, `public.books`, `pg_catalog.void`).
    pub type_name: QualifiedName,
    pub is_setof: bool,
    /// Whether the type is composite (a table's row type, a composite type, OUT/TABLE params or `record`).
    pub is_composite: bool,
}

/// A function callable as `/rpc/name` (procedures, aggregates, window and trigger functions excluded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routine {
    pub schema: String,
    pub name: String,
    pub description: Option<String>,
    /// IN, INOUT and VARIADIC parameters, in order.
    pub params: Vec<RoutineParam>,
    pub returns: RoutineReturn,
    pub volatility: Volatility,
    /// `SET name = value` clauses declared on the function (`proconfig`), as (name, value).
    pub settings: Vec<(String, String)>,
}

/// Everything loaded in one introspection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SchemaCache {
    /// Exposed relations by schema-qualified name.
    pub tables: HashMap<QualifiedName, Table>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Routines by schema-qualified name; overloads share a key.
    pub routines: HashMap<QualifiedName, Vec<Routine>>,
}

impl SchemaCache {
    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables.get(&QualifiedName::new(schema, name))
    }
}
