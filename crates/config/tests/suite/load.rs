//! Loading: defaults, aliases, precedence of env and database, `@file`, coercion and every validation error.

use restgres_config::{dump, load, AppConfig, ConfigError, Origin, RawConfig, Sources};

use crate::common::{env, load_all, read_file};

/// Loads `file` with `extra` env vars. `expect` is either `err: <message>` or lines that must all be in the
/// `--dump-config` output (so one line checks one key's effective value).
#[track_caller]
fn check_env(file: &str, extra: &[(&str, &str)], expect: &str) {
    check_db(file, extra, &[], expect);
}

#[track_caller]
fn check_db(file: &str, extra: &[(&str, &str)], db: &[(&str, &str)], expect: &str) {
    match (load_all(file, extra, db), expect.strip_prefix("err: ")) {
        (Err(e), Some(message)) => assert_eq!(e.to_string(), message, "file: {file:?}"),
        (Err(e), None) => panic!("file {file:?}: unexpected error: {e}"),
        (Ok(l), Some(message)) => panic!("file {file:?}: expected error {message:?}, loaded:\n{}", dump(&l.config)),
        (Ok(l), None) => {
            let dumped = dump(&l.config);
            for line in expect.lines() {
                assert!(dumped.lines().any(|l| l == line), "file {file:?}: no line {line:?} in\n{dumped}");
            }
        }
    }
}

#[track_caller]
fn check(file: &str, expect: &str) {
    check_env(file, &[], expect);
}

#[track_caller]
fn warns(file: &str, extra: &[(&str, &str)], expect: &[&str]) {
    match load_all(file, extra, &[]) {
        Ok(l) => assert_eq!(l.warnings, expect, "file: {file:?}"),
        Err(e) => panic!("file {file:?}: unexpected error: {e}"),
    }
}

#[test]
fn nothing_configured_gives_the_defaults() {
    let empty = env(&[]);
    let loaded = load(None, &empty, &read_file);
    assert_eq!(loaded, Ok(AppConfig::default()));
    check("", "db-schemas = \"public\"\ndb-max-rows = \"\"\nserver-port = 3000\nadmin-server-host = \"!4\"");
}

#[test]
fn aliases() {
    check("db-schema = \"aliased\"", "db-schemas = \"aliased\"");
    check("max-rows = 5", "db-max-rows = 5");
    check("pre-request = \"check\"", "db-pre-request = \"check\"");
    check("root-spec = \"spec\"", "db-root-spec = \"spec\"");
    check("role-claim-key = \".aliased\"", "jwt-role-claim-key = \".aliased\"");
    check("secret-is-base64 = true", "jwt-secret-is-base64 = true");
    check("db-pool-timeout = 5", "db-pool-max-idletime = 5");
    check("db-schemas = \"name\"\ndb-schema = \"alias\"", "db-schemas = \"name\"");
    check("db-max-rows = 1\nmax-rows = 2", "db-max-rows = 1");
    // PostgREST reads db-pool-timeout first, so the old name wins here.
    check("db-pool-max-idletime = 6\ndb-pool-timeout = 5", "db-pool-max-idletime = 5");
    // An empty value counts as absent, so the alias is used.
    check("db-schemas = \"\"\ndb-schema = \"alias\"", "db-schemas = \"alias\"");
}

