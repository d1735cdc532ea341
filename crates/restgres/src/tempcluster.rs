//! A throwaway PostgreSQL cluster in a temporary directory, for the demo and tests when no server answers.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long the server may take to accept connections after it is spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `local_or_temp` waits for an existing server to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// How many lines of the server log an error message carries.
const LOG_TAIL_LINES: usize = 20;
/// A free port found by binding port 0 can be taken by someone else before the server binds it; retry then.
const START_ATTEMPTS: u32 = 3;

/// Where Debian and Ubuntu install versioned server binaries (`/usr/lib/postgresql/15/bin`).
const DEBIAN_LIB_DIR: &str = "/usr/lib/postgresql";

#[derive(Debug, thiserror::Error)]
pub enum TempClusterError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH or under {DEBIAN_LIB_DIR}/*/bin"
    )]
    BinariesNotFound,
    #[error(
        "no PostgreSQL answered at {uri} ({reason}), and no PostgreSQL server binaries (initdb, pg_ctl, \
         postgres) were found on PATH or under {DEBIAN_LIB_DIR}/*/bin to start a temporary one"
    )]
    NeitherFound { uri: String, reason: String },
    #[error("invalid PostgreSQL connection string {uri}: {source}")]
    InvalidUri {
        uri: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(
        "running as root, but no unprivileged `nobody` user was found in /etc/passwd to run PostgreSQL as"
    )]
    NoUnprivilegedUser,
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error("initdb failed ({status}):\n{output}")]
    Initdb { status: ExitStatus, output: String },
    #[error("the temporary PostgreSQL server exited during startup ({status}); server log:\n{log_tail}")]
    ServerExited { status: ExitStatus, log_tail: String },
    #[error(
        "the temporary PostgreSQL server did not accept connections within {}s; server log:\n{log_tail}",
        START_TIMEOUT.as_secs()
    )]
    StartTimeout { log_tail: String },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> TempClusterError {
    let context = context.into();
    move |source| TempClusterError::Io { context, source }
}

/// A running PostgreSQL server in its own temporary directory; stopped and deleted on drop.
#[derive(Debug)]
pub struct TempCluster {
    dir: PathBuf,
    port: u16,
    bin_dir: PathBuf,
    /// The uid/gid the server runs as when this process is root (initdb and postgres refuse root).
    run_as: Option<(u32, u32)>,
    /// `None` once stopped.
    server: Option<Child>,
}

impl TempCluster {
    /// Creates a cluster with initdb in a fresh temporary directory and starts it on 127.0.0.1 with a free port.
    pub async fn start() -> Result<TempCluster, TempClusterError> {
        let bin_dir = find_bin_dir().ok_or(TempClusterError::BinariesNotFound)?;
        let dir = create_temp_dir()?;
        // From here on, dropping `cluster` on an error path stops whatever runs and deletes the directory.
        let mut cluster = TempCluster {
            dir,
            port: 0,
            bin_dir,
            run_as: None,
            server: None,
        };

        // The new directory belongs to this process's effective user: that is how we learn whether we are root
        // without calling getuid (which would need unsafe code or libc).
        let owner = fs::metadata(&cluster.dir)
            .map_err(io_err(format!("reading {}", cluster.dir.display())))?
            .uid();
        if owner == 0 {
            let (uid, gid) = nobody_ids()?;
            std::os::unix::fs::chown(&cluster.dir, Some(uid), Some(gid)).map_err(io_err(format!(
                "handing {} to the nobody user",
                cluster.dir.display()
            )))?;
            cluster.run_as = Some((uid, gid));
        }

        initdb(&cluster.bin_dir, &cluster.dir, cluster.run_as).await?;

        let mut attempt = 0;
        loop {
            attempt += 1;
            cluster.port = free_port()?;
            match cluster.spawn_and_wait().await {
                Ok(()) => break,
                // Someone took the port between our probe and the server's bind: try another one.
                Err(TempClusterError::ServerExited { log_tail, .. })
                    if attempt < START_ATTEMPTS && log_tail.contains("already in use") => {}
                Err(e) => return Err(e),
            }
        }
        tracing::info!(dir = %cluster.dir.display(), port = cluster.port, "started a temporary PostgreSQL cluster");
        Ok(cluster)
    }

