//! Trials driving restgres with real PostgREST clients (postgrest-js, postgrest-py) and Swagger 2.0 checks.

use crate::{db, runner};
use libtest_mimic::{Failed, Trial};
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

/// The scripts read the server's base URL (`http://127.0.0.1:<port>`) from this variable.
const URL_ENV: &str = "RESTGRES_URL";
/// How long one client script may run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long one `npm ci` or `pip install` may run (downloads on a slow network).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(900);
/// How long a trial waits for another process's install; a little more than that install may take.
const LOCK_WAIT: Duration = Duration::from_secs(960);
/// A lock file older than this is left over from a process that died without removing it.
const LOCK_STALE_AFTER: Duration = Duration::from_secs(1200);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// Written into an install's directory once the install has finished; holds the install's key.
const STAMP_FILE: &str = ".restgres-install-stamp";
/// The demo schema, as `restgres --demo` loads it (crates/restgres/src/demo.rs).
const DEMO_SCHEMA_SQL: &str = include_str!("../../demo/schema.sql");

pub fn trials() -> Vec<Trial> {
    vec![
        // Only installs (or finds current) both clients; .ci/run runs it first so that the others find them ready.
        Trial::test("clients::install", || {
            ensure_node_modules(&clients_dir().join("js"))?;
            ensure_venv()?;
            Ok(())
        }),
        Trial::test("clients::postgrest_js", || postgrest_js().map_err(Failed::from)),
        Trial::test("clients::postgrest_py", || postgrest_py().map_err(Failed::from)),
        Trial::test("clients::openapi_swagger2_fixtures", || {
            swagger2_fixtures().map_err(Failed::from)
        }),
        Trial::test("clients::openapi_swagger2_demo", || {
            swagger2_demo().map_err(Failed::from)
        }),
    ]
}

fn postgrest_js() -> Result<(), String> {
    let dir = clients_dir().join("js");
    ensure_node_modules(&dir)?;
    with_fixture_server(|url| {
        run(
            "the postgrest-js tests (clients/js/postgrest.test.mjs)",
            Command::new("node")
                .args(["--test", "--test-reporter=spec", "postgrest.test.mjs"])
                .current_dir(&dir)
                .env(URL_ENV, url),
            SCRIPT_TIMEOUT,
        )
    })
}

fn postgrest_py() -> Result<(), String> {
    let python = ensure_venv()?;
    let dir = clients_dir().join("py");
    with_fixture_server(|url| {
        run(
            "the postgrest-py tests (clients/py/test_postgrest.py)",
            Command::new(&python)
                .arg("test_postgrest.py")
                .current_dir(&dir)
                .env(URL_ENV, url),
            SCRIPT_TIMEOUT,
        )
    })
}

/// The document of the suite's fixture schema, served with the suite's default configuration.
fn swagger2_fixtures() -> Result<(), String> {
    let python = ensure_venv()?;
    with_fixture_server(|url| {
        validate_swagger2(
            &python,
            url,
            &["/items", "/em_books", "/rpc/rp_add", "/rpc/rp_cities_over"],
            &["items", "em_books"],
        )
    })
}

