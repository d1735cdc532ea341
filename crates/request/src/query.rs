//! The query string: `select`, filters, logic trees, `order`, `limit`/`offset` and the other reserved keys.
//!
//! The grammar and the error texts follow PostgREST's `QueryParams.hs` rule for rule, including its
//! quirks: a parameter value is parsed as a prefix (PostgREST never checks for the end of the input,
//! so `select=a)junk` selects `a` and `a=is.nullx` means `IS NULL`), keys and values are split on `&`
//! and `;`, and `limit`/`offset` values that are not integers are ignored.

use crate::ast::*;
use crate::haskell::read_integer;
use crate::parsec::*;
use crate::range::{bounds_to_row_range, resolve_bounds, RangeBounds};
use crate::RequestError;

const FIELD_NAME: &str = "field name (* or [a..z0..9_$])";
const JSON_KEY_NAME: &str = "any non reserved character different from: .,>()";

/// Parses a raw (still percent-encoded) query string, `+` meaning space, as PostgREST reads it.
///
/// Every filter must have an operator (`id=1` is a PGRST100 error). `params` holds every
/// non-reserved key with its value, decoded, in URL order. For `GET`/`HEAD` on `/rpc/...`, use
/// [`parse_rpc_read_query_string`] instead.
pub fn parse_query_string(raw: &str) -> Result<QueryParams, RequestError> {
    parse_params(raw, false)
}

/// Parses the query string of a read call of a function (`GET`/`HEAD /rpc/fn?...`), where a
/// parameter whose value has no operator is a function argument rather than a filter.
///
/// Such arguments go to `params`, keyed by the field name of their key (`"my arg"=1` gives
/// `my arg`), exactly as PostgREST's `qsParams`; parameters that do have an operator are filters on
/// the function's result and are not repeated in `params`.
pub fn parse_rpc_read_query_string(raw: &str) -> Result<QueryParams, RequestError> {
    parse_params(raw, true)
}

/// Parses the value of `select=`.
pub fn parse_select(value: &str) -> Result<Vec<SelectItem>, RequestError> {
    run(
        || format!("failed to parse select parameter ({value})"),
        value,
        p_field_forest,
    )
}

/// Parses a filter's key (`embed.col->a`) and value (`not.eq.1`).
pub fn parse_filter(key: &str, value: &str) -> Result<(EmbedPath, Filter), RequestError> {
    let (path, field) = parse_tree_path(key)?;
    let (negated, operation) = run(
        || format!("failed to parse filter ({value})"),
        value,
        |st| p_op_expr(st, Val::Single),
    )?;
    Ok((
        path,
        Filter {
            field,
            negated,
            operation,
        },
    ))
}

/// Parses a logic key (`or`, `not.and`, `embed.or`) and its value (`(a.eq.1,b.gt.2)`).
///
/// As in PostgREST, the tree is parsed from the operator followed by the value (`or(a.eq.1,...)`),
/// so error columns count the operator too.
pub fn parse_logic(key: &str, value: &str) -> Result<(EmbedPath, LogicTree), RequestError> {
    let (path, op) = run(
        || format!("failed to parse logic path ({key})"),
        key,
        p_logic_path,
    )?;
    let tree = run(
        || format!("failed to parse logic tree ({value})"),
        &format!("{op}{value}"),
        p_logic_tree,
    )?;
    Ok((path, tree))
}

/// Parses the value of `order=`.
pub fn parse_order(value: &str) -> Result<Vec<OrderTerm>, RequestError> {
    run(|| format!("failed to parse order ({value})"), value, p_order)
}

/// Parses the value of `columns=` (`a,"b c"`), keeping the first of repeated names.
pub fn parse_columns(value: &str) -> Result<Vec<String>, RequestError> {
    let cols = run(
        || format!("failed to parse columns parameter ({value})"),
        value,
        p_columns,
    )?;
    let mut unique: Vec<String> = Vec::with_capacity(cols.len());
    for c in cols {
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    Ok(unique)
}

/// Parses the value of `on_conflict=`.
pub fn parse_on_conflict(value: &str) -> Result<Vec<String>, RequestError> {
    run(
        || format!("failed to parse on_conflict parameter ({value})"),
        value,
        p_columns,
    )
}

/// Splits a query string into decoded pairs as `parseQueryReplacePlus True` does: a leading `?` is
/// dropped, `&` and `;` separate pairs, the first `=` separates key and value (no `=`: no value),
/// `+` is a space and invalid `%` escapes stay as they are. Invalid UTF-8 is replaced.
pub fn split_query_string(raw: &str) -> Vec<(String, Option<String>)> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    raw.split(['&', ';'])
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.split_once('=') {
            Some((k, v)) => (url_decode(k), Some(url_decode(v))),
            None => (url_decode(segment), None),
        })
        .collect()
}

fn url_decode(s: &str) -> String {
    let with_spaces = s.replace('+', " ");
    percent_encoding::percent_decode_str(&with_spaces)
        .decode_utf8_lossy()
        .into_owned()
}