    /// A connection string to the `postgres` database as the superuser `postgres`, over TCP.
    pub fn uri(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The TCP port the server listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory holding the data directory, the socket and the server log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the server (fast shutdown) but keeps its data, for tests of what happens while it is away.
    pub fn pause(&mut self) {
        self.shutdown();
    }

    /// Starts the server again on the same data and port after [`TempCluster::pause`].
    pub async fn resume(&mut self) -> Result<(), TempClusterError> {
        if self.server.is_some() {
            return Ok(());
        }
        self.spawn_and_wait().await
    }

    /// Stops the server (fast shutdown) and deletes the directory; the same as dropping, said explicitly.
    pub fn stop(self) {
        drop(self);
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Spawns `postgres` and waits until it accepts connections, or fails with the log's tail.
    async fn spawn_and_wait(&mut self) -> Result<(), TempClusterError> {
        let log_path = self.log_path();
        let log = fs::File::create(&log_path).map_err(io_err(format!("creating {}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(io_err("duplicating the log file handle"))?;
        let mut cmd = Command::new(self.bin_dir.join("postgres"));
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()))
            // A throwaway cluster needs no durability; these make loading fixtures much faster.
            .args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .current_dir(&self.dir)
            // Its own process group: a Ctrl-C in the terminal reaches restgres, which then stops the server in
            // order, instead of the server shutting down under in-flight requests.
            .process_group(0);
        drop_privileges(&mut cmd, self.run_as);
        let child = cmd.spawn().map_err(io_err(format!(
            "starting {}",
            self.bin_dir.join("postgres").display()
        )))?;
        self.server = Some(child);

        let deadline = Instant::now() + START_TIMEOUT;
        let uri = self.uri();
        loop {
            if let Some(child) = self.server.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.server = None;
                    return Err(TempClusterError::ServerExited {
                        status,
                        log_tail: log_tail(&log_path),
                    });
                }
            }
            let attempt = tokio::time::timeout(
                Duration::from_secs(2),
                tokio_postgres::connect(&uri, tokio_postgres::NoTls),
            );
            if let Ok(Ok((client, connection))) = attempt.await {
                drop(client);
                // Let the connection send its Terminate message instead of vanishing.
                let _ = connection.await;
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(TempClusterError::StartTimeout {
                    log_tail: log_tail(&log_path),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Best effort, never panics: `pg_ctl stop -m fast`, then kill if that failed, then reap the process.
    fn shutdown(&mut self) {
        let Some(mut child) = self.server.take() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            let mut cmd = Command::new(self.bin_dir.join("pg_ctl"));
            cmd.arg("stop")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-m", "fast", "-w", "-t", "20"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            cmd.current_dir(&self.dir);
            drop_privileges(&mut cmd, self.run_as);
            let stopped = cmd.status().map(|s| s.success()).unwrap_or(false);
            if !stopped {
                tracing::warn!(dir = %self.dir.display(), "pg_ctl stop failed; killing the temporary server");
                let _ = child.kill();
            }
        }
        let _ = child.wait();
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        self.shutdown();
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "could not delete the temporary cluster");
        }
    }
}

/// Returns the existing server's URI when one answers at `default_uri`, else starts a `TempCluster`.
///
/// A server that answers with an error (wrong password, missing database) counts as not usable: the demo then
/// runs on a temporary cluster, and the reason is logged.
pub async fn local_or_temp(default_uri: &str) -> Result<(String, Option<TempCluster>), TempClusterError> {
    // A malformed string is the user's mistake to fix, not a reason to serve from somewhere else.
    let config: tokio_postgres::Config =
        default_uri
            .parse()
            .map_err(|source| TempClusterError::InvalidUri {
                uri: redact_password(default_uri),
                source,
            })?;
    let reason = match tokio::time::timeout(PROBE_TIMEOUT, config.connect(tokio_postgres::NoTls)).await {
        Ok(Ok((client, connection))) => {
            drop(client);
            let _ = connection.await;
            return Ok((default_uri.to_string(), None));
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {}s", PROBE_TIMEOUT.as_secs()),
    };
    if find_bin_dir().is_none() {
        return Err(TempClusterError::NeitherFound {
            uri: redact_password(default_uri),
            reason,
        });
    }
    tracing::info!(
        uri = %redact_password(default_uri),
        %reason,
        "no usable PostgreSQL at the given URI; starting a temporary cluster"
    );
    let cluster = TempCluster::start().await?;
    Ok((cluster.uri(), Some(cluster)))
}

/// Hides the password of a `postgres://user:password@host` URI for messages (key/value strings pass through
/// with any `password=` value hidden).
fn redact_password(uri: &str) -> String {
    if let Some(scheme_end) = uri.find("://") {
        let rest = &uri[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                return format!(
                    "{}{}:***{}",
                    &uri[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                );
            }
        }
        return uri.to_string();
    }
    uri.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn drop_privileges(cmd: &mut Command, run_as: Option<(u32, u32)>) {
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid).gid(gid);
    }
}

async fn initdb(bin_dir: &Path, dir: &Path, run_as: Option<(u32, u32)>) -> Result<(), TempClusterError> {
    let mut cmd = tokio::process::Command::new(bin_dir.join("initdb"));
    cmd.arg("-D")
        .arg(dir.join("data"))
        .args([
            "--auth=trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ])
        .stdin(Stdio::null())
        .current_dir(dir);
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid).gid(gid);
    }
    let out = cmd
        .output()
        .await
        .map_err(io_err(format!("running {}", bin_dir.join("initdb").display())))?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(TempClusterError::Initdb {
        status: out.status,
        output,
    })
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: the first on PATH that has all three, else the
/// highest version under `/usr/lib/postgresql/*/bin`.
fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_all(d)) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir(DEBIAN_LIB_DIR)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = version_key(&entry.file_name())?;
            let bin = entry.path().join("bin");
            has_all(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `"15"` -> `[15]`, `"9.6"` -> `[9, 6]`; `None` for names that are not versions.
fn version_key(name: &OsStr) -> Option<Vec<u32>> {
    name.to_str()?.split('.').map(|part| part.parse().ok()).collect()
}

/// Creates a new, empty directory under the system temp dir, mode 0700 as created by this process.
fn create_temp_dir() -> Result<PathBuf, TempClusterError> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let base = std::env::temp_dir();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut last_error = None;
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // Short names: the socket path `<dir>/.s.PGSQL.<port>` must fit in 107 bytes.
        let dir = base.join(format!("restgres-pg-{}-{nanos:x}-{n}", std::process::id()));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(io_err(format!("creating a directory in {}", base.display()))(e)),
        }
    }
    Err(io_err(format!("creating a directory in {}", base.display()))(
        last_error.unwrap_or_else(|| io::Error::other("no free name")),
    ))
}

/// The uid and gid of `nobody`, read from /etc/passwd.
fn nobody_ids() -> Result<(u32, u32), TempClusterError> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(io_err("reading /etc/passwd"))?;
    passwd_ids(&passwd, "nobody").ok_or(TempClusterError::NoUnprivilegedUser)
}

