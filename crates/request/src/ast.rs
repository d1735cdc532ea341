//! The typed form of what a request asks for, before any schema lookup.

/// One step of a JSON path: `->key`, `->>key`, `->0`, `->>-1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonStep {
    /// `true` for `->>` (text result), `false` for `->` (json result).
    pub as_text: bool,
    pub key: JsonKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonKey {
    /// An object key (bound as text).
    Key(String),
    /// An array index, possibly negative.
    Index(i64),
}

/// A column reference with an optional JSON/composite/array path: `data->a->>b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub json_path: Vec<JsonStep>,
}

impl Field {
    pub fn column(name: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            json_path: Vec::new(),
        }
    }

    /// The key this field gets in the JSON output when not aliased: the last path element, or the
    /// column name (PostgREST names `data->a->>b` as `b`).
    pub fn output_name(&self) -> String {
        match self.json_path.last() {
            Some(JsonStep {
                key: JsonKey::Key(k), ..
            }) => k.clone(),
            Some(JsonStep {
                key: JsonKey::Index(_),
                ..
            }) => {
                // PostgREST names an index step after the last key before it, or the column.
                self.json_path
                    .iter()
                    .rev()
                    .find_map(|s| match &s.key {
                        JsonKey::Key(k) => Some(k.clone()),
                        JsonKey::Index(_) => None,
                    })
                    .unwrap_or_else(|| self.name.clone())
            }
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFn {
    Count,
    Sum,
    Avg,
    Max,
    Min,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    Left,
}

/// One element of `select=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectItem {
    /// `*`
    Star,
    /// `alias:col->path::cast`, optionally aggregated: `col.sum()::int`.
    Field {
        field: Field,
        alias: Option<String>,
        /// `::type` applied to the column (before aggregation).
        cast: Option<String>,
        aggregate: Option<AggregateFn>,
        /// `::type` applied to the aggregate's result.
        aggregate_cast: Option<String>,
    },
    /// `count()` with no column. A bare `count` is not this: PostgREST reads it as a column named
    /// `count` (a `Field`).
    CountAll {
        alias: Option<String>,
        cast: Option<String>,
    },
    /// `alias:name!hint!inner(...)`
    Embed(Embed),
    /// `...name!hint(...)`
    Spread(Embed),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    pub name: String,
    pub alias: Option<String>,
    /// Foreign-key name or column used to disambiguate (`!fk_name`).
    pub hint: Option<String>,
    pub join: Option<JoinType>,
    pub select: Vec<SelectItem>,
}

/// Operators that take one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Like,
    Ilike,
    Match,
    Imatch,
    IsDistinct,
    /// `cs` `@>`
    Contains,
    /// `cd` `<@`
    ContainedIn,
    /// `ov` `&&`
    Overlap,
    /// `sl` `<<`
    StrictlyLeft,
    /// `sr` `>>`
    StrictlyRight,
    /// `nxr` `&<`
    NotExtendRight,
    /// `nxl` `&>`
    NotExtendLeft,
    /// `adj` `-|-`
    Adjacent,
}

