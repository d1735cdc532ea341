//! The schema cache model: relations, columns, keys and routines of the exposed schemas.

use crate::fuzzy;
use crate::relationships::RelationshipIndexCell;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// `schema.name`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

/// `schema.name`, unquoted, as PostgREST writes names in its messages.
impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
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
    /// Primary-key column names in key order (empty when none). A view's are the view columns that show a
    /// whole primary key of a table it reads, as PostgREST infers them.
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

    /// Views and materialized views (PostgREST's `tableIsView`).
    pub fn is_view(&self) -> bool {
        matches!(self.kind, RelationKind::View | RelationKind::MaterializedView)
    }

    /// The primary-key columns sorted by name: PostgREST keeps them in this order (its `Location` header
    /// lists them so).
    pub fn primary_key_by_name(&self) -> Vec<&str> {
        let mut cols: Vec<&str> = self.primary_key.iter().map(String::as_str).collect();
        cols.sort_unstable();
        cols
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub description: Option<String>,
    pub nullable: bool,
    /// The type with its modifiers as `format_type` shows it, schema-qualified when not in pg_catalog
    /// (`integer`, `character varying(20)`, `text[]`, `public.my_enum`): what a cast to the column's type
    /// needs (PostgREST's nominal type).
    pub data_type: String,
    /// The type without modifiers, schema-qualified when not in pg_catalog (`integer`, `character varying`,
    /// `public.my_enum`, `public.my_domain`).
    pub nominal_type: String,
    /// The base type (without modifiers) when the column's type is a domain, through domains over domains;
    /// otherwise equal to `nominal_type`.
    pub base_type: String,
    pub max_length: Option<i32>,
    /// The column default as SQL text, as PostgREST reads it: `nextval('schema.seq')` for an identity
    /// BY DEFAULT column, none for a generated column, the domain's default when the column has none.
    pub default: Option<String>,
    /// Labels when the type (or the domain's base type) is an enum.
    pub enum_values: Vec<String>,
    /// Whether the column is a generated or identity-always column (not writable).
    pub generated: bool,
}

impl Column {
    /// The type as PostgREST reports it (OpenAPI `format`, its `data_type`): a pg_catalog type without
    /// modifiers (`character varying`), a domain over a pg_catalog type as that type, any other type as
    /// `data_type` (`public.my_enum`). A domain over a domain over a pg_catalog type shows the pg_catalog
    /// type here, where PostgREST shows the outer domain.
    pub fn api_type(&self) -> &str {
        // Names outside pg_catalog are always schema-qualified, and no pg_catalog type name has a dot.
        let in_pg_catalog = |name: &str| !name.contains('.');
        if self.nominal_type != self.base_type {
            if in_pg_catalog(&self.base_type) {
                &self.base_type
            } else {
                &self.data_type
            }
        } else if in_pg_catalog(&self.nominal_type) {
            &self.nominal_type
        } else {
            &self.data_type
        }
    }
}

/// A foreign key from `table(columns)` to `referenced(referenced_columns)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub table: QualifiedName,
    pub columns: Vec<String>,
    pub referenced: QualifiedName,
    pub referenced_columns: Vec<String>,
    /// Whether the key's columns, in key order, are those of a primary key or unique constraint of `table`
    /// in column order: PostgREST's test for a one-to-one relationship.
    #[serde(default)]
    pub one_to_one: bool,
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
    /// The parameter's type without modifiers, schema-qualified when not in pg_catalog (`integer`,
    /// `character`, `public.my_enum`).
    pub data_type: String,
    /// False when the parameter has a default.
    pub required: bool,
    pub variadic: bool,
}

impl RoutineParam {
    /// The type to read an argument as: PostgREST widens `character` and `bit` (whose unmodified forms hold
    /// one character or bit) to their varying forms so a longer argument is not cut.
    pub fn lenient_type(&self) -> &str {
        match self.data_type.as_str() {
            "character" => "character varying",
            "character[]" => "character varying[]",
            "bit" => "bit varying",
            "bit[]" => "bit varying[]",
            other => other,
        }
    }
}

