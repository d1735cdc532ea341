//! Trials of how the server listens and speaks: a Unix socket, HTTP/2 with prior knowledge, keep-alive, SO_REUSEPORT and `server-host`'s special values.

use crate::{db, runner};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use libtest_mimic::Trial;
use restgres::server::{Running, StartError};
use restgres_http::server::{BindError, Bound};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

/// The fixture rows every trial reads, and what they are (tests/fixtures/10_tables.sql).
const ITEMS: &str = "/items?select=id,name&order=id";
const ITEMS_JSON: &str = r#"[{"id":1,"name":"apple"},{"id":2,"name":"banana"},{"id":3,"name":"cherry"},
    {"id":4,"name":"date"},{"id":5,"name":"elderberry"}]"#;

/// How long one request may take before the trial fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(30);

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("serving::unix_socket", || with_database(unix_socket)),
        Trial::test("serving::http2_prior_knowledge", || {
            with_database(http2_prior_knowledge)
        }),
        Trial::test("serving::http1_keep_alive", || with_database(keep_alive)),
        Trial::test("serving::reuseport_shares_a_port", || with_database(reuseport)),
        Trial::test("serving::host_ipv4_only", || with_database(host_ipv4_only)),
        Trial::test("serving::host_any", || with_database(host_any)),
        Trial::test("serving::host_ipv6", || with_database(host_ipv6)),
        Trial::test("serving::admin_on_a_unix_socket", || {
            with_database(admin_unix_socket)
        }),
    ]
}

/// The trial's database; servers for it start with the suite defaults plus a trial's settings.
struct Setup {
    db_uri: String,
}

impl Setup {
    fn config(&self, extra: &[(&str, toml::Value)]) -> Result<restgres_config::AppConfig, String> {
        let overrides: BTreeMap<String, toml::Value> =
            extra.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let text = runner::config_text(&self.db_uri, &overrides)?;
        restgres::server::config_from_text(&text)
    }

    async fn start(&self, extra: &[(&str, toml::Value)]) -> Result<Running, String> {
        restgres::server::start(self.config(extra)?)
            .await
            .map_err(|e| format!("start with {extra:?}: {e}"))
    }
}

fn text(s: &str) -> toml::Value {
    toml::Value::String(s.to_owned())
}

/// Runs `body` on a fresh database (dropped afterwards, also on failure).
fn with_database<F, Fut>(body: F) -> Result<(), libtest_mimic::Failed>
where
    F: FnOnce(Setup) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let env = db::env()?;
    let runtime = runner::trial_runtime()?;
    let (dbname, _drop_db) = runner::trial_database(&runtime, env)?;
    let setup = Setup {
        db_uri: db::server_uri(&env.admin_uri, &dbname),
    };
    runtime.block_on(body(setup))?;
    Ok(())
}

/// Stops `running` whatever `result` is, and passes `result` on.
async fn stopping(running: Running, result: Result<(), String>) -> Result<(), String> {
    running.shutdown().await;
    result
}

/// One response, read to the end.
struct Reply {
    status: u16,
    version: http::Version,
    headers: http::HeaderMap,
    body: String,
}

fn get(target: &str) -> Result<http::Request<Empty<Bytes>>, String> {
    http::Request::get(target)
        .header(http::header::HOST, "localhost")
        .body(Empty::new())
        .map_err(|e| e.to_string())
}

/// An HTTP/1.1 connection over `io`.
async fn open_http1<I>(io: I) -> Result<http1::SendRequest<Empty<Bytes>>, String>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP/1.1 handshake: {e}"))?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn send1(
    sender: &mut http1::SendRequest<Empty<Bytes>>,
    req: http::Request<Empty<Bytes>>,
) -> Result<Reply, String> {
    tokio::time::timeout(TIMEOUT, async {
        sender
            .ready()
            .await
            .map_err(|e| format!("connection not ready: {e}"))?;
        read(sender.send_request(req).await).await
    })
    .await
    .map_err(|_| format!("no response within {TIMEOUT:?}"))?
}

