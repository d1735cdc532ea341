//! The case-file format (`tests/cases/**/*.toml`), its validation, and the comparison of a response with a case.
//!
//! Everything here is pure: no database, no server, no sockets. See tests/README.md for the format.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One `.toml` file: optional server configuration, optional defaults and the cases, run in order against one
/// server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// PostgREST configuration keys that override the suite's defaults (db-uri cannot be overridden).
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default, rename = "case")]
    pub cases: Vec<Case>,
}

/// Request headers and response-header expectations shared by every case of a file; a case's own entries win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub response_headers: BTreeMap<String, HeaderExpect>,
}

/// What a response header must be: an exact value (repeated headers are joined with ", "), `false` for absent,
/// `true` for present with any value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum HeaderExpect {
    Value(String),
    Present(bool),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// `"METHOD target"`, e.g. `"GET /items?select=id"`. Characters a URL cannot carry raw (space, `"`, `{`,
    /// non-ASCII, ...) are percent-encoded before sending; `%` is sent as is, so `%20` stays `%20`.
    pub request: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The request body, sent byte for byte; no Content-Type is added, so set one in `headers` when it matters.
    pub body: Option<String>,
    pub status: u16,
    #[serde(default)]
    pub response_headers: BTreeMap<String, HeaderExpect>,
    /// The body is JSON equal to this (numbers compared by value; arrays in order unless `unordered`).
    pub json: Option<String>,
    /// The body is JSON containing this: objects may have more keys, arrays must have the same length.
    pub json_subset: Option<String>,
    /// The body is exactly this text.
    pub text: Option<String>,
    /// The body contains each of these strings (checked on the raw bytes, with any of the other body checks).
    #[serde(default)]
    pub contains: Vec<String>,
    /// The body contains none of these strings (e.g. an object a role may not see).
    #[serde(default)]
    pub lacks: Vec<String>,
    /// The body is empty.
    #[serde(default)]
    pub empty: bool,
    /// Compare the top-level JSON array of `json` as a multiset.
    #[serde(default)]
    pub unordered: bool,
    /// SQL run as the superuser on the trial's database once the response has arrived; the JSON array of its
    /// rows must equal `after_json`. It is how a case proves what a write left behind (or rolled back).
    pub after_sql: Option<String>,
    /// The rows `after_sql` must return, as a JSON array of objects (compared like `json`, in order).
    pub after_json: Option<String>,
    /// Why the case expects what it expects, when the name does not say it; not checked.
    #[serde(default)]
    pub why: Option<String>,
}

impl CaseFile {
    /// Parses and validates a case file; the error names the file and the offending case.
    pub fn load(path: &Path) -> Result<CaseFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        CaseFile::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<CaseFile, String> {
        let file: CaseFile = toml::from_str(text).map_err(|e| e.to_string())?;
        file.validate()?;
        Ok(file)
    }

    fn validate(&self) -> Result<(), String> {
        if self.cases.is_empty() {
            return Err("no [[case]] entries".into());
        }
        if self.config.contains_key("db-uri") {
            return Err(
                "[config] cannot set db-uri: the harness points each file at its own database".into(),
            );
        }
        for (key, value) in &self.config {
            config_value(value).map_err(|e| format!("[config] {key}: {e}"))?;
        }
        let mut names = std::collections::BTreeSet::new();
        for case in &self.cases {
            if !names.insert(case.name.as_str()) {
                return Err(format!("two cases are named `{}`", case.name));
            }
            case.validate()
                .map_err(|e| format!("case `{}`: {e}", case.name))?;
        }
        Ok(())
    }
}

