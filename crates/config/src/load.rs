//! Loading in two stages: raw settings with their origin (file < env < database), then validation into `AppConfig`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::app::{AppConfig, ErrorVerbosity, LogFormat, LogLevel, OpenApiMode, TxEnd};
use crate::error::{ConfigError, Origin};
use crate::keys::{self, Key, Kind, APP_SETTINGS_ENV_PREFIX, APP_SETTINGS_PREFIX};
use crate::number::{self, NotInteger};
use crate::syntax::{self, Value};

/// Reads a file for `@path` values and `import`: contents, or a reason it could not be read.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Everything configuration is read from; the caller gathers it (this crate does no I/O).
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// `(path for messages and imports, contents)` of the config file, if one was given.
    pub file: Option<(&'a str, &'a str)>,
    /// The process environment: `PGRST_*` settings, and any variable for `$(VAR)` in the file.
    pub env: &'a BTreeMap<String, String>,
    /// In-database settings (`pgrst.db_schemas` or `db_schemas`), first of a name wins; ignored when
    /// `db-config` is false.
    pub db: &'a [(String, String)],
}

/// A validated configuration and what was noticed on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: AppConfig,
    /// Settings that were ignored (unknown or removed keys, legacy values); PostgREST ignores them silently.
    pub warnings: Vec<String>,
}

/// A raw value of one key and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSetting {
    /// The name it was found under (an alias if the canonical name was absent).
    pub name: String,
    pub value: Value,
    pub origin: Origin,
}

/// Loads file and environment into a validated `AppConfig`; environment variables override the file.
pub fn load(
    file: Option<(&str, &str)>,
    env: &BTreeMap<String, String>,
    read_file: ReadFile<'_>,
) -> Result<AppConfig, ConfigError> {
    load_sources(&Sources { file, env, db: &[] }, read_file).map(|l| l.config)
}

/// Loads all sources (in-database settings override env, which overrides the file), keeping warnings.
pub fn load_sources(sources: &Sources<'_>, read_file: ReadFile<'_>) -> Result<Loaded, ConfigError> {
    let raw = RawConfig::read(sources, read_file)?;
    let config = raw.validate(read_file)?;
    Ok(Loaded {
        config,
        warnings: raw.warnings,
    })
}

/// First stage: every source's key/values, before any type is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawConfig {
    /// Last binding of each file key.
    file: BTreeMap<String, RawSetting>,
    /// `PGRST_*` environment variables.
    env: BTreeMap<String, String>,
    /// In-database settings by underscore name (`db_schemas`).
    db: BTreeMap<String, String>,
    warnings: Vec<String>,
}

impl RawConfig {
    /// Parses the file (imports read through `read_file`) and collects the `PGRST_*` variables.
    pub fn read(sources: &Sources<'_>, read_file: ReadFile<'_>) -> Result<RawConfig, ConfigError> {
        let mut file = BTreeMap::new();
        if let Some((path, contents)) = sources.file {
            for b in syntax::evaluate(path, contents, sources.env, read_file)? {
                let origin = Origin::File {
                    path: b.path,
                    line: b.pos.line,
                };
                file.insert(
                    b.key.clone(),
                    RawSetting {
                        name: b.key,
                        value: b.value,
                        origin,
                    },
                );
            }
        }
        let env: BTreeMap<String, String> = sources
            .env
            .iter()
            .filter(|(k, _)| k.starts_with("PGRST_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut db = BTreeMap::new();
        for (name, value) in sources.db {
            let name = name.strip_prefix("pgrst.").unwrap_or(name);
            db.entry(name.to_owned()).or_insert_with(|| value.clone());
        }
        let mut raw = RawConfig {
            file,
            env,
            db,
            warnings: Vec::new(),
        };
        raw.warnings = raw.collect_warnings();
        Ok(raw)
    }

    /// Ignored settings, in a stable order.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn collect_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, setting) in &self.file {
            if let Some(why) = keys::removed(name) {
                out.push(format!("{name} is ignored: {why}{}", setting.origin.suffix()));
            } else if keys::find(name).is_none()
                && !name.starts_with(APP_SETTINGS_PREFIX)
                && !is_internal(name)
            {
                out.push(format!(
                    "{name} is not a PostgREST setting and is ignored{}",
                    setting.origin.suffix()
                ));
            }
        }
        for var in self.env.keys() {
            if var.starts_with(APP_SETTINGS_ENV_PREFIX) {
                continue;
            }
            if let Some((name, why)) = keys::REMOVED.iter().find(|(n, _)| keys::env_name(n) == *var) {
                out.push(format!("{var} ({name}) is ignored: {why}"));
            } else if !keys::KEYS
                .iter()
                .any(|k| k.env_name() == *var || k.alias_env_names().contains(var))
                && !var.starts_with("PGRST_INTERNAL_")
            {
                out.push(format!(
                    "environment variable {var} is not a PostgREST setting and is ignored"
                ));
            }
        }
        if let Some(s) = self.lookup(find_key("log-query"), "log-query", false) {
            if let Value::String(text) = &s.value {
                if text == "main-query" || text == "disabled" {
                    out.push(format!(
                        "log-query = \"{text}\" is a pre-v14 value and is read as false; use true or false{}",
                        s.origin.suffix()
                    ));
                }
            }
        }
        out
    }

