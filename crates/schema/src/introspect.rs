//! The SQL that reads the catalogs, and the decoding of its result into a `SchemaCache`.
//!
//! `SCHEMA_QUERY` returns one JSON document; its shape is private to this module (the `Raw*` types). To keep
//! the statement fast on catalogs with tens of thousands of relations, the document names types, relations
//! and columns by number where they repeat, and `decode` resolves them (see the comments in the SQL).

use crate::model::{
    Column, ComputedRelationship, ForeignKey, MediaHandler, QualifiedName, RelationKind, Representation,
    Routine, SchemaCache, Table,
};
use crate::views::top_level_targets;
use serde::Deserialize;
use std::collections::HashMap;

/// The schema cache in one statement. `$1` is the exposed schemas (`text[]`); the result is one row with one
/// `text` column holding a JSON document for [`decode`].
///
/// The statement sets `search_path` to `''` for the rest of its transaction (`set_config(..., true)`, as
/// PostgREST's `set local schema ''`) so that type names and defaults come out schema-qualified: run it in
/// its own transaction or in autocommit.
///
/// Run [`SCHEMA_QUERY_SETUP`] first in the same transaction: with PostgreSQL's default `jit = on`, the
/// planner's cost estimate on a big catalog makes PostgreSQL JIT-compile the statement, which takes seconds
/// (4 s instead of 0.6 s for 10,000 tables). A statement cannot switch JIT off for itself.
pub const SCHEMA_QUERY: &str = include_str!("schema_query.sql");

/// Run before [`SCHEMA_QUERY`] in the same transaction (see there).
pub const SCHEMA_QUERY_SETUP: &str = "SET LOCAL jit = off";

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the schema cache document is not valid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("column {column} of {relation} has a type the document does not describe ({oid}, {typmod})")]
    UnknownType {
        relation: QualifiedName,
        column: String,
        oid: u32,
        typmod: i32,
    },
    #[error("{relation} has no column number {attnum}")]
    UnknownColumn { relation: QualifiedName, attnum: i16 },
    #[error("foreign key {constraint} refers to relation {oid}, which the document does not describe")]
    UnknownRelation { constraint: String, oid: u32 },
}

/// Builds the cache from the document `SCHEMA_QUERY` returns.
pub fn decode(json: &str) -> Result<SchemaCache, DecodeError> {
    let mut raw: RawDocument = serde_json::from_str(json)?;
    // The query leaves columns unordered (see there).
    for t in &mut raw.tables {
        t.columns.sort_unstable_by_key(|c| c.attnum);
    }
    let types: HashMap<(u32, i32), &RawType> = raw.types.iter().map(|t| ((t.oid, t.typmod), t)).collect();

    // Every relation a key may name: the exposed ones and the other ends of their foreign keys.
    let mut relations: HashMap<u32, RelationInfo<'_>> = HashMap::with_capacity(raw.tables.len());
    for t in &raw.tables {
        // Sorted by number, as the columns are.
        let columns = t.columns.iter().map(|c| (c.attnum, c.name.as_str())).collect();
        relations.insert(
            t.oid,
            RelationInfo {
                schema: &t.schema,
                name: &t.name,
                columns,
                keys: &t.keys,
            },
        );
    }
    for r in &raw.other_relations {
        let mut columns: Vec<(i16, &str)> = r
            .columns
            .iter()
            .map(|(attnum, name)| (*attnum, name.as_str()))
            .collect();
        columns.sort_unstable_by_key(|(attnum, _)| *attnum);
        relations.insert(
            r.oid,
            RelationInfo {
                schema: &r.schema,
                name: &r.name,
                columns,
                keys: &r.keys,
            },
        );
    }

    let mut tables = HashMap::with_capacity(raw.tables.len());
    for t in &raw.tables {
        let table = decode_table(t, &types, &relations)?;
        tables.insert(table.qualified_name(), table);
    }

    let view_refs = view_references(&raw);
    for (oid, refs) in &view_refs {
        let pk = view_primary_key(refs, &relations);
        if let Some(table) = relations
            .get(oid)
            .and_then(|v| tables.get_mut(&v.qualified_name()))
        {
            table.primary_key = pk;
        }
    }

    let mut foreign_keys = Vec::with_capacity(raw.foreign_keys.len());
    for fk in &raw.foreign_keys {
        let decoded = decode_foreign_key(fk, &relations)?;
        foreign_keys.extend(view_foreign_keys(fk, &decoded, &view_refs, &relations, &tables));
        foreign_keys.push(decoded);
    }
    // Compared by reference: a key built per comparison would clone four names each time.
    foreign_keys.sort_by(|a, b| {
        (&a.table, &a.name, &a.referenced, &a.columns).cmp(&(&b.table, &b.name, &b.referenced, &b.columns))
    });

    let mut routines: HashMap<QualifiedName, Vec<Routine>> = HashMap::new();
    for routine in raw.routines {
        routines
            .entry(routine.qualified_name())
            .or_default()
            .push(routine);
    }
    for overloads in routines.values_mut() {
        // Fewest parameters first, as PostgREST orders overloads; the rest keeps the document's order.
        overloads.sort_by_key(|r| r.params.len());
    }

    let computed_relationships = raw
        .computed_relationships
        .into_iter()
        .map(
            |(fn_schema, fn_name, src_schema, src_name, dst_schema, dst_name, to_one)| ComputedRelationship {
                function: QualifiedName::new(fn_schema, fn_name),
                source: QualifiedName::new(src_schema, src_name),
                target: QualifiedName::new(dst_schema, dst_name),
                to_one,
            },
        )
        .collect();

    let media_handlers = raw
        .media_handlers
        .into_iter()
        .map(
            |(schema, name, t_schema, t_name, media_type, binary)| MediaHandler {
                aggregate: QualifiedName::new(schema, name),
                target: t_schema.zip(t_name).map(|(s, n)| QualifiedName::new(s, n)),
                media_type,
                binary,
            },
        )
        .collect();
    let representations = raw
        .representations
        .into_iter()
        .map(|(source, target, schema, name)| Representation {
            source,
            target,
            function: QualifiedName::new(schema, name),
        })
        .collect();

    let cache = SchemaCache {
        tables,
        foreign_keys,
        routines,
        computed_relationships,
        media_handlers,
        representations,
        relationship_index: Default::default(),
    };
    // Built here so that the first embed of a request does not pay for it.
    cache.index_relationships();
    Ok(cache)
}

