//! Request headers: `Prefer`, `Range` (with `limit`/`offset`), media types and `Accept`.

use crate::render::{check_all, error, result};
use restgres_request::media::{parse_accept, parse_media_type};
use restgres_request::prefer::*;
use restgres_request::range::{
    parse_range_header, parse_range_header_bounds, resolve_top_level_range, RangeBounds,
};
use restgres_request::*;

fn prefs(p: &Preferences) -> String {
    let mut parts = Vec::new();
    if let Some(r) = p.return_ {
        parts.push(format!("return={r:?}"));
    }
    if let Some(c) = p.count {
        parts.push(format!("count={c:?}"));
    }
    if let Some(r) = p.resolution {
        parts.push(format!("resolution={r:?}"));
    }
    if p.missing_default {
        parts.push("missing=default".to_owned());
    }
    if let Some(h) = p.handling {
        parts.push(format!("handling={h:?}"));
    }
    if let Some(t) = &p.timezone {
        parts.push(format!("timezone={t}"));
    }
    if let Some(t) = p.tx {
        parts.push(format!("tx={t:?}"));
    }
    if let Some(m) = p.max_affected {
        parts.push(format!("max-affected={m}"));
    }
    if p.params_single_object {
        parts.push("params=single-object".to_owned());
    }
    if !p.invalid.is_empty() {
        parts.push(format!("invalid={:?}", p.invalid));
    }
    parts.join(" ")
}

/// Several headers are separated by ` | ` in the input.
fn check_prefer(cases: &[(&str, &str)]) {
    check_all(cases, |input| prefs(&Preferences::parse(input.split(" | "))));
}

