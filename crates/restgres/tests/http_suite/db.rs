//! The databases behind the suite: a template loaded with tests/fixtures once per fixture version, shared by
//! every test process on the cluster, and one throwaway database per case file cloned from it.

use restgres::tempcluster::{local_or_temp, TempCluster};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio_postgres::{Client, NoTls};

/// The environment variable naming the cluster to test against (a superuser connection string).
pub const ADMIN_URI_ENV: &str = "RESTGRES_TEST_DB_URI";
/// Tried when the variable is unset; when nothing answers there, a temporary cluster is started instead.
pub const DEFAULT_ADMIN_URI: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The role the server logs in as (created by fixtures/00_roles.sql).
pub const AUTHENTICATOR: &str = "restgres_test_authenticator";
const AUTHENTICATOR_PASSWORD: &str = "restgres_test_authenticator";
/// Key of the cluster-wide advisory lock that serialises template builds between test processes ("restgres").
const LOCK_KEY: i64 = 0x7265_7374_6772_6573;
/// Part of the template's hash: bump it when the way fixtures are loaded changes.
const LOADER_VERSION: &str = "2";
const TEMPLATE_PREFIX: &str = "restgres_tpl_";
const TEST_DB_PREFIX: &str = "restgres_t_";

/// The cluster and template every case file of this process uses.
pub struct Env {
    pub admin_uri: String,
    pub template: String,
}

static ENV: OnceLock<Result<Env, String>> = OnceLock::new();
/// A temporary cluster started by this process, stopped by `stop_temp_cluster` at the end of `main`.
static CLUSTER: Mutex<Option<TempCluster>> = Mutex::new(None);
static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// Finds the cluster and builds the template on first use; later calls (from any trial thread) share the result.
pub fn env() -> Result<&'static Env, String> {
    ENV.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("building a tokio runtime: {e}"))?;
        runtime.block_on(init())
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Stops the temporary cluster, if this process started one; the suite calls it once every trial has run.
pub fn stop_temp_cluster() {
    let cluster = CLUSTER
        .lock()
        .map(|mut c| c.take())
        .unwrap_or_else(|p| p.into_inner().take());
    if let Some(cluster) = cluster {
        cluster.stop();
    }
}

async fn init() -> Result<Env, String> {
    let requested = std::env::var(ADMIN_URI_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ADMIN_URI.to_string());
    let (admin_uri, cluster) = local_or_temp(&requested)
        .await
        .map_err(|e| format!("no PostgreSQL to test against: {e}"))?;
    if let Some(cluster) = cluster {
        eprintln!("http_suite: no PostgreSQL answered at {ADMIN_URI_ENV} or {DEFAULT_ADMIN_URI}; using a temporary cluster");
        if let Ok(mut slot) = CLUSTER.lock() {
            *slot = Some(cluster);
        }
    }
    let fixtures = load_fixtures(&fixtures_dir())?;
    let template = format!("{TEMPLATE_PREFIX}{:016x}", fixtures_hash(&fixtures));
    ensure_template(&admin_uri, &template, &fixtures).await?;
    Ok(Env { admin_uri, template })
}

/// `(file name, SQL)` of every fixture file, in file-name order.
fn load_fixtures(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no .sql fixtures in {}", dir.display()));
    }
    files
        .into_iter()
        .map(|path| {
            let sql =
                std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok((name, sql))
        })
        .collect()
}

/// FNV-1a over the loader version and every fixture's name and text: stable across Rust versions and processes.
pub fn fixtures_hash(fixtures: &[(String, String)]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    feed(LOADER_VERSION.as_bytes());
    for (name, sql) in fixtures {
        feed(name.as_bytes());
        feed(sql.as_bytes());
    }
    hash
}

pub async fn connect(uri: &str) -> Result<Client, String> {
    let (client, connection) = tokio_postgres::connect(uri, NoTls)
        .await
        .map_err(|e| format!("connecting to {}: {e}", redact(uri)))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Builds the template unless a finished one exists. The advisory lock makes parallel test processes wait for
/// the first one instead of racing; the template is built under another name and renamed when complete, so a
/// process that died half-way never leaves a template that looks finished.
async fn ensure_template(
    admin_uri: &str,
    template: &str,
    fixtures: &[(String, String)],
) -> Result<(), String> {
    let admin = connect(admin_uri).await?;
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(|e| format!("taking the template lock: {e}"))?;
    let result = build_template_locked(&admin, admin_uri, template, fixtures).await;
    let _ = admin.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await;
    result
}

async fn build_template_locked(
    admin: &Client,
    admin_uri: &str,
    template: &str,
    fixtures: &[(String, String)],
) -> Result<(), String> {
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
        .await
        .map_err(|e| format!("looking for {template}: {e}"))?
        .is_some();
    if !exists {
        let building = format!("{template}_build");
        let q = |sql: String| async move {
            admin
                .batch_execute(&sql)
                .await
                .map_err(|e| format!("{sql}: {}", pg_error(&e)))
        };
        q(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            ident(&building)
        ))
        .await?;
        // C collation and character classes: ordering and case-insensitive matching are then the same on every
        // cluster, whatever locale it was initialised with.
        q(format!(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
            ident(&building)
        ))
        .await?;
        {
            let db = connect(&with_database(admin_uri, &building)).await?;
            for (name, sql) in fixtures {
                db.batch_execute(sql)
                    .await
                    .map_err(|e| format!("loading fixture {name}: {}", pg_error(&e)))?;
            }
        }
        // The connection above closes in the background; renaming needs it gone.
        rename_when_idle(admin, &building, template).await?;
        q(format!("ALTER DATABASE {} IS_TEMPLATE true", ident(template))).await?;
    }
    drop_stale_templates(admin, template).await;
    Ok(())
}

