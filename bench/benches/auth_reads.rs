//! Throughput of anonymous and JWT-authenticated single-row reads through the whole server, so the cost of
//! authentication with a warm JWT cache can be compared (target: within 10% of anonymous reads).
//!
//! Each iteration sends `CONCURRENCY` requests at once over kept-alive connections to an in-process server
//! on the database `restgres_bench_auth` (created on first run from `RESTGRES_BENCH_DB_URI`, by default
//! `host=127.0.0.1 user=postgres`). Criterion reports elements per second; the two groups share a
//! server, a pool and a table.

mod common;

use common::{batch, client, prepare_database, start_server, BenchError};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const DB_NAME: &str = "restgres_bench_auth";
const CONCURRENCY: usize = 8;
const JWT_SECRET: &str = "restgres-bench-secret-0123456789abcdef";
/// HS256 with `JWT_SECRET`: `{"role":"restgres_bench_user","sub":"bench","exp":4102444800}`.
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
eyJyb2xlIjoicmVzdGdyZXNfYmVuY2hfdXNlciIsInN1YiI6ImJlbmNoIiwiZXhwIjo0MTAyNDQ0ODAwfQ.\
oyZa7j5a2W-eMB0lQ3Kh1j9FgyQgpWUQ8N9qNHltKoM";

const SETUP: &str = "
    DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'restgres_bench_anon') THEN
        CREATE ROLE restgres_bench_anon NOLOGIN; END IF;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'restgres_bench_user') THEN
        CREATE ROLE restgres_bench_user NOLOGIN; END IF;
    END $$;
    CREATE SCHEMA IF NOT EXISTS api;
    CREATE TABLE IF NOT EXISTS api.items (id int PRIMARY KEY, name text NOT NULL, price numeric);
    INSERT INTO api.items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING;
    GRANT USAGE ON SCHEMA api TO restgres_bench_anon, restgres_bench_user;
    GRANT SELECT ON api.items TO restgres_bench_anon, restgres_bench_user;
    ANALYZE api.items;";

async fn start() -> Result<restgres::server::Running, BenchError> {
    let uri = prepare_database(DB_NAME, SETUP).await?;
    start_server(
        &uri,
        &format!("db-anon-role = \"restgres_bench_anon\"\njwt-secret = \"{JWT_SECRET}\"\n"),
    )
    .await
}

fn paths(n: usize) -> Vec<String> {
    (0..CONCURRENCY)
        .map(|i| format!("/items?id=eq.{}", (n * CONCURRENCY + i) % 1000 + 1))
        .collect()
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
    let client = client();
    let mut group = c.benchmark_group("single_row_read");
    group.throughput(Throughput::Elements(CONCURRENCY as u64));
    group.measurement_time(Duration::from_secs(8));
    let bearer = format!("Bearer {TOKEN}");
    for (name, headers) in [
        ("anonymous", vec![]),
        ("jwt_cached", vec![("Authorization", bearer.as_str())]),
    ] {
        // Warm the pool, the prepared statements and the JWT cache.
        rt.block_on(batch(&client, addr, &paths(0), &headers));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for n in 0..iters as usize {
                        batch(&client, addr, &paths(n), &headers).await;
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
