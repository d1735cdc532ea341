//! The validated configuration every other crate reads.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Crit,
    Error,
    Warn,
    Info,
    Debug,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxEnd {
    Commit,
    CommitAllowOverride,
    Rollback,
    RollbackAllowOverride,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenApiMode {
    FollowPrivileges,
    IgnorePrivileges,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorVerbosity {
    Verbose,
    Minimal,
}

/// Every PostgREST configuration parameter, validated. Durations are already `Duration`s.
#[derive(Debug, Clone, PartialEq)]
pub struct AppConfig {
    pub admin_server_host: Option<String>,
    pub admin_server_port: Option<u16>,
    pub admin_server_unix_socket: Option<String>,
    pub admin_server_unix_socket_mode: u32,
    /// `app.settings.*` as (full GUC name `app.settings.x`, value).
    pub app_settings: Vec<(String, String)>,
    pub client_error_verbosity: ErrorVerbosity,
    pub db_aggregates_enabled: bool,
    pub db_anon_role: Option<String>,
    pub db_channel: String,
    pub db_channel_enabled: bool,
    pub db_config: bool,
    pub db_pre_config: Option<String>,
    pub db_extra_search_path: Vec<String>,
    pub db_hoisted_tx_settings: Vec<String>,
    pub db_max_rows: Option<i64>,
    pub db_plan_enabled: bool,
    pub db_pool: u32,
    pub db_pool_acquisition_timeout: Duration,
    pub db_pool_max_idletime: Duration,
    pub db_pool_max_lifetime: Duration,
    pub db_pool_automatic_recovery: bool,
    /// Function name, possibly schema-qualified (`schema.fn`).
    pub db_pre_request: Option<String>,
    pub db_prepared_statements: bool,
    pub db_root_spec: Option<String>,
    /// Non-empty; the first is the default schema.
    pub db_schemas: Vec<String>,
    pub db_tx_end: TxEnd,
    /// A libpq connection string (URI or key/value), `@file` already resolved.
    pub db_uri: String,
    pub jwt_aud: Option<String>,
    pub jwt_role_claim_key: String,
    /// The secret (`@file` already resolved); decoding (base64, JWK) is the auth layer's job.
    pub jwt_secret: Option<String>,
    pub jwt_secret_is_base64: bool,
    pub jwt_cache_max_entries: u32,
    pub log_level: LogLevel,
    pub log_query: bool,
    pub openapi_mode: OpenApiMode,
    pub openapi_security_active: bool,
    pub openapi_server_proxy_uri: Option<String>,
    /// `None` allows every origin.
    pub server_cors_allowed_origins: Option<Vec<String>>,
    pub server_host: String,
    pub server_port: u16,
    pub server_reuseport: bool,
    pub server_trace_header: Option<String>,
    pub server_timing_enabled: bool,
    pub server_unix_socket: Option<String>,
    pub server_unix_socket_mode: u32,
    pub url_use_legacy_target_names: bool,
}