async fn read(resp: Result<hyper::Response<hyper::body::Incoming>, hyper::Error>) -> Result<Reply, String> {
    let resp = resp.map_err(|e| format!("request failed: {e:?}"))?;
    let (status, version, headers) = (resp.status().as_u16(), resp.version(), resp.headers().clone());
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the body: {e}"))?
        .to_bytes();
    Ok(Reply {
        status,
        version,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// GET `target` over a new HTTP/1.1 connection to `addr`.
async fn get_tcp(addr: SocketAddr, target: &str) -> Result<Reply, String> {
    let stream = tokio::time::timeout(TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| format!("connecting to {addr} timed out"))?
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    let mut sender = open_http1(stream).await?;
    send1(&mut sender, get(target)?).await
}

/// The reply is 200 with the fixture rows.
fn expect_items(what: &str, reply: &Reply) -> Result<(), String> {
    let want: serde_json::Value = serde_json::from_str(ITEMS_JSON).map_err(|e| e.to_string())?;
    let got: Result<serde_json::Value, _> = serde_json::from_str(&reply.body);
    if reply.status != 200 || got.as_ref().ok() != Some(&want) {
        return Err(format!(
            "{what}: expected 200 with the fixture rows, got {}: {}",
            reply.status, reply.body
        ));
    }
    Ok(())
}

/// Whether this machine has an IPv6 loopback to test with.
fn has_ipv6_loopback() -> bool {
    std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

/// Nothing accepts connections at `addr`.
async fn expect_refused(what: &str, addr: SocketAddr) -> Result<(), String> {
    match tokio::time::timeout(TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Err(_)) => Ok(()),
        Ok(Ok(_)) => Err(format!("{what}: {addr} accepted a connection")),
        Err(_) => Err(format!(
            "{what}: connecting to {addr} neither failed nor succeeded"
        )),
    }
}

/// A directory of the trial's own under the system's temporary directory.
fn scratch_dir(name: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("restgres-serving-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// `server-unix-socket` replaces TCP: requests over the socket get the rows, the file has
/// `server-unix-socket-mode`, a stale socket file from an earlier run is replaced, and shutdown removes it.
async fn unix_socket(setup: Setup) -> Result<(), String> {
    let dir = scratch_dir("unix")?;
    let path = dir.join("api.sock");
    let result = unix_socket_at(&setup, &path).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn unix_socket_at(setup: &Setup, path: &Path) -> Result<(), String> {
    // What a server killed without shutting down leaves behind.
    drop(std::os::unix::net::UnixListener::bind(path).map_err(|e| e.to_string())?);
    let path_text = path.to_str().ok_or("temporary path is not UTF-8")?;
    let running = setup
        .start(&[
            ("server-unix-socket", text(path_text)),
            ("server-unix-socket-mode", text("640")),
        ])
        .await?;
    let bound = running.bound.clone();
    let addr = running.addr;
    let result = async {
        if bound != Bound::Unix(path.to_owned()) {
            return Err(format!(
                "bound to {bound:?}, expected the unix socket {}",
                path.display()
            ));
        }
        if addr != SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)) {
            return Err(format!(
                "with a unix socket, addr should be 0.0.0.0:0, got {addr}"
            ));
        }
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if !meta.file_type().is_socket() {
            return Err(format!("{} is not a socket", path.display()));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode != 0o640 {
            return Err(format!("socket file mode: expected 640, got {mode:o}"));
        }
        let stream = UnixStream::connect(path)
            .await
            .map_err(|e| format!("connecting to {}: {e}", path.display()))?;
        let mut sender = open_http1(stream).await?;
        expect_items("over the unix socket", &send1(&mut sender, get(ITEMS)?).await?)
    }
    .await;
    stopping(running, result).await?;
    if path.exists() {
        return Err(format!("{} is still there after shutdown", path.display()));
    }
    Ok(())
}

/// `admin-server-unix-socket`: the admin server listens there; `/live` and `/ready` check an API that itself
/// listens on a Unix socket by connecting to it.
async fn admin_unix_socket(setup: Setup) -> Result<(), String> {
    let dir = scratch_dir("admin")?;
    let (api, admin) = (dir.join("api.sock"), dir.join("admin.sock"));
    let result = async {
        let running = setup
            .start(&[
                (
                    "server-unix-socket",
                    text(api.to_str().ok_or("path is not UTF-8")?),
                ),
                (
                    "admin-server-unix-socket",
                    text(admin.to_str().ok_or("path is not UTF-8")?),
                ),
            ])
            .await?;
        let result = async {
            for (path, want) in [("/live", 200), ("/ready", 200), ("/nope", 404)] {
                let stream = UnixStream::connect(&admin)
                    .await
                    .map_err(|e| format!("connecting to {}: {e}", admin.display()))?;
                let mut sender = open_http1(stream).await?;
                let reply = send1(&mut sender, get(path)?).await?;
                if reply.status != want {
                    return Err(format!("admin {path}: expected {want}, got {}", reply.status));
                }
            }
            Ok(())
        }
        .await;
        stopping(running, result).await?;
        if admin.exists() {
            return Err(format!("{} is still there after shutdown", admin.display()));
        }
        Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A client that speaks HTTP/2 from the first byte (h2c, prior knowledge) gets the same answer as HTTP/1.1.
async fn http2_prior_knowledge(setup: Setup) -> Result<(), String> {
    let running = setup.start(&[]).await?;
    let addr = running.addr;
    let result = async {
        let h1 = get_tcp(addr, ITEMS).await?;
        expect_items("HTTP/1.1", &h1)?;
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let (mut sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP/2 handshake: {e}"))?;
        tokio::spawn(conn);
        let req = http::Request::get(format!("http://{addr}{ITEMS}"))
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let h2 = tokio::time::timeout(TIMEOUT, async { read(sender.send_request(req).await).await })
            .await
            .map_err(|_| format!("no HTTP/2 response within {TIMEOUT:?}"))??;
        if h2.version != http::Version::HTTP_2 {
            return Err(format!("expected an HTTP/2 response, got {:?}", h2.version));
        }
        expect_items("HTTP/2", &h2)?;
        if h2.body != h1.body {
            return Err(format!(
                "HTTP/2 and HTTP/1.1 bodies differ:\n{}\n{}",
                h2.body, h1.body
            ));
        }
        let content_type = |r: &Reply| r.headers.get(http::header::CONTENT_TYPE).cloned();
        if content_type(&h2) != content_type(&h1) {
            return Err(format!(
                "Content-Type differs: HTTP/2 {:?}, HTTP/1.1 {:?}",
                content_type(&h2),
                content_type(&h1)
            ));
        }
        Ok(())
    }
    .await;
    stopping(running, result).await
}

/// Two requests, one after the other, on one HTTP/1.1 connection: the server keeps it open.
async fn keep_alive(setup: Setup) -> Result<(), String> {
    let running = setup.start(&[]).await?;
    let addr = running.addr;
    let result = async {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let mut sender = open_http1(stream).await?;
        let first = send1(&mut sender, get(ITEMS)?).await?;
        expect_items("first request", &first)?;
        if first.version != http::Version::HTTP_11 {
            return Err(format!("expected HTTP/1.1, got {:?}", first.version));
        }
        if let Some(connection) = first.headers.get(http::header::CONNECTION) {
            if connection.as_bytes().eq_ignore_ascii_case(b"close") {
                return Err("the first response closes the connection".into());
            }
        }
        // This connection never reconnects: a second answer proves the first connection stayed open.
        let second = send1(&mut sender, get("/items?select=id&id=eq.3")?)
            .await
            .map_err(|e| format!("second request on the same connection: {e}"))?;
        if second.status != 200 || second.body != r#"[{"id":3}]"# {
            return Err(format!(
                "second request: expected 200 [{{\"id\":3}}], got {}: {}",
                second.status, second.body
            ));
        }
        Ok(())
    }
    .await;
    stopping(running, result).await
}

/// With `server-reuseport`, a second server binds the first one's port and serves it; a server without the
/// option cannot.
async fn reuseport(setup: Setup) -> Result<(), String> {
    let reuse = ("server-reuseport", toml::Value::Boolean(true));
    let first = setup.start(std::slice::from_ref(&reuse)).await?;
    let port = first.addr.port();
    let second = match setup
        .start(&[reuse.clone(), ("server-port", toml::Value::Integer(port.into()))])
        .await
    {
        Ok(second) => second,
        Err(e) => return stopping(first, Err(e)).await,
    };
    let result = async {
        if second.addr != first.addr {
            return Err(format!(
                "second server on {}, first on {}",
                second.addr, first.addr
            ));
        }
        let without = setup.config(&[("server-port", toml::Value::Integer(port.into()))])?;
        match restgres::server::start(without).await {
            Err(StartError::Bind(BindError::Tcp { source, .. }))
                if source.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => {
                return Err(format!(
                    "without server-reuseport: expected address in use, got {e}"
                ))
            }
            Ok(third) => {
                third.shutdown().await;
                return Err(format!(
                    "a server without server-reuseport also bound port {port}"
                ));
            }
        }
        for i in 0..6 {
            expect_items(
                &format!("request {i} to the shared port"),
                &get_tcp(first.addr, ITEMS).await?,
            )?;
        }
        Ok(())
    }
    .await;
    let addr = first.addr;
    first.shutdown().await;
    // The port is still served, by the second server alone.
    let result = match result {
        Ok(()) => get_tcp(addr, ITEMS)
            .await
            .and_then(|reply| expect_items("after the first server stopped", &reply)),
        Err(e) => Err(e),
    };
    stopping(second, result).await
}

/// `!4`: the IPv4 wildcard only.
async fn host_ipv4_only(setup: Setup) -> Result<(), String> {
    let running = setup.start(&[("server-host", text("!4"))]).await?;
    let addr = running.addr;
    let result = async {
        if addr.ip() != Ipv4Addr::UNSPECIFIED {
            return Err(format!("!4 bound {addr}, expected 0.0.0.0"));
        }
        expect_items(
            "!4 on 127.0.0.1",
            &get_tcp((Ipv4Addr::LOCALHOST, addr.port()).into(), ITEMS).await?,
        )?;
        if has_ipv6_loopback() {
            expect_refused("!4 on ::1", (Ipv6Addr::LOCALHOST, addr.port()).into()).await?;
        }
        Ok(())
    }
    .await;
    stopping(running, result).await
}

/// `*`: IPv4 and IPv6, on one dual-stack socket where the machine has IPv6.
async fn host_any(setup: Setup) -> Result<(), String> {
    let running = setup.start(&[("server-host", text("*"))]).await?;
    let addr = running.addr;
    let result = async {
        expect_items(
            "* on 127.0.0.1",
            &get_tcp((Ipv4Addr::LOCALHOST, addr.port()).into(), ITEMS).await?,
        )?;
        if has_ipv6_loopback() {
            if addr.ip() != Ipv6Addr::UNSPECIFIED {
                return Err(format!("* bound {addr}, expected the dual-stack [::]"));
            }
            expect_items(
                "* on ::1",
                &get_tcp((Ipv6Addr::LOCALHOST, addr.port()).into(), ITEMS).await?,
            )?;
        } else if addr.ip() != Ipv4Addr::UNSPECIFIED {
            return Err(format!("* without IPv6 bound {addr}, expected 0.0.0.0"));
        }
        Ok(())
    }
    .await;
    stopping(running, result).await
}

/// `!6` takes IPv6 only; `*6` takes both. Needs an IPv6 loopback.
async fn host_ipv6(setup: Setup) -> Result<(), String> {
    if !has_ipv6_loopback() {
        return Err("this machine has no IPv6 loopback (::1), so `!6` and `*6` cannot be tested here".into());
    }
    for (host, takes_ipv4) in [("!6", false), ("*6", true)] {
        let running = setup.start(&[("server-host", text(host))]).await?;
        let addr = running.addr;
        let result = async {
            if addr.ip() != Ipv6Addr::UNSPECIFIED {
                return Err(format!("{host} bound {addr}, expected [::]"));
            }
            let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port()));
            expect_items(&format!("{host} on ::1"), &get_tcp(v6, ITEMS).await?)?;
            let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()));
            if takes_ipv4 {
                expect_items(&format!("{host} on 127.0.0.1"), &get_tcp(v4, ITEMS).await?)
            } else {
                expect_refused(&format!("{host} on 127.0.0.1"), v4).await
            }
        }
        .await;
        stopping(running, result).await?;
    }
    Ok(())
}
