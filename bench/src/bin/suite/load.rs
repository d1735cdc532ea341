//! Running the load: wrk against restgres, pgbench against PostgreSQL, and what each reports.

use crate::workloads::Workload;
use crate::SuiteError;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Non-2xx/3xx answers, socket errors, failed or aborted transactions.
    pub errors: u64,
    /// Why the run counts as failed, if it does.
    pub failure: Option<String>,
}

/// The run with the median rate (the lower one of the two middle runs); a failure in any run fails it.
pub fn median(mut runs: Vec<RunResult>) -> RunResult {
    let failure = runs.iter().find_map(|r| r.failure.clone());
    runs.sort_by(|a, b| a.requests_per_sec.total_cmp(&b.requests_per_sec));
    let middle = runs.len().saturating_sub(1) / 2;
    let mut chosen = runs.into_iter().nth(middle).unwrap_or_default();
    chosen.failure = chosen.failure.or(failure);
    chosen
}

/// `wrk` with the workload's method, headers and body (a Lua script), HTTP/1.1 keep-alive.
pub fn wrk(
    w: &Workload,
    port: u16,
    connections: usize,
    duration: Duration,
    dir: &Path,
) -> Result<RunResult, SuiteError> {
    let script = dir.join("wrk.lua");
    let mut lua = format!("wrk.method = {}\n", lua_string(w.method));
    if let Some(body) = w.body {
        lua.push_str(&format!("wrk.body = {}\n", lua_string(body)));
    }
    for (k, v) in &w.headers {
        lua.push_str(&format!("wrk.headers[{}] = {}\n", lua_string(k), lua_string(v)));
    }
    // Count answers with another status than the expected one as errors (wrk only counts >= 400).
    lua.push_str(&format!(
        "unexpected = 0\nresponse = function(status, headers, body)\n  if status ~= {} then unexpected = unexpected + 1 end\nend\n\
         done = function(summary, latency, requests)\n  io.write(string.format(\"unexpected: %d\\n\", unexpected))\nend\n",
        w.status
    ));
    std::fs::write(&script, lua)?;
    let threads = connections.clamp(1, 2);
    let out = Command::new("wrk")
        .arg(format!("-c{connections}"))
        .arg(format!("-t{threads}"))
        .arg(format!("-d{}s", duration.as_secs()))
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(format!("http://127.0.0.1:{port}{}", w.path))
        .output()
        .map_err(|e| SuiteError::from(format!("running wrk: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!("wrk failed: {}\n{text}", String::from_utf8_lossy(&out.stderr)).into());
    }
    parse_wrk(&text)
}

fn lua_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Reads wrk's summary: requests/s, the 50% and 99% latencies, errors.
pub fn parse_wrk(text: &str) -> Result<RunResult, SuiteError> {
    let mut r = RunResult::default();
    let mut in_distribution = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Latency Distribution") {
            in_distribution = true;
            continue;
        }
        if in_distribution {
            if let Some(v) = t.strip_prefix("50%") {
                r.p50_ms = duration_ms(v.trim())?;
            } else if let Some(v) = t.strip_prefix("99%") {
                r.p99_ms = duration_ms(v.trim())?;
                in_distribution = false;
            }
        }
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            r.requests_per_sec = v.trim().parse().map_err(|_| format!("wrk: {t}"))?;
        }
        if let Some(v) = t
            .split(" requests in ")
            .next()
            .filter(|_| t.contains(" requests in "))
        {
            r.requests = v.trim().parse().unwrap_or(0);
        }
        if let Some(v) = t.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            r.errors += v
                .split(',')
                .filter_map(|p| p.split_whitespace().nth(1))
                .filter_map(|n| n.parse::<u64>().ok())
                .sum::<u64>();
        }
        if let Some(v) = t.strip_prefix("unexpected:") {
            r.errors += v.trim().parse::<u64>().unwrap_or(0);
        }
    }
    if r.requests_per_sec == 0.0 {
        return Err(format!("wrk printed no Requests/sec:\n{text}").into());
    }
    if r.errors > 0 {
        r.failure = Some(format!("{} errors", r.errors));
    }
    Ok(r)
}