/// The document of the demo schema, served with the demo's configuration.
fn swagger2_demo() -> Result<(), String> {
    let python = ensure_venv()?;
    let env = db::env()?;
    let runtime = runner::trial_runtime()?;
    let name = format!("restgres_t_{}_demo", std::process::id());
    let admin_uri = env.admin_uri.clone();
    runtime.block_on(async {
        let admin = db::connect(&admin_uri).await?;
        let ident = db::ident(&name);
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {ident} WITH (FORCE)"))
            .await
            .map_err(|e| format!("dropping {name}: {}", db::pg_error(&e)))?;
        // A fresh database as the demo makes one, not the fixture template. template0 rather than the default
        // template1: nobody can be connected to it, which would make CREATE DATABASE fail.
        admin
            .batch_execute(&format!("CREATE DATABASE {ident} TEMPLATE template0"))
            .await
            .map_err(|e| format!("creating {name}: {}", db::pg_error(&e)))
    })?;
    // Declared after the runtime so that it runs first, also when a panic unwinds through here.
    let _drop_db = db::DropDbGuard {
        admin_uri: admin_uri.clone(),
        name: name.clone(),
    };
    // The demo loads its schema as the user of its base URI (a superuser) and serves as that user too.
    let db_uri = db::with_database(&admin_uri, &name);
    runtime.block_on(async {
        db::connect(&db_uri)
            .await?
            .batch_execute(DEMO_SCHEMA_SQL)
            .await
            .map_err(|e| format!("loading demo/schema.sql: {}", db::pg_error(&e)))
    })?;
    // The keys of the demo's configuration file (`config_file` in src/demo.rs), on a free port.
    let demo_config: BTreeMap<String, toml::Value> = [
        ("db-schemas", toml::Value::String("api".into())),
        ("db-anon-role", toml::Value::String("web_anon".into())),
        ("db-max-rows", toml::Value::Integer(1000)),
        (
            "jwt-secret",
            toml::Value::String(restgres::demo::JWT_SECRET.into()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let text = runner::config_text(&db_uri, &demo_config)?;
    serve(&runtime, &text, |url| {
        validate_swagger2(
            &python,
            url,
            &["/authors", "/books", "/available_books", "/rpc/books_by_author"],
            &["authors", "books", "available_books"],
        )
    })
}

fn validate_swagger2(python: &Path, url: &str, paths: &[&str], definitions: &[&str]) -> Result<(), String> {
    let mut command = Command::new(python);
    command
        .arg("validate_swagger.py")
        .current_dir(clients_dir().join("py"))
        .env(URL_ENV, url);
    for path in paths {
        command.args(["--path", path]);
    }
    for definition in definitions {
        command.args(["--definition", definition]);
    }
    run(
        "Swagger 2.0 validation of GET / (clients/py/validate_swagger.py)",
        &mut command,
        SCRIPT_TIMEOUT,
    )
}

/// Runs `body` with the URL of a server on a fresh copy of the fixture database, with the suite's defaults.
fn with_fixture_server(body: impl FnOnce(&str) -> Result<(), String>) -> Result<(), String> {
    let env = db::env()?;
    let runtime = runner::trial_runtime()?;
    let (dbname, _drop_db) = runner::trial_database(&runtime, env)?;
    let text = runner::config_text(&db::server_uri(&env.admin_uri, &dbname), &BTreeMap::new())?;
    serve(&runtime, &text, body)
}

/// Starts restgres from configuration text, runs `body` with its base URL and shuts it down. The server's tasks
/// run on the runtime's worker threads while this thread waits for the client process.
fn serve(
    runtime: &tokio::runtime::Runtime,
    config_text: &str,
    body: impl FnOnce(&str) -> Result<(), String>,
) -> Result<(), String> {
    let running = runtime.block_on(async {
        let config = restgres::server::config_from_text(config_text)
            .map_err(|e| format!("the server rejected the configuration:\n{config_text}\n{e}"))?;
        restgres::server::start(config)
            .await
            .map_err(|e| format!("the server did not start: {e}\nconfiguration:\n{config_text}"))
    })?;
    let result = body(&format!("http://{}", running.addr));
    runtime.block_on(async {
        if tokio::time::timeout(SHUTDOWN_TIMEOUT, running.shutdown())
            .await
            .is_err()
        {
            eprintln!(
                "http_suite: the server did not shut down within {}s",
                SHUTDOWN_TIMEOUT.as_secs()
            );
        }
    });
    result
}

// ---- installing the clients ----
//
// The clients live in `clients/js` (npm: `npm ci` into `clients/js/node_modules`) and `clients/py` (pip: a
// virtual environment at `<target dir>/client-venv`). Each trial installs what it needs when it is missing or out
// of date, so that the README's test command works on a fresh machine: a stamp file in the install records what
// it was made from (a hash of the lock or requirements file and the tools' versions), and a lock file makes the
// parallel test processes of nextest wait for the one that installs. A missing node, npm or python3 fails the
// trial.

/// `npm ci` in `dir` unless its node_modules was installed from the same package.json and package-lock.json
/// with the same Node.js.
fn ensure_node_modules(dir: &Path) -> Result<(), String> {
    const WHO: &str = "the trials clients::postgrest_js and clients::install";
    let node = tool_version("node", &["--version"], WHO)?;
    let major: u32 = node
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 18 {
        return Err(format!(
            "{WHO} need Node.js 18 or later (node:test), found {node}"
        ));
    }
    let npm = tool_version(npm_command(), &["--version"], WHO)?;
    let key = install_key(
        &[dir.join("package.json"), dir.join("package-lock.json")],
        &[&node, &npm],
    )?;
    let modules = dir.join("node_modules");
    let lock = target_dir().join("client-npm.lock");
    ensure_installed(&modules, &key, &lock, || {
        // npm ci removes node_modules (with any older stamp) before it installs.
        run(
            "npm ci in clients/js",
            Command::new(npm_command())
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(dir),
            INSTALL_TIMEOUT,
        )
    })
}

/// The virtual environment with clients/py/requirements.txt installed; returns its Python.
fn ensure_venv() -> Result<PathBuf, String> {
    const WHO: &str = "the trials clients::postgrest_py, clients::openapi_swagger2_* and clients::install";
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| tool_version(p, &["--version"], WHO).is_ok())
        .ok_or_else(|| {
            format!(
                "{WHO} need Python 3.11 or later with the venv module (python3 on PATH); neither python3 nor \
                 python could be run"
            )
        })?;
    let version = tool_version(python, &["--version"], WHO)?;
    // postgrest (PyPI) 2.x requires Python 3.11.
    let number: Vec<u32> = version
        .trim_start_matches("Python ")
        .split('.')
        .take(2)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    if number.as_slice() < [3, 11].as_slice() {
        return Err(format!(
            "{WHO} need Python 3.11 or later (postgrest on PyPI requires it); `{python} --version` is {version}"
        ));
    }
    let requirements = clients_dir().join("py").join("requirements.txt");
    let key = install_key(std::slice::from_ref(&requirements), &[&version])?;
    let venv = target_dir().join("client-venv");
    let venv_python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    let lock = target_dir().join("client-venv.lock");
    ensure_installed(&venv, &key, &lock, || {
        if venv.exists() {
            std::fs::remove_dir_all(&venv)
                .map_err(|e| format!("removing the outdated {}: {e}", venv.display()))?;
        }
        run(
            "creating the client virtual environment (on Debian/Ubuntu the venv module is the python3-venv package)",
            Command::new(python).args(["-m", "venv"]).arg(&venv),
            INSTALL_TIMEOUT,
        )?;
        run(
            "pip install -r clients/py/requirements.txt",
            Command::new(&venv_python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    "--quiet",
                    "-r",
                ])
                .arg(&requirements),
            INSTALL_TIMEOUT,
        )
    })?;
    Ok(venv_python)
}

fn npm_command() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

/// Runs `install` under `lock` unless `dir` holds a stamp with `key`; writes the stamp when it succeeds.
fn ensure_installed(
    dir: &Path,
    key: &str,
    lock: &Path,
    install: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    let stamp = dir.join(STAMP_FILE);
    let current = || std::fs::read_to_string(&stamp).is_ok_and(|s| s == key);
    if current() {
        return Ok(());
    }
    let _lock = InstallLock::acquire(lock)?;
    // Another process may have installed while this one waited.
    if current() {
        return Ok(());
    }
    install()?;
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    std::fs::write(&stamp, key).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

/// What an install is made from: the files' contents and the tools' versions, hashed (FNV-1a, stable across
/// Rust versions and processes).
fn install_key(files: &[PathBuf], versions: &[&str]) -> Result<String, String> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes.iter().chain(&[0xff]) {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in files {
        feed(&std::fs::read(file).map_err(|e| format!("reading {}: {e}", file.display()))?);
    }
    for version in versions {
        feed(version.as_bytes());
    }
    Ok(format!("{hash:016x} {}\n", versions.join(" ")))
}

/// An install lock: a file created exclusively, holding the owner's process id, removed on drop. A lock whose
/// owner is gone (no /proc entry) or that is older than any install may take is stale and taken over.
struct InstallLock {
    path: PathBuf,
}

impl InstallLock {
    fn acquire(path: &Path) -> Result<InstallLock, String> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut file) => {
                    let _ = write!(file, "{}", std::process::id());
                    return Ok(InstallLock {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if lock_is_stale(path) {
                        // Two waiters may both find it stale; the loser's create_new then fails and it waits.
                        let _ = std::fs::remove_file(path);
                        continue;
                    }
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "waited {}s for another test process to finish installing (lock file {}); remove \
                             the file if no test is running",
                            LOCK_WAIT.as_secs(),
                            path.display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => return Err(format!("creating the lock file {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn lock_is_stale(path: &Path) -> bool {
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    if age.is_some_and(|a| a > LOCK_STALE_AFTER) {
        return true;
    }
    // The owner writes its pid right after creating the file: give it a moment before reading.
    if age.is_none_or(|a| a < Duration::from_secs(2)) {
        return false;
    }
    let proc_dir = Path::new("/proc");
    if !proc_dir.join("self").exists() {
        return false;
    }
    match std::fs::read_to_string(path).map(|s| s.trim().parse::<u32>()) {
        Ok(Ok(pid)) => !proc_dir.join(pid.to_string()).exists(),
        _ => false,
    }
}

/// Runs `tool args` and returns its first output line (a version), or why the trial cannot run without it.
fn tool_version(tool: &str, args: &[&str], who: &str) -> Result<String, String> {
    let output = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                format!("{who} need `{tool}`, which is not on PATH: install it (see crates/restgres/tests/README.md)")
            } else {
                format!("{who} need `{tool}`, which could not be run: {e}")
            }
        })?;
    if !output.status.success() {
        return Err(format!(
            "{who} need `{tool}`; `{tool} {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    // Python 2 and old Python 3 print their version on stderr.
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    Ok(String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string())
}

// ---- running a child process ----

/// Runs `command` to its end (killed after `timeout`); Ok when it exits with status 0. The error names `what`,
/// the command, its status and everything it printed.
fn run(what: &str, command: &mut Command, timeout: Duration) -> Result<(), String> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: could not run {shown}: {e}"))?;
    // Read both pipes on threads of their own, so that a chatty child never blocks on a full pipe.
    let stdout = child.stdout.take().map(read_in_background);
    let stderr = child.stderr.take().map(read_in_background);
    let deadline = Instant::now() + timeout;
    let status: Option<ExitStatus> = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("{what}: waiting for {shown}: {e}")),
        }
    };
    let collect = |rx: Option<mpsc::Receiver<String>>| {
        // A grandchild may still hold the pipe open; what arrived by then is enough for a report.
        rx.and_then(|rx| rx.recv_timeout(Duration::from_secs(10)).ok())
            .unwrap_or_default()
    };
    let (out, err) = (collect(stdout), collect(stderr));
    let outcome = match status {
        Some(status) if status.success() => return Ok(()),
        Some(status) => format!("failed ({status})"),
        None => format!("did not finish within {}s and was killed", timeout.as_secs()),
    };
    Err(format!(
        "{what} {outcome}\ncommand: {shown}\n----- stdout -----\n{out}\n----- stderr -----\n{err}"
    ))
}

fn read_in_background(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

// ---- where things are ----

fn workspace_root() -> PathBuf {
    // CARGO_MANIFEST_DIR is crates/restgres.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest).to_path_buf()
}

fn clients_dir() -> PathBuf {
    workspace_root().join("clients")
}

/// Cargo's target directory: CARGO_TARGET_DIR when set, else the directory above this test binary that holds
/// Cargo's CACHEDIR.TAG (the binary is in `<target>/<profile>/deps`), else `<workspace>/target`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .skip(1)
                .find(|d| d.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}