impl Operator {
    /// The operator's name in the URL.
    pub fn url_name(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Neq => "neq",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Like => "like",
            Operator::Ilike => "ilike",
            Operator::Match => "match",
            Operator::Imatch => "imatch",
            Operator::IsDistinct => "isdistinct",
            Operator::Contains => "cs",
            Operator::ContainedIn => "cd",
            Operator::Overlap => "ov",
            Operator::StrictlyLeft => "sl",
            Operator::StrictlyRight => "sr",
            Operator::NotExtendRight => "nxr",
            Operator::NotExtendLeft => "nxl",
            Operator::Adjacent => "adj",
        }
    }

    /// Whether `(any)`/`(all)` may follow the operator.
    pub fn allows_quantifier(self) -> bool {
        matches!(
            self,
            Operator::Eq
                | Operator::Gt
                | Operator::Gte
                | Operator::Lt
                | Operator::Lte
                | Operator::Like
                | Operator::Ilike
                | Operator::Match
                | Operator::Imatch
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FtsOperator {
    /// `fts` to_tsquery
    Fts,
    /// `plfts` plainto_tsquery
    Plain,
    /// `phfts` phraseto_tsquery
    Phrase,
    /// `wfts` websearch_to_tsquery
    Websearch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsValue {
    Null,
    NotNull,
    True,
    False,
    Unknown,
}

/// What a filter does, without the column and the negation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `op.value` or `op(any).{a,b}` (also `isdistinct.value`); for `like`/`ilike` the `*` → `%`
    /// rewrite is already applied, and with a quantifier `value` is the array literal as given
    /// (`{a,b}`).
    Op {
        op: Operator,
        quantifier: Option<Quantifier>,
        value: String,
    },
    /// `in.(a,"b,c")`, values unquoted and unescaped. `in.()` (and `in.("")`) is the empty list, which
    /// matches no row, as in PostgREST.
    In(Vec<String>),
    /// `is.null` etc.
    Is(IsValue),
    /// `fts(lang).query`
    Fts {
        op: FtsOperator,
        language: Option<String>,
        value: String,
    },
}

/// `field=[not.]operation`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: Field,
    pub negated: bool,
    pub operation: Operation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicOp {
    And,
    Or,
}

/// `or=(a.eq.1,and(b.gt.2,not.c.is.null))`
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogicTree {
    Expr {
        negated: bool,
        op: LogicOp,
        children: Vec<LogicTree>,
    },
    Filter(Filter),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderTarget {
    Field(Field),
    /// `order=authors(name).desc`: a column of a to-one embedded resource.
    Related {
        relation: String,
        field: Field,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTerm {
    pub target: OrderTarget,
    pub direction: Option<Direction>,
    pub nulls: Option<Nulls>,
}

/// Where a filter, order or range applies: empty for the top level, else the embed names/aliases
/// (`actors.roles.order=...` → `["actors", "roles"]`).
pub type EmbedPath = Vec<String>;

/// `limit`/`offset` (or the Range header) for one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowRange {
    pub offset: i64,
    pub limit: Option<i64>,
}

impl RowRange {
    pub fn all() -> Self {
        RowRange {
            offset: 0,
            limit: None,
        }
    }

    /// Intersection of two ranges (e.g. `limit` with `Range:`, or with `db-max-rows`).
    pub fn restrict(self, other: RowRange) -> RowRange {
        let offset = self.offset.max(other.offset);
        let end = |r: RowRange| r.limit.map(|l| r.offset.saturating_add(l));
        let limit = match (end(self), end(other)) {
            (Some(a), Some(b)) => Some((a.min(b) - offset).max(0)),
            (Some(a), None) | (None, Some(a)) => Some((a - offset).max(0)),
            (None, None) => None,
        };
        RowRange { offset, limit }
    }

    pub fn with_max_rows(self, max_rows: Option<i64>) -> RowRange {
        match max_rows {
            Some(m) => RowRange {
                offset: self.offset,
                limit: Some(self.limit.map_or(m, |l| l.min(m))),
            },
            None => self,
        }
    }
}

/// The query string, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryParams {
    /// `select=`; `[Star]` when absent.
    pub select: Vec<SelectItem>,
    /// Filters with the embed level they apply to, in URL order.
    pub filters: Vec<(EmbedPath, Filter)>,
    /// `or=`/`and=`/`not.or=`/`not.and=` trees with their embed level.
    pub logic: Vec<(EmbedPath, LogicTree)>,
    pub order: Vec<(EmbedPath, Vec<OrderTerm>)>,
    /// `limit=`/`offset=` per level, in order of first appearance. The top level (empty path) is
    /// already validated as PostgREST does without a `Range` header (`limit=0` is `{0, Some(0)}`);
    /// combine it with the header through `range::resolve_top_level_range`. Embedded levels are
    /// as given, so they may hold a negative offset or limit, which PostgreSQL rejects.
    pub ranges: Vec<(EmbedPath, RowRange)>,
    /// `columns=a,b` (writes, later issues), without repeated names.
    pub columns: Option<Vec<String>>,
    /// `on_conflict=a,b` (upserts, later issues).
    pub on_conflict: Option<Vec<String>>,
    /// From `query::parse_query_string`: every non-reserved key and value, decoded, in URL order.
    /// From `query::parse_rpc_read_query_string`: the function arguments of `GET /rpc/fn` (values
    /// without an operator), keyed by field name, as PostgREST's `qsParams`.
    pub params: Vec<(String, String)>,
}
