//! The read plan: what to select from which relation, with which conditions, order and range.

use crate::cast::{parse_cast, CastType};
use crate::negotiate::{is_default_select, negotiate, single_column, Offer, OutputFormat};
use crate::PlanError;
use restgres_request::prefer::CountPref;
use restgres_request::range::{resolve_top_level_range, RangeBounds};
use restgres_request::{
    AggregateFn, Direction, Field, Filter, IsValue, JoinType, JsonStep, LogicOp, LogicTree, MediaRange,
    Nulls, Operation, OrderTarget, QueryParams, RowRange, SelectItem,
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
    /// Domain representation for output: the function turning the column's domain into json.
    pub output_fn: Option<QualifiedName>,
    /// Domain representation for filters: the function turning a text value into the column's domain.
    pub input_fn: Option<QualifiedName>,
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
    /// `probe` is the lateral's column that is NULL exactly when there is none.
    EmbedNull {
        lateral: String,
        is_null: bool,
        probe: String,
    },
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
    /// The name the embed was written with (the relation).
    pub name: String,
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
    /// For to-one spreads: the columns lifted into the parent; their aggregates are computed by the
    /// parent ("hoisted"), grouped by the parent's other columns.
    pub spread_columns: Vec<SpreadColumn>,
}

/// A column of a to-one spread as the parent selects it from the lateral subquery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpreadColumn {
    /// The output key, also the child's column name in the subquery.
    pub key: String,
    /// `false` for `count()`, which counts the parent's rows.
    pub from_child: bool,
    pub aggregate: Option<AggregateFn>,
    pub aggregate_cast: Option<CastType>,
}

impl EmbedPlan {
    pub fn to_one(&self) -> bool {
        self.relationship.is_to_one()
    }