/// What resolving numbers to names needs to know of a relation.
struct RelationInfo<'a> {
    schema: &'a str,
    name: &'a str,
    /// (number, name), sorted by number: a map per relation costs more than it saves at a few columns each.
    columns: Vec<(i16, &'a str)>,
    keys: &'a [RawKey],
}

impl RelationInfo<'_> {
    fn qualified_name(&self) -> QualifiedName {
        QualifiedName::new(self.schema, self.name)
    }

    fn column_names(&self, attnums: &[i16]) -> Result<Vec<String>, DecodeError> {
        attnums
            .iter()
            .map(|n| {
                self.columns
                    .binary_search_by_key(n, |(attnum, _)| *attnum)
                    .ok()
                    .and_then(|i| self.columns.get(i))
                    .map(|(_, name)| (*name).to_owned())
                    .ok_or_else(|| DecodeError::UnknownColumn {
                        relation: self.qualified_name(),
                        attnum: *n,
                    })
            })
            .collect()
    }
}

fn decode_table(
    t: &RawTable,
    types: &HashMap<(u32, i32), &RawType>,
    relations: &HashMap<u32, RelationInfo<'_>>,
) -> Result<Table, DecodeError> {
    let comments: HashMap<i32, &str> = t.comments.iter().map(|(n, text)| (*n, text.as_str())).collect();
    let mut columns = Vec::with_capacity(t.columns.len());
    for c in &t.columns {
        let ty = types
            .get(&(c.type_oid, c.typmod))
            .ok_or_else(|| DecodeError::UnknownType {
                relation: QualifiedName::new(t.schema.clone(), t.name.clone()),
                column: c.name.clone(),
                oid: c.type_oid,
                typmod: c.typmod,
            })?;
        // As PostgREST: a domain's default stands in when the column has none of its own, unless the
        // column is generated.
        let default = match (&c.default, c.generated) {
            (Some(d), _) => Some(d.clone()),
            (None, false) => ty.default.clone(),
            (None, true) => None,
        };
        columns.push(Column {
            name: c.name.clone(),
            description: comments.get(&i32::from(c.attnum)).map(|s| (*s).to_owned()),
            nullable: !(c.not_null || ty.not_null),
            data_type: ty.data_type.clone(),
            nominal_type: ty.nominal_type.clone(),
            base_type: ty.base_type.clone(),
            max_length: ty.max_length,
            default,
            enum_values: ty.enum_values.clone(),
            generated: c.generated,
        });
    }
    let primary_key = match (t.keys.iter().find(|k| k.kind == "p"), relations.get(&t.oid)) {
        (Some(pk), Some(info)) => info.column_names(&pk.columns)?,
        _ => Vec::new(),
    };
    Ok(Table {
        schema: t.schema.clone(),
        name: t.name.clone(),
        kind: t.kind,
        description: comments.get(&0).map(|s| (*s).to_owned()),
        insertable: t.insertable,
        updatable: t.updatable,
        deletable: t.deletable,
        primary_key,
        columns,
    })
}

/// For each exposed view: its columns in order, each with the table column it shows unchanged (followed
/// through views of views); computed columns are left out.
type ViewRefs<'a> = HashMap<u32, Vec<(&'a str, (u32, i16))>>;

/// Views over views deeper than this are not followed.
const MAX_VIEW_NESTING: usize = 100;

/// The most view column combinations one key is mapped to: a view showing key columns many times over
/// multiplies them.
const MAX_VIEW_KEY_COMBINATIONS: usize = 64;

fn view_references(raw: &RawDocument) -> ViewRefs<'_> {
    let targets: HashMap<u32, HashMap<i16, Option<(u32, i16)>>> = raw
        .views
        .iter()
        .filter_map(|(oid, tree)| {
            let entries = top_level_targets(tree)?;
            Some((*oid, entries.into_iter().map(|e| (e.resno, e.origin)).collect()))
        })
        .collect();
    // A column of a view is followed until it reaches a table; a computed column or a cycle ends nowhere.
    let resolve = |mut at: (u32, i16)| {
        for _ in 0..MAX_VIEW_NESTING {
            match targets.get(&at.0) {
                None => return Some(at),
                Some(entries) => at = (*entries.get(&at.1)?)?,
            }
        }
        None
    };
    let mut refs = HashMap::new();
    for t in &raw.tables {
        let Some(entries) = targets.get(&t.oid) else {
            continue;
        };
        // A view's column numbers are its target entries' numbers.
        let mut cols: Vec<(i16, &str, (u32, i16))> = t
            .columns
            .iter()
            .filter_map(|c| Some((c.attnum, c.name.as_str(), resolve((*entries.get(&c.attnum)?)?)?)))
            .collect();
        cols.sort_by_key(|(attnum, _, _)| *attnum);
        refs.insert(t.oid, cols.into_iter().map(|(_, name, at)| (name, at)).collect());
    }
    refs
}

/// As PostgREST: for each table whose whole primary key the view shows, the view columns showing it (the
/// first one where a column is shown twice), tables taken in the order the view first shows them.
fn view_primary_key(refs: &[(&str, (u32, i16))], relations: &HashMap<u32, RelationInfo<'_>>) -> Vec<String> {
    let mut bases: Vec<u32> = Vec::new();
    for (_, (oid, _)) in refs {
        if !bases.contains(oid) {
            bases.push(*oid);
        }
    }
    let mut pk = Vec::new();
    for base in bases {
        let Some(key) = relations
            .get(&base)
            .and_then(|r| r.keys.iter().find(|k| k.kind == "p"))
        else {
            continue;
        };
        let shown: Option<Vec<String>> = key
            .columns
            .iter()
            .map(|attnum| {
                refs.iter()
                    .find(|(_, at)| *at == (base, *attnum))
                    .map(|(name, _)| (*name).to_owned())
            })
            .collect();
        pk.extend(shown.unwrap_or_default());
    }
    pk
}

