//! Write plans: INSERT (with upserts), UPDATE and DELETE on a table or view, from the body's keys and filters.

use crate::read::{filter_representations, find_table, plan_filter, plan_logic, PCondition};
use crate::PlanError;
use restgres_request::prefer::Resolution;
use restgres_request::{Operation, Operator, QueryParams};
use restgres_schema::{QualifiedName, RelationKind, SchemaCache, Table};

/// One column written from the body: its name, its SQL type (from the catalog) and, with
/// `Prefer: missing=default`, the column default used when a row lacks the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteColumn {
    pub name: String,
    pub sql_type: String,
    pub default: Option<String>,
    /// Domain representation for the body: the function turning the JSON value into the column's domain
    /// (the body column is then read as `json`).
    pub input_fn: Option<QualifiedName>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutationKind {
    /// `on_conflict`: the resolution and the conflict target columns.
    Insert {
        on_conflict: Option<(Resolution, Vec<String>)>,
    },
    Update,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutatePlan {
    pub kind: MutationKind,
    pub table: QualifiedName,
    /// Columns taken from the body (INSERT/UPDATE), in body-key order.
    pub columns: Vec<WriteColumn>,
    /// Whether the body is one object (`json_to_record`) or an array (`json_to_recordset`).
    pub body_is_object: bool,
    /// `WHERE` of UPDATE/DELETE (the top level's filters); for PUT, the primary-key filters the body's
    /// row must match (checked on `pgrst_body`).
    pub conditions: Vec<PCondition>,
    /// Primary-key columns, for `Location` (sorted by name, as PostgREST lists them).
    pub primary_key: Vec<String>,
    /// All the relation's columns (what the written rows are read back as).
    pub table_columns: Vec<String>,
    /// Whether the relation is a table (views have no `xmax` to tell inserted from updated rows).
    pub is_table: bool,
}

/// What the planner needs for a write besides the query string.
pub struct WriteInput<'a> {
    pub schema: &'a str,
    pub relation: &'a str,
    pub query: &'a QueryParams,
    /// The body's keys (or `columns=`), in order.
    pub keys: &'a [String],
    pub body_is_object: bool,
    pub missing_default: bool,
    pub resolution: Option<Resolution>,
}

pub fn plan_insert(cache: &SchemaCache, input: &WriteInput<'_>) -> Result<MutatePlan, PlanError> {
    let table = find_table(cache, input.schema, input.relation)?;
    let columns = write_columns(cache, table, input)?;
    let on_conflict = match input.resolution {
        None => None,
        Some(r) => {
            let target = match &input.query.on_conflict {
                Some(cols) => cols.clone(),
                None => table.primary_key.clone(),
            };
            (!target.is_empty()).then_some((r, target))
        }
    };
    Ok(MutatePlan {
        kind: MutationKind::Insert { on_conflict },
        table: table.qualified_name(),
        columns,
        body_is_object: input.body_is_object,
        conditions: Vec::new(),
        primary_key: sorted_pk(table),
        table_columns: table.columns.iter().map(|c| c.name.clone()).collect(),
        is_table: matches!(table.kind, RelationKind::Table | RelationKind::PartitionedTable),
    })
}

