//! Starts a configured restgres: pool, schema cache, HTTP listener; used by the binary and the tests.

use restgres_config::AppConfig;
use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Other(String),
}

/// A running server; dropping it does not stop it, call `shutdown`.
pub struct Running {
    pub addr: SocketAddr,
}

/// Connects, loads the schema cache and starts listening on `server-host`/`server-port` (0 = any free port).
pub async fn start(config: AppConfig) -> Result<Running, StartError> {
    let _ = config;
    todo!()
}

impl Running {
    /// Stops accepting, finishes in-flight requests and closes the pool.
    pub async fn shutdown(self) {
        todo!()
    }
}
