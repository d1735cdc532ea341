//! What the access log says of a request besides its request line: the database role and, with `log-query`, the
//! SQL; on request (benchmarks, debugging) the whole transaction a request ran.

use std::sync::{Arc, Mutex};

/// Filled while a request is served; the response carries it (an extension) to the access log.
#[derive(Debug, Default)]
pub struct AccessNote {
    role: Mutex<Option<String>>,
    query: Mutex<Option<String>>,
    /// Set by [`AccessNote::capturing`]: keep the transaction's statements.
    capture: bool,
    transaction: Mutex<Option<CapturedTx>>,
}

/// A transaction as restgres ran it: `BEGIN ...`, the statements with their parameters, and how it ended.
#[derive(Debug, Clone)]
pub struct CapturedTx {
    pub begin: String,
    pub statements: Vec<restgres_sql::Statement>,
    pub commit: bool,
}

impl AccessNote {
    pub fn new() -> Arc<AccessNote> {
        Arc::new(AccessNote::default())
    }

    /// A note that also keeps the transaction: put it in a request's extensions before `handler::handle`.
    pub fn capturing() -> Arc<AccessNote> {
        Arc::new(AccessNote {
            capture: true,
            ..AccessNote::default()
        })
    }

    pub fn set_transaction(&self, tx: &restgres_db::TxRequest) {
        if !self.capture {
            return;
        }
        if let Ok(mut t) = self.transaction.lock() {
            *t = Some(CapturedTx {
                begin: tx.begin_sql(),
                statements: tx.statements().into_iter().cloned().collect(),
                commit: tx.end == restgres_db::TxEnd::Commit,
            });
        }
    }

    /// The transaction of the request, when capturing.
    pub fn transaction(&self) -> Option<CapturedTx> {
        self.transaction.lock().ok().and_then(|t| t.clone())
    }

    pub fn set_role(&self, role: &str) {
        if let Ok(mut r) = self.role.lock() {
            *r = Some(role.to_string());
        }
    }

    pub fn set_query(&self, sql: &str) {
        if let Ok(mut q) = self.query.lock() {
            *q = Some(sql.to_string());
        }
    }

    /// The role the request ran as, once authentication decided it.
    pub fn role(&self) -> Option<String> {
        self.role.lock().ok().and_then(|r| r.clone())
    }

    /// The main statement's SQL, when `log-query` recorded it.
    pub fn query(&self) -> Option<String> {
        self.query.lock().ok().and_then(|q| q.clone())
    }
}