/// The last dot-separated word of a key: what decides whether it is reserved (`actors.order`).
fn last_word(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn parse_params(raw: &str, rpc_read: bool) -> Result<QueryParams, RequestError> {
    let pairs = split_query_string(raw);
    let with_value: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v)))
        .collect();
    // The first occurrence of a key wins, even one without a value (which then counts as absent).
    let lookup = |needle: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == needle)
            .and_then(|(_, v)| v.as_deref())
    };

    // Errors are reported in PostgREST's order: order, logic, columns, select, filters, on_conflict.
    let mut order = Vec::new();
    for (k, v) in with_value.iter().filter(|(k, _)| last_word(k) == "order") {
        let (path, _) = parse_tree_path(k)?;
        order.push((path, parse_order(v)?));
    }
    let mut logic = Vec::new();
    for (k, v) in with_value
        .iter()
        .filter(|(k, _)| matches!(last_word(k), "and" | "or"))
    {
        logic.push(parse_logic(k, v)?);
    }
    let columns = lookup("columns").map(parse_columns).transpose()?;
    let select = parse_select(lookup("select").unwrap_or("*"))?;

    let is_filter = |k: &str| {
        !matches!(last_word(k), "order" | "limit" | "offset" | "and" | "or")
            && !matches!(k, "select" | "columns" | "on_conflict")
    };
    let mut filters = Vec::new();
    let mut params = Vec::new();
    for (k, v) in with_value.iter().filter(|(k, _)| is_filter(k)) {
        if rpc_read {
            let (path, field) = parse_tree_path(k)?;
            let op = run(
                || format!("failed to parse filter ({v})"),
                v,
                |st| {
                    alt(
                        st,
                        |st| map(p_op_expr(st, Val::Single), Some),
                        |st| pure(st, None),
                    )
                },
            )?;
            match op {
                Some((negated, operation)) => filters.push((
                    path,
                    Filter {
                        field,
                        negated,
                        operation,
                    },
                )),
                None => params.push((field.name, (*v).to_owned())),
            }
        } else {
            filters.push(parse_filter(k, v)?);
            params.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    let on_conflict = lookup("on_conflict").map(parse_on_conflict).transpose()?;
    let ranges = parse_ranges(&with_value)?;

    Ok(QueryParams {
        select,
        filters,
        logic,
        order,
        ranges,
        columns,
        on_conflict,
        params,
    })
}

/// One level's `limit`/`offset` values, as PostgREST's `Range Integer` before any validation.
#[derive(Default)]
struct LevelRange {
    limit: Option<Option<i64>>,
    offset: Option<Option<i64>>,
}

fn read_i64(v: &str) -> Option<i64> {
    read_integer(v).map(|n| n.to_i64_saturating())
}

/// `limit`/`offset` per level. Values that are not integers are ignored as in PostgREST (with the
/// same consequence there: an unreadable `limit` next to an `offset` reads as a limit of zero); the
/// last occurrence of a key wins; the top level is validated like PostgREST's `getRanges` without a
/// `Range` header (see [`crate::range::resolve_top_level_range`] for the header).
fn parse_ranges(pairs: &[(&str, &str)]) -> Result<Vec<(EmbedPath, RowRange)>, RequestError> {
    let mut levels: Vec<(String, LevelRange)> = Vec::new();
    for (k, v) in pairs {
        let (key, is_limit) = match last_word(k) {
            "limit" => ((*k).to_owned(), true),
            "offset" => (format!("{}limit", k.strip_suffix("offset").unwrap_or(k)), false),
            _ => continue,
        };
        let idx = match levels.iter().position(|(existing, _)| *existing == key) {
            Some(i) => i,
            None => {
                levels.push((key, LevelRange::default()));
                levels.len() - 1
            }
        };
        if let Some((_, level)) = levels.get_mut(idx) {
            if is_limit {
                level.limit = Some(read_i64(v));
            } else {
                level.offset = Some(read_i64(v));
            }
        }
    }

    // The bounds PostgREST computes: `limit` alone is [0, l-1], `offset` alone [o, ∞), and both
    // [o, o + l - 1] where an unreadable limit counts as 0.
    let bounds: Vec<(String, RangeBounds)> = levels
        .into_iter()
        .map(|(key, level)| {
            let limit_upper = level.limit.map(|l| l.map(|l| i128::from(l) - 1));
            let offset = level.offset.map(|o| i128::from(o.unwrap_or(0)));
            let b = match (limit_upper, offset) {
                (Some(upper), Some(o)) => RangeBounds::new(o, Some(o + upper.map_or(0, |u| u + 1) - 1)),
                (Some(upper), None) => RangeBounds::new(0, upper),
                (None, Some(o)) => RangeBounds::new(o, None),
                (None, None) => RangeBounds::ALL,
            };
            (key, b)
        })
        .collect();

    // The top level is validated first (PostgREST's `getRanges`), embedded levels' keys later.
    let mut out = Vec::new();
    if let Some((_, top)) = bounds.iter().find(|(key, _)| key == "limit") {
        out.push((Vec::new(), resolve_bounds(Some(*top), None)?));
    }
    for (key, b) in &bounds {
        if key == "limit" {
            continue;
        }
        let (path, _) = parse_tree_path(key)?;
        // Odd keys that name the top level without being `limit` (`a->b.limit`) are ignored.
        if !path.is_empty() {
            out.push((path, bounds_to_row_range(*b)));
        }
    }
    Ok(out)
}

fn parse_tree_path(key: &str) -> Result<(EmbedPath, Field), RequestError> {
    run(|| format!("failed to parse tree path ({key})"), key, p_tree_path)
}

// ---------------------------------------------------------------------------------------------
// Lexical pieces

/// `many (oneOf " \t")`
fn ws(st: &mut St) -> R<()> {
    map(many(st, |st| one_of(st, " \t")), |_| ())
}

fn lexeme<T>(st: &mut St, p: impl FnOnce(&mut St) -> R<T>) -> R<T> {
    let mut s = Seq::new(st);
    s.run(st, ws)?;
    let v = s.run(st, p)?;
    s.run(st, ws)?;
    s.done(v)
}

fn delimiter(st: &mut St) -> R<char> {
    label(st, |st| char_(st, '.'), "delimiter (.)")
}

/// `"..."` with backslash escaping any char.
fn p_quoted_value(st: &mut St) -> R<String> {
    let mut s = Seq::new(st);
    s.run(st, |st| char_(st, '"'))?;
    let chars = s.run(st, |st| {
        many(st, |st| {
            alt(
                st,
                |st| none_of(st, "\\\""),
                |st| {
                    let mut s = Seq::new(st);
                    s.run(st, |st| char_(st, '\\'))?;
                    let c = s.run(st, any_char)?;
                    s.done(c)
                },
            )
        })
    })?;
    s.run(st, |st| char_(st, '"'))?;
    s.done(chars.into_iter().collect())
}

/// Letters, digits, `_`, space and `$`, trimmed.
fn p_identifier(st: &mut St) -> R<String> {
    let chars = many1(st, |st| {
        alt(st, |st| alt(st, letter, digit), |st| one_of(st, "_ $"))
    });
    map(chars, |cs| cs.into_iter().collect::<String>().trim().to_owned())
}

/// A `-` not starting `->`.
fn dash(st: &mut St) -> R<()> {
    attempt(st, |st| {
        let mut s = Seq::new(st);
        s.run(st, |st| char_(st, '-'))?;
        s.run(st, |st| not_followed_by(st, |st| char_(st, '>')))?;
        s.done(())
    })
}

fn sep_by_dash(st: &mut St, ident: fn(&mut St) -> R<String>) -> R<String> {
    map(sep_by1(st, ident, dash), |parts| parts.join("-"))
}

fn p_field_name(st: &mut St) -> R<String> {
    label(
        st,
        |st| alt(st, p_quoted_value, |st| sep_by_dash(st, p_identifier)),
        FIELD_NAME,
    )
}

fn p_json_key_identifier(st: &mut St) -> R<String> {
    map(many1(st, |st| none_of(st, "(-:.,>)")), |cs| {
        cs.into_iter().collect::<String>().trim().to_owned()
    })
}

fn p_json_key_name(st: &mut St) -> R<String> {
    label(
        st,
        |st| alt(st, p_quoted_value, |st| sep_by_dash(st, p_json_key_identifier)),
        JSON_KEY_NAME,
    )
}

/// What may follow an array index: `->`, `::`, `.`, `,` or the end.
fn json_index_end(st: &mut St) -> R<()> {
    alt(
        st,
        |st| {
            alt(
                st,
                |st| {
                    alt(
                        st,
                        |st| attempt(st, |st| look_ahead(st, |st| string(st, "->"))),
                        |st| attempt(st, |st| look_ahead(st, |st| string(st, "::"))),
                    )
                },
                |st| {
                    alt(
                        st,
                        |st| attempt(st, |st| look_ahead(st, |st| string(st, "."))),
                        |st| attempt(st, |st| look_ahead(st, |st| string(st, ","))),
                    )
                },
            )
        },
        |st| attempt(st, eof),
    )
}

fn p_json_index(st: &mut St) -> R<JsonKey> {
    let mut s = Seq::new(st);
    let sign = s.run(st, |st| option(st, '+', |st| char_(st, '-')))?;
    let digits = s.run(st, |st| many1(st, digit))?;
    s.run(st, json_index_end)?;
    // Indexes beyond i64 saturate; PostgreSQL then rejects them as PostgREST's `::int` cast would.
    let mut value: i64 = 0;
    for d in digits {
        let d = i64::from(d.to_digit(10).unwrap_or(0));
        value = value.saturating_mul(10).saturating_add(d);
    }
    s.done(JsonKey::Index(if sign == '-' { -value } else { value }))
}

fn p_json_path(st: &mut St) -> R<Vec<JsonStep>> {
    many(st, |st| {
        let mut s = Seq::new(st);
        let as_text = s.run(st, |st| {
            alt(
                st,
                |st| attempt(st, |st| map(string(st, "->>"), |_| true)),
                |st| attempt(st, |st| map(string(st, "->"), |_| false)),
            )
        })?;
        let key = s.run(st, |st| {
            alt(
                st,
                |st| attempt(st, p_json_index),
                |st| attempt(st, |st| map(p_json_key_name(st), JsonKey::Key)),
            )
        })?;
        s.done(JsonStep { as_text, key })
    })
}

fn p_field(st: &mut St) -> R<Field> {
    lexeme(st, |st| {
        let mut s = Seq::new(st);
        let name = s.run(st, p_field_name)?;
        let json_path = s.run(st, |st| option(st, Vec::new(), p_json_path))?;
        s.done(Field { name, json_path })
    })
}

/// `embed.path.field->json` (a filter key, or the key of `order`/`limit`).
fn p_tree_path(st: &mut St) -> R<(EmbedPath, Field)> {
    let mut s = Seq::new(st);
    let mut names = s.run(st, |st| sep_by1(st, p_field_name, delimiter))?;
    let json_path = s.run(st, |st| option(st, Vec::new(), p_json_path))?;
    let name = names.pop().unwrap_or_default();
    s.done((names, Field { name, json_path }))
}

/// `alias:` (a `:` not followed by another `:`).
fn p_alias(st: &mut St) -> R<Option<String>> {
    opt(st, |st| {
        attempt(st, |st| {
            let mut s = Seq::new(st);
            let name = s.run(st, p_field_name)?;
            s.run(st, |st| char_(st, ':'))?;
            s.run(st, |st| not_followed_by(st, |st| char_(st, ':')))?;
            s.done(name)
        })
    })
}

// ---------------------------------------------------------------------------------------------
// select

fn p_field_forest(st: &mut St) -> R<Vec<SelectItem>> {
    if st.depth >= MAX_DEPTH {
        return fatal(
            st,
            format!("embedded resources nested deeper than {MAX_DEPTH} levels"),
        );
    }
    st.depth += 1;
    let r = sep_by(st, p_field_tree, |st| lexeme(st, |st| char_(st, ',')));
    st.depth -= 1;
    r
}

fn p_embed_children(st: &mut St) -> R<Vec<SelectItem>> {
    between(st, |st| char_(st, '('), |st| char_(st, ')'), p_field_forest)
}

fn p_field_tree(st: &mut St) -> R<SelectItem> {
    alt(
        st,
        |st| {
            alt(
                st,
                |st| {
                    let mut s = Seq::new(st);
                    let mut embed = s.run(st, |st| attempt(st, p_spread_relation))?;
                    embed.select = s.run(st, p_embed_children)?;
                    s.done(SelectItem::Spread(embed))
                },
                |st| {
                    let mut s = Seq::new(st);
                    let mut embed = s.run(st, |st| attempt(st, p_relation))?;
                    embed.select = s.run(st, p_embed_children)?;
                    s.done(SelectItem::Embed(embed))
                },
            )
        },
        p_field_select,
    )
}

enum EmbedParam {
    Hint(String),
    Join(JoinType),
}

fn p_embed_param(st: &mut St) -> R<EmbedParam> {
    let mut s = Seq::new(st);
    s.run(st, |st| char_(st, '!'))?;
    let param = s.run(st, |st| {
        alt(
            st,
            |st| {
                attempt(st, |st| {
                    map(string(st, "left"), |_| EmbedParam::Join(JoinType::Left))
                })
            },
            |st| {
                alt(
                    st,
                    |st| {
                        attempt(st, |st| {
                            map(string(st, "inner"), |_| EmbedParam::Join(JoinType::Inner))
                        })
                    },
                    |st| attempt(st, |st| map(p_field_name(st), EmbedParam::Hint)),
                )
            },
        )
    })?;
    s.done(param)
}

/// `!hint`, `!inner`, `!hint!left`: the first hint and the first join type of at most two.
fn p_embed_params(st: &mut St) -> R<(Option<String>, Option<JoinType>)> {
    let mut s = Seq::new(st);
    let first = s.run(st, |st| opt(st, p_embed_param))?;
    let second = s.run(st, |st| opt(st, p_embed_param))?;
    let (mut hint, mut join) = (None, None);
    for param in [first, second].into_iter().flatten() {
        match param {
            EmbedParam::Hint(h) => {
                hint.get_or_insert(h);
            }
            EmbedParam::Join(j) => {
                join.get_or_insert(j);
            }
        }
    }
    s.done((hint, join))
}

fn followed_by_paren(st: &mut St) -> R<()> {
    attempt(st, |st| look_ahead(st, |st| string(st, "(")))
}

fn p_relation(st: &mut St) -> R<Embed> {
    lexeme(st, |st| {
        let mut s = Seq::new(st);
        let alias = s.run(st, p_alias)?;
        let name = s.run(st, p_field_name)?;
        // `count(` is the aggregate, never an embed.
        if name == "count" {
            s.run(st, zero::<()>)?;
        }
        let (hint, join) = s.run(st, p_embed_params)?;
        s.run(st, followed_by_paren)?;
        s.done(Embed {
            name,
            alias,
            hint,
            join,
            select: Vec::new(),
        })
    })
}

fn p_spread_relation(st: &mut St) -> R<Embed> {
    lexeme(st, |st| {
        let mut s = Seq::new(st);
        s.run(st, |st| string(st, "..."))?;
        let name = s.run(st, p_field_name)?;
        let (hint, join) = s.run(st, p_embed_params)?;
        s.run(st, followed_by_paren)?;
        s.done(Embed {
            name,
            alias: None,
            hint,
            join,
            select: Vec::new(),
        })
    })
}

fn select_end(st: &mut St) -> R<()> {
    alt(
        st,
        |st| {
            alt(
                st,
                |st| attempt(st, |st| look_ahead(st, |st| string(st, ")"))),
                |st| attempt(st, |st| look_ahead(st, |st| string(st, ","))),
            )
        },
        |st| attempt(st, eof),
    )
}

/// `::type`
fn p_cast(st: &mut St) -> R<Option<String>> {
    opt(st, |st| {
        let mut s = Seq::new(st);
        s.run(st, |st| string(st, "::"))?;
        let ty = s.run(st, p_identifier)?;
        s.done(ty)
    })
}

fn p_aggregation(st: &mut St) -> R<AggregateFn> {
    let named = |name: &'static str, f: AggregateFn| move |st: &mut St| map(string(st, name), move |_| f);
    alt(st, named("sum", AggregateFn::Sum), |st| {
        alt(st, named("avg", AggregateFn::Avg), |st| {
            alt(st, named("count", AggregateFn::Count), |st| {
                alt(
                    st,
                    |st| attempt(st, named("max", AggregateFn::Max)),
                    |st| alt(st, |st| attempt(st, named("min", AggregateFn::Min)), zero),
                )
            })
        })
    })
}

fn p_field_select(st: &mut St) -> R<SelectItem> {
    lexeme(st, |st| {
        alt(
            st,
            |st| {
                alt(
                    st,
                    |st| {
                        attempt(st, |st| {
                            let mut s = Seq::new(st);
                            s.run(st, |st| string(st, "*"))?;
                            s.run(st, select_end)?;
                            s.done(SelectItem::Star)
                        })
                    },
                    |st| {
                        attempt(st, |st| {
                            let mut s = Seq::new(st);
                            let alias = s.run(st, p_alias)?;
                            s.run(st, |st| string(st, "count()"))?;
                            let cast = s.run(st, p_cast)?;
                            s.run(st, select_end)?;
                            s.done(SelectItem::CountAll { alias, cast })
                        })
                    },
                )
            },
            |st| {
                let mut s = Seq::new(st);
                let alias = s.run(st, p_alias)?;
                let field = s.run(st, p_field)?;
                let cast = s.run(st, p_cast)?;
                let aggregate = s.run(st, |st| {
                    opt(st, |st| {
                        attempt(st, |st| {
                            let mut s = Seq::new(st);
                            s.run(st, |st| char_(st, '.'))?;
                            let f = s.run(st, p_aggregation)?;
                            s.run(st, |st| string(st, "()"))?;
                            s.done(f)
                        })
                    })
                })?;
                let aggregate_cast = s.run(st, p_cast)?;
                s.run(st, select_end)?;
                // A quoted `"*"` is the star itself in PostgREST's tree.
                let plain =
                    alias.is_none() && cast.is_none() && aggregate.is_none() && aggregate_cast.is_none();
                if plain && field.name == "*" && field.json_path.is_empty() {
                    return s.done(SelectItem::Star);
                }
                s.done(SelectItem::Field {
                    field,
                    alias,
                    cast,
                    aggregate,
                    aggregate_cast,
                })
            },
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Filters

/// How an operator's value is read: the rest of the input (a filter parameter), or up to `,`/`)`
/// with quoting and `{...}` arrays (inside a logic tree).
#[derive(Clone, Copy)]
enum Val {
    Single,
    Logic,
}

fn p_value(st: &mut St, kind: Val) -> R<String> {
    match kind {
        Val::Single => map(many(st, any_char), |cs| cs.into_iter().collect()),
        Val::Logic => alt(
            st,
            |st| {
                alt(
                    st,
                    |st| attempt(st, p_quoted_then_separator),
                    |st| attempt(st, p_pg_array),
                )
            },
            |st| map(many(st, |st| none_of(st, ",)")), |cs| cs.into_iter().collect()),
        ),
    }
}

/// A quoted value that must be followed by `,`, `)` or the end.
fn p_quoted_then_separator(st: &mut St) -> R<String> {
    let mut s = Seq::new(st);
    let v = s.run(st, p_quoted_value)?;
    s.run(st, |st| not_followed_by(st, |st| none_of(st, ",)")))?;
    s.done(v)
}

/// `{...}` kept verbatim (commas inside are not separators).
fn p_pg_array(st: &mut St) -> R<String> {
    let mut s = Seq::new(st);
    s.run(st, |st| string(st, "{"))?;
    let inner = s.run(st, |st| many(st, |st| none_of(st, "{}")))?;
    s.run(st, |st| string(st, "}"))?;
    let mut v = String::from("{");
    v.extend(inner);
    v.push('}');
    s.done(v)
}

/// `(a,"b,c")`
fn p_list_val(st: &mut St) -> R<Vec<String>> {
    let mut s = Seq::new(st);
    s.run(st, |st| lexeme(st, |st| char_(st, '(')))?;
    let items = s.run(st, |st| {
        sep_by1(
            st,
            |st| {
                alt(
                    st,
                    |st| attempt(st, p_quoted_then_separator),
                    |st| map(many(st, |st| none_of(st, ",)")), |cs| cs.into_iter().collect()),
                )
            },
            |st| char_(st, ','),
        )
    })?;
    s.run(st, |st| lexeme(st, |st| char_(st, ')')))?;
    s.done(items)
}

/// `word.` as one step that consumes nothing on failure.
fn keyword_dot(st: &mut St, word: &'static str) -> R<()> {
    attempt(st, |st| {
        let mut s = Seq::new(st);
        s.run(st, |st| string(st, word))?;
        s.run(st, delimiter)?;
        s.done(())
    })
}

/// Case-insensitive literal, as PostgREST's `ciString` (each char as given or upper-cased).
fn ci_string(st: &mut St, word: &str) -> R<()> {
    let mut s = Seq::new(st);
    for c in word.chars() {
        let upper = c.to_ascii_uppercase();
        s.run(st, |st| alt(st, |st| char_(st, c), |st| char_(st, upper)))?;
    }
    s.done(())
}

fn p_is_val(st: &mut St) -> R<IsValue> {
    let ci = |word: &'static str, v: IsValue| {
        move |st: &mut St| attempt(st, |st| map(ci_string(st, word), move |_| v))
    };
    label(
        st,
        |st| {
            alt(st, ci("null", IsValue::Null), |st| {
                alt(st, ci("not_null", IsValue::NotNull), |st| {
                    alt(st, ci("true", IsValue::True), |st| {
                        alt(st, ci("false", IsValue::False), ci("unknown", IsValue::Unknown))
                    })
                })
            })
        },
        "isVal: (null, not_null, true, false, unknown)",
    )
}

fn literal_choice<T: Copy>(st: &mut St, table: &[(&'static str, T)], name: &'static str) -> R<T> {
    fn go<T: Copy>(st: &mut St, table: &[(&'static str, T)]) -> R<T> {
        match table {
            [] => zero(st),
            [(word, v), rest @ ..] => {
                let v = *v;
                alt(
                    st,
                    |st| attempt(st, |st| map(string(st, word), |_| v)),
                    |st| go(st, rest),
                )
            }
        }
    }
    label(st, |st| go(st, table), name)
}

const SIMPLE_OPERATORS: [(&str, Operator); 9] = [
    ("neq", Operator::Neq),
    ("cs", Operator::Contains),
    ("cd", Operator::ContainedIn),
    ("ov", Operator::Overlap),
    ("sl", Operator::StrictlyLeft),
    ("sr", Operator::StrictlyRight),
    ("nxr", Operator::NotExtendRight),
    ("nxl", Operator::NotExtendLeft),
    ("adj", Operator::Adjacent),
];

const QUANT_OPERATORS: [(&str, Operator); 9] = [
    ("eq", Operator::Eq),
    ("gte", Operator::Gte),
    ("gt", Operator::Gt),
    ("lte", Operator::Lte),
    ("lt", Operator::Lt),
    ("like", Operator::Like),
    ("ilike", Operator::Ilike),
    ("match", Operator::Match),
    ("imatch", Operator::Imatch),
];

const FTS_OPERATORS: [(&str, FtsOperator); 4] = [
    ("fts", FtsOperator::Fts),
    ("plfts", FtsOperator::Plain),
    ("phfts", FtsOperator::Phrase),
    ("wfts", FtsOperator::Websearch),
];

/// `like`/`ilike` read `*` as `%` (also inside `(any)`/`(all)` arrays).
fn op_value(op: Operator, value: String) -> String {
    match op {
        Operator::Like | Operator::Ilike => value.replace('*', "%"),
        _ => value,
    }
}

fn p_in(st: &mut St) -> R<Operation> {
    let mut s = Seq::new(st);
    s.run(st, |st| keyword_dot(st, "in"))?;
    let mut items = s.run(st, p_list_val)?;
    // PostgREST reads `in.()` (one empty element) as the empty list.
    if items.len() == 1 && items.first().is_some_and(String::is_empty) {
        items.clear();
    }
    s.done(Operation::In(items))
}

fn p_is(st: &mut St) -> R<Operation> {
    let mut s = Seq::new(st);
    s.run(st, |st| keyword_dot(st, "is"))?;
    let v = s.run(st, p_is_val)?;
    s.done(Operation::Is(v))
}

fn p_is_distinct(st: &mut St, kind: Val) -> R<Operation> {
    let mut s = Seq::new(st);
    s.run(st, |st| keyword_dot(st, "isdistinct"))?;
    let value = s.run(st, |st| p_value(st, kind))?;
    s.done(Operation::Op {
        op: Operator::IsDistinct,
        quantifier: None,
        value,
    })
}

fn p_fts(st: &mut St, kind: Val) -> R<Operation> {
    let mut s = Seq::new(st);
    let op = s.run(st, |st| {
        fn go(st: &mut St, table: &[(&'static str, FtsOperator)]) -> R<FtsOperator> {
            match table {
                [] => zero(st),
                [(word, v), rest @ ..] => {
                    let v = *v;
                    alt(
                        st,
                        |st| attempt(st, |st| map(string(st, word), |_| v)),
                        |st| go(st, rest),
                    )
                }
            }
        }
        go(st, &FTS_OPERATORS)
    })?;
    let language = s.run(st, |st| {
        opt(st, |st| {
            attempt(st, |st| {
                between(st, |st| char_(st, '('), |st| char_(st, ')'), p_identifier)
            })
        })
    })?;
    s.run(st, delimiter)?;
    let value = s.run(st, |st| p_value(st, kind))?;
    s.done(Operation::Fts { op, language, value })
}

fn p_simple_op(st: &mut St, kind: Val) -> R<Operation> {
    let mut s = Seq::new(st);
    let op = s.run(st, |st| {
        literal_choice(st, &SIMPLE_OPERATORS, "unknown single value operator")
    })?;
    s.run(st, delimiter)?;
    let value = s.run(st, |st| p_value(st, kind))?;
    s.done(Operation::Op {
        op,
        quantifier: None,
        value,
    })
}

fn p_quant_op(st: &mut St, kind: Val) -> R<Operation> {
    let mut s = Seq::new(st);
    let op = s.run(st, |st| {
        literal_choice(st, &QUANT_OPERATORS, "unknown single value operator")
    })?;
    let quantifier = s.run(st, |st| {
        opt(st, |st| {
            attempt(st, |st| {
                between(
                    st,
                    |st| char_(st, '('),
                    |st| char_(st, ')'),
                    |st| {
                        alt(
                            st,
                            |st| attempt(st, |st| map(string(st, "any"), |_| Quantifier::Any)),
                            |st| map(string(st, "all"), |_| Quantifier::All),
                        )
                    },
                )
            })
        })
    })?;
    s.run(st, delimiter)?;
    let value = s.run(st, |st| p_value(st, kind))?;
    s.done(Operation::Op {
        op,
        quantifier,
        value: op_value(op, value),
    })
}

fn p_operation(st: &mut St, kind: Val) -> R<Operation> {
    label(
        st,
        |st| {
            alt(st, p_in, |st| {
                alt(st, p_is, |st| {
                    alt(
                        st,
                        |st| p_is_distinct(st, kind),
                        |st| {
                            alt(
                                st,
                                |st| attempt(st, |st| p_fts(st, kind)),
                                |st| {
                                    alt(
                                        st,
                                        |st| attempt(st, |st| p_simple_op(st, kind)),
                                        |st| attempt(st, |st| p_quant_op(st, kind)),
                                    )
                                },
                            )
                        },
                    )
                })
            })
        },
        "operator (eq, gt, ...)",
    )
}

/// `[not.]operation`
fn p_op_expr(st: &mut St, kind: Val) -> R<(bool, Operation)> {
    let mut s = Seq::new(st);
    let negated = s.run(st, |st| {
        alt(
            st,
            |st| map(keyword_dot(st, "not"), |_| true),
            |st| pure(st, false),
        )
    })?;
    let operation = s.run(st, |st| p_operation(st, kind))?;
    s.done((negated, operation))
}

// ---------------------------------------------------------------------------------------------
// Logic trees

fn p_logic_path(st: &mut St) -> R<(EmbedPath, String)> {
    map(sep_by1(st, p_field_name, delimiter), |mut names| {
        let has_not = names.iter().any(|n| n == "not");
        let op = names.pop().unwrap_or_default();
        let path = names.into_iter().filter(|n| n != "not").collect();
        (path, if has_not { format!("not.{op}") } else { op })
    })
}

fn p_logic_filter(st: &mut St) -> R<Filter> {
    let mut s = Seq::new(st);
    let field = s.run(st, p_field)?;
    s.run(st, delimiter)?;
    let (negated, operation) = s.run(st, |st| p_op_expr(st, Val::Logic))?;
    s.done(Filter {
        field,
        negated,
        operation,
    })
}

fn p_logic_children(st: &mut St) -> R<Vec<LogicTree>> {
    if st.depth >= MAX_DEPTH {
        return fatal(st, format!("logic trees nested deeper than {MAX_DEPTH} levels"));
    }
    st.depth += 1;
    let r = between(
        st,
        |st| lexeme(st, |st| char_(st, '(')),
        |st| lexeme(st, |st| char_(st, ')')),
        |st| sep_by1(st, p_logic_tree, |st| lexeme(st, |st| char_(st, ','))),
    );
    st.depth -= 1;
    r
}

fn p_logic_tree(st: &mut St) -> R<LogicTree> {
    alt(
        st,
        |st| map(attempt(st, p_logic_filter), LogicTree::Filter),
        |st| {
            let mut s = Seq::new(st);
            let negated = s.run(st, |st| {
                label(
                    st,
                    |st| {
                        alt(
                            st,
                            |st| map(keyword_dot(st, "not"), |_| true),
                            |st| pure(st, false),
                        )
                    },
                    "negation operator (not)",
                )
            })?;
            let op = s.run(st, |st| {
                label(
                    st,
                    |st| {
                        alt(
                            st,
                            |st| attempt(st, |st| map(string(st, "and"), |_| LogicOp::And)),
                            |st| map(string(st, "or"), |_| LogicOp::Or),
                        )
                    },
                    "logic operator (and, or)",
                )
            })?;
            let children = s.run(st, p_logic_children)?;
            s.done(LogicTree::Expr {
                negated,
                op,
                children,
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------
// order, columns

fn order_end(st: &mut St) -> R<()> {
    alt(
        st,
        |st| attempt(st, |st| map(look_ahead(st, |st| char_(st, ',')), |_| ())),
        |st| attempt(st, eof),
    )
}

fn p_direction(st: &mut St) -> R<Option<Direction>> {
    opt(st, |st| {
        alt(
            st,
            |st| attempt(st, |st| keyword_after_dot(st, "asc", Direction::Asc)),
            |st| attempt(st, |st| keyword_after_dot(st, "desc", Direction::Desc)),
        )
    })
}

fn keyword_after_dot<T>(st: &mut St, word: &'static str, v: T) -> R<T> {
    let mut s = Seq::new(st);
    s.run(st, delimiter)?;
    s.run(st, |st| string(st, word))?;
    s.done(v)
}

/// `[.nullsfirst|.nullslast]` then the end of the term.
fn p_nulls_end(st: &mut St) -> R<Option<Nulls>> {
    alt(
        st,
        |st| {
            let mut s = Seq::new(st);
            let nulls = s.run(st, |st| {
                opt(st, |st| {
                    alt(
                        st,
                        |st| attempt(st, |st| keyword_after_dot(st, "nullsfirst", Nulls::First)),
                        |st| attempt(st, |st| keyword_after_dot(st, "nullslast", Nulls::Last)),
                    )
                })
            })?;
            s.run(st, order_end)?;
            s.done(nulls)
        },
        |st| map(order_end(st), |_| None),
    )
}

fn p_order_term(st: &mut St) -> R<OrderTerm> {
    let mut s = Seq::new(st);
    let field = s.run(st, p_field)?;
    let direction = s.run(st, p_direction)?;
    let nulls = s.run(st, p_nulls_end)?;
    s.done(OrderTerm {
        target: OrderTarget::Field(field),
        direction,
        nulls,
    })
}

fn p_order_relation_term(st: &mut St) -> R<OrderTerm> {
    let mut s = Seq::new(st);
    let relation = s.run(st, p_field_name)?;
    let field = s.run(st, |st| {
        between(st, |st| char_(st, '('), |st| char_(st, ')'), p_field)
    })?;
    let direction = s.run(st, p_direction)?;
    let nulls = s.run(st, p_nulls_end)?;
    s.done(OrderTerm {
        target: OrderTarget::Related { relation, field },
        direction,
        nulls,
    })
}

fn p_order(st: &mut St) -> R<Vec<OrderTerm>> {
    sep_by1(
        st,
        |st| {
            lexeme(st, |st| {
                alt(st, |st| attempt(st, p_order_relation_term), p_order_term)
            })
        },
        |st| char_(st, ','),
    )
}

fn p_columns(st: &mut St) -> R<Vec<String>> {
    sep_by1(st, p_field_name, |st| lexeme(st, |st| char_(st, ',')))
}

#[cfg(test)]
mod two_pass {
    //! The fast pass (no messages) and the reporting pass must agree on every input.
    use super::*;
    use crate::parsec::run_tracked;
    use proptest::prelude::*;

    /// Inputs drawn from the characters the grammars care about, so that most of them go deep.
    fn input() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("id".to_string()),
                Just("name".to_string()),
                Just("books".to_string()),
                Just("eq".to_string()),
                Just("in".to_string()),
                Just("not".to_string()),
                Just("and".to_string()),
                Just("desc".to_string()),
                Just("nullsfirst".to_string()),
                Just("count()".to_string()),
                r#"[-a-z0-9().,:!*"\\>{}+ ]"#.prop_map(|c| c.to_string()),
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn both_passes_agree(s in input()) {
            let name = || "x".to_string();
            prop_assert_eq!(run(name, &s, p_field_forest), run_tracked(name, &s, p_field_forest));
            prop_assert_eq!(run(name, &s, p_order), run_tracked(name, &s, p_order));
            prop_assert_eq!(
                run(name, &s, |st| p_op_expr(st, Val::Single)),
                run_tracked(name, &s, |st| p_op_expr(st, Val::Single))
            );
            let tree = format!("or({s})");
            prop_assert_eq!(run(name, &tree, p_logic_tree), run_tracked(name, &tree, p_logic_tree));
        }
    }
}
