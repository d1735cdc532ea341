//! Errors of the database layer.

/// An error PostgreSQL reported, with the fields PostgREST shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The server answered with an error (SQLSTATE).
    #[error("{}", .0.message)]
    Pg(PgError),
    /// PGRST003: no connection became free within `db-pool-acquisition-timeout`.
    #[error("Timed out acquiring connection from connection pool.")]
    PoolTimeout,
    /// PGRST000/001: the database could not be reached or the connection broke.
    #[error("{0}")]
    Connection(String),
    /// The result did not have the shape restgres generates (a bug, mapped to 500).
    #[error("{0}")]
    Protocol(String),
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            return DbError::Pg(PgError {
                code: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                hint: db.hint().map(str::to_string),
            });
        }
        if e.is_closed() {
            return DbError::Connection("connection to the database was closed".into());
        }
        DbError::Connection(e.to_string())
    }
}
