//! Trials of the logs, on the real binary: PostgREST's access log (role, size), `log-query` and `log-format = json`.

use crate::{db, runner};
use libtest_mimic::Trial;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("logging::access_log_text_with_role_and_query", || {
            access_log("text").map_err(Into::into)
        }),
        Trial::test("logging::access_log_json", || {
            access_log("json").map_err(Into::into)
        }),
    ]
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Sends `GET path` over a fresh connection (blocking, HTTP/1.0 style) and returns the status.
fn get(port: u16, path: &str) -> Result<u16, String> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: log-test\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    out.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status line in {out:?}"))
}

/// Stops the child with SIGTERM (graceful, flushes its output) and returns (stdout, stderr).
fn stop(mut child: Child) -> Result<(String, String), String> {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    Ok((out, err))
}

fn access_log(format: &str) -> Result<(), String> {
    let env = db::env()?;
    let runtime = runner::trial_runtime()?;
    let (dbname, _drop_db) = runner::trial_database(&runtime, env)?;
    let port = free_port()?;
    let overrides = [
        ("server-port", toml::Value::Integer(i64::from(port))),
        ("log-level", toml::Value::String("info".into())),
        ("log-query", toml::Value::Boolean(true)),
        ("log-format", toml::Value::String(format.into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let text = runner::config_text(&db::server_uri(&env.admin_uri, &dbname), &overrides)?;
    let dir = std::env::temp_dir().join(format!("restgres-logging-{}-{format}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let conf = dir.join("restgres.conf");
    std::fs::write(&conf, text).map_err(|e| e.to_string())?;
    let child = Command::new(env!("CARGO_BIN_EXE_restgres"))
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the binary: {e}"))?;
    // Until the schema cache is loaded the API answers 503; wait for a 200.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ready = Err("never tried".to_string());
    while Instant::now() < deadline {
        ready = get(port, "/items?select=id&id=eq.1");
        if ready == Ok(200) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let statuses = (
        get(port, "/items?select=id&id=eq.2"),
        get(port, "/items?id=eq.notanumber"),
    );
    let (out, err) = stop(child)?;
    let _ = std::fs::remove_dir_all(&dir);
    if ready != Ok(200) || statuses != (Ok(200), Ok(400)) {
        return Err(format!(
            "requests: {ready:?} {statuses:?}\nstdout:\n{out}\nstderr:\n{err}"
        ));
    }
    let ok_line = out
        .lines()
        .find(|l| l.contains("id=eq.2"))
        .ok_or_else(|| format!("no access log line for the 200:\n{out}"))?;
    let bad_line = out
        .lines()
        .find(|l| l.contains("notanumber"))
        .ok_or_else(|| format!("no access log line for the 400:\n{out}"))?;
    if format == "json" {
        let ok: serde_json::Value = serde_json::from_str(ok_line).map_err(|e| format!("{e}: {ok_line}"))?;
        let bad: serde_json::Value =
            serde_json::from_str(bad_line).map_err(|e| format!("{e}: {bad_line}"))?;
        let want_ok = serde_json::json!({"remote": "127.0.0.1", "user": "restgres_test_anon",
            "request": "GET /items?select=id&id=eq.2 HTTP/1.1", "status": 200, "size": 10, "user_agent": "log-test",
            "query": null});
        for (k, v) in want_ok.as_object().into_iter().flatten() {
            if ok.get(k) != Some(v) {
                return Err(format!(
                    "json access log {k}: expected {v}, got {:?} in {ok_line}",
                    ok.get(k)
                ));
            }
        }
        let query = bad.get("query").and_then(|q| q.as_str()).unwrap_or_default();
        if bad.get("status") != Some(&serde_json::json!(400)) || !query.contains("pgrst_source") {
            return Err(format!(
                "the 400's record should carry its SQL (log-query): {bad_line}"
            ));
        }
        // Diagnostics on stderr are JSON too.
        if !err
            .lines()
            .any(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
        {
            return Err(format!("no JSON diagnostic line on stderr:\n{err}"));
        }
    } else {
        // 127.0.0.1 - restgres_test_anon [26/Nov/2026:04:08:52 +0000] "GET /items?select=id&id=eq.2 HTTP/1.1" 200 10 "" "log-test"
        let want_start = "127.0.0.1 - restgres_test_anon [";
        let want_end = "] \"GET /items?select=id&id=eq.2 HTTP/1.1\" 200 10 \"\" \"log-test\"";
        if !ok_line.starts_with(want_start) || !ok_line.ends_with(want_end) {
            return Err(format!("access log line: {ok_line:?}"));
        }
        if !bad_line.contains("\" 400 ") {
            return Err(format!("access log line of the 400: {bad_line:?}"));
        }
        // log-query: the failing request's SQL, not the successful one's.
        let sql_lines: Vec<&str> = err.lines().filter(|l| l.contains("pgrst_source")).collect();
        if sql_lines.len() != 1 {
            return Err(format!(
                "expected the 400's SQL once on stderr, got {}:\n{err}",
                sql_lines.len()
            ));
        }
    }
    Ok(())
}
