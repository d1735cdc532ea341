//! The read plan: what to select from which relation, with which conditions, order and range.

use crate::cast::{parse_cast, CastType};
use crate::negotiate::OutputFormat;
use crate::PlanError;
use restgres_request::prefer::CountPref;
use restgres_request::range::{resolve_top_level_range, RangeBounds};
use restgres_request::{
    AggregateFn, Direction, Field, Filter, IsValue, JoinType, JsonStep, LogicOp, LogicTree, Nulls, Operation,
    OrderTarget, QueryParams, RowRange, SelectItem,
};
use restgres_schema::{QualifiedName, Relationship, SchemaCache, Table};
use std::cell::Cell;

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
    /// `embed=is.null` / `embed=not.is.null`: whether the embedded resource has a row (anti/semi join).
    EmbedNull { lateral: String, is_null: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct POrder {
    pub field: PField,
    pub direction: Option<Direction>,
    pub nulls: Option<Nulls>,
    /// `order=embed(col)`: the column belongs to a to-one embedded resource reached through this.
    pub related: Option<RelatedOrder>,
}

/// The to-one relationship an `order=embed(col)` term goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedOrder {
    pub relationship: Relationship,
    /// The SQL alias the ordering subquery gives the embedded relation.
    pub alias: String,
}

/// An embedded resource: a child read joined laterally to its parent level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedPlan {
    /// The key in the output (the embed's alias or name).
    pub key: String,
    /// The SQL alias of the lateral subquery.
    pub lateral: String,
    /// `!inner`: parent rows without a match are dropped.
    pub inner: bool,
    /// `...embed(...)`: the child's columns are lifted into the parent object.
    pub spread: bool,
    pub relationship: Relationship,
    /// The child read; its `alias` is set.
    pub plan: ReadPlan,
    /// For to-many spreads: the keys of the child's output columns (each becomes an array).
    pub spread_keys: Vec<String>,
}

impl EmbedPlan {
    pub fn to_one(&self) -> bool {
        self.relationship.is_to_one()
    }

    /// `embed()` with nothing selected only filters (with `!inner` or a null filter) and adds no key.
    pub fn outputs(&self) -> bool {
        self.spread || !self.plan.select.is_empty() || !self.plan.embeds.iter().all(|e| !e.outputs())
    }
}

/// One SELECT over one relation, with its embedded resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    pub from: QualifiedName,
    /// The SQL alias of the relation; `None` at the top level, where it is referred to by its name.
    pub alias: Option<String>,
    pub select: Vec<PSelect>,
    pub conditions: Vec<PCondition>,
    pub order: Vec<POrder>,
    /// The range to fetch: the requested range restricted by `db-max-rows` at the top level.
    pub range: RowRange,
    pub embeds: Vec<EmbedPlan>,
}

impl ReadPlan {
    /// Whether the select list aggregates (then the other columns are grouped).
    pub fn has_aggregates(&self) -> bool {
        self.select.iter().any(PSelect::is_aggregate)
    }

    /// The embed with this output key, if any.
    pub fn embed(&self, key: &str) -> Option<&EmbedPlan> {
        self.embeds.iter().find(|e| e.key == key)
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
    let ctx = Ctx {
        cache,
        schema: input.schema,
        query: q,
        counter: Cell::new(0),
    };
    let select: Vec<SelectItem> = if q.select.is_empty() {
        vec![SelectItem::Star]
    } else {
        q.select.clone()
    };
    let mut plan = ctx.level(table, None, &select, &[])?;
    if !input.aggregates_enabled && plan.any_aggregates() {
        return Err(PlanError::AggregatesDisabled);
    }
    ctx.check_paths(&plan)?;

    let top = q.ranges.iter().rev().find(|(p, _)| p.is_empty()).map(|(_, r)| *r);
    let requested = resolve_top_level_range(top, input.range_header)?;
    plan.range = requested.with_max_rows(input.max_rows);

    Ok(ReadRequest {
        plan,
        format: input.format,
        count: input.count,
        head: input.head,
        requested_range: requested,
        max_rows: input.max_rows,
    })
}

impl ReadPlan {
    fn any_aggregates(&self) -> bool {
        self.has_aggregates() || self.embeds.iter().any(|e| e.plan.any_aggregates())
    }

    /// Every level's path of embed keys, this one included.
    fn paths(&self, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        for e in &self.embeds {
            prefix.push(e.key.clone());
            e.plan.paths(prefix, out);
            prefix.pop();
        }
    }
}

/// Planning state shared by all levels of one request.
struct Ctx<'a> {
    cache: &'a SchemaCache,
    schema: &'a str,
    query: &'a QueryParams,
    /// Numbers the SQL aliases of embedded relations.
    counter: Cell<usize>,
}

