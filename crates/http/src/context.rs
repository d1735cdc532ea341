//! The transaction-local settings of a request: role, search_path, request.* and app.settings.*.

use restgres_config::AppConfig;
use restgres_db::introspect::RoleSettings;
use restgres_sql::quote_ident;
use serde_json::{Map, Value};

/// What the settings are made of.
pub struct RequestContext<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Header names lower-cased, values as sent; `cookie` excluded (it goes to `request.cookies`).
    pub headers: &'a [(String, String)],
    pub cookies: &'a [(String, String)],
    pub role: &'a str,
    /// The verified claims, the role already included (see `restgres_auth::AuthResult`).
    pub claims: &'a Map<String, Value>,
    /// The schema selected for this request.
    pub schema: &'a str,
    pub timezone: Option<&'a str>,
}

/// The settings in PostgREST's order: search_path, the role's own settings (before the role, so
/// `GRANT SET ON PARAMETER` to the authenticator suffices), role, claims, method, path, headers, cookies,
/// timezone, app.settings.
pub fn tx_settings(
    config: &AppConfig,
    roles: &RoleSettings,
    ctx: &RequestContext<'_>,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(12);
    let search_path: Vec<String> = std::iter::once(ctx.schema)
        .chain(config.db_extra_search_path.iter().map(String::as_str))
        .map(quote_ident)
        .collect();
    out.push(("search_path".to_string(), search_path.join(", ")));
    if let Some(settings) = roles.get(ctx.role) {
        out.extend(settings.iter().cloned());
    }
    out.push(("role".to_string(), ctx.role.to_string()));
    out.push(("request.jwt.claims".to_string(), claims_json(ctx.claims)));
    out.push(("request.method".to_string(), ctx.method.to_string()));
    out.push(("request.path".to_string(), ctx.path.to_string()));
    out.push(("request.headers".to_string(), pairs_json(ctx.headers)));
    out.push(("request.cookies".to_string(), pairs_json(ctx.cookies)));
    if let Some(tz) = ctx.timezone {
        out.push(("timezone".to_string(), tz.to_string()));
    }
    out.extend(config.app_settings.iter().cloned());
    out
}

fn claims_json(claims: &Map<String, Value>) -> String {
    serde_json::to_string(claims).unwrap_or_else(|_| "{}".to_string())
}

/// A JSON object of name/value pairs; a repeated name keeps its last value.
fn pairs_json(pairs: &[(String, String)]) -> String {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Object(map).to_string()
}

/// Splits a `Cookie` header into name/value pairs.
pub fn parse_cookies(header: &str) -> Vec<(String, String)> {
    header
        .split(';')
        .filter_map(|part| {
            let part = part.trim();
            let (k, v) = part.split_once('=')?;
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
            (!k.trim().is_empty()).then(|| (k.trim().to_string(), v.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies() {
        assert_eq!(
            parse_cookies("a=1; b=\"two\";c=; =x; junk"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "two".into()),
                ("c".into(), "".into())
            ]
        );
        assert!(parse_cookies("").is_empty());
    }

    #[test]
    fn json_pairs_keep_last() {
        assert_eq!(
            pairs_json(&[("a".into(), "1".into()), ("a".into(), "2".into())]),
            r#"{"a":"2"}"#
        );
    }
}
