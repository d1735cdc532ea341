//! Books with their author (25 rows) against the same 25 books alone: what resource embedding costs
//! (target: the embedded read at most 1.5x the plain one).
//!
//! Runs an in-process server on `restgres_bench_embed` (created on first run from `RESTGRES_BENCH_DB_URI`,
//! by default `host=127.0.0.1 user=postgres`: 1,000 authors, 100,000 books) with 8 concurrent requests per
//! iteration, each for a different page.

mod common;

use common::{batch, client, prepare_database, start_server, BenchError};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const DB_NAME: &str = "restgres_bench_embed";
const CONCURRENCY: usize = 8;

const SETUP: &str = "
    DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'restgres_bench_anon') THEN
        CREATE ROLE restgres_bench_anon NOLOGIN; END IF;
    END $$;
    CREATE SCHEMA IF NOT EXISTS api;
    CREATE TABLE IF NOT EXISTS api.authors (id int PRIMARY KEY, name text NOT NULL, born int);
    CREATE TABLE IF NOT EXISTS api.books (id int PRIMARY KEY, title text NOT NULL, pages int,
      author_id int NOT NULL REFERENCES api.authors(id));
    CREATE INDEX IF NOT EXISTS books_author_id ON api.books(author_id);
    INSERT INTO api.authors SELECT g, 'author ' || g, 1900 + g % 100 FROM generate_series(1, 1000) g
      ON CONFLICT DO NOTHING;
    INSERT INTO api.books SELECT g, 'book ' || g, 100 + g % 400, 1 + g % 1000 FROM generate_series(1, 100000) g
      ON CONFLICT DO NOTHING;
    GRANT USAGE ON SCHEMA api TO restgres_bench_anon;
    GRANT SELECT ON api.authors, api.books TO restgres_bench_anon;
    ANALYZE api.authors; ANALYZE api.books;";

fn paths(select: &str, n: usize) -> Vec<String> {
    (0..CONCURRENCY)
        .map(|i| {
            format!(
                "/books?select={select}&order=id&limit=25&offset={}",
                ((n * CONCURRENCY + i) % 3000) * 25
            )
        })
        .collect()
}

fn reads(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let started: Result<restgres::server::Running, BenchError> = rt.block_on(async {
        let uri = prepare_database(DB_NAME, SETUP).await?;
        start_server(&uri, "db-anon-role = \"restgres_bench_anon\"\n").await
    });
    let running = match started {
        Ok(r) => r,
        Err(e) => {
            eprintln!("embed_reads: cannot start (is PostgreSQL at RESTGRES_BENCH_DB_URI?): {e}");
            return;
        }
    };
    let addr = running.addr;
    let client = client();
    let mut group = c.benchmark_group("books_25_rows");
    group.throughput(Throughput::Elements(CONCURRENCY as u64));
    group.measurement_time(Duration::from_secs(8));
    for (name, select) in [("plain", "*"), ("with_author", "*,authors(*)")] {
        rt.block_on(batch(&client, addr, &paths(select, 0), &[]));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for n in 0..iters as usize {
                        batch(&client, addr, &paths(select, n), &[]).await;
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
