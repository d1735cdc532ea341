//! Properties: no parser panics on any input, and generated selects, filters, logic trees, orders
//! and whole query strings survive printing in URL syntax and parsing back.

use proptest::prelude::*;
use restgres_request::media::{parse_accept, parse_media_type};
use restgres_request::query::*;
use restgres_request::range::parse_range_header;
use restgres_request::*;

/// Strings over the grammar's own punctuation, so that generated input goes deep into the parsers.
const GRAMMARISH: &str = r#"[a-z0-9().,:!*"\\ {}>=&;%+\-]{0,80}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic(s in any::<String>(), t in GRAMMARISH) {
        for input in [s.as_str(), t.as_str()] {
            let _ = parse_query_string(input);
            let _ = parse_rpc_read_query_string(input);
            let _ = parse_select(input);
            let _ = parse_filter(input, input);
            let _ = parse_filter("id", input);
            let _ = parse_logic("or", input);
            let _ = parse_logic(input, "(a.eq.1)");
            let _ = parse_order(input);
            let _ = parse_columns(input);
            let _ = parse_on_conflict(input);
            let _ = Preferences::parse([input, input]);
            let _ = parse_range_header(input);
            let _ = parse_media_type(input);
            let _ = parse_accept(input);
        }
    }

    #[test]
    fn errors_point_inside_the_input(t in GRAMMARISH) {
        // Every PGRST100 message names a line and a column, and details are one line.
        if let Err(RequestError::Parse { message, details }) = parse_select(&t) {
            prop_assert!(message.contains("(line "), "{}", message);
            prop_assert!(!details.contains('\n'));
        }
    }

    #[test]
    fn select_round_trips(items in select_items()) {
        let text = render_select(&items);
        prop_assert_eq!(parse_select(&text), Ok(items), "{}", text);
    }

    #[test]
    fn filter_round_trips((path, f) in embed_path().prop_flat_map(|p| filter().prop_map(move |f| (p.clone(), f)))) {
        let key = render_key(&path, &f.field);
        let value = render_operation(f.negated, &f.operation, false);
        let expected = (path, normalize(f));
        prop_assert_eq!(parse_filter(&key, &value), Ok(expected), "{}={}", key, value);
    }

    #[test]
    fn logic_round_trips(tree in logic_expr()) {
        let LogicTree::Expr { negated, op, children } = &tree else { unreachable!() };
        let key = format!("{}{}", if *negated { "not." } else { "" }, logic_op(*op));
        let value = format!("({})", children.iter().map(render_logic).collect::<Vec<_>>().join(","));
        prop_assert_eq!(parse_logic(&key, &value), Ok((vec![], normalize_logic(tree.clone()))), "{}={}", key, value);
    }

    #[test]
    fn order_round_trips(terms in prop::collection::vec(order_term(), 1..4)) {
        let text = terms.iter().map(render_order_term).collect::<Vec<_>>().join(",");
        prop_assert_eq!(parse_order(&text), Ok(terms), "{}", text);
    }

    #[test]
    fn query_string_round_trips(
        items in select_items(),
        filters in prop::collection::vec(embed_path().prop_flat_map(|p| filter().prop_map(move |f| (p.clone(), f))), 0..3),
        terms in prop::collection::vec(order_term(), 1..3),
        limit in 1i64..1000,
        offset in 0i64..1000,
    ) {
        let mut pairs = vec![
            ("select".to_owned(), render_select(&items)),
            ("order".to_owned(), terms.iter().map(render_order_term).collect::<Vec<_>>().join(",")),
            ("limit".to_owned(), limit.to_string()),
            ("offset".to_owned(), offset.to_string()),
        ];
        for (path, f) in &filters {
            pairs.push((render_key(path, &f.field), render_operation(f.negated, &f.operation, false)));
        }
        let raw = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let q = parse_query_string(&raw);
        prop_assert!(q.is_ok(), "{} => {:?}", raw, q);
        let q = q.unwrap_or_default();
        prop_assert_eq!(q.select, items);
        prop_assert_eq!(q.order, vec![(vec![], terms)]);
        let expected: Vec<_> = filters.into_iter().map(|(p, f)| (p, normalize(f))).collect();
        prop_assert_eq!(q.filters, expected);
        // (`limit=0` with an offset is an empty range that PostgREST rejects, hence limits from 1.)
        prop_assert_eq!(q.ranges, vec![(vec![], RowRange { offset, limit: Some(limit) })]);
    }
}

