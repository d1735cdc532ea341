//! Trials of the server's behaviour over time rather than per request: pool exhaustion (PGRST003), graceful
//! shutdown, clients that go away mid-request, and a database that cannot be reached.

use crate::{db, runner};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use libtest_mimic::Trial;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("lifecycle::pool_acquisition_timeout_is_504_pgrst003", || {
            with_server(
                &[("db-pool", "1"), ("db-pool-acquisition-timeout", "1")],
                pool_timeout,
            )
        }),
        Trial::test("lifecycle::shutdown_finishes_in_flight_requests", || {
            with_server(&[], graceful_shutdown)
        }),
        Trial::test("lifecycle::client_disconnect_leaves_no_open_transaction", || {
            with_server(&[("db-pool", "1")], client_disconnect)
        }),
        Trial::test("lifecycle::notify_reloads_the_schema_cache", || {
            with_server(&[], notify_reload)
        }),
        Trial::test("lifecycle::reload_config_reads_in_database_settings", || {
            with_server(&[("db-pre-config", "public.lc_pre_config")], reload_config)
        }),
        Trial::test("lifecycle::database_restart_is_503_then_recovers", || {
            database_restart().map_err(Into::into)
        }),
        Trial::test("lifecycle::reloads_under_load_fail_no_request", || {
            with_server(&[("db-pool", "4")], reloads_under_load)
        }),
        Trial::test(
            "lifecycle::without_automatic_recovery_a_lost_database_ends_the_server",
            || no_automatic_recovery().map_err(Into::into),
        ),
        Trial::test("lifecycle::terminated_backends_mid_request", || {
            with_server(&[("db-pool", "2")], terminated_backends)
        }),
        Trial::test("lifecycle::repeated_reloads_do_not_grow_memory", || {
            with_server(&[], reload_memory)
        }),
        Trial::test(
            "lifecycle::reuseport_binds_only_with_a_loaded_schema_cache",
            || reuseport_waits_for_the_cache().map_err(Into::into),
        ),
        Trial::test("lifecycle::unreachable_database_is_503", || {
            unreachable_database().map_err(Into::into)
        }),
    ]
}

/// Runs `body` against a fresh server on a fresh database, configured with the suite defaults plus `extra`.
pub(crate) fn with_server<F, Fut>(extra: &[(&str, &str)], body: F) -> Result<(), libtest_mimic::Failed>
where
    F: FnOnce(restgres::server::Running, String, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let env = db::env()?;
    let runtime = runner::trial_runtime()?;
    let (dbname, _drop_db) = runner::trial_database(&runtime, env)?;
    let overrides = runner::overrides(extra);
    let text = runner::config_text(&db::server_uri(&env.admin_uri, &dbname), &overrides)?;
    let admin = db::with_database(&env.admin_uri, &dbname);
    runtime.block_on(async move {
        let config = restgres::server::config_from_text(&text)?;
        let running = restgres::server::start(config).await.map_err(|e| e.to_string())?;
        body(running, admin, dbname).await
    })?;
    Ok(())
}

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// GET `path`; the status and body.
async fn get(client: &HttpClient, addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    get_with_headers(client, addr, path)
        .await
        .map(|(status, _, body)| (status, body))
}

async fn get_with_headers(
    client: &HttpClient,
    addr: SocketAddr,
    path: &str,
) -> Result<(u16, http::HeaderMap, String), String> {
    let req = http::Request::get(format!("http://{addr}{path}"))
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .map_err(|_| "no response within 30s".to_string())?
        .map_err(|e| format!("{e:?}"))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, headers, String::from_utf8_lossy(&body).into_owned()))
}

async fn pool_timeout(running: restgres::server::Running, _: String, _: String) -> Result<(), String> {
    let addr = running.addr;
    let slow = tokio::spawn(async move { get(&client(), addr, "/slow").await });
    // Let the slow request take the only connection.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = get(&client(), addr, "/items?limit=1").await?;
    let (slow_status, _) = slow.await.map_err(|e| e.to_string())??;
    running.shutdown().await;
    if status != 504 || !body.contains("\"PGRST003\"") {
        return Err(format!(
            "expected 504 PGRST003 while the pool is busy, got {status}: {body}"
        ));
    }
    if slow_status != 200 {
        return Err(format!(
            "the slow request itself should succeed, got {slow_status}"
        ));
    }
    Ok(())
}