    /// The value of `key` under exactly `name` (the key's name or one alias): database, then env, then file.
    /// An empty string counts as absent (PostgREST's rule), except for keys where empty means "none".
    fn lookup(&self, key: &Key, name: &str, db_allowed: bool) -> Option<RawSetting> {
        let found = if let Some(v) = self
            .db
            .get(&name.replace('-', "_"))
            .filter(|_| db_allowed && key.in_db && name == key.name)
        {
            let origin = Origin::Database {
                name: format!("pgrst.{}", name.replace('-', "_")),
            };
            RawSetting {
                name: name.to_owned(),
                value: Value::String(v.clone()),
                origin,
            }
        } else if let Some((var, v)) = self.env.get_key_value(&keys::env_name(name)) {
            RawSetting {
                name: name.to_owned(),
                value: Value::String(v.clone()),
                origin: Origin::Env { var: var.clone() },
            }
        } else {
            self.file.get(name)?.clone()
        };
        let emptyable = key.name == "db-extra-search-path";
        match &found.value {
            Value::String(s) if s.is_empty() && !emptyable => None,
            _ => Some(found),
        }
    }

    /// The raw setting of a key (canonical name or alias), before defaults: name first, then aliases.
    pub fn get(&self, name: &str) -> Option<RawSetting> {
        let key = keys::find(name)?;
        self.resolve(key, self.db_enabled())
    }

    fn resolve(&self, key: &Key, db_allowed: bool) -> Option<RawSetting> {
        // PostgREST reads db-pool-timeout before db-pool-max-idletime, so the old name wins when both are set.
        let alias_first = key.name == "db-pool-max-idletime";
        let mut names: Vec<&str> = vec![key.name];
        if alias_first {
            names.splice(0..0, key.aliases.iter().copied());
        } else {
            names.extend(key.aliases.iter().copied());
        }
        names.into_iter().find_map(|n| self.lookup(key, n, db_allowed))
    }

    /// `db-config` decides whether in-database settings count; it cannot itself be set in the database.
    fn db_enabled(&self) -> bool {
        if self.db.is_empty() {
            return false;
        }
        let key = find_key("db-config");
        match self.resolve(key, false) {
            Some(s) => coerce_bool(&s.value).unwrap_or(true),
            None => true,
        }
    }

