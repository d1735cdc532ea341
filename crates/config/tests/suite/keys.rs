//! The key table itself: names, env names, aliases, in-database names, defaults.

use restgres_config::keys::{env_name, find, removed, KEYS};
use restgres_config::output::quote;
use restgres_config::{dump, AppConfig};

/// Keys restgres adds to PostgREST's.
const EXTENSIONS: &[&str] = &["log-format", "server-threads"];

#[test]
fn there_are_postgrest_s_45_keys_plus_app_settings() {
    let postgrest = KEYS.iter().filter(|k| !EXTENSIONS.contains(&k.name)).count();
    assert_eq!(postgrest, 45);
    assert_eq!(KEYS.len(), 45 + EXTENSIONS.len());
    let mut names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
    let sorted = {
        let mut s = names.clone();
        s.sort_unstable();
        s
    };
    assert_eq!(names, sorted, "the table is sorted by name");
    names.dedup();
    assert_eq!(names.len(), 45 + EXTENSIONS.len(), "no duplicates");
}

/// `name -> env, aliases' env, in-db name, reloadable`.
#[track_caller]
fn check(name: &str, expect: &str) {
    let got = match find(name) {
        Some(k) => format!(
            "{} {} [{}] {} {}",
            k.name,
            k.env_name(),
            k.alias_env_names().join(","),
            k.in_db_name().unwrap_or_else(|| "-".into()),
            if k.reloadable { "reloadable" } else { "fixed" }
        ),
        None => "none".into(),
    };
    assert_eq!(got, expect);
}

#[test]
fn names_env_aliases_in_db() {
    check("db-uri", "db-uri PGRST_DB_URI [] - fixed");
    check("db-schemas", "db-schemas PGRST_DB_SCHEMAS [PGRST_DB_SCHEMA] pgrst.db_schemas reloadable");
    check("db-schema", "db-schemas PGRST_DB_SCHEMAS [PGRST_DB_SCHEMA] pgrst.db_schemas reloadable");
    check("max-rows", "db-max-rows PGRST_DB_MAX_ROWS [PGRST_MAX_ROWS] pgrst.db_max_rows reloadable");
    check("pre-request", "db-pre-request PGRST_DB_PRE_REQUEST [PGRST_PRE_REQUEST] pgrst.db_pre_request reloadable");
    check("role-claim-key", "jwt-role-claim-key PGRST_JWT_ROLE_CLAIM_KEY [PGRST_ROLE_CLAIM_KEY] pgrst.jwt_role_claim_key reloadable");
    check("db-pool-timeout", "db-pool-max-idletime PGRST_DB_POOL_MAX_IDLETIME [PGRST_DB_POOL_TIMEOUT] - fixed");
    check("root-spec", "db-root-spec PGRST_DB_ROOT_SPEC [PGRST_ROOT_SPEC] pgrst.db_root_spec reloadable");
    check("secret-is-base64", "jwt-secret-is-base64 PGRST_JWT_SECRET_IS_BASE64 [PGRST_SECRET_IS_BASE64] pgrst.jwt_secret_is_base64 reloadable");
    check("db-tx-end", "db-tx-end PGRST_DB_TX_END [] pgrst.db_tx_end fixed");
    check("log-level", "log-level PGRST_LOG_LEVEL [] - reloadable");
    check("db-pool", "db-pool PGRST_DB_POOL [] - fixed");
    check("admin-server-unix-socket-mode", "admin-server-unix-socket-mode PGRST_ADMIN_SERVER_UNIX_SOCKET_MODE [] - fixed");
    check("server-cors-allowed-origins", "server-cors-allowed-origins PGRST_SERVER_CORS_ALLOWED_ORIGINS [] pgrst.server_cors_allowed_origins fixed");
    check("raw-media-types", "none");
    check("app.settings.x", "none");
    assert_eq!(env_name("db-pool-max-idletime"), "PGRST_DB_POOL_MAX_IDLETIME");
    assert!(removed("jwt-cache-max-lifetime").is_some());
    assert!(removed("db-schemas").is_none());
}

#[test]
fn every_default_in_the_table_is_the_loaded_default() {
    let dumped = dump(&AppConfig::default());
    // restgres's own keys are left out of a dump at their defaults; check them directly.
    let log_format = find("log-format").and_then(|k| k.default);
    assert_eq!(
        log_format.and_then(restgres_config::LogFormat::parse),
        Some(AppConfig::default().log_format)
    );
    assert!(!dumped.contains("log-format"), "extension keys at their default stay out of the dump");
    for key in KEYS.iter().filter(|k| !EXTENSIONS.contains(&k.name)) {
        let value = match key.default {
            Some(d) if key.kind.is_bare() => d.to_owned(),
            Some(d) => quote(d),
            None if key.name == "admin-server-host" => quote("!4"),
            None => quote(""),
        };
        let line = format!("{} = {value}", key.name);
        assert!(dumped.lines().any(|l| l == line), "default of {}: no {line:?} in\n{dumped}", key.name);
    }
}

#[test]
fn every_key_without_a_default_has_an_example_value() {
    for key in KEYS {
        assert!(key.default.is_some() || key.example.is_some(), "{}", key.name);
        assert!(!key.doc.is_empty() && !key.doc.contains('\n'), "{}", key.name);
    }
}
