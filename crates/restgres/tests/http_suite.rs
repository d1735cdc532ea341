//! The black-box HTTP suite: every `tests/cases/**/*.toml` file is one trial that starts restgres on its own
//! database (cloned from a template loaded with `tests/fixtures/*.sql`) and checks each case's response.
//!
//! Runs under `cargo test -p restgres --test http_suite` and under nextest (libtest-compatible arguments:
//! `--list`, `--exact`, filters). tests/README.md describes the case format and the environment.

#[path = "http_suite/admin.rs"]
mod admin;
#[path = "http_suite/cases.rs"]
mod cases;
#[path = "http_suite/clients.rs"]
mod clients;
#[path = "http_suite/db.rs"]
mod db;
#[path = "http_suite/lifecycle.rs"]
mod lifecycle;
#[path = "http_suite/logging.rs"]
mod logging;
#[path = "http_suite/runner.rs"]
mod runner;
#[path = "http_suite/serving.rs"]
mod serving;
#[path = "http_suite/streaming.rs"]
mod streaming;

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

/// Set to a level (error, warn, info, debug, trace) to see the server's own log on stderr.
const LOG_ENV: &str = "RESTGRES_TEST_LOG";

fn main() {
    if let Some(level) = std::env::var(LOG_ENV)
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
    {
        let _ = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .try_init();
    }
    let args = Arguments::from_args();
    let trials = trials();
    let conclusion = libtest_mimic::run(&args, trials);
    db::stop_temp_cluster();
    conclusion.exit();
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("cases")
}

fn trials() -> Vec<Trial> {
    let mut trials = self_checks();
    trials.extend(lifecycle::trials());
    trials.extend(serving::trials());
    trials.extend(admin::trials());
    trials.extend(logging::trials());
    trials.extend(streaming::trials());
    trials.extend(clients::trials());
    let dir = cases_dir();
    let files = cases::find_case_files(&dir);
    let count = files.as_ref().map_or(0, Vec::len);
    // A suite that quietly finds nothing to run must not pass.
    trials.push(Trial::test("case_files_found", move || {
        if count == 0 {
            Err(format!("no case files (*.toml) under {}", cases_dir().display()).into())
        } else {
            Ok(())
        }
    }));
    let files = match files {
        Ok(files) => files,
        Err(e) => {
            trials.push(Trial::test("case_files_readable", move || Err(e.into())));
            return trials;
        }
    };
    for path in files {
        let name = trial_name(&dir, &path);
        trials.push(match cases::CaseFile::load(&path) {
            Ok(file) => Trial::test(name, move || runner::run_file(&file).map_err(Failed::from)),
            Err(e) => Trial::test(name, move || Err(e.into())),
        });
    }
    trials
}

/// `cases/read/select.toml` -> `read::select`.
fn trial_name(dir: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(dir).unwrap_or(path).with_extension("");
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("::")
}

/// Checks of the harness itself, needing neither a database nor a server.
fn self_checks() -> Vec<Trial> {
    vec![
        Trial::test("harness::encodes_targets", || {
            check_encode_target().map_err(Failed::from)
        }),
        Trial::test("harness::compares_json", || {
            check_json_compare().map_err(Failed::from)
        }),
        Trial::test("harness::checks_headers", || {
            check_headers().map_err(Failed::from)
        }),
        Trial::test("harness::rewrites_connection_strings", || {
            check_uris().map_err(Failed::from)
        }),
        Trial::test("harness::writes_config_text", || {
            check_config_text().map_err(Failed::from)
        }),
        Trial::test("harness::hashes_fixtures", || {
            check_fixture_hash().map_err(Failed::from)
        }),
        Trial::test("harness::rejects_bad_case_files", || {
            check_case_validation().map_err(Failed::from)
        }),
        Trial::test("harness::reads_bodies_and_after_sql", || {
            check_body_and_after().map_err(Failed::from)
        }),
    ]
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {want:?}, got {got:?}"))
    }
}

fn check_encode_target() -> Result<(), String> {
    expect_eq(
        "plain",
        cases::encode_target("/items?id=eq.1"),
        "/items?id=eq.1".into(),
    )?;
    expect_eq(
        "space",
        cases::encode_target("/a b?x=y z"),
        "/a%20b?x=y%20z".into(),
    )?;
    expect_eq("kept %", cases::encode_target("/a%20b"), "/a%20b".into())?;
    expect_eq(
        "quotes and braces",
        cases::encode_target("/t?a=in.(\"x\")&b=cs.{1}&c=ov.[1,2]"),
        "/t?a=in.(%22x%22)&b=cs.%7B1%7D&c=ov.%5B1,2%5D".into(),
    )?;
    expect_eq("unicode", cases::encode_target("/ñ"), "/%C3%B1".into())?;
    expect_eq(
        "backslash",
        cases::encode_target("/t?s=a\\b"),
        "/t?s=a%5Cb".into(),
    )?;
    expect_eq("plus kept", cases::encode_target("/t?s=a+b"), "/t?s=a+b".into())
}