    /// `app.settings.*` from the file, overridden by `PGRST_APP_SETTINGS_*`, sorted by name.
    fn app_settings(&self) -> Result<Vec<(String, String)>, ConfigError> {
        let mut out = BTreeMap::new();
        for (name, s) in self
            .file
            .iter()
            .filter(|(n, _)| n.starts_with(APP_SETTINGS_PREFIX))
        {
            let text = as_text(&s.value)
                .ok_or_else(|| invalid(name, "expected a string, got a list".into(), &s.origin))?;
            out.insert(name.clone(), text);
        }
        for (var, value) in &self.env {
            if let Some(rest) = var
                .strip_prefix(APP_SETTINGS_ENV_PREFIX)
                .filter(|r| !r.is_empty())
            {
                out.insert(format!("{APP_SETTINGS_PREFIX}{rest}"), value.clone());
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Second stage: types, ranges and cross-checks; `@file` values of db-uri and jwt-secret are read.
    pub fn validate(&self, read_file: ReadFile<'_>) -> Result<AppConfig, ConfigError> {
        let v = Validator {
            raw: self,
            db: self.db_enabled(),
        };
        let server_host = v.string("server-host")?.unwrap_or_default();
        let server_port = v.port("server-port")?.unwrap_or(3000);
        let admin_server_port = v.port("admin-server-port")?;
        if let (Some(port), Some(s)) = (admin_server_port, v.setting("admin-server-port")) {
            // Port 0 means "any free port" for both: two different ports, never a clash.
            if port == server_port && port != 0 {
                return Err(invalid(
                    "admin-server-port",
                    "admin-server-port cannot be the same as server-port".into(),
                    &s.origin,
                ));
            }
        }
        let config = AppConfig {
            admin_server_host: Some(
                v.string("admin-server-host")?
                    .unwrap_or_else(|| server_host.clone()),
            ),
            admin_server_port,
            admin_server_unix_socket: v.string("admin-server-unix-socket")?,
            admin_server_unix_socket_mode: v.file_mode("admin-server-unix-socket-mode")?,
            app_settings: self.app_settings()?,
            client_error_verbosity: v.choice("client-error-verbosity", ErrorVerbosity::parse)?,
            db_aggregates_enabled: v.bool("db-aggregates-enabled")?,
            db_anon_role: v.string("db-anon-role")?,
            db_channel: v.string("db-channel")?.unwrap_or_default(),
            db_channel_enabled: v.bool("db-channel-enabled")?,
            db_config: v.bool("db-config")?,
            db_pre_config: v.string("db-pre-config")?,
            db_extra_search_path: v.list("db-extra-search-path")?.unwrap_or_default(),
            db_hoisted_tx_settings: v.list("db-hoisted-tx-settings")?.unwrap_or_default(),
            db_max_rows: v
                .int("db-max-rows", 0, i64::MAX.into(), "a non-negative integer")?
                .map(clamp_i64),
            db_plan_enabled: v.bool("db-plan-enabled")?,
            server_threads: v
                .int("server-threads", 0, 1024, "an integer from 0 to 1024")?
                .map(clamp_u32)
                .unwrap_or(0),
            db_pool: v
                .int("db-pool", 1, u32::MAX.into(), "a positive integer")?
                .map(clamp_u32)
                .unwrap_or(10),
            db_pool_acquisition_timeout: v.seconds("db-pool-acquisition-timeout")?,
            db_pool_max_idletime: v.seconds("db-pool-max-idletime")?,
            db_pool_max_lifetime: v.seconds("db-pool-max-lifetime")?,
            db_pool_automatic_recovery: v.bool("db-pool-automatic-recovery")?,
            db_pre_request: v.string("db-pre-request")?,
            db_prepared_statements: v.bool("db-prepared-statements")?,
            db_root_spec: v.string("db-root-spec")?,
            db_schemas: v.schemas()?,
            db_tx_end: v.choice("db-tx-end", TxEnd::parse)?,
            db_uri: v.db_uri(read_file)?,
            jwt_aud: v.jwt_aud()?,
            jwt_role_claim_key: v.string("jwt-role-claim-key")?.unwrap_or_default(),
            jwt_secret: v.jwt_secret(read_file)?,
            jwt_secret_is_base64: v.bool("jwt-secret-is-base64")?,
            jwt_cache_max_entries: v
                .int(
                    "jwt-cache-max-entries",
                    0,
                    u32::MAX.into(),
                    "a non-negative integer",
                )?
                .map(clamp_u32)
                .unwrap_or(1000),
            log_level: v.choice("log-level", LogLevel::parse)?,
            log_format: v.choice("log-format", LogFormat::parse)?,
            log_query: v.log_query()?,
            openapi_mode: v.choice("openapi-mode", OpenApiMode::parse)?,
            openapi_security_active: v.bool("openapi-security-active")?,
            openapi_server_proxy_uri: v.proxy_uri()?,
            server_cors_allowed_origins: v.list("server-cors-allowed-origins")?.filter(|l| !l.is_empty()),
            server_host,
            server_port,
            server_reuseport: v.bool("server-reuseport")?,
            server_trace_header: v.string("server-trace-header")?,
            server_timing_enabled: v.bool("server-timing-enabled")?,
            server_unix_socket: v.string("server-unix-socket")?,
            server_unix_socket_mode: v.file_mode("server-unix-socket-mode")?,
            url_use_legacy_target_names: v.bool("url-use-legacy-target-names")?,
        };
        Ok(config)
    }
}

/// Test-only hooks of PostgREST (`internal-schema-cache-sleep` and friends): ignored without a warning.
fn is_internal(name: &str) -> bool {
    name.starts_with("internal-")
}

/// The table entry for a name this module uses; a missing one is a bug caught by every load test.
fn find_key(name: &str) -> &'static Key {
    static FALLBACK: Key = Key {
        name: "",
        aliases: &[],
        kind: Kind::Str,
        default: None,
        reloadable: false,
        in_db: false,
        doc: "",
        example: None,
    };
    debug_assert!(keys::find(name).is_some(), "{name} missing from the key table");
    keys::find(name).unwrap_or(&FALLBACK)
}

fn invalid(key: &str, message: String, origin: &Origin) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message,
        origin: origin.clone(),
    }
}

