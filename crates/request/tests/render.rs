//! A compact, unambiguous text form of the parsed values, so that test cases fit on one line.

use restgres_request::*;

/// A name as is when it is plain, else Rust-quoted (so spaces and punctuation stay visible).
pub fn name(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '-'));
    if plain {
        s.to_owned()
    } else {
        format!("{s:?}")
    }
}

pub fn field(f: &Field) -> String {
    let mut out = name(&f.name);
    for step in &f.json_path {
        out.push_str(if step.as_text { "->>" } else { "->" });
        match &step.key {
            JsonKey::Key(k) => out.push_str(&name(k)),
            JsonKey::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn aggregate(a: AggregateFn) -> &'static str {
    match a {
        AggregateFn::Count => "count",
        AggregateFn::Sum => "sum",
        AggregateFn::Avg => "avg",
        AggregateFn::Max => "max",
        AggregateFn::Min => "min",
    }
}

fn embed(prefix: &str, e: &Embed) -> String {
    let mut out = String::from(prefix);
    if let Some(a) = &e.alias {
        out.push_str(&format!("{}:", name(a)));
    }
    out.push_str(&name(&e.name));
    if let Some(h) = &e.hint {
        out.push_str(&format!("!{}", name(h)));
    }
    match e.join {
        Some(JoinType::Inner) => out.push_str("!INNER"),
        Some(JoinType::Left) => out.push_str("!LEFT"),
        None => {}
    }
    out.push_str(&format!("({})", select(&e.select)));
    out
}

pub fn select_item(item: &SelectItem) -> String {
    match item {
        SelectItem::Star => "*".to_owned(),
        SelectItem::Field {
            field: f,
            alias,
            cast,
            aggregate: agg,
            aggregate_cast,
        } => {
            let mut out = String::new();
            if let Some(a) = alias {
                out.push_str(&format!("{}:", name(a)));
            }
            out.push_str(&field(f));
            if let Some(c) = cast {
                out.push_str(&format!("::{}", name(c)));
            }
            if let Some(a) = agg {
                out.push_str(&format!(".{}()", aggregate(*a)));
            }
            if let Some(c) = aggregate_cast {
                out.push_str(&format!("::{}", name(c)));
            }
            out
        }
        SelectItem::CountAll { alias, cast } => {
            let mut out = String::new();
            if let Some(a) = alias {
                out.push_str(&format!("{}:", name(a)));
            }
            out.push_str("count()");
            if let Some(c) = cast {
                out.push_str(&format!("::{}", name(c)));
            }
            out
        }
        SelectItem::Embed(e) => embed("", e),
        SelectItem::Spread(e) => embed("...", e),
    }
}

pub fn select(items: &[SelectItem]) -> String {
    items.iter().map(select_item).collect::<Vec<_>>().join(",")
}

pub fn operation(op: &Operation) -> String {
    match op {
        Operation::Op {
            op,
            quantifier,
            value,
        } => {
            let q = match quantifier {
                Some(Quantifier::Any) => "(any)",
                Some(Quantifier::All) => "(all)",
                None => "",
            };
            format!("{}{q} {value:?}", op.url_name())
        }
        Operation::In(values) => format!("in {values:?}"),
        Operation::Is(v) => {
            let v = match v {
                IsValue::Null => "null",
                IsValue::NotNull => "not_null",
                IsValue::True => "true",
                IsValue::False => "false",
                IsValue::Unknown => "unknown",
            };
            format!("is {v}")
        }
        Operation::Fts { op, language, value } => {
            let op = match op {
                FtsOperator::Fts => "fts",
                FtsOperator::Plain => "plfts",
                FtsOperator::Phrase => "phfts",
                FtsOperator::Websearch => "wfts",
            };
            let lang = language
                .as_ref()
                .map(|l| format!("({})", name(l)))
                .unwrap_or_default();
            format!("{op}{lang} {value:?}")
        }
    }
}

pub fn filter(f: &Filter) -> String {
    let not = if f.negated { "not." } else { "" };
    format!("{} {not}{}", field(&f.field), operation(&f.operation))
}

pub fn path(p: &[String]) -> String {
    p.iter().map(|s| format!("{}.", name(s))).collect()
}

pub fn logic(t: &LogicTree) -> String {
    match t {
        LogicTree::Filter(f) => filter(f),
        LogicTree::Expr {
            negated,
            op,
            children,
        } => {
            let not = if *negated { "not." } else { "" };
            let op = match op {
                LogicOp::And => "and",
                LogicOp::Or => "or",
            };
            format!(
                "{not}{op}({})",
                children.iter().map(logic).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

pub fn order_term(t: &OrderTerm) -> String {
    let mut out = match &t.target {
        OrderTarget::Field(f) => field(f),
        OrderTarget::Related { relation, field: f } => format!("{}({})", name(relation), field(f)),
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

pub fn order(terms: &[OrderTerm]) -> String {
    terms.iter().map(order_term).collect::<Vec<_>>().join(", ")
}

pub fn error(e: &RequestError) -> String {
    match e {
        RequestError::Parse { message, details } => format!("ERR {message} | {details}"),
        RequestError::InvalidRange { details } => format!("416 {details}"),
        RequestError::InvalidPreferences { invalid } => format!("PREF {invalid:?}"),
    }
}

pub fn result<T>(r: Result<T, RequestError>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => ok(v),
        Err(e) => error(&e),
    }
}

fn row_range(r: &RowRange) -> String {
    match r.limit {
        Some(l) => format!("{}+{l}", r.offset),
        None => format!("{}+", r.offset),
    }
}

/// Every non-empty part of parsed query parameters, ` | `-separated.
pub fn query(q: &QueryParams) -> String {
    let mut parts = Vec::new();
    if q.select != [SelectItem::Star] {
        parts.push(format!("select={}", select(&q.select)));
    }
    for (p, f) in &q.filters {
        parts.push(format!("filter={}{}", path(p), filter(f)));
    }
    for (p, t) in &q.logic {
        parts.push(format!("logic={}{}", path(p), logic(t)));
    }
    for (p, o) in &q.order {
        parts.push(format!("order={}{}", path(p), order(o)));
    }
    for (p, r) in &q.ranges {
        parts.push(format!("range={}{}", path(p), row_range(r)));
    }
    if let Some(c) = &q.columns {
        parts.push(format!("columns={c:?}"));
    }
    if let Some(c) = &q.on_conflict {
        parts.push(format!("on_conflict={c:?}"));
    }
    for (k, v) in &q.params {
        parts.push(format!("param={k:?}={v:?}"));
    }
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(" | ")
    }
}

/// Runs every case and reports all mismatches at once.
pub fn check_all(cases: &[(&str, &str)], f: impl Fn(&str) -> String) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(input, expected)| {
            let got = f(input);
            (got != *expected)
                .then(|| format!("  input:    {input:?}\n  expected: {expected}\n  got:      {got}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