async fn graceful_shutdown(running: restgres::server::Running, _: String, _: String) -> Result<(), String> {
    let addr = running.addr;
    let slow = tokio::spawn(async move { get(&client(), addr, "/slow").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.shutdown().await;
    let (status, body) = slow.await.map_err(|e| e.to_string())??;
    if status != 200 || !body.contains("slept") {
        return Err(format!(
            "the in-flight request should finish with 200, got {status}: {body}"
        ));
    }
    // Once shut down, nothing listens any more.
    if tokio::net::TcpStream::connect(addr).await.is_ok() {
        return Err("the server still accepts connections after shutdown".into());
    }
    Ok(())
}

async fn client_disconnect(
    running: restgres::server::Running,
    admin: String,
    dbname: String,
) -> Result<(), String> {
    let addr = running.addr;
    // The client gives up long before the query ends.
    let gave_up = tokio::time::timeout(Duration::from_millis(300), get(&client(), addr, "/slow")).await;
    if gave_up.is_ok() {
        return Err("the slow request answered too early to test a disconnect".into());
    }
    // The next request must get the (only) connection once the abandoned transaction has finished.
    let (status, body) = get(&client(), addr, "/items?select=id&limit=1").await?;
    let admin_client = db::connect(&admin).await?;
    let row = admin_client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
            &[&dbname],
        )
        .await
        .map_err(|e| e.to_string())?;
    let open: i64 = row.get(0);
    running.shutdown().await;
    if status != 200 {
        return Err(format!(
            "after a client disconnect the next request should succeed, got {status}: {body}"
        ));
    }
    if open != 0 {
        return Err(format!("{open} connection(s) left idle in transaction"));
    }
    Ok(())
}

/// A table created after start is unknown until `NOTIFY pgrst, 'reload schema'`; a burst of notifications
/// still brings it in, and the old cache serves meanwhile.
async fn notify_reload(running: restgres::server::Running, admin: String, _: String) -> Result<(), String> {
    let addr = running.addr;
    let http = client();
    let admin_client = db::connect(&admin).await?;
    let result = async {
        admin_client
            .batch_execute(
                "CREATE TABLE test.lc_new (id int PRIMARY KEY); INSERT INTO test.lc_new VALUES (7); \
                 GRANT SELECT ON test.lc_new TO restgres_test_anon",
            )
            .await
            .map_err(|e| e.to_string())?;
        let (status, body) = get(&http, addr, "/lc_new").await?;
        if status != 404 || !body.contains("PGRST205") {
            return Err(format!(
                "before the reload the table should be unknown (404 PGRST205), got {status}: {body}"
            ));
        }
        // Notifications sent before the listener subscribes are not delivered.
        if !running.listener_ready(Duration::from_secs(10)).await {
            return Err("the NOTIFY listener did not subscribe within 10 s".into());
        }
        // A migration's worth of notifications at once.
        for _ in 0..25 {
            admin_client
                .batch_execute("NOTIFY pgrst, 'reload schema'")
                .await
                .map_err(|e| e.to_string())?;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (status, body) = get(&http, addr, "/lc_new").await?;
            if status == 200 {
                if body != r#"[{"id":7}]"# {
                    return Err(format!("after the reload: unexpected body {body}"));
                }
                // The burst was coalesced: the first load plus one reload (two if one notification arrived
                // while the first reload ran), not 25.
                tokio::time::sleep(Duration::from_millis(500)).await;
                let (loads, _) = running.state.metrics.schema_loads();
                if loads > 3 {
                    return Err(format!("25 notifications caused {} reloads", loads - 1));
                }
                return Ok(());
            }
            if status != 404 {
                return Err(format!(
                    "during the reload requests must keep being served, got {status}: {body}"
                ));
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "the table was still unknown 10 s after NOTIFY: {status} {body}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    .await;
    running.shutdown().await;
    result
}

/// `NOTIFY pgrst, 'reload config'` applies the authenticator's `pgrst.*` settings for this database and a
/// pre-config function's, the role settings taking precedence, as PostgREST documents.
async fn reload_config(
    running: restgres::server::Running,
    admin: String,
    dbname: String,
) -> Result<(), String> {
    let addr = running.addr;
    let http = client();
    let admin_client = db::connect(&admin).await?;
    let sql = |s: String| {
        let c = &admin_client;
        async move { c.batch_execute(&s).await.map_err(|e| format!("{s}: {e}")) }
    };
    // Polls until `path` answers `want_status` with `want_body`, or fails after 10 s.
    let wait_for = |path: &'static str, want_status: u16, want_body: &'static str| {
        let http = http.clone();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            loop {
                let (status, body) = get(&http, addr, path).await?;
                if status == want_status && same_json(&body, want_body) {
                    return Ok::<(), String>(());
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(format!(
                        "{path}: expected {want_status} {want_body}, still {status} {body}"
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let result = async {
        let (status, body) = get(&http, addr, "/items?select=id&order=id&limit=3").await?;
        if status != 200 || !same_json(&body, r#"[{"id":1},{"id":2},{"id":3}]"#) {
            return Err(format!("before: {status} {body}"));
        }
        // The pre-config function named in the file appears: its settings count after a reload.
        sql(
            "CREATE FUNCTION public.lc_pre_config() RETURNS void LANGUAGE sql AS \
             $$ SELECT set_config('pgrst.db_max_rows', '1', true) $$"
                .to_string(),
        )
        .await?;
        if !running.listener_ready(Duration::from_secs(10)).await {
            return Err("the NOTIFY listener did not subscribe within 10 s".into());
        }
        sql("NOTIFY pgrst, 'reload config'".to_string()).await?;
        wait_for("/items?select=id&order=id", 200, r#"[{"id":1}]"#).await?;
        // A role setting for this database wins over the pre-config function.
        let role = db::AUTHENTICATOR;
        sql(format!(
            "ALTER ROLE {role} IN DATABASE {} SET pgrst.db_max_rows = '2'",
            db::ident(&dbname)
        ))
        .await?;
        sql("NOTIFY pgrst, 'reload config'".to_string()).await?;
        wait_for("/items?select=id&order=id", 200, r#"[{"id":1},{"id":2}]"#).await?;
        // Exposed schemas change too, and the schema cache follows.
        sql(format!(
            "ALTER ROLE {role} IN DATABASE {} SET pgrst.db_schemas = 'other'",
            db::ident(&dbname)
        ))
        .await?;
        sql("NOTIFY pgrst, 'reload config'".to_string()).await?;
        wait_for("/only_in_other?select=id&limit=0", 200, "[]").await?;
        let (status, body) = get(&http, addr, "/items?select=id&limit=0").await?;
        // other.items exists too: now it is the default schema's, with other's rows (the fixtures give it none).
        if status != 200 {
            return Err(format!("after db_schemas = 'other': {status} {body}"));
        }
        Ok(())
    }
    .await;
    // The role is shared by every test database: remove this database's settings whatever happened.
    let _ = admin_client
        .batch_execute(&format!(
            "ALTER ROLE {} IN DATABASE {} RESET ALL",
            db::AUTHENTICATOR,
            db::ident(&dbname)
        ))
        .await;
    running.shutdown().await;
    result
}

/// Whether two texts hold the same JSON value.
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => crate::cases::json_equal(&x, &y),
        _ => false,
    }
}

/// A throwaway cluster is stopped and started again under a running server: while it is away requests get
/// 503 PGRST000 with Retry-After (quickly, not hanging), and once it is back requests succeed again without
/// a restart of restgres, with no connection leaked.
fn database_restart() -> Result<(), String> {
    let runtime = runner::trial_runtime()?;
    runtime.block_on(async {
        let mut cluster = restgres::tempcluster::TempCluster::start()
            .await
            .map_err(|e| format!("starting a throwaway cluster: {e}"))?;
        let uri = cluster.uri();
        let admin = db::connect(&uri).await?;
        admin
            .batch_execute(
                "CREATE TABLE public.rc_items (id int PRIMARY KEY); INSERT INTO public.rc_items VALUES (1)",
            )
            .await
            .map_err(|e| e.to_string())?;
        drop(admin);
        let text = format!(
            "db-uri = \"{uri}\"\ndb-schemas = \"public\"\ndb-anon-role = \"postgres\"\n\
             server-host = \"127.0.0.1\"\nserver-port = 0\ndb-pool = 4\ndb-pool-acquisition-timeout = 5\n\
             application-name = \"restgres-recovery-test\"\n"
        );
        let config = restgres::server::config_from_text(&text)?;
        let running = restgres::server::start(config).await.map_err(|e| e.to_string())?;
        let addr = running.addr;
        let http = client();
        let result = async {
            let (status, body) = get(&http, addr, "/rc_items").await?;
            if status != 200 || !same_json(&body, r#"[{"id":1}]"#) {
                return Err(format!("before the restart: {status} {body}"));
            }
            cluster.pause();
            for _ in 0..3 {
                let asked = tokio::time::Instant::now();
                let (status, headers, body) = get_with_headers(&http, addr, "/rc_items").await?;
                let took = asked.elapsed();
                let code = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_string))
                    .unwrap_or_default();
                if status != 503 || !matches!(code.as_str(), "PGRST000" | "PGRST001") {
                    return Err(format!(
                        "while the database is away: expected 503 PGRST000, got {status} {body}"
                    ));
                }
                if headers.get("retry-after").is_none() {
                    return Err(format!("a 503 without Retry-After: {headers:?}"));
                }
                // Refused connections fail fast; only the acquisition timeout (5 s) could make this slow.
                if took > Duration::from_secs(6) {
                    return Err(format!("a request took {took:?} while the database was away"));
                }
            }
            cluster
                .resume()
                .await
                .map_err(|e| format!("restarting the cluster: {e}"))?;
            let back = tokio::time::Instant::now();
            loop {
                let (status, body) = get(&http, addr, "/rc_items").await?;
                if status == 200 && same_json(&body, r#"[{"id":1}]"#) {
                    break;
                }
                if back.elapsed() > Duration::from_secs(30) {
                    return Err(format!(
                        "not recovered 30 s after the database came back: {status} {body}"
                    ));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            eprintln!("recovered {:?} after the database came back", back.elapsed());
            // No connection leaked: the pool's (at most db-pool) plus the listener's.
            let admin = db::connect(&uri).await?;
            let row = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'restgres-recovery-test'",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
            let open: i64 = row.get(0);
            if open > 5 {
                return Err(format!(
                    "{open} connections open after recovery (pool of 4 plus the listener)"
                ));
            }
            Ok(())
        }
        .await;
        running.shutdown().await;
        cluster.stop();
        result
    })
}

/// Eight clients keep reading while the schema is reloaded again and again (a NOTIFY flood and direct
/// reloads): every request succeeds, and afterwards no task or connection is left over.
async fn reloads_under_load(
    running: restgres::server::Running,
    admin: String,
    dbname: String,
) -> Result<(), String> {
    let addr = running.addr;
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();
    let admin_client = db::connect(&admin).await?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            let http = client();
            let mut served = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, body) = get(&http, addr, "/items?select=id&id=eq.1").await?;
                if status != 200 || !same_json(&body, r#"[{"id":1}]"#) {
                    return Err(format!("during reloads: {status} {body}"));
                }
                served += 1;
            }
            Ok::<u32, String>(served)
        }));
    }
    let result = async {
        for _ in 0..10 {
            for _ in 0..20 {
                admin_client
                    .batch_execute("NOTIFY pgrst, 'reload schema'")
                    .await
                    .map_err(|e| e.to_string())?;
            }
            running.reloader.schema().await.map_err(|e| e.to_string())?;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok::<(), String>(())
    }
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut served = 0;
    let mut failures = Vec::new();
    for c in clients {
        match c.await {
            Ok(Ok(n)) => served += n,
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(e.to_string()),
        }
    }
    result?;
    if let Some(f) = failures.first() {
        return Err(format!("{} of 8 clients saw a failure: {f}", failures.len()));
    }
    if served == 0 {
        return Err("no request was served during the reloads".into());
    }
    // Connections: at most the pool's 4 plus the listener's.
    let row = admin_client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename = $2",
            &[&dbname, &db::AUTHENTICATOR],
        )
        .await
        .map_err(|e| e.to_string())?;
    let open: i64 = row.get(0);
    running.shutdown().await;
    if open > 5 {
        return Err(format!(
            "{open} connections open after the reloads (pool of 4 plus the listener)"
        ));
    }
    // Tasks: the server's are gone after shutdown; nothing spawned per reload or request lingers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let tasks_after = metrics.num_alive_tasks();
    if tasks_after > tasks_before + 2 {
        return Err(format!(
            "{tasks_before} tasks alive before, {tasks_after} after shutdown"
        ));
    }
    Ok(())
}

/// `db-pool-automatic-recovery = false`: the server does not start without its database, and a running one
/// reports the lost connection (the binary then exits) instead of retrying.
fn no_automatic_recovery() -> Result<(), String> {
    let runtime = runner::trial_runtime()?;
    runtime.block_on(async {
        let mut cluster = restgres::tempcluster::TempCluster::start()
            .await
            .map_err(|e| format!("starting a throwaway cluster: {e}"))?;
        let uri = cluster.uri();
        let text = format!(
            "db-uri = \"{uri}\"\ndb-schemas = \"public\"\ndb-anon-role = \"postgres\"\n\
             server-host = \"127.0.0.1\"\nserver-port = 0\ndb-pool-automatic-recovery = false\n"
        );
        let result = async {
            let running = restgres::server::start(restgres::server::config_from_text(&text)?)
                .await
                .map_err(|e| e.to_string())?;
            let addr = running.addr;
            let (status, body) = get(&client(), addr, "/").await?;
            if status != 200 {
                return Err(format!("before: {status} {body}"));
            }
            cluster.pause();
            // A request finds the connection gone; the pool's attempt to open another one fails.
            let _ = get(&client(), addr, "/").await?;
            let lost = tokio::time::timeout(Duration::from_secs(10), running.connection_lost()).await;
            running.shutdown().await;
            let reason = lost.map_err(|_| "connection_lost did not resolve within 10 s".to_string())?;
            if reason.is_empty() {
                return Err("connection_lost resolved without a reason".into());
            }
            // Starting while the database is away fails at once.
            match restgres::server::start(restgres::server::config_from_text(&text)?).await {
                Err(restgres::server::StartError::NoRecovery) => Ok(()),
                Err(e) => Err(format!("expected NoRecovery, got {e}")),
                Ok(r) => {
                    r.shutdown().await;
                    Err("started without its database and without automatic recovery".into())
                }
            }
        }
        .await;
        cluster.stop();
        result
    })
}

/// Every database connection of the server is terminated (`pg_terminate_backend`) while a request runs: that
/// request gets a 503 in PostgREST's shape, the next ones succeed on new connections, and the NOTIFY listener
/// reconnects by itself (a reload notification works again afterwards).
async fn terminated_backends(
    running: restgres::server::Running,
    admin: String,
    dbname: String,
) -> Result<(), String> {
    let addr = running.addr;
    let admin_client = db::connect(&admin).await?;
    let result = async {
        let slow = tokio::spawn(async move { get_with_headers(&client(), addr, "/slow").await });
        tokio::time::sleep(Duration::from_millis(400)).await;
        let killed: i64 = admin_client
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND usename = $2) t",
                &[&dbname, &db::AUTHENTICATOR],
            )
            .await
            .map_err(|e| e.to_string())?
            .get(0);
        if killed < 2 {
            return Err(format!("expected the request's and the listener's connections, terminated {killed}"));
        }
        let (status, headers, body) = slow.await.map_err(|e| e.to_string())??;
        let code = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_string))
            .unwrap_or_default();
        if status != 503 || !matches!(code.as_str(), "57P01" | "PGRST000" | "PGRST001") {
            return Err(format!("the interrupted request: expected 503, got {status} {body}"));
        }
        if headers.get("retry-after").is_none() {
            return Err("the interrupted request's 503 has no Retry-After".into());
        }
        for _ in 0..5 {
            let (status, body) = get(&client(), addr, "/items?select=id&id=eq.1").await?;
            if status != 200 {
                return Err(format!("after the terminations: {status} {body}"));
            }
        }
        // The listener comes back (after its backoff) and reloads on notifications again.
        admin_client
            .batch_execute(
                "CREATE TABLE test.lc_after_kill (id int); GRANT SELECT ON test.lc_after_kill TO restgres_test_anon",
            )
            .await
            .map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            admin_client
                .batch_execute("NOTIFY pgrst, 'reload schema'")
                .await
                .map_err(|e| e.to_string())?;
            let (status, _) = get(&client(), addr, "/lc_after_kill").await?;
            if status == 200 {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return Err("the listener did not come back within 15 s".into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok(())
    }
    .await;
    running.shutdown().await;
    result
}

