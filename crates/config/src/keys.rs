//! The one table of PostgREST's configuration keys: names, aliases, env names, defaults, flags and docs.

use crate::app::{ErrorVerbosity, LogFormat, LogLevel, OpenApiMode, TxEnd};

/// What a key's value looks like; drives quoting in generated files and the help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    /// A whole number (counts, row limits).
    Int,
    /// A whole number of seconds.
    Seconds,
    /// A TCP port, 0 to 65535.
    Port,
    /// Comma separated, items trimmed.
    List,
    /// One of a fixed set of spellings.
    Enum(&'static [&'static str]),
    /// Octal file mode between 600 and 777, written as a string (`"660"`).
    FileMode,
}

impl Kind {
    /// Whether values of this kind are written unquoted in config files (as PostgREST's dump does).
    pub fn is_bare(self) -> bool {
        matches!(self, Kind::Bool | Kind::Int | Kind::Seconds | Kind::Port)
    }
}

/// One configuration parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// Canonical name, as in config files: `db-schemas`.
    pub name: &'static str,
    /// Older names still read when the canonical one is absent: `db-schema`.
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    /// The default as text (what an env var would hold); `None` means unset.
    pub default: Option<&'static str>,
    /// Takes effect on a config reload (SIGUSR2 / `NOTIFY pgrst, 'reload config'`).
    pub reloadable: bool,
    /// Can be set in the database as `pgrst.<name with _>`.
    pub in_db: bool,
    /// One line of documentation.
    pub doc: &'static str,
    /// A sample value for `example()` when there is no default.
    pub example: Option<&'static str>,
}

impl Key {
    /// Environment variable for this key: `PGRST_DB_SCHEMAS`.
    pub fn env_name(&self) -> String {
        env_name(self.name)
    }

    /// Environment variables of the aliases: `PGRST_DB_SCHEMA`.
    pub fn alias_env_names(&self) -> Vec<String> {
        self.aliases.iter().map(|a| env_name(a)).collect()
    }

    /// In-database setting name, `pgrst.db_schemas`, if the key may be set there.
    pub fn in_db_name(&self) -> Option<String> {
        self.in_db
            .then(|| format!("pgrst.{}", self.name.replace('-', "_")))
    }
}

/// PostgREST's rule for every key, aliases included: `PGRST_` + upper case, `-` becomes `_`.
pub fn env_name(name: &str) -> String {
    format!("PGRST_{}", name.replace('-', "_").to_uppercase())
}

/// File keys starting with this go to `app_settings`.
pub const APP_SETTINGS_PREFIX: &str = "app.settings.";
/// Env vars starting with this become `app.settings.<rest>` (rest kept as written, as PostgREST does).
pub const APP_SETTINGS_ENV_PREFIX: &str = "PGRST_APP_SETTINGS_";

/// Keys older PostgREST versions read; PostgREST v16 silently ignores them, restgres warns.
pub const REMOVED: &[(&str, &str)] = &[
    (
        "admin-server-config-enabled",
        "removed in v13 together with the admin /config endpoint",
    ),
    (
        "db-timezone-enabled",
        "removed in v16; time zones are no longer cached",
    ),
    (
        "db-use-legacy-gucs",
        "removed in v12; request GUCs are always JSON (request.headers, request.jwt.claims, ...)",
    ),
    (
        "jwt-cache-max-lifetime",
        "replaced in v14 by jwt-cache-max-entries",
    ),
    (
        "raw-media-types",
        "removed in v12; use media type handlers (domain-typed functions) instead",
    ),
    ("server-proxy-uri", "renamed to openapi-server-proxy-uri"),
];

const LOG_LEVELS: &[&str] = LogLevel::NAMES;
const LOG_FORMATS: &[&str] = LogFormat::NAMES;
const TX_ENDS: &[&str] = TxEnd::NAMES;
const OPENAPI_MODES: &[&str] = OpenApiMode::NAMES;
const VERBOSITIES: &[&str] = ErrorVerbosity::NAMES;

/// Shorthand so each table row fits on a few lines.
#[allow(clippy::too_many_arguments)]
const fn key(
    name: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
    default: Option<&'static str>,
    reloadable: bool,
    in_db: bool,
    doc: &'static str,
    example: Option<&'static str>,
) -> Key {
    Key {
        name,
        aliases,
        kind,
        default,
        reloadable,
        in_db,
        doc,
        example,
    }
}

