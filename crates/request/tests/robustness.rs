//! Hostile input: deep nesting must fail cleanly (no stack overflow), huge numbers saturate, and
//! large inputs parse in linear time.

use crate::render::{error, logic, result, select};
use restgres_request::query::*;
use restgres_request::*;

fn nested_select(depth: usize) -> String {
    format!("{}x{}", "a(".repeat(depth), ")".repeat(depth))
}

fn nested_logic(depth: usize) -> String {
    format!("({}a.eq.1{})", "or(".repeat(depth), ")".repeat(depth))
}

#[test]
fn deep_embeds_up_to_the_limit_parse() {
    let parsed = parse_select(&nested_select(99));
    assert!(parsed.is_ok(), "{parsed:?}");
    assert_eq!(
        result(parse_select(&nested_select(3)), |s| select(&s)),
        "a(a(a(x)))"
    );
}

#[test]
fn deep_embeds_beyond_the_limit_fail_cleanly() {
    for depth in [100, 1_000, 100_000] {
        let got = result(parse_select(&nested_select(depth)), |s| select(&s));
        let prefix = "(line 1, column 201) | embedded resources nested deeper than 100 levels";
        assert!(
            got.starts_with("ERR \"failed to parse select parameter (a(a("),
            "{got:.200}"
        );
        assert!(got.ends_with(prefix), "{}", &got[got.len().saturating_sub(120)..]);
    }
}

#[test]
fn deep_logic_trees_fail_cleanly() {
    // `or=(` followed by 99 nested trees is 100 levels of parentheses: the limit.
    assert!(parse_logic("or", &nested_logic(99)).is_ok());
    assert_eq!(
        result(parse_logic("or", &nested_logic(1)), |(_, t)| logic(&t)),
        r#"or(or(a eq "1"))"#
    );
    for depth in [100, 1_000, 100_000] {
        let got = result(parse_logic("or", &nested_logic(depth)), |(_, t)| logic(&t));
        assert!(
            got.ends_with("| logic trees nested deeper than 100 levels"),
            "{}",
            &got[got.len() - 80..]
        );
    }
    // Parentheses that are not trees (in values, lists) are not limited.
    let many_parens = format!("(a.eq.{})", "(".repeat(100_000));
    assert!(parse_logic("or", &many_parens).is_ok());
}

#[test]
fn deep_nesting_through_the_query_string() {
    let raw = format!("select={}&or={}", nested_select(5_000), nested_logic(5_000));
    let got = parse_query_string(&raw).map_err(|e| error(&e));
    assert!(
        matches!(&got, Err(e) if e.contains("nested deeper than 100 levels")),
        "{got:?}"
    );
}

#[test]
fn huge_numbers_saturate() {
    let digits = "9".repeat(400);
    let q = parse_query_string(&format!("limit={digits}&offset={digits}")).map(|q| q.ranges);
    assert_eq!(
        q,
        Ok(vec![(
            vec![],
            RowRange {
                offset: i64::MAX,
                limit: Some(1)
            }
        )])
    );
    let q = parse_query_string(&format!("actors.limit={digits}")).map(|q| q.ranges);
    assert_eq!(
        q,
        Ok(vec![(
            vec!["actors".to_owned()],
            RowRange {
                offset: 0,
                limit: Some(i64::MAX)
            }
        )])
    );
    let s = parse_select(&format!("data->{digits},data->-{digits}"));
    let index = |s: &SelectItem| match s {
        SelectItem::Field { field, .. } => field.json_path.first().map(|p| p.key.clone()),
        _ => None,
    };
    let s = s.map(|items| items.iter().map(index).collect::<Vec<_>>());
    assert_eq!(
        s,
        Ok(vec![
            Some(JsonKey::Index(i64::MAX)),
            Some(JsonKey::Index(-i64::MAX))
        ])
    );
    let p = Preferences::parse([format!("max-affected={digits}").as_str()]);
    assert!(p.max_affected.is_some() && p.invalid.is_empty());
    assert!(range::parse_range_header(&format!("{digits}-")).is_ok());
}

#[test]
fn large_inputs_parse() {
    let wide = vec!["col"; 50_000].join(",");
    assert_eq!(parse_select(&wide).map(|s| s.len()), Ok(50_000));
    let long_value = "x".repeat(1_000_000);
    let f = parse_filter("a", &format!("eq.{long_value}")).map(|(_, f)| f.operation);
    assert!(matches!(f, Ok(Operation::Op { value, .. }) if value.len() == 1_000_000));
    let list = format!("in.({})", vec!["\"v,1\""; 50_000].join(","));
    assert!(
        matches!(parse_filter("a", &list), Ok((_, Filter { operation: Operation::In(v), .. })) if v.len() == 50_000)
    );
    let tree = format!("({})", vec!["a.eq.1"; 50_000].join(","));
    assert!(parse_logic("and", &tree).is_ok());
    let pairs = vec!["a=eq.1"; 20_000].join("&");
    assert_eq!(parse_query_string(&pairs).map(|q| q.filters.len()), Ok(20_000));
}

#[test]
fn empty_inputs() {
    assert_eq!(
        parse_query_string("").map(|q| q.select),
        Ok(vec![SelectItem::Star])
    );
    assert_eq!(parse_select(""), Ok(vec![]));
    assert!(parse_filter("", "").is_err());
    assert!(parse_filter("a", "").is_err());
    assert!(parse_logic("", "").is_err());
    assert!(parse_logic("or", "").is_err());
    assert!(parse_order("").is_err());
    assert!(parse_columns("").is_err());
    assert_eq!(Preferences::parse([]), Preferences::default());
    assert_eq!(range::parse_range_header(""), Ok(None));
}

#[test]
fn percent_encoded_unicode_identifiers() {
    let q = parse_query_string("caf%C3%A9=eq.cr%C3%A8me&select=%E6%97%A5%E6%9C%AC:caf%C3%A9,%22a%20b%22");
    let q = q.map(|q| crate::render::query(&q));
    assert_eq!(
        q.as_deref(),
        Ok(r#"select=日本:café,"a b" | filter=café eq "crème" | param="café"="eq.crème""#)
    );
}

#[test]
fn unicode_and_control_characters_in_errors() {
    // Haskell's `show` escapes non-ASCII and control characters in the details.
    let got = result(parse_filter("a", "é"), |_| String::new());
    assert!(
        got.ends_with(r#"| unexpected "\233" expecting "not" or operator (eq, gt, ...)"#),
        "{got}"
    );
    let got = result(parse_order("a.\u{1}"), |_| String::new());
    assert!(got.contains(r#"unexpected "\SOH""#), "{got}");
    // Tabs move to the next multiple of 8 and newlines start a line, as Parsec counts.
    let got = result(parse_order("\tid.x"), |_| String::new());
    assert!(got.contains("(line 1, column 12)"), "{got}");
    let got = result(parse_order("\"a\nb\".x"), |_| String::new());
    assert!(got.contains("(line 2, column 4)"), "{got}");
}