fn check_json_compare() -> Result<(), String> {
    let j = |s: &str| serde_json::from_str::<serde_json::Value>(s).map_err(|e| e.to_string());
    let cases_ = [
        ("1.50", "1.5", true),
        ("12", "12.00", true),
        ("9007199254740993", "9007199254740992", false),
        ("[1,2]", "[2,1]", false),
        (
            "{\"a\":1,\"b\":[true,null]}",
            "{\"b\":[true,null],\"a\":1.0}",
            true,
        ),
        ("{\"a\":1}", "{\"a\":1,\"b\":2}", false),
        ("\"x\"", "\"x \"", false),
    ];
    for (a, b, want) in cases_ {
        expect_eq(
            &format!("json_equal({a}, {b})"),
            cases::json_equal(&j(a)?, &j(b)?),
            want,
        )?;
    }
    let subsets = [
        ("{\"a\":1}", "{\"a\":1,\"b\":2}", true),
        ("{\"a\":1,\"c\":3}", "{\"a\":1,\"b\":2}", false),
        ("[{\"a\":1}]", "[{\"a\":1,\"b\":2}]", true),
        ("[{\"a\":1}]", "[{\"a\":1},{\"a\":1}]", false),
        ("{\"hint\":null}", "{\"hint\":null,\"code\":\"X\"}", true),
    ];
    for (a, b, want) in subsets {
        expect_eq(
            &format!("json_subset({a}, {b})"),
            cases::json_subset(&j(a)?, &j(b)?),
            want,
        )?;
    }
    Ok(())
}

fn check_headers() -> Result<(), String> {
    let file = cases::CaseFile::parse(
        r#"
        [defaults.response_headers]
        Content-Type = "application/json; charset=utf-8"
        [[case]]
        name = "a"
        request = "GET /x"
        status = 200
        response_headers = { "cache-control" = "a, b", "X-Gone" = false, "X-Any" = true, "content-type" = "text/csv" }
        json = "[]"
        "#,
    )?;
    let case = &file.cases[0];
    let actual = cases::Actual {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/csv".into()),
            ("cache-control".into(), "a".into()),
            ("cache-control".into(), "b".into()),
            ("x-any".into(), "whatever".into()),
        ],
        body: b"[ ]".to_vec(),
    };
    cases::check(case, &file.defaults, &actual)?;
    let wrong = cases::Actual {
        status: 206,
        headers: vec![("x-gone".into(), "here".into())],
        body: b"[1]".to_vec(),
    };
    let report = match cases::check(case, &file.defaults, &wrong) {
        Ok(()) => return Err("a wrong response passed".into()),
        Err(report) => report,
    };
    for needle in [
        "status: expected 200, got 206",
        "X-Gone",
        "X-Any",
        "cache-control",
        "body",
    ] {
        if !report.contains(needle) {
            return Err(format!("the report does not mention {needle}:\n{report}"));
        }
    }
    Ok(())
}

