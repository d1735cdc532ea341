//! Trials of large bodies, which stream from PostgreSQL to the client in pieces: exact bytes and headers,
//! a client that leaves mid-body, and a database connection lost mid-body (the response is cut short).

use crate::db;
use crate::lifecycle::with_server;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use libtest_mimic::Trial;
use std::net::SocketAddr;
use std::time::Duration;

/// Longest a trial waits for one response or body.
const TIMEOUT: Duration = Duration::from_secs(60);

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("streaming::large_json_and_csv_match_the_database", || {
            with_server(&[], large_reads)
        }),
        Trial::test("streaming::large_function_results", || {
            with_server(&[], large_calls)
        }),
        Trial::test("streaming::client_leaving_mid_body_frees_the_connection", || {
            with_server(&[("db-pool", "1")], client_leaves)
        }),
        Trial::test("streaming::lost_connection_cuts_the_body_short", || {
            with_server(&[("db-pool", "2")], connection_lost)
        }),
    ]
}

/// A response read to its end.
struct Response {
    status: u16,
    headers: http::HeaderMap,
    body: Bytes,
}

/// Opens an HTTP/1.1 connection and sends a GET; the response with its body still unread.
async fn send(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<hyper::Response<hyper::body::Incoming>, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut req = http::Request::get(path).header("host", addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
    tokio::time::timeout(TIMEOUT, sender.send_request(req))
        .await
        .map_err(|_| format!("GET {path}: no response within {TIMEOUT:?}"))?
        .map_err(|e| format!("GET {path}: {e}"))
}

async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<Response, String> {
    let resp = send(addr, path, headers).await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = tokio::time::timeout(TIMEOUT, resp.into_body().collect())
        .await
        .map_err(|_| format!("GET {path}: the body did not end within {TIMEOUT:?}"))?
        .map_err(|e| format!("GET {path}: reading the body: {e}"))?
        .to_bytes();
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Reads frames until at least `at_least` bytes of the body arrived; how many did.
async fn read_start(body: &mut hyper::body::Incoming, at_least: usize) -> Result<usize, String> {
    let mut read = 0usize;
    while read < at_least {
        match tokio::time::timeout(TIMEOUT, body.frame()).await {
            Ok(Some(Ok(frame))) => read += frame.data_ref().map_or(0, Bytes::len),
            other => return Err(format!("reading the start of the body: {other:?}")),
        }
    }
    Ok(read)
}

fn header<'a>(r: &'a Response, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Checks status, that `Content-Length` is the body's size, and that the body is `expected` byte for byte.
fn check(what: &str, r: &Response, expected: &[u8]) -> Result<(), String> {
    if r.status != 200 {
        return Err(format!(
            "{what}: expected 200, got {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body[..r.body.len().min(500)])
        ));
    }
    if header(r, "content-length") != r.body.len().to_string() {
        return Err(format!(
            "{what}: Content-Length {:?} for a body of {} bytes",
            header(r, "content-length"),
            r.body.len()
        ));
    }
    if r.body.as_ref() != expected {
        let at = r.body.iter().zip(expected).position(|(a, b)| a != b);
        return Err(format!(
            "{what}: body of {} bytes differs from the expected {} bytes (first difference at {:?})",
            r.body.len(),
            expected.len(),
            at
        ));
    }
    Ok(())
}

/// What PostgreSQL itself makes of a query's single text or bytea value.
async fn expected(admin: &tokio_postgres::Client, sql: &str) -> Result<Vec<u8>, String> {
    let row = admin.query_one(sql, &[]).await.map_err(|e| db::pg_error(&e))?;
    Ok(row.get::<_, Vec<u8>>(0))
}

/// JSON and CSV bodies of 20 MB and more arrive whole and exact, with the headers a small read gets.
async fn large_reads(running: restgres::server::Running, admin: String, _: String) -> Result<(), String> {
    let addr = running.addr;
    let admin = db::connect(&admin).await?;
    let result = async {
        let json = expected(
            &admin,
            "SELECT convert_to(coalesce(json_agg(t), '[]')::text, 'UTF8') FROM \
             (SELECT id, filler, label FROM test.st_rows WHERE id <= 20000 ORDER BY id) t",
        )
        .await?;
        if json.len() < 20_000_000 {
            return Err(format!("the fixture makes only {} bytes", json.len()));
        }
        let r = get(addr, "/st_rows?id=lte.20000&order=id", &[]).await?;
        check("JSON", &r, &json)?;
        if header(&r, "content-range") != "0-19999/*" {
            return Err(format!("JSON: Content-Range {:?}", header(&r, "content-range")));
        }

        let r = get(addr, "/st_rows?id=lte.20000&order=id", &[("Prefer", "count=exact")]).await?;
        check("JSON with count=exact", &r, &json)?;
        if header(&r, "content-range") != "0-19999/20000" {
            return Err(format!("count=exact: Content-Range {:?}", header(&r, "content-range")));
        }

        let csv = expected(
            &admin,
            "SELECT convert_to('id,filler,label' || E'\\n' || string_agg(id || ',' || filler || ',\"' || label || '\"', \
             E'\\n' ORDER BY id), 'UTF8') FROM test.st_rows WHERE id <= 5000",
        )
        .await?;
        let r = get(addr, "/st_rows?id=lte.5000&order=id", &[("Accept", "text/csv")]).await?;
        check("CSV", &r, &csv)?;

        // A body just over the size read whole before answering (1 MiB) and one just under it.
        for rows in [1040, 1030] {
            let json = expected(
                &admin,
                &format!(
                    "SELECT convert_to(coalesce(json_agg(t), '[]')::text, 'UTF8') FROM \
                     (SELECT id, filler, label FROM test.st_rows WHERE id <= {rows} ORDER BY id) t"
                ),
            )
            .await?;
            let r = get(addr, &format!("/st_rows?id=lte.{rows}&order=id"), &[]).await?;
            check(&format!("{rows} rows ({} bytes)", json.len()), &r, &json)?;
        }
        Ok(())
    }
    .await;
    running.shutdown().await;
    result
}

/// Functions' large results stream too: raw bytes (octet-stream of a bytea) and a set of rows as JSON.
async fn large_calls(running: restgres::server::Running, admin: String, _: String) -> Result<(), String> {
    let addr = running.addr;
    let admin = db::connect(&admin).await?;
    let result = async {
        let blob: Vec<u8> = [0x00, 0xff, 0x7f, 0x80].repeat(2_000_000);
        let r = get(
            addr,
            "/rpc/st_blob?n=2000000",
            &[("Accept", "application/octet-stream")],
        )
        .await?;
        check("octet-stream", &r, &blob)?;

        let json = expected(
            &admin,
            "SELECT convert_to(coalesce(json_agg(t), '[]')::text, 'UTF8') FROM test.st_series(12000) t",
        )
        .await?;
        let r = get(addr, "/rpc/st_series?n=12000", &[]).await?;
        check("SETOF", &r, &json)?;
        Ok(())
    }
    .await;
    running.shutdown().await;
    result
}

/// A client that reads the start of a 200 MB body and hangs up: with a pool of one connection, the next
/// request is served (the abandoned body no longer holds it) and nothing is left in a transaction.
async fn client_leaves(
    running: restgres::server::Running,
    admin: String,
    dbname: String,
) -> Result<(), String> {
    let addr = running.addr;
    let admin = db::connect(&admin).await?;
    let result = async {
        let resp = send(addr, "/st_rows", &[]).await?;
        let mut body = resp.into_body();
        read_start(&mut body, 256 * 1024).await?;
        drop(body);
        let r = tokio::time::timeout(TIMEOUT, get(addr, "/items?select=id&id=eq.1", &[]))
            .await
            .map_err(|_| "the request after the abandoned body got no answer".to_string())??;
        if r.status != 200 || r.body.as_ref() != br#"[{"id":1}]"# {
            return Err(format!("after the abandoned body: {} {:?}", r.status, r.body));
        }
        let open: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename = $2 \
                 AND (state LIKE 'idle in transaction%' OR state = 'active')",
                &[&dbname, &db::AUTHENTICATOR],
            )
            .await
            .map_err(|e| db::pg_error(&e))?
            .get(0);
        if open != 0 {
            return Err(format!("{open} connection(s) still in a transaction or a query"));
        }
        Ok(())
    }
    .await;
    running.shutdown().await;
    result
}