#[test]
fn environment_overrides_the_file() {
    check_env("db-schemas = \"file\"", &[("PGRST_DB_SCHEMAS", "env")], "db-schemas = \"env\"");
    check_env("", &[("PGRST_DB_SCHEMA", "alias_env")], "db-schemas = \"alias_env\"");
    check_env("", &[("PGRST_MAX_ROWS", "9")], "db-max-rows = 9");
    check_env("", &[("PGRST_DB_POOL_TIMEOUT", "4")], "db-pool-max-idletime = 4");
    check_env("", &[("PGRST_ROLE_CLAIM_KEY", "$.r")], "jwt-role-claim-key = \"$$.r\"");
    check_env("", &[("PGRST_SERVER_PORT", "8080"), ("PGRST_LOG_LEVEL", "info")], "server-port = 8080\nlog-level = \"info\"");
    // Precedence is per name: the file's canonical name beats an alias set in the environment, as in PostgREST.
    check_env("db-schemas = \"file\"", &[("PGRST_DB_SCHEMA", "alias_env")], "db-schemas = \"file\"");
    // An empty env var hides the file's value; the key is then unset.
    check_env("db-anon-role = \"file\"", &[("PGRST_DB_ANON_ROLE", "")], "db-anon-role = \"\"");
    // Only PGRST_ variables are settings.
    check_env("", &[("DB_SCHEMAS", "nope"), ("pgrst_db_schemas", "nope")], "db-schemas = \"public\"");
}

#[test]
fn in_database_settings_override_env_and_file() {
    let file = "db-schemas = \"file\"\njwt-aud = \"file\"";
    check_db(file, &[("PGRST_DB_SCHEMAS", "env")], &[("pgrst.db_schemas", "db")], "db-schemas = \"db\"");
    check_db(file, &[], &[("jwt_aud", "db")], "jwt-aud = \"db\"");
    check_db(file, &[], &[("pgrst.db_schemas", "first"), ("pgrst.db_schemas", "second")], "db-schemas = \"first\"");
    // Keys that cannot be set in the database are ignored there.
    check_db("", &[], &[("pgrst.db_pool", "3"), ("pgrst.log_level", "debug")], "db-pool = 10\nlog-level = \"error\"");
    // db-config = false turns the in-database source off.
    check_db("db-config = false", &[], &[("pgrst.db_schemas", "db")], "db-schemas = \"public\"");
    check_db("", &[("PGRST_DB_CONFIG", "false")], &[("pgrst.db_schemas", "db")], "db-schemas = \"public\"");
    check_db("", &[], &[("pgrst.db_schemas", "pg_catalog")], "err: db-schemas does not allow schema: 'pg_catalog' (from in-database setting pgrst.db_schemas)");
}

#[test]
fn app_settings() {
    check("app.settings.jwt_exp = \"3600\"", "app.settings.jwt_exp = \"3600\"");
    check("app { settings { nested = \"1\" } }", "app.settings.nested = \"1\"");
    check("app.settings.n = 5\napp.settings.b = true", "app.settings.n = \"5\"\napp.settings.b = \"true\"");
    check("app.settings.empty = \"\"", "app.settings.empty = \"\"");
    check_env("", &[("PGRST_APP_SETTINGS_Foo_Bar", "x")], "app.settings.Foo_Bar = \"x\"");
    check_env("app.settings.k = \"file\"", &[("PGRST_APP_SETTINGS_k", "env")], "app.settings.k = \"env\"");
    check("app.settings.l = [1]", "err: expected a string, got a list (in /etc/pgrst/test.conf line 1)");
    let cfg = load_all("app.settings.b = \"2\"\napp.settings.a = \"1\"", &[], &[]).map(|l| l.config.app_settings);
    assert_eq!(cfg, Ok(vec![("app.settings.a".into(), "1".into()), ("app.settings.b".into(), "2".into())]));
}

#[test]
fn at_file_values() {
    check("db-uri = \"@/secrets/uri\"", "db-uri = \"postgres://u@db/app\"");
    check("jwt-secret = \"@/secrets/jwt\"", "jwt-secret = \"a-secret-that-is-long-enough-for-hs256\"");
    check("jwt-secret = \"@/secrets/jwt-crlf\"", "jwt-secret = \"secret-with-crlf\\r\"");
    check("jwt-secret = \"@/secrets/jwt-two\"", "jwt-secret = \"two newlines\\n\"");
    check_env("", &[("PGRST_JWT_SECRET", "@/secrets/jwt")], "jwt-secret = \"a-secret-that-is-long-enough-for-hs256\"");
    check("db-uri = \"@/missing\"", "err: db-uri: cannot read \"/missing\": No such file or directory (in /etc/pgrst/test.conf line 1)");
    check_env("", &[("PGRST_JWT_SECRET", "@/missing")], "err: jwt-secret: cannot read \"/missing\": No such file or directory (from environment variable PGRST_JWT_SECRET)");
    // Other keys take '@' literally.
    check("db-anon-role = \"@/secrets/jwt\"", "db-anon-role = \"@/secrets/jwt\"");
}