impl Case {
    fn validate(&self) -> Result<(), String> {
        let (method, target) = self.split_request()?;
        http::Method::from_bytes(method.as_bytes()).map_err(|_| format!("bad method `{method}`"))?;
        if !target.starts_with('/') {
            return Err(format!("the target `{target}` does not start with `/`"));
        }
        http::Uri::try_from(encode_target(target)).map_err(|e| format!("bad target `{target}`: {e}"))?;
        if !(100..=599).contains(&self.status) {
            return Err(format!("status {} is not an HTTP status", self.status));
        }
        let bodies = [
            self.json.is_some(),
            self.json_subset.is_some(),
            self.text.is_some(),
            self.empty,
        ];
        if bodies.iter().filter(|b| **b).count() > 1 {
            return Err("at most one of json, json_subset, text and empty".into());
        }
        if self.unordered && self.json.is_none() {
            return Err("unordered needs json".into());
        }
        for (label, body) in [
            ("json", &self.json),
            ("json_subset", &self.json_subset),
            ("after_json", &self.after_json),
        ] {
            if let Some(body) = body {
                serde_json::from_str::<Value>(body).map_err(|e| format!("{label} is not JSON: {e}"))?;
            }
        }
        match (&self.after_sql, &self.after_json) {
            (Some(sql), Some(_)) if after_query(sql).is_none() => {
                return Err("after_sql is empty".into());
            }
            (Some(_), None) => return Err("after_sql needs after_json".into()),
            (None, Some(_)) => return Err("after_json needs after_sql".into()),
            _ => {}
        }
        for (name, value) in &self.headers {
            http::HeaderName::try_from(name.as_str())
                .map_err(|_| format!("bad request header name `{name}`"))?;
            http::HeaderValue::try_from(value.as_str())
                .map_err(|_| format!("bad value for request header `{name}`"))?;
        }
        for name in self.response_headers.keys() {
            http::HeaderName::try_from(name.as_str())
                .map_err(|_| format!("bad response header name `{name}`"))?;
        }
        Ok(())
    }

    /// `("GET", "/items?x")` from `"GET /items?x"`.
    pub fn split_request(&self) -> Result<(&str, &str), String> {
        let request = self.request.trim();
        request
            .split_once(' ')
            .map(|(m, t)| (m, t.trim()))
            .ok_or_else(|| format!("request `{}` is not `METHOD /target`", self.request))
    }
}

/// The statement that turns `after_sql` into one JSON array: `None` when there is no SQL left once trailing
/// semicolons and blanks are gone.
pub fn after_query(sql: &str) -> Option<String> {
    let sql = sql
        .trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    (!sql.is_empty()).then(|| format!("SELECT coalesce(json_agg(t), '[]')::text FROM ({sql}\n) t"))
}

/// Compares the rows `after_sql` returned (or the error running it) with `after_json`.
pub fn check_after(case: &Case, got: &Result<Value, String>) -> Result<(), String> {
    let Some(want) = &case.after_json else {
        return Ok(());
    };
    let want: Value = serde_json::from_str(want).unwrap_or(Value::Null);
    match got {
        Ok(got) if json_equal(&want, got) => Ok(()),
        Ok(got) => Err(format!(
            "database after the request: expected\n{}\n  got\n{}",
            indent(&pretty(&want)),
            indent(&pretty(got))
        )),
        Err(e) => Err(format!("database after the request: after_sql failed: {e}")),
    }
}

/// A `[config]` value written in PostgREST's configuration syntax: strings quoted, numbers and booleans bare.
pub fn config_value(value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(quote_config_string(s)),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(format!(
            "only strings, integers and booleans are PostgREST config values, not {}",
            other.type_str()
        )),
    }
}