fn clamp_i64(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn clamp_u32(n: i128) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A scalar as text (numbers as written); `None` for lists.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) | Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::List(_) => None,
    }
}

/// How a bad value is quoted in messages.
fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.clone(),
        Value::Bool(b) => b.to_string(),
        Value::List(_) => "a list".into(),
    }
}

/// PostgREST's boolean reading: `true`/`false` in any case (non-letters ignored, so `"\"true\""` works),
/// else an integer, true when positive.
fn coerce_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => {
            let letters: String = s
                .chars()
                .filter(|c| c.is_alphabetic())
                .collect::<String>()
                .to_lowercase();
            match letters.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => number::integer(s.trim()).ok().map(|n| n > 0),
            }
        }
        // PostgREST falls back to the default for an unquoted number; reading it like "1" is kinder.
        Value::Number(n) => number::integer(n).ok().map(|n| n > 0),
        Value::List(_) => None,
    }
}

/// PostgREST's socket mode reading: the longest leading run of octal digits, between 600 and 777.
fn coerce_file_mode(text: &str) -> Result<u32, &'static str> {
    let digits: String = text.chars().take_while(|c| ('0'..='7').contains(c)).collect();
    if digits.is_empty() {
        return Err("not an octal");
    }
    match u32::from_str_radix(digits.trim_start_matches('0'), 8) {
        Ok(mode) if (0o600..=0o777).contains(&mode) => Ok(mode),
        _ => Err("needs to be between 600 and 777"),
    }
}

/// Typed reads of one key each; absent values take the key table's default.
struct Validator<'a> {
    raw: &'a RawConfig,
    db: bool,
}

