//! The admin server (`admin-server-host`, `admin-server-port`): `/live`, `/ready`, `/metrics` and `/schema_cache` as in PostgREST, plus the `--ready` client.

use crate::server::StartError;
use bytes::Bytes;
use http_body_util::{Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use restgres_config::AppConfig;
use restgres_db::{Pool, PoolSettings};
use restgres_http::metrics::Sampled;
use restgres_http::server::{Bound, Listener};
use restgres_http::AppState;
use restgres_schema::{
    ComputedRelationship, ForeignKey, MediaHandler, QualifiedName, Representation, Routine, SchemaCache,
    Table,
};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long `/live` and `/ready` wait for the API listener to accept a connection.
const REACH_TIMEOUT: Duration = Duration::from_secs(1);
/// How long `/ready` waits for a pooled connection and `SELECT 1`.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long in-flight admin requests may take to finish once the server stops.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `--ready` waits for the whole request.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// `application/json` for `/schema_cache`.
const JSON: &str = "application/json; charset=utf-8";
/// Prometheus's text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A running admin server; `shutdown` stops it.
pub struct AdminServer {
    /// The TCP address (`0.0.0.0:0` on a Unix socket, whose path is in `bound`).
    pub addr: SocketAddr,
    pub bound: Bound,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AdminServer {
    /// Stops accepting and lets in-flight admin requests finish (briefly).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds `admin-server-host`:`admin-server-port` and serves there, when `admin-server-port` is set.
/// `api` is where the API listens, which `/live` and `/ready` check is accepting.
pub async fn start(state: Arc<AppState>, api: Bound) -> Result<Option<AdminServer>, StartError> {
    let config = state.config.load();
    // PostgREST: the admin server runs when a port or a Unix socket is configured for it.
    if config.admin_server_port.is_none() && config.admin_server_unix_socket.is_none() {
        return Ok(None);
    }
    let host = admin_host(&config).to_string();
    let listener = restgres_http::server::bind_listener(
        &host,
        config.admin_server_port.unwrap_or(0),
        false,
        config
            .admin_server_unix_socket
            .as_deref()
            .map(std::path::Path::new),
        config.admin_server_unix_socket_mode,
    )
    .await?;
    let bound = listener.bound().clone();
    let addr = match &bound {
        Bound::Tcp(addr) => *addr,
        Bound::Unix(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
    };
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(serve(listener, state.clone(), api, stopped));
    tracing::info!("Admin server listening on {bound}");
    Ok(Some(AdminServer {
        addr,
        bound,
        stop,
        task,
    }))
}

/// `admin-server-host`, which defaults to `server-host`.
fn admin_host(config: &AppConfig) -> &str {
    config.admin_server_host.as_deref().unwrap_or(&config.server_host)
}

async fn serve(listener: Listener, state: Arc<AppState>, api: Bound, mut stop: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::error!("admin server: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let state = state.clone();
                let api = api.clone();
                let service = service_fn(move |req: Request<Incoming>| {
                    let state = state.clone();
                    let api = api.clone();
                    async move { Ok::<_, Infallible>(respond(&state, &api, req.uri().path()).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("admin connection error: {e}");
                    }
                });
            }
            // Also when the sender is gone.
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}

/// The answer for `path`, whatever the method (as PostgREST's admin server).
pub async fn respond(state: &AppState, api: &Bound, path: &str) -> Response<Full<Bytes>> {
    match path {
        "/live" => {
            let status = if reachable(api).await {
                StatusCode::OK
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            empty(status)
        }
        "/ready" => empty(ready_status(state, api).await),
        "/metrics" => {
            let text = state.metrics.render(&sample(state));
            with_body(PROMETHEUS_TEXT, text.into_bytes())
        }
        "/schema_cache" => match state.schema.load().as_deref() {
            // PostgREST answers 200 with an empty body until the cache is loaded.
            None => empty(StatusCode::OK),
            Some(cache) => match schema_cache_json(cache) {
                Ok(json) => with_body(JSON, json.into_bytes()),
                Err(e) => {
                    tracing::error!("cannot encode the schema cache: {e}");
                    empty(StatusCode::INTERNAL_SERVER_ERROR)
                }
            },
        },
        _ => empty(StatusCode::NOT_FOUND),
    }
}

/// PostgREST's `/ready`: 500 when the API listener does not accept connections; 200 when the schema cache
/// is loaded and the database answers; 503 otherwise (while connecting or reconnecting).
async fn ready_status(state: &AppState, api: &Bound) -> StatusCode {
    if !reachable(api).await {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    if state.schema.load().is_some() && database_answers(state).await {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// `SELECT 1` on a pooled connection, within `DB_CHECK_TIMEOUT`.
async fn database_answers(state: &AppState) -> bool {
    let check = async {
        let conn = state.pool.get().await.map_err(|e| e.to_string())?;
        conn.client
            .simple_query("SELECT 1")
            .await
            .map_err(|e| e.to_string())
    };
    match tokio::time::timeout(DB_CHECK_TIMEOUT, check).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            tracing::debug!("/ready: the database did not answer: {e}");
            false
        }
        Err(_) => {
            tracing::debug!("/ready: the database did not answer within {DB_CHECK_TIMEOUT:?}");
            false
        }
    }
}

/// Whether the API listener accepts a TCP connection (nothing is sent), as PostgREST checks its own socket.
async fn reachable(api: &Bound) -> bool {
    let mut target = match api {
        Bound::Tcp(addr) => *addr,
        // PostgREST checks its socket file; connecting also proves something accepts there.
        Bound::Unix(path) => {
            return matches!(
                tokio::time::timeout(REACH_TIMEOUT, tokio::net::UnixStream::connect(path)).await,
                Ok(Ok(_))
            )
        }
    };
    // A wildcard listener is reached through loopback.
    if target.ip().is_unspecified() {
        target.set_ip(match target.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    matches!(
        tokio::time::timeout(REACH_TIMEOUT, TcpStream::connect(target)).await,
        Ok(Ok(_))
    )
}

/// Pool and JWT-cache values at the time of the scrape.
fn sample(state: &AppState) -> Sampled {
    let pool = state.pool.stats();
    let jwt = state.auth.load().cache_stats();
    Sampled {
        pool_available: pool.idle.into(),
        pool_waiting: pool.waiting,
        pool_max: state.config.load().db_pool.into(),
        pool_timeouts: pool.timeouts,
        jwt_requests: jwt.requests,
        jwt_hits: jwt.hits,
        jwt_evictions: jwt.evictions,
    }
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = status;
    resp
}

fn with_body(content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    resp
}

/// The schema cache as JSON (`/schema_cache`, `--dump-schema`). JSON object keys are strings, so the maps
/// keyed by schema-qualified name become arrays of `[name, value]` pairs sorted by name (as Aeson encodes
/// such maps in PostgREST); the structure follows the model and is for debugging, not a stable format.
pub fn schema_cache_json(cache: &SchemaCache) -> Result<String, serde_json::Error> {
    #[derive(serde::Serialize)]
    struct CacheJson<'a> {
        tables: Vec<(&'a QualifiedName, &'a Table)>,
        foreign_keys: &'a [ForeignKey],
        routines: Vec<(&'a QualifiedName, &'a Vec<Routine>)>,
        computed_relationships: &'a [ComputedRelationship],
        media_handlers: &'a [MediaHandler],
        representations: &'a [Representation],
    }
    let mut tables: Vec<_> = cache.tables.iter().collect();
    tables.sort_by(|a, b| a.0.cmp(b.0));
    let mut routines: Vec<_> = cache.routines.iter().collect();
    routines.sort_by(|a, b| a.0.cmp(b.0));
    serde_json::to_string(&CacheJson {
        tables,
        foreign_keys: &cache.foreign_keys,
        routines,
        computed_relationships: &cache.computed_relationships,
        media_handlers: &cache.media_handlers,
        representations: &cache.representations,
    })
}

/// Why `--dump-schema` failed.
#[derive(Debug, thiserror::Error)]
pub enum DumpSchemaError {
    #[error("db-uri: {0}")]
    DbUri(String),
    #[error("An error occurred when loading the schema cache: {0}")]
    Load(#[from] restgres_db::DbError),
    #[error("cannot encode the schema cache: {0}")]
    Encode(#[from] serde_json::Error),
}

/// `--dump-schema`: connects with `db-uri` (and libpq's environment variables), loads the schema cache of
/// `db-schemas` and returns it as JSON.
pub async fn dump_schema(config: &AppConfig) -> Result<String, DumpSchemaError> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let conn =
        restgres_db::connect::connection_config(&config.db_uri, &env).map_err(DumpSchemaError::DbUri)?;
    let pool = Pool::new(
        conn,
        &PoolSettings {
            max_size: 1,
            acquisition_timeout: config.db_pool_acquisition_timeout,
            max_idletime: config.db_pool_max_idletime,
            max_lifetime: config.db_pool_max_lifetime,
            prepared_statements: config.db_prepared_statements,
        },
    );
    let cache = pool.load_schema_cache(&config.db_schemas).await?;
    Ok(schema_cache_json(&cache)?)
}

/// Why `--ready` failed; the messages are PostgREST's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadyError {
    #[error("UNREACHABLE: Admin server is not running. Please check admin-server-port config.")]
    NoAdminServer,
    #[error(
        "REFUSED: The --ready flag cannot be used when server-host is configured as \"{0}\". \
         Please update your server-host config to \"localhost\"."
    )]
    SpecialHostName(String),
    #[error("UNAVAILABLE: {0}")]
    NotReady(String),
    #[error("HTTP EXCEPTION: connection refused to {0}")]
    Connection(String),
}

/// `--ready`: asks `/ready` of the admin server that `config` describes; `Ok("OK: <url>")` on a 2xx answer.
pub async fn check_ready(config: &AppConfig) -> Result<String, ReadyError> {
    let port = config.admin_server_port.ok_or(ReadyError::NoAdminServer)?;
    let host = admin_host(config);
    // The wildcard values say where to listen, not where to connect.
    if matches!(host, "*" | "*4" | "!4" | "*6" | "!6") {
        return Err(ReadyError::SpecialHostName(host.to_string()));
    }
    let url = ready_url(host, port);
    let status = tokio::time::timeout(CLIENT_TIMEOUT, get_status(host, port, &url))
        .await
        .map_err(|_| ReadyError::Connection(url.clone()))?
        .map_err(|e| {
            tracing::debug!("--ready: {e}");
            ReadyError::Connection(url.clone())
        })?;
    if status.is_success() {
        Ok(format!("OK: {url}"))
    } else {
        Err(ReadyError::NotReady(url))
    }
}

/// `http://host:port/ready`, with an IPv6 address in brackets.
fn ready_url(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("http://[{host}]:{port}/ready")
    } else {
        format!("http://{host}:{port}/ready")
    }
}

/// One HTTP/1.1 GET; the response status.
async fn get_status(host: &str, port: u16, url: &str) -> Result<StatusCode, Box<dyn std::error::Error>> {
    let stream = TcpStream::connect((host, port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn = tokio::spawn(conn);
    let req = Request::get(url)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .body(Empty::<Bytes>::new())?;
    let status = sender.send_request(req).await?.status();
    conn.abort();
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> AppConfig {
        crate::server::config_from_text(text).unwrap()
    }

    #[test]
    fn ready_urls() {
        assert_eq!(ready_url("localhost", 3001), "http://localhost:3001/ready");
        assert_eq!(ready_url("127.0.0.1", 1), "http://127.0.0.1:1/ready");
        assert_eq!(ready_url("::1", 3001), "http://[::1]:3001/ready");
    }

    #[tokio::test]
    async fn ready_needs_an_admin_port_and_a_real_host() {
        let c = config("db-uri = \"postgres://x@127.0.0.1/x\"\nserver-host = \"localhost\"\n");
        assert_eq!(check_ready(&c).await, Err(ReadyError::NoAdminServer));
        // admin-server-host defaults to server-host, whose default is the special "!4".
        let c = config("db-uri = \"postgres://x@127.0.0.1/x\"\nadmin-server-port = 3001\n");
        let err = check_ready(&c).await.unwrap_err();
        assert_eq!(err, ReadyError::SpecialHostName("!4".into()));
        assert_eq!(
            err.to_string(),
            "REFUSED: The --ready flag cannot be used when server-host is configured as \"!4\". \
             Please update your server-host config to \"localhost\"."
        );
        let c = config(
            "db-uri = \"postgres://x@127.0.0.1/x\"\nserver-host = \"localhost\"\n\
             admin-server-host = \"*6\"\nadmin-server-port = 3001\n",
        );
        assert_eq!(
            check_ready(&c).await,
            Err(ReadyError::SpecialHostName("*6".into()))
        );
    }

    #[tokio::test]
    async fn ready_reports_a_refused_connection() {
        // A port nothing listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let c = config(&format!(
            "db-uri = \"postgres://x@127.0.0.1/x\"\nadmin-server-host = \"127.0.0.1\"\nadmin-server-port = {port}\n"
        ));
        let err = check_ready(&c).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("HTTP EXCEPTION: connection refused to http://127.0.0.1:{port}/ready")
        );
    }
}
