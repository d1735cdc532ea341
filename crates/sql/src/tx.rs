//! Statements that prepare the request's transaction: settings and the pre-request function.

use crate::builder::{quote_qualified, Sql, Statement};
use restgres_schema::QualifiedName;

/// `select set_config($1, $2, true), ...`: transaction-local settings, names and values bound.
pub fn settings_statement(settings: &[(String, String)]) -> Statement {
    let mut sql = Sql::default();
    sql.push("select ");
    for (i, (name, value)) in settings.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("set_config(")
            .param(name.as_str())
            .push(", ")
            .param(value.as_str())
            .push(", true)");
    }
    if settings.is_empty() {
        sql.push("1");
    }
    sql.finish()
}

/// `select "schema"."fn"()`
pub fn pre_request_statement(function: &QualifiedName) -> Statement {
    Statement {
        sql: format!("select {}()", quote_qualified(function)),
        params: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        let s = settings_statement(&[
            ("role".into(), "anon".into()),
            ("request.method".into(), "GET".into()),
        ]);
        assert_eq!(s.sql, "select set_config($1, $2, true), set_config($3, $4, true)");
        assert_eq!(s.params.len(), 4);
        assert_eq!(settings_statement(&[]).sql, "select 1");
    }

    #[test]
    fn pre_request() {
        assert_eq!(
            pre_request_statement(&QualifiedName::new("api", "check")).sql,
            "select \"api\".\"check\"()"
        );
    }
}