impl Validator<'_> {
    /// The configured setting, if any (no default).
    fn setting(&self, name: &str) -> Option<RawSetting> {
        self.raw.resolve(find_key(name), self.db)
    }

    /// The configured setting, else the table default; `None` when neither exists.
    fn value(&self, name: &str) -> Option<RawSetting> {
        self.setting(name).or_else(|| {
            let key = find_key(name);
            key.default.map(|d| RawSetting {
                name: key.name.to_owned(),
                value: Value::String(d.to_owned()),
                origin: Origin::Default,
            })
        })
    }

    fn expected(&self, s: &RawSetting, what: &str) -> ConfigError {
        invalid(
            &s.name,
            format!("{}: expected {what}, got {}", s.name, describe(&s.value)),
            &s.origin,
        )
    }

    fn string(&self, name: &str) -> Result<Option<String>, ConfigError> {
        match self.value(name) {
            None => Ok(None),
            Some(s) => as_text(&s.value)
                .map(Some)
                .ok_or_else(|| self.expected(&s, "a string")),
        }
    }

    fn bool(&self, name: &str) -> Result<bool, ConfigError> {
        match self.value(name) {
            None => Ok(false),
            Some(s) => coerce_bool(&s.value).ok_or_else(|| self.expected(&s, "true or false")),
        }
    }

    fn int(&self, name: &str, min: i128, max: i128, what: &str) -> Result<Option<i128>, ConfigError> {
        let Some(s) = self.value(name) else {
            return Ok(None);
        };
        let n = match &s.value {
            Value::Number(t) | Value::String(t) => number::integer(t.trim()),
            _ => Err(NotInteger::Fraction),
        };
        match n {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(self.expected(&s, what)),
        }
    }

    fn seconds(&self, name: &str) -> Result<Duration, ConfigError> {
        let secs = self.int(name, 0, u64::MAX.into(), "a whole number of seconds")?;
        Ok(Duration::from_secs(
            secs.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
        ))
    }

    fn port(&self, name: &str) -> Result<Option<u16>, ConfigError> {
        let port = self.int(name, 0, u16::MAX.into(), "a port number between 0 and 65535")?;
        Ok(port.and_then(|n| u16::try_from(n).ok()))
    }

    fn choice<T: Copy>(&self, name: &str, parse: fn(&str) -> Option<T>) -> Result<T, ConfigError> {
        let names = match find_key(name).kind {
            Kind::Enum(names) => names.join(", "),
            _ => String::new(),
        };
        let s = self
            .value(name)
            .ok_or_else(|| invalid(name, format!("{name}: no value and no default"), &Origin::Default))?;
        as_text(&s.value)
            .as_deref()
            .and_then(parse)
            .ok_or_else(|| self.expected(&s, &format!("one of {names}")))
    }

    /// Comma separated, items trimmed, empty items dropped.
    fn list(&self, name: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(s) = self.value(name) else {
            return Ok(None);
        };
        let text = as_text(&s.value).ok_or_else(|| self.expected(&s, "a comma separated string"))?;
        Ok(Some(
            text.split(',')
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(str::to_owned)
                .collect(),
        ))
    }

    fn file_mode(&self, name: &str) -> Result<u32, ConfigError> {
        let Some(s) = self.value(name) else {
            return Ok(0o660);
        };
        let text = as_text(&s.value).unwrap_or_default();
        coerce_file_mode(&text).map_err(|why| invalid(&s.name, format!("Invalid {name}: {why}"), &s.origin))
    }

    fn schemas(&self) -> Result<Vec<String>, ConfigError> {
        let name = "db-schemas";
        let Some(s) = self.value(name) else {
            return Ok(vec!["public".into()]);
        };
        let text = as_text(&s.value).ok_or_else(|| self.expected(&s, "a comma separated string"))?;
        let schemas: Vec<String> = text.split(',').map(|i| i.trim().to_owned()).collect();
        if schemas.iter().any(String::is_empty) {
            return Err(invalid(
                name,
                format!("{name}: empty schema name in {text:?}"),
                &s.origin,
            ));
        }
        // PostgREST v16 refuses to expose the catalogs.
        for forbidden in ["pg_catalog", "information_schema"] {
            if schemas.iter().any(|x| x == forbidden) {
                return Err(invalid(
                    name,
                    format!("db-schemas does not allow schema: '{forbidden}'"),
                    &s.origin,
                ));
            }
        }
        Ok(schemas)
    }

    fn log_query(&self) -> Result<bool, ConfigError> {
        // Pre-v14 string values: PostgREST v16 can't read them as booleans and uses the default.
        if let Some(RawSetting {
            value: Value::String(t),
            ..
        }) = self.setting("log-query")
        {
            if t == "main-query" || t == "disabled" {
                return Ok(false);
            }
        }
        self.bool("log-query")
    }

    fn db_uri(&self, read_file: ReadFile<'_>) -> Result<String, ConfigError> {
        let name = "db-uri";
        let Some(s) = self.value(name) else {
            return Ok("postgresql://".into());
        };
        let uri = as_text(&s.value).ok_or_else(|| self.expected(&s, "a connection string"))?;
        match uri.strip_prefix('@') {
            // PostgREST strips all surrounding white space from a db-uri file.
            Some(path) => Ok(read_at_file(name, path, &s.origin, read_file)?.trim().to_owned()),
            None => Ok(uri),
        }
    }

    fn jwt_secret(&self, read_file: ReadFile<'_>) -> Result<Option<String>, ConfigError> {
        let name = "jwt-secret";
        let Some(s) = self.value(name) else {
            return Ok(None);
        };
        let secret = as_text(&s.value).ok_or_else(|| self.expected(&s, "a string"))?;
        match secret.strip_prefix('@') {
            Some(path) => {
                let contents = read_at_file(name, path, &s.origin, read_file)?;
                // Only one trailing "\n" is removed, as PostgREST does: other white space may be part of the key.
                Ok(Some(
                    contents.strip_suffix('\n').map(str::to_owned).unwrap_or(contents),
                ))
            }
            None => Ok(Some(secret)),
        }
    }

    fn jwt_aud(&self) -> Result<Option<String>, ConfigError> {
        let Some(aud) = self.string("jwt-aud")? else {
            return Ok(None);
        };
        // Like PostgREST: anything with a ':' must be a URI (RFC 3986).
        if aud.contains(':') && !is_uri(&aud) {
            let origin = self
                .setting("jwt-aud")
                .map(|s| s.origin)
                .unwrap_or(Origin::Default);
            return Err(invalid(
                "jwt-aud",
                "jwt-aud should be a string or a valid URI".into(),
                &origin,
            ));
        }
        Ok(Some(aud))
    }

    fn proxy_uri(&self) -> Result<Option<String>, ConfigError> {
        let name = "openapi-server-proxy-uri";
        let Some(uri) = self.string(name)? else {
            return Ok(None);
        };
        if !is_proxy_uri(&uri) {
            let origin = self.setting(name).map(|s| s.origin).unwrap_or(Origin::Default);
            return Err(invalid(
                name,
                format!("{name}: Malformed proxy uri, a correct example: https://example.com:8443/basePath"),
                &origin,
            ));
        }
        Ok(Some(uri))
    }
}

