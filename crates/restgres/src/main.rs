//! The restgres binary: reads the command line, configuration and environment, serves until a signal.

use restgres::cli::{self, Command};
use restgres_config::{AppConfig, LogFormat, LogLevel};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Small short-lived allocations dominate a request; mimalloc serves them with far less CPU than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}\n\n{}", cli::USAGE);
            return ExitCode::FAILURE;
        }
    };
    match command {
        Command::Help => {
            print!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("restgres {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Example => {
            print!("{}", restgres_config::example());
            ExitCode::SUCCESS
        }
        Command::DumpConfig(file) => match load_config(file.as_deref()) {
            Ok(c) => {
                print!("{}", restgres_config::dump(&c));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::DumpSchema(file) => match load_config(file.as_deref()) {
            Ok(c) => dump_schema(&c),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Ready(file) => match load_config(file.as_deref()) {
            Ok(c) => ready(&c),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve(file) => match load_config(file.as_deref()) {
            Ok(c) => {
                let env: BTreeMap<String, String> = std::env::vars().collect();
                let source = restgres::reload::ConfigSource::file(file.as_deref(), env);
                run(c, Some(source), None)
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Demo(uri) => run_demo(uri.or_else(|| std::env::var("RESTGRES_DEMO_DB_URI").ok())),
    }
}

fn load_config(file: Option<&str>) -> Result<AppConfig, String> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let contents = match file {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?),
        None => None,
    };
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
    restgres_config::load(file.zip(contents.as_deref()), &env, &read).map_err(|e| e.to_string())
}

fn init_logging(level: LogLevel, format: LogFormat) {
    // Startup, connection and schema-cache messages are logged at every level, as PostgREST does; the access
    // log follows log-level separately (see restgres_http::server).
    let filter = if level == LogLevel::Debug {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => builder.init(),
        // One JSON object per line, for log shippers.
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// The request runtime: `server-threads` workers, or one per CPU core.
fn runtime(threads: u32) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        builder.worker_threads(threads as usize);
    }
    builder.enable_all().build()
}

/// Serves until SIGTERM or SIGINT, then drains in-flight requests. `banner` is printed once listening.
fn run(
    config: AppConfig,
    source: Option<restgres::reload::ConfigSource>,
    banner: Option<&dyn Fn(std::net::SocketAddr) -> String>,
) -> ExitCode {
    init_logging(config.log_level, config.log_format);
    let rt = match runtime(config.server_threads) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let source = source.unwrap_or_else(|| restgres::reload::ConfigSource::fixed(&config));
        let running = match restgres::server::start_with_source(config, source).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::FAILURE;
            }
        };
        if let Some(b) = banner {
            println!("{}", b(running.addr));
        }
        let reloads = reload_on_signals(running.reloader.clone());
        let code = tokio::select! {
            () = wait_for_signal() => ExitCode::SUCCESS,
            // db-pool-automatic-recovery = false: a lost database ends the process, as in PostgREST.
            reason = running.connection_lost() => {
                tracing::error!("Lost the database connection ({reason}); db-pool-automatic-recovery is off");
                ExitCode::FAILURE
            }
        };
        reloads.abort();
        tracing::info!("Shutting down: finishing in-flight requests");
        running.shutdown().await;
        code
    })
}

/// SIGUSR1 reloads the schema cache, SIGUSR2 the configuration (and then the schema cache), as in PostgREST;
/// the old ones serve until the new ones are ready, and stay when a reload fails.
fn reload_on_signals(reloader: std::sync::Arc<restgres::reload::Reloader>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut usr1), Ok(mut usr2)) = (
            signal(SignalKind::user_defined1()),
            signal(SignalKind::user_defined2()),
        ) else {
            return;
        };
        loop {
            let done = tokio::select! {
                Some(()) = usr1.recv() => reloader.schema().await,
                Some(()) = usr2.recv() => reloader.config_and_schema().await,
                else => return,
            };
            if let Err(e) = done {
                tracing::error!("Failed to reload: {e}");
            }
        }
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => tracing::info!("Received termination unix signal SIGTERM"),
                _ = int.recv() => tracing::info!("Received termination unix signal SIGINT"),
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn run_demo(uri: Option<String>) -> ExitCode {
    let rt = match runtime(0) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let demo = match rt.block_on(restgres::demo::prepare(uri)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot prepare the demo database: {e}");
            return ExitCode::FAILURE;
        }
    };
    drop(rt);
    let config = match restgres::server::config_from_text(&demo.config_file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("demo configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let banner =
        |addr: std::net::SocketAddr| restgres::demo::banner(&format!("http://localhost:{}", addr.port()));
    let code = run(config, None, Some(&banner));
    // Dropping the demo stops and removes a throwaway cluster if one was started.
    drop(demo);
    code
}

/// `--dump-schema`: the schema cache as JSON on stdout.
fn dump_schema(config: &AppConfig) -> ExitCode {
    let dumped = runtime(config.server_threads)
        .map_err(|e| format!("cannot start the runtime: {e}"))
        .and_then(|rt| {
            rt.block_on(restgres::admin::dump_schema(config))
                .map_err(|e| e.to_string())
        });
    match dumped {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `--ready`: `OK: <url>` on stdout and 0 when the admin server's `/ready` answers 2xx; else a reason on
/// stderr and 1, as PostgREST.
fn ready(config: &AppConfig) -> ExitCode {
    let checked = runtime(config.server_threads)
        .map_err(|e| format!("cannot start the runtime: {e}"))
        .and_then(|rt| {
            rt.block_on(restgres::admin::check_ready(config))
                .map_err(|e| e.to_string())
        });
    match checked {
        Ok(ok) => {
            println!("{ok}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