fn check_uris() -> Result<(), String> {
    expect_eq(
        "url database",
        db::with_database(
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
            "t1",
        ),
        "postgres://postgres@127.0.0.1:5432/t1?sslmode=disable".into(),
    )?;
    expect_eq(
        "url without path",
        db::with_database("postgresql://u:p@h", "t1"),
        "postgresql://u:p@h/t1".into(),
    )?;
    expect_eq(
        "url login",
        db::with_login("postgres://postgres:secret@h:1/db", "a", "b"),
        "postgres://a:b@h:1/db".into(),
    )?;
    expect_eq(
        "url login, no user",
        db::with_login("postgres://h/db", "a", "b"),
        "postgres://a:b@h/db".into(),
    )?;
    expect_eq(
        "key/value",
        db::server_uri("host=/tmp port=5432 user=postgres", "t1"),
        "host=/tmp port=5432 user=postgres dbname='t1' user='restgres_test_authenticator' \
         password='restgres_test_authenticator'"
            .into(),
    )?;
    expect_eq(
        "redact",
        db::redact("postgres://u:secret@h/db"),
        "postgres://u:***@h/db".into(),
    )?;
    // tokio-postgres must read what we write.
    for uri in [
        db::server_uri("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        db::server_uri("host=127.0.0.1 user=postgres", "t1"),
    ] {
        uri.parse::<tokio_postgres::Config>()
            .map_err(|e| format!("{uri}: {e}"))?;
    }
    Ok(())
}

fn check_config_text() -> Result<(), String> {
    let file = cases::CaseFile::parse(
        r#"
        [config]
        db-max-rows = 2
        db-schemas = "test"
        db-plan-enabled = true
        db-pre-request = "test.pre_request"
        [[case]]
        name = "a"
        request = "GET /x"
        status = 200
        "#,
    )?;
    let text = runner::config_text("postgres://a:b@h/db", &file.config)?;
    for line in [
        "db-uri = \"postgres://a:b@h/db\"\n",
        "db-max-rows = 2\n",
        "db-schemas = \"test\"\n",
        "db-plan-enabled = true\n",
        "db-pre-request = \"test.pre_request\"\n",
        "db-anon-role = \"restgres_test_anon\"\n",
        "server-port = 0\n",
    ] {
        if !text.contains(line) {
            return Err(format!("missing {line:?} in\n{text}"));
        }
    }
    expect_eq("one db-schemas", text.matches("db-schemas").count(), 1)?;
    expect_eq(
        "quoting",
        cases::quote_config_string("a\"b\\c"),
        "\"a\\\"b\\\\c\"".into(),
    )
}

fn check_fixture_hash() -> Result<(), String> {
    let a = vec![("a.sql".to_string(), "x".to_string())];
    let b = vec![("a.sql".to_string(), "y".to_string())];
    let c = vec![("a.sq".to_string(), "lx".to_string())];
    expect_eq("stable", db::fixtures_hash(&a), db::fixtures_hash(&a.clone()))?;
    if db::fixtures_hash(&a) == db::fixtures_hash(&b) || db::fixtures_hash(&a) == db::fixtures_hash(&c) {
        return Err("different fixtures hash alike".into());
    }
    Ok(())
}

fn check_case_validation() -> Result<(), String> {
    let bad = [
        ("no cases", "[config]\ndb-max-rows = 1\n"),
        ("two bodies", "[[case]]\nname='a'\nrequest='GET /x'\nstatus=200\njson='[]'\ntext=''\n"),
        ("bad json", "[[case]]\nname='a'\nrequest='GET /x'\nstatus=200\njson='[1,'\n"),
        ("no method", "[[case]]\nname='a'\nrequest='/x'\nstatus=200\n"),
        ("relative target", "[[case]]\nname='a'\nrequest='GET x'\nstatus=200\n"),
        ("unknown key", "[[case]]\nname='a'\nrequest='GET /x'\nstatus=200\nbodie='x'\n"),
        ("after_sql alone", "[[case]]\nname='a'\nrequest='POST /x'\nstatus=201\nafter_sql='SELECT 1'\n"),
        ("after_json alone", "[[case]]\nname='a'\nrequest='POST /x'\nstatus=201\nafter_json='[]'\n"),
        ("after_json not JSON", "[[case]]\nname='a'\nrequest='POST /x'\nstatus=201\nafter_sql='SELECT 1'\nafter_json='[{'\n"),
        ("empty after_sql", "[[case]]\nname='a'\nrequest='POST /x'\nstatus=201\nafter_sql=' ; '\nafter_json='[]'\n"),
        ("same name", "[[case]]\nname='a'\nrequest='GET /x'\nstatus=200\n[[case]]\nname='a'\nrequest='GET /y'\nstatus=200\n"),
        ("db-uri", "[config]\ndb-uri='x'\n[[case]]\nname='a'\nrequest='GET /x'\nstatus=200\n"),
        ("float config", "[config]\nx=1.5\n[[case]]\nname='a'\nrequest='GET /x'\nstatus=200\n"),
    ];
    for (what, text) in bad {
        if cases::CaseFile::parse(text).is_ok() {
            return Err(format!("{what}: accepted"));
        }
    }
    Ok(())
}

fn check_body_and_after() -> Result<(), String> {
    let file = cases::CaseFile::parse(
        r#"
        [[case]]
        name = "a"
        request = "POST /x"
        headers = { Content-Type = "text/csv" }
        body = '''
a,b
1,NULL
'''
        status = 201
        after_sql = "SELECT a FROM x ORDER BY a;  "
        after_json = '''[{"a":1}]'''
        "#,
    )?;
    let case = &file.cases[0];
    // A newline right after the opening quotes is not part of a TOML multi-line string; the last one is.
    expect_eq("body", case.body.as_deref(), Some("a,b\n1,NULL\n"))?;
    expect_eq(
        "after query",
        cases::after_query(case.after_sql.as_deref().unwrap_or_default()),
        Some("SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT a FROM x ORDER BY a\n) t".into()),
    )?;
    expect_eq("no SQL", cases::after_query(" ;\n"), None)?;
    let j = |s: &str| serde_json::from_str::<serde_json::Value>(s).map_err(|e| e.to_string());
    cases::check_after(case, &Ok(j("[{\"a\":1.0}]")?))?;
    for (what, got) in [
        ("other rows", Ok(j("[{\"a\":2}]")?)),
        ("more rows", Ok(j("[{\"a\":1},{\"a\":1}]")?)),
        ("an error", Err("relation \"x\" does not exist".to_string())),
    ] {
        if cases::check_after(case, &got).is_ok() {
            return Err(format!("after_json accepted {what}"));
        }
    }
    Ok(())
}
