//! Relationships between exposed relations (from foreign keys, junction tables and computed-relationship
//! functions) and PostgREST's rules for choosing one for an embed, with its PGRST200/PGRST201 errors.

use crate::{QualifiedName, SchemaCache};
use serde::{Deserialize, Serialize};

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
    OneToOne { source_holds_key: bool },
    ManyToMany(Junction),
}

/// How a relationship is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelationshipKind {
    /// Through a foreign key constraint (or one a view inherits from its base table).
    ForeignKey {
        constraint: String,
        /// (source column, target column) pairs; empty for many-to-many (see the junction).
        columns: Vec<(String, String)>,
    },
    /// A function taking the source's row type and returning the target (`SETOF`, or one row when `to_one`).
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
    Ambiguous { parent: String, child: String, candidates: Vec<Relationship> },
}

impl RelationshipError {
    /// The `details` field PostgREST sends (a string for PGRST200, an array of objects for PGRST201).
    pub fn details(&self) -> serde_json::Value {
        todo!()
    }

    /// The `hint` field PostgREST sends.
    pub fn hint(&self) -> Option<String> {
        todo!()
    }
}

impl SchemaCache {
    /// Every relationship whose source is `source`, computed ones included.
    pub fn relationships_from(&self, source: &QualifiedName) -> &[Relationship] {
        let _ = source;
        todo!()
    }

    /// The one relationship an embed `child!hint` of `source` refers to, as PostgREST's `findRel` picks it:
    /// `child` names the target relation (or a foreign key / column as PostgREST allows), `hint` names a
    /// foreign key, a column or a junction table. `schema` is the request's schema.
    pub fn find_relationship(
        &self,
        source: &QualifiedName,
        child: &str,
        hint: Option<&str>,
        schema: &str,
    ) -> Result<&Relationship, RelationshipError> {
        let _ = (source, child, hint, schema);
        todo!()
    }
}