#[test]
fn booleans() {
    check("db-plan-enabled = true", "db-plan-enabled = true");
    check("db-plan-enabled = on", "db-plan-enabled = true");
    check("db-channel-enabled = off", "db-channel-enabled = false");
    check("db-plan-enabled = \"TRUE\"", "db-plan-enabled = true");
    check("db-prepared-statements = \"FALSE\"", "db-prepared-statements = false");
    check("jwt-secret-is-base64 = \"\\\"true\\\"\"", "jwt-secret-is-base64 = true");
    check("db-channel-enabled = \"1\"", "db-channel-enabled = true");
    check("db-prepared-statements = \"0\"", "db-prepared-statements = false");
    check("jwt-secret-is-base64 = \"2\"", "jwt-secret-is-base64 = true");
    check("db-plan-enabled = \"-1\"", "db-plan-enabled = false");
    check("db-plan-enabled = 1", "db-plan-enabled = true");
    check("db-channel-enabled = 0", "db-channel-enabled = false");
    check("db-plan-enabled = \"\"", "db-plan-enabled = false");
    check_env("", &[("PGRST_DB_PLAN_ENABLED", "True")], "db-plan-enabled = true");
    check("db-plan-enabled = \"yes\"", "err: db-plan-enabled: expected true or false, got \"yes\" (in /etc/pgrst/test.conf line 1)");
    check("db-plan-enabled = \"on\"", "err: db-plan-enabled: expected true or false, got \"on\" (in /etc/pgrst/test.conf line 1)");
    check("db-plan-enabled = 1.5", "err: db-plan-enabled: expected true or false, got 1.5 (in /etc/pgrst/test.conf line 1)");
    check("db-plan-enabled = [true]", "err: db-plan-enabled: expected true or false, got a list (in /etc/pgrst/test.conf line 1)");
    check_env("", &[("PGRST_SERVER_REUSEPORT", "maybe")], "err: server-reuseport: expected true or false, got \"maybe\" (from environment variable PGRST_SERVER_REUSEPORT)");
}

#[test]
fn integers() {
    check("db-pool = 5", "db-pool = 5");
    check("db-pool = \"5\"", "db-pool = 5");
    check("db-pool = \" 5 \"", "db-pool = 5");
    check("db-pool = 10.0", "db-pool = 10");
    check("db-pool = 1e2", "db-pool = 100");
    check("db-pool = \"abc\"", "err: db-pool: expected a positive integer, got \"abc\" (in /etc/pgrst/test.conf line 1)");
    check("db-pool = 0", "err: db-pool: expected a positive integer, got 0 (in /etc/pgrst/test.conf line 1)");
    check("db-pool = -3", "err: db-pool: expected a positive integer, got -3 (in /etc/pgrst/test.conf line 1)");
    check("db-pool = 1.5", "err: db-pool: expected a positive integer, got 1.5 (in /etc/pgrst/test.conf line 1)");
    check("db-pool = true", "err: db-pool: expected a positive integer, got true (in /etc/pgrst/test.conf line 1)");
    check("db-pool = 4294967296", "err: db-pool: expected a positive integer, got 4294967296 (in /etc/pgrst/test.conf line 1)");
    check("db-pool = 123456789012345678901234567890123456789012345", "err: db-pool: expected a positive integer, got 123456789012345678901234567890123456789012345 (in /etc/pgrst/test.conf line 1)");
    check("db-pool = 1e999999999999999999999", "err: db-pool: expected a positive integer, got 1e999999999999999999999 (in /etc/pgrst/test.conf line 1)");
    check_env("", &[("PGRST_DB_POOL", "abc")], "err: db-pool: expected a positive integer, got \"abc\" (from environment variable PGRST_DB_POOL)");
    check("db-max-rows = 0", "db-max-rows = 0");
    check("db-max-rows = 9223372036854775807", "db-max-rows = 9223372036854775807");
    check("db-max-rows = \"\"", "db-max-rows = \"\"");
    check("db-max-rows = -1", "err: db-max-rows: expected a non-negative integer, got -1 (in /etc/pgrst/test.conf line 1)");
    check("max-rows = \"x\"", "err: max-rows: expected a non-negative integer, got \"x\" (in /etc/pgrst/test.conf line 1)");
    check("jwt-cache-max-entries = 0", "jwt-cache-max-entries = 0");
    check("jwt-cache-max-entries = -1", "err: jwt-cache-max-entries: expected a non-negative integer, got -1 (in /etc/pgrst/test.conf line 1)");
}

