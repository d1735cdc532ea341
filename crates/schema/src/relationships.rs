//! Relationships between exposed relations (from foreign keys, junction tables and computed-relationship
//! functions) and PostgREST's rules for choosing one for an embed, with its PGRST200/PGRST201 errors.
//!
//! The relationships are PostgREST's (`SchemaCache.hs`): each foreign key between exposed relations, views'
//! copies included (see `SchemaCache::foreign_keys`), gives a many-to-one relationship, or a one-to-one when its
//! columns are a primary key or unique constraint, and the inverse one-to-many (one-to-one) relationship. Two
//! different many-to-one keys of one relation whose columns are all in its primary key make it a junction: a
//! many-to-many relationship between the two referenced relations, both ways. A computed relationship (a
//! function of the source's row type returning the target's) replaces every detected relationship from its
//! source to the relation that has the function's schema and name. Each relation's relationships are kept
//! in PostgREST's order (its derived `Ord`), the order of ambiguity errors.

use crate::fuzzy;
use crate::model::{ForeignKey, QualifiedName, SchemaCache};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

/// A junction table linking two relations (many-to-many).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Junction {
    pub table: QualifiedName,
    /// The foreign key from the junction to the source relation.
    pub constraint_source: String,
    /// The foreign key from the junction to the target relation.
    pub constraint_target: String,
    /// (source column, junction column) pairs.
    pub source_columns: Vec<(String, String)>,
    /// (junction column, target column) pairs.
    pub target_columns: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cardinality {
    /// The source holds the foreign key (source rows point to one target row).
    ManyToOne,
    /// The target holds the foreign key.
    OneToMany,
    /// A foreign key that is also unique; `source_holds_key` tells which side has it.
    OneToOne {
        source_holds_key: bool,
    },
    ManyToMany(Junction),
}

/// How a relationship is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelationshipKind {
    /// Through a foreign key constraint (or one a view inherits from its base table).
    ForeignKey {
        /// The key's name; empty for many-to-many (the junction names its two keys).
        constraint: String,
        /// (source column, target column) pairs in key order; empty for many-to-many (see the junction).
        columns: Vec<(String, String)>,
    },
    /// A function taking the source's row type and returning the target (`SETOF`, or one row when `to_one`).
    /// The relationship's `cardinality` is then nominal: `ManyToOne` when `to_one`, else `OneToMany`.
    Computed { function: QualifiedName, to_one: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    pub source: QualifiedName,
    pub target: QualifiedName,
    pub cardinality: Cardinality,
    pub kind: RelationshipKind,
}

impl Relationship {
    /// Whether an embed of this relationship yields one object (or null) rather than an array.
    pub fn is_to_one(&self) -> bool {
        match (&self.kind, &self.cardinality) {
            (RelationshipKind::Computed { to_one, .. }, _) => *to_one,
            (_, Cardinality::ManyToOne | Cardinality::OneToOne { .. }) => true,
            _ => false,
        }
    }

    /// A relationship of a relation with itself (PostgREST's `relIsSelf`): a self-referencing key, a view's
    /// copy of one between the view and itself, a junction linking a relation to itself, or a function
    /// returning its argument's type.
    pub fn is_self(&self) -> bool {
        self.source == self.target
    }

    pub fn is_computed(&self) -> bool {
        matches!(self.kind, RelationshipKind::Computed { .. })
    }

    /// The key's (source column, target column) pairs; empty for many-to-many and computed relationships.
    pub fn columns(&self) -> &[(String, String)] {
        match &self.kind {
            RelationshipKind::ForeignKey { columns, .. } => columns,
            RelationshipKind::Computed { .. } => &[],
        }
    }

    /// The key's name, for one-to-many, many-to-one and one-to-one relationships (many-to-many ones name
    /// their two keys in the junction).
    pub fn constraint(&self) -> Option<&str> {
        match (&self.kind, &self.cardinality) {
            (_, Cardinality::ManyToMany(_)) | (RelationshipKind::Computed { .. }, _) => None,
            (RelationshipKind::ForeignKey { constraint, .. }, _) => Some(constraint),
        }
    }

    /// The `(column, referenced column)` pair of a single-column key.
    fn single_column(&self) -> Option<(&str, &str)> {
        match self.constraint().map(|_| self.columns()) {
            Some([(column, referenced)]) => Some((column, referenced)),
            _ => None,
        }
    }
}

/// Why no single relationship fits an embed; carries what PostgREST's error bodies need.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RelationshipError {
    /// PGRST200, 400
    #[error("Could not find a relationship between '{parent}' and '{child}' in the schema cache")]
    NotFound {
        parent: String,
        child: String,
        hint: Option<String>,
        schema: String,
        /// "Perhaps you meant 'x' instead of 'y'." when a close name exists.
        suggestion: Option<String>,
    },
    /// PGRST201, 300
    #[error("Could not embed because more than one relationship was found for '{parent}' and '{child}'")]
    Ambiguous {
        parent: String,
        child: String,
        candidates: Vec<Relationship>,
    },
}

impl RelationshipError {
    /// The `details` field PostgREST sends (a string for PGRST200, an array of objects for PGRST201).
    pub fn details(&self) -> Value {
        match self {
            RelationshipError::NotFound {
                parent,
                child,
                hint,
                schema,
                ..
            } => {
                let using = hint
                    .as_deref()
                    .map(|h| format!(" using the hint '{h}'"))
                    .unwrap_or_default();
                Value::String(format!(
                    "Searched for a foreign key relationship between '{parent}' and '{child}'{using} in the \
                     schema '{schema}', but no matches were found."
                ))
            }
            RelationshipError::Ambiguous { candidates, .. } => {
                Value::Array(candidates.iter().map(compressed).collect())
            }
        }
    }

    /// The `hint` field PostgREST sends.
    pub fn hint(&self) -> Option<String> {
        match self {
            RelationshipError::NotFound { suggestion, .. } => suggestion.clone(),
            RelationshipError::Ambiguous {
                child, candidates, ..
            } => {
                let options: Vec<String> = candidates.iter().map(embed_hint).collect();
                Some(format!(
                    "Try changing '{child}' to one of the following: {}. Find the desired relationship in the \
                     'details' key.",
                    options.join(", ")
                ))
            }
        }
    }
}

/// One candidate of an ambiguous embed as PostgREST describes it (`compressedRel`); keys in the order
/// PostgREST's JSON encoder writes them. A computed relationship is never ambiguous in practice; PostgREST
/// writes `{}` for one.
fn compressed(rel: &Relationship) -> Value {
    let mut object = Map::new();
    if rel.is_computed() {
        return Value::Object(object);
    }
    let list = |columns: Vec<&str>| format!("({})", columns.join(", "));
    let (cardinality, relationship) = match &rel.cardinality {
        Cardinality::ManyToMany(j) => (
            "many-to-many",
            format!(
                "{} using {}{} and {}{}",
                j.table.name,
                j.constraint_source,
                list(j.source_columns.iter().map(|(_, jc)| jc.as_str()).collect()),
                j.constraint_target,
                list(j.target_columns.iter().map(|(jc, _)| jc.as_str()).collect()),
            ),
        ),
        other => {
            let name = match other {
                Cardinality::ManyToOne => "many-to-one",
                Cardinality::OneToMany => "one-to-many",
                _ => "one-to-one",
            };
            let columns = rel.columns();
            (
                name,
                format!(
                    "{} using {}{} and {}{}",
                    rel.constraint().unwrap_or_default(),
                    rel.source.name,
                    list(columns.iter().map(|(c, _)| c.as_str()).collect()),
                    rel.target.name,
                    list(columns.iter().map(|(_, c)| c.as_str()).collect()),
                ),
            )
        }
    };
    object.insert("cardinality".into(), Value::String(cardinality.into()));
    object.insert(
        "embedding".into(),
        Value::String(format!("{} with {}", rel.source.name, rel.target.name)),
    );
    object.insert("relationship".into(), Value::String(relationship));
    Value::Object(object)
}

/// `'target!key'` (or `'target!junction'`) as PostgREST's PGRST201 hint lists a candidate; empty for a
/// computed relationship, as there.
fn embed_hint(rel: &Relationship) -> String {
    let by = match (&rel.cardinality, rel.constraint()) {
        (Cardinality::ManyToMany(j), _) => &j.table.name,
        (_, Some(constraint)) => constraint,
        (_, None) => return String::new(),
    };
    format!("'{}!{}'", rel.target.name, by)
}

/// The relationships of every relation, by source, each list in PostgREST's order.
#[derive(Debug, Clone, Default)]
pub(crate) struct RelationshipIndex {
    by_source: HashMap<QualifiedName, Vec<Relationship>>,
}

/// The index, built once on first use; a cache changed after that needs `invalidate_relationships`.
#[derive(Clone, Default)]
pub(crate) struct RelationshipIndexCell(OnceLock<RelationshipIndex>);