    /// `embed()` with nothing selected only filters (with `!inner` or a null filter) and adds no key.
    pub fn outputs(&self) -> bool {
        match (self.spread, self.to_one()) {
            (true, true) => !self.spread_columns.is_empty(),
            (true, false) => !self.spread_keys.is_empty(),
            (false, _) => !self.plan.select.is_empty() || self.plan.embeds.iter().any(EmbedPlan::outputs),
        }
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
    /// Whether the select list and order use only the relation's own columns (no computed fields) and no
    /// embed is a computed relationship: then the rows need not be handled as whole typed rows.
    pub columns_only: bool,
}

impl ReadPlan {
    /// Whether the select list aggregates (then the other columns are grouped).
    pub fn has_aggregates(&self) -> bool {
        self.select.iter().any(PSelect::is_aggregate)
            || self
                .embeds
                .iter()
                .any(|e| e.spread_columns.iter().any(|c| c.aggregate.is_some()))
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
    /// Aliased embeds named by their relation in filters, orders or limits, as (relation, alias): allowed
    /// with `url-use-legacy-target-names`, answered with a deprecation `Warning`.
    pub legacy_names: Vec<(String, String)>,
}

/// What the planner needs besides the query string.
#[derive(Debug, Clone)]
pub struct ReadInput<'a> {
    pub schema: &'a str,
    pub relation: &'a str,
    pub query: &'a QueryParams,
    /// The `Range` header's bounds (GET only), inverted ones included.
    pub range_header: Option<RangeBounds>,
    /// The `Accept` header's ranges, by preference (empty: none given).
    pub accept: &'a [MediaRange],
    pub count: Option<CountPref>,
    pub head: bool,
    pub max_rows: Option<i64>,
    pub aggregates_enabled: bool,
    /// `url-use-legacy-target-names`
    pub legacy_target_names: bool,
}

/// Resolves a read of a table or view.
pub fn plan_read(cache: &SchemaCache, input: &ReadInput<'_>) -> Result<ReadRequest, PlanError> {
    let q = input.query;
    let table = find_table(cache, input.schema, input.relation)?;
    let (mut plan, legacy_names) = plan_tree_on(cache, table, input, true)?;
    let relation = table.qualified_name();
    let raw = single_column(&plan, Some(table));
    let offer = Offer {
        handlers: &cache.media_handlers,
        relation: Some(&relation),
        function_media: None,
        default_select: is_default_select(&plan),
        raw_column: raw.as_ref().map(|(c, b)| (c.as_str(), *b)),
    };
    let format = negotiate(input.accept, &offer)?;
    apply_representations(cache, &mut plan, table, format.is_json());
    let top = q.ranges.iter().rev().find(|(p, _)| p.is_empty()).map(|(_, r)| *r);
    let requested = resolve_top_level_range(top, input.range_header)?;
    plan.range = requested.with_max_rows(input.max_rows);

    Ok(ReadRequest {
        plan,
        format,
        count: input.count,
        head: input.head,
        requested_range: requested,
        max_rows: input.max_rows,
        legacy_names,
    })
}

/// Applies domain representations to a planned tree (PostgREST's implicit casts by function between a
/// domain and json or text): filter values on a domain column go through its text→domain function, and, for
/// JSON output, the domain columns a level selects through its domain→json function (`*` is expanded to
/// the columns for that). Levels with aggregates are left alone, as in PostgREST.
pub fn apply_representations(cache: &SchemaCache, plan: &mut ReadPlan, table: &Table, json_output: bool) {
    if cache.representations.is_empty() {
        return;
    }
    filter_representations(cache, table, &mut plan.conditions);
    if json_output && !plan.has_aggregates() {
        let to_json = |name: &str| {
            table
                .column(name)
                .and_then(|c| cache.representation(&c.nominal_type, "json"))
                .cloned()
        };
        if table.columns.iter().any(|c| to_json(&c.name).is_some()) {
            let mut select = Vec::with_capacity(plan.select.len());
            for item in std::mem::take(&mut plan.select) {
                match item {
                    PSelect::Star => select.extend(table.columns.iter().map(|c| PSelect::Column {
                        field: PField {
                            column: c.name.clone(),
                            json_path: Vec::new(),
                            to_jsonb: false,
                            output_fn: None,
                            input_fn: None,
                        },
                        cast: None,
                        aggregate: None,
                        aggregate_cast: None,
                        alias: None,
                    })),
                    other => select.push(other),
                }
            }
            for item in &mut select {
                if let PSelect::Column {
                    field,
                    cast: None,
                    aggregate: None,
                    alias,
                    ..
                } = item
                {
                    if field.json_path.is_empty() {
                        if let Some(f) = to_json(&field.column) {
                            field.output_fn = Some(f);
                            alias.get_or_insert_with(|| field.column.clone());
                        }
                    }
                }
            }
            plan.select = select;
        }
    }
    for e in &mut plan.embeds {
        if let Some(target) = cache.tables.get(&e.relationship.target) {
            apply_representations(cache, &mut e.plan, target, json_output);
        }
    }
}

/// The text→domain representations of filter values on `table`'s domain columns.
pub fn filter_representations(cache: &SchemaCache, table: &Table, conditions: &mut [PCondition]) {
    for c in conditions {
        match c {
            PCondition::Filter { field, .. } if field.json_path.is_empty() => {
                if let Some(col) = table.column(&field.column) {
                    field.input_fn = cache.representation("text", &col.nominal_type).cloned();
                }
            }
            PCondition::Tree { children, .. } => filter_representations(cache, table, children),
            _ => {}
        }
    }
}

/// The read over the rows a write returns (`Prefer: return=representation`): `select`, embeds and `order`
/// applied to the CTE `pgrst_written`; the top level's filters belong to the mutation.
pub fn plan_returning(
    cache: &SchemaCache,
    input: &ReadInput<'_>,
) -> Result<(ReadPlan, Vec<(String, String)>), PlanError> {
    let (mut plan, legacy) = plan_tree(cache, input, false)?;
    plan.from = QualifiedName::new("", "pgrst_written");
    // The CTE has the table's columns but not its row type: no computed fields on it.
    plan.columns_only = true;
    Ok((plan, legacy))
}

/// The tree of levels for a request, checked (aggregates allowed, every path an embed); with the legacy
/// target names used.
fn plan_tree(
    cache: &SchemaCache,
    input: &ReadInput<'_>,
    root_filters: bool,
) -> Result<(ReadPlan, Vec<(String, String)>), PlanError> {
    let table = find_table(cache, input.schema, input.relation)?;
    plan_tree_on(cache, table, input, root_filters)
}

/// `plan_tree` on a given relation (for functions, the table their result is a row of).
pub(crate) fn plan_tree_on(
    cache: &SchemaCache,
    table: &Table,
    input: &ReadInput<'_>,
    root_filters: bool,
) -> Result<(ReadPlan, Vec<(String, String)>), PlanError> {
    let q = input.query;
    let ctx = Ctx {
        cache,
        schema: input.schema,
        query: q,
        counter: Cell::new(0),
        legacy: input.legacy_target_names,
        aggregates: input.aggregates_enabled,
        root_filters,
    };
    let select: Vec<SelectItem> = if q.select.is_empty() {
        vec![SelectItem::Star]
    } else {
        q.select.clone()
    };
    let plan = ctx.level(table, None, &select, &[])?;
    if !input.aggregates_enabled && plan.any_aggregates() {
        return Err(PlanError::AggregatesDisabled);
    }
    let legacy = ctx.check_paths(&plan)?;
    Ok((plan, legacy))
}

impl ReadPlan {
    fn any_aggregates(&self) -> bool {
        self.has_aggregates() || self.embeds.iter().any(|e| e.plan.any_aggregates())
    }