#[test]
fn durations_are_seconds() {
    check("db-pool-acquisition-timeout = 0", "db-pool-acquisition-timeout = 0");
    check("db-pool-max-lifetime = 3600", "db-pool-max-lifetime = 3600");
    check("db-pool-max-idletime = \"60\"", "db-pool-max-idletime = 60");
    check("db-pool-acquisition-timeout = \"10s\"", "err: db-pool-acquisition-timeout: expected a whole number of seconds, got \"10s\" (in /etc/pgrst/test.conf line 1)");
    check("db-pool-max-lifetime = -1", "err: db-pool-max-lifetime: expected a whole number of seconds, got -1 (in /etc/pgrst/test.conf line 1)");
    check("db-pool-timeout = 0.5", "err: db-pool-timeout: expected a whole number of seconds, got 0.5 (in /etc/pgrst/test.conf line 1)");
    let cfg = load_all("db-pool-max-idletime = 60", &[], &[]).map(|l| l.config.db_pool_max_idletime);
    assert_eq!(cfg, Ok(std::time::Duration::from_secs(60)));
}

#[test]
fn ports_and_hosts() {
    check("server-port = 0", "server-port = 0");
    check("server-port = 65535", "server-port = 65535");
    check("server-port = 65536", "err: server-port: expected a port number between 0 and 65535, got 65536 (in /etc/pgrst/test.conf line 1)");
    check("admin-server-port = 3001", "admin-server-port = 3001");
    check("admin-server-port = 3000", "err: admin-server-port cannot be the same as server-port (in /etc/pgrst/test.conf line 1)");
    check("server-port = 8000\nadmin-server-port = 8000", "err: admin-server-port cannot be the same as server-port (in /etc/pgrst/test.conf line 2)");
    // Port 0 is "any free port": two different ports in the end.
    check("server-port = 0\nadmin-server-port = 0", "server-port = 0\nadmin-server-port = 0");
    check_env("server-port = 8000", &[("PGRST_ADMIN_SERVER_PORT", "8000")], "err: admin-server-port cannot be the same as server-port (from environment variable PGRST_ADMIN_SERVER_PORT)");
    check("server-host = \"0.0.0.0\"", "server-host = \"0.0.0.0\"\nadmin-server-host = \"0.0.0.0\"");
    check("server-host = \"0.0.0.0\"\nadmin-server-host = \"127.0.0.1\"", "admin-server-host = \"127.0.0.1\"");
    check("server-host = \"*6\"", "server-host = \"*6\"");
}

