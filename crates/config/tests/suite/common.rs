//! Shared fixtures: an environment, a fake file system, and shortcuts around `load`.

use std::collections::BTreeMap;

use restgres_config::{load_sources, AppConfig, ConfigError, Loaded, Sources};

/// Files `read_file` can see.
pub fn files() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("/secrets/jwt", "a-secret-that-is-long-enough-for-hs256\n"),
        ("/secrets/jwt-crlf", "secret-with-crlf\r\n"),
        ("/secrets/jwt-two", "two newlines\n\n"),
        ("/secrets/uri", "  postgres://u@db/app \n"),
        (
            "/etc/pgrst/other.conf",
            "db-pool = 7\napp.settings.imported = \"yes\"\n",
        ),
        ("/etc/pgrst/loop.conf", "import \"loop.conf\"\n"),
        ("/etc/pgrst/bad.conf", "db-pool = = 3\n"),
        ("/etc/pgrst/group.conf", "x = \"in group\"\n"),
    ])
}

pub fn read_file(path: &str) -> Result<String, String> {
    files()
        .get(path)
        .map(|s| (*s).to_owned())
        .ok_or_else(|| "No such file or directory".to_owned())
}

/// The environment every test sees, plus `extra`.
pub fn env(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([
        ("HOME".to_owned(), "/home/u".to_owned()),
        ("EMPTY".to_owned(), String::new()),
    ]);
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    env
}

pub const PATH: &str = "/etc/pgrst/test.conf";

/// Loads `file` (as `/etc/pgrst/test.conf`), `extra` env vars and in-database settings.
pub fn load_all(file: &str, extra: &[(&str, &str)], db: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
    let env = env(extra);
    let db: Vec<(String, String)> = db
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    load_sources(
        &Sources {
            file: Some((PATH, file)),
            env: &env,
            db: &db,
        },
        &read_file,
    )
}

pub fn load(file: &str) -> Result<AppConfig, ConfigError> {
    load_all(file, &[], &[]).map(|l| l.config)
}
