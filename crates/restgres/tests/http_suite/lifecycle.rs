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
        Trial::test("lifecycle::unreachable_database_is_503", || {
            unreachable_database().map_err(Into::into)
        }),
    ]
}

/// Runs `body` against a fresh server on a fresh database, configured with the suite defaults plus `extra`.
fn with_server<F, Fut>(extra: &[(&str, &str)], body: F) -> Result<(), libtest_mimic::Failed>
where
    F: FnOnce(restgres::server::Running, String, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let env = db::env()?;
    let runtime = runner::trial_runtime()?;
    let (dbname, _drop_db) = runner::trial_database(&runtime, env)?;
    let overrides: BTreeMap<String, toml::Value> = extra
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                v.parse::<i64>()
                    .map_or(toml::Value::String(v.to_string()), toml::Value::Integer),
            )
        })
        .collect();
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
    let req = http::Request::get(format!("http://{addr}{path}"))
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .map_err(|_| "no response within 30s".to_string())?
        .map_err(|e| format!("{e:?}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
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
    let (admin_client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
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
    let (admin_client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
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
                return if body == r#"[{"id":7}]"# {
                    Ok(())
                } else {
                    Err(format!("after the reload: unexpected body {body}"))
                };
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