    /// Every level's path of (embed key, relation name) pairs, this one included.
    fn paths(&self, prefix: &mut Vec<(String, String)>, out: &mut Vec<Vec<(String, String)>>) {
        out.push(prefix.clone());
        for e in &self.embeds {
            prefix.push((e.key.clone(), e.name.clone()));
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
    /// `url-use-legacy-target-names`: an aliased embed may also be named by its relation.
    legacy: bool,
    aggregates: bool,
    /// For the representation of a write: the top level's filters belong to the mutation, not the read.
    root_filters: bool,
}

impl Ctx<'_> {
    fn next(&self) -> usize {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }

    /// Whether a URL path element names this embed: its key, or (legacy target names) its relation.
    fn names(&self, key: &str, name: &str, element: &str) -> bool {
        key == element || (self.legacy && name == element)
    }

    /// Whether a query path (`a.b` of `a.b.col=...`) addresses the level at `level`.
    fn path_matches(&self, query: &[String], level: &[(String, String)]) -> bool {
        query.len() == level.len() && query.iter().zip(level).all(|(q, (k, n))| self.names(k, n, q))
    }

    /// Plans one level: its select list, embeds, conditions, order and (for embedded levels) range.
    fn level(
        &self,
        table: &Table,
        alias: Option<String>,
        items: &[SelectItem],
        path: &[(String, String)],
    ) -> Result<ReadPlan, PlanError> {
        let mut select = Vec::new();
        let mut embeds = Vec::new();
        for item in items {
            match item {
                SelectItem::Embed(e) | SelectItem::Spread(e) => {
                    let spread = matches!(item, SelectItem::Spread(_));
                    embeds.push(self.embed(table, e, spread, path)?);
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
            columns_only: false,
        };
        let lookup = |element: &str| {
            plan.embeds
                .iter()
                .find(|e| self.names(&e.key, &e.name, element))
                .cloned()
        };

        let mut conditions = Vec::new();
        let filters_here = self.root_filters || !path.is_empty();
        for (_, filter) in self
            .query
            .filters
            .iter()
            .filter(|(p, _)| filters_here && self.path_matches(p, path))
        {
            conditions.push(self.filter(table, filter, &lookup)?);
        }
        for (_, tree) in self
            .query
            .logic
            .iter()
            .filter(|(p, _)| filters_here && self.path_matches(p, path))
        {
            conditions.push(self.tree(table, tree, &lookup)?);
        }
        let mut order = Vec::new();
        for (_, terms) in self
            .query
            .order
            .iter()
            .filter(|(p, _)| self.path_matches(p, path))
        {
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
            if let Some((_, r)) = self
                .query
                .ranges
                .iter()
                .rev()
                .find(|(p, _)| self.path_matches(p, path))
            {
                plan.range = *r;
            }
        }
        plan.columns_only = plan.select.iter().all(|s| match s {
            PSelect::Column { field, .. } => table.column(&field.column).is_some(),
            _ => true,
        }) && order
            .iter()
            .all(|o| o.related.is_some() || table.column(&o.field.column).is_some())
            && plan.embeds.iter().all(|e| !e.relationship.is_computed());
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
        path: &[(String, String)],
    ) -> Result<EmbedPlan, PlanError> {
        let relationship = self
            .cache
            .find_relationship(&parent.qualified_name(), &e.name, e.hint.as_deref(), self.schema)?
            .clone();
        let target = self.target(&relationship)?;
        let key = e.alias.clone().unwrap_or_else(|| e.name.clone());
        let n = self.next();
        let mut child_path = path.to_vec();
        child_path.push((key.clone(), e.name.clone()));
        let plan = self.level(
            target,
            Some(format!("{}_{n}", target.name)),
            &e.select,
            &child_path,
        )?;
        let to_many_spread = spread && !relationship.is_to_one();
        if to_many_spread {
            // PostgREST builds to-many spreads from aggregates, and does not aggregate inside them.
            if !self.aggregates {
                return Err(PlanError::AggregatesDisabled);
            }
            if plan.any_aggregates() {
                return Err(PlanError::NotImplemented {
                    details: "Aggregates are not implemented for one-to-many or many-to-many spreads.".into(),
                });
            }
        }
        let spread_keys = if to_many_spread {
            output_keys(self.cache, target, &plan)
        } else {
            Vec::new()
        };
        let mut plan = plan;
        let spread_columns = if spread && !to_many_spread {
            hoist(target, &mut plan)
        } else {
            Vec::new()
        };
        Ok(EmbedPlan {
            key,
            name: e.name.clone(),
            lateral: format!("pgrst_{n}"),
            inner: e.join == Some(JoinType::Inner),
            spread,
            relationship,
            plan,
            spread_keys,
            spread_columns,
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
                // Only `is.null` / `not.is.null` test an embed; PostgREST reads other operators as
                // filters on a column of that name (its PGRST120 check was removed).
                let is_null = match filter.operation {
                    Operation::Is(IsValue::Null) => Some(!filter.negated),
                    Operation::Is(IsValue::NotNull) => Some(filter.negated),
                    _ => None,
                };
                if let Some(is_null) = is_null {
                    let probe = match (embed.spread, embed.spread_keys.first()) {
                        (true, Some(k)) => k.clone(),
                        _ => "pgrst_json".to_string(),
                    };
                    return Ok(PCondition::EmbedNull {
                        lateral: embed.lateral,
                        is_null,
                        probe,
                    });
                }
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

    /// Every filter, order and range must target a level of the request (PGRST108 otherwise); returns the
    /// aliased embeds named by their relation (legacy target names).
    fn check_paths(&self, plan: &ReadPlan) -> Result<Vec<(String, String)>, PlanError> {
        let mut levels = Vec::new();
        plan.paths(&mut Vec::new(), &mut levels);
        let q = self.query;
        let used = q
            .filters
            .iter()
            .map(|(p, _)| p)
            .chain(q.logic.iter().map(|(p, _)| p))
            .chain(q.order.iter().map(|(p, _)| p))
            .chain(q.ranges.iter().map(|(p, _)| p));
        let mut legacy = Vec::new();
        for p in used {
            match levels.iter().find(|l| self.path_matches(p, l)) {
                Some(level) => {
                    for (q, (key, name)) in p.iter().zip(level) {
                        if q != key && !legacy.contains(&(name.clone(), key.clone())) {
                            legacy.push((name.clone(), key.clone()));
                        }
                    }
                }
                None => {
                    // The first element that names no embed of the level before it.
                    let depth = (0..p.len())
                        .find(|&i| {
                            !levels
                                .iter()
                                .any(|l| l.len() > i && self.path_matches(&p[..=i], &l[..=i]))
                        })
                        .unwrap_or(0);
                    let name = p.get(depth).cloned().unwrap_or_default();
                    let aliased = levels
                        .iter()
                        .filter(|l| l.len() > depth && self.path_matches(&p[..depth], &l[..depth]))
                        .find_map(|l| l.get(depth).filter(|(k, n)| *n == name && *k != name).cloned());
                    return Err(match aliased {
                        Some((alias, _)) => PlanError::NotEmbeddedAliased { name, alias },
                        None => PlanError::NotEmbedded { name },
                    });
                }
            }
        }
        Ok(legacy)
    }
}

/// The output keys of a level's select list (for to-many spreads, whose columns become arrays).
fn output_keys(cache: &SchemaCache, table: &Table, plan: &ReadPlan) -> Vec<String> {
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
        if e.spread && e.to_one() {
            if let Some(t) = cache.tables.get(&e.relationship.target) {
                keys.extend(output_keys(cache, t, &e.plan));
            }
        } else if e.spread {
            keys.extend(e.spread_keys.iter().cloned());
        } else if e.outputs() {
            keys.push(e.key.clone());
        }
    }
    keys
}

/// Turns a to-one spread's select list into plain child columns named by their output keys, and returns
/// how the parent selects them (with the aggregates, which PostgREST computes at the parent).
fn hoist(table: &Table, plan: &mut ReadPlan) -> Vec<SpreadColumn> {
    let mut columns = Vec::new();
    let mut select = Vec::new();
    let plain = |key: String| SpreadColumn {
        key,
        from_child: true,
        aggregate: None,
        aggregate_cast: None,
    };
    for item in std::mem::take(&mut plan.select) {
        match item {
            PSelect::Star => {
                columns.extend(table.columns.iter().map(|c| plain(c.name.clone())));
                select.push(PSelect::Star);
            }
            PSelect::Column {
                field,
                cast,
                aggregate,
                aggregate_cast,
                alias,
            } => {
                let key = alias.unwrap_or_else(|| match aggregate {
                    Some(a) => aggregate_key(a).to_string(),
                    None => field.column.clone(),
                });
                select.push(PSelect::Column {
                    field,
                    cast,
                    aggregate: None,
                    aggregate_cast: None,
                    alias: Some(key.clone()),
                });
                columns.push(SpreadColumn {
                    key,
                    from_child: true,
                    aggregate,
                    aggregate_cast,
                });
            }
            PSelect::CountAll { cast, alias } => columns.push(SpreadColumn {
                key: alias.unwrap_or_else(|| "count".to_string()),
                from_child: false,
                aggregate: Some(AggregateFn::Count),
                aggregate_cast: cast,
            }),
        }
    }
    plan.select = select;
    for e in &plan.embeds {
        if e.spread && e.to_one() {
            columns.extend(e.spread_columns.iter().map(|c| plain(c.key.clone())));
        } else if e.spread {
            columns.extend(e.spread_keys.iter().cloned().map(plain));
        } else if e.outputs() {
            columns.push(plain(e.key.clone()));
        }
    }
    columns
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
        output_fn: None,
        input_fn: None,
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
            // A JSON path is named after its last key, unless aggregated (then PostgreSQL names it `sum`...).
            let alias = alias.clone().or_else(|| {
                (!field.json_path.is_empty() && aggregate.is_none()).then(|| field.output_name())
            });
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

/// A logic tree resolved against the relation (no embeds involved).
pub(crate) fn plan_logic(table: &Table, tree: &LogicTree) -> PCondition {
    match tree {
        LogicTree::Filter(f) => plan_filter(table, f),
        LogicTree::Expr {
            negated,
            op,
            children,
        } => PCondition::Tree {
            negated: *negated,
            op: *op,
            children: children.iter().map(|c| plan_logic(table, c)).collect(),
        },
    }
}

/// A filter resolved against the relation.
pub(crate) fn plan_filter(table: &Table, filter: &Filter) -> PCondition {
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