impl fmt::Debug for RelationshipIndexCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.get() {
            Some(index) => write!(f, "RelationshipIndex({} relations)", index.by_source.len()),
            None => f.write_str("RelationshipIndex(not built)"),
        }
    }
}

impl RelationshipIndex {
    fn build(cache: &SchemaCache) -> RelationshipIndex {
        let exposed = |name: &QualifiedName| cache.tables.contains_key(name);
        // A computed relationship takes the place of all detected ones from its source to the relation named
        // like the function (schema included).
        let overridden: HashSet<(&QualifiedName, &QualifiedName)> = cache
            .computed_relationships
            .iter()
            .map(|c| (&c.source, &c.function))
            .collect();
        let mut index = RelationshipIndex {
            by_source: HashMap::with_capacity(cache.tables.len()),
        };
        let mut add = |rel: Relationship| {
            if overridden.is_empty() || !overridden.contains(&(&rel.source, &rel.target)) {
                index.add(rel);
            }
        };

        // Many-to-one keys: the candidates for junction keys.
        let mut many_to_one: Vec<&ForeignKey> = Vec::new();
        for fk in &cache.foreign_keys {
            // Keys with an end outside the exposed relations relate nothing (PostgREST's removeInternal);
            // partitions are not relations of the cache.
            if !exposed(&fk.table) || !exposed(&fk.referenced) {
                continue;
            }
            let pairs = |from: &[String], to: &[String]| -> Vec<(String, String)> {
                from.iter().cloned().zip(to.iter().cloned()).collect()
            };
            let (forward, backward) = if fk.one_to_one {
                (
                    Cardinality::OneToOne {
                        source_holds_key: true,
                    },
                    Cardinality::OneToOne {
                        source_holds_key: false,
                    },
                )
            } else {
                many_to_one.push(fk);
                (Cardinality::ManyToOne, Cardinality::OneToMany)
            };
            add(Relationship {
                source: fk.table.clone(),
                target: fk.referenced.clone(),
                cardinality: forward,
                kind: RelationshipKind::ForeignKey {
                    constraint: fk.name.clone(),
                    columns: pairs(&fk.columns, &fk.referenced_columns),
                },
            });
            add(Relationship {
                source: fk.referenced.clone(),
                target: fk.table.clone(),
                cardinality: backward,
                kind: RelationshipKind::ForeignKey {
                    constraint: fk.name.clone(),
                    columns: pairs(&fk.referenced_columns, &fk.columns),
                },
            });
        }

        // `foreign_keys` is sorted by relation already (decode sorts it), which makes this sort cheap.
        many_to_one.sort_by(|a, b| a.table.cmp(&b.table));
        for keys in many_to_one.chunk_by(|a, b| a.table == b.table) {
            let [first, _, ..] = keys else { continue };
            let Some(table) = cache.tables.get(&first.table) else {
                continue;
            };
            // Every column of both keys must be in the primary key (extra key columns are allowed); a unique
            // constraint does not make a junction.
            let primary_key: HashSet<&str> = table.primary_key.iter().map(String::as_str).collect();
            let in_key: Vec<&ForeignKey> = keys
                .iter()
                .copied()
                .filter(|fk| fk.columns.iter().all(|c| primary_key.contains(c.as_str())))
                .collect();
            for from in &in_key {
                for to in &in_key {
                    if from.name == to.name {
                        continue;
                    }
                    add(Relationship {
                        source: from.referenced.clone(),
                        target: to.referenced.clone(),
                        cardinality: Cardinality::ManyToMany(Junction {
                            table: first.table.clone(),
                            constraint_source: from.name.clone(),
                            constraint_target: to.name.clone(),
                            source_columns: from
                                .referenced_columns
                                .iter()
                                .cloned()
                                .zip(from.columns.iter().cloned())
                                .collect(),
                            target_columns: to
                                .columns
                                .iter()
                                .cloned()
                                .zip(to.referenced_columns.iter().cloned())
                                .collect(),
                        }),
                        kind: RelationshipKind::ForeignKey {
                            constraint: String::new(),
                            columns: Vec::new(),
                        },
                    });
                }
            }
        }

        for c in &cache.computed_relationships {
            index.add(Relationship {
                source: c.source.clone(),
                target: c.target.clone(),
                cardinality: if c.to_one {
                    Cardinality::ManyToOne
                } else {
                    Cardinality::OneToMany
                },
                kind: RelationshipKind::Computed {
                    function: c.function.clone(),
                    to_one: c.to_one,
                },
            });
        }
        for rels in index.by_source.values_mut() {
            rels.sort_by(postgrest_order);
        }
        index
    }

    fn add(&mut self, rel: Relationship) {
        match self.by_source.get_mut(&rel.source) {
            Some(rels) => rels.push(rel),
            None => {
                self.by_source.insert(rel.source.clone(), vec![rel]);
            }
        }
    }
}

/// PostgREST's derived `Ord` on relationships: key relationships before computed ones; then source, target,
/// whether it is a self relationship and the cardinality (one-to-many, many-to-one, one-to-one, many-to-many,
/// then key name and columns, or junction, its keys and columns). Its last fields, whether each end is a view,
/// follow from the ends. Computed ones by function, source, target, to-one.
fn postgrest_order(a: &Relationship, b: &Relationship) -> Ordering {
    match (&a.kind, &b.kind) {
        (RelationshipKind::ForeignKey { .. }, RelationshipKind::Computed { .. }) => Ordering::Less,
        (RelationshipKind::Computed { .. }, RelationshipKind::ForeignKey { .. }) => Ordering::Greater,
        (
            RelationshipKind::Computed {
                function: fa,
                to_one: oa,
            },
            RelationshipKind::Computed {
                function: fb,
                to_one: ob,
            },
        ) => fa
            .cmp(fb)
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.target.cmp(&b.target))
            .then_with(|| oa.cmp(ob))
            .then_with(|| a.is_self().cmp(&b.is_self())),
        (RelationshipKind::ForeignKey { .. }, RelationshipKind::ForeignKey { .. }) => a
            .source
            .cmp(&b.source)
            .then_with(|| a.target.cmp(&b.target))
            .then_with(|| a.is_self().cmp(&b.is_self()))
            .then_with(|| cardinality_order(a, b)),
    }
}

fn cardinality_order(a: &Relationship, b: &Relationship) -> Ordering {
    let rank = |c: &Cardinality| match c {
        Cardinality::OneToMany => 0,
        Cardinality::ManyToOne => 1,
        Cardinality::OneToOne { .. } => 2,
        Cardinality::ManyToMany(_) => 3,
    };
    let by_rank = rank(&a.cardinality).cmp(&rank(&b.cardinality));
    match (&a.cardinality, &b.cardinality) {
        (Cardinality::ManyToMany(ja), Cardinality::ManyToMany(jb)) => {
            // PostgREST keeps the target side as (target column, junction column) pairs.
            let target = |j: &Junction| -> Vec<(String, String)> {
                j.target_columns
                    .iter()
                    .map(|(jc, tc)| (tc.clone(), jc.clone()))
                    .collect()
            };
            ja.table
                .cmp(&jb.table)
                .then_with(|| ja.constraint_source.cmp(&jb.constraint_source))
                .then_with(|| ja.constraint_target.cmp(&jb.constraint_target))
                .then_with(|| ja.source_columns.cmp(&jb.source_columns))
                .then_with(|| target(ja).cmp(&target(jb)))
        }
        _ => by_rank
            .then_with(|| a.constraint().cmp(&b.constraint()))
            .then_with(|| a.columns().cmp(b.columns()))
            // PostgREST's `isParent` (false first) is the inverse of `source_holds_key`.
            .then_with(|| match (&a.cardinality, &b.cardinality) {
                (
                    Cardinality::OneToOne { source_holds_key: ha },
                    Cardinality::OneToOne { source_holds_key: hb },
                ) => hb.cmp(ha),
                _ => Ordering::Equal,
            }),
    }
}

impl SchemaCache {
    /// Builds the relationship index now rather than on first use (`decode` does).
    pub fn index_relationships(&self) {
        self.relationship_index();
    }

    /// Forgets the relationship index, which is built once: call after changing `tables`, `foreign_keys` or
    /// `computed_relationships` of a cache whose relationships were already asked for.
    pub fn invalidate_relationships(&mut self) {
        self.relationship_index = RelationshipIndexCell::default();
    }

    fn relationship_index(&self) -> &RelationshipIndex {
        self.relationship_index
            .0
            .get_or_init(|| RelationshipIndex::build(self))
    }

