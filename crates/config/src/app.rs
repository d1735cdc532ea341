//! The validated configuration every other crate reads.

use std::time::Duration;

/// `log-level`; ordered from least to most verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Crit,
    Error,
    Warn,
    Info,
    Debug,
}

/// `log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// `db-tx-end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxEnd {
    Commit,
    CommitAllowOverride,
    Rollback,
    RollbackAllowOverride,
}

/// `openapi-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenApiMode {
    FollowPrivileges,
    IgnorePrivileges,
    Disabled,
}

/// `client-error-verbosity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorVerbosity {
    Verbose,
    Minimal,
}

/// Every PostgREST configuration parameter, validated. Durations are already `Duration`s.
#[derive(Debug, Clone, PartialEq)]
pub struct AppConfig {
    /// Always set after loading: PostgREST falls back to `server-host`.
    pub admin_server_host: Option<String>,
    pub admin_server_port: Option<u16>,
    pub admin_server_unix_socket: Option<String>,
    /// File mode bits, e.g. `0o660`.
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
    /// A JSON path such as `$.role`, unparsed: the auth layer owns its grammar.
    pub jwt_role_claim_key: String,
    /// The secret (`@file` already resolved); decoding (base64, JWK) is the auth layer's job.
    pub jwt_secret: Option<String>,
    pub jwt_secret_is_base64: bool,
    pub jwt_cache_max_entries: u32,
    pub log_level: LogLevel,
    /// `log-format` (a restgres extension): PostgREST's text lines, or one JSON object per line.
    pub log_format: LogFormat,
    pub log_query: bool,
    pub openapi_mode: OpenApiMode,
    pub openapi_security_active: bool,
    pub openapi_server_proxy_uri: Option<String>,
    /// `None` allows every origin.
    pub server_cors_allowed_origins: Option<Vec<String>>,
    pub server_host: String,
    pub server_port: u16,
    pub server_reuseport: bool,
    /// `server-threads` (a restgres extension): the runtime's worker threads; 0 is one per CPU core.
    pub server_threads: u32,
    pub server_trace_header: Option<String>,
    pub server_timing_enabled: bool,
    pub server_unix_socket: Option<String>,
    /// File mode bits, e.g. `0o660`.
    pub server_unix_socket_mode: u32,
    pub url_use_legacy_target_names: bool,
}

/// Each enum's spelling in config files, one table per enum so parsing and printing cannot disagree.
macro_rules! spelled {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every spelling accepted in configuration, in documentation order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The spelling used in config files and `--dump-config`.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }

            /// Parses the exact (case-sensitive) spelling, as PostgREST does.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($ty::$variant),)+ _ => None }
            }
        }
    };
}

spelled!(LogLevel { Crit => "crit", Error => "error", Warn => "warn", Info => "info", Debug => "debug" });
spelled!(LogFormat { Text => "text", Json => "json" });
spelled!(TxEnd {
    Commit => "commit",
    CommitAllowOverride => "commit-allow-override",
    Rollback => "rollback",
    RollbackAllowOverride => "rollback-allow-override",
});
spelled!(OpenApiMode {
    FollowPrivileges => "follow-privileges",
    IgnorePrivileges => "ignore-privileges",
    Disabled => "disabled",
});
spelled!(ErrorVerbosity { Verbose => "verbose", Minimal => "minimal" });

impl Default for AppConfig {
    /// PostgREST's defaults: what an empty config file and environment give (a test pins this to the key table).
    fn default() -> Self {
        let secs = Duration::from_secs;
        AppConfig {
            admin_server_host: Some("!4".to_owned()),
            admin_server_port: None,
            admin_server_unix_socket: None,
            admin_server_unix_socket_mode: 0o660,
            app_settings: Vec::new(),
            client_error_verbosity: ErrorVerbosity::Verbose,
            db_aggregates_enabled: false,
            db_anon_role: None,
            db_channel: "pgrst".to_owned(),
            db_channel_enabled: true,
            db_config: true,
            db_pre_config: None,
            db_extra_search_path: vec!["public".to_owned()],
            db_hoisted_tx_settings: [
                "statement_timeout",
                "plan_filter.statement_cost_limit",
                "default_transaction_isolation",
            ]
            .map(str::to_owned)
            .to_vec(),
            db_max_rows: None,
            db_plan_enabled: false,
            db_pool: 10,
            db_pool_acquisition_timeout: secs(10),
            db_pool_max_idletime: secs(30),
            db_pool_max_lifetime: secs(1800),
            db_pool_automatic_recovery: true,
            db_pre_request: None,
            db_prepared_statements: true,
            db_root_spec: None,
            db_schemas: vec!["public".to_owned()],
            db_tx_end: TxEnd::Commit,
            db_uri: "postgresql://".to_owned(),
            jwt_aud: None,
            jwt_role_claim_key: "$.role".to_owned(),
            jwt_secret: None,
            jwt_secret_is_base64: false,
            jwt_cache_max_entries: 1000,
            log_level: LogLevel::Error,
            log_format: LogFormat::Text,
            server_threads: 0,
            log_query: false,
            openapi_mode: OpenApiMode::FollowPrivileges,
            openapi_security_active: false,
            openapi_server_proxy_uri: None,
            server_cors_allowed_origins: None,
            server_host: "!4".to_owned(),
            server_port: 3000,
            server_reuseport: false,
            server_trace_header: None,
            server_timing_enabled: false,
            server_unix_socket: None,
            server_unix_socket_mode: 0o660,
            url_use_legacy_target_names: true,
        }
    }
}