/// `812.34us`, `1.20ms`, `2.01s` in milliseconds.
fn duration_ms(v: &str) -> Result<f64, SuiteError> {
    let (num, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return Err(format!("wrk latency {v:?}").into());
    };
    Ok(num.parse::<f64>().map_err(|_| format!("wrk latency {v:?}"))? * factor)
}

/// pgbench running the captured transaction (prepared statements when restgres prepares them, else the
/// extended protocol's unnamed statements), with per-transaction logs for the latency percentiles.
#[allow(clippy::too_many_arguments)]
pub fn pgbench(
    script: &str,
    vars: &[(String, String)],
    host: &str,
    port: u16,
    user: &str,
    db: &str,
    connections: usize,
    duration: Duration,
    prepared: bool,
    dir: &Path,
) -> Result<RunResult, SuiteError> {
    let file = dir.join("pgbench.sql");
    std::fs::write(&file, script)?;
    let logs = dir.join("pgbench-log");
    std::fs::create_dir_all(&logs)?;
    for entry in std::fs::read_dir(&logs)? {
        let _ = std::fs::remove_file(entry?.path());
    }
    let mut cmd = Command::new("pgbench");
    cmd.args(["-n", "-M", if prepared { "prepared" } else { "extended" }])
        .arg(format!("-c{connections}"))
        .arg(format!("-j{}", connections.clamp(1, 2)))
        .arg(format!("-T{}", duration.as_secs()))
        .arg("-f")
        .arg(&file)
        .arg("-l")
        .arg(format!("--log-prefix={}", logs.join("tx").display()))
        .args(["-h", host, "-p", &port.to_string(), "-U", user, db]);
    for (k, v) in vars {
        cmd.arg("-D").arg(format!("{k}={v}"));
    }
    let out = cmd
        .output()
        .map_err(|e| SuiteError::from(format!("running pgbench: {e}")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = RunResult::default();
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("tps = ") {
            r.requests_per_sec = v
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0.0);
        }
        if let Some(v) = t.strip_prefix("number of transactions actually processed:") {
            r.requests = v
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
        if let Some(v) = t.strip_prefix("number of failed transactions:") {
            r.errors += v
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
        if t.contains("aborted") {
            r.errors += 1;
        }
    }
    let mut latencies: Vec<u64> = Vec::new();
    for entry in std::fs::read_dir(&logs)? {
        let text = std::fs::read_to_string(entry?.path())?;
        // client_id transaction_no time_us script_no time_epoch time_us
        latencies.extend(
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok()),
        );
    }
    latencies.sort_unstable();
    if !out.status.success() || r.requests_per_sec == 0.0 || latencies.is_empty() {
        r.failure = Some(format!("pgbench: {}", text.lines().last().unwrap_or("no output")));
        if r.requests_per_sec == 0.0 {
            return Err(format!("pgbench failed:\n{text}\nscript:\n{script}").into());
        }
    }
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len().max(1)) - 1;
        latencies.get(i).map_or(0.0, |us| *us as f64 / 1000.0)
    };
    r.p50_ms = pct(0.50);
    r.p99_ms = pct(0.99);
    if r.errors > 0 && r.failure.is_none() {
        r.failure = Some(format!("{} failed transactions", r.errors));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "Running 5s test @ http://127.0.0.1:3000/books\n  2 threads and 8 connections\n\
            Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency   812.34us  100.00us   5.00ms   90.00%\n\
            Latency Distribution\n     50%  800.00us\n     75%  900.00us\n     90%    1.00ms\n     99%    1.50ms\n\
            48000 requests in 5.00s, 10.00MB read\n  Socket errors: connect 0, read 2, write 0, timeout 1\n\
            Requests/sec:   9600.00\nTransfer/sec:      2.00MB\nunexpected: 4\n";
        let r = parse_wrk(text).unwrap();
        assert_eq!(r.requests_per_sec, 9600.0);
        assert_eq!(r.p50_ms, 0.8);
        assert_eq!(r.p99_ms, 1.5);
        assert_eq!(r.requests, 48000);
        assert_eq!(r.errors, 7);
        assert!(r.failure.is_some());
    }
}
