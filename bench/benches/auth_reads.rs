//! Throughput of anonymous and JWT-authenticated single-row reads through the whole server, so the cost of
//! authentication with a warm JWT cache can be compared (target: within 10% of anonymous reads).
//!
//! Each iteration sends `CONCURRENCY` requests at once over kept-alive connections to an in-process server
//! on the database `restgres_bench_auth` (created on first run from `RESTGRES_BENCH_DB_URI`, by default
//! `host=127.0.0.1 user=postgres`). Criterion reports elements per second; the two groups share a
//! server, a pool and a table.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio_postgres::{Config, NoTls};

const DB_NAME: &str = "restgres_bench_auth";
const CONCURRENCY: usize = 8;
const JWT_SECRET: &str = "restgres-bench-secret-0123456789abcdef";
/// HS256 with `JWT_SECRET`: `{"role":"restgres_bench_user","sub":"bench","exp":4102444800}`.
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
eyJyb2xlIjoicmVzdGdyZXNfYmVuY2hfdXNlciIsInN1YiI6ImJlbmNoIiwiZXhwIjo0MTAyNDQ0ODAwfQ.\
oyZa7j5a2W-eMB0lQ3Kh1j9FgyQgpWUQ8N9qNHltKoM";

type BenchError = Box<dyn std::error::Error + Send + Sync>;

fn server_uri() -> String {
    std::env::var("RESTGRES_BENCH_DB_URI").unwrap_or_else(|_| "host=127.0.0.1 user=postgres".into())
}

async fn prepare_database() -> Result<String, BenchError> {
    let base: Config = server_uri().parse()?;
    let (admin, conn) = base.connect(NoTls).await?;
    tokio::spawn(conn);
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&DB_NAME])
        .await?
        .is_some();
    if !exists {
        admin.batch_execute(&format!("CREATE DATABASE {DB_NAME}")).await?;
    }
    admin
        .batch_execute(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'restgres_bench_anon') THEN
                 CREATE ROLE restgres_bench_anon NOLOGIN; END IF;
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'restgres_bench_user') THEN
                 CREATE ROLE restgres_bench_user NOLOGIN; END IF;
             END $$;",
        )
        .await?;
    let mut db = base.clone();
    db.dbname(DB_NAME);
    let (client, conn) = db.connect(NoTls).await?;
    tokio::spawn(conn);
    client
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS api;
             CREATE TABLE IF NOT EXISTS api.items (id int PRIMARY KEY, name text NOT NULL, price numeric);
             INSERT INTO api.items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 1000) g
               ON CONFLICT DO NOTHING;
             GRANT USAGE ON SCHEMA api TO restgres_bench_anon, restgres_bench_user;
             GRANT SELECT ON api.items TO restgres_bench_anon, restgres_bench_user;
             ANALYZE api.items;",
        )
        .await?;
    Ok(match db.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => format!(
            "host={h} port={} user={} dbname={DB_NAME}",
            db.get_ports().first().copied().unwrap_or(5432),
            db.get_user().unwrap_or("postgres")
        ),
        _ => format!("dbname={DB_NAME}"),
    })
}

async fn start() -> Result<restgres::server::Running, BenchError> {
    let uri = prepare_database().await?;
    let text = format!(
        "db-uri = \"{uri}\"\ndb-schemas = \"api\"\ndb-anon-role = \"restgres_bench_anon\"\n\
         jwt-secret = \"{JWT_SECRET}\"\nserver-host = \"127.0.0.1\"\nserver-port = 0\nlog-level = \"crit\"\n"
    );
    let config = restgres::server::config_from_text(&text)?;
    Ok(restgres::server::start(config).await?)
}

/// Sends one batch of concurrent reads; panics on a non-200 so an error can never pass as a fast run.
async fn batch(
    client: &Client<HttpConnector, Empty<Bytes>>,
    addr: SocketAddr,
    token: Option<&str>,
    n: usize,
) {
    let requests = (0..CONCURRENCY).map(|i| {
        let id = (n * CONCURRENCY + i) % 1000 + 1;
        let mut req = http::Request::get(format!("http://{addr}/items?id=eq.{id}"));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let req = req.body(Empty::new()).expect("request");
        async move {
            let resp = client.request(req).await.expect("response");
            assert_eq!(resp.status(), 200, "benchmark request failed");
            resp.into_body().collect().await.expect("body");
        }
    });
    futures_util::future::join_all(requests).await;
}

fn reads(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let running = match rt.block_on(start()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("auth_reads: cannot start (is PostgreSQL at RESTGRES_BENCH_DB_URI?): {e}");
            return;
        }
    };
    let addr = running.addr;
    let client: Client<HttpConnector, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut group = c.benchmark_group("single_row_read");
    group.throughput(Throughput::Elements(CONCURRENCY as u64));
    group.measurement_time(Duration::from_secs(8));
    for (name, token) in [("anonymous", None), ("jwt_cached", Some(TOKEN))] {
        // Warm the pool, the prepared statements and the JWT cache.
        rt.block_on(batch(&client, addr, token, 0));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for n in 0..iters as usize {
                        batch(&client, addr, token, n).await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
    rt.block_on(running.shutdown());
}

criterion_group!(benches, reads);
criterion_main!(benches);
