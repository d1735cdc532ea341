//! The benchmark suite: restgres (release binary) under wrk against pgbench running the very same transactions
//! on PostgreSQL, for every workload at 1, 8 and 32 connections, as one table.
//!
//!     cargo run --release -p restgres-bench --bin bench-suite            # everything, 5 s per run
//!     SUITE_SECONDS=10 SUITE_ONLY=primary cargo run --release -p restgres-bench --bin bench-suite
//!     SUITE_PREPARED=false cargo run ...   # db-prepared-statements = false, pgbench -M extended
//!     SUITE_THREADS=0 cargo run ...        # server-threads (default 1: PostgreSQL needs the other core)
//!     SUITE_REPEAT=3 cargo run ...         # each run 3 times, alternating; the median of each side
//!
//! Needs PostgreSQL (`RESTGRES_BENCH_DB_URI`, by default `host=127.0.0.1 user=postgres`, with trust
//! authentication for the role `restgres_bench_authenticator` it creates), `pgbench`, and `wrk` (installed with
//! apt-get when missing and running as root). The table is printed and written to
//! `target/bench-suite/report.md`.

mod capture;
mod dataset;
mod large;
mod load;
mod proc;
mod workloads;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub type SuiteError = Box<dyn std::error::Error + Send + Sync>;

const CONNECTIONS: [usize; 3] = [1, 8, 32];

fn main() {
    if let Err(e) = run() {
        // tokio-postgres says "db error" and keeps the server's message in the source.
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        eprintln!("bench-suite: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), SuiteError> {
    let seconds: u64 = std::env::var("SUITE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let only = std::env::var("SUITE_ONLY").ok();
    // The path for transaction-mode poolers: no named statements on either side.
    let prepared = std::env::var("SUITE_PREPARED").map_or(true, |v| v != "false");
    // On two cores shared with PostgreSQL and wrk, one request thread does the most work per CPU second.
    let threads: u32 = std::env::var("SUITE_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let duration = Duration::from_secs(seconds);
    // Runs on this shared machine vary by ±25% from one to the next (pgbench included): repeating them,
    // wrk and pgbench in turn, and taking each side's median keeps one disturbed run from deciding a ratio.
    let repeat: usize = std::env::var("SUITE_REPEAT")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1);
    ensure_wrk()?;
    let workspace = workspace_dir();
    let out_dir = workspace.join("target").join("bench-suite");
    std::fs::create_dir_all(&out_dir)?;
    let binary = build_restgres(&workspace)?;

    let runtime = tokio::runtime::Runtime::new()?;
    let db_uri = runtime.block_on(dataset::prepare())?;
    let (host, port) = dataset::host_port(&dataset::server_config()?);
    let config_text = format!(
        "db-uri = \"{db_uri}\"\ndb-schemas = \"api\"\ndb-anon-role = \"restgres_bench_anon\"\n\
         jwt-secret = \"{}\"\ndb-pool = 32\nserver-host = \"127.0.0.1\"\nlog-level = \"crit\"\n\
         db-prepared-statements = {prepared}\nserver-threads = {threads}\n",
        dataset::JWT_SECRET
    );

    let workloads: Vec<_> = workloads::all()
        .into_iter()
        .filter(|w| only.as_deref().is_none_or(|o| w.name.contains(o)))
        .collect();
    // The transactions restgres runs, captured once from an in-process server with the same configuration.
    let captured = runtime.block_on(async {
        let config = restgres::server::config_from_text(&format!("{config_text}server-port = 0\n"))?;
        let running = restgres::server::start(config).await?;
        let mut out = Vec::new();
        for w in &workloads {
            out.push(capture::capture(&running, w).await?);
        }
        running.shutdown().await;
        Ok::<_, SuiteError>(out)
    })?;
    drop(runtime);

    let api_port = free_port()?;
    let conf = out_dir.join("restgres.conf");
    std::fs::write(&conf, format!("{config_text}server-port = {api_port}\n"))?;
    let server = Server::start(&binary, &conf, api_port)?;
    let idle_rss = proc::rss_kb(server.pid())?;

    let mut rows = Vec::new();
    for (w, tx) in workloads.iter().zip(&captured) {
        let (script, vars) = capture::pgbench_script(tx);
        for &c in &CONNECTIONS {
            eprintln!("{} @ {c}", w.name);
            let (mut our_runs, mut their_runs) = (Vec::new(), Vec::new());
            let (mut cpu_ms, mut requests) = (0u64, 0u64);
            for _ in 0..repeat {
                let cpu_before = proc::cpu_ms(server.pid())?;
                let ours = load::wrk(w, api_port, c, duration, &out_dir)?;
                cpu_ms += proc::cpu_ms(server.pid())? - cpu_before;
                requests += ours.requests;
                our_runs.push(ours);
                their_runs.push(load::pgbench(
                    &script,
                    &vars,
                    &host,
                    port,
                    dataset::AUTHENTICATOR,
                    dataset::DB_NAME,
                    c,
                    duration,
                    prepared,
                    &out_dir,
                )?);
            }
            let (ours, theirs) = (load::median(our_runs), load::median(their_runs));
            let cpu_per_1000 = if requests > 0 {
                cpu_ms as f64 * 1000.0 / requests as f64
            } else {
                0.0
            };
            rows.push(Row {
                workload: w.name,
                connections: c,
                ours,
                theirs,
                cpu_per_1000_ms: cpu_per_1000,
                rss_kb: proc::rss_kb(server.pid())?,
            });
        }
    }
    let peak_rss = proc::peak_rss_kb(server.pid())?;
    drop(server);

    // The large response, on a fresh process so that its high-water mark is this phase's own.
    let mut large_runs = Vec::new();
    if only.as_deref().is_none_or(|o| LARGE_NAME.contains(o)) {
        let server = Server::start(&binary, &conf, api_port)?;
        for clients in [1, 4] {
            eprintln!("{LARGE_NAME} @ {clients}");
            large_runs.push(large::run(api_port, server.pid(), clients)?);
        }
    }

    let mut report = String::new();
    if !rows.is_empty() {
        report.push_str(&render(&rows, idle_rss, peak_rss, seconds, threads, repeat));
    }
    if !large_runs.is_empty() {
        report.push_str(&render_large(&large_runs));
    }
    println!("{report}");
    std::fs::write(out_dir.join("report.md"), &report)?;
    if rows
        .iter()
        .any(|r| r.ours.failure.is_some() || r.theirs.failure.is_some())
        || large_runs.iter().any(|r| r.failure.is_some())
    {
        return Err("some runs failed (marked FAILED in the table)".into());
    }
    Ok(())
}

struct Row {
    workload: &'static str,
    connections: usize,
    ours: load::RunResult,
    theirs: load::RunResult,
    cpu_per_1000_ms: f64,
    rss_kb: u64,
}

const LARGE_NAME: &str = "large response (GET /book_pages, over 100 MB)";

fn render_large(runs: &[large::LargeResult]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{LARGE_NAME}, streamed by a fresh restgres process; each client reads the whole body\n"
    );
    let _ = writeln!(
        s,
        "| clients | body MB | seconds | MB/s (all clients) | RSS before MB | peak RSS MB | errors |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---|");
    for r in runs {
        let mb = r.bytes as f64 / 1_000_000.0;
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.2} | {:.0} | {:.1} | {:.1} | {} |",
            r.clients,
            mb,
            r.seconds,
            if r.seconds > 0.0 {
                mb * r.clients as f64 / r.seconds
            } else {
                0.0
            },
            r.rss_before_kb as f64 / 1024.0,
            r.peak_rss_kb as f64 / 1024.0,
            r.failure
                .as_deref()
                .map_or_else(|| "0".to_string(), |f| format!("FAILED: {f}"))
        );
    }
    s
}

