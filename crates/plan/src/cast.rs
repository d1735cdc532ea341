//! Type names in `::cast`: validated and normalised so they can be emitted as quoted identifiers.
//!
//! A cast comes from the URL, so it must never become raw SQL. PostgreSQL resolves a quoted type name through
//! the search path like an unquoted one, except for the SQL-standard spellings (`integer`, `double precision`)
//! that only the grammar knows: those are mapped to their catalog names here.

/// A cast target: a catalog type name (no quotes) and the number of array dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastType {
    pub name: String,
    pub array_dims: usize,
}

impl CastType {
    /// The name to look up: arrays of one dimension use the catalog's `_name` array type.
    pub fn catalog_name(&self) -> String {
        if self.array_dims > 0 {
            format!("_{}", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// Parses a cast as written after `::`; `None` when it is not a plain (possibly multi-word or array) type name.
pub fn parse_cast(raw: &str) -> Option<CastType> {
    let mut s = raw.trim();
    let mut array_dims = 0;
    while let Some(rest) = s.strip_suffix("[]") {
        array_dims += 1;
        s = rest.trim_end();
    }
    if s.is_empty() || s.len() > 63 {
        return None;
    }
    if !s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ' ') {
        return None;
    }
    let lower = s.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let joined = words.join(" ");
    let name = match joined.as_str() {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "float" | "double precision" => "float8",
        "boolean" => "bool",
        "decimal" => "numeric",
        "character varying" => "varchar",
        "char" | "character" => "bpchar",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        "bit varying" => "varbit",
        other if words.len() == 1 => other,
        _ => return None,
    };
    // A leading underscore is the catalog's array type (`_int4`), which PostgREST accepts as written.
    Some(CastType {
        name: name.to_string(),
        array_dims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<&str>) {
        assert_eq!(
            parse_cast(input).map(|c| c.catalog_name()),
            expect.map(str::to_string),
            "{input}"
        );
    }

    #[test]
    fn casts() {
        check("text", Some("text"));
        check("int", Some("int4"));
        check("INTEGER", Some("int4"));
        check("bigint", Some("int8"));
        check("double precision", Some("float8"));
        check("double  precision", Some("float8"));
        check("_int4", Some("_int4"));
        check("int[]", Some("_int4"));
        check("text[]", Some("_text"));
        check("character varying", Some("varchar"));
        check("timestamp with time zone", Some("timestamptz"));
        check("numeric", Some("numeric"));
        check("my_type2", Some("my_type2"));
        check("", None);
        check("int; drop table x", None);
        check("text)", None);
        check("a.b", None);
        check("foo bar", None);
        check("\"text\"", None);
    }
}