#[test]
fn socket_modes() {
    check("server-unix-socket-mode = \"600\"", "server-unix-socket-mode = \"600\"");
    check("server-unix-socket-mode = \"777\"", "server-unix-socket-mode = \"777\"");
    check("server-unix-socket-mode = 640", "server-unix-socket-mode = \"640\"");
    check("server-unix-socket-mode = \"0660\"", "server-unix-socket-mode = \"660\"");
    check("admin-server-unix-socket-mode = \"600\"", "admin-server-unix-socket-mode = \"600\"");
    check("server-unix-socket-mode = \"800\"", "err: Invalid server-unix-socket-mode: not an octal (in /etc/pgrst/test.conf line 1)");
    check("server-unix-socket-mode = \"abc\"", "err: Invalid server-unix-socket-mode: not an octal (in /etc/pgrst/test.conf line 1)");
    // Like Haskell's readOct: the leading octal digits count, "599" reads as 5.
    check("server-unix-socket-mode = \"599\"", "err: Invalid server-unix-socket-mode: needs to be between 600 and 777 (in /etc/pgrst/test.conf line 1)");
    check("server-unix-socket-mode = \"1000\"", "err: Invalid server-unix-socket-mode: needs to be between 600 and 777 (in /etc/pgrst/test.conf line 1)");
    check("admin-server-unix-socket-mode = \"577\"", "err: Invalid admin-server-unix-socket-mode: needs to be between 600 and 777 (in /etc/pgrst/test.conf line 1)");
    check("server-unix-socket = \"/tmp/s.sock\"", "server-unix-socket = \"/tmp/s.sock\"");
}

#[test]
fn choices() {
    for level in ["crit", "error", "warn", "info", "debug"] {
        check(&format!("log-level = \"{level}\""), &format!("log-level = \"{level}\""));
    }
    for end in ["commit", "commit-allow-override", "rollback", "rollback-allow-override"] {
        check(&format!("db-tx-end = \"{end}\""), &format!("db-tx-end = \"{end}\""));
    }
    for mode in ["follow-privileges", "ignore-privileges", "disabled"] {
        check(&format!("openapi-mode = \"{mode}\""), &format!("openapi-mode = \"{mode}\""));
    }
    check("client-error-verbosity = \"minimal\"", "client-error-verbosity = \"minimal\"");
    check("log-level = \"verbose\"", "err: log-level: expected one of crit, error, warn, info, debug, got \"verbose\" (in /etc/pgrst/test.conf line 1)");
    check("log-level = \"INFO\"", "err: log-level: expected one of crit, error, warn, info, debug, got \"INFO\" (in /etc/pgrst/test.conf line 1)");
    check("db-tx-end = \"abort\"", "err: db-tx-end: expected one of commit, commit-allow-override, rollback, rollback-allow-override, got \"abort\" (in /etc/pgrst/test.conf line 1)");
    check("openapi-mode = \"off\"", "err: openapi-mode: expected one of follow-privileges, ignore-privileges, disabled, got \"off\" (in /etc/pgrst/test.conf line 1)");
    check("client-error-verbosity = 1", "err: client-error-verbosity: expected one of verbose, minimal, got 1 (in /etc/pgrst/test.conf line 1)");
    check("log-level = \"\"", "log-level = \"error\"");
}

#[test]
fn log_query() {
    check("log-query = true", "log-query = true");
    check("log-query = \"main-query\"", "log-query = false");
    check("log-query = \"disabled\"", "log-query = false");
    warns("log-query = \"main-query\"", &[], &["log-query = \"main-query\" is a pre-v14 value and is read as false; use true or false (in /etc/pgrst/test.conf line 1)"]);
}