async fn rename_when_idle(admin: &Client, from: &str, to: &str) -> Result<(), String> {
    let sql = format!("ALTER DATABASE {} RENAME TO {}", ident(from), ident(to));
    let mut last = String::new();
    for _ in 0..100 {
        match admin.batch_execute(&sql).await {
            Ok(()) => return Ok(()),
            Err(e) => last = pg_error(&e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{sql}: {last}"))
}

/// Templates of older fixture versions only take space; one still in use by another run is left alone.
async fn drop_stale_templates(admin: &Client, keep: &str) {
    let pattern = format!("{}%", TEMPLATE_PREFIX.replace('_', "\\_"));
    let Ok(rows) = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
            &[&pattern, &keep],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        // Two statements: DROP DATABASE cannot run inside the implicit transaction of a multi-statement query.
        let _ = admin
            .batch_execute(&format!("ALTER DATABASE {} IS_TEMPLATE false", ident(&name)))
            .await;
        let _ = admin
            .batch_execute(&format!("DROP DATABASE {}", ident(&name)))
            .await;
    }
}

/// Creates this case file's own database from the template and returns its name.
pub async fn create_test_db(env: &Env) -> Result<String, String> {
    let name = format!(
        "{TEST_DB_PREFIX}{}_{}",
        std::process::id(),
        DB_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let admin = connect(&env.admin_uri).await?;
    let sql = format!(
        "CREATE DATABASE {} TEMPLATE {}",
        ident(&name),
        ident(&env.template)
    );
    let mut last = String::new();
    // Cloning fails while anyone is connected to the template (another process finishing its build, say).
    for _ in 0..50 {
        match admin.batch_execute(&sql).await {
            Ok(()) => return Ok(name),
            Err(e) => last = pg_error(&e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("{sql}: {last}"))
}

pub async fn drop_test_db(admin_uri: &str, name: &str) -> Result<(), String> {
    let admin = connect(admin_uri).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name)))
        .await
        .map_err(|e| format!("dropping {name}: {}", pg_error(&e)))
}

/// Drops a test database when dropped, also while a failing trial unwinds.
pub struct DropDbGuard {
    pub admin_uri: String,
    pub name: String,
}

impl Drop for DropDbGuard {
    fn drop(&mut self) {
        let (uri, name) = (self.admin_uri.clone(), self.name.clone());
        // Its own thread and runtime: this may run inside another runtime's block_on, or while unwinding.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            Some(runtime.block_on(drop_test_db(&uri, &name)))
        })
        .join();
        if let Ok(Some(Err(e))) = dropped {
            eprintln!("http_suite: {e}");
        }
    }
}

/// The connection string the server under test uses: the authenticator on the test database.
pub fn server_uri(admin_uri: &str, dbname: &str) -> String {
    with_login(
        &with_database(admin_uri, dbname),
        AUTHENTICATOR,
        AUTHENTICATOR_PASSWORD,
    )
}

/// Splits a `postgres://` / `postgresql://` URI into (scheme with `://`, authority, path, `?query`).
fn split_url(uri: &str) -> Option<(&str, &str, &str, &str)> {
    let scheme_end = ["postgres://", "postgresql://"]
        .iter()
        .find(|s| uri.starts_with(*s))
        .map(|s| s.len())?;
    let rest = &uri[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    let query_start = after.find('?').unwrap_or(after.len());
    let (path, query) = after.split_at(query_start);
    Some((&uri[..scheme_end], authority, path, query))
}

/// The same connection string pointing at another database.
pub fn with_database(uri: &str, db: &str) -> String {
    match split_url(uri) {
        Some((scheme, authority, _, query)) => format!("{scheme}{authority}/{db}{query}"),
        None => format!("{} dbname={}", uri.trim(), kv_quote(db)),
    }
}

/// The same connection string logging in as another user.
pub fn with_login(uri: &str, user: &str, password: &str) -> String {
    match split_url(uri) {
        Some((scheme, authority, path, query)) => {
            let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
            format!("{scheme}{user}:{password}@{host}{path}{query}")
        }
        None => format!(
            "{} user={} password={}",
            uri.trim(),
            kv_quote(user),
            kv_quote(password)
        ),
    }
}

fn kv_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A double-quoted SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A connection string with its password hidden, for messages.
pub fn redact(uri: &str) -> String {
    match split_url(uri) {
        Some((scheme, authority, path, query)) => match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                format!("{scheme}{user}:***@{host}{path}{query}")
            }
            None => uri.to_string(),
        },
        None => uri
            .split_whitespace()
            .map(|kv| {
                if kv.starts_with("password=") {
                    "password=***"
                } else {
                    kv
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// PostgreSQL's message, detail and hint, when the error came from the server.
pub fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; detail: {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            if let Some(position) = db.position() {
                text.push_str(&format!("; at {position:?}"));
            }
            text
        }
        None => e.to_string(),
    }
}
