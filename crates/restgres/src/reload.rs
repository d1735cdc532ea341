//! Reloading without downtime: the configuration (file, environment, in-database settings) and the schema cache.

use restgres_config::{AppConfig, Sources, KEYS};
use restgres_http::AppState;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where the configuration comes from, kept so that a reload reads it again.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    file: Option<FileSource>,
    env: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
enum FileSource {
    /// Re-read from disk on every reload.
    Path(String),
    /// Fixed text (tests, the demo, a configuration built in code).
    Text(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Db(#[from] restgres_db::DbError),
    #[error("{0}")]
    Auth(#[from] restgres_auth::authenticator::AuthConfigError),
}

impl ConfigSource {
    /// A config file on disk (if any) and the process environment.
    pub fn file(path: Option<&str>, env: BTreeMap<String, String>) -> ConfigSource {
        ConfigSource {
            file: path.map(|p| FileSource::Path(p.to_string())),
            env,
        }
    }

    /// Configuration text, without environment.
    pub fn text(text: &str) -> ConfigSource {
        ConfigSource {
            file: Some(FileSource::Text(text.to_string())),
            env: BTreeMap::new(),
        }
    }

    /// A configuration already loaded: its dump is the text to reload from.
    pub fn fixed(config: &AppConfig) -> ConfigSource {
        ConfigSource::text(&restgres_config::dump(config))
    }

    /// Loads file and environment, with `db` (in-database settings) overriding both.
    pub fn load(&self, db: &[(String, String)]) -> Result<AppConfig, ReloadError> {
        let read = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
        let (name, text) = match &self.file {
            Some(FileSource::Path(p)) => (
                p.as_str(),
                Some(
                    std::fs::read_to_string(p)
                        .map_err(|e| ReloadError::Config(format!("cannot read {p}: {e}")))?,
                ),
            ),
            Some(FileSource::Text(t)) => ("<config>", Some(t.clone())),
            None => ("", None),
        };
        let sources = Sources {
            file: text.as_deref().map(|t| (name, t)),
            env: &self.env,
            db,
        };
        restgres_config::load_sources(&sources, &read)
            .map(|l| l.config)
            .map_err(|e| ReloadError::Config(e.to_string()))
    }
}

/// The names PostgREST reads from the database (`pgrst.db_schemas`, ...).
fn in_db_names() -> Vec<String> {
    KEYS.iter().filter_map(|k| k.in_db_name()).collect()
}

/// Reloads what a running server may change: configuration and schema cache.
pub struct Reloader {
    pub state: Arc<AppState>,
    source: ConfigSource,
}

impl Reloader {
    pub fn new(state: Arc<AppState>, source: ConfigSource) -> Reloader {
        Reloader { state, source }
    }

    /// Reads the configuration again (file, environment, then the in-database settings when `db-config` is
    /// on) and swaps it in. Settings that need a restart (`db-uri`, pool, server) keep their running values
    /// in effect, as in PostgREST. On error the old configuration stays.
    pub async fn config(&self) -> Result<(), ReloadError> {
        let base = self.source.load(&[])?;
        let config = if base.db_config {
            let db = self
                .state
                .pool
                .load_db_settings(&in_db_names(), base.db_pre_config.as_deref())
                .await?;
            self.source.load(&db)?
        } else {
            base
        };
        let auth = AppState::authenticator(&config)?;
        self.state.auth.store(Arc::new(auth));
        self.state.config.store(Arc::new(config));
        Ok(())
    }

    /// Reloads the schema cache; the old one serves until the new one is ready, and stays on failure.
    pub async fn schema(&self) -> Result<(), ReloadError> {
        let (_, took) = self.state.metrics.schema_load(self.state.reload_schema().await)?;
        if let Some(cache) = self.state.schema.load().as_ref() {
            tracing::info!(
                "Schema cache queried in {:.1} milliseconds",
                took.as_secs_f64() * 1000.0
            );
            tracing::info!("Schema cache loaded {}", cache.summary());
        }
        Ok(())
    }

    /// `reload config`: the configuration, then the schema cache (exposed schemas may have changed).
    pub async fn config_and_schema(&self) -> Result<(), ReloadError> {
        self.config().await?;
        tracing::info!("Config reloaded");
        self.schema().await
    }
}
