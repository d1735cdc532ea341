//! The read plan: what to select from which relation, with which conditions, order and range.

use crate::cast::{parse_cast, CastType};
use crate::negotiate::OutputFormat;
use crate::PlanError;
use restgres_request::prefer::CountPref;
use restgres_request::range::{resolve_top_level_range, RangeBounds};
use restgres_request::{
    AggregateFn, Direction, Field, Filter, JsonStep, LogicOp, LogicTree, Nulls, Operation, OrderTarget,
    QueryParams, RowRange, SelectItem,
};
use restgres_schema::{QualifiedName, SchemaCache, Table};

/// A column reference resolved against the relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PField {
    pub column: String,
    pub json_path: Vec<JsonStep>,
    /// Arrows on a composite or array column go through `to_jsonb(col)` as in PostgREST.
    pub to_jsonb: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PSelect {
    /// `relation.*`
    Star,
    Column {
        field: PField,
        cast: Option<CastType>,
        aggregate: Option<AggregateFn>,
        aggregate_cast: Option<CastType>,
        /// The output key when it differs from what PostgreSQL would name the expression.
        alias: Option<String>,
    },
    /// `count(*)`
    CountAll {
        cast: Option<CastType>,
        alias: Option<String>,
    },
}

impl PSelect {
    pub fn is_aggregate(&self) -> bool {
        matches!(
            self,
            PSelect::CountAll { .. }
                | PSelect::Column {
                    aggregate: Some(_),
                    ..
                }
        )
    }
}

/// A filter or a logic tree of filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PCondition {
    Filter {
        field: PField,
        negated: bool,
        operation: Operation,
        /// Full-text search on a column that is not a `tsvector`: wrap it in `to_tsvector`.
        to_tsvector: bool,
    },
    Tree {
        negated: bool,
        op: LogicOp,
        children: Vec<PCondition>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct POrder {
    pub field: PField,
    pub direction: Option<Direction>,
    pub nulls: Option<Nulls>,
}

/// One SELECT over one relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    pub from: QualifiedName,
    pub select: Vec<PSelect>,
    pub conditions: Vec<PCondition>,
    pub order: Vec<POrder>,
    /// The range to fetch: the requested range restricted by `db-max-rows`.
    pub range: RowRange,
}

impl ReadPlan {
    /// Whether the select list aggregates (then the other columns are grouped).
    pub fn has_aggregates(&self) -> bool {
        self.select.iter().any(PSelect::is_aggregate)
    }
}

/// A complete GET/HEAD on a table or view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRequest {
    pub plan: ReadPlan,
    pub format: OutputFormat,
    pub count: Option<CountPref>,
    /// HEAD: no body is built.
    pub head: bool,
    /// The range the client asked for (before `db-max-rows`), for Content-Range and 206/416.
    pub requested_range: RowRange,
    pub max_rows: Option<i64>,
}

/// What the planner needs besides the query string.
#[derive(Debug, Clone)]
pub struct ReadInput<'a> {
    pub schema: &'a str,
    pub relation: &'a str,
    pub query: &'a QueryParams,
    /// The `Range` header's bounds (GET only), inverted ones included.
    pub range_header: Option<RangeBounds>,
    pub format: OutputFormat,
    pub count: Option<CountPref>,
    pub head: bool,
    pub max_rows: Option<i64>,
    pub aggregates_enabled: bool,
}

/// Resolves a read of a table or view.
pub fn plan_read(cache: &SchemaCache, input: &ReadInput<'_>) -> Result<ReadRequest, PlanError> {
    let table = find_table(cache, input.schema, input.relation)?;
    let q = input.query;

    let select = if q.select.is_empty() {
        vec![PSelect::Star]
    } else {
        q.select
            .iter()
            .map(|s| plan_select(table, s))
            .collect::<Result<Vec<_>, _>>()?
    };
    if !input.aggregates_enabled && select.iter().any(PSelect::is_aggregate) {
        return Err(PlanError::AggregatesDisabled);
    }

    let mut conditions = Vec::new();
    for (path, filter) in &q.filters {
        top_level_only(path)?;
        conditions.push(plan_filter(table, filter));
    }
    for (path, tree) in &q.logic {
        top_level_only(path)?;
        conditions.push(plan_tree(table, tree));
    }

    let mut order = Vec::new();
    for (path, terms) in &q.order {
        top_level_only(path)?;
        for term in terms {
            match &term.target {
                OrderTarget::Field(f) => order.push(POrder {
                    field: plan_field(table, f),
                    direction: term.direction,
                    nulls: term.nulls,
                }),
                OrderTarget::Related { relation, .. } => {
                    return Err(no_relationship(table, relation));
                }
            }
        }
    }

    let mut top = None;
    for (path, range) in &q.ranges {
        top_level_only(path)?;
        top = Some(*range);
    }
    let requested = resolve_top_level_range(top, input.range_header)?;
    let range = requested.with_max_rows(input.max_rows);

    Ok(ReadRequest {
        plan: ReadPlan {
            from: table.qualified_name(),
            select,
            conditions,
            order,
            range,
        },
        format: input.format,
        count: input.count,
        head: input.head,
        requested_range: requested,
        max_rows: input.max_rows,
    })
}

