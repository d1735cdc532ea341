//! Text generated from the key table: `--example`, `--dump-config` and the `--help` list of keys.

use crate::app::AppConfig;
use crate::keys::{Key, Kind, APP_SETTINGS_DOC, KEYS};

/// A string in config syntax. Besides `"` (all PostgREST quotes), `\`, `$` and control characters are
/// escaped so that whatever is dumped reads back unchanged.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("$$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value of `key` as it is written in a file: numbers and booleans bare, the rest quoted.
fn render(key: &Key, text: &str) -> String {
    if key.kind.is_bare() {
        text.to_owned()
    } else {
        quote(text)
    }
}

/// A commented sample config file, like `postgrest --example`: defaults active, other keys commented out.
pub fn example() -> String {
    let mut out = String::from(
        "## PostgREST configuration (restgres reads the same file).\n\
         ## Every key can also be set with its environment variable, e.g. db-uri with PGRST_DB_URI.\n\
         ## In strings, $(NAME) is replaced by an environment variable; write $$ for a literal $.\n",
    );
    for key in KEYS {
        out.push('\n');
        out.push_str(&format!("## {}\n", key.doc));
        if let Kind::Enum(names) = key.kind {
            out.push_str(&format!("## One of: {}.\n", names.join(", ")));
        }
        match (key.default, key.example) {
            (Some(default), _) => out.push_str(&format!("{} = {}\n", key.name, render(key, default))),
            (None, Some(sample)) => out.push_str(&format!("# {} = {}\n", key.name, render(key, sample))),
            (None, None) => out.push_str(&format!("# {} = \"\"\n", key.name)),
        }
    }
    out.push_str(&format!(
        "\n## {APP_SETTINGS_DOC}\n# app.settings.jwt_exp = \"3600\"\n"
    ));
    out
}

/// Every key with its effective value, like `postgrest --dump-config` (v16 sorts the lines). Unset optional
/// values are written `""`, which reads back as unset.
pub fn dump(config: &AppConfig) -> String {
    let mut lines: Vec<String> = KEYS
        .iter()
        // restgres's own keys appear only when set, so that the dump stays PostgREST's.
        .filter(|key| !(key.name == "log-format" && config.log_format == crate::app::LogFormat::Text))
        .filter(|key| !(key.name == "server-threads" && config.server_threads == 0))
        .map(|key| format!("{} = {}", key.name, dump_value(config, key)))
        .chain(
            config
                .app_settings
                .iter()
                .map(|(k, v)| format!("{k} = {}", quote(v))),
        )
        .collect();
    lines.sort();
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn dump_value(c: &AppConfig, key: &Key) -> String {
    let q = |s: &str| quote(s);
    let opt = |s: &Option<String>| quote(s.as_deref().unwrap_or(""));
    let list = |l: &[String]| quote(&l.join(","));
    let mode = |m: u32| quote(&format!("{m:o}"));
    match key.name {
        "admin-server-host" => q(c.admin_server_host.as_deref().unwrap_or(&c.server_host)),
        "admin-server-port" => c.admin_server_port.map_or_else(|| q(""), |p| p.to_string()),
        "admin-server-unix-socket" => opt(&c.admin_server_unix_socket),
        "admin-server-unix-socket-mode" => mode(c.admin_server_unix_socket_mode),
        "client-error-verbosity" => q(c.client_error_verbosity.as_str()),
        "db-aggregates-enabled" => c.db_aggregates_enabled.to_string(),
        "db-anon-role" => opt(&c.db_anon_role),
        "db-channel" => q(&c.db_channel),
        "db-channel-enabled" => c.db_channel_enabled.to_string(),
        "db-config" => c.db_config.to_string(),
        "db-extra-search-path" => list(&c.db_extra_search_path),
        "db-hoisted-tx-settings" => list(&c.db_hoisted_tx_settings),
        "db-max-rows" => c.db_max_rows.map_or_else(|| q(""), |n| n.to_string()),
        "db-plan-enabled" => c.db_plan_enabled.to_string(),
        "db-pool" => c.db_pool.to_string(),
        "db-pool-acquisition-timeout" => c.db_pool_acquisition_timeout.as_secs().to_string(),
        "db-pool-automatic-recovery" => c.db_pool_automatic_recovery.to_string(),
        "db-pool-max-idletime" => c.db_pool_max_idletime.as_secs().to_string(),
        "db-pool-max-lifetime" => c.db_pool_max_lifetime.as_secs().to_string(),
        "db-pre-config" => opt(&c.db_pre_config),
        "db-pre-request" => opt(&c.db_pre_request),
        "db-prepared-statements" => c.db_prepared_statements.to_string(),
        "db-root-spec" => opt(&c.db_root_spec),
        "db-schemas" => list(&c.db_schemas),
        "db-tx-end" => q(c.db_tx_end.as_str()),
        "db-uri" => q(&c.db_uri),
        "jwt-aud" => opt(&c.jwt_aud),
        "jwt-cache-max-entries" => c.jwt_cache_max_entries.to_string(),
        "jwt-role-claim-key" => q(&c.jwt_role_claim_key),
        "jwt-secret" => opt(&c.jwt_secret),
        "jwt-secret-is-base64" => c.jwt_secret_is_base64.to_string(),
        "log-level" => q(c.log_level.as_str()),
        "log-format" => q(c.log_format.as_str()),
        "log-query" => c.log_query.to_string(),
        "openapi-mode" => q(c.openapi_mode.as_str()),
        "openapi-security-active" => c.openapi_security_active.to_string(),
        "openapi-server-proxy-uri" => opt(&c.openapi_server_proxy_uri),
        "server-cors-allowed-origins" => {
            quote(&c.server_cors_allowed_origins.as_deref().unwrap_or(&[]).join(","))
        }
        "server-host" => q(&c.server_host),
        "server-port" => c.server_port.to_string(),
        "server-threads" => c.server_threads.to_string(),
        "server-reuseport" => c.server_reuseport.to_string(),
        "server-timing-enabled" => c.server_timing_enabled.to_string(),
        "server-trace-header" => opt(&c.server_trace_header),
        "server-unix-socket" => opt(&c.server_unix_socket),
        "server-unix-socket-mode" => mode(c.server_unix_socket_mode),
        "url-use-legacy-target-names" => c.url_use_legacy_target_names.to_string(),
        // Unreachable while the table and this match agree; a test compares them.
        _ => q(""),
    }
}

/// The list of keys for `--help`: name, aliases, env var, default, flags and the doc line.
pub fn help_table() -> String {
    let mut out = String::new();
    for key in KEYS {
        out.push_str(&format!("  {}", key.name));
        if !key.aliases.is_empty() {
            out.push_str(&format!(" (alias: {})", key.aliases.join(", ")));
        }
        out.push('\n');
        let default = key.default.map_or_else(|| "unset".to_owned(), |d| render(key, d));
        let mut flags = vec![key.env_name(), format!("default {default}")];
        if key.reloadable {
            flags.push("reloadable".into());
        }
        if let Some(db) = key.in_db_name() {
            flags.push(format!("in-database {db}"));
        }
        out.push_str(&format!("      {}\n      {}\n", key.doc, flags.join(", ")));
    }
    out.push_str(&format!(
        "  app.settings.*\n      {APP_SETTINGS_DOC}\n      PGRST_APP_SETTINGS_*, reloadable\n"
    ));
    out
}