/// Schema reloads replace the cache: after a warm-up, hundreds more reloads (and requests) leave the
/// process's resident memory where it was, give or take allocator noise. (nextest runs each trial in its own
/// process, so the figure is this server's.)
async fn reload_memory(running: restgres::server::Running, _: String, _: String) -> Result<(), String> {
    let addr = running.addr;
    let http = client();
    let result = async {
        let round = |n: usize| {
            let reloader = running.reloader.clone();
            let http = http.clone();
            async move {
                for _ in 0..n {
                    reloader.schema().await.map_err(|e| e.to_string())?;
                    let (status, body) = get(&http, addr, "/items?select=id&id=eq.1").await?;
                    if status != 200 {
                        return Err(format!("{status} {body}"));
                    }
                }
                Ok::<(), String>(())
            }
        };
        round(50).await?;
        let warm = rss_kb()?;
        round(300).await?;
        let after = rss_kb()?;
        // A leak of even 50 kB per reload would add 15 MB.
        if after > warm + 12 * 1024 {
            return Err(format!("RSS grew from {warm} kB to {after} kB over 300 reloads"));
        }
        Ok(())
    }
    .await;
    running.shutdown().await;
    result
}

/// This process's resident set size in kB (Linux).
fn rss_kb() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/self/status".to_string())
}

