//! The HTTP listener: binds TCP (`server-host`'s special values, SO_REUSEPORT) or a Unix socket, serves
//! HTTP/1.1 and HTTP/2 (h2c) with hyper, logs access, shuts down gracefully.

use crate::handler::handle;
use crate::AppState;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use restgres_config::LogLevel;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::watch;

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Pending connections the kernel may queue: warp asks for `max 2048 SOMAXCONN`, which is 4096 on Linux (the
/// kernel caps it at `net.core.somaxconn`).
const BACKLOG: i32 = 4096;

/// Why a listener could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot resolve {host}: {source}")]
    Resolve { host: String, source: io::Error },
    #[error("{host} resolves to no address")]
    NoAddress { host: String },
    #[error("cannot listen on {addr}: {source}")]
    Tcp { addr: SocketAddr, source: io::Error },
    #[error("cannot listen on the unix socket {}: {source}", path.display())]
    Unix { path: PathBuf, source: io::Error },
    #[error("cannot listen on the unix socket {}: it exists and is not a socket", path.display())]
    NotASocket { path: PathBuf },
}

/// `server-host` as PostgREST reads it (warp's `HostPreference`): five exact special values, anything else is
/// a host name or an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPreference {
    /// `*`: any IPv4 or IPv6 address.
    Any,
    /// `*4`: any IPv4 or IPv6 address, IPv4 preferred.
    Ipv4Preferred,
    /// `!4`: any IPv4 address.
    Ipv4Only,
    /// `*6`: any IPv4 or IPv6 address, IPv6 preferred.
    Ipv6Preferred,
    /// `!6`: any IPv6 address.
    Ipv6Only,
    /// A host name or an address: resolved, and each address tried in turn.
    Host(String),
}

impl HostPreference {
    pub fn parse(host: &str) -> Self {
        match host {
            "*" => Self::Any,
            "*4" => Self::Ipv4Preferred,
            "!4" => Self::Ipv4Only,
            "*6" => Self::Ipv6Preferred,
            "!6" => Self::Ipv6Only,
            other => Self::Host(other.to_owned()),
        }
    }
}

/// One address to bind; for IPv6, whether the socket takes IPv6 only (otherwise it is dual-stack and takes
/// IPv4 connections as mapped addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    addr: SocketAddr,
    v6_only: bool,
}

/// What a special value tries, in order; `None` for a host name. A value that means both families gets one
/// dual-stack socket on `[::]`; its preference decides what is tried when the machine cannot make one (no
/// IPv6, or dual-stack refused): the preferred family alone first.
fn wildcard_candidates(host: &HostPreference, port: u16) -> Option<Vec<Candidate>> {
    let v4 = Candidate {
        addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        v6_only: false,
    };
    let dual = Candidate {
        addr: SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
        v6_only: false,
    };
    let v6 = Candidate {
        v6_only: true,
        ..dual
    };
    Some(match host {
        HostPreference::Any | HostPreference::Ipv4Preferred => vec![dual, v4, v6],
        HostPreference::Ipv6Preferred => vec![dual, v6, v4],
        HostPreference::Ipv4Only => vec![v4],
        HostPreference::Ipv6Only => vec![v6],
        HostPreference::Host(_) => return None,
    })
}

/// Resolves `server-host` (with PostgREST's special values) and `server-port` into a bound TCP listener.
pub async fn bind(host: &str, port: u16) -> io::Result<TcpListener> {
    match bind_tcp(host, port, false).await {
        Ok(listener) => Ok(listener),
        Err(BindError::Tcp { source, .. } | BindError::Resolve { source, .. }) => Err(source),
        Err(e) => Err(io::Error::new(io::ErrorKind::AddrNotAvailable, e.to_string())),
    }
}