const Y: bool = true;
const N: bool = false;

/// Every PostgREST v16 parameter except the `app.settings.*` family, sorted by name.
#[rustfmt::skip]
pub const KEYS: &[Key] = &[
    key("admin-server-host", &[], Kind::Str, None, N, N,
        "Host the admin server listens on; defaults to server-host.", Some("!4")),
    key("admin-server-port", &[], Kind::Port, None, N, N,
        "Port of the admin server (/live, /ready, /metrics, /schema_cache); must differ from server-port.", Some("3001")),
    key("admin-server-unix-socket", &[], Kind::Str, None, N, N,
        "Unix socket the admin server listens on, instead of a port.", Some("/tmp/pgrst-admin.sock")),
    key("admin-server-unix-socket-mode", &[], Kind::FileMode, Some("660"), N, N,
        "File mode of the admin server's Unix socket (octal, 600 to 777).", None),
    key("client-error-verbosity", &[], Kind::Enum(VERBOSITIES), Some("verbose"), Y, Y,
        "Error detail sent to clients: minimal leaves out details and hint.", None),
    key("db-aggregates-enabled", &[], Kind::Bool, Some("false"), Y, Y,
        "Allow aggregate functions (count, sum, avg, min, max) in select.", None),
    key("db-anon-role", &[], Kind::Str, None, Y, Y,
        "Role for requests without a JWT; when unset such requests are refused.", Some("anon")),
    key("db-channel", &[], Kind::Str, Some("pgrst"), Y, N,
        "Channel listened on for 'reload schema' and 'reload config' notifications.", None),
    key("db-channel-enabled", &[], Kind::Bool, Some("true"), Y, N,
        "Listen for reload notifications on db-channel.", None),
    key("db-config", &[], Kind::Bool, Some("true"), Y, N,
        "Read configuration from the database (pgrst.* role settings and db-pre-config).", None),
    key("db-extra-search-path", &[], Kind::List, Some("public"), Y, Y,
        "Schemas added to the search_path of every request (comma separated).", None),
    key("db-hoisted-tx-settings", &[], Kind::List,
        Some("statement_timeout,plan_filter.statement_cost_limit,default_transaction_isolation"), Y, Y,
        "Function settings applied as transaction settings when the function is called (comma separated).", None),
    key("db-max-rows", &["max-rows"], Kind::Int, None, Y, Y,
        "Most rows a read returns; unlimited when unset.", Some("1000")),
    key("db-plan-enabled", &[], Kind::Bool, Some("false"), Y, Y,
        "Allow EXPLAIN plans through 'Accept: application/vnd.pgrst.plan'.", None),
    key("db-pool", &[], Kind::Int, Some("10"), N, N,
        "Most connections in the pool.", None),
    key("db-pool-acquisition-timeout", &[], Kind::Seconds, Some("10"), N, N,
        "Seconds to wait for a pool connection before answering 504.", None),
    key("db-pool-automatic-recovery", &[], Kind::Bool, Some("true"), Y, N,
        "Reconnect with backoff when the database goes away.", None),
    key("db-pool-max-idletime", &["db-pool-timeout"], Kind::Seconds, Some("30"), N, N,
        "Seconds after which an idle pool connection is closed.", None),
    key("db-pool-max-lifetime", &[], Kind::Seconds, Some("1800"), N, N,
        "Seconds after which a pool connection is replaced (once idle).", None),
    key("db-pre-config", &[], Kind::Str, None, Y, Y,
        "Function that sets pgrst.* settings (set_config) before the in-database configuration is read.",
        Some("postgrest.pre_config")),
    key("db-pre-request", &["pre-request"], Kind::Str, None, Y, Y,
        "Function called in every request's transaction, after authentication.", Some("stored_proc_name")),
    key("db-prepared-statements", &[], Kind::Bool, Some("true"), Y, Y,
        "Use prepared statements; turn off behind a transaction-mode pooler.", None),
    key("db-root-spec", &["root-spec"], Kind::Str, None, Y, Y,
        "Function whose result is served at the root path instead of the OpenAPI document.", Some("root")),
    key("db-schemas", &["db-schema"], Kind::List, Some("public"), Y, Y,
        "Schemas exposed to clients (comma separated); the first one is the default.", None),
    key("db-tx-end", &[], Kind::Enum(TX_ENDS), Some("commit"), N, Y,
        "How transactions end; the -allow-override forms obey 'Prefer: tx=commit|rollback'.", None),
    key("db-uri", &[], Kind::Str, Some("postgresql://"), N, N,
        "libpq connection string (URI or key=value); '@path' reads it from a file.", None),
    key("jwt-aud", &[], Kind::Str, None, Y, Y,
        "Audience (aud claim) a JWT must be for; any audience when unset.", Some("your_audience_claim")),
    key("jwt-cache-max-entries", &[], Kind::Int, Some("1000"), Y, Y,
        "Most validated JWTs kept in the cache; 0 turns the cache off.", None),
    key("jwt-role-claim-key", &["role-claim-key"], Kind::Str, Some("$.role"), Y, Y,
        "JSON path to the role in the JWT claims.", None),
    key("jwt-secret", &[], Kind::Str, None, Y, Y,
        "Secret, JWK or JWKS that JWTs are verified with; '@path' reads it from a file.",
        Some("secret_with_at_least_32_characters")),
    key("jwt-secret-is-base64", &["secret-is-base64"], Kind::Bool, Some("false"), Y, Y,
        "jwt-secret is base64 (or base64url) encoded.", None),
    key("log-format", &[], Kind::Enum(LOG_FORMATS), Some("text"), N, N,
        "restgres: log lines as text (as PostgREST) or as JSON objects.", None),
    key("log-level", &[], Kind::Enum(LOG_LEVELS), Some("error"), Y, N,
        "Least severe events logged.", None),
    key("log-query", &[], Kind::Bool, Some("false"), Y, N,
        "Log the SQL of each request at the current log-level.", None),
    key("openapi-mode", &[], Kind::Enum(OPENAPI_MODES), Some("follow-privileges"), Y, Y,
        "Whether the OpenAPI document follows the role's privileges, ignores them, or is off.", None),
    key("openapi-security-active", &[], Kind::Bool, Some("false"), Y, Y,
        "Describe JWT bearer security in the OpenAPI document.", None),
    key("openapi-server-proxy-uri", &[], Kind::Str, None, N, Y,
        "Public base URL for the OpenAPI document when behind a proxy.", Some("https://example.com/api")),
    key("server-cors-allowed-origins", &[], Kind::List, None, N, Y,
        "Origins allowed by CORS (comma separated); every origin when unset.", Some("https://example.com")),
    key("server-host", &[], Kind::Str, Some("!4"), N, N,
        "Address to listen on; *, *4, !4, *6 and !6 are special (any/IPv4/IPv6, ! = only).", None),
    key("server-port", &[], Kind::Port, Some("3000"), N, N,
        "Port to listen on; 0 picks a free port.", None),
    key("server-reuseport", &[], Kind::Bool, Some("false"), N, N,
        "Set SO_REUSEPORT so several processes can share server-port.", None),
    key("server-threads", &[], Kind::Int, Some("0"), N, N,
        "restgres: threads serving requests; 0 is one per CPU core. Fewer use less CPU per request on a host shared with PostgreSQL.",
        None),
    key("server-timing-enabled", &[], Kind::Bool, Some("false"), Y, Y,
        "Send a Server-Timing header with the duration of each stage.", None),
    key("server-trace-header", &[], Kind::Str, None, Y, Y,
        "Request header copied to the response, for tracing.", Some("X-Request-Id")),
    key("server-unix-socket", &[], Kind::Str, None, N, N,
        "Unix socket to listen on; takes precedence over server-port.", Some("/tmp/pgrst.sock")),
    key("server-unix-socket-mode", &[], Kind::FileMode, Some("660"), N, N,
        "File mode of the Unix socket (octal, 600 to 777).", None),
    key("url-use-legacy-target-names", &[], Kind::Bool, Some("true"), Y, Y,
        "Let filters, orders and limits name an aliased embed by its table (deprecated).", None),
];

/// Documentation of the `app.settings.*` family, for `example()` and the help text.
pub const APP_SETTINGS_DOC: &str =
    "Any app.settings.<name> is set for every request; read it in SQL with current_setting('app.settings.<name>').";

/// The table entry for a canonical name or an alias.
pub fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name || k.aliases.contains(&name))
}

/// What a removed key was replaced by, if `name` is one.
pub fn removed(name: &str) -> Option<&'static str> {
    REMOVED.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}