fn read_at_file(
    key: &str,
    path: &str,
    origin: &Origin,
    read_file: ReadFile<'_>,
) -> Result<String, ConfigError> {
    read_file(path).map_err(|reason| ConfigError::ReadFile {
        key: key.to_owned(),
        path: path.to_owned(),
        reason,
        origin: origin.clone(),
    })
}

/// `scheme:rest` with an RFC 3986 scheme and only URI characters (valid `%XX` escapes) after it.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    let scheme_ok = sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && uri_chars_ok(rest, true)
}

fn uri_chars_ok(s: &str, allow_fragment: bool) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut fragments = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 2;
            }
            b'#' => {
                fragments += 1;
                if !allow_fragment || fragments > 1 {
                    return false;
                }
            }
            b if b.is_ascii_alphanumeric() => {}
            b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'?' | b'[' | b']' | b'@' | b'!' | b'$' | b'&'
            | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// PostgREST's proxy URI rule: absolute http(s) URI with a host, optional port 1-65535, path; no user
/// info, query or fragment.
fn is_proxy_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return false;
    }
    if !uri_chars_ok(rest, false) || rest.contains('?') {
        return false;
    }
    let (authority, _path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return false;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, after)) => (h, after.strip_prefix(':')),
            None => return false,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port_ok = match port {
        None => true,
        Some(p) => {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
        }
    };
    !host.is_empty() && port_ok
}