// ---------------------------------------------------------------------------------------------
// Printing in URL syntax

/// Percent-encodes everything but unreserved characters; spaces as `+` (what clients send).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn render_field(f: &Field) -> String {
    let mut out = quote(&f.name);
    for step in &f.json_path {
        out.push_str(if step.as_text { "->>" } else { "->" });
        match &step.key {
            JsonKey::Key(k) => out.push_str(&quote(k)),
            JsonKey::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

fn agg_name(a: AggregateFn) -> &'static str {
    match a {
        AggregateFn::Count => "count",
        AggregateFn::Sum => "sum",
        AggregateFn::Avg => "avg",
        AggregateFn::Max => "max",
        AggregateFn::Min => "min",
    }
}

fn render_embed(e: &Embed) -> String {
    let mut out = e
        .alias
        .as_ref()
        .map(|a| format!("{}:", quote(a)))
        .unwrap_or_default();
    out.push_str(&quote(&e.name));
    if let Some(h) = &e.hint {
        out.push_str(&format!("!{}", quote(h)));
    }
    match e.join {
        Some(JoinType::Inner) => out.push_str("!inner"),
        Some(JoinType::Left) => out.push_str("!left"),
        None => {}
    }
    out.push_str(&format!("({})", render_select(&e.select)));
    out
}

fn render_select(items: &[SelectItem]) -> String {
    items
        .iter()
        .map(|item| match item {
            SelectItem::Star => "*".to_owned(),
            SelectItem::Field {
                field,
                alias,
                cast,
                aggregate,
                aggregate_cast,
            } => {
                let mut out = alias
                    .as_ref()
                    .map(|a| format!("{}:", quote(a)))
                    .unwrap_or_default();
                out.push_str(&render_field(field));
                if let Some(c) = cast {
                    out.push_str(&format!("::{c}"));
                }
                if let Some(a) = aggregate {
                    out.push_str(&format!(".{}()", agg_name(*a)));
                }
                if let Some(c) = aggregate_cast {
                    out.push_str(&format!("::{c}"));
                }
                out
            }
            SelectItem::CountAll { alias, cast } => {
                let mut out = alias
                    .as_ref()
                    .map(|a| format!("{}:", quote(a)))
                    .unwrap_or_default();
                out.push_str("count()");
                if let Some(c) = cast {
                    out.push_str(&format!("::{c}"));
                }
                out
            }
            SelectItem::Embed(e) => render_embed(e),
            SelectItem::Spread(e) => format!("...{}", render_embed(e)),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn render_key(path: &[String], f: &Field) -> String {
    path.iter().map(|p| format!("{}.", quote(p))).collect::<String>() + &render_field(f)
}

/// `quoted` renders values for a logic tree (where they must be quoted); otherwise raw.
fn render_operation(negated: bool, op: &Operation, quoted: bool) -> String {
    let not = if negated { "not." } else { "" };
    let value = |v: &str| if quoted { quote(v) } else { v.to_owned() };
    let body = match op {
        Operation::Op {
            op,
            quantifier,
            value: v,
        } => {
            let q = match quantifier {
                Some(Quantifier::Any) => "(any)",
                Some(Quantifier::All) => "(all)",
                None => "",
            };
            format!("{}{q}.{}", op.url_name(), value(v))
        }
        Operation::In(items) => format!(
            "in.({})",
            items.iter().map(|i| quote(i)).collect::<Vec<_>>().join(",")
        ),
        Operation::Is(v) => format!(
            "is.{}",
            match v {
                IsValue::Null => "null",
                IsValue::NotNull => "not_null",
                IsValue::True => "true",
                IsValue::False => "false",
                IsValue::Unknown => "unknown",
            }
        ),
        Operation::Fts {
            op,
            language,
            value: v,
        } => {
            let name = match op {
                FtsOperator::Fts => "fts",
                FtsOperator::Plain => "plfts",
                FtsOperator::Phrase => "phfts",
                FtsOperator::Websearch => "wfts",
            };
            let lang = language.as_ref().map(|l| format!("({l})")).unwrap_or_default();
            format!("{name}{lang}.{}", value(v))
        }
    };
    format!("{not}{body}")
}

fn logic_op(op: LogicOp) -> &'static str {
    match op {
        LogicOp::And => "and",
        LogicOp::Or => "or",
    }
}

fn render_logic(t: &LogicTree) -> String {
    match t {
        LogicTree::Filter(f) => format!(
            "{}.{}",
            render_field(&f.field),
            render_operation(f.negated, &f.operation, true)
        ),
        LogicTree::Expr {
            negated,
            op,
            children,
        } => format!(
            "{}{}({})",
            if *negated { "not." } else { "" },
            logic_op(*op),
            children.iter().map(render_logic).collect::<Vec<_>>().join(",")
        ),
    }
}

fn render_order_term(t: &OrderTerm) -> String {
    let mut out = match &t.target {
        OrderTarget::Field(f) => render_field(f),
        OrderTarget::Related { relation, field } => format!("{}({})", quote(relation), render_field(field)),
    };
    match t.direction {
        Some(Direction::Asc) => out.push_str(".asc"),
        Some(Direction::Desc) => out.push_str(".desc"),
        None => {}
    }
    match t.nulls {
        Some(Nulls::First) => out.push_str(".nullsfirst"),
        Some(Nulls::Last) => out.push_str(".nullslast"),
        None => {}
    }
    out
}

/// What parsing does to a generated filter: `*` → `%` for like/ilike, `in.("")` → empty list.
fn normalize(mut f: Filter) -> Filter {
    f.operation = match f.operation {
        Operation::Op {
            op: op @ (Operator::Like | Operator::Ilike),
            quantifier,
            value,
        } => Operation::Op {
            op,
            quantifier,
            value: value.replace('*', "%"),
        },
        Operation::In(items) if items == [String::new()] => Operation::In(vec![]),
        other => other,
    };
    f
}

fn normalize_logic(t: LogicTree) -> LogicTree {
    match t {
        LogicTree::Filter(f) => LogicTree::Filter(normalize(f)),
        LogicTree::Expr {
            negated,
            op,
            children,
        } => LogicTree::Expr {
            negated,
            op,
            children: children.into_iter().map(normalize_logic).collect(),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Generators

/// Any name but `*` (a bare `"*"` is the star) and `count` (never an embed).
fn name() -> impl Strategy<Value = String> {
    any::<String>()
        .prop_filter("reserved", |s| s != "*" && s != "count")
        .prop_map(|s| s.chars().take(12).collect())
}

fn cast() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,8}"
}

fn json_path() -> impl Strategy<Value = Vec<JsonStep>> {
    let key = prop_oneof![
        name().prop_map(JsonKey::Key),
        (-20i64..20).prop_map(JsonKey::Index)
    ];
    prop::collection::vec(
        (any::<bool>(), key).prop_map(|(as_text, key)| JsonStep { as_text, key }),
        0..3,
    )
}

fn field() -> impl Strategy<Value = Field> {
    (name(), json_path()).prop_map(|(name, json_path)| Field { name, json_path })
}

fn aggregate() -> impl Strategy<Value = AggregateFn> {
    prop_oneof![
        Just(AggregateFn::Count),
        Just(AggregateFn::Sum),
        Just(AggregateFn::Avg),
        Just(AggregateFn::Max),
        Just(AggregateFn::Min)
    ]
}

fn leaf_item() -> impl Strategy<Value = SelectItem> {
    prop_oneof![
        Just(SelectItem::Star),
        (
            field(),
            prop::option::of(name()),
            prop::option::of(cast()),
            prop::option::of(aggregate()),
            prop::option::of(cast())
        )
            .prop_map(|(field, alias, cast, aggregate, aggregate_cast)| {
                // Without an aggregate, a second `::type` would be read as the column cast.
                let aggregate_cast = if aggregate.is_some() { aggregate_cast } else { None };
                SelectItem::Field {
                    field,
                    alias,
                    cast,
                    aggregate,
                    aggregate_cast,
                }
            }),
        (prop::option::of(name()), prop::option::of(cast()))
            .prop_map(|(alias, cast)| SelectItem::CountAll { alias, cast }),
    ]
}

fn join() -> impl Strategy<Value = Option<JoinType>> {
    prop_oneof![
        Just(None),
        Just(Some(JoinType::Inner)),
        Just(Some(JoinType::Left))
    ]
}

/// PostgREST reads an array index right before `)` as an object key (`a(b->0)` is the key "0"), so
/// the last item of an embed gets a key there instead (pinned by `select::json_index_before_paren`).
fn no_index_before_paren(mut items: Vec<SelectItem>) -> Vec<SelectItem> {
    if let Some(SelectItem::Field {
        field,
        cast: None,
        aggregate: None,
        ..
    }) = items.last_mut()
    {
        if let Some(JsonStep {
            key: key @ JsonKey::Index(_),
            ..
        }) = field.json_path.last_mut()
        {
            if let JsonKey::Index(i) = key {
                *key = JsonKey::Key(i.to_string());
            }
        }
    }
    items
}

fn select_items() -> impl Strategy<Value = Vec<SelectItem>> {
    let item = leaf_item().prop_recursive(4, 24, 4, |inner| {
        let children = prop::collection::vec(inner, 0..4).prop_map(no_index_before_paren);
        prop_oneof![
            (
                name(),
                prop::option::of(name()),
                prop::option::of(name()),
                join(),
                children.clone()
            )
                .prop_map(|(name, alias, hint, join, select)| SelectItem::Embed(Embed {
                    name,
                    alias,
                    hint,
                    join,
                    select
                })),
            (name(), prop::option::of(name()), join(), children).prop_map(|(name, hint, join, select)| {
                SelectItem::Spread(Embed {
                    name,
                    alias: None,
                    hint,
                    join,
                    select,
                })
            }),
        ]
    });
    prop::collection::vec(item, 0..5)
}

fn embed_path() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(name(), 0..3)
}

fn operator() -> impl Strategy<Value = Operator> {
    prop::sample::select(vec![
        Operator::Eq,
        Operator::Neq,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::Like,
        Operator::Ilike,
        Operator::Match,
        Operator::Imatch,
        Operator::IsDistinct,
        Operator::Contains,
        Operator::ContainedIn,
        Operator::Overlap,
        Operator::StrictlyLeft,
        Operator::StrictlyRight,
        Operator::NotExtendRight,
        Operator::NotExtendLeft,
        Operator::Adjacent,
    ])
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (operator(), any::<Option<bool>>(), any::<String>()).prop_map(|(op, q, value)| {
            let quantifier = match q {
                Some(true) if op.allows_quantifier() => Some(Quantifier::Any),
                Some(false) if op.allows_quantifier() => Some(Quantifier::All),
                _ => None,
            };
            Operation::Op {
                op,
                quantifier,
                value,
            }
        }),
        prop::collection::vec(any::<String>(), 1..4).prop_map(Operation::In),
        prop::sample::select(vec![
            IsValue::Null,
            IsValue::NotNull,
            IsValue::True,
            IsValue::False,
            IsValue::Unknown
        ])
        .prop_map(Operation::Is),
        (
            prop::sample::select(vec![
                FtsOperator::Fts,
                FtsOperator::Plain,
                FtsOperator::Phrase,
                FtsOperator::Websearch
            ]),
            prop::option::of("[a-z][a-z0-9_]{0,8}"),
            any::<String>()
        )
            .prop_map(|(op, language, value)| Operation::Fts { op, language, value }),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    (field(), any::<bool>(), operation()).prop_map(|(field, negated, operation)| Filter {
        field,
        negated,
        operation,
    })
}

fn logic_expr() -> impl Strategy<Value = LogicTree> {
    let leaf = filter().prop_map(LogicTree::Filter);
    let expr = |children: BoxedStrategy<LogicTree>| {
        (
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(children, 1..4),
        )
            .prop_map(|(negated, and, children)| LogicTree::Expr {
                negated,
                op: if and { LogicOp::And } else { LogicOp::Or },
                children,
            })
    };
    let tree = leaf.prop_recursive(4, 24, 4, move |inner| expr(inner.boxed()));
    expr(tree.boxed())
}

fn order_term() -> impl Strategy<Value = OrderTerm> {
    let target = prop_oneof![
        field().prop_map(OrderTarget::Field),
        (name(), field()).prop_map(|(relation, mut field)| {
            // As in embeds, an index right before `)` would be read as a key.
            if let Some(JsonStep {
                key: JsonKey::Index(i),
                as_text,
            }) = field.json_path.last().cloned()
            {
                field.json_path.pop();
                field.json_path.push(JsonStep {
                    as_text,
                    key: JsonKey::Key(i.to_string()),
                });
            }
            OrderTarget::Related { relation, field }
        }),
    ];
    let direction = prop_oneof![
        Just(None),
        Just(Some(Direction::Asc)),
        Just(Some(Direction::Desc))
    ];
    let nulls = prop_oneof![Just(None), Just(Some(Nulls::First)), Just(Some(Nulls::Last))];
    (target, direction, nulls).prop_map(|(target, direction, nulls)| OrderTerm {
        target,
        direction,
        nulls,
    })
}
