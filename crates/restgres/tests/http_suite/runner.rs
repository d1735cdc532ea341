//! Runs one case file: its own database, a server configured from PostgREST-format text, every case sent over
//! HTTP, then shutdown and cleanup.

use crate::cases::{self, Actual, Case, CaseFile};
use crate::db;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Runs only the cases whose name contains this text (handy while debugging one case).
pub const CASE_FILTER_ENV: &str = "RESTGRES_CASE";

/// The suite's configuration before a file's `[config]`: both exposed schemas, the anonymous role, any free
/// port on loopback.
pub fn default_config(db_uri: &str) -> BTreeMap<String, String> {
    let mut config = BTreeMap::new();
    config.insert("db-uri".to_string(), cases::quote_config_string(db_uri));
    config.insert(
        "db-schemas".to_string(),
        cases::quote_config_string("test, other"),
    );
    config.insert(
        "db-anon-role".to_string(),
        cases::quote_config_string("restgres_test_anon"),
    );
    config.insert("server-host".to_string(), cases::quote_config_string("127.0.0.1"));
    config.insert("server-port".to_string(), "0".to_string());
    config
}

/// Configuration overrides written as pairs in Rust trials: integers stay integers, the rest are strings.
pub fn overrides(extra: &[(&str, &str)]) -> BTreeMap<String, toml::Value> {
    extra
        .iter()
        .map(|(k, v)| {
            let value = v
                .parse::<i64>()
                .map_or(toml::Value::String(v.to_string()), toml::Value::Integer);
            (k.to_string(), value)
        })
        .collect()
}

/// The configuration file text for a case file: the defaults, overridden and extended by its `[config]`.
pub fn config_text(db_uri: &str, overrides: &BTreeMap<String, toml::Value>) -> Result<String, String> {
    let mut config = default_config(db_uri);
    for (key, value) in overrides {
        config.insert(key.clone(), cases::config_value(value)?);
    }
    Ok(config.iter().map(|(k, v)| format!("{k} = {v}\n")).collect())
}

/// The trial body for one case file.
pub fn run_file(file: &CaseFile) -> Result<(), String> {
    let env = db::env()?;
    let runtime = trial_runtime()?;
    // Declared after the runtime so that it runs first, even when a panic unwinds through here.
    let (dbname, _drop_db) = trial_database(&runtime, env)?;
    let text = config_text(&db::server_uri(&env.admin_uri, &dbname), &file.config)?;
    let admin_uri = db::with_database(&env.admin_uri, &dbname);
    runtime.block_on(serve_and_check(file, &text, &admin_uri))
}

/// The runtime one trial runs on.
pub fn trial_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("building a tokio runtime: {e}"))
}

/// The trial's own database, cloned from the template; the guard drops it.
pub fn trial_database(
    runtime: &tokio::runtime::Runtime,
    env: &db::Env,
) -> Result<(String, db::DropDbGuard), String> {
    let dbname = runtime.block_on(db::create_test_db(env))?;
    let guard = db::DropDbGuard {
        admin_uri: env.admin_uri.clone(),
        name: dbname.clone(),
    };
    Ok((dbname, guard))
}

async fn serve_and_check(file: &CaseFile, config_text: &str, admin_uri: &str) -> Result<(), String> {
    let config = restgres::server::config_from_text(config_text)
        .map_err(|e| format!("the server rejected the configuration:\n{config_text}\n{e}"))?;
    let running = restgres::server::start(config)
        .await
        .map_err(|e| format!("the server did not start: {e}\nconfiguration:\n{config_text}"))?;
    wait_until_ready(running.addr).await;
    let failures = run_cases(running.addr, file, admin_uri).await;
    if tokio::time::timeout(SHUTDOWN_TIMEOUT, running.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "http_suite: the server did not shut down within {}s",
            SHUTDOWN_TIMEOUT.as_secs()
        );
    }
    if failures.is_empty() {
        Ok(())
    } else {
        let total = selected_cases(file).count();
        Err(format!(
            "{} of {total} cases failed\n\n{}",
            failures.len(),
            failures.join("\n\n")
        ))
    }
}