/// The database connection dies while a large body is on its way: the client must see an incomplete
/// response (an error while reading it), never a short body passed as whole; the server serves on.
async fn connection_lost(
    running: restgres::server::Running,
    admin: String,
    dbname: String,
) -> Result<(), String> {
    let addr = running.addr;
    let admin = db::connect(&admin).await?;
    let result = async {
        let resp = send(addr, "/st_rows?id=lte.100000", &[]).await?;
        let announced: usize = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or("the streamed response has no Content-Length")?;
        let mut body = resp.into_body();
        let mut read = read_start(&mut body, 1).await?;
        // The client stops reading, so the server stops too and PostgreSQL waits to send the rest.
        let killed: i64 = admin
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND usename = $2 AND query LIKE '%pgrst_part%') t",
                &[&dbname, &db::AUTHENTICATOR],
            )
            .await
            .map_err(|e| db::pg_error(&e))?
            .get(0);
        if killed != 1 {
            return Err(format!("expected to terminate the streaming backend, terminated {killed}"));
        }
        let ended = loop {
            match tokio::time::timeout(TIMEOUT, body.frame()).await {
                Err(_) => return Err("the cut body neither ended nor failed".into()),
                Ok(None) => break Ok(()),
                Ok(Some(Err(e))) => break Err(e),
                Ok(Some(Ok(frame))) => read += frame.data_ref().map_or(0, Bytes::len),
            }
        };
        if ended.is_ok() || read >= announced {
            return Err(format!(
                "the body ended cleanly after {read} of {announced} bytes; a lost connection must cut it short"
            ));
        }
        // The broken connection is replaced.
        let r = get(addr, "/items?select=id&id=eq.1", &[]).await?;
        if r.status != 200 {
            return Err(format!("after the lost connection: {} {:?}", r.status, r.body));
        }
        Ok(())
    }
    .await;
    running.shutdown().await;
    result
}
