//! Connection settings: `db-uri` (URI or key/value) completed with libpq's environment variables.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use tokio_postgres::config::{Host, TargetSessionAttrs};
use tokio_postgres::Config;

/// The `application_name` sent when `db-uri` names none, as PostgREST names itself.
pub const APPLICATION_NAME: &str = concat!("restgres ", env!("CARGO_PKG_VERSION"));

/// Builds the connection settings: what `db-uri` says wins, libpq's `PG*` variables fill the gaps, then
/// libpq's defaults (local socket or localhost, port 5432, the OS user).
pub fn connection_config(db_uri: &str, env: &BTreeMap<String, String>) -> Result<Config, String> {
    let uri = db_uri.trim();
    // libpq accepts a bare scheme ("postgresql://"), which means "all defaults".
    let mut config: Config = match uri {
        "" | "postgres://" | "postgresql://" => Config::new(),
        _ => uri.parse().map_err(|e| format!("invalid db-uri: {e}"))?,
    };
    let get = |k: &str| env.get(k).filter(|v| !v.is_empty());

    if config.get_ports().is_empty() {
        if let Some(p) = get("PGPORT") {
            let port = p.parse::<u16>().map_err(|_| format!("invalid PGPORT: {p}"))?;
            config.port(port);
        }
    }
    let port = config.get_ports().first().copied().unwrap_or(5432);
    if config.get_hosts().is_empty() {
        match get("PGHOST") {
            Some(h) => {
                for host in h.split(',') {
                    config.host(host.trim());
                }
            }
            None => {
                let socket_dir = ["/var/run/postgresql", "/tmp"]
                    .into_iter()
                    .find(|d| Path::new(d).join(format!(".s.PGSQL.{port}")).exists());
                match socket_dir {
                    Some(d) => config.host_path(d),
                    None => config.host("localhost"),
                };
            }
        }
    }
    if config.get_user().is_none() {
        let user = get("PGUSER")
            .or_else(|| get("USER"))
            .map(String::as_str)
            .unwrap_or("postgres");
        config.user(user);
    }
    if config.get_password().is_none() {
        if let Some(p) = get("PGPASSWORD") {
            config.password(p.as_str());
        }
    }
    if config.get_dbname().is_none() {
        if let Some(d) = get("PGDATABASE") {
            config.dbname(d);
        }
    }
    if config.get_application_name().is_none() {
        config.application_name(get("PGAPPNAME").map(String::as_str).unwrap_or(APPLICATION_NAME));
    }
    if config.get_options().is_none() {
        if let Some(o) = get("PGOPTIONS") {
            config.options(o);
        }
    }
    if config.get_connect_timeout().is_none() {
        if let Some(t) = get("PGCONNECT_TIMEOUT").and_then(|t| t.parse::<u64>().ok()) {
            config.connect_timeout(Duration::from_secs(t));
        }
    }
    if let Some(t) = get("PGTARGETSESSIONATTRS") {
        if t == "read-write" {
            config.target_session_attrs(TargetSessionAttrs::ReadWrite);
        }
    }
    Ok(config)
}

/// A printable description of where the config points, without the password.
pub fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{}:{}/{}",
        config.get_user().unwrap_or(""),
        host,
        port,
        config.get_dbname().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn uri_wins_over_env() {
        let c =
            connection_config("postgres://alice@db.example:6543/app", &env(&[("PGUSER", "bob")])).unwrap();
        assert_eq!(c.get_user(), Some("alice"));
        assert_eq!(c.get_ports(), &[6543]);
        assert_eq!(c.get_dbname(), Some("app"));
        assert_eq!(c.get_application_name(), Some(APPLICATION_NAME));
    }

    #[test]
    fn env_fills_gaps() {
        let c = connection_config(
            "postgresql://",
            &env(&[
                ("PGHOST", "h1"),
                ("PGPORT", "5433"),
                ("PGUSER", "u"),
                ("PGDATABASE", "d"),
                ("PGAPPNAME", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.get_hosts(), &[Host::Tcp("h1".into())]);
        assert_eq!(c.get_ports(), &[5433]);
        assert_eq!(c.get_user(), Some("u"));
        assert_eq!(c.get_dbname(), Some("d"));
        assert_eq!(c.get_application_name(), Some("x"));
    }

    #[test]
    fn key_value_form() {
        let c = connection_config("host=127.0.0.1 port=5432 user=postgres dbname=x", &env(&[])).unwrap();
        assert_eq!(c.get_dbname(), Some("x"));
    }

    #[test]
    fn bad_uri() {
        assert!(connection_config("postgres://a@b:notaport/x", &env(&[])).is_err());
        assert!(connection_config("x", &env(&[("PGPORT", "nope")])).is_err());
    }
}