/// What a routine returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutineReturn {
    /// The return type's name, schema-qualified (`pg_catalog.int4`, `public.books`, `pg_catalog.void`).
    pub type_name: QualifiedName,
    pub is_setof: bool,
    /// Whether the result is composite: a table's row type, a composite type, a domain over one, or any
    /// function with OUT, INOUT or TABLE parameters (as PostgREST; a bare `record` is not).
    pub is_composite: bool,
    /// Whether the declared return type is a domain over a composite type (`type_name` is the composite).
    #[serde(default)]
    pub is_composite_alias: bool,
    /// The media type when the function returns a domain named like one (`"text/html"`, `"*/*"`): the
    /// function is that media type's handler for its own calls.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Whether that domain is over `bytea`.
    #[serde(default)]
    pub media_binary: bool,
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

impl Routine {
    pub fn qualified_name(&self) -> QualifiedName {
        QualifiedName::new(self.schema.clone(), self.name.clone())
    }

    pub fn has_variadic(&self) -> bool {
        self.params.iter().any(|p| p.variadic)
    }

    /// The function's `SET default_transaction_isolation` value, lower-cased as PostgREST reads it.
    pub fn isolation_level(&self) -> Option<String> {
        self.settings
            .iter()
            .find(|(name, _)| name == "default_transaction_isolation")
            .map(|(_, value)| value.trim().to_ascii_lowercase())
    }

    /// Returns a set of rows (`SETOF`/`TABLE`).
    pub fn returns_set(&self) -> bool {
        self.returns.is_setof
    }
}

/// An aggregate returning a media-type domain, over `target`'s rows (`None`: any row, `anyelement`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaHandler {
    pub aggregate: QualifiedName,
    pub target: Option<QualifiedName>,
    /// The domain's name, lower-cased: `text/csv`, `application/vnd.twkb`, `*/*`.
    pub media_type: String,
    /// The domain is over `bytea`.
    pub binary: bool,
}

/// An implicit cast by `function` from `source` to `target`, one of them a domain and the other json or
/// text (type names as `format_type` shows them, like `Column::nominal_type`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representation {
    pub source: String,
    pub target: String,
    pub function: QualifiedName,
}

/// A function PostgREST treats as a relationship ("computed relationship"): it takes one argument of
/// `source`'s row type and returns `target`'s. Functions of any schema count, as in PostgREST; both relations
/// are in the exposed schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputedRelationship {
    pub function: QualifiedName,
    pub source: QualifiedName,
    pub target: QualifiedName,
    /// The function returns one row: it is not `SETOF`, or it is declared `ROWS 1`.
    pub to_one: bool,
}

/// Everything loaded in one introspection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SchemaCache {
    /// Exposed relations by schema-qualified name.
    pub tables: HashMap<QualifiedName, Table>,
    /// Foreign keys with an end among the exposed relations (or among the tables their views read), sorted
    /// by table and name. As PostgREST, a key also relates the exposed views that show all its columns on
    /// either side: those copies carry the key's name with view names and view columns.
    pub foreign_keys: Vec<ForeignKey>,
    /// Routines by schema-qualified name; overloads share a key.
    pub routines: HashMap<QualifiedName, Vec<Routine>>,
    /// Functions that define computed relationships, sorted by function name.
    #[serde(default)]
    pub computed_relationships: Vec<ComputedRelationship>,
    /// User-defined aggregates that produce a media type for a relation's rows (PostgREST's media type
    /// handlers for tables, views and functions returning their rows).
    #[serde(default)]
    pub media_handlers: Vec<MediaHandler>,
    /// Domain representations: implicit casts between a domain and json or text, by function.
    #[serde(default)]
    pub representations: Vec<Representation>,
    /// The relationships of every relation, built from the fields above on first use (`decode` builds it
    /// right away); see `relationships`.
    #[serde(skip)]
    pub(crate) relationship_index: RelationshipIndexCell,
}

