//! What the access log says of a request besides its request line: the database role and, with `log-query`, the SQL.

use std::sync::{Arc, Mutex};

/// Filled while a request is served; the response carries it (an extension) to the access log.
#[derive(Debug, Default)]
pub struct AccessNote {
    role: Mutex<Option<String>>,
    query: Mutex<Option<String>>,
}

impl AccessNote {
    pub fn new() -> Arc<AccessNote> {
        Arc::new(AccessNote::default())
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
