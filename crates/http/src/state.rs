//! The state every request reads: configuration, schema cache, role settings and the pool, swappable on reload.

use arc_swap::{ArcSwap, ArcSwapOption};
use restgres_auth::Authenticator;
use restgres_config::AppConfig;
use restgres_db::introspect::RoleSettings;
use restgres_db::Pool;
use restgres_schema::SchemaCache;
use std::sync::Arc;

pub struct AppState {
    pub config: ArcSwap<AppConfig>,
    /// `None` until the first successful load (requests then get 503 PGRST002).
    pub schema: ArcSwapOption<SchemaCache>,
    pub role_settings: ArcSwap<RoleSettings>,
    /// JWT verification built from the configuration (keys parsed once, with its cache).
    pub auth: ArcSwap<Authenticator>,
    pub pool: Pool,
    /// Counts for the admin server's `/metrics` (schema-cache loads, requests by status).
    pub metrics: crate::metrics::Metrics,
}

impl AppState {
    pub fn new(config: AppConfig, auth: Authenticator, pool: Pool) -> Self {
        AppState {
            config: ArcSwap::from_pointee(config),
            schema: ArcSwapOption::empty(),
            role_settings: ArcSwap::from_pointee(RoleSettings::new()),
            auth: ArcSwap::from_pointee(auth),
            pool,
            metrics: crate::metrics::Metrics::default(),
        }
    }

    /// The authenticator for a configuration (keys, role claim path, audience, anonymous role, cache).
    pub fn authenticator(
        config: &AppConfig,
    ) -> Result<Authenticator, restgres_auth::authenticator::AuthConfigError> {
        Authenticator::new(&restgres_auth::AuthSettings {
            jwt_secret: config.jwt_secret.as_deref(),
            jwt_secret_is_base64: config.jwt_secret_is_base64,
            jwt_aud: config.jwt_aud.as_deref(),
            jwt_role_claim_key: &config.jwt_role_claim_key,
            db_anon_role: config.db_anon_role.as_deref(),
            jwt_cache_max_entries: config.jwt_cache_max_entries as usize,
        })
    }

    /// Loads the schema cache and role settings; on failure the previous ones keep serving.
    pub async fn reload_schema(&self) -> Result<(usize, std::time::Duration), restgres_db::DbError> {
        let started = std::time::Instant::now();
        let config = self.config.load();
        let cache = self.pool.load_schema_cache(&config.db_schemas).await?;
        let roles = self.pool.load_role_settings().await?;
        let n = cache.tables.len();
        let old = self.schema.swap(Some(Arc::new(cache)));
        self.role_settings.store(Arc::new(roles));
        if let Some(old) = old {
            // Freeing a large cache takes a while (hundreds of ms for 20,000 tables): not inside the latency
            // of whichever request drops the last reference, but on a blocking thread once none holds it.
            tokio::task::spawn_blocking(move || {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
                while Arc::strong_count(&old) > 1 && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                drop(old);
            });
        }
        // Statements prepared against the old schema may describe old row shapes.
        self.pool.invalidate_statements();
        Ok((n, started.elapsed()))
    }
}