fn passwd_ids(passwd: &str, user: &str) -> Option<(u32, u32)> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

/// A port that was free a moment ago on 127.0.0.1 (the OS picks it for a bind to port 0).
fn free_port() -> Result<u16, TempClusterError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io_err("finding a free port"))?;
    let port = listener
        .local_addr()
        .map_err(io_err("finding a free port"))?
        .port();
    Ok(port)
}

/// The last lines of the server log, for error messages.
fn log_tail(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
        }
        Err(e) => format!("(could not read {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_from_passwd() {
        let passwd =
            "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65533:nobody:/nonexistent:/usr/sbin/nologin\n";
        assert_eq!(passwd_ids(passwd, "nobody"), Some((65534, 65533)));
        assert_eq!(passwd_ids(passwd, "postgres"), None);
        assert_eq!(passwd_ids("nobody:x:-2:-2::", "nobody"), None);
        assert_eq!(passwd_ids("", "nobody"), None);
    }

    #[test]
    fn orders_versions_numerically() {
        assert!(version_key(OsStr::new("15")) > version_key(OsStr::new("9.6")));
        assert_eq!(version_key(OsStr::new("16")), Some(vec![16]));
        assert_eq!(version_key(OsStr::new("common")), None);
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact_password("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_password("host=h password=secret user=u"),
            "host=h password=*** user=u"
        );
    }

    #[tokio::test]
    async fn rejects_a_malformed_uri() {
        let result = local_or_temp("postgres://h:notaport/db").await;
        assert!(
            matches!(result, Err(TempClusterError::InvalidUri { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn starts_answers_and_cleans_up() {
        let cluster = match TempCluster::start().await {
            Ok(c) => c,
            Err(TempClusterError::BinariesNotFound) => {
                eprintln!("skipped: no PostgreSQL server binaries on this machine");
                return;
            }
            Err(e) => panic!("could not start a temporary cluster: {e}"),
        };
        let dir = cluster.dir().to_path_buf();
        assert!(dir.join("data").join("PG_VERSION").is_file());
        let (client, connection) = tokio_postgres::connect(&cluster.uri(), tokio_postgres::NoTls)
            .await
            .unwrap();
        let conn = tokio::spawn(connection);
        let row = client.query_one("select 1", &[]).await.unwrap();
        assert_eq!(row.get::<_, i32>(0), 1);
        drop(client);
        let _ = conn.await;
        cluster.stop();
        assert!(!dir.exists(), "{} was not deleted", dir.display());
    }
}