#[test]
fn lists() {
    check("db-schemas = \" a , b \"", "db-schemas = \"a,b\"");
    check("db-schemas = \"pg_catalog\"", "err: db-schemas does not allow schema: 'pg_catalog' (in /etc/pgrst/test.conf line 1)");
    check("db-schemas = \"public, information_schema\"", "err: db-schemas does not allow schema: 'information_schema' (in /etc/pgrst/test.conf line 1)");
    check_env("", &[("PGRST_DB_SCHEMAS", "pg_catalog")], "err: db-schemas does not allow schema: 'pg_catalog' (from environment variable PGRST_DB_SCHEMAS)");
    check("db-schemas = \"a,,b\"", "err: db-schemas: empty schema name in \"a,,b\" (in /etc/pgrst/test.conf line 1)");
    check("db-schemas = [\"a\"]", "err: db-schemas: expected a comma separated string, got a list (in /etc/pgrst/test.conf line 1)");
    check("db-extra-search-path = \"public, extensions\"", "db-extra-search-path = \"public,extensions\"");
    // Empty means no extra schemas here, but "use the default" for the hoisted settings (as in PostgREST).
    check("db-extra-search-path = \"\"", "db-extra-search-path = \"\"");
    check("db-hoisted-tx-settings = \"\"", "db-hoisted-tx-settings = \"statement_timeout,plan_filter.statement_cost_limit,default_transaction_isolation\"");
    check("db-hoisted-tx-settings = \"work_mem\"", "db-hoisted-tx-settings = \"work_mem\"");
    check("server-cors-allowed-origins = \"http://a.com, http://b.com\"", "server-cors-allowed-origins = \"http://a.com,http://b.com\"");
    check("server-cors-allowed-origins = \"\"", "server-cors-allowed-origins = \"\"");
    let cors = load_all("server-cors-allowed-origins = \"\"", &[], &[]).map(|l| l.config.server_cors_allowed_origins);
    assert_eq!(cors, Ok(None));
    let cors = load_all("server-cors-allowed-origins = \"a, b\"", &[], &[]).map(|l| l.config.server_cors_allowed_origins);
    assert_eq!(cors, Ok(Some(vec!["a".into(), "b".into()])));
}

#[test]
fn strings() {
    check("db-anon-role = \"web_anon\"", "db-anon-role = \"web_anon\"");
    check("db-anon-role = 5", "db-anon-role = \"5\"");
    check("db-anon-role = [\"x\"]", "err: db-anon-role: expected a string, got a list (in /etc/pgrst/test.conf line 1)");
    check("db-channel = \"\"", "db-channel = \"pgrst\"");
    check("db-uri = \"postgres://$(HOME)\"", "db-uri = \"postgres:///home/u\"");
    check("db-pre-request = \"auth.check\"", "db-pre-request = \"auth.check\"");
    check("server-trace-header = \"X-Request-Id\"", "server-trace-header = \"X-Request-Id\"");
}

#[test]
fn jwt_aud_and_proxy_uri() {
    check("jwt-aud = \"my-api\"", "jwt-aud = \"my-api\"");
    check("jwt-aud = \"https://postgrest.org\"", "jwt-aud = \"https://postgrest.org\"");
    check("jwt-aud = \"urn:example:aud\"", "jwt-aud = \"urn:example:aud\"");
    check("jwt-aud = \"not a uri:x\"", "err: jwt-aud should be a string or a valid URI (in /etc/pgrst/test.conf line 1)");
    check("jwt-aud = \"1http://x\"", "err: jwt-aud should be a string or a valid URI (in /etc/pgrst/test.conf line 1)");
    check("openapi-server-proxy-uri = \"https://example.com:8443/basePath\"", "openapi-server-proxy-uri = \"https://example.com:8443/basePath\"");
    check("openapi-server-proxy-uri = \"HTTP://example.com\"", "openapi-server-proxy-uri = \"HTTP://example.com\"");
    check("openapi-server-proxy-uri = \"http://[::1]:3000/api\"", "openapi-server-proxy-uri = \"http://[::1]:3000/api\"");
    let bad = "err: openapi-server-proxy-uri: Malformed proxy uri, a correct example: https://example.com:8443/basePath (in /etc/pgrst/test.conf line 1)";
    for uri in ["ftp://example.com", "example.com", "http://user@example.com", "http://example.com?q=1", "http://example.com:0", "http://example.com:65536", "http://:80/x", "http://exa mple.com", "http://example.com#frag", "http://example.com:"] {
        check(&format!("openapi-server-proxy-uri = \"{uri}\""), bad);
    }
}

