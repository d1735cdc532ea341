//! Constructors of schema-cache parts for tests and benchmarks that build a cache in code (feature `testing`).

use crate::{Column, ForeignKey, QualifiedName, RelationKind, Table};

/// A plain column of type `ty` (data, nominal and base type alike), no default, no description.
pub fn column(name: &str, ty: &str, nullable: bool) -> Column {
    Column {
        name: name.into(),
        description: None,
        nullable,
        data_type: ty.into(),
        nominal_type: ty.into(),
        base_type: ty.into(),
        max_length: None,
        default: None,
        enum_values: vec![],
        generated: false,
    }
}

/// An `id integer` column filled from the sequence `{table}_id_seq`, as `serial` makes it.
pub fn serial_id(table: &str) -> Column {
    let mut id = column("id", "integer", false);
    id.default = Some(format!("nextval('{table}_id_seq'::regclass)"));
    id
}

/// A base table that accepts inserts, updates and deletes, without a description.
pub fn table(schema: &str, name: &str, primary_key: &[&str], columns: Vec<Column>) -> Table {
    Table {
        schema: schema.into(),
        name: name.into(),
        kind: RelationKind::Table,
        description: None,
        insertable: true,
        updatable: true,
        deletable: true,
        primary_key: primary_key.iter().map(|c| c.to_string()).collect(),
        columns,
    }
}

/// A one-column foreign key `from.0(from.1)` to `to.0(to.1)` within `schema`, not one-to-one.
pub fn foreign_key(schema: &str, name: &str, from: (&str, &str), to: (&str, &str)) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        table: QualifiedName::new(schema, from.0),
        columns: vec![from.1.into()],
        referenced: QualifiedName::new(schema, to.0),
        referenced_columns: vec![to.1.into()],
        one_to_one: false,
    }
}