/// Every way a view shows all of `columns` of table `oid`, one view column per key column; empty when it
/// does not show them all.
fn view_key_columns(refs: &[(&str, (u32, i16))], oid: u32, columns: &[i16]) -> Vec<Vec<String>> {
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    for attnum in columns {
        let mut longer = Vec::new();
        for combo in &combos {
            for (name, _) in refs.iter().filter(|(_, at)| *at == (oid, *attnum)) {
                if longer.len() < MAX_VIEW_KEY_COMBINATIONS {
                    let mut next = combo.clone();
                    next.push((*name).to_owned());
                    longer.push(next);
                }
            }
        }
        combos = longer;
    }
    combos
}

/// As PostgREST: a foreign key between two tables also relates the views that show all of its columns, on
/// either side: view to table, table to view and view to view. Only pairs of exposed relations are kept.
fn view_foreign_keys(
    raw: &RawForeignKey,
    fk: &ForeignKey,
    view_refs: &ViewRefs<'_>,
    relations: &HashMap<u32, RelationInfo<'_>>,
    tables: &HashMap<QualifiedName, Table>,
) -> Vec<ForeignKey> {
    // Without views there is nothing to add; this runs once per key.
    if view_refs.is_empty() {
        return Vec::new();
    }
    let sides = |table: &QualifiedName, names: &[String], oid: u32, columns: &[i16]| {
        let mut sides = vec![(table.clone(), names.to_vec())];
        for (view, refs) in view_refs {
            let Some(info) = relations.get(view) else { continue };
            for shown in view_key_columns(refs, oid, columns) {
                sides.push((info.qualified_name(), shown));
            }
        }
        sides
    };
    let from = sides(&fk.table, &fk.columns, raw.table, &raw.columns);
    let to = sides(
        &fk.referenced,
        &fk.referenced_columns,
        raw.referenced,
        &raw.referenced_columns,
    );
    let mut out = Vec::new();
    for (i, (table, columns)) in from.iter().enumerate() {
        for (j, (referenced, referenced_columns)) in to.iter().enumerate() {
            // (0, 0) is the key itself.
            if (i, j) == (0, 0) || !tables.contains_key(table) || !tables.contains_key(referenced) {
                continue;
            }
            out.push(ForeignKey {
                name: fk.name.clone(),
                table: table.clone(),
                columns: columns.clone(),
                referenced: referenced.clone(),
                referenced_columns: referenced_columns.clone(),
                one_to_one: fk.one_to_one,
            });
        }
    }
    out
}

fn decode_foreign_key(
    fk: &RawForeignKey,
    relations: &HashMap<u32, RelationInfo<'_>>,
) -> Result<ForeignKey, DecodeError> {
    let unknown = |oid| DecodeError::UnknownRelation {
        constraint: fk.name.clone(),
        oid,
    };
    let table = relations.get(&fk.table).ok_or_else(|| unknown(fk.table))?;
    let referenced = relations
        .get(&fk.referenced)
        .ok_or_else(|| unknown(fk.referenced))?;
    // As PostgREST (since 12.2.3): one-to-one when the key's columns are those of a primary key or unique
    // constraint of the table, in any order (both sides compared sorted by column number).
    let mut key_columns = fk.columns.clone();
    key_columns.sort_unstable();
    let one_to_one = table.keys.iter().any(|k| {
        let mut sorted = k.columns.clone();
        sorted.sort_unstable();
        sorted == key_columns
    });
    Ok(ForeignKey {
        name: fk.name.clone(),
        table: table.qualified_name(),
        columns: table.column_names(&fk.columns)?,
        referenced: referenced.qualified_name(),
        referenced_columns: referenced.column_names(&fk.referenced_columns)?,
        one_to_one,
    })
}

#[derive(Deserialize)]
struct RawDocument {
    types: Vec<RawType>,
    tables: Vec<RawTable>,
    foreign_keys: Vec<RawForeignKey>,
    other_relations: Vec<RawOtherRelation>,
    /// (view oid, query tree of the view's `_RETURN` rule)
    views: Vec<(u32, String)>,
    routines: Vec<Routine>,
    /// (function schema, name, argument relation schema, name, result relation schema, name, to-one); absent
    /// from documents of older versions of the query.
    #[serde(default)]
    computed_relationships: Vec<(String, String, String, String, String, String, bool)>,
    #[serde(default)]
    media_handlers: Vec<RawMediaHandler>,
    /// (source type, target type, function schema, function name)
    #[serde(default)]
    representations: Vec<(String, String, String, String)>,
}

/// (aggregate schema, name, target schema, target name, media type, binary); no target: anyelement.
type RawMediaHandler = (String, String, Option<String>, Option<String>, String, bool);

/// A (type, modifier) pair some column uses.
#[derive(Deserialize)]
struct RawType {
    oid: u32,
    typmod: i32,
    data_type: String,
    nominal_type: String,
    base_type: String,
    max_length: Option<i32>,
    /// A domain declared NOT NULL.
    not_null: bool,
    /// A domain's default.
    default: Option<String>,
    enum_values: Vec<String>,
}

#[derive(Deserialize)]
struct RawTable {
    oid: u32,
    schema: String,
    name: String,
    kind: RelationKind,
    insertable: bool,
    updatable: bool,
    deletable: bool,
    /// (column number, or 0 for the relation; text)
    comments: Vec<(i32, String)>,
    keys: Vec<RawKey>,
    columns: Vec<RawColumn>,
}

/// A primary key (`p`) or unique constraint (`u`), columns in key order.
#[derive(Deserialize)]
struct RawKey {
    kind: String,
    columns: Vec<i16>,
}

#[derive(Deserialize)]
struct RawColumn {
    attnum: i16,
    name: String,
    type_oid: u32,
    typmod: i32,
    not_null: bool,
    default: Option<String>,
    generated: bool,
}

#[derive(Deserialize)]
struct RawForeignKey {
    name: String,
    table: u32,
    columns: Vec<i16>,
    referenced: u32,
    referenced_columns: Vec<i16>,
}