#[test]
fn ignored_keys_are_warned_about() {
    warns("db-schemas = \"public\"", &[], &[]);
    warns("raw-media-types = \"x\"", &[], &["raw-media-types is ignored: removed in v12; use media type handlers (domain-typed functions) instead (in /etc/pgrst/test.conf line 1)"]);
    warns("jwt-cache-max-lifetime = 3600", &[], &["jwt-cache-max-lifetime is ignored: replaced in v14 by jwt-cache-max-entries (in /etc/pgrst/test.conf line 1)"]);
    warns("db-use-legacy-gucs = false\n", &[], &["db-use-legacy-gucs is ignored: removed in v12; request GUCs are always JSON (request.headers, request.jwt.claims, ...) (in /etc/pgrst/test.conf line 1)"]);
    warns("\ndb-scheme = \"typo\"", &[], &["db-scheme is not a PostgREST setting and is ignored (in /etc/pgrst/test.conf line 2)"]);
    warns("internal-schema-cache-sleep = 10", &[], &[]);
    warns("", &[("PGRST_DB_SCHEME", "x"), ("PGRST_DB_SCHEMA", "alias"), ("PGRST_APP_SETTINGS_X", "y")], &["environment variable PGRST_DB_SCHEME is not a PostgREST setting and is ignored"]);
    warns("", &[("PGRST_ADMIN_SERVER_CONFIG_ENABLED", "true")], &["PGRST_ADMIN_SERVER_CONFIG_ENABLED (admin-server-config-enabled) is ignored: removed in v13 together with the admin /config endpoint"]);
    // Ignored keys never fail the load, whatever their value.
    check("db-timezone-enabled = [\"anything\"]\nserver-proxy-uri = 5", "db-schemas = \"public\"");
}

#[test]
fn syntax_errors_surface_with_position() {
    check("db-pool = 5\ndb-schemas = \"open", "err: /etc/pgrst/test.conf:2:14: unterminated string: missing the closing '\"'");
}

#[test]
fn raw_stage_keeps_origins() {
    let env = env(&[("PGRST_DB_POOL", "3")]);
    let file = "db-schema = \"a\"\nmax-rows = 4";
    let sources = Sources { file: Some(("/x.conf", file)), env: &env, db: &[] };
    let raw = RawConfig::read(&sources, &read_file);
    let raw = match raw {
        Ok(raw) => raw,
        Err(e) => panic!("{e}"),
    };
    let origin = |name: &str| raw.get(name).map(|s| (s.name, s.origin));
    assert_eq!(origin("db-schemas"), Some(("db-schema".into(), Origin::File { path: "/x.conf".into(), line: 1 })));
    assert_eq!(origin("max-rows"), Some(("max-rows".into(), Origin::File { path: "/x.conf".into(), line: 2 })));
    assert_eq!(origin("db-pool"), Some(("db-pool".into(), Origin::Env { var: "PGRST_DB_POOL".into() })));
    assert_eq!(origin("db-anon-role"), None);
    assert_eq!(origin("not-a-key"), None);
}

#[test]
fn errors_are_typed() {
    let e = load_all("db-pool = \"x\"", &[], &[]);
    assert!(matches!(e, Err(ConfigError::Invalid { ref key, .. }) if key == "db-pool"), "{e:?}");
    let e = load_all("db-pool = ", &[], &[]);
    assert!(matches!(e, Err(ConfigError::Syntax { line: 1, column: 11, .. })), "{e:?}");
    let e = load_all("jwt-secret = \"@/nope\"", &[], &[]);
    assert!(matches!(e, Err(ConfigError::ReadFile { ref path, .. }) if path == "/nope"), "{e:?}");
}
