//! Shared by the database benchmarks: databases prepared once, an in-process server, batches of requests.
// Each bench is its own crate and uses only some of these helpers.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use restgres_schema::introspect::{SCHEMA_QUERY, SCHEMA_QUERY_SETUP};
use std::net::SocketAddr;
use std::time::Instant;
use tokio_postgres::{Config, NoTls};

pub type BenchError = Box<dyn std::error::Error + Send + Sync>;
pub type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// The PostgreSQL server, from `RESTGRES_BENCH_DB_URI` (default `host=127.0.0.1 user=postgres`).
pub fn server_uri() -> String {
    std::env::var("RESTGRES_BENCH_DB_URI").unwrap_or_else(|_| "host=127.0.0.1 user=postgres".into())
}

/// The server's connection settings, from `server_uri`.
pub fn server_config() -> Result<Config, BenchError> {
    Ok(server_uri().parse()?)
}

/// Connects; the connection's later failure, if any, is printed.
pub async fn connect(config: &Config) -> Result<tokio_postgres::Client, BenchError> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("bench connection: {e}");
        }
    });
    Ok(client)
}

/// Creates `db_name` on the server if missing; returns the server's settings with that database.
pub async fn create_database(db_name: &str) -> Result<Config, BenchError> {
    let server = server_config()?;
    let admin = connect(&server).await?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&db_name])
        .await?
        .is_some();
    if !exists {
        eprintln!("creating database {db_name}");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{db_name}\""))
            .await?;
    }
    let mut db = server;
    db.dbname(db_name);
    Ok(db)
}

/// Creates `db_name` if missing, runs `setup` in it (idempotent SQL), returns a key/value URI to it.
pub async fn prepare_database(db_name: &str, setup: &str) -> Result<String, BenchError> {
    let db = create_database(db_name).await?;
    let client = connect(&db).await?;
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

/// (tables, foreign keys) in `schema`.
pub async fn counts(client: &tokio_postgres::Client, schema: &str) -> Result<(i64, i64), BenchError> {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = to_regnamespace($1) AND relkind = 'r'), \
             (SELECT count(*) FROM pg_constraint WHERE connamespace = to_regnamespace($1) AND contype = 'f')",
            &[&schema],
        )
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Tables created per transaction: one transaction for all would run out of lock slots.
const TABLES_PER_TRANSACTION: usize = 250;

/// Runs `ddl(i)` for each of `tables` tables, `TABLES_PER_TRANSACTION` to a transaction, then `ANALYZE`.
pub async fn create_tables(
    client: &tokio_postgres::Client,
    db_name: &str,
    tables: usize,
    ddl: impl Fn(usize) -> String,
) -> Result<(), BenchError> {
    eprintln!("creating {tables} tables in {db_name} (once; takes minutes)");
    let started = Instant::now();
    for start in (0..tables).step_by(TABLES_PER_TRANSACTION) {
        let mut sql = String::from("BEGIN;");
        for i in start..(start + TABLES_PER_TRANSACTION).min(tables) {
            sql.push_str(&ddl(i));
        }
        sql.push_str("COMMIT;");
        client.batch_execute(&sql).await?;
    }
    // On its own: in a multi-statement string ANALYZE would take every table's lock in one transaction.
    client.batch_execute("ANALYZE").await?;
    eprintln!("created in {:.0?}", started.elapsed());
    Ok(())
}

/// The schema query's document for `schema`, as the server reads it: the setup and the query in one
/// transaction.
pub async fn schema_query_text(
    client: &mut tokio_postgres::Client,
    schema: &str,
) -> Result<String, BenchError> {
    let schemas = vec![schema.to_string()];
    let tx = client.transaction().await?;
    tx.batch_execute(SCHEMA_QUERY_SETUP).await?;
    let text: String = tx.query_one(SCHEMA_QUERY, &[&schemas]).await?.try_get(0)?;
    tx.commit().await?;
    Ok(text)
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