pub fn quote_config_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Percent-encodes what may not appear raw in a request target, keeping `%` (already-encoded sequences) and the
/// characters URLs allow: unreserved, sub-delims, `:`, `@`, `/` and `?`.
pub fn encode_target(target: &str) -> String {
    let mut out = String::with_capacity(target.len());
    for byte in target.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Every `.toml` file under `dir`, sorted, recursively.
pub fn find_case_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("reading {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "toml") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// What came back for one request.
#[derive(Debug)]
pub struct Actual {
    pub status: u16,
    /// Lower-cased names, in arrival order, repeated headers kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Actual {
    /// The values of a header joined with ", ", or `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// Compares a response with a case; `Err` holds a readable report of every mismatch.
pub fn check(case: &Case, defaults: &Defaults, actual: &Actual) -> Result<(), String> {
    let mut problems = Vec::new();
    if actual.status != case.status {
        problems.push(format!("status: expected {}, got {}", case.status, actual.status));
    }

    let mut expected_headers = defaults.response_headers.clone();
    for (name, expect) in &case.response_headers {
        // A case's header replaces a default of the same name in any letter case.
        expected_headers.retain(|n, _| !n.eq_ignore_ascii_case(name));
        expected_headers.insert(name.clone(), expect.clone());
    }
    for (name, expect) in &expected_headers {
        let got = actual.header(name);
        match (expect, &got) {
            (HeaderExpect::Value(want), Some(got)) if want == got => {}
            (HeaderExpect::Present(true), Some(_)) | (HeaderExpect::Present(false), None) => {}
            (HeaderExpect::Value(want), _) => problems.push(format!(
                "header {name}: expected {want:?}, got {}",
                show_header(&got)
            )),
            (HeaderExpect::Present(true), None) => {
                problems.push(format!("header {name}: expected, but absent"))
            }
            (HeaderExpect::Present(false), Some(got)) => {
                problems.push(format!("header {name}: expected absent, got {got:?}"))
            }
        }
    }

    let body_text = String::from_utf8_lossy(&actual.body);
    if let Some(want) = &case.json {
        match parse_json(&actual.body) {
            Ok(got) => {
                let want: Value = serde_json::from_str(want).unwrap_or(Value::Null);
                let equal = if case.unordered {
                    json_equal(&sorted_array(&want), &sorted_array(&got))
                } else {
                    json_equal(&want, &got)
                };
                if !equal {
                    problems.push(format!(
                        "body{}: expected JSON\n{}\n  got\n{}",
                        if case.unordered { " (any order)" } else { "" },
                        indent(&pretty(&want)),
                        indent(&pretty(&got))
                    ));
                }
            }
            Err(e) => problems.push(format!(
                "body: expected JSON, got non-JSON ({e}):\n{}",
                indent(&body_text)
            )),
        }
    }
    if let Some(want) = &case.json_subset {
        match parse_json(&actual.body) {
            Ok(got) => {
                let want: Value = serde_json::from_str(want).unwrap_or(Value::Null);
                if !json_subset(&want, &got) {
                    problems.push(format!(
                        "body: expected JSON containing\n{}\n  got\n{}",
                        indent(&pretty(&want)),
                        indent(&pretty(&got))
                    ));
                }
            }
            Err(e) => problems.push(format!(
                "body: expected JSON, got non-JSON ({e}):\n{}",
                indent(&body_text)
            )),
        }
    }
    if let Some(want) = &case.text {
        if body_text != want.as_str() {
            problems.push(format!(
                "body: expected text\n{}\n  got\n{}",
                indent(want),
                indent(&body_text)
            ));
        }
    }
    if case.empty && !actual.body.is_empty() {
        problems.push(format!("body: expected empty, got\n{}", indent(&body_text)));
    }
    for needle in &case.contains {
        if !body_text.contains(needle.as_str()) {
            problems.push(format!(
                "body: expected to contain {needle:?}, got\n{}",
                indent(&body_text)
            ));
        }
    }
    for needle in &case.lacks {
        if body_text.contains(needle.as_str()) {
            problems.push(format!(
                "body: expected not to contain {needle:?}, got\n{}",
                indent(&body_text)
            ));
        }
    }

    if problems.is_empty() {
        return Ok(());
    }
    // The whole response, so that a mismatch can be read in context.
    let mut got = format!("response: {}", actual.status);
    for (name, value) in &actual.headers {
        let _ = write!(got, "\n    {name}: {value}");
    }
    let _ = write!(got, "\n{}", indent(&truncate(body_text.into_owned())));
    problems.push(got);
    Err(problems.join("\n"))
}

fn show_header(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "nothing (absent)".into(),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// Structural equality where numbers are equal by value: two integers exactly, otherwise as doubles.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// `want` is contained in `got`: objects may carry more keys, arrays match element by element.
pub fn json_subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(x), Value::Object(y)) => {
            x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_subset(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_subset(a, b))
        }
        _ => json_equal(want, got),
    }
}

fn numbers_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return a == b;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn sorted_array(value: &Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut items = items.clone();
            items.sort_by_cached_key(|v| v.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

fn pretty(value: &Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    truncate(text)
}

fn indent(text: &str) -> String {
    truncate(
        text.lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn truncate(mut text: String) -> String {
    const LIMIT: usize = 6000;
    if text.len() > LIMIT {
        let mut cut = LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n    ... (cut)");
    }
    text
}