/// [`bind`] with SO_REUSEPORT on request, so that several servers can share the port (`server-reuseport`).
pub async fn bind_tcp(host: &str, port: u16, reuse_port: bool) -> Result<TcpListener, BindError> {
    let preference = HostPreference::parse(host);
    if let Some(candidates) = wildcard_candidates(&preference, port) {
        let mut last = None;
        for candidate in candidates {
            match bind_candidate(candidate, reuse_port) {
                Ok(listener) => return Ok(listener),
                // The port is taken or forbidden: another family would only hide that.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
                    ) =>
                {
                    return Err(BindError::Tcp {
                        addr: candidate.addr,
                        source: e,
                    });
                }
                Err(e) => last = Some((candidate.addr, e)),
            }
        }
        return Err(match last {
            Some((addr, source)) => BindError::Tcp { addr, source },
            None => BindError::NoAddress {
                host: host.to_owned(),
            },
        });
    }
    // A name or an address: every address it resolves to, in the resolver's order, until one binds (warp's
    // rule). An IPv6 socket is dual-stack, as Haskell's network library makes it.
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|source| BindError::Resolve {
            host: host.to_owned(),
            source,
        })?
        .collect();
    let mut last = None;
    for addr in addrs {
        match bind_candidate(Candidate { addr, v6_only: false }, reuse_port) {
            Ok(listener) => return Ok(listener),
            Err(source) => last = Some(BindError::Tcp { addr, source }),
        }
    }
    Err(last.unwrap_or_else(|| BindError::NoAddress {
        host: host.to_owned(),
    }))
}