/// A relation outside the exposed schemas at the other end of a foreign key.
#[derive(Deserialize)]
struct RawOtherRelation {
    oid: u32,
    schema: String,
    name: String,
    keys: Vec<RawKey>,
    columns: Vec<(i16, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RoutineParam, RoutineReturn, Volatility};
    use serde_json::json;

    fn qn(schema: &str, name: &str) -> QualifiedName {
        QualifiedName::new(schema, name)
    }

    fn decode_value(doc: serde_json::Value) -> Result<SchemaCache, DecodeError> {
        decode(&doc.to_string())
    }

    fn int4() -> serde_json::Value {
        json!({"oid": 23, "typmod": -1, "data_type": "integer", "nominal_type": "integer", "base_type": "integer",
               "max_length": null, "not_null": false, "default": null, "enum_values": []})
    }

    /// Two tables in `api`, one in `private`, with a composite key, comments and a domain.
    fn small_document() -> serde_json::Value {
        json!({
            "types": [
                int4(),
                {"oid": 1043, "typmod": 24, "data_type": "character varying(20)", "nominal_type": "character varying",
                 "base_type": "character varying", "max_length": 20,
                 "not_null": false, "default": null, "enum_values": []},
                {"oid": 900, "typmod": -1, "data_type": "api.color", "nominal_type": "api.color",
                 "base_type": "api.color_enum", "max_length": null,
                 "not_null": true, "default": "'red'::api.color_enum", "enum_values": ["red", "green"]}
            ],
            "tables": [
                {"oid": 10, "schema": "api", "name": "items", "kind": "table", "insertable": true,
                 "updatable": true, "deletable": true,
                 "comments": [[0, "All items"], [3, "The color"]],
                 "keys": [["p", [2, 1]], ["u", [4]]],
                 "columns": [
                     [1, "id", 23, -1, true, null, false],
                     [2, "shop", 23, -1, true, null, false],
                     [3, "color", 900, -1, false, null, false],
                     [4, "code", 1043, 24, false, "'x'::character varying", false],
                     [6, "computed", 900, -1, false, null, true]
                 ]},
                {"oid": 11, "schema": "api", "name": "item_notes", "kind": "view", "insertable": false,
                 "updatable": true, "deletable": false, "comments": [], "keys": [],
                 "columns": [[1, "item_id", 23, -1, false, null, false], [2, "item_shop", 23, -1, false, null, false]]}
            ],
            "foreign_keys": [
                ["notes_item_fk", 11, [2, 1], 10, [2, 1]],
                ["secret_fk", 20, [2], 10, [1]],
                ["code_fk", 20, [1], 10, [4]]
            ],
            "other_relations": [
                {"oid": 20, "schema": "private", "name": "secrets", "keys": [["u", [1]]],
                 "columns": [[1, "code"], [2, "item"]]}
            ],
            "views": [],
            "routines": []
        })
    }

