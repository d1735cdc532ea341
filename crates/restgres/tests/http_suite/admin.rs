//! Trials of the admin server (`/live`, `/ready`, `/metrics`, `/schema_cache`) and of `--ready` and `--dump-schema`.

use crate::{db, runner};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use libtest_mimic::Trial;
use restgres::admin::ReadyError;
use restgres::server::Running;
use restgres_config::AppConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("admin::live_ready_and_unknown_paths", || {
            with_server(&[], live_and_ready)
        }),
        Trial::test("admin::metrics_count_requests_and_schema_loads", || {
            with_server(&[("db-pool", "4")], metrics)
        }),
        Trial::test("admin::pool_metrics_follow_waits_and_timeouts", || {
            with_server(
                &[("db-pool", "1"), ("db-pool-acquisition-timeout", "1")],
                pool_metrics,
            )
        }),
        Trial::test("admin::schema_cache_and_dump_schema", || {
            with_server(&[], schema_cache)
        }),
        Trial::test(
            "admin::ready_is_503_while_the_database_refuses_connections",
            || with_server(&[], database_goes_away),
        ),
        Trial::test("admin::ready_is_503_without_database", || {
            unreachable_database().map_err(Into::into)
        }),
        Trial::test("admin::no_admin_server_without_admin_server_port", || {
            no_admin_port().map_err(Into::into)
        }),
    ]
}

/// What a trial body gets: the running server (with its admin server), its configuration, the superuser's
/// connection string for the trial database and that database's name.
struct Ctx {
    running: Running,
    admin: SocketAddr,
    config: AppConfig,
    superuser: String,
    dbname: String,
}

/// Runs `body` against a fresh server with an admin server, on a fresh database, configured with the suite
/// defaults plus `extra`.
fn with_server<F, Fut>(extra: &[(&str, &str)], body: F) -> Result<(), libtest_mimic::Failed>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let env = db::env()?;
    let runtime = runner::trial_runtime()?;
    let (dbname, _drop_db) = runner::trial_database(&runtime, env)?;
    let overrides = runner::overrides(extra);
    let text = runner::config_text(&db::server_uri(&env.admin_uri, &dbname), &overrides)?;
    let superuser = db::with_database(&env.admin_uri, &dbname);
    runtime.block_on(async move {
        let config = with_any_admin_port(restgres::server::config_from_text(&text)?);
        let running = restgres::server::start(config.clone())
            .await
            .map_err(|e| e.to_string())?;
        let admin = running
            .admin_addr
            .ok_or("admin-server-port is set but the server has no admin address")?;
        body(Ctx {
            running,
            admin,
            config,
            superuser,
            dbname,
        })
        .await
    })?;
    Ok(())
}

/// Any free port for the admin server (as `admin-server-port = 0` in the file would say).
fn with_any_admin_port(mut config: AppConfig) -> AppConfig {
    config.admin_server_port = Some(0);
    config
}

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A response's status, `Content-Type` and body.
struct Answer {
    status: u16,
    content_type: Option<String>,
    body: String,
}