/// A server whose first schema-cache load failed answers 503 while it retries; give it a moment before the
/// cases run, so that they report what is wrong instead of a wall of 503s.
async fn wait_until_ready(addr: SocketAddr) {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    loop {
        let probe = http::Request::builder()
            .method("HEAD")
            .uri(format!("http://{addr}/empty_table"))
            .body(Empty::new());
        let Ok(probe) = probe else { return };
        let status = tokio::time::timeout(REQUEST_TIMEOUT, client.request(probe)).await;
        let unavailable = matches!(&status, Ok(Ok(r)) if r.status() == http::StatusCode::SERVICE_UNAVAILABLE);
        if !unavailable || tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn selected_cases(file: &CaseFile) -> impl Iterator<Item = &Case> {
    let filter = std::env::var(CASE_FILTER_ENV).ok().filter(|f| !f.is_empty());
    file.cases
        .iter()
        .filter(move |case| filter.as_deref().is_none_or(|f| case.name.contains(f)))
}

/// Sends every case in order; returns one report per failed case.
async fn run_cases(addr: SocketAddr, file: &CaseFile, admin_uri: &str) -> Vec<String> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    // The superuser's connection to the trial's database, opened by the first case that has after_sql.
    let mut admin: Option<tokio_postgres::Client> = None;
    let mut failures = Vec::new();
    for case in selected_cases(file) {
        let response = match send(&client, addr, case, &file.defaults.headers).await {
            Ok(actual) => cases::check(case, &file.defaults, &actual),
            Err(e) => Err(format!("no response: {e}")),
        };
        // Checked even when the response was wrong: what the request left behind is worth seeing then too.
        let after = match &case.after_sql {
            Some(sql) => {
                let rows = rows_after(&mut admin, admin_uri, sql).await;
                cases::check_after(case, &rows)
            }
            None => Ok(()),
        };
        let report: Vec<String> = [after, response].into_iter().filter_map(Result::err).collect();
        if !report.is_empty() {
            failures.push(describe_failure(case, &file.defaults.headers, &report.join("\n")));
        }
    }
    failures
}

/// The rows of `after_sql` as one JSON array, read as the superuser on the trial's database.
async fn rows_after(
    admin: &mut Option<tokio_postgres::Client>,
    admin_uri: &str,
    sql: &str,
) -> Result<Value, String> {
    let query = cases::after_query(sql).ok_or("after_sql is empty")?;
    if admin.is_none() {
        *admin = Some(db::connect(admin_uri).await?);
    }
    let client = admin.as_ref().ok_or("no database connection")?;
    let text: String = tokio::time::timeout(REQUEST_TIMEOUT, client.query_one(&query, &[]))
        .await
        .map_err(|_| format!("after_sql did not finish within {}s", REQUEST_TIMEOUT.as_secs()))?
        .map_err(|e| db::pg_error(&e))?
        .get(0);
    serde_json::from_str(&text).map_err(|e| format!("after_sql did not give JSON: {e}"))
}

fn describe_failure(case: &Case, default_headers: &BTreeMap<String, String>, report: &str) -> String {
    let mut text = format!("--- case `{}`\n  request: {}\n", case.name, case.request);
    for (name, value) in request_headers(case, default_headers) {
        text.push_str(&format!("  request header: {name}: {value}\n"));
    }
    if let Some(body) = &case.body {
        text.push_str(&format!("  request body: {}\n", show_body(body)));
    }
    if let Some(sql) = &case.after_sql {
        text.push_str(&format!("  after_sql: {}\n", sql.trim()));
    }
    if let Some(why) = &case.why {
        text.push_str(&format!("  why: {why}\n"));
    }
    for line in report.lines() {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// A request body for a failure report: as is when short, cut otherwise.
fn show_body(body: &str) -> String {
    const LIMIT: usize = 2000;
    if body.len() <= LIMIT {
        return format!("{body:?}");
    }
    let mut cut = LIMIT;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{:?} ... ({} bytes)", &body[..cut], body.len())
}

/// The file's default request headers overridden by the case's (names compared without case).
fn request_headers(case: &Case, defaults: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = defaults
        .iter()
        .filter(|(name, _)| !case.headers.keys().any(|n| n.eq_ignore_ascii_case(name)))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    headers.extend(case.headers.iter().map(|(n, v)| (n.clone(), v.clone())));
    headers
}

async fn send(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    addr: SocketAddr,
    case: &Case,
    default_headers: &BTreeMap<String, String>,
) -> Result<Actual, String> {
    let (method, target) = case.split_request()?;
    let uri = format!("http://{addr}{}", cases::encode_target(target));
    let mut builder = http::Request::builder().method(method).uri(&uri);
    for (name, value) in request_headers(case, default_headers) {
        builder = builder.header(name, value);
    }
    let body = case.body.clone().map(Bytes::from).unwrap_or_default();
    let request = builder
        .body(Full::new(body))
        .map_err(|e| format!("building the request: {e}"))?;
    let response = tokio::time::timeout(REQUEST_TIMEOUT, client.request(request))
        .await
        .map_err(|_| format!("no response within {}s", REQUEST_TIMEOUT.as_secs()))?
        .map_err(|e| format!("{e:?}"))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = tokio::time::timeout(REQUEST_TIMEOUT, response.into_body().collect())
        .await
        .map_err(|_| format!("the body did not arrive within {}s", REQUEST_TIMEOUT.as_secs()))?
        .map_err(|e| format!("reading the body: {e}"))?
        .to_bytes()
        .to_vec();
    Ok(Actual {
        status,
        headers,
        body,
    })
}