    #[test]
    fn decodes_tables_columns_and_types() {
        let cache = decode_value(small_document()).unwrap();
        assert_eq!(cache.tables.len(), 2);
        let items = cache.table("api", "items").unwrap();
        assert_eq!(items.kind, RelationKind::Table);
        assert_eq!(items.description.as_deref(), Some("All items"));
        assert_eq!(items.primary_key, ["shop", "id"]);
        assert_eq!(items.primary_key_by_name(), ["id", "shop"]);
        let names: Vec<&str> = items.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "shop", "color", "code", "computed"]);

        let color = items.column("color").unwrap();
        assert_eq!(
            color,
            &Column {
                name: "color".into(),
                description: Some("The color".into()),
                // The domain is NOT NULL even though the column is not.
                nullable: false,
                data_type: "api.color".into(),
                nominal_type: "api.color".into(),
                base_type: "api.color_enum".into(),
                max_length: None,
                // The domain's default stands in for the column's.
                default: Some("'red'::api.color_enum".into()),
                enum_values: vec!["red".into(), "green".into()],
                generated: false,
            }
        );
        // A generated column never takes the domain's default.
        assert_eq!(items.column("computed").unwrap().default, None);
        assert!(items.column("computed").unwrap().generated);

        let code = items.column("code").unwrap();
        assert_eq!(code.data_type, "character varying(20)");
        assert_eq!(code.max_length, Some(20));
        assert_eq!(code.default.as_deref(), Some("'x'::character varying"));
        assert!(code.nullable);
        assert!(!items.column("id").unwrap().nullable);

        let notes = cache.table("api", "item_notes").unwrap();
        assert!(notes.is_view());
        assert!(notes.primary_key.is_empty());
        assert_eq!(
            (notes.insertable, notes.updatable, notes.deletable),
            (false, true, false)
        );
    }

    #[test]
    fn decodes_foreign_keys_by_number() {
        let cache = decode_value(small_document()).unwrap();
        let fks: Vec<&str> = cache.foreign_keys.iter().map(|f| f.name.as_str()).collect();
        // Sorted by table, then name.
        assert_eq!(fks, ["notes_item_fk", "code_fk", "secret_fk"]);
        assert_eq!(
            cache.foreign_keys[0],
            ForeignKey {
                name: "notes_item_fk".into(),
                table: qn("api", "item_notes"),
                columns: vec!["item_shop".into(), "item_id".into()],
                referenced: qn("api", "items"),
                referenced_columns: vec!["shop".into(), "id".into()],
                one_to_one: false,
            }
        );
        let secret = &cache.foreign_keys[2];
        assert_eq!(secret.table, qn("private", "secrets"));
        assert_eq!(secret.columns, ["item"]);
        assert_eq!(secret.referenced_columns, ["id"]);
        assert!(!secret.one_to_one);
        // private.secrets has unique (code): the key over code is one-to-one.
        assert!(cache.foreign_keys[1].one_to_one);
    }

    /// The query sends columns unordered (an ordered aggregate per relation is slow on big schemas); the
    /// cache keeps them in table order, and keys still name the right columns.
    #[test]
    fn columns_come_out_in_table_order() {
        let mut doc = small_document();
        let columns = doc["tables"][0]["columns"].as_array_mut().unwrap();
        columns.reverse();
        let cache = decode_value(doc).unwrap();
        let items = cache.table("api", "items").unwrap();
        let names: Vec<&str> = items.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "shop", "color", "code", "computed"]);
        assert_eq!(items.primary_key, ["shop", "id"]);
    }

    #[test]
    fn one_to_one_ignores_column_order() {
        // A key over (b, a) matches unique (a, b) as a key over (a, b) does: PostgREST compares the sorted
        // column numbers since 12.2.3 (#3659; it compared the key's order with the sorted constraint before).
        let doc = json!({
            "types": [int4()],
            "tables": [
                {"oid": 1, "schema": "s", "name": "p", "kind": "table", "insertable": true, "updatable": true,
                 "deletable": true, "comments": [], "keys": [["p", [1, 2]]],
                 "columns": [[1, "a", 23, -1, true, null, false], [2, "b", 23, -1, true, null, false]]},
                {"oid": 2, "schema": "s", "name": "c", "kind": "table", "insertable": true, "updatable": true,
                 "deletable": true, "comments": [], "keys": [["u", [2, 1]]],
                 "columns": [[1, "a", 23, -1, true, null, false], [2, "b", 23, -1, true, null, false]]}
            ],
            "foreign_keys": [["in_order", 2, [1, 2], 1, [1, 2]], ["swapped", 2, [2, 1], 1, [2, 1]]],
            "other_relations": [],
            "views": [],
            "routines": []
        });
        let cache = decode_value(doc).unwrap();
        let by_name: HashMap<&str, bool> = cache
            .foreign_keys
            .iter()
            .map(|f| (f.name.as_str(), f.one_to_one))
            .collect();
        assert!(by_name["in_order"]);
        assert!(by_name["swapped"]);
    }

    #[test]
    fn decodes_routines_and_orders_overloads() {
        let doc = json!({
            "types": [], "tables": [], "foreign_keys": [], "other_relations": [], "views": [],
            "routines": [
                {"schema": "api", "name": "add", "description": "Adds",
                 "params": [{"name": "a", "data_type": "integer", "required": true, "variadic": false},
                            {"name": "b", "data_type": "integer", "required": false, "variadic": false},
                            {"name": "c", "data_type": "integer", "required": false, "variadic": false}],
                 "returns": {"type_name": {"schema": "pg_catalog", "name": "int4"}, "is_setof": false,
                             "is_composite": false, "is_composite_alias": false},
                 "volatility": "immutable", "settings": []},
                {"schema": "api", "name": "add", "description": null,
                 "params": [{"name": "a", "data_type": "text", "required": true, "variadic": false}],
                 "returns": {"type_name": {"schema": "pg_catalog", "name": "text"}, "is_setof": false,
                             "is_composite": false, "is_composite_alias": false},
                 "volatility": "stable",
                 "settings": [["statement_timeout", "5s"], ["default_transaction_isolation", "Serializable"]]}
            ]
        });
        let cache = decode_value(doc).unwrap();
        let add = cache.routine("api", "add").unwrap();
        assert_eq!(add.len(), 2);
        assert_eq!(add[0].params.len(), 1);
        assert_eq!(add[0].volatility, Volatility::Stable);
        assert_eq!(add[0].isolation_level().as_deref(), Some("serializable"));
        assert_eq!(
            add[0].settings[0],
            ("statement_timeout".to_string(), "5s".to_string())
        );
        assert_eq!(add[1].description.as_deref(), Some("Adds"));
        assert_eq!(add[1].isolation_level(), None);
        assert!(!add[1].params[1].required);
    }

    #[test]
    fn empty_document() {
        let doc = json!({"types": [], "tables": [], "foreign_keys": [], "other_relations": [], "views": [], "routines": []});
        let cache = decode_value(doc).unwrap();
        assert!(cache.tables.is_empty() && cache.foreign_keys.is_empty() && cache.routines.is_empty());
        assert_eq!(
            cache.summary().to_string(),
            "0 Relations, 0 Relationships, 0 Functions"
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(decode(""), Err(DecodeError::Json(_))));
        assert!(matches!(decode("{}"), Err(DecodeError::Json(_))));
        assert!(matches!(decode("[1, 2]"), Err(DecodeError::Json(_))));

        let mut doc = small_document();
        doc["types"] = json!([int4()]);
        let err = decode_value(doc).unwrap_err();
        assert!(matches!(err, DecodeError::UnknownType { oid: 900, .. }), "{err}");

        let mut doc = small_document();
        doc["foreign_keys"] = json!([["bad", 11, [9], 10, [1]]]);
        let err = decode_value(doc).unwrap_err();
        assert_eq!(err.to_string(), "api.item_notes has no column number 9");

        let mut doc = small_document();
        doc["foreign_keys"] = json!([["bad", 11, [1], 99, [1]]]);
        let err = decode_value(doc).unwrap_err();
        assert!(
            matches!(err, DecodeError::UnknownRelation { oid: 99, .. }),
            "{err}"
        );

        let mut doc = small_document();
        doc["tables"][0]["keys"] = json!([["p", [7]]]);
        assert!(matches!(
            decode_value(doc),
            Err(DecodeError::UnknownColumn { attnum: 7, .. })
        ));
    }

    /// The output of `SCHEMA_QUERY` with `$1 = '{api}'` on a PostgreSQL 15 database loaded with
    /// `testdata/fixture.sql` (object numbers differ between databases; names are what matters).
    fn fixture() -> SchemaCache {
        decode(include_str!("../testdata/fixture.json")).unwrap()
    }

    fn column<'a>(cache: &'a SchemaCache, table: &str, column: &str) -> &'a Column {
        cache.table("api", table).and_then(|t| t.column(column)).unwrap()
    }

    #[test]
    fn fixture_relations() {
        let cache = fixture();
        let mut names: Vec<&str> = cache.tables.keys().map(|k| k.name.as_str()).collect();
        names.sort_unstable();
        // No partitions (measurements_2020/2021), nothing from private or other.
        assert_eq!(
            names,
            [
                "Weird Name",
                "author_names",
                "author_profiles",
                "authors",
                "book_stats",
                "books",
                "csv_data",
                "editions",
                "measurement_notes",
                "measurements",
                "partial_key",
                "partial_update",
                "people",
                "printings",
                "shelf_items",
                "shelves",
                "shelves_again",
                "simple_books",
                "trigger_view",
                "uses_private",
                "with_subquery"
            ]
        );
        let kind = |n: &str| cache.table("api", n).unwrap().kind;
        assert_eq!(kind("authors"), RelationKind::Table);
        assert_eq!(kind("simple_books"), RelationKind::View);
        assert_eq!(kind("author_names"), RelationKind::MaterializedView);
        assert_eq!(kind("csv_data"), RelationKind::ForeignTable);
        assert_eq!(kind("measurements"), RelationKind::PartitionedTable);

        let rights = |n: &str| {
            let t = cache.table("api", n).unwrap();
            (t.insertable, t.updatable, t.deletable)
        };
        assert_eq!(rights("authors"), (true, true, true));
        assert_eq!(rights("measurements"), (true, true, true));
        // Auto-updatable view; a view with an expression column is still auto-updatable.
        assert_eq!(rights("simple_books"), (true, true, true));
        assert_eq!(rights("partial_update"), (true, true, true));
        // Aggregating view; only an INSTEAD OF INSERT trigger; materialized view; file_fdw table.
        assert_eq!(rights("book_stats"), (false, false, false));
        assert_eq!(rights("trigger_view"), (true, false, false));
        assert_eq!(rights("author_names"), (false, false, false));
        assert_eq!(rights("csv_data"), (false, false, false));

        let authors = cache.table("api", "authors").unwrap();
        assert_eq!(authors.description.as_deref(), Some("Authors of books"));
        assert_eq!(
            cache.table("api", "book_stats").unwrap().description.as_deref(),
            Some("Not updatable")
        );
        assert_eq!(
            cache.table("api", "editions").unwrap().primary_key,
            ["no", "book_id"]
        );
        assert_eq!(
            cache.table("api", "measurements").unwrap().primary_key,
            ["id", "at"]
        );
        assert_eq!(cache.table("api", "Weird Name").unwrap().primary_key, ["Col A"]);
        // A view's key comes from its table (see fixture_view_primary_keys).
        assert_eq!(cache.table("api", "simple_books").unwrap().primary_key, ["id"]);
        let weird: Vec<&str> = cache
            .table("api", "Weird Name")
            .unwrap()
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(weird, ["Col A", "b\"q"]);
    }

    #[test]
    fn fixture_columns() {
        let cache = fixture();
        let authors = cache.table("api", "authors").unwrap();
        let names: Vec<&str> = authors.columns.iter().map(|c| c.name.as_str()).collect();
        // `price` was dropped.
        assert_eq!(
            names,
            [
                "id", "name", "mood", "mood2", "nick", "nick2", "tags", "moods", "code", "bits", "created",
                "p"
            ]
        );

        let id = column(&cache, "authors", "id");
        assert_eq!(id.default.as_deref(), Some("nextval('api.authors_id_seq')"));
        assert!(!id.generated && !id.nullable);

        let name = column(&cache, "authors", "name");
        assert_eq!(name.description.as_deref(), Some("Full name"));
        assert_eq!(
            (
                name.data_type.as_str(),
                name.nominal_type.as_str(),
                name.api_type()
            ),
            ("character varying(100)", "character varying", "character varying")
        );
        assert_eq!(name.max_length, Some(100));

        let mood = column(&cache, "authors", "mood");
        assert_eq!(mood.data_type, "api.mood");
        assert_eq!(mood.enum_values, ["sad", "ok", "happy"]);
        assert!(mood.nullable);

        // Domain over an enum, NOT NULL on the domain.
        let mood2 = column(&cache, "authors", "mood2");
        assert_eq!(
            (mood2.data_type.as_str(), mood2.base_type.as_str()),
            ("api.mood_d", "api.mood")
        );
        assert_eq!(mood2.enum_values, ["sad", "ok", "happy"]);
        assert!(!mood2.nullable);

        // Domain over varchar(10) with a default; a domain over that domain.
        let nick = column(&cache, "authors", "nick");
        assert_eq!(
            (nick.data_type.as_str(), nick.base_type.as_str(), nick.api_type()),
            ("api.short_text", "character varying", "character varying")
        );
        assert_eq!(nick.max_length, Some(10));
        assert_eq!(nick.default.as_deref(), Some("'x'::character varying"));
        let nick2 = column(&cache, "authors", "nick2");
        // PostgREST would show api.short_text2 (see Column::api_type).
        assert_eq!(
            (nick2.base_type.as_str(), nick2.api_type()),
            ("character varying", "character varying")
        );
        assert_eq!(nick2.max_length, None);
        assert_eq!(nick2.default.as_deref(), Some("'x'::character varying"));

        assert_eq!(column(&cache, "authors", "tags").data_type, "text[]");
        let moods = column(&cache, "authors", "moods");
        assert_eq!(moods.data_type, "api.mood[]");
        assert!(moods.enum_values.is_empty());
        let code = column(&cache, "authors", "code");
        assert_eq!(
            (code.data_type.as_str(), code.api_type(), code.max_length),
            ("character(3)", "character", Some(3))
        );
        let bits = column(&cache, "authors", "bits");
        assert_eq!((bits.data_type.as_str(), bits.max_length), ("bit(4)", Some(4)));
        let created = column(&cache, "authors", "created");
        assert_eq!(created.data_type, "timestamp with time zone");
        assert_eq!(created.default.as_deref(), Some("now()"));
        assert_eq!(column(&cache, "authors", "p").data_type, "api.pair");

        // Identity ALWAYS and stored generated columns are not writable and have no default.
        let book_id = column(&cache, "books", "id");
        assert!(book_id.generated);
        assert_eq!(
            (book_id.data_type.as_str(), book_id.default.as_deref()),
            ("bigint", None)
        );
        let upper = column(&cache, "books", "title_upper");
        assert!(upper.generated);
        assert_eq!(upper.default, None);
        let serial = column(&cache, "books", "serial_no");
        assert_eq!(
            serial.default.as_deref(),
            Some("nextval('api.books_serial_no_seq'::regclass)")
        );
        assert!(!serial.generated);
    }

    #[test]
    fn fixture_foreign_keys() {
        let cache = fixture();
        // The keys themselves, not those carried over to views.
        let fk = |name: &str| {
            cache
                .foreign_keys
                .iter()
                .find(|f| {
                    f.name == name
                        && !cache_is_view(&cache, &f.table)
                        && !cache_is_view(&cache, &f.referenced)
                })
                .unwrap()
        };
        let base_keys: Vec<&ForeignKey> = cache
            .foreign_keys
            .iter()
            .filter(|f| !cache_is_view(&cache, &f.table) && !cache_is_view(&cache, &f.referenced))
            .collect();
        assert_eq!(base_keys.len(), 9);

        let books = fk("books_author_id_fkey");
        assert_eq!(
            (&books.table, &books.referenced),
            (&qn("api", "books"), &qn("api", "authors"))
        );
        assert_eq!(
            (books.columns.as_slice(), books.referenced_columns.as_slice()),
            (&["author_id".to_string()][..], &["id".to_string()][..])
        );
        assert!(!books.one_to_one);

        // Composite, in key order.
        let printings = fk("printings_edition_fk");
        assert_eq!(printings.columns, ["edition_book", "edition_no"]);
        assert_eq!(printings.referenced_columns, ["book_id", "no"]);
        let notes = fk("measurement_notes_m_id_m_at_fkey");
        assert_eq!(
            (notes.columns.as_slice(), notes.referenced.name.as_str()),
            (&["m_id".to_string(), "m_at".to_string()][..], "measurements")
        );

        assert!(fk("author_profiles_author_id_fkey").one_to_one);
        let people = fk("people_parent_id_fkey");
        assert_eq!(people.table, people.referenced);

        // Keys with one end outside the exposed schemas are kept, named.
        let uses = fk("uses_private_secret_id_fkey");
        assert_eq!(
            (uses.referenced.to_string(), uses.referenced_columns.as_slice()),
            ("private.secrets".to_string(), &["id".to_string()][..])
        );
        let secrets = fk("secrets_author_id_fkey");
        assert_eq!(
            (secrets.table.to_string(), secrets.columns.as_slice()),
            ("private.secrets".to_string(), &["author_id".to_string()][..])
        );

        // PostgREST's count of (relation, schema of the other end) pairs: the 17 relations of api with a key
        // between exposed relations (views included), all in one schema.
        assert_eq!(
            cache.summary().to_string(),
            "21 Relations, 17 Relationships, 18 Functions"
        );
    }

    fn cache_is_view(cache: &SchemaCache, name: &QualifiedName) -> bool {
        cache.tables.get(name).is_some_and(Table::is_view)
    }

    #[test]
    fn fixture_view_primary_keys() {
        let cache = fixture();
        let pk = |n: &str| cache.table("api", n).unwrap().primary_key.clone();
        // From api tables, private tables, through a renamed column, a view over a view and a sub-select.
        assert_eq!(pk("simple_books"), ["id"]);
        assert_eq!(pk("author_names"), ["id"]);
        assert_eq!(pk("partial_update"), ["id"]);
        assert_eq!(pk("shelves"), ["shelf_no"]);
        assert_eq!(pk("shelves_again"), ["shelf_no"]);
        assert_eq!(pk("with_subquery"), ["shelf_no"]);
        // shelf_id is shown twice (shelf_id, shelf_copy): the first is taken.
        assert_eq!(pk("shelf_items"), ["shelf_id", "pos"]);
        // trigger_view joins authors and books but shows only the authors' key.
        assert_eq!(pk("trigger_view"), ["id"]);
        // Not the whole key; no key column at all.
        assert!(pk("partial_key").is_empty());
        assert!(pk("book_stats").is_empty());
    }

    #[test]
    fn fixture_view_foreign_keys() {
        let cache = fixture();
        let pairs = |name: &str| -> Vec<String> {
            cache
                .foreign_keys
                .iter()
                .filter(|f| f.name == name)
                .map(|f| {
                    format!(
                        "{}{:?} -> {}{:?}",
                        f.table, f.columns, f.referenced, f.referenced_columns
                    )
                })
                .collect()
        };
        // A key between private tables relates the api views over them; a key column shown twice gives
        // one relationship per column.
        assert_eq!(
            pairs("shelf_items_shelf_id_fkey"),
            [
                r#"api.shelf_items["shelf_copy"] -> api.shelves["shelf_no"]"#,
                r#"api.shelf_items["shelf_id"] -> api.shelves["shelf_no"]"#,
                r#"api.shelf_items["shelf_copy"] -> api.shelves_again["shelf_no"]"#,
                r#"api.shelf_items["shelf_id"] -> api.shelves_again["shelf_no"]"#,
                r#"api.shelf_items["shelf_copy"] -> api.with_subquery["shelf_no"]"#,
                r#"api.shelf_items["shelf_id"] -> api.with_subquery["shelf_no"]"#,
                r#"private.shelf_items["shelf_id"] -> private.shelves["id"]"#,
            ]
        );
        // Table to table, view to table, table to view and view to view.
        assert_eq!(
            pairs("editions_book_fk"),
            [
                r#"api.editions["book_id"] -> api.books["id"]"#,
                r#"api.editions["book_id"] -> api.simple_books["id"]"#
            ]
        );
        let books = pairs("books_author_id_fkey");
        assert_eq!(books.len(), 12);
        assert!(books.contains(&r#"api.simple_books["author_id"] -> api.trigger_view["id"]"#.to_string()));
        assert!(books.contains(&r#"api.books["author_id"] -> api.author_names["id"]"#.to_string()));
        // Derived keys keep the key's cardinality.
        assert!(cache
            .foreign_keys
            .iter()
            .filter(|f| f.name == "author_profiles_author_id_fkey")
            .all(|f| f.one_to_one && f.table.name == "author_profiles"));
        assert_eq!(pairs("author_profiles_author_id_fkey").len(), 4);
    }

    #[test]
    fn fixture_routines() {
        let cache = fixture();
        let mut names: Vec<&str> = cache.routines.keys().map(|k| k.name.as_str()).collect();
        names.sort_unstable();
        // Not: procedures, aggregates, window and trigger functions, functions of other schemas, functions
        // with several unnamed parameters or one unnamed parameter of another type than bytea, json, jsonb,
        // text or xml (raw_int, two_unnamed, book_author).
        assert_eq!(
            names,
            [
                "Quoted Fn",
                "add",
                "char_param",
                "get_books",
                "get_table",
                "mixed_unnamed",
                "no_args",
                "out_params",
                "raw_json",
                "raw_text",
                "ret_domain",
                "ret_pair",
                "ret_pair_d",
                "ret_record",
                "single_out",
                "ts",
                "variadic_f",
                "with_settings"
            ]
        );
        let one = |n: &str| {
            let overloads = cache.routine("api", n).unwrap();
            assert_eq!(overloads.len(), 1, "{n}");
            &overloads[0]
        };
        let param = |name: &str, data_type: &str, required: bool, variadic: bool| RoutineParam {
            name: name.into(),
            data_type: data_type.into(),
            required,
            variadic,
        };
        let ret = |schema: &str, name: &str, is_setof: bool, is_composite: bool| RoutineReturn {
            type_name: qn(schema, name),
            is_setof,
            is_composite,
            is_composite_alias: false,
            media_type: None,
            media_binary: false,
        };

        let add = cache.routine("api", "add").unwrap();
        assert_eq!(add.len(), 2);
        let int_add = add.iter().find(|r| r.params[0].data_type == "integer").unwrap();
        assert_eq!(
            int_add.params,
            [
                param("a", "integer", true, false),
                param("b", "integer", false, false)
            ]
        );
        assert_eq!(int_add.description.as_deref(), Some("Adds"));
        assert_eq!(int_add.volatility, Volatility::Immutable);
        assert_eq!(int_add.returns, ret("pg_catalog", "int4", false, false));

        assert_eq!(one("no_args").returns, ret("pg_catalog", "void", false, false));
        assert!(one("no_args").params.is_empty());
        assert_eq!(one("get_books").returns, ret("api", "books", true, true));
        assert_eq!(one("get_books").volatility, Volatility::Stable);
        assert_eq!(one("get_table").params, [param("n", "integer", true, false)]);
        assert_eq!(one("get_table").returns, ret("pg_catalog", "record", true, true));
        // IN a, OUT b, INOUT c: the parameters are a and c.
        assert_eq!(
            one("out_params").params,
            [
                param("a", "integer", true, false),
                param("c", "text", true, false)
            ]
        );
        assert_eq!(
            one("out_params").returns,
            ret("pg_catalog", "record", false, true)
        );
        assert_eq!(one("single_out").returns, ret("pg_catalog", "int4", false, true));
        assert_eq!(one("variadic_f").params, [param("v", "integer[]", true, true)]);
        assert!(one("variadic_f").has_variadic());
        assert_eq!(one("raw_json").params, [param("", "json", true, false)]);
        assert_eq!(one("raw_text").params, [param("", "text", true, false)]);
        // An empty name in proargnames counts as a name, as in PostgREST.
        assert_eq!(
            one("mixed_unnamed").params,
            [param("a", "text", true, false), param("", "text", true, false)]
        );
        assert_eq!(
            one("with_settings").settings,
            [
                ("statement_timeout".to_string(), "5s".to_string()),
                (
                    "default_transaction_isolation".to_string(),
                    "serializable".to_string()
                ),
                ("search_path".to_string(), "api, public".to_string())
            ]
        );
        assert_eq!(
            one("with_settings").isolation_level().as_deref(),
            Some("serializable")
        );
        // A domain result is its base type; a domain over a composite is a composite alias.
        assert_eq!(
            one("ret_domain").returns,
            ret("pg_catalog", "varchar", false, false)
        );
        assert_eq!(
            one("ret_pair_d").returns,
            RoutineReturn {
                is_composite_alias: true,
                ..ret("api", "pair", false, true)
            }
        );
        assert_eq!(one("ret_pair").returns, ret("api", "pair", true, true));
        assert_eq!(
            one("ret_record").returns,
            ret("pg_catalog", "record", false, false)
        );
        let char_param = one("char_param");
        let types: Vec<&str> = char_param.params.iter().map(|p| p.data_type.as_str()).collect();
        assert_eq!(types, ["character", "bit", "character varying", "api.mood"]);
        let lenient: Vec<&str> = char_param.params.iter().map(|p| p.lenient_type()).collect();
        assert_eq!(
            lenient,
            [
                "character varying",
                "bit varying",
                "character varying",
                "api.mood"
            ]
        );
        let ts: Vec<&str> = one("ts").params.iter().map(|p| p.data_type.as_str()).collect();
        assert_eq!(ts, ["timestamp without time zone", "numeric[]"]);
        assert_eq!(one("Quoted Fn").params, [param("My Arg", "integer", true, false)]);
    }

    #[test]
    fn fixture_hints() {
        let cache = fixture();
        assert_eq!(cache.closest_table("api", "author"), Some("authors"));
        assert_eq!(cache.closest_table("api", "AUTHORS"), Some("authors"));
        assert_eq!(cache.closest_table("api", "simple_book"), Some("simple_books"));
        assert_eq!(cache.closest_table("api", "weird name"), Some("Weird Name"));
        assert_eq!(cache.closest_table("api", "zzzzzz"), None);
        assert_eq!(cache.closest_table("private", "secrets"), None);
        assert_eq!(cache.closest_routine("api", "get_book"), Some("get_books"));
        assert_eq!(cache.closest_routine("api", "addd"), Some("add"));
        assert_eq!(
            cache
                .closest_routine_params("api", "add", &["a", "bb"])
                .as_deref(),
            Some("(a, b)")
        );
        assert_eq!(cache.closest_routine_params("api", "nope", &["a"]), None);
    }
}
