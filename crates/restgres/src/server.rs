//! Starts a configured restgres: pool, schema cache, HTTP listener; used by the binary and the tests.

use crate::reload::{ConfigSource, Reloader};
use restgres_config::AppConfig;
use restgres_db::{Pool, PoolSettings};
use restgres_http::server::Bound;
use restgres_http::AppState;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("db-uri: {0}")]
    DbUri(String),
    #[error("{0}")]
    Auth(#[from] restgres_auth::authenticator::AuthConfigError),
    #[error("cannot listen on {host}:{port}: {source}")]
    Listen {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("{0}")]
    Bind(#[from] restgres_http::server::BindError),
    /// `db-pool-automatic-recovery = false` and the database could not be used at start.
    #[error("the database is not available and db-pool-automatic-recovery is off")]
    NoRecovery,
}

/// A running server; call `shutdown` to stop it.
pub struct Running {
    /// The API server's TCP address (the real port when `server-port` is 0). With `server-unix-socket` nothing
    /// listens on TCP and this is `0.0.0.0:0`; `bound` has the socket's path.
    pub addr: SocketAddr,
    /// What the API server listens on: a TCP address or a Unix socket.
    pub bound: Bound,
    /// The admin server's address, when `admin-server-port` is set.
    pub admin_addr: Option<SocketAddr>,
    pub state: Arc<AppState>,
    /// Reloads configuration and schema cache (signals, tests).
    pub reloader: Arc<Reloader>,
    /// Connection failures since start (for `connection_lost`).
    lost: tokio::sync::watch::Receiver<String>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    loader: JoinHandle<()>,
    listener: Option<JoinHandle<()>>,
    /// Whether the NOTIFY listener is subscribed (always false without `db-channel-enabled`).
    listening: watch::Receiver<bool>,
    admin: Option<crate::admin::AdminServer>,
}

/// Parses a PostgREST-format configuration text (no environment), for tests and the demo.
pub fn config_from_text(text: &str) -> Result<AppConfig, String> {
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
    restgres_config::load(Some(("<config>", text)), &BTreeMap::new(), &read).map_err(|e| e.to_string())
}

/// Connects, loads the schema cache and starts listening on `server-host`/`server-port` (0 = any free port).
/// When the database is not reachable yet, the server starts anyway (answering 503) and keeps retrying.
pub async fn start(config: AppConfig) -> Result<Running, StartError> {
    let source = ConfigSource::fixed(&config);
    start_with_source(config, source).await
}

/// [`start`], with where the configuration came from, so that `reload config` (NOTIFY or SIGUSR2) and the
/// in-database settings re-read it.
pub async fn start_with_source(config: AppConfig, source: ConfigSource) -> Result<Running, StartError> {
    let auth = AppState::authenticator(&config)?;
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let conn = restgres_db::connect::connection_config(&config.db_uri, &env).map_err(StartError::DbUri)?;
    tracing::info!("Connecting to {}", restgres_db::connect::describe(&conn));
    let listener_conn = crate::listener::listener_config(&conn);
    let pool = Pool::new(
        conn,
        &PoolSettings {
            max_size: config.db_pool,
            acquisition_timeout: config.db_pool_acquisition_timeout,
            max_idletime: config.db_pool_max_idletime,
            max_lifetime: config.db_pool_max_lifetime,
            prepared_statements: config.db_prepared_statements,
        },
    );
    let (host, port, reuse_port) = (
        config.server_host.clone(),
        config.server_port,
        config.server_reuseport,
    );
    let (unix_socket, unix_mode) = (config.server_unix_socket.clone(), config.server_unix_socket_mode);
    let lost = pool.connect_failures();
    let state = Arc::new(AppState::new(config, auth, pool));
    let reloader = Arc::new(Reloader::new(state.clone(), source));

    // With SO_REUSEPORT the kernel hands this instance connections as soon as it binds: as PostgREST, join the
    // port only with a loaded schema cache, so that a new instance takes over from an old one without 503s.
    let mut first = false;
    if reuse_port {
        let mut delay = Duration::from_millis(500);
        while !load(&reloader).await {
            if !state.config.load().db_pool_automatic_recovery {
                return Err(StartError::NoRecovery);
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(32));
        }
        first = true;
    }

    // `server-unix-socket`, when set, replaces TCP (PostgREST's rule).
    let listener = restgres_http::server::bind_listener(
        &host,
        port,
        reuse_port,
        unix_socket.as_deref().map(Path::new),
        unix_mode,
    )
    .await?;
    let bound = listener.bound().clone();
    let addr = match bound {
        Bound::Tcp(addr) => addr,
        Bound::Unix(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
    };
    let admin = crate::admin::start(state.clone(), bound.clone()).await?;

    // The first load is awaited so a started server answers at once; failures retry in the background.
    if !first {
        first = load(&reloader).await;
    }
    if !first && !state.config.load().db_pool_automatic_recovery {
        if let Some(a) = admin {
            a.shutdown().await;
        }
        return Err(StartError::NoRecovery);
    }
    let loader = {
        let reloader = reloader.clone();
        tokio::spawn(async move {
            if first {
                return;
            }
            let mut delay = Duration::from_secs(1);
            loop {
                tokio::time::sleep(delay).await;
                if load(&reloader).await {
                    return;
                }
                delay = (delay * 2).min(Duration::from_secs(32));
            }
        })
    };

    let (tx, rx) = watch::channel(false);
    let (notify_listener, listening) = if state.config.load().db_channel_enabled {
        let channel = state.config.load().db_channel.clone();
        let (task, listening) = crate::listener::spawn(reloader.clone(), listener_conn, channel, rx.clone());
        (Some(task), listening)
    } else {
        (None, watch::channel(false).1)
    };
    let server = tokio::spawn(restgres_http::server::serve(listener, state.clone(), rx));
    tracing::info!("API server listening on {bound}");
    Ok(Running {
        addr,
        bound,
        admin_addr: admin.as_ref().map(|a| a.addr),
        state,
        reloader,
        lost,
        shutdown: tx,
        server,
        loader,
        listener: notify_listener,
        listening,
        admin,
    })
}

/// The in-database configuration (when `db-config` is on), then the schema cache; true once the cache is loaded.
async fn load(reloader: &Reloader) -> bool {
    match reloader.state.pool.server_version().await {
        Ok((_, version)) => tracing::info!("Successfully connected to {version}"),
        Err(e) => {
            tracing::error!("Could not connect to the database: {e}");
            return false;
        }
    }
    if reloader.state.config.load().db_config {
        match reloader.config().await {
            Ok(()) => {}
            // Serving goes on with the file's configuration, as PostgREST does.
            Err(e) => tracing::error!("Failed to load the in-database configuration: {e}"),
        }
    }
    match reloader.schema().await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!("Failed to load the schema cache: {e}");
            false
        }
    }
}

impl Running {
    /// Waits until the NOTIFY listener is subscribed (notifications sent before that are not seen), at most
    /// `within`; false when it is not (or there is no listener).
    pub async fn listener_ready(&self, within: Duration) -> bool {
        let mut listening = self.listening.clone();
        tokio::time::timeout(within, listening.wait_for(|l| *l))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// With `db-pool-automatic-recovery = false`: resolves (with the reason) when a connection to the
    /// database cannot be opened, after which PostgREST terminates instead of retrying. Never resolves when
    /// recovery is on.
    pub async fn connection_lost(&self) -> String {
        if self.state.config.load().db_pool_automatic_recovery {
            return std::future::pending().await;
        }
        let mut failures = self.lost.clone();
        match failures.changed().await {
            Ok(()) => failures.borrow().clone(),
            Err(_) => std::future::pending().await,
        }
    }

    /// Stops accepting, finishes in-flight requests and closes the pool.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        self.loader.abort();
        if let Some(l) = self.listener {
            l.abort();
        }
        let _ = self.server.await;
        if let Some(admin) = self.admin {
            admin.shutdown().await;
        }
    }
}