#[test]
fn prefer_each_preference() {
    check_prefer(&[
        ("return=representation", "return=Representation"),
        ("return=minimal", "return=Minimal"),
        ("return=headers-only", "return=HeadersOnly"),
        ("count=exact", "count=Exact"),
        ("count=planned", "count=Planned"),
        ("count=estimated", "count=Estimated"),
        ("resolution=merge-duplicates", "resolution=MergeDuplicates"),
        ("resolution=ignore-duplicates", "resolution=IgnoreDuplicates"),
        ("missing=default", "missing=default"),
        ("missing=null", ""),
        ("handling=strict", "handling=Strict"),
        ("handling=lenient", "handling=Lenient"),
        ("timezone=America/Los_Angeles", "timezone=America/Los_Angeles"),
        ("tx=commit", "tx=Commit"),
        ("tx=rollback", "tx=Rollback"),
        ("max-affected=100", "max-affected=100"),
        ("max-affected=-1", "max-affected=-1"),
        ("", r#"invalid=[""]"#),
    ]);
}

#[test]
fn prefer_lists_headers_and_precedence() {
    check_prefer(&[
        (
            "resolution=ignore-duplicates, count=exact, timezone=America/Los_Angeles, max-affected=100",
            "count=Exact resolution=IgnoreDuplicates timezone=America/Los_Angeles max-affected=100",
        ),
        (
            "resolution=ignore-duplicates | count=exact | missing=null | handling=lenient | invalid | max-affected=5999",
            r#"count=Exact resolution=IgnoreDuplicates handling=Lenient max-affected=5999 invalid=["invalid"]"#,
        ),
        // The first occurrence wins, within a header and across headers.
        ("tx=commit, tx=rollback", "tx=Commit"),
        ("resolution=ignore-duplicates | resolution=merge-duplicates", "resolution=IgnoreDuplicates"),
        ("missing=null, missing=default", ""),
        ("count=exact,count=planned", "count=Exact"),
        // Arbitrary spaces around items.
        (
            "count=exact,    tx=commit   ,return=representation , missing=default, handling=strict, anything",
            r#"return=Representation count=Exact missing=default handling=Strict tx=Commit invalid=["anything"]"#,
        ),
    ]);
}

#[test]
fn prefer_invalid_ones() {
    check_prefer(&[
        // Exact, case-sensitive spelling only.
        ("return=Representation", r#"invalid=["return=Representation"]"#),
        ("count = exact", r#"invalid=["count = exact"]"#),
        // Dropped by PostgREST v12, kept by restgres as an extension (older clients send it).
        ("params=single-object", "params=single-object"),
        (
            "params=multiple-objects",
            r#"invalid=["params=multiple-objects"]"#,
        ),
        ("plurality=singular", r#"invalid=["plurality=singular"]"#),
        ("a, b", r#"invalid=["a", "b"]"#),
        // An empty item (trailing comma) is an invalid preference too.
        ("count=exact,", r#"count=Exact invalid=[""]"#),
        // max-affected: only the first counts; an unreadable one is ignored but not invalid.
        ("max-affected=abc", ""),
        ("max-affected=abc, max-affected=5", ""),
        ("max-affected=5, max-affected=6", "max-affected=5"),
        ("max-affected= 7", "max-affected=7"),
        // Int64 arithmetic wraps around like Haskell's `read`.
        ("max-affected=18446744073709551621", "max-affected=5"),
    ]);
}

#[test]
fn prefer_timezones_checked_against_the_database() {
    let known = |tz: &str| tz == "UTC" || tz == "Europe/Paris";
    let parse = |h: &str| prefs(&Preferences::parse_with_timezones([h], known));
    assert_eq!(parse("timezone=UTC"), "timezone=UTC");
    assert_eq!(
        parse("timezone=Mars/Olympus"),
        r#"invalid=["timezone=Mars/Olympus"]"#
    );
    // Only the first decides; when it is unknown, every timezone preference is invalid.
    assert_eq!(
        parse("timezone=Nope, timezone=UTC"),
        r#"invalid=["timezone=Nope", "timezone=UTC"]"#
    );
    assert_eq!(parse("timezone=UTC, timezone=Nope"), "timezone=UTC");
}

#[test]
fn prefer_strict_handling() {
    let check = |h: &str| Preferences::parse([h]).check_strict().map_err(|e| error(&e));
    assert_eq!(check("handling=strict, count=exact"), Ok(()));
    assert_eq!(
        check("handling=strict, bogus, x=1"),
        Err(r#"PREF ["bogus", "x=1"]"#.to_owned())
    );
    assert_eq!(check("handling=lenient, bogus"), Ok(()));
    assert_eq!(check("bogus"), Ok(()));
}

fn bounds(b: Option<RangeBounds>) -> String {
    match b {
        None => "ignored".to_owned(),
        Some(RangeBounds {
            lower,
            upper: Some(u),
        }) => format!("{lower}-{u}"),
        Some(RangeBounds { lower, upper: None }) => format!("{lower}-"),
    }
}

fn row_range(r: Option<RowRange>) -> String {
    match r {
        None => "ignored".to_owned(),
        Some(RowRange {
            offset,
            limit: Some(l),
        }) => format!("offset={offset} limit={l}"),
        Some(RowRange { offset, limit: None }) => format!("offset={offset}"),
    }
}

#[test]
fn range_header() {
    check_all(
        &[
            ("0-9", "offset=0 limit=10"),
            ("10-", "offset=10"),
            ("0-0", "offset=0 limit=1"),
            ("5-5", "offset=5 limit=1"),
            ("007-8", "offset=7 limit=2"),
            ("5-1", "416 The lower boundary must be lower than or equal to the upper boundary in the Range header."),
            // Anything else is ignored, as PostgREST's `^([0-9]+)-([0-9]*)$` does.
            ("items=0-9", "ignored"),
            ("-5", "ignored"),
            ("", "ignored"),
            (" 0-9", "ignored"),
            ("0-9 ", "ignored"),
            ("0 - 9", "ignored"),
            ("a-b", "ignored"),
            ("0-9,20-30", "ignored"),
            ("+1-2", "ignored"),
            ("١-٢", "ignored"),
            ("99999999999999999999-", "offset=9223372036854775807"),
        ],
        |input| result(parse_range_header(input), row_range),
    );
    assert_eq!(bounds(parse_range_header_bounds("5-1")), "5-1");
    assert_eq!(bounds(parse_range_header_bounds("3-")), "3-");
    assert_eq!(bounds(parse_range_header_bounds("x")), "ignored");
}

/// `limit`/`offset` (as `parse_query_string` returns the top level) combined with `Range`.
#[test]
fn top_level_range_with_header() {
    let limit = |offset, limit| Some(RowRange { offset, limit });
    let header = |s: &str| parse_range_header_bounds(s);
    let cases = [
        (None, None, "offset=0"),
        (None, header("0-9"), "offset=0 limit=10"),
        (None, header("10-"), "offset=10"),
        (limit(0, Some(5)), None, "offset=0 limit=5"),
        (limit(0, Some(5)), header("0-9"), "offset=0 limit=5"),
        (limit(0, Some(20)), header("0-9"), "offset=0 limit=10"),
        (limit(2, Some(20)), header("0-9"), "offset=2 limit=8"),
        (limit(4, None), header("0-9"), "offset=4 limit=6"),
        // `limit=0` wins over any header, even an inverted one.
        (limit(0, Some(0)), header("0-9"), "offset=0 limit=0"),
        (limit(0, Some(0)), header("5-1"), "offset=0 limit=0"),
        // An inverted header is blamed on the header.
        (
            None,
            header("5-1"),
            "416 The lower boundary must be lower than or equal to the upper boundary in the Range header.",
        ),
        (
            limit(0, Some(3)),
            header("5-1"),
            "416 The lower boundary must be lower than or equal to the upper boundary in the Range header.",
        ),
        // Disjoint ranges are reported as a negative limit, as PostgREST does.
        (
            limit(0, Some(5)),
            header("10-20"),
            "416 Limit should be greater than or equal to zero.",
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(q, h, expected)| {
            let got = result(resolve_top_level_range(*q, *h), |r| row_range(Some(r)));
            (got != *expected).then(|| format!("{q:?} {h:?}: expected {expected}, got {got}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn media(m: &MediaType) -> String {
    format!("{m:?}")
}

#[test]
fn media_types() {
    check_all(
        &[
            ("application/json", "Json"),
            ("APPLICATION/JSON", "Json"),
            ("application/json; charset=utf-8", "Json"),
            ("application/geo+json", "GeoJson"),
            ("text/csv", "Csv"),
            ("text/plain", "TextPlain"),
            ("text/xml", "TextXml"),
            ("application/octet-stream", "OctetStream"),
            ("application/openapi+json", "OpenApi"),
            ("application/x-www-form-urlencoded", "FormUrlEncoded"),
            ("*/*", "Any"),
            (
                "application/vnd.pgrst.object+json",
                "ObjectJson { nulls_stripped: false }",
            ),
            (
                "application/vnd.pgrst.object",
                "ObjectJson { nulls_stripped: false }",
            ),
            (
                "ApplicatIon/vnd.PgRsT.object+json",
                "ObjectJson { nulls_stripped: false }",
            ),
            (
                "application/vnd.pgrst.object+json;nulls=stripped",
                "ObjectJson { nulls_stripped: true }",
            ),
            (
                "application/vnd.pgrst.object+json; NULLS=stripped",
                "ObjectJson { nulls_stripped: true }",
            ),
            (
                "application/vnd.pgrst.object+json;nulls=STRIPPED",
                "ObjectJson { nulls_stripped: false }",
            ),
            (
                "application/vnd.pgrst.array+json;nulls=stripped",
                "ArrayJson { nulls_stripped: true }",
            ),
            ("application/vnd.pgrst.array", "Json"),
            // Without nulls=stripped the array media type is plain JSON.
            ("application/vnd.pgrst.array+json", "Json"),
            (
                "application/vnd.pgrst.plan",
                r#"Plan { format_json: false, for_media: Some(Json), options: [] }"#,
            ),
            (
                "application/vnd.pgrst.plan;",
                r#"Plan { format_json: false, for_media: Some(Json), options: [] }"#,
            ),
            (
                r#"application/vnd.pgrst.plan ; for="text/xml" ; options=analyze"#,
                r#"Plan { format_json: false, for_media: Some(TextXml), options: ["analyze"] }"#,
            ),
            (
                r#"application/vnd.pgrst.plan+json;for="text/csv""#,
                r#"Plan { format_json: true, for_media: Some(Csv), options: [] }"#,
            ),
            (
                r#"application/vnd.pgrst.plan+text; for="application/vnd.pgrst.object+json"; options=wal|verbose|analyze|bogus"#,
                r#"Plan { format_json: false, for_media: Some(ObjectJson { nulls_stripped: false }), options: ["analyze", "verbose", "wal"] }"#,
            ),
            // Other media types are kept verbatim (handlers and PGRST107 messages use them as given).
            ("application/vnd.twkb", r#"Other("application/vnd.twkb")"#),
            ("text/*", r#"Other("text/*")"#),
            ("Image/PNG", r#"Other("Image/PNG")"#),
            (
                "application/xml;charset=utf-8",
                r#"Other("application/xml;charset=utf-8")"#,
            ),
            ("garbage", r#"Other("garbage")"#),
            ("", r#"Other("")"#),
            ("x-y/z", r#"Other("x-y/z")"#),
        ],
        |input| media(&parse_media_type(input)),
    );
}

#[test]
fn content_types() {
    let cases = [
        (MediaType::Json, "application/json; charset=utf-8"),
        (MediaType::GeoJson, "application/geo+json; charset=utf-8"),
        (MediaType::Csv, "text/csv; charset=utf-8"),
        (MediaType::TextPlain, "text/plain; charset=utf-8"),
        (MediaType::TextXml, "text/xml; charset=utf-8"),
        (MediaType::OpenApi, "application/openapi+json; charset=utf-8"),
        (
            MediaType::FormUrlEncoded,
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        (MediaType::OctetStream, "application/octet-stream"),
        (MediaType::Any, "*/*; charset=utf-8"),
        (
            MediaType::ObjectJson {
                nulls_stripped: false,
            },
            "application/vnd.pgrst.object+json; charset=utf-8",
        ),
        (
            MediaType::ObjectJson { nulls_stripped: true },
            "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8",
        ),
        (
            MediaType::ArrayJson { nulls_stripped: true },
            "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8",
        ),
        (
            MediaType::ArrayJson {
                nulls_stripped: false,
            },
            "application/json; charset=utf-8",
        ),
        (
            MediaType::Plan {
                format_json: false,
                for_media: None,
                options: vec![],
            },
            r#"application/vnd.pgrst.plan+text; for="application/json"; charset=utf-8"#,
        ),
        (
            MediaType::Plan {
                format_json: true,
                for_media: Some(Box::new(MediaType::Csv)),
                options: vec!["analyze".into(), "verbose".into()],
            },
            r#"application/vnd.pgrst.plan+json; for="text/csv"; options=analyze|verbose; charset=utf-8"#,
        ),
        (MediaType::Other("image/png".into()), "image/png"),
    ];
    for (m, expected) in cases {
        assert_eq!(m.content_type(), expected, "{m:?}");
    }
    // Parsing then printing gives PostgREST's canonical spelling.
    assert_eq!(
        parse_media_type(r#"application/vnd.pgrst.plan+json; options=analyze; for="application/vnd.pgrst.object+json;nulls=stripped""#)
            .content_type(),
        r#"application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object+json;nulls=stripped"; options=analyze; charset=utf-8"#
    );
}

fn accept(header: &str) -> String {
    parse_accept(header)
        .iter()
        .map(|r| format!("{}@{}", r.media.mime(), r.quality))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn accept_header() {
    check_all(
        &[
            ("", "*/*@1000"),
            ("   ", "*/*@1000"),
            ("*/*", "*/*@1000"),
            ("application/json", "application/json@1000"),
            (
                "text/csv, application/json",
                "text/csv@1000, application/json@1000",
            ),
            (
                "text/csv;q=0.5, application/json",
                "application/json@1000, text/csv@500",
            ),
            (
                "text/csv;q=0.5,application/json;q=0.9",
                "application/json@900, text/csv@500",
            ),
            // Equal quality: more specific first (more parameters, fewer `*`), then the order given.
            ("*/*, text/*, text/csv", "text/csv@1000, text/*@1000, */*@1000"),
            (
                "application/json, application/vnd.pgrst.object+json;nulls=stripped",
                "application/vnd.pgrst.object+json;nulls=stripped@1000, application/json@1000",
            ),
            ("text/plain;q=0", "text/plain@0"),
            ("a/b;q=0.333, c/d;q=0.3333", "c/d@333, a/b@333"),
            // Unreadable q-values count as 1; `;q=` cuts the rest off.
            ("text/csv;q=abc", "text/csv@1000"),
            ("text/csv;q=.5, text/plain;q=0.4", "text/csv@1000, text/plain@400"),
            ("text/csv;q=0.5;charset=utf-8", "text/csv@500"),
            // Spaces are removed entirely before anything else.
            ("application / json ; q = 0.5", "application/json@500"),
            ("text/csv ;q=0.2 , */* ;q=0.1", "text/csv@200, */*@100"),
            ("application/json,", "application/json@1000, @1000"),
            ("TEXT/CSV", "text/csv@1000"),
        ],
        accept,
    );
}

#[test]
fn request_error_texts() {
    let e = RequestError::InvalidRange {
        details: range::NEGATIVE_LIMIT.to_owned(),
    };
    assert_eq!(error(&e), "416 Limit should be greater than or equal to zero.");
    assert_eq!(e.to_string(), "Requested range not satisfiable");
    let e = RequestError::InvalidPreferences {
        invalid: vec!["x".into()],
    };
    assert_eq!(e.to_string(), "Invalid preferences given with handling=strict");
    let e = RequestError::Parse {
        message: "m".into(),
        details: "d".into(),
    };
    assert_eq!(e.to_string(), "m");
}