async fn get(client: &HttpClient, addr: SocketAddr, path: &str) -> Result<Answer, String> {
    let req = http::Request::get(format!("http://{addr}{path}"))
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .map_err(|_| format!("{path}: no response within 30s"))?
        .map_err(|e| format!("{path}: {e:?}"))?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(Answer {
        status,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// GET `path` and check the status and that the body is empty (the health endpoints send none).
async fn expect_empty(client: &HttpClient, addr: SocketAddr, path: &str, status: u16) -> Result<(), String> {
    let got = get(client, addr, path).await?;
    if got.status != status || !got.body.is_empty() {
        return Err(format!(
            "{path}: expected {status} with an empty body, got {}: {:?}",
            got.status, got.body
        ));
    }
    Ok(())
}

/// Runs `check` and then shuts the server down, whatever the outcome.
async fn then_shutdown(
    running: Running,
    check: impl std::future::Future<Output = Result<(), String>>,
) -> Result<(), String> {
    let result = check.await;
    running.shutdown().await;
    result
}

async fn live_and_ready(ctx: Ctx) -> Result<(), String> {
    let http = client();
    let admin = ctx.admin;
    if admin.port() == 0 || admin == ctx.running.addr {
        return Err(format!(
            "the admin server should have its own port, got {admin} (API on {})",
            ctx.running.addr
        ));
    }
    let check = async {
        expect_empty(&http, admin, "/live", 200).await?;
        expect_empty(&http, admin, "/ready", 200).await?;
        // PostgREST v13 removed /config; the API's paths are not the admin server's.
        for path in ["/", "/nope", "/config", "/items", "/live/extra"] {
            expect_empty(&http, admin, path, 404).await?;
        }
        // `--ready` against this instance (admin-server-host defaults to server-host, 127.0.0.1 here).
        let mut config = ctx.config.clone();
        config.admin_server_port = Some(admin.port());
        let url = format!("http://127.0.0.1:{}/ready", admin.port());
        match restgres::admin::check_ready(&config).await {
            Ok(ok) if ok == format!("OK: {url}") => Ok(()),
            other => Err(format!("--ready: expected OK: {url}, got {other:?}")),
        }
    };
    let result = then_shutdown(ctx.running, check).await;
    result?;
    // Once shut down, the admin server is gone too.
    if tokio::net::TcpStream::connect(admin).await.is_ok() {
        return Err("the admin server still accepts connections after shutdown".into());
    }
    Ok(())
}

/// The value of the sample line `series` (the name with its labels, exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

fn expect_sample(text: &str, series: &str, want: f64) -> Result<(), String> {
    match sample(text, series) {
        Some(v) if v == want => Ok(()),
        other => Err(format!("{series}: expected {want}, got {other:?} in\n{text}")),
    }
}

/// The cumulative bucket counts of the request-duration histogram for `status`, in `le` order.
fn buckets(text: &str, status: u16) -> Vec<(String, f64)> {
    let prefix = format!("restgres_http_request_duration_seconds_bucket{{status=\"{status}\",le=\"");
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (le, value) = rest.split_once("\"} ")?;
            Some((le.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// Checks the histogram of `status` holds exactly `count` observations, cumulatively.
fn expect_histogram(text: &str, status: u16, count: f64) -> Result<(), String> {
    let b = buckets(text, status);
    let les: Vec<&str> = b.iter().map(|(le, _)| le.as_str()).collect();
    let want_les = [
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
    ];
    if les != want_les {
        return Err(format!("status {status}: buckets {les:?}, expected {want_les:?}"));
    }
    if b.windows(2).any(|w| w[0].1 > w[1].1) {
        return Err(format!("status {status}: buckets are not cumulative: {b:?}"));
    }
    expect_sample(
        text,
        &format!("restgres_http_request_duration_seconds_bucket{{status=\"{status}\",le=\"+Inf\"}}"),
        count,
    )?;
    expect_sample(
        text,
        &format!("restgres_http_request_duration_seconds_count{{status=\"{status}\"}}"),
        count,
    )?;
    let sum = sample(
        text,
        &format!("restgres_http_request_duration_seconds_sum{{status=\"{status}\"}}"),
    )
    .ok_or_else(|| format!("no _sum for status {status}"))?;
    if !(sum > 0.0 && sum < 60.0 * count) {
        return Err(format!("status {status}: implausible duration sum {sum}"));
    }
    Ok(())
}

async fn metrics(ctx: Ctx) -> Result<(), String> {
    // Notifications sent before the listener subscribes are not delivered.
    let listening = ctx.running.listener_ready(Duration::from_secs(10)).await;
    let http = client();
    let (api, admin) = (ctx.running.addr, ctx.admin);
    let superuser = ctx.superuser.clone();
    let check = async {
        let first = get(&http, admin, "/metrics").await?;
        if first.status != 200 {
            return Err(format!("/metrics: {} {}", first.status, first.body));
        }
        if !first
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("text/plain"))
        {
            return Err(format!("/metrics Content-Type: {:?}", first.content_type));
        }
        let text = &first.body;
        for (name, kind) in [
            ("pgrst_schema_cache_query_time_seconds", "gauge"),
            ("pgrst_schema_cache_loads_total", "counter"),
            ("pgrst_db_pool_timeouts_total", "counter"),
            ("pgrst_db_pool_available", "gauge"),
            ("pgrst_db_pool_waiting", "gauge"),
            ("pgrst_db_pool_max", "gauge"),
            ("pgrst_jwt_cache_requests_total", "counter"),
            ("pgrst_jwt_cache_hits_total", "counter"),
            ("pgrst_jwt_cache_evictions_total", "counter"),
            ("restgres_http_requests_total", "counter"),
            ("restgres_http_request_duration_seconds", "histogram"),
        ] {
            let line = format!("# TYPE {name} {kind}");
            if !text.lines().any(|l| l == line) {
                return Err(format!("/metrics lacks `{line}`:\n{text}"));
            }
        }
        // start() awaited one successful load.
        expect_sample(text, "pgrst_schema_cache_loads_total{status=\"SUCCESS\"}", 1.0)?;
        expect_sample(text, "pgrst_schema_cache_loads_total{status=\"FAIL\"}", 0.0)?;
        let took = sample(text, "pgrst_schema_cache_query_time_seconds").unwrap_or(0.0);
        if !(took > 0.0 && took < 60.0) {
            return Err(format!("implausible schema cache query time {took}"));
        }
        expect_sample(text, "pgrst_db_pool_max", 4.0)?;
        expect_sample(text, "pgrst_db_pool_timeouts_total", 0.0)?;
        expect_sample(text, "pgrst_db_pool_waiting", 0.0)?;
        // Nothing served yet on the API.
        if sample(
            text,
            "restgres_http_requests_total{method=\"GET\",status=\"200\"}",
        )
        .is_some()
        {
            return Err(format!("requests counted before any was sent:\n{text}"));
        }

        for path in [
            "/items?select=id&limit=1",
            "/items?select=id&limit=2",
            "/no_such_table",
        ] {
            get(&http, api, path).await?;
        }
        let after = get(&http, admin, "/metrics").await?.body;
        // Exactly the API's requests: the admin server's own are not counted.
        expect_sample(
            &after,
            "restgres_http_requests_total{method=\"GET\",status=\"200\"}",
            2.0,
        )?;
        expect_sample(
            &after,
            "restgres_http_requests_total{method=\"GET\",status=\"404\"}",
            1.0,
        )?;
        expect_histogram(&after, 200, 2.0)?;
        expect_histogram(&after, 404, 1.0)?;
        // The requests' connection went back to the pool.
        let available = sample(&after, "pgrst_db_pool_available").unwrap_or(-1.0);
        if !(1.0..=4.0).contains(&available) {
            return Err(format!(
                "pgrst_db_pool_available {available} after requests:\n{after}"
            ));
        }

        // A reload through NOTIFY counts as a second successful load.
        let su = db::connect(&superuser).await?;
        // Notifications sent before the listener subscribes are not delivered.
        if !listening {
            return Err("the NOTIFY listener did not subscribe within 10 s".into());
        }
        su.batch_execute("NOTIFY pgrst, 'reload schema'")
            .await
            .map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = get(&http, admin, "/metrics").await?.body;
            if sample(&text, "pgrst_schema_cache_loads_total{status=\"SUCCESS\"}") == Some(2.0) {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("the reload was not counted within 10 s:\n{text}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    };
    then_shutdown(ctx.running, check).await
}

/// With one connection, held by a slow request, a second request waits (`pgrst_db_pool_waiting` 1, nothing
/// available) and gives up after the acquisition timeout (`pgrst_db_pool_timeouts_total` 1, a 504).
async fn pool_metrics(ctx: Ctx) -> Result<(), String> {
    let (api, admin) = (ctx.running.addr, ctx.admin);
    let check = async {
        let slow = tokio::spawn(async move { get(&client(), api, "/slow").await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let waiting = tokio::spawn(async move { get(&client(), api, "/items?select=id&limit=1").await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let during = get(&client(), admin, "/metrics").await?.body;
        let slow = slow.await.map_err(|e| e.to_string())??;
        let waited = waiting.await.map_err(|e| e.to_string())??;
        if slow.status != 200 || waited.status != 504 {
            return Err(format!(
                "expected the slow request to succeed and the other to time out (504), got {} and {}",
                slow.status, waited.status
            ));
        }
        expect_sample(&during, "pgrst_db_pool_max", 1.0)?;
        expect_sample(&during, "pgrst_db_pool_waiting", 1.0)?;
        expect_sample(&during, "pgrst_db_pool_available", 0.0)?;
        expect_sample(&during, "pgrst_db_pool_timeouts_total", 0.0)?;
        let after = get(&client(), admin, "/metrics").await?.body;
        expect_sample(&after, "pgrst_db_pool_waiting", 0.0)?;
        expect_sample(&after, "pgrst_db_pool_timeouts_total", 1.0)?;
        expect_sample(&after, "pgrst_db_pool_available", 1.0)?;
        expect_sample(
            &after,
            "restgres_http_requests_total{method=\"GET\",status=\"504\"}",
            1.0,
        )?;
        expect_histogram(&after, 504, 1.0)?;
        // The slow request's 1.5 s lands between the 1 s and 2.5 s bounds.
        let b = buckets(&after, 200);
        let at = |le: &str| b.iter().find(|(l, _)| l == le).map(|(_, n)| *n);
        if at("1") != Some(0.0) || at("2.5") != Some(1.0) {
            return Err(format!("the 1.5 s request is in the wrong bucket: {b:?}"));
        }
        Ok(())
    };
    then_shutdown(ctx.running, check).await
}

/// The `[name, value]` pair of `tables` whose name is `schema.name`.
fn table<'a>(cache: &'a serde_json::Value, schema: &str, name: &str) -> Option<&'a serde_json::Value> {
    cache.get("tables")?.as_array()?.iter().find_map(|pair| {
        let key = pair.get(0)?;
        (key.get("schema")? == schema && key.get("name")? == name).then(|| pair.get(1))?
    })
}

async fn schema_cache(ctx: Ctx) -> Result<(), String> {
    let http = client();
    let admin = ctx.admin;
    let config = ctx.config.clone();
    let check = async {
        let got = get(&http, admin, "/schema_cache").await?;
        if got.status != 200 || got.content_type.as_deref() != Some("application/json; charset=utf-8") {
            return Err(format!("/schema_cache: {} {:?}", got.status, got.content_type));
        }
        let cache: serde_json::Value =
            serde_json::from_str(&got.body).map_err(|e| format!("/schema_cache is not JSON: {e}"))?;
        let items = table(&cache, "test", "items").ok_or("/schema_cache has no test.items")?;
        let has_id = items.to_string().contains("\"id\"");
        if !has_id {
            return Err(format!("test.items without its id column: {items}"));
        }
        if table(&cache, "test", "no_such_table").is_some() {
            return Err("the lookup helper finds tables that do not exist".into());
        }
        // --dump-schema loads the same cache on its own connection.
        let dumped = restgres::admin::dump_schema(&config)
            .await
            .map_err(|e| format!("--dump-schema: {e}"))?;
        let dumped: serde_json::Value =
            serde_json::from_str(&dumped).map_err(|e| format!("--dump-schema is not JSON: {e}"))?;
        if table(&dumped, "test", "items") != Some(items) {
            return Err("--dump-schema and /schema_cache disagree on test.items".into());
        }
        let tables = |v: &serde_json::Value| v.get("tables").and_then(|t| t.as_array()).map(Vec::len);
        if tables(&dumped) != tables(&cache) {
            return Err(format!(
                "--dump-schema has {:?} tables, /schema_cache {:?}",
                tables(&dumped),
                tables(&cache)
            ));
        }
        Ok(())
    };
    then_shutdown(ctx.running, check).await
}

/// With the schema cache loaded, `/ready` still asks the database: while it refuses connections the answer
/// is 503, and 200 again once it accepts them.
async fn database_goes_away(ctx: Ctx) -> Result<(), String> {
    let http = client();
    let admin = ctx.admin;
    // On the cluster's own database: PostgreSQL does not let a session refuse connections to its own.
    let su = db::connect(&db::env()?.admin_uri).await?;
    let database = db::ident(&ctx.dbname);
    let literal = format!("'{}'", ctx.dbname.replace('\'', "''"));
    let check = async {
        expect_empty(&http, admin, "/ready", 200).await?;
        su.batch_execute(&format!(
            "ALTER DATABASE {database} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = {literal}"
        ))
        .await
        .map_err(|e| format!("refusing connections: {}", db::pg_error(&e)))?;
        expect_empty(&http, admin, "/ready", 503).await?;
        // The process and its API listener are fine.
        expect_empty(&http, admin, "/live", 200).await?;
        su.batch_execute(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
            .await
            .map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = get(&http, admin, "/ready").await?;
            if got.status == 200 {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "/ready still {} 10 s after the database came back",
                    got.status
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let result = then_shutdown(ctx.running, check).await;
    // Whatever happened, let the database be dropped normally.
    let _ = su
        .batch_execute(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
        .await;
    result
}

fn unreachable_database() -> Result<(), String> {
    runner::trial_runtime()?.block_on(async {
        // A port nothing listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let uri = format!("postgres://nobody@127.0.0.1:{port}/nothing");
        let text = runner::config_text(&uri, &BTreeMap::new())?;
        let config = with_any_admin_port(restgres::server::config_from_text(&text)?);
        let running = restgres::server::start(config.clone())
            .await
            .map_err(|e| e.to_string())?;
        let admin = running.admin_addr.ok_or("no admin address")?;
        let http = client();
        let check = async {
            expect_empty(&http, admin, "/live", 200).await?;
            expect_empty(&http, admin, "/ready", 503).await?;
            // No cache yet: 200 with an empty body, as PostgREST.
            expect_empty(&http, admin, "/schema_cache", 200).await?;
            let text = get(&http, admin, "/metrics").await?.body;
            expect_sample(&text, "pgrst_schema_cache_loads_total{status=\"SUCCESS\"}", 0.0)?;
            let mut config = config.clone();
            config.admin_server_port = Some(admin.port());
            let url = format!("http://127.0.0.1:{}/ready", admin.port());
            match restgres::admin::check_ready(&config).await {
                Err(e)
                    if e == ReadyError::NotReady(url.clone())
                        && e.to_string() == format!("UNAVAILABLE: {url}") =>
                {
                    Ok(())
                }
                other => Err(format!("--ready: expected UNAVAILABLE: {url}, got {other:?}")),
            }
        };
        then_shutdown(running, check).await
    })
}

fn no_admin_port() -> Result<(), String> {
    runner::trial_runtime()?.block_on(async {
        let text = runner::config_text("postgres://nobody@127.0.0.1:1/nothing", &BTreeMap::new())?;
        let config = restgres::server::config_from_text(&text)?;
        let running = restgres::server::start(config).await.map_err(|e| e.to_string())?;
        let admin = running.admin_addr;
        running.shutdown().await;
        match admin {
            None => Ok(()),
            Some(a) => Err(format!(
                "an admin server listens on {a} without admin-server-port"
            )),
        }
    })
}