impl Ctx<'_> {
    fn next(&self) -> usize {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }

    /// Whether a URL path element names this embed: its key, or (legacy target names) its relation.
    fn names(embed: &EmbedPlan, element: &str, name: &str) -> bool {
        embed.key == element || name == element
    }

    /// Plans one level: its select list, embeds, conditions, order and (for embedded levels) range.
    fn level(
        &self,
        table: &Table,
        alias: Option<String>,
        items: &[SelectItem],
        path: &[String],
    ) -> Result<ReadPlan, PlanError> {
        let mut select = Vec::new();
        let mut embeds = Vec::new();
        let mut names = Vec::new();
        for item in items {
            match item {
                SelectItem::Embed(e) | SelectItem::Spread(e) => {
                    let spread = matches!(item, SelectItem::Spread(_));
                    let embed = self.embed(table, e, spread, path)?;
                    names.push(e.name.clone());
                    embeds.push(embed);
                }
                other => select.push(plan_select(table, other)?),
            }
        }
        let mut plan = ReadPlan {
            from: table.qualified_name(),
            alias,
            select,
            conditions: Vec::new(),
            order: Vec::new(),
            range: RowRange::all(),
            embeds,
        };
        let lookup = |element: &str| {
            plan.embeds
                .iter()
                .zip(&names)
                .find(|(e, n)| Self::names(e, element, n))
                .map(|(e, _)| e.clone())
        };

        let mut conditions = Vec::new();
        for (_, filter) in self.query.filters.iter().filter(|(p, _)| p.as_slice() == path) {
            conditions.push(self.filter(table, filter, &lookup)?);
        }
        for (_, tree) in self.query.logic.iter().filter(|(p, _)| p.as_slice() == path) {
            conditions.push(self.tree(table, tree, &lookup)?);
        }
        let mut order = Vec::new();
        for (_, terms) in self.query.order.iter().filter(|(p, _)| p.as_slice() == path) {
            for term in terms {
                order.push(match &term.target {
                    OrderTarget::Field(f) => POrder {
                        field: plan_field(table, f),
                        direction: term.direction,
                        nulls: term.nulls,
                        related: None,
                    },
                    OrderTarget::Related { relation, field } => {
                        let embed = lookup(relation).ok_or_else(|| PlanError::NotEmbedded {
                            name: relation.clone(),
                        })?;
                        if !embed.to_one() {
                            return Err(PlanError::RelatedOrderNotToOne {
                                origin: table.name.clone(),
                                target: relation.clone(),
                            });
                        }
                        let target = self.target(&embed.relationship)?;
                        POrder {
                            field: plan_field(target, field),
                            direction: term.direction,
                            nulls: term.nulls,
                            related: Some(RelatedOrder {
                                relationship: embed.relationship.clone(),
                                alias: format!("{}_o{}", target.name, self.next()),
                            }),
                        }
                    }
                });
            }
        }
        if !path.is_empty() {
            if let Some((_, r)) = self.query.ranges.iter().rev().find(|(p, _)| p.as_slice() == path) {
                plan.range = *r;
            }
        }
        plan.conditions = conditions;
        plan.order = order;
        Ok(plan)
    }

    fn target(&self, rel: &Relationship) -> Result<&Table, PlanError> {
        self.cache
            .tables
            .get(&rel.target)
            .ok_or_else(|| PlanError::NoRelationship {
                parent: rel.source.name.clone(),
                child: rel.target.name.clone(),
                schema: self.schema.to_string(),
            })
    }

    fn embed(
        &self,
        parent: &Table,
        e: &restgres_request::Embed,
        spread: bool,
        path: &[String],
    ) -> Result<EmbedPlan, PlanError> {
        let relationship = self
            .cache
            .find_relationship(&parent.qualified_name(), &e.name, e.hint.as_deref(), self.schema)?
            .clone();
        let target = self.target(&relationship)?;
        let key = e.alias.clone().unwrap_or_else(|| e.name.clone());
        let n = self.next();
        let mut child_path = path.to_vec();
        child_path.push(key.clone());
        let plan = self.level(
            target,
            Some(format!("{}_{n}", target.name)),
            &e.select,
            &child_path,
        )?;
        let spread_keys = if spread && !relationship.is_to_one() {
            output_keys(target, &plan)
        } else {
            Vec::new()
        };
        Ok(EmbedPlan {
            key,
            lateral: format!("pgrst_{n}"),
            inner: e.join == Some(JoinType::Inner),
            spread,
            relationship,
            plan,
            spread_keys,
        })
    }

    fn filter(
        &self,
        table: &Table,
        filter: &Filter,
        lookup: &dyn Fn(&str) -> Option<EmbedPlan>,
    ) -> Result<PCondition, PlanError> {
        if filter.field.json_path.is_empty() {
            if let Some(embed) = lookup(&filter.field.name) {
                let is_null = match filter.operation {
                    Operation::Is(IsValue::Null) => !filter.negated,
                    Operation::Is(IsValue::NotNull) => filter.negated,
                    _ => {
                        return Err(PlanError::UnacceptableFilter {
                            target: filter.field.name.clone(),
                        })
                    }
                };
                return Ok(PCondition::EmbedNull {
                    lateral: embed.lateral,
                    is_null,
                });
            }
        }
        Ok(plan_filter(table, filter))
    }

    fn tree(
        &self,
        table: &Table,
        tree: &LogicTree,
        lookup: &dyn Fn(&str) -> Option<EmbedPlan>,
    ) -> Result<PCondition, PlanError> {
        Ok(match tree {
            LogicTree::Filter(f) => self.filter(table, f, lookup)?,
            LogicTree::Expr {
                negated,
                op,
                children,
            } => PCondition::Tree {
                negated: *negated,
                op: *op,
                children: children
                    .iter()
                    .map(|c| self.tree(table, c, lookup))
                    .collect::<Result<_, _>>()?,
            },
        })
    }

    /// Every filter, order and range must target a level of the request (PGRST108 otherwise).
    fn check_paths(&self, plan: &ReadPlan) -> Result<(), PlanError> {
        let mut known = Vec::new();
        plan.paths(&mut Vec::new(), &mut known);
        let q = self.query;
        let used = q
            .filters
            .iter()
            .map(|(p, _)| p)
            .chain(q.logic.iter().map(|(p, _)| p))
            .chain(q.order.iter().map(|(p, _)| p))
            .chain(q.ranges.iter().map(|(p, _)| p));
        for p in used {
            if !known.iter().any(|k| k == p) {
                // Name the first element that is not an embed of the level before it.
                let depth = (0..p.len())
                    .find(|&i| !known.iter().any(|k| k.as_slice() == &p[..=i]))
                    .unwrap_or(0);
                return Err(PlanError::NotEmbedded {
                    name: p.get(depth).cloned().unwrap_or_default(),
                });
            }
        }
        Ok(())
    }
}

