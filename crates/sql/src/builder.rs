//! The statement type and the helpers that build SQL text safely.

use restgres_schema::QualifiedName;
use std::fmt::Write;

/// SQL text with `$n` placeholders and their values (`None` is SQL NULL), all sent as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

/// Accumulates SQL and parameters.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

impl Sql {
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    /// Appends a `$n` placeholder bound to `value`.
    pub fn param(&mut self, value: impl Into<String>) -> &mut Self {
        self.params.push(Some(value.into()));
        let _ = write!(self.sql, "${}", self.params.len());
        self
    }

    pub fn ident(&mut self, name: &str) -> &mut Self {
        self.sql.push_str(&quote_ident(name));
        self
    }

    pub fn finish(self) -> Statement {
        Statement {
            sql: self.sql,
            params: self.params,
        }
    }
}

/// Quotes an identifier; text after a NUL is dropped since PostgreSQL cannot store it.
pub fn quote_ident(name: &str) -> String {
    let name = name.split('\0').next().unwrap_or_default();
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `"schema"."name"`, or `"name"` when the schema is empty (resolved through the search path).
pub fn quote_qualified(qn: &QualifiedName) -> String {
    if qn.schema.is_empty() {
        quote_ident(&qn.name)
    } else {
        format!("{}.{}", quote_ident(&qn.schema), quote_ident(&qn.name))
    }
}

/// PostgreSQL's array literal for a list of text values (`{"a","b \"c\""}`), bound as one parameter.
pub fn array_literal(values: &[String]) -> String {
    let mut out = String::from("{");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in v.split('\0').next().unwrap_or_default().chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a"), "\"a\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("a\0b"), "\"a\"");
        assert_eq!(quote_ident("my col"), "\"my col\"");
        assert_eq!(quote_qualified(&QualifiedName::new("s", "t")), "\"s\".\"t\"");
        assert_eq!(quote_qualified(&QualifiedName::new("", "t")), "\"t\"");
    }

    #[test]
    fn arrays() {
        assert_eq!(array_literal(&[]), "{}");
        assert_eq!(array_literal(&["a".into(), "b,c".into()]), "{\"a\",\"b,c\"}");
        assert_eq!(
            array_literal(&["a\"b".into(), "c\\d".into()]),
            "{\"a\\\"b\",\"c\\\\d\"}"
        );
    }
}
