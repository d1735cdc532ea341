//! The transaction restgres runs for a workload, captured from an in-process server, written as a pgbench script:
//! the same BEGIN, settings statement, main statement and end, with the parameters as pgbench variables.

use crate::workloads::Workload;
use crate::SuiteError;
use bytes::Bytes;
use http_body_util::Full;
use restgres_http::access::{AccessNote, CapturedTx};
use std::fmt::Write as _;

/// Sends the workload's request to the in-process server and returns the transaction it ran.
pub async fn capture(running: &restgres::server::Running, w: &Workload) -> Result<CapturedTx, SuiteError> {
    let mut req = http::Request::builder()
        .method(w.method)
        .uri(w.path)
        .header("Host", "localhost");
    for (k, v) in &w.headers {
        req = req.header(*k, v.as_str());
    }
    let mut req = req
        .body(Full::new(Bytes::from(w.body.unwrap_or_default())))
        .map_err(|e| SuiteError::from(e.to_string()))?;
    let note = AccessNote::capturing();
    req.extensions_mut().insert(note.clone());
    let resp = restgres_http::handler::handle(&running.state, req).await;
    if resp.status().as_u16() != w.status {
        return Err(format!("{}: expected {}, got {}", w.name, w.status, resp.status()).into());
    }
    note.transaction()
        .ok_or_else(|| format!("{}: no transaction was captured", w.name).into())
}

/// A pgbench script for the transaction and the `-D name=value` variables its parameters become (NULL
/// parameters are written as NULL).
pub fn pgbench_script(tx: &CapturedTx) -> (String, Vec<(String, String)>) {
    let mut script = String::new();
    let mut vars = Vec::new();
    let _ = writeln!(script, "{};", tx.begin);
    for (i, st) in tx.statements.iter().enumerate() {
        let sql = substitute(&st.sql, |n| match st.params.get(n - 1) {
            Some(Some(value)) => {
                let name = format!("s{i}p{n}");
                vars.push((name.clone(), value.clone()));
                format!(":{name}")
            }
            _ => "NULL".to_string(),
        });
        // pgbench reads one command per line.
        let _ = writeln!(script, "{};", sql.replace('\n', " "));
    }
    let _ = writeln!(script, "{};", if tx.commit { "COMMIT" } else { "ROLLBACK" });
    (script, vars)
}

/// Replaces `$n` placeholders (outside string literals) with `f(n)`.
fn substitute(sql: &str, mut f: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.char_indices().peekable();
    let mut in_string = false;
    while let Some((_, c)) = chars.next() {
        if c == '\'' {
            in_string = !in_string;
            out.push(c);
            continue;
        }
        if c == '$' && !in_string {
            let mut digits = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if d.is_ascii_digit() {
                    digits.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            match digits.parse::<usize>() {
                Ok(n) => out.push_str(&f(n)),
                Err(_) => {
                    out.push('$');
                    out.push_str(&digits);
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_variables_outside_strings() {
        let got = substitute("SELECT $1, '$2', $10::int", |n| format!(":v{n}"));
        assert_eq!(got, "SELECT :v1, '$2', :v10::int");
    }
}
