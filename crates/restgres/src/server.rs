//! Starts a configured restgres: pool, schema cache, HTTP listener; used by the binary and the tests.

use restgres_config::AppConfig;
use restgres_db::{Pool, PoolSettings};
use restgres_http::AppState;
use std::collections::BTreeMap;
use std::net::SocketAddr;
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
}

/// A running server; call `shutdown` to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    loader: JoinHandle<()>,
    listener: Option<JoinHandle<()>>,
}

/// Parses a PostgREST-format configuration text (no environment), for tests and the demo.
pub fn config_from_text(text: &str) -> Result<AppConfig, String> {
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
    restgres_config::load(Some(("<config>", text)), &BTreeMap::new(), &read).map_err(|e| e.to_string())
}

/// Connects, loads the schema cache and starts listening on `server-host`/`server-port` (0 = any free port).
/// When the database is not reachable yet, the server starts anyway (answering 503) and keeps retrying.
pub async fn start(config: AppConfig) -> Result<Running, StartError> {
    let auth = AppState::authenticator(&config)?;
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let conn = restgres_db::connect::connection_config(&config.db_uri, &env).map_err(StartError::DbUri)?;
    tracing::info!("Connecting to {}", restgres_db::connect::describe(&conn));
    let listener_conn = conn.clone();
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
    let listener = restgres_http::server::bind(&config.server_host, config.server_port)
        .await
        .map_err(|source| StartError::Listen {
            host: config.server_host.clone(),
            port: config.server_port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        host: config.server_host.clone(),
        port: config.server_port,
        source,
    })?;
    let state = Arc::new(AppState::new(config, auth, pool));

    // The first load is awaited so a started server answers at once; failures retry in the background.
    let first = load_schema(&state).await;
    let loader = {
        let state = state.clone();
        tokio::spawn(async move {
            if first {
                return;
            }
            let mut delay = Duration::from_secs(1);
            loop {
                tokio::time::sleep(delay).await;
                if load_schema(&state).await {
                    return;
                }
                delay = (delay * 2).min(Duration::from_secs(32));
            }
        })
    };

    let (tx, rx) = watch::channel(false);
    let notify_listener = state.config.load().db_channel_enabled.then(|| {
        let channel = state.config.load().db_channel.clone();
        crate::listener::spawn(state.clone(), listener_conn, channel, rx.clone())
    });
    let server = tokio::spawn(restgres_http::server::serve(listener, state.clone(), rx));
    tracing::info!("API server listening on {addr}");
    Ok(Running {
        addr,
        state,
        shutdown: tx,
        server,
        loader,
        listener: notify_listener,
    })
}

/// Loads the schema cache, logging the outcome as PostgREST does; true on success.
async fn load_schema(state: &AppState) -> bool {
    match state.pool.server_version().await {
        Ok((_, version)) => tracing::info!("Successfully connected to {version}"),
        Err(e) => {
            tracing::error!("Could not connect to the database: {e}");
            return false;
        }
    }
    match state.reload_schema().await {
        Ok((_, took)) => {
            if let Some(cache) = state.schema.load().as_ref() {
                tracing::info!(
                    "Schema cache queried in {:.1} milliseconds",
                    took.as_secs_f64() * 1000.0
                );
                tracing::info!(
                    "Schema cache loaded {} Relations, {} Relationships, {} Functions",
                    cache.tables.len(),
                    cache.foreign_keys.len(),
                    cache.routines.values().map(Vec::len).sum::<usize>()
                );
            }
            true
        }
        Err(e) => {
            tracing::error!("Failed to load the schema cache: {e}");
            false
        }
    }
}

impl Running {
    /// Stops accepting, finishes in-flight requests and closes the pool.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        self.loader.abort();
        if let Some(l) = self.listener {
            l.abort();
        }
        let _ = self.server.await;
    }
}
