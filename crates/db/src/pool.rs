//! The connection pool (bb8) with a per-connection bounded cache of prepared statements.

use crate::DbError;
use std::collections::HashMap;
use std::time::Duration;
use tokio_postgres::{Client, Config, NoTls, Statement};

/// Prepared statements kept per connection before the cache is emptied; dynamic SQL needs a bound.
const STATEMENT_CACHE_MAX: usize = 1000;

/// A pooled connection: the client and the statements prepared on it.
pub struct PgConn {
    pub client: Client,
    statements: HashMap<String, Statement>,
    /// The pool's schema generation these statements were prepared under.
    generation: u64,
}

impl PgConn {
    pub(crate) fn cached(&self, sql: &str) -> Option<Statement> {
        self.statements.get(sql).cloned()
    }

    pub(crate) fn remember(&mut self, sql: &str, statement: Statement) {
        if self.statements.len() >= STATEMENT_CACHE_MAX {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), statement);
    }

    /// Forgets every prepared statement (after a schema change they may describe old shapes).
    pub fn clear_statements(&mut self) {
        self.statements.clear();
    }
}

pub struct Manager {
    config: Config,
}

impl bb8::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = tokio_postgres::Error;

    async fn connect(&self) -> Result<PgConn, tokio_postgres::Error> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("database connection closed: {e}");
            }
        });
        Ok(PgConn {
            generation: 0,
            client,
            statements: HashMap::new(),
        })
    }

    async fn is_valid(&self, conn: &mut PgConn) -> Result<(), tokio_postgres::Error> {
        conn.client.simple_query("").await.map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// Pool sizes and timeouts, from `db-pool*`.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: u32,
    pub acquisition_timeout: Duration,
    pub max_idletime: Duration,
    pub max_lifetime: Duration,
    pub prepared_statements: bool,
}

/// The pool shared by all requests.
#[derive(Clone)]
pub struct Pool {
    inner: bb8::Pool<Manager>,
    pub(crate) prepared: bool,
    /// Bumped after every schema reload: a connection that saw an older one forgets its prepared statements.
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Checkouts in progress and checkouts that timed out, for `pgrst_db_pool_waiting` and `_timeouts_total`.
    waits: std::sync::Arc<Waits>,
    /// The latest failure to open a connection (bb8's error sink).
    connect_errors: std::sync::Arc<tokio::sync::watch::Sender<String>>,
}

/// Publishes connection failures to the requests waiting for a connection.
#[derive(Debug, Clone)]
struct ConnectErrors(std::sync::Arc<tokio::sync::watch::Sender<String>>);

impl bb8::ErrorSink<tokio_postgres::Error> for ConnectErrors {
    fn sink(&self, error: tokio_postgres::Error) {
        tracing::debug!("could not open a database connection: {error}");
        self.0.send_replace(error.to_string());
    }

    fn boxed_clone(&self) -> Box<dyn bb8::ErrorSink<tokio_postgres::Error>> {
        Box::new(self.clone())
    }
}

#[derive(Debug, Default)]
struct Waits {
    waiting: std::sync::atomic::AtomicU64,
    timeouts: std::sync::atomic::AtomicU64,
}

/// Ends a checkout's wait, also when the waiting request is dropped (its client went away).
struct Waiting<'a>(&'a Waits);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The pool's state for the admin server's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub connections: u32,
    /// Open and not checked out (`pgrst_db_pool_available`).
    pub idle: u32,
    /// Checkouts in progress (`pgrst_db_pool_waiting`).
    pub waiting: u64,
    /// Checkouts that gave up after `db-pool-acquisition-timeout` (`pgrst_db_pool_timeouts_total`).
    pub timeouts: u64,
}

pub type PooledConn = bb8::PooledConnection<'static, Manager>;

impl Pool {
    /// Creates the pool; connections are opened on demand, so this never waits for the database.
    pub fn new(config: Config, settings: &PoolSettings) -> Pool {
        let connect_errors = std::sync::Arc::new(tokio::sync::watch::Sender::new(String::new()));
        let inner = bb8::Pool::builder()
            .error_sink(Box::new(ConnectErrors(connect_errors.clone())))
            .max_size(settings.max_size.max(1))
            .min_idle(None)
            .connection_timeout(settings.acquisition_timeout)
            .idle_timeout(Some(settings.max_idletime).filter(|d| !d.is_zero()))
            .max_lifetime(Some(settings.max_lifetime).filter(|d| !d.is_zero()))
            // A round trip per checkout would double the cost of every request; broken ones are seen by has_broken.
            .test_on_check_out(false)
            // Report connection failures at once (503) rather than waiting out the acquisition timeout.
            .retry_connection(false)
            .build_unchecked(Manager { config });
        Pool {
            inner,
            prepared: settings.prepared_statements,
            generation: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)),
            waits: std::sync::Arc::default(),
            connect_errors,
        }
    }

    /// Records that a connection failed in use (the database went away under it).
    pub(crate) fn connection_broke(&self, reason: &str) {
        self.connect_errors.send_replace(reason.to_string());
    }

    /// Failures to open or use a connection, as they happen (the current value is the latest one's message).
    pub fn connect_failures(&self) -> tokio::sync::watch::Receiver<String> {
        let mut rx = self.connect_errors.subscribe();
        rx.borrow_and_update();
        rx
    }

    /// Marks every prepared statement as stale (after a schema reload); each connection drops its own at its
    /// next checkout.
    pub fn invalidate_statements(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// Takes a connection, or PGRST003 when none is free within the acquisition timeout.
    pub async fn get(&self) -> Result<PooledConn, DbError> {
        self.waits
            .waiting
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let waiting = Waiting(&self.waits);
        // A connection the pool opens for this request may be refused (the database is down or restarting):
        // bb8 only reports that to its error sink, so watch it and answer at once (503) rather than after
        // the acquisition timeout.
        let mut refused = self.connect_errors.subscribe();
        refused.borrow_and_update();
        let got = tokio::select! {
            got = self.inner.get_owned() => got,
            Ok(()) = refused.changed() => {
                drop(waiting);
                let message = refused.borrow().clone();
                return Err(DbError::Connection(message));
            }
        };
        drop(waiting);
        let mut conn = got.map_err(|e| match e {
            bb8::RunError::TimedOut => {
                self.waits
                    .timeouts
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                DbError::PoolTimeout
            }
            bb8::RunError::User(e) => DbError::Connection(e.to_string()),
        })?;
        let current = self.generation.load(std::sync::atomic::Ordering::Acquire);
        if conn.generation != current {
            conn.clear_statements();
            conn.generation = current;
        }
        Ok(conn)
    }

    /// (connections, idle connections)
    pub fn state(&self) -> (u32, u32) {
        let s = self.inner.state();
        (s.connections, s.idle_connections)
    }

    /// Connections, idle connections, checkouts waiting and checkouts timed out so far.
    pub fn stats(&self) -> PoolStats {
        let s = self.inner.state();
        PoolStats {
            connections: s.connections,
            idle: s.idle_connections,
            waiting: self.waits.waiting.load(std::sync::atomic::Ordering::Relaxed),
            timeouts: self.waits.timeouts.load(std::sync::atomic::Ordering::Relaxed),
        }
    }
}