/// `server-reuseport`: a new instance joins the port only once its schema cache is loaded, so that while the
/// database is away it takes no connections (the old instance keeps them), then serves as soon as it is back.
fn reuseport_waits_for_the_cache() -> Result<(), String> {
    let runtime = runner::trial_runtime()?;
    runtime.block_on(async {
        let mut cluster = restgres::tempcluster::TempCluster::start()
            .await
            .map_err(|e| format!("starting a throwaway cluster: {e}"))?;
        let uri = cluster.uri();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let text = format!(
            "db-uri = \"{uri}\"\ndb-schemas = \"public\"\ndb-anon-role = \"postgres\"\n\
             server-host = \"127.0.0.1\"\nserver-port = {port}\nserver-reuseport = true\n"
        );
        cluster.pause();
        let config = restgres::server::config_from_text(&text)?;
        let starting = tokio::spawn(restgres::server::start(config));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let listening = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok();
        let result = async {
            if listening {
                return Err("bound the port before its schema cache was loaded".to_string());
            }
            cluster
                .resume()
                .await
                .map_err(|e| format!("restarting the cluster: {e}"))?;
            let running = tokio::time::timeout(Duration::from_secs(30), starting)
                .await
                .map_err(|_| "did not start within 30 s of the database coming back".to_string())?
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            let (status, body) = get(&client(), running.addr, "/").await?;
            running.shutdown().await;
            if status != 200 {
                return Err(format!("once started: {status} {body}"));
            }
            Ok(())
        }
        .await;
        cluster.stop();
        result
    })
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
        let config = restgres::server::config_from_text(&text)?;
        let running = restgres::server::start(config).await.map_err(|e| e.to_string())?;
        let (status, body) = get(&client(), running.addr, "/items").await?;
        running.shutdown().await;
        if status != 503 || !body.contains("\"PGRST002\"") {
            return Err(format!(
                "expected 503 PGRST002 without a database, got {status}: {body}"
            ));
        }
        Ok(())
    })
}