impl SchemaCache {
    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables.get(&QualifiedName::new(schema, name))
    }

    /// The function of the domain representation from `source` to `target` (type names as
    /// `Column::nominal_type`), if one is declared.
    pub fn representation(&self, source: &str, target: &str) -> Option<&QualifiedName> {
        self.representations
            .iter()
            .find(|r| r.source == source && r.target == target)
            .map(|r| &r.function)
    }

    /// The overloads of `schema.name`, fewest parameters first.
    pub fn routine(&self, schema: &str, name: &str) -> Option<&[Routine]> {
        self.routines
            .get(&QualifiedName::new(schema, name))
            .map(Vec::as_slice)
    }

    /// The counts PostgREST logs once the cache is loaded (`Schema cache loaded {summary}`).
    pub fn summary(&self) -> SchemaCacheSummary {
        // PostgREST counts relationship map keys: (table, schema of the other end) pairs, each key found in
        // both directions. Without view-derived and many-to-many entries this is the same count over the
        // foreign keys whose two ends are exposed.
        let mut keys: HashSet<(&QualifiedName, &str)> = HashSet::new();
        for fk in &self.foreign_keys {
            if self.tables.contains_key(&fk.table) && self.tables.contains_key(&fk.referenced) {
                keys.insert((&fk.table, fk.referenced.schema.as_str()));
                keys.insert((&fk.referenced, fk.table.schema.as_str()));
            }
        }
        SchemaCacheSummary {
            relations: self.tables.len(),
            relationships: keys.len(),
            functions: self.routines.len(),
        }
    }

    /// The name of the relation of `schema` closest to `name`, for PostgREST's hint
    /// "Perhaps you meant the table 'schema.x'" (same fuzzy match as PostgREST; see `fuzzy`).
    pub fn closest_table(&self, schema: &str, name: &str) -> Option<&str> {
        fuzzy::closest_with_min_score(
            self.tables
                .keys()
                .filter(|k| k.schema == schema)
                .map(|k| k.name.as_str()),
            name,
            fuzzy::NAME_MIN_SCORE,
        )
    }

    /// The name of the function of `schema` closest to `name`, for PostgREST's hint
    /// "Perhaps you meant to call the function schema.x".
    pub fn closest_routine(&self, schema: &str, name: &str) -> Option<&str> {
        fuzzy::closest_with_min_score(
            self.routines
                .keys()
                .filter(|k| k.schema == schema)
                .map(|k| k.name.as_str()),
            name,
            fuzzy::NAME_MIN_SCORE,
        )
    }

    /// When `schema.name` exists but no overload takes `params`: the parameter list of the overload closest
    /// to them, written as PostgREST's hint does (`(a, b, c)`, names sorted), to follow the function name.
    pub fn closest_routine_params(&self, schema: &str, name: &str, params: &[&str]) -> Option<String> {
        let overloads = self.routine(schema, name)?;
        let lists: Vec<String> = overloads
            .iter()
            .map(|r| param_list(r.params.iter().map(|p| p.name.as_str())))
            .collect();
        fuzzy::closest(
            lists.iter().map(String::as_str),
            &param_list(params.iter().copied()),
        )
        .map(str::to_owned)
    }
}

/// `(a, b, c)` with the names sorted.
fn param_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    format!("({})", names.join(", "))
}

/// How many objects the cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaCacheSummary {
    pub relations: usize,
    pub relationships: usize,
    pub functions: usize,
}

/// `3 Relations, 2 Relationships, 1 Functions`, PostgREST's wording.
impl fmt::Display for SchemaCacheSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} Relations, {} Relationships, {} Functions",
            self.relations, self.relationships, self.functions
        )
    }
}