/// Looks a relation up, with PostgREST's "Perhaps you meant" suggestion when it is missing.
pub fn find_table<'c>(cache: &'c SchemaCache, schema: &str, name: &str) -> Result<&'c Table, PlanError> {
    cache.table(schema, name).ok_or_else(|| PlanError::TableNotFound {
        schema: schema.to_string(),
        name: name.to_string(),
        suggestion: cache.closest_table(schema, name).map(str::to_string),
    })
}

fn top_level_only(path: &[String]) -> Result<(), PlanError> {
    match path.first() {
        None => Ok(()),
        Some(name) => Err(PlanError::NotEmbedded { name: name.clone() }),
    }
}

fn no_relationship(table: &Table, child: &str) -> PlanError {
    PlanError::NoRelationship {
        parent: table.name.clone(),
        child: child.to_string(),
        schema: table.schema.clone(),
    }
}

fn plan_field(table: &Table, field: &Field) -> PField {
    let to_jsonb = !field.json_path.is_empty()
        && table
            .column(&field.name)
            .is_some_and(|c| !matches!(c.base_type.as_str(), "json" | "jsonb"));
    PField {
        column: field.name.clone(),
        json_path: field.json_path.clone(),
        to_jsonb,
    }
}

fn cast(raw: &Option<String>, item: &str) -> Result<Option<CastType>, PlanError> {
    match raw {
        None => Ok(None),
        Some(c) => parse_cast(c).map(Some).ok_or_else(|| PlanError::InvalidCast {
            select: item.to_string(),
            cast: c.clone(),
        }),
    }
}

fn plan_select(table: &Table, item: &SelectItem) -> Result<PSelect, PlanError> {
    Ok(match item {
        SelectItem::Star => PSelect::Star,
        SelectItem::Field {
            field,
            alias,
            cast: c,
            aggregate,
            aggregate_cast,
        } => {
            let alias = alias
                .clone()
                .or_else(|| (!field.json_path.is_empty()).then(|| field.output_name()));
            PSelect::Column {
                field: plan_field(table, field),
                cast: cast(c, &field.name)?,
                aggregate: *aggregate,
                aggregate_cast: cast(aggregate_cast, &field.name)?,
                alias,
            }
        }
        SelectItem::CountAll { alias, cast: c } => PSelect::CountAll {
            cast: cast(c, "count()")?,
            alias: alias.clone(),
        },
        SelectItem::Embed(e) | SelectItem::Spread(e) => return Err(no_relationship(table, &e.name)),
    })
}

fn plan_filter(table: &Table, filter: &Filter) -> PCondition {
    let to_tsvector = matches!(filter.operation, Operation::Fts { .. })
        && !(filter.field.json_path.is_empty()
            && table
                .column(&filter.field.name)
                .is_some_and(|c| c.base_type == "tsvector"));
    PCondition::Filter {
        field: plan_field(table, &filter.field),
        negated: filter.negated,
        operation: filter.operation.clone(),
        to_tsvector,
    }
}

fn plan_tree(table: &Table, tree: &LogicTree) -> PCondition {
    match tree {
        LogicTree::Filter(f) => plan_filter(table, f),
        LogicTree::Expr {
            negated,
            op,
            children,
        } => PCondition::Tree {
            negated: *negated,
            op: *op,
            children: children.iter().map(|c| plan_tree(table, c)).collect(),
        },
    }
}