/// One TCP socket as warp opens it (SO_REUSEADDR, close-on-exec, non-blocking), bound and listening.
fn bind_candidate(candidate: Candidate, reuse_port: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(
        Domain::for_address(candidate.addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    if candidate.addr.is_ipv6() {
        socket.set_only_v6(candidate.v6_only)?;
    }
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&candidate.addr.into())?;
    socket.listen(BACKLOG)?;
    TcpListener::from_std(socket.into())
}

/// Listens on a Unix socket at `path` with file mode `mode`, as PostgREST does: a socket file left there (by a
/// server that did not shut down) is removed first. Anything else at `path` is left alone and is an error.
/// Must be called within a Tokio runtime.
pub fn bind_unix(path: &Path, mode: u32) -> Result<UnixSocketListener, BindError> {
    let err = |source| BindError::Unix {
        path: path.to_owned(),
        source,
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path).map_err(err)?,
        Ok(_) => {
            return Err(BindError::NotASocket {
                path: path.to_owned(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(err)?;
    socket.bind(&SockAddr::unix(path).map_err(err)?).map_err(err)?;
    // From here on the file is ours: the guard removes it again if a later step fails.
    let file = SocketFile::new(path).map_err(err)?;
    socket.listen(BACKLOG).map_err(err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(err)?;
    socket.set_nonblocking(true).map_err(err)?;
    let listener = UnixListener::from_std(socket.into()).map_err(err)?;
    Ok(UnixSocketListener { listener, file })
}

/// A listening Unix socket; dropping it removes the socket file.
#[derive(Debug)]
pub struct UnixSocketListener {
    listener: UnixListener,
    file: SocketFile,
}

impl UnixSocketListener {
    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

/// The file a Unix socket was bound to, removed on drop unless something else has replaced it since.
#[derive(Debug)]
struct SocketFile {
    path: PathBuf,
    id: (u64, u64),
}

impl SocketFile {
    fn new(path: &Path) -> io::Result<Self> {
        let meta = std::fs::symlink_metadata(path)?;
        Ok(Self {
            path: path.to_owned(),
            id: (meta.dev(), meta.ino()),
        })
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let ours = std::fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.id);
        if ours {
            if let Err(e) = std::fs::remove_file(&self.path) {
                tracing::warn!("cannot remove the unix socket {}: {e}", self.path.display());
            }
        }
    }
}

/// What a listener is bound to. Displays as PostgREST's "API server listening on ..." names it:
/// `127.0.0.1:3000`, `[::]:3000`, `/tmp/pgrst.sock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Tcp(addr) => write!(f, "{addr}"),
            Bound::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A bound listener for [`serve`]: TCP or a Unix socket.
#[derive(Debug)]
pub struct Listener {
    kind: ListenerKind,
    bound: Bound,
}

#[derive(Debug)]
enum ListenerKind {
    Tcp(TcpListener),
    Unix(UnixSocketListener),
}

impl Listener {
    pub fn tcp(listener: TcpListener) -> io::Result<Self> {
        let bound = Bound::Tcp(listener.local_addr()?);
        Ok(Self {
            kind: ListenerKind::Tcp(listener),
            bound,
        })
    }

    pub fn unix(listener: UnixSocketListener) -> Self {
        let bound = Bound::Unix(listener.path().to_owned());
        Self {
            kind: ListenerKind::Unix(listener),
            bound,
        }
    }

    pub fn bound(&self) -> &Bound {
        &self.bound
    }

    /// The next connection (also used by the admin server).
    pub async fn accept(&self) -> io::Result<(Stream, Peer)> {
        match &self.kind {
            ListenerKind::Tcp(listener) => {
                let (stream, peer) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                Ok((Stream::Tcp(stream), Peer::Ip(peer)))
            }
            ListenerKind::Unix(listener) => {
                let (stream, _) = listener.listener.accept().await?;
                Ok((Stream::Unix(stream), Peer::Unix))
            }
        }
    }
}

/// Opens what a server's configuration names, as PostgREST does: the Unix socket `unix_socket` (with
/// `unix_socket_mode`) when it is set, otherwise TCP on `host`/`port` (SO_REUSEPORT when `reuse_port`). For
/// the API server (`server-*`) and the admin server (`admin-server-*`, without reuse_port).
pub async fn bind_listener(
    host: &str,
    port: u16,
    reuse_port: bool,
    unix_socket: Option<&Path>,
    unix_socket_mode: u32,
) -> Result<Listener, BindError> {
    if let Some(path) = unix_socket {
        return Ok(Listener::unix(bind_unix(path, unix_socket_mode)?));
    }
    let listener = bind_tcp(host, port, reuse_port).await?;
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    Listener::tcp(listener).map_err(|source| BindError::Tcp { addr, source })
}

/// An accepted connection.
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::Unix(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The other end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Ip(SocketAddr),
    /// A Unix socket's client, which has no address.
    Unix,
}

impl Peer {
    /// The access log's first field, as wai-logger's `showSockAddr` writes it: IPv4 dotted (also when mapped
    /// into IPv6 by a dual-stack socket), `::1`, other IPv6 as eight uncompressed hex groups, and
    /// `unknownSocket` for a Unix socket's peer.
    fn log_text(self) -> String {
        match self {
            Peer::Unix => "unknownSocket".to_owned(),
            Peer::Ip(addr) => match addr.ip() {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => v4.to_string(),
                    None if v6 == Ipv6Addr::LOCALHOST => "::1".to_owned(),
                    None => v6
                        .segments()
                        .iter()
                        .map(|s| format!("{s:x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                },
            },
        }
    }
}

/// HTTP/2 carries the host in `:authority` (hyper puts it in the URI); the handler reads `Host`, as under
/// HTTP/1.1, so a request without one gets it from there.
fn host_from_authority<B>(mut req: hyper::Request<B>) -> hyper::Request<B> {
    if !req.headers().contains_key(hyper::header::HOST) {
        if let Some(value) = req
            .uri()
            .authority()
            .and_then(|a| hyper::header::HeaderValue::from_str(a.as_str()).ok())
        {
            req.headers_mut().insert(hyper::header::HOST, value);
        }
    }
    req
}

/// The request target as the access log shows it (path and query, like warp's raw path and query string),
/// also for HTTP/2, whose URIs carry scheme and authority.
fn request_target(uri: &hyper::Uri) -> String {
    match uri.path_and_query() {
        Some(pq) => pq.as_str().to_owned(),
        None => uri.to_string(),
    }
}

/// Serves until `shutdown` turns true, then stops accepting and drains in-flight requests.
pub async fn serve(listener: Listener, state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    // HTTP/1.1 (with keep-alive) and HTTP/2 with prior knowledge (h2c), told apart by the client's preface,
    // as warp serves them; there is no `Upgrade: h2c` (warp has none either).
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and similar: keep serving the connections we have.
                        tracing::error!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let state = state.clone();
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let state = state.clone();
                    async move {
                        let req = host_from_authority(req);
                        let request_line = access_request_line(&req, peer);
                        let started = std::time::Instant::now();
                        let resp = handle(&state, req).await;
                        log_access(&state.config.load(), &request_line, &resp);
                        state
                            .metrics
                            .request(&request_line.method, resp.status().as_u16(), started.elapsed());
                        Ok::<_, Infallible>(resp)
                    }
                });
                let conn = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection error: {e}");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    // Stop listening now (for a Unix socket this also removes its file); in-flight requests go on.
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within {DRAIN_TIMEOUT:?}");
    }
}

/// What `ip - - [time] "METHOD uri HTTP/x"` and the user agent are made of, captured before the request is
/// consumed; cheap clones, formatted only for a line that is written.
struct RequestLine {
    peer: Peer,
    method: hyper::Method,
    uri: hyper::Uri,
    version: hyper::Version,
    user_agent: Option<hyper::header::HeaderValue>,
}

impl RequestLine {
    fn request(&self) -> String {
        format!("{} {} {:?}", self.method, request_target(&self.uri), self.version)
    }

    fn user_agent(&self) -> &str {
        self.user_agent
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

fn access_request_line<B>(req: &hyper::Request<B>, peer: Peer) -> RequestLine {
    RequestLine {
        peer,
        method: req.method().clone(),
        uri: req.uri().clone(),
        version: req.version(),
        user_agent: req.headers().get(hyper::header::USER_AGENT).cloned(),
    }
}

/// PostgREST's rule: error logs 5xx, warn adds 4xx, info and debug log every request (Apache format with the
/// request's role, stdout). With `log-query`, an error's SQL comes first (stderr). `log-format = json` writes
/// one JSON object per request instead.
fn log_access<B>(config: &restgres_config::AppConfig, line: &RequestLine, resp: &hyper::Response<B>) {
    let status = resp.status().as_u16();
    let show = match config.log_level {
        LogLevel::Crit => false,
        LogLevel::Error => status >= 500,
        LogLevel::Warn => status >= 400,
        LogLevel::Info | LogLevel::Debug => true,
    };
    if !show {
        return;
    }
    let note = resp.extensions().get::<Arc<crate::access::AccessNote>>();
    let role = note.and_then(|n| n.role());
    let query = note
        .filter(|_| config.log_query && status >= 400)
        .and_then(|n| n.query());
    let size = resp
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok());
    let now = std::time::SystemTime::now();
    match config.log_format {
        restgres_config::LogFormat::Text => {
            if let Some(q) = &query {
                eprintln!("{}: {q}", clf_time(now));
            }
            println!(
                "{} - {} [{}] \"{}\" {} {} \"\" \"{}\"",
                line.peer.log_text(),
                role.as_deref().unwrap_or("-"),
                clf_time(now),
                line.request(),
                status,
                size.unwrap_or("-"),
                line.user_agent()
            );
        }
        restgres_config::LogFormat::Json => {
            let record = serde_json::json!({
                "time": clf_time(now),
                "remote": line.peer.log_text(),
                "user": role,
                "request": line.request(),
                "status": status,
                "size": size.and_then(|s| s.parse::<u64>().ok()),
                "user_agent": line.user_agent(),
                "query": query,
            });
            println!("{record}");
        }
    }
}

/// Common Log Format time in UTC: `26/Nov/2026:04:08:52 +0000`.
fn clf_time(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    format!(
        "{day:02}/{name}/{year}:{:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_values() {
        use HostPreference::*;
        let cases = [
            ("*", Any),
            ("*4", Ipv4Preferred),
            ("!4", Ipv4Only),
            ("*6", Ipv6Preferred),
            ("!6", Ipv6Only),
            ("127.0.0.1", Host("127.0.0.1".into())),
            ("::1", Host("::1".into())),
            ("localhost", Host("localhost".into())),
            // Only the exact five are special (warp's IsString instance).
            ("**", Host("**".into())),
            ("*5", Host("*5".into())),
            ("!", Host("!".into())),
            ("!4 ", Host("!4 ".into())),
            (" *", Host(" *".into())),
            ("", Host(String::new())),
        ];
        for (text, want) in cases {
            assert_eq!(HostPreference::parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn wildcard_addresses() {
        let v4 = |port| Candidate {
            addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
            v6_only: false,
        };
        let dual = |port| Candidate {
            addr: SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
            v6_only: false,
        };
        let v6 = |port| Candidate {
            addr: SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
            v6_only: true,
        };
        let tried = |host: &str| wildcard_candidates(&HostPreference::parse(host), 3000);
        assert_eq!(tried("*"), Some(vec![dual(3000), v4(3000), v6(3000)]));
        assert_eq!(tried("*4"), Some(vec![dual(3000), v4(3000), v6(3000)]));
        assert_eq!(tried("*6"), Some(vec![dual(3000), v6(3000), v4(3000)]));
        assert_eq!(tried("!4"), Some(vec![v4(3000)]));
        assert_eq!(tried("!6"), Some(vec![v6(3000)]));
        assert_eq!(tried("0.0.0.0"), None);
        assert_eq!(tried("localhost"), None);
    }

    #[test]
    fn access_log_peers() {
        let ip = |text: &str| Peer::Ip(SocketAddr::new(text.parse().unwrap(), 5000)).log_text();
        assert_eq!(ip("127.0.0.1"), "127.0.0.1");
        assert_eq!(ip("::ffff:10.0.0.7"), "10.0.0.7");
        assert_eq!(ip("::1"), "::1");
        assert_eq!(ip("2001:db8::1"), "2001:db8:0:0:0:0:0:1");
        assert_eq!(ip("fe80::fc:ff:fe00:1"), "fe80:0:0:0:fc:ff:fe00:1");
        assert_eq!(Peer::Unix.log_text(), "unknownSocket");
    }

    #[test]
    fn access_log_targets() {
        let target = |uri: &str| request_target(&uri.parse().unwrap());
        assert_eq!(target("/items?id=eq.1"), "/items?id=eq.1");
        assert_eq!(target("http://localhost:3000/items?id=eq.1"), "/items?id=eq.1");
        assert_eq!(target("http://localhost:3000"), "/");
        assert_eq!(target("*"), "*");
    }

    #[test]
    fn host_header_from_authority() {
        let req = hyper::Request::get("http://example.org:3000/items")
            .body(())
            .unwrap();
        let req = host_from_authority(req);
        assert_eq!(req.headers()[hyper::header::HOST], "example.org:3000");
        // An explicit Host header wins; an origin-form target adds none.
        let req = hyper::Request::get("http://a.example/x")
            .header(hyper::header::HOST, "b.example")
            .body(())
            .unwrap();
        assert_eq!(
            host_from_authority(req).headers()[hyper::header::HOST],
            "b.example"
        );
        let req = hyper::Request::get("/x").body(()).unwrap();
        assert!(!host_from_authority(req)
            .headers()
            .contains_key(hyper::header::HOST));
    }

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("restgres-server-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn unix_socket_mode_stale_file_and_removal() {
        let dir = scratch_dir("unix");
        let path = dir.join("api.sock");
        // A socket file left behind by a server that is gone.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let listener = bind_unix(&path, 0o640).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        UnixStream::connect(&path).await.unwrap();
        drop(listener);
        assert!(!path.exists(), "the socket file outlived its listener");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn unix_socket_leaves_other_files_alone() {
        let dir = scratch_dir("regular");
        let path = dir.join("data.txt");
        std::fs::write(&path, "keep me").unwrap();
        let err = bind_unix(&path, 0o660).unwrap_err();
        assert!(matches!(err, BindError::NotASocket { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn unix_socket_replaced_since_is_not_removed() {
        let dir = scratch_dir("replaced");
        let path = dir.join("api.sock");
        let listener = bind_unix(&path, 0o660).unwrap();
        // Another server took the path over (as a second start would).
        let second = bind_unix(&path, 0o660).unwrap();
        drop(listener);
        assert!(
            path.exists(),
            "the first listener removed the second one's socket"
        );
        drop(second);
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn ipv4_only_binds_the_ipv4_wildcard() {
        let listener = bind_tcp("!4", 0, false).await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(addr.ip(), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_ne!(addr.port(), 0);
    }

    #[tokio::test]
    async fn reuse_port_shares_a_port_and_is_needed_for_it() {
        let first = bind_tcp("127.0.0.1", 0, true).await.unwrap();
        let port = first.local_addr().unwrap().port();
        let second = bind_tcp("127.0.0.1", port, true).await.unwrap();
        assert_eq!(second.local_addr().unwrap().port(), port);
        let err = bind_tcp("127.0.0.1", port, false).await.unwrap_err();
        assert!(
            matches!(&err, BindError::Tcp { source, .. } if source.kind() == io::ErrorKind::AddrInUse),
            "{err}"
        );
    }

    #[test]
    fn clf_times() {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_795_665_332);
        assert_eq!(clf_time(t), "26/Nov/2026:03:55:32 +0000");
        assert_eq!(clf_time(std::time::UNIX_EPOCH), "01/Jan/1970:00:00:00 +0000");
        let leap = std::time::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(clf_time(leap), "29/Feb/2000:00:00:00 +0000");
    }
}
