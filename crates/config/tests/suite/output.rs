//! `example()`, `dump()` and `help_table()`: format, coverage of every key, and round trips through `load`.

use std::time::Duration;

use restgres_config::{dump, example, help_table, AppConfig, ErrorVerbosity, LogFormat, LogLevel, OpenApiMode, TxEnd, KEYS};

use crate::common::load;

#[track_caller]
fn loaded(file: &str) -> AppConfig {
    match load(file) {
        Ok(c) => c,
        Err(e) => panic!("{e}\nin:\n{file}"),
    }
}

/// Every field away from its default, with strings that need escaping.
fn no_defaults() -> AppConfig {
    AppConfig {
        admin_server_host: Some("127.0.0.1".into()),
        admin_server_port: Some(3001),
        admin_server_unix_socket: Some("/tmp/admin.sock".into()),
        admin_server_unix_socket_mode: 0o600,
        app_settings: vec![("app.settings.a".into(), "with \"quotes\", $dollars$ and \\".into()), ("app.settings.b".into(), "".into())],
        client_error_verbosity: ErrorVerbosity::Minimal,
        db_aggregates_enabled: true,
        db_anon_role: Some("web anon".into()),
        db_channel: "postgrest".into(),
        db_channel_enabled: false,
        db_config: false,
        db_pre_config: Some("postgrest.pre_config".into()),
        db_extra_search_path: vec![],
        db_hoisted_tx_settings: vec!["work_mem".into(), "statement_timeout".into()],
        db_max_rows: Some(1000),
        db_plan_enabled: true,
        db_pool: 1,
        db_pool_acquisition_timeout: Duration::from_secs(30),
        db_pool_max_idletime: Duration::from_secs(60),
        db_pool_max_lifetime: Duration::from_secs(3600),
        db_pool_automatic_recovery: false,
        db_pre_request: Some("please_run_fast".into()),
        db_prepared_statements: false,
        db_root_spec: Some("openapi_v3".into()),
        db_schemas: vec!["multi".into(), "tenant".into(), "setup".into()],
        db_tx_end: TxEnd::RollbackAllowOverride,
        db_uri: "postgres://u:p$ss@host/db?x=\"1\"\n".into(),
        jwt_aud: Some("https://postgrest.org".into()),
        jwt_role_claim_key: "$.\"user\"[0].\"real-role\"".into(),
        jwt_secret: Some("c2VjdXJpdHl0aHJvdWdob2JzY3VyaXR5aW5iYXNlNjQ=\t😀\u{1}".into()),
        jwt_secret_is_base64: true,
        jwt_cache_max_entries: 86400,
        log_level: LogLevel::Info,
        log_format: LogFormat::Json,
        log_query: true,
        openapi_mode: OpenApiMode::IgnorePrivileges,
        openapi_security_active: true,
        openapi_server_proxy_uri: Some("https://postgrest.org".into()),
        server_cors_allowed_origins: Some(vec!["http://example.com".into(), "http://b.com".into()]),
        server_host: "0.0.0.0".into(),
        server_port: 80,
        server_reuseport: true,
        server_threads: 3,
        server_trace_header: Some("X-Request-Id".into()),
        server_timing_enabled: true,
        server_unix_socket: Some("/tmp/pgrst.sock".into()),
        server_unix_socket_mode: 0o777,
        url_use_legacy_target_names: false,
    }
}

#[test]
fn dump_of_defaults_matches_postgrest_v16() {
    let expected = "\
admin-server-host = \"!4\"
admin-server-port = \"\"
admin-server-unix-socket = \"\"
admin-server-unix-socket-mode = \"660\"
client-error-verbosity = \"verbose\"
db-aggregates-enabled = false
db-anon-role = \"\"
db-channel = \"pgrst\"
db-channel-enabled = true
db-config = true
db-extra-search-path = \"public\"
db-hoisted-tx-settings = \"statement_timeout,plan_filter.statement_cost_limit,default_transaction_isolation\"
db-max-rows = \"\"
db-plan-enabled = false
db-pool = 10
db-pool-acquisition-timeout = 10
db-pool-automatic-recovery = true
db-pool-max-idletime = 30
db-pool-max-lifetime = 1800
db-pre-config = \"\"
db-pre-request = \"\"
db-prepared-statements = true
db-root-spec = \"\"
db-schemas = \"public\"
db-tx-end = \"commit\"
db-uri = \"postgresql://\"
jwt-aud = \"\"
jwt-cache-max-entries = 1000
jwt-role-claim-key = \"$$.role\"
jwt-secret = \"\"
jwt-secret-is-base64 = false
log-level = \"error\"
log-query = false
openapi-mode = \"follow-privileges\"
openapi-security-active = false
openapi-server-proxy-uri = \"\"
server-cors-allowed-origins = \"\"
server-host = \"!4\"
server-port = 3000
server-reuseport = false
server-timing-enabled = false
server-trace-header = \"\"
server-unix-socket = \"\"
server-unix-socket-mode = \"660\"
url-use-legacy-target-names = true
";
    assert_eq!(dump(&AppConfig::default()), expected);
}

#[test]
fn dump_has_one_line_per_key_plus_app_settings() {
    let dumped = dump(&no_defaults());
    assert_eq!(dumped.lines().count(), KEYS.len() + 2);
    for key in KEYS {
        assert_eq!(dumped.lines().filter(|l| l.starts_with(&format!("{} = ", key.name))).count(), 1, "{}", key.name);
    }
    assert!(dumped.contains("app.settings.a = \"with \\\"quotes\\\", $$dollars$$ and \\\\\"\n"), "{dumped}");
    assert!(dumped.contains("db-max-rows = 1000\n"), "{dumped}");
    assert!(dumped.contains("server-unix-socket-mode = \"777\"\n"), "{dumped}");
}

#[test]
fn dump_round_trips_through_load() {
    for config in [AppConfig::default(), no_defaults()] {
        let dumped = dump(&config);
        assert_eq!(loaded(&dumped), config, "dump:\n{dumped}");
    }
}

#[test]
fn example_loads_as_the_defaults() {
    let ex = example();
    assert_eq!(loaded(&ex), AppConfig::default(), "example:\n{ex}");
}

#[test]
fn example_mentions_every_key_once_and_its_samples_are_valid() {
    let ex = example();
    for key in KEYS {
        let set = ex.lines().filter(|l| l.starts_with(&format!("{} = ", key.name)) || l.starts_with(&format!("# {} = ", key.name)));
        assert_eq!(set.count(), 1, "{}", key.name);
    }
    // Uncommenting every sample still loads.
    let uncommented: String = ex
        .lines()
        .map(|l| if l.starts_with("# ") { l.trim_start_matches("# ") } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let config = loaded(&uncommented);
    assert_eq!(config.admin_server_port, Some(3001));
    assert_eq!(config.app_settings, vec![("app.settings.jwt_exp".to_owned(), "3600".to_owned())]);
}

#[test]
fn help_lists_every_key_and_env_var() {
    let help = help_table();
    for key in KEYS {
        assert!(help.contains(&format!("  {}", key.name)), "{}", key.name);
        assert!(help.contains(&key.env_name()), "{}", key.name);
    }
    assert!(help.contains("db-schemas (alias: db-schema)"));
    assert!(help.contains("PGRST_DB_SCHEMAS, default \"public\", reloadable, in-database pgrst.db_schemas"));
}