/// The output keys of a level's select list (for to-many spreads, whose columns become arrays).
fn output_keys(table: &Table, plan: &ReadPlan) -> Vec<String> {
    let mut keys = Vec::new();
    for item in &plan.select {
        match item {
            PSelect::Star => keys.extend(table.columns.iter().map(|c| c.name.clone())),
            PSelect::Column {
                field,
                alias,
                aggregate,
                ..
            } => keys.push(alias.clone().unwrap_or_else(|| match aggregate {
                Some(a) => aggregate_key(*a).to_string(),
                None => field.column.clone(),
            })),
            PSelect::CountAll { alias, .. } => keys.push(alias.clone().unwrap_or_else(|| "count".into())),
        }
    }
    for e in &plan.embeds {
        if e.spread {
            keys.extend(e.spread_keys.iter().cloned());
        } else if e.outputs() {
            keys.push(e.key.clone());
        }
    }
    keys
}

fn aggregate_key(a: AggregateFn) -> &'static str {
    match a {
        AggregateFn::Count => "count",
        AggregateFn::Sum => "sum",
        AggregateFn::Avg => "avg",
        AggregateFn::Max => "max",
        AggregateFn::Min => "min",
    }
}

/// Looks a relation up, with PostgREST's "Perhaps you meant" suggestion when it is missing.
pub fn find_table<'c>(cache: &'c SchemaCache, schema: &str, name: &str) -> Result<&'c Table, PlanError> {
    cache.table(schema, name).ok_or_else(|| PlanError::TableNotFound {
        schema: schema.to_string(),
        name: name.to_string(),
        suggestion: cache.closest_table(schema, name).map(str::to_string),
    })
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
        SelectItem::Embed(_) | SelectItem::Spread(_) => {
            return Err(PlanError::NotImplemented {
                details: "embeds are planned by the level".into(),
            })
        }
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
