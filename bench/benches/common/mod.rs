//! Shared by the server benchmarks: a database prepared once, an in-process server, batches of requests.
// Each bench is its own crate and uses only some of these helpers.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use tokio_postgres::{Config, NoTls};

pub type BenchError = Box<dyn std::error::Error + Send + Sync>;
pub type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// The PostgreSQL server, from `RESTGRES_BENCH_DB_URI` (default `host=127.0.0.1 user=postgres`).
pub fn server_uri() -> String {
    std::env::var("RESTGRES_BENCH_DB_URI").unwrap_or_else(|_| "host=127.0.0.1 user=postgres".into())
}

/// Creates `db_name` if missing, runs `setup` in it (idempotent SQL), returns a key/value URI to it.
pub async fn prepare_database(db_name: &str, setup: &str) -> Result<String, BenchError> {
    let base: Config = server_uri().parse()?;
    let (admin, conn) = base.connect(NoTls).await?;
    tokio::spawn(conn);
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&db_name])
        .await?
        .is_some();
    if !exists {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{db_name}\""))
            .await?;
    }
    let mut db = base.clone();
    db.dbname(db_name);
    let (client, conn) = db.connect(NoTls).await?;
    tokio::spawn(conn);
    client.batch_execute(setup).await?;
    Ok(match db.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => format!(
            "host={h} port={} user={} dbname={db_name}",
            db.get_ports().first().copied().unwrap_or(5432),
            db.get_user().unwrap_or("postgres")
        ),
        _ => format!("dbname={db_name}"),
    })
}

/// Starts restgres on `db_uri` with the schema `api` exposed and `extra` config lines.
pub async fn start_server(db_uri: &str, extra: &str) -> Result<restgres::server::Running, BenchError> {
    start_server_exposing(db_uri, "api", extra).await
}

/// Starts restgres on `db_uri` with `schemas` (a `db-schemas` value) exposed and `extra` config lines.
pub async fn start_server_exposing(
    db_uri: &str,
    schemas: &str,
    extra: &str,
) -> Result<restgres::server::Running, BenchError> {
    let text = format!(
        "db-uri = \"{db_uri}\"\ndb-schemas = \"{schemas}\"\nserver-host = \"127.0.0.1\"\nserver-port = 0\n\
         log-level = \"crit\"\n{extra}"
    );
    let config = restgres::server::config_from_text(&text)?;
    Ok(restgres::server::start(config).await?)
}

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends the requests concurrently; panics on a non-200 so that an error can never pass as a fast run.
pub async fn batch(client: &HttpClient, addr: SocketAddr, paths: &[String], headers: &[(&str, &str)]) {
    let requests = paths.iter().map(|path| {
        let mut req = http::Request::get(format!("http://{addr}{path}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Empty::new()).expect("request");
        async move {
            let resp = client.request(req).await.expect("response");
            let status = resp.status();
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(
                status,
                200,
                "benchmark request {path} failed: {}",
                String::from_utf8_lossy(&body)
            );
        }
    });
    futures_util::future::join_all(requests).await;
}