fn render(
    rows: &[Row],
    idle_rss_kb: u64,
    peak_rss_kb: u64,
    seconds: u64,
    threads: u32,
    repeat: usize,
) -> String {
    let mut s = String::new();
    let runs = if repeat > 1 {
        format!("median of {repeat} runs of {seconds} s per side")
    } else {
        format!("{seconds} s per run")
    };
    let _ = writeln!(
        s,
        "restgres (server-threads = {threads}) vs pgbench running the same transactions ({runs}; restgres idle RSS {:.1} MB, peak {:.1} MB)\n",
        idle_rss_kb as f64 / 1024.0,
        peak_rss_kb as f64 / 1024.0
    );
    let _ = writeln!(
        s,
        "| workload | conns | restgres req/s | p50 ms | p99 ms | pgbench tps | pgbench p50 / p99 ms | ratio | CPU ms / 1000 req | RSS MB | errors |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let ratio = if r.theirs.requests_per_sec > 0.0 {
            r.ours.requests_per_sec / r.theirs.requests_per_sec
        } else {
            0.0
        };
        let errors = match (&r.ours.failure, &r.theirs.failure) {
            (None, None) => "0".to_string(),
            (a, b) => format!(
                "FAILED: {}",
                [
                    a.as_deref().map(|x| format!("restgres {x}")),
                    b.as_deref().map(|x| format!("pgbench {x}"))
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ")
            ),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} / {:.2} | {:.0}% | {:.0} | {:.1} | {} |",
            r.workload,
            r.connections,
            r.ours.requests_per_sec,
            r.ours.p50_ms,
            r.ours.p99_ms,
            r.theirs.requests_per_sec,
            r.theirs.p50_ms,
            r.theirs.p99_ms,
            ratio * 100.0,
            r.cpu_per_1000_ms,
            r.rss_kb as f64 / 1024.0,
            errors
        );
    }
    s
}

/// The restgres release binary, built (or found up to date) with cargo.
fn build_restgres(workspace: &Path) -> Result<PathBuf, SuiteError> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "restgres", "--bin", "restgres"])
        .current_dir(workspace)
        .status()?;
    if !status.success() {
        return Err("cargo build --release -p restgres failed".into());
    }
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| workspace.join("target"), PathBuf::from);
    Ok(target.join("release").join("restgres"))
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// wrk from Debian's packages when it is missing (needs root).
fn ensure_wrk() -> Result<(), SuiteError> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("wrk is missing: apt-get install -y wrk");
    let ok = Command::new("apt-get")
        .args(["install", "-y", "--no-upgrade", "wrk"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok && Command::new("wrk").arg("--version").output().is_ok() {
        Ok(())
    } else {
        Err("wrk is needed (apt-get install wrk) and could not be installed".into())
    }
}

fn free_port() -> Result<u16, SuiteError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The restgres process under test; stopped with SIGTERM when dropped.
struct Server(Child);

impl Server {
    fn start(binary: &Path, conf: &Path, port: u16) -> Result<Server, SuiteError> {
        let child = Command::new(binary)
            .arg(conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let server = Server(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("restgres did not start listening within 30 s".into())
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}