    /// Every relationship whose source is `source`, computed ones included, in PostgREST's order; targets
    /// may be in any exposed schema.
    pub fn relationships_from(&self, source: &QualifiedName) -> &[Relationship] {
        self.relationship_index()
            .by_source
            .get(source)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The one relationship an embed `child!hint` of `source` refers to, as PostgREST's `findRel` picks it:
    /// `child` names the target relation (or a foreign key / column as PostgREST allows), `hint` names a
    /// foreign key, a column or a junction table. `schema` is the request's schema.
    ///
    /// As PostgREST, only targets in `schema` are considered. `child` matches a computed relationship by
    /// function name (any hint then); a target relation by name; a key by name or a single-column key by its
    /// column when the target is not a view. With a hint, `child` must name the target and the hint a key, a
    /// column of a single-column key (either end) or the junction. For a self relationship, `child` naming
    /// the relation is the one-to-many side and the key's column the many-to-one side; with a hint, `child`
    /// must name the relation and the hint the referencing column, giving the one-to-many side.
    pub fn find_relationship(
        &self,
        source: &QualifiedName,
        child: &str,
        hint: Option<&str>,
        schema: &str,
    ) -> Result<&Relationship, RelationshipError> {
        let matches: Vec<&Relationship> = self
            .relationships_from(source)
            .iter()
            .filter(|r| r.target.schema == schema && self.embed_matches(r, child, hint))
            .collect();
        match matches.as_slice() {
            [] => Err(RelationshipError::NotFound {
                parent: source.name.clone(),
                child: child.to_owned(),
                hint: hint.map(str::to_owned),
                schema: schema.to_owned(),
                suggestion: self.no_relationship_suggestion(source, child, schema),
            }),
            [one] => Ok(one),
            several => Err(RelationshipError::Ambiguous {
                parent: source.name.clone(),
                child: child.to_owned(),
                candidates: several.iter().map(|r| (*r).clone()).collect(),
            }),
        }
    }

    /// PostgREST's filter in `findRel`.
    fn embed_matches(&self, rel: &Relationship, child: &str, hint: Option<&str>) -> bool {
        if let RelationshipKind::Computed { function, .. } = &rel.kind {
            return function.name == child;
        }
        let names_target = rel.target.name == child;
        let column = rel.single_column().map(|(c, _)| c);
        let referenced = rel.single_column().map(|(_, r)| r);
        let many_to_one = matches!(rel.cardinality, Cardinality::ManyToOne);
        let one_to_many = matches!(rel.cardinality, Cardinality::OneToMany);
        if rel.is_self() {
            // One key, two relationships: the table name picks the children, the column the parent.
            return match hint {
                None => (names_target && one_to_many) || (many_to_one && column == Some(child)),
                Some(h) => names_target && one_to_many && referenced == Some(h),
            };
        }
        match hint {
            None => {
                // A key or column names the embed only when the target is not a view (PostgREST #2238).
                let target_is_view = self.tables.get(&rel.target).is_some_and(|t| t.is_view());
                names_target
                    || (!target_is_view && (rel.constraint() == Some(child) || column == Some(child)))
            }
            Some(h) => {
                let junction = match &rel.cardinality {
                    Cardinality::ManyToMany(j) => j.table.name == h,
                    _ => false,
                };
                names_target
                    && (rel.constraint() == Some(h) || column == Some(h) || referenced == Some(h) || junction)
            }
        }
    }

    /// PostgREST's `noRelBetweenHint`: when `source` has relationships in `schema`, the target name closest to
    /// `child` (unless `child` is one, ignoring case); otherwise the relation with relationships in `schema`
    /// closest to the source's name.
    fn no_relationship_suggestion(
        &self,
        source: &QualifiedName,
        child: &str,
        schema: &str,
    ) -> Option<String> {
        let in_schema = |rels: &[Relationship]| rels.iter().any(|r| r.target.schema == schema);
        let rels = self.relationships_from(source);
        if in_schema(rels) {
            let targets = rels
                .iter()
                .filter(|r| r.target.schema == schema)
                .map(|r| r.target.name.as_str());
            let found = fuzzy::closest(targets, child)?;
            // An exact match scores 1, which PostgREST's hint leaves out.
            if found.to_lowercase() == child.to_lowercase() {
                return None;
            }
            Some(format!("Perhaps you meant '{found}' instead of '{child}'."))
        } else {
            let parents = self
                .relationship_index()
                .by_source
                .iter()
                .filter(|(_, rels)| in_schema(rels))
                .map(|(name, _)| name.name.as_str());
            let found = fuzzy::closest(parents, &source.name)?;
            Some(format!(
                "Perhaps you meant '{found}' instead of '{}'.",
                source.name
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ComputedRelationship, RelationKind, Table};
    use serde_json::json;

    fn qn(name: &str) -> QualifiedName {
        let (schema, name) = name.split_once('.').expect("schema.name");
        QualifiedName::new(schema, name)
    }

    /// A hand-built cache: relations without columns (relationships only need keys).
    #[derive(Default)]
    struct Db {
        cache: SchemaCache,
    }

    impl Db {
        fn relation(mut self, name: &str, kind: RelationKind, pk: &[&str]) -> Db {
            let q = qn(name);
            self.cache.tables.insert(
                q.clone(),
                Table {
                    schema: q.schema,
                    name: q.name,
                    kind,
                    description: None,
                    insertable: true,
                    updatable: true,
                    deletable: true,
                    primary_key: pk.iter().map(|s| s.to_string()).collect(),
                    columns: Vec::new(),
                },
            );
            self
        }

        fn table(self, name: &str, pk: &[&str]) -> Db {
            self.relation(name, RelationKind::Table, pk)
        }

        fn view(self, name: &str, pk: &[&str]) -> Db {
            self.relation(name, RelationKind::View, pk)
        }

        fn fk(self, name: &str, from: &str, columns: &[&str], to: &str, referenced: &[&str]) -> Db {
            self.key(name, from, columns, to, referenced, false)
        }

        fn unique_fk(self, name: &str, from: &str, columns: &[&str], to: &str, referenced: &[&str]) -> Db {
            self.key(name, from, columns, to, referenced, true)
        }

        fn key(
            mut self,
            name: &str,
            from: &str,
            columns: &[&str],
            to: &str,
            referenced: &[&str],
            one_to_one: bool,
        ) -> Db {
            let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
            self.cache.foreign_keys.push(ForeignKey {
                name: name.into(),
                table: qn(from),
                columns: strings(columns),
                referenced: qn(to),
                referenced_columns: strings(referenced),
                one_to_one,
            });
            self
        }

        fn computed(mut self, function: &str, source: &str, target: &str, to_one: bool) -> Db {
            self.cache.computed_relationships.push(ComputedRelationship {
                function: qn(function),
                source: qn(source),
                target: qn(target),
                to_one,
            });
            self
        }
    }

    fn cols(pairs: &[(String, String)], side: fn(&(String, String)) -> &String) -> String {
        pairs
            .iter()
            .map(|p| side(p).as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// One line per relationship: kind, key or junction, and the columns on each side.
    fn describe(r: &Relationship) -> String {
        let (s, t) = (&r.source, &r.target);
        match (&r.kind, &r.cardinality) {
            (RelationshipKind::Computed { function, to_one }, _) => {
                let n = if *to_one { "to-one" } else { "to-many" };
                format!("computed {function} ({n}): {s} -> {t}")
            }
            (_, Cardinality::ManyToMany(j)) => format!(
                "m2m {}[{}, {}]: {s}({}) -> {t}({})",
                j.table,
                j.constraint_source,
                j.constraint_target,
                cols(&j.source_columns, |p| &p.0),
                cols(&j.target_columns, |p| &p.1),
            ),
            (RelationshipKind::ForeignKey { constraint, columns }, card) => {
                let c = match card {
                    Cardinality::ManyToOne => "m2o",
                    Cardinality::OneToMany => "o2m",
                    Cardinality::OneToOne {
                        source_holds_key: true,
                    } => "o2o",
                    _ => "o2o-parent",
                };
                format!(
                    "{c} {constraint}: {s}({}) -> {t}({})",
                    cols(columns, |p| &p.0),
                    cols(columns, |p| &p.1)
                )
            }
        }
    }

    fn all_from(cache: &SchemaCache, source: &str) -> Vec<String> {
        cache
            .relationships_from(&qn(source))
            .iter()
            .map(describe)
            .collect()
    }

    /// `embed(cache, "api.films", "directors!hint")` in the source's schema: the relationship found, or the
    /// error code with the number of candidates.
    fn embed(cache: &SchemaCache, source: &str, embed: &str) -> String {
        let source = qn(source);
        let (child, hint) = match embed.split_once('!') {
            Some((c, h)) => (c, Some(h)),
            None => (embed, None),
        };
        match cache.find_relationship(&source, child, hint, &source.schema) {
            Ok(r) => describe(r),
            Err(RelationshipError::NotFound { .. }) => "PGRST200".into(),
            Err(RelationshipError::Ambiguous { candidates, .. }) => format!("PGRST201 x{}", candidates.len()),
        }
    }

    fn error(
        cache: &SchemaCache,
        source: &str,
        child: &str,
        hint: Option<&str>,
        schema: &str,
    ) -> RelationshipError {
        cache
            .find_relationship(&qn(source), child, hint, schema)
            .expect_err("no single relationship")
    }

    // ---- Hand-built caches ----

    fn films() -> SchemaCache {
        Db::default()
            .table("api.directors", &["id"])
            .table("api.films", &["id"])
            .table("api.technical_specs", &["film_id"])
            .fk(
                "films_director_id_fkey",
                "api.films",
                &["director_id"],
                "api.directors",
                &["id"],
            )
            .unique_fk(
                "technical_specs_film_id_fkey",
                "api.technical_specs",
                &["film_id"],
                "api.films",
                &["id"],
            )
            .cache
    }

    #[test]
    fn many_to_one_and_one_to_many() {
        let cache = films();
        assert_eq!(
            embed(&cache, "api.films", "directors"),
            "m2o films_director_id_fkey: api.films(director_id) -> api.directors(id)"
        );
        assert_eq!(
            embed(&cache, "api.directors", "films"),
            "o2m films_director_id_fkey: api.directors(id) -> api.films(director_id)"
        );
        assert!(cache
            .find_relationship(&qn("api.films"), "directors", None, "api")
            .unwrap()
            .is_to_one());
        assert!(!cache
            .find_relationship(&qn("api.directors"), "films", None, "api")
            .unwrap()
            .is_to_one());
        // The key's name and its column name the embed as well; so do they as hints.
        for e in [
            "films_director_id_fkey",
            "director_id",
            "directors!films_director_id_fkey",
            "directors!director_id",
            "directors!id",
        ] {
            assert_eq!(
                embed(&cache, "api.films", e),
                "m2o films_director_id_fkey: api.films(director_id) -> api.directors(id)",
                "{e}"
            );
        }
        assert_eq!(
            embed(&cache, "api.directors", "films!director_id"),
            "o2m films_director_id_fkey: api.directors(id) -> api.films(director_id)"
        );
        // The many-to-one side's column does not name the one-to-many embed, nor a wrong hint.
        assert_eq!(embed(&cache, "api.directors", "director_id"), "PGRST200");
        assert_eq!(embed(&cache, "api.films", "directors!nope"), "PGRST200");
        assert_eq!(embed(&cache, "api.films", "nope"), "PGRST200");
    }

    #[test]
    fn one_to_one_both_sides() {
        let cache = films();
        assert_eq!(
            embed(&cache, "api.technical_specs", "films"),
            "o2o technical_specs_film_id_fkey: api.technical_specs(film_id) -> api.films(id)"
        );
        assert_eq!(
            embed(&cache, "api.films", "technical_specs"),
            "o2o-parent technical_specs_film_id_fkey: api.films(id) -> api.technical_specs(film_id)"
        );
        assert!(cache
            .find_relationship(&qn("api.films"), "technical_specs", None, "api")
            .unwrap()
            .is_to_one());
        // One-to-one keys are never junction keys.
        let cache = Db::default()
            .table("api.a", &["id"])
            .table("api.b", &["id"])
            .table("api.j", &["a_id", "b_id"])
            .unique_fk("j_a", "api.j", &["a_id", "b_id"], "api.a", &["id", "x"])
            .fk("j_b", "api.j", &["b_id"], "api.b", &["id"])
            .cache;
        assert_eq!(embed(&cache, "api.a", "b"), "PGRST200");
    }

    #[test]
    fn composite_keys_in_key_order() {
        let cache = Db::default()
            .table("api.editions", &["no", "film_id"])
            .table("api.printings", &["id"])
            .fk(
                "printings_edition_fkey",
                "api.printings",
                &["edition_film", "edition_no"],
                "api.editions",
                &["film_id", "no"],
            )
            .cache;
        assert_eq!(
            embed(&cache, "api.printings", "editions"),
            "m2o printings_edition_fkey: api.printings(edition_film, edition_no) -> api.editions(film_id, no)"
        );
        assert_eq!(
            embed(&cache, "api.editions", "printings"),
            "o2m printings_edition_fkey: api.editions(film_id, no) -> api.printings(edition_film, edition_no)"
        );
        // A column of a composite key names nothing; the key's name does.
        assert_eq!(embed(&cache, "api.printings", "edition_film"), "PGRST200");
        assert_eq!(embed(&cache, "api.printings", "editions!edition_no"), "PGRST200");
        assert_eq!(
            embed(&cache, "api.printings", "printings_edition_fkey"),
            "m2o printings_edition_fkey: api.printings(edition_film, edition_no) -> api.editions(film_id, no)"
        );
    }

    fn actors() -> Db {
        Db::default()
            .table("api.actors", &["id"])
            .table("api.films", &["id"])
            // Junction: both keys in the primary key, with another column.
            .table("api.roles", &["actor_id", "film_id", "character"])
            .fk(
                "roles_actor_id_fkey",
                "api.roles",
                &["actor_id"],
                "api.actors",
                &["id"],
            )
            .fk(
                "roles_film_id_fkey",
                "api.roles",
                &["film_id"],
                "api.films",
                &["id"],
            )
    }

    #[test]
    fn many_to_many_through_a_junction() {
        let cache = actors().cache;
        assert_eq!(
            embed(&cache, "api.actors", "films"),
            "m2m api.roles[roles_actor_id_fkey, roles_film_id_fkey]: api.actors(id) -> api.films(id)"
        );
        assert_eq!(
            embed(&cache, "api.films", "actors!roles"),
            "m2m api.roles[roles_film_id_fkey, roles_actor_id_fkey]: api.films(id) -> api.actors(id)"
        );
        let rel = cache
            .find_relationship(&qn("api.films"), "actors", None, "api")
            .unwrap();
        assert!(!rel.is_to_one());
        let Cardinality::ManyToMany(j) = &rel.cardinality else {
            panic!("{rel:?}")
        };
        assert_eq!(j.source_columns, [("id".to_string(), "film_id".to_string())]);
        assert_eq!(j.target_columns, [("actor_id".to_string(), "id".to_string())]);
        // The junction itself is embedded through its keys.
        assert_eq!(
            all_from(&cache, "api.actors"),
            [
                "m2m api.roles[roles_actor_id_fkey, roles_film_id_fkey]: api.actors(id) -> api.films(id)",
                "o2m roles_actor_id_fkey: api.actors(id) -> api.roles(actor_id)"
            ]
        );
    }

    #[test]
    fn tables_that_are_not_junctions() {
        // Keys outside the primary key; keys covered by a unique constraint only (no primary key); one key in
        // the primary key and one outside.
        let cache = Db::default()
            .table("api.films", &["id"])
            .table("api.competitions", &["id"])
            .table("api.nominations", &["id"])
            .fk("n_film", "api.nominations", &["film_id"], "api.films", &["id"])
            .fk(
                "n_comp",
                "api.nominations",
                &["competition_id"],
                "api.competitions",
                &["id"],
            )
            .table("api.likes", &[])
            .fk("l_film", "api.likes", &["film_id"], "api.films", &["id"])
            .fk(
                "l_comp",
                "api.likes",
                &["competition_id"],
                "api.competitions",
                &["id"],
            )
            .table("api.half", &["film_id"])
            .fk("h_film", "api.half", &["film_id"], "api.films", &["id"])
            .fk(
                "h_comp",
                "api.half",
                &["competition_id"],
                "api.competitions",
                &["id"],
            )
            .cache;
        assert_eq!(embed(&cache, "api.films", "competitions"), "PGRST200");
        assert_eq!(embed(&cache, "api.competitions", "films"), "PGRST200");
        assert_eq!(all_from(&cache, "api.films").len(), 3);
    }

    #[test]
    fn many_to_many_with_composite_keys() {
        // PostgREST #1592.
        let cache = Db::default()
            .table("api.test_a", &["id1", "id2"])
            .table("api.test_b", &["id1", "id2"])
            .table("api.test_lnk", &["a1", "a2", "b1", "b2"])
            .fk(
                "fk_test_a",
                "api.test_lnk",
                &["a1", "a2"],
                "api.test_a",
                &["id1", "id2"],
            )
            .fk(
                "fk_test_b",
                "api.test_lnk",
                &["b1", "b2"],
                "api.test_b",
                &["id1", "id2"],
            )
            .cache;
        assert_eq!(
            embed(&cache, "api.test_a", "test_b"),
            "m2m api.test_lnk[fk_test_a, fk_test_b]: api.test_a(id1, id2) -> api.test_b(id1, id2)"
        );
        let rel = cache
            .find_relationship(&qn("api.test_b"), "test_a", None, "api")
            .unwrap();
        let Cardinality::ManyToMany(j) = &rel.cardinality else {
            panic!("{rel:?}")
        };
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
        };
        assert_eq!(j.source_columns, pairs(&[("id1", "b1"), ("id2", "b2")]));
        assert_eq!(j.target_columns, pairs(&[("a1", "id1"), ("a2", "id2")]));
    }

    #[test]
    fn self_reference_both_directions() {
        let cache = Db::default()
            .table("api.family_tree", &["id"])
            .fk(
                "family_tree_parent_fkey",
                "api.family_tree",
                &["parent"],
                "api.family_tree",
                &["id"],
            )
            .cache;
        // The column gives the parent; the table name the children; the table with the column as hint the
        // children too.
        assert_eq!(
            embed(&cache, "api.family_tree", "parent"),
            "m2o family_tree_parent_fkey: api.family_tree(parent) -> api.family_tree(id)"
        );
        assert_eq!(
            embed(&cache, "api.family_tree", "family_tree"),
            "o2m family_tree_parent_fkey: api.family_tree(id) -> api.family_tree(parent)"
        );
        assert_eq!(
            embed(&cache, "api.family_tree", "family_tree!parent"),
            "o2m family_tree_parent_fkey: api.family_tree(id) -> api.family_tree(parent)"
        );
        assert!(cache
            .relationships_from(&qn("api.family_tree"))
            .iter()
            .all(Relationship::is_self));
        // The key's name, the referenced column as hint or as target name nothing for a self relationship.
        assert_eq!(
            embed(&cache, "api.family_tree", "family_tree_parent_fkey"),
            "PGRST200"
        );
        assert_eq!(embed(&cache, "api.family_tree", "family_tree!id"), "PGRST200");
        assert_eq!(
            embed(&cache, "api.family_tree", "family_tree!family_tree_parent_fkey"),
            "PGRST200"
        );
    }

    #[test]
    fn two_self_references() {
        let cache = Db::default()
            .table("api.organizations", &["id"])
            .fk(
                "organizations_referee_fkey",
                "api.organizations",
                &["referee"],
                "api.organizations",
                &["id"],
            )
            .fk(
                "organizations_auditor_fkey",
                "api.organizations",
                &["auditor"],
                "api.organizations",
                &["id"],
            )
            .cache;
        assert_eq!(
            embed(&cache, "api.organizations", "referee"),
            "m2o organizations_referee_fkey: api.organizations(referee) -> api.organizations(id)"
        );
        assert_eq!(
            embed(&cache, "api.organizations", "organizations!auditor"),
            "o2m organizations_auditor_fkey: api.organizations(id) -> api.organizations(auditor)"
        );
        assert_eq!(embed(&cache, "api.organizations", "organizations"), "PGRST201 x2");
    }

    #[test]
    fn self_reference_on_a_view() {
        // A view over a private table with a self reference: the view's copy relates it to itself.
        let cache = Db::default()
            .view("api.job", &["id"])
            .fk(
                "job_parent_id_fkey",
                "api.job",
                &["parent_id"],
                "api.job",
                &["id"],
            )
            .cache;
        assert_eq!(
            embed(&cache, "api.job", "parent_id"),
            "m2o job_parent_id_fkey: api.job(parent_id) -> api.job(id)"
        );
        assert_eq!(
            embed(&cache, "api.job", "job!parent_id"),
            "o2m job_parent_id_fkey: api.job(id) -> api.job(parent_id)"
        );
    }

    #[test]
    fn self_many_to_many_is_not_embeddable() {
        // PostgREST's findRel only matches the one-to-many and many-to-one sides of self relationships.
        let cache = Db::default()
            .table("api.users", &["id"])
            .table("api.friends", &["a", "b"])
            .fk("friends_a", "api.friends", &["a"], "api.users", &["id"])
            .fk("friends_b", "api.friends", &["b"], "api.users", &["id"])
            .cache;
        let m2m: Vec<String> = all_from(&cache, "api.users")
            .into_iter()
            .filter(|d| d.starts_with("m2m"))
            .collect();
        assert_eq!(
            m2m,
            [
                "m2m api.friends[friends_a, friends_b]: api.users(id) -> api.users(id)",
                "m2m api.friends[friends_b, friends_a]: api.users(id) -> api.users(id)"
            ]
        );
        assert_eq!(embed(&cache, "api.users", "users"), "PGRST200");
        assert_eq!(embed(&cache, "api.users", "users!friends"), "PGRST200");
        assert_eq!(embed(&cache, "api.users", "friends"), "PGRST201 x2");
    }

    #[test]
    fn views_inherit_keys() {
        // The copies decode makes of a key for the views showing its columns (a view of a view too).
        let cache = Db::default()
            .table("api.directors", &["id"])
            .table("api.films", &["id"])
            .view("api.films_view", &["id"])
            .view("api.films_view_again", &["film_no"])
            .fk(
                "films_director_id_fkey",
                "api.films",
                &["director_id"],
                "api.directors",
                &["id"],
            )
            .fk(
                "films_director_id_fkey",
                "api.films_view",
                &["director_id"],
                "api.directors",
                &["id"],
            )
            .fk(
                "films_director_id_fkey",
                "api.films_view_again",
                &["made_by"],
                "api.directors",
                &["id"],
            )
            .cache;
        assert_eq!(
            embed(&cache, "api.films_view_again", "directors"),
            "m2o films_director_id_fkey: api.films_view_again(made_by) -> api.directors(id)"
        );
        assert_eq!(
            embed(&cache, "api.films_view_again", "made_by"),
            "m2o films_director_id_fkey: api.films_view_again(made_by) -> api.directors(id)"
        );
        assert_eq!(
            embed(&cache, "api.directors", "films_view"),
            "o2m films_director_id_fkey: api.directors(id) -> api.films_view(director_id)"
        );
        // The key's name or column does not name an embed whose target is a view (PostgREST #2238): here
        // only the table is left.
        assert_eq!(
            embed(&cache, "api.directors", "films_director_id_fkey"),
            "o2m films_director_id_fkey: api.directors(id) -> api.films(director_id)"
        );
        // With the view named, the key's name disambiguates.
        assert_eq!(
            embed(&cache, "api.directors", "films_view!films_director_id_fkey"),
            "o2m films_director_id_fkey: api.directors(id) -> api.films_view(director_id)"
        );
    }

    #[test]
    fn keys_with_an_end_outside_the_exposed_relations_relate_nothing() {
        let cache = Db::default()
            .table("api.films", &["id"])
            .table("api.tags", &["id"])
            .fk(
                "to_private",
                "api.films",
                &["secret_id"],
                "private.secrets",
                &["id"],
            )
            // A junction in a schema that is not exposed.
            .fk(
                "film_tags_film",
                "private.film_tags",
                &["film_id"],
                "api.films",
                &["id"],
            )
            .fk(
                "film_tags_tag",
                "private.film_tags",
                &["tag_id"],
                "api.tags",
                &["id"],
            )
            .cache;
        assert!(cache.relationships_from(&qn("api.films")).is_empty());
        assert_eq!(embed(&cache, "api.films", "tags"), "PGRST200");
        assert!(cache.relationships_from(&qn("private.film_tags")).is_empty());
    }

    #[test]
    fn cross_schema() {
        let cache = Db::default()
            .table("api.films", &["id"])
            .table("other.reviews", &["id"])
            .fk(
                "reviews_film_id_fkey",
                "other.reviews",
                &["film_id"],
                "api.films",
                &["id"],
            )
            .cache;
        assert_eq!(
            all_from(&cache, "api.films"),
            ["o2m reviews_film_id_fkey: api.films(id) -> other.reviews(film_id)"]
        );
        // As PostgREST, an embed only finds targets in the request's schema.
        assert!(cache
            .find_relationship(&qn("api.films"), "reviews", None, "api")
            .is_err());
        assert_eq!(
            describe(
                cache
                    .find_relationship(&qn("api.films"), "reviews", None, "other")
                    .unwrap()
            ),
            "o2m reviews_film_id_fkey: api.films(id) -> other.reviews(film_id)"
        );
        assert!(cache
            .find_relationship(&qn("other.reviews"), "films", None, "other")
            .is_err());
    }

    #[test]
    fn computed_relationships() {
        let cache = Db::default()
            .table("api.clients", &["id"])
            .table("api.projects", &["id"])
            .fk(
                "projects_client_id_fkey",
                "api.projects",
                &["client_id"],
                "api.clients",
                &["id"],
            )
            .computed("api.computed_clients", "api.projects", "api.clients", true)
            .computed("api.computed_projects", "api.clients", "api.projects", false)
            .cache;
        assert_eq!(
            embed(&cache, "api.projects", "computed_clients"),
            "computed api.computed_clients (to-one): api.projects -> api.clients"
        );
        let to_many = cache
            .find_relationship(&qn("api.clients"), "computed_projects", None, "api")
            .unwrap();
        assert_eq!(
            describe(to_many),
            "computed api.computed_projects (to-many): api.clients -> api.projects"
        );
        assert!(!to_many.is_to_one() && to_many.is_computed() && to_many.columns().is_empty());
        // Any hint still finds the function; the target's name finds the key.
        assert_eq!(
            embed(&cache, "api.projects", "computed_clients!whatever"),
            "computed api.computed_clients (to-one): api.projects -> api.clients"
        );
        assert_eq!(
            embed(&cache, "api.projects", "clients"),
            "m2o projects_client_id_fkey: api.projects(client_id) -> api.clients(id)"
        );
        // Keys first, then functions.
        assert_eq!(
            all_from(&cache, "api.projects"),
            [
                "m2o projects_client_id_fkey: api.projects(client_id) -> api.clients(id)",
                "computed api.computed_clients (to-one): api.projects -> api.clients"
            ]
        );
    }

    #[test]
    fn computed_relationship_overrides_detected_ones() {
        // A function named like the target (same schema) replaces the key's relationships from that source.
        let cache = Db::default()
            .table("api.clients", &["id"])
            .table("api.projects", &["id"])
            .fk(
                "projects_client_id_fkey",
                "api.projects",
                &["client_id"],
                "api.clients",
                &["id"],
            )
            .computed("api.clients", "api.projects", "api.clients", false)
            .cache;
        assert_eq!(
            all_from(&cache, "api.projects"),
            ["computed api.clients (to-many): api.projects -> api.clients"]
        );
        assert_eq!(
            embed(&cache, "api.projects", "clients!projects_client_id_fkey"),
            "computed api.clients (to-many): api.projects -> api.clients"
        );
        assert_eq!(embed(&cache, "api.projects", "client_id"), "PGRST200");
        // The other direction is untouched.
        assert_eq!(
            embed(&cache, "api.clients", "projects"),
            "o2m projects_client_id_fkey: api.clients(id) -> api.projects(client_id)"
        );
        // A function of the same name in another schema overrides nothing.
        let cache = Db::default()
            .table("api.clients", &["id"])
            .table("api.projects", &["id"])
            .fk(
                "projects_client_id_fkey",
                "api.projects",
                &["client_id"],
                "api.clients",
                &["id"],
            )
            .computed("other.clients", "api.projects", "api.clients", true)
            .cache;
        assert_eq!(embed(&cache, "api.projects", "clients"), "PGRST201 x2");
        // Many-to-many relationships are overridden too.
        let cache = actors()
            .computed("api.films", "api.actors", "api.films", false)
            .cache;
        assert_eq!(
            all_from(&cache, "api.actors"),
            [
                "o2m roles_actor_id_fkey: api.actors(id) -> api.roles(actor_id)",
                "computed api.films (to-many): api.actors -> api.films"
            ]
        );
    }

    #[test]
    fn ambiguous_pairs_resolved_by_key_and_column() {
        let cache = Db::default()
            .table("api.addresses", &["id"])
            .table("api.orders", &["id"])
            .fk(
                "billing",
                "api.orders",
                &["billing_address_id"],
                "api.addresses",
                &["id"],
            )
            .fk(
                "shipping",
                "api.orders",
                &["shipping_address_id"],
                "api.addresses",
                &["id"],
            )
            .cache;
        assert_eq!(embed(&cache, "api.orders", "addresses"), "PGRST201 x2");
        assert_eq!(embed(&cache, "api.addresses", "orders"), "PGRST201 x2");
        let billing = "m2o billing: api.orders(billing_address_id) -> api.addresses(id)";
        let shipping = "m2o shipping: api.orders(shipping_address_id) -> api.addresses(id)";
        assert_eq!(embed(&cache, "api.orders", "addresses!billing"), billing);
        assert_eq!(
            embed(&cache, "api.orders", "addresses!billing_address_id"),
            billing
        );
        assert_eq!(embed(&cache, "api.orders", "billing"), billing);
        assert_eq!(embed(&cache, "api.orders", "billing_address_id"), billing);
        assert_eq!(embed(&cache, "api.orders", "addresses!shipping"), shipping);
        assert_eq!(embed(&cache, "api.orders", "shipping_address_id"), shipping);
        assert_eq!(
            embed(&cache, "api.addresses", "orders!shipping_address_id"),
            "o2m shipping: api.addresses(id) -> api.orders(shipping_address_id)"
        );
        // The referenced column is on both keys.
        assert_eq!(embed(&cache, "api.orders", "addresses!id"), "PGRST201 x2");
    }

    // ---- PostgREST's error bodies (test/spec/Feature/Query/EmbedDisambiguationSpec.hs) ----

    #[test]
    fn ambiguous_one_to_many_and_many_to_one() {
        let cache = Db::default()
            .table("test.agents", &["id"])
            .table("test.departments", &["id"])
            .fk(
                "agents_department_id_fkey",
                "test.agents",
                &["department_id"],
                "test.departments",
                &["id"],
            )
            .fk(
                "departments_head_id_fkey",
                "test.departments",
                &["head_id"],
                "test.agents",
                &["id"],
            )
            .cache;
        let err = error(&cache, "test.agents", "departments", None, "test");
        assert_eq!(
            err.to_string(),
            "Could not embed because more than one relationship was found for 'agents' and 'departments'"
        );
        assert_eq!(
            err.details(),
            json!([
                {
                    "cardinality": "one-to-many",
                    "relationship": "departments_head_id_fkey using agents(id) and departments(head_id)",
                    "embedding": "agents with departments"
                },
                {
                    "cardinality": "many-to-one",
                    "relationship": "agents_department_id_fkey using agents(department_id) and departments(id)",
                    "embedding": "agents with departments"
                }
            ])
        );
        assert_eq!(
            err.hint().as_deref(),
            Some(
                "Try changing 'departments' to one of the following: 'departments!departments_head_id_fkey', \
                 'departments!agents_department_id_fkey'. Find the desired relationship in the 'details' key."
            )
        );
        // Keys in the order PostgREST's encoder writes them.
        assert_eq!(
            serde_json::to_string(&err.details()[0]).unwrap(),
            r#"{"cardinality":"one-to-many","embedding":"agents with departments","relationship":"departments_head_id_fkey using agents(id) and departments(head_id)"}"#
        );
    }

    #[test]
    fn ambiguous_many_to_one_and_many_to_many() {
        // main_jobs is a view of the jobs junction: it is a junction too.
        let cache = Db::default()
            .table("test.sites", &["site_id"])
            .table("test.big_projects", &["big_project_id"])
            .table("test.jobs", &["site_id", "big_project_id"])
            .view("test.main_jobs", &["site_id", "big_project_id"])
            .fk(
                "main_project",
                "test.sites",
                &["main_project_id"],
                "test.big_projects",
                &["big_project_id"],
            )
            .fk(
                "jobs_site_id_fkey",
                "test.jobs",
                &["site_id"],
                "test.sites",
                &["site_id"],
            )
            .fk(
                "jobs_big_project_id_fkey",
                "test.jobs",
                &["big_project_id"],
                "test.big_projects",
                &["big_project_id"],
            )
            .fk(
                "jobs_site_id_fkey",
                "test.main_jobs",
                &["site_id"],
                "test.sites",
                &["site_id"],
            )
            .fk(
                "jobs_big_project_id_fkey",
                "test.main_jobs",
                &["big_project_id"],
                "test.big_projects",
                &["big_project_id"],
            )
            .cache;
        let err = error(&cache, "test.sites", "big_projects", None, "test");
        assert_eq!(
            err.details(),
            json!([
                {
                    "cardinality": "many-to-one",
                    "relationship": "main_project using sites(main_project_id) and big_projects(big_project_id)",
                    "embedding": "sites with big_projects"
                },
                {
                    "cardinality": "many-to-many",
                    "relationship": "jobs using jobs_site_id_fkey(site_id) and jobs_big_project_id_fkey(big_project_id)",
                    "embedding": "sites with big_projects"
                },
                {
                    "cardinality": "many-to-many",
                    "relationship": "main_jobs using jobs_site_id_fkey(site_id) and jobs_big_project_id_fkey(big_project_id)",
                    "embedding": "sites with big_projects"
                }
            ])
        );
        assert_eq!(
            err.hint().as_deref(),
            Some(
                "Try changing 'big_projects' to one of the following: 'big_projects!main_project', \
                 'big_projects!jobs', 'big_projects!main_jobs'. Find the desired relationship in the 'details' key."
            )
        );
        // By key, by column, by junction.
        assert_eq!(
            embed(&cache, "test.sites", "main_project"),
            "m2o main_project: test.sites(main_project_id) -> test.big_projects(big_project_id)"
        );
        assert_eq!(
            embed(&cache, "test.sites", "main_project_id"),
            "m2o main_project: test.sites(main_project_id) -> test.big_projects(big_project_id)"
        );
        assert_eq!(
            embed(&cache, "test.sites", "big_projects!main_jobs"),
            "m2m test.main_jobs[jobs_site_id_fkey, jobs_big_project_id_fkey]: test.sites(site_id) -> \
             test.big_projects(big_project_id)"
        );
    }

    #[test]
    fn ambiguous_junction_with_four_keys() {
        let cache = Db::default()
            .table("test.whatev_sites", &["id"])
            .table("test.whatev_projects", &["id"])
            .table(
                "test.whatev_jobs",
                &["site_id_1", "project_id_1", "site_id_2", "project_id_2"],
            )
            .fk(
                "whatev_jobs_site_id_1_fkey",
                "test.whatev_jobs",
                &["site_id_1"],
                "test.whatev_sites",
                &["id"],
            )
            .fk(
                "whatev_jobs_project_id_1_fkey",
                "test.whatev_jobs",
                &["project_id_1"],
                "test.whatev_projects",
                &["id"],
            )
            .fk(
                "whatev_jobs_site_id_2_fkey",
                "test.whatev_jobs",
                &["site_id_2"],
                "test.whatev_sites",
                &["id"],
            )
            .fk(
                "whatev_jobs_project_id_2_fkey",
                "test.whatev_jobs",
                &["project_id_2"],
                "test.whatev_projects",
                &["id"],
            )
            .cache;
        let err = error(&cache, "test.whatev_sites", "whatev_projects", None, "test");
        let rels: Vec<Value> = err
            .details()
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["relationship"].clone())
            .collect();
        assert_eq!(
            rels,
            [
                "whatev_jobs using whatev_jobs_site_id_1_fkey(site_id_1) and whatev_jobs_project_id_1_fkey(project_id_1)",
                "whatev_jobs using whatev_jobs_site_id_1_fkey(site_id_1) and whatev_jobs_project_id_2_fkey(project_id_2)",
                "whatev_jobs using whatev_jobs_site_id_2_fkey(site_id_2) and whatev_jobs_project_id_1_fkey(project_id_1)",
                "whatev_jobs using whatev_jobs_site_id_2_fkey(site_id_2) and whatev_jobs_project_id_2_fkey(project_id_2)"
            ]
        );
        assert_eq!(
            err.hint().as_deref(),
            Some(
                "Try changing 'whatev_projects' to one of the following: 'whatev_projects!whatev_jobs', \
                 'whatev_projects!whatev_jobs', 'whatev_projects!whatev_jobs', 'whatev_projects!whatev_jobs'. \
                 Find the desired relationship in the 'details' key."
            )
        );
        // The way out PostgREST shows: embed the junction by column, then spread the target by column.
        assert_eq!(
            embed(&cache, "test.whatev_sites", "whatev_jobs!site_id_2"),
            "o2m whatev_jobs_site_id_2_fkey: test.whatev_sites(id) -> test.whatev_jobs(site_id_2)"
        );
        assert_eq!(
            embed(&cache, "test.whatev_jobs", "whatev_projects!project_id_1"),
            "m2o whatev_jobs_project_id_1_fkey: test.whatev_jobs(project_id_1) -> test.whatev_projects(id)"
        );
    }

    #[test]
    fn ambiguous_one_to_one_and_view_columns() {
        let cache = Db::default()
            .table("test.first", &["id"])
            .table("test.second", &["id"])
            .unique_fk(
                "first_second_id_1_fkey",
                "test.first",
                &["second_id_1"],
                "test.second",
                &["id"],
            )
            .unique_fk(
                "first_second_id_2_fkey",
                "test.first",
                &["second_id_2"],
                "test.second",
                &["id"],
            )
            .cache;
        assert_eq!(
            error(&cache, "test.first", "second", None, "test").details(),
            json!([
                {"cardinality": "one-to-one", "embedding": "first with second",
                 "relationship": "first_second_id_1_fkey using first(second_id_1) and second(id)"},
                {"cardinality": "one-to-one", "embedding": "first with second",
                 "relationship": "first_second_id_2_fkey using first(second_id_2) and second(id)"}
            ])
        );
        // A view showing a composite key's columns twice each: one relationship per combination.
        let mut db = Db::default()
            .view("test.i2459_composite_v1", &["a", "b"])
            .view("test.i2459_composite_v2", &[]);
        for (a, b) in [
            ("t1_a2", "t1_b2"),
            ("t1_a1", "t1_b2"),
            ("t1_a2", "t1_b1"),
            ("t1_a1", "t1_b1"),
        ] {
            db = db.fk(
                "i2459_composite_t2_t1_a_t1_b_fkey",
                "test.i2459_composite_v2",
                &[a, b],
                "test.i2459_composite_v1",
                &["a", "b"],
            );
        }
        let err = error(
            &db.cache,
            "test.i2459_composite_v2",
            "i2459_composite_v1",
            None,
            "test",
        );
        let rels: Vec<Value> = err
            .details()
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["relationship"].clone())
            .collect();
        assert_eq!(
            rels,
            [
                "i2459_composite_t2_t1_a_t1_b_fkey using i2459_composite_v2(t1_a1, t1_b1) and i2459_composite_v1(a, b)",
                "i2459_composite_t2_t1_a_t1_b_fkey using i2459_composite_v2(t1_a1, t1_b2) and i2459_composite_v1(a, b)",
                "i2459_composite_t2_t1_a_t1_b_fkey using i2459_composite_v2(t1_a2, t1_b1) and i2459_composite_v1(a, b)",
                "i2459_composite_t2_t1_a_t1_b_fkey using i2459_composite_v2(t1_a2, t1_b2) and i2459_composite_v1(a, b)"
            ]
        );
    }

    #[test]
    fn ambiguous_computed_relationships() {
        // Two functions of one name in different schemas: PostgREST writes `{}` and an empty hint for each.
        let cache = Db::default()
            .table("api.a", &["id"])
            .table("api.b", &["id"])
            .computed("api.f", "api.a", "api.b", true)
            .computed("other.f", "api.a", "api.b", false)
            .cache;
        let err = error(&cache, "api.a", "f", None, "api");
        assert_eq!(err.details(), json!([{}, {}]));
        assert_eq!(
            err.hint().as_deref(),
            Some("Try changing 'f' to one of the following: , . Find the desired relationship in the 'details' key.")
        );
    }

    #[test]
    fn not_found_errors() {
        let cache = Db::default()
            .table("test.message", &["id"])
            .table("test.person", &["id"])
            .table("test.films", &["id"])
            .table("test.directors", &["id"])
            .table("test.roles", &["id"])
            .table("test.actors", &["id"])
            .fk(
                "message_sender_fkey",
                "test.message",
                &["sender"],
                "test.person",
                &["id"],
            )
            .fk(
                "films_director_fkey",
                "test.films",
                &["director_id"],
                "test.directors",
                &["id"],
            )
            .fk(
                "roles_film_fkey",
                "test.roles",
                &["film_id"],
                "test.films",
                &["id"],
            )
            .fk(
                "roles_actor_fkey",
                "test.roles",
                &["actor_id"],
                "test.actors",
                &["id"],
            )
            .cache;
        // A hint that matches nothing; both names exist, so no suggestion.
        let err = error(&cache, "test.message", "person", Some("space"), "test");
        assert_eq!(
            err.to_string(),
            "Could not find a relationship between 'message' and 'person' in the schema cache"
        );
        assert_eq!(
            err.details(),
            json!(
                "Searched for a foreign key relationship between 'message' and 'person' using the hint 'space' \
                 in the schema 'test', but no matches were found."
            )
        );
        assert_eq!(err.hint(), None);
        // PostgREST's noRelBetweenHint examples: a close parent, a close child.
        let err = error(&cache, "test.film", "directors", None, "test");
        assert_eq!(
            err.details(),
            json!(
                "Searched for a foreign key relationship between 'film' and 'directors' in the schema 'test', but \
                 no matches were found."
            )
        );
        assert_eq!(
            err.hint().as_deref(),
            Some("Perhaps you meant 'films' instead of 'film'.")
        );
        let err = error(&cache, "test.films", "role", None, "test");
        assert_eq!(
            err.hint().as_deref(),
            Some("Perhaps you meant 'roles' instead of 'role'.")
        );
        // An exact child (in any case) or nothing close: no suggestion.
        assert_eq!(
            error(&cache, "test.films", "ROLES", Some("x"), "test").hint(),
            None
        );
        assert_eq!(
            error(&cache, "test.noclosealternative", "roles", None, "test").hint(),
            None
        );
        assert_eq!(
            error(&cache, "test.films", "noclosealternative", None, "test").hint(),
            None
        );
        // Parents are the relations with relationships into the request's schema.
        assert_eq!(error(&cache, "test.films", "roles", None, "nope").hint(), None);
    }

    #[test]
    fn order_within_a_relation() {
        // Target, then cardinality (o2m, m2o, o2o, m2m), key name and columns, then views after tables.
        let cache = Db::default()
            .table("api.a", &["id"])
            .table("api.b", &["id"])
            .view("api.b_view", &["id"])
            .table("api.j", &["a_id", "b_id"])
            .unique_fk("a_b_one", "api.a", &["b_one"], "api.b", &["id"])
            .fk("a_b_z", "api.a", &["b_z"], "api.b", &["id"])
            .fk("a_b_y", "api.a", &["b_y"], "api.b", &["id"])
            .fk("b_a", "api.b", &["a_id"], "api.a", &["id"])
            .fk("a_b_y", "api.a", &["b_y"], "api.b_view", &["id"])
            .fk("j_a", "api.j", &["a_id"], "api.a", &["id"])
            .fk("j_b", "api.j", &["b_id"], "api.b", &["id"])
            .computed("api.c", "api.a", "api.b_view", true)
            .computed("api.a_b", "api.a", "api.b", false)
            .cache;
        assert_eq!(
            all_from(&cache, "api.a"),
            [
                "o2m b_a: api.a(id) -> api.b(a_id)",
                "m2o a_b_y: api.a(b_y) -> api.b(id)",
                "m2o a_b_z: api.a(b_z) -> api.b(id)",
                "o2o a_b_one: api.a(b_one) -> api.b(id)",
                "m2m api.j[j_a, j_b]: api.a(id) -> api.b(id)",
                "m2o a_b_y: api.a(b_y) -> api.b_view(id)",
                "o2m j_a: api.a(id) -> api.j(a_id)",
                "computed api.a_b (to-many): api.a -> api.b",
                "computed api.c (to-one): api.a -> api.b_view"
            ]
        );
    }

    #[test]
    fn index_is_built_once_and_can_be_invalidated() {
        let mut cache = films();
        assert_eq!(all_from(&cache, "api.films").len(), 2);
        cache.tables.remove(&qn("api.directors"));
        // Still the old index.
        assert_eq!(all_from(&cache, "api.films").len(), 2);
        cache.invalidate_relationships();
        assert_eq!(all_from(&cache, "api.films").len(), 1);
        // A copy keeps the index.
        let copy = cache.clone();
        assert_eq!(all_from(&copy, "api.films").len(), 1);
        assert!(format!("{cache:?}").contains("RelationshipIndex(2 relations)"));
        assert!(all_from(&SchemaCache::default(), "api.films").is_empty());
    }

    // ---- The schema cache document of a real database (testdata/relationships.sql) ----

    fn fixture() -> SchemaCache {
        crate::introspect::decode(include_str!("../testdata/relationships.json")).unwrap()
    }

    #[test]
    fn fixture_computed_relationships() {
        let cache = fixture();
        // api.directors(api.films) takes the place of the key films -> directors; film_director is to-one
        // by ROWS 1; private.best_film counts although its schema is not exposed.
        assert_eq!(
            all_from(&cache, "api.films")
                .into_iter()
                .filter(|d| d.contains("api.directors"))
                .collect::<Vec<_>>(),
            [
                "computed api.directors (to-one): api.films -> api.directors",
                "computed api.film_director (to-one): api.films -> api.directors"
            ]
        );
        assert_eq!(
            embed(&cache, "api.films", "directors"),
            "computed api.directors (to-one): api.films -> api.directors"
        );
        assert_eq!(embed(&cache, "api.films", "director_id"), "PGRST200");
        assert_eq!(
            embed(&cache, "api.directors", "director_films"),
            "computed api.director_films (to-many): api.directors -> api.films"
        );
        assert_eq!(
            embed(&cache, "api.directors", "best_film"),
            "computed private.best_film (to-one): api.directors -> api.films"
        );
        // Untouched: the other direction and the views' copies.
        assert_eq!(
            embed(&cache, "api.directors", "films"),
            "o2m films_director_id_fkey: api.directors(id) -> api.films(director_id)"
        );
        assert_eq!(
            embed(&cache, "api.films_view", "directors"),
            "m2o films_director_id_fkey: api.films_view(director_id) -> api.directors(id)"
        );
        // Not relationships: a composite type argument, two arguments, a result outside the exposed schemas.
        let functions: Vec<String> = cache
            .computed_relationships
            .iter()
            .map(|c| c.function.to_string())
            .collect();
        assert_eq!(
            functions,
            [
                "api.director_films",
                "api.directors",
                "api.film_director",
                "private.best_film"
            ]
        );
    }

    #[test]
    fn fixture_key_relationships() {
        let cache = fixture();
        assert_eq!(
            embed(&cache, "api.technical_specs", "films"),
            "o2o technical_specs_film_id_fkey: api.technical_specs(film_id) -> api.films(id)"
        );
        assert_eq!(
            embed(&cache, "api.films", "technical_specs"),
            "o2o-parent technical_specs_film_id_fkey: api.films(id) -> api.technical_specs(film_id)"
        );
        // The key over (pb, pa) against unique (pa, pb) is one-to-one.
        assert_eq!(
            embed(&cache, "api.pair_notes", "pairs"),
            "o2o pair_notes_pair_fkey: api.pair_notes(pb, pa) -> api.pairs(b, a)"
        );
        assert_eq!(
            embed(&cache, "api.printings", "editions"),
            "m2o printings_edition_fkey: api.printings(edition_film, edition_no) -> api.editions(film_id, no)"
        );
        assert_eq!(
            embed(&cache, "api.actors", "films"),
            "m2m api.roles[roles_actor_id_fkey, roles_film_id_fkey]: api.actors(id) -> api.films(id)"
        );
        assert_eq!(
            embed(&cache, "api.actors", "films_view_again"),
            "m2m api.roles[roles_actor_id_fkey, roles_film_id_fkey]: api.actors(id) -> api.films_view_again(film_no)"
        );
        // nominations and likes are not junctions; the private junction film_tags relates nothing.
        assert_eq!(embed(&cache, "api.films", "competitions"), "PGRST200");
        assert_eq!(embed(&cache, "api.actors", "competitions"), "PGRST200");
        assert_eq!(embed(&cache, "api.films", "tags"), "PGRST200");
        // Self references.
        assert_eq!(
            embed(&cache, "api.people", "parent_id"),
            "m2o people_parent_id_fkey: api.people(parent_id) -> api.people(id)"
        );
        assert_eq!(
            embed(&cache, "api.people", "people"),
            "o2m people_parent_id_fkey: api.people(id) -> api.people(parent_id)"
        );
        assert_eq!(
            embed(&cache, "api.organizations", "organizations!referee"),
            "o2m organizations_referee_fkey: api.organizations(id) -> api.organizations(referee)"
        );
        assert_eq!(embed(&cache, "api.organizations", "organizations"), "PGRST201 x2");
        // Two keys to addresses.
        assert_eq!(embed(&cache, "api.orders", "addresses"), "PGRST201 x2");
        assert_eq!(
            embed(&cache, "api.orders", "addresses!shipping"),
            "m2o shipping: api.orders(shipping_address_id) -> api.addresses(id)"
        );
        assert_eq!(
            embed(&cache, "api.orders", "addresses!billing_address_id"),
            "m2o billing: api.orders(billing_address_id) -> api.addresses(id)"
        );
        // A view of a view, through a renamed column.
        assert_eq!(
            embed(&cache, "api.films_view_again", "directors"),
            "m2o films_director_id_fkey: api.films_view_again(made_by) -> api.directors(id)"
        );
        // Cross-schema: found in the target's schema.
        assert_eq!(
            describe(
                cache
                    .find_relationship(&qn("api.films"), "reviews", None, "other")
                    .unwrap()
            ),
            "o2m reviews_film_id_fkey: api.films(id) -> other.reviews(film_id)"
        );
        assert_eq!(
            describe(
                cache
                    .find_relationship(&qn("other.reviews"), "films", None, "api")
                    .unwrap()
            ),
            "m2o reviews_film_id_fkey: other.reviews(film_id) -> api.films(id)"
        );
        // The partitioned table relates; its partition is nowhere.
        assert_eq!(
            embed(&cache, "api.measurements", "films"),
            "m2o measurements_film_id_fkey: api.measurements(film_id) -> api.films(id)"
        );
        let mut all = cache.relationship_index().by_source.values().flatten();
        assert!(all.all(|r| !r.source.name.contains("2020") && !r.target.name.contains("2020")));
    }

    #[test]
    fn fixture_errors() {
        let cache = fixture();
        let err = error(&cache, "api.orders", "addresses", None, "api");
        assert_eq!(
            err.details(),
            json!([
                {"cardinality": "many-to-one", "embedding": "orders with addresses",
                 "relationship": "billing using orders(billing_address_id) and addresses(id)"},
                {"cardinality": "many-to-one", "embedding": "orders with addresses",
                 "relationship": "shipping using orders(shipping_address_id) and addresses(id)"}
            ])
        );
        assert_eq!(
            err.hint().as_deref(),
            Some(
                "Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'. \
                 Find the desired relationship in the 'details' key."
            )
        );
        assert_eq!(
            error(&cache, "api.orders", "adresses", None, "api")
                .hint()
                .as_deref(),
            Some("Perhaps you meant 'addresses' instead of 'adresses'.")
        );
        assert_eq!(
            error(&cache, "api.order", "addresses", None, "api")
                .hint()
                .as_deref(),
            Some("Perhaps you meant 'orders' instead of 'order'.")
        );
    }
}