/// PUT: a single-row upsert of the row the primary-key filters name (PGRST105/PGRST114 otherwise).
pub fn plan_put(cache: &SchemaCache, input: &WriteInput<'_>) -> Result<MutatePlan, PlanError> {
    let table = find_table(cache, input.schema, input.relation)?;
    let q = input.query;
    if q.ranges.iter().any(|(p, _)| p.is_empty()) {
        return Err(PlanError::PutLimitNotAllowed);
    }
    let root: Vec<&restgres_request::Filter> = q
        .filters
        .iter()
        .filter(|(p, _)| p.is_empty())
        .map(|(_, f)| f)
        .collect();
    let mut named: Vec<&str> = root
        .iter()
        .filter(|f| {
            !f.negated
                && f.field.json_path.is_empty()
                && matches!(
                    f.operation,
                    Operation::Op {
                        op: Operator::Eq,
                        quantifier: None,
                        ..
                    }
                )
        })
        .map(|f| f.field.name.as_str())
        .collect();
    named.sort_unstable();
    let mut pk: Vec<&str> = table.primary_key.iter().map(String::as_str).collect();
    pk.sort_unstable();
    let logic_at_root = q.logic.iter().any(|(p, _)| p.is_empty());
    if pk.is_empty() || named.len() != root.len() || named != pk || logic_at_root {
        return Err(PlanError::InvalidPutFilters);
    }
    let mut plan = plan_insert(
        cache,
        &WriteInput {
            resolution: Some(Resolution::MergeDuplicates),
            ..*input
        },
    )?;
    plan.kind = MutationKind::Insert {
        on_conflict: Some((Resolution::MergeDuplicates, table.primary_key.clone())),
    };
    plan.conditions = root.iter().map(|f| plan_filter(table, f)).collect();
    Ok(plan)
}

pub fn plan_update(cache: &SchemaCache, input: &WriteInput<'_>) -> Result<MutatePlan, PlanError> {
    let table = find_table(cache, input.schema, input.relation)?;
    Ok(MutatePlan {
        kind: MutationKind::Update,
        table: table.qualified_name(),
        columns: write_columns(cache, table, input)?,
        body_is_object: input.body_is_object,
        conditions: root_conditions(cache, table, input.query),
        primary_key: sorted_pk(table),
        table_columns: table.columns.iter().map(|c| c.name.clone()).collect(),
        is_table: matches!(table.kind, RelationKind::Table | RelationKind::PartitionedTable),
    })
}

pub fn plan_delete(cache: &SchemaCache, input: &WriteInput<'_>) -> Result<MutatePlan, PlanError> {
    let table = find_table(cache, input.schema, input.relation)?;
    Ok(MutatePlan {
        kind: MutationKind::Delete,
        table: table.qualified_name(),
        columns: Vec::new(),
        body_is_object: true,
        conditions: root_conditions(cache, table, input.query),
        primary_key: sorted_pk(table),
        table_columns: table.columns.iter().map(|c| c.name.clone()).collect(),
        is_table: matches!(table.kind, RelationKind::Table | RelationKind::PartitionedTable),
    })
}

fn sorted_pk(table: &Table) -> Vec<String> {
    let mut pk = table.primary_key.clone();
    pk.sort();
    pk
}

/// The body's keys resolved to columns; a key that is not a column is PGRST204.
fn write_columns(
    cache: &SchemaCache,
    table: &Table,
    input: &WriteInput<'_>,
) -> Result<Vec<WriteColumn>, PlanError> {
    input
        .keys
        .iter()
        .map(|k| {
            let c = table.column(k).ok_or_else(|| PlanError::ColumnNotFound {
                relation: table.name.clone(),
                column: k.clone(),
            })?;
            Ok(WriteColumn {
                name: c.name.clone(),
                sql_type: c.data_type.clone(),
                input_fn: cache.representation("json", &c.nominal_type).cloned(),
                default: if input.missing_default {
                    c.default.clone()
                } else {
                    None
                },
            })
        })
        .collect()
}

/// The top level's filters and logic trees, which select the rows an UPDATE or DELETE changes.
fn root_conditions(cache: &SchemaCache, table: &Table, q: &QueryParams) -> Vec<PCondition> {
    let mut out: Vec<PCondition> = q
        .filters
        .iter()
        .filter(|(p, _)| p.is_empty())
        .map(|(_, f)| plan_filter(table, f))
        .collect();
    out.extend(
        q.logic
            .iter()
            .filter(|(p, _)| p.is_empty())
            .map(|(_, t)| plan_logic(table, t)),
    );
    filter_representations(cache, table, &mut out);
    out
}
